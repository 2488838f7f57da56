//! The catalog files as written: serde shapes with source spans, before validation.
//! Unknown fields are errors, so a misspelt key is reported rather than ignored.

use serde::Deserialize;
use toml::Spanned;

pub type S = Spanned<String>;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    #[serde(default)]
    pub group: Vec<Spanned<RawGroup>>,
    #[serde(default)]
    pub platform: Vec<Spanned<RawPlatform>>,
    #[serde(default)]
    pub method: Vec<Spanned<RawMethod>>,
    #[serde(default)]
    pub kind: Vec<Spanned<RawKind>>,
    #[serde(default)]
    pub checks: Vec<Spanned<RawChecks>>,
    #[serde(default)]
    pub source: Vec<Spanned<RawSource>>,
    #[serde(default)]
    pub milestone: Vec<Spanned<RawMilestone>>,
    #[serde(default)]
    pub requirement: Vec<Spanned<RawRequirement>>,
    #[serde(default)]
    pub observation: Vec<Spanned<RawObservation>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub slug: S,
    pub name_zh: String,
    pub name_en: String,
    pub ecosystem: Option<S>,
    pub simulated: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlatform {
    pub slug: S,
    pub name_zh: String,
    pub name_en: String,
    pub group: S,
    pub kind: S,
    #[serde(default)]
    pub domains: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMethod {
    pub slug: S,
    pub name_zh: String,
    pub name_en: String,
    pub group: S,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub code_prefixes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKind {
    pub id: S,
    pub name_zh: String,
    pub name_en: String,
    pub subject: S,
    pub object: S,
    pub subject_label_zh: String,
    pub subject_label_en: String,
    pub object_label_zh: String,
    pub object_label_en: String,
    #[serde(default)]
    pub status: Vec<Spanned<RawStatus>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStatus {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    #[serde(default)]
    pub description_en: String,
    pub score: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChecks {
    pub kind: S,
    pub subject: S,
    pub objects: Vec<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub id: S,
    pub kind: S,
    pub publisher: String,
    pub title: String,
    pub title_en: Option<String>,
    pub date: Option<S>,
    pub language: String,
    pub region: String,
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMilestone {
    pub id: S,
    pub date: S,
    #[serde(default)]
    pub approximate: bool,
    pub title_zh: String,
    pub title_en: String,
    pub source: S,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub platforms: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequirement {
    pub id: S,
    pub authority_zh: String,
    pub authority_en: String,
    pub title_zh: String,
    pub title_en: String,
    pub issued: S,
    pub deadline: Option<S>,
    pub timezone: Option<String>,
    pub scope: Spanned<super::Scope>,
    pub compliant: Spanned<Vec<String>>,
    pub source: S,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObservation {
    pub id: S,
    pub check: Option<S>,
    pub checks: Option<Vec<S>>,
    pub at: S,
    #[serde(default)]
    pub approximate: bool,
    pub status: S,
    pub source: S,
    pub quote: Option<String>,
    pub note_en: Option<String>,
    pub note_zh: Option<String>,
}
