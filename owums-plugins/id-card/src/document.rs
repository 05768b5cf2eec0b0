//! The document's fields as the operator typed them: checked and normalised.

use chrono::NaiveDate;
use owums_core::plugin::{FormChoice, OperatorInput};
use owums_core::{Error, Problem, Result};
use serde::Serialize;

/// The kinds of identity document an operator may check.
pub const DOCUMENT_TYPES: [&str; 4] = [
    "identity_card",
    "passport",
    "driving_licence",
    "residence_permit",
];

/// Fewest characters of a document number.
pub const MIN_NUMBER_LEN: usize = 4;
/// Most characters of a document number.
pub const MAX_NUMBER_LEN: usize = 24;
/// Most characters of the issuing authority.
pub const MAX_AUTHORITY_LEN: usize = 100;

/// The checked document fields, as they go into the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// One of [`DOCUMENT_TYPES`].
    pub document_type: String,
    /// The number, upper-case, without spaces.
    pub number: String,
    /// The issuing country (ISO 3166-1 alpha-2, upper-case), if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuing_country: Option<String>,
    /// The issuing authority, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuing_authority: Option<String>,
    /// The date the document expires, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
}

/// The choices of the document-type field, labelled by message ids.
pub fn choices() -> Vec<FormChoice> {
    DOCUMENT_TYPES
        .iter()
        .map(|t| FormChoice {
            value: (*t).to_owned(),
            label: format!("id_card-type-{}", t.replace('_', "-")),
        })
        .collect()
}

fn refused(field: &'static str, problem: Problem, message: &str) -> Error {
    Error::refused(field, problem, message)
}

fn text<'a>(input: &'a OperatorInput, name: &str) -> Option<&'a str> {
    input.field(name).map(str::trim).filter(|v| !v.is_empty())
}

/// Checks the document fields of `input`; `today` is the day an expired document is
/// refused against.
///
/// # Errors
///
/// [`Error::Invalid`] naming the field, whose reason is one of the plugin's message ids.
pub fn parse(input: &OperatorInput, today: NaiveDate) -> Result<Document> {
    let document_type = match text(input, "document_type") {
        None => {
            return Err(refused(
                "document_type",
                Problem::Required,
                "id_card-err-type",
            ));
        }
        Some(t) if DOCUMENT_TYPES.contains(&t) => t.to_owned(),
        Some(_) => {
            return Err(refused(
                "document_type",
                Problem::Unknown,
                "id_card-err-type",
            ));
        }
    };
    let number = parse_number(text(input, "number").unwrap_or(""))?;
    let issuing_country = text(input, "issuing_country")
        .map(|c| {
            let c = c.to_ascii_uppercase();
            if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(c)
            } else {
                Err(refused(
                    "issuing_country",
                    Problem::BadFormat,
                    "id_card-err-country",
                ))
            }
        })
        .transpose()?;
    let issuing_authority = text(input, "issuing_authority")
        .map(|a| {
            owums_core::subscriber::check_text("issuing_authority", a, MAX_AUTHORITY_LEN, false)
                .map_err(|_| {
                    refused(
                        "issuing_authority",
                        Problem::BadFormat,
                        "id_card-err-authority",
                    )
                })
        })
        .transpose()?;
    let expires_on = text(input, "expires_on")
        .map(|d| {
            let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| refused("expires_on", Problem::BadFormat, "id_card-err-expiry"))?;
            if date < today {
                return Err(refused(
                    "expires_on",
                    Problem::OutOfRange,
                    "id_card-err-expired",
                ));
            }
            if date > today + chrono::Days::new(366 * 30) {
                return Err(refused(
                    "expires_on",
                    Problem::OutOfRange,
                    "id_card-err-expiry",
                ));
            }
            Ok(date)
        })
        .transpose()?;
    Ok(Document {
        document_type,
        number,
        issuing_country,
        issuing_authority,
        expires_on,
    })
}

/// A document number: letters and digits (with `-` and `/` inside), spaces dropped,
/// upper-cased, [`MIN_NUMBER_LEN`] to [`MAX_NUMBER_LEN`] characters.
///
/// # Errors
///
/// [`Error::Invalid`] on `number`.
pub fn parse_number(raw: &str) -> Result<String> {
    let number: String = raw
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if number.is_empty() {
        return Err(refused("number", Problem::Required, "id_card-err-number"));
    }
    let safe = number
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '/');
    let edges = number
        .chars()
        .next()
        .zip(number.chars().last())
        .is_some_and(|(a, b)| a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric());
    if !safe || !edges {
        return Err(refused("number", Problem::BadFormat, "id_card-err-number"));
    }
    if !(MIN_NUMBER_LEN..=MAX_NUMBER_LEN).contains(&number.len()) {
        return Err(refused("number", Problem::BadFormat, "id_card-err-number"));
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    fn input(fields: &[(&str, &str)]) -> OperatorInput {
        fields
            .iter()
            .fold(OperatorInput::new("en"), |i, (k, v)| i.with_field(k, v))
    }

    fn reason(e: Error) -> (&'static str, String) {
        match e {
            Error::Invalid { field, reason, .. } => (field, reason),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn a_full_document_is_normalised() {
        let doc = parse(
            &input(&[
                ("document_type", "passport"),
                ("number", " ya 1234567 "),
                ("issuing_country", "it"),
                ("issuing_authority", "Questura di Roma"),
                ("expires_on", "2031-05-01"),
            ]),
            today(),
        )
        .unwrap();
        assert_eq!(doc.number, "YA1234567");
        assert_eq!(doc.issuing_country.as_deref(), Some("IT"));
        assert_eq!(doc.expires_on, NaiveDate::from_ymd_opt(2031, 5, 1));
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["document_type"], "passport");
        assert_eq!(json["expires_on"], "2031-05-01");
    }

    #[test]
    fn optional_fields_may_be_left_out() {
        let doc = parse(
            &input(&[
                ("document_type", "identity_card"),
                ("number", "CA12345BB"),
                ("expires_on", ""),
            ]),
            today(),
        )
        .unwrap();
        assert_eq!(doc.issuing_country, None);
        assert_eq!(doc.expires_on, None);
        let json = serde_json::to_value(&doc).unwrap();
        assert!(json.get("issuing_country").is_none());
    }

    #[test]
    fn bad_fields_are_refused_with_the_plugins_message() {
        let base = [("document_type", "passport"), ("number", "YA1234567")];
        let with = |k: &'static str, v: &'static str| {
            let mut f: Vec<(&str, &str)> = base.iter().copied().filter(|(n, _)| *n != k).collect();
            f.push((k, v));
            parse(&input(&f), today()).map(|_| ()).map_err(reason)
        };
        assert_eq!(
            with("document_type", "library_card").unwrap_err().0,
            "document_type"
        );
        assert_eq!(with("document_type", "").unwrap_err().1, "id_card-err-type");
        for bad in [
            "",
            "AB1",
            "<script>",
            "A'1234",
            "12345678901234567890ABCDE",
            "-1234",
            "AB\u{0}123",
        ] {
            assert_eq!(
                with("number", bad).unwrap_err(),
                ("number", "id_card-err-number".to_owned()),
                "{bad:?}"
            );
        }
        assert_eq!(
            with("issuing_country", "ITA").unwrap_err().1,
            "id_card-err-country"
        );
        assert_eq!(
            with("issuing_authority", "Roma\u{1b}[31m").unwrap_err().1,
            "id_card-err-authority"
        );
        assert_eq!(
            with("expires_on", "01/05/2031").unwrap_err().1,
            "id_card-err-expiry"
        );
        assert_eq!(
            with("expires_on", "2026-12-03").unwrap_err().1,
            "id_card-err-expired"
        );
        with("expires_on", "2026-12-04").unwrap();
    }
}
