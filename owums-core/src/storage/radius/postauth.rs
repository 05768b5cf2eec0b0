//! `radpostauth`: the log of authentication results. An accepted password is never kept
//! (a trigger blanks it, whatever writes the row); which rejected passwords may be kept is
//! the writer's decision (owums' REST API keeps only wrong ones, and only when asked to).

use diesel::sql_types::{BigInt, Nullable, Text};

use crate::accounting::check_nas_text;
use crate::error::Result;
use crate::storage::Store;
use crate::storage::sql::Val;

/// One `radpostauth` row, with FreeRADIUS' column names.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct PostAuthRecord {
    /// `id`, growing: newer rows have larger ids.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// `username`: the `User-Name` as the NAS sent it (not necessarily a subscriber's).
    #[diesel(sql_type = Text)]
    pub username: String,
    /// `pass` (empty for an Access-Accept).
    #[diesel(sql_type = Text)]
    pub pass: String,
    /// `reply` (`Access-Accept`, `Access-Reject`).
    #[diesel(sql_type = Text)]
    pub reply: String,
    /// `authdate`, Unix seconds.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub authdate: Option<i64>,
}

impl Store {
    /// Logs an authentication result with `pass` as given (pass `""` to keep none); the
    /// password of an `Access-Accept` is blanked whatever is given.
    ///
    /// `when` is Unix seconds. Text with control characters, or longer than its stock
    /// column (`username` and `pass` 64 characters, `reply` 32), is refused with
    /// [`Error::Invalid`](crate::Error::Invalid) and nothing is written. The REST post-auth endpoint calls it; in SQL mode
    /// FreeRADIUS writes the table itself, and a database trigger blanks accepted
    /// passwords there too.
    pub async fn record_postauth(
        &self,
        username: &str,
        pass: &str,
        reply: &str,
        when: i64,
    ) -> Result<()> {
        check_nas_text("username", username, 64)?;
        check_nas_text("pass", pass, 64)?;
        check_nas_text("reply", reply, 32)?;
        let pass = if reply == "Access-Accept" { "" } else { pass };
        self.execute_sql(
            "INSERT INTO radpostauth (username, pass, reply, authdate) VALUES ({user}, {pass}, {reply}, {when})",
            &[
                ("user", Val::Text(username.to_owned())),
                ("pass", Val::Text(pass.to_owned())),
                ("reply", Val::Text(reply.to_owned())),
                ("when", Val::DateTime(when)),
            ],
        )
        .await?;
        Ok(())
    }

    /// The authentication log of `username`, newest first.
    pub async fn postauth_for_user(&self, username: &str) -> Result<Vec<PostAuthRecord>> {
        self.load_sql(
            "SELECT INT64(id) AS id, username, COALESCE(pass, '') AS pass, COALESCE(reply, '') AS reply, \
             EPOCH(authdate) AS authdate FROM radpostauth WHERE username = {user} ORDER BY id DESC",
            &[("user", Val::Text(username.to_owned()))],
        )
        .await
    }
}
