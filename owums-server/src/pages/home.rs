//! The home page (instructions) and the terms of service / privacy documents.

use minijinja::context;
use owums_core::Settings;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};

use super::{Ctx, Fail, NOT_FOUND, Web};

/// `GET /`.
#[handler]
pub(crate) async fn home(req: &Request, web: Data<&Web>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = home_page(&mut ctx).await;
    ctx.finish(r)
}

async fn home_page(ctx: &mut Ctx) -> Result<Response, Fail> {
    let settings = Settings::new(ctx.web.state.store.clone());
    let mut instructions = settings
        .text(&format!("custom_account_instructions_{}", ctx.tr.lang()))
        .await?;
    if instructions.trim().is_empty() {
        instructions = settings.text("custom_account_instructions_en").await?;
    }
    let instructions = if instructions.trim().is_empty() {
        String::new()
    } else {
        owums_core::richtext::markdown_to_html(&instructions)
    };
    ctx.render(
        StatusCode::OK,
        "home.html",
        "home-title",
        context! { instructions },
    )
}

/// `GET /documents/eula` and `/documents/privacy`: the operator's file for the language
/// (`<documents_dir>/<locale>-<name>.html`, then `<name>.html`) or the built-in text.
#[handler]
pub(crate) async fn document(req: &Request, web: Data<&Web>, Path(name): Path<String>) -> Response {
    let mut ctx = Ctx::load(req, &web).await;
    let r = document_page(&mut ctx, &name).await;
    ctx.finish(r)
}

async fn document_page(ctx: &mut Ctx, name: &str) -> Result<Response, Fail> {
    let name = match name {
        "eula" => "eula",
        "privacy" => "privacy",
        _ => return Err(NOT_FOUND),
    };
    let mut html = String::new();
    let dir = &ctx.web.config.documents_dir;
    if !dir.is_empty() {
        let dir = std::path::Path::new(dir);
        for file in [
            format!("{}-{name}.html", ctx.tr.lang()),
            format!("{name}.html"),
        ] {
            if let Ok(text) = tokio::fs::read_to_string(dir.join(file)).await {
                html = text;
                break;
            }
        }
    }
    let paragraphs: Vec<String> = ctx
        .tr
        .t(&format!("doc-{name}-body"))
        .split("\n\n")
        .map(str::to_owned)
        .collect();
    ctx.render(
        StatusCode::OK,
        "document.html",
        &format!("doc-{name}-title"),
        context! { html, paragraphs },
    )
}
