//! A person using the app in a browser without JavaScript: keeps the session cookie
//! between requests and sends forms with the CSRF token of the page they came from.

use super::{Reply, TestApp, sel};
use hutong::domain::{NewAccount, Role};
use hutong::storage::Store;

/// Someone at the app, with the cookies their browser keeps (`name=value` each).
pub struct Visitor<'a> {
    pub app: &'a TestApp,
    /// The session cookie (`hutong_session=…`), when there is one.
    pub cookie: Option<String>,
    /// Every other cookie (the language), by name.
    others: std::collections::BTreeMap<String, String>,
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Visitor<'a> {
        Visitor {
            app,
            cookie: None,
            others: Default::default(),
        }
    }

    fn keep_cookie(&mut self, reply: &Reply) {
        for set in reply.header_values("set-cookie") {
            let pair = set.split(';').next().unwrap_or_default().trim().to_string();
            let removed = pair.ends_with('=') || set.to_ascii_lowercase().contains("max-age=0");
            let name = pair.split('=').next().unwrap_or_default().to_string();
            if name == hutong::web::session::SESSION_COOKIE {
                self.cookie = if removed { None } else { Some(pair) };
            } else if removed {
                self.others.remove(&name);
            } else {
                self.others.insert(name, pair);
            }
        }
    }

    /// The `cookie` header this browser sends.
    fn cookie_header(&self) -> Option<String> {
        let all: Vec<&str> = self
            .cookie
            .iter()
            .chain(self.others.values())
            .map(String::as_str)
            .collect();
        (!all.is_empty()).then(|| all.join("; "))
    }

    pub async fn get(&mut self, uri: &str) -> Reply {
        let mut request = self.app.get(uri);
        if let Some(c) = self.cookie_header() {
            request = request.header("cookie", &c);
        }
        let reply = request.await;
        self.keep_cookie(&reply);
        reply
    }

    pub async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let mut request = self.app.post_form(uri, fields);
        if let Some(c) = self.cookie_header() {
            request = request.header("cookie", &c);
        }
        let reply = request.await;
        self.keep_cookie(&reply);
        reply
    }

    /// A multipart form (`multipart/form-data`) with text fields and files, each file as
    /// (field name, file name, bytes).
    pub async fn post_multipart(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Reply {
        const BOUNDARY: &str = "----hutong-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, file, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\ncontent-type: image/png\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let mut request = self.app.post_body(
            uri,
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            body,
        );
        if let Some(c) = self.cookie_header() {
            request = request.header("cookie", &c);
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
