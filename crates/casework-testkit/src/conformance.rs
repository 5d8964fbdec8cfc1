//! Placeholder: filled in by the conformance work.
