//! What FreeRADIUS reads and writes for authorization: groups with their check and reply
//! items, the RADIUS views, the NAS list, `radpostauth`, and the usage sums counters read.

pub(crate) mod authorize;
pub(crate) mod groups;
pub(crate) mod nas;
pub(crate) mod postauth;
pub(crate) mod radius_view;
