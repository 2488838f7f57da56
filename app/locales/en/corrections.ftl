# Retractions and the public corrections log (issue 13).
retracted-on = Retracted on { $date }:
retracted-explained = A reviewer retracted this observation. It is kept as it was, but it no longer counts: not in any state, matrix, chart or timeline.
corrections-link = Corrections
timeline-corrections = Observations found wrong are retracted, not deleted, and method changes re-derive verdicts: both are listed in the
title-corrections = Corrections
corrections-heading = Corrections
corrections-intro = Every observation a reviewer retracted, with the reason, and every change of method (probe verdicts re-derived under new rules), newest first. Nothing is deleted: a retracted observation stays on its page, struck through, and in the exports with a retracted flag; it no longer counts anywhere.
corrections-follow = Follow the corrections:
corrections-feed-title = Hutong corrections
corrections-count = { $total ->
    [one] 1 correction
   *[other] { $total } corrections
} · page { $page } of { $pages }
corrections-empty = Nothing has been corrected yet.
corrections-pager-label = Pages of corrections
corrections-retraction = Retraction
corrections-method-change = Method change
corrections-observation = Observation { $id }
corrections-said = It said
corrections-said-when = ({ $kind }, observed { $when })
corrections-reason = Reason:
corrections-by = Retracted by { $name }
corrections-rules = rules version { $from } → { $to }
corrections-rederived = { $checked ->
    [one] 1 verdict
   *[other] { $checked } verdicts
} re-derived from their kept pages; { $changed } came out differently.
corrections-entry-retraction = Observation { $id } retracted: { $check }
corrections-entry-method = Method change: { $pack }, rules version { $from } → { $to }
retract-heading = Retract observation { $id }
title-retract = Retract an observation
retract-intro = A retraction is public and permanent: the observation stays visible, struck through, with your reason, and stops counting everywhere. Give the reason readers will see.
retract-reason = Reason (shown publicly)
retract-submit = Retract this observation
retract-link = Retract this observation
error-retract-reason-missing = A retraction needs a reason: say why this observation is wrong.
error-retract-reason-long = The reason is longer than { $max ->
    [one] 1 character
   *[other] { $max } characters
}.
error-already-retracted = Observation { $id } was already retracted on { $date }: nothing was changed.
dataset-retractions = Observations a reviewer retracted are kept in observations.csv/.json with retracted = yes (true in JSON), retracted_at (UTC) and retraction_reason; they count nowhere (states, changes, charts). The corrections log at /corrections lists them.
