//! Signing in, and the signed-in person's own account page. Plain forms (no script); every
//! form that changes something carries the session's CSRF token in a hidden field.

use crate::layout::render_document;
use crate::model::Chrome;
use leptos::prelude::*;

/// What the sign-in page shows: the login typed (kept after a refusal) and why it was
/// refused, if it was.
#[derive(Debug, Clone, Default)]
pub struct SignInView {
    pub csrf: String,
    pub login: String,
    /// Where signing in leads (a path on this site), empty for the account page.
    pub next: String,
    pub message: Option<String>,
}

/// The signed-in account as its owner sees it (never shown to anyone else).
#[derive(Debug, Clone)]
pub struct AccountView {
    pub csrf: String,
    pub login: String,
    pub public_name: String,
    pub organisation: Option<String>,
    /// The role, in the reader's language.
    pub role: String,
    /// How pages credit this person's hand tests.
    pub credit: String,
    /// Pages this role can use: (address, label).
    pub links: Vec<(String, String)>,
}

/// The hidden field that carries the CSRF token.
pub fn csrf_field(token: &str) -> impl IntoView + use<> {
    view! { <input type="hidden" name="csrf" value=token.to_string()/> }
}

pub fn sign_in_page(chrome: &Chrome, v: &SignInView) -> String {
    let lang = chrome.lang;
    let message = v
        .message
        .clone()
        .map(|m| view! { <p class="alert" role="alert">{m}</p> });
    let body = view! {
        <h1>{lang.t("sign-in-heading")}</h1>
        <p>{lang.t("sign-in-intro")}</p>
        {message}
        <form method="post" action=format!("/sign-in?lang={}", lang.code()) class="account-form">
            {csrf_field(&v.csrf)}
            {(!v.next.is_empty()).then(|| view! { <input type="hidden" name="next" value=v.next.clone()/> })}
            <p>
                <label for="login">{lang.t("sign-in-login")}</label><br/>
                <input id="login" name="login" type="text" required autocomplete="username"
                    maxlength="64" value=v.login.clone()/>
            </p>
            <p>
                <label for="password">{lang.t("sign-in-password")}</label><br/>
                <input id="password" name="password" type="password" required
                    autocomplete="current-password" maxlength="1024"/>
            </p>
            <p><button type="submit">{lang.t("sign-in-submit")}</button></p>
        </form>
        <p class="muted">{lang.t("sign-in-no-accounts")}</p>
    };
    render_document(chrome, body)
}

pub fn account_page(chrome: &Chrome, v: &AccountView) -> String {
    let lang = chrome.lang;
    let organisation = v.organisation.clone().map(|o| {
        view! {
            <dt>{lang.t("account-organisation")}</dt>
            <dd>{o}</dd>
        }
    });
    let links = v
        .links
        .iter()
        .map(|(href, label)| view! { <li><a href=href.clone()>{label.clone()}</a></li> })
        .collect::<Vec<_>>();
    let body = view! {
        <h1>{lang.t_args("account-heading", &[("name", v.public_name.clone().into())])}</h1>
        <dl>
            <dt>{lang.t("account-login")}</dt>
            <dd>{v.login.clone()}</dd>
            <dt>{lang.t("account-role")}</dt>
            <dd>{v.role.clone()}</dd>
            {organisation}
        </dl>
        <p>{lang.t_args("account-public-note", &[("credit", v.credit.clone().into())])}</p>
        <ul>{links}</ul>
        <form method="post" action=format!("/sign-out?lang={}", lang.code())>
            {csrf_field(&v.csrf)}
            <button type="submit">{lang.t("account-sign-out")}</button>
        </form>
    };
    render_document(chrome, body)
}
