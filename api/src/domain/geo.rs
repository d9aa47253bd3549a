use serde::{Deserialize, Serialize};

/// A WGS84 position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

/// Bounding boxes (south, north, west, east) of metropolitan France, Corsica
/// and the overseas départements and collectivities.
const FRANCE_BOXES: [(f64, f64, f64, f64); 12] = [
    (41.2, 51.2, -5.5, 9.8),        // metropolitan France and Corsica
    (15.8, 16.6, -61.9, -60.9),     // Guadeloupe
    (17.8, 18.2, -63.2, -62.7),     // Saint-Martin, Saint-Barthélemy
    (14.3, 14.95, -61.3, -60.75),   // Martinique
    (2.1, 5.8, -54.7, -51.5),       // Guyane
    (-21.45, -20.8, 55.15, 55.9),   // La Réunion
    (-13.1, -12.6, 44.9, 45.35),    // Mayotte
    (46.7, 47.2, -56.5, -56.1),     // Saint-Pierre-et-Miquelon
    (-23.0, -19.5, 163.5, 168.2),   // Nouvelle-Calédonie
    (-28.0, -7.8, -154.8, -134.4),  // Polynésie française
    (-14.4, -13.1, -178.3, -176.0), // Wallis-et-Futuna
    (-50.0, -37.0, 37.0, 78.0),     // TAAF (Kerguelen, Crozet, Amsterdam)
];

/// Whether a position lies in France or one of its overseas territories.
pub fn inside_france(lat: f64, lon: f64) -> bool {
    lat.is_finite()
        && lon.is_finite()
        && FRANCE_BOXES
            .iter()
            .any(|(s, n, w, e)| (*s..=*n).contains(&lat) && (*w..=*e).contains(&lon))
}

/// Mean earth radius in km (IUGG), the one geo's haversine uses.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle (haversine) distance in km.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_metropole_and_overseas_rejects_elsewhere() {
        assert!(inside_france(48.8566, 2.3522));
        assert!(inside_france(-20.88, 55.45)); // Saint-Denis, La Réunion
        assert!(inside_france(-12.78, 45.23)); // Mamoudzou
        assert!(!inside_france(51.5, -0.12)); // London
        assert!(!inside_france(0.0, 0.0));
        assert!(!inside_france(f64::NAN, 2.0));
    }
}
