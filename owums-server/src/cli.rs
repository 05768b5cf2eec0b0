//! Command-line interface of `owums`. Exit codes: 0 success, 1 runtime error, 2 usage error.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::device_commands::DeviceCommand;

/// owums — subscriber management for wireless ISPs.
#[derive(Debug, Parser)]
#[command(name = "owums", version, about)]
pub struct Cli {
    /// Configuration file, which must exist (default: ./owums.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Plugins file, which must exist (default: ./plugins.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub plugins: Option<PathBuf>,
    /// Database URL (overrides database.url).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrating the database first).
    Serve {
        /// Address:port to listen on (overrides server.listen).
        #[arg(long)]
        listen: Option<String>,
        /// Do not run migrations at startup.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Manage subscribers.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage RADIUS groups.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Voucher batches: generate, list, show.
    #[command(subcommand)]
    Voucher(VoucherCommand),
    /// Manage RADIUS clients (FreeRADIUS `read_clients = yes`).
    #[command(subcommand)]
    Nas(NasCommand),
    /// RADIUS accounting maintenance.
    #[command(subcommand)]
    Radacct(RadacctCommand),
    /// Authentication log maintenance.
    #[command(subcommand)]
    Postauth(PostauthCommand),
    /// Scheduled jobs (`serve` runs them every minute).
    #[command(subcommand)]
    Housekeeping(HousekeepingCommand),
    /// Manage the console's operators.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Runtime settings (OWUMS' configuration keys), read by every server at once.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// The captive portals of `[portals.*]` and what to configure on each access
    /// controller (its login URL: a template with placeholders for WILI-S).
    Portals,
    /// Print the effective configuration with secrets redacted.
    CheckConfig,
    /// Print the OpenAPI document of the JSON API (`owums openapi > docs/openapi.json`).
    Openapi,
}

/// `owums settings …`.
#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Every runtime setting: name, type, whether it is set or the default, value, meaning.
    List,
    /// Print one setting's value (its default when not set).
    Get {
        /// The setting's name, as `settings list` shows it.
        name: String,
    },
    /// Store a value, checked against the setting's type (`-` reads it from standard input,
    /// for texts of several lines).
    Set {
        /// The setting's name.
        name: String,
        /// The new value, or `-`.
        value: String,
    },
    /// Forget the stored value, so the default applies again.
    Reset {
        /// The setting's name.
        name: String,
    },
}

/// `owums housekeeping …`.
#[derive(Debug, Subcommand)]
pub enum HousekeepingCommand {
    /// Run every job now and print what each did.
    RunOnce,
}

/// `owums radacct …`.
#[derive(Debug, Subcommand)]
pub enum RadacctCommand {
    /// Close sessions left open: those started at least --days ago are closed at start +
    /// session time (OWUMS-Stale-Recalculated) or at their start (OWUMS-Stale-Invalid); with
    /// --older-than-hours, those not updated for that long are closed now (Session-Timeout).
    CleanupStale {
        /// Age in days of the sessions to close (by start time).
        #[arg(long, default_value_t = 3, conflicts_with = "older_than_hours")]
        days: u32,
        /// Close sessions not updated for this many hours instead.
        #[arg(long)]
        older_than_hours: Option<u32>,
    },
    /// Rewrite Called-Station-Id of open sessions to `AP-MAC:original`, asking the access-point
    /// lookup of `[access_points]` which access point each device is on.
    ConvertCalledStationId,
    /// Delete closed sessions that ended more than DAYS days ago (0: every closed session).
    DeleteOlderThan(Deletion),
}

/// What to delete and how it is confirmed.
#[derive(Debug, Args)]
pub struct Deletion {
    /// Days to keep.
    pub days: u32,
    /// Delete without asking; required when standard input is not a terminal (scripts, cron).
    #[arg(long, short = 'y', conflicts_with = "dry_run")]
    pub yes: bool,
    /// Only print how many rows would be deleted.
    #[arg(long)]
    pub dry_run: bool,
}

/// `owums postauth …`.
#[derive(Debug, Subcommand)]
pub enum PostauthCommand {
    /// Delete authentication log rows older than DAYS days (0: every row).
    DeleteOlderThan(Deletion),
}

/// `owums user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a subscriber.
    Create(UserCreate),
    /// Create many subscribers from a CSV file (docs/console.md, "Importing users"): the
    /// valid rows are stored in one transaction, the refused ones listed; exits with
    /// status 2 when a row was refused.
    Import {
        /// The CSV file (UTF-8, a header row naming the columns).
        file: std::path::PathBuf,
        /// Check every row and report, storing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the generated passwords (`username,password`) to this file, for tickets;
        /// without it they are not shown anywhere.
        #[arg(long)]
        passwords_out: Option<std::path::PathBuf>,
        /// Accept typed passwords the strength estimate refuses.
        #[arg(long)]
        weak_password_ok: bool,
        /// Country calling code (digits, e.g. 39) for national mobile numbers.
        #[arg(long)]
        country_code: Option<String>,
    },
    /// Set a subscriber's password (the password rules apply; other sessions stay).
    Passwd {
        /// Username.
        username: String,
        /// The new password, or `-` to read it from standard input.
        #[arg(long)]
        password: String,
        /// Accept a password the strength estimate finds easy to guess (length and
        /// characters are still checked): for test accounts and printed tickets the operator
        /// chose on purpose.
        #[arg(long)]
        weak_password_ok: bool,
    },
    /// Show one subscriber.
    Show {
        /// Username.
        username: String,
    },
    /// List subscribers.
    List {
        /// How many to skip.
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// How many to show.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Verify a subscriber (or re-enable a disabled one).
    Verify {
        /// Username.
        username: String,
    },
    /// Disable a verified subscriber.
    Disable {
        /// Username.
        username: String,
    },
    /// Re-enable a disabled subscriber.
    Enable {
        /// Username.
        username: String,
    },
    /// Switch an account off (no RADIUS, no login) whatever its state.
    Deactivate {
        /// Username.
        username: String,
    },
    /// Switch an account back on.
    Activate {
        /// Username.
        username: String,
    },
    /// Delete a subscriber.
    Delete {
        /// Username.
        username: String,
    },
    /// The subscriber's own check items: list, add, set or remove (USER is the username).
    #[command(subcommand)]
    Check(ItemCommand),
    /// The subscriber's own reply items: list, add, set or remove (USER is the username).
    #[command(subcommand)]
    Reply(ItemCommand),
    /// The subscriber's devices for MAC authentication: list, add or remove (needs
    /// `[plugins.mac_address]` enabled).
    #[command(subcommand)]
    Device(DeviceCommand),
}

/// `owums user create`.
#[derive(Debug, Args)]
pub struct UserCreate {
    /// Username: 4–64 of a-z 0-9 _ . - (stored lowercase).
    #[arg(long)]
    pub username: String,
    /// Password, or `-` to read it from standard input.
    #[arg(long)]
    pub password: String,
    /// E-mail address.
    #[arg(long)]
    pub email: Option<String>,
    /// Mobile number in international form (+39 …).
    #[arg(long)]
    pub mobile: Option<String>,
    /// Given name.
    #[arg(long, default_value = "")]
    pub given_name: String,
    /// Surname.
    #[arg(long, default_value = "")]
    pub surname: String,
    /// Verification method recorded for the user.
    #[arg(long, default_value = "none")]
    pub method: String,
    /// Create the user already verified (a valid RADIUS user at once).
    #[arg(long)]
    pub verified: bool,
    /// RADIUS group (repeatable; default: the `default_radius_group` setting).
    #[arg(long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// Language of the subscriber's pages and mail: en, it or es.
    #[arg(long, default_value = "en")]
    pub locale: String,
    /// Accept a password the strength estimate finds easy to guess (length and characters
    /// are still checked): for test accounts and printed tickets the operator chose on
    /// purpose.
    #[arg(long)]
    pub weak_password_ok: bool,
}

/// `owums group …`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Create {
        /// Name: 1–64 of A-Z a-z 0-9 _ . - (no spaces), starting with a letter or digit.
        name: String,
        /// Priority of memberships (lower is read first).
        #[arg(long, default_value_t = 1)]
        priority: i32,
        /// Check attribute, e.g. 'Auth-Type:=Reject' (repeatable).
        ///
        /// The usage limits Max-Daily-Session (seconds), Max-Daily-Session-Traffic and
        /// Max-Monthly-Session-Traffic (octets), e.g. 'Max-Daily-Session:=10800', are enforced
        /// by owums in REST mode; FreeRADIUS in SQL mode knows them only through the sqlcounter
        /// configuration in freeradius/sql/ (see docs/freeradius.md) and, without it, rejects
        /// every member of the group.
        #[arg(long = "check", value_name = "ATTRIBUTE")]
        checks: Vec<String>,
        /// Reply attribute, e.g. 'Session-Timeout=3600' (repeatable).
        #[arg(long = "reply", value_name = "ATTRIBUTE")]
        replies: Vec<String>,
    },
    /// List groups with their attributes.
    List,
    /// Show a group: priority, notes, members, check and reply items with their ids.
    Show {
        /// Group name.
        name: String,
    },
    /// Change a group's priority, notes or name (memberships and items follow a rename).
    Update {
        /// Group name.
        name: String,
        /// New default priority of memberships (0–9999, lower is read first).
        #[arg(long)]
        priority: Option<i32>,
        /// New notes for operators (an empty text clears them).
        #[arg(long)]
        notes: Option<String>,
        /// New name.
        #[arg(long, value_name = "NEW_NAME")]
        rename: Option<String>,
    },
    /// Delete a group; one with members only with --force, which removes them from it.
    Delete {
        /// Group name.
        name: String,
        /// Delete even if subscribers are members (their memberships go with it).
        #[arg(long)]
        force: bool,
    },
    /// The group's check items: list, add, set or remove (OWNER is the group name).
    #[command(subcommand)]
    Check(ItemCommand),
    /// The group's reply items: list, add, set or remove (OWNER is the group name).
    #[command(subcommand)]
    Reply(ItemCommand),
}

/// `owums group check|reply …` and `owums user check|reply …`: the items of one group or
/// subscriber. Attributes are written `Attribute<op>Value`, e.g. 'Session-Timeout=3600' or
/// 'Simultaneous-Use:=1'; values are checked for the attributes owums knows.
#[derive(Debug, Subcommand)]
pub enum ItemCommand {
    /// List the items with their ids, in FreeRADIUS' order.
    List {
        /// Group name or username.
        owner: String,
    },
    /// Append an item, e.g. 'Session-Timeout=3600'.
    Add {
        /// Group name or username.
        owner: String,
        /// `Attribute<op>Value`.
        attribute: String,
    },
    /// Make this the only item of its attribute (replace the existing ones, or add it).
    Set {
        /// Group name or username.
        owner: String,
        /// `Attribute<op>Value`.
        attribute: String,
    },
    /// Remove every item of an attribute (e.g. 'Session-Timeout'), or one item by its id
    /// ('#12', as `list` shows).
    Remove {
        /// Group name or username.
        owner: String,
        /// An attribute name, or `#ID`.
        attribute: String,
    },
}

/// `owums nas …`.
#[derive(Debug, Subcommand)]
pub enum NasCommand {
    /// Add a RADIUS client.
    Add {
        /// IP address or CIDR network.
        #[arg(long)]
        nasname: String,
        /// Shared secret.
        #[arg(long)]
        secret: String,
        /// Short name.
        #[arg(long)]
        shortname: Option<String>,
        /// NAS type (FreeRADIUS nastype).
        #[arg(long = "type")]
        nas_type: Option<String>,
    },
    /// List RADIUS clients.
    List,
}

/// `owums operator …`.
#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Create an operator with a preset of permissions (plus any --permission).
    Create {
        /// Username: 4–64 of a-z 0-9 _ . - (stored lowercase).
        name: String,
        /// Starting permissions: operator, admin or superadmin.
        #[arg(long, default_value = "operator")]
        preset: String,
        /// A permission to add to the preset's, e.g. `users_destroyer` (repeatable).
        #[arg(long = "permission", value_name = "PERMISSION")]
        permissions: Vec<String>,
        /// The password, or `-` to read it from standard input; without it one is
        /// generated and printed once.
        #[arg(long)]
        password: Option<String>,
    },
    /// List operators with their permissions.
    List,
    /// Operator API tokens: create (printed once), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Set an operator's password (their sessions end).
    Passwd {
        /// Username.
        name: String,
        /// The new password, or `-` to read it from standard input; without it one is
        /// generated and printed once.
        #[arg(long)]
        password: Option<String>,
    },
}

/// `owums operator token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make an API token for an operator; prints it once.
    Create {
        /// The operator's username.
        operator: String,
        /// What the token is for, e.g. "billing sync".
        name: String,
        /// A permission the token carries (repeatable); without any, all the operator's.
        #[arg(long = "permission", value_name = "PERMISSION")]
        permissions: Vec<String>,
        /// Days until the token stops working by itself; without it, never.
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u16).range(1..=3650))]
        expires_days: Option<u16>,
    },
    /// List the tokens (of one operator, or everyone's).
    List {
        /// Only this operator's.
        operator: Option<String>,
    },
    /// Revoke a token by its id (from `list`).
    Revoke {
        /// The token's id.
        id: String,
    },
}

/// Runs the command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    crate::commands::run(cli).await
}

/// `owums voucher …`.
#[derive(Debug, Subcommand)]
pub enum VoucherCommand {
    /// Generate vouchers in a new batch; prints `username,password` CSV (the only time the
    /// passwords are shown).
    Generate {
        /// Unique name of the batch.
        #[arg(long)]
        batch: String,
        /// How many vouchers (1–100000).
        #[arg(long)]
        count: usize,
        /// Start of every username (lowercase, a valid username start).
        #[arg(long)]
        prefix: String,
        /// Password length (6–32).
        #[arg(long, default_value_t = 10)]
        length: usize,
        /// RADIUS group of the vouchers (default: the `default_radius_group` setting).
        #[arg(long)]
        group: Option<String>,
        /// Valid until the end of this day, UTC (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        valid_until: Option<String>,
        /// Valid this many days after first use.
        #[arg(long, value_name = "N")]
        valid_days: Option<u32>,
    },
    /// List batches with their unused, used and expired counts.
    List,
    /// Show each voucher of a batch: username, first use, expiry, state.
    Show {
        /// Batch name.
        batch: String,
    },
}
