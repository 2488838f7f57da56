//! `/timeline.atom`: the latest changes and milestones as an Atom 1.0 feed (RFC 4287),
//! written by `atom_syndication` (its XML writer escapes every text and attribute).

use super::export::{FEED_ENTRIES, export_query};
use super::filter::TimelineFilter;
use super::rows::{ExportRequest, Row, RowBufs, RowMaker};
use crate::storage::Reads;
use crate::web::app_state::AppState;
use crate::web::error::{Answer, FileError, WebError};
use crate::web::request::{AsOf, ReaderLang};
use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text,
};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

pub async fn get_atom(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
    filter: Result<TimelineFilter, WebError>,
) -> Result<Response, FileError> {
    let req = ExportRequest::new(lang, at, reads, filter)
        .await
        .or_file(lang)?;
    let body = feed(&state, &req).await.or_file(lang)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

/// The feed's document.
async fn feed(state: &AppState, req: &ExportRequest) -> Result<String, WebError> {
    let maker = RowMaker::new(req, &state.public_url);
    let transitions = if req.filter.milestones_only() {
        Vec::new()
    } else {
        let q = req.filter.query(&req.as_of, FEED_ENTRIES as i64, 0);
        req.reads.store().timeline(&q).await?.0
    };
    // Newest first: changes and milestones merged.
    let mut rows: Vec<(DateTime<Utc>, Row<'_>)> = transitions
        .iter()
        .map(|t| {
            (
                t.occurred_at,
                maker.change_row(&t.view(), RowBufs::default()),
            )
        })
        .chain(
            maker
                .milestones
                .iter()
                .map(|(at, m)| (*at, maker.milestone_row(*at, m))),
        )
        .collect();
    rows.sort_by_key(|e| std::cmp::Reverse(e.0));
    rows.truncate(FEED_ENTRIES);

    let lang = req.lang;
    let base = maker.base.as_str();
    let query = export_query(&req.filter, &req.as_of, lang);
    let host = url::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into());
    let updated = rows.first().map_or(req.as_of.instant, |e| e.0);
    let entries = rows
        .iter()
        .map(|(at, row)| {
            let id = match (row.observation_id, row.milestone_id) {
                (Some(obs), _) => format!("tag:{host},2021:change/{obs}"),
                (None, Some(m)) => format!("tag:{host},2021:milestone/{m}"),
                (None, None) => format!("tag:{host},2021:entry/{}", row.when_utc),
            };
            let mut content = vec![
                row.title.clone(),
                lang.t_args("exports-entry-when", &[("when", row.when.clone().into())]),
                lang.t_args(
                    "exports-entry-source",
                    &[("source", row.citation.unwrap_or(row.source).into())],
                ),
                lang.t_args(
                    "exports-entry-evidence",
                    &[("url", row.evidence_url.clone().into())],
                ),
            ];
            if row.simulated {
                content.push(lang.t("exports-entry-simulated"));
            }
            let mut links = vec![link("alternate", &row.evidence_url, Some("text/html"))];
            if let Some(url) = row.citation_url {
                links.push(link("related", url, None));
            }
            let categories = if row.simulated {
                vec![Category {
                    term: "simulated".into(),
                    scheme: None,
                    label: Some(xml_text(&maker.simulated_mark).into_owned()),
                }]
            } else {
                Vec::new()
            };
            Entry {
                id: xml_text(&id).into_owned(),
                title: Text::plain(xml_text(&row.title)),
                updated: fixed(*at),
                authors: vec![person(&maker.author(row), None)],
                links,
                categories,
                content: Some(Content {
                    value: Some(xml_text(&content.join("\n")).into_owned()),
                    content_type: Some("text".into()),
                    ..Content::default()
                }),
                ..Entry::default()
            }
        })
        .collect();
    let feed = Feed {
        id: xml_text(&format!("tag:{host},2021:timeline?{query}")).into_owned(),
        title: Text::plain(xml_text(&lang.t("exports-feed-title"))),
        subtitle: Some(Text::plain(xml_text(&lang.t("exports-feed-subtitle")))),
        updated: fixed(updated),
        links: vec![
            link(
                "self",
                &format!("{base}/timeline.atom?{query}"),
                Some("application/atom+xml"),
            ),
            link(
                "alternate",
                &format!("{base}/timeline?{query}"),
                Some("text/html"),
            ),
        ],
        authors: vec![person(&lang.t("exports-author-hutong"), Some(base))],
        generator: Some(Generator {
            value: "Hutong".into(),
            uri: None,
            version: None,
        }),
        lang: Some(lang.code().into()),
        entries,
        ..Feed::default()
    };
    let bytes = feed
        .write_to(Vec::new())
        .map_err(|e| WebError::Internal(format!("writing the Atom feed: {e}")))?;
    String::from_utf8(bytes).map_err(|e| WebError::Internal(format!("the Atom feed: {e}")))
}

fn fixed(t: DateTime<Utc>) -> FixedDateTime {
    t.fixed_offset()
}

fn link(rel: &str, href: &str, mime_type: Option<&str>) -> Link {
    Link {
        href: xml_text(href).into_owned(),
        rel: rel.into(),
        mime_type: mime_type.map(str::to_string),
        ..Link::default()
    }
}

fn person(name: &str, uri: Option<&str>) -> Person {
    Person {
        name: xml_text(name).into_owned(),
        uri: uri.map(|u| xml_text(u).into_owned()),
        ..Person::default()
    }
}

pub use crate::web::present::xml_text;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_xml_forbids_is_replaced() {
        assert_eq!(xml_text("a\u{1}b\u{FFFE}"), "a\u{FFFD}b\u{FFFD}");
        assert!(matches!(
            xml_text("微信\t\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    /// Markup in any text reaches the reader as text, and control characters do not
    /// break the document.
    #[test]
    fn the_feed_writer_escapes_markup() {
        let hostile = "<script>alert(\"x\" & 'y')</script>\u{1}";
        let feed = Feed {
            title: Text::plain(xml_text(hostile)),
            links: vec![link("self", "http://h/x?a=1&b=\"2\"", None)],
            entries: vec![Entry {
                title: Text::plain(xml_text(hostile)),
                ..Entry::default()
            }],
            ..Feed::default()
        };
        let out = String::from_utf8(feed.write_to(Vec::new()).unwrap()).unwrap();
        assert!(!out.contains("<script>"), "{out}");
        let doc = roxmltree::Document::parse(&out).expect("well-formed");
        let titles: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("title"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(titles.len(), 2);
        for t in titles {
            assert_eq!(t, "<script>alert(\"x\" & 'y')</script>\u{FFFD}");
        }
        let href = doc
            .descendants()
            .find(|n| n.has_tag_name("link"))
            .and_then(|l| l.attribute("href"));
        assert_eq!(href, Some("http://h/x?a=1&b=\"2\""));
    }
}
