//! The demo's map, as plain SVG text: one panel per département with its
//! pupils (at home, or at their collège), offers, and placements drawn as
//! lines, all coloured by priority tier.
use super::scenario::{Departement, Scenario};
use entity::{commune, offer, organisation, placement, pupil};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use std::fmt::Write as _;
use uuid::Uuid;

const PANEL: f64 = 600.0;
const MARGIN: f64 = 30.0;
const TITLE: f64 = 40.0;
const LEGEND: f64 = 100.0;

const TIERS: [(&str, &str, &str); 5] = [
    ("rep_plus", "REP+", "#d7191c"),
    ("rep", "REP", "#f28e2b"),
    ("rural", "rural (FRR)", "#1a9641"),
    ("qpv", "QPV", "#7b3294"),
    ("standard", "standard", "#2c7bb6"),
];

fn colour(tier: &str) -> &'static str {
    TIERS
        .iter()
        .find(|t| t.0 == tier)
        .map_or("#555555", |t| t.2)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

struct Point {
    lat: f64,
    lon: f64,
}

/// What one panel shows, read back from the database.
struct Layer {
    /// Position, tier, placed.
    pupils: Vec<(Point, String, bool)>,
    /// Position, seats, whether it hosts a class.
    offers: Vec<(Point, i32, bool)>,
    /// From, to, tier, status.
    lines: Vec<(Point, Point, String, String)>,
}

pub async fn draw(db: &DatabaseConnection, scenario: &Scenario) -> anyhow::Result<String> {
    let mut layers = Vec::new();
    for d in &scenario.departements {
        layers.push(layer(db, d).await?);
    }
    let width = PANEL * layers.len() as f64;
    let height = TITLE + PANEL + LEGEND;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    for (i, (d, layer)) in scenario.departements.iter().zip(&layers).enumerate() {
        panel(&mut svg, i as f64 * PANEL, d, layer);
    }
    legend(&mut svg, TITLE + PANEL);
    svg.push_str("</svg>\n");
    Ok(svg)
}

async fn layer(db: &DatabaseConnection, d: &Departement) -> anyhow::Result<Layer> {
    let uais: Vec<String> = d.schools.iter().map(|s| s.uai.clone()).collect();
    let sirets: Vec<String> = d.companies.iter().map(|c| c.siret.clone()).collect();
    let schools = organisation::Entity::find()
        .filter(organisation::Column::Uai.is_in(uais))
        .all(db)
        .await?;
    let school_at: HashMap<Uuid, (f64, f64)> = schools
        .iter()
        .filter_map(|o| {
            let s = d.schools.iter().find(|s| Some(&s.uai) == o.uai.as_ref())?;
            Some((o.id, (s.lat, s.lon)))
        })
        .collect();
    let companies: Vec<Uuid> = organisation::Entity::find()
        .filter(organisation::Column::Siret.is_in(sirets))
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let pupils = pupil::Entity::find()
        .filter(pupil::Column::OrganisationId.is_in(school_at.keys().copied()))
        .order_by_asc(pupil::Column::Id)
        .all(db)
        .await?;
    let homes: Vec<String> = pupils
        .iter()
        .filter_map(|p| p.home_commune_insee.clone())
        .collect();
    let communes: HashMap<String, (f64, f64)> = commune::Entity::find()
        .filter(commune::Column::Insee.is_in(homes))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.insee, (c.lat, c.lon)))
        .collect();
    let offers = offer::Entity::find()
        .filter(offer::Column::OrganisationId.is_in(companies))
        .order_by_asc(offer::Column::Id)
        .all(db)
        .await?;
    let offer_at: HashMap<Uuid, (f64, f64)> =
        offers.iter().map(|o| (o.id, (o.lat, o.lon))).collect();
    let seats: HashMap<Uuid, i32> = entity::offer_week::Entity::find()
        .filter(entity::offer_week::Column::OfferId.is_in(offer_at.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.offer_id, w.seats))
        .collect();
    let placements = placement::Entity::find()
        .filter(placement::Column::SchoolId.is_in(school_at.keys().copied()))
        .filter(placement::Column::Status.is_in(["proposed", "accepted", "confirmed"]))
        .order_by_asc(placement::Column::Id)
        .all(db)
        .await?;

    // Pupils sharing a home commune or a collège are spread on a small
    // spiral around it, so a crowd reads as a crowd.
    let mut seen: HashMap<(u64, u64), usize> = HashMap::new();
    let mut pupil_at: HashMap<Uuid, (f64, f64)> = HashMap::new();
    let mut drawn_pupils = Vec::new();
    let placed: HashMap<Uuid, ()> = placements
        .iter()
        .filter_map(|p| p.pupil_id.map(|id| (id, ())))
        .collect();
    for p in &pupils {
        let base = p
            .home_commune_insee
            .as_ref()
            .and_then(|c| communes.get(c))
            .or_else(|| school_at.get(&p.organisation_id))
            .copied();
        let Some((lat, lon)) = base else { continue };
        let k = seen.entry((lat.to_bits(), lon.to_bits())).or_insert(0);
        *k += 1;
        let angle = *k as f64 * 2.399_963;
        let r_km = 0.12 * (*k as f64).sqrt();
        let at = (
            lat + r_km * angle.sin() / 111.2,
            lon + r_km * angle.cos() / (111.2 * lat.to_radians().cos()),
        );
        pupil_at.insert(p.id, at);
        drawn_pupils.push((
            Point {
                lat: at.0,
                lon: at.1,
            },
            p.priority.clone(),
            placed.contains_key(&p.id),
        ));
    }
    let mut lines = Vec::new();
    for p in &placements {
        let from = p
            .pupil_id
            .and_then(|id| pupil_at.get(&id))
            .or_else(|| school_at.get(&p.school_id));
        if let (Some(from), Some(to)) = (from, offer_at.get(&p.offer_id)) {
            lines.push((
                Point {
                    lat: from.0,
                    lon: from.1,
                },
                Point {
                    lat: to.0,
                    lon: to.1,
                },
                p.priority.clone(),
                p.status.clone(),
            ));
        }
    }
    Ok(Layer {
        pupils: drawn_pupils,
        offers: offers
            .iter()
            .map(|o| {
                (
                    Point {
                        lat: o.lat,
                        lon: o.lon,
                    },
                    seats.get(&o.id).copied().unwrap_or(1),
                    o.kind == "classe_entreprise",
                )
            })
            .collect(),
        lines,
    })
}

/// An equirectangular projection fitted to the panel.
struct Projection {
    lat_max: f64,
    lon_min: f64,
    cos: f64,
    scale: f64,
    x0: f64,
    y0: f64,
}

impl Projection {
    fn fit<'a>(points: impl Iterator<Item = &'a Point>, x0: f64, y0: f64) -> Self {
        let (mut lat_min, mut lat_max, mut lon_min, mut lon_max) = (90.0, -90.0, 180.0, -180.0);
        for p in points {
            lat_min = f64::min(lat_min, p.lat);
            lat_max = f64::max(lat_max, p.lat);
            lon_min = f64::min(lon_min, p.lon);
            lon_max = f64::max(lon_max, p.lon);
        }
        if lat_min > lat_max {
            (lat_min, lat_max, lon_min, lon_max) = (0.0, 1.0, 0.0, 1.0);
        }
        let cos = ((lat_min + lat_max) / 2.0).to_radians().cos();
        let span = f64::max((lon_max - lon_min) * cos, lat_max - lat_min).max(1e-6);
        Self {
            lat_max,
            lon_min,
            cos,
            scale: (PANEL - 2.0 * MARGIN) / span,
            x0: x0 + MARGIN,
            y0: y0 + MARGIN,
        }
    }

    fn xy(&self, p: &Point) -> (f64, f64) {
        (
            self.x0 + (p.lon - self.lon_min) * self.cos * self.scale,
            self.y0 + (self.lat_max - p.lat) * self.scale,
        )
    }

    fn px_per_km(&self) -> f64 {
        self.scale / 111.2
    }
}

fn panel(svg: &mut String, x0: f64, d: &Departement, layer: &Layer) {
    let points = layer
        .pupils
        .iter()
        .map(|p| &p.0)
        .chain(layer.offers.iter().map(|o| &o.0));
    let proj = Projection::fit(points, x0, TITLE);
    let placed = layer.pupils.iter().filter(|p| p.2).count();
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="26" font-size="16" font-weight="bold">{} ({}) — {} pupils, {} offers, {} placements</text>"#,
        x0 + MARGIN,
        escape(d.name),
        d.code,
        layer.pupils.len(),
        layer.offers.len(),
        placed
    );
    let _ = writeln!(
        svg,
        r##"<rect x="{:.1}" y="{TITLE}" width="{:.1}" height="{PANEL}" fill="#f7f7f2" stroke="#cccccc"/>"##,
        x0 + 4.0,
        PANEL - 8.0
    );
    let _ = writeln!(svg, r#"<g stroke-linecap="round">"#);
    for (from, to, tier, status) in &layer.lines {
        let ((x1, y1), (x2, y2)) = (proj.xy(from), proj.xy(to));
        let style = match status.as_str() {
            "confirmed" => r#"stroke-width="1.4" stroke-opacity="0.9""#,
            "accepted" => r#"stroke-width="1" stroke-opacity="0.7""#,
            _ => r#"stroke-width="0.8" stroke-opacity="0.5" stroke-dasharray="3 2""#,
        };
        let _ = writeln!(
            svg,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" {style}/>"#,
            colour(tier)
        );
    }
    let _ = writeln!(svg, "</g>");
    for (at, tier, placed) in &layer.pupils {
        let (x, y) = proj.xy(at);
        let c = colour(tier);
        let fill = if *placed {
            format!(r#"fill="{c}" fill-opacity="0.8""#)
        } else {
            r#"fill="none""#.to_owned()
        };
        let _ = writeln!(
            svg,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="2" {fill} stroke="{c}" stroke-width="0.6"/>"#
        );
    }
    for (at, seats, group) in &layer.offers {
        let (x, y) = proj.xy(at);
        let s = 3.0 + f64::from(*seats).sqrt() * 1.5;
        if *group {
            let _ = writeln!(
                svg,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" transform="rotate(45 {x:.1} {y:.1})" fill="#ffd92f" stroke="#000000" stroke-width="0.8"/>"##,
                x - s,
                y - s,
                2.0 * s,
                2.0 * s
            );
        } else {
            let _ = writeln!(
                svg,
                r##"<rect x="{:.1}" y="{:.1}" width="{s:.1}" height="{s:.1}" fill="none" stroke="#222222" stroke-width="0.9"/>"##,
                x - s / 2.0,
                y - s / 2.0
            );
        }
    }
    // A scale bar: 5 km in a dense département, 20 km in a rural one.
    let km = if proj.px_per_km() > 20.0 { 5.0 } else { 20.0 };
    let len = km * proj.px_per_km();
    let (bx, by) = (x0 + MARGIN, TITLE + PANEL - 12.0);
    let _ = writeln!(
        svg,
        r##"<line x1="{bx:.1}" y1="{by:.1}" x2="{:.1}" y2="{by:.1}" stroke="#000000" stroke-width="2"/><text x="{bx:.1}" y="{:.1}">{km} km</text>"##,
        bx + len,
        by - 5.0
    );
}

fn legend(svg: &mut String, y: f64) {
    let _ = writeln!(
        svg,
        r#"<g transform="translate({MARGIN} {:.1})">"#,
        y + 22.0
    );
    let _ = writeln!(svg, r#"<text x="0" y="0" font-weight="bold">Tier</text>"#);
    for (i, (_, label, c)) in TIERS.iter().enumerate() {
        let x = 50.0 + i as f64 * 110.0;
        let _ = writeln!(
            svg,
            r#"<circle cx="{x}" cy="-4" r="5" fill="{c}"/><text x="{:.1}" y="0">{}</text>"#,
            x + 9.0,
            escape(label)
        );
    }
    let items = [
        r##"<circle cx="4" cy="26" r="3" fill="#777777"/><text x="12" y="30">pupil with a placement</text>"##,
        r##"<circle cx="174" cy="26" r="3" fill="none" stroke="#777777"/><text x="182" y="30">pupil without</text>"##,
        r##"<rect x="300" y="21" width="9" height="9" fill="none" stroke="#222222"/><text x="314" y="30">stage offer (size: seats)</text>"##,
        r##"<rect x="490" y="21" width="9" height="9" transform="rotate(45 494.5 25.5)" fill="#ffd92f" stroke="#000000"/><text x="506" y="30">classe entreprise</text>"##,
        r##"<line x1="640" y1="26" x2="670" y2="26" stroke="#777777" stroke-width="1.4"/><text x="676" y="30">confirmed</text>"##,
        r##"<line x1="750" y1="26" x2="780" y2="26" stroke="#777777" stroke-width="1"/><text x="786" y="30">accepted</text>"##,
        r##"<line x1="856" y1="26" x2="886" y2="26" stroke="#777777" stroke-dasharray="3 2"/><text x="892" y="30">proposed</text>"##,
    ];
    for item in items {
        let _ = writeln!(svg, "{item}");
    }
    let _ = writeln!(
        svg,
        r##"<text x="0" y="58" fill="#555555">Pupils at their home commune (or their collège), spread slightly so crowds show. Lines join a pupil to the offer proposed.</text>"##
    );
    svg.push_str("</g>\n");
}
