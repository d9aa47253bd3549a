//! The messages Tremplin sends, in French, each with a text and an HTML part.
//!
//! Every constructor takes the public base URL its links point to and only
//! what the recipient may see: a company tutor learns which school proposes a
//! pupil, never the pupil's name; a school sees its own pupils; a mentor sees
//! the mentee's first name. Callers pass labels already reduced to that.
//! Non-essential messages (reminders, digests) carry an unsubscribe link that
//! the sender fills in at delivery (see [`UNSUBSCRIBE_PLACEHOLDER`]).
use super::outbox::{EmailKind, NewEmail, UNSUBSCRIBE_PLACEHOLDER};
use chrono::{DateTime, Utc};
use std::fmt::Write;
use uuid::Uuid;

mod mentoring;

pub use mentoring::{AlertLine, DIGEST_MAX_LINES, PairingMail, PairingRole};

/// Namespace of the typed constructors: `Email::invitation(...)`.
pub struct Email;

/// A placement as its notifications describe it.
#[derive(Debug, Clone)]
pub struct PlacementMail<'a> {
    pub placement_id: Uuid,
    pub offer_title: &'a str,
    pub company_name: &'a str,
    pub school_name: &'a str,
    /// ISO week, `2027-W03`.
    pub week: &'a str,
    /// The pupil as the school knows them (`Léa M., 3e B`), or the group
    /// (`3e B, 24 élèves`). Shown to the school only.
    pub pupil: Option<&'a str>,
    /// When an unanswered proposal lapses.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Text and HTML built side by side, so both parts say the same thing.
struct Body {
    text: String,
    html: String,
}

impl Body {
    fn new(greeting: &str) -> Self {
        let mut body = Self {
            text: String::new(),
            html: String::from(
                "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"></head>\
                 <body style=\"font-family: sans-serif; line-height: 1.5\">\n",
            ),
        };
        body.para(greeting);
        body
    }

    fn para(&mut self, line: &str) -> &mut Self {
        let _ = writeln!(self.text, "{line}\n");
        let _ = writeln!(self.html, "<p>{}</p>", escape(line));
        self
    }

    fn link(&mut self, label: &str, url: &str) -> &mut Self {
        let _ = writeln!(self.text, "{label} : {url}\n");
        let _ = writeln!(
            self.html,
            "<p><a href=\"{}\">{}</a></p>",
            escape(url),
            escape(label)
        );
        self
    }

    fn list(&mut self, items: &[(String, String)]) -> &mut Self {
        self.html.push_str("<ul>\n");
        for (line, url) in items {
            let _ = writeln!(self.text, "- {line} : {url}");
            let _ = writeln!(
                self.html,
                "<li><a href=\"{}\">{}</a></li>",
                escape(url),
                escape(line)
            );
        }
        self.html.push_str("</ul>\n");
        self.text.push('\n');
        self
    }

    fn finish(mut self, unsubscribe: bool) -> (String, String) {
        self.text.push_str("-- \nTremplin, stages et mentorat\n");
        self.html
            .push_str("<p style=\"color: #666\">Tremplin, stages et mentorat</p>\n");
        if unsubscribe {
            let _ = writeln!(
                self.text,
                "Pour ne plus recevoir ces messages : {UNSUBSCRIBE_PLACEHOLDER}"
            );
            let _ = writeln!(
                self.html,
                "<p style=\"color: #666\"><a href=\"{UNSUBSCRIBE_PLACEHOLDER}\">Ne plus recevoir ces messages</a></p>"
            );
        }
        self.html.push_str("</body></html>\n");
        (self.text, self.html)
    }
}

/// HTML-escapes a value interpolated into the HTML part.
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Keeps subjects on one line whatever a name holds.
fn one_line(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%d/%m/%Y").to_string()
}

/// `2027-W03` → `semaine 3 de 2027`; anything else is shown as given.
fn week(iso: &str) -> String {
    match iso.split_once("-W") {
        Some((year, w)) if w.parse::<u32>().is_ok() => {
            format!("semaine {} de {year}", w.trim_start_matches('0'))
        }
        _ => iso.to_owned(),
    }
}

fn email(kind: EmailKind, to: &str, subject: &str, body: Body) -> NewEmail {
    let (text, html) = body.finish(!kind.is_essential());
    NewEmail {
        kind,
        to: to.trim().to_owned(),
        subject: one_line(subject),
        text,
        html,
    }
}

impl Email {
    /// To an invited user: how to set a password. Essential.
    pub fn invitation(
        base_url: &str,
        to: &str,
        organisation_name: &str,
        token: &str,
        expires_at: DateTime<Utc>,
    ) -> NewEmail {
        let mut body = Body::new("Bonjour,");
        body.para(&format!(
            "Vous êtes invité(e) à rejoindre l'espace de {organisation_name} sur Tremplin."
        ))
        .link(
            "Choisir votre mot de passe",
            &url(base_url, &format!("/invitation?token={token}")),
        )
        .para(&format!(
            "Ce lien est valable jusqu'au {}. Si vous n'attendiez pas cette invitation, ignorez ce message.",
            date(expires_at)
        ));
        email(
            EmailKind::Invitation,
            to,
            &format!("Invitation à rejoindre {organisation_name} sur Tremplin"),
            body,
        )
    }

    /// To the offer's tutor: a school proposes a pupil (no name given).
    pub fn placement_proposed(base_url: &str, to: &str, p: &PlacementMail<'_>) -> NewEmail {
        let mut body = Body::new("Bonjour,");
        body.para(&format!(
            "Le {} propose un(e) élève pour votre offre « {} », {}.",
            p.school_name,
            p.offer_title,
            week(p.week)
        ));
        if let Some(at) = p.expires_at {
            body.para(&format!(
                "Merci de confirmer ou de décliner avant le {} : sans réponse, la place sera libérée.",
                date(at)
            ));
        }
        body.link("Voir la proposition", &placement_url(base_url, p));
        email(
            EmailKind::PlacementProposed,
            to,
            &format!("Nouvelle proposition de stage : {}", p.offer_title),
            body,
        )
    }

    /// To the school: the proposal was accepted and awaits the company.
    pub fn placement_accepted(base_url: &str, to: &str, p: &PlacementMail<'_>) -> NewEmail {
        placement_outcome(
            EmailKind::PlacementAccepted,
            base_url,
            to,
            p,
            "a été acceptée ; l'entreprise doit maintenant la confirmer",
            "Stage accepté",
        )
    }

    /// To the school: the company confirmed the placement.
    pub fn placement_confirmed(base_url: &str, to: &str, p: &PlacementMail<'_>) -> NewEmail {
        placement_outcome(
            EmailKind::PlacementConfirmed,
            base_url,
            to,
            p,
            "a été confirmée par l'entreprise : le stage aura lieu",
            "Stage confirmé",
        )
    }

    /// To the school: the proposal was declined.
    pub fn placement_declined(base_url: &str, to: &str, p: &PlacementMail<'_>) -> NewEmail {
        placement_outcome(
            EmailKind::PlacementDeclined,
            base_url,
            to,
            p,
            "a été déclinée ; l'élève peut être proposé(e) pour une autre offre",
            "Stage décliné",
        )
    }

    /// To the school: the proposal lapsed without an answer.
    pub fn placement_expired(base_url: &str, to: &str, p: &PlacementMail<'_>) -> NewEmail {
        placement_outcome(
            EmailKind::PlacementExpired,
            base_url,
            to,
            p,
            "a expiré sans réponse et la place a été libérée",
            "Proposition expirée",
        )
    }

    /// To whoever must still answer a proposal, two days before it lapses.
    /// Non-essential: honours unsubscribe.
    pub fn proposal_reminder(base_url: &str, to: &str, p: &PlacementMail<'_>) -> NewEmail {
        let mut body = Body::new("Bonjour,");
        let deadline = p
            .expires_at
            .map(|at| format!("le {}", date(at)))
            .unwrap_or_else(|| "dans deux jours".to_owned());
        body.para(&format!(
            "La proposition de stage « {} » ({}) attend votre réponse et expire {deadline}.",
            p.offer_title,
            week(p.week)
        ))
        .para("Sans réponse, la place sera libérée pour un autre élève.")
        .link("Répondre à la proposition", &placement_url(base_url, p));
        email(
            EmailKind::ProposalReminder,
            to,
            &format!(
                "Rappel : la proposition « {} » expire bientôt",
                p.offer_title
            ),
            body,
        )
    }

    /// What `tremplin admin send-test-email` sends.
    pub fn test_message(to: &str) -> NewEmail {
        let mut body = Body::new("Bonjour,");
        body.para("Ce message de test confirme que Tremplin peut envoyer des e-mails.");
        email(EmailKind::Test, to, "Tremplin : message de test", body)
    }
}

fn placement_url(base: &str, p: &PlacementMail<'_>) -> String {
    url(base, &format!("/placements/{}", p.placement_id))
}

fn placement_outcome(
    kind: EmailKind,
    base_url: &str,
    to: &str,
    p: &PlacementMail<'_>,
    what: &str,
    subject: &str,
) -> NewEmail {
    let mut body = Body::new("Bonjour,");
    let pupil = p.pupil.map(|l| format!(" pour {l}")).unwrap_or_default();
    body.para(&format!(
        "La proposition de stage « {} » chez {}{pupil} ({}) {what}.",
        p.offer_title,
        p.company_name,
        week(p.week)
    ))
    .link("Voir le stage", &placement_url(base_url, p));
    email(kind, to, &format!("{subject} : {}", p.offer_title), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://tremplin.example.fr/";

    type Outcome = fn(&str, &str, &PlacementMail<'_>) -> NewEmail;

    fn placement() -> PlacementMail<'static> {
        PlacementMail {
            placement_id: Uuid::nil(),
            offer_title: "Découverte de la logistique",
            company_name: "Entrepôts <Durand> & fils",
            school_name: "collège Jean Moulin",
            week: "2027-W03",
            pupil: Some("Léa M., 3e B"),
            expires_at: Some(
                DateTime::parse_from_rfc3339("2027-01-08T17:00:00Z")
                    .unwrap()
                    .with_timezone(&Utc),
            ),
        }
    }

    /// Checks what every message must hold, then returns it for specifics.
    pub(super) fn check(
        mail: NewEmail,
        kind: EmailKind,
        subject_has: &str,
        body_has: &[&str],
    ) -> NewEmail {
        assert_eq!(mail.kind, kind);
        assert!(mail.subject.contains(subject_has), "{}", mail.subject);
        assert!(!mail.subject.contains('\n'));
        for needle in body_has {
            assert!(
                mail.text.contains(needle),
                "text lacks {needle:?}:\n{}",
                mail.text
            );
            assert!(
                mail.html.contains(&escape(needle)),
                "html lacks {needle:?}:\n{}",
                mail.html
            );
        }
        assert!(mail.html.starts_with("<!DOCTYPE html>"));
        assert!(mail.html.contains("lang=\"fr\""));
        assert!(
            !mail.text.contains("<p>") && !mail.text.contains("<a "),
            "text part holds markup:\n{}",
            mail.text
        );
        let unsubscribe = mail.text.contains(UNSUBSCRIBE_PLACEHOLDER);
        assert_eq!(unsubscribe, !kind.is_essential(), "{kind:?}");
        assert_eq!(mail.html.contains(UNSUBSCRIBE_PLACEHOLDER), unsubscribe);
        mail
    }

    #[test]
    fn the_invitation_links_to_the_accept_page_with_its_token() {
        let at = DateTime::parse_from_rfc3339("2027-01-08T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mail = check(
            Email::invitation(
                BASE,
                " Camille@Example.fr ",
                "Collège <b>X</b>",
                "tok_123",
                at,
            ),
            EmailKind::Invitation,
            "Invitation à rejoindre Collège <b>X</b>",
            &[
                "https://tremplin.example.fr/invitation?token=tok_123",
                "08/01/2027",
                "Collège <b>X</b>",
            ],
        );
        assert_eq!(mail.to, "Camille@Example.fr");
        assert!(mail.html.contains("Collège &lt;b&gt;X&lt;/b&gt;"));
        assert!(!mail.html.contains("<b>X"));
    }

    #[test]
    fn the_tutor_learns_the_school_and_week_but_not_the_pupil() {
        let mail = check(
            Email::placement_proposed(BASE, "tutor@example.fr", &placement()),
            EmailKind::PlacementProposed,
            "Découverte de la logistique",
            &[
                "collège Jean Moulin",
                "semaine 3 de 2027",
                "08/01/2027",
                "https://tremplin.example.fr/placements/00000000-0000-0000-0000-000000000000",
            ],
        );
        assert!(!mail.text.contains("Léa"), "{}", mail.text);
        assert!(!mail.html.contains("Léa"));
    }

    #[test]
    fn the_school_hears_each_outcome_of_its_pupils_placement() {
        let p = placement();
        let cases: [(Outcome, EmailKind, &str, &str); 4] = [
            (
                Email::placement_accepted,
                EmailKind::PlacementAccepted,
                "Stage accepté",
                "doit maintenant la confirmer",
            ),
            (
                Email::placement_confirmed,
                EmailKind::PlacementConfirmed,
                "Stage confirmé",
                "le stage aura lieu",
            ),
            (
                Email::placement_declined,
                EmailKind::PlacementDeclined,
                "Stage décliné",
                "a été déclinée",
            ),
            (
                Email::placement_expired,
                EmailKind::PlacementExpired,
                "Proposition expirée",
                "a expiré sans réponse",
            ),
        ];
        for (make, kind, subject, says) in cases {
            check(
                make(BASE, "ce.0930000a@ac-creteil.fr", &p),
                kind,
                subject,
                &[
                    says,
                    "Léa M., 3e B",
                    "Entrepôts <Durand> & fils",
                    "semaine 3 de 2027",
                ],
            );
        }
    }

    #[test]
    fn the_reminder_gives_the_deadline_and_can_be_unsubscribed() {
        check(
            Email::proposal_reminder(BASE, "tutor@example.fr", &placement()),
            EmailKind::ProposalReminder,
            "expire bientôt",
            &["08/01/2027", "/placements/"],
        );
    }

    #[test]
    fn subjects_stay_on_one_line() {
        let mut p = placement();
        p.offer_title = "Ligne\r\nBcc: victim@example.fr";
        let mail = Email::placement_proposed(BASE, "t@example.fr", &p);
        assert_eq!(
            mail.subject,
            "Nouvelle proposition de stage : Ligne Bcc: victim@example.fr"
        );
    }
}
