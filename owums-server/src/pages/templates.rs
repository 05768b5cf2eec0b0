//! The page templates (minijinja), embedded in the binary; HTML is escaped automatically.

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, context};
use poem::i18n::I18NArgs;

use crate::i18n::Translator;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = templates!(
    "base.html",
    "macros.html",
    "home.html",
    "message.html",
    "document.html",
    "login.html",
    "logout.html",
    "signup.html",
    "verification.html",
    "account.html",
    "reset_request.html",
    "reset_form.html",
);

/// Names of the languages, each in itself.
const LANGUAGE_NAMES: &[(&str, &str)] = &[("en", "English"), ("it", "Italiano"), ("es", "Español")];

/// The parsed templates.
#[derive(Debug)]
pub(crate) struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Parses the embedded templates.
    pub(crate) fn new() -> Result<Templates, minijinja::Error> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        let locales: Vec<Value> = LANGUAGE_NAMES
            .iter()
            .map(|&(code, name)| context! { code, name })
            .collect();
        env.add_global("locales", Value::from(locales));
        Ok(Templates { env })
    }

    /// Renders `name` with `values`, plus `t(...)` and `lang` of `tr`.
    pub(crate) fn render(
        &self,
        name: &str,
        tr: &Translator,
        values: Value,
    ) -> Result<String, minijinja::Error> {
        let ctx = context! { t => translate_fn(tr.clone()), lang => tr.lang(), ..values };
        self.env.get_template(name)?.render(ctx)
    }
}

/// Field errors (or any text map) as a template value.
pub(crate) fn map(m: &std::collections::BTreeMap<&'static str, String>) -> Value {
    Value::from_pairs(m.iter().map(|(k, v)| (*k, v.clone())))
}

/// `t("id", name=value, …)` in templates.
fn translate_fn(tr: Translator) -> Value {
    Value::from_function(move |id: &str, kwargs: Kwargs| -> String {
        let mut args = I18NArgs::default();
        for key in kwargs.args() {
            let value: Value = kwargs.get(key).unwrap_or_default();
            args = match value.as_i64() {
                Some(n) => args.set(key.to_owned(), n),
                None => args.set(key.to_owned(), value.to_string()),
            };
        }
        tr.t_with(id, args)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn templates_parse_and_escape() {
        let t = Templates::new().unwrap();
        let i18n = crate::i18n::I18n::new().unwrap();
        let html = t
            .render(
                "message.html",
                &i18n.translator("es"),
                context! { title => "<b>x</b>", message => "a & b", csrf => "c" },
            )
            .unwrap();
        assert!(html.contains(r#"<html lang="es">"#), "{html}");
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(html.contains("a &amp; b"));
        assert!(html.contains("Iniciar sesión"));
    }
}
