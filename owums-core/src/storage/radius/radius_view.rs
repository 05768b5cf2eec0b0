//! What FreeRADIUS' authorization queries return for a user or group: the views read with
//! the stock queries' shape (useful to operators as a preview, and to tests).

use diesel::sql_types::Text;

use crate::error::Result;
use crate::ids::RadiusAttribute;
use crate::storage::Store;
use crate::storage::sql::Val;

/// A view FreeRADIUS reads. The two user views show only subscribers who are valid RADIUS
/// users (verified, active, EULA accepted); the group views show every group's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RadiusView {
    /// `radcheck` by user name.
    Check,
    /// `radreply` by user name.
    Reply,
    /// `radgroupcheck` by group name.
    GroupCheck,
    /// `radgroupreply` by group name.
    GroupReply,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    attribute: String,
    #[diesel(sql_type = Text)]
    op: String,
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(diesel::QueryableByName)]
struct GroupRow {
    #[diesel(sql_type = Text)]
    groupname: String,
}

impl Store {
    /// Rows of `view` for `key` (a user name or a group name), in FreeRADIUS' order.
    ///
    /// The same `SELECT` as FreeRADIUS' stock `authorize_*_query`, so an operator sees what
    /// FreeRADIUS will see; an empty list for a user means FreeRADIUS does not know them
    /// (not valid, or no such user).
    pub async fn radius_view(&self, view: RadiusView, key: &str) -> Result<Vec<RadiusAttribute>> {
        let q = match view {
            RadiusView::Check => {
                "SELECT attribute, op, value FROM radcheck WHERE username = {k} ORDER BY id"
            }
            RadiusView::Reply => {
                "SELECT attribute, op, value FROM radreply WHERE username = {k} ORDER BY id"
            }
            RadiusView::GroupCheck => {
                "SELECT attribute, op, value FROM radgroupcheck WHERE groupname = {k} ORDER BY id"
            }
            RadiusView::GroupReply => {
                "SELECT attribute, op, value FROM radgroupreply WHERE groupname = {k} ORDER BY id"
            }
        };
        let rows: Vec<Row> = self
            .load_sql(q, &[("k", Val::Text(key.to_owned()))])
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| RadiusAttribute {
                attribute: r.attribute,
                op: r.op,
                value: r.value,
            })
            .collect())
    }

    /// The groups FreeRADIUS finds for `username` in `radusergroup`, in priority order
    /// (empty for a subscriber who is not a valid RADIUS user).
    pub async fn radius_user_groups(&self, username: &str) -> Result<Vec<String>> {
        let rows: Vec<GroupRow> = self
            .load_sql(
                "SELECT groupname FROM radusergroup WHERE username = {k} ORDER BY priority",
                &[("k", Val::Text(username.to_owned()))],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.groupname).collect())
    }
}
