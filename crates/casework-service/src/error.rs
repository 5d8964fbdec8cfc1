//! Errors of the service layer, kept apart by what went wrong (ADR 0011).
//!
//! - [`LoadError`]: a read failed (not found, an unreadable history, the store).
//! - [`CommandError`]: a command was not carried out: refused by the domain rules (naming the
//!   rule), a conflict with another writer, or a read or the store failing.
//! - [`ActingError`]: the one shape of every checked operation on [`crate::Acting`]:
//!   **denied** under R-27 before anything was read or written, **refused** by the rules of
//!   the operation ([`DomainError`] for commands and reads, [`DisclosureError`] for shares,
//!   [`RetentionRefusal`] for retention), or **failed** as the unchecked operation fails.
//!
//! Every error has a stable machine code ([`ErrorCode`], listed in `docs/ERRORS.md`).

use casework_core::kernel::code::ErrorCode;
use casework_core::kernel::error::DomainError;
use casework_core::kernel::event::HistoryError;
use casework_core::kernel::idempotency::KeyReused;
use casework_core::kernel::ids::StreamId;
use casework_core::privacy::access::AccessDenied;
use casework_core::privacy::disclosure::DisclosureError;
use casework_core::privacy::retention::RetentionRefusal;
use casework_core::store::{AppendError, Conflict, StoreError};
use thiserror::Error;

/// Why a read failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LoadError {
    /// No such stream.
    #[error("{0} not found")]
    NotFound(StreamId),
    /// The stored history cannot be read.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a command was not carried out. Nothing was written in any case.
///
/// A command reads before it decides, so a failed read is one of its failures, kept whole
/// as the [`LoadError`] it was; [`CommandError::Store`] is the write failing.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CommandError {
    /// The domain rules refused it; the error names the rule.
    #[error(transparent)]
    Rejected(#[from] DomainError),
    /// Another writer changed the stream first: reload and decide again.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// Reading what the command acts on failed: no such stream, an unreadable history, or
    /// the store.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The store failed writing the command's events.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The command's idempotency key was already used for a different request (another
    /// fingerprint, or another record): nothing was decided or written. A retry of the same
    /// request is not an error: it returns the first result
    /// ([`casework_core::kernel::idempotency`]).
    #[error(transparent)]
    IdempotencyKeyReused(#[from] KeyReused),
}

impl CommandError {
    /// The domain refusal, if this is one.
    #[must_use]
    pub fn rejection(&self) -> Option<&DomainError> {
        match self {
            CommandError::Rejected(e) => Some(e),
            _ => None,
        }
    }

    /// The stream that does not exist, if that is why.
    #[must_use]
    pub fn not_found(&self) -> Option<&StreamId> {
        match self {
            CommandError::Load(LoadError::NotFound(s)) => Some(s),
            _ => None,
        }
    }

    /// The store's failure, reading or writing, if this is one: the error a caller may
    /// retry after (see [`StoreError`]).
    #[must_use]
    pub fn store_failure(&self) -> Option<&StoreError> {
        match self {
            CommandError::Store(s) | CommandError::Load(LoadError::Store(s)) => Some(s),
            _ => None,
        }
    }
}

impl From<HistoryError> for CommandError {
    fn from(e: HistoryError) -> Self {
        CommandError::Load(LoadError::History(e))
    }
}

impl From<AppendError> for CommandError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Conflict(c) => CommandError::Conflict(c),
            // The service looks a taken key up and replays a retry before it gets here; what
            // is left is a key reused. The key as stored is scoped: `{account}:{client key}`.
            AppendError::KeyTaken(key) => CommandError::IdempotencyKeyReused(KeyReused {
                key: key
                    .split_once(':')
                    .map_or(key.as_str(), |(_, k)| k)
                    .to_owned(),
            }),
            // Opening a case answers this with the young person's open case (open_case); this
            // is the fallback, naming the case refused.
            AppendError::SecondOpenCase(second) => {
                CommandError::Rejected(DomainError::OpenCaseExists {
                    case: second.open.unwrap_or(second.case),
                })
            }
            AppendError::Store(s) => CommandError::Store(s),
        }
    }
}

impl ErrorCode for LoadError {
    fn code(&self) -> &'static str {
        match self {
            LoadError::NotFound(_) => "not_found",
            LoadError::History(h) => h.code(),
            LoadError::Store(s) => s.code(),
        }
    }
}

impl ErrorCode for CommandError {
    fn code(&self) -> &'static str {
        match self {
            CommandError::Rejected(e) => e.code(),
            CommandError::Conflict(c) => c.code(),
            CommandError::Load(l) => l.code(),
            CommandError::Store(s) => s.code(),
            CommandError::IdempotencyKeyReused(k) => k.code(),
        }
    }
}

/// A checked operation's failure; see the module docs. Nothing was written when it was
/// denied or refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ActingError<R = DomainError> {
    /// the person may not do this; nothing was read or written.
    #[error(transparent)]
    Denied(AccessDenied),
    /// The operation's rules refused it; the refusal names the rule.
    #[error(transparent)]
    Refused(R),
    /// Loading or recording failed.
    #[error(transparent)]
    Failed(CommandError),
}

/// A checked command's or read's failure: refused by the domain rules.
pub type AccessError = ActingError<DomainError>;
/// Why a share did not happen. Nothing was shared or recorded.
pub type ShareError = ActingError<DisclosureError>;
/// A retention operation's failure. Nothing was written when denied or refused.
pub type RetentionError = ActingError<RetentionRefusal>;

impl<R> ActingError<R> {
    /// The R-27 refusal, if this is one.
    pub fn denied(&self) -> Option<&AccessDenied> {
        match self {
            ActingError::Denied(d) => Some(d),
            _ => None,
        }
    }

    /// The rules' refusal, if this is one.
    pub fn refusal(&self) -> Option<&R> {
        match self {
            ActingError::Refused(r) => Some(r),
            _ => None,
        }
    }
}

impl<R: ErrorCode> ErrorCode for ActingError<R> {
    fn code(&self) -> &'static str {
        match self {
            ActingError::Denied(d) => d.code(),
            ActingError::Refused(r) => r.code(),
            ActingError::Failed(f) => f.code(),
        }
    }
}

/// What an operation's refusals are made of: a domain refusal is a refusal of a command, and
/// a failure of anything else.
pub trait Refusal: Sized {
    /// `Ok` when a domain refusal is this operation's refusal.
    ///
    /// # Errors
    ///
    /// `Err(e)`, the domain refusal given back unchanged, when it is not this operation's refusal:
    /// by default always (a share's or a retention operation's refusal is never a `DomainError`,
    /// which is then a failure); never for `DomainError` itself.
    fn from_domain(e: DomainError) -> Result<Self, DomainError> {
        Err(e)
    }
}

impl Refusal for DomainError {
    fn from_domain(e: DomainError) -> Result<Self, DomainError> {
        Ok(e)
    }
}
impl Refusal for DisclosureError {}
impl Refusal for RetentionRefusal {}

impl<R> From<AccessDenied> for ActingError<R> {
    fn from(d: AccessDenied) -> Self {
        ActingError::Denied(d)
    }
}

impl<R: Refusal> From<CommandError> for ActingError<R> {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Rejected(d) => match R::from_domain(d) {
                Ok(r) => ActingError::Refused(r),
                Err(d) => ActingError::Failed(CommandError::Rejected(d)),
            },
            other => ActingError::Failed(other),
        }
    }
}

macro_rules! failed_from {
    ($($e:ty),*) => {$(
        impl<R: Refusal> From<$e> for ActingError<R> {
            fn from(e: $e) -> Self {
                CommandError::from(e).into()
            }
        }
    )*};
}
failed_from!(
    LoadError,
    StoreError,
    DomainError,
    AppendError,
    HistoryError
);

impl From<RetentionRefusal> for RetentionError {
    fn from(r: RetentionRefusal) -> Self {
        ActingError::Refused(r)
    }
}

impl From<DisclosureError> for ShareError {
    fn from(r: DisclosureError) -> Self {
        ActingError::Refused(r)
    }
}

impl From<AccessError> for RetentionError {
    fn from(e: AccessError) -> Self {
        match e {
            ActingError::Denied(d) => ActingError::Denied(d),
            ActingError::Refused(r) => ActingError::Failed(CommandError::Rejected(r)),
            ActingError::Failed(f) => ActingError::Failed(f),
        }
    }
}

impl From<AccessError> for ShareError {
    fn from(e: AccessError) -> Self {
        match e {
            ActingError::Denied(d) => ActingError::Denied(d),
            ActingError::Refused(r) => ActingError::Failed(CommandError::Rejected(r)),
            ActingError::Failed(f) => ActingError::Failed(f),
        }
    }
}
