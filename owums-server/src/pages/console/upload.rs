//! Form bodies with files: `multipart/form-data` read whole under a size limit into the
//! text fields (a [`Form`]) and the files, or a plain URL-encoded form.

use owums_core::plugin::UploadedFile;
use poem::error::ReadBodyError;
use poem::http::{StatusCode, header};
use poem::web::Multipart;
use poem::{Body, FromRequest, Request, RequestBody};

use super::Console;
use crate::pages::{Fail, Form};

/// What was posted: the text fields and the files.
pub(crate) struct Posted {
    pub(crate) form: Form,
    pub(crate) files: Vec<UploadedFile>,
}

/// Reads a URL-encoded or `multipart/form-data` body of at most `limit` bytes (413 past
/// it).
pub(crate) async fn read_posted(
    c: &Console,
    req: &Request,
    body: Body,
    limit: usize,
) -> Result<Posted, Fail> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        let form = Form::read(body, c.ctx.web.config.max_form_bytes).await?;
        return Ok(Posted {
            form,
            files: Vec::new(),
        });
    }
    let bad = || Fail::Status(StatusCode::BAD_REQUEST, "error-bad-encoding");
    let bytes = body.into_bytes_limit(limit).await.map_err(|e| match e {
        ReadBodyError::PayloadTooLarge => {
            Fail::Status(StatusCode::PAYLOAD_TOO_LARGE, "console-upload-too-large")
        }
        _ => bad(),
    })?;
    let mut parts = Multipart::from_request(req, &mut RequestBody::new(Body::from(bytes)))
        .await
        .map_err(|_| bad())?;
    let mut fields = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = parts.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|_| bad())?;
            files.push(UploadedFile {
                name,
                content_type,
                bytes,
            });
        } else {
            fields.push((name, field.text().await.map_err(|_| bad())?));
        }
        if fields.len() + files.len() > 64 {
            return Err(bad());
        }
    }
    let form = Form::from_fields(fields).ok_or_else(bad)?;
    Ok(Posted { form, files })
}
