# Hutong, English: the dataset download for researchers (/dataset.zip), and how charts
# show what is unknown or stale.

dataset-link = Download all the data (dataset.zip)
dataset-lede = Every real observation, source, milestone and requirement, and the catalog, as CSV and JSON in one archive, with its metadata (coverage, row counts, SHA-256 of each file). The same data gives the same bytes, so it can be cited and mirrored.
dataset-title = Hutong dataset
dataset-description = Every real observation Hutong holds (simulated data left out), every source, milestone and requirement, and the catalog (platforms, payment methods, checks and the ladders of statuses), each as CSV and as JSON. Times are ISO 8601, in Beijing time and in UTC. Status labels, citations and notes are in English; names are given in Chinese and in English.
dataset-licence = Hutong's compilation may be used under the MIT or Apache-2.0 licence, as Hutong itself, with attribution to Hutong. Quoted texts and linked articles remain their publishers'.

# Charts of shares over time: stale and unknown apart, every share of how many.
charts-series-of-total = { $label }, as a share of all { $total ->
    [one] { $total } check
   *[other] { $total } checks
}
charts-band-not-open = Not open
charts-band-not-compliant = Not compliant
charts-band-stale = Stale evidence (over { $days ->
    [one] { $days } day
   *[other] { $days } days
} old)
charts-band-unknown = Unknown
charts-desc-bands = On { $date }, { $stale } of the checks rested on stale evidence and { $unknown } were unknown; they are drawn apart, never counted as not open.
charts-table-not-open = Not open
charts-table-not-compliant = Not compliant
charts-table-stale = Stale
charts-table-unknown = Unknown
charts-table-share-current = Open, of those on current evidence
charts-table-compliant-current = Compliant, of those on current evidence
charts-table-n-of = { $n } of { $of } ({ $share })
charts-openness-links-subtitle-all = Weekly share of all real link checks open ({ $statuses }) on current evidence
charts-openness-payments-subtitle-all = Weekly share of all real cross-group pairs open ({ $statuses }) on current evidence
charts-compliance-subtitle-all = Weekly share of the checks in scope compliant on current evidence (end of day, Beijing time)
