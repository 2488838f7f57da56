//! Requirements evaluated as of a date, and how a requirement is listed: the requirement
//! pages, their JSON, the calendar feed and the overview's deadline highlight all start
//! here. The figures come from [`crate::compliance`].

use super::{Audience, name, source_citation, status_view};
use crate::compliance::{self, Evaluation, ShareSeries};
use crate::domain::Reference;
use crate::domain::Requirement;
use crate::state;
use crate::storage::memo::CheckStates;
use crate::storage::{Reads, StateFilter, StorageError};
use crate::time::SHANGHAI;
use chrono::{DateTime, Utc};
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use std::collections::HashMap;

/// Every requirement evaluated as of one instant, on real data only.
pub struct Evaluated {
    pub reference: std::sync::Arc<Reference>,
    pub items: Vec<(Requirement, Evaluation)>,
    /// Real transitions by check, for the share over time.
    pub changes: HashMap<String, compliance::Changes>,
    /// When the evidence of checks was seen (read with the history), and the threshold
    /// after which it is stale.
    pub evidence: std::sync::Arc<crate::domain::EvidenceTimes>,
    pub stale_after_days: u32,
    /// Each check's state at the instant evaluated, and that instant: evidence ages.
    pub now: CheckStates,
    pub at: DateTime<Utc>,
}

impl Evaluated {
    /// The requirement `id` with its evaluation.
    pub fn find(&self, id: &str) -> Option<&(Requirement, Evaluation)> {
        self.items.iter().find(|(r, _)| r.id == id)
    }

    /// The share of `req`'s checks compliant over time, up to `at`.
    pub fn series(&self, req: &Requirement, at: DateTime<Utc>) -> ShareSeries {
        let ids: Vec<&str> = compliance::checks_in_scope(&self.reference, req)
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        compliance::share_over_time(
            req,
            &ids,
            &self.changes,
            (&self.evidence, self.stale_after_days),
            at,
        )
    }

    /// How old the evidence of `req`'s checks is at the instant evaluated.
    pub fn freshness(&self, req: &Requirement, stale_after_days: u32) -> state::Freshness {
        state::freshness(
            compliance::checks_in_scope(&self.reference, req)
                .iter()
                .map(|c| self.now.get(&c.id)),
            self.at,
            stale_after_days,
        )
    }

    /// The age of a check's evidence at the instant evaluated (`None`: unknown).
    pub fn age(&self, check_id: &str, stale_after_days: u32) -> Option<state::EvidenceAge> {
        self.now
            .get(check_id)
            .and_then(|s| state::evidence_age(s, self.at, stale_after_days))
    }
}

/// Reads what the requirements need: states now, states at each passed deadline, and
/// (`history`: the stale threshold in days) the real transitions of every check in scope,
/// in one query, not one per check or per week, and when their evidence was seen. Without history, the figures that need it (since when, how late,
/// never) are left out: the overview's highlight needs none of them.
pub async fn evaluate_all(
    reads: &Reads,
    at: DateTime<Utc>,
    history: Option<u32>,
) -> Result<Evaluated, StorageError> {
    let reference = reads.real_reference().await?;
    let checks: Vec<&crate::domain::Check> = reference.checks.iter().collect();
    let all = StateFilter::default();
    let now = reads.check_states(at, &all, &checks).await?;
    let mut at_deadlines: HashMap<DateTime<Utc>, CheckStates> = HashMap::new();
    let mut in_scope: Vec<&str> = Vec::new();
    for req in &reference.requirements {
        if let Some(d) = req.deadline.filter(|d| *d <= at)
            && !at_deadlines.contains_key(&d)
        {
            at_deadlines.insert(d, reads.check_states(d, &all, &checks).await?);
        }
        for c in compliance::checks_in_scope(&reference, req) {
            if !in_scope.contains(&c.id.as_str()) {
                in_scope.push(&c.id);
            }
        }
    }
    let evidence = match history {
        Some(days) => reads.evidence_times(None, days).await?,
        None => Default::default(),
    };
    let transitions = if history.is_some() {
        reads
            .store()
            .real_transitions_of_checks(&in_scope, at)
            .await?
    } else {
        Vec::new()
    };
    let changes = compliance::changes_by_check(&transitions, at);
    let items = reference
        .requirements
        .iter()
        .map(|req| {
            let at_deadline = req
                .deadline
                .and_then(|d| at_deadlines.get(&d))
                .map(|s| &**s);
            let e = compliance::evaluate(&reference, req, at, &now, at_deadline, &changes);
            (req.clone(), e)
        })
        .collect();
    Ok(Evaluated {
        reference,
        items,
        changes,
        evidence,
        stale_after_days: history.unwrap_or(u32::MAX),
        now,
        at,
    })
}

fn figures(e: &Evaluation, evidence: String) -> ComplianceFigures {
    let s = &e.summary;
    ComplianceFigures {
        known_at_deadline: s.known_at_deadline,
        evidence,
        in_scope: s.in_scope,
        compliant_now: s.compliant_now,
        not_compliant_now: s.not_compliant_now,
        unknown: s.unknown,
        never_compliant: s.never_compliant,
        complied_at_deadline: s.complied_at_deadline,
        complied_late: s.complied_late,
        compliant_unknown_at_deadline: s.compliant_unknown_at_deadline,
        longest_delay_days: s.longest_delay_days,
        overdue: s.overdue,
        overdue_days: s.overdue_days,
    }
}

/// "2021-09-17 23:59": the deadline's wall-clock time in Beijing.
pub fn beijing(d: DateTime<Utc>) -> String {
    d.with_timezone(&SHANGHAI)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A requirement as the lists show it, linking to its page with `query`.
pub fn item(
    all: &Evaluated,
    req: &Requirement,
    e: &Evaluation,
    query: &str,
    stale_after_days: u32,
    lang: Lang,
) -> RequirementItem {
    let r = &all.reference;
    let evidence = super::freshness_words(
        &all.freshness(req, stale_after_days),
        stale_after_days,
        lang,
    );
    let kind = r.kind(&req.scope.kind);
    let s = &e.summary;
    RequirementItem {
        id: req.id.clone(),
        href: format!("/requirements/{}{query}", req.id),
        title: name(&req.title_zh, &req.title_en),
        authority: name(&req.authority_zh, &req.authority_en),
        issued: req.issued,
        deadline: req
            .deadline
            .zip(s.deadline_day)
            .map(|(d, day)| DeadlineView {
                day,
                beijing: beijing(d),
                countdown_days: s.countdown_days,
                days_since: s.days_since_deadline,
            }),
        scope_kind: kind.map_or_else(
            || name("", &req.scope.kind),
            |k| name(&k.name_zh, &k.name_en),
        ),
        scope_subject_kinds: req.scope.subject_kinds.clone(),
        scope_subjects: req
            .scope
            .subjects
            .iter()
            .map(|slug| {
                r.platform(slug)
                    .map_or_else(|| name("", slug), |p| name(&p.name_zh, &p.name_en))
            })
            .collect(),
        compliant_statuses: req
            .compliant
            .iter()
            .map(|st| status_view(kind, st, lang))
            .collect(),
        citation: source_citation(r, &req.source, Audience::Reader(lang)),
        figures: figures(e, evidence),
    }
}

/// Deadlines within this many days of the date are highlighted on the overview.
pub const UPCOMING_DAYS: i64 = 30;

/// The overview's highlight: requirements overdue as of the date, and deadlines in the
/// next [`UPCOMING_DAYS`] days; each links to its page with `query`.
pub async fn deadline_highlights(
    reads: &Reads,
    at: DateTime<Utc>,
    query: &str,
    stale_after_days: u32,
    lang: Lang,
) -> Result<DeadlineHighlights, StorageError> {
    let e = evaluate_all(reads, at, None).await?;
    let mut h = DeadlineHighlights::default();
    for (req, ev) in &e.items {
        let s = &ev.summary;
        if s.overdue > 0 {
            h.overdue
                .push(item(&e, req, ev, query, stale_after_days, lang));
        } else if s.countdown_days.is_some_and(|d| d <= UPCOMING_DAYS) {
            h.upcoming
                .push(item(&e, req, ev, query, stale_after_days, lang));
        }
    }
    Ok(h)
}
