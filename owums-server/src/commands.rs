//! The subcommands of `owums`.

use std::io::BufRead;

use anyhow::{Context, bail};
use owums_core::config::{self, ConfigPaths};
use owums_core::radius::default_counters;
use owums_core::storage::{NewGroup, NewNas};
use owums_core::{
    AttributeKind, Config, Email, ErrorKind, GroupName, NewUser, PhoneNumber, RadiusAttribute,
    Store, Subscribers, UserRecord, Username,
};

use owums_core::subscriber::escape_for_terminal as shown;

use crate::cli::{Cli, Command, GroupCommand, NasCommand, UserCommand, UserCreate};

fn load_config(cli: &Cli, listen: Option<&str>) -> anyhow::Result<Config> {
    let mut paths = ConfigPaths::default();
    if let Some(c) = &cli.config {
        paths.config.clone_from(c);
        paths.required = true;
    }
    if let Some(p) = &cli.plugins {
        paths.plugins.clone_from(p);
        paths.plugins_required = true;
    }
    let mut config = config::load(&paths)?;
    config.apply_overrides(listen, cli.database_url.as_deref())?;
    Ok(config)
}

fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // colour codes only for a person at a terminal, not in journald or a log file
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // one line per event, whatever a client put in a logged value
        .with_writer(move || crate::log_writer::OneLine::new(std::io::stderr(), ansi))
        .with_ansi(ansi)
        .try_init();
}

pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    if matches!(cli.command, Command::Openapi) {
        // Needs no configuration or database: the document comes from the code alone.
        println!("{}", crate::api::openapi_document());
        return Ok(());
    }
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let config = load_config(&cli, listen.as_deref())?;
    let serving = matches!(cli.command, Command::Serve { .. });
    init_tracing(if serving { &config.log.level } else { "warn" });
    if serving || matches!(cli.command, Command::CheckConfig) {
        for var in config::unknown_env_vars() {
            tracing::warn!(%var, "environment variable is not an owums setting; ignored");
        }
    }
    match cli.command {
        Command::Serve { no_migrate, .. } => {
            crate::serve(
                config.clone(),
                config.database.migrate_on_start && !no_migrate,
            )
            .await
        }
        Command::Openapi => Ok(()),
        Command::Portals => {
            let portals =
                owums_core::portal::Portals::from_config(&config).map_err(anyhow::Error::msg)?;
            if portals.is_empty() {
                println!("no portal is configured ([portals.<name>] in owums.toml)");
            }
            for name in portals.names() {
                let kind = portals.config(name).map_or("", |c| c.kind().as_str());
                let url = portals.controller_login_url(name).unwrap_or_default();
                println!("{name}\t{kind}\t{url}");
            }
            Ok(())
        }
        Command::CheckConfig => {
            let mut plugins = config.plugins.clone();
            // every plugin, compiled in or loaded, checks its own settings
            let registry = crate::plugins::load(&mut plugins)?;
            crate::plugins::check_with(&registry, &plugins)?;
            // and every `[accounting] sinks` entry, by its kind's factory
            registry.check_sinks(&config.accounting)?;
            print!("{}", config.to_redacted_toml()?);
            Ok(())
        }
        Command::Migrate => {
            let store = Store::connect(&config.database).await?;
            let applied = store.migrate().await?;
            if applied.is_empty() {
                println!("database is up to date");
            } else {
                for v in applied {
                    println!("applied {v}");
                }
            }
            Ok(())
        }
        Command::User(cmd) => user(&config, cmd).await,
        Command::Group(cmd) => group(&config, cmd).await,
        Command::Operator(cmd) => crate::operator_commands::run(&config, cmd).await,
        Command::Nas(cmd) => nas(&config, cmd).await,
        Command::Settings(cmd) => crate::settings_command::run(&config, cmd).await,
        Command::Voucher(cmd) => crate::voucher_commands::run(&config, cmd).await,
        Command::Housekeeping(crate::cli::HousekeepingCommand::RunOnce) => {
            let mut config = config.clone();
            let registry = crate::plugins::load(&mut config.plugins)?;
            registry.check_config(&config.plugins)?;
            let store = Store::connect_migrated(&config.database).await?;
            let state = crate::AppState::with_store(&config, store, &registry)?;
            let keeper = crate::housekeeper(&state)?;
            for r in keeper.run_all(chrono::Utc::now()).await? {
                match r.summary {
                    Some(s) => println!("{}: {s}", r.job.name()),
                    None => println!(
                        "{}: skipped (another process holds its lease)",
                        r.job.name()
                    ),
                }
            }
            Ok(())
        }
        Command::Radacct(cmd) => crate::maintenance::radacct(&config, cmd).await,
        Command::Postauth(cmd) => crate::maintenance::postauth(&config, cmd).await,
    }
}

pub(crate) fn read_password(arg: &str) -> anyhow::Result<String> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

fn new_user(args: &UserCreate) -> anyhow::Result<NewUser> {
    Ok(NewUser {
        username: Some(Username::try_new(&args.username)?),
        password: read_password(&args.password)?,
        email: args.email.as_deref().map(Email::try_new).transpose()?,
        mobile: args.mobile.as_deref().map(PhoneNumber::parse).transpose()?,
        given_name: args.given_name.trim().to_owned(),
        surname: args.surname.trim().to_owned(),
        verification_method: args.method.clone(),
        // An operator creating a user attests the EULA was accepted (signed at the desk).
        eula_accepted: true,
        privacy_accepted: true,
        locale: locale(&args.locale)?.to_owned(),
        ..NewUser::default()
    })
}

/// `--locale`: one the pages and mails have (`IT`, `it-CH` → `it`).
fn locale(code: &str) -> anyhow::Result<&'static str> {
    crate::i18n::supported(code).ok_or_else(|| {
        anyhow::anyhow!(
            "invalid locale `{code}`: owums has {}",
            crate::i18n::LOCALES.join(", ")
        )
    })
}

async fn user(config: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    let store = Store::connect_migrated(&config.database).await?;
    let s = Subscribers::new(store.clone(), config.radius.password_format);
    match cmd {
        UserCommand::Create(args) => {
            let new = new_user(&args)?;
            let groups = args
                .groups
                .iter()
                .map(|g| GroupName::try_new(g))
                .collect::<Result<Vec<_>, _>>()?;
            let u = if args.weak_password_ok {
                s.create_with_weak_password(new, args.verified, &groups)
                    .await?
            } else {
                s.create(new, args.verified, &groups).await?
            };
            println!("created {} ({})", u.username, u.status().as_str());
        }
        UserCommand::Import {
            file,
            dry_run,
            passwords_out,
            weak_password_ok,
            country_code,
        } => {
            let options = owums_core::subscriber::ImportOptions {
                dry_run,
                weak_passwords_ok: weak_password_ok,
            };
            let args = crate::import_command::ImportArgs {
                file,
                passwords_out,
                options,
                country_code,
            };
            crate::import_command::run(s, args).await?;
        }
        UserCommand::Passwd {
            username,
            password,
            weak_password_ok,
        } => {
            let u = s.find(&username).await?;
            let password = read_password(&password)?;
            if weak_password_ok {
                s.set_weak_password(u.id, &password).await?;
            } else {
                s.set_password(u.id, &password).await?;
            }
            println!("password of {} changed", u.username);
        }
        UserCommand::Show { username } => {
            let u = s.find(&username).await?;
            print_user(&store, &u).await?;
        }
        UserCommand::List { offset, limit } => {
            println!(
                "{:<24} {:<11} {:<10} {:<30} created",
                "username", "status", "method", "e-mail"
            );
            for u in store.list_users(offset, limit).await? {
                println!(
                    "{:<24} {:<11} {:<10} {:<30} {}",
                    u.username.as_str(),
                    u.status().as_str(),
                    shown(&u.verification_method),
                    shown(u.email.as_ref().map_or("", |e| e.as_str())),
                    u.created_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        UserCommand::Verify { username } => report(s.verify(s.find(&username).await?.id).await?),
        UserCommand::Disable { username } => report(s.disable(s.find(&username).await?.id).await?),
        UserCommand::Enable { username } => report(s.enable(s.find(&username).await?.id).await?),
        UserCommand::Deactivate { username } => {
            report(s.deactivate(s.find(&username).await?.id).await?)
        }
        UserCommand::Activate { username } => {
            report(s.activate(s.find(&username).await?.id).await?)
        }
        UserCommand::Delete { username } => {
            let u = s.find(&username).await?;
            s.delete(u.id).await?;
            println!("deleted {}", u.username);
        }
        UserCommand::Check(cmd) => {
            crate::group_commands::user_items(config, &s, AttributeKind::Check, cmd).await?
        }
        UserCommand::Reply(cmd) => {
            crate::group_commands::user_items(config, &s, AttributeKind::Reply, cmd).await?
        }
        UserCommand::Device(cmd) => crate::device_commands::run(config, store, &s, cmd).await?,
    }
    Ok(())
}

fn report(u: UserRecord) {
    println!("{} is {}", u.username, u.status().as_str());
}

async fn print_user(store: &Store, u: &UserRecord) -> anyhow::Result<()> {
    let groups = store.user_groups(u.id).await?;
    let group_list: Vec<String> = groups.iter().map(|(g, p)| format!("{g} ({p})")).collect();
    // Names and other text come from subscribers: escaped, so a stored ESC sequence cannot
    // drive the operator's terminal.
    let opt = |o: Option<&str>| shown(o.unwrap_or("-"));
    println!("username:     {}", u.username);
    println!("id:           {}", u.id);
    println!("status:       {}", u.status().as_str());
    println!(
        "radius user:  {}",
        if u.is_radius_valid() { "yes" } else { "no" }
    );
    println!("method:       {}", shown(&u.verification_method));
    println!("e-mail:       {}", opt(u.email.as_ref().map(Email::as_str)));
    println!(
        "mobile:       {}",
        opt(u.mobile.as_ref().map(PhoneNumber::as_str))
    );
    println!(
        "name:         {} {}",
        shown(&u.given_name),
        shown(&u.surname)
    );
    for (label, value) in [
        ("address:      ", &u.address),
        ("city:         ", &u.city),
        ("zip:          ", &u.zip),
        ("country:      ", &u.country),
    ] {
        if !value.is_empty() {
            println!("{label}{}", shown(value));
        }
    }
    println!(
        "verified at:  {}",
        u.verified_at.map_or("-".to_owned(), |t| t.to_rfc3339())
    );
    println!(
        "eula:         {}",
        if u.eula_accepted {
            "accepted"
        } else {
            "not accepted"
        }
    );
    println!("locale:       {}", shown(&u.locale));
    println!("groups:       {}", group_list.join(", "));
    println!("created at:   {}", u.created_at.to_rfc3339());
    Ok(())
}

async fn group(config: &Config, cmd: GroupCommand) -> anyhow::Result<()> {
    match cmd {
        GroupCommand::Create {
            name,
            priority,
            checks,
            replies,
        } => {
            let name = GroupName::try_new(&name)?;
            let checks = checks
                .iter()
                .map(|c| RadiusAttribute::parse(AttributeKind::Check, c))
                .collect::<Result<Vec<_>, _>>()?;
            let replies = replies
                .iter()
                .map(|r| RadiusAttribute::parse(AttributeKind::Reply, r))
                .collect::<Result<Vec<_>, _>>()?;
            let limits = sql_counter_limits(config, &checks);
            let store = Store::connect_migrated(&config.database).await?;
            let g = match store
                .create_group(NewGroup {
                    name: name.clone(),
                    priority,
                    notes: None,
                    checks,
                    replies,
                })
                .await
            {
                Err(e) if e.kind() == ErrorKind::Conflict => {
                    bail!("group `{name}` already exists")
                }
                other => other?,
            };
            println!("created group {} (priority {})", g.name, g.priority);
            if !limits.is_empty() {
                eprintln!(
                    "note: FreeRADIUS in SQL mode knows {} only through the sqlcounter \
                     configuration in freeradius/sql/ (see docs/freeradius.md); without it, it \
                     rejects every member of {}",
                    limits.join(", "),
                    g.name
                );
            }
        }
        cmd @ (GroupCommand::Show { .. }
        | GroupCommand::Update { .. }
        | GroupCommand::Delete { .. }
        | GroupCommand::Check(_)
        | GroupCommand::Reply(_)) => {
            let store = Store::connect_migrated(&config.database).await?;
            crate::group_commands::run(config, &store, cmd).await?;
        }
        GroupCommand::List => {
            let store = Store::connect_migrated(&config.database).await?;
            for g in store.list_groups().await? {
                println!("{} (priority {})", g.name, g.priority);
                for c in &g.checks {
                    println!("  check  {c}");
                }
                for r in &g.replies {
                    println!("  reply  {r}");
                }
            }
        }
    }
    Ok(())
}

/// The check items among `checks` that owums' counters enforce in REST mode and that
/// SQL-mode FreeRADIUS knows only from the sqlcounter configuration of `freeradius/sql/`.
pub(crate) fn sql_counter_limits(config: &Config, checks: &[RadiusAttribute]) -> Vec<String> {
    let counters = default_counters(&config.freeradius.traffic_reply_attribute);
    let mut found: Vec<String> = Vec::new();
    for c in checks {
        let name = c.attribute.as_str();
        let counted = counters
            .iter()
            .any(|k| k.check_attribute().eq_ignore_ascii_case(name));
        if counted && !found.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            found.push(name.to_owned());
        }
    }
    found
}

async fn nas(config: &Config, cmd: NasCommand) -> anyhow::Result<()> {
    match cmd {
        NasCommand::Add {
            nasname,
            secret,
            shortname,
            nas_type,
        } => {
            if secret.is_empty() {
                bail!("--secret must not be empty");
            }
            let store = Store::connect_migrated(&config.database).await?;
            let n = store
                .add_nas(&NewNas {
                    nasname,
                    shortname,
                    nas_type,
                    secret,
                    description: None,
                })
                .await?;
            println!(
                "added NAS {} ({}); restart FreeRADIUS to load it",
                n.nasname,
                n.shortname.unwrap_or_default()
            );
        }
        NasCommand::List => {
            let store = Store::connect_migrated(&config.database).await?;
            println!(
                "{:<20} {:<20} {:<10} secret",
                "nasname", "shortname", "type"
            );
            for n in store.list_nas().await? {
                println!(
                    "{:<20} {:<20} {:<10} ********",
                    n.nasname,
                    n.shortname.unwrap_or_default(),
                    n.nas_type.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}
