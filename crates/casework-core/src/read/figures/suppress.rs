//! Small-number suppression for figures that leave the service (R-29).
//!
//! A count of young people under the threshold `t` (default 5) could point at someone, so a
//! published table never shows one, and never lets one be worked out from what it does show.
//!
//! **The method: primary and secondary (complementary) cell suppression.**
//!
//! 1. *Primary.* Every count from 1 to `t − 1`, in a cell or a total, is shown as `<t`
//!    ([`Shown::Under`]). Zero is shown: "nobody" points at no one.
//! 2. *Secondary.* A reader who knows the method knows that a `<5` is 1, 2, 3 or 4, and that a
//!    withheld count (`*`, [`Shown::Withheld`]) is 5 or more; with the totals, which are sums of
//!    the cells, that can pin a `<5` down (a row of `<5`, 7, 9 with total 18 says the `<5` is
//!    2). So after the primary step every hidden count is audited: it is *recoverable* when no
//!    other value in its range is consistent with everything published (cells, row, column and
//!    grand totals, and the ranges the markers give). While one is, one more count is withheld:
//!    the smallest shown count of 5 or more in a line through it (its row or column) first, then
//!    in a line through another hidden cell, then the smallest such row or column total (of a
//!    line through it first), and only then the grand total or anything else. The choice is
//!    greedy: safe, not the fewest counts hidden.
//! 3. *Last resort.* Small counts hemmed in by other small counts can stay recoverable with
//!    every count of 5 or more withheld, because the markers themselves say something: in
//!    `[[3, 2], [1, 1], [0, 1]]`, the `<5` column totals and the `*` first row pin the 3. Then
//!    hidden counts are *not published* at all ([`Shown::Unpublished`], shown as `[c]`: any
//!    count, zero included), totals of the lines through the exposed count first, then other
//!    totals, then cells. Each step hides one more count or says less of one, so it ends, and
//!    with everything unpublished nothing can be recovered (the property tests in
//!    `tests/reports.rs` check, with a brute-force search of their own, that random tables
//!    never end recoverable).
//! 4. *Shared totals.* Tables that split the same people in different ways (referrals by
//!    source, by outcome, by gender, …) share one grand total. When one table had to withhold
//!    it (or leave it unpublished), every table of the group is protected again with it hidden
//!    the same way, so no table gives away what another hides.
//!
//! The audit is exact. The published values are linear constraints of a transportation
//! problem (cells `x[i][j] ≥ 0`, `Σ_j x[i][j] = row i`, `Σ_i x[i][j] = column j`, both summing
//! to the grand total), with each entry fixed (shown) or in its marker's range. Whether a
//! hidden entry can take another value is whether that system stays feasible with the entry
//! fixed one above or one below its true value: a circulation with lower bounds, decided by a
//! maximum flow. Its constraint matrix is totally unimodular, so the feasible values of each
//! entry form an interval of integers, and a neighbour is feasible exactly when any other value
//! is.
//!
//! Why one module of this size: the published markers, the method and the exact audit it is
//! checked against change together; a marker's meaning is the range the audit gives it.
//!
//! What it does not protect against: a reader who combines this report with another one
//! computed over an overlapping period or population (differencing two quarters, say). Publish
//! periods that do not overlap, or check the combination yourself.

use super::{Breakdown, CrossTable};
use crate::kernel::input::InputError;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A count as a published report shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shown {
    /// The count itself: zero, or at least the threshold, or not about people at all.
    Count(u32),
    /// A count from 1 to the threshold minus one, hidden: shown as `<5` for a threshold of 5.
    Under(u32),
    /// A count of at least the threshold, withheld so that a hidden small count cannot be
    /// worked out from the totals: shown as `*`.
    Withheld,
    /// Any count, zero included, not published because even its marker would let a hidden
    /// count be worked out (see the module docs): shown as `[c]`.
    Unpublished,
}

/// How [`Shown::Unpublished`] is written.
const UNPUBLISHED: &str = "[c]";

impl Shown {
    /// The count, when it is shown.
    #[must_use]
    pub fn count(&self) -> Option<u32> {
        match self {
            Shown::Count(n) => Some(*n),
            Shown::Under(_) | Shown::Withheld | Shown::Unpublished => None,
        }
    }

    /// Whether it is hidden (`<5`, `*` or `[c]`).
    #[must_use]
    pub fn is_hidden(&self) -> bool {
        !matches!(self, Shown::Count(_))
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Count(n) => write!(f, "{n}"),
            Shown::Under(t) => write!(f, "<{t}"),
            Shown::Withheld => f.write_str("*"),
            Shown::Unpublished => f.write_str(UNPUBLISHED),
        }
    }
}

/// A shown count is a JSON number; a hidden one the string it is shown as (`"<5"`, `"*"`,
/// `"[c]"`).
impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Count(n) => serializer.serialize_u32(*n),
            hidden => serializer.collect_str(hidden),
        }
    }
}

impl<'de> Deserialize<'de> for Shown {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ShownVisitor;
        impl Visitor<'_> for ShownVisitor {
            type Value = Shown;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a count, \"<n\", \"*\" or \"[c]\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Shown, E> {
                u32::try_from(v)
                    .map(Shown::Count)
                    .map_err(|_| E::custom("a count too large"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Shown, E> {
                match v {
                    "*" => return Ok(Shown::Withheld),
                    UNPUBLISHED => return Ok(Shown::Unpublished),
                    _ => {}
                }
                v.strip_prefix('<')
                    .and_then(|t| t.parse().ok())
                    .map(Shown::Under)
                    .ok_or_else(|| {
                        E::custom(format!(
                            "{} is not \"<n\", \"*\" or \"[c]\"",
                            crate::kernel::input::quoted(v)
                        ))
                    })
            }
        }
        deserializer.deserialize_any(ShownVisitor)
    }
}

/// As serialized: a shown count is a number, a hidden one `"<n"`, `"*"` or `"[c]"`.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Shown {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Shown".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A count as a published report shows it: the count, `\"<n\"` for a count under the threshold `n`,, `\"*\"` for one withheld, or `\"[c]\"` for any count not published.",
            "oneOf": [
                { "type": "integer", "minimum": 0, "maximum": u32::MAX },
                { "type": "string", "pattern": "^(<\\+?[0-9]+|\\*|\\[c\\])$" }
            ]
        })
    }
}

/// How figures leaving the service are protected: counts under the threshold are hidden, and
/// more are withheld so none of them can be recovered by subtraction (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Suppression {
    threshold: u32,
}

impl Default for Suppression {
    fn default() -> Self {
        Suppression {
            threshold: Self::DEFAULT_THRESHOLD,
        }
    }
}

impl Suppression {
    /// Counts under 5 are hidden unless configured otherwise.
    pub const DEFAULT_THRESHOLD: u32 = 5;

    /// Hides counts from 1 to `threshold − 1`. The threshold is at least 3: with 2, a hidden
    /// count could only be 1, so hiding it would hide nothing.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `threshold` when it is less than 3.
    pub fn new(threshold: u32) -> Result<Self, InputError> {
        if threshold < 3 {
            return Err(InputError::new(
                "threshold",
                format!("{threshold} is too small: a hidden count must have at least two possible values, so the threshold is at least 3"),
            ));
        }
        Ok(Suppression { threshold })
    }

    /// The threshold: counts under it are hidden.
    #[must_use]
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// One count standing alone (no total it is part of): hidden when from 1 to the threshold
    /// minus one.
    #[must_use]
    pub fn count(&self, n: u32) -> Shown {
        if (1..self.threshold).contains(&n) {
            Shown::Under(self.threshold)
        } else {
            Shown::Count(n)
        }
    }

    /// A breakdown as published.
    #[must_use]
    pub fn breakdown(&self, breakdown: &Breakdown) -> Breakdown<Shown> {
        let marks = protect(&Grid::of_breakdown(breakdown), self.threshold, Mark::Exact);
        breakdown_shown(breakdown, &marks, self.threshold)
    }

    /// A table as published.
    #[must_use]
    pub fn cross_table(&self, table: &CrossTable) -> CrossTable<Shown> {
        let marks = protect(&Grid::of_table(table), self.threshold, Mark::Exact);
        table_shown(table, &marks, self.threshold)
    }

    /// Breakdowns and tables of the same people, sharing one grand total, as published: when
    /// one of them has to withhold the total, all of them do (see the module docs).
    #[must_use]
    pub fn group(
        &self,
        breakdowns: &[&Breakdown],
        tables: &[&CrossTable],
    ) -> (Vec<Breakdown<Shown>>, Vec<CrossTable<Shown>>) {
        let grids: Vec<Grid> = breakdowns
            .iter()
            .map(|b| Grid::of_breakdown(b))
            .chain(tables.iter().map(|t| Grid::of_table(t)))
            .collect();
        debug_assert!(
            grids.windows(2).all(|w| w[0].grand == w[1].grand),
            "a group shares its grand total"
        );
        // Protect again while one table hides the shared total more than another; the mark
        // only grows, so this ends.
        let mut grand = Mark::Exact;
        let marks = loop {
            let marks: Vec<Marks> = grids
                .iter()
                .map(|g| protect(g, self.threshold, grand))
                .collect();
            let strongest = marks
                .iter()
                .map(|m| m.grand)
                .max_by_key(|m| m.strength())
                .unwrap_or(Mark::Exact);
            if marks.iter().any(|m| m.grand != strongest) {
                grand = strongest;
                continue;
            }
            break marks;
        };
        let (first, rest) = marks.split_at(breakdowns.len());
        (
            breakdowns
                .iter()
                .zip(first)
                .map(|(b, m)| breakdown_shown(b, m, self.threshold))
                .collect(),
            tables
                .iter()
                .zip(rest)
                .map(|(t, m)| table_shown(t, m, self.threshold))
                .collect(),
        )
    }
}

fn breakdown_shown(breakdown: &Breakdown, marks: &Marks, t: u32) -> Breakdown<Shown> {
    Breakdown {
        categories: breakdown
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| super::Category {
                key: c.key.clone(),
                label: c.label.clone(),
                count: marks.cells[i][0].shown(c.count, t),
            })
            .collect(),
        total: marks.grand.shown(breakdown.total, t),
    }
}

fn table_shown(table: &CrossTable, marks: &Marks, t: u32) -> CrossTable<Shown> {
    let cells: Vec<Vec<Shown>> = table
        .cells
        .iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .map(|(j, n)| marks.cells[i][j].shown(*n, t))
                .collect()
        })
        .collect();
    let (r, c) = (table.rows.len(), table.columns.len());
    let total = marks.grand.shown(table.total, t);
    // A line of one cell has no total of its own: its total is that cell (one row's column
    // totals are its cells), or, the other way round, the grand total.
    let row_totals = (0..r)
        .map(|i| match c {
            1 => cells[i][0],
            _ if r == 1 => total,
            _ => marks.rows[i].shown(table.row_totals[i], t),
        })
        .collect();
    let column_totals = (0..c)
        .map(|j| match r {
            1 => cells[0][j],
            _ if c == 1 => total,
            _ => marks.cols[j].shown(table.column_totals[j], t),
        })
        .collect();
    CrossTable {
        rows: table.rows.clone(),
        columns: table.columns.clone(),
        cells,
        row_totals,
        column_totals,
        total,
    }
}

// ---------------------------------------------------------------------------------------------
// The audit and the repair.

/// How one count is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Exact,
    Under,
    Withheld,
    Unpublished,
}

impl Mark {
    fn shown(self, n: u32, t: u32) -> Shown {
        match self {
            Mark::Exact => Shown::Count(n),
            Mark::Under => Shown::Under(t),
            Mark::Withheld => Shown::Withheld,
            Mark::Unpublished => Shown::Unpublished,
        }
    }

    /// How much it hides: a shared total is hidden in every table as much as in the one that
    /// hides it most.
    fn strength(self) -> u8 {
        match self {
            Mark::Exact => 0,
            Mark::Under => 1,
            Mark::Withheld => 2,
            Mark::Unpublished => 3,
        }
    }
}

/// A table's counts: cells, and the totals a reader sees. A line of one cell has no total of
/// its own, so row totals exist only with two columns or more and two rows or more, and so do
/// column totals; the grand total always does.
struct Grid {
    cells: Vec<Vec<u32>>,
    rows: Vec<u32>,
    cols: Vec<u32>,
    grand: u32,
}

impl Grid {
    fn new(cells: Vec<Vec<u32>>, width: usize) -> Self {
        let rows: Vec<u32> = cells.iter().map(|r| r.iter().sum()).collect();
        let cols: Vec<u32> = (0..width)
            .map(|j| cells.iter().map(|r| r[j]).sum())
            .collect();
        let grand = rows.iter().sum();
        Grid {
            cells,
            rows,
            cols,
            grand,
        }
    }

    fn of_breakdown(b: &Breakdown) -> Self {
        Grid::new(b.categories.iter().map(|c| vec![c.count]).collect(), 1)
    }

    fn of_table(t: &CrossTable) -> Self {
        Grid::new(t.cells.clone(), t.columns.len())
    }

    fn height(&self) -> usize {
        self.cells.len()
    }

    fn width(&self) -> usize {
        self.cols.len()
    }

    fn has_line_totals(&self) -> bool {
        self.height() >= 2 && self.width() >= 2
    }

    fn value(&self, e: Entry) -> u32 {
        match e {
            Entry::Cell(i, j) => self.cells[i][j],
            Entry::Row(i) => self.rows[i],
            Entry::Col(j) => self.cols[j],
            Entry::Grand => self.grand,
        }
    }

    /// Every count a reader sees, cells first.
    fn entries(&self) -> Vec<Entry> {
        let mut out: Vec<Entry> = (0..self.height())
            .flat_map(|i| (0..self.width()).map(move |j| Entry::Cell(i, j)))
            .collect();
        if self.has_line_totals() {
            out.extend((0..self.height()).map(Entry::Row));
            out.extend((0..self.width()).map(Entry::Col));
        }
        out.push(Entry::Grand);
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Cell(usize, usize),
    Row(usize),
    Col(usize),
    Grand,
}

struct Marks {
    cells: Vec<Vec<Mark>>,
    rows: Vec<Mark>,
    cols: Vec<Mark>,
    grand: Mark,
}

impl Marks {
    fn get(&self, e: Entry) -> Mark {
        match e {
            Entry::Cell(i, j) => self.cells[i][j],
            Entry::Row(i) => self.rows[i],
            Entry::Col(j) => self.cols[j],
            Entry::Grand => self.grand,
        }
    }

    fn set(&mut self, e: Entry, mark: Mark) {
        match e {
            Entry::Cell(i, j) => self.cells[i][j] = mark,
            Entry::Row(i) => self.rows[i] = mark,
            Entry::Col(j) => self.cols[j] = mark,
            Entry::Grand => self.grand = mark,
        }
    }
}

/// Larger than any count: the top of a withheld count's range.
const UNBOUNDED: i64 = 1 << 40;

/// Primary suppression, then secondary, then the last resort, until every hidden count is
/// unrecoverable; the grand total is hidden from the start at least as much as `grand` (a
/// group's shared total).
fn protect(grid: &Grid, t: u32, grand: Mark) -> Marks {
    let primary = |n: u32| {
        if (1..t).contains(&n) {
            Mark::Under
        } else {
            Mark::Exact
        }
    };
    let mut marks = Marks {
        cells: grid
            .cells
            .iter()
            .map(|r| r.iter().map(|n| primary(*n)).collect())
            .collect(),
        rows: grid.rows.iter().map(|n| primary(*n)).collect(),
        cols: grid.cols.iter().map(|n| primary(*n)).collect(),
        grand: primary(grid.grand),
    };
    let can_withhold = grand != Mark::Withheld || grid.grand >= t;
    if grand.strength() > marks.grand.strength() && can_withhold {
        marks.grand = grand;
    }
    let entries = grid.entries();
    while let Some(exposed) = entries
        .iter()
        .copied()
        .find(|e| marks.get(*e) != Mark::Exact && recoverable(grid, &marks, t, *e))
    {
        if let Some(next) = next_to_withhold(grid, &marks, t, exposed, &entries) {
            marks.set(next, Mark::Withheld);
        } else if let Some(next) = next_to_unpublish(&marks, exposed, &entries) {
            marks.set(next, Mark::Unpublished);
        } else {
            break; // nothing is published: unreachable, as then nothing is recoverable
        }
    }
    marks
}

/// The last resort (see the module docs): the count to leave unpublished next to protect
/// `exposed`, once every count of at least the threshold is withheld. Totals of the lines
/// through it first, then other totals, then cells in its lines, then anything; hidden counts
/// before shown zeros, which say more when they go.
fn next_to_unpublish(marks: &Marks, exposed: Entry, entries: &[Entry]) -> Option<Entry> {
    let through = |e: Entry| match (exposed, e) {
        (Entry::Cell(i, _), Entry::Row(r)) | (Entry::Row(r), Entry::Cell(i, _)) => r == i,
        (Entry::Cell(_, j), Entry::Col(c)) | (Entry::Col(c), Entry::Cell(_, j)) => c == j,
        (Entry::Cell(i, j), Entry::Cell(r, c)) => (r == i) != (c == j),
        (Entry::Grand, _) | (_, Entry::Grand) => true,
        _ => false,
    };
    let is_cell = |e: Entry| matches!(e, Entry::Cell(..));
    entries
        .iter()
        .copied()
        .filter(|e| *e != exposed && marks.get(*e) != Mark::Unpublished)
        .min_by_key(|e| (marks.get(*e) == Mark::Exact, is_cell(*e), !through(*e)))
        // Nothing else is left: the exposed count itself goes.
        .or_else(|| (marks.get(exposed) != Mark::Unpublished).then_some(exposed))
}

/// The shown count of at least `t` to withhold next to protect `exposed`.
fn next_to_withhold(
    grid: &Grid,
    marks: &Marks,
    t: u32,
    exposed: Entry,
    entries: &[Entry],
) -> Option<Entry> {
    let shown = |e: &Entry| marks.get(*e) == Mark::Exact && grid.value(*e) >= t;
    let smallest = |candidates: Vec<Entry>| {
        candidates
            .into_iter()
            .filter(shown)
            .min_by_key(|e| grid.value(*e))
    };
    let (h, w) = (grid.height(), grid.width());
    let (cells, totals): (Vec<Entry>, Vec<Entry>) = match exposed {
        Entry::Cell(i, j) => (
            (0..w)
                .map(|c| Entry::Cell(i, c))
                .chain((0..h).map(|r| Entry::Cell(r, j)))
                .collect(),
            vec![Entry::Row(i), Entry::Col(j), Entry::Grand],
        ),
        Entry::Row(i) => (
            (0..w).map(|c| Entry::Cell(i, c)).collect(),
            vec![Entry::Grand],
        ),
        Entry::Col(j) => (
            (0..h).map(|r| Entry::Cell(r, j)).collect(),
            vec![Entry::Grand],
        ),
        Entry::Grand => (
            entries
                .iter()
                .copied()
                .filter(|e| matches!(e, Entry::Cell(..)))
                .collect(),
            entries
                .iter()
                .copied()
                .filter(|e| matches!(e, Entry::Row(_) | Entry::Col(_)))
                .collect(),
        ),
    };
    let totals: Vec<Entry> = totals.into_iter().filter(|e| entries.contains(e)).collect();
    // Cells in a line through any hidden cell: completing a rectangle of hidden cells keeps
    // the totals shown (in a 2×2 table, one small cell takes all four cells with it).
    let hidden_lines: Vec<Entry> = entries
        .iter()
        .copied()
        .filter(|e| match *e {
            Entry::Cell(i, j) => {
                (0..w).any(|c| marks.cells[i][c] != Mark::Exact)
                    || (0..h).any(|r| marks.cells[r][j] != Mark::Exact)
            }
            _ => false,
        })
        .collect();
    // A row or column total before the grand total: tables of the same people share the
    // grand total, so withholding it costs every one of them (see the module docs).
    let line_totals: Vec<Entry> = entries
        .iter()
        .copied()
        .filter(|e| matches!(e, Entry::Row(_) | Entry::Col(_)))
        .collect();
    smallest(cells)
        .or_else(|| smallest(hidden_lines))
        .or_else(|| {
            smallest(
                totals
                    .iter()
                    .copied()
                    .filter(|e| *e != Entry::Grand)
                    .collect(),
            )
        })
        .or_else(|| smallest(line_totals))
        .or_else(|| smallest(entries.to_vec()))
}

/// Whether hidden `entry` has only its true value consistent with what is published.
fn recoverable(grid: &Grid, marks: &Marks, t: u32, entry: Entry) -> bool {
    let value = i64::from(grid.value(entry));
    let (lo, hi) = range(marks.get(entry), value, t);
    let other = |v: i64| (lo..=hi).contains(&v) && consistent(grid, marks, t, Some((entry, v)));
    !(other(value - 1) || other(value + 1))
}

/// The values a reader allows an entry published with `mark`.
fn range(mark: Mark, value: i64, t: u32) -> (i64, i64) {
    match mark {
        Mark::Exact => (value, value),
        Mark::Under => (1, i64::from(t) - 1),
        Mark::Withheld => (i64::from(t), UNBOUNDED),
        Mark::Unpublished => (0, UNBOUNDED),
    }
}

/// Whether some table fits everything published, with `fixed` set to its value: a
/// circulation source → rows → columns → sink → source, each arc bounded by what is published
/// of its count.
fn consistent(grid: &Grid, marks: &Marks, t: u32, fixed: Option<(Entry, i64)>) -> bool {
    let (h, w) = (grid.height(), grid.width());
    let bounds = |e: Entry| match fixed {
        Some((f, v)) if f == e => (v, v),
        _ => range(marks.get(e), i64::from(grid.value(e)), t),
    };
    let (source, sink) = (0, 1);
    let row = |i: usize| 2 + i;
    let col = |j: usize| 2 + h + j;
    let mut arcs = Vec::new();
    let lines = grid.has_line_totals();
    for i in 0..h {
        let b = if lines {
            bounds(Entry::Row(i))
        } else {
            (0, UNBOUNDED)
        };
        arcs.push((source, row(i), b));
        for j in 0..w {
            arcs.push((row(i), col(j), bounds(Entry::Cell(i, j))));
        }
    }
    for j in 0..w {
        let b = if lines {
            bounds(Entry::Col(j))
        } else {
            (0, UNBOUNDED)
        };
        arcs.push((col(j), sink, b));
    }
    arcs.push((sink, source, bounds(Entry::Grand)));
    circulation_exists(2 + h + w, &arcs)
}

/// Whether a circulation exists with every arc's flow within its `(lower, upper)` bounds: the
/// lower bounds are moved to a super source and sink, and a maximum flow must saturate them.
fn circulation_exists(nodes: usize, arcs: &[(usize, usize, (i64, i64))]) -> bool {
    let (ss, tt) = (nodes, nodes + 1);
    let n = nodes + 2;
    let mut cap = vec![vec![0i64; n]; n];
    let mut excess = vec![0i64; nodes];
    for &(u, v, (lo, hi)) in arcs {
        if lo > hi {
            return false;
        }
        cap[u][v] += hi - lo;
        excess[v] += lo;
        excess[u] -= lo;
    }
    let mut needed = 0;
    for (node, e) in excess.iter().enumerate() {
        if *e > 0 {
            cap[ss][node] += e;
            needed += e;
        } else if *e < 0 {
            cap[node][tt] -= e;
        }
    }
    max_flow(&mut cap, ss, tt) == needed
}

/// Edmonds–Karp on a capacity matrix (the graphs here have a few dozen nodes).
fn max_flow(cap: &mut [Vec<i64>], s: usize, t: usize) -> i64 {
    let n = cap.len();
    let mut flow = 0;
    loop {
        let mut parent = vec![usize::MAX; n];
        parent[s] = s;
        let mut queue = std::collections::VecDeque::from([s]);
        while let Some(u) = queue.pop_front() {
            for v in 0..n {
                if parent[v] == usize::MAX && cap[u][v] > 0 {
                    parent[v] = u;
                    queue.push_back(v);
                }
            }
        }
        if parent[t] == usize::MAX {
            return flow;
        }
        let mut push = i64::MAX;
        let mut v = t;
        while v != s {
            let u = parent[v];
            push = push.min(cap[u][v]);
            v = u;
        }
        let mut v = t;
        while v != s {
            let u = parent[v];
            cap[u][v] -= push;
            cap[v][u] += push;
            v = u;
        }
        flow += push;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Category, Heading};
    use super::*;

    fn breakdown(counts: &[u32]) -> Breakdown {
        Breakdown::new(
            counts
                .iter()
                .enumerate()
                .map(|(i, n)| Category {
                    key: format!("k{i}"),
                    label: format!("K{i}"),
                    count: *n,
                })
                .collect(),
        )
    }

    fn heading(k: &str) -> Heading {
        Heading {
            key: k.into(),
            label: k.into(),
        }
    }

    fn shown(b: &Breakdown<Shown>) -> Vec<String> {
        b.categories
            .iter()
            .map(|c| c.count.to_string())
            .chain([b.total.to_string()])
            .collect()
    }

    #[test]
    fn a_lone_small_count_takes_the_next_smallest_with_it() {
        // 2 alone under the threshold: the total would give it away, so 7 is withheld too.
        let b = Suppression::default().breakdown(&breakdown(&[2, 7, 9]));
        assert_eq!(shown(&b), ["<5", "*", "9", "18"]);
    }

    #[test]
    fn two_small_counts_protect_each_other_unless_the_total_pins_them() {
        // 3 + 4 = 7: each could be 3 or 4.
        let b = Suppression::default().breakdown(&breakdown(&[3, 4, 10]));
        assert_eq!(shown(&b), ["<5", "<5", "10", "17"]);
        // 1 + 1 = 2 with both at least 1: both are 1, so more must go.
        let b = Suppression::default().breakdown(&breakdown(&[1, 1, 10]));
        assert_eq!(shown(&b), ["<5", "<5", "*", "12"]);
        // 4 + 4 = 8 with nothing else to withhold: the total goes.
        let b = Suppression::default().breakdown(&breakdown(&[4, 4, 0]));
        assert_eq!(shown(&b), ["<5", "<5", "0", "*"]);
    }

    #[test]
    fn nothing_small_means_nothing_hidden() {
        let b = Suppression::default().breakdown(&breakdown(&[0, 5, 12]));
        assert_eq!(shown(&b), ["0", "5", "12", "17"]);
    }

    #[test]
    fn a_table_hides_a_small_cell_in_its_row_and_its_column() {
        let table = CrossTable::new(
            vec![heading("a"), heading("b")],
            vec![heading("x"), heading("y")],
            vec![vec![2, 10], vec![8, 12]],
        );
        let p = Suppression::default().cross_table(&table);
        for (i, row) in p.cells.iter().enumerate() {
            let hidden = row.iter().filter(|c| c.is_hidden()).count();
            assert_ne!(hidden, 1, "row {i}: {row:?}");
        }
        assert_eq!(p.cells[0][0], Shown::Under(5));
        assert_eq!(p.total, Shown::Count(32));
    }

    #[test]
    fn markers_that_would_pin_a_count_leave_a_total_unpublished() {
        // Withholding the 5 and the 9 is not enough: the `<5` column totals and the `*` first
        // row (5 or more) leave the 3 only one value, so the first row's total goes unpublished.
        let table = CrossTable::new(
            vec![heading("a"), heading("b"), heading("c")],
            vec![heading("x"), heading("y")],
            vec![vec![3, 2], vec![1, 1], vec![0, 1]],
        );
        let p = Suppression::default().cross_table(&table);
        assert_eq!(p.row_totals[0], Shown::Unpublished, "{p:?}");
        assert_eq!(p.column_totals, [Shown::Under(5), Shown::Under(5)]);
        assert_eq!(p.total, Shown::Withheld);
        assert_eq!(p.cells[2][0], Shown::Count(0));
        assert_eq!(p.cells[0][0], Shown::Under(5));
    }

    #[test]
    fn a_group_hides_its_shared_total_as_much_as_its_most_hidden_table() {
        let table = CrossTable::new(
            vec![heading("a"), heading("b")],
            vec![heading("x"), heading("y")],
            vec![vec![2, 2], vec![1, 1]],
        );
        let alone = Suppression::default().cross_table(&table);
        let b = breakdown(&[3, 3]);
        assert_eq!(Suppression::default().breakdown(&b).total, Shown::Count(6));
        let (bs, ts) = Suppression::default().group(&[&b], &[&table]);
        assert_eq!(ts[0].total, alone.total);
        assert_eq!(bs[0].total, alone.total, "{bs:?} {ts:?}");
    }

    #[test]
    fn the_threshold_is_at_least_three() {
        assert!(Suppression::new(2).is_err());
        assert_eq!(Suppression::new(10).unwrap().count(9), Shown::Under(10));
        assert_eq!(Suppression::default().count(0), Shown::Count(0));
    }

    #[test]
    fn a_shown_count_is_a_number_and_a_hidden_one_its_marker() {
        let json =
            serde_json::to_string(&[Shown::Count(7), Shown::Under(5), Shown::Withheld]).unwrap();
        assert_eq!(json, r#"[7,"<5","*"]"#);
        let back: Vec<Shown> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, [Shown::Count(7), Shown::Under(5), Shown::Withheld]);
    }
}
