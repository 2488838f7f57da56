//! Reviewing hand tests (issue 13): who may reach the review pages, the queue, approve /
//! reject / send back, the contributor's answer, and what approval publishes.

use crate::common::visitor::{PASSWORD, account, csrf_in};
use crate::common::{TestApp, Visitor, sel};
use hutong::domain::Role;

#[tokio::test]
async fn signing_in_brings_the_reader_back_to_the_page_they_asked_for() {
    let app = TestApp::new().await;
    account(app.store(), "li", Role::Contributor, "Li").await;
    let mut li = Visitor::new(&app);
    let asked = li.get("/contribute/mine?lang=zh-CN").await;
    assert_eq!(asked.status, 303);
    let to = asked.header("location").to_string();
    assert_eq!(to, "/sign-in?next=%2Fcontribute%2Fmine%3Flang%3Dzh-CN");
    let page = li.get(&to).await;
    let next = page
        .html()
        .select(&sel("form input[name=next]"))
        .next()
        .and_then(|i| i.value().attr("value").map(str::to_string));
    assert_eq!(next.as_deref(), Some("/contribute/mine?lang=zh-CN"));
    let csrf = csrf_in(&page);
    let signed = li
        .post(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("login", "li"),
                ("password", PASSWORD),
                ("next", "/contribute/mine?lang=zh-CN"),
            ],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(signed.header("location"), "/contribute/mine?lang=zh-CN");
    // Never to another site.
    for elsewhere in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let mut v = Visitor::new(&app);
        let csrf = v.csrf_of("/sign-in").await;
        let signed = v
            .post(
                "/sign-in",
                &[
                    ("csrf", &csrf),
                    ("login", "li"),
                    ("password", PASSWORD),
                    ("next", elsewhere),
                ],
            )
            .await;
        assert_eq!(signed.status, 303);
        assert_eq!(signed.header("location"), "/account?lang=en", "{elsewhere}");
    }
}
