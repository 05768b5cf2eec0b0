//! `radacct`: recording accounting events (one by one, or in groups per transaction) and
//! the maintenance of sessions left open.

pub(crate) mod acct_groups;
pub(crate) mod maintenance;
pub(crate) mod radacct;
pub(crate) mod usage;
