# Hutong, English: the dataset download for researchers (/dataset.zip), and how charts
# show what is unknown or stale.

dataset-link = Download all the data (dataset.zip)
dataset-lede = Every real observation, source, milestone and requirement, and the catalog, as CSV and JSON in one archive, with its metadata (coverage, row counts, SHA-256 of each file). The same data gives the same bytes, so it can be cited and mirrored.
dataset-title = Hutong dataset
dataset-description = Every real observation Hutong holds (simulated data left out), every source, milestone and requirement, and the catalog (platforms, payment methods, checks and the ladders of statuses), each as CSV and as JSON. Times are ISO 8601, in Beijing time and in UTC. Status labels, citations and notes are in English; names are given in Chinese and in English.
dataset-licence = Hutong's compilation may be used under the MIT or Apache-2.0 licence, as Hutong itself, with attribution to Hutong. Quoted texts and linked articles remain their publishers'.
