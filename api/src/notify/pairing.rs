//! The e-mails of the pairing workflow, written to the outbox by the pairing
//! store in the transaction of each change, so that every path (the API, a
//! mentoring match run publishing its proposals) sends them.
//!
//! The store has no configuration: links carry
//! [`PUBLIC_BASE_URL_PLACEHOLDER`], which the sender replaces at delivery.
//! Every message about a mentee is tagged, the mentee's own copies with
//! `mentee:<id>` and the mentor's with `pairing:<id>`, so that erasing the
//! mentee erases them too ([`forget_mentee`]).
use crate::domain::PairingStatus;
use crate::email::{self, Email, PUBLIC_BASE_URL_PLACEHOLDER, PairingMail, PairingRole};
use entity::{mentee, mentor, organisation, pairing, user};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
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
    let Some(message) = message_for(from, to) else {
        return Ok(());
    };
    let Some(mentee) = mentee::Entity::find_by_id(p.mentee_id).one(db).await? else {
        return Ok(());
    };
    if mentee.erased_at.is_some() {
        return Ok(());
    }
    let mentor = match p.mentor_id {
        Some(id) => mentor::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let structure = organisation::Entity::find_by_id(p.organisation_id)
        .one(db)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let contact = structure_contact(db, p.organisation_id).await?;
    let mail = PairingMail {
        structure_name: &structure,
        structure_contact: contact.as_deref(),
        mentor_name: mentor.as_ref().map_or("", |m| m.display_name.as_str()),
        mentee_first_name: mentee.first_name.as_deref().unwrap_or(""),
        departement: &mentee.departement,
        start_date: p.start_date,
    };
    let render = |to: &str, role| match message {
        Message::Proposed => Email::pairing_proposed(PUBLIC_BASE_URL_PLACEHOLDER, to, role, &mail),
        Message::Started => Email::pairing_started(PUBLIC_BASE_URL_PLACEHOLDER, to, role, &mail),
    };
    if let Some(m) = &mentor {
        let msg = render(&m.email, PairingRole::Mentor);
        email::enqueue_about(db, msg, &pairing_reference(p.id)).await?;
    }
    if let Some(address) = mentee.email.as_deref().filter(|a| !a.trim().is_empty()) {
        let msg = render(address, PairingRole::Mentee);
        email::enqueue_about(db, msg, &mentee_reference(mentee.id)).await?;
    }
    Ok(())
}

/// The address mentors and mentees may write to: the structure's first
/// coordinator who set a password (an invitation not yet accepted may
/// have gone to a wrong address).
async fn structure_contact(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<Option<String>, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::Role.eq("coordinator"))
        .filter(user::Column::PasswordHash.is_not_null())
        .order_by_asc(user::Column::CreatedAt)
        .order_by_asc(user::Column::Id)
        .one(db)
        .await?
        .map(|u| u.email))
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
