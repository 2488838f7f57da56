# Hutong，中文：证据的新旧（过时的证据）与合规情况。

cell-stale = 已过时：证据距此日期 { $days } 天
