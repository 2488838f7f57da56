//! Hutong's integration tests, in one test binary: each former `tests/*.rs` suite is a
//! module here, sharing `common` (fresh databases, the test app, test data builders).
//! One binary links the whole server once instead of once per suite.
//!
//! Run one suite by its module name: `cargo test --test it storage::` (or
//! `cargo nextest run --test it storage::`); the browser suite: `cargo test --test it browser::`.

mod common;

mod accounts;
mod admin;
mod api_submissions;
mod browser;
mod catalog_files;
mod charts;
mod contribute;
mod corrections;
mod dataset;
mod exports;
mod fetch;
mod fleet;
mod fleet_view;
mod http;
mod i18n;
mod in_app_control;
mod journalist;
mod metrics;
mod partitions;
mod probe_engine;
mod probe_failures;
mod probe_pages;
mod requirements;
mod review;
mod serve;
mod simulator;
mod snapshots;
mod storage;
mod truth;
mod vantage_views;
mod vantages;
mod webhooks;
mod words;
