//! The catalog files as written: serde shapes with source spans, before validation.
//! Unknown fields are errors, so a misspelt key is reported rather than ignored. Each entry
//! is read on its own (see `read`), so every entry's mistakes are reported in one run.

use super::read::{self, Mistake};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub type S = Spanned<String>;

/// The entries of one file, by table.
#[derive(Debug, Default)]
pub struct RawFile {
    pub group: Vec<Spanned<RawGroup>>,
    pub platform: Vec<Spanned<RawPlatform>>,
    pub method: Vec<Spanned<RawMethod>>,
    pub kind: Vec<Spanned<RawKind>>,
    pub checks: Vec<Spanned<RawChecks>>,
    pub source: Vec<Spanned<RawSource>>,
    pub milestone: Vec<Spanned<RawMilestone>>,
    pub requirement: Vec<Spanned<RawRequirement>>,
    pub observation: Vec<Spanned<RawObservation>>,
}

/// The tables a catalog file may hold.
pub const TABLES: [&str; 9] = [
    "group",
    "platform",
    "method",
    "kind",
    "checks",
    "source",
    "milestone",
    "requirement",
    "observation",
];

/// Fields that may hold tabs and line breaks (prose); every other text is one line.
pub const MULTILINE_FIELDS: [&str; 4] = ["quote", "note_en", "note_zh", "description_en"];

impl RawFile {
    /// Reads every entry of a parsed file, listing every mistake of every entry.
    pub fn read(doc: &Spanned<DeTable<'_>>) -> (RawFile, Vec<Mistake>) {
        let mut file = RawFile::default();
        let mut mistakes = Vec::new();
        for (key, value) in doc.get_ref().iter() {
            let name = key.get_ref().as_ref();
            let m = &mut mistakes;
            match name {
                "group" => entries(name, value, &mut file.group, m),
                "platform" => entries(name, value, &mut file.platform, m),
                "method" => entries(name, value, &mut file.method, m),
                "kind" => entries(name, value, &mut file.kind, m),
                "checks" => entries(name, value, &mut file.checks, m),
                "source" => entries(name, value, &mut file.source, m),
                "milestone" => entries(name, value, &mut file.milestone, m),
                "requirement" => entries(name, value, &mut file.requirement, m),
                "observation" => entries(name, value, &mut file.observation, m),
                other => m.push((
                    key.span(),
                    format!(
                        "unknown table `{other}` (a catalog file holds {})",
                        TABLES.map(|t| format!("[[{t}]]")).join(", ")
                    ),
                )),
            }
        }
        (file, mistakes)
    }
}

fn entries<T: DeserializeOwned>(
    name: &str,
    value: &Spanned<DeValue<'_>>,
    into: &mut Vec<Spanned<T>>,
    mistakes: &mut Vec<Mistake>,
) {
    let DeValue::Array(items) = value.get_ref() else {
        mistakes.push((
            value.span(),
            format!("`{name}` must be a list of entries, each written [[{name}]]"),
        ));
        return;
    };
    for item in items.iter() {
        if !item.get_ref().is_table() {
            mistakes.push((
                item.span(),
                format!("each `{name}` entry must be a table, written [[{name}]]"),
            ));
            continue;
        }
        let (entry, found) = read::entry::<Spanned<T>>(item, name);
        mistakes.extend(found);
        into.extend(entry);
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub slug: S,
    pub name_zh: S,
    pub name_en: S,
    pub ecosystem: Option<S>,
    pub simulated: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlatform {
    pub slug: S,
    pub name_zh: S,
    pub name_en: S,
    pub group: S,
    pub kind: S,
    #[serde(default)]
    pub domains: Vec<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMethod {
    pub slug: S,
    pub name_zh: S,
    pub name_en: S,
    pub group: S,
    pub aliases: Option<Spanned<Vec<String>>>,
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
    pub id: S,
    pub label_zh: String,
    pub label_en: String,
    #[serde(default)]
    pub description_en: String,
    pub score: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChecks {
    pub kind: S,
    pub subject: S,
    pub objects: Spanned<Vec<S>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub id: S,
    pub kind: S,
    pub publisher: S,
    pub title: S,
    pub title_en: Option<String>,
    pub date: Option<S>,
    pub language: S,
    pub region: S,
    pub url: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMilestone {
    pub id: S,
    pub date: S,
    #[serde(default)]
    pub approximate: bool,
    pub title_zh: S,
    pub title_en: S,
    pub source: S,
    #[serde(default)]
    pub kinds: Vec<S>,
    #[serde(default)]
    pub platforms: Vec<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequirement {
    pub id: S,
    pub authority_zh: S,
    pub authority_en: S,
    pub title_zh: S,
    pub title_en: S,
    pub issued: S,
    pub deadline: Option<S>,
    pub timezone: Option<S>,
    pub scope: Spanned<crate::domain::Scope>,
    pub compliant: Spanned<Vec<String>>,
    pub source: S,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObservation {
    pub id: S,
    pub check: Option<S>,
    pub checks: Option<Spanned<Vec<S>>>,
    pub at: S,
    #[serde(default)]
    pub approximate: bool,
    pub status: S,
    pub source: S,
    pub quote: Option<String>,
    pub note_en: Option<String>,
    /// The note in Chinese, shown on Chinese pages (the English one on English pages).
    pub note_zh: Option<S>,
}
