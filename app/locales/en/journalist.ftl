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
