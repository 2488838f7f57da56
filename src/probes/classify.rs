//! Classification: a fetched answer in, verdicts out. Pure and synchronous (`&str` in,
//! verdict out), so it runs off the async runtime, is unit-tested on fixture pages, and
//! `hutong probe classify` and reclassification run exactly the same code as probes.

use super::bounded::{self, Budget, OverBudget};
use super::options;
use super::pack::{Condition, ProbePack, Target, ValueTest};
use super::scan;
use super::select::{ElementTest, FastSelector};
use super::{FailureClass, Response};
use crate::domain::UNKNOWN;
use regex::Regex;
use scraper::{ElementRef, Html};
use serde::Serialize;
use std::cell::{Cell, OnceCell};
use std::sync::LazyLock;

/// Excerpts are short: enough to see what matched, never a page.
pub const EXCERPT_CHARS: usize = 240;

/// The verdict on one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub check_id: String,
    /// A ladder status, or `unknown` (then `failure` says why).
    pub status: String,
    pub failure: Option<FailureClass>,
    /// A rule recognising a known page of the platform matched (false: an anomaly).
    pub confirmed: bool,
}

/// What classifying one answer found: a verdict per check, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Classification {
    pub verdicts: Vec<Verdict>,
    /// The rule that matched (link packs), or `extract` (payment packs).
    pub rule: Option<String>,
    /// Text around what matched, capped.
    pub excerpt: Option<String>,
    /// Why the verdict is unknown or an anomaly, in words.
    pub detail: Option<String>,
    /// Payment options read from the page.
    pub extracted: Vec<ExtractedOption>,
}

impl Classification {
    fn failed(target: &Target, class: FailureClass, detail: String) -> Classification {
        Classification {
            verdicts: target
                .checks
                .iter()
                .map(|c| Verdict {
                    check_id: c.check_id.clone(),
                    status: UNKNOWN.into(),
                    failure: Some(class),
                    confirmed: false,
                })
                .collect(),
            rule: None,
            excerpt: None,
            detail: Some(detail),
            extracted: Vec::new(),
        }
    }

    /// The verdict status for link packs (one check).
    pub fn status(&self) -> &str {
        self.verdicts.first().map_or(UNKNOWN, |v| v.status.as_str())
    }

    pub fn failure(&self) -> Option<FailureClass> {
        self.verdicts.first().and_then(|v| v.failure)
    }

    /// Turns every verdict into `unknown` with `class` (the control failed …).
    pub fn downgrade(&mut self, class: FailureClass, detail: String) {
        for v in &mut self.verdicts {
            v.status = UNKNOWN.into();
            v.failure = Some(class);
            v.confirmed = false;
        }
        self.detail = Some(detail);
    }
}

/// One payment option on a checkout page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractedOption {
    pub names: Vec<String>,
    pub methods: Vec<String>,
    pub selected: bool,
}

/// Classifies a fetch failure: every check of the target is `unknown` with its class.
pub fn classify_failure(target: &Target, class: FailureClass, detail: &str) -> Classification {
    Classification::failed(target, class, detail.to_string())
}

static CAPTCHA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)captcha|滑动验证|安全验证|人机验证|拖动滑块|请完成验证").expect("static regex")
});

/// Classifies an answer for one target of a pack, within the default limits.
pub fn classify(pack: &ProbePack, target: &Target, response: &Response) -> Classification {
    classify_within(pack, target, response, &Budget::default())
}

/// Classifies an answer within `budget`: a page that needs more tree, or more time, than
/// the budget allows is `unknown` / `too_complex`, whatever the rules found before.
pub fn classify_within(
    pack: &ProbePack,
    target: &Target,
    response: &Response,
    budget: &Budget,
) -> Classification {
    let page = PageView::new(response, &target.host, budget);
    let c = classify_page(pack, target, &page);
    match page.over.get() {
        None => c,
        Some(over) => {
            let mut c = Classification::failed(target, FailureClass::TooComplex, over.to_string());
            c.excerpt = Some(page.summary());
            c
        }
    }
}

fn classify_page(pack: &ProbePack, target: &Target, page: &PageView) -> Classification {
    let response = page.response;
    if response.status == 403 || response.status == 429 {
        let mut c = Classification::failed(
            target,
            FailureClass::BotChallenge,
            format!(
                "HTTP {} (an anti-bot answer, not a policy)",
                response.status
            ),
        );
        c.excerpt = Some(excerpt_at(&response.text, 0, 0));
        return c;
    }
    for cond in &pack.challenge {
        if let Some(m) = page.eval(cond) {
            let mut c = Classification::failed(
                target,
                FailureClass::BotChallenge,
                "the pack's challenge signature matched".into(),
            );
            c.excerpt = m.excerpt;
            return c;
        }
    }
    if let Some(m) = CAPTCHA.find(&response.text) {
        let mut c = Classification::failed(
            target,
            FailureClass::BotChallenge,
            "the page asks for a captcha (an anti-bot answer, not a policy)".into(),
        );
        c.excerpt = Some(excerpt_at(&response.text, m.start(), m.end()));
        return c;
    }
    match &pack.extract {
        Some(_) => classify_payment(pack, target, page),
        None => classify_link(pack, target, page),
    }
}

fn classify_link(pack: &ProbePack, target: &Target, page: &PageView) -> Classification {
    for rule in &pack.rules {
        if let Some(m) = page.eval(&rule.when) {
            return Classification {
                verdicts: target
                    .checks
                    .iter()
                    .map(|c| Verdict {
                        check_id: c.check_id.clone(),
                        status: rule.status.clone(),
                        failure: None,
                        confirmed: rule.confirmed,
                    })
                    .collect(),
                rule: Some(rule.id.clone()),
                excerpt: m.excerpt.or_else(|| Some(page.summary())),
                detail: (!rule.confirmed)
                    .then(|| format!("anomaly: rule \"{}\" describes an unexpected page", rule.id)),
                extracted: Vec::new(),
            };
        }
    }
    unmatched(target, page)
}

fn unmatched(target: &Target, page: &PageView) -> Classification {
    let status = page.response.status;
    let (class, detail) = if status >= 400 {
        (
            FailureClass::HttpStatus,
            format!(
                "HTTP {status} from {}, and no rule explains it",
                page.final_host()
            ),
        )
    } else {
        (
            FailureClass::NoRuleMatched,
            format!(
                "HTTP {status} from {}: no rule recognises this page",
                page.final_host()
            ),
        )
    };
    let mut c = Classification::failed(target, class, detail);
    c.excerpt = Some(page.summary());
    c
}

fn classify_payment(pack: &ProbePack, target: &Target, page: &PageView) -> Classification {
    let Some(extract) = &pack.extract else {
        return unmatched(target, page);
    };
    if page.response.status >= 400 {
        return unmatched(target, page);
    }
    let not_checkout = || {
        let mut c = unmatched(target, page);
        c.detail = Some("the page does not look like the checkout (extract.page)".into());
        c
    };
    // Whether the page is the checkout and its options, in one reading of its tokens when
    // they answer both exactly (about a tenth of a cashier page's CPU saved).
    if let Some(found) = fast_checkout_options(page, extract, &pack.vocabulary) {
        return match found {
            (true, options) => payment_verdicts(target, page, extract, options, true),
            (false, _) => not_checkout(),
        };
    }
    let mut page_recognised = false;
    if let Some(cond) = &extract.page {
        // Only whether the page is the checkout: the excerpt a match would carry is not
        // used here, so it is not read.
        if !page.holds(cond) {
            return not_checkout();
        }
        page_recognised = true;
    }
    if let Err(over) = page.budget.check() {
        page.exceeded(over);
        return unmatched(target, page);
    }
    // The tokens answer simple option selectors without the tree, where that is exact.
    let fast = fast_options(
        &page.response.text,
        extract,
        &pack.vocabulary,
        page.budget.limits(),
    );
    let options = match fast {
        Some(options) => options,
        None => {
            let Some(html) = page.html() else {
                return unmatched(target, page);
            };
            tree_options(html, extract, &pack.vocabulary)
        }
    };
    payment_verdicts(target, page, extract, options, page_recognised)
}

/// The verdicts of a payment page whose options were read: each check's method offered
/// (and the default) or not; confirmed when the page was recognised as the checkout and
/// every option names a known method.
fn payment_verdicts(
    target: &Target,
    page: &PageView,
    extract: &super::pack::Extract,
    options: Vec<ExtractedOption>,
    page_recognised: bool,
) -> Classification {
    if options.is_empty() {
        let mut c = unmatched(target, page);
        c.detail = Some(format!(
            "no payment option matched \"{}\": a checkout with no options is not \"accepts nothing\"",
            extract.option_source
        ));
        c.rule = Some("extract".into());
        return c;
    }
    let unrecognised = options.iter().filter(|o| o.methods.is_empty()).count();
    let selected: Vec<&str> = options
        .iter()
        .filter(|o| o.selected)
        .flat_map(|o| o.methods.iter().map(String::as_str))
        .collect();
    let confirmed = page_recognised && unrecognised == 0;
    let verdicts = target
        .checks
        .iter()
        .map(|c| {
            let method = c.method.as_deref().unwrap_or_default();
            let offered = options
                .iter()
                .any(|o| o.methods.iter().any(|m| m == method));
            let status = if !offered {
                "not_accepted"
            } else if selected.is_empty() || selected.contains(&method) {
                "accepted"
            } else {
                "accepted_not_default"
            };
            Verdict {
                check_id: c.check_id.clone(),
                status: status.into(),
                failure: None,
                confirmed,
            }
        })
        .collect();
    let excerpt = options
        .iter()
        .map(|o| {
            format!(
                "{}{}",
                o.names.first().cloned().unwrap_or_default(),
                if o.selected { " (selected)" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join(" | ");
    Classification {
        verdicts,
        rule: Some("extract".into()),
        excerpt: Some(cap(&excerpt, EXCERPT_CHARS)),
        detail: (!confirmed).then(|| {
            if unrecognised > 0 {
                format!("anomaly: {unrecognised} option(s) name no known payment method")
            } else {
                "anomaly: the pack has no extract.page check, so the page was not recognised".into()
            }
        }),
        extracted: options,
    }
}

/// Options read: at most this many.
const MAX_OPTIONS: usize = 200;

/// The options `extract` selects in the page's tree, in document order.
pub(super) fn tree_options(
    html: &Html,
    extract: &super::pack::Extract,
    vocabulary: &[super::pack::MethodNames],
) -> Vec<ExtractedOption> {
    let mut options = Vec::new();
    for el in html.select(&extract.option).take(MAX_OPTIONS) {
        let names = option_names(el, &extract.read);
        let methods = map_methods(&names, vocabulary);
        let selected = extract
            .selected
            .as_ref()
            .is_some_and(|sel| sel.matches(&el) || el.select(sel).next().is_some());
        options.push(ExtractedOption {
            names,
            methods,
            selected,
        });
    }
    options
}

/// Whether the page is the checkout (`extract.page`) and its options, both read from the
/// tokens in one pass, where that is exact: `extract.page` a fast selector asked only
/// whether it selects something, and the options' selectors fast. `None`: read them the
/// usual way (the page's budget spent, or only the tree can tell).
fn fast_checkout_options(
    page: &PageView,
    extract: &super::pack::Extract,
    vocabulary: &[super::pack::MethodNames],
) -> Option<(bool, Vec<ExtractedOption>)> {
    let Some(Condition::Selector {
        test: ElementTest::Present,
        fast: Some(checkout),
        ..
    }) = &extract.page
    else {
        return None;
    };
    let fast = extract.fast.as_ref()?;
    if page.over.get().is_some() || page.budget.check().is_err() {
        return None;
    }
    let (found, raw) = options::read_checkout(
        &page.response.text,
        fast,
        checkout,
        &extract.read,
        MAX_OPTIONS,
        page.budget.limits(),
    )?;
    Some((found, extracted(raw, extract, vocabulary)))
}

/// Options read from the tokens, named and mapped to methods as the tree's are.
pub(super) fn extracted(
    raw: Vec<options::RawOption<'_>>,
    extract: &super::pack::Extract,
    vocabulary: &[super::pack::MethodNames],
) -> Vec<ExtractedOption> {
    raw.into_iter()
        .map(|o| {
            let names = raw_option_names(&o, &extract.read);
            ExtractedOption {
                methods: map_methods(&names, vocabulary),
                names,
                selected: o.selected,
            }
        })
        .collect()
}

/// The options `extract` selects, read from the page's tokens; `None` when only the tree
/// can tell (or the extract has no fast form).
pub(super) fn fast_options(
    page: &str,
    extract: &super::pack::Extract,
    vocabulary: &[super::pack::MethodNames],
    limits: bounded::ParseLimits,
) -> Option<Vec<ExtractedOption>> {
    let fast = extract.fast.as_ref()?;
    match options::read(page, fast, &extract.read, MAX_OPTIONS, limits) {
        options::Read::Options(raw) => Some(extracted(raw, extract, vocabulary)),
        options::Read::Undecided(_) => None,
    }
}

/// Names as an option's reader keeps them: whitespace squeezed, empty and over-long ones
/// dropped, each once, in the order met.
#[derive(Default)]
struct Names(Vec<String>);

impl Names {
    fn push(&mut self, s: &str) {
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if !s.is_empty() && s.chars().count() <= 200 && !self.0.contains(&s) {
            self.0.push(s);
        }
    }
}

/// The names an option goes by: its text, its images' `alt`, and the listed attributes
/// of it and its descendants.
fn option_names(el: ElementRef, read: &[String]) -> Vec<String> {
    let mut names = Names::default();
    for what in read {
        match what.as_str() {
            "text" => names.push(&el.text().collect::<String>()),
            attr => {
                for d in std::iter::once(el).chain(el.descendent_elements()) {
                    if let Some(a) = d.value().attr(attr) {
                        names.push(a);
                    }
                }
            }
        }
    }
    names.0
}

/// [`option_names`] of an option read from the tokens.
fn raw_option_names(option: &options::RawOption, read: &[String]) -> Vec<String> {
    let mut names = Names::default();
    for (k, what) in read.iter().enumerate() {
        match what.as_str() {
            "text" => names.push(&option.text),
            _ => {
                for v in &option.attrs[k] {
                    names.push(v);
                }
            }
        }
    }
    names.0
}

/// Maps names to payment methods through the vocabulary: words case-insensitively
/// (Chinese anywhere in the text, Latin words on word boundaries), codes by prefix.
pub fn map_methods(names: &[String], vocabulary: &[super::pack::MethodNames]) -> Vec<String> {
    // Each name lowercased and split once, not once per method of the vocabulary.
    let lowered: Vec<String> = names.iter().map(|name| name.to_lowercase()).collect();
    let words: Vec<Vec<&str>> = lowered
        .iter()
        .map(|lower| {
            lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    for v in vocabulary {
        let hit = v.aliases.iter().any(|alias| {
            if alias.is_ascii() {
                // Split like the names, so that `e-CNY` matches "e-CNY".
                let parts: Vec<&str> = alias
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect();
                if parts.is_empty() {
                    false
                } else if parts.len() > 1 {
                    words
                        .iter()
                        .any(|words| words.windows(parts.len()).any(|w| w == parts.as_slice()))
                } else {
                    words.iter().any(|words| words.contains(&alias.as_str()))
                }
            } else {
                lowered.iter().any(|lower| lower.contains(alias.as_str()))
            }
        }) || names.iter().any(|name| {
            name.split_whitespace().any(|token| {
                v.code_prefixes
                    .iter()
                    .any(|p| token.starts_with(p.as_str()))
            })
        });
        if hit {
            out.push(v.slug.clone());
        }
    }
    out
}

/// What a condition found.
#[derive(Debug, PartialEq)]
pub(super) struct Match {
    pub(super) excerpt: Option<String>,
}

/// An answer as conditions see it; the HTML is parsed on first need only, within the
/// budget. Once over budget, no condition holds and the verdict is `too_complex`.
struct PageView<'a> {
    response: &'a Response,
    target_host: &'a str,
    budget: &'a Budget,
    html: OnceCell<Option<Html>>,
    over: Cell<Option<OverBudget>>,
}

impl<'a> PageView<'a> {
    fn new(response: &'a Response, target_host: &'a str, budget: &'a Budget) -> PageView<'a> {
        PageView {
            response,
            target_host,
            budget,
            html: OnceCell::new(),
            over: Cell::new(None),
        }
    }

    fn html(&self) -> Option<&Html> {
        self.html
            .get_or_init(
                || match bounded::parse_document(&self.response.text, self.budget) {
                    Ok(html) => Some(html),
                    Err(over) => {
                        self.exceeded(over);
                        None
                    }
                },
            )
            .as_ref()
    }

    fn exceeded(&self, over: OverBudget) {
        if self.over.get().is_none() {
            self.over.set(Some(over));
        }
    }

    fn final_host(&self) -> String {
        host_of(&self.response.final_url).unwrap_or_default()
    }

    /// A one-line description of the answer, used when nothing more precise matched.
    fn summary(&self) -> String {
        let r = self.response;
        let mut s = format!("HTTP {} {}", r.status, cap(&r.final_url, 200));
        if let Some(l) = &r.location {
            s.push_str(&format!(" → Location: {}", cap(l, 200)));
        }
        if let Some(title) = title_of(&r.text) {
            s.push_str(&format!(" — {}", cap(&title, 120)));
        }
        s
    }

    /// Whether `c` holds, as [`PageView::eval`] says, without reading the excerpt a match
    /// would carry: a selector the start tags answer needs no parse of the matched
    /// element's text.
    fn holds(&self, c: &Condition) -> bool {
        if self.over.get().is_some() {
            return false;
        }
        if let Err(over) = self.budget.check() {
            self.exceeded(over);
            return false;
        }
        match c {
            Condition::Selector {
                selector,
                test,
                fast: Some(fast),
                ..
            } => match scan::scan(&self.response.text, fast, test) {
                scan::Scan::Found { .. } => true,
                scan::Scan::Absent => false,
                scan::Scan::Undecided(_) => self
                    .html()
                    .is_some_and(|html| tree_select(html, selector, test).is_some()),
            },
            Condition::All(cs) => cs.iter().all(|c| self.holds(c)),
            Condition::Any(cs) => cs.iter().any(|c| self.holds(c)),
            Condition::Not(c) => !self.holds(c),
            _ => self.eval(c).is_some(),
        }
    }

    fn eval(&self, c: &Condition) -> Option<Match> {
        if self.over.get().is_some() {
            return None;
        }
        if let Err(over) = self.budget.check() {
            self.exceeded(over);
            return None;
        }
        let r = self.response;
        let plain = |ok: bool, what: String| {
            ok.then_some(Match {
                excerpt: Some(what),
            })
        };
        match c {
            Condition::Always => Some(Match { excerpt: None }),
            Condition::Status(codes) => {
                plain(codes.contains(&r.status), format!("HTTP {}", r.status))
            }
            Condition::LocationHost(p) => {
                let loc = r.location.as_deref()?;
                let host = host_of(loc)?;
                plain(
                    p.matches(&host, self.target_host),
                    format!("Location: {}", cap(loc, 200)),
                )
            }
            Condition::LocationContains(s) => {
                let loc = r.location.as_deref()?;
                plain(
                    loc.contains(s.as_str()),
                    format!("Location: {}", cap(loc, 200)),
                )
            }
            Condition::HopHost(p) => {
                let hop = std::iter::once(r.request_url.as_str())
                    .chain(r.hops.iter().map(|h| h.url.as_str()))
                    .find(|u| host_of(u).is_some_and(|h| p.matches(&h, self.target_host)))?;
                Some(Match {
                    excerpt: Some(format!("via {}", cap(hop, 200))),
                })
            }
            Condition::FinalHost(p) => {
                let host = host_of(&r.final_url)?;
                plain(
                    p.matches(&host, self.target_host),
                    format!("from {}", cap(&r.final_url, 200)),
                )
            }
            Condition::FinalUrlContains(s) => {
                plain(r.final_url.contains(s.as_str()), cap(&r.final_url, 200))
            }
            Condition::BodyContains(s) => {
                let at = r.text.find(s.as_str())?;
                Some(Match {
                    excerpt: Some(excerpt_at(&r.text, at, at + s.len())),
                })
            }
            Condition::BodyRegex(re) => {
                let m = re.find(&r.text)?;
                Some(Match {
                    excerpt: Some(excerpt_at(&r.text, m.start(), m.end())),
                })
            }
            Condition::Selector {
                selector,
                test,
                fast,
                ..
            } => {
                // Start tags answer most selectors without building the tree.
                if let Some(fast) = fast {
                    match fast_select(&r.text, selector, fast, test, self.budget) {
                        Ok(answer) => return answer,
                        Err(NotFast::Over(over)) => {
                            self.exceeded(over);
                            return None;
                        }
                        Err(NotFast::Undecided) => {}
                    }
                }
                tree_select(self.html()?, selector, test)
            }
            Condition::ScriptVar { var, path, test } => {
                let (found, raw, read) = script_value(&r.text, var, path)?;
                let value = &found;
                let ok = match test {
                    ValueTest::Exists => true,
                    ValueTest::Equals(expected) => match (value, expected) {
                        (serde_json::Value::String(a), serde_json::Value::String(b)) => {
                            unescape_entities(a) == *b
                        }
                        (serde_json::Value::Number(a), serde_json::Value::Number(b)) => {
                            a.as_f64() == b.as_f64()
                        }
                        (a, b) => a == b,
                    },
                    ValueTest::Contains(s) => value
                        .as_str()
                        .is_some_and(|v| unescape_entities(v).contains(s.as_str())),
                };
                ok.then(|| Match {
                    excerpt: Some(cap(
                        &format!("[read: {}] var {var} = {raw}", read.as_str()),
                        EXCERPT_CHARS,
                    )),
                })
            }
            Condition::All(cs) => {
                let mut best: Option<String> = None;
                for c in cs {
                    let m = self.eval(c)?;
                    // Prefer what the page says over where it came from.
                    let body_like = matches!(
                        c,
                        Condition::BodyContains(_)
                            | Condition::BodyRegex(_)
                            | Condition::Selector { .. }
                            | Condition::ScriptVar { .. }
                    );
                    if best.is_none() || body_like {
                        best = m.excerpt.or(best);
                    }
                }
                Some(Match { excerpt: best })
            }
            Condition::Any(cs) => cs.iter().find_map(|c| self.eval(c)),
            Condition::Not(c) => match self.eval(c) {
                Some(_) => None,
                None => Some(Match { excerpt: None }),
            },
        }
    }
}

/// Whether each of `conditions` holds on `page` by [`PageView::holds`] and by
/// [`PageView::eval`], each way on a view of its own (tests: the two must always agree).
#[cfg(test)]
pub(super) fn holds_and_evaluates(page: &str, conditions: &[Condition]) -> Vec<(bool, bool)> {
    let response = Response {
        request_url: "http://pay.example.test/".into(),
        hops: Vec::new(),
        final_url: "http://pay.example.test/".into(),
        status: 200,
        location: None,
        content_type: Some("text/html".into()),
        body: page.as_bytes().to_vec(),
        text: page.to_string(),
        charset: "UTF-8".into(),
        elapsed_ms: 0,
    };
    let budget = Budget::default();
    let holding = PageView::new(&response, "pay.example.test", &budget);
    let evaluating = PageView::new(&response, "pay.example.test", &budget);
    conditions
        .iter()
        .map(|c| (holding.holds(c), evaluating.eval(c).is_some()))
        .collect()
}

/// A selector condition answered from the page's tree.
pub(super) fn tree_select(
    html: &Html,
    selector: &scraper::Selector,
    test: &ElementTest,
) -> Option<Match> {
    html.select(selector).take(1000).find_map(|el| {
        let text = || el.text().collect::<String>();
        let shown = |s: &str| {
            Some(Match {
                excerpt: Some(cap(
                    &s.split_whitespace().collect::<Vec<_>>().join(" "),
                    EXCERPT_CHARS,
                )),
            })
        };
        match test {
            ElementTest::Present => shown(&text()),
            ElementTest::Text(s) => {
                let t = text();
                if t.contains(s.as_str()) {
                    shown(&t)
                } else {
                    None
                }
            }
            ElementTest::Alt(s) => {
                let alt = el.value().attr("alt")?;
                if alt.contains(s.as_str()) {
                    shown(alt)
                } else {
                    None
                }
            }
            ElementTest::Attr { name, contains } => {
                let v = el.value().attr(name)?;
                match contains {
                    Some(s) if !v.contains(s.as_str()) => None,
                    _ => shown(&format!("{name}=\"{v}\"")),
                }
            }
        }
    })
}

/// Why the start tags did not answer a selector.
#[derive(Debug)]
pub(super) enum NotFast {
    /// Only the tree can tell.
    Undecided,
    /// Reading the matched element's text went over the budget.
    Over(OverBudget),
}

/// A selector condition answered from the page's start tags; `Err` when only the tree
/// can tell, or when the excerpt could not be read within the budget.
pub(super) fn fast_select(
    page: &str,
    selector: &scraper::Selector,
    fast: &FastSelector,
    test: &ElementTest,
    budget: &Budget,
) -> Result<Option<Match>, NotFast> {
    match scan::scan(page, fast, test) {
        scan::Scan::Absent => Ok(None),
        scan::Scan::Undecided(_) => Err(NotFast::Undecided),
        scan::Scan::Found { at, value } => {
            let excerpt = match (test, value) {
                (ElementTest::Attr { name, .. }, Some(v)) => format!("{name}=\"{v}\""),
                (_, Some(v)) => v.to_string(),
                (_, None) => element_text_at(page, at, selector, budget).map_err(NotFast::Over)?,
            };
            Ok(Some(Match {
                excerpt: Some(cap(
                    &excerpt.split_whitespace().collect::<Vec<_>>().join(" "),
                    EXCERPT_CHARS,
                )),
            }))
        }
    }
}

/// The text of the element whose start tag is at `at`, read by the HTML parser from a
/// window of the page that begins there, widened until the element ends inside it.
fn element_text_at(
    page: &str,
    at: usize,
    selector: &scraper::Selector,
    budget: &Budget,
) -> Result<String, OverBudget> {
    let mut text = String::new();
    for window in [1024, 8192, 65536] {
        let mut end = (at + window).min(page.len());
        while !page.is_char_boundary(end) {
            end -= 1;
        }
        let Some(slice) = page.get(at..end) else {
            return Ok(text);
        };
        let fragment = bounded::parse_fragment(slice, budget)?;
        let Some(el) = fragment.select(selector).next() else {
            return Ok(text);
        };
        text = el.text().collect::<String>();
        // Something after the element: it ended inside the window.
        let closed = el.next_sibling().is_some();
        if closed || end == page.len() || text.chars().count() > 4 * EXCERPT_CHARS {
            break;
        }
    }
    Ok(text)
}

pub fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(|h| h.to_ascii_lowercase())
}

fn title_of(text: &str) -> Option<String> {
    let lower_start = text.find("<title")?;
    let open_end = text[lower_start..].find('>')? + lower_start + 1;
    let close = text[open_end..].find("</title")? + open_end;
    let t = text[open_end..close].trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// How a script variable was read, said in the evidence's excerpt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptRead {
    /// The object is strict JSON.
    Json,
    /// The object is a JavaScript literal (unquoted keys, single quotes, trailing
    /// commas, comments) read by a JSON5 parser.
    JsObject,
    /// Neither parse took the object (a value garbled, the capture cut short): the key
    /// was found by scanning the text.
    KeyScan,
}

impl ScriptRead {
    pub fn as_str(self) -> &'static str {
        match self {
            ScriptRead::Json => "json",
            ScriptRead::JsObject => "js-object",
            ScriptRead::KeyScan => "key-scan",
        }
    }
}

/// Script text scanned for a key when the object does not parse, at most.
const SCAN_LIMIT: usize = 64 * 1024;

/// Finds `var NAME = {…}` (also `let`, `const`, `window.NAME =`) in inline script and
/// reads the object: as JSON, else as a JavaScript object literal. Returns the value, the
/// raw text (capped) and how it was read. See [`script_value`] for a key read by scanning
/// when neither parse takes the object.
pub fn script_var(text: &str, name: &str) -> Option<(serde_json::Value, String)> {
    script_objects(text, name).find_map(|raw| {
        parse_object(raw.full.unwrap_or(raw.rest)).map(|(v, _)| (v, cap(raw.shown(), 400)))
    })
}

/// An object literal assigned to the variable: its text from `{`, and the whole object
/// when its closing brace was found.
struct RawObject<'a> {
    rest: &'a str,
    full: Option<&'a str>,
}

impl RawObject<'_> {
    fn shown(&self) -> &str {
        self.full
            .unwrap_or(&self.rest[..floor_char(self.rest, self.rest.len().min(400))])
    }
}

fn script_objects<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = RawObject<'a>> + 'a {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(pos) = text[from..].find(name) {
            let at = from + pos;
            from = at + name.len();
            let before = text[..at].trim_end();
            let declared = before.ends_with("var")
                || before.ends_with("let")
                || before.ends_with("const")
                || before.ends_with("window.");
            if !declared {
                continue;
            }
            let rest = text[from..].trim_start();
            let Some(rest) = rest.strip_prefix('=') else {
                continue;
            };
            let rest = rest.trim_start();
            if !rest.starts_with('{') {
                continue;
            }
            let rest = &rest[..floor_char(rest, rest.len().min(SCAN_LIMIT))];
            let full = matching_brace(rest).map(|end| &rest[..=end]);
            return Some(RawObject { rest, full });
        }
        None
    })
}

fn parse_object(raw: &str) -> Option<(serde_json::Value, ScriptRead)> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) {
        return Some((v, ScriptRead::Json));
    }
    json5::from_str::<serde_json::Value>(raw)
        .ok()
        .map(|v| (v, ScriptRead::JsObject))
}

/// The value at `path` in the object assigned to `name`: parsed when the object parses
/// (strict JSON, then as a JavaScript literal), else found by scanning for the path's keys
/// in order, each after the one before (a garbled or cut-short capture). Returns the
/// value, the raw object (capped) and how it was read.
pub fn script_value(
    text: &str,
    name: &str,
    path: &[String],
) -> Option<(serde_json::Value, String, ScriptRead)> {
    let mut scanned = None;
    for raw in script_objects(text, name) {
        if let Some((json, read)) = raw.full.and_then(parse_object) {
            return value_at(&json, path).map(|v| (v.clone(), cap(raw.shown(), 400), read));
        }
        if scanned.is_none() {
            scanned =
                scan_key(raw.rest, path).map(|v| (v, cap(raw.shown(), 400), ScriptRead::KeyScan));
        }
    }
    scanned
}

fn value_at<'v>(json: &'v serde_json::Value, path: &[String]) -> Option<&'v serde_json::Value> {
    let mut value = json;
    for key in path {
        value = match value {
            serde_json::Value::Object(map) => map.get(key)?,
            serde_json::Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Finds `key: value` for each key of `path` in turn (keys bare or quoted either way)
/// and reads the last key's value: a quoted string up to its closing quote, or a bare
/// word (number, `true`, …) up to a separator. Strings cut short are not read.
fn scan_key(text: &str, path: &[String]) -> Option<serde_json::Value> {
    let mut at = 0;
    let mut value_from = None;
    for key in path {
        let found = key_positions(&text[at..], key).next()?;
        at += found;
        value_from = Some(at);
    }
    let rest = &text[value_from?..];
    let mut chars = rest.char_indices();
    let (_, first) = chars.next()?;
    if first == '"' || first == '\'' {
        let mut out = String::new();
        let mut escaped = false;
        for (_, c) in chars {
            if escaped {
                out.push(match c {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == first {
                return Some(serde_json::Value::String(out));
            } else if c == '\n' || out.len() > 4096 {
                return None;
            } else {
                out.push(c);
            }
        }
        return None;
    }
    let end = rest
        .find(|c: char| matches!(c, ',' | '}' | ']' | ';' | '\n' | '<') || c.is_whitespace())
        .unwrap_or(rest.len());
    let word = &rest[..end];
    if word.is_empty() {
        return None;
    }
    Some(
        serde_json::from_str::<serde_json::Value>(word)
            .unwrap_or_else(|_| serde_json::Value::String(word.to_string())),
    )
}

/// Where the values of `key` begin: after `key:`, `"key":` or `'key':` and the spaces
/// that follow, the key standing as a whole word.
fn key_positions<'a>(text: &'a str, key: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(key).filter_map(move |(i, _)| {
        let before = text[..i].chars().next_back();
        let (quoted, start_ok) = match before {
            Some(q @ ('"' | '\'')) => (Some(q), true),
            Some(c) => (None, !(c.is_alphanumeric() || c == '_' || c == '$')),
            None => (None, true),
        };
        if !start_ok {
            return None;
        }
        let mut after = &text[i + key.len()..];
        if let Some(q) = quoted {
            after = after.strip_prefix(q)?;
        } else if after
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
        {
            return None;
        }
        let after = after.trim_start().strip_prefix(':')?;
        let value = after.trim_start();
        Some(text.len() - value.len())
    })
}

/// The index of the `}` closing the object that starts at byte 0, minding strings.
fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string: Option<u8> = None;
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate().take(1 << 20) {
        if let Some(q) = in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == q {
                in_string = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => in_string = Some(b),
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Undoes the HTML entities platforms leave in script data (`&amp;`, `&#x2F;` …).
pub fn unescape_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let end = tail[..floor_char(tail, tail.len().min(12))].find(';');
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                n if n.starts_with('#') => n[1..].parse::<u32>().ok().and_then(char::from_u32),
                _ => None,
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text[start..end]` with some context either side, whitespace squeezed, capped.
pub fn excerpt_at(text: &str, start: usize, end: usize) -> String {
    let lo = floor_char(text, start.saturating_sub(80));
    let hi = ceil_char(text, (end + 80).min(text.len()));
    let s = text[lo..hi]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    cap(&s, EXCERPT_CHARS)
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// At most `n` characters, with an ellipsis when cut.
pub fn cap(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
