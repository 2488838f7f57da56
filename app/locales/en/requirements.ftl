# Hutong, English: requirements, deadlines and compliance (/requirements, the overview's
# deadline highlight, the iCalendar feed).
requirements-nav = Requirements
requirements-title = Requirements and deadlines
requirements-lede = Every regulatory requirement Hutong follows, and how the real checks in its scope stand as of { $date }.
requirements-none = No requirement is recorded in the catalog.
requirements-ics-link = Subscribe to the deadlines (iCalendar feed)
requirements-ics-hint = Add this address to a calendar app to see every deadline with the current figures.
requirements-each-check-link = Each check in scope: when it complied, or not
requirements-authority = Authority
requirements-issued = Issued
requirements-deadline = Deadline
requirements-scope = Scope
requirements-scope-host-kinds = host apps of kind
requirements-scope-hosts = host apps
requirements-scope-all-hosts = every host app
requirements-counts-as-compliant = Counts as compliant
requirements-source = Source
requirements-beijing-time = { $time } (Beijing time)
requirements-no-deadline = no deadline
requirements-due-today = the deadline is the end of this day
requirements-countdown = { $days ->
    [one] 1 day to go
   *[other] { $days } days to go
}
requirements-passed = { $days ->
    [one] passed 1 day ago
   *[other] passed { $days } days ago
}
requirements-figures-caption = Real checks in scope, as of this date
requirements-n-of-m = { $n } of { $m }
requirements-fig-in-scope = Checks in scope
requirements-fig-compliant-now = Comply now
requirements-fig-at-deadline = Complied at the deadline
requirements-fig-overdue = Overdue (deadline passed, not compliant now)
requirements-overdue-by = { $n }, by { $days ->
    [one] 1 day
   *[other] { $days } days
}
requirements-fig-late = Complied after the deadline
requirements-late-longest = { $n } (longest delay { $days ->
    [one] 1 day
   *[other] { $days } days
})
requirements-fig-never = Never compliant
requirements-fig-unknown = Unknown (no evidence)
requirements-checks-heading = Each check in scope
requirements-col-check = Check
requirements-col-at-deadline = At the deadline
requirements-col-now = Now
requirements-col-outcome = Compliance
requirements-col-late = After the deadline
requirements-outcome-unknown = Unknown: no evidence
requirements-outcome-never = Never compliant
requirements-outcome-lost = Complied once, no longer compliant
requirements-outcome-compliant = Compliant
requirements-outcome-compliant-since = Compliant since { $date }
requirements-outcome-late = Complied on { $date }, { $days ->
    [one] 1 day
   *[other] { $days } days
} after the deadline
requirements-outcome-late-undated = Complied after the deadline
requirements-days-late = { $days ->
    [one] 1 day late
   *[other] { $days } days late
}
requirements-days-overdue = { $days ->
    [one] overdue by 1 day
   *[other] overdue by { $days } days
}
requirements-share-heading = Share of checks compliant over time
requirements-share-table = The figures, week by week (table)
requirements-share-empty = Nothing in scope has been observed yet.
requirements-col-week = Week (end of day)
requirements-col-compliant = Compliant
requirements-col-known = Observed
requirements-col-in-scope = In scope
requirements-col-share = Share compliant
requirements-highlight-heading = Deadlines
requirements-highlight-overdue = Overdue requirements
requirements-highlight-overdue-item = { $n } of { $m ->
    [one] { $m } check
   *[other] { $m } checks
} overdue, by { $days ->
    [one] 1 day
   *[other] { $days } days
}
requirements-highlight-upcoming = Deadlines in the next 30 days
requirements-highlight-upcoming-item = { $n } of { $m ->
    [one] { $m } check
   *[other] { $m } checks
} comply now
requirements-ics-calendar-name = Hutong: regulatory deadlines
requirements-ics-summary = Deadline: { $title }
requirements-ics-authority = Authority: { $authority }
requirements-ics-figures = As of { $date }: { $compliant } of { $in_scope ->
    [one] { $in_scope } check
   *[other] { $in_scope } checks
} in scope comply; { $overdue } overdue; { $unknown } unknown.
requirements-ics-page = Each check: { $url }
requirements-fig-unseen-at-deadline = Comply now, nothing observed by the deadline
requirements-outcome-unseen-since = Compliant since { $date }; nothing observed by the deadline
requirements-outcome-unseen = Compliant; nothing observed by the deadline
requirements-days-first-seen = { $days ->
    [one] first seen compliant 1 day after
   *[other] first seen compliant { $days } days after
}
