//! Probe pages: the packs and their health (shared with the API and the overview's
//! alert), one observation with its evidence, and the raw page it was judged on.

use super::pages::{PageResult, as_of_or_error, chrome, date_query, failure, finish, html};
use super::params::{Params, truncate};
use super::views::{self, name};
use super::{AppState, AsOf, WebError};
use crate::probes::PackSummary;
use crate::storage::{MissedSlotsRecord, ProbeRunRecord, StorageError};
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hutong_app::model::*;
use hutong_app::pages;

/// How many of a pack's latest runs are read to find its current failure streak.
const STREAK_WINDOW: i64 = 500;
/// Runs per pack listed on the probes page.
const RUNS_SHOWN: usize = 10;
/// How many of a pack's latest missed-slot records are read (each covers consecutive
/// slots missed for one reason).
const MISSED_WINDOW: i64 = 500;
/// Missed-slot records per pack listed.
const MISSED_SHOWN: usize = 10;

/// A pack and how it is doing: the one computation behind `/probes`, `/api/v1/probes` and
/// the overview's alert.
#[derive(Debug, Clone)]
pub struct PackStatus {
    pub pack: PackSummary,
    pub next_run: Option<DateTime<Utc>>,
    /// Latest runs, newest first.
    pub recent: Vec<ProbeRunRecord>,
    pub last_success: Option<ProbeRunRecord>,
    /// Consecutive failed runs up to now (runs still going are not counted either way).
    pub failed_runs: usize,
    /// Latest missed slots (records of consecutive slots), newest first.
    pub missed: Vec<MissedSlotsRecord>,
    /// Slots missed since the last successful run.
    pub missed_slots: i64,
    /// Since when the pack has observed nothing, when it is in a failure streak.
    pub failing_since: Option<DateTime<Utc>>,
    /// In a failure streak for longer than `probe_alert_after`.
    pub failing: bool,
    pub now: DateTime<Utc>,
}

impl PackStatus {
    /// "Probe pack X has failed for 3 h (12 runs); last success …", when failing.
    pub fn alert(&self) -> Option<String> {
        if !self.failing {
            return None;
        }
        let since = self.failing_since?;
        let lang = super::lang::current();
        let mut last = self.last_success.as_ref().map_or_else(
            || lang.t("probes-alert-never"),
            |r| {
                lang.t_args(
                    "probes-alert-last",
                    &[("when", views::instant(success_time(r)).into())],
                )
            },
        );
        if self.missed_slots > 0 {
            let missed = lang.t_args(
                "probes-alert-missed",
                &[("slots", self.missed_slots.into())],
            );
            last = format!("{missed}; {last}");
        }
        Some(lang.t_args(
            "probes-alert",
            &[
                ("pack", self.pack.id.clone().into()),
                ("duration", views::duration_words(self.now - since).into()),
                ("runs", self.failed_runs.into()),
                ("last", last.into()),
            ],
        ))
    }
}

fn success_time(r: &ProbeRunRecord) -> DateTime<Utc> {
    r.finished_at.unwrap_or(r.started_at)
}

/// Every loaded pack with its schedule, runs and failure streak as of `now`.
pub async fn pack_statuses(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<Vec<PackStatus>, StorageError> {
    let mut out = Vec::with_capacity(state.packs.len());
    for pack in state.packs.iter() {
        let runs = state.store.recent_runs(&pack.id, STREAK_WINDOW).await?;
        let missed = state.store.missed_slots(&pack.id, MISSED_WINDOW).await?;
        let last_success = state.store.last_success(&pack.id).await?;
        let streak = failure_streak(&runs, &missed);
        // A streak longer than the window read began no later than the last success.
        let window_full =
            runs.len() as i64 >= STREAK_WINDOW || missed.len() as i64 >= MISSED_WINDOW;
        let failing_since = match (streak.since, &last_success) {
            (Some(_), Some(s)) if !streak.ended && window_full => Some(success_time(s)),
            (since, _) => since,
        };
        let failing = failing_since.is_some_and(|since| now - since > state.probe_alert_after);
        out.push(PackStatus {
            pack: pack.clone(),
            next_run: pack.next_run(now),
            recent: runs.into_iter().take(RUNS_SHOWN).collect(),
            last_success,
            failed_runs: streak.failed_runs,
            missed: missed.into_iter().take(MISSED_SHOWN).collect(),
            missed_slots: streak.missed_slots,
            failing_since,
            failing,
            now,
        });
    }
    Ok(out)
}

/// Failed runs and missed slots since the last successful run.
struct Streak {
    failed_runs: usize,
    missed_slots: i64,
    /// The start of the oldest failed run or missed slot in it.
    since: Option<DateTime<Utc>>,
    /// A successful run was found (the streak is all there is to it).
    ended: bool,
}

fn failure_streak(runs: &[ProbeRunRecord], missed: &[MissedSlotsRecord]) -> Streak {
    enum Event<'a> {
        Run(&'a ProbeRunRecord),
        Missed(&'a MissedSlotsRecord),
    }
    let mut events: Vec<(DateTime<Utc>, Event)> = runs
        .iter()
        // Runs still going count neither way.
        .filter(|r| r.state == "finished")
        .map(|r| (r.slot, Event::Run(r)))
        .chain(missed.iter().map(|m| (m.last_slot, Event::Missed(m))))
        .collect();
    events.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut streak = Streak {
        failed_runs: 0,
        missed_slots: 0,
        since: None,
        ended: false,
    };
    for (_, event) in events {
        let start = match event {
            Event::Run(r) if !r.failed() => {
                streak.ended = true;
                break;
            }
            Event::Run(r) => {
                streak.failed_runs += 1;
                r.started_at
            }
            Event::Missed(m) => {
                streak.missed_slots += m.slots;
                m.first_slot
            }
        };
        streak.since = Some(streak.since.map_or(start, |s| s.min(start)));
    }
    streak
}

/// A missed-slot record as the probes page shows it.
pub fn missed_row(m: &MissedSlotsRecord) -> MissedRow {
    let lang = super::lang::current();
    MissedRow {
        pack_id: m.pack_id.clone(),
        first: views::instant(m.first_slot),
        last: views::instant(m.last_slot),
        slots: m.slots,
        reason: lang.t_or(
            &format!("missed-reason-{}", m.reason.replace('_', "-")),
            &m.reason,
        ),
        detail: m.detail.as_deref().map(|d| views::capped(d, 300)),
        pending: m.pending,
    }
}

pub fn run_row(r: &ProbeRunRecord) -> RunRow {
    RunRow {
        pack_id: r.pack_id.clone(),
        slot: views::instant(r.slot),
        started: views::instant(r.started_at),
        finished: r.finished_at.map(views::instant),
        state: r.state.clone(),
        done: r.done,
        planned: r.planned,
        failures: r.failures,
        failed: r.failed(),
        detail: r.detail.as_deref().map(|d| views::capped(d, 300)),
    }
}

pub async fn show_probes(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(probes(&state, Params::parse(q.as_deref())).await)
}

async fn probes(state: &AppState, params: Params) -> PageResult {
    let title = super::lang::current().t("nav-probes");
    let as_of = as_of_or_error(&params, &title, Section::Probes, "/probes")?;
    let chrome = chrome(&title, Section::Probes, "/probes", &as_of, Vec::new());
    let fail = |e: StorageError| failure(&chrome, e);
    let statuses = pack_statuses(state, Utc::now()).await.map_err(fail)?;
    let mut runs: Vec<&ProbeRunRecord> = statuses.iter().flat_map(|s| &s.recent).collect();
    runs.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    let method_changes = state.store.method_changes(None).await.map_err(fail)?;
    let view = ProbesView {
        packs: statuses
            .iter()
            .map(|s| PackView {
                id: s.pack.id.clone(),
                name: name(&s.pack.name_zh, &s.pack.name_en),
                kind: s.pack.kind.clone(),
                version: s.pack.version,
                verified: s.pack.verified,
                simulated: s.pack.simulated,
                enabled: s.pack.enabled,
                scheduled: s.pack.scheduled,
                schedule: s.pack.schedule.clone(),
                next_run: s.next_run.map(views::instant),
                last_run: s.recent.first().map(run_row),
                last_success: s
                    .last_success
                    .as_ref()
                    .map(|r| views::instant(success_time(r))),
                failed_runs: s.failed_runs,
                missed_slots: s.missed_slots,
                failing: s.alert(),
                checks: s.pack.checks.len(),
            })
            .collect(),
        runs: runs.into_iter().take(20).map(run_row).collect(),
        missed: {
            let mut missed: Vec<&MissedSlotsRecord> =
                statuses.iter().flat_map(|s| &s.missed).collect();
            missed.sort_by_key(|m| std::cmp::Reverse(m.last_slot));
            missed.into_iter().take(20).map(missed_row).collect()
        },
        method_changes: method_changes
            .iter()
            .take(50)
            .map(|m| MethodChangeRow {
                pack_id: m.pack_id.clone(),
                from_version: m.from_version,
                to_version: m.to_version,
                when: views::instant(m.happened_at),
                checked: m.checked,
                changed: m.changed,
            })
            .collect(),
        alert_after: views::duration_words(state.probe_alert_after),
    };
    Ok(html(pages::probes_page(&chrome, &view)))
}

/// An observation id from the URL: a positive whole number, or a 400 that says so.
fn observation_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        WebError::BadRequest(
            super::lang::current()
                .t_args("error-observation-id", &[("value", truncate(raw).into())]),
        )
    })
}

fn no_observation(id: i64) -> WebError {
    WebError::NotFound(super::lang::current().t_args("error-no-observation", &[("id", id.into())]))
}

pub async fn show_observation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    finish(observation(&state, &id, Params::parse(q.as_deref())).await)
}

async fn observation(state: &AppState, raw_id: &str, params: Params) -> PageResult {
    let path = format!("/observations/{}", truncate(raw_id));
    let lang = super::lang::current();
    let title = lang.t("title-observation");
    let as_of = as_of_or_error(&params, &title, Section::Other, &path)?;
    let mut chrome = chrome(&title, Section::Other, &path, &as_of, Vec::new());
    let id = observation_id(raw_id).map_err(|e| failure(&chrome, e))?;
    chrome.path = format!("/observations/{id}");
    let fail = |chrome: &Chrome, e: StorageError| failure(chrome, e);
    let o = state
        .store
        .observation(id)
        .await
        .map_err(|e| fail(&chrome, e))?
        .ok_or_else(|| failure(&chrome, no_observation(id)))?;
    let r = state.reference().await.map_err(|e| fail(&chrome, e))?;
    let query = date_query(&as_of);
    let check = r.check(&o.check_id);
    let kind = check.and_then(|c| r.kind(&c.kind));
    let check_title = check.map_or_else(|| o.check_id.clone(), |c| views::check_title(&r, c));
    chrome.title = lang.t_args(
        "title-observation-of",
        &[("id", id.into()), ("check", check_title.clone().into())],
    );
    let snapshot_href = match &o.snapshot {
        Some(sha) => state
            .store
            .snapshot_exists(sha)
            .await
            .map_err(|e| fail(&chrome, e))?
            .then(|| format!("/observations/{id}/snapshot")),
        None => None,
    };
    let simulated = o.source_kind == "simulated" || check.is_some_and(|c| r.is_simulated_check(c));
    let view = ObservationView {
        id,
        check_id: o.check_id.clone(),
        check_href: format!("/checks/{}{query}", o.check_id),
        check_title,
        when: views::when(o.observed_at, "instant"),
        status: views::status_view(kind, &o.status),
        source_kind: o.source_kind.clone(),
        simulated,
        citation: views::citation(&r, &o),
        vantage: views::capped(&o.vantage, views::SHORT_CAP),
        pack_id: o.pack_id.clone(),
        rule_version: o.rule_version,
        confirmed: o.confirmed,
        failure: o
            .failure
            .as_deref()
            .map(|f| (views::capped(f, views::SHORT_CAP), views::failure_words(f))),
        superseded_by: o.superseded_by,
        reclassifies: o.reclassifies,
        quote: o
            .quote
            .as_deref()
            .map(|q| views::capped(q, views::EXCERPT_CAP)),
        note: o
            .note_in(lang)
            .map(|n| views::capped(&n, views::EXCERPT_CAP)),
        evidence: o.evidence.as_ref().map(views::evidence_view),
        snapshot_href,
        snapshot_sha: o.snapshot.as_deref().map(|s| views::capped(s, 64)),
    };
    Ok(html(pages::observation_page(&chrome, &view)))
}

/// The raw page an observation was judged on, as a download that can never render: it is
/// a platform's page, scripts and all.
pub async fn get_snapshot(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let lang = super::lang::current();
    let chrome = chrome(
        &lang.t("title-snapshot"),
        Section::Other,
        "/",
        &AsOf::today(),
        Vec::new(),
    );
    let result: Result<Response, WebError> = async {
        let id = observation_id(&id)?;
        let o = state
            .store
            .observation(id)
            .await?
            .ok_or_else(|| no_observation(id))?;
        let missing = || WebError::NotFound(lang.t_args("error-no-snapshot", &[("id", id.into())]));
        let sha = o.snapshot.ok_or_else(missing)?;
        let stored = state.store.snapshot(&sha).await?.ok_or_else(missing)?;
        let filename = snapshot_filename(id, &sha, stored.content_type.as_deref());
        let body = tokio::task::spawn_blocking(move || zstd::decode_all(stored.body.as_slice()))
            .await
            .map_err(|e| StorageError::Invalid(format!("snapshot {sha}: {e}")))?
            .map_err(|e| {
                StorageError::Invalid(format!("snapshot {sha} does not decompress: {e}"))
            })?;
        Ok((
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
                (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            ],
            body,
        )
            .into_response())
    }
    .await;
    finish(result.map_err(|e| failure(&chrome, e)))
}

/// The raw page's file name: what it is (an observation's raw page, which body) and an
/// extension that opens it as text. Saved as `.html`, a hostile page opened from disk
/// would run its scripts with no sandbox header to stop them; `.html.txt` says it is HTML
/// source and opens in a text editor or as plain text.
fn snapshot_filename(observation: i64, sha: &str, content_type: Option<&str>) -> String {
    let prefix: String = sha
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(12)
        .collect();
    let html = content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html"));
    let kind = if html { ".html" } else { "" };
    format!("hutong-observation-{observation}-raw-page-{prefix}{kind}.txt")
}

#[cfg(test)]
mod tests {
    use super::snapshot_filename;

    #[test]
    fn raw_pages_are_named_to_open_as_text() {
        let sha = "0123456789abcdef".repeat(4);
        assert_eq!(
            snapshot_filename(42, &sha, Some("text/html; charset=GBK")),
            "hutong-observation-42-raw-page-0123456789ab.html.txt"
        );
        assert_eq!(
            snapshot_filename(7, &sha, Some("application/XHTML+xml")),
            "hutong-observation-7-raw-page-0123456789ab.html.txt"
        );
        for other in [Some("application/json"), Some("image/svg+xml"), None] {
            assert_eq!(
                snapshot_filename(7, &sha, other),
                "hutong-observation-7-raw-page-0123456789ab.txt"
            );
        }
        // Whatever is stored as the hash, only hex digits reach the header.
        assert_eq!(
            snapshot_filename(1, "ab\"; x=.html\r\ncd", None),
            "hutong-observation-1-raw-page-abcd.txt"
        );
    }
}
