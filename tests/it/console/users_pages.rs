//! The console's user pages through the test client: browse, search, filters, sort and
//! pages; the exact find of `users_finder`; a user's page; the edit form with good and
//! refused input; disable and enable as FreeRADIUS sees them; delete after a
//! confirmation; the document photos — on every backend.

use owums_core::operator::{AuditFilter, AuditLog, Operators, Permission, Permissions};
use owums_core::subscriber::{UserAdmin, UserEdit};
use owums_core::{NewUser, Settings, UserId, UserRecord};
use poem::http::{StatusCode, header};

use super::pages::{PASSWORD, browser, log_in};
use crate::freeradius_rest::{auth_body, client, config, parsed, post};
use crate::pages::Browser;
use crate::support::{TestDb, db_test, mobile, new_user, subscribers};

/// A browser logged in as a new operator `name` holding `perms`.
async fn operator(db: &TestDb, name: &str, perms: &[Permission]) -> Browser {
    let set: Permissions = perms.iter().copied().collect();
    Operators::new(db.store.clone())
        .create(name, PASSWORD, set)
        .await
        .unwrap();
    let (mut b, _clock) = browser(db);
    let p = log_in(&mut b, name, PASSWORD).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    b
}

/// Registers `user` and makes them verified and active.
async fn verified(db: &TestDb, user: NewUser) -> UserRecord {
    let u = subscribers(db).register(user).await.unwrap();
    admin(db)
        .update(
            u.id,
            UserEdit {
                verified: Some(true),
                ..UserEdit::default()
            },
        )
        .await
        .unwrap()
        .0
}

fn admin(db: &TestDb) -> UserAdmin {
    UserAdmin::new(subscribers(db), Some("39".to_owned()))
}

async fn find(db: &TestDb, id: UserId) -> Option<UserRecord> {
    db.store.find_user(id).await.unwrap()
}

db_test!(the_list_searches_filters_sorts_and_pages, |db| {
    let carla = verified(
        &db,
        NewUser {
            mobile: Some(mobile("+393341234567")),
            surname: "Verdi".to_owned(),
            ..new_user("carla")
        },
    )
    .await;
    let anna = verified(&db, new_user("anna")).await;
    let bruno = subscribers(&db).register(new_user("bruno")).await.unwrap();
    admin(&db).disable(anna.id).await.unwrap();
    let mut b = operator(&db, "desk", &[Permission::UsersBrowser]).await;

    let p = b.get("/operator/users?sort=username&dir=asc").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    p.has("3 users match.");
    let (a, bb, c) = (
        p.body.find(">anna<").unwrap(),
        p.body.find(">bruno<").unwrap(),
        p.body.find(">carla<").unwrap(),
    );
    assert!(a < bb && bb < c, "sorted by username");
    p.has(&format!("href=\"/operator/users/{}\"", carla.id));

    // a mobile typed the national way finds it; a name does too
    let p = b.get("/operator/users?q=334+123+4567").await;
    p.has(">carla<").lacks(">anna<").lacks(">bruno<");
    let p = b.get("/operator/users?q=verdi").await;
    p.has(">carla<").lacks(">bruno<");
    // filters
    let p = b.get("/operator/users?active=no").await;
    p.has(">anna<").lacks(">carla<").lacks(">bruno<");
    let p = b.get("/operator/users?verified=no").await;
    p.has(">bruno<").lacks(">carla<");
    // a text too short is refused with a message, in the operator's language
    let p = b.get("/operator/users?q=ab").await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    p.lacks(">carla<");
    // pages of two, last in the alphabet first (registration times may tie)
    Settings::new(db.store.clone())
        .set("default_user_search_results_per_page", "2")
        .await
        .unwrap();
    let p = b.get("/operator/users?sort=username&dir=desc").await;
    p.has("1 / 2").has(">carla<").has(">bruno<").lacks(">anna<");
    p.has("sort=username&amp;dir=desc&amp;page=2");
    let p = b.get("/operator/users?sort=username&dir=desc&page=2").await;
    p.has("2 / 2").has(">anna<").lacks(">bruno<");
    let _ = bruno;
});

db_test!(users_finder_opens_one_exact_user_only, |db| {
    let carla = verified(
        &db,
        NewUser {
            mobile: Some(mobile("+393341234567")),
            ..new_user("carla")
        },
    )
    .await;
    let mut b = operator(&db, "helpdesk", &[Permission::UsersFinder]).await;
    assert_eq!(b.get("/operator/users").await.status, StatusCode::FORBIDDEN);
    let p = b.get("/operator/users/find").await;
    assert_eq!(p.status, StatusCode::OK);
    let p = b.get("/operator/users/find?q=0039+334+1234567").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let to = format!("/operator/users/{}", carla.id);
    assert_eq!(p.location.as_deref(), Some(to.as_str()));
    let p = b.get(&to).await;
    assert_eq!(p.status, StatusCode::OK);
    p.has("carla@example.org")
        .lacks(&format!("{to}/edit"))
        .lacks(&format!("{to}/delete"));
    // a part is not an exact find
    let p = b.get("/operator/users/find?q=carla%40example").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    p.has("No user has exactly");
});

db_test!(the_user_page_shows_the_record, |db| {
    let carla = verified(
        &db,
        NewUser {
            surname: "Verdi".to_owned(),
            ..new_user("carla")
        },
    )
    .await;
    let mut b = operator(
        &db,
        "desk",
        &[Permission::UsersBrowser, Permission::UsersManager],
    )
    .await;
    let p = b.get(&format!("/operator/users/{}", carla.id)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    p.has("carla@example.org")
        .has("Verdi")
        .has("Web logins")
        .has("id=\"traffic-chart\"")
        .has("id=\"time-chart\"")
        .has(&format!("/operator/users/{}/radius", carla.id))
        .has(&format!("/operator/users/{}/edit", carla.id))
        .has("Not online.")
        .lacks(&format!("/operator/users/{}/delete", carla.id));
    assert_eq!(
        b.get("/operator/users/999999").await.status,
        StatusCode::NOT_FOUND
    );
});

db_test!(editing_saves_good_input_and_refuses_bad_input, |db| {
    let carla = verified(&db, new_user("carla")).await;
    let mut b = operator(
        &db,
        "desk",
        &[Permission::UsersBrowser, Permission::UsersManager],
    )
    .await;
    let path = format!("/operator/users/{}/edit", carla.id);
    let form = b.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    form.has("value=\"carla@example.org\"");
    let csrf = form.csrf();
    let fields = |email: &'static str, birth: &'static str| {
        vec![
            ("username", "carla"),
            ("email", email),
            ("mobile", ""),
            ("given_name", "Carla"),
            ("surname", "Bianchi"),
            ("birth_date", birth),
            ("address", "Via Roma 1"),
            ("city", "Roma"),
            ("zip", "00100"),
            ("country", "Italia"),
            ("locale", "it"),
            ("notes", "came by the desk"),
            ("verified", "1"),
            ("active", "1"),
        ]
    };
    let before = find(&db, carla.id).await;
    for (email, birth, error) in [
        ("not-an-email", "", "E-mail"),
        ("carla@example.org", "25/04/1990", "year-month-day"),
    ] {
        let mut f = fields(email, birth);
        f.push(("csrf_token", &csrf));
        let p = b.post(&path, &f).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        p.has(error).has("class=\"error\"");
        assert_eq!(find(&db, carla.id).await, before, "nothing changed");
    }
    let mut f = fields("carla.b@example.org", "1990-04-25");
    f.push(("csrf_token", &csrf));
    let p = b.post(&path, &f).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let after = find(&db, carla.id).await.unwrap();
    assert_eq!(after.email.unwrap().as_str(), "carla.b@example.org");
    assert_eq!(after.surname, "Bianchi");
    assert_eq!(after.notes.as_deref(), Some("came by the desk"));
    assert_eq!(after.birth_date.unwrap().to_string(), "1990-04-25");
    let log = AuditLog::new(db.store.clone())
        .query(&AuditFilter::default(), 1, 10)
        .await
        .unwrap();
    let row = log.rows.iter().find(|r| r.action == "user.update").unwrap();
    assert!(row.changes.iter().any(|c| c.field == "email"));

    // a generated password is shown once and works
    let mut f = fields("carla.b@example.org", "1990-04-25");
    f.push(("csrf_token", &csrf));
    f.push(("generate", "1"));
    let p = b.post(&path, &f).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let marker = "<code class=\"secret\">";
    let start = p.body.find(marker).unwrap() + marker.len();
    let end = start + p.body[start..].find("</code>").unwrap();
    let password = &p.body[start..end];
    assert!(
        subscribers(&db)
            .authenticate("carla", password)
            .await
            .is_ok(),
        "the generated password works"
    );
});

db_test!(disable_enable_and_delete_reach_radius, |db| {
    let carla = verified(&db, new_user("carla")).await;
    let mut b = operator(
        &db,
        "desk",
        &[
            Permission::UsersBrowser,
            Permission::UsersManager,
            Permission::UsersDestroyer,
        ],
    )
    .await;
    let cfg = config(&db);
    let cli = client(&cfg, &db, "127.0.0.1");
    let accepted = async |cli: &_| {
        let (_, body) = post(cli, "authorize", &auth_body("carla", PASSWORD)).await;
        !body.is_empty() && parsed(&body)["control:Auth-Type"] == "Accept"
    };
    assert!(accepted(&cli).await, "verified and active");
    let show = format!("/operator/users/{}", carla.id);
    let csrf = b.get(&show).await.csrf();
    let p = b
        .post(&format!("{show}/disable"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(!accepted(&cli).await, "disabled");
    b.get(&format!("{show}?done=disabled"))
        .await
        .has("cannot log in");
    let p = b
        .post(&format!("{show}/enable"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(accepted(&cli).await, "enabled again");

    let confirm = b.get(&format!("{show}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    confirm.has("Delete carla for good?");
    assert!(
        find(&db, carla.id).await.is_some(),
        "asking deletes nothing"
    );
    let p = b
        .post(&format!("{show}/delete"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(find(&db, carla.id).await.is_none());
    assert!(!accepted(&cli).await, "deleted");
    let log = AuditLog::new(db.store.clone())
        .query(&AuditFilter::default(), 1, 10)
        .await
        .unwrap();
    for action in ["user.disable", "user.enable", "user.delete"] {
        assert!(log.rows.iter().any(|r| r.action == action), "{action}");
    }
});

db_test!(document_photos_only_for_users_browser, |db| {
    use crate::plugins::id_card::{card_user, input, photo_jpeg, services};
    let (ops, _) = services(&db);
    let anna = subscribers(&db).register(card_user("anna")).await.unwrap();
    ops.verify_with("desk-mario", anna.id, input("YA1234567", photo_jpeg()))
        .await
        .unwrap();
    let mut b = operator(&db, "desk", &[Permission::UsersBrowser]).await;
    let show = format!("/operator/users/{}", anna.id);
    let p = b.get(&show).await;
    p.has("Verified by")
        .has("desk-mario")
        .has(&format!("{show}/attachments/thumbnail"));
    for kind in ["document", "thumbnail"] {
        let p = b.get(&format!("{show}/attachments/{kind}")).await;
        assert_eq!(p.status, StatusCode::OK, "{kind}");
        assert_eq!(p.headers[header::CONTENT_TYPE], "image/jpeg");
        assert_eq!(p.headers[header::CACHE_CONTROL], "private, no-store");
    }
    assert_eq!(
        b.get(&format!("{show}/attachments/selfie")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut finder = operator(&db, "helpdesk", &[Permission::UsersFinder]).await;
    finder.get(&show).await.lacks("/attachments/");
    let p = finder.get(&format!("{show}/attachments/document")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    p.lacks("JFIF");
});
