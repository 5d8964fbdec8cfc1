//! Multi-agency meetings and whether the service attended, and referrals out to partner
//! agencies: sent → accepted / declined / closed, each needing the young person's consent to
//! sharing with that agency.

use casework::case::consent::{
    ConsentDecision, ConsentEntry, ConsentGiver, ConsentMethod, ConsentScope,
};
use casework::case::{
    CaseCommand, MeetingAction, MeetingKind, PartnerKind, PartnerReferralStatus,
    PartnerReferralUpdate, StageName,
};
use casework::kernel::confidential::NewConfidential;
use casework::kernel::error::DomainError;
use casework::kernel::ids::PartnerReferralId;
use casework::kernel::rule::Rule;
use casework::policy::profile::examples::city_girls_service;
use casework_testkit::fixtures::{self, girl_in_leeds_area, self_referral, start, text};
use casework_testkit::scenario::Scenario;
use chrono::{Duration, NaiveDate};

fn received() -> Scenario {
    Scenario::new(city_girls_service())
        .given_referral(&girl_in_leeds_area(), self_referral(start()))
}

const PARTNER: &str = "Fictional partner agency";

/// The young person's consent to sharing with `agency`, given, refused or withdrawn.
fn sharing_with(agency: &str, decision: ConsentDecision, by: ConsentGiver) -> CaseCommand {
    CaseCommand::RecordConsent {
        entry: ConsentEntry {
            scope: ConsentScope::SharingWithAgency {
                agency: text(agency),
            },
            decision,
            by,
            method: ConsentMethod::InPerson,
            purpose: text("to refer her on for support"),
            given_at: start(),
        },
    }
}

/// At work, with consent to share with [`PARTNER`].
fn active() -> Scenario {
    at_work().given(vec![sharing_with(
        PARTNER,
        ConsentDecision::Given,
        ConsentGiver::YoungPerson,
    )])
}

/// At work, without any consent to share with a partner.
fn at_work() -> Scenario {
    received().given(vec![
        CaseCommand::Screen,
        CaseCommand::AssessRisk {
            indicators: vec!["older_boyfriend".into()],
            worker_override: None,
        },
        CaseCommand::AcceptForSupport,
        CaseCommand::Allocate {
            worker: fixtures::worker().id,
            worker_name: text("Sam Worker"),
            out_of_order_reason: None,
        },
        CaseCommand::AgreePlan {
            plan: NewConfidential::new(text("Weekly sessions")),
        },
        CaseCommand::BeginWork,
    ])
}

fn meeting(kind: MeetingKind, attended: bool) -> CaseCommand {
    CaseCommand::RecordMeeting {
        kind,
        held_at: start(),
        service_attended: attended,
        actions: vec![MeetingAction {
            action: text("Share the car's description with the police").into(),
            by_whom: Some(text("Project worker")),
            due_on: NaiveDate::from_ymd_opt(2026, 3, 9),
        }],
    }
}

fn refer(partner: PartnerKind) -> CaseCommand {
    CaseCommand::ReferToPartner {
        partner,
        agency: text(PARTNER),
        sent_at: start(),
    }
}

fn last_referral(s: &Scenario) -> PartnerReferralId {
    s.case()
        .file()
        .activity
        .partner_referrals
        .last()
        .expect("a referral out")
        .id
}

// ---------------------------------------------------------------------------------------------
// multi-agency meetings.

#[test]
fn r13_every_kind_of_meeting_is_recorded_with_attendance_and_actions() {
    let mut s = active().later(Duration::hours(1));
    let kinds = [
        (MeetingKind::ChildInNeed, true),
        (MeetingKind::ChildProtectionConference, false),
        (MeetingKind::StrategyDiscussion, true),
        (MeetingKind::ProfessionalsMeeting, true),
    ];
    for (kind, attended) in kinds {
        s = s
            .when(meeting(kind, attended))
            .then_event_types(&["meeting_recorded"])
            .then_stage(StageName::Active)
            .and();
    }
    let meetings = &s.case().file().activity.meetings;
    assert_eq!(meetings.len(), 4);
    assert!(!meetings[1].service_attended);
    assert_eq!(meetings[2].actions[0].by_whom, Some(text("Project worker")));
    let line = s.history().last().unwrap().describe();
    assert!(
        line.contains("professionals' meeting") && line.contains("attended"),
        "{line}"
    );
}

#[test]
fn r13_a_meeting_is_recorded_before_allocation_too_but_not_in_the_future() {
    received()
        .later(Duration::hours(1))
        .when(meeting(MeetingKind::StrategyDiscussion, true))
        .then_stage(StageName::Received);
    received()
        .when(CaseCommand::RecordMeeting {
            kind: MeetingKind::ChildInNeed,
            held_at: start() + Duration::days(1),
            service_attended: false,
            actions: vec![],
        })
        .then_input_error("held_at");
}

#[test]
fn a_declined_referral_records_no_meetings() {
    received()
        .given(vec![
            CaseCommand::Screen,
            CaseCommand::AssessRisk {
                indicators: vec![],
                worker_override: None,
            },
            CaseCommand::Decline {
                reason: text("Already supported by another project").into(),
            },
        ])
        .when(meeting(MeetingKind::ChildInNeed, true))
        .then_error(|e| {
            assert!(
                matches!(
                    e,
                    DomainError::NotAtThisStage {
                        stage: StageName::Declined,
                        ..
                    }
                ),
                "{e}"
            )
        });
}

// ---------------------------------------------------------------------------------------------
// Referrals out to partner agencies.

#[test]
fn every_kind_of_partner_can_be_referred_to() {
    let kinds = [
        PartnerKind::Housing,
        PartnerKind::DrugAndAlcohol,
        PartnerKind::MentalHealth,
        PartnerKind::College,
        PartnerKind::ParentsSupport,
        PartnerKind::BoysService,
        PartnerKind::Other,
    ];
    let mut s = active().later(Duration::hours(1));
    for kind in kinds {
        s = s
            .when(refer(kind))
            .then_event_types(&["partner_referral_sent"])
            .and();
    }
    let referrals = &s.case().file().activity.partner_referrals;
    assert_eq!(referrals.len(), 7);
    assert!(referrals
        .iter()
        .all(|r| r.status == PartnerReferralStatus::Sent));
}

#[test]
fn a_referral_out_is_accepted_then_closed() {
    let s = active()
        .later(Duration::days(1))
        .given(vec![refer(PartnerKind::Housing)]);
    let referral = last_referral(&s);
    let s = s
        .when(CaseCommand::UpdatePartnerReferral {
            referral,
            update: PartnerReferralUpdate::Accepted,
            at: start() + Duration::hours(20),
        })
        .then_case(|case| {
            assert_eq!(
                case.file().activity.partner_referrals[0].status,
                PartnerReferralStatus::Accepted {
                    at: start() + Duration::hours(20)
                }
            )
        })
        .and();
    let s = s
        .when(CaseCommand::UpdatePartnerReferral {
            referral,
            update: PartnerReferralUpdate::Closed {
                reason: Some(text("Housed in supported lodgings")),
            },
            at: start() + Duration::days(1),
        })
        .then_event_types(&["partner_referral_updated"])
        .and();
    // Closed is the end.
    s.when(CaseCommand::UpdatePartnerReferral {
        referral,
        update: PartnerReferralUpdate::Accepted,
        at: start() + Duration::days(1),
    })
    .then_input_error("update");
}

#[test]
fn a_declined_referral_out_cannot_be_accepted_and_the_field_is_named() {
    let s = active()
        .later(Duration::days(1))
        .given(vec![refer(PartnerKind::College)]);
    let referral = last_referral(&s);
    let declined = s
        .clone()
        .when(CaseCommand::UpdatePartnerReferral {
            referral,
            update: PartnerReferralUpdate::Declined {
                reason: Some(text("Course full this term")),
            },
            at: start() + Duration::hours(2),
        })
        .then_accepted()
        .and();
    declined
        .when(CaseCommand::UpdatePartnerReferral {
            referral,
            update: PartnerReferralUpdate::Accepted,
            at: start() + Duration::hours(3),
        })
        .then_input_error("update")
        .then_error(|e| assert!(e.to_string().contains("declined"), "{e}"));
    // An answer before the referral was sent, or in the future, names `at`.
    s.clone()
        .when(CaseCommand::UpdatePartnerReferral {
            referral,
            update: PartnerReferralUpdate::Accepted,
            at: start() - Duration::minutes(1),
        })
        .then_input_error("at");
    s.clone()
        .when(CaseCommand::UpdatePartnerReferral {
            referral,
            update: PartnerReferralUpdate::Accepted,
            at: start() + Duration::days(2),
        })
        .then_input_error("at");
    s.when(CaseCommand::UpdatePartnerReferral {
        referral: PartnerReferralId::new(),
        update: PartnerReferralUpdate::Accepted,
        at: start(),
    })
    .then_input_error("referral");
}

#[test]
fn referrals_out_need_an_allocated_worker() {
    received()
        .given(vec![CaseCommand::Screen])
        .when(refer(PartnerKind::MentalHealth))
        .then_error(|e| {
            assert!(
                matches!(
                    e,
                    DomainError::NotAtThisStage {
                        stage: StageName::Screened,
                        ..
                    }
                ),
                "{e}"
            )
        });
    active()
        .when(CaseCommand::ReferToPartner {
            partner: PartnerKind::Housing,
            agency: text("Fictional Housing Options"),
            sent_at: start() + Duration::minutes(5),
        })
        .then_input_error("sent_at");
}

// ---------------------------------------------------------------------------------------------
// a referral out shares information, so it needs consent to share with that agency.

fn refused_by_r8(s: Scenario, agency: &str) {
    s.when(CaseCommand::ReferToPartner {
        partner: PartnerKind::Housing,
        agency: text(agency),
        sent_at: start(),
    })
    .then_refused_by(Rule::R8)
    .then_error(|e| {
        let message = e.to_string();
        assert!(message.contains("R-8"), "{message}");
        assert!(
            message.contains(&format!("`sharing with {agency}`")),
            "the scope is named: {message}"
        );
    });
}

#[test]
fn r8_a_referral_out_needs_the_young_persons_consent_to_share_with_that_agency() {
    const HOUSING: &str = "Fictional Housing Options";
    let s = at_work().later(Duration::hours(1));
    // No consent at all.
    refused_by_r8(s.clone(), HOUSING);
    // Consent to share with another agency does not stretch to this one.
    let other = s.clone().given(vec![sharing_with(
        "Fictional College",
        ConsentDecision::Given,
        ConsentGiver::YoungPerson,
    )]);
    refused_by_r8(other, HOUSING);
    // A parent's agreement does not stand in for the young person's.
    let parent = s.clone().given(vec![sharing_with(
        HOUSING,
        ConsentDecision::Given,
        ConsentGiver::ParentOrCarer,
    )]);
    refused_by_r8(parent, HOUSING);
    // Refused when asked.
    let refused = s.clone().given(vec![sharing_with(
        HOUSING,
        ConsentDecision::Refused,
        ConsentGiver::YoungPerson,
    )]);
    refused_by_r8(refused, HOUSING);
    // Given: the referral goes.
    let given = s.given(vec![sharing_with(
        HOUSING,
        ConsentDecision::Given,
        ConsentGiver::YoungPerson,
    )]);
    let sent = given
        .when(CaseCommand::ReferToPartner {
            partner: PartnerKind::Housing,
            agency: text(HOUSING),
            sent_at: start(),
        })
        .then_event_types(&["partner_referral_sent"])
        .and();
    // Withdrawn: no further referral to that agency; the one sent stays on the record.
    let withdrawn = sent.given(vec![sharing_with(
        HOUSING,
        ConsentDecision::Withdrawn,
        ConsentGiver::YoungPerson,
    )]);
    assert_eq!(withdrawn.case().file().activity.partner_referrals.len(), 1);
    refused_by_r8(withdrawn, HOUSING);
}
