//! `GET /operator`: the console's home, for any logged-in operator.

use minijinja::context;
use owums_core::operator::Permission;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};

use super::Console;
use crate::pages::{Fail, Web};

/// `GET /operator`.
#[handler]
pub(crate) async fn home(req: &Request, web: Data<&Web>) -> Response {
    let c = Console::load(req, &web).await;
    let r = show(&c);
    c.finish(r)
}

fn show(c: &Console) -> Result<Response, Fail> {
    let op = &c.operator()?.record;
    let fmt = |l: &Option<(chrono::DateTime<chrono::Utc>, String)>| {
        l.as_ref().map(|(at, ip)| {
            let at = at.with_timezone(&c.ctx.web.tz).format("%Y-%m-%d %H:%M");
            format!("{at} ({ip})")
        })
    };
    let permissions: Vec<&str> = Permission::ALL
        .iter()
        .filter(|p| op.permissions.allows(**p))
        .map(|p| p.as_str())
        .collect();
    c.render(
        StatusCode::OK,
        "console/home.html",
        "console-home-title",
        context! {
            last_login => fmt(&op.last_login),
            login_count => op.login_count,
            totp_enabled => op.totp_enabled,
            permissions,
        },
    )
}
