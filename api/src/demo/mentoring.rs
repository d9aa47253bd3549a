//! The demo's mentoring part ("1 jeune, 1 mentor"): in each département a
//! mentoring structure enrols company employees as mentors and imports its
//! young people's spreadsheet, runs the mentoring match, reviews and
//! publishes the drafts, then lives the last seven months of follow-up on
//! the service's clock, started that far back — meetings, pauses,
//! withdrawals, completed pairs — and reads the coordinator's report,
//! alerts and State export as of today.
//!
//! Everything goes through the HTTP API, as a coordinator would; only the
//! clock is moved by the demo, a week at a time, as a real calendar would.
use super::client::Api;
use super::mentoring_people::{mentees_csv, mentor_body};
use super::scenario::{Scale, Scenario};
use super::seed::{self, Seeded};
use super::{bar, spinner};
use crate::clock::Clock;
use anyhow::{Context, bail};
use chrono::{Datelike, Duration, NaiveDate};
use futures::{StreamExt, TryStreamExt};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Weeks of follow-up after publication: seven months, past the
/// programme's six-month minimum.
const WEEKS: i64 = 30;
/// How far back the service's clock starts for the mentoring part to end
/// today: the weeks replayed, and the week of answers.
pub const SPAN: Duration = Duration::weeks(WEEKS + 1);
/// Requests in flight at once while replaying a week.
const CONCURRENT: usize = 8;

/// What happened in one structure, as its coordinator reads it back.
#[derive(Debug, Clone)]
pub struct StructureOutcome {
    pub code: &'static str,
    pub name: &'static str,
    pub mentors: usize,
    pub places: u64,
    pub mentees: usize,
    /// `POST /v1/mentoring/match-runs`: its metrics and unmatched reasons.
    pub run: Value,
    pub published: u64,
    pub declined: u64,
    pub meetings: u64,
    /// `GET /v1/stats/mentoring?group_by=priority` at the end.
    pub by_priority: Value,
    /// `GET /v1/stats/mentoring?group_by=status` at the end.
    pub by_status: Value,
    /// Alerts at the end, counted by kind.
    pub alerts: BTreeMap<String, u64>,
    /// Data lines of `GET /v1/pairings/export.csv`, and its header.
    pub export_lines: usize,
    pub export_header: String,
}

/// How a pair lives once started; drawn per pair from the seed.
#[derive(Clone, Copy, PartialEq)]
enum Story {
    /// Meets every two or three weeks to the end.
    Steady { every: i64 },
    /// Meets for a while, then the meetings stop (an alert after 30 days),
    /// and the coordinator closes it ten weeks later for lack of contact.
    Fading { stops: i64 },
    /// Ends early for a reason of life.
    EndsEarly { at: i64, reason: &'static str },
    /// Paused during the holidays, then resumed.
    Paused { from: i64, to: i64 },
    /// Completes the programme after six months.
    Completes { at: i64 },
}

struct Pair {
    id: String,
    remote: bool,
    story: Story,
    active: bool,
}

pub async fn run(
    api: &Api,
    clock: &Clock,
    scenario: &Scenario,
    seeded: &Seeded,
    scale: Scale,
    seed: u64,
) -> anyhow::Result<Vec<StructureOutcome>> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6d65_6e74);
    let (mentors_per, mentees_per) = match scale {
        Scale::Small => (5, 14),
        Scale::Normal => (36, 140),
    };
    let mut outcomes = Vec::new();
    let mut structures = Vec::new();
    let step = spinner("Mentoring structures enrol mentors and mentees");
    for d in &scenario.departements {
        let name = format!("Association Tremplin Mentorat {}", d.name);
        let body = json!({"kind": "mentoring_structure", "name": name});
        let created = api
            .post("/v1/organisations", Some(&seeded.admin), &body)
            .await?;
        let org = created["id"].as_str().context("organisation without id")?;
        let email = format!("coordination-{}@demo.tremplin.test", d.code);
        let coordinator = seed::member(api, &seeded.admin, org.to_owned(), "coordinator", &email)
            .await?
            .token;
        let mut places = 0;
        for i in 0..mentors_per {
            let body = mentor_body(d, i, &mut rng)?;
            places += body["capacity"].as_u64().unwrap_or(1);
            api.post("/v1/mentors", Some(&coordinator), &body).await?;
        }
        let csv = mentees_csv(d, mentees_per, clock.today().year(), &mut rng)?;
        let report = api
            .post_csv("/v1/mentees/import", &coordinator, csv)
            .await?;
        if report["rejected"].as_u64() != Some(0) {
            bail!("the mentees of {} were not all imported: {report}", d.name);
        }
        outcomes.push(StructureOutcome {
            code: d.code,
            name: d.name,
            mentors: mentors_per,
            places,
            mentees: mentees_per,
            run: Value::Null,
            published: 0,
            declined: 0,
            meetings: 0,
            by_priority: Value::Null,
            by_status: Value::Null,
            alerts: BTreeMap::new(),
            export_lines: 0,
            export_header: String::new(),
        });
        structures.push(coordinator);
    }
    step.finish_with_message("Mentoring structures enrolled their mentors and mentees");

    let step = spinner("Mentoring match runs, reviewed and published");
    let mut pairs: Vec<Vec<Pair>> = Vec::new();
    for (token, outcome) in structures.iter().zip(&mut outcomes) {
        let run = api
            .post(
                "/v1/mentoring/match-runs",
                Some(token),
                &json!({"seed": seed % 1_000_000}),
            )
            .await?;
        let id = run["id"]
            .as_str()
            .context("match run without id")?
            .to_owned();
        let published = api
            .post(
                &format!("/v1/mentoring/match-runs/{id}/publish"),
                Some(token),
                &json!({}),
            )
            .await?;
        outcome.run = run;
        let ids: Vec<String> = published["published"]
            .as_array()
            .context("publish answer without `published`")?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        outcome.published = ids.len() as u64;
        let mut mine = Vec::new();
        for id in ids {
            let pairing = api.get(&format!("/v1/pairings/{id}"), token).await?;
            mine.push(Pair {
                id,
                remote: pairing["remote"].as_bool().unwrap_or(false),
                story: story(&mut rng),
                active: false,
            });
        }
        pairs.push(mine);
    }
    step.finish_with_message("Mentoring drafts reviewed and published");

    let progress = bar(WEEKS as u64, "Seven months of mentoring");
    let mut started_in = clock.today().year();
    for week in 0..=WEEKS {
        if week == 1 {
            started_in = clock.today().year();
        }
        for ((token, mine), outcome) in structures.iter().zip(&mut pairs).zip(&mut outcomes) {
            let today = clock.today();
            let moves = week_of(mine, week, today, &mut rng);
            outcome.meetings += moves.iter().filter(|m| m.1.is_none()).count() as u64;
            outcome.declined += moves
                .iter()
                .filter(|m| m.1.as_ref().is_some_and(|b| b["status"] == "declined"))
                .count() as u64;
            futures::stream::iter(moves.into_iter().map(|(id, patch, meeting)| async move {
                match patch {
                    Some(body) => api.patch(&format!("/v1/pairings/{id}"), token, &body).await,
                    None => {
                        api.post(
                            &format!("/v1/pairings/{id}/meetings"),
                            Some(token),
                            &meeting,
                        )
                        .await
                    }
                }
            }))
            .buffer_unordered(CONCURRENT)
            .try_collect::<Vec<Value>>()
            .await?;
        }
        clock.advance(Duration::days(7));
        progress.inc(1);
    }
    progress.finish();

    for (token, outcome) in structures.iter().zip(&mut outcomes) {
        // The yearly target counts the year the pairs started in.
        let stats = |by: &str| format!("/v1/stats/mentoring?group_by={by}&year={started_in}");
        outcome.by_priority = api.get(&stats("priority"), token).await?;
        outcome.by_status = api.get(&stats("status"), token).await?;
        // Every page: a structure with seven months behind it has many.
        for alert in api.all("/v1/pairings/alerts", token).await? {
            let kind = alert["kind"].as_str().unwrap_or("unknown").to_owned();
            *outcome.alerts.entry(kind).or_default() += 1;
        }
        let csv = api.get_text("/v1/pairings/export.csv", token).await?;
        let mut lines = csv.lines();
        outcome.export_header = lines.next().unwrap_or_default().to_owned();
        outcome.export_lines = lines.count();
    }
    Ok(outcomes)
}

fn story(rng: &mut StdRng) -> Story {
    match rng.random_range(0..100) {
        0..45 => Story::Steady {
            every: rng.random_range(2..=3),
        },
        45..60 => Story::Completes {
            at: rng.random_range(27..=WEEKS),
        },
        60..75 => Story::Fading {
            stops: rng.random_range(8..=24),
        },
        75..85 => {
            let reasons = ["mentee_withdrew", "mentor_withdrew", "moved", "other"];
            Story::EndsEarly {
                at: rng.random_range(5..=20),
                reason: reasons.choose(rng).copied().unwrap_or("other"),
            }
        }
        _ => {
            let from = rng.random_range(8..=14);
            Story::Paused { from, to: from + 3 }
        }
    }
}

/// This week's calls for a structure's pairs: `(pairing, Some(patch), _)`
/// for a status change, `(pairing, None, meeting)` for a meeting.
fn week_of(
    pairs: &mut [Pair],
    week: i64,
    today: NaiveDate,
    rng: &mut StdRng,
) -> Vec<(String, Option<Value>, Value)> {
    let mut calls = Vec::new();
    let none = Value::Null;
    for pair in pairs.iter_mut() {
        // Answers come within the first week: most say yes.
        if week == 1 {
            if rng.random_range(0..100) < 12 {
                let body = json!({"status": "declined", "note": "la famille n'a pas donné suite"});
                calls.push((pair.id.clone(), Some(body), none.clone()));
                pair.story = Story::EndsEarly { at: -1, reason: "" };
            } else {
                let body = json!({"status": "active", "start_date": today});
                calls.push((pair.id.clone(), Some(body), none.clone()));
                pair.active = true;
            }
            continue;
        }
        if !pair.active || week < 2 {
            continue;
        }
        let weeks_in = week - 1;
        let meets = |every: i64| weeks_in % every == 0;
        let end =
            |reason: &str| json!({"status": "ended", "end_reason": reason, "end_date": today});
        let (change, meeting) = match pair.story {
            Story::Steady { every } => (None, meets(every)),
            Story::Completes { at } if week == at => (
                Some(
                    json!({"status": "ended", "end_reason": "completed", "end_date": today,
                    "closing_note": "objectif d'orientation atteint"}),
                ),
                false,
            ),
            Story::Completes { .. } => (None, meets(2)),
            Story::Fading { stops } if week == stops + 10 => (Some(end("no_contact")), false),
            Story::Fading { stops } => (None, week < stops && meets(2)),
            Story::EndsEarly { at, reason } if week == at => (Some(end(reason)), false),
            Story::EndsEarly { .. } => (None, meets(2)),
            Story::Paused { from, .. } if week == from => (
                Some(json!({"status": "paused", "note": "stage à l'étranger"})),
                false,
            ),
            Story::Paused { to, .. } if week == to => (Some(json!({"status": "active"})), false),
            Story::Paused { from, to } => (None, (week < from || week > to) && meets(2)),
        };
        if let Some(body) = change {
            if body["status"] == "ended" {
                pair.active = false;
            }
            calls.push((pair.id.clone(), Some(body), none.clone()));
        } else if meeting {
            let mode = if pair.remote {
                "remote"
            } else if rng.random_range(0..4) == 0 {
                "phone"
            } else {
                "in_person"
            };
            let meeting = json!({"date": today, "duration_minutes": rng.random_range(45..=120),
                "mode": mode});
            calls.push((pair.id.clone(), None, meeting));
        }
    }
    calls
}
