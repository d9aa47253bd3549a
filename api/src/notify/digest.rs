//! The weekly alerts digest: one message per coordinator of a structure
//! with alerts, written by the weekly job (`jobs::digest`). Lines name
//! nobody (the link says which record), so a mentee's erasure leaves no
//! trace of them in past digests. Non-essential: an unsubscribed
//! coordinator is not written to, and the sender would suppress it anyway.
use crate::email::{self, AlertLine, Email};
use crate::store::alerts::{Alert, AlertKind};
use entity::user;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

fn plural(n: i64, word: &str) -> String {
    if n.abs() > 1 {
        format!("{n} {word}s")
    } else {
        format!("{n} {word}")
    }
}

/// The alert in words, with the page of its record.
pub fn line(alert: &Alert) -> AlertLine {
    let page = |kind: &str, id: Option<Uuid>| match id {
        Some(id) => format!("/{kind}/{id}"),
        None => "/pairings/alerts".to_owned(),
    };
    let (description, path) = match alert.kind {
        AlertKind::NoRecentMeeting => (
            format!(
                "Binôme sans rencontre depuis {}",
                plural(alert.value, "jour")
            ),
            page("pairings", alert.pairing_id),
        ),
        AlertKind::ProposalUnanswered => (
            format!(
                "Proposition de binôme sans réponse depuis {}",
                plural(alert.value, "jour")
            ),
            page("pairings", alert.pairing_id),
        ),
        AlertKind::MenteeUnpaired => (
            format!("Jeune sans binôme depuis {}", plural(alert.value, "jour")),
            page("mentees", alert.mentee_id),
        ),
        AlertKind::MinimumDuration => {
            let due = alert
                .due
                .map(|d| format!(" le {}", d.format("%d/%m/%Y")))
                .unwrap_or_default();
            (
                format!("Binôme atteignant la durée minimale du programme{due}"),
                page("pairings", alert.pairing_id),
            )
        }
        AlertKind::MentorOverCapacity => (
            format!(
                "Mentor accompagnant {} pour une capacité de {}",
                plural(alert.value, "jeune"),
                alert.threshold
            ),
            page("mentors", alert.mentor_id),
        ),
    };
    AlertLine { description, path }
}

/// The structure's coordinators who set a password and did not unsubscribe.
pub async fn recipients(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<Vec<String>, DbErr> {
    let coordinators = user::Entity::find()
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::Role.eq("coordinator"))
        .filter(user::Column::PasswordHash.is_not_null())
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(coordinators.len());
    for u in coordinators {
        let unsubscribed = email::find_preference(db, &u.email)
            .await?
            .is_some_and(|p| p.unsubscribed_at.is_some());
        if !unsubscribed {
            out.push(u.email);
        }
    }
    Ok(out)
}

/// Writes the digest of `alerts` to each of `to`, in the caller's transaction.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    base_url: &str,
    to: &[String],
    structure_name: &str,
    iso_week: &str,
    alerts: &[Alert],
) -> Result<(), DbErr> {
    let lines: Vec<AlertLine> = alerts.iter().map(line).collect();
    for address in to {
        let msg = Email::alerts_digest(base_url, address, structure_name, iso_week, &lines);
        email::enqueue(db, msg).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::alerts::Unit;
    use chrono::NaiveDate;

    fn alert(kind: AlertKind, value: i64) -> Alert {
        let id = Uuid::nil();
        Alert {
            kind,
            organisation_id: id,
            pairing_id: matches!(
                kind,
                AlertKind::NoRecentMeeting
                    | AlertKind::ProposalUnanswered
                    | AlertKind::MinimumDuration
            )
            .then_some(id),
            mentee_id: Some(id),
            mentor_id: Some(id),
            value,
            unit: Unit::Days,
            threshold: 2,
            since: NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(),
            due: NaiveDate::from_ymd_opt(2027, 7, 4),
        }
    }

    #[test]
    fn each_kind_of_alert_reads_as_a_line_linking_to_its_record() {
        let nil = Uuid::nil();
        let cases = [
            (
                AlertKind::NoRecentMeeting,
                35,
                "Binôme sans rencontre depuis 35 jours",
                "pairings",
            ),
            (
                AlertKind::ProposalUnanswered,
                1,
                "sans réponse depuis 1 jour",
                "pairings",
            ),
            (
                AlertKind::MenteeUnpaired,
                40,
                "Jeune sans binôme depuis 40 jours",
                "mentees",
            ),
            (
                AlertKind::MinimumDuration,
                180,
                "durée minimale du programme le 04/07/2027",
                "pairings",
            ),
            (
                AlertKind::MentorOverCapacity,
                3,
                "accompagnant 3 jeunes pour une capacité de 2",
                "mentors",
            ),
        ];
        for (kind, value, says, page) in cases {
            let l = line(&alert(kind, value));
            assert!(l.description.contains(says), "{kind:?}: {}", l.description);
            assert_eq!(l.path, format!("/{page}/{nil}"));
        }
    }
}
