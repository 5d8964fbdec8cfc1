//! former service users at low or no risk may join an alumni peer group. Read as: a young
//! person whose case closed (at any risk, so long as no case is open), or whose latest assessed
//! risk is Low, may join; anyone else is refused with the reason, naming R-20. "Latest
//! assessed" is the open case's assessment when a case is open (an open case not yet assessed
//! has none); with none open and none closed, the latest assessed referral's.

mod support;

use casework::case::{CaseCommand, ClosureReason};
use casework::kernel::error::DomainError;
use casework::kernel::ids::{CaseId, YoungPersonId};
use casework::kernel::rule::Rule;
use casework::memory::MemoryStore;
use casework::young_person::alumni::{alumni_eligibility, AlumniBasis};
use casework::young_person::YoungPersonCommand;
use casework::{CommandError, YoungPersonExecuted};
use casework_testkit::fixtures::{self_referral, start, text};
use chrono::Duration;

/// The shared desk, with one girl registered.
type Desk = support::OneGirl<MemoryStore>;

impl Desk {
    async fn new() -> Self {
        Self::on(casework_testkit::desk::Desk::new(MemoryStore::new())).await
    }

    /// A case assessed with `indicators` and, if `to_work`, allocated with work begun.
    async fn case(&self, indicators: &[&str], to_work: bool) -> CaseId {
        if to_work {
            self.at_work(self.yp, indicators).await
        } else {
            self.assessed(self.yp, indicators).await
        }
    }

    async fn join(&self) -> Result<YoungPersonExecuted, CommandError> {
        self.advance(Duration::days(1));
        self.try_run_for(self.yp, YoungPersonCommand::JoinAlumni)
            .await
    }
}

fn refused_by_r20(result: Result<YoungPersonExecuted, CommandError>, why: &str) {
    match result {
        Err(CommandError::Rejected(e)) => {
            assert_eq!(e.rule(), Some(Rule::R20), "{e}");
            let message = e.to_string();
            assert!(message.contains("R-20"), "{message}");
            assert!(
                message.contains(why),
                "the reason `{why}` should be given: {message}"
            );
        }
        other => panic!("expected a refusal under R-20, got {other:?}"),
    }
}

#[tokio::test]
async fn r20_a_young_person_whose_case_closed_may_join() {
    let desk = Desk::new().await;
    let case = desk.case(&["taken_to_parties"], true).await;
    desk.cw
        .execute(
            &desk.worker,
            case,
            CaseCommand::Close {
                reason: ClosureReason::MovedOutOfArea,
            },
        )
        .await
        .unwrap();
    let joined = desk.join().await.unwrap();
    assert_eq!(
        joined.state.activity.alumni.as_ref().map(|m| &m.basis),
        Some(&AlumniBasis::CaseClosed { case })
    );
    // Membership is kept on the young person, not the (closed, never edited) case.
    assert_eq!(
        desk.cw.young_person_activity(desk.yp).await.unwrap().alumni,
        joined.state.activity.alumni
    );
}

#[tokio::test]
async fn r20_a_young_person_at_low_risk_may_join() {
    let desk = Desk::new().await;
    let case = desk.case(&["older_boyfriend"], true).await;
    let joined = desk.join().await.unwrap();
    assert_eq!(
        joined.state.activity.alumni.unwrap().basis,
        AlumniBasis::LowRisk { case }
    );
}

#[tokio::test]
async fn r20_a_young_person_at_medium_risk_is_refused_with_the_reason() {
    let desk = Desk::new().await;
    desk.case(&["taken_to_parties"], true).await;
    refused_by_r20(desk.join().await, "at Medium risk");
}

#[tokio::test]
async fn r20_a_young_person_whose_case_closed_at_high_risk_may_join_once_none_is_open() {
    let desk = Desk::new().await;
    let case = desk.case(&["disclosure"], true).await;
    let close = || CaseCommand::Close {
        reason: ClosureReason::MovedOutOfArea,
    };
    refused_by_r20(desk.join().await, "at High risk");
    desk.cw.execute(&desk.worker, case, close()).await.unwrap();
    let joined = desk.join().await.unwrap();
    assert_eq!(
        joined.state.activity.alumni.unwrap().basis,
        AlumniBasis::CaseClosed { case }
    );
}

#[tokio::test]
async fn r20_someone_never_assessed_below_medium_and_never_worked_with_is_refused_with_the_reason()
{
    let desk = Desk::new().await;
    refused_by_r20(desk.join().await, "never had a case");
    // A referral declined after a Medium assessment: never worked and closed, and not at low
    // risk.
    let case = desk.case(&["taken_to_parties"], false).await;
    desk.cw
        .execute(
            &desk.worker,
            case,
            CaseCommand::Decline {
                reason: text("Already supported elsewhere").into(),
            },
        )
        .await
        .unwrap();
    refused_by_r20(desk.join().await, "latest assessed risk");
    refused_by_r20(desk.join().await, "is Medium, not Low");
}

#[tokio::test]
async fn r20_a_young_person_whose_latest_assessed_risk_is_low_may_join_though_never_worked_with() {
    let desk = Desk::new().await;
    let case = desk.case(&["older_boyfriend"], false).await;
    desk.cw
        .execute(
            &desk.worker,
            case,
            CaseCommand::Decline {
                reason: text("Already supported elsewhere").into(),
            },
        )
        .await
        .unwrap();
    let joined = desk.join().await.unwrap();
    assert_eq!(
        joined.state.activity.alumni.unwrap().basis,
        AlumniBasis::LowRisk { case }
    );
}

#[tokio::test]
async fn r20_a_new_referral_not_yet_assessed_is_refused_though_an_earlier_case_closed() {
    let desk = Desk::new().await;
    let first = desk.case(&["older_boyfriend"], true).await;
    desk.cw
        .execute(
            &desk.worker,
            first,
            CaseCommand::Close {
                reason: ClosureReason::NoEngagement,
            },
        )
        .await
        .unwrap();
    // Re-referred: a new concern whose risk is not known yet.
    desk.cw
        .receive_referral(&desk.worker, desk.yp, self_referral(desk.now()))
        .await
        .unwrap();
    refused_by_r20(desk.join().await, "not yet assessed");
}

#[tokio::test]
async fn an_open_case_not_yet_assessed_is_refused() {
    let desk = Desk::new().await;
    desk.cw
        .receive_referral(&desk.worker, desk.yp, self_referral(start()))
        .await
        .unwrap();
    refused_by_r20(desk.join().await, "not yet assessed");
}

#[tokio::test]
async fn a_member_leaves_and_may_join_again_but_not_twice() {
    let desk = Desk::new().await;
    desk.case(&["older_boyfriend"], true).await;
    desk.join().await.unwrap();
    match desk.join().await {
        Err(CommandError::Rejected(DomainError::Input(e))) => assert_eq!(e.field, "young_person"),
        other => panic!("expected a second join refused, got {other:?}"),
    }
    let left = desk
        .cw
        .execute_for_young_person(
            &desk.worker,
            desk.yp,
            YoungPersonCommand::LeaveAlumni {
                reason: Some(text("Started work and has no time")),
            },
        )
        .await
        .unwrap();
    assert_eq!(left.state.activity.alumni, None);
    desk.join().await.unwrap();
}

#[test]
fn the_eligibility_rule_reads_the_young_persons_cases() {
    use casework::case::StageName;
    use casework::policy::risk::RiskLevel;
    use casework::read::rows::CaseSummary;
    let summary = |stage, risk_level, day: i64| CaseSummary {
        case_id: CaseId::new(),
        young_person_id: YoungPersonId::new(),
        stage,
        risk_level,
        received_at: start() + Duration::days(day),
        source: "self".into(),
        worker: None,
        previous_case: None,
        next_review_due: None,
        closure_reason: None,
        version: 1,
        owed: vec![],
    };
    assert!(alumni_eligibility(&[]).is_err());
    // Closed at High, none open: a former service user.
    let closed = summary(StageName::Closed, Some(RiskLevel::High), 0);
    assert_eq!(
        alumni_eligibility(std::slice::from_ref(&closed)),
        Ok(AlumniBasis::CaseClosed {
            case: closed.case_id
        })
    );
    // A later declined referral at High does not undo the closed case.
    let declined_high = summary(StageName::Declined, Some(RiskLevel::High), 30);
    assert!(alumni_eligibility(&[closed.clone(), declined_high]).is_ok());
    // An open case decides: Low may join, Medium may not, unassessed may not.
    for (risk, ok) in [
        (Some(RiskLevel::Low), true),
        (Some(RiskLevel::Medium), false),
        (None, false),
    ] {
        let open = summary(StageName::Active, risk, 60);
        assert_eq!(
            alumni_eligibility(&[closed.clone(), open]).is_ok(),
            ok,
            "{risk:?}"
        );
    }
    // Never worked with: the latest assessed referral decides.
    let low_then_medium = [
        summary(StageName::Declined, Some(RiskLevel::Low), 0),
        summary(StageName::Signposted, Some(RiskLevel::Medium), 10),
        summary(StageName::Withdrawn, None, 20),
    ];
    assert!(alumni_eligibility(&low_then_medium).is_err());
    let medium_then_low = [
        summary(StageName::Declined, Some(RiskLevel::Medium), 0),
        summary(StageName::Signposted, Some(RiskLevel::Low), 10),
    ];
    assert_eq!(
        alumni_eligibility(&medium_then_low),
        Ok(AlumniBasis::LowRisk {
            case: medium_then_low[1].case_id
        })
    );
    let never_assessed = [summary(StageName::Withdrawn, None, 0)];
    assert!(alumni_eligibility(&never_assessed)
        .unwrap_err()
        .contains("none was assessed"));
}
