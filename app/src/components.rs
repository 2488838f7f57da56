//! Small pieces shared by pages: names in two languages, status badges, citations, cells.
//! Everything shown passes through Leptos' escaping: scraped or cited text is never HTML.

use crate::i18n::Lang;
use crate::model::*;
use chrono::NaiveDate;
use leptos::prelude::*;

/// The query that internal links carry: `?at=…&lang=…`, or `?lang=…` when the page shows
/// today. The language is always carried, so a URL names the page exactly as it was read.
pub fn date_query(chrome: &Chrome) -> String {
    keep_query((!chrome.at_is_today).then_some(chrome.at), chrome.lang)
}

/// `?at=…&lang=…` (`at` only when given).
pub fn keep_query(at: Option<NaiveDate>, lang: Lang) -> String {
    match at {
        Some(at) => format!("?at={at}&lang={}", lang.code()),
        None => format!("?lang={}", lang.code()),
    }
}

/// `path?k=v&…&at=…&lang=…`: a link with its own parameters that keeps the date (when
/// given) and the language.
pub fn link_with(
    path: &str,
    params: &[(String, String)],
    at: Option<NaiveDate>,
    lang: Lang,
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    if let Some(at) = at {
        query.append_pair("at", &at.to_string());
    }
    query.append_pair("lang", lang.code());
    format!("{path}?{}", query.finish())
}

/// `path?k=v&…` with values percent-encoded, plus `at` when given.
pub fn href_with(path: &str, params: &[(String, String)], at: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    if let Some(at) = at {
        query.append_pair("at", at);
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// A name in the page's language first, then in the other one, each marked with its
/// language (a reader of the English page still needs the Chinese name to search for it).
pub fn name_view(name: &Name, lang: Lang) -> impl IntoView + use<> {
    let zh = (!name.zh.is_empty() && name.zh != name.en)
        .then(|| view! { <span lang="zh-CN">{name.zh.clone()}</span> });
    let en = (!name.en.is_empty())
        .then(|| view! { <span class="en" lang="en">{name.en.clone()}</span> });
    let both = zh.is_some() && en.is_some();
    let space = both.then_some(" ");
    match lang {
        Lang::En => view! { <span class="name">{en}{space}{zh}</span> }.into_any(),
        Lang::ZhCn => view! { <span class="name">{zh}{space}{en}</span> }.into_any(),
    }
}

/// A status in words, coloured by its rung on the ladder (colour is never the only cue):
/// the word in the page's language first, then in the other language.
pub fn status_badge(status: &StatusView, lang: Lang) -> impl IntoView + use<> {
    let class = format!("status {} st-{}", status.tone(), status.id);
    let (first, first_lang, second, second_lang) = match lang {
        Lang::En => (&status.label.en, "en", &status.label.zh, "zh-CN"),
        Lang::ZhCn => (&status.label.zh, "zh-CN", &status.label.en, "en"),
    };
    let (first, first_lang) = if first.is_empty() {
        (second, second_lang)
    } else {
        (first, first_lang)
    };
    let second = (!second.is_empty() && second != first)
        .then(|| view! { " "<span lang=second_lang>{second.clone()}</span> });
    view! {
        <span class=class title=status.description.clone() data-status=status.id.clone()>
            <span class="status-word" lang=first_lang>{first.clone()}</span>{second}
        </span>
    }
}

/// A kind of source in words (`article`, `probe` …); simulated data is always marked.
pub fn source_kind_word(kind: &str, lang: Lang) -> String {
    lang.t_or(&format!("source-kind-{kind}"), kind)
}

/// How a fact is known: the kind of source, and a link to the source itself.
pub fn citation_view(c: &CitationView, lang: Lang) -> impl IntoView + use<> {
    let kind_class = format!("source-kind sk-{}", c.source_kind);
    let kind_label = source_kind_word(&c.source_kind, lang);
    let label = c.label.clone();
    let title = c.title.clone();
    // Hutong's own page for the source first: it names the original and every fact it backs.
    let body = match (&c.href, &c.url) {
        (Some(href), _) => view! { <a class="cite" href=href.clone() title=title>{label}</a> }.into_any(),
        (None, Some(url)) => view! { <a class="cite" href=url.clone() rel="noopener noreferrer" title=title>{label}</a> }.into_any(),
        (None, None) => view! { <span class="cite" title=title>{label}</span> }.into_any(),
    };
    view! { <span class="citation"><span class=kind_class>{kind_label}</span>" "{body}</span> }
}

/// A `when` of the view data, which is ISO 8601 in Beijing time (`2021-10-17`, or
/// `2021-10-17 16:11 UTC+8` for an exact instant), as the page's language writes it, and
/// its machine-readable form for `<time datetime>`. Anything else is shown as given.
pub fn local_when(when: &str, lang: Lang) -> (String, Option<String>) {
    if let Ok(d) = NaiveDate::parse_from_str(when, "%Y-%m-%d") {
        return (lang.date(d), Some(d.to_string()));
    }
    if let Some(local) = when.strip_suffix(" UTC+8")
        && let Ok(t) = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M")
    {
        let text = match lang {
            Lang::En => format!("{} {} UTC+8", lang.date(t.date()), t.format("%H:%M")),
            Lang::ZhCn => format!("{} {}（北京时间）", lang.date(t.date()), t.format("%H:%M")),
        };
        return (text, Some(t.format("%Y-%m-%dT%H:%M+08:00").to_string()));
    }
    (when.to_string(), None)
}

/// A date as shown: in the page's language, estimates marked "≈", spelt out where there
/// is room.
pub fn when_text(when: &str, approximate: bool, spelt_out: bool, lang: Lang) -> String {
    let (when, _) = local_when(when, lang);
    match (approximate, spelt_out) {
        (false, _) => when,
        (true, true) => lang.t_args("when-approximate", &[("when", when.into())]),
        (true, false) => format!("≈ {when}"),
    }
}

/// [`when_text`] in a `<time>` element that keeps the ISO date for machines.
pub fn time_view(
    when: &str,
    approximate: bool,
    spelt_out: bool,
    lang: Lang,
) -> impl IntoView + use<> {
    let (_, datetime) = local_when(when, lang);
    view! { <time datetime=datetime>{when_text(when, approximate, spelt_out, lang)}</time> }
}

/// A source's own words (quoted) and Hutong's note on them.
pub fn words_view(quote: Option<&str>, note: Option<&str>) -> impl IntoView + use<> {
    let quote = quote.map(|q| view! { <blockquote lang="zh">{q.to_string()}</blockquote> });
    let note = note.map(|n| view! { <p class="note">{n.to_string()}</p> });
    view! { {quote}{note} }
}

pub fn opinion_view(o: &OpinionView, lang: Lang) -> impl IntoView + use<> {
    let when = when_text(&o.when, o.approximate, true, lang);
    view! {
        <span class="opinion">
            {status_badge(&o.status, lang)}" "<span class="when">{when}</span>" "{citation_view(&o.citation, lang)}
        </span>
    }
}

/// A matrix cell: status, how it was known, when, and any disagreement; links to the check.
pub fn cell_view(cell: &CellView, lang: Lang) -> impl IntoView + use<> {
    let known = cell.latest.as_ref().map(|l| {
        let when = when_text(&l.when, l.approximate, false, lang);
        view! {
            <span class="how">
                <span class=format!("source-kind sk-{}", l.citation.source_kind)>{source_kind_word(&l.citation.source_kind, lang)}</span>
                " "<span class="when">{when}</span>
            </span>
            <span class="cite-line">{l.citation.label.clone()}</span>
        }
    });
    let disagreement = (!cell.disagreeing.is_empty()).then(|| {
        let others = cell
            .disagreeing
            .iter()
            .map(|o| {
                // Article labels already carry their date.
                let shown = local_when(&o.when, lang).0;
                let when = (!o.citation.label.contains(&shown)).then(|| format!(" ({shown})"));
                view! { <li>{status_badge(&o.status, lang)}" "{o.citation.label.clone()}{when}</li> }
            })
            .collect_view();
        view! {
            <div class="disagree">
                <strong>{lang.t("cell-disagree")}</strong>
                <ul>{others}</ul>
            </div>
        }
    });
    // Old evidence says so in words; the hatching in the stylesheet is the pattern.
    let stale = cell.stale.then(|| {
        let days = cell.age_days.unwrap_or_default();
        view! { <span class="stale-note">{lang.t_args("cell-stale", &[("days", days.into())])}</span> }
    });
    // Vantage points that have spoken, counted; a split is also listed as a disagreement.
    let agreement = cell.agreement.as_ref().map(|a| {
        let class = if a.agreeing == a.points {
            "vantage-agreement"
        } else {
            "vantage-agreement split"
        };
        view! { <span class=class>{agreement_text(a, lang)}</span> }
    });
    let mut class = String::from("cell");
    if !cell.disagreeing.is_empty() {
        class.push_str(" disputed");
    }
    if cell.stale {
        class.push_str(" stale");
    }
    view! {
        <div class=class>
            <a class="cell-link" href=cell.href.clone() aria-label=lang.t_args("cell-check-label", &[("id", cell.check_id.clone().into())])>
                {status_badge(&cell.status, lang)}
            </a>
            {known}
            {agreement}
            {stale}
            {disagreement}
        </div>
    }
}

/// "blocked at 2 of 3 vantage points" / "3 个观测点中 2 个：被拦截".
pub fn agreement_text(a: &AgreementView, lang: Lang) -> String {
    lang.t_args(
        "cell-vantage-agreement",
        &[
            ("status", a.status.label.get(lang).to_string().into()),
            ("agreeing", a.agreeing.into()),
            ("points", a.points.into()),
        ],
    )
}

pub fn header_view(h: &Header, lang: Lang) -> impl IntoView + use<> {
    let name = name_view(&h.name, lang);
    let note = h
        .note
        .clone()
        .map(|n| view! { " "<span class="note">{n}</span> });
    match &h.href {
        Some(href) => view! { <a href=href.clone()>{name}</a>{note} }.into_any(),
        None => view! { {name}{note} }.into_any(),
    }
}

/// Share of checks per status at one date, as a bar (CSS widths) and a table.
pub fn openness_view(o: &OpennessView, lang: Lang) -> impl IntoView + use<> {
    // Each status is one band of fresh evidence and one, hatched, of stale evidence.
    let colon = if lang == Lang::En { ": " } else { "：" };
    let bar = o
        .buckets
        .iter()
        .flat_map(|b| {
            let fresh = b.count - b.stale.min(b.count);
            let per = if b.count == 0 { 0.0 } else { b.share / b.count as f64 };
            [(fresh, false), (b.stale.min(b.count), true)]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(move |(n, stale)| (b, n, stale, per * n as f64))
        })
        .map(|(b, n, stale, share)| {
            let style = format!("width: {:.2}%", share * 100.0);
            let mut class = format!("seg {}", b.status.tone());
            let mut label = format!("{}{colon}{n}", b.status.label.get(lang));
            if stale {
                class.push_str(" stale");
                label = lang.t_args("openness-stale-segment", &[("label", label.into())]);
            }
            let title = label.clone();
            view! { <span class=class style=style title=title><span class="seg-label">{label}</span></span> }
        })
        .collect_view();
    let rows = o
        .buckets
        .iter()
        .map(|b| {
            view! {
                <tr>
                    <th scope="row">{status_badge(&b.status, lang)}</th>
                    <td class="num">{b.count}</td>
                    <td class="num stale-count">{b.stale}</td>
                    <td class="num">{format!("{:.0}%", b.share * 100.0)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="openness">
            <figcaption><strong>{o.caption.clone()}</strong>" — "{o.headline.clone()}<br/><span class="evidence-age">{o.evidence.clone()}</span></figcaption>
            <div class="bar" role="img" aria-label=o.headline.clone()>{bar}</div>
            <table class="compact">
                <thead><tr><th scope="col">{lang.t("openness-status")}</th><th scope="col">{lang.t("openness-checks")}</th><th scope="col">{lang.t("openness-stale")}</th><th scope="col">{lang.t("openness-share")}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </figure>
    }
}

pub fn timeline_entry_view(e: &TimelineEntry, lang: Lang) -> impl IntoView + use<> {
    match e {
        TimelineEntry::Change {
            when,
            approximate,
            check_href,
            check_title,
            kind_name,
            from,
            to,
            citation,
        } => {
            let when = time_view(when, *approximate, false, lang);
            let from = match from {
                Some(f) => view! { {status_badge(f, lang)}" → " }.into_any(),
                None => view! { <span class="first">{lang.t("timeline-first-recorded")}</span> }
                    .into_any(),
            };
            view! {
                <li class="entry change">
                    {when}
                    <span class="what">
                        <span class="kind">{kind_name.get(lang).to_string()}</span>" "
                        <a href=check_href.clone()>{check_title.clone()}</a>{lang.colon()}
                        {from}{status_badge(to, lang)}
                    </span>
                    {citation_view(citation, lang)}
                </li>
            }
            .into_any()
        }
        TimelineEntry::Milestone {
            when,
            approximate,
            title,
            citation,
        } => {
            let when = time_view(when, *approximate, false, lang);
            view! {
                <li class="entry milestone">
                    {when}
                    <span class="what"><span class="kind">{lang.t("timeline-milestone")}</span>" "{name_view(title, lang)}</span>
                    {citation_view(citation, lang)}
                </li>
            }
            .into_any()
        }
    }
}

pub fn requirement_view(r: &RequirementView, lang: Lang) -> impl IntoView + use<> {
    let class = if r.overdue {
        "requirement overdue"
    } else {
        "requirement"
    };
    let compliant = r
        .compliant_statuses
        .iter()
        .map(|s| status_badge(s, lang))
        .collect_view();
    let deadline = r
        .deadline
        .clone()
        .unwrap_or_else(|| lang.t("req-deadline-none"));
    let counts = lang.t_args(
        "req-counts",
        &[
            ("in_scope", r.in_scope.into()),
            ("compliant", r.compliant.into()),
            ("not_compliant", r.not_compliant.into()),
            ("unknown", r.unknown.into()),
        ],
    );
    // Who did not comply, by name: the first few, then a link to the full list.
    const NAMED: usize = 8;
    let failing = (!r.failing.is_empty()).then(|| {
        let items = r
            .failing
            .iter()
            .take(NAMED)
            .map(|f| {
                let overdue = f.overdue_days.map(|days| {
                    view! { {if lang == Lang::En { ", " } else { "，" }}<strong class="overdue-days">{lang.t_args("req-failing-overdue", &[("days", days.into())])}</strong> }
                });
                let stale = f.stale_days.map(|days| {
                    view! { " "<span class="stale-note">{lang.t_args("req-failing-stale", &[("days", days.into())])}</span> }
                });
                view! {
                    <li><a href=f.href.clone()>{f.title.clone()}</a>{if lang == Lang::En { ": " } else { "：" }}{status_badge(&f.status, lang)}{overdue}{stale}</li>
                }
            })
            .collect_view();
        let more = (r.failing.len() > NAMED).then(|| {
            view! { <li><a href=r.href.clone()>{lang.t_args("req-failing-more", &[("count", (r.failing.len() - NAMED).into())])}</a></li> }
        });
        view! {
            <dt>{lang.t("req-failing")}</dt>
            <dd><ul class="failing">{items}{more}</ul></dd>
        }
    });
    view! {
        <article class=class id=format!("req-{}", r.id)>
            <h3><a href=r.href.clone()>{name_view(&r.title, lang)}</a></h3>
            <dl>
                <dt>{lang.t("req-authority")}</dt><dd>{name_view(&r.authority, lang)}</dd>
                <dt>{lang.t("req-issued")}</dt><dd><time datetime=r.issued.to_string()>{lang.date(r.issued)}</time></dd>
                <dt>{lang.t("req-deadline")}</dt><dd>{deadline}" — "<strong>{r.deadline_state.clone()}</strong></dd>
                <dt>{lang.t("req-compliant-statuses")}</dt><dd>{compliant}</dd>
                <dt>{lang.t("req-in-scope")}</dt>
                <dd>{counts}<br/><span class="evidence-age">{r.evidence.clone()}</span></dd>
                {failing}
                <dt>{lang.t("req-source")}</dt><dd>{citation_view(&r.citation, lang)}</dd>
            </dl>
        </article>
    }
}

/// Text for inside a `<textarea>`: Leptos does not escape a textarea's children, so a
/// `</textarea>` in the text would end the element and what follows would be markup.
pub fn textarea_text(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// A page's cite box: the permalink, and a citation in Chinese and in English, as plain
/// text to select and paste (no script).
pub fn cite_box_view(c: &crate::model::CiteBox, lang: Lang) -> impl IntoView + use<> {
    view! {
        <section class="cite-box" aria-labelledby="h-cite">
            <h2 id="h-cite">{lang.t("cite-heading")}</h2>
            <p>{lang.t("cite-permalink")}" "<a class="permalink" href=c.path.clone()>{c.permalink.clone()}</a></p>
            <label>{lang.t("cite-zh")}<textarea readonly rows="3" lang="zh-CN" class="cite-zh">{textarea_text(&c.zh)}</textarea></label>
            <label>{lang.t("cite-en")}<textarea readonly rows="3" lang="en" class="cite-en">{textarea_text(&c.en)}</textarea></label>
        </section>
    }
}

/// A platform's kind (`short_video`) in the reader's words, never the raw id.
pub fn platform_kind_words(lang: Lang, kind: &str) -> String {
    lang.t_or(
        &format!("platform-kind-{}", kind.replace('_', "-")),
        &kind.replace('_', " "),
    )
}

/// Why an observation no longer counts, in words: "Retracted on DATE: REASON".
pub fn retraction_note(r: &crate::model::RetractionView, lang: Lang) -> impl IntoView + use<> {
    let when = when_text(&r.when, false, true, lang);
    view! {
        <p class="retraction" role="note">
            <strong>{lang.t_args("retracted-on", &[("date", when.into())])}</strong>
            " "<span class="retraction-reason">{r.reason.clone()}</span>
        </p>
    }
}

/// A status as shown for an observation that may have been retracted: struck through
/// (`<del>`) when it was.
pub fn struck_status(status: &StatusView, retracted: bool, lang: Lang) -> impl IntoView + use<> {
    if retracted {
        view! { <del class="retracted">{status_badge(status, lang)}</del> }.into_any()
    } else {
        status_badge(status, lang).into_any()
    }
}
