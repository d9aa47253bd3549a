//! The offers a run's units can reach. A run used to read every published
//! seat of its kind and week in France: a département campaign then solved
//! against, and reported the fill rate of, seats hundreds of kilometres
//! away. Now the database returns the offers in a box around the units
//! widened by the widest radius, and each offer is kept only when some unit's
//! own radius reaches it.
use entity::offer;
use matcher::{EARTH_RADIUS_KM, GeoPoint, MatchConfig, SpatialIndex, Unit};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// Degrees of latitude (and of longitude at the equator) per kilometre.
const DEG_PER_KM: f64 = 180.0 / (std::f64::consts::PI * EARTH_RADIUS_KM);

/// A latitude/longitude box; `lon: None` means every longitude (near a pole
/// or across the antimeridian, where a longitude range does not hold it).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundingBox {
    pub lat: (f64, f64),
    pub lon: Option<(f64, f64)>,
}

impl BoundingBox {
    /// The smallest box holding every point within `radius_km` of one of
    /// `points`, or `None` without points.
    pub fn around(points: impl IntoIterator<Item = GeoPoint>, radius_km: f64) -> Option<Self> {
        let mut lat = (f64::INFINITY, f64::NEG_INFINITY);
        let mut lon = (f64::INFINITY, f64::NEG_INFINITY);
        for p in points {
            lat = (lat.0.min(p.lat), lat.1.max(p.lat));
            lon = (lon.0.min(p.lon), lon.1.max(p.lon));
        }
        if lat.0 > lat.1 {
            return None;
        }
        // 1% more, so that rounding never loses an offer on the edge: the
        // exact distance check follows anyway.
        let margin = radius_km.max(0.0) * 1.01 * DEG_PER_KM;
        let lat = ((lat.0 - margin).max(-90.0), (lat.1 + margin).min(90.0));
        // A degree of longitude shrinks with the cosine of the latitude,
        // least at the box's edge farthest from the equator.
        let cos = lat.0.abs().max(lat.1.abs()).to_radians().cos();
        let lon_margin = margin / cos;
        let lon = (lon.0 - lon_margin, lon.1 + lon_margin);
        let lon = (cos > 0.01 && lon.0 >= -180.0 && lon.1 <= 180.0).then_some(lon);
        Some(Self { lat, lon })
    }
}

/// The published offers of `kind` that at least one unit reaches within its
/// own radius, by id.
pub async fn reachable_offers(
    db: &impl ConnectionTrait,
    kind: &str,
    units: &[Unit],
    config: &MatchConfig,
) -> Result<Vec<offer::Model>, DbErr> {
    let widest = units
        .iter()
        .map(|u| config.radius_km(u))
        .fold(0.0, f64::max);
    let Some(bbox) = BoundingBox::around(units.iter().map(|u| u.point), widest) else {
        return Ok(Vec::new());
    };
    let mut query = offer::Entity::find()
        .filter(offer::Column::Kind.eq(kind))
        .filter(offer::Column::Status.eq("published"))
        .filter(offer::Column::Lat.between(bbox.lat.0, bbox.lat.1))
        .order_by_asc(offer::Column::Id);
    if let Some((west, east)) = bbox.lon {
        query = query.filter(offer::Column::Lon.between(west, east));
    }
    let offers = query.all(db).await?;
    let index = SpatialIndex::bulk_load(
        units
            .iter()
            .enumerate()
            .map(|(i, u)| (i, u.point))
            .collect(),
    );
    // Stops at the first unit that reaches the offer: in a national run
    // thousands of units are within the widest radius of an offer in a
    // city, and listing them all for each of 33,000 offers took 76 s of a
    // debug build's run (this whole read now 4-9 s).
    Ok(offers
        .into_iter()
        .filter(|o| {
            let mut reached = false;
            index.for_each_within_km(GeoPoint::new(o.lat, o.lon), widest, |i, _, km| {
                reached = km <= config.radius_km(&units[i]);
                !reached
            });
            reached
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_holds_every_point_within_the_radius() {
        let gueret = GeoPoint::new(46.17, 1.87);
        let bbox = BoundingBox::around([gueret], 30.0).unwrap();
        // Points 30 km due north, south, east and west are inside.
        for (dlat, dlon) in [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)] {
            let p = GeoPoint::new(
                gueret.lat + dlat * 30.0 * DEG_PER_KM,
                gueret.lon + dlon * 30.0 * DEG_PER_KM / gueret.lat.to_radians().cos(),
            );
            assert!((gueret.distance_km(p) - 30.0).abs() < 0.2);
            let (west, east) = bbox.lon.unwrap();
            assert!(bbox.lat.0 <= p.lat && p.lat <= bbox.lat.1, "{p:?}");
            assert!(west <= p.lon && p.lon <= east, "{p:?}");
        }
        // Paris, 300 km away, is not.
        assert!(bbox.lat.1 < 48.85);
        assert_eq!(BoundingBox::around([], 10.0), None);
    }

    #[test]
    fn across_the_antimeridian_or_near_a_pole_every_longitude_counts() {
        let futuna = GeoPoint::new(-14.28, -178.15);
        assert_eq!(BoundingBox::around([futuna], 200.0).unwrap().lon, None);
        assert!(BoundingBox::around([futuna], 50.0).unwrap().lon.is_some());
        let pole = GeoPoint::new(89.99, 10.0);
        assert_eq!(BoundingBox::around([pole], 10.0).unwrap().lon, None);
    }
}
