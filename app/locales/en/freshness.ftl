# Hutong, English: how old the evidence is (stale evidence), and who complied.

cell-stale = Stale: evidence { $days } days old
