//! HTML trees built under limits. html5ever's tree builder walks its stack of open
//! elements for most start and end tags, so a page that only opens elements (`<div>` or
//! `<b id=…>` forty thousand times) costs time quadratic in its nesting: measured in a
//! release build, 40,000 `<div>` took 4.1 s and 80,000 took 18 s, 40,000 `<b id=…>` 33 s,
//! while tokenizing the same pages took 4–11 ms. So a page is fed to the parser in small
//! chunks through a sink that watches nesting depth and element count; between chunks the
//! deadline and the engine's stop flag are checked, and past any bound the parse stops.
//! No well-formed page comes near the bounds; classification answers `too_complex`.

use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName, ns};
use scraper::{Html, HtmlTreeSink};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Text is fed to the tree builder this many bytes at a time: small enough that one chunk
/// of hostile markup costs milliseconds, large enough that checking costs nothing.
const CHUNK: usize = 4096;

/// How much tree one page may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Elements nested deeper than this stop the parse.
    pub max_depth: u32,
    /// More elements than this stop the parse.
    pub max_elements: usize,
    /// Classifying one page may take this long (every tree it builds, and the rules).
    pub time: Duration,
}

impl Default for ParseLimits {
    /// 512 levels (no real page nests so deep: deeper markup is hostile or broken),
    /// 300,000 elements (the simulator's 30 KiB product page has 1,148, so a 5 MiB page of
    /// such markup about 196,000; 262,000 elements made a 55 MiB tree in 0.16 s, release)
    /// and 10 seconds for the whole classification (a release build reads 5 MiB of
    /// ordinary markup in well under a second; unoptimised builds, as tests run, are about
    /// twenty times slower and get three times as long).
    fn default() -> Self {
        let seconds = if cfg!(debug_assertions) { 30 } else { 10 };
        ParseLimits {
            max_depth: 512,
            max_elements: 300_000,
            time: Duration::from_secs(seconds),
        }
    }
}

/// The limits of one classification, with its deadline and the engine's stop flag.
#[derive(Debug, Clone)]
pub struct Budget {
    limits: ParseLimits,
    deadline: Instant,
    stop: Option<Arc<AtomicBool>>,
}

impl Budget {
    /// A budget starting now.
    pub fn new(limits: ParseLimits) -> Budget {
        Budget {
            limits,
            deadline: Instant::now() + limits.time,
            stop: None,
        }
    }

    /// Stops (as [`OverBudget::Stopped`]) once `stop` is set: the process is shutting down.
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Budget {
        self.stop = Some(stop);
        self
    }

    pub fn limits(&self) -> ParseLimits {
        self.limits
    }

    /// Whether time is up or the engine is stopping.
    pub fn check(&self) -> Result<(), OverBudget> {
        if self
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            return Err(OverBudget::Stopped);
        }
        if Instant::now() >= self.deadline {
            return Err(OverBudget::TooSlow {
                limit: self.limits.time,
            });
        }
        Ok(())
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(ParseLimits::default())
    }
}

/// Why a page was not read to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverBudget {
    TooDeep {
        limit: u32,
    },
    TooManyElements {
        limit: usize,
    },
    TooSlow {
        limit: Duration,
    },
    /// The engine is stopping (shutdown): no verdict at all, nothing is stored.
    Stopped,
}

impl fmt::Display for OverBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverBudget::TooDeep { limit } => write!(
                f,
                "the page nests elements more than {limit} levels deep: Hutong reads no deeper"
            ),
            OverBudget::TooManyElements { limit } => write!(
                f,
                "the page has more than {limit} elements: Hutong reads no more"
            ),
            OverBudget::TooSlow { limit } => write!(
                f,
                "reading the page took longer than {} s: Hutong stopped",
                limit.as_secs_f64()
            ),
            OverBudget::Stopped => f.write_str("Hutong was stopping: the page was not read"),
        }
    }
}

/// Parses a whole document within `budget`.
pub fn parse_document(text: &str, budget: &Budget) -> Result<Html, OverBudget> {
    let sink = GuardedSink::new(HtmlTreeSink::new(Html::new_document()), budget.limits);
    feed(
        html5ever::driver::parse_document(sink, Default::default()),
        text,
        budget,
    )
}

/// Parses a fragment (as the content of `<body>`) within `budget`.
pub fn parse_fragment(text: &str, budget: &Budget) -> Result<Html, OverBudget> {
    let sink = GuardedSink::new(HtmlTreeSink::new(Html::new_fragment()), budget.limits);
    let context = QualName::new(None, ns!(html), html5ever::local_name!("body"));
    feed(
        html5ever::driver::parse_fragment(sink, Default::default(), context, Vec::new(), false),
        text,
        budget,
    )
}

fn feed(
    mut parser: html5ever::driver::Parser<GuardedSink>,
    text: &str,
    budget: &Budget,
) -> Result<Html, OverBudget> {
    let mut rest = text;
    loop {
        budget.check()?;
        if let Some(over) = parser.tokenizer.sink.sink.over.get() {
            return Err(over);
        }
        if rest.is_empty() {
            break;
        }
        let mut end = CHUNK.min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (chunk, tail) = rest.split_at(end);
        parser.process(StrTendril::from_slice(chunk));
        rest = tail;
    }
    let html = parser.finish();
    Ok(html)
}

type Handle = <HtmlTreeSink as TreeSink>::Handle;

/// scraper's sink, counting elements and keeping each node's depth.
struct GuardedSink {
    inner: HtmlTreeSink,
    limits: ParseLimits,
    depth: RefCell<foldhash::HashMap<Handle, u32>>,
    elements: Cell<usize>,
    over: Cell<Option<OverBudget>>,
}

impl GuardedSink {
    fn new(inner: HtmlTreeSink, limits: ParseLimits) -> GuardedSink {
        GuardedSink {
            inner,
            limits,
            depth: RefCell::new(foldhash::HashMap::default()),
            elements: Cell::new(0),
            over: Cell::new(None),
        }
    }

    fn depth_of(&self, node: &Handle) -> u32 {
        self.depth.borrow().get(node).copied().unwrap_or(0)
    }

    /// Records where a node lands. Nodes moved later (the adoption agency, foster
    /// parenting) keep their first depth: close enough for a bound.
    fn placed(&self, child: &NodeOrText<Handle>, depth: u32) {
        if let NodeOrText::AppendNode(node) = child {
            self.depth.borrow_mut().insert(*node, depth);
            if depth > self.limits.max_depth && self.over.get().is_none() {
                self.over.set(Some(OverBudget::TooDeep {
                    limit: self.limits.max_depth,
                }));
            }
        }
    }
}

impl TreeSink for GuardedSink {
    type Output = Html;
    type Handle = Handle;
    type ElemName<'a> = <HtmlTreeSink as TreeSink>::ElemName<'a>;

    fn finish(self) -> Html {
        self.inner.finish()
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg);
    }

    fn get_document(&self) -> Handle {
        self.inner.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> Self::ElemName<'a> {
        self.inner.elem_name(target)
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        let n = self.elements.get() + 1;
        self.elements.set(n);
        if n > self.limits.max_elements && self.over.get().is_none() {
            self.over.set(Some(OverBudget::TooManyElements {
                limit: self.limits.max_elements,
            }));
        }
        self.inner.create_element(name, attrs, flags)
    }

    fn create_comment(&self, text: StrTendril) -> Handle {
        self.inner.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Handle {
        self.inner.create_pi(target, data)
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        self.placed(&child, self.depth_of(parent) + 1);
        self.inner.append(parent, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        let depth = self.depth_of(element).max(self.depth_of(prev_element)) + 1;
        self.placed(&child, depth);
        self.inner
            .append_based_on_parent_node(element, prev_element, child);
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id);
    }

    fn mark_script_already_started(&self, node: &Handle) {
        self.inner.mark_script_already_started(node);
    }

    fn pop(&self, node: &Handle) {
        self.inner.pop(node);
    }

    fn get_template_contents(&self, target: &Handle) -> Handle {
        self.inner.get_template_contents(target)
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        self.inner.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }

    fn append_before_sibling(&self, sibling: &Handle, new_node: NodeOrText<Handle>) {
        self.placed(&new_node, self.depth_of(sibling));
        self.inner.append_before_sibling(sibling, new_node);
    }

    fn add_attrs_if_missing(&self, target: &Handle, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs);
    }

    fn associate_with_form(
        &self,
        target: &Handle,
        form: &Handle,
        nodes: (&Handle, Option<&Handle>),
    ) {
        self.inner.associate_with_form(target, form, nodes);
    }

    fn remove_from_parent(&self, target: &Handle) {
        self.inner.remove_from_parent(target);
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        self.inner.reparent_children(node, new_parent);
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        self.inner
            .is_mathml_annotation_xml_integration_point(handle)
    }

    fn maybe_clone_an_option_into_selectedcontent(&self, option: &Handle) {
        self.inner
            .maybe_clone_an_option_into_selectedcontent(option);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Selector;

    fn nested(tag: &str, n: usize) -> String {
        let mut page = String::from("<h1>x</h1>");
        for i in 0..n {
            page.push_str(&format!("<{tag} id=\"n{i}\">"));
        }
        page.push_str("bottom");
        page
    }

    fn text_of(html: &Html, css: &str) -> Vec<String> {
        let sel = Selector::parse(css).expect("selector");
        html.select(&sel)
            .map(|e| e.text().collect::<String>())
            .collect()
    }

    #[test]
    fn ordinary_pages_give_the_same_tree_as_an_unbounded_parse() {
        let mut page = String::from(
            "<!doctype html><html><head><title>标题</title></head><body><div class=wrap><ul>",
        );
        while page.len() < 40_000 {
            page.push_str(
                "<li><a href=\"/x?y=1&amp;z=2\">链接</a></li><div class=card><h2>标题</h2>\
                 <p>文字 <b>粗<i>斜</b>体</i> <img src=a.png alt=\"图\"><p>二<table><tr><td>1<td>2</table></div>",
            );
        }
        page.push_str("</ul></div></body></html>");
        let bounded = parse_document(&page, &Budget::default()).expect("within bounds");
        let plain = Html::parse_document(&page);
        assert_eq!(bounded.html(), plain.html());
        let start = page.find("<li>").expect("an item");
        let mut end = start + 2_000;
        while !page.is_char_boundary(end) {
            end -= 1;
        }
        let part = &page[start..end];
        let fragment = parse_fragment(part, &Budget::default()).expect("fragment");
        assert_eq!(fragment.html(), Html::parse_fragment(part).html());
    }

    #[test]
    fn deep_nesting_stops_at_the_depth_bound() {
        for tag in ["div", "b", "span", "section"] {
            let page = nested(tag, 40_000);
            let err = parse_document(&page, &Budget::default()).err();
            assert_eq!(err, Some(OverBudget::TooDeep { limit: 512 }), "{tag}");
        }
        let err = OverBudget::TooDeep { limit: 512 };
        assert!(err.to_string().contains("512 levels"), "{err}");
        // Just under the bound is read to the end.
        let page = nested("div", 500);
        let html = parse_document(&page, &Budget::default()).expect("500 levels");
        assert_eq!(text_of(&html, "h1"), ["x"]);
        assert_eq!(text_of(&html, "#n499"), ["bottom"]);
    }

    #[test]
    fn many_elements_stop_at_the_element_bound() {
        let page = "<p>a</p>".repeat(2_000);
        let limits = ParseLimits {
            max_elements: 1_000,
            ..ParseLimits::default()
        };
        assert_eq!(
            parse_document(&page, &Budget::new(limits)).err(),
            Some(OverBudget::TooManyElements { limit: 1_000 })
        );
        assert!(parse_document(&page, &Budget::default()).is_ok());
    }

    #[test]
    fn a_passed_deadline_or_a_stop_ends_the_parse() {
        let limits = ParseLimits {
            time: Duration::ZERO,
            ..ParseLimits::default()
        };
        assert_eq!(
            parse_document("<p>hi</p>", &Budget::new(limits)).err(),
            Some(OverBudget::TooSlow {
                limit: Duration::ZERO
            })
        );
        let stop = Arc::new(AtomicBool::new(true));
        assert_eq!(
            parse_fragment("<p>hi</p>", &Budget::default().with_stop(stop)).err(),
            Some(OverBudget::Stopped)
        );
    }

    #[test]
    fn text_in_any_script_is_cut_on_character_boundaries() {
        // Chunks end inside multi-byte characters unless moved to a boundary.
        let page = format!("<p>{}</p>", "互通".repeat(5_000));
        let html = parse_document(&page, &Budget::default()).expect("parse");
        assert_eq!(text_of(&html, "p"), ["互通".repeat(5_000)]);
    }
}
