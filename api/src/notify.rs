//! The e-mails of the placement workflow, written to the outbox in the
//! transaction of their event. Pupils are named by class only: no personal
//! data of a minor ever sits in the outbox. The mentoring workflow's
//! e-mails are in [`pairing`] and [`digest`].
pub mod digest;
pub mod pairing;

use crate::domain::PlacementStatus;
use crate::email::{self, Email, EmailKind, PlacementMail};
use crate::store::{find_in, find_in_chunks};
use chrono::{DateTime, Duration, Utc};
use entity::{college, offer, organisation, placement, user};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Reminders go out this long before a proposal lapses.
const REMINDER_BEFORE: Duration = Duration::days(2);

/// Names and addresses the messages of a batch of placements need, read
/// once for the batch.
pub struct Directory {
    offers: HashMap<Uuid, offer::Model>,
    organisations: HashMap<Uuid, String>,
    school_names: HashMap<Uuid, String>,
    school_emails: HashMap<Uuid, Vec<String>>,
}

impl Directory {
    pub async fn load(
        db: &impl ConnectionTrait,
        placements: &[placement::Model],
    ) -> Result<Self, DbErr> {
        // A campaign run's batch is national: its ids go in bounded IN
        // lists, once each.
        let offer_ids: BTreeSet<Uuid> = placements.iter().map(|p| p.offer_id).collect();
        let org_ids: Vec<Uuid> = placements
            .iter()
            .flat_map(|p| [p.company_id, p.school_id])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let offers = find_in::<offer::Entity>(db, offer::Column::Id, offer_ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let orgs = find_in_chunks(
            db,
            organisation::Entity::find(),
            organisation::Column::Id,
            &org_ids,
        )
        .await?;
        let uais: BTreeSet<String> = orgs.iter().filter_map(|o| o.uai.clone()).collect();
        let colleges: HashMap<String, String> =
            find_in::<college::Entity>(db, college::Column::Uai, uais)
                .await?
                .into_iter()
                .map(|c| (c.uai, c.name))
                .collect();
        let school_names = orgs
            .iter()
            .filter_map(|o| {
                o.uai
                    .as_ref()
                    .map(|u| (o.id, colleges.get(u).cloned().unwrap_or(o.name.clone())))
            })
            .collect();
        let mut school_emails: HashMap<Uuid, Vec<String>> = HashMap::new();
        let school_users = user::Entity::find()
            .filter(user::Column::Role.eq("school"))
            .filter(user::Column::PasswordHash.is_not_null());
        for u in find_in_chunks(db, school_users, user::Column::OrganisationId, &org_ids).await? {
            if let Some(org) = u.organisation_id {
                school_emails.entry(org).or_default().push(u.email);
            }
        }
        Ok(Self {
            offers,
            organisations: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
            school_names,
            school_emails,
        })
    }

    fn with_mail<R>(
        &self,
        p: &placement::Model,
        expires_at: Option<DateTime<Utc>>,
        f: impl FnOnce(&PlacementMail<'_>) -> R,
    ) -> R {
        let group = p.class_name.as_deref().map(|c| {
            if p.pupil_id.is_some() {
                format!("un(e) élève de {c}")
            } else {
                format!("{c}, {} élèves", p.group_size)
            }
        });
        let mail = PlacementMail {
            placement_id: p.id,
            offer_title: self
                .offers
                .get(&p.offer_id)
                .map_or("", |o| o.title.as_str()),
            company_name: self
                .organisations
                .get(&p.company_id)
                .map_or("", String::as_str),
            school_name: self
                .school_names
                .get(&p.school_id)
                .map_or("", String::as_str),
            week: &p.week_start,
            pupil: group.as_deref(),
            expires_at,
        };
        f(&mail)
    }

    fn tutor(&self, p: &placement::Model) -> Option<&str> {
        self.offers.get(&p.offer_id).map(|o| o.tutor_email.as_str())
    }

    fn school(&self, p: &placement::Model) -> &[String] {
        self.school_emails
            .get(&p.school_id)
            .map_or(&[], Vec::as_slice)
    }
}

fn reference(p: &placement::Model) -> String {
    format!("placement:{}", p.id)
}

/// A new proposal, made at `now` (the service's clock): the tutor hears of
/// it, and the school is reminded two days before it lapses unless it
/// answers first. The messages go into `batch`, which the caller writes
/// with [`email::enqueue_many`] in the proposals' transaction: a campaign
/// run proposes tens of thousands at once.
pub fn proposed(
    batch: &mut email::Batch,
    base_url: &str,
    dir: &Directory,
    p: &placement::Model,
    now: DateTime<Utc>,
) {
    if let Some(tutor) = dir.tutor(p) {
        let msg = dir.with_mail(p, Some(p.expires_at), |m| {
            Email::placement_proposed(base_url, tutor, m)
        });
        batch.enqueue(msg);
    }
    remind(batch, base_url, dir, p, dir.school(p), p.expires_at, now);
}

/// Schedules the reminder on the service's clock: a deadline too close for
/// one gets none. The worker's maintenance releases it when that clock
/// reaches its time ([`email::release_scheduled`]).
fn remind(
    batch: &mut email::Batch,
    base_url: &str,
    dir: &Directory,
    p: &placement::Model,
    to: &[String],
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) {
    let at = expires_at - REMINDER_BEFORE;
    if at <= now {
        return;
    }
    for address in to {
        let msg = dir.with_mail(p, Some(expires_at), |m| {
            Email::proposal_reminder(base_url, address, m)
        });
        batch.enqueue_scheduled(msg, at, &reference(p));
    }
}

/// A placement moved to `to` at `now` (the service's clock): the school
/// hears of it; pending reminders are dropped, and after an acceptance the
/// tutor is reminded to confirm.
pub async fn changed(
    db: &impl ConnectionTrait,
    base_url: &str,
    dir: &Directory,
    p: &placement::Model,
    to: PlacementStatus,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    email::cancel_scheduled(db, &reference(p), EmailKind::ProposalReminder).await?;
    for address in dir.school(p) {
        let msg = dir.with_mail(p, None, |m| match to {
            PlacementStatus::Accepted => Some(Email::placement_accepted(base_url, address, m)),
            PlacementStatus::Confirmed => Some(Email::placement_confirmed(base_url, address, m)),
            PlacementStatus::Declined => Some(Email::placement_declined(base_url, address, m)),
            PlacementStatus::Expired => Some(Email::placement_expired(base_url, address, m)),
            _ => None,
        });
        if let Some(msg) = msg {
            email::enqueue(db, msg).await?;
        }
    }
    if to == PlacementStatus::Accepted
        && let Some(tutor) = dir.tutor(p)
    {
        let mut batch = email::Batch::default();
        remind(
            &mut batch,
            base_url,
            dir,
            p,
            &[tutor.to_owned()],
            expires_at,
            now,
        );
        email::enqueue_many(db, batch).await?;
    }
    Ok(())
}
