//! An offer body parsed into what the store writes: every rule that
//! `validator` cannot express, all problems reported at once.
use super::dto::OfferIn;
use crate::domain::{
    Email, InseeCode, IsoWeek, Location, OfferKind, OfferStatus, Sector, Track, inside_france,
};
use crate::error::{ApiError, FieldError};
use crate::reference::CommuneRef;
use crate::startup::AppState;
use crate::store::offers::OfferData;
use sea_orm::ConnectionTrait;
use std::collections::HashSet;

/// Group size bounds of a `classe_entreprise` offer (BRIEF §1).
const GROUP_MIN: u32 = 8;
const GROUP_MAX: u32 = 30;

/// Looks the commune up and parses the whole body, reporting every problem.
pub(super) async fn offer_data(
    state: &AppState,
    db: &impl ConnectionTrait,
    body: &OfferIn,
) -> Result<OfferData, ApiError> {
    let commune = match InseeCode::parse(&body.commune_insee) {
        Ok(code) => state.communes.get(db, code.as_str()).await?,
        Err(_) => None,
    };
    body.parse(commune.as_ref()).map_err(ApiError::Validation)
}

impl OfferIn {
    /// Every rule that `validator` cannot express; `commune` is the reference
    /// entry of `commune_insee`, when it exists.
    fn parse(&self, commune: Option<&CommuneRef>) -> Result<OfferData, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |field: String, result: Result<(), String>| {
            if let Err(message) = result {
                errors.push(FieldError::new(field, message));
            }
        };
        // `validator` counts characters; a value of spaces alone would be
        // stored empty once trimmed.
        for (field, value) in [
            ("address", &self.address),
            ("title", &self.title),
            ("tutor.name", &self.tutor.name),
        ] {
            if value.trim().is_empty() {
                check(field.into(), Err("must not be blank".into()));
            }
        }
        let kind = OfferKind::parse(&self.kind);
        check(
            "kind".into(),
            kind.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        );
        let sector = Sector::parse(&self.sector);
        check(
            "sector".into(),
            sector.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        );
        let insee = InseeCode::parse(&self.commune_insee);
        check(
            "commune_insee".into(),
            match (&insee, commune) {
                (Err(e), _) => Err(e.to_string()),
                (Ok(_), None) => Err("unknown commune code".into()),
                (Ok(_), Some(_)) => Ok(()),
            },
        );
        let location = match (self.location, commune) {
            (Some(l), _) => {
                check(
                    "location".into(),
                    if inside_france(l.lat, l.lon) {
                        Ok(())
                    } else {
                        Err("the location must be in France or an overseas territory".into())
                    },
                );
                Some(l)
            }
            (None, Some(c)) => Some(Location {
                lat: c.lat,
                lon: c.lon,
            }),
            (None, None) => None,
        };
        let mut seen = HashSet::new();
        let mut weeks = Vec::new();
        for (i, w) in self.weeks.iter().enumerate() {
            match IsoWeek::parse(&w.week) {
                Ok(week) if !seen.insert(week) => {
                    check(
                        format!("weeks[{i}].week"),
                        Err(format!("{week} is listed twice")),
                    );
                }
                Ok(week) => weeks.push((week, w.seats)),
                Err(e) => check(format!("weeks[{i}].week"), Err(e.to_string())),
            }
        }
        weeks.sort();
        let tracks: Vec<Track> = match (&self.tracks, &kind) {
            (Some(list), _) => list
                .iter()
                .enumerate()
                .filter_map(|(i, t)| {
                    Track::parse(t)
                        .map_err(|e| check(format!("tracks[{i}]"), Err(e.to_string())))
                        .ok()
                })
                .collect(),
            (None, Ok(OfferKind::PrepaMetiers)) => vec![Track::PrepaMetiers],
            (None, _) => Track::ALL.to_vec(),
        };
        if self.tracks.as_ref().is_some_and(Vec::is_empty) {
            check("tracks".into(), Err("at least one track is needed".into()));
        }
        if kind == Ok(OfferKind::PrepaMetiers) && tracks.iter().any(|t| *t != Track::PrepaMetiers) {
            check(
                "tracks".into(),
                Err("a prepa_metiers offer is only for the prepa_metiers track".into()),
            );
        }
        let group_size = match (&kind, self.group_size) {
            (Ok(OfferKind::ClasseEntreprise), Some(g)) => {
                if g.min < GROUP_MIN || g.max > GROUP_MAX || g.min > g.max {
                    check(
                        "group_size".into(),
                        Err(format!(
                            "a group has {GROUP_MIN} to {GROUP_MAX} pupils and min ≤ max"
                        )),
                    );
                }
                Some((g.min, g.max))
            }
            (Ok(OfferKind::ClasseEntreprise), None) => {
                check(
                    "group_size".into(),
                    Err("required for a classe_entreprise offer".into()),
                );
                None
            }
            (_, Some(_)) => {
                check(
                    "group_size".into(),
                    Err("only a classe_entreprise offer has a group size".into()),
                );
                None
            }
            (_, None) => None,
        };
        let tutor_email = Email::parse(&self.tutor.email);
        check(
            "tutor.email".into(),
            tutor_email.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        );
        let status = match &self.status {
            Some(s) => OfferStatus::parse(s),
            None => Ok(OfferStatus::Published),
        };
        check(
            "status".into(),
            status.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        );
        if !errors.is_empty() {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(errors);
        }
        match (kind, sector, insee, location, tutor_email, status) {
            (
                Ok(kind),
                Ok(sector),
                Ok(commune_insee),
                Some(location),
                Ok(tutor_email),
                Ok(status),
            ) => Ok(OfferData {
                kind,
                title: self.title.trim().to_owned(),
                description: self.description.clone(),
                sector,
                address: self.address.trim().to_owned(),
                commune_insee,
                location,
                weeks,
                tracks,
                reserved_for_priority: self.reserved_for_priority,
                group_size,
                accessible: self.accessible,
                tutor_name: self.tutor.name.trim().to_owned(),
                tutor_email,
                status,
            }),
            _ => Err(vec![FieldError::new("", "invalid offer")]),
        }
    }
}
