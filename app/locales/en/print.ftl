# What a printed page says in place of the header's date form.
print-as-of = As of { $date }
print-permalink = Permanent link:
print-simulated-omitted = The matrix of simulated platforms (demo data, not real) is shown on screen only.
# Not only for paper: the banner over a check of simulated platforms.
check-simulated-banner = Simulated check (demo) — not real data. Both platforms exist only in Hutong's built-in simulator; nothing here is counted in any real figure.
