//! `casework-config check FILE`: validates a service profile, risk tool or programme and says
//! what it means in plain words (R-2, R-21, R-24).
//!
//! ```sh
//! cargo run --example casework-config -- check examples/config/profiles/city-girls.toml
//! cargo run --example casework-config -- check examples/config/risk-tools/matrix.toml
//! ```
//! Exits 1, naming the file and the field, when the document is not valid.

use casework::config::{load_profile, load_programme, load_risk_tool};
use casework::policy::eligibility::Eligibility;
use casework::policy::profile::ServiceProfile;
use casework::policy::programme::Programme;
use casework::policy::risk::{AssessmentSubject, IndicatorAnswer, RiskTool, Window};
use chrono::{TimeZone, Utc};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [command, file] = args.as_slice() else {
        eprintln!("usage: casework-config check FILE   (a profile, risk tool or programme, .toml or .json)");
        return ExitCode::from(2);
    };
    if command != "check" {
        eprintln!("unknown command `{command}`; the only command is `check`");
        return ExitCode::from(2);
    }
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{file}: cannot be read: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The document's kind, from the keys only its kind has.
    let result = if text.contains("risk_tool") {
        load_profile(file).map(|p| explain_profile(&p))
    } else if text.contains("[[levels]]") || text.contains("\"levels\"") {
        load_risk_tool(file).map(|t| explain_tool(&t))
    } else {
        load_programme(file).map(|p| explain_programme(&p))
    };
    match result {
        Ok(words) => {
            println!("{file}: valid\n\n{words}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn who(e: &Eligibility) -> String {
    let genders = list(&e.genders);
    let ages = match e.max_age_with_learning_difficulty {
        Some(ld) => format!(
            "aged {} to {} on the referral date (to {ld} where a learning difficulty is recorded)",
            e.min_age, e.max_age
        ),
        None => format!("aged {} to {} on the referral date", e.min_age, e.max_age),
    };
    let mut places = Vec::new();
    if !e.postcodes.areas.is_empty() {
        places.push(format!(
            "every {} postcode",
            e.postcodes.areas.join(", every ")
        ));
    }
    if !e.postcodes.districts.is_empty() {
        places.push(format!(
            "the districts {}",
            e.postcodes.districts.join(", ")
        ));
    }
    format!(
        "young people of gender {genders}, {ages}, living in {}",
        places.join(" or ")
    )
}

fn explain_profile(p: &ServiceProfile) -> String {
    let mut out = vec![format!("{} works with {}.", p.name, who(&p.eligibility))];
    for rule in &p.signposting {
        out.push(format!(
            "  A referral refused as {} is signposted to {}.",
            rule.when, rule.to.name
        ));
    }
    let o = &p.owed_actions;
    out.push(format!(
        "Every referral owes a notification to {} within {} hours; a Medium or High assessment owes a referral to {} within {} hours; every outcome is told to the {} within {} hours.",
        o.safeguarding_unit.recipient,
        o.safeguarding_unit.due_within_hours,
        o.duty_social_work.recipient,
        o.duty_social_work.due_within_hours,
        o.outcome_to_referrer.recipient.to_lowercase(),
        o.outcome_to_referrer.due_within_hours
    ));
    out.push(format!(
        "Reviews fall due every {} days at Low risk, {} at Medium, {} at High.",
        p.reviews.low_days, p.reviews.medium_days, p.reviews.high_days
    ));
    let a = p.approvals;
    let gated: Vec<&str> = [
        (a.closure, "closing a case"),
        (a.risk_override, "overriding a computed risk level"),
        (
            a.out_of_order_allocation,
            "allocating out of waiting-list order",
        ),
        (a.reallocation, "moving a case to another worker"),
    ]
    .into_iter()
    .filter_map(|(on, what)| on.then_some(what))
    .collect();
    out.push(if gated.is_empty() {
        "No step needs a manager's approval.".into()
    } else {
        format!("A manager must approve: {}.", gated.join("; "))
    });
    out.push(explain_retention(&p.retention));
    out.push(format!(
        "Ages and \"today\" are on the local date in {}.",
        p.time_zone
    ));
    let l = p.limits;
    out.push(format!(
        "One request may hold names of up to {} characters, other text of up to {} bytes, {} indicator answers and {} items in any other list.",
        l.name_chars, l.text_bytes, l.indicators, l.list_items
    ));
    for programme in &p.programmes {
        out.push(String::new());
        out.push(explain_programme(programme));
    }
    out.push(String::new());
    out.push(explain_tool(&p.risk_tool));
    out.join("\n")
}

/// The retention schedule in words (R-23).
fn explain_retention(r: &casework::policy::profile::RetentionSchedule) -> String {
    let mut periods = Vec::new();
    if let Some(age) = r.until_age {
        periods.push(format!("until the {age}th birthday"));
    }
    if let Some(years) = r.years_after_last_case {
        periods.push(format!("{years} years after the last case ended"));
    }
    let mut out = if periods.is_empty() {
        "Records have no retention period set: they are never due for review.".to_owned()
    } else {
        format!(
            "Records are kept {}, whichever is later, and never while a case is open",
            periods.join(" and ")
        )
    };
    if let Some(e) = &r.exploitation {
        let mut when = Vec::new();
        if let Some(level) = e.risk_level {
            when.push(format!("any case was assessed {level} or above"));
        }
        if !e.indicators.is_empty() {
            when.push(format!("a case recorded {}", e.indicators.join(" or ")));
        }
        out.push_str(&format!(
            "; {} years after the last case where {}",
            e.years_after_last_case,
            when.join(", or ")
        ));
    }
    out.push('.');
    out
}

fn explain_programme(p: &Programme) -> String {
    let mut out = vec![format!("Programme `{}`: {}.", p.key, p.name)];
    if let Some(e) = &p.eligibility {
        out.push(format!("  For {}.", who(e)));
    }
    if let Some(s) = p.sessions_per_week {
        out.push(format!("  Expects {}-{} sessions a week.", s.min, s.max));
    }
    if let Some(c) = p.contacts_per_day {
        out.push(format!("  Expects {}-{} contacts a day.", c.min, c.max));
    }
    out.push(match p.expected_weeks {
        Some(w) => format!(
            "  Usually lasts {}-{} weeks (shown, never enforced).",
            w.min, w.max
        ),
        None => "  No time limit.".into(),
    });
    if p.evaluation_forms {
        out.push("  Participants complete evaluation forms.".into());
    }
    if !p.topics.is_empty() {
        out.push(format!("  Topics: {}.", p.topics.join("; ")));
    }
    out.join("\n")
}

fn explain_tool(t: &RiskTool) -> String {
    let mut out = vec![format!("Risk tool {} (version {}).", t.name, t.version)];
    for g in &t.groups {
        let members: Vec<&str> = t
            .indicators
            .iter()
            .filter(|i| i.group == g.key)
            .map(|i| i.label.as_str())
            .collect();
        out.push(format!(
            "  {}: {} points when current, {} within 6 months, {} 6-12 months ago{}. ({})",
            g.label,
            g.weights.current,
            g.weights.within_6_months,
            g.weights.six_to_12_months,
            g.floor
                .as_ref()
                .map(|f| format!(
                    "; any one ({}) makes it at least {}",
                    list(&f.windows),
                    f.level
                ))
                .unwrap_or_default(),
            members.join("; ")
        ));
    }
    for band in &t.levels {
        out.push(match band.to {
            Some(to) => format!("  Scores {}-{to} are {}.", band.from, band.level),
            None => format!("  Scores from {} are {}.", band.from, band.level),
        });
    }
    for i in t.indicators.iter().filter(|i| i.floor.is_some()) {
        out.push(format!(
            "  `{}` present: at least {}.",
            i.label,
            i.floor.unwrap()
        ));
    }
    if let Some(f) = t.floors.young_child {
        out.push(format!(
            "  A child under {} is at least {}.",
            f.under_age, f.level
        ));
    }
    if let Some(level) = t.floors.learning_difficulty {
        out.push(format!(
            "  A learning difficulty recorded: at least {level}."
        ));
    }
    out.push("  Sample answers for a 15-year-old:".into());
    let at = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let subject = AssessmentSubject {
        age: 15,
        learning_difficulty: false,
    };
    let mut samples: Vec<Vec<IndicatorAnswer>> = vec![vec![]];
    for g in &t.groups {
        if let Some(first) = t.indicators.iter().find(|i| i.group == g.key) {
            samples.push(vec![IndicatorAnswer::current(first.key.as_str())]);
            samples.push(vec![IndicatorAnswer::within(
                first.key.as_str(),
                Window::SixTo12Months,
            )]);
        }
    }
    let mut everything: Vec<IndicatorAnswer> = t
        .indicators
        .iter()
        .map(|i| IndicatorAnswer::current(i.key.as_str()))
        .collect();
    everything.retain(|a| {
        t.indicators
            .iter()
            .any(|i| i.key == a.key && i.floor.is_none())
    });
    samples.push(everything);
    for answers in samples {
        let a = t
            .assess(&answers, subject, None, at)
            .expect("sample answers are valid");
        let said = if answers.is_empty() {
            "nothing recorded".to_owned()
        } else {
            answers
                .iter()
                .map(|x| match x.when {
                    casework::policy::risk::When::In(w) => format!("{} ({w})", x.key),
                    casework::policy::risk::When::LastSeen(d) => {
                        format!("{} (last seen {d})", x.key)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(format!("    {said}: score {} -> {}", a.score, a.computed));
    }
    out.join("\n")
}
