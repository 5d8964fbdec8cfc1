//! Placeholder: filled in by the strategies work.
