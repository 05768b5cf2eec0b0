//! The operator console's user service ([`owums_core::subscriber::UserAdmin`]) on every
//! backend: search in every written form, filters, sorting and pages; exact find; create
//! per permission; edits with their changes, effective on the next authorize; refused input
//! that changes nothing.

use owums_core::operator::{Permission, Permissions};
use owums_core::subscriber::{NewPassword, NewSubscriber, UserAdmin};
use owums_core::{GroupName, UserRecord};

use crate::support::{TestDb, subscribers};

mod edit;
mod search;

/// The service on `db`, reading national numbers as Italian.
fn admin(db: &TestDb) -> UserAdmin {
    UserAdmin::new(subscribers(db), Some("39".to_owned()))
}

/// Every permission an admin has.
fn manager() -> Permissions {
    Permissions::all()
}

/// Only `p`.
fn only(p: &[Permission]) -> Permissions {
    let mut ps = Permissions::none();
    for p in p {
        ps.insert(*p);
    }
    ps
}

/// A subscriber form with the given username, names, e-mail and mobile (empty: none),
/// method `none`, password `Tulip-Harbor-93`.
fn form(username: &str, given: &str, surname: &str, email: &str, mobile: &str) -> NewSubscriber {
    NewSubscriber {
        username: username.to_owned(),
        given_name: given.to_owned(),
        surname: surname.to_owned(),
        email: email.to_owned(),
        mobile: mobile.to_owned(),
        method: "none".to_owned(),
        password: NewPassword::Typed("Tulip-Harbor-93".to_owned()),
        ..NewSubscriber::default()
    }
}

/// Creates `new` as an admin.
async fn create(a: &UserAdmin, new: NewSubscriber) -> UserRecord {
    a.create("desk-anna", &manager(), new).await.unwrap().user
}

/// The group names of `user`.
async fn groups(db: &TestDb, user: &UserRecord) -> Vec<String> {
    db.store
        .user_groups(user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(g, _): (GroupName, i32)| g.as_str().to_owned())
        .collect()
}
