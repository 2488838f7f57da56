//! Reading catalog files and probe packs in two steps, so that every mistake shows at once:
//! the TOML syntax of the whole file first (a file that does not parse is reported alone),
//! then each entry on its own. serde stops at an entry's first mistake; here the field at
//! fault is taken out or stood in for by a placeholder and the entry is read again, so one
//! run lists every unknown, missing and ill-typed field of every entry.
//!
//! Placeholders carry spans past the end of any file ([`is_placeholder`]): a validator
//! drops what it would say about them, since the field's real mistake is already reported.

use std::collections::HashMap;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

/// Where placeholder spans start: beyond any text a catalog file can hold.
const PLACEHOLDER: usize = usize::MAX / 2;

/// Whether `span` belongs to a placeholder rather than to text in the file.
pub(crate) fn is_placeholder(span: &Range<usize>) -> bool {
    span.start >= PLACEHOLDER
}

/// A mistake at a span of the file.
pub(crate) type Mistake = (Range<usize>, String);

/// Parses a whole file; on a syntax error returns its byte offset and message (the first
/// in the file: what follows a syntax error is often an echo of it).
pub(crate) fn parse(text: &str) -> Result<Spanned<DeTable<'_>>, (usize, String)> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    match errors
        .iter()
        .min_by_key(|e| e.span().map_or(0, |s| s.start))
    {
        None => Ok(doc),
        Some(e) => Err((
            e.span().map_or(0, |s| s.start),
            e.message().trim().to_string(),
        )),
    }
}

/// Limits the rounds spent on one entry (each round fixes one field).
const MAX_ROUNDS: usize = 200;

/// Reads one entry as `T`, listing every mistake in it. The value is `None` only when the
/// entry could not be read even with placeholders; `name` prefixes the messages
/// (`platform`, `pack`) so each names the field at fault (`platform.name_en: …`).
pub(crate) fn entry<T: serde::de::DeserializeOwned>(
    value: &Spanned<DeValue<'_>>,
    name: &str,
) -> (Option<T>, Vec<Mistake>) {
    let mut root = value.clone();
    let mut mistakes = Vec::new();
    let mut next_placeholder = PLACEHOLDER;
    // For each placeholder (by span start), the candidate it currently holds.
    let mut tried: HashMap<usize, usize> = HashMap::new();
    for _ in 0..MAX_ROUNDS {
        let error = match T::deserialize(ValueDeserializer::from(root.clone())) {
            Ok(v) => return (Some(v), mistakes),
            Err(e) => e,
        };
        let message = error.message().trim().to_string();
        let Some(span) = error.span() else {
            mistakes.push((root.span(), located(name, &message)));
            return (None, mistakes);
        };
        let missing = missing_field(&message);
        if is_placeholder(&span) {
            // The placeholder was of the wrong type, or is a table that lacks a field.
            let fixed = match missing {
                Some(field) => insert_placeholder(&mut root, &span, field, &mut next_placeholder),
                None => next_candidate(&mut root, &span, &mut tried),
            };
            if !fixed {
                return (None, mistakes);
            }
            continue;
        }
        if let Some(field) = missing {
            let table = path_of_table(&root, &span).unwrap_or_default();
            mistakes.push((span.clone(), located(&join(name, &table), &message)));
            if !insert_placeholder(&mut root, &span, field, &mut next_placeholder) {
                return (None, mistakes);
            }
            continue;
        }
        let Some(at) = innermost(&root, &span) else {
            mistakes.push((span, located(name, &message)));
            return (None, mistakes);
        };
        let field = join(name, &at.names);
        mistakes.push((span, located(&field, &message)));
        let Some(container) = value_at(&mut root, &at.container) else {
            return (None, mistakes);
        };
        let placeholder = next_placeholder..next_placeholder;
        next_placeholder += 1;
        tried.insert(placeholder.start, 0);
        let fixed = match (container, &at.last) {
            (DeValue::Table(table), Step::Key(k)) => {
                let key = table
                    .iter()
                    .map(|(key, _)| key)
                    .find(|key| **key.get_ref() == **k)
                    .cloned();
                match key {
                    // An unknown field (serde names it and lists the known ones): drop it.
                    Some(key) if at.on_key => table.remove(&key).is_some(),
                    Some(key) => table
                        .insert(key, Spanned::new(placeholder, candidate(0)))
                        .is_some(),
                    None => false,
                }
            }
            (DeValue::Array(items), Step::Index(i)) => match items.get_mut(*i) {
                Some(item) => {
                    *item = Spanned::new(placeholder, candidate(0));
                    true
                }
                None => false,
            },
            _ => false,
        };
        if !fixed {
            return (None, mistakes);
        }
    }
    mistakes.push((
        value.span(),
        located(
            name,
            &format!("more than {MAX_ROUNDS} mistakes: fix these, then check again"),
        ),
    ));
    (None, mistakes)
}

/// `name.field.field`; the message alone when there is no name (a whole probe pack).
fn join(name: &str, fields: &[String]) -> String {
    std::iter::once(name)
        .chain(fields.iter().map(String::as_str))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(".")
}

fn located(field: &str, message: &str) -> String {
    if field.is_empty() {
        message.to_string()
    } else {
        format!("{field}: {message}")
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
}

/// The values a placeholder tries in turn until the field's type accepts one.
fn candidate(i: usize) -> DeValue<'static> {
    match i {
        0 => DeValue::String("".into()),
        1 => DeValue::Array(DeArray::default()),
        2 => DeValue::Table(DeTable::new()),
        3 => DeValue::Integer(Default::default()),
        4 => DeValue::Float(Default::default()),
        _ => DeValue::Boolean(false),
    }
}
const CANDIDATES: usize = 6;

fn insert_placeholder(
    root: &mut Spanned<DeValue<'_>>,
    table_span: &Range<usize>,
    field: &str,
    next: &mut usize,
) -> bool {
    let Some(table) = table_with_span(root, table_span) else {
        return false;
    };
    let span = *next..*next;
    *next += 1;
    // The key has a placeholder span too: nothing about it can be reported in the file.
    table.insert(
        Spanned::new(span.clone(), field.to_string().into()),
        Spanned::new(span, candidate(0)),
    );
    true
}

fn next_candidate(
    root: &mut Spanned<DeValue<'_>>,
    span: &Range<usize>,
    tried: &mut HashMap<usize, usize>,
) -> bool {
    let Some(i) = tried.get_mut(&span.start) else {
        // Inserted for a missing field: it holds the first candidate.
        tried.insert(span.start, 1);
        return replace_value(root, span, candidate(1));
    };
    *i += 1;
    *i < CANDIDATES && replace_value(root, span, candidate(*i))
}

fn replace_value(
    root: &mut Spanned<DeValue<'_>>,
    span: &Range<usize>,
    with: DeValue<'static>,
) -> bool {
    if root.span() == *span {
        *root.get_mut() = with;
        return true;
    }
    match root.get_mut() {
        DeValue::Table(t) => t
            .iter_mut()
            .any(|(_, v)| replace_value(v, span, with.clone())),
        DeValue::Array(a) => a.iter_mut().any(|v| replace_value(v, span, with.clone())),
        _ => false,
    }
}

fn table_with_span<'a, 'i>(
    value: &'a mut Spanned<DeValue<'i>>,
    span: &Range<usize>,
) -> Option<&'a mut DeTable<'i>> {
    if value.span() == *span {
        return match value.get_mut() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    match value.get_mut() {
        DeValue::Table(t) => t.iter_mut().find_map(|(_, v)| table_with_span(v, span)),
        DeValue::Array(a) => a.iter_mut().find_map(|v| table_with_span(v, span)),
        _ => None,
    }
}

/// The names of the keys leading to the table at `span` (`["scope"]`).
fn path_of_table(value: &Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<Vec<String>> {
    if value.span() == *span && value.get_ref().is_table() {
        return Some(Vec::new());
    }
    match value.get_ref() {
        DeValue::Table(t) => t.iter().find_map(|(k, v)| {
            let mut path = path_of_table(v, span)?;
            path.insert(0, k.get_ref().to_string());
            Some(path)
        }),
        DeValue::Array(a) => a.iter().find_map(|v| path_of_table(v, span)),
        _ => None,
    }
}

/// A step from the entry down to a nested value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// The deepest key or value whose span holds a mistake's span.
struct At {
    /// The steps from the entry to the table or array that holds it.
    container: Vec<Step>,
    last: Step,
    /// The span is a key's own (an unknown field), not a value's.
    on_key: bool,
    /// The keys leading to it (array positions left out; the key itself left out when
    /// `on_key`, since serde's message names it), for messages.
    names: Vec<String>,
}

/// A key's or an element's step, the key's own span (for keys), and the value.
type Child<'a, 'i> = (Step, Option<Range<usize>>, &'a Spanned<DeValue<'i>>);

fn innermost(root: &Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<At> {
    fn within(outer: Range<usize>, inner: &Range<usize>) -> bool {
        outer.start <= inner.start && inner.end <= outer.end
    }
    fn names(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Key(k) => Some(k.clone()),
                Step::Index(_) => None,
            })
            .collect()
    }
    fn search(value: &DeValue<'_>, span: &Range<usize>, steps: &mut Vec<Step>) -> Option<At> {
        let children: Vec<Child<'_, '_>> = match value {
            DeValue::Table(t) => t
                .iter()
                .map(|(k, v)| (Step::Key(k.get_ref().to_string()), Some(k.span()), v))
                .collect(),
            DeValue::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (Step::Index(i), None, v))
                .collect(),
            _ => return None,
        };
        for (step, key_span, child) in children {
            steps.push(step.clone());
            let deeper = search(child.get_ref(), span, steps);
            let mut path = steps.clone();
            steps.pop();
            if deeper.is_some() {
                return deeper;
            }
            let on_key = key_span.is_some_and(|k| within(k, span));
            if on_key || within(child.span(), span) {
                let names = if on_key { names(steps) } else { names(&path) };
                let last = path.pop()?;
                return Some(At {
                    container: path,
                    last,
                    on_key,
                    names,
                });
            }
        }
        None
    }
    search(root.get_ref(), span, &mut Vec::new())
}

fn value_at<'a, 'i>(
    root: &'a mut Spanned<DeValue<'i>>,
    steps: &[Step],
) -> Option<&'a mut DeValue<'i>> {
    let mut value = root.get_mut();
    for step in steps {
        value = match (value, step) {
            (DeValue::Table(t), Step::Key(k)) => t
                .iter_mut()
                .find(|(key, _)| **key.get_ref() == **k)
                .map(|(_, v)| v.get_mut())?,
            (DeValue::Array(a), Step::Index(i)) => a.get_mut(*i).map(|v| v.get_mut())?,
            _ => return None,
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        kind: String,
        #[serde(default)]
        subjects: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Entry {
        slug: Spanned<String>,
        name: String,
        score: f64,
        on: bool,
        scope: Inner,
        #[serde(default)]
        status: Vec<Inner>,
        opt: Option<Spanned<String>>,
    }

    fn read(text: &str) -> (Option<Entry>, Vec<String>) {
        let doc = parse(text).expect("valid TOML");
        let DeValue::Array(items) = doc.get_ref().get("e").unwrap().get_ref() else {
            panic!("not an array")
        };
        let (value, mistakes) = entry::<Entry>(items.iter().next().unwrap(), "e");
        let mut lines: Vec<String> = mistakes
            .into_iter()
            .map(|(span, m)| format!("{}: {m}", super::super::line_of(text, span.start)))
            .collect();
        lines.sort();
        (value, lines)
    }

    #[test]
    fn every_mistake_of_an_entry_is_listed_in_one_reading() {
        let text = "[[e]]\nslug = \"a\"\nnam = \"typo\"\nscore = \"high\"\nscope = { kinds = \"x\" }\nopt = 3\n[[e.status]]\nkind = \"k\"\nextra = 1\n";
        let (value, mistakes) = read(text);
        assert_eq!(
            mistakes,
            vec![
                "1: e: missing field `name`",
                "1: e: missing field `on`",
                "3: e: unknown field `nam`, expected one of `slug`, `name`, `score`, `on`, `scope`, `status`, `opt`",
                "4: e.score: invalid type: string \"high\", expected f64",
                "5: e.scope: missing field `kind`",
                "5: e.scope: unknown field `kinds`, expected `kind` or `subjects`",
                "6: e.opt: invalid type: integer `3`, expected a string",
                "9: e.status: unknown field `extra`, expected `kind` or `subjects`",
            ]
        );
        // The entry is still read, placeholders standing in for what was wrong.
        let value = value.expect("read with placeholders");
        assert_eq!(value.slug.get_ref(), "a");
        assert!(is_placeholder(&value.opt.unwrap().span()));
        assert_eq!(value.status.len(), 1);
    }

    #[test]
    fn an_entry_with_too_many_mistakes_is_given_up_with_a_word() {
        let text = format!(
            "[[e]]\nslug = \"a\"\nname = \"n\"\nscore = 1.0\non = true\nscope = {{ kind = \"k\" }}\n{}",
            (0..MAX_ROUNDS + 5)
                .map(|i| format!("typo{i} = 1\n"))
                .collect::<String>()
        );
        let (value, mistakes) = read(&text);
        assert!(value.is_none());
        assert_eq!(mistakes.len(), MAX_ROUNDS + 1);
        assert!(mistakes.contains(&format!(
            "1: e: more than {MAX_ROUNDS} mistakes: fix these, then check again"
        )));
    }

    #[test]
    fn a_good_entry_reads_at_once() {
        let (value, mistakes) = read(
            "[[e]]\nslug = \"a\"\nname = \"n\"\nscore = 1.0\non = true\nscope = { kind = \"k\" }\n",
        );
        assert!(mistakes.is_empty(), "{mistakes:?}");
        assert!(!is_placeholder(&value.unwrap().slug.span()));
    }

    #[test]
    fn the_first_syntax_error_is_the_one_reported() {
        let (at, message) = parse("[[e]]\nslug = \"a\nname = = 1\n").unwrap_err();
        assert_eq!(super::super::line_of("[[e]]\nslug = \"a\n", at), 2);
        assert!(message.contains("string"), "{message}");
    }
}
