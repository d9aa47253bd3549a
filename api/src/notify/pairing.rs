//! The e-mails of the pairing workflow, written to the outbox in the
//! transaction of each change, so that every path (the API, a mentoring
//! match run publishing its proposals) sends them: by the pairing store for
//! one change, by the caller for a batch ([`moved_ids`]).
//!
//! What the messages need (mentee, mentor, structure, its contact) is read
//! once for a batch of pairings ([`moved_all`]), as [`super::Directory`]
//! does for placements: publishing a run of a thousand drafts reads it in a
//! few queries, not five per pairing. A single change is a batch of one.
//!
//! The store has no configuration: links carry
//! [`PUBLIC_BASE_URL_PLACEHOLDER`], which the sender replaces at delivery.
//! Every message about a mentee is tagged, the mentee's own copies with
//! `mentee:<id>` and the mentor's with `pairing:<id>`, so that erasing the
//! mentee erases them too ([`forget_mentee`]).
use crate::domain::PairingStatus;
use crate::email::{self, Email, PUBLIC_BASE_URL_PLACEHOLDER, PairingMail, PairingRole};
use crate::store::{IN_LIST, find_in};
use entity::{mentee, mentor, organisation, pairing, user};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Which message a change of status calls for, if any: entering `proposed`,
/// or `active` for the first time (a pause ending is no start).
fn message_for(from: Option<PairingStatus>, to: PairingStatus) -> Option<Message> {
    match to {
        PairingStatus::Proposed => Some(Message::Proposed),
        PairingStatus::Active if from != Some(PairingStatus::Paused) => Some(Message::Started),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Message {
    Proposed,
    Started,
}

/// Whether a change from `from` to `to` sends anything: lets the store skip
/// reading the pairing back when it does not.
pub fn notifies(from: Option<PairingStatus>, to: PairingStatus) -> bool {
    message_for(from, to).is_some()
}

fn mentee_reference(mentee_id: Uuid) -> String {
    format!("mentee:{mentee_id}")
}

fn pairing_reference(pairing_id: Uuid) -> String {
    format!("pairing:{pairing_id}")
}

/// The pairing `p` (as now stored) moved from `from` (`None`: created) to
/// `to`: the mentor, and the mentee when they have an address, hear of it.
pub async fn moved(
    db: &impl ConnectionTrait,
    p: &pairing::Model,
    from: Option<PairingStatus>,
    to: PairingStatus,
) -> Result<(), DbErr> {
    moved_all(db, std::slice::from_ref(p), from, to).await
}

/// The pairings `ids`, read back as now stored, all moved from `from` to
/// `to` in the caller's transaction (a run's drafts published together):
/// [`moved_all`].
pub async fn moved_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    from: Option<PairingStatus>,
    to: PairingStatus,
) -> Result<(), DbErr> {
    if message_for(from, to).is_none() || ids.is_empty() {
        return Ok(());
    }
    let mut read: HashMap<Uuid, pairing::Model> =
        find_in::<pairing::Entity>(db, pairing::Column::Id, ids.iter().copied().collect())
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
    // In the caller's order: the outbox then holds the messages in the
    // order the pairings moved, as when each move wrote its own.
    let pairings: Vec<pairing::Model> = ids.iter().filter_map(|id| read.remove(id)).collect();
    moved_all(db, &pairings, from, to).await
}

/// Each of `pairings` (as now stored) moved from `from` to `to`: [`moved`]
/// for each, in their order, with what the messages need read in a
/// constant number of queries (one per table and 500 pairings).
pub async fn moved_all(
    db: &impl ConnectionTrait,
    pairings: &[pairing::Model],
    from: Option<PairingStatus>,
    to: PairingStatus,
) -> Result<(), DbErr> {
    let Some(message) = message_for(from, to) else {
        return Ok(());
    };
    let dir = Directory::load(db, pairings).await?;
    for p in pairings {
        dir.write(db, p, message).await?;
    }
    Ok(())
}

/// Whom the messages of a batch of pairings go to and what they say, read
/// once for the batch.
struct Directory {
    /// Mentees not erased: an erased mentee's pairing sends nothing.
    mentees: HashMap<Uuid, mentee::Model>,
    mentors: HashMap<Uuid, mentor::Model>,
    structures: HashMap<Uuid, String>,
    contacts: HashMap<Uuid, String>,
}

impl Directory {
    async fn load(db: &impl ConnectionTrait, pairings: &[pairing::Model]) -> Result<Self, DbErr> {
        let mentees: HashMap<Uuid, mentee::Model> = find_in::<mentee::Entity>(
            db,
            mentee::Column::Id,
            pairings.iter().map(|p| p.mentee_id).collect(),
        )
        .await?
        .into_iter()
        .filter(|m| m.erased_at.is_none())
        .map(|m| (m.id, m))
        .collect();
        // Only the pairings that will be written to need the rest.
        let live: Vec<&pairing::Model> = pairings
            .iter()
            .filter(|p| mentees.contains_key(&p.mentee_id))
            .collect();
        if live.is_empty() {
            return Ok(Self {
                mentees,
                mentors: HashMap::new(),
                structures: HashMap::new(),
                contacts: HashMap::new(),
            });
        }
        let mentors = find_in::<mentor::Entity>(
            db,
            mentor::Column::Id,
            live.iter().filter_map(|p| p.mentor_id).collect(),
        )
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
        let organisation_ids: BTreeSet<Uuid> = live.iter().map(|p| p.organisation_id).collect();
        let structures =
            find_in::<organisation::Entity>(db, organisation::Column::Id, organisation_ids.clone())
                .await?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect();
        let contacts = structure_contacts(db, organisation_ids).await?;
        Ok(Self {
            mentees,
            mentors,
            structures,
            contacts,
        })
    }

    /// The messages of one pairing of the batch, as [`moved`] documents.
    async fn write(
        &self,
        db: &impl ConnectionTrait,
        p: &pairing::Model,
        message: Message,
    ) -> Result<(), DbErr> {
        let Some(mentee) = self.mentees.get(&p.mentee_id) else {
            return Ok(());
        };
        let mentor = p.mentor_id.and_then(|id| self.mentors.get(&id));
        let mail = PairingMail {
            structure_name: self
                .structures
                .get(&p.organisation_id)
                .map_or("", String::as_str),
            structure_contact: self.contacts.get(&p.organisation_id).map(String::as_str),
            mentor_name: mentor.map_or("", |m| m.display_name.as_str()),
            mentee_first_name: mentee.first_name.as_deref().unwrap_or(""),
            departement: &mentee.departement,
            start_date: p.start_date,
        };
        let render = |to: &str, role| match message {
            Message::Proposed => {
                Email::pairing_proposed(PUBLIC_BASE_URL_PLACEHOLDER, to, role, &mail)
            }
            Message::Started => {
                Email::pairing_started(PUBLIC_BASE_URL_PLACEHOLDER, to, role, &mail)
            }
        };
        if let Some(m) = mentor {
            let msg = render(&m.email, PairingRole::Mentor);
            email::enqueue_about(db, msg, &pairing_reference(p.id)).await?;
        }
        if let Some(address) = mentee.email.as_deref().filter(|a| !a.trim().is_empty()) {
            let msg = render(address, PairingRole::Mentee);
            email::enqueue_about(db, msg, &mentee_reference(mentee.id)).await?;
        }
        Ok(())
    }
}

/// The address mentors and mentees may write to, per structure: its first
/// coordinator who set a password (an invitation not yet accepted may
/// have gone to a wrong address).
async fn structure_contacts(
    db: &impl ConnectionTrait,
    organisation_ids: BTreeSet<Uuid>,
) -> Result<HashMap<Uuid, String>, DbErr> {
    let ids: Vec<Uuid> = organisation_ids.into_iter().collect();
    let mut contacts = HashMap::new();
    for chunk in ids.chunks(IN_LIST) {
        let coordinators = user::Entity::find()
            .filter(user::Column::OrganisationId.is_in(chunk.iter().copied()))
            .filter(user::Column::Role.eq("coordinator"))
            .filter(user::Column::PasswordHash.is_not_null())
            .order_by_asc(user::Column::CreatedAt)
            .order_by_asc(user::Column::Id)
            .all(db)
            .await?;
        for u in coordinators {
            if let Some(org) = u.organisation_id {
                contacts.entry(org).or_insert(u.email);
            }
        }
    }
    Ok(contacts)
}
/// The mentee is erased: the messages sent to them lose their address and
/// text, those that named them to a mentor (about `pairing_ids`) their text;
/// the ones still queued are dropped. In the erasure's transaction.
pub async fn forget_mentee(
    db: &impl ConnectionTrait,
    mentee_id: Uuid,
    pairing_ids: &[Uuid],
) -> Result<(), DbErr> {
    email::erase(db, &[mentee_reference(mentee_id)], true).await?;
    let about: Vec<String> = pairing_ids.iter().copied().map(pairing_reference).collect();
    email::erase(db, &about, false).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use PairingStatus::*;

    #[test]
    fn only_a_proposal_and_a_first_start_send_mail() {
        assert!(notifies(None, Proposed));
        assert!(notifies(Some(Draft), Proposed));
        assert!(notifies(Some(Proposed), Active));
        assert!(notifies(None, Active));
        assert!(!notifies(Some(Paused), Active));
        for to in [Draft, Paused, Ended, Declined] {
            assert!(!notifies(None, to), "{to}");
            assert!(!notifies(Some(Active), to), "{to}");
        }
    }
}
