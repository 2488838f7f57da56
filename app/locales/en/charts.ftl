# Hutong, English: charts (SVG and PNG), their data tables and download links.

charts-openness-links-title = Link sharing: openness over time
charts-openness-payments-title = Payments: openness over time
charts-openness-links-series = Link checks open
charts-openness-payments-series = Cross-group pairs accepted
charts-source-line = Source: Hutong 互通, confirmed status changes from cited articles, manual tests and probes; simulated data excluded.
charts-source-line-simulated = Source: Hutong 互通 simulator. SIMULATED demo data, not real observations.
charts-date-line = As of { $at } (Beijing time) · generated { $generated } UTC
charts-steps-title = { $check }: status over time
charts-steps-subtitle = Confirmed status changes of { $id }, from { $source }; most open status on top
charts-steps-subtitle-sources = Confirmed status changes of { $id }, a row for each of its { $count ->
    [one] { $count } source
   *[other] { $count } sources
}: where they disagree, each is shown
charts-steps-subtitle-latest = The latest { $periods ->
    [one] period
   *[other] { $periods } periods
} of each source (earlier ones are in the timeline and the exports). { $rest }
charts-steps-subtitle-more-sources = The { $shown } of { $count ->
    [one] { $count } source
   *[other] { $count } sources
} heard from last. { $rest }
charts-steps-stale = No current word (last: { $status })
charts-steps-desc-source = { $source }: { $periods }
charts-steps-hand-tests = Hand tests at { $vantage }
charts-table-source = Source
charts-unknown = Unknown
charts-simulated = simulated
charts-simulated-banner = SIMULATED: not real data
charts-no-data = Nothing observed yet
charts-steps-none = No confirmed status yet
charts-milestones = Milestones
charts-more-milestones = …and { $count } more milestones (see the timeline)

charts-desc-empty = No data yet.
charts-desc-range = Values from { $from } to { $to }.
charts-desc-series = { $label }: { $first } on { $first_date }, { $last } on { $last_date }; lowest { $min } ({ $min_date }), highest { $max } ({ $max_date }).
charts-desc-series-empty = { $label }: no value yet.
charts-desc-milestones = { $count ->
    [one] { $count } milestone marked
   *[other] { $count } milestones marked
}: { $list }.
charts-steps-desc = { $count ->
    [one] { $count } period
   *[other] { $count } periods
}: { $list }.
charts-steps-desc-segment = { $status } from { $from } to { $to }
charts-steps-desc-empty = No confirmed status has been observed yet.

charts-steps-heading = Status over time
charts-table-summary = Data table
charts-table-date = Date (end of day, Beijing time)
charts-table-share = Share open
charts-table-open = Open
charts-table-known = Observed
charts-table-total = Checks
charts-table-from = From (Beijing time)
charts-table-to = Until
charts-table-status = Status
charts-table-none = no value
charts-download = Download this chart:
charts-download-svg = SVG
charts-download-png = PNG
charts-overview-heading = Openness over time

charts-compliance-title = { $title }: share of checks compliant
charts-compliance-series = Checks compliant
charts-compliance-deadline = Deadline
charts-compliance-share = Share compliant
charts-compliance-compliant = Compliant
charts-png-busy = Too many charts are being drawn right now; please try again in { $seconds ->
    [one] { $seconds } second
   *[other] { $seconds } seconds
}.
