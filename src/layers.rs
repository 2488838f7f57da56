//! The layers of `src/`, checked: a module uses only modules of lower layers, and the files
//! of one folder, at any depth, do not import each other in a circle (whole-file test
//! modules aside). The
//! test reads the source itself
//! (`crate::…` and `super::…` paths outside comments), so a new arrow up fails here with
//! the file, the line and the path that draws it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Hutong's layers, lowest first. A module may use modules of any lower layer, never one
/// of its own layer or above.
pub const LAYERS: &[&[&str]] = &[
    // Beijing-time days and UTC instants.
    &["time", "output", "metrics"],
    // The floor: vocabulary, reference types, records, evidence; the typed configuration.
    &["domain", "config"],
    // Pure reasoning over the domain, and the catalog loader.
    &["catalog", "charts", "compliance", "state", "screenshots"],
    &["storage"],
    &["probes", "accounts"],
    &["simulator", "scheduler", "contributions", "webhooks"],
    // A fleet member: claims, leases and heartbeats around the scheduler's slots.
    &["worker"],
    &["web", "connections"],
    &["serve"],
    &["probe_cli", "bench"],
    &["cli"],
];

/// Crates the layers below storage never name: they hold no database and speak no HTTP.
const NOT_BELOW_STORAGE: &[&str] = &["sqlx", "rusqlite", "axum", "reqwest"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// A source file's module path: `probes/pack/validate.rs` → `[probes, pack, validate]`,
/// `probes/mod.rs` → `[probes]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .strip_prefix(src)
        .map(|rel| {
            rel.iter()
                .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect()
        })
        .unwrap_or_default();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The paths a file names, outside comments: `crate::a::b…` as (0, `[a, b]`) and
/// `super::super::x` as (2, `[x]`), each with its line. Brace groups
/// (`crate::{a, b::c}`) give one path per member.
fn paths(text: &str) -> Vec<(usize, usize, Vec<String>)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        loop {
            let next = [rest.find("crate::"), rest.find("super::")]
                .into_iter()
                .flatten()
                .min();
            let Some(start) = next else { break };
            // Part of a longer name (`hutong_crate::`): not a path of ours.
            if rest[..start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                rest = &rest[start + "crate::".len()..];
                continue;
            }
            let mut tail = &rest[start..];
            let mut supers = 0;
            if let Some(t) = tail.strip_prefix("crate::") {
                tail = t;
            } else {
                while let Some(t) = tail.strip_prefix("super::") {
                    supers += 1;
                    tail = t;
                }
            }
            for members in expand(tail) {
                out.push((n + 1, supers, members));
            }
            rest = tail;
        }
    }
    out
}

/// Where a file names one of `crates` (`sqlx::…`) outside comments: (line, crate).
fn crates_named<'c>(text: &str, crates: &[&'c str]) -> Vec<(usize, &'c str)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.find("//").map_or(line, |i| &line[..i]);
        for krate in crates {
            let named = code.match_indices(&format!("{krate}::")).any(|(i, _)| {
                !code[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if named {
                out.push((n + 1, *krate));
            }
        }
    }
    out
}

/// `a::b::C` → `[[a, b, C]]`; `{a, b::c}` → `[[a], [b, c]]` (one level of braces).
fn expand(tail: &str) -> Vec<Vec<String>> {
    let segments = |s: &str| -> Vec<String> {
        s.split("::")
            .map(|p| {
                p.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|p| !p.is_empty())
            .collect()
    };
    let members: Vec<Vec<String>> = match tail.strip_prefix('{') {
        Some(group) => group
            .split('}')
            .next()
            .unwrap_or_default()
            .split(',')
            .map(|m| segments(m.trim()))
            .collect(),
        None => vec![segments(tail)],
    };
    members.into_iter().filter(|m| !m.is_empty()).collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every import across the layers, and every circle among the files of one module, in
/// the source tree at `src`.
pub fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    // Per folder (`web`, `web/timeline`): child → the children it uses.
    let mut uses: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in &files {
        let own_path = module_path(src, file);
        let Some(top) = own_path.first().cloned() else {
            continue;
        };
        if ["lib", "main", "layers"].contains(&top.as_str()) {
            continue;
        }
        // Whole-file test modules (`tests.rs`, `scan_tests.rs`) may take fixtures from
        // above: the simulator's pages, say. They are not part of the layer.
        if own_path
            .last()
            .is_some_and(|m| m == "tests" || m.ends_with("_tests"))
        {
            continue;
        }
        let Some(own) = layer_of(&top) else {
            problems.push(format!(
                "{}: module `{top}` is in no layer (add it to LAYERS)",
                file.display()
            ));
            continue;
        };
        // A file or folder `c` in folder `folder`.
        let is_child = |folder: &[String], c: &String| {
            let dir = folder
                .iter()
                .fold(src.to_path_buf(), |d, part| d.join(part));
            dir.join(format!("{c}.rs")).exists() || dir.join(c).is_dir()
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if layer_of("storage").is_some_and(|storage| own < storage) {
            for (line, krate) in crates_named(&text, NOT_BELOW_STORAGE) {
                problems.push(format!(
                    "{}:{line}: `{top}` names `{krate}`, a crate of storage or the web",
                    file.display()
                ));
            }
        }
        for (line, supers, path) in paths(&text) {
            // The full path named: from the crate root, or `supers` levels up.
            let mut full: Vec<String> = if supers == 0 {
                Vec::new()
            } else {
                own_path[..own_path.len().saturating_sub(supers)].to_vec()
            };
            full.extend(path.iter().cloned());
            let Some(target) = full.first() else {
                continue;
            };
            if *target == top {
                // An arrow between two children of each folder the file and the path share.
                for depth in 1..own_path.len() {
                    let folder = &own_path[..depth];
                    if full.len() <= depth || full[..depth] != *folder {
                        break;
                    }
                    let (from, to) = (&own_path[depth], &full[depth]);
                    if from != to && is_child(folder, to) {
                        uses.entry(folder.join("/"))
                            .or_default()
                            .entry(from.clone())
                            .or_default()
                            .insert(to.clone());
                    }
                }
                continue;
            }
            match layer_of(target) {
                Some(l) if l < own => {}
                Some(_) => problems.push(format!(
                    "{}:{line}: `{top}` uses `{}`, a module of its own layer or above",
                    file.display(),
                    full.join("::")
                )),
                // Not a module: an item or a macro at the crate root.
                None => {}
            }
        }
    }
    for (folder, graph) in &uses {
        for circle in circles(graph) {
            problems.push(format!(
                "src/{folder}: its files import each other in a circle: {}",
                circle.join(" → ")
            ));
        }
    }
    problems
}

/// The circles of a graph, each once (from its smallest node).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for start in graph.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((node, path)) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    let mut circle = path.clone();
                    circle.push(start.clone());
                    found.push(circle);
                } else if next > start && !path.contains(next) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_module_imports_across_its_layer_and_no_files_in_a_circle() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let problems = violations(&src);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn an_arrow_up_and_a_circle_are_found() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let src = dir.path();
        let write = |rel: &str, text: &str| {
            let path = src.join(rel);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
            std::fs::write(path, text).expect("a file");
        };
        write("domain/mod.rs", "use crate::time::SHANGHAI;\n");
        write("storage/mod.rs", "use crate::charts::data::StatusChange;\n");
        write(
            "charts/data.rs",
            "#[derive(sqlx::FromRow)]\npub struct StatusChange;\nuse crate::state::OPEN_SCORE;\n",
        );
        write("probes/pack.rs", "use super::scan::FastSelector;\n");
        write(
            "probes/scan.rs",
            "use super::pack::ElementTest;\n// use crate::web;\n",
        );
        write(
            "probes/pack/validate.rs",
            "use super::super::parse_cron;\nuse crate::probes::select::FastSelector;\n",
        );
        write("probes/select.rs", "");
        write("web/timeline/csv.rs", "use super::export::Row;\n");
        write(
            "web/timeline/export.rs",
            "use super::csv::CsvChunk;\nuse super::Filter;\n",
        );
        write(
            "state.rs",
            "use crate::{domain::Check, compliance::checks_in_scope};\n",
        );
        let problems = violations(src);
        let found = |what: &[&str]| problems.iter().any(|p| what.iter().all(|w| p.contains(w)));
        assert!(
            found(&["charts/data.rs:1", "`charts` names `sqlx`"]),
            "{problems:?}"
        );
        assert!(
            found(&["charts/data.rs:3", "`charts` uses `state::OPEN_SCORE`"]),
            "{problems:?}"
        );
        assert!(
            found(&["state.rs:1", "`state` uses `compliance::checks_in_scope`"]),
            "{problems:?}"
        );
        assert!(found(&["src/probes", "pack → scan → pack"]), "{problems:?}");
        assert!(
            found(&["src/web/timeline:", "csv → export → csv"]),
            "a circle in a folder below a module's: {problems:?}"
        );
        assert_eq!(
            problems.len(),
            5,
            "nothing else (downward arrows, comments): {problems:?}"
        );
    }
}
