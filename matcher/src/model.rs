//! The matching problem as the crate sees it: units to place and slots that take them.

use crate::geo_point::GeoPoint;

/// Priority tier of a unit, strongest first (BRIEF §1).
///
/// `Rural` and `Qpv` rank equal: they are solved together, after `Rep`, before `Standard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// Pupil of a REP+ collège.
    RepPlus,
    /// Pupil of a REP collège.
    Rep,
    /// Pupil living (or schooled) in an FRR / FRR+ commune.
    Rural,
    /// Pupil declared living in a QPV.
    Qpv,
    /// Everyone else.
    Standard,
}

impl Tier {
    /// Every tier, strongest first.
    pub const ALL: [Tier; 5] = [
        Tier::RepPlus,
        Tier::Rep,
        Tier::Rural,
        Tier::Qpv,
        Tier::Standard,
    ];

    /// Solving rank: 0 is served first; `Rural` and `Qpv` share rank 2.
    pub fn rank(self) -> u8 {
        match self {
            Tier::RepPlus => 0,
            Tier::Rep => 1,
            Tier::Rural | Tier::Qpv => 2,
            Tier::Standard => 3,
        }
    }

    /// Number of distinct ranks.
    pub const RANKS: usize = 4;

    /// Whether this tier is a priority tier (may take seats reserved for priority).
    pub fn is_priority(self) -> bool {
        self != Tier::Standard
    }

    /// Snake-case name, as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::RepPlus => "rep_plus",
            Tier::Rep => "rep",
            Tier::Rural => "rural",
            Tier::Qpv => "qpv",
            Tier::Standard => "standard",
        }
    }
}

/// What is being placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// One-week observation stage of 3ème; one pupil per seat, one week.
    Stage3e,
    /// Prépa-métiers stage of 1–4 consecutive weeks; only `PrepaMetiers` track pupils.
    PrepaMetiers,
    /// A group hosted together for a day or a week; a seat holds one whole group.
    ClasseEntreprise,
    /// Mentoring: units are mentees, slots are mentors (capacity 1–3); weeks are ignored.
    Mentoring,
}

impl Kind {
    /// Whether units and slots of this kind are tied to a single ISO week.
    pub fn single_week(self) -> bool {
        matches!(self, Kind::Stage3e | Kind::ClasseEntreprise)
    }
}

/// Pupil track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Track {
    /// Voie générale.
    Generale,
    /// 3ème prépa-métiers.
    PrepaMetiers,
    /// SEGPA.
    Segpa,
    /// ULIS.
    Ulis,
}

/// A set of tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tracks(u8);

impl Tracks {
    /// Every track.
    pub const ALL: Tracks = Tracks(0b1111);
    /// No track.
    pub const NONE: Tracks = Tracks(0);

    /// The set with one more track.
    pub fn with(self, track: Track) -> Self {
        Tracks(self.0 | 1 << track as u8)
    }

    /// Whether `track` is in the set.
    pub fn contains(self, track: Track) -> bool {
        self.0 & (1 << track as u8) != 0
    }
}

impl FromIterator<Track> for Tracks {
    fn from_iter<I: IntoIterator<Item = Track>>(iter: I) -> Self {
        iter.into_iter().fold(Tracks::NONE, Tracks::with)
    }
}

/// A set of ROME "grand domaine" sectors, letters `A` to `N`.
///
/// ```
/// use matcher::Sectors;
/// let s: Sectors = "AHM".parse().unwrap();
/// assert!(s.contains('H') && !s.contains('B'));
/// assert!(s.intersects("BM".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Sectors(u16);

impl Sectors {
    /// No sector.
    pub const NONE: Sectors = Sectors(0);

    /// The set with sector `letter` (`A`–`N`) added; other letters are ignored.
    pub fn with(self, letter: char) -> Self {
        match Self::bit(letter) {
            Some(b) => Sectors(self.0 | b),
            None => self,
        }
    }

    /// Whether sector `letter` is in the set.
    pub fn contains(self, letter: char) -> bool {
        Self::bit(letter).is_some_and(|b| self.0 & b != 0)
    }

    /// Whether the two sets share a sector.
    pub fn intersects(self, other: Sectors) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The raw bits (bit 0 = `A`).
    pub fn bits(self) -> u16 {
        self.0
    }

    /// A set from raw bits (bit 0 = `A`); bits past `N` are dropped.
    pub fn from_bits(bits: u16) -> Self {
        Sectors(bits & 0x3fff)
    }

    fn bit(letter: char) -> Option<u16> {
        let l = letter.to_ascii_uppercase();
        ('A'..='N')
            .contains(&l)
            .then(|| 1 << (l as u16 - 'A' as u16))
    }
}

/// A sector letter outside `A`–`N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sector {0:?} is not a ROME grand domaine letter (A-N)")]
pub struct BadSector(pub char);

impl std::str::FromStr for Sectors {
    type Err = BadSector;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.chars().try_fold(Sectors::NONE, |acc, c| {
            if Sectors::bit(c).is_some() {
                Ok(acc.with(c))
            } else {
                Err(BadSector(c))
            }
        })
    }
}

/// An inclusive span of week indexes (the caller's numbering, e.g. [`IsoWeek::index`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeekSpan {
    /// First week.
    pub first: u32,
    /// Last week (inclusive, `>= first`).
    pub last: u32,
}

impl WeekSpan {
    /// A span of one week.
    pub const fn single(week: u32) -> Self {
        Self {
            first: week,
            last: week,
        }
    }

    /// A span `first..=last`.
    pub const fn new(first: u32, last: u32) -> Self {
        Self { first, last }
    }

    /// Whether `inner` lies entirely within `self`.
    pub fn contains(self, inner: WeekSpan) -> bool {
        self.first <= inner.first && inner.last <= self.last
    }
}

/// An ISO 8601 week (`2027-W03`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IsoWeek {
    /// ISO week-numbering year.
    pub year: i32,
    /// Week number, 1–53.
    pub week: u8,
}

impl IsoWeek {
    /// A dense, ordered index (`year * 53 + week`) for [`WeekSpan`]. Consecutive ISO weeks
    /// across a year end are not consecutive indexes; spans that cross a year end should use
    /// the caller's own day-based numbering.
    pub fn index(self) -> u32 {
        (self.year.max(0) as u32) * 53 + self.week as u32
    }
}

/// Inclusive range of group sizes a `classe_entreprise` slot accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupSize {
    /// Smallest group accepted.
    pub min: u16,
    /// Largest group accepted.
    pub max: u16,
}

/// Something to place: a pupil, a `classe_entreprise` group of pupils, or a mentee.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// Caller's id (unique among units).
    pub id: u64,
    /// Where distance is measured from (home, else school).
    pub point: GeoPoint,
    /// Priority tier.
    pub tier: Tier,
    /// Lives (or is schooled) in an FRR commune: gets the rural radius.
    pub rural: bool,
    /// What is being placed.
    pub kind: Kind,
    /// Week, or weeks for prépa-métiers (all must lie within the slot's weeks).
    pub weeks: WeekSpan,
    /// Pupil track.
    pub track: Track,
    /// Sectors of interest (mentoring: needs), for the interest bonus.
    pub interests: Sectors,
    /// Needs an accessible place.
    pub needs_accessibility: bool,
    /// Number of pupils in the unit (1 except for `classe_entreprise` groups).
    pub group_size: u16,
    /// Accepts remote mentoring.
    pub remote_ok: bool,
    /// Radius asked by the request, in km (widens the default, capped by the config).
    pub radius_km: Option<f64>,
}

impl Unit {
    /// A standard-tier, general-track single pupil with no interests; set the other fields
    /// directly.
    pub fn new(id: u64, point: GeoPoint, kind: Kind, weeks: WeekSpan) -> Self {
        Self {
            id,
            point,
            tier: Tier::Standard,
            rural: false,
            kind,
            weeks,
            track: if kind == Kind::PrepaMetiers {
                Track::PrepaMetiers
            } else {
                Track::Generale
            },
            interests: Sectors::NONE,
            needs_accessibility: false,
            group_size: 1,
            remote_ok: false,
            radius_km: None,
        }
    }
}

/// Something that takes units: an offer-week (or an offer's span for prépa-métiers), or a
/// mentor.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// Caller's id (unique among slots).
    pub id: u64,
    /// Where the placement happens.
    pub point: GeoPoint,
    /// Kind of placement.
    pub kind: Kind,
    /// Weeks covered (one week for `stage_3e` and `classe_entreprise`).
    pub weeks: WeekSpan,
    /// Capacity: pupils, groups (`classe_entreprise`) or mentees.
    pub seats: u32,
    /// Tracks accepted.
    pub tracks: Tracks,
    /// Seats only for priority (non-standard) units.
    pub reserved_for_priority: bool,
    /// Accessible to people with reduced mobility.
    pub accessible: bool,
    /// Sector(s) of the offer or the mentor.
    pub sectors: Sectors,
    /// Group sizes accepted (`classe_entreprise` only; `None` accepts any size).
    pub group_size: Option<GroupSize>,
    /// Mentor accepts remote mentoring.
    pub remote_ok: bool,
    /// Mentor's own distance limit in km, if any.
    pub max_distance_km: Option<f64>,
}

impl Slot {
    /// An open slot for every track, not reserved, not accessible, no sector; set the other
    /// fields directly.
    pub fn new(id: u64, point: GeoPoint, kind: Kind, weeks: WeekSpan, seats: u32) -> Self {
        Self {
            id,
            point,
            kind,
            weeks,
            seats,
            tracks: Tracks::ALL,
            reserved_for_priority: false,
            accessible: false,
            sectors: Sectors::NONE,
            group_size: None,
            remote_ok: false,
            max_distance_km: None,
        }
    }
}

/// A matching problem: units and slots of any kinds and weeks; the engine splits it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problem {
    /// Units to place.
    pub units: Vec<Unit>,
    /// Slots available.
    pub slots: Vec<Slot>,
}
