//! Hutong (互通): an observatory of platform openness. It records, with evidence, whether
//! China's big platforms open each other's links and accept each other's payment methods,
//! and shows regulators and journalists the state at any date and every change.
//!
//! `main.rs` only parses the command line; everything else lives here so that tests can
//! call it: [`cli`] runs subcommands, [`serve::Application`] is the web server.

pub mod accounts;
pub mod bench;
pub mod catalog;
pub mod charts;
pub mod cli;
pub mod compliance;
pub mod config;
pub mod connections;
pub mod contributions;
pub mod domain;
pub mod metrics;
pub mod output;
pub mod probe_cli;
pub mod probes;
pub mod scheduler;
pub mod screenshots;
pub mod serve;
pub mod simulator;
pub mod state;
pub mod storage;
pub mod time;
pub mod web;

// Which layer may use which, checked against the source.
#[cfg(test)]
mod layers;
