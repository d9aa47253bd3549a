//! Puts the scenario into the database the way its people would: an admin
//! creates the organisations and invites their users, companies post their
//! offers, collèges upload their pupils' spreadsheet.
use super::client::Api;
use super::scenario::{Departement, Offer, Scenario, School};
use super::{WEEK, bar};
use crate::auth::hash_password;
use crate::store::users;
use anyhow::{Context, bail};
use futures::{StreamExt, TryStreamExt};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

const PASSWORD: &str = "mot de passe de démo 2027";
const ADMIN_EMAIL: &str = "admin@demo.tremplin.test";
/// Users signing in at once: argon2 keeps both cores busy.
const CONCURRENT_SIGN_INS: usize = 4;

pub struct Seeded {
    pub admin: String,
    pub departements: Vec<SeededDepartement>,
}

pub struct SeededDepartement {
    pub code: &'static str,
    pub accept_within_km: f64,
    pub schools: Vec<Member>,
    pub companies: Vec<Member>,
    /// Per school, its classes: name, and whether it goes as a group.
    pub classes: Vec<Vec<(String, bool)>>,
}

pub struct Member {
    pub token: String,
}

pub async fn seed(
    api: &Api,
    db: &DatabaseConnection,
    scenario: &Scenario,
) -> anyhow::Result<Seeded> {
    // The first admin comes from the command line (`tremplin admin
    // create-user` does exactly this), then signs in like anyone.
    users::insert(
        db,
        users::NewUser {
            organisation_id: None,
            email: ADMIN_EMAIL.into(),
            role: "admin".into(),
            password_hash: Some(hash_password(PASSWORD)?),
            invitation_hash: None,
            invitation_expires_at: None,
        },
    )
    .await
    .context("creating the demo admin")?;
    let admin = api.sign_in(ADMIN_EMAIL, PASSWORD).await?;

    let organisations: usize = scenario
        .departements
        .iter()
        .map(|d| d.schools.len() + d.companies.len())
        .sum();
    let progress = bar(organisations as u64, "Organisations and their users");
    let mut departements = Vec::new();
    for d in &scenario.departements {
        departements.push(organisations_of(api, &admin, d, &progress).await?);
    }
    progress.finish();

    let offers: usize = scenario
        .departements
        .iter()
        .flat_map(|d| &d.companies)
        .map(|c| c.offers.len())
        .sum();
    let progress = bar(offers as u64, "Offers posted by companies");
    for (d, seeded) in scenario.departements.iter().zip(&departements) {
        for (company, member) in d.companies.iter().zip(&seeded.companies) {
            for offer in &company.offers {
                api.post("/v1/offers", Some(&member.token), &offer_body(offer))
                    .await?;
                progress.inc(1);
            }
        }
    }
    progress.finish();

    let schools: usize = scenario.departements.iter().map(|d| d.schools.len()).sum();
    let progress = bar(schools as u64, "Pupil spreadsheets uploaded");
    for (d, seeded) in scenario.departements.iter().zip(&departements) {
        for (school, member) in d.schools.iter().zip(&seeded.schools) {
            let report = api
                .post_csv("/v1/pupils/import", &member.token, pupils_csv(school))
                .await?;
            if report["rejected"].as_u64() != Some(0) {
                bail!(
                    "the pupils of {} were not all imported: {report}",
                    school.uai
                );
            }
            progress.inc(1);
        }
    }
    progress.finish();
    Ok(Seeded {
        admin,
        departements,
    })
}

async fn organisations_of(
    api: &Api,
    admin: &str,
    d: &Departement,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<SeededDepartement> {
    // Created one after the other so identifiers keep the scenario's order.
    let mut schools = Vec::new();
    for s in &d.schools {
        let body = json!({"kind": "school", "name": s.name, "uai": s.uai});
        schools.push(id_of(
            &api.post("/v1/organisations", Some(admin), &body).await?,
        )?);
    }
    let mut companies = Vec::new();
    for c in &d.companies {
        let body = json!({"kind": "company", "name": c.name, "siret": c.siret});
        companies.push(id_of(
            &api.post("/v1/organisations", Some(admin), &body).await?,
        )?);
    }
    let members = |ids: Vec<String>, role: &'static str| {
        futures::stream::iter(ids.into_iter().enumerate().map(move |(i, id)| async move {
            let email = format!("{role}-{}-{}@demo.tremplin.test", d.code, i + 1);
            let member = member(api, admin, id, role, &email).await;
            progress.inc(1);
            member
        }))
        .buffered(CONCURRENT_SIGN_INS)
        .try_collect::<Vec<Member>>()
    };
    let schools = members(schools, "school").await?;
    let companies = members(companies, "company").await?;
    Ok(SeededDepartement {
        code: d.code,
        accept_within_km: d.accept_within_km,
        schools,
        companies,
        classes: d
            .schools
            .iter()
            .map(|s| {
                s.classes
                    .iter()
                    .map(|c| (c.name.clone(), c.group))
                    .collect()
            })
            .collect(),
    })
}

fn id_of(body: &Value) -> anyhow::Result<String> {
    body["id"]
        .as_str()
        .map(str::to_owned)
        .context("the API answer has no id")
}

/// Invites the user, who sets a password with the invitation and signs in.
pub(super) async fn member(
    api: &Api,
    admin: &str,
    organisation_id: String,
    role: &str,
    email: &str,
) -> anyhow::Result<Member> {
    let invited = api
        .post(
            &format!("/v1/organisations/{organisation_id}/users"),
            Some(admin),
            &json!({"email": email, "role": role}),
        )
        .await?;
    let token = &invited["invitation"]["token"];
    api.post(
        "/v1/auth/accept-invitation",
        None,
        &json!({"token": token, "password": PASSWORD}),
    )
    .await?;
    Ok(Member {
        token: api.sign_in(email, PASSWORD).await?,
    })
}

fn offer_body(offer: &Offer) -> Value {
    let mut body = json!({
        "kind": offer.kind,
        "title": offer.title,
        "description": "Accueil d'élèves de 3e : découverte des métiers, des gestes et des équipes.",
        "sector": offer.sector.to_string(),
        "address": offer.address,
        "commune_insee": offer.commune_insee,
        "location": {"lat": offer.lat, "lon": offer.lon},
        "weeks": [{"week": offer.week, "seats": offer.seats}],
        "reserved_for_priority": offer.reserved_for_priority,
        "accessible": offer.accessible,
        "tutor": {"name": "Claire Dumont", "email": "tutrice@demo.tremplin.test"},
        "status": "published",
    });
    if offer.generale_only {
        body["tracks"] = json!(["generale"]);
    }
    if let Some((min, max)) = offer.group_size {
        body["group_size"] = json!({"min": min, "max": max});
    }
    debug_assert_eq!(offer.week, WEEK);
    body
}

/// The spreadsheet a collège exports, one row per pupil.
fn pupils_csv(school: &School) -> String {
    let mut csv = String::from(
        "external_id,last_name,first_name,birth_date,class_name,track,home_commune_insee,interests,needs_accessibility,qpv\n",
    );
    for class in &school.classes {
        for p in &class.pupils {
            let interests: Vec<String> = p.interests.iter().map(char::to_string).collect();
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{}\n",
                p.external_id,
                p.last_name,
                p.first_name,
                p.birth_date,
                class.name,
                p.track,
                p.home_commune.as_deref().unwrap_or(""),
                interests.join("|"),
                if p.needs_accessibility { "oui" } else { "non" },
                if p.qpv { "oui" } else { "non" },
            ));
        }
    }
    csv
}
