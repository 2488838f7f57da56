//! What a `selector` condition asks of a page, in the words the pack compiler and the
//! page readers share: the test applied to the elements selected ([`ElementTest`]), and
//! the selectors simple enough to be answered from start tags alone ([`FastSelector`]:
//! compound selectors of tag, id, classes and attributes that never name an element the
//! tree builder invents, drops or reshapes), with how a start tag matches one.

/// What a `selector` condition tests on the elements it selects.
#[derive(Debug, Clone, PartialEq)]
pub enum ElementTest {
    Present,
    Text(String),
    Alt(String),
    Attr {
        name: String,
        contains: Option<String>,
    },
}

/// Tags a fast selector never names: the tree may hold such elements that no start tag
/// made, or lack ones that a start tag asked for.
const TREE_SHAPED: &[&str] = &[
    "html",
    "head",
    "body",
    "p",
    "br",
    "form",
    "img",
    "image",
    "table",
    "caption",
    "colgroup",
    "col",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
    "template",
    "select",
    "option",
    "optgroup",
    "svg",
    "math",
    "frameset",
    "frame",
    "noscript",
    "plaintext",
    "isindex",
];

/// Attributes whose values selectors compare without case in HTML documents.
const CASELESS_VALUES: &[&str] = &[
    "accept",
    "accept-charset",
    "align",
    "alink",
    "axis",
    "bgcolor",
    "charset",
    "checked",
    "clear",
    "codetype",
    "color",
    "compact",
    "declare",
    "defer",
    "dir",
    "direction",
    "disabled",
    "enctype",
    "face",
    "frame",
    "hreflang",
    "http-equiv",
    "lang",
    "language",
    "link",
    "media",
    "method",
    "multiple",
    "nohref",
    "noresize",
    "noshade",
    "nowrap",
    "readonly",
    "rel",
    "rev",
    "rules",
    "scope",
    "scrolling",
    "selected",
    "shape",
    "target",
    "text",
    "type",
    "valign",
    "valuetype",
    "vlink",
];

/// A selector list of compound selectors (`tag#id.class[attr op "value"]`, comma-separated)
/// whose every part can be answered from start tags.
#[derive(Debug, Clone, PartialEq)]
pub struct FastSelector {
    alternatives: Vec<Compound>,
}

#[derive(Debug, Clone, PartialEq)]
struct Compound {
    tag: Option<String>,
    id: Option<String>,
    classes: Vec<String>,
    attrs: Vec<AttrTest>,
}

#[derive(Debug, Clone, PartialEq)]
struct AttrTest {
    name: String,
    op: AttrOp,
}

#[derive(Debug, Clone, PartialEq)]
enum AttrOp {
    Exists,
    Equals(String),
    /// `~=`: one of the whitespace-separated words.
    Word(String),
    /// `|=`: the value, or the value followed by `-`.
    Dash(String),
    Prefix(String),
    Suffix(String),
    Substring(String),
}

impl FastSelector {
    /// The fast form of a selector already accepted by scraper, or `None` when the selector
    /// needs the tree (combinators, pseudo-classes, escapes, tags the tree builder shapes…).
    pub fn parse(source: &str) -> Option<FastSelector> {
        let mut p = SelParser {
            s: source.as_bytes(),
            i: 0,
        };
        let mut alternatives = Vec::new();
        loop {
            p.skip_ws();
            alternatives.push(p.compound()?);
            p.skip_ws();
            match p.peek() {
                None => break,
                Some(b',') => p.i += 1,
                Some(_) => return None,
            }
        }
        Some(FastSelector { alternatives })
    }

    /// Whether some alternative names no tag (`.price`, `[data-state]`): it could meet
    /// the elements the tree builder invents or merges.
    pub(super) fn tagless(&self) -> bool {
        self.alternatives.iter().any(|c| c.tag.is_none())
    }

    /// Whether `tag` matches: the first alternative that does not say no decides.
    pub(super) fn matches(&self, tag: &impl StartTag) -> Answer {
        self.alternatives
            .iter()
            .map(|alt| alt.matches(tag))
            .find(|a| *a != Answer::No)
            .unwrap_or(Answer::No)
    }
}

struct SelParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl SelParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')) {
            self.i += 1;
        }
    }

    fn ident(&mut self) -> Option<String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c >= 0x80 {
                self.i += 1;
            } else {
                break;
            }
        }
        let id = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        // An identifier cannot start with a digit, or with `-` and a digit.
        let first = id.bytes().find(|b| *b != b'-')?;
        (!first.is_ascii_digit() && !id.starts_with("--")).then(|| id.to_string())
    }

    fn value(&mut self) -> Option<String> {
        match self.peek()? {
            q @ (b'"' | b'\'') => {
                self.i += 1;
                let start = self.i;
                while let Some(c) = self.peek() {
                    match c {
                        b'\\' | b'\n' => return None,
                        c if c == q => break,
                        _ => self.i += 1,
                    }
                }
                let v = std::str::from_utf8(&self.s[start..self.i])
                    .ok()?
                    .to_string();
                (self.peek()? == q).then_some(())?;
                self.i += 1;
                Some(v)
            }
            _ => self.ident(),
        }
    }

    fn compound(&mut self) -> Option<Compound> {
        let mut c = Compound {
            tag: None,
            id: None,
            classes: Vec::new(),
            attrs: Vec::new(),
        };
        let mut universal = false;
        match self.peek()? {
            b'*' => {
                self.i += 1;
                universal = true;
            }
            b if b.is_ascii_alphabetic() => {
                let tag = self.ident()?.to_ascii_lowercase();
                if TREE_SHAPED.contains(&tag.as_str()) {
                    return None;
                }
                c.tag = Some(tag);
            }
            _ => {}
        }
        loop {
            match self.peek() {
                Some(b'#') => {
                    self.i += 1;
                    if c.id.is_some() {
                        return None;
                    }
                    c.id = Some(self.ident()?);
                }
                Some(b'.') => {
                    self.i += 1;
                    c.classes.push(self.ident()?);
                }
                Some(b'[') => {
                    self.i += 1;
                    c.attrs.push(self.attr()?);
                }
                _ => break,
            }
        }
        let bare = c.id.is_none() && c.classes.is_empty() && c.attrs.is_empty();
        if c.tag.is_none() && bare {
            // `*` alone (or nothing) would meet the elements the tree builder invents.
            let _ = universal;
            return None;
        }
        Some(c)
    }

    fn attr(&mut self) -> Option<AttrTest> {
        self.skip_ws();
        let name = self.ident()?.to_ascii_lowercase();
        self.skip_ws();
        let op = match self.peek()? {
            b']' => {
                self.i += 1;
                return Some(AttrTest {
                    name,
                    op: AttrOp::Exists,
                });
            }
            b'=' => {
                self.i += 1;
                b'='
            }
            o @ (b'~' | b'|' | b'^' | b'$' | b'*') => {
                self.i += 1;
                (self.peek()? == b'=').then_some(())?;
                self.i += 1;
                o
            }
            _ => return None,
        };
        self.skip_ws();
        let value = self.value()?;
        self.skip_ws();
        // Flags (`i`, `s`) and anything else: leave it to the tree.
        (self.peek()? == b']').then_some(())?;
        self.i += 1;
        if CASELESS_VALUES.contains(&name.as_str()) {
            return None;
        }
        // Empty operands have special meanings per operator: leave them to the tree.
        if value.is_empty() && op != b'=' {
            return None;
        }
        let op = match op {
            b'=' => AttrOp::Equals(value),
            b'~' => AttrOp::Word(value),
            b'|' => AttrOp::Dash(value),
            b'^' => AttrOp::Prefix(value),
            b'$' => AttrOp::Suffix(value),
            _ => AttrOp::Substring(value),
        };
        Some(AttrTest { name, op })
    }
}

/// Whether a value read raw from the page is the value the tree holds (no character
/// reference to decode, no carriage return to normalise).
pub(super) fn raw_is_final(v: &str) -> bool {
    !v.contains(['&', '\r'])
}

/// A start tag as a reader of the page sees it.
pub(super) trait StartTag {
    /// Lowercase.
    fn name(&self) -> &str;
    /// The first attribute of that (lowercase) name, as the reader holds its value.
    fn attr(&self, name: &str) -> Option<&str>;
    /// Whether a value the reader holds is the value the tree holds: a reader of raw text
    /// cannot tell when a character reference or a carriage return is still in it.
    fn is_final(&self, value: &str) -> bool;
}

/// Whether a start tag matches a selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    Yes,
    No,
    /// A value it depends on is not yet what the tree would hold.
    CannotTell,
}

fn html_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r')
}

impl Compound {
    fn matches(&self, tag: &impl StartTag) -> Answer {
        if let Some(t) = &self.tag
            && t != tag.name()
        {
            return Answer::No;
        }
        let mut consulted: Vec<&str> = Vec::new();
        let mut ok = true;
        if let Some(id) = &self.id {
            match tag.attr("id") {
                Some(v) => {
                    consulted.push(v);
                    ok &= v == id;
                }
                None => ok = false,
            }
        }
        if !self.classes.is_empty() {
            match tag.attr("class") {
                Some(v) => {
                    consulted.push(v);
                    ok &= self
                        .classes
                        .iter()
                        .all(|c| v.split(html_ws).any(|w| w == c));
                }
                None => ok = false,
            }
        }
        for a in &self.attrs {
            match tag.attr(&a.name) {
                Some(v) => {
                    consulted.push(v);
                    ok &= match &a.op {
                        AttrOp::Exists => true,
                        AttrOp::Equals(x) => v == x,
                        AttrOp::Word(x) => !x.contains(html_ws) && v.split(html_ws).any(|w| w == x),
                        AttrOp::Dash(x) => {
                            v == x || (v.starts_with(x.as_str()) && v[x.len()..].starts_with('-'))
                        }
                        AttrOp::Prefix(x) => v.starts_with(x.as_str()),
                        AttrOp::Suffix(x) => v.ends_with(x.as_str()),
                        AttrOp::Substring(x) => v.contains(x.as_str()),
                    };
                }
                None => ok = false,
            }
        }
        if consulted.iter().any(|v| !tag.is_final(v)) {
            return Answer::CannotTell;
        }
        if ok { Answer::Yes } else { Answer::No }
    }
}
