//! `owums settings …`: the runtime settings (OWUMS' configuration keys) from the command
//! line. A value set here is read by every `owums serve` on the same database on its next
//! request: settings are read from the database each time, never cached.

use std::io::Read;

use anyhow::Context;
use owums_core::settings::setting_def;
use owums_core::subscriber::escape_for_terminal as shown;
use owums_core::{Config, Settings, Store};

use crate::cli::SettingsCommand;

/// Runs `owums settings …`.
pub(crate) async fn run(config: &Config, cmd: SettingsCommand) -> anyhow::Result<()> {
    let store = Store::connect_migrated(&config.database).await?;
    let settings = Settings::new(store);
    match cmd {
        SettingsCommand::List => {
            for (def, stored) in settings.list().await? {
                let (value, origin) = match &stored {
                    Some(v) => (v.as_str(), "set"),
                    None => (def.default, "default"),
                };
                println!(
                    "{:<40} {:<8} {:<7} {}",
                    def.name,
                    def.kind.as_str(),
                    origin,
                    one_line(value)
                );
                println!("    {}", def.help);
            }
        }
        SettingsCommand::Get { name } => {
            let value = settings.text(&name).await?;
            // Text typed by an operator: escaped so a stored ESC sequence cannot drive the
            // terminal; line breaks are kept.
            let lines: Vec<String> = value.split('\n').map(shown).collect();
            println!("{}", lines.join("\n"));
        }
        SettingsCommand::Set { name, value } => {
            let value = if value == "-" {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("reading the value from standard input")?;
                text.trim_end_matches(['\n', '\r']).to_owned()
            } else {
                value
            };
            settings.set(&name, &value).await?;
            println!("{name} set");
        }
        SettingsCommand::Reset { name } => {
            settings.reset(&name).await?;
            let default = setting_def(&name).map_or("", |d| d.default);
            println!("{name} back to its default: {}", one_line(default));
        }
    }
    Ok(())
}

/// The value on one line for a listing: escaped, line breaks shown as `⏎`, long values cut.
fn one_line(value: &str) -> String {
    const MAX: usize = 60;
    let flat = shown(value).replace("\\n", "⏎");
    if value.is_empty() {
        return "\"\"".to_owned();
    }
    match flat.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}
