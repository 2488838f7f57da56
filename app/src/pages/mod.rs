//! One module per page. Each renders a whole document from its view data.

pub mod account;
pub mod admin;
mod check;
mod compare;
pub mod contribute;
pub mod corrections;
mod error;
mod matrix;
mod observation;
mod overview;
mod platform;
mod probes;
pub mod requirements;
pub mod review;
mod source;
mod sources;
mod timeline;

pub use account::{AccountView, SignInView, account_page, sign_in_page};
pub use admin::{
    AdminAccountRow, AdminAccountsView, AuditRow, AuditView, ShownOnce, TokenRow, TokensView,
    WebhookRow, WebhooksView, admin_accounts_page, admin_audit_page, admin_webhooks_page,
    tokens_page,
};
pub use check::check_page;
pub use compare::compare_page;
pub use contribute::{
    AnswerPart, CheckChoice, ContributeSearchView, MySubmission, SubmissionValues, SubmitView,
    contribute_search_page, my_submissions_page, submit_page,
};
pub use corrections::{
    CorrectionRow, CorrectionsView, RetractView, RetractionRow, corrections_page, retract_page,
};
pub use error::error_page;
pub use matrix::matrix_page;
pub use observation::observation_page;
pub use overview::overview_page;
pub use platform::{platform_list_page, platform_page};
pub use probes::probes_page;
pub use requirements::{deadline_highlights_view, requirement_page, requirements_page};
pub use source::source_page;
pub use sources::sources_page;
pub use timeline::timeline_page;
