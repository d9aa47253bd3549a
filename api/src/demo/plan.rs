//! What differs between the two départements of the demo: which collèges,
//! how many pupils and companies, how scarce the seats are.
use super::scenario::Scale;

/// What differs between the two départements.
pub struct Plan {
    pub code: &'static str,
    pub commune_departement: &'static str,
    pub name: &'static str,
    /// Collèges per education-priority status; `usize::MAX` takes them all.
    pub schools: &'static [(&'static str, usize)],
    pub classes: (usize, usize),
    pub class_size: (usize, usize),
    /// Stage seats per stage pupil: below 1, priority decides who goes.
    pub seat_ratio: f64,
    pub companies: usize,
    pub seats_per_offer: (u32, u32),
    pub group_classes: usize,
    pub group_offers: usize,
    /// Share of pupils with a home commune, and how far from the collège.
    pub home_share: f64,
    pub home_radius_km: f64,
    pub qpv_share: f64,
    /// Companies spread around their commune's centroid by this much.
    pub spread_km: f64,
    pub accept_within_km: f64,
}

pub fn plans(scale: Scale) -> [Plan; 2] {
    let small = scale == Scale::Small;
    [
        Plan {
            code: "093",
            commune_departement: "93",
            name: "Seine-Saint-Denis",
            schools: if small {
                &[("REP+", 3), ("REP", 2), ("HORS_EP", 2)]
            } else {
                &[("REP+", 12), ("REP", 8), ("HORS_EP", 8)]
            },
            classes: if small { (1, 1) } else { (2, 2) },
            class_size: if small { (12, 16) } else { (22, 28) },
            seat_ratio: 0.58,
            companies: if small { 5 } else { 40 },
            seats_per_offer: (1, 4),
            group_classes: if small { 1 } else { 2 },
            group_offers: if small { 1 } else { 2 },
            home_share: 0.6,
            home_radius_km: 6.0,
            qpv_share: 0.3,
            spread_km: 1.2,
            accept_within_km: 6.0,
        },
        Plan {
            code: "023",
            commune_departement: "23",
            name: "Creuse",
            schools: if small {
                &[("HORS_EP", 3), ("REP", 1)]
            } else {
                &[("HORS_EP", usize::MAX), ("REP", usize::MAX)]
            },
            classes: if small { (1, 1) } else { (1, 2) },
            class_size: if small { (8, 12) } else { (14, 24) },
            seat_ratio: 0.62,
            companies: if small { 3 } else { 20 },
            seats_per_offer: (1, 3),
            group_classes: if small { 0 } else { 1 },
            group_offers: if small { 0 } else { 1 },
            home_share: 0.85,
            home_radius_km: 15.0,
            qpv_share: 0.03,
            spread_km: 2.0,
            accept_within_km: 20.0,
        },
    ]
}
