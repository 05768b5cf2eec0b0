//! What an operator-verified method asks an operator for, and what it makes of the answer.
//!
//! A method operators complete (an identity document checked at a desk) describes its
//! operator form with [`Verifier::operator_form`](crate::Verifier::operator_form): a list of
//! [`FormField`](crate::FormField)s, file uploads included ([`FormFieldKind::File`](crate::FormFieldKind::File)).
//! The console shows that form, and hands what the operator submitted, as an
//! [`OperatorInput`], to [`Verifier::operator_evidence`](crate::Verifier::operator_evidence),
//! which checks it and turns it into an [`OperatorEvidence`]: the JSON evidence kept in the
//! history of operator verifications, and [`Attachment`]s (a document's photo and its
//! thumbnail) the core stores in the same transaction.

use serde::{Deserialize, Serialize};

/// Largest evidence accepted, as JSON text.
pub const MAX_EVIDENCE_BYTES: usize = 8 * 1024;

/// Largest attachment the core stores (a resized photo is far smaller).
pub const MAX_ATTACHMENT_BYTES: usize = 4 * 1024 * 1024;

/// Most attachments one verification may carry.
pub const MAX_ATTACHMENTS: usize = 8;

/// One file the operator uploaded (or took with a phone's camera) on an operator form.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedFile {
    /// The form field it was posted in (a [`FormFieldKind::File`](crate::FormFieldKind::File) field's name).
    pub name: String,
    /// The media type the browser claimed (`image/jpeg`). Only a hint: a method checks the
    /// bytes themselves.
    pub content_type: Option<String>,
    /// The file's content.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for UploadedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // the bytes are personal data (a document's photo): never in logs
        f.debug_struct("UploadedFile")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// What an operator submitted on a method's operator form.
///
/// ```
/// use owums_core::plugin::{OperatorInput, UploadedFile};
/// let input = OperatorInput::new("en")
///     .with_field("number", "CA12345BB")
///     .with_file(UploadedFile { name: "photo".into(), content_type: None, bytes: vec![1, 2] });
/// assert_eq!(input.field("number"), Some("CA12345BB"));
/// assert_eq!(input.field("country"), None);
/// assert_eq!(input.file("photo").map(|f| f.bytes.len()), Some(2));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorInput {
    /// The text fields as posted, in the form's order (name, value).
    pub fields: Vec<(String, String)>,
    /// The uploaded files.
    pub files: Vec<UploadedFile>,
    /// The operator's language (`en`, `it`, `es`), for the method's own messages.
    pub locale: String,
}

impl OperatorInput {
    /// Empty input in the operator's language `locale`.
    pub fn new(locale: &str) -> Self {
        OperatorInput {
            locale: locale.to_owned(),
            ..OperatorInput::default()
        }
    }

    /// Adds a text field.
    #[must_use]
    pub fn with_field(mut self, name: &str, value: &str) -> Self {
        self.fields.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a file.
    #[must_use]
    pub fn with_file(mut self, file: UploadedFile) -> Self {
        self.files.push(file);
        self
    }

    /// The first value posted as `name`, if any.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first file posted as `name`, if any (a browser posts an empty file, with no
    /// bytes, for a file input left empty: that counts as none).
    pub fn file(&self, name: &str) -> Option<&UploadedFile> {
        self.files
            .iter()
            .find(|f| f.name == name && !f.bytes.is_empty())
    }
}

/// A file a method keeps with a verification (a document's photo, its thumbnail), stored by
/// the core in the transaction that records the verification.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// What it is, unique within one verification: `document`, `thumbnail`. Lowercase
    /// letters, digits, `_` and `-`, 1 to 32 of them.
    pub kind: String,
    /// Its media type (`image/jpeg`), sent with it when an operator looks at it.
    pub content_type: String,
    /// The content, at most [`MAX_ATTACHMENT_BYTES`].
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("kind", &self.kind)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// What a method made of an operator's input: the evidence for the history of operator
/// verifications and the files to keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorEvidence {
    /// What the operator checked, as the method decides (document type and number, …): a
    /// JSON object of at most [`MAX_EVIDENCE_BYTES`]. The core adds who and when.
    pub evidence: serde_json::Value,
    /// Files to keep with it.
    pub attachments: Vec<Attachment>,
}

impl OperatorEvidence {
    /// Evidence without files.
    pub fn new(evidence: serde_json::Value) -> Self {
        OperatorEvidence {
            evidence,
            attachments: Vec::new(),
        }
    }

    /// Checks the limits the core stores within: an object of at most
    /// [`MAX_EVIDENCE_BYTES`], at most [`MAX_ATTACHMENTS`] attachments, each with a
    /// well-formed unique kind, a media type and at most [`MAX_ATTACHMENT_BYTES`].
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`](crate::Error::Invalid) naming `evidence` or `attachments`.
    pub fn check(&self) -> crate::Result<()> {
        use crate::Error;
        if !self.evidence.is_object() {
            return Err(Error::invalid("evidence", "must be a JSON object"));
        }
        if self.evidence.to_string().len() > MAX_EVIDENCE_BYTES {
            return Err(Error::invalid("evidence", "is too large"));
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(Error::invalid("attachments", "too many"));
        }
        for (i, a) in self.attachments.iter().enumerate() {
            let kind_ok = (1..=32).contains(&a.kind.len())
                && a.kind.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !kind_ok {
                return Err(Error::invalid("attachments", "a kind is malformed"));
            }
            if self.attachments[..i].iter().any(|b| b.kind == a.kind) {
                return Err(Error::invalid("attachments", "a kind is repeated"));
            }
            let type_ok = (3..=100).contains(&a.content_type.len())
                && a.content_type.contains('/')
                && a.content_type.bytes().all(|b| b.is_ascii_graphic());
            if !type_ok {
                return Err(Error::invalid("attachments", "a media type is malformed"));
            }
            if a.bytes.is_empty() || a.bytes.len() > MAX_ATTACHMENT_BYTES {
                return Err(Error::invalid(
                    "attachments",
                    "an attachment is empty or too large",
                ));
            }
        }
        Ok(())
    }
}

/// One choice of a [`FormFieldKind::Choice`](crate::FormFieldKind::Choice) field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormChoice {
    /// The value posted.
    pub value: String,
    /// What the person sees, or a message id of the plugin.
    pub label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(kind: &str) -> Attachment {
        Attachment {
            kind: kind.into(),
            content_type: "image/jpeg".into(),
            bytes: vec![0xff; 10],
        }
    }

    #[test]
    fn evidence_within_limits_passes_and_beyond_is_refused() {
        let mut ev = OperatorEvidence::new(serde_json::json!({ "number": "CA1" }));
        ev.attachments = vec![attachment("document"), attachment("thumbnail")];
        ev.check().unwrap();

        let mut twice = ev.clone();
        twice.attachments.push(attachment("document"));
        assert!(twice.check().is_err(), "a repeated kind");

        let mut bad_kind = ev.clone();
        bad_kind.attachments[0].kind = "../etc".into();
        assert!(bad_kind.check().is_err());

        let mut big = ev.clone();
        big.attachments[0].bytes = vec![0; MAX_ATTACHMENT_BYTES + 1];
        assert!(big.check().is_err());

        let mut bad_type = ev;
        bad_type.attachments[0].content_type = "text/html\r\nX: y".into();
        assert!(bad_type.check().is_err());

        assert!(
            OperatorEvidence::new(serde_json::json!("text"))
                .check()
                .is_err()
        );
        let huge = serde_json::json!({ "n": "x".repeat(MAX_EVIDENCE_BYTES) });
        assert!(OperatorEvidence::new(huge).check().is_err());
    }

    #[test]
    fn an_empty_file_input_counts_as_no_file() {
        let input = OperatorInput::new("it").with_file(UploadedFile {
            name: "photo".into(),
            content_type: Some("application/octet-stream".into()),
            bytes: Vec::new(),
        });
        assert!(input.file("photo").is_none());
        assert!(format!("{input:?}").contains("len: 0"));
    }
}
