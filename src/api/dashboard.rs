//! The web dashboard: the static page under `web/` (plain HTML, CSS and ES modules, no build
//! step), embedded in the binary and served at `/` (the page) and `/ui/…` (its assets).
//!
//! The page is a client of the REST gateway like any other: it calls the same routes
//! (`/clusters`, `/operations`, …) with the user's bearer token, and reads Server-Sent Events
//! through fetch streams. It owns no API of its own, and its paths (`/`, `/ui/…`) are not
//! REST paths, so it never shadows a gateway or gRPC route; the page navigates with `#/…`
//! fragments, which never reach the server.
//!
//! Every response carries an ETag (a hash of the embedded bytes) and `Cache-Control:
//! no-cache`: browsers revalidate, and get a 304 until the binary changes.

use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, HeaderValue, StatusCode, header};

/// One embedded file.
pub struct Asset {
    /// Path under `web/ui/` (and under `/ui/` in URLs).
    pub path: &'static str,
    pub body: &'static [u8],
    hash: u64,
}

impl Asset {
    const fn new(path: &'static str, body: &'static [u8]) -> Asset {
        Asset {
            path,
            body,
            hash: fnv1a(body),
        }
    }

    /// Content type, from the file name's extension.
    pub fn content_type(&self) -> &'static str {
        content_type(self.path)
    }

    fn etag(&self) -> String {
        format!("\"{:016x}\"", self.hash)
    }
}

/// 64-bit FNV-1a, evaluated at compile time for every asset.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

macro_rules! ui {
    ($path:literal) => {
        Asset::new(
            $path,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/ui/", $path)),
        )
    };
}

/// The page itself, served at `/`.
pub const INDEX: Asset = Asset::new(
    "index.html",
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/index.html")),
);

/// Every file under `web/ui/` (a test checks that none is missing).
pub const ASSETS: &[Asset] = &[
    ui!("api.js"),
    ui!("app.js"),
    ui!("dom.js"),
    ui!("favicon.svg"),
    ui!("style.css"),
    ui!("views/access.js"),
    ui!("views/cluster.js"),
    ui!("views/clusters.js"),
    ui!("views/common.js"),
    ui!("views/compare.js"),
    ui!("views/create.js"),
    ui!("views/operations.js"),
    ui!("views/templates.js"),
];

/// Content type of a file, by extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// What the page may load and call: only its own origin; no inline scripts, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The dashboard's routes: `/` and `/ui/{*path}` (GET and HEAD).
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/ui/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    let mut res = serve(&INDEX, &headers);
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => serve(a, &headers),
        None => not_found(&path),
    }
}

fn serve(asset: &Asset, request: &HeaderMap) -> Response {
    let etag = asset.etag();
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        });
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, "no-cache".to_string()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, asset.content_type())],
        common,
        asset.body,
    )
        .into_response()
}

/// An unknown asset: 404 with a `google.rpc.Status` body, like every other unknown path.
fn not_found(path: &str) -> Response {
    let body = serde_json::json!({
        "code": tonic::Code::NotFound as i32,
        "message": format!("no dashboard asset /ui/{path}"),
        "details": [],
    });
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn files_under(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                files_under(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }

    #[test]
    fn every_file_under_web_ui_is_embedded_and_nothing_else() {
        let mut on_disk = Vec::new();
        files_under(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/ui"),
            "",
            &mut on_disk,
        );
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.path.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "update ASSETS in src/api/dashboard.rs");
        for a in ASSETS {
            assert_ne!(
                a.content_type(),
                "application/octet-stream",
                "{} has no known content type",
                a.path
            );
        }
    }

    async fn get(uri: &str, etag: Option<&str>) -> Response {
        let mut req = Request::get(uri);
        if let Some(t) = etag {
            req = req.header(header::IF_NONE_MATCH, t);
        }
        router()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn assets_are_served_with_types_validators_and_404s() {
        let res = get("/ui/views/operations.js", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
        let etag = res.headers()[header::ETAG].to_str().unwrap().to_string();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            &body[..],
            ASSETS
                .iter()
                .find(|a| a.path == "views/operations.js")
                .unwrap()
                .body
        );

        let res = get("/ui/views/operations.js", Some(&etag)).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert!(
            res.into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .is_empty()
        );
        let res = get("/ui/views/operations.js", Some("\"0000\"")).await;
        assert_eq!(res.status(), StatusCode::OK);

        let res = get("/", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert!(res.headers().contains_key(header::CONTENT_SECURITY_POLICY));

        for missing in ["/ui/nope.js", "/ui/views/", "/ui/../Cargo.toml"] {
            let res = get(missing, None).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{missing}");
            assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/b.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("x.svg"), "image/svg+xml");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
