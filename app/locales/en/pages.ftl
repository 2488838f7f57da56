# Hutong, English: the bodies of the existing pages.

## Overview

overview-probes-failing = Probes are failing
overview-probes-link = See the probe packs and their runs
overview-overdue = { $count ->
    [one] { $count } requirement past its deadline
   *[other] { $count } requirements past their deadline
}
overview-overdue-rest = {" "}with checks in scope that do not comply as of this date.
overview-lede-start = How open China's platforms are to each other's links and payments, as of{" "}
overview-lede-end = : { $observations ->
    [one] { $observations } observation
   *[other] { $observations } observations
} of { $checks ->
    [one] { $checks } check
   *[other] { $checks } checks
}, every one with its source.
overview-links-heading = Link sharing: then and now
overview-links-text = Share of link checks (host app × target platform) in each status.
overview-links-more = See the links matrix
overview-pay-heading = Payments: then and now
overview-pay-text = Cross-group pairs only: an app and a payment method from different ecosystems (e.g. an Alibaba app and WeChat Pay).
overview-pay-more = See the payments matrix
overview-req-heading = Requirements and deadlines
overview-latest-heading = Latest changes
overview-timeline-link = The whole timeline
overview-then = Then: { $date }
overview-then-deadline = Then: { $date }, the day before the first deadline
overview-now = Now: { $date }
overview-none-checks = none of { $total ->
    [one] { $total } check
   *[other] { $total } checks
} observed yet
overview-none-pairs = none of { $total ->
    [one] { $total } cross-group pair
   *[other] { $total } cross-group pairs
} observed yet
overview-headline-checks = { $open } of { $known ->
    [one] { $known } observed check
   *[other] { $known } observed checks
} at the open end of the ladder ({ $labels }): { $percent }%; { $unobserved } not observed
overview-headline-pairs = { $open } of { $known ->
    [one] { $known } observed cross-group pair
   *[other] { $known } observed cross-group pairs
} at the open end of the ladder ({ $labels }): { $percent }%; { $unobserved } not observed

## Matrices

matrix-caption = { $kind } as of { $date }
matrix-simulated-caption = SIMULATED — { $kind } of simulated platforms as of { $date } (demo, not real data)
matrix-simulated-heading = Simulated platforms (demo) — not real data
matrix-simulated-banner = These platforms exist only in Hutong's built-in simulator. Their figures show how probes work; they say nothing about any real platform and are never counted in the matrix above or in any figure.
matrix-lede-start = Each cell is the newest observation at or before{" "}
matrix-lede-end = , with how it was known and when. Follow a cell for its full history and sources. Where sources disagree, the cell says so.
matrix-legend-heading = Statuses, most open first
matrix-not-tracked = not tracked

## Check

check-disagree = Sources disagree
check-disagree-rest = {" "}about this check as of this date. Both are kept; none is picked silently.
check-changed-from = changed from{" "}
check-first-by-source = first observation by this source
check-no-change = no change
check-after-date = {" "}(after the page's date)
check-evidence = Evidence
check-count = { $total ->
    [one] { $total } observation
   *[other] { $total } observations
}; page { $page } of { $pages }
check-lede = { $kind } check
check-lede-sides = { $subject_label } { $subject }, { $object_label } { $object }.
check-state-heading = State as of { $date }
check-latest-words = Each source's latest word
check-history-heading = Every observation
check-history-intro = Newest first. Rows where a source's status changed are marked as transitions; probe observations link to their evidence.
check-col-observed = Observed (Beijing time)
check-col-status = Status
check-col-source = Source and citation
check-pager-label = Pages of observations
check-ladder = Ladder, most open first:{" "}
probe-failed = failed: { $class }
probe-failed-title = Nothing could be observed
probe-anomaly = anomaly
probe-anomaly-title = No rule for a known page of the platform matched
probe-rule = rule{" "}
probe-superseded = superseded
probe-superseded-title = Re-derived under newer rules

## Platforms

platform-crumb = Platforms
platform-simulated-banner = Simulated platform (demo) — not real data. It exists only in Hutong's built-in simulator and is never counted in any real figure.
platform-operator = Operator
platform-ecosystem = Ecosystem
platform-kind = Kind
platform-domains = Domains
platform-domains-none = none listed
platform-checks-heading = Its checks as of { $date }
platform-col-kind = Kind
platform-col-role = Role
platform-col-other = Other side
platform-col-state = State
platforms-heading = Platforms
platforms-col-platform = Platform
platforms-col-operator = Operator
platforms-col-kind = Kind
platforms-col-checks = Checks
platform-kind-content = content
platform-kind-ecommerce = e-commerce
platform-kind-local-services = local services
platform-kind-messaging = messaging
platform-kind-payment = payment
platform-kind-short-video = short video
platform-kind-social = social

## Source

source-crumb = Source
source-no-address = no address recorded; cite by publisher, title and date
source-title-en = Title (English)
source-date-unknown = not known
source-publisher = Publisher
source-published = Published
source-kind = Kind
source-language = Language, vantage
source-language-value = { $language }; observed from { $region }
source-original = Original
source-facts-heading = { $count ->
    [one] { $count } fact
   *[other] { $count } facts
} taken from it
source-col-when = When
source-col-check = Check
source-col-status = Status
source-col-words = Its words
source-milestones-heading = Milestones it reports

## Timeline

timeline-heading = Timeline
timeline-lede-start = Every status change and public milestone up to{" "}
timeline-lede-end = , newest first.
timeline-platform = Platform
timeline-kind = Kind
timeline-source = Source
timeline-filter = Filter
timeline-count = { $total ->
    [one] { $total } entry
   *[other] { $total } entries
}; page { $page } of { $pages }
timeline-empty = Nothing matches these filters up to this date.
timeline-all-platforms = all platforms
timeline-all-kinds = all kinds
timeline-milestones-only = milestones only
timeline-all-sources = all real sources
timeline-simulated-source = simulated (demo data)

## Probes

probes-heading = Probes
probes-lede = Probe packs ask platforms over HTTP what happens to a link or which payment methods a checkout offers, and keep the evidence. A pack is flagged FAILING when its runs have observed nothing for longer than { $after }. Times are Beijing time.
probes-packs = Packs
probes-none-start = No probe packs are loaded. Probe packs are TOML files in{" "}
probes-none-end = {" "}that tell Hutong how to ask a platform, over HTTP, what happens to a shared link or which payment methods a checkout offers. Until one is added, everything Hutong shows comes from cited articles and manual tests.
probes-runs = Recent runs
probes-no-runs = No runs yet.
probes-methods = Method changes
probes-methods-intro = When a pack's rules change, its stored pages are judged again under the new rules and old verdicts are re-derived (the old ones are kept, marked superseded). A method change is Hutong changing how it reads a page; it is not a platform changing its policy, and it never shows as a change on the timeline.
probes-no-methods = No method changes yet.
probes-col-pack = Pack
probes-col-slot = Slot
probes-col-started = Started
probes-col-outcome = Outcome
probes-col-detail = Detail
probes-col-version = Rule version
probes-col-when = When
probes-col-checked = Verdicts checked
probes-col-changed = Verdicts changed
probes-version-none = none
probes-verified = verified
probes-unverified = unverified
probes-unverified-title = Its endpoints have not been confirmed live
probes-unverified-note = endpoints not confirmed live
probes-scheduled = scheduled by this process
probes-enabled-unscheduled = enabled, but not scheduled by this process
probes-disabled = disabled: not scheduled
probes-failing = FAILING:{" "}
probes-never-run = never run
probes-last-run = started { $started } — { $outcome }
probes-kind-link = link
probes-kind-payment = payment
probes-kind-qr = QR code
probes-kind = Kind
probes-kind-value = { $kind }: { $checks ->
    [one] { $checks } check
   *[other] { $checks } checks
}, rule version { $version }
probes-schedule = Schedule
probes-schedule-zone = {" "}(Beijing time) —{" "}
probes-next-run = Next run
probes-last-run-label = Last run
probes-last-success = Last success
probes-failed-runs = Failed runs in a row
probes-missed-slots = Slots missed since the last success
probes-missed = Missed slots
probes-missed-intro = No slot passes in silence: every slot of a schedule that was not run is listed here with why. A pack that has only missed slots since its last success is failing too.
probes-no-missed = No slot was missed.
probes-col-slots = Slots
probes-col-count = How many
probes-col-reason = Why
probes-missed-range = { $first } to { $last }
probes-missed-pending = (not written yet: the database refuses writes; kept in memory until it takes them)
missed-reason-previous-run-going = the pack's previous run was still going
missed-reason-backing-off = the pack was backing off after failed runs
missed-reason-database-unavailable = the database was unavailable
missed-reason-not-running = no Hutong process was scheduling the pack
missed-reason-not-fired = the schedule did not fire (the machine was suspended or overloaded)
probes-none-value = none
probes-never = never
probes-outcome = { $state }: { $done } of { $planned } done, { $failures } failed
probes-outcome-failed = — FAILED
probes-alert = Probe pack { $pack } has failed for { $duration } ({ $runs } { $runs ->
        [one] run
       *[other] runs
    }); { $last }
probes-alert-missed = { $slots } { $slots ->
        [one] slot
       *[other] slots
    } missed
probes-alert-never = never succeeded
probes-alert-last = last success { $when }
run-state-running = running
run-state-finished = finished
run-state-interrupted = interrupted

## Observation

observation-crumb = observation { $id }
observation-heading = Observation { $id }
observation-simulated = This observation was made against Hutong's built-in simulator (demo) — not real data.
observation-pack = Probe pack
observation-rule-version = , rule version { $version }
observation-version-unknown = unknown
observation-verdict = Verdict
observation-confirmed = Confirmed: a rule recognising a known page of the platform matched.
observation-anomaly = Anomaly: no rule for a known page matched; the verdict is stored but flagged.
observation-failure = Failure
observation-superseded-by = Superseded by
observation-superseded-note = {" "}(re-derived under newer rules: a change of method, not of the platform)
observation-reclassifies = Reclassifies
observation-reclassifies-note = {" "}(the same page, judged under newer rules)
observation-link = observation { $id }
observation-download = Download the raw page
observation-download-note = {" "}(as fetched, sha256 { $sha }; saved as a file, never shown here)
observation-raw-not-stored = The raw page (sha256 { $sha }) is not stored here.
observation-no-raw = No raw page was kept for this observation.
observation-no-evidence = This observation carries no probe evidence.
observation-check = Check
observation-observed = Observed
observation-status = Status
observation-source = Source
observation-vantage = Vantage point
observation-evidence = Evidence
evidence-redirects = Redirect chain
evidence-col-status = Status
evidence-col-url = URL
evidence-col-location = Location
evidence-col-after = After
evidence-ms = { $ms } ms
evidence-bytes = { $bytes ->
    [one] { $bytes } byte
   *[other] { $bytes } bytes
}
evidence-control = Control request
evidence-control-ok = the target itself answered
evidence-control-failed = the target itself did not answer: a restriction cannot be told apart from a target that is down
evidence-control-unknown = outcome not recorded
evidence-control-refused = not sent: it would have reached an internal address
evidence-selected = {" "}(selected by default)
evidence-no-method = no known method
evidence-payments = Payment options found on the page
evidence-excerpt = Excerpt around the match
evidence-detail = What went wrong
evidence-requested = Requested
evidence-final = Final answer
evidence-rule = Rule matched
evidence-charset = Charset
evidence-content-type = Content type
evidence-body = Body
evidence-total = Total time
failure-dns = the host name did not resolve
failure-connect = no connection could be made (refused, unreachable or reset)
failure-tls = the secure connection (TLS) could not be set up
failure-timeout = the request took longer than the pack allows
failure-http-status = the platform answered with an HTTP error that no rule explains
failure-too-large = the page was larger than the pack's size limit
failure-decode = the page could not be decoded (broken compression or text encoding)
failure-bot-challenge = the platform answered with an anti-bot check (captcha, 403 or 429); this says nothing about its policy
failure-control-failed = the target itself did not answer, so a restriction cannot be told apart from a target that is down
failure-no-rule-matched = the page was fetched but no rule recognises it; Hutong does not guess
failure-redirect-loop = too many redirects, or a redirect back to a page already visited
failure-internal-address = the request, a redirect or the control would have reached an internal address (this machine, a private network or a cloud metadata service), so it was refused and nothing from there was kept
failure-too-complex = the page is nested too deeply, has too many elements, or took too long to read, so Hutong stopped reading it (hostile or broken markup); this says nothing about the platform's policy
failure-unknown = a failure class this version of Hutong does not know
# The banner over a check of simulated platforms.
check-simulated-banner = Simulated check (demo) — not real data. Both platforms exist only in Hutong's built-in simulator; nothing here is counted in any real figure.
check-superseded-heading = Superseded by newer evidence
check-superseded-intro = These older words say otherwise, but they were already stale when a newer source stated the status above: kept and dated, not counted as a disagreement.
timeline-simulated-banner = Simulated timeline (demo) — not real data. These entries come from Hutong's built-in simulator; they say nothing about any real platform and are never counted in any real figure.
# Codes of the catalog (a source's language and region, a requirement's time zone) in words.
language-name-zh = Chinese
language-name-en = English
region-name-cn = mainland China
time-zone-asia-shanghai = Beijing time
req-deadline-time = { $date } { $time } ({ $zone })
source-title-zh = Title (Chinese)
platform-kind-other = other
failure-bridge-failed = the pack's in-app control (a known-good link sent through the same bridge) was intercepted or failed: the bridge itself misbehaves, so this says nothing about the target
evidence-in-app-control = In-app control
evidence-in-app-control-ok = let through by the bridge
evidence-in-app-control-failed = not let through: the bridge itself misbehaves

# The fleet on /probes (issue 14): vantage points, workers, lease takeovers.
fleet-vantages = Vantage points
fleet-vantages-intro = Where probes run from. Runs and failures count the last hour; a vantage point with no run and no heartbeat for longer than { $after } (after its next slot was due, when no worker probes there) is flagged SILENT.
fleet-no-vantages = No vantage point is configured or has probed yet.
fleet-workers = Workers
fleet-workers-intro = Each hutong worker that registered with this database and was heard from in the last day. A worker is alive while its heartbeats keep its leases; runs and failures count the last hour, takeovers every run it took over from a worker whose lease expired.
fleet-no-workers = No worker has registered: probes run in this server's scheduler, or not at all.
fleet-takeovers = Lease takeovers
fleet-takeovers-intro = Runs whose worker stopped renewing its lease (killed, or cut off from the database), taken over by another worker of the same vantage point. Newest first.
fleet-no-takeovers = No run was ever taken over.
fleet-col-vantage = Vantage point
fleet-col-workers-alive = Workers alive
fleet-col-last-seen = Last seen
fleet-col-runs = Runs (last hour)
fleet-col-failures = Failed runs (last hour)
fleet-col-leases = Leases held
fleet-col-takeovers = Takeovers
fleet-col-worker = Worker
fleet-col-host = Host
fleet-col-pid = pid
fleet-col-started = Started
fleet-col-heartbeat = Last heartbeat
fleet-col-state = State
fleet-col-run = Run
fleet-col-from-to = From → to worker
fleet-col-when = When
fleet-ago = { $duration } ago
fleet-never-seen = never seen
fleet-silent = SILENT
fleet-alive = alive
fleet-gone = no heartbeat within its lease
fleet-stopped = stopped { $when }
fleet-from-none = (released)
fleet-run = run { $run } of { $pack }, slot { $slot }
fleet-network = network: { $value }
fleet-region = region: { $value }
fleet-account-region = accounts registered in: { $value }
fleet-device = device: { $value }
fleet-alert-silent = Vantage point { $vantage } has been silent for { $duration }: no run and no heartbeat since { $when }
fleet-alert-never = Vantage point { $vantage } is configured but has never been heard from (configured since { $when })
overview-vantages-silent = A vantage point is silent
overview-vantages-link = See the vantage points and their workers
fleet-just-now = just now
