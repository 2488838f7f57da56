//! A payment pack's options read from the page's tokens, without building scraper's tree.
//!
//! `extract.option` is most often a parent and its children (`#pay-methods > li`), and
//! what is read of each option is its text and a few attributes of it and its descendants
//! (`extract.read`), with `extract.selected` asked of it and its descendants. Building the
//! tree of a 30 KiB cashier page to answer that was about a fifth of a probed page's CPU.
//!
//! The trap is that the tree builder does not follow the tag stream: an unclosed `li`
//! is closed by the next `li` (unless a list lies between them), a `<p>` is closed by the
//! block that follows it, a formatting element closed out of order (`<b>` left open when
//! its `li` ends) is *reopened*, with its attributes, inside the next element that takes
//! text — so an attribute read from an option can belong to an element the page opened
//! before it. [`read`] therefore replays the whole page on a stack of open elements that
//! follows html5ever's "in body" rules only where they are simple, and gives up
//! ([`Read::Undecided`]) on every step where the tree builder would do more than push or
//! pop the element the tag names:
//!
//! - an end tag that does not close the element on top of the stack (`</div>` while a
//!   `span` is open, `</p>` with no `p`, `</br>`): the tree would close others with it,
//!   or invent an element;
//! - a start tag that would close something first: a block (`div`, `ul`, `h1` …) or `li`
//!   or `hr` while a `p` is open, an `li` while another `li` is open in the same list, a
//!   heading right inside a heading, an `a` inside an `a`, a `button` inside a `button`;
//! - any element outside a list of ordinary ones whose rules are a plain insert (tables,
//!   forms, `select`, `template`, `svg`, `math`, `pre`, `textarea`, `nobr`, `dd`/`dt`,
//!   ruby parts, `object` …, and any unknown name without a `-`), a second `html`, `head`
//!   or `body`, or content after the body was closed with elements still open;
//! - inside an option: text or an attribute the tokenizer would rewrite (a character
//!   reference, a carriage return), or a page with NUL characters anywhere;
//! - a page deeper or larger than the tree's budget allows (the tree would stop:
//!   `too_complex`).
//!
//! With none of those, every end tag closes exactly the element on top, every formatting
//! element is closed by its own end tag (so the list of active formatting elements never
//! holds an element that is not open, and nothing is reopened), and the tree's elements
//! inside the body are the stack's, parent for parent. The differential tests in
//! `src/probes/options_tests.rs` hold the two paths to the same options on generated tag
//! soup, hostile pages and the fixture's pages.

use super::bounded::ParseLimits;
use super::scan::{Tok, Tokens};
use super::select::{Answer, FastSelector, raw_is_final};

/// What `extract` asks, in a form the tokens can answer: options are the elements that
/// `child` selects whose parent `parent` selects; `selected` is asked of each option and
/// its descendants.
#[derive(Debug, Clone, PartialEq)]
pub struct FastOptions {
    parent: FastSelector,
    child: FastSelector,
    selected: Option<FastSelector>,
}

impl FastOptions {
    /// The fast form of `option` (`PARENT > CHILD`, each a compound selector the start
    /// tags answer) and `selected` (a selector the start tags answer), or `None`.
    pub fn parse(option: &str, selected: Option<&str>) -> Option<FastOptions> {
        if option.contains(',') || option.matches('>').count() != 1 {
            return None;
        }
        let (parent, child) = option.split_once('>')?;
        let (parent, child) = (parent.trim(), child.trim());
        if parent.is_empty() || child.is_empty() {
            return None;
        }
        let selected = match selected {
            Some(s) => Some(FastSelector::parse(s)?),
            None => None,
        };
        Some(FastOptions {
            parent: FastSelector::parse(parent)?,
            child: FastSelector::parse(child)?,
            selected,
        })
    }
}

/// One option as the tokens show it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawOption<'a> {
    /// Its text: every text inside it, in order (as scraper's `text()`).
    pub text: String,
    /// For each entry of `read` that names an attribute: its values on the option and its
    /// descendants, in document order.
    pub attrs: Vec<Vec<&'a str>>,
    /// It or a descendant matches `selected`.
    pub selected: bool,
}

/// What the tokens said.
#[derive(Debug, Clone, PartialEq)]
pub enum Read<'a> {
    /// The options, in document order (at most `max`).
    Options(Vec<RawOption<'a>>),
    /// Only the tree can tell; why, for tests and traces.
    Undecided(&'static str),
}

/// Ordinary elements: the tree builder's rule for their start tag is "reconstruct the
/// active formatting elements, insert" (a no-op reconstruction here) and for their end
/// tag "close it if it is open".
const ORDINARY: &[&str] = &[
    "span", "abbr", "acronym", "bdi", "bdo", "cite", "data", "dfn", "kbd", "label", "mark", "q",
    "samp", "sub", "sup", "time", "var", "ins", "del", "output", "meter", "progress", "canvas",
    "picture", "map", "audio", "video",
];

/// Formatting elements (kept in the list of active formatting elements); `a` and `nobr`
/// have rules of their own.
const FORMATTING: &[&str] = &[
    "b", "big", "code", "em", "font", "i", "s", "small", "strike", "strong", "tt", "u",
];

/// Blocks whose start tag first closes a `p` in button scope.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "search",
    "section",
    "summary",
    "ul",
];

const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

/// Void elements inserted and closed at once.
const VOID: &[&str] = &[
    "area", "br", "embed", "img", "keygen", "wbr", "input", "param", "source", "track",
];

/// Elements the body processes with the head's rules; void ones.
const HEAD_VOID: &[&str] = &["meta", "link", "base", "basefont", "bgsound"];

/// Raw-text elements the body (and the head) insert with their text.
const RAW: &[&str] = &["script", "style", "title", "noframes"];

/// Raw-text elements only the body inserts.
const BODY_RAW: &[&str] = &["iframe", "noembed"];

/// The tree builder's "special" elements that an `li` start tag's search for an open
/// `li` stops at (every special element but `address`, `div` and `p`), among those the
/// stack here can hold.
const LI_STOPS: &[&str] = &[
    "article",
    "aside",
    "blockquote",
    "button",
    "center",
    "details",
    "dir",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "iframe",
    "main",
    "menu",
    "nav",
    "noembed",
    "noframes",
    "ol",
    "script",
    "section",
    "style",
    "summary",
    "title",
    "ul",
];

/// A custom element's name (`pay-item`): no rule of the tree builder names it.
fn custom(name: &str) -> bool {
    name.contains('-')
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    /// Before `<html>` or `<head>`.
    BeforeHead,
    InHead,
    AfterHead,
    InBody,
    /// After `</body>` or `</html>` with nothing open inside the body.
    AfterBody,
}

struct Open {
    name: String,
    /// It matches `parent`: its children may be options.
    parent: bool,
    /// It is an option (its index).
    option: Option<usize>,
}

/// Reads the options `fast` selects from `page`, at most `max`, and for each the values
/// of `read`'s attributes (`alt`, `id`, `data-…`; "text" is its text).
pub fn read<'a>(
    page: &'a str,
    fast: &FastOptions,
    read: &[String],
    max: usize,
    limits: ParseLimits,
) -> Read<'a> {
    match replay(page, fast, None, read, max, limits) {
        Ok((options, _)) => Read::Options(options),
        Err(why) => Read::Undecided(why),
    }
}

/// [`read`], and in the same pass whether some element of the page's tree is one that
/// `checkout` selects (the pack's `extract.page`, when start tags answer it): one reading
/// of the page instead of two. `None` where only the tree can tell either.
pub fn read_checkout<'a>(
    page: &'a str,
    fast: &FastOptions,
    checkout: &FastSelector,
    read: &[String],
    max: usize,
    limits: ParseLimits,
) -> Option<(bool, Vec<RawOption<'a>>)> {
    replay(page, fast, Some(checkout), read, max, limits)
        .ok()
        .map(|(options, found)| (found, options))
}

fn yes(answer: Answer) -> Result<bool, &'static str> {
    match answer {
        Answer::Yes => Ok(true),
        Answer::No => Ok(false),
        Answer::CannotTell => Err("a value the tree would decode"),
    }
}

/// The options, and whether `checkout` (if asked) selects some element of the tree.
fn replay<'a>(
    page: &'a str,
    fast: &FastOptions,
    checkout: Option<&FastSelector>,
    read: &[String],
    max: usize,
    limits: ParseLimits,
) -> Result<(Vec<RawOption<'a>>, bool), &'static str> {
    if page.contains('\0') {
        return Err("the page contains NUL characters");
    }
    // The tree holds html, head and body beside the stack's elements.
    let max_depth = (limits.max_depth as usize).saturating_sub(8);
    let max_elements = limits.max_elements.saturating_sub(8);
    let mut phase = Phase::BeforeHead;
    let (mut htmls, mut heads, mut bodies) = (0u32, 0u32, 0u32);
    let mut stack: Vec<Open> = Vec::new();
    let mut options: Vec<RawOption<'a>> = Vec::new();
    // Options open on the stack (an option inside an option is inside both).
    let mut open: Vec<usize> = Vec::new();
    let mut elements = 0usize;
    // Whether `checkout` met an element; html, head and body (which the tree may invent or
    // merge) and the head's elements it may not meet at all.
    let mut found = false;
    let checks = |tag: &super::scan::Tag<'_>| match checkout {
        Some(c) => yes(c.matches(tag)),
        None => Ok(false),
    };
    let mut tokens = Tokens::new(page);
    while let Some(token) = tokens.next_token() {
        match token {
            Tok::Undecided(why) => return Err(why),
            Tok::Text(text) => {
                if matches!(phase, Phase::BeforeHead | Phase::InHead | Phase::AfterHead)
                    && stack.is_empty()
                    && !text
                        .bytes()
                        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r'))
                {
                    // Text before the body opens the body.
                    phase = Phase::InBody;
                }
                if phase == Phase::AfterBody
                    && !text
                        .bytes()
                        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r'))
                {
                    phase = Phase::InBody;
                }
                if !open.is_empty() {
                    if text.contains(['&', '\r']) {
                        return Err("text the tokenizer would rewrite inside an option");
                    }
                    for &o in &open {
                        options[o].text.push_str(text);
                    }
                }
            }
            Tok::End(tag) => {
                let name = tag.name.as_str();
                match stack.last() {
                    Some(top) if top.name == name => {
                        if name == "br" {
                            return Err("an end tag the tree turns into an element");
                        }
                        let top = stack.pop().expect("a top");
                        if top.option.is_some() {
                            open.pop();
                        }
                    }
                    Some(_) => return Err("an end tag that closes more than the open element"),
                    None => match (phase, name) {
                        (Phase::InHead, "head") if heads == 1 => phase = Phase::AfterHead,
                        (Phase::InBody | Phase::AfterBody, "body" | "html") => {
                            phase = Phase::AfterBody
                        }
                        _ => return Err("an end tag the tree builder reinterprets"),
                    },
                }
            }
            Tok::Start(_, tag) => {
                let name = tag.name.as_str();
                match name {
                    "html" => {
                        htmls += 1;
                        if htmls > 1 || phase != Phase::BeforeHead || heads > 0 {
                            return Err("an html tag the tree merges");
                        }
                        if yes(fast.parent.matches(&tag))? {
                            return Err("the parent selector matches the html element");
                        }
                        if checks(&tag)? {
                            return Err("the checkout selector matches the html element");
                        }
                        continue;
                    }
                    "head" => {
                        heads += 1;
                        if heads > 1 || phase != Phase::BeforeHead {
                            return Err("a head tag the tree drops");
                        }
                        if yes(fast.parent.matches(&tag))? {
                            return Err("the parent selector matches the head element");
                        }
                        if checks(&tag)? {
                            return Err("the checkout selector matches the head element");
                        }
                        phase = Phase::InHead;
                        continue;
                    }
                    "body" => {
                        bodies += 1;
                        let before = matches!(phase, Phase::BeforeHead | Phase::AfterHead)
                            || (phase == Phase::InHead && stack.is_empty());
                        if bodies > 1 || !before || !stack.is_empty() {
                            return Err("a body tag the tree merges");
                        }
                        if yes(fast.parent.matches(&tag))? {
                            return Err("the parent selector matches the body element");
                        }
                        if checks(&tag)? {
                            return Err("the checkout selector matches the body element");
                        }
                        phase = Phase::InBody;
                        continue;
                    }
                    _ => {}
                }
                let head_content = HEAD_VOID.contains(&name) || RAW.contains(&name);
                match phase {
                    Phase::InBody => {}
                    Phase::AfterBody => phase = Phase::InBody,
                    Phase::BeforeHead | Phase::InHead | Phase::AfterHead => {
                        if !stack.is_empty() {
                            return Err("a tag inside a raw-text element of the head");
                        }
                        if head_content {
                            // Kept in the head (the tree puts it there even after `</head>`).
                            if yes(fast.parent.matches(&tag))?
                                || yes(fast.child.matches(&tag))?
                                || checks(&tag)?
                            {
                                return Err("a selector matches an element of the head");
                            }
                            elements += 1;
                            if RAW.contains(&name) {
                                stack.push(Open {
                                    name: tag.name,
                                    parent: false,
                                    option: None,
                                });
                            }
                            continue;
                        }
                        phase = Phase::InBody;
                    }
                }
                // In the body: the tree builder's rules, where they push or pop only.
                let p_open = || stack.iter().any(|o| o.name == "p");
                let pushed = if VOID.contains(&name) || HEAD_VOID.contains(&name) {
                    false
                } else if name == "hr" {
                    if p_open() {
                        return Err("an hr that closes a p");
                    }
                    false
                } else if RAW.contains(&name)
                    || BODY_RAW.contains(&name)
                    || FORMATTING.contains(&name)
                    || ORDINARY.contains(&name)
                    || custom(name)
                {
                    true
                } else if BLOCKS.contains(&name) {
                    if p_open() {
                        return Err("a block that closes a p");
                    }
                    true
                } else if HEADINGS.contains(&name) {
                    if p_open() {
                        return Err("a heading that closes a p");
                    }
                    if stack
                        .last()
                        .is_some_and(|o| HEADINGS.contains(&o.name.as_str()))
                    {
                        return Err("a heading inside a heading");
                    }
                    true
                } else if name == "li" {
                    for o in stack.iter().rev() {
                        if o.name == "li" {
                            return Err("an li that closes an open li");
                        }
                        if LI_STOPS.contains(&o.name.as_str()) {
                            break;
                        }
                    }
                    if p_open() {
                        return Err("an li that closes a p");
                    }
                    true
                } else if name == "a" {
                    if stack.iter().any(|o| o.name == "a") {
                        return Err("an a inside an a");
                    }
                    true
                } else if name == "button" {
                    if stack.iter().any(|o| o.name == "button") {
                        return Err("a button inside a button");
                    }
                    true
                } else {
                    return Err("an element the tree builder treats specially");
                };
                elements += 1;
                if elements > max_elements || stack.len() + 1 > max_depth {
                    return Err("a page past the tree's bounds");
                }
                if !found {
                    found = checks(&tag)?;
                }
                // Is it an option? Its parent is the top of the stack (the body if none).
                let is_option = options.len() < max
                    && stack.last().is_some_and(|o| o.parent)
                    && yes(fast.child.matches(&tag))?;
                if is_option {
                    options.push(RawOption {
                        text: String::new(),
                        attrs: vec![Vec::new(); read.len()],
                        selected: false,
                    });
                    open.push(options.len() - 1);
                }
                if !open.is_empty() {
                    let selected = match &fast.selected {
                        Some(s) => yes(s.matches(&tag))?,
                        None => false,
                    };
                    for (k, what) in read.iter().enumerate() {
                        let attr = match what.as_str() {
                            "text" => continue,
                            other => other,
                        };
                        if let Some(v) = tag.attr(attr) {
                            if !raw_is_final(v) {
                                return Err("an attribute the tokenizer would rewrite");
                            }
                            for &o in &open {
                                options[o].attrs[k].push(v);
                            }
                        }
                    }
                    if selected {
                        for &o in &open {
                            options[o].selected = true;
                        }
                    }
                }
                let parent = yes(fast.parent.matches(&tag))?;
                if pushed {
                    stack.push(Open {
                        name: tag.name,
                        parent,
                        option: is_option.then(|| options.len() - 1),
                    });
                } else if is_option {
                    // A void option: nothing inside it.
                    open.pop();
                }
            }
        }
    }
    Ok((options, found))
}
