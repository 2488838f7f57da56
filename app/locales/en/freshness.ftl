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

# Vantage points: agreement in cells, and a section per vantage point on the check page
# with its windowed verdict (the share of the window's confirmed verdicts in each status).
cell-vantage-agreement = { $status } at { $agreeing } of { $points ->
        [one] 1 vantage point
       *[other] { $points } vantage points
    }
check-vantages-heading = Each vantage point
check-vantages-intro = Each vantage point probes from its own network, region and accounts, and its verdicts are a source of their own: where they disagree, the disagreement is shown above, never resolved silently.
check-vantage-heading = Vantage point { $vantage }
check-vantage-pack = Probe pack { $pack }
check-vantage-simulated = SIMULATED vantage point (demo data)
check-vantage-unregistered = No description: no Hutong process has registered this vantage point.
check-vantage-network = Network: { $value }
check-vantage-region = Region: { $value }
check-vantage-account-region = Accounts registered in: { $value }
check-vantage-device = Device: { $value }
check-vantage-latest = Latest verdict:{" "}
check-vantage-latest-none = No verdict by this date.
check-vantage-changes-heading = Changes
check-vantage-no-changes = No confirmed change by this date.
check-vantage-change-first = first verdict
check-vantage-more-changes = { $count ->
        [one] and 1 earlier change (every observation is listed below)
       *[other] and { $count } earlier changes (every observation is listed below)
    }
check-vantage-window-heading = { $days ->
        [one] Last day
       *[other] Last { $days } days
    }
check-vantage-window = { $verdicts ->
        [one] 1 confirmed verdict
       *[other] { $verdicts } confirmed verdicts
    } from { $from } to { $to } (Beijing days):
check-vantage-window-empty = No confirmed verdict from { $from } to { $to } (Beijing days): this window has nothing to count.
check-vantage-share = { $status }: { $percent }%
