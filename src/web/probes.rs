//! "Are the probes working?": the probe packs with their schedules, runs, failure streaks
//! and method changes, `/probes` and `/api/v1/probes`.

use super::app_state::AppState;
use super::error::{Answer, ApiResult, PageResult, WebError};
use super::present::fleet::{FleetHealth, VantageHealth, WorkerHealth, fleet_health};
use super::present::packs::{PackStatus, pack_statuses, success_time};
use super::present::{Audience, capped, instant, name};
use super::request::{AsOf, ReaderLang, chrome};
use crate::storage::{MissedSlotsRecord, ProbeRunRecord, StorageError, TakeoverRecord};
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use hutong_app::pages;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new().route("/probes", get(show_probes))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/probes", get(list_probes))
}

/// A run as the probes page lists it.
fn run_row(r: &ProbeRunRecord, lang: Lang) -> RunRow {
    let a = Audience::Reader(lang);
    RunRow {
        pack_id: r.pack_id.clone(),
        slot: instant(r.slot, a),
        started: instant(r.started_at, a),
        finished: r.finished_at.map(|t| instant(t, a)),
        state: r.state.clone(),
        done: r.done,
        planned: r.planned,
        failures: r.failures,
        failed: r.failed(),
        detail: r.detail.as_deref().map(|d| capped(d, 300)),
    }
}

/// A missed-slot record as the probes page shows it.
fn missed_row(m: &MissedSlotsRecord, lang: Lang) -> MissedRow {
    let a = Audience::Reader(lang);
    MissedRow {
        pack_id: m.pack_id.clone(),
        first: instant(m.first_slot, a),
        last: instant(m.last_slot, a),
        slots: m.slots,
        reason: lang.t_or(
            &format!("missed-reason-{}", m.reason.replace('_', "-")),
            &m.reason,
        ),
        detail: m.detail.as_deref().map(|d| capped(d, 300)),
        pending: m.pending,
    }
}

pub async fn show_probes(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
) -> PageResult {
    let title = lang.t("nav-probes");
    let furniture =
        |as_of: &AsOf| chrome(lang, &title, Section::Probes, "/probes", as_of, Vec::new());
    let as_of = at.or_page(&furniture(&AsOf::today()))?;
    let chrome = furniture(&as_of);
    let view = probes_view(&state, lang).await.or_page(&chrome)?;
    Ok(Html(pages::probes_page(&chrome, &view)))
}

/// "17 Oct 2021 16:11 UTC+8" and "3 min ago".
fn when_and_ago(at: DateTime<Utc>, now: DateTime<Utc>, lang: Lang) -> (String, String) {
    (
        instant(at, Audience::Reader(lang)),
        if now - at < chrono::Duration::minutes(1) {
            lang.t("fleet-just-now")
        } else {
            lang.t_args("fleet-ago", &[("duration", lang.duration(now - at).into())])
        },
    )
}

fn vantage_row(v: &VantageHealth, lang: Lang) -> VantageRow {
    let (last_seen, ago) = v
        .status
        .last_seen
        .map(|t| when_and_ago(t, v.now, lang))
        .unzip();
    let details = v
        .point
        .as_ref()
        .map(|p| {
            [
                ("fleet-network", &p.network),
                ("fleet-region", &p.region),
                ("fleet-account-region", &p.account_region),
                ("fleet-device", &p.device),
            ]
            .into_iter()
            .filter_map(|(label, value)| {
                let value = value.as_deref()?;
                Some(lang.t_args(label, &[("value", capped(value, 200).into())]))
            })
            .collect()
        })
        .unwrap_or_default();
    VantageRow {
        name: v.name().to_string(),
        description: (v.point.as_ref())
            .and_then(|p| p.description.as_deref())
            .map(|d| capped(d, 500)),
        details,
        workers_alive: v.workers_alive,
        last_seen,
        ago,
        runs: v.status.runs,
        failures: v.status.failures,
        leases: v.status.leases,
        takeovers: v.status.takeovers,
        silent: v.alert(Audience::Reader(lang)),
    }
}

fn worker_row(w: &WorkerHealth, now: DateTime<Utc>, lang: Lang) -> WorkerRow {
    let r = &w.status.worker;
    let a = Audience::Reader(lang);
    let (last_heartbeat, ago) = when_and_ago(r.last_heartbeat, now, lang);
    WorkerRow {
        id: r.id.clone(),
        host: r.host.clone(),
        pid: r.pid,
        vantage: r.vantage.clone(),
        started: instant(r.started_at, a),
        last_heartbeat,
        ago,
        alive: w.alive,
        stopped: r.stopped_at.map(|t| instant(t, a)),
        runs: w.status.runs,
        failures: w.status.failures,
        leases: w.status.leases,
        takeovers: w.status.takeovers,
    }
}

fn takeover_row(t: &TakeoverRecord, lang: Lang) -> TakeoverRow {
    let a = Audience::Reader(lang);
    TakeoverRow {
        run_id: t.run_id,
        pack_id: t.pack_id.clone(),
        vantage: t.vantage.clone(),
        slot: instant(t.slot, a),
        from: t.from_worker.clone(),
        to: t.to_worker.clone(),
        when: instant(t.taken_at, a),
    }
}

async fn fleet(state: &AppState, now: DateTime<Utc>) -> Result<FleetHealth, StorageError> {
    fleet_health(
        &state.store,
        &state.packs,
        &state.fleet,
        state.probe_alert_after,
        now,
    )
    .await
}

async fn probes_view(state: &AppState, lang: Lang) -> Result<ProbesView, StorageError> {
    let a = Audience::Reader(lang);
    let now = Utc::now();
    let fleet = fleet(state, now).await?;
    let statuses = statuses(state).await?;
    let mut runs: Vec<&ProbeRunRecord> = statuses.iter().flat_map(|s| &s.recent).collect();
    runs.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    let method_changes = state.store.method_changes(None).await?;
    // Real packs first: the demo packs' simulated figures come after what is measured.
    let mut statuses: Vec<_> = statuses.iter().collect();
    statuses.sort_by_key(|s| s.pack.simulated);
    Ok(ProbesView {
        packs: statuses
            .iter()
            .map(|&s| PackView {
                id: s.pack.id.clone(),
                name: name(&s.pack.name_zh, &s.pack.name_en),
                kind: s.pack.kind.clone(),
                version: s.pack.version,
                verified: s.pack.verified,
                simulated: s.pack.simulated,
                enabled: s.pack.enabled,
                scheduled: s.pack.scheduled,
                schedule: s.pack.schedule.clone(),
                next_run: s.next_run.map(|t| instant(t, a)),
                last_run: s.recent.first().map(|r| run_row(r, lang)),
                last_success: s.last_success.as_ref().map(|r| instant(success_time(r), a)),
                failed_runs: s.failed_runs,
                missed_slots: s.missed_slots,
                failing: s.alert(a),
                checks: s.pack.checks.len(),
            })
            .collect(),
        runs: runs
            .into_iter()
            .take(20)
            .map(|r| run_row(r, lang))
            .collect(),
        missed: {
            let mut missed: Vec<&MissedSlotsRecord> =
                statuses.iter().flat_map(|s| &s.missed).collect();
            missed.sort_by_key(|m| std::cmp::Reverse(m.last_slot));
            missed
                .into_iter()
                .take(20)
                .map(|m| missed_row(m, lang))
                .collect()
        },
        method_changes: method_changes
            .iter()
            .take(50)
            .map(|m| MethodChangeRow {
                pack_id: m.pack_id.clone(),
                from_version: m.from_version,
                to_version: m.to_version,
                when: instant(m.happened_at, a),
                checked: m.checked,
                changed: m.changed,
            })
            .collect(),
        alert_after: lang.duration(state.probe_alert_after),
        vantages: fleet
            .vantages
            .iter()
            .map(|v| vantage_row(v, lang))
            .collect(),
        workers: fleet
            .workers
            .iter()
            .map(|w| worker_row(w, now, lang))
            .collect(),
        takeovers: fleet
            .takeovers
            .iter()
            .map(|t| takeover_row(t, lang))
            .collect(),
    })
}

async fn statuses(state: &AppState) -> Result<Vec<PackStatus>, StorageError> {
    pack_statuses(
        &state.store,
        &state.packs,
        state.probe_alert_after,
        Utc::now(),
    )
    .await
}

/// `/api/v1/probes`: every loaded probe pack with its schedule, last runs and failure
/// streak, and the method changes (reclassifications) of all packs.
pub async fn list_probes(State(state): State<AppState>) -> ApiResult {
    let now = Utc::now();
    let statuses = pack_statuses(&state.store, &state.packs, state.probe_alert_after, now).await?;
    let packs: Vec<Value> = statuses
        .iter()
        .map(|s| {
            json!({
                "id": s.pack.id,
                "name_en": s.pack.name_en,
                "name_zh": s.pack.name_zh,
                "kind": s.pack.kind,
                "version": s.pack.version,
                "verified": s.pack.verified,
                "simulated": s.pack.simulated,
                "enabled": s.pack.enabled,
                "scheduled": s.pack.scheduled,
                "schedule": s.pack.schedule,
                "schedule_timezone": "Asia/Shanghai",
                "checks": s.pack.checks,
                "next_run": s.next_run,
                "last_run": s.recent.first(),
                "last_success": s.last_success,
                "consecutive_failed_runs": s.failed_runs,
                "missed_slots_since_success": s.missed_slots,
                "recent_missed_slots": s.missed,
                "failing_since": s.failing_since,
                "failing": s.failing,
                "alert": s.alert(Audience::Program),
                "recent_runs": s.recent,
            })
        })
        .collect();
    let changes = state.store.method_changes(None).await?;
    let fleet = fleet(&state, now).await?;
    let vantages: Vec<Value> = fleet
        .vantages
        .iter()
        .map(|v| {
            json!({
                "name": v.name(),
                "description": v.point.as_ref().and_then(|p| p.description.as_deref()),
                "network": v.point.as_ref().and_then(|p| p.network.as_deref()),
                "region": v.point.as_ref().and_then(|p| p.region.as_deref()),
                "account_region": v.point.as_ref().and_then(|p| p.account_region.as_deref()),
                "device": v.point.as_ref().and_then(|p| p.device.as_deref()),
                "configured": v.configured,
                "registered_at": v.registered_at,
                "last_seen": v.status.last_seen,
                "last_run": v.status.last_run,
                "last_heartbeat": v.status.last_heartbeat,
                "workers_alive": v.workers_alive,
                "runs_last_hour": v.status.runs,
                "failures_last_hour": v.status.failures,
                "leases": v.status.leases,
                "takeovers": v.status.takeovers,
                "silent": v.silent,
                "alert": v.alert(Audience::Program),
            })
        })
        .collect();
    let workers: Vec<Value> = fleet
        .workers
        .iter()
        .map(|w| {
            let r = &w.status.worker;
            json!({
                "id": r.id,
                "host": r.host,
                "pid": r.pid,
                "vantage": r.vantage,
                "started_at": r.started_at,
                "last_heartbeat": r.last_heartbeat,
                "stopped_at": r.stopped_at,
                "alive": w.alive,
                "runs_last_hour": w.status.runs,
                "failures_last_hour": w.status.failures,
                "leases": w.status.leases,
                "takeovers": w.status.takeovers,
            })
        })
        .collect();
    Ok(Json(json!({
        "now": now,
        "alert_after_seconds": state.probe_alert_after.num_seconds(),
        "vantage_points": vantages,
        "workers": workers,
        "takeovers": fleet.takeovers,
        "packs": packs,
        "method_changes": changes,
        "method_changes_note": "a method change re-derives old verdicts under newer rules; it is not a platform changing its policy",
    }))
    .into_response())
}
