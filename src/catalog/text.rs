//! Control characters in catalog and probe pack texts. TOML lets a string spell any character
//! (`"\u0000"`, `"\e"`), but what Hutong stores and shows is plain text: a NUL cannot be
//! stored by PostgreSQL, an escape sequence rewrites a reader's terminal. Every string and
//! key of a file is checked, so no field can be forgotten; prose fields (quotes, notes) may
//! hold tabs and line breaks, nothing may hold other control characters.

use super::{Problem, line_of};
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Every control character in the strings and keys of `doc`, each reported at its own
/// line and column with the field that holds it (`platform.name_en`). `multiline` names
/// the fields (last key of the path) that may hold tabs and line breaks.
pub(crate) fn control_characters(
    path: &Path,
    text: &str,
    doc: &Spanned<DeTable<'_>>,
    multiline: &[&str],
) -> Vec<Problem> {
    let mut walk = Walk {
        path,
        text,
        multiline,
        fields: Vec::new(),
        problems: Vec::new(),
    };
    walk.table(doc.get_ref());
    walk.problems.sort();
    walk.problems
}

struct Walk<'a> {
    path: &'a Path,
    text: &'a str,
    multiline: &'a [&'a str],
    fields: Vec<String>,
    problems: Vec<Problem>,
}

impl Walk<'_> {
    fn table(&mut self, table: &DeTable<'_>) {
        for (key, value) in table.iter() {
            self.fields.push(key.get_ref().to_string());
            if let Some((index, c)) = first_control(key.get_ref(), false) {
                let field = self.fields.join(".");
                self.report(key.span(), index, c, format!("the key {field}"), false);
            }
            self.value(value);
            self.fields.pop();
        }
    }

    fn value(&mut self, value: &Spanned<DeValue<'_>>) {
        match value.get_ref() {
            DeValue::String(s) => {
                let multiline = self
                    .fields
                    .last()
                    .is_some_and(|f| self.multiline.contains(&f.as_str()));
                if let Some((index, c)) = first_control(s, multiline) {
                    let field = self.fields.join(".");
                    self.report(value.span(), index, c, field, multiline);
                }
            }
            DeValue::Array(items) => {
                for item in items.iter() {
                    self.value(item);
                }
            }
            DeValue::Table(table) => self.table(table),
            DeValue::Integer(_)
            | DeValue::Float(_)
            | DeValue::Boolean(_)
            | DeValue::Datetime(_) => {}
        }
    }

    fn report(
        &mut self,
        span: Range<usize>,
        index: usize,
        c: char,
        field: String,
        multiline: bool,
    ) {
        let offset = locate(self.text, span, index);
        let rule = if multiline {
            "only tabs and line breaks are allowed in this field"
        } else {
            "this field is one line of plain text"
        };
        self.problems.push(Problem {
            file: self.path.to_path_buf(),
            line: line_of(self.text, offset),
            column: column_of(self.text, offset),
            message: format!(
                "{field} holds the control character U+{:04X}: {rule}",
                u32::from(c)
            ),
        });
    }
}

/// The first character of `s` that a catalog text may not hold (by char index): any
/// control character (U+0000–U+001F, U+007F, U+0080–U+009F), except tabs and line breaks
/// (`\n`, `\r\n`) where `multiline`.
pub(crate) fn first_control(s: &str, multiline: bool) -> Option<(usize, char)> {
    let mut chars = s.chars().peekable();
    let mut index = 0;
    while let Some(c) = chars.next() {
        let allowed = !c.is_control()
            || (multiline
                && (c == '\t' || c == '\n' || (c == '\r' && chars.peek() == Some(&'\n'))));
        if !allowed {
            return Some((index, c));
        }
        index += 1;
    }
    None
}

/// The byte offset in `text` where the `index`-th character of the string written at
/// `span` is spelt (its escape sequence, or the character itself). Falls back to the
/// start of the string when the spelling cannot be followed.
fn locate(text: &str, span: Range<usize>, index: usize) -> usize {
    let Some(raw) = text.get(span.clone()) else {
        return span.start.min(text.len());
    };
    let (quote, basic, multiline) = if raw.starts_with("\"\"\"") {
        (3, true, true)
    } else if raw.starts_with("'''") {
        (3, false, true)
    } else if raw.starts_with('"') {
        (1, true, false)
    } else if raw.starts_with('\'') {
        (1, false, false)
    } else {
        return span.start;
    };
    let body = &raw[quote..];
    let mut chars = body.char_indices().peekable();
    // A line break right after the opening delimiter is not part of a multi-line string.
    if multiline {
        if body.starts_with("\r\n") {
            chars.next();
            chars.next();
        } else if body.starts_with('\n') {
            chars.next();
        }
    }
    let mut decoded = 0;
    while let Some((at, c)) = chars.next() {
        if basic && c == '\\' {
            let width = match chars.peek().map(|&(_, e)| e) {
                Some('x') => 3,
                Some('u') => 5,
                Some('U') => 9,
                Some(' ' | '\t' | '\r' | '\n') if multiline => {
                    // A line-ending backslash: it and the whitespace after it are dropped.
                    while chars
                        .peek()
                        .is_some_and(|&(_, w)| matches!(w, ' ' | '\t' | '\r' | '\n'))
                    {
                        chars.next();
                    }
                    continue;
                }
                Some(_) => 1,
                None => return span.start,
            };
            if decoded == index {
                return span.start + quote + at;
            }
            for _ in 0..width {
                chars.next();
            }
        } else if decoded == index {
            return span.start + quote + at;
        }
        decoded += 1;
    }
    span.start
}

/// 1-based column (in characters) of a byte offset.
pub(crate) fn column_of(text: &str, offset: usize) -> usize {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..end].chars().count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn found(text: &str, multiline: &[&str]) -> Vec<String> {
        let doc = DeTable::parse(text).expect("valid TOML");
        control_characters(&PathBuf::from("f.toml"), text, &doc, multiline)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn every_spelling_is_found_where_it_is_written() {
        let text = "[[platform]]\nslug = \"x\"\nname_en = \"We\\u0000Chat\"\n\
                    name_zh = \"a\\x07b\"\n\
                    title = \"\\U0000001b[31m\"\n\
                    alias = 'C1\u{85}here'\n\
                    note = \"\"\"\nfine\\\n   \\t then \\b\"\"\"\n\
                    \"key\\e\" = 1\n\
                    list = [\"ok\", \"tab\\there\"]\n";
        let p = found(text, &["note"]);
        assert_eq!(
            p,
            vec![
                "f.toml:3:14: platform.name_en holds the control character U+0000: this field is one line of plain text",
                "f.toml:4:13: platform.name_zh holds the control character U+0007: this field is one line of plain text",
                "f.toml:5:10: platform.title holds the control character U+001B: this field is one line of plain text",
                "f.toml:6:12: platform.alias holds the control character U+0085: this field is one line of plain text",
                "f.toml:9:12: platform.note holds the control character U+0008: only tabs and line breaks are allowed in this field",
                "f.toml:10:5: the key platform.key\\u{1b} holds the control character U+001B: this field is one line of plain text",
                "f.toml:11:19: platform.list holds the control character U+0009: this field is one line of plain text",
            ]
        );
    }

    #[test]
    fn prose_may_hold_tabs_and_line_breaks_and_nothing_else() {
        let prose = "quote = \"\"\"\r\none\tline\r\ntwo\n\"\"\"\n";
        assert!(found(prose, &["quote"]).is_empty());
        // A lone carriage return (which can hide text on a terminal) is refused even there.
        let p = found("quote = \"a\\rb\"\n", &["quote"]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("f.toml:1:11: quote holds the control character U+000D"));
        // The same line break in a name is refused.
        let p = found("name = \"\"\"\ntwo\nlines\"\"\"\n", &["quote"]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("name holds the control character U+000A"));
        assert!(p[0].starts_with("f.toml:2:4:"), "{p:?}");
    }

    #[test]
    fn first_control_covers_c0_del_and_c1() {
        for c in (0u32..0x20).chain([0x7f]).chain(0x80..0xa0) {
            let c = char::from_u32(c).unwrap();
            let multiline_ok = c == '\t' || c == '\n';
            assert_eq!(first_control(&format!("a{c}"), false), Some((1, c)));
            assert_eq!(
                first_control(&format!("a{c}"), true).is_none(),
                multiline_ok,
                "{c:?}"
            );
        }
        assert_eq!(first_control("互通 ¡ é", false), None);
    }
}
