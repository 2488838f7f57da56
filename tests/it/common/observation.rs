//! Observations written by tests: say what the test cares about, take plain defaults for
//! the rest.

use chrono::{DateTime, Utc};
use hutong::domain::{NewObservation, Precision, ProbeFacts, SourceKind};

/// An observation of `check` at `at` with `status`: by hand (`manual`), to the day, from
/// the vantage point `test`, with no source, words, evidence or probe. Each method
/// changes one thing; `build` gives the observation to store.
pub fn observation(check: &str, at: DateTime<Utc>, status: &str) -> ObservationBuilder {
    ObservationBuilder(NewObservation {
        check_id: check.into(),
        observed_at: at,
        precision: Precision::Day,
        status: status.into(),
        source_kind: SourceKind::Manual,
        source_id: None,
        vantage: "test".into(),
        quote: None,
        note_en: None,
        note_zh: None,
        evidence: None,
        catalog_key: None,
        probe: None,
    })
}

#[must_use = "`build` gives the observation"]
pub struct ObservationBuilder(NewObservation);

impl ObservationBuilder {
    /// Known to the instant, not just the day.
    pub fn instant(mut self) -> Self {
        self.0.precision = Precision::Instant;
        self
    }

    pub fn source_kind(mut self, kind: SourceKind) -> Self {
        self.0.source_kind = kind;
        self
    }

    /// Made by the simulator (vantage point `simulator`): never counted as real.
    pub fn simulated(self) -> Self {
        self.source_kind(SourceKind::Simulated).vantage("simulator")
    }

    /// Reported by the article `source` of the catalog.
    pub fn cited(mut self, source: &str) -> Self {
        self.0.source_id = Some(source.into());
        self.source_kind(SourceKind::Article).vantage("article")
    }

    /// Made by a probe, to the instant, from the vantage point `cn-test`.
    pub fn probed(self) -> Self {
        self.source_kind(SourceKind::Probe)
            .instant()
            .vantage("cn-test")
    }

    /// What the probe pack adds (its id, rule version, failure, snapshot, …).
    pub fn pack(mut self, facts: ProbeFacts) -> Self {
        self.0.probe = Some(facts);
        self
    }

    pub fn vantage(mut self, vantage: &str) -> Self {
        self.0.vantage = vantage.into();
        self
    }

    pub fn quote(mut self, quote: &str) -> Self {
        self.0.quote = Some(quote.into());
        self
    }

    pub fn note_en(mut self, note: &str) -> Self {
        self.0.note_en = Some(note.into());
        self
    }

    pub fn evidence(mut self, evidence: serde_json::Value) -> Self {
        self.0.evidence = Some(std::sync::Arc::new(evidence));
        self
    }

    pub fn build(self) -> NewObservation {
        self.0
    }
}
