//! `bench search`: offers around a point, in-process index vs PostGIS.

use std::time::{Duration, Instant};

use anyhow::Context;
use matcher::SpatialIndex;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

use super::SearchArgs;
use super::instance::points_by_population;

const DATABASE: &str = "tremplin_bench_search";

/// Runs `bench search` and prints p50 / p99 per query for each engine.
pub async fn search(args: &SearchArgs) -> anyhow::Result<()> {
    let offers = points_by_population(&args.data_dir, args.offers, args.seed)?;
    let queries = points_by_population(&args.data_dir, args.queries, args.seed ^ 0x5eed)?;
    let t = Instant::now();
    let index = SpatialIndex::bulk_load(
        offers
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u32, *p))
            .collect(),
    );
    println!(
        "{} offers indexed in process in {:.0} ms",
        offers.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut found = 0usize;
    let mut times = Vec::with_capacity(queries.len());
    for q in &queries {
        let t = Instant::now();
        let hits = if args.limit == 0 {
            index.within_km(*q, args.radius_km).len()
        } else {
            // A page: the index yields in distance order, so stop after `limit` hits.
            index
                .iter_by_distance(*q)
                .take_while(|(_, d)| *d <= args.radius_km)
                .take(args.limit)
                .count()
        };
        times.push(t.elapsed());
        found += hits;
    }
    let local = summary(&mut times);
    println!(
        "in-process index: {} queries within {} km (limit {}), {:.1} results on average · p50 {} · p99 {}",
        queries.len(),
        args.radius_km,
        args.limit,
        found as f64 / queries.len().max(1) as f64,
        us(local.0),
        us(local.1)
    );
    let Some(url) = &args.postgis_url else {
        println!("(no --postgis-url: PostGIS comparison skipped)");
        return Ok(());
    };
    let remote = postgis(
        url,
        &offers,
        &queries[..queries.len().min(2_000)],
        args.radius_km,
        args.limit,
    )
    .await?;
    println!(
        "PostGIS ST_DWithin + ORDER BY ST_Distance (sphere, GiST on geography), per query round trip: p50 {} · p99 {}",
        us(remote.0),
        us(remote.1)
    );
    println!(
        "speed-up of the in-process index: p50 ×{:.0} · p99 ×{:.0}",
        remote.0.as_secs_f64() / local.0.as_secs_f64().max(1e-9),
        remote.1.as_secs_f64() / local.1.as_secs_f64().max(1e-9)
    );
    Ok(())
}

fn summary(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    if times.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// Loads the offers into a fresh database of our own and times the queries.
async fn postgis(
    url: &str,
    offers: &[matcher::GeoPoint],
    queries: &[matcher::GeoPoint],
    radius_km: f64,
    limit: usize,
) -> anyhow::Result<(Duration, Duration)> {
    let admin = Database::connect(url)
        .await
        .context("connecting to --postgis-url")?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {DATABASE}"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {DATABASE}"))
        .await?;
    let base = url.split('?').next().unwrap_or(url);
    let bench_url = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => format!("{}/{DATABASE}", &base[..i]),
        _ => format!("{base}/{DATABASE}"),
    };
    let db = Database::connect(&bench_url)
        .await
        .with_context(|| format!("connecting to {DATABASE}"))?;
    db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS postgis")
        .await
        .context("PostGIS is not available on this server")?;
    db.execute_unprepared(
        "CREATE TABLE bench_offers (id integer PRIMARY KEY, geog geography(Point, 4326) NOT NULL)",
    )
    .await?;
    let t = Instant::now();
    for (c, chunk) in offers.chunks(5_000).enumerate() {
        let values: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "({}, ST_SetSRID(ST_MakePoint({:.7}, {:.7}), 4326)::geography)",
                    c * 5_000 + i,
                    p.lon,
                    p.lat
                )
            })
            .collect();
        db.execute_unprepared(&format!(
            "INSERT INTO bench_offers (id, geog) VALUES {}",
            values.join(",")
        ))
        .await?;
    }
    db.execute_unprepared("CREATE INDEX bench_offers_geog ON bench_offers USING GIST (geog)")
        .await?;
    db.execute_unprepared("ANALYZE bench_offers").await?;
    println!(
        "{} offers loaded into PostGIS and indexed in {:.1} s",
        offers.len(),
        t.elapsed().as_secs_f64()
    );
    let mut sql = "SELECT id, ST_Distance(geog, q.p, false) AS d FROM bench_offers, \
               (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS p) AS q \
               WHERE ST_DWithin(geog, q.p, $3, false) ORDER BY d, id"
        .to_owned();
    if limit > 0 {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    let mut times = Vec::with_capacity(queries.len());
    for (n, q) in queries.iter().enumerate() {
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            &sql,
            [q.lon.into(), q.lat.into(), (radius_km * 1000.0).into()],
        );
        let t = Instant::now();
        let rows = db.query_all_raw(stmt).await?;
        let elapsed = t.elapsed();
        if n >= 20 {
            times.push(elapsed); // the first queries warm the cache and the prepared plan
        }
        std::hint::black_box(rows.len());
    }
    Ok(summary(&mut times))
}
