//! `GET /healthz`: 200 when the database answers, 503 otherwise.

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};

use crate::AppState;

#[handler]
pub(crate) async fn healthz(state: Data<&AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok", "database": "ok" })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            Json(serde_json::json!({ "status": "unavailable", "database": "unreachable" }))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}
