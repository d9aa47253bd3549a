//! `/docs`: the API reference, drawn on the server from the `openapi.yaml`
//! the binary carries (the one `GET /openapi.yaml` serves): no CDN, no
//! script, nothing fetched. The reference itself is in English, as the API.
use super::error::PageError;
use super::page::{Chrome, page};
use super::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde_json::Value;
use std::sync::LazyLock;

const OPENAPI_YAML: &str = include_str!("../../../openapi.yaml");
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

pub struct Param {
    name: String,
    location: String,
    required: bool,
    kind: String,
    description: String,
}

pub struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    public: bool,
    params: Vec<Param>,
    body: Option<String>,
    responses: Vec<(String, String)>,
}

pub struct Group {
    name: String,
    description: String,
    operations: Vec<Operation>,
}

pub struct Property {
    name: String,
    kind: String,
    required: bool,
    description: String,
}

pub struct SchemaDoc {
    name: String,
    description: String,
    properties: Vec<Property>,
}

#[derive(Template)]
#[template(path = "docs_partial.html")]
struct DocsPartial {
    title: String,
    version: String,
    intro: String,
    groups: Vec<Group>,
    schemas: Vec<SchemaDoc>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Inline `code` and **bold** of one escaped line.
fn inline(line: &str) -> String {
    let mut out = String::new();
    for (i, part) in escape(line).split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{part}</code>"));
        } else {
            for (j, piece) in part.split("**").enumerate() {
                if j % 2 == 1 {
                    out.push_str(&format!("<strong>{piece}</strong>"));
                } else {
                    out.push_str(piece);
                }
            }
        }
    }
    out
}

/// The little Markdown the spec's descriptions use: paragraphs, `- `
/// lists, inline code and bold. Everything else stays text, escaped.
pub fn markdown(text: &str) -> String {
    let mut html = String::new();
    for block in text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        let lines: Vec<&str> = block.lines().map(str::trim).collect();
        if lines.iter().all(|l| l.starts_with("- ")) {
            html.push_str("<ul>");
            for l in lines {
                html.push_str(&format!("<li>{}</li>", inline(&l[2..])));
            }
            html.push_str("</ul>");
        } else {
            html.push_str(&format!("<p>{}</p>", inline(&lines.join(" "))));
        }
    }
    html
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
}

/// `#/components/<section>/<name>` resolved, or the value itself.
fn resolve<'a>(spec: &'a Value, v: &'a Value, section: &str) -> &'a Value {
    match ref_name(v) {
        Some(name) => &spec["components"][section][name],
        None => v,
    }
}

/// A schema's type in a few words, with links to named schemas (HTML).
fn kind(v: &Value) -> String {
    if let Some(name) = ref_name(v) {
        let name = escape(name);
        return format!("<a href=\"#schema-{name}\">{name}</a>");
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = v.get(key).and_then(Value::as_array) {
            let sep = if key == "allOf" { " and " } else { " or " };
            return list.iter().map(kind).collect::<Vec<_>>().join(sep);
        }
    }
    if let Some(values) = v.get("enum").and_then(Value::as_array) {
        let list: Vec<String> = values
            .iter()
            .map(|x| format!("<code>{}</code>", escape(&x.to_string().replace('"', ""))))
            .collect();
        return format!("one of {}", list.join(", "));
    }
    if let Some(c) = v.get("const") {
        return format!("<code>{}</code>", escape(&c.to_string()));
    }
    let types: Vec<String> = match v.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => return "any".to_owned(),
    };
    types
        .iter()
        .map(|t| match t.as_str() {
            "array" => format!("array of {}", v.get("items").map_or("any".into(), kind)),
            other => match v.get("format").and_then(Value::as_str) {
                Some(format) => format!("{other} ({})", escape(format)),
                None => escape(other),
            },
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn operation(spec: &Value, method: &str, path: &str, op: &Value) -> Operation {
    let params = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| resolve(spec, p, "parameters"))
        .map(|p| Param {
            name: text(p, "name"),
            location: text(p, "in"),
            required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
            kind: p.get("schema").map_or("any".into(), kind),
            description: markdown(&text(p, "description")),
        })
        .collect();
    let body = op.get("requestBody").and_then(|b| {
        let content = b.get("content")?.as_object()?;
        let (media, v) = content.iter().next()?;
        Some(format!(
            "<code>{}</code>: {}",
            escape(media),
            v.get("schema").map_or("any".into(), kind)
        ))
    });
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(status, r)| {
            let r = resolve(spec, r, "responses");
            (status.clone(), markdown(&text(r, "description")))
        })
        .collect();
    let public = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty);
    Operation {
        anchor: format!("{method}-{}", path.replace(['/', '{', '}', '.'], "-")),
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: text(op, "summary"),
        description: markdown(&text(op, "description")),
        public,
        params,
        body,
        responses,
    }
}

fn build() -> Result<DocsPartial, String> {
    let spec: Value = serde_yaml::from_str(OPENAPI_YAML).map_err(|e| e.to_string())?;
    let mut groups: Vec<Group> = spec["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Group {
            name: text(t, "name"),
            description: text(t, "description"),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            let documented = operation(&spec, method, path, op);
            match groups.iter_mut().find(|g| g.name == tag) {
                Some(group) => group.operations.push(documented),
                None => groups.push(Group {
                    name: tag,
                    description: String::new(),
                    operations: vec![documented],
                }),
            }
        }
    }
    groups.retain(|g| !g.operations.is_empty());
    let schemas = spec["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| {
            let required: Vec<&str> = s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            SchemaDoc {
                name: name.clone(),
                description: markdown(&text(s, "description")),
                properties: s["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(p, v)| Property {
                        name: p.clone(),
                        kind: kind(v),
                        required: required.contains(&p.as_str()),
                        description: markdown(&text(v, "description")),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(DocsPartial {
        title: text(&spec["info"], "title"),
        version: text(&spec["info"], "version"),
        intro: markdown(&text(&spec["info"], "description")),
        groups,
        schemas,
    })
}

/// Drawn once: the document is part of the binary.
static DOCS: LazyLock<Result<String, String>> =
    LazyLock::new(|| build().and_then(|d| d.render().map_err(|e| e.to_string())));

#[derive(Template)]
#[template(source = "{{ html|safe }}", ext = "html")]
struct Prerendered<'a> {
    html: &'a str,
}

pub async fn reference(
    req: HttpRequest,
    Visitor(visitor): Visitor,
) -> Result<HttpResponse, PageError> {
    let html = DOCS
        .as_ref()
        .map_err(|e| PageError::Internal(anyhow::anyhow!("openapi.yaml: {e}")))?;
    let chrome = Chrome::new(visitor.as_ref(), "/docs");
    page(
        &req,
        StatusCode::OK,
        &chrome,
        "Documentation de l'API",
        &Prerendered { html },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_keep_their_code_bold_and_lists_and_escape_the_rest() {
        assert_eq!(
            markdown("**Auth.** Use `Bearer <token>`.\n\n- one\n- `two`"),
            "<p><strong>Auth.</strong> Use <code>Bearer &lt;token&gt;</code>.</p>\
             <ul><li>one</li><li><code>two</code></li></ul>"
        );
        assert_eq!(
            markdown("<script>x</script>"),
            "<p>&lt;script&gt;x&lt;/script&gt;</p>"
        );
    }

    #[test]
    fn every_operation_and_schema_of_the_spec_is_drawn() {
        let docs = build().expect("the committed spec parses");
        let drawn: usize = docs.groups.iter().map(|g| g.operations.len()).sum();
        let spec: Value = serde_yaml::from_str(OPENAPI_YAML).unwrap();
        let expected: usize = spec["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
            .sum();
        assert_eq!(drawn, expected);
        assert_eq!(
            docs.schemas.len(),
            spec["components"]["schemas"].as_object().unwrap().len()
        );
        let html = docs.render().unwrap();
        assert!(html.contains("/v1/auth/token"));
        assert!(html.contains("id=\"schema-Problem\""));
    }
}
