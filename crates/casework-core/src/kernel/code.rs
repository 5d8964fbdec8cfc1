//! Stable machine codes for every public error.
//!
//! A front end switches on [`ErrorCode::code`], never on a message: messages are for people
//! and may be reworded; codes are part of the API and only ever added to. Each code is
//! `snake_case`, names what happened (not the HTTP status a server may map it to), and is
//! listed with its meaning in `docs/ERRORS.md` (checked by `tests/documented_errors.rs`).
//! The rule that refused, where there is one, is the error's `rule()`.

/// An error with a stable machine code.
pub trait ErrorCode {
    /// The code: stable, `snake_case`, documented in `docs/ERRORS.md`.
    fn code(&self) -> &'static str;
}
