//! Small pieces shared by pages: names in two languages, status badges, citations, cells.
//! Everything shown passes through Leptos' escaping: scraped or cited text is never HTML.

use crate::model::*;
use leptos::prelude::*;

/// `?at=…` for links that keep the page's date, or nothing when the page shows today.
pub fn date_query(chrome: &Chrome) -> String {
    if chrome.at_is_today {
        String::new()
    } else {
        format!("?at={}", chrome.at)
    }
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

/// A name with its Chinese and English forms, Chinese first, marked with its language.
pub fn name_view(name: &Name) -> impl IntoView + use<> {
    let zh = (!name.zh.is_empty() && name.zh != name.en)
        .then(|| view! { <span lang="zh">{name.zh.clone()}</span>" " });
    view! { <span class="name">{zh}<span class="en">{name.en.clone()}</span></span> }
}

/// A status in words, coloured by its rung on the ladder (colour is never the only cue).
pub fn status_badge(status: &StatusView) -> impl IntoView + use<> {
    let class = format!("status {} st-{}", status.tone(), status.id);
    let zh = (!status.label.zh.is_empty())
        .then(|| view! { " "<span lang="zh">{status.label.zh.clone()}</span> });
    view! {
        <span class=class title=status.description.clone() data-status=status.id.clone()>
            <span class="status-word">{status.label.en.clone()}</span>{zh}
        </span>
    }
}

/// How a fact is known: the kind of source, and a link to the source itself.
pub fn citation_view(c: &CitationView) -> impl IntoView + use<> {
    let kind_class = format!("source-kind sk-{}", c.source_kind);
    let kind_label = match c.source_kind.as_str() {
        "simulated" => "SIMULATED".to_string(),
        other => other.to_string(),
    };
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

/// A date as shown: estimates are marked "≈", spelt out where there is room.
pub fn when_text(when: &str, approximate: bool, spelt_out: bool) -> String {
    match (approximate, spelt_out) {
        (false, _) => when.to_string(),
        (true, true) => format!("≈ {when} (approximate)"),
        (true, false) => format!("≈ {when}"),
    }
}

/// A source's own words (quoted) and Hutong's note on them.
pub fn words_view(quote: Option<&str>, note: Option<&str>) -> impl IntoView + use<> {
    let quote = quote.map(|q| view! { <blockquote lang="zh">{q.to_string()}</blockquote> });
    let note = note.map(|n| view! { <p class="note">{n.to_string()}</p> });
    view! { {quote}{note} }
}

pub fn opinion_view(o: &OpinionView) -> impl IntoView + use<> {
    let when = when_text(&o.when, o.approximate, true);
    view! {
        <span class="opinion">
            {status_badge(&o.status)}" "<span class="when">{when}</span>" "{citation_view(&o.citation)}
        </span>
    }
}

/// A matrix cell: status, how it was known, when, and any disagreement; links to the check.
pub fn cell_view(cell: &CellView) -> impl IntoView + use<> {
    let known = cell.latest.as_ref().map(|l| {
        let when = when_text(&l.when, l.approximate, false);
        view! {
            <span class="how">
                <span class=format!("source-kind sk-{}", l.citation.source_kind)>{l.citation.source_kind.clone()}</span>
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
                let when = (!o.citation.label.contains(&o.when)).then(|| format!(" ({})", o.when));
                view! { <li>{status_badge(&o.status)}" "{o.citation.label.clone()}{when}</li> }
            })
            .collect_view();
        view! {
            <div class="disagree">
                <strong>"Sources disagree:"</strong>
                <ul>{others}</ul>
            </div>
        }
    });
    let class = if cell.disagreeing.is_empty() {
        "cell"
    } else {
        "cell disputed"
    };
    view! {
        <div class=class>
            <a class="cell-link" href=cell.href.clone() aria-label=format!("Check {}", cell.check_id)>
                {status_badge(&cell.status)}
            </a>
            {known}
            {disagreement}
        </div>
    }
}

pub fn header_view(h: &Header) -> impl IntoView + use<> {
    let name = name_view(&h.name);
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
pub fn openness_view(o: &OpennessView) -> impl IntoView + use<> {
    let bar = o
        .buckets
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| {
            let style = format!("width: {:.2}%", b.share * 100.0);
            let class = format!("seg {}", b.status.tone());
            let label = format!("{}: {}", b.status.label.en, b.count);
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
                    <th scope="row">{status_badge(&b.status)}</th>
                    <td class="num">{b.count}</td>
                    <td class="num">{format!("{:.0}%", b.share * 100.0)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="openness">
            <figcaption><strong>{o.caption.clone()}</strong>" — "{o.headline.clone()}</figcaption>
            <div class="bar" role="img" aria-label=o.headline.clone()>{bar}</div>
            <table class="compact">
                <thead><tr><th scope="col">"Status"</th><th scope="col">"Checks"</th><th scope="col">"Share"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </figure>
    }
}

pub fn timeline_entry_view(e: &TimelineEntry) -> impl IntoView + use<> {
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
            let when = when_text(when, *approximate, false);
            let from = match from {
                Some(f) => view! { {status_badge(f)}" → " }.into_any(),
                None => view! { <span class="first">"first recorded: "</span> }.into_any(),
            };
            view! {
                <li class="entry change">
                    <time>{when}</time>
                    <span class="what">
                        <span class="kind">{kind_name.en.clone()}</span>" "
                        <a href=check_href.clone()>{check_title.clone()}</a>": "
                        {from}{status_badge(to)}
                    </span>
                    {citation_view(citation)}
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
            let when = when_text(when, *approximate, false);
            view! {
                <li class="entry milestone">
                    <time>{when}</time>
                    <span class="what"><span class="kind">"Milestone"</span>" "{name_view(title)}</span>
                    {citation_view(citation)}
                </li>
            }
            .into_any()
        }
    }
}

pub fn requirement_view(r: &RequirementView) -> impl IntoView + use<> {
    let class = if r.overdue {
        "requirement overdue"
    } else {
        "requirement"
    };
    let compliant = r.compliant_statuses.iter().map(status_badge).collect_view();
    let deadline = r.deadline.clone().unwrap_or_else(|| "none set".into());
    view! {
        <article class=class id=format!("req-{}", r.id)>
            <h3>{name_view(&r.title)}</h3>
            <dl>
                <dt>"Authority"</dt><dd>{name_view(&r.authority)}</dd>
                <dt>"Issued"</dt><dd>{r.issued.to_string()}</dd>
                <dt>"Deadline"</dt><dd>{deadline}" — "<strong>{r.deadline_state.clone()}</strong></dd>
                <dt>"Counts as compliant"</dt><dd>{compliant}</dd>
                <dt>"Checks in scope"</dt>
                <dd>
                    {format!("{} in scope: {} compliant, {} not compliant, {} unknown", r.in_scope, r.compliant, r.not_compliant, r.unknown)}
                </dd>
                <dt>"Source"</dt><dd>{citation_view(&r.citation)}</dd>
            </dl>
        </article>
    }
}
