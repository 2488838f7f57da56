//! A chart on a page: the server's SVG inline, its data as a table behind a disclosure,
//! and download links for SVG and PNG.

use crate::i18n::Lang;
use leptos::prelude::*;

/// One chart as a page shows it. `svg` is markup from the server's chart generator
/// (`hutong::charts`), which escapes every text it draws; it is inserted as is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartView {
    /// Unique on the page; the figure's id.
    pub id: String,
    pub svg: String,
    /// The same chart drawn for phones (narrower, taller, larger type), shown instead of
    /// `svg` on narrow screens by the stylesheet; empty when there is none.
    pub narrow_svg: String,
    pub table: ChartTable,
    /// `/charts/….svg?…` and `/charts/….png?…`.
    pub svg_href: String,
    pub png_href: String,
}

/// The chart's figures as rows of text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartTable {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// `<figure>` with the SVG (both drawings when there is a narrow one: the stylesheet shows
/// the one that fits, no script needed), a `<details>` data table and the download links.
pub fn chart_figure(lang: Lang, chart: &ChartView) -> impl IntoView + use<> {
    let headers = chart
        .table
        .headers
        .iter()
        .map(|h| view! { <th scope="col">{h.clone()}</th> })
        .collect_view();
    let rows = chart
        .table
        .rows
        .iter()
        .map(|row| {
            let cells = row
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    if i == 0 {
                        view! { <th scope="row">{cell.clone()}</th> }.into_any()
                    } else {
                        view! { <td>{cell.clone()}</td> }.into_any()
                    }
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    let narrow = (!chart.narrow_svg.is_empty()).then(|| {
        view! { <div class="chart-svg chart-narrow" inner_html=chart.narrow_svg.clone()></div> }
    });
    let wide_class = if narrow.is_some() {
        "chart-svg chart-wide"
    } else {
        "chart-svg"
    };
    view! {
        <figure class="chart" id=chart.id.clone()>
            <div class=wide_class inner_html=chart.svg.clone()></div>
            {narrow}
            <details class="chart-data">
                <summary>{lang.t("charts-table-summary")}</summary>
                <table class="compact">
                    <caption>{chart.table.caption.clone()}</caption>
                    <thead><tr>{headers}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
            <p class="chart-downloads">
                {lang.t("charts-download")}" "
                <a download="" href=chart.svg_href.clone() type="image/svg+xml">{lang.t("charts-download-svg")}</a>
                " · "
                <a download="" href=chart.png_href.clone() type="image/png">{lang.t("charts-download-png")}</a>
            </p>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_has_the_svg_a_data_table_and_downloads() {
        let chart = ChartView {
            id: "chart-x".into(),
            svg: r#"<svg role="img"><title>T</title></svg>"#.into(),
            narrow_svg: r#"<svg role="img"><title>N</title></svg>"#.into(),
            table: ChartTable {
                caption: "<b>caption</b>".into(),
                headers: vec!["Date".into(), "Share".into()],
                rows: vec![vec!["2021-09-17".into(), "50%".into()]],
            },
            svg_href: "/charts/openness-links.svg?lang=en".into(),
            png_href: "/charts/openness-links.png?lang=en".into(),
        };
        let html = chart_figure(Lang::ZhCn, &chart).to_html();
        assert!(
            html.contains(r#"<div class="chart-svg chart-wide"><svg role="img"><title>T</title></svg></div><div class="chart-svg chart-narrow"><svg role="img"><title>N</title></svg></div>"#),
            "both drawings, the stylesheet shows one: {html}"
        );
        let wide_only = ChartView {
            narrow_svg: String::new(),
            ..chart.clone()
        };
        let html_wide = chart_figure(Lang::En, &wide_only).to_html();
        assert!(
            html_wide
                .contains(r#"<div class="chart-svg"><svg role="img"><title>T</title></svg></div>"#)
                && !html_wide.contains("chart-narrow"),
            "{html_wide}"
        );
        assert!(
            html.contains("<details class=\"chart-data\"><summary>数据表</summary>"),
            "{html}"
        );
        assert!(
            html.contains("&lt;b&gt;caption&lt;/b&gt;"),
            "table text is escaped: {html}"
        );
        assert!(
            html.contains(r#"<th scope="row">2021-09-17</th><td>50%</td>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"download="" href="/charts/openness-links.svg?lang=en""#),
            "{html}"
        );
        assert!(
            html.contains(r#"download="" href="/charts/openness-links.png?lang=en""#),
            "{html}"
        );
    }
}
