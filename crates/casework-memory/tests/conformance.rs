//! The store conformance suite on the in-memory store: every check in
//! `casework_testkit::conformance`, each on a fresh store.

use casework_memory::MemoryStore;

casework_testkit::conformance_tests!(async { MemoryStore::new() });
