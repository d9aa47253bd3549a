//! Points on the WGS84 sphere and the conversions the index relies on.

use geo::{Distance, Haversine};

/// Mean earth radius used for every distance, in kilometres (geo's `Haversine`, GRS80 R₁).
pub const EARTH_RADIUS_KM: f64 = 6_371.008_8;

/// A position in degrees on the WGS84 sphere.
///
/// Longitudes may be given in any range (`-180..180`, `0..360`); distances do not care.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Latitude in degrees, north positive.
    pub lat: f64,
    /// Longitude in degrees, east positive.
    pub lon: f64,
}

impl GeoPoint {
    /// A point from latitude and longitude in degrees.
    pub const fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Whether both coordinates are finite and the latitude is within ±90°.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite() && self.lon.is_finite() && self.lat.abs() <= 90.0
    }

    /// Great-circle distance in kilometres (haversine formula on the mean earth radius).
    ///
    /// ```
    /// use matcher::GeoPoint;
    /// let paris = GeoPoint::new(48.8566, 2.3522);
    /// let lyon = GeoPoint::new(45.7640, 4.8357);
    /// assert!((paris.distance_km(lyon) - 391.5).abs() < 1.0);
    /// ```
    pub fn distance_km(&self, other: GeoPoint) -> f64 {
        Haversine.distance(
            geo::Point::new(self.lon, self.lat),
            geo::Point::new(other.lon, other.lat),
        ) / 1000.0
    }

    /// The point on the unit sphere, as `[x, y, z]`.
    ///
    /// Straight-line (chord) distance between these vectors is a strictly increasing
    /// function of the great-circle distance, so nearest-neighbour order in this space is
    /// great-circle order everywhere, across the antimeridian and near the poles.
    pub fn unit_vector(&self) -> [f64; 3] {
        let (lat, lon) = (self.lat.to_radians(), self.lon.to_radians());
        let (slat, clat) = lat.sin_cos();
        let (slon, clon) = lon.sin_cos();
        [clat * clon, clat * slon, slat]
    }
}

/// Chord length on the unit sphere for a great-circle distance in km: `2 sin(d / 2R)`.
///
/// Distances beyond half the circumference map to the diameter (2), which holds everything.
pub fn chord_for_km(distance_km: f64) -> f64 {
    let half_angle = distance_km.max(0.0) / (2.0 * EARTH_RADIUS_KM);
    if half_angle >= std::f64::consts::FRAC_PI_2 {
        2.0
    } else {
        2.0 * half_angle.sin()
    }
}

/// Great-circle distance in km for a chord length on the unit sphere (inverse of
/// [`chord_for_km`]).
pub fn km_for_chord(chord: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * (chord.clamp(0.0, 2.0) / 2.0).asin()
}

/// Squared search radius in unit-sphere space for a great-circle radius, widened by a few
/// ulps so that floating rounding never drops a point that haversine puts inside.
pub(crate) fn search_radius_2(distance_km: f64) -> f64 {
    let chord = chord_for_km(distance_km) * (1.0 + 1e-9) + 1e-12;
    chord * chord
}

/// Position of `p` on a Z-order curve over latitude and longitude (2^20 steps each, about
/// 20 m): points close on the curve are close on the ground, most of the time.
pub(crate) fn curve_key(p: GeoPoint) -> u64 {
    let scale =
        |x: f64, span: f64| (((x + span) / (2.0 * span)).clamp(0.0, 1.0) * 1048575.0) as u64;
    let spread = |mut v: u64| {
        v &= 0xf_ffff;
        v = (v | (v << 16)) & 0x0000_ffff_0000_ffff;
        v = (v | (v << 8)) & 0x00ff_00ff_00ff_00ff;
        v = (v | (v << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    };
    spread(scale(p.lat, 90.0)) | (spread(scale(p.lon, 180.0)) << 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chord_round_trips_distance() {
        for d in [0.0, 0.001, 1.0, 10.0, 60.0, 1000.0, 19_000.0] {
            assert!((km_for_chord(chord_for_km(d)) - d).abs() < 1e-6 * d.max(1.0));
        }
    }

    #[test]
    fn chord_matches_haversine_for_real_pairs() {
        let noumea = GeoPoint::new(-22.2758, 166.458);
        let wallis = GeoPoint::new(-13.2825, -176.1745);
        let a = noumea.unit_vector();
        let b = wallis.unit_vector();
        let chord = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
        assert!((km_for_chord(chord) - noumea.distance_km(wallis)).abs() < 1e-6);
    }
}
