//! Figures as CSV: one file, one value a line, `figure,row,column,value`.
//!
//! `figure` names the table (`referrals_by_source`, `caseloads` …), `row` and `column` are the
//! labels people read (`Professional`, `High`, a worker's name; `Total` for a total), and
//! `value` is the count, or, in the published form, `<5` or `*` (see
//! [`super::suppress`]). The first lines say what the report is: its period, scope, when it
//! was read and the suppression threshold applied.

use super::{Breakdown, CrossTable, Figures, Scope};
use std::fmt::{Display, Write};

/// CSV's quoting: a field with a comma, a quote or a line break is quoted, quotes doubled.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

struct Csv(String);

impl Csv {
    fn line(&mut self, figure: &str, row: &str, column: &str, value: impl Display) {
        let _ = writeln!(
            self.0,
            "{},{},{},{}",
            field(figure),
            field(row),
            field(column),
            field(&value.to_string())
        );
    }

    fn optional<C: Display>(&mut self, figure: &str, row: &str, value: Option<&C>) {
        match value {
            Some(v) => self.line(figure, row, "", v),
            None => self.line(figure, row, "", ""),
        }
    }

    fn breakdown<C: Display>(&mut self, figure: &str, b: &Breakdown<C>) {
        for c in &b.categories {
            self.line(figure, &c.label, "Count", &c.count);
        }
        self.line(figure, "Total", "Count", &b.total);
    }

    fn table<C: Display>(&mut self, figure: &str, t: &CrossTable<C>) {
        for (i, row) in t.rows.iter().enumerate() {
            for (j, column) in t.columns.iter().enumerate() {
                self.line(figure, &row.label, &column.label, &t.cells[i][j]);
            }
            self.line(figure, &row.label, "Total", &t.row_totals[i]);
        }
        for (j, column) in t.columns.iter().enumerate() {
            self.line(figure, "Total", &column.label, &t.column_totals[j]);
        }
        self.line(figure, "Total", "Total", &t.total);
    }
}

impl<C: Display + Copy> Figures<C> {
    /// The figures as CSV (see the module docs of `read::figures::csv`).
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut csv = Csv(String::from("figure,row,column,value\n"));
        csv.line("report", "from", "", self.from);
        csv.line("report", "to (not included)", "", self.to);
        let scope = match &self.scope {
            Scope::Service => "the whole service".to_owned(),
            Scope::Programme(key) => format!("programme {key}"),
        };
        csv.line("report", "scope", "", scope);
        csv.line("report", "as of", "", self.as_of.to_rfc3339());
        csv.line(
            "report",
            "suppression threshold",
            "",
            self.suppression
                .map_or(String::from("none"), |t| t.to_string()),
        );

        let r = &self.referrals;
        csv.line("referrals", "Total", "Count", r.total);
        csv.breakdown("referrals_by_source", &r.by_source);
        csv.breakdown("referrals_by_outcome", &r.by_outcome);
        csv.breakdown("referrals_by_risk", &r.by_risk());
        csv.breakdown("referrals_by_gender", &r.by_gender);
        csv.breakdown("referrals_by_age_band", &r.by_age_band);
        csv.table("referrals_by_month_and_risk", &r.by_month_and_risk);
        csv.breakdown("re_referrals", &r.re_referrals);

        let w = &self.waiting;
        csv.breakdown("waiting_time_distribution", &w.distribution);
        csv.optional("waiting_time", "Median (days)", w.median_days.as_ref());
        csv.optional(
            "waiting_time",
            "90th percentile (days)",
            w.p90_days.as_ref(),
        );
        csv.line("waiting_time", "Still waiting", "", w.still_waiting);
        csv.optional(
            "waiting_time",
            "Longest still waiting (days)",
            w.longest_still_waiting_days.as_ref(),
        );

        csv.table("caseloads", &self.caseloads);

        let c = &self.closures;
        csv.breakdown("closures_by_reason", &c.by_reason);
        csv.table(
            "risk_at_opening_and_closure",
            &c.risk_at_opening_and_closure,
        );

        let m = &self.missing;
        csv.breakdown("missing_episodes", &m.episodes);
        csv.line("missing_episodes", "Young people", "", m.young_people);
        csv.optional(
            "missing_episodes",
            "Offered a return interview within 72 hours (%)",
            m.offered_within_72_hours_percent.as_ref(),
        );

        let ws = &self.workshops;
        csv.line("workshops", "Workshops", "", ws.workshops);
        csv.breakdown("workshop_attendees", &ws.attendees);
        csv.line(
            "workshops",
            "Identified as vulnerable",
            "",
            ws.identified_vulnerable,
        );
        csv.line("workshops", "Tutorials", "", ws.tutorials);
        csv.breakdown("workshop_evaluation_forms", &ws.forms);
        for q in &ws.questions {
            for a in &q.answers.categories {
                csv.line(
                    "workshop_evaluation",
                    q.question.as_str(),
                    &a.label,
                    a.count,
                );
            }
            csv.line(
                "workshop_evaluation",
                q.question.as_str(),
                "Total",
                q.answers.total,
            );
        }
        csv.0
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted() {
        assert_eq!(field("High"), "High");
        assert_eq!(field("Smith, Sam"), "\"Smith, Sam\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
