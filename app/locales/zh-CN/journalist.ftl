# 记者的路径：单元格 → 证据 → 引用 → 导出。

error-param-check = check：没有检查项“{ $id }”
timeline-entries = 显示
timeline-entries-changes = 变化
timeline-entries-first = 首次记录
timeline-entries-all = 变化与首次记录
timeline-entries-counts = { $changes } 条变化，{ $first } 条首次记录（某来源对某检查项的第一次观察）
timeline-check-filter = 检查项：{ $title }
