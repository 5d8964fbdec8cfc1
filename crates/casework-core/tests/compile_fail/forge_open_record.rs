//! R-27 (issue 17): an open record cannot be put together from a case and a history the
//! caller loaded, nor on a receipt recorded elsewhere: `gate::open_case` records the read and
//! loads the case from the same store, and it is the only way to one.
use casework_core::case::{Case, CaseEvent};
use casework_core::kernel::event::Recorded;
use casework_core::privacy::gate::{OpenRecord, RecordedRead};

fn forge(case: Case, receipt: &RecordedRead, history: Vec<Recorded<CaseEvent>>) -> OpenRecord {
    OpenRecord::new(case, receipt).unwrap().with_history(history)
}

fn main() {}
