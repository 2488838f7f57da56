//! One check's downloads, `/checks/{id}.csv` and `/checks/{id}.json`: every observation of
//! the check (simulated ones marked), oldest first, each with its source's citation and
//! address (or that none is known) and the link to its evidence.

use super::no_check;
use crate::domain::{ObservationRecord, Reference};
use crate::storage::Reads;
use crate::web::error::WebError;
use crate::web::present::cite;
pub use crate::web::present::table::{CHECK_COLUMNS, CheckRow};
use crate::web::present::table::{csv_bytes, observation_row};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hutong_app::i18n::Lang;

/// Rows read from the store at a time.
const READ: i64 = 1000;

/// Every observation of `check_id`, oldest first, as export rows.
pub async fn check_rows(
    reads: &Reads,
    r: &Reference,
    check_id: &str,
    public_url: &str,
    lang: Lang,
) -> Result<Vec<CheckRow>, WebError> {
    let check = r.check(check_id).ok_or_else(|| no_check(check_id, lang))?;
    let simulated_check = r.is_simulated_check(check);
    let mut records: Vec<ObservationRecord> = Vec::new();
    loop {
        let (page, total) = reads
            .store()
            .check_history(check_id, READ, records.len() as i64)
            .await?;
        let done = page.is_empty() || records.len() + page.len() >= total as usize;
        records.extend(page);
        if done {
            break;
        }
    }
    records.sort_by_key(|o| (o.observed_at, o.id));
    let hand_tests = reads.store().published_hand_tests(Some(check_id)).await?;
    let base = public_url.trim_end_matches('/');
    Ok(records
        .into_iter()
        .map(|o| {
            let hand_test = hand_tests.get(&o.id);
            observation_row(o, r, simulated_check, base, lang, hand_test)
        })
        .collect())
}

/// `/checks/{id}.csv` or `.json`.
pub fn answer(rows: &[CheckRow], check_id: &str, json: bool) -> Response {
    let ext = if json { "json" } else { "csv" };
    let disposition = format!(
        "attachment; filename=\"hutong-check-{}.{ext}\"",
        check_id.replace(|c: char| !(c.is_ascii_alphanumeric() || c == '-'), "_")
    );
    if json {
        let body = serde_json::json!({
            "check": check_id,
            "columns": CHECK_COLUMNS,
            "no_address": cite::NO_ADDRESS,
            "rows": rows,
        });
        (
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            body.to_string(),
        )
            .into_response()
    } else {
        let bytes = csv_bytes(&CHECK_COLUMNS, rows.iter().map(|r| r.cells().to_vec()));
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response()
    }
}
