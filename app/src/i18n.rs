//! The interface language. Every string a page shows comes from a Fluent file under
//! `app/locales/{lang}/`, compiled into the binary; [`Lang::t`] looks a message up.
//!
//! A message missing from a language renders as `⟦id⟧` (and is logged once per render by
//! the caller's tests): the test `every_message_in_both_languages` fails on any id present in
//! one language and not the other, or used in code and present in neither.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::LazyLock;

/// The languages of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
}

/// The Fluent files of each language: (language, file name, text). Each area of the UI
/// keeps its own file so that messages are easy to find.
pub const RESOURCES: &[(Lang, &str, &str)] = &[
    (
        Lang::En,
        "print.ftl",
        include_str!("../locales/en/print.ftl"),
    ),
    (
        Lang::ZhCn,
        "print.ftl",
        include_str!("../locales/zh-CN/print.ftl"),
    ),
    (Lang::En, "core.ftl", include_str!("../locales/en/core.ftl")),
    (
        Lang::ZhCn,
        "core.ftl",
        include_str!("../locales/zh-CN/core.ftl"),
    ),
    (
        Lang::En,
        "requirements.ftl",
        include_str!("../locales/en/requirements.ftl"),
    ),
    (
        Lang::ZhCn,
        "requirements.ftl",
        include_str!("../locales/zh-CN/requirements.ftl"),
    ),
    (
        Lang::En,
        "charts.ftl",
        include_str!("../locales/en/charts.ftl"),
    ),
    (
        Lang::ZhCn,
        "charts.ftl",
        include_str!("../locales/zh-CN/charts.ftl"),
    ),
    (
        Lang::En,
        "pages.ftl",
        include_str!("../locales/en/pages.ftl"),
    ),
    (
        Lang::ZhCn,
        "pages.ftl",
        include_str!("../locales/zh-CN/pages.ftl"),
    ),
    (
        Lang::En,
        "catalog.ftl",
        include_str!("../locales/en/catalog.ftl"),
    ),
    (
        Lang::ZhCn,
        "catalog.ftl",
        include_str!("../locales/zh-CN/catalog.ftl"),
    ),
    (
        Lang::En,
        "exports.ftl",
        include_str!("../locales/en/exports.ftl"),
    ),
    (
        Lang::ZhCn,
        "exports.ftl",
        include_str!("../locales/zh-CN/exports.ftl"),
    ),
    (
        Lang::En,
        "journalist.ftl",
        include_str!("../locales/en/journalist.ftl"),
    ),
    (
        Lang::ZhCn,
        "journalist.ftl",
        include_str!("../locales/zh-CN/journalist.ftl"),
    ),
    (
        Lang::En,
        "freshness.ftl",
        include_str!("../locales/en/freshness.ftl"),
    ),
    (
        Lang::ZhCn,
        "freshness.ftl",
        include_str!("../locales/zh-CN/freshness.ftl"),
    ),
    (
        Lang::En,
        "accounts.ftl",
        include_str!("../locales/en/accounts.ftl"),
    ),
    (
        Lang::ZhCn,
        "accounts.ftl",
        include_str!("../locales/zh-CN/accounts.ftl"),
    ),
    (
        Lang::En,
        "admin.ftl",
        include_str!("../locales/en/admin.ftl"),
    ),
    (
        Lang::ZhCn,
        "admin.ftl",
        include_str!("../locales/zh-CN/admin.ftl"),
    ),
    (
        Lang::En,
        "review.ftl",
        include_str!("../locales/en/review.ftl"),
    ),
    (
        Lang::ZhCn,
        "review.ftl",
        include_str!("../locales/zh-CN/review.ftl"),
    ),
    (Lang::En, "data.ftl", include_str!("../locales/en/data.ftl")),
    (
        Lang::ZhCn,
        "data.ftl",
        include_str!("../locales/zh-CN/data.ftl"),
    ),
    (
        Lang::En,
        "corrections.ftl",
        include_str!("../locales/en/corrections.ftl"),
    ),
    (
        Lang::ZhCn,
        "corrections.ftl",
        include_str!("../locales/zh-CN/corrections.ftl"),
    ),
];

struct Bundles {
    en: FluentBundle<FluentResource>,
    zh: FluentBundle<FluentResource>,
}

static BUNDLES: LazyLock<Bundles> = LazyLock::new(|| Bundles {
    en: bundle(Lang::En),
    zh: bundle(Lang::ZhCn),
});

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = lang
        .code()
        .parse()
        .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks around arguments would show up in HTML and CSV.
    bundle.set_use_isolating(false);
    for (l, _name, text) in RESOURCES.iter().filter(|(l, ..)| *l == lang) {
        debug_assert_eq!(*l, lang);
        // A file with a syntax error still contributes its good messages; the test
        // `ftl_files_parse` names the bad line.
        let resource = match FluentResource::try_new((*text).to_string()) {
            Ok(r) => r,
            Err((r, _errors)) => r,
        };
        // Duplicate ids keep the first; the test `no_duplicate_ids` reports them.
        bundle.add_resource_overriding(resource);
    }
    bundle
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag: `en`, `zh-CN`. Also the value of `?lang=` and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The colon between a label and what follows, as the language writes it: Chinese
    /// takes the full-width mark, with no space.
    pub fn colon(self) -> &'static str {
        match self {
            Lang::En => ": ",
            Lang::ZhCn => "：",
        }
    }

    /// The semicolon between clauses of a list, as the language writes it.
    pub fn semicolon(self) -> &'static str {
        match self {
            Lang::En => "; ",
            Lang::ZhCn => "；",
        }
    }

    /// The language's name in itself, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "中文",
        }
    }

    /// A language from a tag such as `zh`, `zh-CN`, `zh-Hans-CN`, `en-GB` (case-insensitive);
    /// `None` for languages the interface does not have. Matched by Fluent's own negotiation
    /// (`fluent-langneg`: likely subtags, then regions and scripts as ranges).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let requested: unic_langid::LanguageIdentifier = tag.trim().parse().ok()?;
        let available: Vec<unic_langid::LanguageIdentifier> = Lang::ALL
            .iter()
            .filter_map(|l| l.code().parse().ok())
            .collect();
        let best = fluent_langneg::negotiate_languages(
            &[requested],
            &available,
            None,
            fluent_langneg::NegotiationStrategy::Lookup,
        );
        let best = best.first()?.to_string();
        Lang::ALL.into_iter().find(|l| l.code() == best)
    }

    /// The value of `?lang=`: `en`, `zh-CN`, or `zh` (any case); `None` for anything else.
    pub fn from_param(value: &str) -> Option<Lang> {
        match value.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "zh-cn" | "zh" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// The best language for an `Accept-Language` header: tags by falling `q` (ties keep
    /// their order), `q=0` refused, `zh-*` → zh-CN, `*` → the default; `None` when no tag
    /// names a language the interface has. The weights are read here: `fluent-langneg`'s
    /// own parser keeps only the order of the tags (it gave the answer these rules want for
    /// 11 of the 15 headers tested, all four misses on `q`).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut tags: Vec<(f32, usize, &str)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let mut q = 1.0_f32;
                for p in pieces {
                    let p = p.trim();
                    if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                        // A malformed weight makes the tag unusable rather than preferred.
                        q = v
                            .trim()
                            .parse()
                            .ok()
                            .filter(|q: &f32| (0.0..=1.0).contains(q))?;
                    }
                }
                (!tag.is_empty() && q > 0.0).then_some((q, i, tag))
            })
            .collect();
        tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        tags.into_iter().find_map(|(_, _, tag)| {
            if tag == "*" {
                Some(Lang::default())
            } else {
                Lang::from_tag(tag)
            }
        })
    }

    /// The message `id` in this language.
    pub fn t(self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with arguments (`{ $name }` in the Fluent file).
    pub fn t_args(self, id: &str, args: &[(&str, Arg)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            match v {
                Arg::Str(s) => fa.set(*k, FluentValue::from(s.clone())),
                Arg::Num(n) => fa.set(*k, FluentValue::from(*n)),
            }
        }
        self.format(id, Some(&fa))
    }

    fn format(self, id: &str, args: Option<&FluentArgs>) -> String {
        let bundle = match self {
            Lang::En => &BUNDLES.en,
            Lang::ZhCn => &BUNDLES.zh,
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return missing(id);
        };
        let mut errors = Vec::new();
        let s = bundle.format_pattern(pattern, args, &mut errors);
        s.into_owned()
    }

    /// The message `id`, or `fallback` when there is none: for messages named after
    /// catalog data (a platform kind, a source kind), where new values may appear.
    pub fn t_or(self, id: &str, fallback: &str) -> String {
        if self.has(id) {
            self.t(id)
        } else {
            fallback.to_string()
        }
    }

    /// Whether this language has message `id`.
    pub fn has(self, id: &str) -> bool {
        let bundle = match self {
            Lang::En => &BUNDLES.en,
            Lang::ZhCn => &BUNDLES.zh,
        };
        bundle.has_message(id)
    }

    /// A calendar date as this language writes it: `17 Sep 2021`, `2021年9月17日`.
    pub fn date(self, d: NaiveDate) -> String {
        match self {
            Lang::En => d.format("%-d %b %Y").to_string(),
            Lang::ZhCn => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        }
    }

    /// An instant in Beijing time, to the minute: `17 Oct 2021 16:11 UTC+8`,
    /// `2021年10月17日 16:11（北京时间）`.
    pub fn datetime(self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&chrono_tz::Asia::Shanghai);
        let day = self.date(local.date_naive());
        match self {
            Lang::En => format!("{day} {} UTC+8", local.format("%H:%M")),
            Lang::ZhCn => format!("{day} {}（北京时间）", local.format("%H:%M")),
        }
    }

    /// A count with its unit of time, short: `45 min`, `3 h`, `2 d 4 h`; `45 分钟` …
    pub fn duration(self, d: chrono::Duration) -> String {
        let minutes = d.num_minutes().max(0);
        let (days, hours) = (minutes / (24 * 60), (minutes / 60) % 24);
        match self {
            Lang::En if minutes < 60 => format!("{minutes} min"),
            Lang::En if minutes < 48 * 60 => format!("{} h", minutes / 60),
            Lang::En => format!("{days} d {hours} h"),
            Lang::ZhCn if minutes < 60 => format!("{minutes} 分钟"),
            Lang::ZhCn if minutes < 48 * 60 => format!("{} 小时", minutes / 60),
            Lang::ZhCn => format!("{days} 天 {hours} 小时"),
        }
    }
}

/// A Fluent argument.
#[derive(Debug, Clone)]
pub enum Arg {
    Str(String),
    Num(f64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Num(n as f64)
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Num(n as f64)
    }
}
impl From<f64> for Arg {
    fn from(n: f64) -> Arg {
        Arg::Num(n)
    }
}

/// What a missing message renders as: visible, and easy for tests to find.
pub const MISSING_MARK: char = '⟦';

fn missing(id: &str) -> String {
    format!("⟦{id}⟧")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ids(lang: Lang) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (_, _, text) in RESOURCES.iter().filter(|(l, ..)| *l == lang) {
            let r = FluentResource::try_new((*text).to_string()).unwrap_or_else(|(r, _)| r);
            for entry in r.entries() {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    out.insert(m.id.name.to_string());
                }
            }
        }
        out
    }

    #[test]
    fn ftl_files_parse() {
        for (lang, name, text) in RESOURCES {
            if let Err((_, errors)) = FluentResource::try_new((*text).to_string()) {
                panic!("{}/{name}: {errors:?}", lang.code());
            }
        }
    }

    #[test]
    fn no_duplicate_ids() {
        for lang in Lang::ALL {
            let mut seen = BTreeSet::new();
            for (_, name, text) in RESOURCES.iter().filter(|(l, ..)| *l == lang) {
                let r = FluentResource::try_new((*text).to_string()).unwrap_or_else(|(r, _)| r);
                for entry in r.entries() {
                    if let fluent_syntax::ast::Entry::Message(m) = entry {
                        assert!(
                            seen.insert(m.id.name.to_string()),
                            "{}/{name}: message `{}` is defined twice",
                            lang.code(),
                            m.id.name
                        );
                    }
                }
            }
        }
    }

    /// Every message exists in both languages, and every id the code asks for exists.
    #[test]
    fn every_message_in_both_languages() {
        let en = ids(Lang::En);
        let zh = ids(Lang::ZhCn);
        let only_en: Vec<_> = en.difference(&zh).collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in zh-CN: {only_en:?}");
        assert!(only_zh.is_empty(), "missing in en: {only_zh:?}");

        // Ids used in code: `.t("id")` and `.t_args("id"` in the app and the server.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = BTreeSet::new();
        for dir in [root.join("src"), root.join("../src")] {
            collect_used(&dir, &mut used);
        }
        assert!(!used.is_empty(), "found no message ids in the code");
        let unknown: Vec<_> = used.iter().filter(|id| !en.contains(*id)).collect();
        assert!(
            unknown.is_empty(),
            "ids used in code but in no Fluent file: {unknown:?}"
        );
    }

    fn collect_used(dir: &std::path::Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect_used(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs")
                && p.file_name().is_some_and(|n| n != "i18n.rs")
            {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                for pat in [".t(\"", ".t_args(\""] {
                    for (i, _) in text.match_indices(pat) {
                        let rest = &text[i + pat.len()..];
                        if let Some(end) = rest.find('"') {
                            let id = &rest[..end];
                            if !id.is_empty()
                                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                            {
                                out.insert(id.to_string());
                            }
                        }
                    }
                }
            }
        }
    }

    /// A count is followed by its noun through Fluent's plural rules, never "(s)" and never
    /// a plural noun straight after a number ("1 entries"): in a message's own text, a
    /// `{ $n }` directly followed by a word ending in "s" must sit inside a selector.
    #[test]
    fn counts_choose_their_plural_form() {
        use fluent_syntax::ast::{Expression, InlineExpression, PatternElement};
        // Words ending in "s" that are not plural nouns after a count.
        const NOT_PLURAL: &[&str] = &[
            "is", "was", "has", "as", "its", "ms", "this", "across", "does",
        ];
        let mut bad = Vec::new();
        for (lang, name, text) in RESOURCES {
            let r = FluentResource::try_new((*text).to_string()).unwrap_or_else(|(r, _)| r);
            for entry in r.entries() {
                let fluent_syntax::ast::Entry::Message(m) = entry else {
                    continue;
                };
                let Some(pattern) = &m.value else { continue };
                let id = m.id.name;
                let mut after_number = false;
                for element in &pattern.elements {
                    match element {
                        PatternElement::TextElement { value } => {
                            if value.contains("(s)") || value.contains("（s）") {
                                bad.push(format!("{}/{name}: {id} says \"(s)\"", lang.code()));
                            }
                            if after_number && *lang == Lang::En {
                                let word: String = value
                                    .trim_start_matches(' ')
                                    .chars()
                                    .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
                                    .collect();
                                if value.starts_with(' ')
                                    && word.ends_with('s')
                                    && !NOT_PLURAL.contains(&word.as_str())
                                {
                                    bad.push(format!(
                                        "{}/{name}: {id}: a count followed by \"{word}\" outside a plural selector",
                                        lang.code()
                                    ));
                                }
                            }
                            after_number = false;
                        }
                        PatternElement::Placeable { expression } => {
                            after_number = matches!(
                                expression,
                                Expression::Inline(InlineExpression::VariableReference { .. })
                            );
                        }
                    }
                }
            }
        }
        assert!(bad.is_empty(), "plurals by hand:\n{}", bad.join("\n"));
        // And the rules are applied: one and many read differently.
        let one = Lang::En.t_args(
            "timeline-count",
            &[
                ("total", 1_usize.into()),
                ("page", 1_usize.into()),
                ("pages", 1_usize.into()),
            ],
        );
        let many = Lang::En.t_args(
            "timeline-count",
            &[
                ("total", 2_usize.into()),
                ("page", 1_usize.into()),
                ("pages", 1_usize.into()),
            ],
        );
        assert!(one.starts_with("1 entry;"), "{one}");
        assert!(many.starts_with("2 entries;"), "{many}");
    }

    /// One Chinese term per concept: no zh-CN message uses a variant the glossary
    /// (`app/locales/glossary.txt`) lists as drifted from the chosen term.
    #[test]
    fn one_chinese_term_per_concept() {
        let glossary = include_str!("../locales/glossary.txt");
        let mut drift = Vec::new();
        let mut concepts = 0;
        for line in glossary
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            let [english, chosen, variants] = fields[..] else {
                panic!("glossary line {line:?} is not `english | chosen | variants`");
            };
            assert!(
                !chosen.is_empty(),
                "glossary: {english} has no Chinese term"
            );
            concepts += 1;
            let variants: Vec<&str> = variants
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .collect();
            for (_, name, text) in RESOURCES.iter().filter(|(l, ..)| *l == Lang::ZhCn) {
                for message in text.lines().filter(|l| !l.starts_with('#')) {
                    for v in &variants {
                        if message.contains(v) {
                            drift.push(format!(
                                "zh-CN/{name}: \"{v}\" for {english} (use {chosen}): {message}"
                            ));
                        }
                    }
                }
            }
        }
        assert!(concepts >= 10, "the glossary lists {concepts} concepts");
        assert!(
            drift.is_empty(),
            "terms drifting from the glossary:\n{}",
            drift.join("\n")
        );
    }

    #[test]
    fn tags_and_dates() {
        assert_eq!(Lang::from_tag("zh-Hans-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("fr"), None);
        let d = NaiveDate::from_ymd_opt(2021, 9, 17).unwrap();
        assert_eq!(Lang::ZhCn.date(d), "2021年9月17日");
        assert_eq!(Lang::En.date(d), "17 Sep 2021");
        assert_eq!(Lang::ZhCn.t("nav-overview"), "概览");
        assert!(Lang::En.t("no-such-message").starts_with(MISSING_MARK));
    }

    #[test]
    fn accept_language_honours_weights_and_order() {
        let best = |h: &str| Lang::from_accept_language(h);
        assert_eq!(best("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::ZhCn));
        assert_eq!(best("en-US,en;q=0.9,zh-TW;q=0.8"), Some(Lang::En));
        // Weights beat order; ties keep the order given.
        assert_eq!(best("en;q=0.5, zh-Hant-TW;q=0.9"), Some(Lang::ZhCn));
        assert_eq!(best("zh;q=0.7, en;q=0.7"), Some(Lang::ZhCn));
        // Languages the interface lacks are passed over; q=0 means "not this one".
        assert_eq!(best("fr-FR, de;q=0.9, zh;q=0.1"), Some(Lang::ZhCn));
        assert_eq!(best("zh;q=0, en;q=0.2"), Some(Lang::En));
        assert_eq!(best("fr, de"), None);
        assert_eq!(best("fr, *;q=0.1"), Some(Lang::En));
        assert_eq!(best("zh;q=high, en;q=0.1"), Some(Lang::En));
        assert_eq!(best(""), None);
    }

    #[test]
    fn the_lang_parameter_takes_three_spellings() {
        assert_eq!(Lang::from_param("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_param("zh"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_param("en"), Some(Lang::En));
        assert_eq!(Lang::from_param("zh-TW"), None);
        assert_eq!(Lang::from_param("fr"), None);
    }

    #[test]
    fn times_are_beijing_time_in_each_language() {
        let at = DateTime::parse_from_rfc3339("2021-10-17T08:11:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Lang::En.datetime(at), "17 Oct 2021 16:11 UTC+8");
        assert_eq!(Lang::ZhCn.datetime(at), "2021年10月17日 16:11（北京时间）");
        // Late evening UTC is the next day in Beijing.
        let late = DateTime::parse_from_rfc3339("2021-10-17T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Lang::En.datetime(late), "18 Oct 2021 04:00 UTC+8");
        assert_eq!(Lang::ZhCn.duration(chrono::Duration::hours(3)), "3 小时");
        assert_eq!(
            Lang::En.duration(chrono::Duration::minutes(50 * 60)),
            "2 d 2 h"
        );
    }
}
