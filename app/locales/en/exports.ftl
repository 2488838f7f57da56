# Hutong, English: timeline exports (CSV, JSON, NDJSON) and the Atom feed of changes.
exports-filter-from = From
exports-filter-to = To
exports-download-lede = Download this timeline, every page, oldest first, with these filters:
exports-download-title = { $format }: every entry with these filters, each with its citation or evidence link
exports-feed-title = Hutong: timeline of changes (Atom)
exports-feed-subtitle = Status changes and milestones observed by Hutong, newest first, with their sources.
exports-simulated-mark = SIMULATED
exports-first-recorded = first recorded
exports-milestone = Milestone
exports-change-title = { $check }: { $from } → { $to }
exports-change-first-title = { $check }: { $to } ({ $first })
exports-entry-when = When (Beijing time): { $when }
exports-entry-source = Source: { $source }
exports-entry-evidence = Evidence: { $url }
exports-entry-simulated = Simulated data from Hutong's simulator or synthetic platforms: not a real observation.
exports-author-hutong = Hutong
exports-filters-none = all real sources
