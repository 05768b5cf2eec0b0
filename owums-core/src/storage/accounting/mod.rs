//! `radacct`: what each accounting event does (`plan`), the statements that do it on each
//! backend (`write`), recording events one by one or in groups per transaction
//! (`acct_groups`), and the maintenance of sessions left open.

pub(crate) mod acct_groups;
pub(crate) mod maintenance;
pub(crate) mod plan;
pub(crate) mod radacct;
pub(crate) mod usage;
pub(crate) mod write;
