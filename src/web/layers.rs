//! The web layer's own layering, checked: a module uses only modules below it, so there is
//! no import circle and a question's module never reaches into another question's.
//!
//! From the bottom: `error`, `png` (the PNG drawings kept and queued), `drawings` (the
//! share charts' SVGs kept by what they show) and `limits`;
//! `app_state`; `request`; `present`, `charts` and `session`; `hand_tests` (what the
//! hand-test questions share, signed-in forms included); the
//! questions (`overview`, `matrices`, `checks`, `platforms`, `probes`, `timeline`,
//! `requirements`); `mod.rs`, which assembles the router. What two questions both need
//! moves down into `present` (or further, into the domain).

use std::collections::BTreeSet;
use std::path::Path;

/// Each module of `src/web` and its level; a module may use modules of lower levels only.
const LEVELS: &[(&str, u8)] = &[
    ("error", 0),
    ("png", 0),
    ("drawings", 0),
    ("limits", 0),
    ("app_state", 1),
    ("request", 2),
    ("present", 3),
    ("charts", 3),
    ("session", 3),
    ("hand_tests", 4),
    ("overview", 5),
    ("matrices", 5),
    ("checks", 5),
    ("platforms", 5),
    ("probes", 5),
    ("timeline", 5),
    ("requirements", 5),
    ("sources", 5),
    ("compare", 5),
    ("accounts", 5),
    ("contribute", 5),
    ("review", 5),
    ("corrections", 5),
    ("dataset", 5),
    ("admin", 5),
    ("tokens", 5),
    ("metrics", 5),
];

/// The level of what `name` (a path segment right under `web`) refers to: a module's, or
/// the root's (re-exports and items of `mod.rs`, above everything).
fn level(name: &str) -> u8 {
    LEVELS
        .iter()
        .find(|(m, _)| *m == name)
        .map_or(5, |(_, level)| *level)
}

/// Every module of `src/web` a file's code names, as `crate::web::NAME` or through
/// `super::` up to `web`.
fn names_used(text: &str, depth: usize) -> BTreeSet<String> {
    let mut prefixes = vec!["crate::web::".to_string()];
    // A file directly in `src/web` reaches `web` with one `super::`; `checks/mod.rs` too;
    // `checks/observations.rs` with two.
    prefixes.push("super::".repeat(depth));
    let mut out = BTreeSet::new();
    for prefix in prefixes {
        for (i, _) in text.match_indices(&prefix) {
            // `super::super::x` also contains `super::x`: only whole paths count.
            let before = &text[..i];
            if before.ends_with("super::") {
                continue;
            }
            let rest = &text[i + prefix.len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or("").trim())
                    .collect()
            } else {
                vec![
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or(""),
                ]
            };
            for n in names {
                if !n.is_empty() && n != "self" && n != "super" {
                    out.insert(n.to_string());
                }
            }
        }
    }
    out
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src/web").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn web_modules_use_only_modules_below_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() > 10, "found {} files", all.len());
    let mut wrong = Vec::new();
    for file in all {
        let rel = file.strip_prefix(&root).expect("under src/web");
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        if parts == ["mod"] || parts == ["layers"] || parts == ["tests"] {
            continue;
        }
        let module = parts[0].clone();
        // `x.rs` and `x/mod.rs` are one level down from `web`; `x/y.rs` two.
        let depth = if parts.len() == 1 || parts.last().is_some_and(|p| p == "mod") {
            1
        } else {
            parts.len()
        };
        let text = std::fs::read_to_string(&file).expect("readable");
        for used in names_used(&text, depth) {
            if used != module && level(&used) >= level(&module) {
                wrong.push(format!("{}: uses web::{used}", rel.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "modules of src/web using modules at or above their level:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_what_it_checks() {
    let text = "use super::present::{self, name};\nuse super::{error::WebError, overview};\nuse crate::web::timeline::TimelineFilter;";
    let used = names_used(text, 1);
    assert_eq!(
        used.into_iter().collect::<Vec<_>>(),
        ["error", "overview", "present", "timeline"]
    );
    let nested = "use super::csv::CsvChunk;\nuse super::super::request::AsOf;";
    assert_eq!(
        names_used(nested, 2).into_iter().collect::<Vec<_>>(),
        ["request"]
    );
}
