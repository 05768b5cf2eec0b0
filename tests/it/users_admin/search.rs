//! Browse, search and exact find.

use owums_core::subscriber::{Found, UserQuery, UserSort};
use owums_core::{ErrorKind, UserRecord};

use super::{admin, create, form};
use crate::support::db_test;

fn names(users: &[UserRecord]) -> Vec<&str> {
    users.iter().map(|u| u.username.as_str()).collect()
}

fn text(t: &str) -> UserQuery {
    UserQuery {
        text: t.to_owned(),
        sort: UserSort::Username,
        descending: false,
        ..UserQuery::default()
    }
}

db_test!(search_matches_every_field_in_every_written_form, |db| {
    let a = admin(&db);
    create(
        &a,
        form(
            "mario.rossi",
            "Mario",
            "Rossi",
            "mario@example.org",
            "+39 334 123 4567",
        ),
    )
    .await;
    create(
        &a,
        form(
            "giulia.b",
            "Giulia",
            "Bianchi",
            "giulia@mail.test",
            "347 765 4321",
        ),
    )
    .await;
    create(
        &a,
        form("rossana", "Rossana", "Verdi", "rv@example.org", ""),
    )
    .await;
    create(
        &a,
        form(
            "luca99",
            "Luca",
            "Neri",
            "luca@shop.test",
            "+44 7700 900123",
        ),
    )
    .await;
    let found = async |t: &str| names(&a.browse(&text(t)).await.unwrap().users).join(",");
    // username, e-mail, names, any case
    assert_eq!(found("MARIO").await, "mario.rossi");
    assert_eq!(found("luca9").await, "luca99");
    assert_eq!(found("example.org").await, "mario.rossi,rossana");
    assert_eq!(found("@mail.test").await, "giulia.b");
    assert_eq!(found("ross").await, "mario.rossi,rossana");
    assert_eq!(found("bianchi").await, "giulia.b");
    // both orders of the names, spaces as typed
    assert_eq!(found("mario rossi").await, "mario.rossi");
    assert_eq!(found("  Rossi   Mario ").await, "mario.rossi");
    assert_eq!(found("giulia mario").await, "");
    // a match never spans two fields (username, then e-mail)
    assert_eq!(found("rossimario").await, "");
    assert_eq!(found("luca99luca").await, "");
    // the mobile in any written form, and part of its digits
    for t in [
        "+39 334 123 4567",
        "0039 334 1234567",
        "334 123 4567",
        "334-123-45",
        "1234567",
    ] {
        assert_eq!(found(t).await, "mario.rossi", "{t}");
    }
    assert_eq!(found("+393477654321").await, "giulia.b");
    assert_eq!(found("+44 7700 900 123").await, "luca99");
    assert_eq!(found("999 888").await, "");
    // wildcards are text
    assert_eq!(found("%%%").await, "");
    assert_eq!(found("o_r").await, "");
    // too short, too long, control characters: refused
    for t in ["ro", &"x".repeat(101), "ros\u{7}si"] {
        let e = a.browse(&text(t)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{t:?}");
    }
});

db_test!(filters_sort_and_pages, |db| {
    let a = admin(&db);
    let mut users = Vec::new();
    for (u, g, s, city) in [
        ("anna01", "Anna", "Zeta", "Roma"),
        ("bruno02", "Bruno", "Ypsilon", "Milano"),
        ("carla03", "Carla", "Xeno", "Bari"),
        ("dario04", "Dario", "Vu", "Asti"),
        ("elena05", "Elena", "Usai", "Como"),
    ] {
        let mut f = form(u, g, s, "", "");
        f.city = city.to_owned();
        users.push(create(&a, f).await);
    }
    let q = |sort, descending| UserQuery {
        sort,
        descending,
        ..UserQuery::default()
    };
    let page = a.browse(&q(UserSort::Surname, false)).await.unwrap();
    assert_eq!(
        names(&page.users),
        ["elena05", "dario04", "carla03", "bruno02", "anna01"]
    );
    assert_eq!((page.total, page.more), (5, false));
    let page = a.browse(&q(UserSort::City, true)).await.unwrap();
    assert_eq!(
        names(&page.users),
        ["anna01", "bruno02", "elena05", "carla03", "dario04"]
    );
    let page = a.browse(&q(UserSort::GivenName, true)).await.unwrap();
    assert_eq!(names(&page.users)[0], "elena05");
    // pages of two
    let paged = |page| UserQuery {
        per_page: Some(2),
        page,
        ..q(UserSort::Username, false)
    };
    let p1 = a.browse(&paged(1)).await.unwrap();
    let p3 = a.browse(&paged(3)).await.unwrap();
    assert_eq!(names(&p1.users), ["anna01", "bruno02"]);
    assert_eq!(names(&p3.users), ["elena05"]);
    assert_eq!((p1.total, p1.pages()), (5, 3));
    assert!(a.browse(&paged(4)).await.unwrap().users.is_empty());
    for bad in [
        UserQuery {
            page: 0,
            ..UserQuery::default()
        },
        UserQuery {
            per_page: Some(101),
            ..UserQuery::default()
        },
        UserQuery {
            per_page: Some(100),
            page: 101,
            ..UserQuery::default()
        },
    ] {
        assert_eq!(a.browse(&bad).await.unwrap_err().kind(), ErrorKind::Invalid);
    }
    // filters: state and method
    a.disable(users[1].id).await.unwrap();
    let edit = owums_core::subscriber::UserEdit {
        verified: Some(false),
        ..Default::default()
    };
    a.update(users[2].id, edit).await.unwrap();
    let only = |verified, active| UserQuery {
        verified,
        active,
        ..q(UserSort::Username, false)
    };
    assert_eq!(
        names(&a.browse(&only(None, Some(false))).await.unwrap().users),
        ["bruno02"]
    );
    assert_eq!(
        names(&a.browse(&only(Some(false), None)).await.unwrap().users),
        ["carla03"]
    );
    let on = a.browse(&only(Some(true), Some(true))).await.unwrap();
    assert_eq!(names(&on.users), ["anna01", "dario04", "elena05"]);
    let mut f = form("franca06", "Franca", "Tau", "", "");
    f.method = "id_card".to_owned();
    f.evidence = Some(serde_json::json!({"document": "passport"}));
    create(&a, f).await;
    let by_method = UserQuery {
        method: Some("id_card".to_owned()),
        ..UserQuery::default()
    };
    assert_eq!(
        names(&a.browse(&by_method).await.unwrap().users),
        ["franca06"]
    );
    // sort by state flags, newest first by default
    let page = a.browse(&q(UserSort::Active, false)).await.unwrap();
    assert_eq!(page.users[0].username.as_str(), "bruno02");
    assert_eq!(
        a.browse(&UserQuery::default()).await.unwrap().users.len(),
        6
    );
});

db_test!(find_answers_one_none_or_several, |db| {
    let a = admin(&db);
    let mario = create(
        &a,
        form(
            "mario.rossi",
            "Mario",
            "Rossi",
            "mario@example.org",
            "+39 334 123 4567",
        ),
    )
    .await;
    for t in [
        "mario.rossi",
        "MARIO.ROSSI",
        "Mario@Example.org",
        "+39 334 123 4567",
        "0039 3341234567",
        "334 1234567",
    ] {
        match a.find(t).await.unwrap() {
            Found::One(u) => assert_eq!(u.id, mario.id, "{t}"),
            other => panic!("{t}: {other:?}"),
        }
    }
    // exact only: a fragment is not found
    for t in ["mario", "example.org", "1234567", "nobody"] {
        assert_eq!(a.find(t).await.unwrap(), Found::None, "{t}");
    }
    // one's username is another's mobile number
    create(&a, form("3341234567", "Other", "One", "", "")).await;
    assert_eq!(a.find("3341234567").await.unwrap(), Found::Several);
    assert_eq!(a.find("").await.unwrap_err().kind(), ErrorKind::Invalid);
});
