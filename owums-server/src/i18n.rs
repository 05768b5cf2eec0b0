//! Languages: Fluent messages embedded at compile time (poem's `i18n`), and which language a
//! request gets.
//!
//! Messages live in `owums-server/locales/<locale>/<area>.ftl`; `AREAS` lists the areas, so
//! a new one (say `api.ftl`) is one line. The choice of language, highest first:
//! `?locale=`, the choice stored in the session (or the user's), `Accept-Language`, the
//! configured default ([`choose`]).

use std::collections::HashMap;
use std::sync::Arc;

use poem::i18n::unic_langid::LanguageIdentifier;
use poem::i18n::{I18NArgs, I18NBundle, I18NResources};

/// Supported locales.
pub const LOCALES: &[&str] = &["en", "it", "es"];

macro_rules! area {
    ($name:literal) => {
        [
            ("en", include_str!(concat!("../locales/en/", $name, ".ftl"))),
            ("it", include_str!(concat!("../locales/it/", $name, ".ftl"))),
            ("es", include_str!(concat!("../locales/es/", $name, ".ftl"))),
        ]
    };
}

/// Every Fluent file, one area a line.
const AREAS: &[[(&str, &str); 3]] = &[
    area!("common"),
    area!("pages"),
    area!("api"),
    area!("console"),
    area!("portal"),
];

/// The supported locale `code` names, if any (`"it"`, `"IT"`, `"it-CH"` → `"it"`).
pub fn supported(code: &str) -> Option<&'static str> {
    let primary = code.trim().split(['-', '_']).next().unwrap_or_default();
    LOCALES
        .iter()
        .copied()
        .find(|l| l.eq_ignore_ascii_case(primary))
}

/// The best supported language of an `Accept-Language` header (by quality, then order).
pub fn from_accept_language(header: &str) -> Option<&'static str> {
    let mut best: Option<(&'static str, u16, usize)> = None;
    for (i, part) in header.split(',').enumerate() {
        let mut pieces = part.split(';');
        let Some(lang) = pieces.next().and_then(supported) else {
            continue;
        };
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1000), |q| {
                q.trim()
                    .parse::<f32>()
                    .ok()
                    .map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
            });
        let Some(q) = q else { continue };
        if q == 0 {
            continue;
        }
        if best.is_none_or(|(_, bq, bi)| q > bq || (q == bq && i < bi)) {
            best = Some((lang, q, i));
        }
    }
    best.map(|(l, _, _)| l)
}

/// The language of a request: `?locale=`, then the stored choice, then `Accept-Language`,
/// then `default` (then English). Unsupported or empty values are skipped.
pub fn choose(
    query: Option<&str>,
    stored: Option<&str>,
    accept_language: Option<&str>,
    default: &str,
) -> &'static str {
    query
        .and_then(supported)
        .or_else(|| stored.and_then(supported))
        .or_else(|| accept_language.and_then(from_accept_language))
        .or_else(|| supported(default))
        .unwrap_or("en")
}

/// The `locale` query parameter of a request, if present.
pub fn query_locale(req: &poem::Request) -> Option<String> {
    let query = req.uri().query()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "locale" && !v.is_empty()).then(|| v.to_owned())
    })
}

/// The messages of every supported locale; cheap to clone.
#[derive(Clone)]
pub struct I18n {
    bundles: Arc<HashMap<&'static str, Arc<I18NBundle>>>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I18n").field("locales", &LOCALES).finish()
    }
}

/// Page strings of plugins: `(plugin id, [(locale, Fluent text)])`, as
/// [`PluginRegistry::messages`](owums_core::PluginRegistry::messages) lists them.
pub type PluginMessages = [(&'static str, &'static [(&'static str, &'static str)])];

impl I18n {
    /// Parses the embedded messages; English fills in anything a locale lacks.
    pub fn new() -> anyhow::Result<I18n> {
        Self::with_plugins(&[])
    }

    /// The embedded messages plus the page strings of `plugins`. Every plugin message id
    /// must start with `<plugin id>-` and must not be one of the host's: otherwise this
    /// fails, naming the plugin and the id (a startup error, so that a plugin can neither
    /// replace a host text nor another plugin's).
    pub fn with_plugins(plugins: &PluginMessages) -> anyhow::Result<I18n> {
        let mut builder = I18NResources::builder();
        let mut taken = std::collections::BTreeSet::new();
        for area in AREAS {
            for (lang, ftl) in area {
                taken.extend(message_ids(ftl));
                builder = builder.add_ftl(*lang, *ftl);
            }
        }
        for (plugin, files) in plugins {
            let prefix = format!("{plugin}-");
            let mut own = std::collections::BTreeSet::new();
            for (lang, ftl) in *files {
                if supported(lang) != Some(*lang) {
                    anyhow::bail!(
                        "plugin `{plugin}` has page strings for `{lang}`, which is not one of {LOCALES:?}"
                    );
                }
                for id in message_ids(ftl) {
                    if !id.starts_with(&prefix) {
                        anyhow::bail!(
                            "plugin `{plugin}`: page string `{id}` must start with `{prefix}`"
                        );
                    }
                    if taken.contains(&id) {
                        anyhow::bail!(
                            "plugin `{plugin}`: page string `{id}` is already defined by the host or another plugin"
                        );
                    }
                    own.insert(id);
                }
                builder = builder.add_ftl(*lang, *ftl);
            }
            taken.extend(own);
        }
        let resources = builder
            .default_language(lang_id("en")?)
            .build()
            .map_err(|e| anyhow::anyhow!("embedded messages: {e}"))?;
        let mut bundles = HashMap::new();
        for lang in LOCALES {
            let bundle = resources.negotiate_languages(&[lang_id(lang)?]);
            bundles.insert(*lang, Arc::new(bundle));
        }
        Ok(I18n {
            bundles: Arc::new(bundles),
        })
    }

    /// The messages of `lang` (a supported locale; anything else gets English).
    pub fn translator(&self, lang: &str) -> Translator {
        let lang = supported(lang).unwrap_or("en");
        let bundle = self
            .bundles
            .get(lang)
            .or_else(|| self.bundles.get("en"))
            .cloned();
        Translator { lang, bundle }
    }
}

/// The message ids a Fluent text defines (`id = …` lines).
fn message_ids(ftl: &str) -> impl Iterator<Item = String> + '_ {
    ftl.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned()))
}

fn lang_id(code: &str) -> anyhow::Result<LanguageIdentifier> {
    code.parse()
        .map_err(|e| anyhow::anyhow!("language `{code}`: {e}"))
}

/// The messages of one language.
#[derive(Clone)]
pub struct Translator {
    lang: &'static str,
    bundle: Option<Arc<I18NBundle>>,
}

impl std::fmt::Debug for Translator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Translator")
            .field("lang", &self.lang)
            .finish()
    }
}

impl Translator {
    /// The locale code (`en`, `it`, `es`), as for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.lang
    }

    /// Whether message `id` exists (in this language or the English fallback).
    pub fn has(&self, id: &str) -> bool {
        self.bundle.as_ref().is_some_and(|b| {
            !matches!(
                b.text(id),
                Err(poem::error::I18NError::FluentMessageNotFound { .. })
            )
        })
    }

    /// Message `id`; a missing message shows its id (and logs a warning).
    pub fn t(&self, id: &str) -> String {
        self.t_with(id, I18NArgs::default())
    }

    /// Message `id` with arguments. Fluent's bidi isolation marks are removed: the pages
    /// are all left-to-right.
    pub fn t_with<'a>(&self, id: &str, args: impl Into<I18NArgs<'a>>) -> String {
        let text = self
            .bundle
            .as_ref()
            .map(|b| b.text_with_args(id, args.into()));
        match text {
            Some(Ok(s)) => s.replace(['\u{2068}', '\u{2069}'], ""),
            Some(Err(e)) => {
                tracing::warn!(id, lang = self.lang, error = %e, "missing message");
                id.to_owned()
            }
            None => id.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeSet;

    use super::*;

    fn ids(ftl: &str) -> BTreeSet<String> {
        ftl.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned()))
            .collect()
    }

    #[test]
    fn every_locale_has_every_message() {
        for area in AREAS {
            let en = ids(area[0].1);
            assert!(!en.is_empty());
            for (lang, ftl) in &area[1..] {
                let other = ids(ftl);
                let missing: Vec<_> = en.difference(&other).collect();
                let extra: Vec<_> = other.difference(&en).collect();
                assert!(missing.is_empty(), "{lang} lacks {missing:?}");
                assert!(extra.is_empty(), "{lang} has unknown {extra:?}");
            }
        }
    }

    #[test]
    fn messages_parse_and_translate() {
        let i18n = I18n::new().unwrap();
        let it = i18n.translator("it");
        assert_eq!(it.lang(), "it");
        assert_ne!(it.t("nav-login"), i18n.translator("en").t("nav-login"));
        assert_eq!(i18n.translator("de").lang(), "en");
        assert_eq!(it.t("no-such-message"), "no-such-message");
    }

    #[test]
    fn plugin_strings_join_the_bundles() {
        const FILES: &[(&str, &str)] = &[
            ("en", "demo-hello = Hello\n"),
            ("it", "demo-hello = Ciao\n"),
        ];
        let i18n = I18n::with_plugins(&[("demo", FILES)]).unwrap();
        assert_eq!(i18n.translator("it").t("demo-hello"), "Ciao");
        assert_eq!(i18n.translator("es").t("demo-hello"), "Hello");
        assert_eq!(
            i18n.translator("it").t("nav-login"),
            I18n::new().unwrap().translator("it").t("nav-login")
        );
    }

    #[test]
    fn plugin_strings_are_refused_without_prefix_or_on_collision() {
        const BARE: &[(&str, &str)] = &[("en", "hello = Hello\n")];
        let e = I18n::with_plugins(&[("demo", BARE)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("`hello` must start with `demo-`"), "{e}");
        const HOST: &[(&str, &str)] = &[("en", "nav-login = Mine\n")];
        let e = I18n::with_plugins(&[("nav", HOST)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("`nav-login` is already defined"), "{e}");
        const FR: &[(&str, &str)] = &[("fr", "demo-x = X\n")];
        assert!(I18n::with_plugins(&[("demo", FR)]).is_err());
    }

    #[test]
    fn choice_precedence() {
        assert_eq!(choose(Some("es"), Some("it"), Some("en"), "en"), "es");
        assert_eq!(choose(Some(""), Some("it"), Some("es"), "en"), "it");
        assert_eq!(choose(Some("xx"), None, Some("es-ES,en;q=0.5"), "it"), "es");
        assert_eq!(choose(None, Some("fr"), None, "it"), "it");
        assert_eq!(choose(None, None, None, "de"), "en");
    }

    #[test]
    fn accept_language_quality() {
        assert_eq!(from_accept_language("en;q=0.4, it;q=0.9"), Some("it"));
        assert_eq!(from_accept_language("fr, es;q=0.1"), Some("es"));
        assert_eq!(from_accept_language("it;q=0, en"), Some("en"));
        assert_eq!(from_accept_language("fr, de"), None);
        assert_eq!(from_accept_language(";;,q=,"), None);
    }
}
