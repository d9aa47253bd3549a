//! One matching run: the pupils of one request (or of every request of a
//! campaign) against the free seats, solved by the exact engine and written
//! in one transaction that re-checks every seat it takes and every offer it
//! places on.
mod reach;

use super::JobContext;
use crate::domain::{IsoWeek, OfferKind, OfferStatus, PlacementStatus, PupilStatus, Sector, Track};
use crate::email;
use crate::notify;
use crate::store::schools::SchoolContext;
use crate::store::{self, match_requests, placements, pupils, schools};
use entity::{match_request, offer, offer_week, placement, pupil};
use matcher::{
    Assignment, GeoPoint, GroupSize, Kind, MatchConfig, MatchOutcome, Problem, Sectors, Slot, Tier,
    Tracks, Unit, WeekSpan,
};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Seats, pupils or the offers placed on changed between reading and
    /// writing: solve again.
    #[error("the data changed during the run")]
    Stale,
    /// A request of the run was cancelled.
    #[error("the run was cancelled")]
    Cancelled,
    /// Test hook: the worker died between solve and commit.
    #[error("worker stopped before commit")]
    Crash,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

struct UnitMeta {
    request: usize,
    pupil_id: Option<Uuid>,
    class_name: Option<String>,
    pupils: Vec<Uuid>,
    tier: String,
}

struct SlotMeta {
    offer_id: Uuid,
    company_id: Uuid,
    /// The offer's `updated_at` when read: every offer write (PATCH, PUT
    /// external, archive) sets it, so the commit knows the offer is still
    /// the one solved on.
    offer_version: chrono::DateTime<chrono::Utc>,
}

pub fn tier_of(priority: &str) -> Tier {
    match priority {
        "rep_plus" => Tier::RepPlus,
        "rep" => Tier::Rep,
        "rural" => Tier::Rural,
        "qpv" => Tier::Qpv,
        _ => Tier::Standard,
    }
}

fn kind_of(kind: OfferKind) -> Kind {
    match kind {
        OfferKind::Stage3e => Kind::Stage3e,
        OfferKind::PrepaMetiers => Kind::PrepaMetiers,
        OfferKind::ClasseEntreprise => Kind::ClasseEntreprise,
    }
}

fn track_of(track: &str) -> matcher::Track {
    match Track::parse(track) {
        Ok(Track::PrepaMetiers) => matcher::Track::PrepaMetiers,
        Ok(Track::Segpa) => matcher::Track::Segpa,
        Ok(Track::Ulis) => matcher::Track::Ulis,
        _ => matcher::Track::Generale,
    }
}

pub fn sectors_of(value: &Value) -> Sectors {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .filter_map(|s| Sector::parse(s).ok())
        .fold(Sectors::NONE, |acc, s| acc.with(s.code()))
}

/// The ISO weeks of a request, first to last.
pub fn weeks_between(start: &str, end: &str) -> Result<Vec<IsoWeek>, RunError> {
    let first = IsoWeek::parse(start).map_err(|e| RunError::Invalid(e.to_string()))?;
    let last = IsoWeek::parse(end).map_err(|e| RunError::Invalid(e.to_string()))?;
    let mut weeks = Vec::new();
    let mut day = first.monday();
    while IsoWeek::of_date(day) <= last {
        weeks.push(IsoWeek::of_date(day));
        day += chrono::Duration::days(7);
    }
    Ok(weeks)
}

/// The problem, and how to map its ids back.
struct Built {
    problem: Problem,
    units: Vec<UnitMeta>,
    slots: Vec<SlotMeta>,
    /// Free seats per slot when read, by week.
    weeks: Vec<String>,
    /// Units left out before solving (no position), with their reason.
    skipped: Vec<(usize, &'static str)>,
}

async fn build(
    ctx: &JobContext,
    requests: &[match_request::Model],
    config: &MatchConfig,
) -> Result<Built, RunError> {
    let first = requests
        .first()
        .ok_or_else(|| RunError::Invalid("no request to run".into()))?;
    let kind = OfferKind::parse(&first.kind).map_err(|e| RunError::Invalid(e.to_string()))?;
    let weeks = weeks_between(&first.week_start, &first.week_end)?;
    let span = WeekSpan::new(weeks[0].ordinal(), weeks[weeks.len() - 1].ordinal());
    let week_names: Vec<String> = weeks.iter().map(|w| w.to_string()).collect();
    let db = &ctx.db;

    let mut schools: HashMap<Uuid, Option<SchoolContext>> = HashMap::new();
    let mut units = Vec::new();
    let mut metas = Vec::new();
    let mut skipped = Vec::new();
    for (r, request) in requests.iter().enumerate() {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            schools.entry(request.organisation_id)
        {
            slot.insert(schools::context(db, &ctx.communes, request.organisation_id).await?);
        }
        let Some(school) = schools.get(&request.organisation_id).cloned().flatten() else {
            continue;
        };
        let school_point = school.location.map(|l| GeoPoint::new(l.lat, l.lon));
        let chosen: Vec<pupil::Model> = match (&request.class_name, kind) {
            (Some(class), _) => pupils::in_class(db, request.organisation_id, class).await?,
            (None, _) => {
                pupils::find_many(
                    db,
                    request.organisation_id,
                    &match_requests::pupil_ids(request),
                )
                .await?
            }
        };
        let unplaced: Vec<pupil::Model> = chosen
            .into_iter()
            .filter(|p| p.status == PupilStatus::Unplaced.as_str())
            .collect();
        if kind == OfferKind::ClasseEntreprise {
            if unplaced.is_empty() {
                continue;
            }
            let id = metas.len() as u64;
            // A group takes its collège's tier (REP+/REP, or rural by the
            // school's commune): one class, one unit, never split.
            let tier = school.priority(None, false);
            metas.push(UnitMeta {
                request: r,
                pupil_id: None,
                class_name: request.class_name.clone(),
                pupils: unplaced.iter().map(|p| p.id).collect(),
                tier: tier.as_str().to_owned(),
            });
            let Some(point) = school_point else {
                skipped.push((metas.len() - 1, "no_location"));
                continue;
            };
            let mut unit = Unit::new(id, point, Kind::ClasseEntreprise, span);
            unit.tier = tier_of(tier.as_str());
            unit.rural = school.commune_frr.unwrap_or(false);
            unit.group_size = unplaced.len().min(u16::MAX as usize) as u16;
            unit.needs_accessibility = unplaced.iter().any(|p| p.needs_accessibility);
            unit.radius_km = request.radius_km;
            units.push(unit);
            continue;
        }
        for p in unplaced {
            let home = match &p.home_commune_insee {
                Some(code) => ctx.communes.get(db, code).await?,
                None => None,
            };
            let point = home
                .as_ref()
                .map(|c| GeoPoint::new(c.lat, c.lon))
                .or(school_point);
            metas.push(UnitMeta {
                request: r,
                pupil_id: Some(p.id),
                class_name: Some(p.class_name.clone()),
                pupils: vec![p.id],
                tier: p.priority.clone(),
            });
            let Some(point) = point else {
                skipped.push((metas.len() - 1, "no_location"));
                continue;
            };
            let mut unit = Unit::new(metas.len() as u64 - 1, point, kind_of(kind), span);
            unit.tier = tier_of(&p.priority);
            unit.rural = home.map(|c| c.frr).or(school.commune_frr).unwrap_or(false);
            unit.track = track_of(&p.track);
            unit.interests = sectors_of(&p.interests);
            unit.needs_accessibility = p.needs_accessibility;
            unit.radius_km = request.radius_km;
            units.push(unit);
        }
    }

    // Offers of the kind within the units' reach that open a seat in every
    // week of the span.
    let offers = reach::reachable_offers(db, kind.as_str(), &units, config).await?;
    let mut seats_by_offer: HashMap<Uuid, BTreeMap<String, i32>> = HashMap::new();
    for chunk in offers.chunks(store::IN_LIST) {
        let week_rows = offer_week::Entity::find()
            .filter(offer_week::Column::OfferId.is_in(chunk.iter().map(|o| o.id)))
            .filter(offer_week::Column::Week.is_in(week_names.clone()))
            .all(db)
            .await?;
        for w in week_rows {
            seats_by_offer
                .entry(w.offer_id)
                .or_default()
                .insert(w.week, w.seats);
        }
    }
    seats_by_offer.retain(|_, weeks| weeks.len() == week_names.len());
    let offers: Vec<offer::Model> = offers
        .into_iter()
        .filter(|o| seats_by_offer.contains_key(&o.id))
        .collect();
    let ids: Vec<Uuid> = offers.iter().map(|o| o.id).collect();
    let held = placements::held_seats(db, &ids, &week_names).await?;
    let mut slots = Vec::new();
    let mut slot_metas = Vec::new();
    for o in offers {
        let Some(weeks) = seats_by_offer.get(&o.id) else {
            continue;
        };
        let free = weeks
            .iter()
            .map(|(week, seats)| {
                i64::from(*seats) - i64::from(*held.get(&(o.id, week.clone())).unwrap_or(&0))
            })
            .min()
            .unwrap_or(0);
        if free <= 0 {
            continue;
        }
        let mut slot = Slot::new(
            slot_metas.len() as u64,
            GeoPoint::new(o.lat, o.lon),
            kind_of(kind),
            span,
            free as u32,
        );
        slot.tracks = o
            .tracks
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .fold(Tracks::NONE, |acc, t| acc.with(track_of(t)));
        slot.reserved_for_priority = o.reserved_for_priority;
        slot.accessible = o.accessible;
        slot.sectors =
            Sector::parse(&o.sector).map_or(Sectors::NONE, |s| Sectors::NONE.with(s.code()));
        slot.group_size = o.group_min.zip(o.group_max).map(|(min, max)| GroupSize {
            min: min.clamp(0, u16::MAX as i32) as u16,
            max: max.clamp(0, u16::MAX as i32) as u16,
        });
        slots.push(slot);
        slot_metas.push(SlotMeta {
            offer_id: o.id,
            company_id: o.organisation_id,
            offer_version: o.updated_at,
        });
    }
    Ok(Built {
        problem: Problem { units, slots },
        units: metas,
        slots: slot_metas,
        weeks: week_names,
        skipped,
    })
}

/// How far a pair's people travel, km: the great-circle distance, or 0 for
/// a remote mentoring pair (both accept remote: nobody travels, and the
/// matcher costs it 0), as the matcher's own distance figures count it; the
/// pair itself keeps its great-circle distance in `distance_km`.
fn travel_km(a: &Assignment) -> f64 {
    if a.remote { 0.0 } else { a.distance_km }
}

pub fn metrics_json(outcome: &MatchOutcome) -> Value {
    let m = &outcome.metrics;
    let per_tier: Vec<Value> = Tier::ALL
        .iter()
        .map(|t| {
            let tm = m.tier(*t);
            // The matcher reports cost per tier; distance is what people read.
            let km: Vec<f64> = outcome
                .assignments
                .iter()
                .filter(|a| a.tier == *t)
                .map(travel_km)
                .collect();
            let mean_km = (!km.is_empty()).then(|| km.iter().sum::<f64>() / km.len() as f64);
            json!({"tier": t.as_str(), "units": tm.units, "matched": tm.matched, "rate": tm.rate, "distance_mean_km": mean_km})
        })
        .collect();
    json!({
        "units": m.units,
        "matched": m.matched,
        "match_rate": m.match_rate,
        "per_tier": per_tier,
        "seats": m.seats,
        "seats_used": m.seats_used,
        "fill_rate": m.fill_rate,
        "distance_km": {
            "mean": m.distance_mean_km,
            "p50": m.distance_p50_km,
            "p90": m.distance_p90_km,
            "max": m.distance_max_km,
        },
        "total_cost_m": m.total_cost_m,
        "blocking_pairs": m.blocking_pairs,
        "runtime_ms": {
            "solve": outcome.times.solve.as_secs_f64() * 1000.0,
            "verify": outcome.times.verify.as_secs_f64() * 1000.0,
            "total": outcome.times.total.as_secs_f64() * 1000.0,
        },
    })
}

/// What a run produced, for the job's log line.
pub struct RunSummary {
    pub units: usize,
    pub matched: usize,
    pub metrics: Value,
}

/// Solves and writes; a `Stale` answer means nothing was written and the
/// caller should run again.
pub async fn run_once(
    ctx: &JobContext,
    requests: &[match_request::Model],
    seed: u64,
    job_id: Uuid,
    with_greedy: bool,
) -> Result<RunSummary, RunError> {
    let config = MatchConfig {
        seed,
        ..MatchConfig::default()
    };
    let built = build(ctx, requests, &config).await?;
    let problem = built.problem.clone();
    let solve_config = config.clone();
    let (outcome, greedy) = tokio::task::spawn_blocking(move || {
        let exact = matcher::solve(&problem, &solve_config);
        let greedy = with_greedy.then(|| matcher::greedy(&problem, &solve_config));
        (exact, greedy)
    })
    .await
    .map_err(|e| RunError::Invalid(format!("solver task failed: {e}")))?;
    let outcome = outcome.map_err(|e| RunError::Invalid(e.to_string()))?;
    let mut metrics = metrics_json(&outcome);
    if let Some(Ok(greedy)) = greedy {
        metrics["greedy"] = metrics_json(&greedy);
    }
    if ctx.settings.crash_before_commit {
        return Err(RunError::Crash);
    }
    commit(ctx, requests, &built, &outcome, metrics.clone(), job_id).await?;
    Ok(RunSummary {
        units: built.units.len(),
        matched: outcome.assignments.len(),
        metrics,
    })
}

async fn commit(
    ctx: &JobContext,
    requests: &[match_request::Model],
    built: &Built,
    outcome: &MatchOutcome,
    metrics: Value,
    job_id: Uuid,
) -> Result<(), RunError> {
    let db = &ctx.db;
    let txn = db.begin().await?;
    for request in requests {
        let current = match_request::Entity::find_by_id(request.id)
            .one(&txn)
            .await?;
        if current.is_none_or(|r| r.status != "running") {
            return Err(RunError::Cancelled);
        }
    }
    // Seats: lock the offer-weeks taken (PostgreSQL; SQLite has one writer),
    // then check the offers and the seats against what they are now, not
    // what was read before solving. In key order, so that two runs taking
    // some of the same offer-weeks never each hold one the other waits for.
    // A week that a PATCH deleted and wrote again while this waited for it
    // is not returned (PostgreSQL skips a row deleted by the transaction it
    // waited for, and the new row is not in this statement's snapshot): it
    // counts no seat, and the offer's new version is seen below, so `Stale`.
    let mut taken: HashMap<usize, u32> = HashMap::new();
    for a in &outcome.assignments {
        *taken.entry(a.slot as usize).or_insert(0) += 1;
    }
    // A national run takes tens of thousands of offers: they go in bounded
    // IN lists, in offer order, so the locks still come by (offer, week).
    let mut offer_ids: Vec<Uuid> = taken.keys().map(|s| built.slots[*s].offer_id).collect();
    offer_ids.sort_unstable();
    if !offer_ids.is_empty() {
        let rows = offer_week::Entity::find()
            .filter(offer_week::Column::Week.is_in(built.weeks.clone()))
            .order_by_asc(offer_week::Column::OfferId)
            .order_by_asc(offer_week::Column::Week);
        let rows = store::locked(db, rows, LockType::Update);
        let seats: HashMap<(Uuid, String), i32> =
            store::find_in_chunks(&txn, rows, offer_week::Column::OfferId, &offer_ids)
                .await?
                .into_iter()
                .map(|w| ((w.offer_id, w.week), w.seats))
                .collect();
        offers_unchanged(&txn, built, taken.keys()).await?;
        let held = placements::held_seats(&txn, &offer_ids, &built.weeks).await?;
        for (slot, n) in &taken {
            let offer_id = built.slots[*slot].offer_id;
            for week in &built.weeks {
                let total = i64::from(*seats.get(&(offer_id, week.clone())).unwrap_or(&0));
                let used = i64::from(*held.get(&(offer_id, week.clone())).unwrap_or(&0));
                if used + i64::from(*n) > total {
                    return Err(RunError::Stale);
                }
            }
        }
    }
    // Proposals date from the service's clock, as do the sweep that expires
    // them and the answers that beat it.
    let now = ctx.clock.now();
    let expires_at = now + chrono::Duration::days(ctx.settings.placement_ttl_days);
    let kind = &requests[0].kind;
    // The placed pupils, each still unplaced and not erased, or the run is
    // stale: one UPDATE per `IN_LIST` pupils (a national run places hundreds
    // of thousands), in id order so that row locks are taken in one order.
    let mut placed: Vec<Uuid> = outcome
        .assignments
        .iter()
        .flat_map(|a| built.units[a.unit as usize].pupils.iter().copied())
        .collect();
    placed.sort_unstable();
    let mut claimed = 0;
    for chunk in placed.chunks(store::IN_LIST) {
        claimed += pupil::Entity::update_many()
            .col_expr(
                pupil::Column::Status,
                Expr::value(PupilStatus::Proposed.as_str()),
            )
            .col_expr(pupil::Column::UpdatedAt, Expr::value(now))
            .filter(pupil::Column::Id.is_in(chunk.iter().copied()))
            .filter(pupil::Column::Status.eq(PupilStatus::Unplaced.as_str()))
            .filter(pupil::Column::ErasedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
    }
    if claimed != placed.len() as u64 {
        return Err(RunError::Stale);
    }
    let mut rows = Vec::new();
    for a in &outcome.assignments {
        let unit = &built.units[a.unit as usize];
        let slot = &built.slots[a.slot as usize];
        let request = &requests[unit.request];
        rows.push(placement::Model {
            id: Uuid::now_v7(),
            match_request_id: request.id,
            school_id: request.organisation_id,
            company_id: slot.company_id,
            offer_id: slot.offer_id,
            pupil_id: unit.pupil_id,
            class_name: unit.class_name.clone(),
            group_size: unit.pupils.len() as i32,
            kind: kind.clone(),
            week_start: requests[0].week_start.clone(),
            week_end: requests[0].week_end.clone(),
            priority: unit.tier.clone(),
            distance_km: (a.distance_km * 1000.0).round() / 1000.0,
            interest_match: a.interest_match,
            status: PlacementStatus::Proposed.as_str().to_owned(),
            expires_at,
            created_at: now,
            updated_at: now,
        });
    }
    for chunk in rows.chunks(500) {
        placement::Entity::insert_many(chunk.iter().cloned().map(placement::ActiveModel::from))
            .exec_without_returning(&txn)
            .await?;
    }
    let directory = notify::Directory::load(&txn, &rows).await?;
    // The tutors' e-mails and the schools' reminders in multi-row INSERTs:
    // one statement per message took half of a national run's commit.
    let mut emails = email::Batch::default();
    for p in &rows {
        notify::proposed(&mut emails, &ctx.public_base_url, &directory, p, now);
    }
    email::enqueue_many(&txn, emails).await?;
    let mut unmatched: Vec<Vec<Value>> = vec![Vec::new(); requests.len()];
    for u in &outcome.unmatched {
        let unit = &built.units[u.unit as usize];
        unmatched[unit.request].push(unmatched_json(unit, u.reason.as_str()));
    }
    for (index, reason) in &built.skipped {
        let unit = &built.units[*index];
        unmatched[unit.request].push(unmatched_json(unit, reason));
    }
    for (r, request) in requests.iter().enumerate() {
        let list = std::mem::take(&mut unmatched[r]);
        match_requests::record_results(&txn, request.id, metrics.clone(), Value::Array(list), now)
            .await?;
    }
    super::finish_job(&txn, job_id).await?;
    txn.commit().await?;
    Ok(())
}

/// `Stale` unless every offer of `slots` is still published and unchanged
/// since `build` read it: archived, unpublished, moved, given other tracks,
/// sectors, groups or weeks while the run solved or waited for the weeks'
/// locks, it is not the offer the run solved on.
///
/// Read once the offer-weeks are locked: every offer writer takes the
/// offer's weeks `FOR UPDATE` before it changes the offer (see
/// `store::offers::lock`), so none can commit a change from here until this
/// transaction ends, and any that committed before is seen (a new snapshot
/// per statement on PostgreSQL; SQLite has one writer). A plain read: it
/// waits for no lock, so the lock order stays weeks only. `FOR SHARE` here
/// would wait for a writer holding the offer row while that writer waits for
/// the weeks held here: a deadlock.
///
/// The versions are compared for equality, not order: a clock stepped back,
/// or another host's, still shows as a change.
async fn offers_unchanged(
    txn: &impl sea_orm::ConnectionTrait,
    built: &Built,
    slots: impl Iterator<Item = &usize>,
) -> Result<(), RunError> {
    let read: HashMap<Uuid, chrono::DateTime<chrono::Utc>> = slots
        .map(|s| &built.slots[*s])
        .map(|m| (m.offer_id, m.offer_version))
        .collect();
    // A national run takes tens of thousands of offers: bounded IN lists.
    let ids: Vec<Uuid> = read.keys().copied().collect();
    let mut now: HashMap<Uuid, (String, chrono::DateTime<chrono::Utc>)> = HashMap::new();
    for chunk in ids.chunks(store::IN_LIST) {
        let rows = offer::Entity::find()
            .select_only()
            .column(offer::Column::Id)
            .column(offer::Column::Status)
            .column(offer::Column::UpdatedAt)
            .filter(offer::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple::<(Uuid, String, chrono::DateTime<chrono::Utc>)>()
            .all(txn)
            .await?;
        now.extend(
            rows.into_iter()
                .map(|(id, status, version)| (id, (status, version))),
        );
    }
    let unchanged = read.iter().all(|(id, version)| {
        now.get(id).is_some_and(|(status, current)| {
            status == OfferStatus::Published.as_str() && current == version
        })
    });
    if unchanged {
        Ok(())
    } else {
        Err(RunError::Stale)
    }
}

fn unmatched_json(unit: &UnitMeta, reason: &str) -> Value {
    match unit.pupil_id {
        Some(id) => json!({"pupil_id": id, "tier": unit.tier, "reason": reason}),
        None => json!({"class_name": unit.class_name, "tier": unit.tier, "reason": reason}),
    }
}
