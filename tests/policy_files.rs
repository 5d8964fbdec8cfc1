//! Policies as data (R-2, R-21, R-24): every shipped file loads, each rule of the shipped risk
//! tools holds at its boundaries, malformed documents are refused naming the file and the
//! field, and a profile change never rewrites a past assessment.

use casework::config::{self, shipped};
use casework::policy::risk::{AssessmentSubject, IndicatorAnswer, RiskLevel, RiskTool, Window};
use casework::policy::{parse_profile, parse_programme, parse_risk_tool, ConfigError};
use chrono::{DateTime, Months, TimeZone, Utc};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 10, 0, 0).unwrap()
}

fn teen() -> AssessmentSubject {
    AssessmentSubject {
        age: 15,
        learning_difficulty: false,
    }
}

fn assess(
    tool: &RiskTool,
    answers: &[IndicatorAnswer],
    subject: AssessmentSubject,
) -> (u32, RiskLevel) {
    let a = tool
        .assess(answers, subject, None, at())
        .expect("answers are valid");
    (a.score, a.computed)
}

fn current(keys: &[&str]) -> Vec<IndicatorAnswer> {
    keys.iter().map(|k| IndicatorAnswer::current(*k)).collect()
}

#[test]
fn every_shipped_file_loads_from_disk_and_compiled_in() {
    for (path, _) in shipped::FILES {
        let on_disk = format!("examples/config/{path}");
        if path.starts_with("profiles/") {
            let profile = config::load_profile(&on_disk).unwrap_or_else(|e| panic!("{e}"));
            let stem = path
                .trim_start_matches("profiles/")
                .trim_end_matches(".toml");
            assert_eq!(shipped::profile(stem).unwrap(), profile, "{path}");
        } else if path.starts_with("risk-tools/") {
            config::load_risk_tool(&on_disk).unwrap_or_else(|e| panic!("{e}"));
        } else {
            config::load_programme(&on_disk).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn city_profile_expresses_the_first_seed_service() {
    let p = shipped::profile("city-girls").unwrap();
    assert_eq!(p.eligibility.max_age, 18);
    assert_eq!(p.eligibility.max_age_with_learning_difficulty, Some(24));
    assert_eq!(
        p.eligibility.genders,
        vec![casework::young_person::Gender::Female]
    );
    assert_eq!(p.eligibility.postcodes.areas, vec!["LS"]);
    assert_eq!(p.eligibility.postcodes.districts, vec!["WF10", "WF3"]);
    let boys = p.signpost_for(&[casework::policy::eligibility::IneligibilityKind::GenderNotServed]);
    assert!(boys.unwrap().name.contains("Boys"));
    // No time limit (R-14): the one programme has no expected length.
    assert!(p
        .programmes
        .iter()
        .all(|prog| prog.expected_weeks.is_none()));
}

#[test]
fn young_peoples_team_expresses_the_second_seed_service() {
    let p = shipped::profile("young-peoples-team").unwrap();
    let short = p.programme("short_term").unwrap();
    let weeks = short.expected_weeks.unwrap();
    assert_eq!((weeks.min, weeks.max), (8, 10));
    let intensive = p.programme("intensive").unwrap();
    let per_week = intensive.sessions_per_week.unwrap();
    let per_day = intensive.contacts_per_day.unwrap();
    assert_eq!(
        (per_week.min, per_week.max, per_day.min, per_day.max),
        (5, 6, 2, 3)
    );
    let e = intensive.eligibility.as_ref().unwrap();
    assert_eq!((e.min_age, e.max_age), (16, 21));
    assert!(p.programme("schools_workshops").unwrap().evaluation_forms);
}

#[test]
fn scored_tool_r21_score_5_is_low_and_6_is_medium() {
    let tool = shipped::risk_tool("scored").unwrap();
    // One significant indicator (5) is Low; one more moderate (1) makes 6, Medium.
    assert_eq!(
        assess(&tool, &current(&["taken_to_parties"]), teen()),
        (5, RiskLevel::Low)
    );
    assert_eq!(
        assess(
            &tool,
            &current(&["taken_to_parties", "missing_from_home"]),
            teen()
        ),
        (6, RiskLevel::Medium)
    );
}

#[test]
fn scored_tool_r21_score_10_is_medium_and_11_is_high() {
    let tool = shipped::risk_tool("scored").unwrap();
    let ten = current(&["taken_to_parties", "sexual_health"]);
    assert_eq!(assess(&tool, &ten, teen()), (10, RiskLevel::Medium));
    let eleven = current(&["taken_to_parties", "sexual_health", "isolated"]);
    assert_eq!(assess(&tool, &eleven, teen()), (11, RiskLevel::High));
}

#[test]
fn scored_tool_r21_six_months_ago_counts_in_full_six_months_and_a_day_does_not() {
    let tool = shipped::risk_tool("scored").unwrap();
    let on = at().date_naive();
    let six_months = on.checked_sub_months(Months::new(6)).unwrap();
    let a_day_more = six_months.pred_opt().unwrap();
    let recent = [IndicatorAnswer::last_seen("sexual_health", six_months)];
    let older = [IndicatorAnswer::last_seen("sexual_health", a_day_more)];
    assert_eq!(assess(&tool, &recent, teen()).0, 5);
    assert_eq!(assess(&tool, &older, teen()).0, 1);
    let scored = tool.assess(&older, teen(), None, at()).unwrap();
    assert_eq!(scored.answers[0].window, Window::SixTo12Months);
    // Moderate indicators count only when current or within 6 months.
    let moderate_old = [IndicatorAnswer::within(
        "school_absence",
        Window::SixTo12Months,
    )];
    assert_eq!(assess(&tool, &moderate_old, teen()).0, 0);
    // More than 12 months ago counts for nothing.
    let year_and_a_day = on
        .checked_sub_months(Months::new(12))
        .unwrap()
        .pred_opt()
        .unwrap();
    assert_eq!(
        assess(
            &tool,
            &[IndicatorAnswer::last_seen("sexual_health", year_and_a_day)],
            teen()
        )
        .0,
        0
    );
}

#[test]
fn scored_tool_r21_a_disclosure_is_high_whatever_the_score() {
    let tool = shipped::risk_tool("scored").unwrap();
    assert_eq!(
        assess(&tool, &current(&["disclosure"]), teen()),
        (5, RiskLevel::High)
    );
}

#[test]
fn matrix_tool_r21_one_significant_indicator_is_high() {
    let tool = shipped::risk_tool("matrix").unwrap();
    assert_eq!(
        assess(&tool, &current(&["sexual_health"]), teen()).1,
        RiskLevel::High
    );
    assert_eq!(
        assess(&tool, &current(&["older_boyfriend"]), teen()).1,
        RiskLevel::Medium
    );
    assert_eq!(
        assess(
            &tool,
            &current(&["looked_after", "history_of_abuse"]),
            teen()
        )
        .1,
        RiskLevel::Low
    );
    // 6-12 months ago a significant indicator no longer sets the floor.
    let old = [IndicatorAnswer::within(
        "sexual_health",
        Window::SixTo12Months,
    )];
    assert_eq!(assess(&tool, &old, teen()).1, RiskLevel::Low);
}

#[test]
fn matrix_tool_r21_age_12_is_never_low_and_13_can_be() {
    let tool = shipped::risk_tool("matrix").unwrap();
    let at_age = |age| AssessmentSubject {
        age,
        learning_difficulty: false,
    };
    assert_eq!(assess(&tool, &[], at_age(12)).1, RiskLevel::Medium);
    assert_eq!(assess(&tool, &[], at_age(13)).1, RiskLevel::Low);
    let with_ld = AssessmentSubject {
        age: 16,
        learning_difficulty: true,
    };
    assert_eq!(assess(&tool, &[], with_ld).1, RiskLevel::Medium);
    let a = tool.assess(&[], at_age(12), None, at()).unwrap();
    assert!(
        a.floors_applied.iter().any(|f| f.contains("under 13")),
        "{:?}",
        a.floors_applied
    );
}

#[test]
fn r21_override_keeps_both_levels() {
    let tool = shipped::risk_tool("scored").unwrap();
    let o = casework::policy::risk::RiskOverride {
        level: RiskLevel::High,
        reason: casework::kernel::confidential::NewConfidential::parse(
            "reason",
            "Police intelligence about the adult involved",
        )
        .unwrap(),
    };
    let a = tool
        .assess(&current(&["missing_from_home"]), teen(), Some(o), at())
        .unwrap();
    assert_eq!((a.computed, a.level), (RiskLevel::Low, RiskLevel::High));
}

#[test]
fn an_unknown_indicator_in_an_answer_set_is_refused_naming_its_position() {
    let tool = shipped::risk_tool("scored").unwrap();
    let err = tool
        .assess(
            &current(&["missing_from_home", "missing_form_home"]),
            teen(),
            None,
            at(),
        )
        .unwrap_err();
    assert_eq!(err.field, "indicators[1]");
    assert!(err.problem.contains("missing_form_home"));
}

const TOOL_HEAD: &str = r#"
name = "Test tool"
version = "1"
[[groups]]
key = "g"
label = "G"
weights = { current = 1, within_6_months = 1, six_to_12_months = 0 }
[[indicators]]
key = "i"
label = "I"
group = "g"
"#;

fn tool_with_levels(levels: &str) -> Result<RiskTool, ConfigError> {
    parse_risk_tool(&format!("{TOOL_HEAD}{levels}"), "tools/test.toml")
}

#[test]
fn malformed_tool_gapped_bands_name_the_field() {
    let err = tool_with_levels(
        "[[levels]]\nlevel = \"low\"\nfrom = 0\nto = 5\n[[levels]]\nlevel = \"high\"\nfrom = 7\n",
    )
    .unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.field.as_str()),
        ("tools/test.toml", "levels[1].from")
    );
    assert!(err.problem.contains("gap"), "{err}");
}

#[test]
fn malformed_tool_overlapping_bands_name_the_field() {
    let err = tool_with_levels(
        "[[levels]]\nlevel = \"low\"\nfrom = 0\nto = 5\n[[levels]]\nlevel = \"high\"\nfrom = 5\n",
    )
    .unwrap_err();
    assert_eq!(err.field, "levels[1].from");
    assert!(err.problem.contains("overlap"), "{err}");
}

#[test]
fn malformed_tool_bands_not_from_zero_or_closed_at_the_top_are_refused() {
    let err = tool_with_levels("[[levels]]\nlevel = \"low\"\nfrom = 1\n").unwrap_err();
    assert_eq!(err.field, "levels[0].from");
    let err = tool_with_levels("[[levels]]\nlevel = \"low\"\nfrom = 0\nto = 9\n").unwrap_err();
    assert_eq!(err.field, "levels[0].to");
}

#[test]
fn malformed_tool_negative_weight_names_the_field() {
    let src = TOOL_HEAD.replace("current = 1", "current = -1")
        + "[[levels]]\nlevel = \"low\"\nfrom = 0\n";
    let err = parse_risk_tool(&src, "tools/test.toml").unwrap_err();
    assert_eq!(err.field, "groups[0].weights.current");
}

#[test]
fn malformed_tool_unknown_key_and_missing_field_name_the_field() {
    let src = TOOL_HEAD.replace("label = \"I\"", "label = \"I\"\nweight = 3")
        + "[[levels]]\nlevel = \"low\"\nfrom = 0\n";
    let err = parse_risk_tool(&src, "tools/test.toml").unwrap_err();
    assert_eq!(err.field, "indicators[0].weight");
    assert!(err.problem.contains("unknown field"), "{err}");
    let err = parse_risk_tool(
        &TOOL_HEAD.replace("version = \"1\"\n", ""),
        "tools/test.toml",
    )
    .unwrap_err();
    assert!(err.problem.contains("version"), "{err}");
}

#[test]
fn malformed_tool_indicator_in_unknown_group_names_the_field() {
    let src = TOOL_HEAD.replace("group = \"g\"", "group = \"nope\"")
        + "[[levels]]\nlevel = \"low\"\nfrom = 0\n";
    let err = parse_risk_tool(&src, "tools/test.toml").unwrap_err();
    assert_eq!(err.field, "indicators[0].group");
}

#[test]
fn malformed_programme_and_profile_name_file_and_field() {
    let err = parse_programme(
        "key = \"x\"\nname = \"X\"\nkind = \"one_to_one\"\nsessions_per_week = { min = 6, max = 5 }\n",
        "programmes/x.toml",
    )
    .unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.field.as_str()),
        ("programmes/x.toml", "sessions_per_week.min")
    );
    let err = parse_programme(
        "key = \"x\"\nname = \"X\"\nkind = \"weekly\"\n",
        "programmes/x.toml",
    )
    .unwrap_err();
    assert_eq!(err.field, "kind");
    let err = parse_profile("name = \"X\"\n", "profiles/x.toml").unwrap_err();
    assert!(err.problem.contains("missing field"), "{err}");
    let text = shipped::FILES
        .iter()
        .find(|(p, _)| *p == "profiles/city-girls.toml")
        .unwrap()
        .1;
    let err = parse_profile(
        &text.replace("max_age = 18", "max_age = \"eighteen\""),
        "profiles/city-girls.toml",
    )
    .unwrap_err();
    assert_eq!(err.field, "eligibility.max_age");
}

#[test]
fn a_profile_with_an_extension_below_its_maximum_is_refused() {
    let text = shipped::FILES
        .iter()
        .find(|(p, _)| *p == "profiles/city-girls.toml")
        .unwrap()
        .1;
    let bad = text.replace(
        "max_age_with_learning_difficulty = 24",
        "max_age_with_learning_difficulty = 16",
    );
    let read = move |p: &std::path::Path| -> std::io::Result<String> {
        if p.ends_with("city-girls.toml") {
            Ok(bad.clone())
        } else {
            let name = p.to_string_lossy().replace("profiles/../", "");
            shipped::FILES
                .iter()
                .find(|(f, _)| name.ends_with(f))
                .map(|(_, t)| t.to_string())
                .ok_or_else(|| std::io::Error::other("missing"))
        }
    };
    let err = config::load_profile_with(std::path::Path::new("profiles/city-girls.toml"), &read)
        .unwrap_err();
    assert_eq!(err.field, "eligibility.max_age_with_learning_difficulty");
}

#[test]
fn a_missing_file_is_named() {
    let err = config::load_profile("examples/config/profiles/no-such-service.toml").unwrap_err();
    assert!(err.file.ends_with("no-such-service.toml"));
    assert!(err.problem.contains("cannot be read"));
}

#[tokio::test]
async fn r21_a_profile_change_never_rewrites_past_assessments() {
    use casework::case::CaseCommand;
    use casework::kernel::clock::Clock;
    use casework_testkit::fixtures;
    let store = std::sync::Arc::new(casework::memory::MemoryStore::new());
    let clock = std::sync::Arc::new(fixtures::clock());
    let before = shipped::profile("city-girls").unwrap();
    let cw = casework::Casework::new(store.clone(), before.clone()).with_clock(clock.clone());
    let worker = fixtures::worker();
    let yp = cw
        .register_young_person(&worker, fixtures::girl_in_leeds_area())
        .await
        .unwrap();
    let case = cw
        .receive_referral(&worker, yp, fixtures::self_referral(clock.now()))
        .await
        .unwrap();
    cw.execute(&worker, case, CaseCommand::Screen)
        .await
        .unwrap();
    let answers = current(&["taken_to_parties", "missing_from_home"]);
    cw.execute(
        &worker,
        case,
        CaseCommand::AssessRisk {
            indicators: answers.clone(),
            worker_override: None,
        },
    )
    .await
    .unwrap();

    // The service revises its tool: every weight doubles, under a new version.
    let mut after = before;
    after.risk_tool.version = "2027.1".into();
    for g in &mut after.risk_tool.groups {
        g.weights.current *= 2;
        g.weights.within_6_months *= 2;
    }
    let revised = casework::Casework::new(store.clone(), after).with_clock(clock.clone());
    let old = revised.case(case).await.unwrap().file().assessments[0].clone();
    assert_eq!(
        (old.tool_version.as_str(), old.score, old.computed),
        ("2026.1", 6, RiskLevel::Medium)
    );

    // A new assessment, e.g. at a review, uses the revised tool; the old one is untouched.
    let fresh = revised
        .profile()
        .risk_tool
        .assess(&answers, teen(), None, clock.now())
        .unwrap();
    assert_eq!((fresh.tool_version.as_str(), fresh.score), ("2027.1", 12));
    assert_eq!(
        casework_testkit::stored::stored(&revised.case(case).await.unwrap().file().assessments),
        casework_testkit::stored::stored(&vec![old])
    );
}
