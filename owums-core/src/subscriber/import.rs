//! Batch import of subscribers from a CSV file ([`UserAdmin::import`]): `owums user import`
//! and the console's upload.
//!
//! ## The file
//!
//! UTF-8 (a byte-order mark is skipped), a header row naming the columns (any order, any
//! case; [`IMPORT_COLUMNS`] lists them, `username` is required, an unknown name refuses
//! the file), then one subscriber per row. The separator is `,` or `;`: whichever the
//! header row has more of. Fields may be quoted (`"Rossi, Mario"`). At most
//! [`MAX_IMPORT_BYTES`] and [`MAX_IMPORT_ROWS`] rows.
//!
//! ## Semantics: a clear per-row result
//!
//! Every row is checked first, with the rules of [`UserAdmin::create`] (the same
//! functions): the username's shape, e-mail and mobile (national numbers read with the
//! default country code), lengths, control characters, language, birth date
//! (`YYYY-MM-DD`), groups (`;`-separated, each must exist), `verified`/`active`
//! (`true false yes no 1 0`, empty means true), and the password. A username, e-mail or
//! mobile that an earlier row of the file or an existing subscriber has is refused
//! ([`Problem::Taken`]). Then all the rows that passed are inserted in ONE transaction (a
//! database failure, such as a username taken meanwhile, inserts none), and the
//! [`ImportReport`] lists every refused row: its line as a spreadsheet shows it (the
//! header is line 1), the field and why. Refused rows never stop the others.
//!
//! Values that look like injections are plain text to owums: `'; DROP TABLE users` or
//! `<script>` in a name is stored as typed (every query binds its values; every page
//! escapes them), while a username, e-mail or mobile of that shape is refused by their
//! validators. A name starting with `=`, `+`, `-` or `@` is stored too; the passwords CSV
//! owums writes holds only usernames (of `a-z 0-9 _ . -`) and generated passwords.
//!
//! ## Passwords
//!
//! - `password` given: checked as the console checks a typed one (the strength estimate,
//!   unless [`ImportOptions::weak_passwords_ok`]), hashed for the web login and encoded for
//!   RADIUS (`[radius] password_format`).
//! - `password_hash` given instead: an argon2 PHC string (`$argon2id$…`), stored as the web
//!   password as is. RADIUS needs the password itself in its format (SHA-512 crypt, the NT
//!   hash or clear text) and no hash can give it, so such a subscriber gets no RADIUS
//!   password: they log in on the web pages, and reach the network once they (or an
//!   operator) set a new password.
//! - Both empty: a password is generated ([`generate_password`]) and returned in
//!   [`ImportReport::generated`], for the operator to print tickets; never logged.
//!
//! The hashes run on the password hashing threads (one per CPU), all of them queued at
//! once; a dry run ([`ImportOptions::dry_run`]) checks everything and hashes nothing.

use std::collections::HashMap;

use argon2::password_hash::phc::PasswordHash;

use crate::error::{Error, FieldError, Problem, Result};
use crate::ids::GroupName;
use crate::operator::{Permission, Permissions};
use crate::subscriber::admin::UserAdmin;
use crate::subscriber::admin_edit::METHOD_NONE;
use crate::subscriber::admin_form::{email, locale, mobile, notes, text, username};
use crate::subscriber::import_rows::{Ready, RowPassword};
use crate::subscriber::input::{MAX_PASSWORD_LEN, TextField, parse_birth_date};
use crate::subscriber::password::{self, PersonalData};
use crate::subscriber::user::NewUser;

/// The largest file accepted, in bytes (16 MiB).
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;
/// The most rows (besides the header) of one file.
pub const MAX_IMPORT_ROWS: usize = 20_000;
/// The columns a file may have.
pub const IMPORT_COLUMNS: &[&str] = &[
    "username",
    "password",
    "password_hash",
    "email",
    "mobile",
    "given_name",
    "surname",
    "birth_date",
    "address",
    "city",
    "zip",
    "country",
    "locale",
    "groups",
    "notes",
    "verified",
    "active",
];

/// How to import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Check every row and report, storing nothing and hashing nothing.
    pub dry_run: bool,
    /// Accept typed passwords the strength estimate refuses (length and characters are
    /// still checked).
    pub weak_passwords_ok: bool,
}

/// A refused row of a file: one per refused field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// The line as a spreadsheet numbers it: the header is 1, the first subscriber 2.
    pub line: u64,
    /// The column (`email`, …), or `row` for a row the CSV reader could not read.
    pub field: &'static str,
    /// Why, as a type the pages translate.
    pub problem: Problem,
    /// Why, in English.
    pub reason: String,
}

/// A password owums generated for an imported subscriber.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedPassword {
    /// The line of the subscriber's row.
    pub line: u64,
    /// The username.
    pub username: String,
    /// The password in clear: shown once, never stored as such.
    pub password: String,
}

impl std::fmt::Debug for GeneratedPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GeneratedPassword({}, ..)", self.username)
    }
}

/// What [`UserAdmin::import`] did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Rows read (besides the header).
    pub rows: usize,
    /// Subscribers stored (0 in a dry run: see [`ImportReport::valid`]).
    pub imported: usize,
    /// Rows that passed every check.
    pub valid: usize,
    /// Every refusal, by line.
    pub rejected: Vec<RejectedRow>,
    /// The generated passwords (none in a dry run).
    pub generated: Vec<GeneratedPassword>,
    /// Whether it was a dry run.
    pub dry_run: bool,
}

impl ImportReport {
    /// The lines refused, each once, in order.
    pub fn rejected_lines(&self) -> Vec<u64> {
        let mut lines: Vec<u64> = self.rejected.iter().map(|r| r.line).collect();
        lines.dedup();
        lines
    }

    /// The generated passwords as a CSV file (`username,password`), for printing tickets.
    pub fn passwords_csv(&self) -> String {
        let mut out = String::from("username,password\n");
        for g in &self.generated {
            // usernames are `a-z 0-9 _ . -` and passwords of GENERATED_ALPHABET: no quoting
            out.push_str(&format!("{},{}\n", g.username, g.password));
        }
        out
    }
}

fn flag(value: &str, field: &'static str, errors: &mut Vec<FieldError>) -> bool {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "yes" | "1" => true,
        "false" | "no" | "0" => false,
        _ => {
            errors.push(FieldError::new(
                field,
                Problem::BadFormat,
                "must be true or false",
            ));
            true
        }
    }
}

/// The separator of a file whose header is `header`: `;` when it has more of them than `,`.
fn separator(header: &[u8]) -> u8 {
    let count = |b: u8| header.iter().filter(|&&c| c == b).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

impl UserAdmin {
    /// Imports the subscribers of the CSV file `file` (see the module docs) on behalf of
    /// an operator holding `permissions`, with method [`METHOD_NONE`] (verified by the
    /// operator's word, as OWUMS' `registrant_by_nothing`).
    ///
    /// The operator needs `users_registrant` and `registrant_by_nothing`; the `groups`,
    /// `verified` and `active` columns also need `users_manager` (as editing them does).
    ///
    /// # Errors
    ///
    /// The whole file is refused, nothing stored, with [`Error::Invalid`] when it is too
    /// large, has too many rows, is not UTF-8, lacks a header or the `username` column, or
    /// names an unknown column or one the permissions do not allow; a database failure
    /// while inserting stores nothing either. Refused rows are not errors: they are in the
    /// report.
    pub async fn import(
        &self,
        permissions: &Permissions,
        file: &[u8],
        options: ImportOptions,
    ) -> Result<ImportReport> {
        self.import_with_progress(permissions, file, options, &|_, _| {})
            .await
    }

    /// [`UserAdmin::import`], calling `progress(hashed, total)` as the password hashes,
    /// the long part of an import, complete (for a progress bar).
    ///
    /// # Errors
    ///
    /// As [`UserAdmin::import`].
    pub async fn import_with_progress(
        &self,
        permissions: &Permissions,
        file: &[u8],
        options: ImportOptions,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<ImportReport> {
        if !(permissions.allows(Permission::UsersRegistrant)
            && permissions.allows(Permission::RegistrantByNothing))
        {
            return Err(Error::invalid(
                "permissions",
                "importing needs users_registrant and registrant_by_nothing",
            ));
        }
        if file.len() > MAX_IMPORT_BYTES {
            return Err(Error::refused(
                "file",
                Problem::TooLong {
                    max: MAX_IMPORT_BYTES,
                },
                format!("is larger than {MAX_IMPORT_BYTES} bytes"),
            ));
        }
        let file = file.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(file);
        if std::str::from_utf8(file).is_err() {
            return Err(Error::refused(
                "file",
                Problem::BadFormat,
                "is not UTF-8 text",
            ));
        }
        let header_line = file.split(|&b| b == b'\n').next().unwrap_or_default();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator(header_line))
            .flexible(true)
            .from_reader(file);
        let headers = reader
            .headers()
            .map_err(|e| Error::invalid("file", format!("has no readable header: {e}")))?
            .clone();
        let mut columns: HashMap<&'static str, usize> = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let name = h.trim().to_ascii_lowercase();
            let Some(known) = IMPORT_COLUMNS.iter().find(|c| **c == name) else {
                return Err(Error::refused(
                    "file",
                    Problem::Unknown,
                    format!("has an unknown column `{}`", h.trim()),
                ));
            };
            if columns.insert(known, i).is_some() {
                return Err(Error::invalid("file", format!("has two `{known}` columns")));
            }
        }
        if !columns.contains_key("username") {
            return Err(Error::refused(
                "file",
                Problem::Required,
                "has no `username` column",
            ));
        }
        let manager = permissions.allows(Permission::UsersManager);
        for c in ["groups", "verified", "active"] {
            if columns.contains_key(c) && !manager {
                return Err(Error::invalid(
                    "file",
                    format!("has a `{c}` column, which needs users_manager"),
                ));
            }
        }
        let store = self.subscribers.store();
        let default_group = crate::Settings::new(store.clone())
            .get(crate::subscriber::settings::DEFAULT_RADIUS_GROUP)
            .await?;
        let mut priorities: HashMap<String, Option<i32>> = HashMap::new();
        let today = chrono::Utc::now().date_naive();
        let cc = self.country_code.as_deref();
        let mut report = ImportReport {
            dry_run: options.dry_run,
            ..ImportReport::default()
        };
        let mut ready: Vec<Ready> = Vec::new();
        for record in reader.records() {
            report.rows += 1;
            if report.rows > MAX_IMPORT_ROWS {
                return Err(Error::refused(
                    "file",
                    Problem::TooLong {
                        max: MAX_IMPORT_ROWS,
                    },
                    format!("has more than {MAX_IMPORT_ROWS} rows"),
                ));
            }
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    report.rejected.push(RejectedRow {
                        line,
                        field: "row",
                        problem: Problem::BadFormat,
                        reason: format!("cannot be read: {e}"),
                    });
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line());
            let get = |c: &str| columns.get(c).and_then(|&i| record.get(i)).unwrap_or("");
            let mut errors = Vec::new();
            if record.len() != headers.len() {
                errors.push(FieldError::new(
                    "row",
                    Problem::BadFormat,
                    format!("has {} fields, the header {}", record.len(), headers.len()),
                ));
            }
            let mut user = NewUser {
                username: username(get("username").trim(), &mut errors),
                password: String::new(),
                email: email(get("email"), &mut errors),
                mobile: mobile(get("mobile"), cc, &mut errors),
                given_name: text(TextField::GivenName, get("given_name"), &mut errors),
                surname: text(TextField::Surname, get("surname"), &mut errors),
                birth_date: None,
                address: text(TextField::Address, get("address"), &mut errors),
                city: text(TextField::City, get("city"), &mut errors),
                zip: text(TextField::Zip, get("zip"), &mut errors),
                country: text(TextField::Country, get("country"), &mut errors),
                verification_method: METHOD_NONE.to_owned(),
                eula_accepted: true,
                privacy_accepted: true,
                locale: locale(get("locale"), &mut errors),
                notes: notes(get("notes"), &mut errors),
            };
            let birth = get("birth_date").trim();
            if !birth.is_empty() {
                user.birth_date = parse_birth_date(birth, today)
                    .map_err(|e| errors.push(e))
                    .ok();
            }
            let verified = flag(get("verified"), "verified", &mut errors);
            let active = flag(get("active"), "active", &mut errors);
            let mut groups = Vec::new();
            let names: Vec<&str> = get("groups")
                .split(';')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .collect();
            let names = if names.is_empty() {
                vec![default_group.as_str()]
            } else {
                names
            };
            for name in names {
                let priority = match priorities.get(name) {
                    Some(p) => *p,
                    None => {
                        let p = match GroupName::try_new(name) {
                            Ok(g) => store.group_priority(&g).await?,
                            Err(_) => None,
                        };
                        priorities.insert(name.to_owned(), p);
                        p
                    }
                };
                match priority {
                    Some(p) if !groups.iter().any(|(g, _)| g == name) => {
                        groups.push((name.to_owned(), p));
                    }
                    Some(_) => {}
                    None => errors.push(FieldError::new(
                        "groups",
                        Problem::Unknown,
                        format!("`{name}` is not a RADIUS group"),
                    )),
                }
            }
            let typed = get("password");
            let hash = get("password_hash").trim();
            let password = match (typed.is_empty(), hash.is_empty()) {
                (true, true) => RowPassword::Generated,
                (false, true) => {
                    let checked = if options.weak_passwords_ok {
                        password::validate_password_shape(typed)
                    } else {
                        password::validate_password(typed, &PersonalData::of_new_user(&user))
                    };
                    if let Err(e) = checked {
                        errors.push(crate::subscriber::admin_form::field_of("password", &e));
                    }
                    RowPassword::Typed(typed.to_owned())
                }
                (true, false) => {
                    let ok = hash.len() <= MAX_PASSWORD_LEN * 4
                        && PasswordHash::new(hash)
                            .is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"));
                    if !ok {
                        errors.push(FieldError::new(
                            "password_hash",
                            Problem::BadFormat,
                            "must be an argon2 PHC string ($argon2id$…)",
                        ));
                    }
                    RowPassword::Hash(hash.to_owned())
                }
                (false, false) => {
                    errors.push(FieldError::new(
                        "password_hash",
                        Problem::Other,
                        "cannot be given with a password",
                    ));
                    RowPassword::Generated
                }
            };
            if errors.is_empty() {
                ready.push(Ready {
                    line,
                    user,
                    groups,
                    verified,
                    active,
                    password,
                });
            } else {
                report
                    .rejected
                    .extend(errors.into_iter().map(|e| RejectedRow {
                        line,
                        field: e.field,
                        problem: e.problem,
                        reason: e.reason,
                    }));
            }
        }
        let ready = self.refuse_taken(ready, &mut report).await?;
        report.rejected.sort_by_key(|r| r.line);
        report.valid = ready.len();
        if options.dry_run || ready.is_empty() {
            return Ok(report);
        }
        let rows = self.prepare(ready, &mut report, progress).await?;
        store.insert_imported(&rows).await?;
        report.imported = rows.len();
        tracing::info!(
            imported = report.imported,
            rejected = report.rejected_lines().len(),
            "subscribers imported"
        );
        Ok(report)
    }
}
