# Hutong, English: the page shell (navigation, date form, language switch, footer),
# components shared by pages, words shared by several pages, and error messages.

## Shell

nav-overview = Overview
nav-links = Links
nav-payments = Payments
nav-qr = QR codes
nav-timeline = Timeline
nav-platforms = Platforms
nav-probes = Probes
nav-label = Sections
lang-nav-label = Language
skip-to-content = Skip to content
brand-tagline = platform openness observatory
asof-today = As of today, { $date }
asof-date = As of { $date }
asof-label = Show the state as of
asof-submit = Show
asof-back-today = Back to today
footer-about = Hutong 互通 observes whether China's platforms open their links and payments to each other. Every figure links to its evidence. Times are Beijing time (Asia/Shanghai, UTC+8).
footer-api = JSON API

## Page titles

title-check = Check
title-platform = Platform
title-source = Source
title-observation = Observation
title-observation-of = Observation { $id }: { $check }
title-not-found = Not found
title-snapshot = Snapshot
title-bad-request = Bad request

## Components

source-kind-article = article
source-kind-manual = hand test
source-kind-probe = probe
source-kind-simulated = SIMULATED
simulated-mark = SIMULATED
when-approximate = ≈ { $when } (approximate)
cell-disagree = Sources disagree:
cell-check-label = Check { $id }
openness-status = Status
openness-checks = Checks
openness-share = Share
timeline-first-recorded = first recorded:{" "}
timeline-milestone = Milestone
req-authority = Authority
req-issued = Issued
req-deadline = Deadline
req-deadline-none = none set
req-compliant-statuses = Counts as compliant
req-in-scope = Checks in scope
req-counts = { $in_scope } in scope: { $compliant } compliant, { $not_compliant } not compliant, { $unknown } unknown
req-source = Source
req-no-deadline = no deadline set
req-passed = passed { $days ->
    [one] { $days } day
   *[other] { $days } days
} before { $date }
req-ahead = { $days ->
    [one] { $days } day
   *[other] { $days } days
} after { $date }
pager-newer = ← Newer
pager-older = Older →
pager-label = Pages
citation-label = { $publisher }, { $date }
status-unknown = unknown
status-unknown-description = Nothing has been observed
status-off-ladder-description = A status that is no longer on this kind's ladder
na = —

## Errors

error-heading-400 = That request could not be understood
error-heading-404 = Not found
error-heading-503 = Temporarily unavailable
error-heading-500 = Something went wrong
error-back = Back to the overview
error-internal = Something went wrong on our side; it has been logged.
error-unavailable = The database is unavailable at the moment, so this cannot be shown. Please try again in a minute.
error-no-page = There is no page at { $path }.
error-param-date-form = { $param }: "{ $value }" is not a date of the form YYYY-MM-DD
error-param-date-real = { $param }: "{ $value }" is not a real calendar date
error-param-future = { $param }: { $day } is in the future; Hutong accepts dates from { $earliest } to today, { $today }
error-param-too-early = { $param }: { $day } is too early; Hutong accepts dates from { $earliest } to today, { $today }
error-param-range-reversed = from, to: the range starts after it ends (from { $from } is later than to { $to })
error-param-one-of = { $param }: "{ $value }" is not one of: { $allowed }
error-param-page = page: "{ $value }" is not a page number (1, 2, …)
error-param-lang = lang: "{ $value }" is not a language of this site; use one of: en, zh-CN (zh is also accepted)
error-param-platform = platform: there is no platform "{ $slug }"
error-no-check = there is no check "{ $id }"
error-check-kind = check "{ $id }" has an unknown kind
error-check-page = page { $page } does not exist: this check has { $pages ->
    [one] { $pages } page
   *[other] { $pages } pages
} of observations
error-no-platform = there is no platform "{ $slug }" in the catalog
error-no-source = there is no source "{ $id }"
error-no-kind = the catalog has no check kind "{ $kind }"
error-observation-id = observation: "{ $value }" is not an observation number (1, 2, …)
error-no-observation = there is no observation { $id }
error-no-snapshot = observation { $id } kept no raw page
error-param-required = { $param }: required, one of: { $allowed }
error-no-endpoint = there is no API endpoint at { $path }; see /api/v1
error-no-requirement = there is no requirement "{ $id }"
error-no-chart-openness = there is no chart "{ $file }": try openness-links.svg, openness-payments.png …
error-no-chart-check = there is no chart "{ $file }": check charts are /charts/checks/ID.svg or .png
error-no-chart-requirement = there is no chart "{ $file }": requirement charts are /charts/requirements/ID.svg or .png
