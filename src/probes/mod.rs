//! Probes: declarative packs that ask platforms over HTTP what happens to a link or which
//! payment methods a checkout offers, and turn the answers into verdicts with evidence.

pub mod fetch;
pub mod types;

pub use types::{FailureClass, FetchError, Hop, Response};
