//! The priority tier of a pupil or mentee (BRIEF §1): REP+ > REP > rural = QPV
//! > standard. Every workflow that ranks people calls [`priority_of`].
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    RepPlus,
    Rep,
    Rural,
    Qpv,
    Standard,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::RepPlus => "rep_plus",
            Priority::Rep => "rep",
            Priority::Rural => "rural",
            Priority::Qpv => "qpv",
            Priority::Standard => "standard",
        }
    }
}

/// What the tier is derived from, as recorded in the reference tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrioritySources<'a> {
    /// `education_prioritaire` of the school (`REP+`, `REP`, `HORS_EP`).
    pub school_education_prioritaire: Option<&'a str>,
    /// FRR flag of the home commune, when the home commune is known.
    pub home_commune_frr: Option<bool>,
    /// FRR flag of the school's commune, used when no home commune is given.
    pub school_commune_frr: Option<bool>,
    /// QPV residence, declared on the record.
    pub qpv: bool,
}

/// The strongest tier that applies.
pub fn priority_of(sources: PrioritySources<'_>) -> Priority {
    match sources.school_education_prioritaire {
        Some("REP+") => return Priority::RepPlus,
        Some("REP") => return Priority::Rep,
        _ => {}
    }
    let rural = match sources.home_commune_frr {
        Some(frr) => frr,
        None => sources.school_commune_frr.unwrap_or(false),
    };
    if rural {
        Priority::Rural
    } else if sources.qpv {
        Priority::Qpv
    } else {
        Priority::Standard
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(ep: Option<&str>, home: Option<bool>, school: Option<bool>, qpv: bool) -> Priority {
        priority_of(PrioritySources {
            school_education_prioritaire: ep,
            home_commune_frr: home,
            school_commune_frr: school,
            qpv,
        })
    }

    #[test]
    fn strongest_tier_wins() {
        let cases = [
            (Some("REP+"), Some(true), None, true, Priority::RepPlus),
            (Some("REP"), Some(true), None, true, Priority::Rep),
            (
                Some("HORS_EP"),
                Some(true),
                Some(false),
                false,
                Priority::Rural,
            ),
            (Some("HORS_EP"), None, Some(true), false, Priority::Rural),
            // a known home commune outside FRR overrides a rural school commune
            (
                Some("HORS_EP"),
                Some(false),
                Some(true),
                false,
                Priority::Standard,
            ),
            (None, Some(false), None, true, Priority::Qpv),
            (None, None, None, false, Priority::Standard),
        ];
        for (ep, home, school, qpv, expected) in cases {
            assert_eq!(
                tier(ep, home, school, qpv),
                expected,
                "{ep:?} {home:?} {school:?} {qpv}"
            );
        }
    }
}
