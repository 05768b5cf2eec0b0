//! The stylesheet and the one script, embedded and served by owums itself.

use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{IntoResponse, Response, handler};

const ASSETS: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/style.css"),
    ),
    (
        "status.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/status.js"),
    ),
    (
        "recovery.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/recovery.js"),
    ),
    (
        "portal.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/portal.js"),
    ),
    (
        "print.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/print.js"),
    ),
];

/// `GET /assets/<name>`.
#[handler]
pub(crate) async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, body)) => Response::builder()
            .header(header::CONTENT_TYPE, *mime)
            .header(header::CACHE_CONTROL, "public, max-age=3600")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .body(*body),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
