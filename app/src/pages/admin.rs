//! The admin pages: accounts (create, reset, disable, enable, change role) and the audit
//! log; and the API tokens on a person's own account page. Plain forms (no script); every
//! form that changes something carries the session's CSRF token.

use super::account::csrf_field;
use crate::layout::render_document;
use crate::model::Chrome;
use leptos::prelude::*;

/// One account as an admin sees it (emails included: admins only).
#[derive(Debug, Clone)]
pub struct AdminAccountRow {
    pub login: String,
    pub public_name: String,
    pub organisation: Option<String>,
    pub email: Option<String>,
    /// The role's id and its label in the reader's language.
    pub role: String,
    pub role_label: String,
    pub disabled: bool,
    pub created: String,
    pub last_sign_in: Option<String>,
    /// The admin looking: no disabling oneself.
    pub is_self: bool,
}

/// A secret shown once: (what it is, the secret).
#[derive(Debug, Clone)]
pub struct ShownOnce {
    pub heading: String,
    pub secret: String,
}

#[derive(Debug, Clone, Default)]
pub struct AdminAccountsView {
    pub csrf: String,
    pub rows: Vec<AdminAccountRow>,
    /// Roles as (id, label).
    pub roles: Vec<(String, String)>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub once: Option<ShownOnce>,
    /// The create form's values, kept after a refusal: login, name, organisation, email,
    /// role.
    pub new_values: [String; 5],
}

fn action(path: &str, lang: crate::i18n::Lang) -> String {
    format!("{path}?lang={}", lang.code())
}

fn once_view(once: Option<ShownOnce>, lang: crate::i18n::Lang) -> impl IntoView + use<> {
    once.map(|o| {
        view! {
            <div class="notice once" role="status">
                <p><strong>{o.heading}</strong></p>
                <p><code class="secret">{o.secret}</code></p>
                <p class="muted">{lang.t("admin-once-note")}</p>
            </div>
        }
    })
}

pub fn admin_accounts_page(chrome: &Chrome, v: &AdminAccountsView) -> String {
    let lang = chrome.lang;
    let notice = v
        .notice
        .clone()
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let error = v
        .error
        .clone()
        .map(|m| view! { <p class="alert" role="alert">{m}</p> });
    let role_options = |selected: &str| {
        v.roles
            .iter()
            .map(|(id, label)| {
                view! { <option value=id.clone() selected=id == selected>{label.clone()}</option> }
            })
            .collect::<Vec<_>>()
    };
    let rows = v
        .rows
        .iter()
        .map(|a| {
            let base = format!("/admin/accounts/{}", urlencoding_path(&a.login));
            let state = if a.disabled {
                lang.t("admin-state-disabled")
            } else {
                lang.t("admin-state-enabled")
            };
            let toggle = if a.disabled {
                Some(view! {
                    <form method="post" action=action(&format!("{base}/enable"), lang)>
                        {csrf_field(&v.csrf)}
                        <button type="submit">{lang.t("admin-enable")}</button>
                    </form>
                })
            } else if !a.is_self {
                Some(view! {
                    <form method="post" action=action(&format!("{base}/disable"), lang)>
                        {csrf_field(&v.csrf)}
                        <button type="submit">{lang.t("admin-disable")}</button>
                    </form>
                })
            } else {
                None
            };
            view! {
                <tr id=format!("account-{}", a.login)>
                    <td data-label=lang.t("admin-col-login")>{a.login.clone()}</td>
                    <td data-label=lang.t("admin-col-name")>{a.public_name.clone()}</td>
                    <td data-label=lang.t("admin-col-organisation")>{a.organisation.clone().unwrap_or_default()}</td>
                    <td data-label=lang.t("admin-col-email")>{a.email.clone().unwrap_or_default()}</td>
                    <td data-label=lang.t("admin-col-role")>
                        <form method="post" action=action(&format!("{base}/role"), lang) class="inline">
                            {csrf_field(&v.csrf)}
                            <label class="visually-hidden" for=format!("role-{}", a.login)>{lang.t("admin-col-role")}</label>
                            <select id=format!("role-{}", a.login) name="role">{role_options(&a.role)}</select>
                            " "
                            <button type="submit">{lang.t("admin-change-role")}</button>
                        </form>
                    </td>
                    <td data-label=lang.t("admin-col-state")>{state}</td>
                    <td data-label=lang.t("admin-col-created")>{a.created.clone()}</td>
                    <td data-label=lang.t("admin-col-last-sign-in")>{a.last_sign_in.clone().unwrap_or_else(|| "—".into())}</td>
                    <td class="actions">
                        <form method="post" action=action(&format!("{base}/reset"), lang)>
                            {csrf_field(&v.csrf)}
                            <button type="submit">{lang.t("admin-reset")}</button>
                        </form>
                        {toggle}
                    </td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let [login, name, organisation, email, role] = v.new_values.clone();
    let role = if role.is_empty() {
        "contributor".to_string()
    } else {
        role
    };
    let body = view! {
        <h1>{lang.t("admin-accounts-heading")}</h1>
        <p><a href=action("/admin/audit", lang)>{lang.t("admin-audit-link")}</a></p>
        {notice}
        {error}
        {once_view(v.once.clone(), lang)}
        <div class="table-scroll">
        <table class="admin-accounts">
            <thead><tr>
                <th>{lang.t("admin-col-login")}</th>
                <th>{lang.t("admin-col-name")}</th>
                <th>{lang.t("admin-col-organisation")}</th>
                <th>{lang.t("admin-col-email")}</th>
                <th>{lang.t("admin-col-role")}</th>
                <th>{lang.t("admin-col-state")}</th>
                <th>{lang.t("admin-col-created")}</th>
                <th>{lang.t("admin-col-last-sign-in")}</th>
                <th>{lang.t("admin-col-actions")}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
        <h2>{lang.t("admin-create-heading")}</h2>
        <form method="post" action=action("/admin/accounts", lang) class="account-form">
            {csrf_field(&v.csrf)}
            <p>
                <label for="new-login">{lang.t("admin-col-login")}</label><br/>
                <input id="new-login" name="login" type="text" required maxlength="64" value=login/>
            </p>
            <p>
                <label for="new-name">{lang.t("admin-col-name")}</label><br/>
                <input id="new-name" name="public_name" type="text" required maxlength="100" value=name/>
            </p>
            <p>
                <label for="new-organisation">{lang.t("admin-col-organisation")}</label><br/>
                <input id="new-organisation" name="organisation" type="text" maxlength="100" value=organisation/>
            </p>
            <p>
                <label for="new-email">{lang.t("admin-col-email")}</label><br/>
                <input id="new-email" name="email" type="text" maxlength="254" value=email/>
            </p>
            <p>
                <label for="new-role">{lang.t("admin-col-role")}</label><br/>
                <select id="new-role" name="role">{role_options(&role)}</select>
            </p>
            <p class="muted">{lang.t("admin-create-note")}</p>
            <p><button type="submit">{lang.t("admin-create-submit")}</button></p>
        </form>
    };
    render_document(chrome, body)
}

/// A login in a path: logins are letters, digits and `.-_@`, so only `@` needs care.
fn urlencoding_path(login: &str) -> String {
    login.replace('@', "%40")
}

/// One audit line as shown.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub address: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditView {
    pub rows: Vec<AuditRow>,
    pub actor: String,
    pub action: String,
    /// The actions to choose from.
    pub actions: Vec<String>,
    /// "Lines 1-50 of 120".
    pub summary: String,
    pub newer: Option<String>,
    pub older: Option<String>,
    pub csv_href: String,
    pub json_href: String,
}

pub fn admin_audit_page(chrome: &Chrome, v: &AuditView) -> String {
    let lang = chrome.lang;
    let actions = std::iter::once((String::new(), lang.t("admin-audit-any")))
        .chain(v.actions.iter().map(|a| (a.clone(), a.clone())))
        .map(|(value, label)| {
            let selected = value == v.action;
            view! { <option value=value selected=selected>{label}</option> }
        })
        .collect::<Vec<_>>();
    let rows = v
        .rows
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <td>{r.when.clone()}</td>
                    <td>{r.actor.clone()}</td>
                    <td>{r.action.clone()}</td>
                    <td>{r.subject.clone()}</td>
                    <td>{r.detail.clone()}</td>
                    <td>{r.address.clone()}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let newer = v
        .newer
        .clone()
        .map(|h| view! { <a rel="prev" href=h>{lang.t("admin-audit-newer")}</a>" " });
    let older = v
        .older
        .clone()
        .map(|h| view! { <a rel="next" href=h>{lang.t("admin-audit-older")}</a> });
    let empty = v
        .rows
        .is_empty()
        .then(|| view! { <p>{lang.t("admin-audit-empty")}</p> });
    let body = view! {
        <h1>{lang.t("admin-audit-heading")}</h1>
        <p><a href=action("/admin/accounts", lang)>{lang.t("admin-accounts-link")}</a></p>
        <form method="get" action="/admin/audit" class="account-form">
            <input type="hidden" name="lang" value=lang.code()/>
            <p>
                <label for="actor">{lang.t("admin-audit-actor")}</label><br/>
                <input id="actor" name="actor" type="text" maxlength="64" value=v.actor.clone()/>
            </p>
            <p>
                <label for="action">{lang.t("admin-audit-action")}</label><br/>
                <select id="action" name="action">{actions}</select>
            </p>
            <p><button type="submit">{lang.t("admin-audit-filter")}</button></p>
        </form>
        <p>
            {v.summary.clone()}" · "
            <a href=v.csv_href.clone() download="">{lang.t("admin-audit-csv")}</a>" · "
            <a href=v.json_href.clone() download="">{lang.t("admin-audit-json")}</a>
        </p>
        {empty}
        <div class="table-scroll">
        <table class="audit">
            <thead><tr>
                <th>{lang.t("admin-audit-when")}</th>
                <th>{lang.t("admin-audit-actor")}</th>
                <th>{lang.t("admin-audit-action")}</th>
                <th>{lang.t("admin-audit-subject")}</th>
                <th>{lang.t("admin-audit-detail")}</th>
                <th>{lang.t("admin-audit-address")}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
        <p class="pager">{newer}{older}</p>
    };
    render_document(chrome, body)
}

/// One of a person's API tokens.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

/// The API tokens part of the account page.
#[derive(Debug, Clone, Default)]
pub struct TokensView {
    pub rows: Vec<TokenRow>,
    pub notice: Option<String>,
    pub once: Option<ShownOnce>,
    pub error: Option<String>,
}

pub fn tokens_view(v: &TokensView, csrf: &str, lang: crate::i18n::Lang) -> impl IntoView + use<> {
    let rows = v
        .rows
        .iter()
        .map(|t| {
            let state = match &t.revoked {
                Some(when) => view! { <span>{lang.t_args("tokens-revoked-at", &[("when", when.clone().into())])}</span> }.into_any(),
                None => view! {
                    <form method="post" action=action(&format!("/account/tokens/{}/revoke", t.id), lang)>
                        {csrf_field(csrf)}
                        <button type="submit">{lang.t("tokens-revoke")}</button>
                    </form>
                }
                .into_any(),
            };
            view! {
                <tr id=format!("token-{}", t.id)>
                    <td>{t.name.clone()}</td>
                    <td>{t.created.clone()}</td>
                    <td>{t.last_used.clone().unwrap_or_else(|| "—".into())}</td>
                    <td>{state}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let error = v
        .error
        .clone()
        .map(|m| view! { <p class="alert" role="alert">{m}</p> });
    let notice = v
        .notice
        .clone()
        .map(|n| view! { <p class="notice" role="status">{n}</p> });
    let empty = v
        .rows
        .is_empty()
        .then(|| view! { <p>{lang.t("tokens-empty")}</p> });
    view! {
        <section id="tokens">
            <h1>{lang.t("tokens-heading")}</h1>
            <p>{lang.t("tokens-intro")}</p>
            {notice}
            {error}
            {once_view(v.once.clone(), lang)}
            {empty}
            <div class="table-scroll">
            <table class="tokens">
                <thead><tr>
                    <th>{lang.t("tokens-col-name")}</th>
                    <th>{lang.t("tokens-col-created")}</th>
                    <th>{lang.t("tokens-col-last-used")}</th>
                    <th>{lang.t("tokens-col-state")}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            </div>
            <form method="post" action=action("/account/tokens", lang) class="account-form">
                {csrf_field(csrf)}
                <p>
                    <label for="token-name">{lang.t("tokens-name")}</label><br/>
                    <input id="token-name" name="name" type="text" required maxlength="100"/>
                </p>
                <p><button type="submit">{lang.t("tokens-create")}</button></p>
            </form>
        </section>
    }
}

/// `/account/tokens`: a person's own API tokens.
pub fn tokens_page(chrome: &Chrome, v: &TokensView, csrf: &str) -> String {
    let lang = chrome.lang;
    let body = view! {
        <p><a href=action("/account", lang)>{lang.t("title-account")}</a></p>
        {tokens_view(v, csrf, lang)}
    };
    render_document(chrome, body)
}

/// One webhook delivery in the admins' log (never its receiver's secret).
#[derive(Debug, Clone)]
pub struct WebhookRow {
    pub id: i64,
    pub webhook: String,
    pub event: String,
    /// What it is about, in words ("Vantage point … silent"); empty when unknown.
    pub subject: String,
    pub created: String,
    pub attempts: i64,
    /// "delivered", "waiting" or "given up", in the reader's words.
    pub state: String,
    pub last_status: String,
    pub last_error: String,
    pub next_try: String,
}

#[derive(Debug, Clone, Default)]
pub struct WebhooksView {
    pub rows: Vec<WebhookRow>,
    /// "2 receivers configured".
    pub summary: String,
}

pub fn admin_webhooks_page(chrome: &Chrome, v: &WebhooksView) -> String {
    let lang = chrome.lang;
    let rows = v
        .rows
        .iter()
        .map(|r| {
            let event = lang.t_or(&format!("admin-webhooks-event-{}", r.event), &r.event);
            let subject = (!r.subject.is_empty())
                .then(|| view! { <span class="note">{r.subject.clone()}</span> });
            // The status (or "no answer") and, under it, the error that came instead.
            let error = (!r.last_error.is_empty())
                .then(|| view! { <span class="note">{r.last_error.clone()}</span> });
            view! {
                <tr>
                    <td data-label="#">{r.id}</td>
                    <td data-label=lang.t("admin-webhooks-created")>{r.created.clone()}</td>
                    <td data-label=lang.t("admin-webhooks-event")>{event}{subject}</td>
                    <td class="breakable" data-label=lang.t("admin-webhooks-receiver")>{r.webhook.clone()}</td>
                    <td data-label=lang.t("admin-webhooks-state")>{r.state.clone()}</td>
                    <td class="num" data-label=lang.t("admin-webhooks-attempts")>{r.attempts}</td>
                    <td data-label=lang.t("admin-webhooks-last")>{r.last_status.clone()}{error}</td>
                    <td class=if r.next_try.is_empty() { "none" } else { "next" } data-label=lang.t("admin-webhooks-next")>{r.next_try.clone()}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let empty = v
        .rows
        .is_empty()
        .then(|| view! { <p>{lang.t("admin-webhooks-empty")}</p> });
    let body = view! {
        <h1>{lang.t("admin-webhooks-heading")}</h1>
        <p><a href=action("/admin/accounts", lang)>{lang.t("admin-accounts-link")}</a></p>
        <p>{v.summary.clone()}</p>
        {empty}
        <table class="webhooks">
            <thead><tr>
                <th scope="col">"#"</th>
                <th scope="col">{lang.t("admin-webhooks-created")}</th>
                <th scope="col">{lang.t("admin-webhooks-event")}</th>
                <th scope="col">{lang.t("admin-webhooks-receiver")}</th>
                <th scope="col">{lang.t("admin-webhooks-state")}</th>
                <th scope="col">{lang.t("admin-webhooks-attempts")}</th>
                <th scope="col">{lang.t("admin-webhooks-last")}</th>
                <th scope="col">{lang.t("admin-webhooks-next")}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    };
    render_document(chrome, body)
}
