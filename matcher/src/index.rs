//! A spatial index whose nearest-neighbour order is great-circle order.

use rstar::{AABB, PointDistance, RTree, RTreeObject};

use crate::geo_point::{GeoPoint, search_radius_2};

/// One indexed point: the caller's key, its position and its unit-sphere vector.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry<K> {
    xyz: [f64; 3],
    point: GeoPoint,
    key: K,
}

impl<K> RTreeObject for Entry<K> {
    type Envelope = AABB<[f64; 3]>;

    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl<K> PointDistance for Entry<K> {
    fn distance_2(&self, point: &[f64; 3]) -> f64 {
        let d = [
            self.xyz[0] - point[0],
            self.xyz[1] - point[1],
            self.xyz[2] - point[2],
        ];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    }
}

/// Points keyed by the caller's ids, searched by great-circle distance.
///
/// Points live in an R-tree over their 3D unit-sphere vectors, where straight-line distance
/// grows with great-circle distance: the index needs no special case for the antimeridian
/// (Wallis-et-Futuna, New Caledonia, French Polynesia) or the poles. Every distance it
/// returns is the haversine distance in km, and results are ordered by that distance, then
/// by key, so two equal inputs always give the same answer.
///
/// ```
/// use matcher::{GeoPoint, SpatialIndex};
/// let mut index = SpatialIndex::bulk_load(vec![
///     (1u32, GeoPoint::new(48.8566, 2.3522)),  // Paris
///     (2, GeoPoint::new(48.8049, 2.1204)),     // Versailles
///     (3, GeoPoint::new(45.7640, 4.8357)),     // Lyon
/// ]);
/// let near_paris = index.within_km(GeoPoint::new(48.85, 2.35), 25.0);
/// assert_eq!(near_paris.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![1, 2]);
/// index.remove(2, GeoPoint::new(48.8049, 2.1204));
/// assert_eq!(index.nearest(GeoPoint::new(48.85, 2.35), 2)[1].0, 3);
/// ```
#[derive(Debug, Clone)]
pub struct SpatialIndex<K> {
    tree: RTree<Entry<K>>,
}

impl<K: Copy + Ord> Default for SpatialIndex<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Copy + Ord> SpatialIndex<K> {
    /// An empty index.
    pub fn new() -> Self {
        Self { tree: RTree::new() }
    }

    /// Builds the index in one pass (much faster than repeated inserts).
    pub fn bulk_load(points: Vec<(K, GeoPoint)>) -> Self {
        let entries = points
            .into_iter()
            .map(|(key, point)| Entry {
                xyz: point.unit_vector(),
                point,
                key,
            })
            .collect();
        Self {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether the index holds no point.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Adds a point without rebuilding the tree. A key may be present at several points.
    pub fn insert(&mut self, key: K, point: GeoPoint) {
        self.tree.insert(Entry {
            xyz: point.unit_vector(),
            point,
            key,
        });
    }

    /// Removes the entry `key` at `point`; returns whether it was there.
    pub fn remove(&mut self, key: K, point: GeoPoint) -> bool
    where
        K: PartialEq,
    {
        self.tree
            .remove(&Entry {
                xyz: point.unit_vector(),
                point,
                key,
            })
            .is_some()
    }

    /// Every entry within `radius_km` (great-circle, inclusive) of `point`, with its
    /// distance in km, sorted by distance then key.
    pub fn within_km(&self, point: GeoPoint, radius_km: f64) -> Vec<(K, f64)> {
        if radius_km.is_nan() || radius_km < 0.0 {
            return Vec::new();
        }
        let mut found: Vec<(K, f64)> = self
            .tree
            .locate_within_distance(point.unit_vector(), search_radius_2(radius_km))
            .map(|e| (e.key, point.distance_km(e.point)))
            .filter(|(_, d)| *d <= radius_km)
            .collect();
        sort_by_distance(&mut found);
        found
    }

    /// The `k` entries nearest to `point`, with their distances in km, sorted by distance
    /// then key (among equidistant entries the smallest keys are kept).
    pub fn nearest(&self, point: GeoPoint, k: usize) -> Vec<(K, f64)> {
        if k == 0 {
            return Vec::new();
        }
        let xyz = point.unit_vector();
        let mut found = Vec::with_capacity(k + 4);
        let mut cut: Option<f64> = None;
        for (e, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&xyz) {
            if let Some(c) = cut
                && d2 > c
            {
                break;
            }
            found.push((e.key, point.distance_km(e.point)));
            if found.len() == k && cut.is_none() {
                // Keep collecting entries whose chord ties (to rounding) with the k-th, so the
                // key tie-break is applied over all of them.
                cut = Some(d2 * (1.0 + 1e-9) + 1e-24);
            }
        }
        sort_by_distance(&mut found);
        found.truncate(k);
        found
    }

    /// All entries in increasing distance from `point`, lazily, with distances in km.
    ///
    /// The order is the unit-sphere chord order, which is great-circle order; entries at
    /// exactly equal distance come in an unspecified order.
    pub fn iter_by_distance(&self, point: GeoPoint) -> impl Iterator<Item = (K, f64)> + '_ {
        let xyz = point.unit_vector();
        self.tree
            .nearest_neighbor_iter(&xyz)
            .map(move |e| (e.key, point.distance_km(e.point)))
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (K, GeoPoint)> + '_ {
        self.tree.iter().map(|e| (e.key, e.point))
    }

    /// Calls `visit` for every entry within `radius_km` of `point`, in no particular order,
    /// with its haversine distance in km; cheaper than [`within_km`](Self::within_km) when
    /// the caller filters or stops early (return `false` to stop).
    pub fn for_each_within_km(
        &self,
        point: GeoPoint,
        radius_km: f64,
        mut visit: impl FnMut(K, GeoPoint, f64) -> bool,
    ) {
        if radius_km.is_nan() || radius_km < 0.0 {
            return;
        }
        for e in self
            .tree
            .locate_within_distance(point.unit_vector(), search_radius_2(radius_km))
        {
            let d = point.distance_km(e.point);
            if d <= radius_km && !visit(e.key, e.point, d) {
                return;
            }
        }
    }

    /// Entries in increasing chord distance with their points and haversine distance in km,
    /// for callers that filter as they go.
    pub(crate) fn iter_points_by_distance(
        &self,
        point: GeoPoint,
    ) -> impl Iterator<Item = (K, GeoPoint, f64)> + '_ {
        let xyz = point.unit_vector();
        self.tree
            .nearest_neighbor_iter(&xyz)
            .map(move |e| (e.key, e.point, point.distance_km(e.point)))
    }
}

fn sort_by_distance<K: Ord>(found: &mut [(K, f64)]) {
    found.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
}
