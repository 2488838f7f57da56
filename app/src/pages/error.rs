use crate::layout::render_document;
use crate::model::Chrome;
use leptos::prelude::*;

/// A page that says what was wrong, in words a user can act on.
pub fn error_page(chrome: &Chrome, status: u16, message: &str) -> String {
    let heading = match status {
        400 => "That request could not be understood",
        404 => "Not found",
        _ => "Something went wrong",
    };
    let body = view! {
        <h1>{heading}</h1>
        <p class="alert" role="alert">{message.to_string()}</p>
        <p><a href="/">"Back to the overview"</a></p>
    };
    render_document(chrome, body)
}
