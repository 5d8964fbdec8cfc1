//! docs/RULES.md names, for every rule R-1 … R-29 of DOMAIN.md, the items that enforce it and
//! the tests that prove it. This test keeps that file true, as `documented_json.rs` keeps
//! docs/EVENTS.md true: it fails when a rule has no section, when a section names nothing and
//! says no "Not yet" with an issue, when a named test function is not in the named file, or
//! when a named item is not defined anywhere under the named crate's `src/`.
//!
//! Items are looked up by crate and name, never by module path, so code can move between
//! modules and files freely; only a move to another crate needs RULES.md updated (the crate
//! name of each reference). The lookup is lexical (a small tokenizer, no parser): `fn name`,
//! `struct Name`, `enum Name`, `trait Name`, `type Name`, `const NAME`, `static NAME`,
//! `mod name`, `macro_rules! name` anywhere under `crates/<crate>/src`; `Type::member` as a
//! variant or field inside `enum Type` / `struct Type`, or a `fn`/`const`/`type` inside
//! `trait Type`, `mod Type` or any `impl … Type` block. Items a macro generates (the `stage!`
//! structs, say) are not visible to it: name the macro, or a hand-written item beside them.
//!
//! The format it reads is described at the top of docs/RULES.md.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const DOC: &str = include_str!("../docs/RULES.md");

/// The number of rules in DOMAIN.md.
const RULES: u32 = 29;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------

/// Where a reference appears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    EnforcedBy,
    ProvenBy,
}

/// One bullet of an "Enforced by" or "Proven by" list.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// `` `casework-core` `DomainError::PermissionMissing` ``: an item of a crate.
    Item { krate: String, item: String },
    /// `` `tests/closure.rs` `r15_every_closure_reason_closes_through_close` ``: a test.
    Test { file: String, name: String },
    /// "Not yet: … (issue 13)".
    NotYet { issues: Vec<u32> },
    /// "Known gap: … (issue 17)": enforced, with a hole an issue will close.
    KnownGap { issues: Vec<u32> },
}

#[derive(Debug, Default)]
struct Section {
    heading: String,
    status: Option<String>,
    enforced_by: Vec<(usize, Entry)>,
    proven_by: Vec<(usize, Entry)>,
}

/// The statuses a rule may have, as written in its section and in the summary table.
const STATUSES: [&str; 3] = ["enforced", "partly", "not yet"];

/// `R-12` → 12.
fn rule_number(s: &str) -> Option<u32> {
    let digits: String = s
        .strip_prefix("R-")?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The backtick spans of a line, in order.
fn spans(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// Every "issue N" in a line.
fn issues(line: &str) -> Vec<u32> {
    let lower = line.to_ascii_lowercase();
    let mut out = Vec::new();
    for (i, _) in lower.match_indices("issue ") {
        let n: String = lower[i + 6..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(n) = n.parse() {
            out.push(n);
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// A bullet's entry, or why it is not one.
fn entry(bullet: &str) -> Result<Entry, String> {
    if bullet.starts_with('`') {
        let spans = spans(bullet);
        let (Some(first), Some(second)) = (spans.first(), spans.get(1)) else {
            return Err(format!(
                "`{bullet}`: a reference is two backticked names: a crate and an item, or a test file and a test function"
            ));
        };
        return Ok(if first.ends_with(".rs") {
            Entry::Test {
                file: (*first).to_owned(),
                name: (*second).to_owned(),
            }
        } else {
            Entry::Item {
                krate: (*first).to_owned(),
                item: (*second).to_owned(),
            }
        });
    }
    let issues = issues(bullet);
    let lower = bullet.to_ascii_lowercase();
    let note = if lower.starts_with("not yet") {
        Entry::NotYet { issues }
    } else if lower.starts_with("known gap") {
        Entry::KnownGap { issues }
    } else {
        return Err(format!(
            "`{bullet}`: a bullet names an item or a test (starting with a backticked name), or starts with \"Not yet\" or \"Known gap\""
        ));
    };
    match &note {
        Entry::NotYet { issues } | Entry::KnownGap { issues } if issues.is_empty() => Err(format!(
            "`{bullet}`: say which issue will close it (\"issue N\")"
        )),
        _ => Ok(note),
    }
}

struct Parsed {
    sections: BTreeMap<u32, Section>,
    /// Rule → (status, anchor) from the summary table.
    table: BTreeMap<u32, (String, Option<String>)>,
    errors: Vec<String>,
}

/// The document's lines, numbered from 1, with a bullet's indented continuation lines joined
/// to it.
fn logical_lines(doc: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut in_bullet = false;
    for (i, line) in doc.lines().enumerate() {
        let continues = line.starts_with("  ") && !line.trim().is_empty();
        match out.last_mut() {
            Some((_, bullet)) if in_bullet && continues => {
                bullet.push(' ');
                bullet.push_str(line.trim());
            }
            _ => {
                in_bullet = line.starts_with("- ");
                out.push((i + 1, line.to_owned()));
            }
        }
    }
    out
}

fn parse(doc: &str) -> Parsed {
    let mut sections: BTreeMap<u32, Section> = BTreeMap::new();
    let mut table = BTreeMap::new();
    let mut errors = Vec::new();
    let mut current: Option<u32> = None;
    let mut list: Option<List> = None;
    for (n, line) in logical_lines(doc) {
        let line = line.as_str();
        if let Some(heading) = line.strip_prefix("## ") {
            list = None;
            current = rule_number(heading.trim());
            if let Some(rule) = current {
                if sections.contains_key(&rule) {
                    errors.push(format!("line {n}: a second section for R-{rule}"));
                }
                sections.insert(
                    rule,
                    Section {
                        heading: heading.trim().to_owned(),
                        ..Section::default()
                    },
                );
            }
            continue;
        }
        if line.starts_with("# ") {
            current = None;
            list = None;
            continue;
        }
        // The summary table: `| [R-n](#anchor) | … | status |`.
        if current.is_none() && line.starts_with('|') {
            let cells: Vec<&str> = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            let first = cells.first().copied().unwrap_or_default();
            let (label, anchor) = match first.strip_prefix('[') {
                Some(rest) => match rest.split_once("](#") {
                    Some((label, tail)) => (label, Some(tail.trim_end_matches(')').to_owned())),
                    None => (rest, None),
                },
                None => (first, None),
            };
            if let Some(rule) = rule_number(label) {
                let status = cells.last().copied().unwrap_or_default().to_lowercase();
                if table.insert(rule, (status, anchor)).is_some() {
                    errors.push(format!(
                        "line {n}: R-{rule} has a second row in the summary table"
                    ));
                }
            }
            continue;
        }
        let Some(rule) = current else { continue };
        let section = sections.get_mut(&rule).expect("the current section exists");
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("**Status:**") {
            let status = rest.trim().trim_end_matches('.').to_lowercase();
            let word = STATUSES.iter().find(|s| {
                status
                    .strip_prefix(**s)
                    .is_some_and(|rest| !rest.starts_with(char::is_alphanumeric))
            });
            match word {
                Some(w) => section.status = Some((*w).to_owned()),
                None => errors.push(format!(
                    "line {n}: R-{rule}: the status starts with one of {STATUSES:?}"
                )),
            }
            continue;
        }
        if trimmed.starts_with("**Enforced by**") {
            list = Some(List::EnforcedBy);
            continue;
        }
        if trimmed.starts_with("**Proven by**") {
            list = Some(List::ProvenBy);
            continue;
        }
        // Only bullets at the start of a line; indented lines continue the bullet above.
        let Some(bullet) = line.strip_prefix("- ") else {
            if line.trim().is_empty() || line.starts_with(' ') {
                continue;
            }
            // A paragraph ends the list.
            list = None;
            continue;
        };
        let Some(which) = list else {
            errors.push(format!(
                "line {n}: R-{rule}: a bullet outside `**Enforced by**` and `**Proven by**`"
            ));
            continue;
        };
        match entry(bullet.trim()) {
            Ok(e) => match which {
                List::EnforcedBy => section.enforced_by.push((n, e)),
                List::ProvenBy => section.proven_by.push((n, e)),
            },
            Err(e) => errors.push(format!("line {n}: R-{rule}: {e}")),
        }
    }
    Parsed {
        sections,
        table,
        errors,
    }
}

// ---------------------------------------------------------------------------------------------
// A small Rust tokenizer: enough to find definitions and match braces, skipping comments,
// strings, characters and lifetimes.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Punct(&'static str),
    Literal,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Skips a string body after its opening quote; returns the index after the closing quote.
fn skip_string(s: &[char], mut i: usize) -> usize {
    while i < s.len() {
        match s[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Skips a raw string starting at `i` (at the `#`s or the quote after `r`).
fn skip_raw_string(s: &[char], mut i: usize) -> usize {
    let mut hashes = 0;
    while i < s.len() && s[i] == '#' {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while i < s.len() {
        if s[i] == '"' && (0..hashes).all(|h| s.get(i + 1 + h) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

fn tokenize(src: &str) -> Vec<Tok> {
    const PUNCTS: [&str; 4] = ["::", "->", "=>", "!"];
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && s.get(i + 1) == Some(&'/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && s.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && s.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            i = skip_string(&s, i + 1);
            out.push(Tok::Literal);
        } else if c == '\'' {
            // A character literal ('a', '\n', '{') or a lifetime ('a, 'static).
            if s.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push(Tok::Literal);
            } else if s.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push(Tok::Literal);
            } else {
                i += 1;
                while i < s.len() && is_ident_char(s[i]) {
                    i += 1;
                }
            }
        } else if is_ident_start(c) {
            let start = i;
            while i < s.len() && is_ident_char(s[i]) {
                i += 1;
            }
            let word: String = s[start..i].iter().collect();
            let next = s.get(i).copied();
            match (word.as_str(), next) {
                ("r" | "br" | "cr", Some('#' | '"'))
                    if next == Some('"') || matches!(s.get(i + 1), Some('#' | '"')) =>
                {
                    i = skip_raw_string(&s, i);
                    out.push(Tok::Literal);
                }
                ("r", Some('#')) => {
                    // A raw identifier: r#type.
                    let start = i + 1;
                    i = start;
                    while i < s.len() && is_ident_char(s[i]) {
                        i += 1;
                    }
                    out.push(Tok::Ident(s[start..i].iter().collect()));
                }
                ("b" | "c", Some('"')) => {
                    i = skip_string(&s, i + 1);
                    out.push(Tok::Literal);
                }
                ("b", Some('\'')) => {
                    i += 1;
                    if s.get(i + 1) == Some(&'\\') {
                        i += 2;
                    } else {
                        i += 1;
                    }
                    while i < s.len() && s[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                    out.push(Tok::Literal);
                }
                _ => out.push(Tok::Ident(word)),
            }
        } else if c.is_ascii_digit() {
            while i < s.len()
                && (is_ident_char(s[i])
                    || (s[i] == '.' && s.get(i + 1).is_some_and(|d| d.is_ascii_digit())))
            {
                i += 1;
            }
            out.push(Tok::Literal);
        } else {
            let two: String = s[i..(i + 2).min(s.len())].iter().collect();
            if let Some(p) = PUNCTS.iter().find(|p| p.len() == 2 && **p == two) {
                out.push(Tok::Punct(p));
                i += 2;
            } else {
                out.push(Tok::Punct(match c {
                    '{' => "{",
                    '}' => "}",
                    '(' => "(",
                    ')' => ")",
                    '[' => "[",
                    ']' => "]",
                    '<' => "<",
                    '>' => ">",
                    ',' => ",",
                    ';' => ";",
                    ':' => ":",
                    '=' => "=",
                    '#' => "#",
                    '!' => "!",
                    _ => "other",
                }));
                i += 1;
            }
        }
    }
    out
}

fn ident(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

fn is_punct(t: Option<&Tok>, p: &str) -> bool {
    matches!(t, Some(Tok::Punct(q)) if *q == p)
}

/// The kinds of definition a reference may name.
const KINDS: [&str; 10] = [
    "fn",
    "struct",
    "enum",
    "trait",
    "type",
    "const",
    "static",
    "mod",
    "union",
    "macro_rules",
];

/// Every definition in `toks`: (kind, name, index of the name).
fn definitions(toks: &[Tok]) -> Vec<(&'static str, &str, usize)> {
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let Tok::Ident(word) = t else { continue };
        let Some(kind) = KINDS.iter().find(|k| *k == word) else {
            continue;
        };
        let mut j = i + 1;
        if *kind == "macro_rules" {
            if !is_punct(toks.get(j), "!") {
                continue;
            }
            j += 1;
        }
        if *kind == "static" && ident(toks.get(j)) == Some("mut") {
            j += 1;
        }
        let Some(name) = ident(toks.get(j)) else {
            continue;
        };
        // `const fn`, `const unsafe fn`: the `fn` is the definition.
        if *kind == "const" && matches!(name, "fn" | "unsafe" | "async" | "extern") {
            continue;
        }
        // `union` is only a keyword before a name and a body.
        if *kind == "union" && !is_punct(toks.get(j + 1), "{") && !is_punct(toks.get(j + 1), "<") {
            continue;
        }
        out.push((*kind, name, j));
    }
    out
}

/// The index of the bracket closing the one opened at `open`.
fn closing(toks: &[Tok], open: usize) -> usize {
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Punct("{" | "(" | "[") => depth += 1,
            Tok::Punct("}" | ")" | "]") => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// The body `{ … }` that follows index `from` before any `;`, as (open, close).
fn body_after(toks: &[Tok], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    let mut angle = 0i32;
    while i < toks.len() {
        match &toks[i] {
            Tok::Punct("<") => angle += 1,
            Tok::Punct(">") => angle -= 1,
            Tok::Punct("(") | Tok::Punct("[") => i = closing(toks, i),
            Tok::Punct(";") if angle <= 0 => return None,
            Tok::Punct("{") => return Some((i, closing(toks, i))),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The members directly inside a body: definitions at depth one and, for enums and structs,
/// variant and field names.
fn members(toks: &[Tok], open: usize, close: usize, fields: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut depth = 0i32;
    let mut i = open;
    while i <= close.min(toks.len().saturating_sub(1)) {
        let t = &toks[i];
        match t {
            Tok::Punct("{" | "(" | "[") => depth += 1,
            Tok::Punct("}" | ")" | "]") => depth -= 1,
            Tok::Ident(word) if depth == 1 => {
                if KINDS.contains(&word.as_str()) {
                    let defs = definitions(&toks[i..(i + 4).min(toks.len())]);
                    if let Some((_, name, 1 | 2)) = defs.first() {
                        out.insert((*name).to_owned());
                    }
                } else if fields {
                    let before = toks.get(i - 1);
                    let after = toks.get(i + 1);
                    let starts = is_punct(before, "{")
                        || is_punct(before, ",")
                        || is_punct(before, "]")
                        || is_punct(before, ")")
                        || ident(before) == Some("pub");
                    let shaped = ["{", "(", ",", "}", "=", ":"]
                        .iter()
                        .any(|p| is_punct(after, p));
                    if starts && shaped {
                        out.insert(word.clone());
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The self type's identifiers of the `impl` at `at`, and its body.
fn impl_block(toks: &[Tok], at: usize) -> Option<(Vec<String>, (usize, usize))> {
    let (open, close) = body_after(toks, at + 1)?;
    let mut header = &toks[at + 1..open];
    if let Some(w) = header.iter().position(|t| ident(Some(t)) == Some("where")) {
        header = &header[..w];
    }
    // Skip the impl's own generics.
    if is_punct(header.first(), "<") {
        let mut angle = 0;
        let mut end = 0;
        for (i, t) in header.iter().enumerate() {
            match t {
                Tok::Punct("<") => angle += 1,
                Tok::Punct(">") => {
                    angle -= 1;
                    if angle == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        header = &header[end..];
    }
    let mut angle = 0;
    let mut self_type = header;
    for (i, t) in header.iter().enumerate() {
        match t {
            Tok::Punct("<") => angle += 1,
            Tok::Punct(">") => angle -= 1,
            Tok::Ident(w) if w == "for" && angle == 0 => self_type = &header[i + 1..],
            _ => {}
        }
    }
    let names = self_type
        .iter()
        .filter_map(|t| ident(Some(t)).map(str::to_owned))
        .collect();
    Some((names, (open, close)))
}

/// The tokens of each `.rs` file of a crate, by path.
type Sources = Vec<(PathBuf, Vec<Tok>)>;

/// The tokens of every `.rs` file under `dir`, by path.
fn sources(dir: &Path) -> Sources {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if let Ok(text) = fs::read_to_string(&path) {
                    out.push((path, tokenize(&text)));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Whether `item` (`name`, `kind name`, `Type::member`) is defined in `files`.
fn defined(files: &[(PathBuf, Vec<Tok>)], item: &str) -> Result<bool, String> {
    let item = item.trim().trim_end_matches("()").trim_end_matches('!');
    let (kind, path) = match item.split_once(' ') {
        Some((k, rest)) => {
            let k = k.trim_end_matches('!');
            if !KINDS.contains(&k) {
                return Err(format!("`{item}`: `{k}` is not a kind of item ({KINDS:?})"));
            }
            (Some(k), rest.trim())
        }
        None => (None, item),
    };
    let segments: Vec<&str> = path.split("::").collect();
    let valid = |s: &str| !s.is_empty() && s.chars().all(is_ident_char);
    if !segments.iter().all(|s| valid(s)) {
        return Err(format!(
            "`{item}`: not a name, `kind name` or `Type::member`"
        ));
    }
    match segments.as_slice() {
        [name] => Ok(files.iter().any(|(_, toks)| {
            definitions(toks)
                .iter()
                .any(|(k, n, _)| n == name && kind.is_none_or(|want| want == *k))
        })),
        [container, member] => Ok(files.iter().any(|(_, toks)| {
            let mut found = false;
            for (k, n, at) in definitions(toks) {
                if n != *container || !matches!(k, "enum" | "struct" | "union" | "trait" | "mod") {
                    continue;
                }
                if let Some((open, close)) = body_after(toks, at + 1) {
                    let fields = matches!(k, "enum" | "struct" | "union");
                    found |= members(toks, open, close, fields).contains(*member);
                }
            }
            for (i, t) in toks.iter().enumerate() {
                if found {
                    break;
                }
                // An `impl` item, not `impl Trait` in a type.
                let item_position = i == 0
                    || matches!(toks.get(i - 1), Some(Tok::Punct("}" | ";" | "{" | "]")))
                    || matches!(ident(toks.get(i - 1)), Some("unsafe" | "default"));
                if ident(Some(t)) != Some("impl") || !item_position {
                    continue;
                }
                if let Some((names, (open, close))) = impl_block(toks, i) {
                    if names.iter().any(|n| n == container) {
                        found |= members(toks, open, close, false).contains(*member);
                    }
                }
            }
            found
        })),
        _ => Err(format!(
            "`{item}`: name an item as `name` or `Type::member`, not a module path (paths change when files move)"
        )),
    }
}

/// Whether the test file's tokens define `name`: `fn name`, or a test-generating macro called
/// with `name` first (`on_every_store!(name, …)`).
fn test_defined(toks: &[Tok], name: &str) -> bool {
    toks.windows(2)
        .any(|w| ident(Some(&w[0])) == Some("fn") && ident(Some(&w[1])) == Some(name))
        || toks.windows(4).any(|w| {
            is_punct(Some(&w[0]), "!")
                && (is_punct(Some(&w[1]), "(") || is_punct(Some(&w[1]), "{"))
                && ident(Some(&w[2])) == Some(name)
                && (is_punct(Some(&w[3]), ",") || is_punct(Some(&w[3]), ")"))
        })
}

/// The source directory of a crate named in RULES.md.
fn crate_src(root: &Path, krate: &str) -> Option<PathBuf> {
    if krate == "casework" {
        return Some(root.join("src"));
    }
    let dir = root.join("crates").join(krate).join("src");
    dir.is_dir().then_some(dir)
}

/// The other crates of the workspace that define `item`, for a hint when it moved.
fn other_crates_defining(root: &Path, krate: &str, item: &str) -> Vec<String> {
    let Ok(entries) = fs::read_dir(root.join("crates")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .chain(["casework".to_owned()])
        .filter(|name| name != krate)
        .collect();
    names.sort();
    names
        .into_iter()
        .filter(|name| {
            crate_src(root, name).is_some_and(|dir| defined(&sources(&dir), item) == Ok(true))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------------

/// What is wrong with `doc` against the tree at `root`; empty when nothing is.
fn check(doc: &str, root: &Path) -> Vec<String> {
    let Parsed {
        sections,
        table,
        mut errors,
    } = parse(doc);
    let mut crates: BTreeMap<String, Option<Sources>> = BTreeMap::new();
    let mut tests: BTreeMap<String, Option<Vec<Tok>>> = BTreeMap::new();

    for rule in 1..=RULES {
        let Some(section) = sections.get(&rule) else {
            errors.push(format!("R-{rule} has no section (`## R-{rule} …`)"));
            continue;
        };
        let status = match &section.status {
            Some(s) => s.as_str(),
            None => {
                errors.push(format!("R-{rule}: no `**Status:**` line"));
                ""
            }
        };
        match table.get(&rule) {
            None => errors.push(format!("R-{rule} has no row in the summary table")),
            Some((row_status, anchor)) => {
                if !status.is_empty() && row_status != status {
                    errors.push(format!(
                        "R-{rule}: the summary table says `{row_status}`, the section `{status}`"
                    ));
                }
                if let Some(anchor) = anchor {
                    if *anchor != slug(&section.heading) {
                        errors.push(format!(
                            "R-{rule}: the summary table links `#{anchor}`, the heading's anchor is `#{}`",
                            slug(&section.heading)
                        ));
                    }
                }
            }
        }
        for (list, entries) in [
            ("Enforced by", &section.enforced_by),
            ("Proven by", &section.proven_by),
        ] {
            let named = entries
                .iter()
                .any(|(_, e)| matches!(e, Entry::Item { .. } | Entry::Test { .. }));
            let not_yet = entries
                .iter()
                .any(|(_, e)| matches!(e, Entry::NotYet { .. }));
            if !named && !not_yet {
                errors.push(format!(
                    "R-{rule}: `**{list}**` names nothing and says no \"Not yet … (issue N)\""
                ));
            }
            if status == "enforced" && not_yet {
                errors.push(format!(
                    "R-{rule}: the status is `enforced` but `**{list}**` says \"Not yet\"; make it `partly`"
                ));
            }
        }
        let any_not_yet = section
            .enforced_by
            .iter()
            .chain(&section.proven_by)
            .any(|(_, e)| matches!(e, Entry::NotYet { .. }));
        if matches!(status, "partly" | "not yet") && !any_not_yet {
            errors.push(format!(
                "R-{rule}: the status is `{status}`: say what is not yet there and which issue will do it"
            ));
        }

        for (line, e) in section.enforced_by.iter().chain(&section.proven_by) {
            match e {
                Entry::Item { krate, item } => {
                    let files = crates
                        .entry(krate.clone())
                        .or_insert_with(|| crate_src(root, krate).map(|d| sources(&d)));
                    let Some(files) = files else {
                        errors.push(format!(
                            "line {line}: R-{rule}: `{krate}` is not a crate of this workspace (no crates/{krate}/src)"
                        ));
                        continue;
                    };
                    match defined(files, item) {
                        Ok(true) => {}
                        Ok(false) => {
                            let elsewhere = other_crates_defining(root, krate, item);
                            let hint = if elsewhere.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    " (it is in `{}`: change the crate name)",
                                    elsewhere.join("`, `")
                                )
                            };
                            errors.push(format!(
                                "line {line}: R-{rule}: `{item}` is not defined anywhere under crates/{krate}/src{hint}"
                            ));
                        }
                        Err(e) => errors.push(format!("line {line}: R-{rule}: {e}")),
                    }
                }
                Entry::Test { file, name } => {
                    let toks = tests.entry(file.clone()).or_insert_with(|| {
                        fs::read_to_string(root.join(file))
                            .ok()
                            .map(|t| tokenize(&t))
                    });
                    match toks {
                        None => errors.push(format!(
                            "line {line}: R-{rule}: test file `{file}` does not exist"
                        )),
                        Some(toks) if !test_defined(toks, name) => errors.push(format!(
                            "line {line}: R-{rule}: `{file}` has no test `{name}`"
                        )),
                        Some(_) => {}
                    }
                }
                Entry::NotYet { .. } | Entry::KnownGap { .. } => {}
            }
        }
    }
    for rule in sections.keys().chain(table.keys()) {
        if !(1..=RULES).contains(rule) {
            errors.push(format!(
                "R-{rule} is not a rule of DOMAIN.md (R-1 … R-{RULES})"
            ));
        }
    }
    // Any file path the prose mentions exists too.
    for (i, line) in doc.lines().enumerate() {
        for span in spans(line) {
            if span.contains('/')
                && span.ends_with(".rs")
                && !span.contains(' ')
                && !root.join(span).is_file()
            {
                errors.push(format!("line {}: `{span}` does not exist", i + 1));
            }
        }
    }
    // So does every relative link that stays inside the repository (DOMAIN.md lives beside it).
    for (i, line) in doc.lines().enumerate() {
        for (at, _) in line.match_indices("](") {
            let target = &line[at + 2..];
            let target = &target[..target.find(')').unwrap_or(target.len())];
            let path = target.split('#').next().unwrap_or_default();
            if path.is_empty() || path.contains("://") || path.starts_with("../../") {
                continue;
            }
            if !root.join("docs").join(path).exists() {
                errors.push(format!("line {}: the link `{target}` leads nowhere", i + 1));
            }
        }
    }
    errors.sort();
    errors.dedup();
    errors
}

#[test]
fn every_rule_is_documented_and_every_named_item_and_test_exists() {
    let errors = check(DOC, &root());
    assert!(
        errors.is_empty(),
        "docs/RULES.md is out of date ({} problems):\n  {}",
        errors.len(),
        errors.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// The checker itself: it must be able to fail.
// ---------------------------------------------------------------------------------------------

/// A document that is right for R-1 and leaves out everything else.
fn one_rule(enforced: &str, proven: &str) -> String {
    format!(
        "# Rules\n\n| Rule | In short | Status |\n|---|---|---|\n| [R-1](#r-1-permission) | permission | enforced |\n\n## R-1 Permission\n\nA rule.\n\n**Status:** enforced.\n\n**Enforced by**\n- {enforced}\n\n**Proven by**\n- {proven}\n"
    )
}

fn problems_for_r1(doc: &str) -> Vec<String> {
    check(doc, &root())
        .into_iter()
        .filter(|e| e.contains("R-1:") || e.contains("R-1 "))
        .filter(|e| !e.contains("R-1 has no"))
        .collect()
}

#[test]
fn the_checker_accepts_real_names() {
    let doc = one_rule(
        "`casework-core` `DomainError::PermissionMissing` — the refusal",
        "`tests/referral_rules.rs` `r1_professional_referral_without_permission_is_refused`",
    );
    assert_eq!(problems_for_r1(&doc), Vec::<String>::new());
    // Every kind of reference the document uses.
    let files = sources(&root().join("crates/casework-core/src"));
    for item in [
        "fn permits",
        "permits",
        "enum DomainError",
        "DomainError::Ineligible",
        "Rule::R1",
        "HasWorker::close",
        "Assessed::accept_for_support",
        "RecordedEvent::position",
        "EventAppend::rewrite",
        "struct Confidential",
        "const RETURN_INTERVIEW_HOURS",
    ] {
        assert_eq!(defined(&files, item), Ok(true), "{item}");
    }
    let toks = tokenize(&fs::read_to_string(root().join("tests/disclosure.rs")).unwrap());
    assert!(test_defined(
        &toks,
        "r9_an_override_is_recorded_and_reported"
    ));
    assert!(test_defined(
        &toks,
        "r8_sharing_with_a_partner_needs_consent_in_its_name"
    ));
}

#[test]
fn the_checker_fails_on_a_broken_name() {
    // An item that does not exist.
    let doc = one_rule(
        "`casework-core` `DomainError::PermissionMisspelt`",
        "`tests/referral_rules.rs` `r1_professional_referral_without_permission_is_refused`",
    );
    let problems = problems_for_r1(&doc);
    assert!(
        problems.iter().any(|p| p.contains("PermissionMisspelt")),
        "{problems:?}"
    );
    // A variant asked of the wrong container, a test not in its file, a crate that is not one.
    for (enforced, proven, wanted) in [
        (
            "`casework-core` `Rule::PermissionMissing`",
            "`tests/referral_rules.rs` `r1_a_self_referral_is_consent`",
            "Rule::PermissionMissing",
        ),
        (
            "`casework-core` `fn permits`",
            "`tests/closure.rs` `r1_a_self_referral_is_consent`",
            "r1_a_self_referral_is_consent",
        ),
        (
            "`casework-core` `fn permits`",
            "`tests/no_such_file.rs` `r1_a_self_referral_is_consent`",
            "no_such_file",
        ),
        (
            "`casework-nowhere` `fn permits`",
            "`tests/referral_rules.rs` `r1_a_self_referral_is_consent`",
            "casework-nowhere",
        ),
        (
            "`casework-core` `struct permits`",
            "`tests/referral_rules.rs` `r1_a_self_referral_is_consent`",
            "struct permits",
        ),
        (
            "`casework-core` `case::stages::needs_approval`",
            "`tests/referral_rules.rs` `r1_a_self_referral_is_consent`",
            "module path",
        ),
        (
            "the permission table",
            "`tests/referral_rules.rs` `r1_a_self_referral_is_consent`",
            "backticked",
        ),
    ] {
        let problems = problems_for_r1(&one_rule(enforced, proven));
        assert!(
            problems.iter().any(|p| p.contains(wanted)),
            "expected a problem naming {wanted}, got {problems:?}"
        );
    }
    // An item named under the wrong crate says where it is.
    let problems = problems_for_r1(&one_rule(
        "`casework-testkit` `DomainError::PermissionMissing`",
        "`tests/referral_rules.rs` `r1_a_self_referral_is_consent`",
    ));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("it is in `casework-core`")),
        "{problems:?}"
    );
    // A missing section.
    let errors = check(
        &one_rule(
            "`casework-core` `fn permits`",
            "`tests/referral_rules.rs` `r1_a_self_referral_is_consent`",
        ),
        &root(),
    );
    assert!(
        errors
            .iter()
            .any(|e| e == "R-2 has no section (`## R-2 …`)"),
        "{errors:?}"
    );
    // A rule neither enforced nor marked "Not yet", and a status the table contradicts.
    let doc = one_rule(
        "Not yet",
        "`tests/referral_rules.rs` `r1_a_self_referral_is_consent`",
    );
    assert!(problems_for_r1(&doc).iter().any(|p| p.contains("issue N")));
    let doc = one_rule(
        "`casework-core` `fn permits`",
        "`tests/referral_rules.rs` `r1_a_self_referral_is_consent`",
    )
    .replace("| enforced |", "| partly |");
    assert!(problems_for_r1(&doc)
        .iter()
        .any(|p| p.contains("summary table says")));
}

#[test]
fn the_tokenizer_skips_strings_comments_and_characters() {
    let toks = tokenize(
        r##"
        // fn in_a_comment() {}
        /* fn in_a /* nested */ block() {} */
        const S: &str = "fn in_a_string() { {";
        const R: &str = r#"fn in_a_raw_string() "{"#;
        const C: char = '{';
        fn real<'a>(x: &'a str) -> &'a str { x }
        enum E { A { x: u8 }, B(u8), #[doc = "}"] C = 3, D }
        "##,
    );
    let defs: Vec<_> = definitions(&toks)
        .iter()
        .map(|(k, n, _)| format!("{k} {n}"))
        .collect();
    assert_eq!(defs, ["const S", "const R", "const C", "fn real", "enum E"]);
    let files = vec![(PathBuf::from("x.rs"), toks)];
    for variant in ["E::A", "E::B", "E::C", "E::D"] {
        assert_eq!(defined(&files, variant), Ok(true), "{variant}");
    }
    assert_eq!(
        defined(&files, "E::x"),
        Ok(false),
        "a field of a variant is not a variant"
    );
}
