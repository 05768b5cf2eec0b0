//! The subscriber e-mails' default texts per locale and how placeholders are filled in.
//! Operators override any text with the runtime setting of the same name
//! (`new_account_email_body_it`, …).
//!
//! Mails are plain text. A template is text with placeholders in braces, filled in one pass
//! by [`render`]; the names are those of [`MailVars`]. An unknown placeholder stays as
//! typed, so a mistake in an operator's text shows in the mail rather than failing it.
//!
//! ```
//! use owums_core::mail::{MailVars, render};
//! let vars = MailVars {
//!     first_name: "Anna".into(),
//!     username: "anna".into(),
//!     account_url: "https://wifi.example/account".into(),
//!     ..MailVars::default()
//! };
//! assert_eq!(
//!     render("Hi {first_name} {last_name}, log in as {username}: {account_url}", &vars),
//!     "Hi Anna, log in as anna: https://wifi.example/account",
//! );
//! ```

use crate::error::Result;
use crate::settings::Settings;
use crate::storage::NewMail;
use crate::subscriber::user::UserRecord;

/// Locales every mail exists in; the first is the fallback. The pages speak the same three
/// languages.
pub const MAIL_LOCALES: [&str; 3] = ["en", "it", "es"];

/// The mail locale for a user's or a page's locale (`it`, `it-IT`, `IT_it`), `en` otherwise.
///
/// ```
/// use owums_core::mail::mail_locale;
/// assert_eq!(mail_locale("it-IT"), "it");
/// assert_eq!(mail_locale("de"), "en"); // no German texts: English
/// ```
pub fn mail_locale(locale: &str) -> &'static str {
    let lang = locale
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    MAIL_LOCALES
        .into_iter()
        .find(|l| *l == lang)
        .unwrap_or(MAIL_LOCALES[0])
}

/// Which mail: each kind has a subject and a body per language, stored as runtime
/// settings named `<kind>_email_subject_<locale>` and `<kind>_email_body_<locale>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// Sent once, when a subscriber is verified for the first time.
    NewAccount,
    /// Carries a password-reset link.
    PasswordReset,
}

impl MailKind {
    fn prefix(self) -> &'static str {
        match self {
            MailKind::NewAccount => "new_account_email",
            MailKind::PasswordReset => "password_reset_email",
        }
    }

    /// The setting holding the subject in `locale` (one of [`MAIL_LOCALES`]; any other
    /// locale is mapped by [`mail_locale`]).
    ///
    /// ```
    /// use owums_core::mail::MailKind;
    /// assert_eq!(MailKind::PasswordReset.subject_key("es-ES"), "password_reset_email_subject_es");
    /// ```
    pub fn subject_key(self, locale: &str) -> String {
        format!("{}_subject_{}", self.prefix(), mail_locale(locale))
    }

    /// The setting holding the body in `locale` (one of [`MAIL_LOCALES`]; any other locale
    /// is mapped by [`mail_locale`]).
    pub fn body_key(self, locale: &str) -> String {
        format!("{}_body_{}", self.prefix(), mail_locale(locale))
    }
}

/// Values for the placeholders `{first_name}`, `{last_name}`, `{username}`,
/// `{account_url}` and `{password_reset_url}`.
///
/// [`compose`] fills it from the subscriber and the `notifier_base_url` setting; build one
/// by hand to preview an operator's template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailVars {
    /// `{first_name}`: the subscriber's given name (may be empty).
    pub first_name: String,
    /// `{last_name}`: the subscriber's surname (may be empty).
    pub last_name: String,
    /// `{username}`: what the subscriber logs in with, on the pages and on the Wi-Fi.
    pub username: String,
    /// `{account_url}`: `<notifier_base_url>/account`.
    pub account_url: String,
    /// `{password_reset_url}`: `<notifier_base_url>/account/reset`, plus `/<token>` in a
    /// reset mail.
    pub password_reset_url: String,
}

impl MailVars {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "first_name" => &self.first_name,
            "last_name" => &self.last_name,
            "username" => &self.username,
            "account_url" => &self.account_url,
            "password_reset_url" => &self.password_reset_url,
            _ => return None,
        })
    }
}

/// Fills the placeholders of `template` in one pass (values are never scanned again, so a
/// name containing `{username}` stays as typed). Unknown `{…}` stay as they are. An empty
/// value takes one neighbouring space with it, so "Hi {first_name} {last_name}," reads
/// "Hi," when both names are empty.
pub fn render(template: &str, vars: &MailVars) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after
            .find('}')
            .and_then(|close| vars.get(&after[..close]).map(|v| (v, close)));
        match value {
            Some((v, close)) => {
                rest = &after[close + 1..];
                if v.is_empty() {
                    if let Some(r) = rest.strip_prefix(' ') {
                        rest = r;
                    } else if out.ends_with(' ') {
                        out.pop();
                    }
                } else {
                    out.push_str(v);
                }
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `notifier_base_url` without a trailing slash, `https://` added when it has no scheme
/// (OWUMS kept the protocol apart).
fn base_url(setting: &str) -> String {
    let trimmed = setting.trim().trim_end_matches('/');
    if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    }
}

/// The `kind` mail for `user` in `locale`, from the runtime settings; `None` when the user
/// has no e-mail address. `reset_token` goes at the end of `{password_reset_url}`.
///
/// The result is not queued: the caller inserts it in the transaction of the change that
/// causes it.
///
/// # Errors
///
/// [`Error::Storage`](crate::Error::Storage) when the settings cannot be read.
pub async fn compose(
    settings: &Settings,
    kind: MailKind,
    user: &UserRecord,
    locale: &str,
    reset_token: Option<&str>,
) -> Result<Option<NewMail>> {
    let Some(recipient) = user.email.clone() else {
        return Ok(None);
    };
    let base = base_url(&settings.get(crate::mail::NOTIFIER_BASE_URL).await?);
    let mut password_reset_url = format!("{base}/account/reset");
    if let Some(token) = reset_token {
        password_reset_url = format!("{password_reset_url}/{token}");
    }
    let vars = MailVars {
        first_name: user.given_name.clone(),
        last_name: user.surname.clone(),
        username: user.username.as_str().to_owned(),
        account_url: format!("{base}/account"),
        password_reset_url,
    };
    let subject = settings.text(&kind.subject_key(locale)).await?;
    let body = settings.text(&kind.body_key(locale)).await?;
    Ok(Some(NewMail {
        recipient,
        subject: render(&subject, &vars),
        body: render(&body, &vars),
    }))
}

/// Default subject of the new-account mail, English.
pub const NEW_ACCOUNT_SUBJECT_EN: &str = "Your new wifi account";
/// Default subject of the new-account mail, Italian.
pub const NEW_ACCOUNT_SUBJECT_IT: &str = "Il tuo nuovo account wifi";
/// Default subject of the new-account mail, Spanish.
pub const NEW_ACCOUNT_SUBJECT_ES: &str = "Tu nueva cuenta wifi";

/// Default body of the new-account mail, English.
pub const NEW_ACCOUNT_BODY_EN: &str = "Hi {first_name} {last_name},

your wifi account has been created and verified.

You can now connect to the wifi network with the username \"{username}\" and the password you chose when you signed up.

Your account page shows how much you have used the service:
{account_url}

If you ever forget your password, you can choose a new one here:
{password_reset_url}

Best regards,
the staff
";

/// Default body of the new-account mail, Italian.
pub const NEW_ACCOUNT_BODY_IT: &str = "Ciao {first_name} {last_name},

il tuo account per l'accesso wifi è stato creato e verificato.

Da ora puoi collegarti alla rete wifi con il nome utente \"{username}\" e la password che hai scelto al momento della registrazione.

Nella pagina del tuo account puoi controllare quanto hai usato il servizio:
{account_url}

Se dimentichi la password, puoi sceglierne una nuova qui:
{password_reset_url}

Cordiali saluti,
lo staff
";

/// Default body of the new-account mail, Spanish.
pub const NEW_ACCOUNT_BODY_ES: &str = "Hola {first_name} {last_name}:

tu cuenta de acceso wifi ha sido creada y verificada.

Ya puedes conectarte a la red wifi con el nombre de usuario «{username}» y la contraseña que elegiste al registrarte.

En la página de tu cuenta puedes consultar cuánto has usado el servicio:
{account_url}

Si alguna vez olvidas tu contraseña, puedes elegir una nueva aquí:
{password_reset_url}

Saludos cordiales,
el equipo
";

/// Default subject of the password-reset mail, English.
pub const PASSWORD_RESET_SUBJECT_EN: &str = "Reset your wifi password";
/// Default subject of the password-reset mail, Italian.
pub const PASSWORD_RESET_SUBJECT_IT: &str = "Reimposta la password del wifi";
/// Default subject of the password-reset mail, Spanish.
pub const PASSWORD_RESET_SUBJECT_ES: &str = "Restablece tu contraseña del wifi";

/// Default body of the password-reset mail, English.
pub const PASSWORD_RESET_BODY_EN: &str = "Hi {first_name} {last_name},

someone asked to reset the password of the wifi account \"{username}\". If it was you, open this link within 10 minutes and choose a new password:

{password_reset_url}

If the link does not open, copy it into the address bar of your browser.

If you did not ask for this, ignore this message: your password stays as it is.

Best regards,
the staff
";

/// Default body of the password-reset mail, Italian.
pub const PASSWORD_RESET_BODY_IT: &str = "Ciao {first_name} {last_name},

è stato chiesto di reimpostare la password dell'account wifi \"{username}\". Se sei stato tu, apri questo link entro 10 minuti e scegli una nuova password:

{password_reset_url}

Se il link non si apre, copialo nella barra degli indirizzi del browser.

Se non l'hai chiesto tu, ignora questo messaggio: la tua password resta quella di prima.

Cordiali saluti,
lo staff
";

/// Default body of the password-reset mail, Spanish.
pub const PASSWORD_RESET_BODY_ES: &str = "Hola {first_name} {last_name}:

alguien ha pedido restablecer la contraseña de la cuenta wifi «{username}». Si has sido tú, abre este enlace en los próximos 10 minutos y elige una contraseña nueva:

{password_reset_url}

Si el enlace no se abre, cópialo en la barra de direcciones de tu navegador.

Si no lo has pedido tú, ignora este mensaje: tu contraseña seguirá siendo la misma.

Saludos cordiales,
el equipo
";

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> MailVars {
        MailVars {
            first_name: "Anna".into(),
            last_name: "Bianchi".into(),
            username: "anna".into(),
            account_url: "https://wifi.example/account".into(),
            password_reset_url: "https://wifi.example/account/reset/abc".into(),
        }
    }

    #[test]
    fn render_fills_known_placeholders_once() {
        let mut v = vars();
        v.first_name = "{username}".into();
        assert_eq!(
            render("Hi {first_name}, {username} {unknown} {", &v),
            "Hi {username}, anna {unknown} {"
        );
        assert_eq!(
            render("{password_reset_url}", &v),
            "https://wifi.example/account/reset/abc"
        );
    }

    #[test]
    fn render_drops_the_space_of_empty_names() {
        let v = MailVars::default();
        assert_eq!(render("Hi {first_name} {last_name},\n", &v), "Hi,\n");
        assert_eq!(render("Hola {first_name} {last_name}:", &v), "Hola:");
    }

    #[test]
    fn every_default_uses_only_known_placeholders() {
        for text in [
            NEW_ACCOUNT_BODY_EN,
            NEW_ACCOUNT_BODY_IT,
            NEW_ACCOUNT_BODY_ES,
            PASSWORD_RESET_BODY_EN,
            PASSWORD_RESET_BODY_IT,
            PASSWORD_RESET_BODY_ES,
        ] {
            let out = render(text, &vars());
            assert!(!out.contains('{'), "{out}");
            assert!(out.contains("https://wifi.example/account"));
        }
    }

    #[test]
    fn locales_fall_back_to_english() {
        assert_eq!(mail_locale("it-IT"), "it");
        assert_eq!(mail_locale("ES"), "es");
        assert_eq!(mail_locale("de"), "en");
        assert_eq!(mail_locale(""), "en");
        assert_eq!(
            MailKind::PasswordReset.body_key("fur"),
            "password_reset_email_body_en"
        );
    }

    #[test]
    fn base_url_gets_a_scheme() {
        assert_eq!(base_url("wifi.example/"), "https://wifi.example");
        assert_eq!(base_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
