//! Temporary probe: WAL frames per append.
use casework_core::ids::CaseId;
use casework_core::read_model::ReadModelUpdate;
use casework_core::store::{AppendRequest, EventAppend};
use casework_sqlite::SqliteStore;
use std::time::Instant;

#[path = "../tests/common/mod.rs"]
mod common;

fn frames(path: &std::path::Path) -> i64 {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(1)).unwrap()
}

fn main() {
    let store = SqliteStore::temporary().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let case = CaseId::new();
    let base = common::case_append(case, 0, 1);
    let ReadModelUpdate::Case(summary) = base.read_model.clone() else { panic!() };
    rt.block_on(store.append(base)).unwrap();
    let mut v = 1;
    frames(store.path());
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        let mut r = common::case_append(case, v, 1);
        r.read_model = ReadModelUpdate::Case(casework_core::read_model::CaseSummary { version: v + 1, ..summary.clone() });
        v = rt.block_on(store.append(r)).unwrap();
    }
    let el = t.elapsed();
    println!("same stream, same row shape: {:.1} µs, {:.2} frames per append", el.as_secs_f64() * 1e6 / n as f64, frames(store.path()) as f64 / n as f64);
    let reqs: Vec<AppendRequest> = (0..n).map(|_| common::case_append(CaseId::new(), 0, 1)).collect();
    let t = Instant::now();
    rt.block_on(async {
        let futs: Vec<_> = reqs.into_iter().map(|r| { let s = store.clone(); tokio::spawn(async move { s.append(r).await.unwrap() }) }).collect();
        for f in futs { f.await.unwrap(); }
    });
    let el = t.elapsed();
    println!("new streams, all in flight: {:.1} µs, {:.2} frames per append", el.as_secs_f64() * 1e6 / n as f64, frames(store.path()) as f64 / n as f64);
}
