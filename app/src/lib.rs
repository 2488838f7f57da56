//! Hutong's pages and components. Leptos renders them on the server only: every page is
//! plain HTML that works with JavaScript off, built from the data in [`model`].

pub mod charts;
pub mod components;
pub mod i18n;
pub mod layout;
pub mod model;
pub mod pages;

pub use layout::render_document;

#[cfg(test)]
mod tests;
