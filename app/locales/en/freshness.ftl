# Hutong, English: how old the evidence is (stale evidence), and who complied.

cell-stale = Stale: evidence { $days ->
        [one] 1 day
       *[other] { $days } days
    } old
freshness-counts = { $total ->
        [one] 1 check
       *[other] { $total } checks
    }: { $fresh } with evidence from the last { $days ->
        [one] 1 day
       *[other] { $days } days
    }, { $stale } stale, { $unknown } unknown
freshness-last = { $counts }; last real evidence { $date }
freshness-none = { $counts }; no real evidence yet
openness-stale = Of which stale
openness-stale-segment = { $label } (stale evidence)
req-failing = Not compliant
req-failing-overdue = overdue { $days ->
        [one] 1 day
       *[other] { $days } days
    }
req-failing-stale = (stale evidence, { $days ->
        [one] 1 day
       *[other] { $days } days
    } old)
req-failing-more = and { $count } more on the requirement's page
requirements-n-of-observed = { $n } of { $known } observed, { $unknown } unknown
requirements-fig-evidence = Age of the evidence
requirements-highlight-upcoming-item-unknown = { $n } of { $known } observed checks comply now, { $unknown } unknown
requirements-highlight-unknown = ; { $unknown } unknown
check-milestones-heading = Public milestones about this check
check-milestones-intro = Dated public events that concern these platforms. A milestone is context, not a status: only an observation citing a source that states the status changes the cell.
overview-headline-stale = { $stale ->
    [one] 1 of the { $known } observed rests
   *[other] { $stale } of the { $known } observed rest
} on evidence over { $days ->
    [one] 1 day
   *[other] { $days } days
} old (stale)
