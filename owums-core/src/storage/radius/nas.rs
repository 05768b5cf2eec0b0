//! FreeRADIUS' `nas` table: the RADIUS clients (access points, controllers) it accepts when
//! `read_clients = yes`.
//!
//! The table keeps FreeRADIUS' stock columns. FreeRADIUS reads it only when it starts, so a
//! client added here is known after FreeRADIUS restarts (`owums nas add` says so).

use std::net::IpAddr;

use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;

use crate::error::{Error, Result};
use crate::storage::Store;
use crate::storage::conn::db_run;
use crate::storage::schema::nas;

/// A RADIUS client to add (`owums nas add`).
#[derive(Debug, Clone)]
pub struct NewNas {
    /// IP address or CIDR network the client's requests come from; unique.
    pub nasname: String,
    /// Short name (defaults to the address, cut to 32 characters).
    pub shortname: Option<String>,
    /// Type (FreeRADIUS `nastype`, `other` by default).
    pub nas_type: Option<String>,
    /// Shared secret: 1–60 characters without quotes or control characters (FreeRADIUS'
    /// limit for secrets it reads from SQL).
    pub secret: String,
    /// Free text (defaults to `RADIUS Client`, as FreeRADIUS' schema does).
    pub description: Option<String>,
}

/// A stored RADIUS client: one row of `nas` with FreeRADIUS' columns.
///
/// Its `Debug` shows the shared secret: do not log it.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable)]
pub struct NasRecord {
    /// The row id (`id`).
    pub id: i32,
    /// IP address or CIDR network (`nasname`).
    pub nasname: String,
    /// Short name (`shortname`), used in FreeRADIUS' logs.
    pub shortname: Option<String>,
    /// FreeRADIUS' `type` column (`other`, `cisco`, …), used by `checkrad`.
    pub nas_type: Option<String>,
    /// Number of ports (`ports`); owums does not use it.
    pub ports: Option<i32>,
    /// Shared secret (`secret`).
    pub secret: String,
    /// Virtual server the client's requests go to (`server`); `None`: the default one.
    pub server: Option<String>,
    /// SNMP community (`community`), for `checkrad`.
    pub community: Option<String>,
    /// Free text (`description`).
    pub description: Option<String>,
}

/// Checks that `s` is an IP address or an `address/prefix` network (the only forms
/// FreeRADIUS accepts in `nasname`).
pub(crate) fn validate_nasname(s: &str) -> Result<()> {
    let bad = || {
        Error::invalid(
            "nasname",
            format!("`{s}` is not an IP address or CIDR network"),
        )
    };
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    if let Some(p) = prefix {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let p: u8 = p.parse().map_err(|_| bad())?;
        if p > max {
            return Err(bad());
        }
    }
    Ok(())
}

impl NewNas {
    fn validate(&self) -> Result<()> {
        validate_nasname(&self.nasname)?;
        if self.secret.is_empty()
            || self.secret.len() > 60
            || self.secret.chars().any(|c| c.is_control() || c == '\'')
        {
            return Err(Error::invalid(
                "secret",
                "must be 1 to 60 characters without quotes or control characters",
            ));
        }
        if self.shortname.as_ref().is_some_and(|s| s.len() > 32) {
            return Err(Error::invalid("shortname", "must be at most 32 characters"));
        }
        if self.nas_type.as_ref().is_some_and(|s| s.len() > 30) {
            return Err(Error::invalid("type", "must be at most 30 characters"));
        }
        Ok(())
    }
}

impl Store {
    /// Adds a RADIUS client (FreeRADIUS loads clients when it starts).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a bad address, secret, short name or type;
    /// [`Error::Conflict`] when a client with that `nasname` exists.
    pub async fn add_nas(&self, new: &NewNas) -> Result<NasRecord> {
        new.validate()?;
        let existing = self.list_nas().await?;
        if existing.iter().any(|n| n.nasname == new.nasname) {
            return Err(Error::Conflict { entity: "NAS" });
        }
        let shortname = new
            .shortname
            .clone()
            .unwrap_or_else(|| new.nasname.chars().take(32).collect());
        let nas_type = new.nas_type.clone().unwrap_or_else(|| "other".to_owned());
        let description = new
            .description
            .clone()
            .unwrap_or_else(|| "RADIUS Client".to_owned());
        db_run!(self, untracked c => diesel::insert_into(nas::table)
            .values((
                nas::nasname.eq(&new.nasname),
                nas::shortname.eq(&shortname),
                nas::nas_type.eq(&nas_type),
                nas::secret.eq(&new.secret),
                nas::description.eq(&description),
            ))
            .execute(c)
            .await?);
        self.list_nas()
            .await?
            .into_iter()
            .find(|n| n.nasname == new.nasname)
            .ok_or_else(|| Error::Internal("added NAS vanished".to_owned()))
    }

    /// Every RADIUS client, by id (secrets included).
    pub async fn list_nas(&self) -> Result<Vec<NasRecord>> {
        Ok(db_run!(self, read c => nas::table.order(nas::id.asc()).load::<NasRecord>(c).await?))
    }
}
