//! The committed `openapi.yaml` is the contract: these tests fail when the
//! code and the document drift apart, in either direction.
//!
//! - the document lists exactly the routes of `api::routes::table()`;
//! - the server serves the committed file byte for byte;
//! - every operation, called by every kind of caller, answers only statuses
//!   its operation documents, errors as `application/problem+json`;
//! - real bodies of the happy paths validate against the response schemas,
//!   and those schemas are strict enough that a renamed field or a value of
//!   another type fails.
use crate::db_test;
use crate::helpers::{
    Member, Response, TestApp, mentor_body, offer_body, reference_dir, siret, workspace_root,
};
use entity::college;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::Duration;
use uuid::Uuid;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// The password `TestApp::member` sets for the users it invites.
const MEMBER_PASSWORD: &str = "a long enough password";

fn spec_text() -> String {
    std::fs::read_to_string(workspace_root().join("openapi.yaml")).expect("openapi.yaml readable")
}

static SPEC: LazyLock<Value> =
    LazyLock::new(|| serde_yaml::from_str(&spec_text()).expect("openapi.yaml is valid YAML"));

/// `(METHOD, path template)` of every operation of the document.
fn documented_operations() -> BTreeSet<(String, String)> {
    let paths = SPEC["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

fn operation(method: &str, path: &str) -> &'static Value {
    SPEC["paths"][path]
        .get(method.to_lowercase())
        .unwrap_or_else(|| panic!("{method} {path} is not in openapi.yaml"))
}

fn resolve(value: &'static Value) -> &'static Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(
            SPEC.pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {reference}")),
        ),
        None => value,
    }
}

fn is_public(method: &str, path: &str) -> bool {
    let security = operation(method, path)
        .get("security")
        .unwrap_or(&SPEC["security"]);
    security.as_array().is_some_and(Vec::is_empty)
}

fn documented_statuses(method: &str, path: &str) -> BTreeSet<u16> {
    operation(method, path)["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .map(|k| k.parse().expect("explicit status codes only"))
        .collect()
}

fn has_body(method: &str, path: &str) -> bool {
    operation(method, path).get("requestBody").is_some()
}

fn documents_query(method: &str, path: &str, name: &str) -> bool {
    operation(method, path)["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(resolve)
        .any(|p| p["in"] == "query" && p["name"] == name)
}

/// A validator of `schema` in a root that holds the document's components,
/// so that `#/components/schemas/...` references resolve.
fn validator(schema: &Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": SPEC["components"],
        "allOf": [schema],
    });
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}\n{schema}"))
}

fn component(name: &str) -> jsonschema::Validator {
    validator(&json!({"$ref": format!("#/components/schemas/{name}")}))
}

fn errors_of(validator: &jsonschema::Validator, body: &Value) -> String {
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Checks one answer against the document: its status is documented for the
/// operation, its content type is one documented for that status (and errors
/// are problem+json), and its body validates against the schema. Returns the
/// validator used, if the answer has a JSON body.
#[track_caller]
fn check(method: &str, path: &str, response: &Response) -> Option<jsonschema::Validator> {
    let status = response.status.as_u16();
    let documented = documented_statuses(method, path);
    assert!(
        documented.contains(&status),
        "{method} {path} answered {status}, not documented (documented: {documented:?}): {}",
        response.text
    );
    let spec_response = resolve(&operation(method, path)["responses"][status.to_string()]);
    let content_type = response
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if status >= 400 {
        assert_eq!(
            content_type.as_deref(),
            Some("application/problem+json"),
            "{method} {path} answered {status} without problem+json"
        );
    }
    let Some(content) = spec_response.get("content").and_then(Value::as_object) else {
        assert!(
            response.text.is_empty(),
            "{method} {path} {status}: documented without a body, got {}",
            response.text
        );
        return None;
    };
    let content_type =
        content_type.unwrap_or_else(|| panic!("{method} {path} {status}: no content type"));
    let media = content.get(&content_type).unwrap_or_else(|| {
        panic!(
            "{method} {path} {status}: content type {content_type} is not documented ({:?})",
            content.keys().collect::<Vec<_>>()
        )
    });
    for (name, header) in spec_response
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if resolve(header)["required"] == true {
            assert!(
                response.headers.contains_key(name.as_str()),
                "{method} {path} {status}: header {name} is documented as required"
            );
        }
    }
    if !content_type.ends_with("json") {
        return None;
    }
    let validator = validator(&media["schema"]);
    assert!(
        validator.is_valid(&response.body),
        "{method} {path} {status}: the body does not match the documented schema: {}\n{}",
        errors_of(&validator, &response.body),
        response.text
    );
    Some(validator)
}

/// Checks the answer, then proves the schema is strict on this very body:
/// renaming any field, or giving any value another type, must fail it.
#[track_caller]
pub(crate) fn check_strictly(method: &str, path: &str, response: &Response) {
    let validator = check(method, path, response)
        .unwrap_or_else(|| panic!("{method} {path}: expected a JSON body"));
    assert_strict(&validator, &response.body, &format!("{method} {path}"));
}

fn assert_strict(validator: &jsonschema::Validator, body: &Value, what: &str) {
    let mut pointers = Vec::new();
    collect_pointers(body, String::new(), &mut pointers);
    for pointer in pointers {
        let (parent, key) = pointer.rsplit_once('/').expect("a child pointer");
        if body.pointer(parent).is_some_and(Value::is_object) {
            let mut renamed = body.clone();
            let object = renamed
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .expect("object");
            let value = object.remove(key).expect("key");
            object.insert(format!("{key}_renamed"), value);
            assert!(
                !validator.is_valid(&renamed),
                "{what}: the schema still accepts the body with {pointer} renamed"
            );
        }
        let mut retyped = body.clone();
        let slot = retyped.pointer_mut(&pointer).expect("pointer");
        *slot = match slot {
            Value::String(_) => json!(12345),
            Value::Null => json!({"unexpected": true}),
            _ => json!("unexpected"),
        };
        assert!(
            !validator.is_valid(&retyped),
            "{what}: the schema still accepts the body with another type at {pointer}"
        );
    }
}

fn collect_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(pointer.clone());
                collect_pointers(child, pointer, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let pointer = format!("{at}/{i}");
                out.push(pointer.clone());
                collect_pointers(child, pointer, out);
            }
        }
        _ => {}
    }
}

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> Response {
    let mut request = app
        .client
        .request(method, format!("{}{}", app.address, path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some((content_type, body)) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Response {
        status,
        headers,
        body,
        text,
    }
}

/// Sends the sample body of an operation as the media type it documents.
async fn send(app: &TestApp, method: &str, path: &str, url: &str, token: Option<&str>) -> Response {
    let body = sample_body(method, path).map(|body| match body {
        Value::String(text) if !takes_json(method, path) => ("text/csv", text),
        json => ("application/json", json.to_string()),
    });
    raw(app, method_of(method), url, token, body).await
}

fn takes_json(method: &str, path: &str) -> bool {
    operation(method, path)["requestBody"]["content"]
        .get("application/json")
        .is_some()
}

fn method_of(method: &str) -> Method {
    Method::from_bytes(method.as_bytes()).expect("HTTP method")
}

/// Everything a test needs to call every operation as every kind of caller.
struct Callers {
    uai: String,
    /// `(name, token)`; `None` is the anonymous caller.
    tokens: Vec<(&'static str, Option<String>)>,
}

async fn callers(app: &TestApp) -> Callers {
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let coordinator = app.coordinator(&admin).await;
    let rep_plus = college::Entity::find()
        .filter(college::Column::EducationPrioritaire.eq("REP+"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("a REP+ collège");
    let school = app.school(&admin, &rep_plus.uai).await;
    let client = app
        .post(
            "/v1/api-clients",
            Some(&company.token),
            &json!({"name": "Plateforme"}),
        )
        .await
        .expect(201);
    let machine = app
        .post(
            "/v1/auth/token",
            None,
            &json!({"grant_type": "client_credentials", "client_id": client["client_id"],
                    "client_secret": client["client_secret"]}),
        )
        .await
        .expect(200)["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    Callers {
        uai: rep_plus.uai,
        tokens: vec![
            ("anonymous", None),
            ("admin", Some(admin)),
            ("company", Some(company.token)),
            ("api client", Some(machine)),
            ("coordinator", Some(coordinator.token)),
            ("school", Some(school.token)),
        ],
    }
}

/// A path of the template that routes to the operation: ids are unknown
/// UUIDs, reference codes real ones.
fn concrete(path: &str, uai: &str) -> String {
    let path = path
        .replace("{id}", &Uuid::new_v4().to_string())
        .replace("{remote_id}", "contract-test-1")
        .replace("{uai}", uai)
        .replace("{insee}", "93066");
    assert!(
        !path.contains('{'),
        "no sample value for a parameter of {path}"
    );
    match path.as_str() {
        "/v1/schools" => "/v1/schools?departement=023&limit=2".to_owned(),
        "/v1/email/unsubscribe" => "/v1/email/unsubscribe?token=not-a-token".to_owned(),
        "/v1/offers/search" => {
            "/v1/offers/search?lat=48.93&lon=2.36&radius_km=5&limit=2".to_owned()
        }
        "/v1/stats/placements" => "/v1/stats/placements?group_by=priority".to_owned(),
        "/v1/stats/mentoring" => "/v1/stats/mentoring?group_by=priority".to_owned(),
        _ => path,
    }
}

const PUPILS_CSV: &str = "nom;prénom;date_naissance;classe;parcours\n\
    Martin;Léa;2013-04-02;3e B;générale\n\
    Petit;Hugo;pas une date;3e B;générale\n";

const MENTEES_CSV: &str = "nom;prénom;annee_naissance;statut;code_commune\n\
    Diallo;Awa;2009;lyceen;23096\n\
    Moreau;Théo;pas une année;lyceen;23096\n";

fn mentee_body() -> Value {
    json!({
        "first_name": "Awa",
        "last_name": "Diallo",
        "birth_year": 2009,
        "situation": "lyceen",
        "commune_insee": "23096",
        "needs": ["orientation", "confiance"],
        "interests": ["N"],
        "remote_ok": true
    })
}

/// The week the matching tests offer seats in and ask for.
const WEEK: &str = "2027-W03";

fn campaign_body(kind: &str) -> Value {
    json!({"departement": "093", "kind": kind, "week": WEEK, "deadline": "2030-01-01T00:00:00Z"})
}

fn pupil_body() -> Value {
    json!({
        "first_name": "Inès",
        "last_name": "Benali",
        "birth_date": "2013-09-14",
        "class_name": "3e A",
        "track": "prepa_metiers",
        "home_commune_insee": "23096",
        "interests": ["N", "F"],
        "qpv": false
    })
}

/// A plausible body for each operation that takes one (a JSON string for a
/// text body).
fn sample_body(method: &str, path: &str) -> Option<Value> {
    if !has_body(method, path) {
        return None;
    }
    let email = format!("contract-{}@tremplin.test", Uuid::now_v7().simple());
    Some(match (method, path) {
        ("POST", "/v1/auth/token") => {
            json!({"grant_type": "password", "email": email, "password": "not the password"})
        }
        ("POST", "/v1/auth/refresh" | "/v1/auth/logout") => {
            json!({"refresh_token": "not-a-refresh-token"})
        }
        ("POST", "/v1/auth/accept-invitation") => {
            json!({"token": "not-an-invitation", "password": MEMBER_PASSWORD})
        }
        ("POST", "/v1/organisations") => {
            json!({"kind": "company", "name": "Entreprise contrat", "siret": siret()})
        }
        ("POST", "/v1/organisations/{id}/users") => json!({"email": email, "role": "company"}),
        ("POST", "/v1/api-clients") => json!({"name": "Plateforme contrat"}),
        ("POST", "/v1/offers") | ("PUT", "/v1/offers/external/{remote_id}") => offer_body(),
        ("PATCH", "/v1/offers/{id}") => json!({"title": "Nouveau titre"}),
        ("POST", "/v1/mentors") => mentor_body(),
        ("PATCH", "/v1/mentors/{id}") => json!({"capacity": 1}),
        ("POST", "/v1/pupils") => pupil_body(),
        ("PATCH", "/v1/pupils/{id}") => json!({"qpv": true}),
        ("POST", "/v1/pupils/import") => json!(PUPILS_CSV),
        ("POST", "/v1/mentees") => mentee_body(),
        ("PATCH", "/v1/mentees/{id}") => json!({"remote_ok": false}),
        ("POST", "/v1/mentees/import") => json!(MENTEES_CSV),
        ("POST", "/v1/mentoring/suggestions") => json!({"mentee_ids": [Uuid::new_v4()]}),
        ("POST", "/v1/mentoring/match-runs") => json!({"max_distance_km": 30}),
        ("POST", "/v1/pairings") => {
            json!({"mentee_id": Uuid::new_v4(), "mentor_id": Uuid::new_v4()})
        }
        ("PATCH", "/v1/pairings/{id}") => json!({"status": "proposed"}),
        ("POST", "/v1/pairings/{id}/meetings") => {
            json!({"date": "2026-01-15", "duration_minutes": 60, "mode": "in_person"})
        }
        ("POST", "/v1/match-requests") => {
            json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": [Uuid::new_v4()]})
        }
        ("POST", "/v1/campaigns") => campaign_body("stage_3e"),
        _ => panic!("add a sample body for {method} {path} to the contract test"),
    })
}

#[test]
fn the_document_lists_exactly_the_routes_of_the_code() {
    let code: BTreeSet<(String, String)> = api::routes::table().endpoints().into_iter().collect();
    let documented = documented_operations();
    let missing: Vec<_> = code.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&code).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "openapi.yaml and routes::table() differ\n  routes not documented: {missing:?}\n  documented routes that do not exist: {extra:?}"
    );
    assert_eq!(SPEC["openapi"], "3.1.0");
}

#[test]
fn only_ops_auth_and_reference_endpoints_are_public() {
    for (method, path) in documented_operations() {
        let should_be_public = path.starts_with("/health/")
            || path == "/metrics"
            || path == "/openapi.yaml"
            || [
                "/v1/auth/token",
                "/v1/auth/refresh",
                "/v1/auth/logout",
                "/v1/auth/accept-invitation",
            ]
            .contains(&path.as_str())
            || path == "/v1/email/unsubscribe"
            || path.starts_with("/v1/schools")
            || path.starts_with("/v1/communes/")
            || path == "/v1/sectors";
        assert_eq!(
            is_public(&method, &path),
            should_be_public,
            "{method} {path}: security"
        );
        let statuses = documented_statuses(&method, &path);
        assert_eq!(
            statuses.contains(&401),
            !should_be_public || path == "/v1/auth/token" || path == "/v1/auth/refresh",
            "{method} {path}: 401 documented exactly where a token (or credentials) is checked"
        );
    }
    let described = SPEC["info"]["description"].as_str().unwrap_or_default();
    assert!(described.contains("Sources : MENJ-DEPP, INSEE, IGN, ANCT"));
}

#[test]
fn every_reference_resolves_and_every_schema_compiles() {
    let mut pointers = Vec::new();
    collect_pointers(&SPEC, String::new(), &mut pointers);
    for pointer in pointers.iter().filter(|p| p.ends_with("/$ref")) {
        let reference = SPEC
            .pointer(pointer)
            .and_then(Value::as_str)
            .expect("a $ref is a string");
        assert!(
            SPEC.pointer(reference.trim_start_matches('#')).is_some(),
            "{pointer}: dangling {reference}"
        );
    }
    for name in SPEC["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        component(name);
    }
}

#[test]
fn the_request_schemas_accept_what_the_tests_send_and_nothing_renamed() {
    let cases = [
        ("OfferIn", offer_body()),
        ("MentorIn", mentor_body()),
        ("OfferPatch", json!({"title": "x", "location": null})),
        ("MentorPatch", json!({"capacity": 3})),
        (
            "OrganisationIn",
            json!({"kind": "school", "name": "Collège", "uai": "0010002X"}),
        ),
        ("UserIn", json!({"email": "a@b.fr", "role": "company"})),
        (
            "TokenRequest",
            json!({"grant_type": "password", "email": "a@b.fr", "password": "p"}),
        ),
        (
            "TokenRequest",
            json!({"grant_type": "client_credentials", "client_id": "tpl_1", "client_secret": "s"}),
        ),
        ("RefreshRequest", json!({"refresh_token": "t"})),
        (
            "AcceptInvitation",
            json!({"token": "t", "password": MEMBER_PASSWORD}),
        ),
        ("ApiClientIn", json!({"name": "n"})),
        ("PupilIn", pupil_body()),
        ("PupilPatch", json!({"qpv": true, "birth_date": null})),
        ("MenteeIn", mentee_body()),
        ("MenteePatch", json!({"email": "", "needs": null})),
        (
            "PairingIn",
            json!({"mentee_id": Uuid::new_v4(), "mentor_id": Uuid::new_v4(), "status": "proposed"}),
        ),
        (
            "PairingPatch",
            json!({"status": "ended", "end_reason": "completed", "end_date": "2026-06-30"}),
        ),
        (
            "MeetingIn",
            json!({"date": "2026-01-15", "duration_minutes": 60, "mode": "remote", "note": null}),
        ),
        (
            "MatchRequestIn",
            json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": [Uuid::new_v4()],
                    "radius_km": 20, "seed": 7, "campaign_id": Uuid::new_v4()}),
        ),
        (
            "MatchRequestIn",
            json!({"kind": "prepa_metiers", "week": WEEK, "week_end": "2027-W05",
                    "class_name": "3e PM", "pupil_ids": null}),
        ),
        (
            "MatchRequestIn",
            json!({"kind": "classe_entreprise", "week": WEEK, "class_name": "3F"}),
        ),
        ("CampaignIn", campaign_body("classe_entreprise")),
    ];
    for (name, body) in cases {
        let validator = component(name);
        assert!(
            validator.is_valid(&body),
            "{name}: {}",
            errors_of(&validator, &body)
        );
        assert_strict(&validator, &body, name);
    }
    let invalid = [
        (
            "TokenRequest",
            json!({"grant_type": "password", "email": "a@b.fr"}),
        ),
        (
            "TokenRequest",
            json!({"grant_type": "client_credentials", "client_id": "x"}),
        ),
        ("OfferIn", {
            let mut b = offer_body();
            b["weeks"][0]["week"] = json!("2027-03");
            b
        }),
        ("MentorIn", {
            let mut b = mentor_body();
            b["capacity"] = json!(4);
            b
        }),
        (
            "MatchRequestIn",
            json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": [Uuid::new_v4()], "class_name": "3A"}),
        ),
        ("MatchRequestIn", json!({"kind": "stage_3e", "week": WEEK})),
        (
            "MatchRequestIn",
            json!({"kind": "classe_entreprise", "week": WEEK, "pupil_ids": [Uuid::new_v4()]}),
        ),
        (
            "MatchRequestIn",
            json!({"kind": "stage_3e", "week": WEEK, "class_name": "3A", "radius_km": 61}),
        ),
        ("CampaignIn", campaign_body("prepa_metiers")),
        ("CampaignIn", {
            let mut b = campaign_body("stage_3e");
            b["deadline"] = json!("demain");
            b
        }),
    ];
    for (name, body) in invalid {
        assert!(!component(name).is_valid(&body), "{name} accepts {body}");
    }
}

db_test!(
    async fn the_server_serves_the_committed_document_byte_for_byte(app: TestApp) {
        let response = app.get("/openapi.yaml", None).await;
        check("GET", "/openapi.yaml", &response);
        assert!(
            response.text == spec_text(),
            "GET /openapi.yaml differs from the committed openapi.yaml (rebuild?)"
        );
    }
);

db_test!(
    async fn every_operation_answers_every_caller_with_a_documented_status(app: TestApp) {
        let callers = callers(&app).await;
        for (method, path) in documented_operations() {
            let public = is_public(&method, &path);
            for (who, token) in &callers.tokens {
                let url = concrete(&path, &callers.uai);
                let response = send(&app, &method, &path, &url, token.as_deref()).await;
                check(&method, &path, &response);
                if token.is_none() && !public {
                    assert_eq!(
                        response.status.as_u16(),
                        401,
                        "{method} {path} without a token: {}",
                        response.text
                    );
                }
                if public {
                    assert_ne!(response.status.as_u16(), 403, "{method} {path} as {who}");
                }
            }
        }
    }
);

db_test!(
    async fn malformed_and_unexpected_input_get_their_documented_errors(app: TestApp) {
        let callers = callers(&app).await;
        let company = callers.tokens[2].1.as_deref();
        // The meetings of a pairing are listed only for a pairing that exists.
        let coordinator = callers.tokens[4].1.as_deref();
        let mentee = app
            .post("/v1/mentees", coordinator, &mentee_body())
            .await
            .expect(201);
        let mentor = app
            .post("/v1/mentors", coordinator, &mentor_body())
            .await
            .expect(201);
        let pairing = app
            .post(
                "/v1/pairings",
                coordinator,
                &json!({"mentee_id": mentee["id"], "mentor_id": mentor["id"]}),
            )
            .await
            .expect(201);
        let pairing_id = pairing["id"].as_str().expect("id").to_owned();
        let detail = app
            .get(&format!("/v1/pairings/{pairing_id}"), coordinator)
            .await;
        check_strictly("GET", "/v1/pairings/{id}", &detail);
        let mentee_id = mentee["id"].as_str().expect("id").to_owned();
        let read = app
            .get(&format!("/v1/mentees/{mentee_id}"), coordinator)
            .await;
        check_strictly("GET", "/v1/mentees/{id}", &read);
        let listed = app.get("/v1/pairings", coordinator).await;
        check_strictly("GET", "/v1/pairings", &listed);
        let meetings = app
            .get(&format!("/v1/pairings/{pairing_id}/meetings"), coordinator)
            .await;
        check_strictly("GET", "/v1/pairings/{id}/meetings", &meetings);
        for (method, path) in documented_operations() {
            let url = if path == "/v1/pairings/{id}/meetings" {
                format!("/v1/pairings/{pairing_id}/meetings")
            } else {
                concrete(&path, &callers.uai)
            };
            if takes_json(&method, &path) {
                let bad = raw(
                    &app,
                    method_of(&method),
                    &url,
                    company,
                    Some(("application/json", "{\"not json".to_owned())),
                )
                .await;
                check(&method, &path, &bad);
                assert_eq!(bad.status.as_u16(), 400, "{method} {path}: {}", bad.text);
                let unknown = app
                    .request(
                        method_of(&method),
                        &url,
                        company,
                        Some(&json!({"surely_not_a_field": true})),
                    )
                    .await;
                check(&method, &path, &unknown);
                assert_eq!(
                    unknown.status.as_u16(),
                    422,
                    "{method} {path}: {}",
                    unknown.text
                );
            }
            if documents_query(&method, &path, "limit") {
                // As a caller the list serves, a bad limit is the only fault.
                let mut allowed = None;
                for (_, token) in &callers.tokens {
                    let plain = raw(&app, method_of(&method), &url, token.as_deref(), None).await;
                    if plain.status.as_u16() == 200 {
                        allowed = Some(token.clone());
                        break;
                    }
                }
                let token = allowed.unwrap_or_else(|| panic!("no caller may {method} {path}"));
                for (query, expected) in [("limit=0", 422), ("limit=many", 400)] {
                    let url = if url.contains("limit=2") {
                        url.replace("limit=2", query)
                    } else {
                        format!("{url}?{query}")
                    };
                    let answer = raw(&app, method_of(&method), &url, token.as_deref(), None).await;
                    check(&method, &path, &answer);
                    assert_eq!(
                        answer.status.as_u16(),
                        expected,
                        "{method} {url}: {}",
                        answer.text
                    );
                }
            }
        }
        // A 422 problem is strict too.
        let invalid = app.post("/v1/offers", company, &json!({})).await;
        check_strictly("POST", "/v1/offers", &invalid);
    }
);

db_test!(
    async fn other_methods_on_a_documented_path_answer_405_with_the_documented_allow(app: TestApp) {
        let mut by_path: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (method, path) in documented_operations() {
            by_path.entry(path).or_default().insert(method);
        }
        for (path, methods) in by_path {
            let url = concrete(&path, "0010002X");
            for other in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                if methods.contains(other) {
                    continue;
                }
                let response = raw(&app, method_of(other), &url, None, None).await;
                assert_eq!(
                    response.status.as_u16(),
                    405,
                    "{other} {path}: {}",
                    response.text
                );
                let allow: BTreeSet<String> = response
                    .headers
                    .get(reqwest::header::ALLOW)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .split(',')
                    .map(|m| m.trim().to_owned())
                    .collect();
                assert_eq!(allow, methods, "{other} {path}: Allow");
                assert!(
                    component("Problem").is_valid(&response.body),
                    "{}",
                    response.text
                );
            }
        }
    }
);

db_test!(
    async fn rate_limited_operations_are_exactly_those_documenting_429(app: TestApp) {
        let limited = TestApp::spawn_with(app.backend.clone(), |s| {
            s.auth.rate_limit_burst = 1;
            s.auth.rate_limit_period_ms = 600_000;
        })
        .await;
        let warm_up = limited
            .post(
                "/v1/auth/token",
                None,
                &sample_body("POST", "/v1/auth/token").expect("body"),
            )
            .await;
        assert_eq!(warm_up.status.as_u16(), 401, "{}", warm_up.text);
        for (method, path) in documented_operations() {
            let url = concrete(&path, "0010002X");
            let response = send(&limited, &method, &path, &url, None).await;
            check(&method, &path, &response);
            let documents_429 = documented_statuses(&method, &path).contains(&429);
            assert_eq!(
                response.status.as_u16() == 429,
                documents_429,
                "{method} {path} once the limit is reached: {}",
                response.text
            );
            if documents_429 {
                let retry_after: u64 = response.headers["retry-after"]
                    .to_str()
                    .expect("ascii")
                    .parse()
                    .expect("Retry-After in seconds");
                assert!(retry_after >= 1);
            }
        }
    }
);

async fn login(app: &TestApp, member: &Member) -> Response {
    app.login(&member.email, MEMBER_PASSWORD).await
}

db_test!(
    async fn auth_organisation_and_client_bodies_match_their_schemas(app: TestApp) {
        check_strictly("GET", "/health/live", &app.get("/health/live", None).await);
        check_strictly(
            "GET",
            "/health/ready",
            &app.get("/health/ready", None).await,
        );
        check("GET", "/metrics", &app.get("/metrics", None).await);

        let admin = app.admin().await;
        let created = app
            .post(
                "/v1/organisations",
                Some(&admin),
                &json!({"kind": "company", "name": "Logistique du Nord", "siret": siret()}),
            )
            .await;
        assert_eq!(created.status.as_u16(), 201, "{}", created.text);
        check_strictly("POST", "/v1/organisations", &created);
        let structure = app
            .post(
                "/v1/organisations",
                Some(&admin),
                &json!({"kind": "mentoring_structure", "name": "Association", "siret": siret()}),
            )
            .await;
        check_strictly("POST", "/v1/organisations", &structure);
        let id = created.body["id"].as_str().expect("id");
        let path = format!("/v1/organisations/{id}");
        check_strictly(
            "GET",
            "/v1/organisations/{id}",
            &app.get(&path, Some(&admin)).await,
        );
        let page = app.get("/v1/organisations?limit=1", Some(&admin)).await;
        assert!(page.body["next_cursor"].is_string(), "{}", page.text);
        check_strictly("GET", "/v1/organisations", &page);

        let email = format!("invite-{}@tremplin.test", Uuid::now_v7().simple());
        let invited = app
            .post(
                &format!("{path}/users"),
                Some(&admin),
                &json!({"email": email, "role": "company"}),
            )
            .await;
        assert_eq!(invited.status.as_u16(), 201, "{}", invited.text);
        check_strictly("POST", "/v1/organisations/{id}/users", &invited);
        let accepted = app
            .post(
                "/v1/auth/accept-invitation",
                None,
                &json!({"token": invited.body["invitation"]["token"], "password": MEMBER_PASSWORD}),
            )
            .await;
        check("POST", "/v1/auth/accept-invitation", &accepted);
        assert_eq!(accepted.status.as_u16(), 204);

        let member = app.company(&admin).await;
        let signed_in = login(&app, &member).await;
        assert!(
            signed_in.body["refresh_token"].is_string(),
            "{}",
            signed_in.text
        );
        check_strictly("POST", "/v1/auth/token", &signed_in);
        assert_eq!(signed_in.headers["cache-control"], "no-store");
        let refreshed = app
            .post(
                "/v1/auth/refresh",
                None,
                &json!({"refresh_token": signed_in.body["refresh_token"]}),
            )
            .await;
        check_strictly("POST", "/v1/auth/refresh", &refreshed);
        let reused = app
            .post(
                "/v1/auth/refresh",
                None,
                &json!({"refresh_token": signed_in.body["refresh_token"]}),
            )
            .await;
        check("POST", "/v1/auth/refresh", &reused);
        assert_eq!(reused.status.as_u16(), 401, "reuse is detected");
        let logout = app
            .post(
                "/v1/auth/logout",
                None,
                &json!({"refresh_token": refreshed.body["refresh_token"]}),
            )
            .await;
        check("POST", "/v1/auth/logout", &logout);
        assert_eq!(logout.status.as_u16(), 204);

        let client = app
            .post(
                "/v1/api-clients",
                Some(&member.token),
                &json!({"name": "Plateforme"}),
            )
            .await;
        assert_eq!(client.status.as_u16(), 201, "{}", client.text);
        check_strictly("POST", "/v1/api-clients", &client);
        let machine = app
            .post(
                "/v1/auth/token",
                None,
                &json!({"grant_type": "client_credentials", "client_id": client.body["client_id"],
                        "client_secret": client.body["client_secret"]}),
            )
            .await;
        assert!(
            machine.body.get("refresh_token").is_none(),
            "{}",
            machine.text
        );
        check_strictly("POST", "/v1/auth/token", &machine);
        let revoked_id = client.body["id"].as_str().expect("id");
        let revoke = app
            .delete(
                &format!("/v1/api-clients/{revoked_id}"),
                Some(&member.token),
            )
            .await;
        check("DELETE", "/v1/api-clients/{id}", &revoke);
        assert_eq!(revoke.status.as_u16(), 204);
        app.post(
            "/v1/api-clients",
            Some(&member.token),
            &json!({"name": "Autre"}),
        )
        .await
        .expect(201);
        let clients = app.get("/v1/api-clients", Some(&member.token)).await;
        assert!(
            clients.body["items"][0]["revoked_at"].is_string(),
            "{}",
            clients.text
        );
        check_strictly("GET", "/v1/api-clients", &clients);
    }
);

db_test!(
    async fn offer_and_mentor_bodies_match_their_schemas(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let token = Some(company.token.as_str());

        let created = app.post("/v1/offers", token, &offer_body()).await;
        assert_eq!(created.status.as_u16(), 201, "{}", created.text);
        check_strictly("POST", "/v1/offers", &created);
        let mut group = offer_body();
        group["kind"] = json!("classe_entreprise");
        group["group_size"] = json!({"min": 12, "max": 25});
        group["location"] = json!({"lat": 48.93, "lon": 2.36});
        group["status"] = json!("draft");
        group["tracks"] = json!(["generale", "segpa"]);
        let put = app
            .put("/v1/offers/external/op-42:a.b_c", token, &group)
            .await;
        assert_eq!(put.status.as_u16(), 201, "{}", put.text);
        check_strictly("PUT", "/v1/offers/external/{remote_id}", &put);
        let replaced = app
            .put("/v1/offers/external/op-42:a.b_c", token, &group)
            .await;
        assert_eq!(replaced.status.as_u16(), 200, "{}", replaced.text);
        check_strictly("PUT", "/v1/offers/external/{remote_id}", &replaced);

        let id = created.body["id"].as_str().expect("id");
        let path = format!("/v1/offers/{id}");
        check_strictly("GET", "/v1/offers/{id}", &app.get(&path, token).await);
        let patched = app
            .patch(
                &path,
                token,
                &json!({"commune_insee": "23096", "accessible": true}),
            )
            .await;
        assert_eq!(patched.status.as_u16(), 200, "{}", patched.text);
        check_strictly("PATCH", "/v1/offers/{id}", &patched);
        let page = app.get("/v1/offers?limit=1", token).await;
        assert!(page.body["next_cursor"].is_string(), "{}", page.text);
        check_strictly("GET", "/v1/offers", &page);
        for _ in 0..2 {
            app.post("/v1/offers", token, &offer_body())
                .await
                .expect(201);
        }
        let found = app
            .get(
                "/v1/offers/search?lat=48.93&lon=2.36&radius_km=20&week=2027-W03&limit=1",
                token,
            )
            .await;
        assert!(
            found.body["items"][0]["distance_km"].is_number(),
            "{}",
            found.text
        );
        assert!(found.body["next_cursor"].is_string(), "{}", found.text);
        check_strictly("GET", "/v1/offers/search", &found);
        let archived = app.delete(&path, token).await;
        check("DELETE", "/v1/offers/{id}", &archived);
        assert_eq!(archived.status.as_u16(), 204);
        let conflict = app.patch(&path, token, &json!({"title": "Encore"})).await;
        check("PATCH", "/v1/offers/{id}", &conflict);
        assert_eq!(conflict.status.as_u16(), 409);

        let coordinator = app.coordinator(&admin).await;
        for owner in [&company, &coordinator] {
            let token = Some(owner.token.as_str());
            let mentor = app.post("/v1/mentors", token, &mentor_body()).await;
            assert_eq!(mentor.status.as_u16(), 201, "{}", mentor.text);
            check_strictly("POST", "/v1/mentors", &mentor);
            let minimal = app
                .post(
                    "/v1/mentors",
                    token,
                    &json!({"display_name": "Ana", "email": "ana@example.fr", "commune_insee": "93066"}),
                )
                .await;
            assert!(minimal.body["available_from"].is_null(), "{}", minimal.text);
            check_strictly("POST", "/v1/mentors", &minimal);
            let id = mentor.body["id"].as_str().expect("id");
            let path = format!("/v1/mentors/{id}");
            check_strictly("GET", "/v1/mentors/{id}", &app.get(&path, token).await);
            let patched = app.patch(&path, token, &json!({"status": "paused"})).await;
            check_strictly("PATCH", "/v1/mentors/{id}", &patched);
            let page = app.get("/v1/mentors?limit=1", token).await;
            check_strictly("GET", "/v1/mentors", &page);
            let deleted = app.delete(&path, token).await;
            check("DELETE", "/v1/mentors/{id}", &deleted);
            assert_eq!(deleted.status.as_u16(), 204);
        }
    }
);

db_test!(
    async fn reference_bodies_match_their_schemas(app: TestApp) {
        let near = app
            .get("/v1/schools?near=48.9362,2.3574&radius_km=2&limit=3", None)
            .await;
        assert!(
            near.body["items"][0]["distance_km"].is_number(),
            "{}",
            near.text
        );
        check_strictly("GET", "/v1/schools", &near);
        let departement = app.get("/v1/schools?departement=023&limit=3", None).await;
        check_strictly("GET", "/v1/schools", &departement);
        let unknowns = college::Entity::find()
            .filter(college::Column::Lat.is_null())
            .filter(college::Column::EducationPrioritaire.is_null())
            .one(&app.db)
            .await
            .expect("query")
            .expect("a collège without position nor REP status");
        let rep_plus = college::Entity::find()
            .filter(college::Column::EducationPrioritaire.eq("REP+"))
            .one(&app.db)
            .await
            .expect("query")
            .expect("a REP+ collège");
        for uai in [unknowns.uai, rep_plus.uai] {
            let school = app.get(&format!("/v1/schools/{uai}"), None).await;
            assert_eq!(school.status.as_u16(), 200, "{}", school.text);
            check_strictly("GET", "/v1/schools/{uai}", &school);
        }
        for insee in ["93066", "23096", "75101"] {
            let commune = app.get(&format!("/v1/communes/{insee}"), None).await;
            assert_eq!(commune.status.as_u16(), 200, "{}", commune.text);
            check_strictly("GET", "/v1/communes/{insee}", &commune);
        }
        check_strictly("GET", "/v1/sectors", &app.get("/v1/sectors", None).await);
    }
);

db_test!(
    async fn pupil_and_email_bodies_match_their_schemas(app: TestApp) {
        let admin = app.admin().await;
        let rep_plus = college::Entity::find()
            .filter(college::Column::EducationPrioritaire.eq("REP+"))
            .one(&app.db)
            .await
            .expect("query")
            .expect("a REP+ collège");
        let school = app.school(&admin, &rep_plus.uai).await;
        let token = Some(school.token.as_str());

        let created = app.post("/v1/pupils", token, &pupil_body()).await;
        assert_eq!(created.status.as_u16(), 201, "{}", created.text);
        check_strictly("POST", "/v1/pupils", &created);
        let minimal = app
            .post(
                "/v1/pupils",
                token,
                &json!({"first_name": "Noé", "last_name": "Roux", "class_name": "3e C",
                        "external_id": "ENT-0042"}),
            )
            .await;
        assert!(minimal.body["birth_date"].is_null(), "{}", minimal.text);
        check_strictly("POST", "/v1/pupils", &minimal);
        let duplicate = app.post("/v1/pupils", token, &pupil_body()).await;
        check("POST", "/v1/pupils", &duplicate);
        assert_eq!(duplicate.status.as_u16(), 409, "{}", duplicate.text);

        let id = created.body["id"].as_str().expect("id");
        let path = format!("/v1/pupils/{id}");
        check_strictly("GET", "/v1/pupils/{id}", &app.get(&path, token).await);
        let patched = app.patch(&path, token, &json!({"qpv": true})).await;
        check_strictly("PATCH", "/v1/pupils/{id}", &patched);
        let page = app.get("/v1/pupils?limit=1", token).await;
        assert!(page.body["next_cursor"].is_string(), "{}", page.text);
        check_strictly("GET", "/v1/pupils", &page);

        for url in ["/v1/pupils/import?dry_run=true", "/v1/pupils/import"] {
            let report = raw(
                &app,
                Method::POST,
                url,
                token,
                Some(("text/csv", PUPILS_CSV.to_owned())),
            )
            .await;
            assert!(
                report.body["errors"][0]["row"].is_number(),
                "{}",
                report.text
            );
            check_strictly("POST", "/v1/pupils/import", &report);
        }
        let empty = raw(&app, Method::POST, "/v1/pupils/import", token, None).await;
        check("POST", "/v1/pupils/import", &empty);
        assert_eq!(empty.status.as_u16(), 422, "{}", empty.text);

        let erased = app.delete(&path, token).await;
        check("DELETE", "/v1/pupils/{id}", &erased);
        assert_eq!(erased.status.as_u16(), 204);
        let gone = app.get(&path, token).await;
        check("GET", "/v1/pupils/{id}", &gone);
        assert_eq!(gone.status.as_u16(), 404);

        // Every invitation above went through the outbox.
        let emails = app.get("/v1/admin/emails?limit=1", Some(&admin)).await;
        assert!(emails.body["items"][0]["id"].is_string(), "{}", emails.text);
        check_strictly("GET", "/v1/admin/emails", &emails);
        let email = emails.body["items"][0]["id"].as_str().expect("id");
        let retry = app
            .post(
                &format!("/v1/admin/emails/{email}/retry"),
                Some(&admin),
                &json!({}),
            )
            .await;
        check("POST", "/v1/admin/emails/{id}/retry", &retry);
        // The sender may have failed it meanwhile (no SMTP server in tests).
        assert!(
            [200, 409].contains(&retry.status.as_u16()),
            "{}",
            retry.text
        );
    }
);

/// A collège of the département with this priority status, and its
/// position, from the reference data.
fn college_in(ep: &str, departement: &str) -> (String, Value) {
    let data = std::fs::read_to_string(reference_dir().join("colleges_fr.csv"))
        .expect("colleges_fr.csv readable");
    data.lines()
        .map(|line| line.split(',').collect::<Vec<_>>())
        .find(|f| f.len() > 9 && f[5] == departement && f[9] == ep && !f[7].is_empty())
        .map(|f| {
            let position = json!({
                "lat": f[7].parse::<f64>().expect("latitude"),
                "lon": f[8].parse::<f64>().expect("longitude"),
            });
            (f[0].to_owned(), position)
        })
        .expect("a collège with this status")
}

/// Reads `path` until its `status` is final (a match request or a campaign).
async fn finished(app: &TestApp, token: Option<&str>, path: &str) -> Response {
    for _ in 0..600 {
        let response = app.get(path, token).await;
        assert_eq!(response.status.as_u16(), 200, "{path}: {}", response.text);
        if matches!(
            response.body["status"].as_str(),
            Some("done" | "failed" | "cancelled")
        ) {
            return response;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} did not finish");
}

db_test!(
    async fn matching_placement_and_stats_bodies_match_their_schemas(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let (uai, position) = college_in("REP+", "093");
        let school = app.school(&admin, &uai).await;
        let (admin, company, school) = (
            Some(admin.as_str()),
            Some(company.token.as_str()),
            Some(school.token.as_str()),
        );
        // Two seats at the collège, for pupils interested in its sector.
        let mut offer = offer_body();
        offer["weeks"] = json!([{"week": WEEK, "seats": 2}]);
        offer["location"] = position;
        let offer_id = app.post("/v1/offers", company, &offer).await.expect(201)["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let mut pupils = Vec::new();
        for (i, class) in ["3A", "3A", "3A", "3B", "3B", "3C"].iter().enumerate() {
            let pupil = json!({"first_name": format!("Élève{i}"), "last_name": "Contrat",
                               "birth_date": "2012-03-04", "class_name": class, "interests": ["N"]});
            let created = app.post("/v1/pupils", school, &pupil).await.expect(201);
            pupils.push(created["id"].as_str().expect("id").to_owned());
        }

        // A request by pupils: 202, then polled until the worker is done.
        let created = app
            .post(
                "/v1/match-requests",
                school,
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": pupils[..3],
                        "radius_km": 20, "seed": 7}),
            )
            .await;
        assert_eq!(created.status.as_u16(), 202, "{}", created.text);
        check_strictly("POST", "/v1/match-requests", &created);
        let id = created.body["id"].as_str().expect("id").to_owned();
        assert_eq!(
            created.headers["location"],
            format!("/v1/match-requests/{id}").as_str()
        );
        let done = finished(&app, school, &format!("/v1/match-requests/{id}")).await;
        assert_eq!(done.body["status"], "done", "{}", done.text);
        assert_eq!(done.body["proposals"].as_array().map(Vec::len), Some(2));
        assert_eq!(done.body["unmatched"][0]["reason"], "capacity_exhausted");
        assert_eq!(done.body["proposals"][0]["interest_match"], true);
        check_strictly("GET", "/v1/match-requests/{id}", &done);
        let placed_pupil = done.body["proposals"][0]["pupil_id"].clone();

        // A placement as each side sees it, through its state machine.
        let first = done.body["proposals"][0]["placement_id"]
            .as_str()
            .expect("id");
        let second = done.body["proposals"][1]["placement_id"]
            .as_str()
            .expect("id");
        let path = format!("/v1/placements/{first}");
        let as_school = app.get(&path, school).await;
        assert!(as_school.body["tier"].is_string(), "{}", as_school.text);
        check_strictly("GET", "/v1/placements/{id}", &as_school);
        let as_company = app.get(&path, company).await;
        assert!(
            as_company.body["pupil"]["first_name"].is_string(),
            "{}",
            as_company.text
        );
        assert!(as_company.body.get("pupil_id").is_none());
        check_strictly("GET", "/v1/placements/{id}", &as_company);
        for (action, token, expected) in [
            ("confirm", company, 409),
            ("accept", company, 403),
            ("accept", school, 200),
            ("confirm", company, 200),
            ("accept", school, 409),
            ("decline", school, 409),
        ] {
            let answer = app
                .post(&format!("{path}/{action}"), token, &json!({}))
                .await;
            assert_eq!(
                answer.status.as_u16(),
                expected,
                "{action}: {}",
                answer.text
            );
            let operation = format!("/v1/placements/{{id}}/{action}");
            if expected == 200 {
                check_strictly("POST", &operation, &answer);
            } else {
                check("POST", &operation, &answer);
            }
        }
        let declined = app
            .post(
                &format!("/v1/placements/{second}/decline"),
                company,
                &json!({}),
            )
            .await;
        assert_eq!(declined.body["status"], "declined", "{}", declined.text);
        check_strictly("POST", "/v1/placements/{id}/decline", &declined);
        let page = app.get("/v1/placements?limit=1", school).await;
        assert!(page.body["next_cursor"].is_string(), "{}", page.text);
        check_strictly("GET", "/v1/placements", &page);
        let filtered = app
            .get(
                &format!(
                    "/v1/placements?offer_id={offer_id}&match_request_id={id}&status=confirmed"
                ),
                company,
            )
            .await;
        assert_eq!(filtered.body["items"].as_array().map(Vec::len), Some(1));
        check_strictly("GET", "/v1/placements", &filtered);

        let held = app.delete(&format!("/v1/offers/{offer_id}"), company).await;
        check("DELETE", "/v1/offers/{id}", &held);
        assert_eq!(held.status.as_u16(), 409, "{}", held.text);

        // A request by class, and the list of requests.
        let by_class = app
            .post(
                "/v1/match-requests",
                school,
                &json!({"kind": "stage_3e", "week": WEEK, "class_name": "3b"}),
            )
            .await;
        assert_eq!(by_class.status.as_u16(), 202, "{}", by_class.text);
        check_strictly("POST", "/v1/match-requests", &by_class);
        let class_id = by_class.body["id"].as_str().expect("id");
        let class_done = finished(&app, school, &format!("/v1/match-requests/{class_id}")).await;
        check_strictly("GET", "/v1/match-requests/{id}", &class_done);
        let page = app.get("/v1/match-requests?limit=1", school).await;
        assert!(page.body["next_cursor"].is_string(), "{}", page.text);
        check_strictly("GET", "/v1/match-requests", &page);
        let placed = app
            .post(
                "/v1/match-requests",
                school,
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": [placed_pupil]}),
            )
            .await;
        check("POST", "/v1/match-requests", &placed);
        assert_eq!(placed.status.as_u16(), 409, "{}", placed.text);

        // A campaign: join, cancel, join again, run.
        let campaign = app
            .post("/v1/campaigns", admin, &campaign_body("stage_3e"))
            .await;
        assert_eq!(campaign.status.as_u16(), 201, "{}", campaign.text);
        check_strictly("POST", "/v1/campaigns", &campaign);
        let campaign_id = campaign.body["id"].as_str().expect("id");
        let joining = json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": [pupils[5]],
                             "campaign_id": campaign_id});
        let waiting = app.post("/v1/match-requests", school, &joining).await;
        assert_eq!(
            waiting.body["status"], "waiting_campaign",
            "{}",
            waiting.text
        );
        check_strictly("POST", "/v1/match-requests", &waiting);
        let cancel = format!(
            "/v1/match-requests/{}/cancel",
            waiting.body["id"].as_str().expect("id")
        );
        let cancelled = app.post(&cancel, school, &json!({})).await;
        assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.text);
        check_strictly("POST", "/v1/match-requests/{id}/cancel", &cancelled);
        let again = app.post(&cancel, school, &json!({})).await;
        check("POST", "/v1/match-requests/{id}/cancel", &again);
        assert_eq!(again.status.as_u16(), 409, "{}", again.text);
        let joined = app.post("/v1/match-requests", school, &joining).await;
        assert_eq!(joined.status.as_u16(), 202, "{}", joined.text);
        let overlapping = app.post("/v1/match-requests", school, &joining).await;
        check("POST", "/v1/match-requests", &overlapping);
        assert_eq!(overlapping.status.as_u16(), 409, "{}", overlapping.text);
        app.post("/v1/campaigns", admin, &campaign_body("classe_entreprise"))
            .await
            .expect(201);
        let page = app.get("/v1/campaigns?limit=1", school).await;
        assert!(page.body["next_cursor"].is_string(), "{}", page.text);
        check_strictly("GET", "/v1/campaigns", &page);
        let campaign_path = format!("/v1/campaigns/{campaign_id}");
        let open = app.get(&campaign_path, school).await;
        assert_eq!(open.body["requests"], 2, "{}", open.text);
        check_strictly("GET", "/v1/campaigns/{id}", &open);
        // The first offer is full: one more seat for the campaign.
        offer["weeks"] = json!([{"week": WEEK, "seats": 1}]);
        app.post("/v1/offers", company, &offer).await.expect(201);
        let run = app
            .post(&format!("{campaign_path}/run"), admin, &json!({}))
            .await;
        assert_eq!(run.status.as_u16(), 202, "{}", run.text);
        check_strictly("POST", "/v1/campaigns/{id}/run", &run);
        let rerun = app
            .post(&format!("{campaign_path}/run"), admin, &json!({}))
            .await;
        check("POST", "/v1/campaigns/{id}/run", &rerun);
        assert_eq!(rerun.status.as_u16(), 409, "{}", rerun.text);
        let ran = finished(&app, admin, &campaign_path).await;
        assert!(ran.body["metrics"]["greedy"].is_object(), "{}", ran.text);
        check_strictly("GET", "/v1/campaigns/{id}", &ran);
        let late = app.post("/v1/match-requests", school, &joining).await;
        check("POST", "/v1/match-requests", &late);
        assert_eq!(late.status.as_u16(), 409, "{}", late.text);
        let joined_path = format!(
            "/v1/match-requests/{}",
            joined.body["id"].as_str().expect("id")
        );
        let joined_done = finished(&app, school, &joined_path).await;
        assert!(
            joined_done.body["metrics"]["greedy"].is_object(),
            "{}",
            joined_done.text
        );
        check_strictly("GET", "/v1/match-requests/{id}", &joined_done);

        for group_by in ["departement", "priority", "kind", "week"] {
            for token in [admin, school] {
                let url = format!("/v1/stats/placements?group_by={group_by}");
                let stats = app.get(&url, token).await;
                assert!(stats.body["items"][0].is_object(), "{url}: {}", stats.text);
                check_strictly("GET", "/v1/stats/placements", &stats);
            }
        }
        let unknown = app.get("/v1/stats/placements?group_by=school", admin).await;
        check("GET", "/v1/stats/placements", &unknown);
        assert_eq!(unknown.status.as_u16(), 422, "{}", unknown.text);
    }
);
