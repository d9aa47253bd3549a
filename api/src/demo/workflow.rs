//! The school year's workflow: classes hosted as groups, one campaign per
//! département, then families accepting near proposals and companies
//! confirming them.
use super::client::Api;
use super::seed::{Seeded, SeededDepartement};
use super::{WEEK, bar, spinner};
use crate::clock::Clock;
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// How long a run may take before the demo gives up on it.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(100);
/// One company in this many is still reviewing its accepted placements.
const REVIEWING_EVERY: usize = 5;
const GROUP_RADIUS_KM: f64 = 30.0;

pub struct Outcome {
    pub departements: Vec<DepartementOutcome>,
}

#[derive(Default)]
pub struct DepartementOutcome {
    /// The campaign's metrics: the exact engine, with `greedy` inside.
    pub metrics: Value,
    /// Stage proposals, accepted and confirmed placements per tier.
    pub proposed: BTreeMap<String, u64>,
    pub accepted: BTreeMap<String, u64>,
    pub confirmed: BTreeMap<String, u64>,
    /// Classes sent as a group, placed, and confirmed.
    pub groups_requested: u64,
    pub groups_placed: u64,
    pub groups_confirmed: u64,
}

struct Request {
    school: usize,
    id: String,
    group: bool,
}

pub async fn run(api: &Api, clock: &Clock, seeded: &Seeded, seed: u64) -> anyhow::Result<Outcome> {
    let seed = seed % u64::from(u32::MAX);
    let mut requests: Vec<Vec<Request>> = Vec::new();
    let mut campaigns = Vec::new();
    let mut outcomes: Vec<DepartementOutcome> = Vec::new();
    let step = spinner("Classes asking companies to host them");
    for d in &seeded.departements {
        let mut mine = Vec::new();
        for (school, classes) in d.classes.iter().enumerate() {
            for (class, _) in classes.iter().filter(|(_, group)| *group) {
                // A class travels by coach: farther than a pupil alone.
                let body = json!({"kind": "classe_entreprise", "week": WEEK, "class_name": class, "seed": seed, "radius_km": GROUP_RADIUS_KM});
                let answer = api
                    .post("/v1/match-requests", Some(&d.schools[school].token), &body)
                    .await?;
                mine.push(Request {
                    school,
                    id: id_of(&answer)?,
                    group: true,
                });
            }
        }
        for r in &mine {
            wait_request(api, &d.schools[r.school].token, &r.id).await?;
        }
        requests.push(mine);
    }
    step.finish_and_clear();

    let step = spinner("Campaigns: schools attach their requests");
    // A month ahead on the service's clock, which decides when it is due.
    let deadline = clock.now() + chrono::Duration::days(30);
    for (d, mine) in seeded.departements.iter().zip(&mut requests) {
        let campaign = api
            .post(
                "/v1/campaigns",
                Some(&seeded.admin),
                &json!({"departement": d.code, "kind": "stage_3e", "week": WEEK, "deadline": deadline}),
            )
            .await?;
        let campaign_id = id_of(&campaign)?;
        for (school, classes) in d.classes.iter().enumerate() {
            for (class, _) in classes.iter().filter(|(_, group)| !*group) {
                let body = json!({"kind": "stage_3e", "week": WEEK, "class_name": class, "campaign_id": campaign_id, "seed": seed});
                let answer = api
                    .post("/v1/match-requests", Some(&d.schools[school].token), &body)
                    .await?;
                mine.push(Request {
                    school,
                    id: id_of(&answer)?,
                    group: false,
                });
            }
        }
        campaigns.push(campaign_id);
    }
    step.set_message("Campaigns: one matching run per département");
    for id in &campaigns {
        api.post(
            &format!("/v1/campaigns/{id}/run"),
            Some(&seeded.admin),
            &json!({}),
        )
        .await?;
    }
    for id in &campaigns {
        let campaign = wait_campaign(api, &seeded.admin, id).await?;
        outcomes.push(DepartementOutcome {
            metrics: campaign["metrics"].clone(),
            ..DepartementOutcome::default()
        });
    }
    step.finish_and_clear();

    let total: usize = requests.iter().map(Vec::len).sum();
    let progress = bar(total as u64, "Schools answering proposals");
    let mut tiers: HashMap<String, Option<String>> = HashMap::new();
    for ((d, mine), outcome) in seeded.departements.iter().zip(&requests).zip(&mut outcomes) {
        for r in mine {
            answer_proposals(api, d, r, outcome, &mut tiers).await?;
            progress.inc(1);
        }
    }
    progress.finish();

    let companies: usize = seeded.departements.iter().map(|d| d.companies.len()).sum();
    let progress = bar(companies as u64, "Companies confirming");
    for (d, outcome) in seeded.departements.iter().zip(&mut outcomes) {
        for (i, company) in d.companies.iter().enumerate() {
            progress.inc(1);
            if i % REVIEWING_EVERY == REVIEWING_EVERY - 1 {
                continue;
            }
            for p in api
                .all("/v1/placements?status=accepted", &company.token)
                .await?
            {
                let id = p["id"].as_str().context("a placement without id")?;
                api.post(
                    &format!("/v1/placements/{id}/confirm"),
                    Some(&company.token),
                    &json!({}),
                )
                .await?;
                match tiers.get(id) {
                    Some(Some(tier)) => *outcome.confirmed.entry(tier.clone()).or_default() += 1,
                    Some(None) => outcome.groups_confirmed += 1,
                    None => bail!("placement {id} was accepted by no school of the demo"),
                }
            }
        }
    }
    progress.finish();
    Ok(Outcome {
        departements: outcomes,
    })
}

/// Families accept a stage near enough and let a farther one wait; a class
/// accepts its group proposal.
async fn answer_proposals(
    api: &Api,
    d: &SeededDepartement,
    r: &Request,
    outcome: &mut DepartementOutcome,
    tiers: &mut HashMap<String, Option<String>>,
) -> anyhow::Result<()> {
    let token = &d.schools[r.school].token;
    let request = api
        .get(&format!("/v1/match-requests/{}", r.id), token)
        .await?;
    let proposals = request["proposals"].as_array().cloned().unwrap_or_default();
    if r.group {
        outcome.groups_requested += 1;
        outcome.groups_placed += proposals.len() as u64;
    }
    for p in proposals {
        let id = p["placement_id"]
            .as_str()
            .context("a proposal without placement_id")?;
        let tier = p["tier"].as_str().unwrap_or("standard").to_owned();
        let distance = p["distance_km"].as_f64().unwrap_or(f64::INFINITY);
        if !r.group {
            *outcome.proposed.entry(tier.clone()).or_default() += 1;
            if distance > d.accept_within_km {
                continue;
            }
            *outcome.accepted.entry(tier.clone()).or_default() += 1;
        }
        api.post(
            &format!("/v1/placements/{id}/accept"),
            Some(token),
            &json!({}),
        )
        .await?;
        tiers.insert(id.to_owned(), (!r.group).then_some(tier));
    }
    Ok(())
}

async fn wait_request(api: &Api, token: &str, id: &str) -> anyhow::Result<Value> {
    let started = Instant::now();
    loop {
        let body = api.get(&format!("/v1/match-requests/{id}"), token).await?;
        match body["status"].as_str() {
            Some("done") => return Ok(body),
            Some("failed" | "cancelled") => bail!("match request {id} did not run: {body}"),
            _ if started.elapsed() > RUN_TIMEOUT => bail!("match request {id} is still running"),
            _ => tokio::time::sleep(POLL).await,
        }
    }
}

async fn wait_campaign(api: &Api, admin: &str, id: &str) -> anyhow::Result<Value> {
    let started = Instant::now();
    loop {
        let body = api.get(&format!("/v1/campaigns/{id}"), admin).await?;
        match body["status"].as_str() {
            Some("done") => return Ok(body),
            Some("failed" | "cancelled") => bail!("campaign {id} did not run: {body}"),
            _ if started.elapsed() > RUN_TIMEOUT => bail!("campaign {id} is still running"),
            _ => tokio::time::sleep(POLL).await,
        }
    }
}

fn id_of(body: &Value) -> anyhow::Result<String> {
    body["id"]
        .as_str()
        .map(str::to_owned)
        .context("the API answer has no id")
}
