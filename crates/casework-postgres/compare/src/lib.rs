//! Nothing here: see `benches/versus.rs`.
