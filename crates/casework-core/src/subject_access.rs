//! Subject access export.
