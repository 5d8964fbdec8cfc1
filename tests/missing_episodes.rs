//! R-22: missing episodes are recorded with start and return times; a return interview is due
//! within 72 hours of return (offered, completed or declined, and when); three or more
//! episodes within 30 days raise a flag for a strategy discussion.
//!
//! Boundaries: a return interview is due at exactly `returned_at + 72h` and overdue strictly
//! after; three episodes whose start dates fall within 30 calendar days (the first's date is
//! day 1) flag, so a third on day 30 flags and a third on day 31 does not.

mod support;

use casework::kernel::error::DomainError;
use casework::kernel::event::DomainEvent;
use casework::kernel::ids::{MissingEpisodeId, MissingFlagId};
use casework::memory::MemoryStore;
use casework::young_person::missing::{ReturnInterviewOutcome, RETURN_INTERVIEW_HOURS};
use casework::young_person::{YoungPersonActivity, YoungPersonCommand, YoungPersonEvent};
use casework::{CommandError, YoungPersonExecuted};
use casework_testkit::fixtures::{girl_in_leeds_area, self_referral, text};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

/// The shared desk, from 08:00 on 1 March, with one girl registered.
type Desk = support::OneGirl<MemoryStore>;

impl Desk {
    async fn new() -> Self {
        let desk = casework_testkit::desk::Desk::new(MemoryStore::new());
        desk.set(at(1, 8));
        Self::on(desk).await
    }

    async fn run(&self, command: YoungPersonCommand) -> Result<YoungPersonExecuted, CommandError> {
        self.try_run_for(self.yp, command).await
    }

    /// An episode from `from` to `to`, with the clock moved to the return; the start's
    /// outcome (with any flag it raised).
    async fn episode(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> YoungPersonExecuted {
        self.desk.episode(self.yp, from, to).await
    }

    async fn activity(&self) -> YoungPersonActivity {
        self.cw.young_person_activity(self.yp).await.unwrap()
    }
}

fn input_field(result: Result<YoungPersonExecuted, CommandError>) -> String {
    match result {
        Err(CommandError::Rejected(DomainError::Input(e))) => e.field,
        other => panic!("expected bad input, got {other:?}"),
    }
}

fn flagged(done: &YoungPersonExecuted) -> bool {
    done.events
        .iter()
        .any(|e| matches!(e, YoungPersonEvent::MissingPatternFlagged { .. }))
}

// ---------------------------------------------------------------------------------------------
// Start, return and the return interview.

#[tokio::test]
async fn r22_an_episode_starts_and_ends_and_a_return_interview_is_due_72_hours_after_return() {
    let desk = Desk::new().await;
    desk.clock.set(at(3, 23));
    let episode = desk
        .cw
        .start_missing_episode(&desk.worker, desk.yp, at(3, 22))
        .await
        .unwrap();
    let open = desk.activity().await;
    assert_eq!(open.open_episode().map(|e| e.id), Some(episode));
    assert!(
        desk.cw
            .return_interviews_due(desk.yp)
            .await
            .unwrap()
            .is_empty(),
        "nothing is due while the young person is still missing"
    );
    desk.clock.set(at(4, 12));
    let done = desk
        .run(YoungPersonCommand::EndMissingEpisode {
            episode,
            returned_at: at(4, 10),
        })
        .await
        .unwrap();
    assert_eq!(
        done.events,
        vec![YoungPersonEvent::MissingEpisodeEnded {
            episode,
            returned_at: at(4, 10),
            return_interview_due: at(7, 10),
        }]
    );
    let due = desk.cw.return_interviews_due(desk.yp).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        due[0].due_at,
        at(4, 10) + Duration::hours(RETURN_INTERVIEW_HOURS)
    );
    assert!(!due[0].overdue);
    // The identity record is untouched by the episode, and the history is attributed.
    assert_eq!(
        desk.cw.young_person(desk.yp).await.unwrap().details,
        girl_in_leeds_area()
    );
    assert_eq!(done.version, 3);
}

#[tokio::test]
async fn r22_a_return_interview_due_at_exactly_72_hours_is_due_and_overdue_strictly_after() {
    let desk = Desk::new().await;
    desk.episode(at(3, 22), at(4, 10)).await;
    desk.clock.set(at(7, 10));
    let due = desk.cw.return_interviews_due(desk.yp).await.unwrap();
    assert!(
        !due[0].overdue,
        "due at exactly 72 hours is not yet overdue"
    );
    desk.clock.set(at(7, 10) + Duration::seconds(1));
    let due = desk.cw.return_interviews_due(desk.yp).await.unwrap();
    assert!(due[0].overdue, "a second after 72 hours it is overdue");
    // The pure query agrees to the microsecond.
    let activity = desk.activity().await;
    assert!(!activity.return_interviews_due(at(7, 10))[0].overdue);
    assert!(activity.return_interviews_due(at(7, 10) + Duration::microseconds(1))[0].overdue);
}

#[tokio::test]
async fn r22_a_return_before_the_start_is_refused_naming_returned_at() {
    let desk = Desk::new().await;
    desk.clock.set(at(4, 12));
    let episode = desk
        .cw
        .start_missing_episode(&desk.worker, desk.yp, at(3, 22))
        .await
        .unwrap();
    let refused = desk
        .run(YoungPersonCommand::EndMissingEpisode {
            episode,
            returned_at: at(3, 21),
        })
        .await;
    assert_eq!(input_field(refused), "returned_at");
    let future = desk
        .run(YoungPersonCommand::EndMissingEpisode {
            episode,
            returned_at: at(4, 13),
        })
        .await;
    assert_eq!(input_field(future), "returned_at");
    let unknown = desk
        .run(YoungPersonCommand::EndMissingEpisode {
            episode: MissingEpisodeId::new(),
            returned_at: at(4, 10),
        })
        .await;
    assert_eq!(input_field(unknown), "episode");
    // A return at the very moment of the start is a (short) episode.
    desk.run(YoungPersonCommand::EndMissingEpisode {
        episode,
        returned_at: at(3, 22),
    })
    .await
    .unwrap();
    let again = desk
        .run(YoungPersonCommand::EndMissingEpisode {
            episode,
            returned_at: at(4, 10),
        })
        .await;
    assert_eq!(input_field(again), "episode");
}

#[tokio::test]
async fn r22_a_return_interview_is_offered_then_completed_or_declined_and_when() {
    let desk = Desk::new().await;
    desk.episode(at(3, 22), at(4, 10)).await;
    let first = desk.activity().await.missing_episodes[0].id;
    // Before the return, the field is named.
    let early = desk
        .run(YoungPersonCommand::RecordReturnInterview {
            episode: first,
            outcome: ReturnInterviewOutcome::Offered,
            at: at(4, 9),
        })
        .await;
    assert_eq!(input_field(early), "at");
    desk.clock.set(at(5, 12));
    desk.run(YoungPersonCommand::RecordReturnInterview {
        episode: first,
        outcome: ReturnInterviewOutcome::Offered,
        at: at(5, 11),
    })
    .await
    .unwrap();
    // Offered is recorded, but the interview is still due.
    let due = desk.cw.return_interviews_due(desk.yp).await.unwrap();
    assert_eq!(due[0].offered_at, Some(at(5, 11)));
    desk.clock.set(at(6, 16));
    desk.run(YoungPersonCommand::RecordReturnInterview {
        episode: first,
        outcome: ReturnInterviewOutcome::Completed,
        at: at(6, 15),
    })
    .await
    .unwrap();
    assert!(desk
        .cw
        .return_interviews_due(desk.yp)
        .await
        .unwrap()
        .is_empty());
    let interview = &desk.activity().await.missing_episodes[0].interview;
    assert_eq!(interview.completed_at, Some(at(6, 15)));
    let twice = desk
        .run(YoungPersonCommand::RecordReturnInterview {
            episode: first,
            outcome: ReturnInterviewOutcome::Declined,
            at: at(6, 16),
        })
        .await;
    assert_eq!(input_field(twice), "episode");
    // A second episode: the young person declines the interview, which meets the duty too.
    desk.episode(at(10, 22), at(11, 9)).await;
    let second = desk.activity().await.missing_episodes[1].id;
    desk.clock.set(at(12, 9));
    desk.run(YoungPersonCommand::RecordReturnInterview {
        episode: second,
        outcome: ReturnInterviewOutcome::Declined,
        at: at(12, 9),
    })
    .await
    .unwrap();
    assert!(desk
        .cw
        .return_interviews_due(desk.yp)
        .await
        .unwrap()
        .is_empty());
    // No interview before a return is recorded.
    desk.clock.set(at(13, 23));
    let third = desk
        .cw
        .start_missing_episode(&desk.worker, desk.yp, at(13, 22))
        .await
        .unwrap();
    let too_soon = desk
        .run(YoungPersonCommand::RecordReturnInterview {
            episode: third,
            outcome: ReturnInterviewOutcome::Offered,
            at: at(13, 23),
        })
        .await;
    assert_eq!(input_field(too_soon), "episode");
}

#[tokio::test]
async fn r22_an_episode_cannot_start_while_another_is_open_or_within_an_earlier_one() {
    let desk = Desk::new().await;
    desk.episode(at(3, 22), at(5, 10)).await;
    desk.clock.set(at(8, 12));
    let within = desk
        .run(YoungPersonCommand::StartMissingEpisode {
            started_at: at(4, 12),
        })
        .await;
    assert_eq!(input_field(within), "started_at");
    desk.cw
        .start_missing_episode(&desk.worker, desk.yp, at(8, 1))
        .await
        .unwrap();
    let while_open = desk
        .run(YoungPersonCommand::StartMissingEpisode {
            started_at: at(8, 2),
        })
        .await;
    assert_eq!(input_field(while_open), "started_at");
    let future = Desk::new().await;
    let refused = future
        .run(YoungPersonCommand::StartMissingEpisode {
            started_at: at(1, 9),
        })
        .await;
    assert_eq!(input_field(refused), "started_at");
}

// ---------------------------------------------------------------------------------------------
// The flag: three starts within 30 days.

#[tokio::test]
async fn r22_a_third_episode_starting_on_day_30_raises_a_flag() {
    let desk = Desk::new().await;
    assert!(!flagged(&desk.episode(at(1, 22), at(2, 8)).await));
    assert!(!flagged(&desk.episode(at(15, 22), at(16, 8)).await));
    // Day 30 counts the first episode's date as day 1: 30 March.
    let third = desk.episode(at(30, 0), at(30, 9)).await;
    assert!(flagged(&third), "a third start on day 30 raises the flag");
    let activity = desk.activity().await;
    assert!(activity.is_flagged());
    assert_eq!(activity.open_flag().unwrap().episodes.len(), 3);
}

#[tokio::test]
async fn r22_a_third_episode_starting_on_day_31_does_not() {
    let desk = Desk::new().await;
    desk.episode(at(1, 22), at(2, 8)).await;
    desk.episode(at(15, 22), at(16, 8)).await;
    let third = desk.episode(at(31, 0), at(31, 9)).await;
    assert!(
        !flagged(&third),
        "a third start on day 31 is outside the 30 days"
    );
    assert!(!desk.activity().await.is_flagged());
}

#[tokio::test]
async fn r22_a_flag_is_resolved_with_a_reason_and_a_continuing_pattern_raises_a_new_one() {
    let desk = Desk::new().await;
    desk.episode(at(1, 22), at(2, 8)).await;
    desk.episode(at(5, 22), at(6, 8)).await;
    desk.episode(at(9, 22), at(10, 8)).await;
    let flag = desk.activity().await.open_flag().unwrap().id;
    // While the flag is up, a fourth episode raises no second flag.
    assert!(!flagged(&desk.episode(at(12, 22), at(13, 8)).await));
    assert_eq!(desk.activity().await.missing_flags.len(), 1);
    desk.clock.set(at(14, 16));
    let unknown = desk
        .run(YoungPersonCommand::ResolveMissingFlag {
            flag: MissingFlagId::new(),
            reason: text("Strategy discussion held"),
        })
        .await;
    assert_eq!(input_field(unknown), "flag");
    let resolved = desk
        .run(YoungPersonCommand::ResolveMissingFlag {
            flag,
            reason: text("Strategy discussion held on 14 March; safety plan agreed"),
        })
        .await
        .unwrap();
    assert!(!resolved.state.activity.is_flagged());
    let history = casework::bypass::raw_store(&desk.cw);
    let stored = casework::store::EventLoad::load(
        history,
        casework::kernel::ids::StreamId::YoungPerson(desk.yp),
    )
    .await
    .unwrap();
    let last = stored.last().unwrap();
    assert_eq!(last.event_type, "missing_flag_resolved");
    // The why is kept in the event (R-18), which the service seals at rest; never in the
    // envelope, which it does not (kernel::sealing::personal).
    assert!(last.payload.contains("safety plan"), "{}", last.payload);
    assert_eq!(last.meta.reason, None);
    let again = desk
        .run(YoungPersonCommand::ResolveMissingFlag {
            flag,
            reason: text("Again"),
        })
        .await;
    assert_eq!(input_field(again), "flag");
    // The pattern continues: a new flag.
    assert!(flagged(&desk.episode(at(16, 22), at(17, 8)).await));
    assert_eq!(desk.activity().await.missing_flags.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Episodes belong to the young person, across cases.

#[tokio::test]
async fn missing_episodes_belong_to_the_young_person_not_to_a_case() {
    let desk = Desk::new().await;
    // Before any case.
    desk.episode(at(1, 22), at(2, 8)).await;
    desk.clock.set(at(3, 9));
    let case = desk
        .cw
        .receive_referral(&desk.worker, desk.yp, self_referral(at(3, 9)))
        .await
        .unwrap();
    desk.episode(at(4, 22), at(5, 8)).await;
    let activity = desk.activity().await;
    assert_eq!(activity.missing_episodes.len(), 2);
    // The case's own record holds none of it.
    let history = desk.cw.history(case).await.unwrap();
    assert!(history
        .iter()
        .all(|r| !r.event.event_type().contains("missing")));
    // Every stored event decodes back (R-18).
    let stored = casework::store::EventLoad::load(
        casework::bypass::raw_store(&desk.cw),
        casework::kernel::ids::StreamId::YoungPerson(desk.yp),
    )
    .await
    .unwrap();
    for recorded in &stored {
        YoungPersonEvent::decode(recorded).unwrap();
    }
    assert_eq!(
        YoungPersonActivity::fold(
            stored
                .iter()
                .map(|r| YoungPersonEvent::decode(r).unwrap())
                .collect::<Vec<_>>()
                .iter()
        ),
        activity
    );
}

#[test]
fn young_person_commands_have_a_stable_json_form() {
    let json = r#"{"end_missing_episode": {"episode": "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d", "returned_at": "2026-03-15T10:00:00Z"}}"#;
    let command: YoungPersonCommand = serde_json::from_str(json).unwrap();
    assert_eq!(command.name(), "end_missing_episode");
    let unknown = r#"{"end_missing_episode": {"episode": "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d", "returned_at": "2026-03-15T10:00:00Z", "where": "park"}}"#;
    assert!(serde_json::from_str::<YoungPersonCommand>(unknown).is_err());
    assert_eq!(
        serde_json::to_string(&YoungPersonCommand::JoinAlumni).unwrap(),
        "\"join_alumni\""
    );
}
