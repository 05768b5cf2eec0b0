//! The configured portals, by name, and which one serves a controller.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

use super::coova::CoovaAdapter;
use super::wili::{WiliAdapter, login_url_template};
use super::{PortalAdapter, PortalConfig, PortalsConfig};

/// The adapters of every `[portals.<name>]`, built once at start.
#[derive(Debug, Clone, Default)]
pub struct Portals {
    portals: Vec<Entry>,
    base_url: String,
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    /// `None` for an adapter the application added ([`Portals::with_adapter`]).
    config: Option<PortalConfig>,
    nas_ids: Vec<String>,
    addresses: Vec<String>,
    adapter: Arc<dyn PortalAdapter>,
    login_url: String,
}

impl Portals {
    /// Builds the portals of a deployment: `[portals.*]`, with pages under `[web]
    /// public_url` (or `http://` and `[server] listen` when that is not set).
    pub fn from_config(config: &crate::Config) -> Result<Self, String> {
        let base = if config.web.public_url.is_empty() {
            format!("http://{}", config.server.listen)
        } else {
            config.web.public_url.clone()
        };
        Self::new(&config.portals, &base)
    }

    /// Builds every configured portal. `base_url` is where subscribers reach owums
    /// (`https://wifi.example.org`): each portal's login page is
    /// `<base_url>/portal/<name>/login`. Fails on invalid settings or an unreadable CA file.
    pub fn new(config: &PortalsConfig, base_url: &str) -> Result<Self, String> {
        let base = base_url.trim_end_matches('/');
        let mut portals = Vec::new();
        for (name, portal) in &config.0 {
            portal.validate(name)?;
            let login_url = format!("{base}/portal/{name}/login");
            let adapter: Arc<dyn PortalAdapter> = match portal {
                PortalConfig::Coovachilli(c) => {
                    Arc::new(CoovaAdapter::new(name, c.clone(), login_url.clone()))
                }
                PortalConfig::Wili(c) => Arc::new(WiliAdapter::new(
                    name,
                    c.clone(),
                    format!("{base}/portal/{name}/result"),
                )?),
            };
            portals.push(Entry {
                name: name.clone(),
                config: Some(portal.clone()),
                nas_ids: portal.nas_ids().to_vec(),
                addresses: portal.addresses().to_vec(),
                adapter,
                login_url,
            });
        }
        Ok(Self {
            portals,
            base_url: base.to_owned(),
        })
    }

    /// Adds a portal of a controller family owums does not ship (a pfSense zone, a MikroTik
    /// hotspot): the application builds its [`PortalAdapter`] and adds it before serving
    /// (`state.portals = state.portals.with_adapter(…)?`). Its pages are
    /// `/portal/<name>/…` like those of the configured portals, where `<name>` is
    /// [`PortalAdapter::name`]; `nas_ids` and `addresses` (IP addresses or networks) choose
    /// the controllers it serves, as in `[portals.<name>]`, empty for any. Fails on a name
    /// that is taken or not 1–32 of `a-z 0-9 _ -`, or an address that is not one.
    pub fn with_adapter(
        mut self,
        adapter: Arc<dyn PortalAdapter>,
        nas_ids: Vec<String>,
        addresses: Vec<String>,
    ) -> Result<Self, String> {
        let name = adapter.name().to_owned();
        crate::config::portals::check_name_and_addresses(&name, &addresses)?;
        if self.entry(&name).is_some() {
            return Err(format!("portals.{name}: a portal of that name exists"));
        }
        let login_url = format!("{}/portal/{name}/login", self.base_url);
        self.portals.push(Entry {
            name,
            config: None,
            nas_ids,
            addresses,
            adapter,
            login_url,
        });
        Ok(self)
    }

    /// Where subscribers reach owums (no trailing slash): the start of the portal pages'
    /// absolute URLs.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether no portal is configured.
    pub fn is_empty(&self) -> bool {
        self.portals.is_empty()
    }

    /// The portal named `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn PortalAdapter>> {
        self.entry(name).map(|e| e.adapter.clone())
    }

    /// The settings of the portal named `name` (`None` for one the application added).
    pub fn config(&self, name: &str) -> Option<&PortalConfig> {
        self.entry(name).and_then(|e| e.config.as_ref())
    }

    /// The configured names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.portals.iter().map(|e| e.name.as_str())
    }

    /// The portal that serves a controller with this NAS id and address: the first whose
    /// `nas_ids` and `addresses` (when set) both match.
    pub fn for_controller(
        &self,
        nas_id: Option<&str>,
        address: Option<IpAddr>,
    ) -> Option<Arc<dyn PortalAdapter>> {
        self.portals
            .iter()
            .find(|e| {
                let (ids, nets) = (&e.nas_ids, &e.addresses);
                let id_ok = ids.is_empty() || nas_id.is_some_and(|n| ids.iter().any(|i| i == n));
                let net_ok =
                    nets.is_empty() || address.is_some_and(|a| nets.iter().any(|n| contains(n, a)));
                id_ok && net_ok
            })
            .map(|e| e.adapter.clone())
    }

    /// What to configure on the controller for the portal `name`: the login URL (a template
    /// with placeholders for WILI-S, the `uamserver` for CoovaChilli).
    pub fn controller_login_url(&self, name: &str) -> Option<String> {
        let entry = self.entry(name)?;
        Some(match &entry.config {
            Some(PortalConfig::Wili(_)) => login_url_template(&entry.login_url),
            Some(PortalConfig::Coovachilli(c)) if !c.uamserver.is_empty() => c.uamserver.clone(),
            Some(PortalConfig::Coovachilli(_)) | None => entry.login_url.clone(),
        })
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        self.portals.iter().find(|e| e.name == name)
    }
}

/// Whether `address` is the configured address or inside the configured network.
fn contains(configured: &str, address: IpAddr) -> bool {
    match configured.parse::<IpNet>() {
        Ok(net) => net.contains(&address),
        Err(_) => configured.parse::<IpAddr>() == Ok(address),
    }
}
