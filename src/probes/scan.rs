//! A streaming answer to simple `selector` conditions, without building the page's tree.
//!
//! Building scraper's tree of a 30 KiB page costs about a millisecond; most selector
//! conditions only ask whether an element with some tag, id, classes or attributes exists,
//! which the page's start tags alone answer. [`scan`] walks the page once with the HTML
//! tokenizer's rules for tags, attributes, comments, doctypes and raw-text elements, and
//! matches each start tag against a [`FastSelector`].
//!
//! The tree builder can make the tree differ from the tag stream: it invents elements
//! (`html`, `head`, `body`, `tbody`, a `p` for a stray `</p>`, a `br` for `</br>`), drops
//! some (table parts outside tables, a nested `form`, a second `head`), renames (`image`),
//! merges (a second `html` or `body`), hides (`template`) or re-reads content (`svg`,
//! `math`, `select`, `noscript`, `frameset`, `plaintext`). Selectors that could meet those
//! elements are not handled here ([`FastSelector::parse`] says `None`), and a page with any
//! of those constructs, or with a value the tokenizer would rewrite (character references,
//! carriage returns, NUL), answers [`Scan::Undecided`]: the caller then builds the tree.
//! Whenever this module decides, it decides as the tree would; the differential tests in
//! `src/probes/tests.rs` hold it to that on generated and simulated pages.

use super::pack::ElementTest;

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

/// Start tags after which the tree no longer follows the tag stream: the scan gives up.
const DERAILING: &[&str] = &[
    "template",
    "select",
    "svg",
    "math",
    "frameset",
    "frame",
    "noscript",
    "plaintext",
    "image",
    "isindex",
];

/// Table parts: dropped by the tree builder outside a table.
const TABLE_PARTS: &[&str] = &[
    "table", "caption", "colgroup", "col", "tbody", "thead", "tfoot", "tr", "td", "th",
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

/// At most this many elements are looked at, as the tree path does.
const MAX_CANDIDATES: usize = 1000;

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

    fn tagless(&self) -> bool {
        self.alternatives.iter().any(|c| c.tag.is_none())
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

/// What a scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan<'a> {
    /// The first element that matches and passes the test: the byte offset of its start tag
    /// and, for `alt`/`attr` tests, the attribute's value.
    Found { at: usize, value: Option<&'a str> },
    /// No element matches.
    Absent,
    /// The tag stream cannot tell; why, for tests and traces.
    Undecided(&'static str),
}

/// One start tag: its name and attributes (first of each name only, as the tokenizer
/// keeps them), raw as they stand in the page.
struct Tag<'a> {
    name: String,
    attrs: Vec<(String, &'a str)>,
}

impl<'a> Tag<'a> {
    fn attr(&self, name: &str) -> Option<&'a str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// Whether a value read raw is the value the tree holds (no character reference to
/// decode, no carriage return to normalise).
fn raw_is_final(v: &str) -> bool {
    !v.contains(['&', '\r'])
}

enum Answer {
    Yes,
    No,
    CannotTell,
}

fn html_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r')
}

impl Compound {
    fn matches(&self, tag: &Tag) -> Answer {
        if let Some(t) = &self.tag
            && *t != tag.name
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
        if consulted.iter().any(|v| !raw_is_final(v)) {
            return Answer::CannotTell;
        }
        if ok { Answer::Yes } else { Answer::No }
    }
}

/// Looks for the first element that `selector` selects and `test` accepts, reading the
/// page's tags in order. `ElementTest::Text` needs the tree and is always undecided.
pub fn scan<'a>(page: &'a str, selector: &FastSelector, test: &ElementTest) -> Scan<'a> {
    if matches!(test, ElementTest::Text(_)) {
        return Scan::Undecided("text tests need the tree");
    }
    if page.contains('\0') {
        return Scan::Undecided("the page contains NUL characters");
    }
    let tagless = selector.tagless();
    let mut found: Option<(usize, Option<&'a str>)> = None;
    let mut candidates = 0usize;
    let mut forms = 0u32;
    let mut htmls = 0u32;
    let mut bodies = 0u32;
    let mut table_parts = false;
    let mut head_attrs = false;
    let mut tokens = Tokens::new(page);
    while let Some(token) = tokens.next_tag() {
        let (at, tag) = match token {
            Token::Start(at, tag) => (at, tag),
            Token::Undecided(why) => return Scan::Undecided(why),
        };
        let name = tag.name.as_str();
        if DERAILING.contains(&name) {
            return Scan::Undecided("the page has an element the tree builder re-reads");
        }
        match name {
            "form" => forms += 1,
            "html" => htmls += 1,
            "body" => bodies += 1,
            "head" => head_attrs |= !tag.attrs.is_empty(),
            n if TABLE_PARTS.contains(&n) => table_parts = true,
            _ => {}
        }
        if found.is_some() {
            continue;
        }
        let mut hit = false;
        for alt in &selector.alternatives {
            match alt.matches(&tag) {
                Answer::Yes => {
                    hit = true;
                    break;
                }
                Answer::No => {}
                Answer::CannotTell => {
                    return Scan::Undecided("a value the tree would decode");
                }
            }
        }
        if !hit {
            continue;
        }
        candidates += 1;
        if candidates > MAX_CANDIDATES {
            return Scan::Undecided("more candidates than the tree path looks at");
        }
        match test {
            ElementTest::Present => found = Some((at, None)),
            ElementTest::Alt(s) => {
                if let Some(v) = tag.attr("alt") {
                    if !raw_is_final(v) {
                        return Scan::Undecided("a value the tree would decode");
                    }
                    if v.contains(s.as_str()) {
                        found = Some((at, Some(v)));
                    }
                }
            }
            ElementTest::Attr { name, contains } => {
                if let Some(v) = tag.attr(name) {
                    if !raw_is_final(v) {
                        return Scan::Undecided("a value the tree would decode");
                    }
                    if contains.as_ref().is_none_or(|s| v.contains(s.as_str())) {
                        found = Some((at, Some(v)));
                    }
                }
            }
            ElementTest::Text(_) => unreachable!("returned above"),
        }
    }
    if tagless && (table_parts || forms > 1 || htmls > 1 || bodies > 1 || head_attrs) {
        return Scan::Undecided("the tree builder may drop or merge elements of this page");
    }
    if !tagless && forms > 1 {
        // A nested form is dropped; only matters to selectors naming `form`, which are not
        // fast, but keep the rule simple and safe.
        return Scan::Undecided("the page nests forms");
    }
    match found {
        Some((at, value)) => Scan::Found { at, value },
        None => Scan::Absent,
    }
}

enum Token<'a> {
    Start(usize, Tag<'a>),
    Undecided(&'static str),
}

/// The tokenizer's view of a page, reduced to start tags.
struct Tokens<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

impl<'a> Tokens<'a> {
    fn new(s: &'a str) -> Tokens<'a> {
        Tokens {
            s,
            b: s.as_bytes(),
            i: 0,
        }
    }

    fn find(&self, from: usize, needle: &str) -> Option<usize> {
        self.s.get(from..)?.find(needle).map(|p| from + p)
    }

    /// Skips to just after the next `>` from `from` (the end of a bogus comment or doctype).
    fn skip_past_gt(&mut self, from: usize) {
        self.i = self.find(from, ">").map_or(self.b.len(), |p| p + 1);
    }

    fn next_tag(&mut self) -> Option<Token<'a>> {
        loop {
            let lt = self.find(self.i, "<")?;
            let rest = &self.b[lt + 1..];
            match rest.first() {
                Some(c) if c.is_ascii_alphabetic() => {
                    let (tag, end) = self.tag(lt + 1)?;
                    self.i = end;
                    // Raw text: nothing inside is markup until the matching end tag.
                    let raw = matches!(
                        tag.name.as_str(),
                        "script"
                            | "style"
                            | "textarea"
                            | "title"
                            | "xmp"
                            | "iframe"
                            | "noembed"
                            | "noframes"
                    );
                    if raw {
                        let close = self.raw_end(end, &tag.name);
                        if tag.name == "script" && self.s[end..close].contains("<!--") {
                            return Some(Token::Undecided("a script with comment-like content"));
                        }
                        self.i = close;
                    }
                    return Some(Token::Start(lt, tag));
                }
                Some(b'/') => match rest.get(1) {
                    Some(c) if c.is_ascii_alphabetic() => {
                        // An end tag: read like a start tag (quotes in attributes count).
                        let (_, end) = self.tag(lt + 2)?;
                        self.i = end;
                    }
                    Some(b'>') => self.i = lt + 3,
                    None => return None,
                    Some(_) => self.skip_past_gt(lt + 2),
                },
                Some(b'!') => {
                    if rest.starts_with(b"!--") {
                        let body = lt + 4;
                        let tail = &self.b[body..];
                        self.i = if tail.starts_with(b">") {
                            body + 1
                        } else if tail.starts_with(b"->") {
                            body + 2
                        } else {
                            let a = self.find(body, "-->").map(|p| p + 3);
                            let b = self.find(body, "--!>").map(|p| p + 4);
                            match (a, b) {
                                (Some(a), Some(b)) => a.min(b),
                                (Some(x), None) | (None, Some(x)) => x,
                                (None, None) => self.b.len(),
                            }
                        };
                    } else {
                        // Doctype, CDATA outside foreign content, or a bogus comment: all
                        // end at the first `>`.
                        self.skip_past_gt(lt + 2);
                    }
                }
                Some(b'?') => self.skip_past_gt(lt + 2),
                Some(_) => self.i = lt + 1,
                None => return None,
            }
        }
    }

    /// The end of raw text opened by `name`: the start of `</name` followed by whitespace,
    /// `/` or `>`, matched without case; the page's end if there is none.
    fn raw_end(&self, from: usize, name: &str) -> usize {
        let mut at = from;
        while let Some(p) = self.find(at, "</") {
            let after = &self.b[p + 2..];
            if after.len() >= name.len()
                && after[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                && after
                    .get(name.len())
                    .is_some_and(|c| is_ws(*c) || *c == b'/' || *c == b'>')
            {
                return p;
            }
            at = p + 2;
        }
        self.b.len()
    }

    /// Reads a tag from its name at `start` to just past its `>`. `None` when the page
    /// ends inside the tag (the tokenizer then emits nothing).
    fn tag(&self, start: usize) -> Option<(Tag<'a>, usize)> {
        let b = self.b;
        let mut i = start;
        while i < b.len() && !is_ws(b[i]) && b[i] != b'/' && b[i] != b'>' {
            i += 1;
        }
        let name = self.s[start..i].to_ascii_lowercase();
        let mut attrs: Vec<(String, &'a str)> = Vec::new();
        loop {
            // Before an attribute name.
            while i < b.len() && (is_ws(b[i]) || b[i] == b'/') {
                i += 1;
            }
            match b.get(i) {
                None => return None,
                Some(b'>') => return Some((Tag { name, attrs }, i + 1)),
                Some(_) => {}
            }
            // The name: a leading `=` belongs to it.
            let name_start = i;
            i += 1;
            while i < b.len() && !is_ws(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
                i += 1;
            }
            let attr_name = self.s[name_start..i].to_ascii_lowercase();
            while i < b.len() && is_ws(b[i]) {
                i += 1;
            }
            let value: &'a str = if b.get(i) == Some(&b'=') {
                i += 1;
                while i < b.len() && is_ws(b[i]) {
                    i += 1;
                }
                match b.get(i) {
                    None => return None,
                    Some(q @ (b'"' | b'\'')) => {
                        let open = i + 1;
                        let close = open + b[open..].iter().position(|c| c == q)?;
                        i = close + 1;
                        &self.s[open..close]
                    }
                    Some(b'>') => "",
                    Some(_) => {
                        let open = i;
                        while i < b.len() && !is_ws(b[i]) && b[i] != b'>' {
                            i += 1;
                        }
                        &self.s[open..i]
                    }
                }
            } else {
                ""
            };
            if !attrs.iter().any(|(n, _)| *n == attr_name) {
                attrs.push((attr_name, value));
            }
        }
    }
}
