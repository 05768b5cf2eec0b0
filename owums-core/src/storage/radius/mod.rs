//! What FreeRADIUS reads and writes for authorization: groups with their check and reply
//! items, the RADIUS views, the NAS list, `radpostauth`, and the usage sums counters read.
//!
//! Two readers use these tables. In SQL mode FreeRADIUS itself runs its stock queries on
//! them: `radcheck`, `radreply` and `radusergroup` are views over owums' tables (only valid
//! subscribers appear in them), `radgroupcheck`/`radgroupreply` and `nas` are FreeRADIUS'
//! own tables, and it writes `radpostauth`. In REST mode owums answers instead, and
//! `authorize` reads the same data in one query per concern ([`Store::radius_profile`],
//! [`Store::usage_since`], [`Store::open_sessions_elsewhere`]).
//!
//! [`Store::radius_profile`]: crate::Store::radius_profile
//! [`Store::usage_since`]: crate::Store::usage_since
//! [`Store::open_sessions_elsewhere`]: crate::Store::open_sessions_elsewhere

pub(crate) mod authorize;
pub(crate) mod group_edit;
pub(crate) mod groups;
pub(crate) mod items;
pub(crate) mod nas;
pub(crate) mod postauth;
pub(crate) mod radius_view;
