#![allow(clippy::result_large_err)]

use super::*;
use figment::Jail;

fn paths() -> ConfigPaths {
    ConfigPaths::default()
}

#[test]
fn defaults_serve_a_first_run() {
    Jail::expect_with(|_| {
        let c = load(&paths()).unwrap();
        assert_eq!(c.database.url, "sqlite://owums.db");
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(c.radius.password_format, PasswordFormat::Crypt);
        Ok(())
    });
}

#[test]
fn layers_file_then_plugins_then_env() {
    Jail::expect_with(|jail| {
        jail.create_file("owums.toml", "[database]\nurl = \"sqlite://a.db\"\npool_size = 3\n[server]\nlisten = \"127.0.0.1:1\"\n")?;
        jail.create_file(
            "plugins.toml",
            "[plugins.sip]\nenabled = true\nring_seconds = 8\n",
        )?;
        jail.set_env("OWUMS_DATABASE__URL", "sqlite://b.db");
        jail.set_env("OWUMS_TEST_POSTGRES_URL", "not configuration");
        let c = load(&paths()).unwrap();
        assert_eq!(c.database.url, "sqlite://b.db");
        assert_eq!(c.database.pool_size, 3);
        assert_eq!(c.server.listen, "127.0.0.1:1");
        let sip = c.plugins.get("sip").unwrap();
        assert!(sip.enabled && sip.required);
        assert_eq!(sip.settings["ring_seconds"], 8);
        assert!(unknown_env_vars().contains(&"OWUMS_TEST_POSTGRES_URL".to_owned()));
        Ok(())
    });
}

#[test]
fn unknown_key_names_file_and_key() {
    Jail::expect_with(|jail| {
        jail.create_file("owums.toml", "[database]\nurll = \"x\"\n")?;
        let e = load(&paths()).unwrap_err().to_string();
        assert!(e.contains("urll") && e.contains("owums.toml"), "{e}");
        assert!(!e.contains('\n'));
        Ok(())
    });
}

#[test]
fn plugins_file_holds_only_plugins() {
    Jail::expect_with(|jail| {
        jail.create_file("plugins.toml", "[database]\nurl = \"sqlite://x.db\"\n")?;
        let e = load(&paths()).unwrap_err().to_string();
        assert!(e.contains("database") && e.contains("plugins.toml"), "{e}");
        Ok(())
    });
}

#[test]
fn unknown_env_key_in_a_section_is_an_error() {
    Jail::expect_with(|jail| {
        jail.set_env("OWUMS_DATABASE__URLL", "sqlite://x.db");
        let e = load(&paths()).unwrap_err().to_string();
        assert!(e.contains("urll"), "{e}");
        Ok(())
    });
}

#[test]
fn secret_from_file() {
    Jail::expect_with(|jail| {
        jail.create_file("db_url", "postgres://owums:hunter2@db/owums\n")?;
        jail.set_env("OWUMS_DATABASE__URL_FILE", "db_url");
        let c = load(&paths()).unwrap();
        assert_eq!(c.database.url, "postgres://owums:hunter2@db/owums");
        let shown = c.to_redacted_toml().unwrap();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("postgres://owums:********@db/owums"),
            "{shown}"
        );
        Ok(())
    });
}

#[test]
fn plugin_secrets_are_redacted() {
    Jail::expect_with(|jail| {
        jail.create_file("plugins.toml", "[plugins.gestpay]\nshop_secret = \"abc\"\n")?;
        let c = load(&paths()).unwrap();
        let shown = c.to_redacted_toml().unwrap();
        assert!(!shown.contains("abc"), "{shown}");
        Ok(())
    });
}

#[test]
fn bad_values_are_clear_errors() {
    Jail::expect_with(|jail| {
        jail.set_env("OWUMS_DATABASE__URL", "oracle://x");
        assert!(
            load(&paths())
                .unwrap_err()
                .to_string()
                .contains("oracle://x")
        );
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("OWUMS_RADIUS__PASSWORD_FORMAT", "md5");
        assert!(load(&paths()).unwrap_err().to_string().contains("md5"));
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("OWUMS_SERVER__LISTEN", "nowhere");
        assert!(load(&paths()).unwrap_err().to_string().contains("nowhere"));
        Ok(())
    });
}

#[test]
fn display_time_zone_is_an_iana_name() {
    Jail::expect_with(|jail| {
        jail.create_file("owums.toml", "[web]\ntime_zone = \"Europe/Roma\"\n")?;
        let e = load(&paths()).unwrap_err().to_string();
        assert!(
            e.contains("web.time_zone `Europe/Roma` is not an IANA time zone name"),
            "{e}"
        );
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("OWUMS_WEB__TIME_ZONE", "Europe/Rome");
        let c = load(&paths()).unwrap();
        assert_eq!(c.web.display_time_zone().unwrap(), chrono_tz::Europe::Rome);
        Ok(())
    });
    assert_eq!(
        Config::default().web.display_time_zone().unwrap(),
        chrono_tz::UTC
    );
}

#[test]
fn trusted_proxies_are_addresses_or_cidr_networks() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "owums.toml",
            "[web]\ntrusted_proxies = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n",
        )?;
        let e = load(&paths()).unwrap_err().to_string();
        assert!(
            e.contains("web.trusted_proxies: `10.0.0.0/33` is not an address or a CIDR network"),
            "{e}"
        );
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.create_file(
            "owums.toml",
            "[web]\ntrusted_proxies = [\"10.1.2.3/8\", \"::1/128\", \"192.0.2.7\"]\n",
        )?;
        let nets = load(&paths()).unwrap().web.trusted_networks().unwrap();
        let shown: Vec<String> = nets.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "::1/128", "192.0.2.7/32"]);
        Ok(())
    });
}

#[test]
fn explicit_missing_file_is_an_error() {
    Jail::expect_with(|_| {
        let p = ConfigPaths {
            config: "missing.toml".into(),
            plugins: "plugins.toml".into(),
            required: true,
            plugins_required: false,
        };
        assert!(load(&p).unwrap_err().to_string().contains("missing.toml"));
        Ok(())
    });
}

#[test]
fn explicit_missing_plugins_file_is_an_error_the_default_one_is_optional() {
    Jail::expect_with(|_| {
        let p = ConfigPaths {
            plugins: "missing-plugins.toml".into(),
            plugins_required: true,
            ..ConfigPaths::default()
        };
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.contains("plugins file `missing-plugins.toml` does not exist"),
            "{e}"
        );
        assert!(load(&paths()).is_ok(), "no ./plugins.toml: nothing enabled");
        Ok(())
    });
}

/// `owums.example.toml` lists every key with its default.
#[test]
fn example_file_is_complete_and_matches_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../owums.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let example: Config = toml::from_str(&text).unwrap();
    assert_eq!(
        example,
        Config::default(),
        "owums.example.toml values differ from the defaults"
    );
    let shown: toml::Value = toml::from_str(&text).unwrap();
    let defaults = toml::Value::try_from(Config::default()).unwrap();
    assert_eq!(
        keys(&shown, ""),
        keys(&defaults, ""),
        "owums.example.toml must list every key"
    );
}

fn keys(v: &toml::Value, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let toml::Value::Table(t) = v {
        for (k, v) in t {
            let path = format!("{prefix}{k}");
            match v {
                toml::Value::Table(_) => out.extend(keys(v, &format!("{path}."))),
                _ => out.push(path),
            }
        }
    }
    out.sort();
    out
}

#[test]
fn mail_password_from_file_is_redacted() {
    Jail::expect_with(|jail| {
        jail.create_file("smtp_pass", "s3cr3t-smtp\n")?;
        jail.create_file(
            "owums.toml",
            "[mail]\nenabled = true\nhost = \"smtp.example.org\"\nport = 587\ntls = \"starttls\"\nusername = \"owums\"\npassword_file = \"smtp_pass\"\nfrom = \"WiFi <wifi@example.org>\"\n",
        )?;
        let c = load(&paths()).unwrap();
        assert_eq!(c.mail.password, "s3cr3t-smtp");
        assert_eq!(c.mail.tls, MailTls::Starttls);
        let shown = c.to_redacted_toml().unwrap();
        assert!(!shown.contains("s3cr3t-smtp"), "{shown}");
        assert!(shown.contains("smtp.example.org"), "{shown}");
        assert!(!format!("{c:?}").contains("s3cr3t-smtp"));
        Ok(())
    });
}

#[test]
fn bad_mail_values_are_clear_errors() {
    for (env, value, expect) in [
        ("OWUMS_MAIL__TLS", "ssl", "ssl"),
        ("OWUMS_MAIL__FROM", "not an address", "mail.from"),
        ("OWUMS_MAIL__MAX_ATTEMPTS", "0", "mail.max_attempts"),
        ("OWUMS_MAIL__HOST", "", "mail.host"),
    ] {
        Jail::expect_with(|jail| {
            jail.set_env(env, value);
            let e = load(&paths()).unwrap_err().to_string();
            assert!(e.contains(expect), "{env}: {e}");
            Ok(())
        });
    }
}

#[test]
fn mail_retries_back_off_exponentially() {
    let m = MailConfig::default();
    let secs: Vec<u64> = (1..=8).map(|n| m.retry_delay(n).as_secs()).collect();
    assert_eq!(secs, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
    assert_eq!(m.retry_delay(u32::MAX).as_secs(), 3600);
}

/// `check-config`: `radius.password_format` is not a secret, an empty secret says so.
#[test]
fn redaction_shows_formats_and_says_when_a_secret_is_not_set() {
    Jail::expect_with(|jail| {
        jail.set_env("OWUMS_MAIL__PASSWORD", "s3cr3t");
        jail.set_env("OWUMS_RADIUS__PASSWORD_FORMAT", "nt");
        let shown: toml::Value =
            toml::from_str(&load(&paths()).unwrap().to_redacted_toml().unwrap()).unwrap();
        assert_eq!(shown["radius"]["password_format"].as_str(), Some("nt"));
        assert_eq!(shown["mail"]["password"].as_str(), Some("********"));
        assert_eq!(shown["freeradius"]["token"].as_str(), Some("(not set)"));
        assert_eq!(
            shown["access_points"]["password"].as_str(),
            Some("(not set)")
        );
        Ok(())
    });
}
