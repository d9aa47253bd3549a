//! Edge cases: empty sides, all seats reserved, overseas and antimeridian points,
//! identical coordinates, zero and huge radii, groups, mentoring, reasons.

use matcher::*;

fn week() -> WeekSpan {
    WeekSpan::single(7)
}

fn pupil(id: u64, lat: f64, lon: f64, tier: Tier) -> Unit {
    let mut u = Unit::new(id, GeoPoint::new(lat, lon), Kind::Stage3e, week());
    u.tier = tier;
    u
}

fn offer(id: u64, lat: f64, lon: f64, seats: u32) -> Slot {
    Slot::new(id, GeoPoint::new(lat, lon), Kind::Stage3e, week(), seats)
}

fn run(units: Vec<Unit>, slots: Vec<Slot>, cfg: &MatchConfig) -> MatchOutcome {
    let out = solve(&Problem { units, slots }, cfg).unwrap();
    assert_eq!(out.metrics.blocking_pairs, 0);
    out
}

#[test]
fn no_offers_leaves_everyone_unmatched_with_no_offer_in_radius() {
    let out = run(
        vec![pupil(1, 48.8, 2.3, Tier::Rep)],
        vec![],
        &MatchConfig::default(),
    );
    assert_eq!(out.unmatched[0].reason, UnmatchedReason::NoOfferInRadius);
    assert_eq!(out.metrics.match_rate, 0.0);
}

#[test]
fn no_pupils_is_an_empty_outcome() {
    let out = run(
        vec![],
        vec![offer(1, 48.8, 2.3, 3)],
        &MatchConfig::default(),
    );
    assert!(out.assignments.is_empty() && out.unmatched.is_empty());
    assert_eq!(out.metrics.seats, 3);
    assert_eq!(out.metrics.fill_rate, 0.0);
}

#[test]
fn all_seats_reserved_go_to_priority_pupils_only() {
    let mut slots = vec![offer(10, 48.8, 2.3, 1), offer(11, 48.81, 2.3, 1)];
    for s in &mut slots {
        s.reserved_for_priority = true;
    }
    let units = vec![
        pupil(1, 48.8, 2.3, Tier::Standard),
        pupil(2, 48.8, 2.31, Tier::Qpv),
    ];
    let out = run(units, slots, &MatchConfig::default());
    assert_eq!(out.assignments.len(), 1);
    assert_eq!(out.assignments[0].unit, 2);
    assert_eq!(out.unmatched[0].reason, UnmatchedReason::NoEligibleOffer);
}

#[test]
fn antimeridian_pairs_match_and_far_territories_do_not() {
    // An offer ~5 km away across 180° is in reach; Réunion is ~1,400 km from Mayotte.
    let mut east = pupil(1, -16.5, 179.98, Tier::Standard);
    east.radius_km = Some(20.0);
    let west = offer(10, -16.5, -179.97, 1);
    let reunion = offer(11, -21.11, 55.53, 5);
    let mayotte = pupil(2, -12.78, 45.23, Tier::RepPlus);
    let out = run(
        vec![east, mayotte],
        vec![west, reunion],
        &MatchConfig::default(),
    );
    assert_eq!(out.assignments.len(), 1);
    assert_eq!(out.assignments[0].slot, 10);
    assert!(out.assignments[0].distance_km < 6.0);
    let m = out.unmatched.iter().find(|u| u.unit == 2).unwrap();
    assert_eq!(m.reason, UnmatchedReason::NoOfferInRadius);
}

#[test]
fn identical_coordinates_and_zero_radius_still_match() {
    let cfg = MatchConfig {
        default_radius_km: 0.0,
        ..MatchConfig::default()
    };
    let units = (1..=3)
        .map(|i| pupil(i, -21.0, 55.5, Tier::Standard))
        .collect();
    let out = run(
        units,
        vec![offer(10, -21.0, 55.5, 2), offer(11, -21.0, 55.5001, 5)],
        &cfg,
    );
    assert_eq!(out.assignments.len(), 2);
    assert!(
        out.assignments
            .iter()
            .all(|a| a.slot == 10 && a.distance_km == 0.0)
    );
    assert_eq!(out.unmatched[0].reason, UnmatchedReason::CapacityExhausted);
}

#[test]
fn huge_radius_is_capped_by_the_config() {
    let mut u = pupil(1, 48.85, 2.35, Tier::Standard);
    u.radius_km = Some(10_000.0);
    let near = offer(10, 48.85 + 55.0 / 111.2, 2.35, 1);
    let far = offer(11, 48.85 + 65.0 / 111.2, 2.35, 1);
    let out = run(vec![u.clone()], vec![far.clone()], &MatchConfig::default());
    assert!(out.assignments.is_empty());
    let out = run(vec![u.clone()], vec![far, near], &MatchConfig::default());
    assert_eq!(out.assignments[0].slot, 10);
    let wide = MatchConfig {
        max_radius_km: 25_000.0,
        ..MatchConfig::default()
    };
    let out = run(vec![u], vec![offer(12, -21.11, 55.53, 1)], &wide);
    assert_eq!(out.assignments.len(), 1);
}

#[test]
fn higher_tier_takes_the_seat_and_the_other_is_told_why() {
    let units = vec![
        pupil(1, 48.85, 2.35, Tier::Standard),
        pupil(2, 48.85, 2.36, Tier::RepPlus),
    ];
    let out = run(
        units,
        vec![offer(10, 48.86, 2.35, 1)],
        &MatchConfig::default(),
    );
    assert_eq!(out.assignments[0].unit, 2);
    assert_eq!(out.assignments[0].tier, Tier::RepPlus);
    assert_eq!(
        out.unmatched[0].reason,
        UnmatchedReason::SeatsTakenByHigherPriority
    );
}

#[test]
fn rural_pupils_reach_thirty_km() {
    let mut rural = pupil(1, 45.0, 3.0, Tier::Rural);
    rural.rural = true;
    let townie = pupil(2, 45.0, 3.0, Tier::Standard);
    let out = run(
        vec![rural, townie],
        vec![offer(10, 45.0 + 25.0 / 111.2, 3.0, 2)],
        &MatchConfig::default(),
    );
    assert_eq!(out.assignments.len(), 1);
    assert_eq!(out.assignments[0].unit, 1);
}

#[test]
fn groups_are_never_split_and_need_a_fitting_size() {
    let mut g = Unit::new(1, GeoPoint::new(43.6, 1.44), Kind::ClasseEntreprise, week());
    g.group_size = 28;
    let mut small = Slot::new(
        10,
        GeoPoint::new(43.6, 1.44),
        Kind::ClasseEntreprise,
        week(),
        3,
    );
    small.group_size = Some(GroupSize { min: 8, max: 15 });
    let mut big = Slot::new(
        11,
        GeoPoint::new(43.65, 1.44),
        Kind::ClasseEntreprise,
        week(),
        1,
    );
    big.group_size = Some(GroupSize { min: 20, max: 30 });
    let out = run(
        vec![g.clone()],
        vec![small.clone(), big],
        &MatchConfig::default(),
    );
    assert_eq!(out.assignments.len(), 1);
    assert_eq!(out.assignments[0].slot, 11);
    let out = run(vec![g], vec![small], &MatchConfig::default());
    assert_eq!(out.unmatched[0].reason, UnmatchedReason::NoEligibleOffer);
}

#[test]
fn prepa_metiers_weeks_must_fit_inside_the_offer() {
    let mut u = Unit::new(
        1,
        GeoPoint::new(47.2, -1.55),
        Kind::PrepaMetiers,
        WeekSpan::new(3, 5),
    );
    u.tier = Tier::Rep;
    let short = Slot::new(
        10,
        GeoPoint::new(47.2, -1.55),
        Kind::PrepaMetiers,
        WeekSpan::new(3, 4),
        1,
    );
    let long = Slot::new(
        11,
        GeoPoint::new(47.25, -1.55),
        Kind::PrepaMetiers,
        WeekSpan::new(2, 6),
        1,
    );
    let out = run(vec![u], vec![short, long], &MatchConfig::default());
    assert_eq!(out.assignments[0].slot, 11);
}

#[test]
fn remote_mentoring_ignores_distance_when_both_accept() {
    let mut mentee = Unit::new(1, GeoPoint::new(-21.1, 55.5), Kind::Mentoring, week());
    mentee.remote_ok = true;
    mentee.interests = "M".parse().unwrap();
    let mut paris = Slot::new(10, GeoPoint::new(48.85, 2.35), Kind::Mentoring, week(), 3);
    paris.remote_ok = true;
    paris.sectors = "M".parse().unwrap();
    let local = Slot::new(11, GeoPoint::new(-21.1, 55.6), Kind::Mentoring, week(), 1);
    let out = run(vec![mentee], vec![paris, local], &MatchConfig::default());
    let a = &out.assignments[0];
    assert!(a.remote && a.interest_match);
    assert_eq!(a.slot, 10); // remote pair costs 0 less the bonus: cheaper than 10 km away
    // The pair keeps its real distance; the run's distance figures count it as 0 km.
    assert!(a.distance_km > 9_000.0);
    assert_eq!(out.metrics.distance_max_km, 0.0);
}

#[test]
fn distance_figures_count_a_remote_pair_as_zero() {
    let mut remote = Unit::new(1, GeoPoint::new(-21.1, 55.5), Kind::Mentoring, week());
    remote.remote_ok = true;
    let mut paris = Slot::new(10, GeoPoint::new(48.85, 2.35), Kind::Mentoring, week(), 1);
    paris.remote_ok = true;
    let near = Unit::new(2, GeoPoint::new(45.75, 4.85), Kind::Mentoring, week());
    let lyon = Slot::new(11, GeoPoint::new(45.76, 4.85), Kind::Mentoring, week(), 1);
    let out = run(
        vec![remote, near],
        vec![paris, lyon],
        &MatchConfig::default(),
    );
    assert_eq!(out.assignments.len(), 2);
    let in_person = out.assignments.iter().find(|a| !a.remote).unwrap();
    let m = &out.metrics;
    assert_eq!(m.distance_max_km, in_person.distance_km);
    assert!((m.distance_mean_km - in_person.distance_km / 2.0).abs() < 1e-9);
}

#[test]
fn bad_input_is_refused_with_the_offending_id() {
    let mut u = pupil(4, 48.0, 2.0, Tier::Rep);
    u.point.lat = f64::NAN;
    let err = solve(
        &Problem {
            units: vec![u],
            slots: vec![],
        },
        &MatchConfig::default(),
    );
    assert_eq!(err.unwrap_err(), MatchError::InvalidUnitPoint(4));
    let two = vec![offer(3, 48.0, 2.0, 1), offer(3, 48.1, 2.0, 1)];
    let err = solve(
        &Problem {
            units: vec![],
            slots: two,
        },
        &MatchConfig::default(),
    );
    assert_eq!(err.unwrap_err(), MatchError::DuplicateSlot(3));
}
