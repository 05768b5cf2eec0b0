//! # owums-plugin-id-card
//!
//! Verification by identity document, OWUMS' "ID card" method: an operator at a desk
//! checks a subscriber's identity card, passport, driving licence or residence permit,
//! types its number and takes a photo of it (an upload, or a phone's camera). The photo is
//! decoded within limits, turned upright, stripped of its metadata (EXIF with GPS, XMP…),
//! resized to fit 800×600 as JPEG with a thumbnail 100 pixels wide, and kept by the core
//! with the record of which operator checked which document, and when.
//!
//! Only operators create these subscribers (never the public sign-up page), and they are
//! verified at once. They are kept for legal records: housekeeping switches them off and
//! never deletes them ([`Expiry::Deactivate`]).
//!
//! Turn it on in `plugins.toml` (see `docs/verifiers/id-card.md`):
//!
//! ```toml
//! [plugins.id_card]
//! enabled = true
//! ```

mod config;
pub mod document;
pub mod photo;

use std::sync::Arc;

use owums_core::plugin::{Attachment, OperatorEvidence, OperatorInput};
use owums_core::{
    Challenge, Error, Expiry, FormField, FormFieldKind, PluginContext, PluginRegistrar, Problem,
    Result, User, UserStatus, Verifier, VerifierFactory,
};

pub use config::IdCardConfig;
pub use photo::{PhotoError, PhotoSettings, Processed};

/// The plugin id: the key in `plugins.toml` and the users' verification method.
pub const ID: &str = "id_card";

/// The message id of the verification page's note ("bring your document to the desk").
pub const NOTE: &str = "id_card-bring-document";

/// The media types the photo field accepts.
pub const PHOTO_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// Registers the ID-card verifier (the crate's one entry point, static or dynamic).
pub fn register(registrar: &mut dyn PluginRegistrar) {
    registrar.register_verifier(Box::new(IdCardFactory));
}

/// Builds an [`IdCardVerifier`] from `[plugins.id_card]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdCardFactory;

impl VerifierFactory for IdCardFactory {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, settings: serde_json::Value) -> Result<()> {
        IdCardConfig::from_json(settings)?.validate()
    }

    /// The method's label, the form's labels, the document types and the refusals, from
    /// `locales/<lang>/id_card.ftl`.
    fn messages(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("en", include_str!("../locales/en/id_card.ftl")),
            ("it", include_str!("../locales/it/id_card.ftl")),
            ("es", include_str!("../locales/es/id_card.ftl")),
        ]
    }

    fn build(&self, settings: serde_json::Value, ctx: PluginContext) -> Result<Arc<dyn Verifier>> {
        let config = IdCardConfig::from_json(settings)?;
        config.validate()?;
        Ok(Arc::new(IdCardVerifier { config, ctx }))
    }
}

/// Verification by an identity document an operator checks.
#[derive(Debug)]
pub struct IdCardVerifier {
    config: IdCardConfig,
    ctx: PluginContext,
}

impl IdCardVerifier {
    /// Checks the operator's input and processes the photo (CPU-bound: the host calls it
    /// on a blocking thread).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the field, whose reason is one of the plugin's message ids.
    pub fn evidence(&self, input: &OperatorInput) -> Result<OperatorEvidence> {
        let today = self.ctx.now().date_naive();
        let doc = document::parse(input, today)?;
        let settings = PhotoSettings::from(&self.config);
        let bytes = input.file("photo").map_or(&[][..], |f| f.bytes.as_slice());
        let photo = photo::process(bytes, &settings).map_err(|e| {
            let problem = match e {
                PhotoError::Missing => Problem::Required,
                PhotoError::TooLarge | PhotoError::TooManyPixels | PhotoError::TooSmall => {
                    Problem::OutOfRange
                }
                PhotoError::NotAnImage | PhotoError::Corrupt => Problem::BadFormat,
            };
            Error::refused("photo", problem, e.message_id())
        })?;
        let mut evidence = serde_json::to_value(&doc)
            .map_err(|e| Error::Internal(format!("id_card evidence: {e}")))?;
        evidence["photo"] = serde_json::json!({
            "width": photo.width,
            "height": photo.height,
            "thumbnail_width": photo.thumbnail_width,
            "thumbnail_height": photo.thumbnail_height,
        });
        tracing::debug!(
            document_type = %doc.document_type,
            width = photo.width,
            height = photo.height,
            "document photo processed"
        );
        Ok(OperatorEvidence {
            evidence,
            attachments: vec![
                Attachment {
                    kind: "document".to_owned(),
                    content_type: "image/jpeg".to_owned(),
                    bytes: photo.document,
                },
                Attachment {
                    kind: "thumbnail".to_owned(),
                    content_type: "image/jpeg".to_owned(),
                    bytes: photo.thumbnail,
                },
            ],
        })
    }
}

#[owums_core::async_trait]
impl Verifier for IdCardVerifier {
    fn id(&self) -> &'static str {
        ID
    }

    /// Never offered on the public sign-up page: only operators create these users.
    fn self_service(&self) -> bool {
        false
    }

    fn operator_verified(&self) -> bool {
        true
    }

    /// Kept for legal records: switched off, never deleted.
    fn expiry(&self) -> Expiry {
        Expiry::Deactivate(self.config.unverified_window())
    }

    async fn challenge(&self, user: &dyn User, _locale: &str) -> Result<Challenge> {
        if user.status() == UserStatus::Verified {
            return Ok(Challenge::Done);
        }
        Ok(Challenge::WaitForOperator {
            note: Some(NOTE.to_owned()),
        })
    }

    fn operator_form(&self, _locale: &str) -> Vec<FormField> {
        vec![
            FormField::new(
                "document_type",
                "id_card-document-type",
                FormFieldKind::Choice,
            )
            .required()
            .with_choices(document::choices()),
            FormField::new("number", "id_card-number", FormFieldKind::Text).required(),
            FormField::new(
                "issuing_country",
                "id_card-issuing-country",
                FormFieldKind::Text,
            ),
            FormField::new(
                "issuing_authority",
                "id_card-issuing-authority",
                FormFieldKind::Text,
            ),
            FormField::new("expires_on", "id_card-expires-on", FormFieldKind::Date),
            FormField::new("photo", "id_card-photo", FormFieldKind::File)
                .required()
                .with_file(&PHOTO_TYPES, self.config.max_upload_bytes),
        ]
    }

    async fn operator_evidence(&self, input: OperatorInput) -> Result<OperatorEvidence> {
        self.evidence(&input)
    }
}

#[cfg(test)]
mod tests;
