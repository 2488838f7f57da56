//! A person using the app in a browser without JavaScript: keeps the session cookie
//! between requests and sends forms with the CSRF token of the page they came from.

use super::{Reply, TestApp, sel};
use hutong::domain::{NewAccount, Role};
use hutong::storage::Store;

/// Someone at the app, with the cookie their browser keeps (`name=value`).
pub struct Visitor<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Visitor<'a> {
        Visitor { app, cookie: None }
    }

    fn keep_cookie(&mut self, reply: &Reply) {
        for set in reply.header_values("set-cookie") {
            let pair = set.split(';').next().unwrap_or_default().trim().to_string();
            let removed = pair.ends_with('=') || set.to_ascii_lowercase().contains("max-age=0");
            self.cookie = if removed { None } else { Some(pair) };
        }
    }

    pub async fn get(&mut self, uri: &str) -> Reply {
        let mut request = self.app.get(uri);
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        let reply = request.await;
        self.keep_cookie(&reply);
        reply
    }

    pub async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let mut request = self.app.post_form(uri, fields);
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        let reply = request.await;
        self.keep_cookie(&reply);
        reply
    }

    /// The CSRF token in the first form of the page at `uri`.
    pub async fn csrf_of(&mut self, uri: &str) -> String {
        let page = self.get(uri).await;
        csrf_in(&page)
    }

    /// Signs in through the form; the answer to the form's post.
    pub async fn sign_in(&mut self, login: &str, password: &str) -> Reply {
        let csrf = self.csrf_of("/sign-in").await;
        self.post(
            "/sign-in",
            &[("csrf", &csrf), ("login", login), ("password", password)],
        )
        .await
    }
}

/// The CSRF token in a page's first form.
pub fn csrf_in(page: &Reply) -> String {
    page.html()
        .select(&sel("input[name=csrf]"))
        .next()
        .and_then(|i| i.value().attr("value"))
        .unwrap_or_else(|| panic!("no CSRF field in {}: {}", page.status, page.body))
        .to_string()
}

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// Creates an account (as the command line would) with [`PASSWORD`].
pub async fn account(store: &Store, login: &str, role: Role, name: &str) {
    hutong::accounts::add(
        store,
        NewAccount {
            login: login.into(),
            public_name: name.into(),
            organisation: None,
            email: Some(format!("{login}@example.org")),
            role,
        },
        Some(PASSWORD.into()),
        &hutong::accounts::Actor::command_line(),
    )
    .await
    .expect("create an account");
}
