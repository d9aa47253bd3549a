//! French for the pages: dates (`lundi 1 février 2027`), ISO weeks
//! (`S05 2027`), numbers with a decimal comma and grouped thousands, and
//! the words for the API's closed vocabularies. The JSON API keeps its wire
//! names; only the pages speak French.
use crate::account::{PASSWORD_CHARS, PasswordError};
use crate::domain::{IsoWeek, OfferKind, PairingStatus, PlacementStatus, Role};
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Europe::Paris;

const DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// Narrow no-break space: between thousands and before a unit, so that a
/// number never wraps away from its unit.
const NNBSP: char = '\u{202F}';

fn day_name(day: Weekday) -> &'static str {
    DAYS[day.num_days_from_monday() as usize]
}

/// `lundi 1 février 2027`.
pub fn date(d: NaiveDate) -> String {
    format!(
        "{} {} {} {}",
        day_name(d.weekday()),
        d.day(),
        MONTHS[d.month0() as usize],
        d.year()
    )
}

/// `lundi 1 février 2027 à 14 h 05`, in Paris time (the service's users are in France).
pub fn date_time(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Paris);
    format!(
        "{} à {} h {:02}",
        date(local.date_naive()),
        local.hour(),
        local.minute()
    )
}

/// `S05 2027` for `2027-W05`; an unparsable week is shown as it is.
pub fn week(raw: &str) -> String {
    match IsoWeek::parse(raw) {
        Ok(w) => format!("S{:02} {}", w.week(), w.year()),
        Err(_) => raw.to_owned(),
    }
}

/// `S05 2027`, or `S05 à S07 2027` / `S52 2026 à S02 2027` for a span.
pub fn weeks(start: &str, end: &str) -> String {
    if start == end {
        return week(start);
    }
    match (IsoWeek::parse(start), IsoWeek::parse(end)) {
        (Ok(a), Ok(b)) if a.year() == b.year() => {
            format!("S{:02} à S{:02} {}", a.week(), b.week(), a.year())
        }
        _ => format!("{} à {}", week(start), week(end)),
    }
}

/// `12 345,5`: a decimal comma and narrow spaces between thousands, with
/// `decimals` digits after the comma (trailing zeros kept).
pub fn number(x: f64, decimals: usize) -> String {
    let formatted = format!("{:.*}", decimals, x.abs());
    let (int, frac) = formatted
        .split_once('.')
        .map_or((formatted.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(NNBSP);
        }
        grouped.push(c);
    }
    let negative = x < 0.0 && formatted.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if negative { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `3,2 km`.
pub fn km(x: f64) -> String {
    format!("{}{NNBSP}km", number(x, 1))
}

/// The priority tier in words, from its wire name.
pub fn tier(raw: &str) -> &'static str {
    match raw {
        "rep_plus" => "REP+ (éducation prioritaire renforcée)",
        "rep" => "REP (éducation prioritaire)",
        "rural" => "rural (commune FRR)",
        "qpv" => "quartier prioritaire (QPV)",
        "standard" => "sans priorité",
        _ => "inconnu",
    }
}

pub fn offer_kind(raw: &str) -> &'static str {
    match OfferKind::parse(raw) {
        Ok(OfferKind::Stage3e) => "stage d'observation de 3e",
        Ok(OfferKind::PrepaMetiers) => "stage de 3e prépa-métiers",
        Ok(OfferKind::ClasseEntreprise) => "classe en entreprise",
        Err(_) => "inconnu",
    }
}

pub fn placement_status(raw: &str) -> &'static str {
    match PlacementStatus::parse(raw) {
        Ok(PlacementStatus::Proposed) => "proposé, en attente du collège",
        Ok(PlacementStatus::Accepted) => "accepté par le collège, en attente de l'entreprise",
        Ok(PlacementStatus::Confirmed) => "confirmé par l'entreprise",
        Ok(PlacementStatus::Declined) => "refusé",
        Ok(PlacementStatus::Cancelled) => "annulé",
        Ok(PlacementStatus::Expired) => "expiré sans réponse",
        Err(_) => "inconnu",
    }
}

pub fn pairing_status(raw: &str) -> &'static str {
    match PairingStatus::parse(raw) {
        Ok(PairingStatus::Draft) => "brouillon",
        Ok(PairingStatus::Proposed) => "proposé",
        Ok(PairingStatus::Active) => "en cours",
        Ok(PairingStatus::Paused) => "en pause",
        Ok(PairingStatus::Ended) => "terminé",
        Ok(PairingStatus::Declined) => "refusé",
        Err(_) => "inconnu",
    }
}

pub fn end_reason(raw: &str) -> &'static str {
    match raw {
        "completed" => "mentorat mené à son terme",
        "mentee_withdrew" => "arrêt à l'initiative du jeune",
        "mentor_withdrew" => "arrêt à l'initiative du mentor",
        "no_contact" => "plus de contact",
        "moved" => "déménagement",
        "other" => "autre raison",
        _ => "inconnue",
    }
}

/// Who the signed-in person is, as the header says it.
pub fn role(role: Role) -> &'static str {
    match role {
        Role::Admin => "administration",
        Role::Company => "entreprise",
        Role::School => "collège",
        Role::Coordinator => "coordination de mentorat",
    }
}

/// The password rule, as a form says it.
pub fn password_error(err: PasswordError) -> String {
    match err {
        PasswordError::Length => format!(
            "Le mot de passe doit compter de {} à {} caractères.",
            PASSWORD_CHARS.start(),
            PASSWORD_CHARS.end()
        ),
    }
}

/// `oui` / `non`.
pub fn yes_no(b: bool) -> &'static str {
    if b { "oui" } else { "non" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_read_as_in_a_french_letter() {
        assert_eq!(date(day(2027, 2, 1)), "lundi 1 février 2027");
        assert_eq!(date(day(2026, 8, 15)), "samedi 15 août 2026");
        assert_eq!(date(day(2027, 12, 26)), "dimanche 26 décembre 2027");
    }

    #[test]
    fn times_are_given_in_paris_time_winter_and_summer() {
        let winter = "2027-02-01T13:05:00Z".parse().unwrap();
        assert_eq!(date_time(winter), "lundi 1 février 2027 à 14 h 05");
        let summer = "2027-07-01T22:30:00Z".parse().unwrap();
        assert_eq!(date_time(summer), "vendredi 2 juillet 2027 à 0 h 30");
    }

    #[test]
    fn iso_weeks_read_s_number_year() {
        assert_eq!(week("2027-W05"), "S05 2027");
        assert_eq!(week("2026-W53"), "S53 2026");
        assert_eq!(week("nonsense"), "nonsense");
        assert_eq!(weeks("2027-W05", "2027-W05"), "S05 2027");
        assert_eq!(weeks("2027-W05", "2027-W07"), "S05 à S07 2027");
        assert_eq!(weeks("2026-W52", "2027-W02"), "S52 2026 à S02 2027");
    }

    #[test]
    fn numbers_take_a_decimal_comma_and_grouped_thousands() {
        assert_eq!(number(3.25, 1), "3,2");
        assert_eq!(number(0.0, 1), "0,0");
        assert_eq!(number(12.0, 0), "12");
        assert_eq!(number(1234.5, 1), "1\u{202F}234,5");
        assert_eq!(number(1234567.0, 0), "1\u{202F}234\u{202F}567");
        assert_eq!(number(-2.5, 1), "-2,5");
        assert_eq!(number(-0.01, 1), "0,0");
        assert_eq!(km(3.16), "3,2\u{202F}km");
        assert_eq!(km(12.0), "12,0\u{202F}km");
    }

    #[test]
    fn every_wire_name_has_french_words() {
        for s in PlacementStatus::ALL {
            assert_ne!(placement_status(s.as_str()), "inconnu", "{s}");
        }
        for s in PairingStatus::ALL {
            assert_ne!(pairing_status(s.as_str()), "inconnu", "{s}");
        }
        for k in OfferKind::ALL {
            assert_ne!(offer_kind(k.as_str()), "inconnu", "{k}");
        }
        for r in crate::domain::EndReason::ALL {
            assert_ne!(end_reason(r.as_str()), "inconnue", "{r}");
        }
        for t in ["rep_plus", "rep", "rural", "qpv", "standard"] {
            assert_ne!(tier(t), "inconnu", "{t}");
        }
        assert_eq!(tier("rep_plus"), "REP+ (éducation prioritaire renforcée)");
        assert_eq!(role(Role::School), "collège");
        assert_eq!(yes_no(true), "oui");
        assert_eq!(
            password_error(PasswordError::Length),
            "Le mot de passe doit compter de 12 à 128 caractères."
        );
    }
}
