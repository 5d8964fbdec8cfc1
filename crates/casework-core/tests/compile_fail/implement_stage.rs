//! The set of stages is closed: `Stage` is sealed, so no crate can add a stage of its own that
//! escapes the lifecycle (and, say, discharges owed actions without the case's rules).
#![allow(unused_imports)] // the traits are in scope on purpose: the method is missing, not hidden
use casework_core::case::{Case, CaseFile, Stage, StageName};

struct Limbo(CaseFile);

impl Stage for Limbo {
    const NAME: StageName = StageName::Active;
    fn file(&self) -> &CaseFile {
        &self.0
    }
    fn into_case(self) -> Case {
        unimplemented!()
    }
    fn into_file(self) -> CaseFile {
        self.0
    }
    fn with_file(self, file: CaseFile) -> Self {
        Limbo(file)
    }
    fn file_mut(&mut self) -> &mut CaseFile {
        &mut self.0
    }
}

fn main() {}
