//! The same streaming answer as [`super::scan`], read from html5ever's tokenizer (the one
//! scraper's tree builder uses) instead of a hand-written one: start tags with their
//! values decoded as the tree holds them, raw-text elements switched as the tree builder
//! switches them, and the same fallbacks for pages whose tree differs from the tag stream.

use super::scan::{DERAILING, MAX_CANDIDATES, Scan, TABLE_PARTS};
use super::select::{Answer, ElementTest, FastSelector, StartTag};
use html5ever::TokenizerResult;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};

/// Looks for the first element that `selector` selects and `test` accepts, reading the
/// page's start tags from html5ever's tokenizer.
pub fn scan<'a>(page: &'a str, selector: &FastSelector, test: &ElementTest) -> Scan<'a> {
    if matches!(test, ElementTest::Text(_)) {
        return Scan::Undecided("text tests need the tree");
    }
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(page));
    let sink = Sink {
        page,
        queue: &queue,
        selector,
        test,
        exact_end: Cell::new(0),
        walk: RefCell::new(Walk::default()),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    if let TokenizerResult::Done = tokenizer.feed(&queue) {
        tokenizer.end();
    }
    let walk = tokenizer.sink.walk.into_inner();
    if let Some(why) = walk.stop {
        return Scan::Undecided(why);
    }
    let tagless = selector.tagless();
    if tagless
        && (walk.table_parts
            || walk.forms > 1
            || walk.htmls > 1
            || walk.bodies > 1
            || walk.head_attrs)
    {
        return Scan::Undecided("the tree builder may drop or merge elements of this page");
    }
    if !tagless && walk.forms > 1 {
        return Scan::Undecided("the page nests forms");
    }
    match walk.found {
        Some((at, value)) => Scan::Found {
            at,
            value: value.map(Cow::Owned),
        },
        None => Scan::Absent,
    }
}

struct Sink<'a, 'q> {
    page: &'a str,
    queue: &'q BufferQueue,
    selector: &'q FastSelector,
    test: &'q ElementTest,
    /// Where the last token other than text ended: the next start tag's `<` is the first
    /// `<` and letter after it (text before it holds none, or it would be a tag).
    exact_end: Cell<usize>,
    walk: RefCell<Walk>,
}

#[derive(Default)]
struct Walk {
    found: Option<(usize, Option<String>)>,
    candidates: usize,
    forms: u32,
    htmls: u32,
    bodies: u32,
    table_parts: bool,
    head_attrs: bool,
    stop: Option<&'static str>,
}

struct TokenTag<'t>(&'t Tag);

impl StartTag for TokenTag<'_> {
    fn name(&self) -> &str {
        &self.0.name
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.0
            .attrs
            .iter()
            .find(|a| &*a.name.local == name)
            .map(|a| &*a.value)
    }
    fn is_final(&self, _: &str) -> bool {
        // The tokenizer has decoded it already, as the tree holds it.
        true
    }
}

impl Sink<'_, '_> {
    /// The byte offset the tokenizer has read up to.
    fn position(&self) -> usize {
        let Some(first) = self.queue.pop_front() else {
            return self.page.len();
        };
        let mut left = first.len();
        if !self.queue.is_empty() {
            // Rare: the tokenizer gave characters back in a chunk of their own.
            let mut rest = Vec::new();
            while let Some(c) = self.queue.pop_front() {
                left += c.len();
                rest.push(c);
            }
            for c in rest.into_iter().rev() {
                self.queue.push_front(c);
            }
        }
        self.queue.push_front(first);
        self.page.len() - left
    }

    /// The offset of the start tag that ends at `end`.
    fn start_of_tag(&self, end: usize) -> usize {
        let from = self.exact_end.get();
        let window = self.page.as_bytes().get(from..end).unwrap_or_default();
        window
            .windows(2)
            .position(|w| w[0] == b'<' && w[1].is_ascii_alphabetic())
            .map_or(from, |i| from + i)
    }

    fn start_tag(&self, tag: &Tag, end: usize) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let mut walk = self.walk.borrow_mut();
        if DERAILING.contains(&name) {
            walk.stop = Some("the page has an element the tree builder re-reads");
            return TokenSinkResult::Script(());
        }
        match name {
            "form" => walk.forms += 1,
            "html" => walk.htmls += 1,
            "body" => walk.bodies += 1,
            "head" => walk.head_attrs |= !tag.attrs.is_empty(),
            n if TABLE_PARTS.contains(&n) => walk.table_parts = true,
            _ => {}
        }
        if walk.found.is_none() && self.selector.matches(&TokenTag(tag)) == Answer::Yes {
            walk.candidates += 1;
            if walk.candidates > MAX_CANDIDATES {
                walk.stop = Some("more candidates than the tree path looks at");
                return TokenSinkResult::Script(());
            }
            let value = |attr: &str| TokenTag(tag).attr(attr).map(str::to_string);
            walk.found = match self.test {
                ElementTest::Present => Some((self.start_of_tag(end), None)),
                ElementTest::Alt(s) => value("alt")
                    .filter(|v| v.contains(s.as_str()))
                    .map(|v| (self.start_of_tag(end), Some(v))),
                ElementTest::Attr { name, contains } => value(name)
                    .filter(|v| contains.as_ref().is_none_or(|s| v.contains(s.as_str())))
                    .map(|v| (self.start_of_tag(end), Some(v))),
                ElementTest::Text(_) => None,
            };
        }
        // Raw text, as the tree builder has the tokenizer read it.
        match name {
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

impl TokenSink for Sink<'_, '_> {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => {
                let end = self.position();
                let result = match tag.kind {
                    TagKind::StartTag => self.start_tag(&tag, end),
                    TagKind::EndTag => TokenSinkResult::Continue,
                };
                self.exact_end.set(end);
                result
            }
            Token::CommentToken(_) | Token::DoctypeToken(_) => {
                self.exact_end.set(self.position());
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}
