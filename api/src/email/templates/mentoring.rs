//! The messages of the mentoring workflow: a pairing proposed or started
//! (to the mentor, and to the mentee when an address is known), and the
//! weekly alerts digest (to coordinators).
//!
//! Mentors and mentees have no account: their links go to the public page
//! on mentoring, and the structure's contact address is how they answer.
//! The mentor learns the mentee's first name and département, never the
//! last name, age, school or needs; the mentee learns the mentor's display
//! name. Pairing messages are essential (each tells a person of a pairing
//! that concerns them, once); the digest is not.
use super::{Body, Email, email, url, week};
use crate::email::outbox::{EmailKind, NewEmail};
use chrono::NaiveDate;

/// Who a pairing message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairingRole {
    Mentor,
    Mentee,
}

/// A pairing as its notifications describe it.
#[derive(Debug, Clone)]
pub struct PairingMail<'a> {
    pub structure_name: &'a str,
    /// An address of the structure the recipient may write to.
    pub structure_contact: Option<&'a str>,
    /// The mentor's display name (shown to the mentee).
    pub mentor_name: &'a str,
    /// The mentee's first name (shown to the mentor).
    pub mentee_first_name: &'a str,
    /// The mentee's département code (shown to the mentor).
    pub departement: &'a str,
    pub start_date: Option<NaiveDate>,
}

/// One line of the weekly alerts digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertLine {
    /// What is wrong, already in words (`Aucune rencontre depuis 35 jours`),
    /// naming nobody: the link says which record.
    pub description: String,
    /// The page of the record, `/pairings/{id}`, `/mentees/{id}`...
    pub path: String,
}

/// A digest lists this many alerts at most, then says how many more.
pub const DIGEST_MAX_LINES: usize = 50;

/// The public page on mentoring, for recipients without an account.
fn mentoring_url(base: &str) -> String {
    url(base, "/mentorat")
}

fn contact(body: &mut Body, p: &PairingMail<'_>) {
    match p.structure_contact {
        Some(address) => body.para(&format!(
            "Pour toute question, écrivez à {} : {address}",
            p.structure_name
        )),
        None => body.para(&format!(
            "Pour toute question, adressez-vous à {}.",
            p.structure_name
        )),
    };
}

impl Email {
    /// To the mentor, or the mentee when an address is known. Essential.
    pub fn pairing_proposed(
        base_url: &str,
        to: &str,
        role: PairingRole,
        p: &PairingMail<'_>,
    ) -> NewEmail {
        let mut body = Body::new("Bonjour,");
        match role {
            PairingRole::Mentor => body.para(&format!(
                "{} vous propose d'accompagner {} (département {}) comme mentor.",
                p.structure_name, p.mentee_first_name, p.departement
            )),
            PairingRole::Mentee => body.para(&format!(
                "{} vous propose un binôme de mentorat avec {}, qui pourra vous accompagner.",
                p.structure_name, p.mentor_name
            )),
        };
        body.para("La structure vous contactera pour organiser une première rencontre.");
        contact(&mut body, p);
        body.link("Le mentorat avec Tremplin", &mentoring_url(base_url));
        email(
            EmailKind::PairingProposed,
            to,
            "Proposition de binôme de mentorat",
            body,
        )
    }

    /// To the mentor, or the mentee when an address is known. Essential.
    pub fn pairing_started(
        base_url: &str,
        to: &str,
        role: PairingRole,
        p: &PairingMail<'_>,
    ) -> NewEmail {
        let mut body = Body::new("Bonjour,");
        let start = p
            .start_date
            .map(|d| format!(" le {}", d.format("%d/%m/%Y")))
            .unwrap_or_default();
        let other = match role {
            PairingRole::Mentor => p.mentee_first_name,
            PairingRole::Mentee => p.mentor_name,
        };
        body.para(&format!(
            "Votre mentorat avec {other} a commencé{start}. Bonnes rencontres !"
        ))
        .para(&format!(
            "{} reste à votre écoute tout au long de l'accompagnement.",
            p.structure_name
        ));
        contact(&mut body, p);
        body.link("Le mentorat avec Tremplin", &mentoring_url(base_url));
        email(
            EmailKind::PairingStarted,
            to,
            "Votre mentorat commence",
            body,
        )
    }

    /// To a coordinator: the pairings of the structure that need attention.
    /// Non-essential: honours unsubscribe.
    pub fn alerts_digest(
        base_url: &str,
        to: &str,
        structure_name: &str,
        iso_week: &str,
        alerts: &[AlertLine],
    ) -> NewEmail {
        let mut body = Body::new("Bonjour,");
        let count = alerts.len();
        body.para(&format!(
            "{count} alerte{s} de suivi à {structure_name} ({}) :",
            week(iso_week),
            s = if count > 1 { "s" } else { "" },
        ));
        let items: Vec<(String, String)> = alerts
            .iter()
            .take(DIGEST_MAX_LINES)
            .map(|a| (a.description.clone(), url(base_url, &a.path)))
            .collect();
        body.list(&items);
        if count > DIGEST_MAX_LINES {
            body.para(&format!(
                "… et {} autre{s}.",
                count - DIGEST_MAX_LINES,
                s = if count - DIGEST_MAX_LINES > 1 {
                    "s"
                } else {
                    ""
                },
            ));
        }
        body.link("Toutes les alertes", &url(base_url, "/pairings/alerts"));
        email(
            EmailKind::AlertsDigest,
            to,
            &format!("Alertes mentorat de la {} : {count}", week(iso_week)),
            body,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;
    use uuid::Uuid;

    const BASE: &str = "https://tremplin.example.fr/";

    fn pairing() -> PairingMail<'static> {
        PairingMail {
            structure_name: "Association Tremplin 93",
            structure_contact: Some("coord@asso93.fr"),
            mentor_name: "Sami B.",
            mentee_first_name: "Inès",
            departement: "93",
            start_date: NaiveDate::from_ymd_opt(2027, 2, 1),
        }
    }

    #[test]
    fn the_mentor_learns_the_first_name_and_departement_and_whom_to_write_to() {
        let mail = check(
            Email::pairing_proposed(BASE, "sami@example.fr", PairingRole::Mentor, &pairing()),
            EmailKind::PairingProposed,
            "Proposition de binôme",
            &[
                "Inès (département 93)",
                "Association Tremplin 93",
                "coord@asso93.fr",
                "https://tremplin.example.fr/mentorat",
            ],
        );
        assert_eq!(mail.to, "sami@example.fr");
        assert!(!mail.text.contains("Sami"), "{}", mail.text);
        assert!(!mail.subject.contains("Inès"));
    }

    #[test]
    fn the_mentee_learns_the_mentors_name_not_their_own_data() {
        let mail = check(
            Email::pairing_proposed(BASE, "ines@example.fr", PairingRole::Mentee, &pairing()),
            EmailKind::PairingProposed,
            "Proposition de binôme",
            &["Sami B.", "coord@asso93.fr", "/mentorat"],
        );
        for own in ["Inès", "93)"] {
            assert!(!mail.text.contains(own), "{own}: {}", mail.text);
            assert!(!mail.html.contains(own), "{own}: {}", mail.html);
        }
    }

    #[test]
    fn the_start_names_the_other_side_and_the_date() {
        let p = pairing();
        let mentee = check(
            Email::pairing_started(BASE, "ines@example.fr", PairingRole::Mentee, &p),
            EmailKind::PairingStarted,
            "commence",
            &["Sami B.", "01/02/2027", "coord@asso93.fr"],
        );
        assert!(!mentee.text.contains("Inès"));
        let mentor = check(
            Email::pairing_started(BASE, "sami@example.fr", PairingRole::Mentor, &p),
            EmailKind::PairingStarted,
            "commence",
            &["Inès", "01/02/2027"],
        );
        assert!(!mentor.text.contains("Sami"));
        let no_contact = PairingMail {
            structure_contact: None,
            ..p
        };
        check(
            Email::pairing_started(BASE, "sami@example.fr", PairingRole::Mentor, &no_contact),
            EmailKind::PairingStarted,
            "commence",
            &["adressez-vous à Association Tremplin 93"],
        );
    }

    #[test]
    fn the_digest_lists_each_alert_with_its_link() {
        let id = Uuid::now_v7();
        let alerts = [
            AlertLine {
                description: "Aucune rencontre depuis 35 jours".into(),
                path: format!("/pairings/{id}"),
            },
            AlertLine {
                description: "Jeune sans binôme depuis 40 jours".into(),
                path: "/mentees/x".into(),
            },
        ];
        let mail = check(
            Email::alerts_digest(BASE, "coord@example.fr", "Asso", "2027-W10", &alerts),
            EmailKind::AlertsDigest,
            "semaine 10 de 2027 : 2",
            &[
                "2 alertes de suivi à Asso",
                "Aucune rencontre depuis 35 jours",
                &format!("https://tremplin.example.fr/pairings/{id}"),
                "Jeune sans binôme depuis 40 jours",
                "https://tremplin.example.fr/mentees/x",
                "https://tremplin.example.fr/pairings/alerts",
            ],
        );
        assert_eq!(mail.to, "coord@example.fr");
        assert!(!mail.text.contains("autre"), "{}", mail.text);
    }

    #[test]
    fn a_long_digest_lists_the_first_alerts_and_counts_the_rest() {
        let alerts: Vec<AlertLine> = (0..DIGEST_MAX_LINES + 3)
            .map(|i| AlertLine {
                description: format!("Alerte numéro {i}"),
                path: format!("/pairings/{i}"),
            })
            .collect();
        let mail = check(
            Email::alerts_digest(BASE, "c@example.fr", "Asso", "2027-W10", &alerts),
            EmailKind::AlertsDigest,
            ": 53",
            &["Alerte numéro 49", "… et 3 autres."],
        );
        assert!(!mail.text.contains("Alerte numéro 50"));
    }
}
