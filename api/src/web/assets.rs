//! Static files, embedded in the binary: one stylesheet and htmx. Each is
//! served under a URL carrying the start of its SHA-256, so it can be
//! cached for a year (`immutable`): a new version has a new URL.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// htmx 2.0.11, `dist/htmx.min.js` of the npm package `htmx.org` (0BSD,
/// licence in `api/static/htmx-LICENSE.txt`). Pinned: a test checks the
/// embedded file against this digest, so it changes only on purpose.
pub const HTMX_SHA256: &str = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717";

struct Asset {
    name: &'static str,
    bytes: &'static [u8],
    content_type: &'static str,
    sha256: String,
}

impl Asset {
    fn new(name: &'static str, bytes: &'static [u8], content_type: &'static str) -> Self {
        Self {
            name,
            bytes,
            content_type,
            sha256: hex::encode(Sha256::digest(bytes)),
        }
    }

    fn version(&self) -> &str {
        &self.sha256[..16]
    }

    fn url(&self) -> String {
        format!("/static/{}/{}", self.version(), self.name)
    }
}

pub const STYLESHEET: &str = "tremplin.css";
pub const HTMX: &str = "htmx.min.js";

static ASSETS: LazyLock<[Asset; 2]> = LazyLock::new(|| {
    [
        Asset::new(
            STYLESHEET,
            include_bytes!("../../static/tremplin.css"),
            "text/css; charset=utf-8",
        ),
        Asset::new(
            HTMX,
            include_bytes!("../../static/htmx-2.0.11.min.js"),
            "text/javascript; charset=utf-8",
        ),
    ]
});

/// The versioned URL of an embedded file.
pub fn url(name: &str) -> String {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(Asset::url)
        .unwrap_or_default()
}

/// `GET /static/{version}/{name}`: an old version answers 404 rather than
/// today's file under yesterday's immutable URL.
pub async fn serve(req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    let (version, name) = path.into_inner();
    let Some(asset) = ASSETS
        .iter()
        .find(|a| a.name == name && a.version() == version)
    else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("fichier introuvable");
    };
    let etag = format!("\"{}\"", asset.sha256);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        return response.finish();
    }
    response.content_type(asset.content_type).body(asset.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_htmx_is_the_pinned_release() {
        let htmx = ASSETS.iter().find(|a| a.name == HTMX).unwrap();
        assert_eq!(htmx.sha256, HTMX_SHA256);
        // The same bytes as the file in the repository, nothing rebuilt.
        let on_disk = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/static/htmx-2.0.11.min.js"
        ))
        .unwrap();
        assert_eq!(hex::encode(Sha256::digest(on_disk)), HTMX_SHA256);
    }

    #[test]
    fn urls_carry_the_content_hash() {
        let css = url(STYLESHEET);
        let hash = hex::encode(Sha256::digest(include_bytes!("../../static/tremplin.css")));
        assert_eq!(css, format!("/static/{}/tremplin.css", &hash[..16]));
        assert_eq!(url("missing.js"), "");
    }
}
