//! Strictly typed request fields.
//!
//! poem-openapi reads a JSON number or boolean into a `String` field as its text (`"city":
//! 12345` becomes `"12345"`, a username of `2**63` a string of digits). The API's request
//! bodies use these types instead: a value of the wrong JSON type, or a missing required
//! field, is kept as a [`Mistake`], and the operation answers 400 naming the field rather
//! than storing what the client did not mean. The OpenAPI document states each text
//! field's `maxLength`; the length itself (and control characters, and emptiness) is checked
//! by the core, the same rules for the pages, the API and the command line.

use std::borrow::Cow;

use poem::http::StatusCode;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

use super::ApiError;
use super::error::FieldProblem;
use crate::i18n::Translator;

/// What was wrong with a field's JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mistake {
    /// A required field was absent or `null`.
    Missing,
    /// Not a JSON string.
    NotString,
    /// Not `true` or `false`.
    NotBoolean,
}

/// A JSON string field of at most `MAX` characters (and, for the schema, at least `MIN`);
/// `SECRET` marks a password (`format: password` in the schema).
#[derive(Clone)]
pub(crate) struct Text<const MAX: usize, const MIN: usize = 0, const SECRET: bool = false>(
    Result<String, Mistake>,
);

/// A JSON boolean field.
#[derive(Debug, Clone)]
pub(crate) struct Flag(Result<bool, Mistake>);

/// A date written `YYYY-MM-DD` (a JSON string; the core reads and checks the date).
#[derive(Debug, Clone)]
pub(crate) struct DateText(Result<String, Mistake>);

impl<const MAX: usize, const MIN: usize, const SECRET: bool> std::fmt::Debug
    for Text<MAX, MIN, SECRET>
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Request bodies hold passwords: show only the shape.
        match &self.0 {
            Ok(s) => write!(f, "Text({} chars)", s.chars().count()),
            Err(m) => write!(f, "Text({m:?})"),
        }
    }
}

fn string(value: Option<Value>) -> Result<String, Mistake> {
    match value {
        None | Some(Value::Null) => Err(Mistake::Missing),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Mistake::NotString),
    }
}

fn string_schema(max: usize, min: usize, format: Option<&'static str>) -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        max_length: Some(max),
        min_length: (min > 0).then_some(min),
        format,
        ..MetaSchema::new("string")
    }))
}

impl<const MAX: usize, const MIN: usize, const SECRET: bool> Text<MAX, MIN, SECRET> {
    /// The text, or the mistake.
    pub(crate) fn get(&self) -> Result<&str, Mistake> {
        self.0.as_deref().map_err(|m| *m)
    }
}

impl<const MAX: usize, const MIN: usize, const SECRET: bool> Type for Text<MAX, MIN, SECRET> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        string_schema(MAX, MIN, SECRET.then_some("password"))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl<const MAX: usize, const MIN: usize, const SECRET: bool> ParseFromJSON
    for Text<MAX, MIN, SECRET>
{
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        Ok(Text(string(value)))
    }
}

impl<const MAX: usize, const MIN: usize, const SECRET: bool> ToJSON for Text<MAX, MIN, SECRET> {
    fn to_json(&self) -> Option<Value> {
        self.0.as_ref().ok().map(|s| Value::String(s.clone()))
    }
}

impl Flag {
    /// The value, or the mistake.
    pub(crate) fn get(&self) -> Result<bool, Mistake> {
        self.0
    }
}

impl Type for Flag {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "boolean".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("boolean")))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for Flag {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        Ok(Flag(match value {
            None | Some(Value::Null) => Err(Mistake::Missing),
            Some(Value::Bool(b)) => Ok(b),
            Some(_) => Err(Mistake::NotBoolean),
        }))
    }
}

impl ToJSON for Flag {
    fn to_json(&self) -> Option<Value> {
        self.0.ok().map(Value::Bool)
    }
}

impl DateText {
    /// The text, or the mistake.
    pub(crate) fn get(&self) -> Result<&str, Mistake> {
        self.0.as_deref().map_err(|m| *m)
    }
}

impl Type for DateText {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string(date)".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        string_schema(10, 0, Some("date"))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromJSON for DateText {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        Ok(DateText(string(value)))
    }
}

impl ToJSON for DateText {
    fn to_json(&self) -> Option<Value> {
        self.0.as_ref().ok().map(|s| Value::String(s.clone()))
    }
}

/// The fields of one request body that were of the wrong JSON type or missing.
#[derive(Debug, Default)]
pub(crate) struct Mistakes(Vec<(&'static str, Mistake)>);

impl Mistakes {
    /// The text of required field `field` ("" when it is wrong, which is then recorded).
    pub(crate) fn text<const MAX: usize, const MIN: usize, const SECRET: bool>(
        &mut self,
        field: &'static str,
        value: &Text<MAX, MIN, SECRET>,
    ) -> String {
        value.get().map(str::to_owned).unwrap_or_else(|m| {
            self.0.push((field, m));
            String::new()
        })
    }

    /// The text of optional field `field` (`None` when absent or wrong).
    pub(crate) fn optional<const MAX: usize, const MIN: usize, const SECRET: bool>(
        &mut self,
        field: &'static str,
        value: Option<&Text<MAX, MIN, SECRET>>,
    ) -> Option<String> {
        value.map(|v| self.text(field, v))
    }

    /// The date text of optional field `field` (`None` when absent or wrong).
    pub(crate) fn date(&mut self, field: &'static str, value: Option<&DateText>) -> Option<String> {
        match value?.get() {
            Ok(s) => Some(s.to_owned()),
            Err(m) => {
                self.0.push((field, m));
                None
            }
        }
    }

    /// The value of boolean field `field` (`false` when wrong, which is then recorded).
    pub(crate) fn flag(&mut self, field: &'static str, value: &Flag) -> bool {
        value.get().unwrap_or_else(|m| {
            self.0.push((field, m));
            false
        })
    }

    /// 400, naming every field of the wrong type or missing, in the request's language;
    /// `Ok` when there was none.
    pub(crate) fn check(self, tr: &Translator) -> Result<(), ApiError> {
        let fields: Vec<FieldProblem> = self
            .0
            .into_iter()
            .map(|(field, m)| FieldProblem {
                field: field.to_owned(),
                message: tr.t_with(
                    match m {
                        Mistake::Missing => "api-field-missing",
                        Mistake::NotString => "api-field-type-string",
                        Mistake::NotBoolean => "api-field-type-boolean",
                    },
                    (("field", field),),
                ),
            })
            .collect();
        let Some(first) = fields.first() else {
            return Ok(());
        };
        let mut error = ApiError::with_message(
            StatusCode::BAD_REQUEST,
            "bad_request",
            first.message.clone(),
            Some(&first.field.clone()),
        );
        if let ApiError::BadRequest(body) = &mut error {
            body.0.error.fields = Some(fields);
        }
        Err(error)
    }
}
