//! The closed vocabularies of the API, parsed once from their wire names.
use super::ParseError;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                match raw {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(ParseError::new(format!(
                        "must be one of: {}",
                        [$($wire),+].join(", ")
                    ))),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// What a person (or machine client) may do; see BRIEF §2.
    Role {
        Admin => "admin",
        Company => "company",
        School => "school",
        Coordinator => "coordinator",
    }
);

wire_enum!(
    OrganisationKind {
        Company => "company",
        School => "school",
        MentoringStructure => "mentoring_structure",
    }
);

wire_enum!(
    OfferKind {
        Stage3e => "stage_3e",
        PrepaMetiers => "prepa_metiers",
        ClasseEntreprise => "classe_entreprise",
    }
);

wire_enum!(
    OfferStatus {
        Draft => "draft",
        Published => "published",
        Archived => "archived",
    }
);

wire_enum!(
    Track {
        Generale => "generale",
        PrepaMetiers => "prepa_metiers",
        Segpa => "segpa",
        Ulis => "ulis",
    }
);

wire_enum!(
    MentorStatus {
        Active => "active",
        Paused => "paused",
        Inactive => "inactive",
    }
);

impl OrganisationKind {
    /// The only role a member of such an organisation can hold.
    pub fn member_role(self) -> Role {
        match self {
            OrganisationKind::Company => Role::Company,
            OrganisationKind::School => Role::School,
            OrganisationKind::MentoringStructure => Role::Coordinator,
        }
    }
}

wire_enum!(
    /// Where a pupil stands in the placement workflow.
    PupilStatus {
        Unplaced => "unplaced",
        Proposed => "proposed",
        Accepted => "accepted",
        Placed => "placed",
        Erased => "erased",
    }
);

wire_enum!(
    /// `proposed → accepted (school) → confirmed (company)`, or one of the
    /// ends: declined, cancelled, expired.
    PlacementStatus {
        Proposed => "proposed",
        Accepted => "accepted",
        Confirmed => "confirmed",
        Declined => "declined",
        Cancelled => "cancelled",
        Expired => "expired",
    }
);

impl PlacementStatus {
    /// The statuses that hold a seat.
    pub const ACTIVE: [PlacementStatus; 3] = [
        PlacementStatus::Proposed,
        PlacementStatus::Accepted,
        PlacementStatus::Confirmed,
    ];
}

wire_enum!(
    /// Where a mentee stands in life, as the State's reporting counts it.
    MenteeSituation {
        Collegien => "collegien",
        Lyceen => "lyceen",
        Etudiant => "etudiant",
        EnInsertion => "en_insertion",
    }
);

wire_enum!(
    /// What a mentee seeks from a mentor: a closed list, so that needs can
    /// be counted and matched.
    MenteeNeed {
        Orientation => "orientation",
        Scolarite => "scolarite",
        InsertionProfessionnelle => "insertion_professionnelle",
        Confiance => "confiance",
        Reseau => "reseau",
        Mobilite => "mobilite",
        OuvertureCulturelle => "ouverture_culturelle",
    }
);

wire_enum!(
    /// `draft → proposed → active → (paused ↔ active) → ended`, and
    /// `proposed → declined`; a draft may also be discarded (declined).
    PairingStatus {
        Draft => "draft",
        Proposed => "proposed",
        Active => "active",
        Paused => "paused",
        Ended => "ended",
        Declined => "declined",
    }
);

impl PairingStatus {
    /// The statuses this one may move to.
    pub fn next(self) -> &'static [PairingStatus] {
        use PairingStatus::*;
        match self {
            Draft => &[Proposed, Declined],
            Proposed => &[Active, Declined],
            Active => &[Paused, Ended],
            Paused => &[Active, Ended],
            Ended | Declined => &[],
        }
    }

    /// Open pairings hold their mentee (one open pairing per mentee).
    pub fn is_open(self) -> bool {
        !matches!(self, PairingStatus::Ended | PairingStatus::Declined)
    }

    /// The statuses that take one of the mentor's places.
    pub const HOLDING: [PairingStatus; 2] = [PairingStatus::Active, PairingStatus::Paused];
}

wire_enum!(
    /// Why a pairing ended, as reported to the State.
    EndReason {
        Completed => "completed",
        MenteeWithdrew => "mentee_withdrew",
        MentorWithdrew => "mentor_withdrew",
        NoContact => "no_contact",
        Moved => "moved",
        Other => "other",
    }
);

wire_enum!(
    MeetingMode {
        InPerson => "in_person",
        Remote => "remote",
        Phone => "phone",
    }
);
