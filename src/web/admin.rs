//! "Who may do what here, and who did what?": the admin pages. `/admin/accounts` lists
//! every account (emails to admins only) and creates, resets, disables, enables and
//! re-roles them through the same functions as `hutong user …` ([`crate::accounts`]);
//! `/admin/audit` reads the audit log, newest first, filtered by actor and action, with
//! its CSV and JSON exports. Admins only: other roles get 403, anonymous readers the
//! sign-in page. Every action: CSRF, Post/Redirect/Get, an audit line. A password made up
//! here is shown once, on the next page, and never logged.

use super::app_state::AppState;
use super::error::{FileError, HtmlError, WebError, truncate};
use super::request::ReaderLang;
use super::session::{self, Admin, CsrfForm, SignedIn, account_chrome};
use crate::accounts::{self, AccountError};
use crate::domain::{AuditEntry, NewAccount, Role};
use crate::storage::AuditFilter;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hutong_app::i18n::Lang;
use hutong_app::pages::{
    self, AdminAccountRow, AdminAccountsView, AuditRow, AuditView, ShownOnce, WebhookRow,
    WebhooksView,
};
use serde::{Deserialize, Serialize};

/// Audit lines per page.
pub const AUDIT_PAGE: i64 = 50;
/// The most lines one export holds.
pub const AUDIT_EXPORT_MAX: i64 = 100_000;
/// Where the next page's notice, error or secret waits in the session.
const FLASH: &str = "admin-flash";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", get(show_accounts).post(create_account))
        .route("/admin/accounts/{login}/reset", post(reset_account))
        .route("/admin/accounts/{login}/disable", post(disable_account))
        .route("/admin/accounts/{login}/enable", post(enable_account))
        .route("/admin/accounts/{login}/role", post(change_role))
        .route("/admin/audit", get(show_audit))
        .route("/admin/audit.csv", get(get_audit_csv))
        .route("/admin/audit.json", get(get_audit_json))
        .route("/admin/webhooks", get(show_webhooks))
}

fn page_error(lang: Lang, path: &str, e: impl Into<WebError>) -> Response {
    HtmlError::new(&account_chrome(lang, &lang.t("title-error"), path), e).into_response()
}

/// Admin pages are nobody's to keep: not cached anywhere.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What the accounts page shows once after an action.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Flash {
    notice: Option<String>,
    error: Option<String>,
    /// (heading, secret): a made-up password.
    once: Option<(String, String)>,
    /// The create form's values after a refusal.
    values: Option<[String; 5]>,
}

/// Back to the accounts page with `flash` for it.
async fn back(who: &SignedIn, lang: Lang, flash: Flash) -> Response {
    if let Err(e) = session::set_flash(&who.session, FLASH, &flash).await {
        return page_error(lang, "/admin/accounts", e);
    }
    Redirect::to(&format!("/admin/accounts?lang={}", lang.code())).into_response()
}

/// An account change refused, in the reader's words.
fn refusal(e: &AccountError, lang: Lang) -> Option<String> {
    let reason = match e {
        AccountError::BadLogin(_) => lang.t("admin-error-bad-login"),
        AccountError::BadName => lang.t("admin-error-bad-name"),
        AccountError::BadOrganisation => lang.t("admin-error-bad-organisation"),
        AccountError::BadEmail(_) => lang.t("admin-error-bad-email"),
        AccountError::LoginTaken(l) => {
            lang.t_args("admin-error-login-taken", &[("login", l.clone().into())])
        }
        AccountError::NoSuchAccount(l) => {
            lang.t_args("admin-error-no-account", &[("login", l.clone().into())])
        }
        AccountError::OwnAccount => lang.t("admin-error-own-account"),
        AccountError::LastAdmin(l) => {
            lang.t_args("admin-error-last-admin", &[("login", l.clone().into())])
        }
        // Not the reader's mistake: a 500.
        _ => return None,
    };
    Some(lang.t_args("admin-error", &[("reason", reason.into())]))
}

/// The answer to an account action: back with its notice, or with what was wrong.
async fn answer(
    who: &SignedIn,
    lang: Lang,
    result: Result<Flash, AccountError>,
    values: Option<[String; 5]>,
) -> Response {
    match result {
        Ok(flash) => back(who, lang, flash).await,
        Err(e) => match refusal(&e, lang) {
            Some(error) => {
                back(
                    who,
                    lang,
                    Flash {
                        error: Some(error),
                        values,
                        ..Flash::default()
                    },
                )
                .await
            }
            None => page_error(lang, "/admin/accounts", WebError::Internal(e.to_string())),
        },
    }
}

fn role_label(role: Role, lang: Lang) -> String {
    lang.t(&format!("role-{}", role.as_str()))
}

pub async fn show_accounts(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Admin(who): Admin,
) -> Response {
    let path = "/admin/accounts";
    let (list, last) = match (
        state.store.accounts().await,
        state.store.last_sign_ins().await,
    ) {
        (Ok(list), Ok(last)) => (list, last),
        (Err(e), _) | (_, Err(e)) => return page_error(lang, path, e),
    };
    let flash: Flash = session::take_flash(&who.session, FLASH)
        .await
        .unwrap_or_default();
    let rows = list
        .iter()
        .map(|a| AdminAccountRow {
            login: a.login.clone(),
            public_name: a.public_name.clone(),
            organisation: a.organisation.clone(),
            email: a.email.clone(),
            role: a.role.as_str().to_string(),
            role_label: role_label(a.role, lang),
            disabled: a.is_disabled(),
            created: lang.datetime(a.created_at),
            last_sign_in: last.get(&a.id).map(|at| lang.datetime(*at)),
            is_self: a.id == who.account.id,
        })
        .collect();
    let view = AdminAccountsView {
        csrf: who.csrf.clone(),
        rows,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), role_label(*r, lang)))
            .collect(),
        notice: flash.notice,
        error: flash.error,
        once: flash
            .once
            .map(|(heading, secret)| ShownOnce { heading, secret }),
        new_values: flash.values.unwrap_or_default(),
    };
    let chrome = account_chrome(lang, &lang.t("title-admin-accounts"), path);
    private(Html(pages::admin_accounts_page(&chrome, &view)).into_response())
}

#[derive(Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    public_name: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn create_account(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Admin(who): Admin,
    CsrfForm(form): CsrfForm<NewAccountForm>,
) -> Response {
    let cut = |s: &str| s.chars().take(300).collect::<String>();
    let values = [
        cut(&form.login),
        cut(&form.public_name),
        cut(&form.organisation),
        cut(&form.email),
        cut(&form.role),
    ];
    let Ok(role) = form.role.parse::<Role>() else {
        let flash = Flash {
            error: Some(lang.t_args(
                "admin-error",
                &[("reason", lang.t("admin-error-bad-role").into())],
            )),
            values: Some(values),
            ..Flash::default()
        };
        return back(&who, lang, flash).await;
    };
    let new = NewAccount {
        login: form.login,
        public_name: form.public_name,
        organisation: Some(form.organisation),
        email: Some(form.email),
        role,
    };
    let result = accounts::add(&state.store, new, None, &who.actor())
        .await
        .map(|(account, password)| Flash {
            notice: Some(lang.t_args("admin-created", &[("login", account.login.clone().into())])),
            once: password.map(|p| {
                (
                    lang.t_args("admin-once-password", &[("login", account.login.into())]),
                    p,
                )
            }),
            ..Flash::default()
        });
    answer(&who, lang, result, Some(values)).await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn reset_account(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Admin(who): Admin,
    Path(login): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    let result = accounts::reset(&state.store, &login, None, &who.actor())
        .await
        .map(|(account, password)| Flash {
            notice: Some(lang.t_args(
                "admin-reset-done",
                &[("login", account.login.clone().into())],
            )),
            once: password.map(|p| {
                (
                    lang.t_args("admin-once-password", &[("login", account.login.into())]),
                    p,
                )
            }),
            ..Flash::default()
        });
    answer(&who, lang, result, None).await
}

pub async fn disable_account(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Admin(who): Admin,
    Path(login): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    let result = accounts::disable(&state.store, &login, &who.actor())
        .await
        .map(|a| Flash {
            notice: Some(lang.t_args("admin-disabled-done", &[("login", a.login.into())])),
            ..Flash::default()
        });
    answer(&who, lang, result, None).await
}

pub async fn enable_account(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Admin(who): Admin,
    Path(login): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    let result = accounts::enable(&state.store, &login, &who.actor())
        .await
        .map(|a| Flash {
            notice: Some(lang.t_args("admin-enabled-done", &[("login", a.login.into())])),
            ..Flash::default()
        });
    answer(&who, lang, result, None).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Admin(who): Admin,
    Path(login): Path<String>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Response {
    let Ok(role) = form.role.parse::<Role>() else {
        let flash = Flash {
            error: Some(lang.t_args(
                "admin-error",
                &[("reason", lang.t("admin-error-bad-role").into())],
            )),
            ..Flash::default()
        };
        return back(&who, lang, flash).await;
    };
    let result = accounts::set_role(&state.store, &login, role, &who.actor())
        .await
        .map(|a| Flash {
            notice: Some(lang.t_args(
                "admin-role-done",
                &[
                    ("login", a.login.into()),
                    ("role", role_label(a.role, lang).into()),
                ],
            )),
            ..Flash::default()
        });
    answer(&who, lang, result, None).await
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    page: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        let given = |s: &str| {
            let s: String = s.trim().chars().take(100).collect();
            (!s.is_empty()).then_some(s)
        };
        AuditFilter {
            actor: given(&self.actor),
            action: given(&self.action),
        }
    }

    /// The page asked for, from 1; a page that is not a number is page 1.
    fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse::<i64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
            .min(1_000_000)
    }

    /// The query string of the same filter: `actor=…&action=…` (and the language).
    fn link(&self, path: &str, page: Option<i64>, lang: Option<Lang>) -> String {
        let f = self.filter();
        let page = page.map(|p| p.to_string());
        let pairs: Vec<(&str, &str)> = [
            ("actor", f.actor.as_deref()),
            ("action", f.action.as_deref()),
            ("page", page.as_deref()),
            ("lang", lang.map(Lang::code)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }
}

pub async fn show_audit(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    _: Admin,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let path = "/admin/audit";
    let Query(query) = query.unwrap_or_default();
    let filter = query.filter();
    let page = query.page();
    let offset = (page - 1) * AUDIT_PAGE;
    let found = async {
        Ok::<_, WebError>((
            state.store.audit_count(&filter).await?,
            state.store.audit_page(&filter, AUDIT_PAGE, offset).await?,
            state.store.audit_actions().await?,
        ))
    }
    .await;
    let (total, lines, actions) = match found {
        Ok(found) => found,
        Err(e) => return page_error(lang, path, e),
    };
    let rows = lines
        .iter()
        .map(|l| AuditRow {
            when: lang.datetime(l.occurred_at),
            actor: l.actor.clone(),
            action: l.action.clone(),
            subject: l.subject.clone().unwrap_or_default(),
            detail: l.detail.clone().unwrap_or_default(),
            address: l.address.clone().unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    let shown_to = offset + rows.len() as i64;
    let view = AuditView {
        summary: lang.t_args(
            "admin-audit-summary",
            &[
                (
                    "from",
                    (if rows.is_empty() { 0 } else { offset + 1 }).into(),
                ),
                ("to", shown_to.into()),
                ("total", total.into()),
            ],
        ),
        rows,
        actor: filter.actor.clone().unwrap_or_default(),
        action: filter.action.clone().unwrap_or_default(),
        actions,
        newer: (page > 1).then(|| query.link(path, Some(page - 1), Some(lang))),
        older: (shown_to < total).then(|| query.link(path, Some(page + 1), Some(lang))),
        csv_href: query.link("/admin/audit.csv", None, None),
        json_href: query.link("/admin/audit.json", None, None),
    };
    let chrome = account_chrome(lang, &lang.t("title-admin-audit"), path);
    private(Html(pages::admin_audit_page(&chrome, &view)).into_response())
}

/// Every line matching the query, newest first, for an export (admins only).
async fn audit_export(
    state: &AppState,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Vec<AuditEntry>, WebError> {
    let Query(query) = query.unwrap_or_default();
    Ok(state
        .store
        .audit_page(&query.filter(), AUDIT_EXPORT_MAX, 0)
        .await?)
}

fn download(body: Vec<u8>, content_type: &'static str, name: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response()
}

pub async fn get_audit_csv(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    _: Admin,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let lines = match audit_export(&state, query).await {
        Ok(lines) => lines,
        Err(error) => return FileError { lang, error }.into_response(),
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "occurred_at",
        "actor_id",
        "actor",
        "action",
        "subject",
        "detail",
        "address",
    ];
    let written = out.write_record(header).and_then(|()| {
        lines.iter().try_for_each(|l| {
            out.write_record([
                l.id.to_string(),
                l.occurred_at.to_rfc3339(),
                l.actor_id.map(|i| i.to_string()).unwrap_or_default(),
                l.actor.clone(),
                l.action.clone(),
                l.subject.clone().unwrap_or_default(),
                l.detail.clone().unwrap_or_default(),
                l.address.clone().unwrap_or_default(),
            ])
        })
    });
    let body = match written
        .map_err(|e| e.to_string())
        .and_then(|()| out.into_inner().map_err(|e| e.to_string()))
    {
        Ok(b) => b,
        Err(e) => {
            return FileError {
                lang,
                error: WebError::Internal(format!("audit CSV: {}", truncate(&e))),
            }
            .into_response();
        }
    };
    download(
        body,
        "text/csv; charset=utf-8",
        "attachment; filename=\"hutong-audit.csv\"",
    )
}

/// The audit export as JSON.
#[derive(Serialize)]
struct AuditExport {
    lines: Vec<AuditEntry>,
}

pub async fn get_audit_json(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    _: Admin,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let lines = match audit_export(&state, query).await {
        Ok(lines) => lines,
        Err(error) => {
            return super::error::JsonError { lang, error }.into_response();
        }
    };
    match serde_json::to_vec_pretty(&AuditExport { lines }) {
        Ok(body) => download(
            body,
            "application/json",
            "attachment; filename=\"hutong-audit.json\"",
        ),
        Err(e) => super::error::JsonError {
            lang,
            error: WebError::Internal(format!("audit JSON: {e}")),
        }
        .into_response(),
    }
}

/// Deliveries shown in the webhook log.
pub const WEBHOOK_LOG: i64 = 200;

/// The webhook delivery log, newest first: attempts, last answer, next try. Admins only;
/// receivers are named by their URL with any credentials redacted, and no secret is
/// stored, so none can be shown.
/// What a delivery is about, read from the body Hutong itself wrote.
#[derive(Deserialize)]
struct DeliveryBody {
    kind: Option<String>,
    pack: Option<String>,
    vantage: Option<String>,
    check: Option<String>,
    to: Option<String>,
}

/// "Vantage point cn-sh-telecom silent", "link.wechat.taobao → blocked" …, in words.
fn delivery_subject(payload: &str, lang: Lang) -> String {
    let Ok(body) = serde_json::from_str::<DeliveryBody>(payload) else {
        return String::new();
    };
    let text = match (body.kind.as_deref(), body.pack, body.vantage, body.check) {
        (Some("failing_pack"), Some(pack), _, _) => lang.t_args(
            "admin-webhooks-about-failing-pack",
            &[("pack", pack.into())],
        ),
        (Some("silent_vantage"), _, Some(vantage), _) => lang.t_args(
            "admin-webhooks-about-silent-vantage",
            &[("vantage", vantage.into())],
        ),
        (None, _, _, Some(check)) => lang.t_args(
            "admin-webhooks-about-change",
            &[
                ("check", check.into()),
                ("to", body.to.unwrap_or_default().into()),
            ],
        ),
        _ => String::new(),
    };
    truncate(&text)
}

pub async fn show_webhooks(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    _: Admin,
) -> Response {
    let path = "/admin/webhooks";
    let deliveries = match state.store.webhook_deliveries(WEBHOOK_LOG).await {
        Ok(d) => d,
        Err(e) => return page_error(lang, path, e),
    };
    let rows = deliveries
        .iter()
        .map(|d| {
            let state = match (d.delivered_at, d.gave_up_at) {
                (Some(at), _) => lang.t_args(
                    "admin-webhooks-delivered",
                    &[("when", lang.datetime(at).into())],
                ),
                (None, Some(at)) => lang.t_args(
                    "admin-webhooks-given-up",
                    &[("when", lang.datetime(at).into())],
                ),
                (None, None) => lang.t("admin-webhooks-waiting"),
            };
            WebhookRow {
                id: d.id,
                webhook: d.webhook.clone(),
                event: d.event.clone(),
                subject: delivery_subject(&d.payload, lang),
                created: lang.datetime(d.created_at),
                attempts: i64::from(d.attempts),
                state,
                last_status: match (d.last_status, d.attempts) {
                    (Some(s), _) => format!("HTTP {s}"),
                    (None, 0) => String::new(),
                    (None, _) => lang.t("admin-webhooks-no-answer"),
                },
                last_error: d
                    .last_error
                    .as_deref()
                    .filter(|_| d.last_status.is_none())
                    .map(truncate)
                    .unwrap_or_default(),
                next_try: d
                    .next_attempt_at
                    .map(|t| lang.datetime(t))
                    .unwrap_or_default(),
            }
        })
        .collect::<Vec<_>>();
    let view = WebhooksView {
        summary: lang.t_args(
            "admin-webhooks-summary",
            &[
                ("receivers", (state.webhook_receivers as i64).into()),
                ("shown", (rows.len() as i64).into()),
            ],
        ),
        rows,
    };
    let chrome = account_chrome(lang, &lang.t("title-admin-webhooks"), path);
    private(Html(pages::admin_webhooks_page(&chrome, &view)).into_response())
}
