//! `owums user device list|add|remove USER [MAC]`: subscribers' devices for MAC
//! authentication, under the rules of the enabled `[plugins.mac_address]`.

use anyhow::Context;
use clap::Subcommand;
use owums_core::subscriber::Devices;
use owums_core::subscriber::escape_for_terminal as shown;
use owums_core::{Config, Store, Subscribers};

/// `owums user device …`: MACs in any usual spelling (AA-BB-CC-DD-EE-FF, aa:bb:cc:dd:ee:ff,
/// aabbccddeeff, AABB.CCDD.EEFF).
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List the subscriber's devices.
    List {
        /// Username.
        username: String,
    },
    /// Register a device (refused past `max_devices`, or when the MAC is registered).
    Add {
        /// Username.
        username: String,
        /// The device's MAC address.
        mac: String,
        /// A name for the device.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Remove a device: its next Access-Request is rejected.
    Remove {
        /// Username.
        username: String,
        /// The device's MAC address.
        mac: String,
    },
}

/// The devices service as `owums serve` would build it from `config`.
fn devices(config: &Config, store: Store) -> anyhow::Result<Devices> {
    let mut config = config.clone();
    let registry = crate::plugins::load(&mut config.plugins)?;
    let state = crate::state::AppState::with_store(&config, store, &registry)?;
    state.devices.context(
        "MAC authentication is off: enable [plugins.mac_address] in plugins.toml \
         (docs/verifiers/mac-address.md)",
    )
}

/// Runs one `owums user device` command.
pub(crate) async fn run(
    config: &Config,
    store: Store,
    subscribers: &Subscribers,
    cmd: DeviceCommand,
) -> anyhow::Result<()> {
    let devices = devices(config, store)?;
    match cmd {
        DeviceCommand::List { username } => {
            let user = subscribers.find(&username).await?;
            println!("{:<17}  {:<16}  {:<24} label", "mac", "added", "by");
            for d in devices.list(user.id).await? {
                println!(
                    "{:<17}  {:<16}  {:<24} {}",
                    d.mac,
                    d.created_at.format("%Y-%m-%d %H:%M"),
                    shown(d.created_by.as_deref().unwrap_or("(subscriber)")),
                    shown(&d.label)
                );
            }
        }
        DeviceCommand::Add {
            username,
            mac,
            label,
        } => {
            let user = subscribers.find(&username).await?;
            let d = devices
                .add(user.id, &mac, &label, Some("(command line)"))
                .await?;
            println!("device {} registered for {}", d.mac, user.username);
        }
        DeviceCommand::Remove { username, mac } => {
            let user = subscribers.find(&username).await?;
            let mac = devices.remove(user.id, &mac).await?;
            println!("device {mac} of {} removed", user.username);
        }
    }
    Ok(())
}
