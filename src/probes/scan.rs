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
//! `src/probes/scan_tests.rs` hold it to that on generated and simulated pages.
//!
//! Why a tokenizer of our own: html5ever's (the one the tree builder runs), driven the same
//! way, took 489 µs for one `h1` condition on a 30 KiB page against 152 µs here and 799 µs
//! for the tree, and probe runs end to end fell from 1,547 to 907 runs/s (`hutong bench
//! probes`, medians of 5 runs on the 2-core build machine, issue 11). The differential tests
//! keep this one honest instead.

use super::select::{Answer, ElementTest, FastSelector, StartTag, raw_is_final};

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

/// At most this many elements are looked at, as the tree path does.
const MAX_CANDIDATES: usize = 1000;

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
pub(super) struct Tag<'a> {
    pub(super) name: String,
    pub(super) attrs: Vec<(String, &'a str)>,
}

impl<'a> Tag<'a> {
    pub(super) fn attr(&self, name: &str) -> Option<&'a str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

impl StartTag for Tag<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn attr(&self, name: &str) -> Option<&str> {
        Tag::attr(self, name)
    }
    fn is_final(&self, value: &str) -> bool {
        raw_is_final(value)
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
        match selector.matches(&tag) {
            Answer::Yes => {}
            Answer::No => continue,
            Answer::CannotTell => return Scan::Undecided("a value the tree would decode"),
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

/// One token of the page as the tokenizer reads it: a start tag (with the byte offset of
/// its `<`), an end tag (its name and attributes, read like a start tag's), or a run of
/// text (raw as it stands: character references and carriage returns not rewritten).
/// Comments, doctypes and bogus comments are skipped; `Undecided` when the tokenizer's
/// rules would need more than this reader knows (a script with comment-like content).
pub(super) enum Tok<'a> {
    Start(usize, Tag<'a>),
    End(Tag<'a>),
    Text(&'a str),
    Undecided(&'static str),
}

/// The tokenizer's view of a page.
pub(super) struct Tokens<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    /// The raw text of the element just opened (`script`, `style` …), not yet returned.
    raw: Option<(usize, usize)>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

/// Elements whose content is text up to their own end tag.
pub(super) fn is_raw_text(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "textarea" | "title" | "xmp" | "iframe" | "noembed" | "noframes"
    )
}

impl<'a> Tokens<'a> {
    pub(super) fn new(s: &'a str) -> Tokens<'a> {
        Tokens {
            s,
            b: s.as_bytes(),
            i: 0,
            raw: None,
        }
    }

    fn find(&self, from: usize, needle: &str) -> Option<usize> {
        self.s.get(from..)?.find(needle).map(|p| from + p)
    }

    /// [`Tokens::find`] of one ASCII character: a byte search (memchr), where a string
    /// needle runs the general two-way search.
    fn find_char(&self, from: usize, needle: char) -> Option<usize> {
        self.s.get(from..)?.find(needle).map(|p| from + p)
    }

    /// Skips to just after the next `>` from `from` (the end of a bogus comment or doctype).
    fn skip_past_gt(&mut self, from: usize) {
        self.i = self.find_char(from, '>').map_or(self.b.len(), |p| p + 1);
    }

    fn next_tag(&mut self) -> Option<Token<'a>> {
        loop {
            match self.next_token()? {
                Tok::Start(at, tag) => return Some(Token::Start(at, tag)),
                Tok::Undecided(why) => return Some(Token::Undecided(why)),
                Tok::End(_) | Tok::Text(_) => {}
            }
        }
    }

    /// The next token, `None` at the page's end (or inside a tag cut short by it, where the
    /// tokenizer emits nothing more).
    pub(super) fn next_token(&mut self) -> Option<Tok<'a>> {
        if let Some((from, to)) = self.raw.take() {
            self.i = to;
            if to > from {
                return Some(Tok::Text(&self.s[from..to]));
            }
        }
        let mut start = self.i;
        let mut search = self.i;
        loop {
            let Some(lt) = self.find_char(search, '<') else {
                self.i = self.b.len();
                return (start < self.b.len()).then(|| Tok::Text(&self.s[start..]));
            };
            let rest = &self.b[lt + 1..];
            // A `<` that opens no markup is text (`a < b`, a `<` or `</` at the end).
            let markup = match rest.first() {
                Some(c) if c.is_ascii_alphabetic() => true,
                Some(b'/') => rest.get(1).is_some(),
                Some(b'!' | b'?') => true,
                _ => false,
            };
            if !markup {
                search = lt + 1;
                continue;
            }
            if lt > start {
                self.i = lt;
                return Some(Tok::Text(&self.s[start..lt]));
            }
            match rest.first() {
                Some(c) if c.is_ascii_alphabetic() => {
                    let (tag, end) = self.tag(lt + 1)?;
                    self.i = end;
                    // Raw text: nothing inside is markup until the matching end tag.
                    if is_raw_text(&tag.name) {
                        let close = self.raw_end(end, &tag.name);
                        if tag.name == "script" && self.s[end..close].contains("<!--") {
                            return Some(Tok::Undecided("a script with comment-like content"));
                        }
                        self.raw = Some((end, close));
                    }
                    return Some(Tok::Start(lt, tag));
                }
                Some(b'/') => match rest.get(1) {
                    Some(c) if c.is_ascii_alphabetic() => {
                        // An end tag: read like a start tag (quotes in attributes count).
                        let (tag, end) = self.tag(lt + 2)?;
                        self.i = end;
                        return Some(Tok::End(tag));
                    }
                    Some(b'>') => self.i = lt + 3,
                    _ => self.skip_past_gt(lt + 2),
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
                _ => self.skip_past_gt(lt + 2),
            }
            start = self.i;
            search = self.i;
        }
    }

    /// The end of raw text opened by `name`: the start of `</name` followed by whitespace,
    /// `/` or `>`, matched without case; the page's end if there is none.
    fn raw_end(&self, from: usize, name: &str) -> usize {
        let mut at = from;
        while let Some(lt) = self.find_char(at, '<') {
            if self.b.get(lt + 1) != Some(&b'/') {
                at = lt + 1;
                continue;
            }
            let p = lt;
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
