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

/// `<figure>` with the SVG, a `<details>` data table and the download links.
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
    view! {
        <figure class="chart" id=chart.id.clone()>
            <div class="chart-svg" inner_html=chart.svg.clone()></div>
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
            html.contains(r#"<div class="chart-svg"><svg role="img"><title>T</title></svg></div>"#),
            "{html}"
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
