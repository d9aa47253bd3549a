//! Parsed domain values. Once a value is one of these types it is valid, and
//! nobody checks it again.
mod departement;
mod email;
mod geo;
mod identifiers;
mod iso_week;
mod kinds;
mod priority;
mod sector;

pub use departement::{college_departement, departement_code};
pub use email::Email;
pub use geo::{Location, distance_km, inside_france};
pub use identifiers::{InseeCode, Siret, Uai};
pub use iso_week::IsoWeek;
pub use kinds::{
    EndReason, MeetingMode, MenteeNeed, MenteeSituation, MentorStatus, OfferKind, OfferStatus,
    OrganisationKind, PairingStatus, PlacementStatus, PupilStatus, Role, Track,
};
pub use priority::{Priority, PrioritySources, priority_of};
pub use sector::{SECTORS, Sector};

/// Why a raw value could not be parsed; the message is shown to API clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
