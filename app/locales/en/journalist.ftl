# The journalist's path: cell → evidence → citation → export.

error-param-check = check: there is no check "{ $id }"
timeline-entries = Show
timeline-entries-changes = changes
timeline-entries-first = first sightings
timeline-entries-all = changes and first sightings
timeline-entries-counts = { $changes ->
    [one] 1 change
   *[other] { $changes } changes
} and { $first ->
    [one] 1 first sighting
   *[other] { $first } first sightings
} (a source's first observation of a check)
timeline-check-filter = Check: { $title }
cite-heading = Cite this page
cite-permalink = Permanent link (this date, this language):
cite-zh = In Chinese
cite-en = In English
check-links-heading = Related
check-links-timeline = This check's timeline (every change and first sighting)
check-links-download = Every observation of this check, with evidence links and citations:
sources-heading = Sources
sources-lede = Every source Hutong cites, newest first: headlines as published, in their own language. Where no address is known, say so when you cite: cite by publisher, headline and date.
sources-col-title = Headline
sources-no-address = no address known
cite-observation = observation #{ $id } of { $check }
cite-source = the facts taken from source { $id }
compare-heading = Compare two dates
compare-lede = Every check whose status differs between the end of one day and the end of another (Beijing time), both statuses side by side. Real sources only.
compare-from = Date A
compare-to = Date B
compare-submit = Compare
compare-col-check = Check
compare-none = No check changed status between these dates.
compare-since-deadline = Since the deadline: { $requirement }
compare-summary = { $changed ->
    [one] 1 check
   *[other] { $changed } checks
} of { $checks } changed between { $from } and { $to }.
overview-then-label = Compare with
overview-then-submit = Show
overview-compare-link = Every check that changed between these dates
compare-first-summary = { $first ->
    [one] 1 more check was first sighted (no status known on date A).
   *[other] { $first } more checks were first sighted (no status known on date A).
}
compare-changes-heading = Changes
compare-first-heading = First sightings
compare-first-intro = Checks with no status known on date A and one on date B: a source's first observation says what it found, not that anything changed.
