//! The catalog: Hutong's reference data and historical facts, kept as reviewable TOML files
//! under `catalog/` (format: `catalog/README.md`). This module reads and validates them;
//! every problem is reported with its file and line, and nothing is loaded until all pass.

mod raw;
pub(crate) mod read;
pub(crate) mod text;
mod validate;

use crate::domain::{Check, Group, Kind, Method, Milestone, Platform, Requirement, Source};
use crate::domain::{Precision, SourceKind};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A historical fact: the state of a check at a time, according to a source.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Stable key (`id`, or `id/check` for multi-check entries): reloading updates this row.
    pub key: String,
    pub check: String,
    pub observed_at: DateTime<Utc>,
    pub precision: Precision,
    pub status: String,
    pub source: String,
    pub source_kind: SourceKind,
    pub vantage: String,
    pub quote: Option<String>,
    pub note_en: Option<String>,
    pub note_zh: Option<String>,
}

/// A validated catalog: every reference resolves, every status is on its ladder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub groups: Vec<Group>,
    pub platforms: Vec<Platform>,
    pub methods: Vec<Method>,
    pub kinds: Vec<Kind>,
    pub checks: Vec<Check>,
    pub sources: Vec<Source>,
    pub milestones: Vec<Milestone>,
    pub requirements: Vec<Requirement>,
    pub observations: Vec<Observation>,
}

impl Catalog {
    pub fn kind(&self, id: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.id == id)
    }
}

/// One thing wrong with the catalog, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based; 0 when the problem concerns the whole file or folder.
    pub line: usize,
    /// 1-based, in characters; 0 when the line is precise enough.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        // Messages quote the files' text: never let a control character in it reach a
        // terminal or a log as itself.
        f.write_str(": ")?;
        for c in self.message.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Every problem found, in file and line order, and the files that did not parse when
/// others did: those others were not checked against them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>, pub Vec<PathBuf>);

impl Problems {
    pub fn new(problems: Vec<Problem>) -> Problems {
        Problems(problems, Vec::new())
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the catalog has {} problem(s):", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "  {p}")?;
        }
        if !self.1.is_empty() {
            let files: Vec<String> = self.1.iter().map(|p| p.display().to_string()).collect();
            writeln!(
                f,
                "the other files were not checked against {}: a file that does not parse is \
                 not cross-checked; fix it, then check again",
                files.join(", ")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Reads and validates every catalog file under `dir`.
pub fn load_dir(dir: &Path) -> Result<Catalog, Problems> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    collect_files(dir, &mut files, &mut problems);
    if files.is_empty() && problems.is_empty() {
        problems.push(Problem {
            file: dir.to_path_buf(),
            line: 0,
            column: 0,
            message: "no catalog files (*.toml) found".into(),
        });
    }
    files.sort();
    let texts = read_texts(files, &mut problems);
    let sources: Vec<(PathBuf, &str)> =
        texts.iter().map(|(p, t)| (p.clone(), t.as_str())).collect();
    validate::run(&sources, problems)
}

/// Validates already-read files: `(path, text)` pairs.
pub fn validate(files: &[(PathBuf, &str)]) -> Result<Catalog, Problems> {
    validate::run(files, Vec::new())
}

/// Reads each file as UTF-8 text; files that cannot be read, or are not UTF-8, become
/// problems (catalog files and probe packs alike).
pub(crate) fn read_texts(
    files: Vec<PathBuf>,
    problems: &mut Vec<Problem>,
) -> Vec<(PathBuf, String)> {
    let mut texts = Vec::new();
    for path in files {
        match std::fs::read(&path) {
            Err(e) => problems.push(Problem {
                file: path,
                line: 0,
                column: 0,
                message: format!("cannot be read: {e}"),
            }),
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(e) => problems.push(Problem {
                    file: path,
                    line: 0,
                    column: 0,
                    message: format!(
                        "is not UTF-8 text (invalid byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                }),
                Ok(text) => texts.push((path, text)),
            },
        }
    }
    texts
}

fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort();
    problems.dedup();
    problems
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Problem {
                file: dir.to_path_buf(),
                line: 0,
                column: 0,
                message: format!("cannot read the catalog folder: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // Probe packs have their own format and their own checker.
            if path.file_name().is_some_and(|n| n != "probes") {
                collect_files(&path, out, problems);
            }
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

/// The line starts of one text, found once: the line of each of many offsets in a file is
/// then a binary search, where [`line_of`] counts from the top each time (quadratic over
/// a file of thousands of entries).
pub(crate) struct LineIndex {
    /// Byte offsets of every `\n`, ascending.
    newlines: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        LineIndex {
            newlines: text
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// 1-based line of a byte offset, as [`line_of`] gives it.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Counts per table, for `catalog check` and `catalog load` summaries.
pub fn summary(cat: &Catalog) -> BTreeMap<&'static str, usize> {
    BTreeMap::from([
        ("groups", cat.groups.len()),
        ("platforms", cat.platforms.len()),
        ("payment methods", cat.methods.len()),
        ("check kinds", cat.kinds.len()),
        ("checks", cat.checks.len()),
        ("sources", cat.sources.len()),
        ("milestones", cat.milestones.len()),
        ("requirements", cat.requirements.len()),
        ("observations", cat.observations.len()),
    ])
}

#[cfg(test)]
mod tests;
