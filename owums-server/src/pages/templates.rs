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
    "reset_phone.html",
    "reset_phone_wait.html",
    "reset_phone_password.html",
    "portal/login.html",
    "portal/status.html",
    "portal/go.html",
    "console/base.html",
    "console/message.html",
    "console/login.html",
    "console/code.html",
    "console/home.html",
    "console/setup.html",
    "console/totp.html",
    "console/recovery_codes.html",
    "console/operators.html",
    "console/operator.html",
    "console/password_shown.html",
    "console/password.html",
    "console/audit.html",
    "console/items.html",
    "console/groups.html",
    "console/group.html",
    "console/group_delete.html",
    "console/user_radius.html",
    "console/settings.html",
    "console/setting.html",
    "console/vouchers.html",
    "console/user_import.html",
    "console/user_import_report.html",
    "console/voucher_sheet.html",
    "console/voucher_batch.html",
    "console/users.html",
    "console/users_find.html",
    "console/user.html",
    "console/user_edit.html",
    "console/user_password.html",
    "console/user_confirm.html",
    "console/user_new.html",
    "console/ticket.html",
    "console/tokens.html",
    "console/token_shown.html",
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

    /// Message ids used as `t("…")` / `t('…')` in `text`.
    fn used_ids(text: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for quote in ['"', '\''] {
            let open = format!("t({quote}");
            let mut rest = text;
            while let Some(i) = rest.find(&open) {
                rest = &rest[i + open.len()..];
                if let Some(end) = rest.find(quote) {
                    ids.push(rest[..end].to_owned());
                }
            }
        }
        ids
    }

    /// String literals in Rust `text` that look like message ids (`"verify-expired"`).
    fn literal_ids(text: &str) -> Vec<String> {
        const PREFIXES: &[&str] = &[
            "account", "chart", "col", "console", "doc", "err", "error", "field", "form", "hint",
            "home", "login", "logout", "method", "nav", "pager", "reset", "session", "signup",
            "status", "verify",
        ];
        text.split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| {
                s.split_once('-').is_some_and(|(p, rest)| {
                    PREFIXES.contains(&p)
                        && !rest.is_empty()
                        && !rest.ends_with('-')
                        && s.chars()
                            .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
                })
            })
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_message_used_exists() {
        let i18n = crate::i18n::I18n::new().unwrap();
        let sources = [
            include_str!("account.rs"),
            include_str!("context.rs"),
            include_str!("home.rs"),
            include_str!("login.rs"),
            include_str!("phone_reset.rs"),
            include_str!("reset.rs"),
            include_str!("signup.rs"),
            include_str!("verification.rs"),
            include_str!("console/mod.rs"),
            include_str!("console/home.rs"),
            include_str!("console/login.rs"),
            include_str!("console/setup.rs"),
            include_str!("console/totp.rs"),
            include_str!("console/operators.rs"),
            include_str!("console/audit.rs"),
            include_str!("console/user_new.rs"),
            include_str!("console/ticket.rs"),
        ];
        let mut ids: Vec<String> = TEMPLATES.iter().flat_map(|(_, s)| used_ids(s)).collect();
        ids.extend(sources.iter().flat_map(|s| literal_ids(s)));
        assert!(ids.len() > 100, "{ids:?}");
        {
            for id in ids {
                for lang in crate::i18n::LOCALES {
                    assert!(i18n.translator(lang).has(&id), "{lang} lacks {id}");
                }
            }
        }
    }

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
        assert!(html.contains("&lt;b&gt;x&lt;") && !html.contains("<b>x"));
        assert!(html.contains("a &amp; b"));
        assert!(html.contains("Iniciar sesión"));
    }
}
