//! `/placements/{id}` and `/pairings/{id}`, the records the e-mails link
//! to, read-only for now. Scoping and roles are the API's own: the page
//! asks the same functions with the caller the API would see, and reads
//! their answer through its documented JSON shape, so it shows no more and
//! no less than `GET /v1/placements/{id}` and `GET /v1/pairings/{id}`.
use super::error::PageError;
use super::fr;
use super::page::{Chrome, page};
use super::session::SignedIn;
use crate::routes::mentees::structure_of;
use crate::routes::pairings::answer;
use crate::routes::placements::{outs, viewer};
use crate::startup::AppState;
use crate::store::{placements, pupils, reference};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// A path id that is not a UUID names nothing: 404, as the API.
fn parse_id(raw: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(raw).map_err(|_| PageError::NotFound)
}

/// The API's answer in its wire shape, read back typed for the page.
fn wire<T: DeserializeOwned>(out: &impl serde::Serialize) -> Result<T, PageError> {
    serde_json::to_value(out)
        .and_then(serde_json::from_value)
        .map_err(|e| PageError::Internal(e.into()))
}

#[derive(Template)]
#[template(path = "record_partial.html")]
struct RecordPartial {
    heading: String,
    facts: Vec<(&'static str, String)>,
    history: Vec<[String; 4]>,
}

#[derive(Deserialize)]
struct OfferRef {
    title: String,
    commune_insee: String,
}

#[derive(Deserialize)]
struct PupilRef {
    first_name: Option<String>,
    class_name: Option<String>,
}

#[derive(Deserialize)]
struct SchoolRef {
    uai: String,
    name: String,
}

#[derive(Deserialize)]
struct PlacementWire {
    offer: OfferRef,
    pupil_id: Option<Uuid>,
    pupil: Option<PupilRef>,
    school: Option<SchoolRef>,
    class_name: Option<String>,
    group_size: i32,
    kind: String,
    week_start: String,
    week_end: String,
    tier: Option<String>,
    distance_km: Option<f64>,
    interest_match: Option<bool>,
    status: String,
    expires_at: DateTime<Utc>,
}

pub async fn placement(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(session): SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&id)?;
    let caller = session.caller();
    let viewer = viewer(&caller)?;
    let found = placements::find(&state.db, viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let out = outs(&state, viewer, vec![found])
        .await?
        .pop()
        .ok_or(PageError::NotFound)?;
    let p: PlacementWire = wire(&out)?;
    let commune = reference::commune(&state.db, &p.offer.commune_insee)
        .await?
        .map_or(p.offer.commune_insee.clone(), |c| c.name);
    let mut facts = vec![
        ("Statut", fr::placement_status(&p.status).to_owned()),
        ("Type", fr::offer_kind(&p.kind).to_owned()),
        ("Semaine", fr::weeks(&p.week_start, &p.week_end)),
        ("Lieu", commune),
    ];
    if matches!(p.status.as_str(), "proposed" | "accepted") {
        facts.push(("Réponse attendue avant le", fr::date_time(p.expires_at)));
    }
    // The school sees its pupil; the company only what the API gives it.
    match (p.pupil_id, caller.org) {
        (Some(pupil_id), Some(school)) if p.pupil.is_none() => {
            let name = pupils::find(&state.db, school, pupil_id)
                .await?
                .map(|x| {
                    let first = x.first_name.unwrap_or_default();
                    let last = x.last_name.unwrap_or_default();
                    format!("{first} {last}").trim().to_owned()
                })
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "élève effacé".to_owned());
            facts.push(("Élève", name));
        }
        _ => {}
    }
    if let Some(pupil) = &p.pupil {
        let first = pupil.first_name.clone();
        facts.push(("Élève (prénom)", first.unwrap_or_else(|| "—".into())));
    }
    let class = p
        .class_name
        .clone()
        .or_else(|| p.pupil.as_ref().and_then(|x| x.class_name.clone()));
    if let Some(class) = class {
        facts.push(("Classe", class));
    }
    if p.group_size > 1 {
        facts.push(("Groupe", format!("{} élèves", p.group_size)));
    }
    if let Some(school) = &p.school {
        facts.push(("Collège", format!("{} ({})", school.name, school.uai)));
    }
    if let Some(tier) = &p.tier {
        facts.push(("Priorité", fr::tier(tier).to_owned()));
    }
    if let Some(km) = p.distance_km {
        facts.push(("Distance", fr::km(km)));
    }
    if let Some(interest) = p.interest_match {
        facts.push((
            "Secteur parmi ses intérêts",
            fr::yes_no(interest).to_owned(),
        ));
    }
    let partial = RecordPartial {
        heading: format!("Stage : {}", p.offer.title),
        facts,
        history: Vec::new(),
    };
    let chrome = Chrome::new(Some(&session), req.path());
    page(&req, StatusCode::OK, &chrome, "Stage", &partial)
}

#[derive(Deserialize)]
struct PersonRef {
    name: Option<String>,
}

#[derive(Deserialize)]
struct EventWire {
    at: DateTime<Utc>,
    from: Option<String>,
    to: String,
    reason: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
struct FiguresWire {
    meetings: u64,
    days_since_last_meeting: Option<i64>,
}

#[derive(Deserialize)]
struct PairingWire {
    mentee: PersonRef,
    mentor: PersonRef,
    status: String,
    priority: String,
    departement: String,
    distance_km: Option<f64>,
    remote: bool,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    end_reason: Option<String>,
    #[serde(default)]
    history: Vec<EventWire>,
    figures: Option<FiguresWire>,
}

pub async fn pairing(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(session): SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&id)?;
    let org = structure_of(&session.caller())?;
    let p: PairingWire = wire(&answer::one(&state, org, id).await?)?;
    let name = |person: &PersonRef| person.name.clone().unwrap_or_else(|| "—".into());
    let mut facts = vec![
        ("Statut", fr::pairing_status(&p.status).to_owned()),
        ("Jeune", name(&p.mentee)),
        ("Mentor", name(&p.mentor)),
        ("Priorité", fr::tier(&p.priority).to_owned()),
        ("Département", p.departement.clone()),
    ];
    facts.push((
        "Rencontres",
        match (p.remote, p.distance_km) {
            (true, _) => "à distance possible".to_owned(),
            (false, Some(km)) => format!("en personne, à {}", fr::km(km)),
            (false, None) => "en personne".to_owned(),
        },
    ));
    if let Some(start) = p.start_date {
        facts.push(("Début", fr::date(start)));
    }
    if let Some(end) = p.end_date {
        facts.push(("Fin", fr::date(end)));
    }
    if let Some(reason) = &p.end_reason {
        facts.push(("Raison de la fin", fr::end_reason(reason).to_owned()));
    }
    if let Some(f) = &p.figures {
        facts.push(("Rencontres enregistrées", f.meetings.to_string()));
        if let Some(days) = f.days_since_last_meeting {
            facts.push(("Jours depuis la dernière rencontre", days.to_string()));
        }
    }
    let history = p
        .history
        .iter()
        .map(|e| {
            [
                fr::date_time(e.at),
                e.from
                    .as_deref()
                    .map_or("création".to_owned(), |f| fr::pairing_status(f).to_owned()),
                fr::pairing_status(&e.to).to_owned(),
                e.reason
                    .as_deref()
                    .map(fr::end_reason)
                    .map(str::to_owned)
                    .or_else(|| e.note.clone())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let partial = RecordPartial {
        heading: format!("Binôme : {} et {}", name(&p.mentee), name(&p.mentor)),
        facts,
        history,
    };
    let chrome = Chrome::new(Some(&session), req.path());
    page(&req, StatusCode::OK, &chrome, "Binôme", &partial)
}
