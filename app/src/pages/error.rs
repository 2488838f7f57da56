use crate::components::date_query;
use crate::layout::render_document;
use crate::model::Chrome;
use leptos::prelude::*;

/// A page that says what was wrong, in words a user can act on.
pub fn error_page(chrome: &Chrome, status: u16, message: &str) -> String {
    let lang = chrome.lang;
    let heading = match status {
        400 => lang.t("error-heading-400"),
        403 => lang.t("error-heading-403"),
        404 => lang.t("error-heading-404"),
        429 => lang.t("error-heading-429"),
        503 => lang.t("error-heading-503"),
        _ => lang.t("error-heading-500"),
    };
    let body = view! {
        <h1>{heading}</h1>
        <p class="alert" role="alert">{message.to_string()}</p>
        <p><a href=format!("/{}", date_query(chrome))>{lang.t("error-back")}</a></p>
    };
    render_document(chrome, body)
}
