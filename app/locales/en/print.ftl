# What a printed page says in place of the header's date form.
print-as-of = As of { $date }
print-permalink = Permanent link:
print-simulated-omitted = The matrix of simulated platforms (demo data, not real) is shown on screen only.
