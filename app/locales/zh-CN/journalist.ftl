# 记者的路径：单元格 → 证据 → 引用 → 导出。

error-param-check = check：没有检查项“{ $id }”
timeline-entries = 显示
timeline-entries-changes = 变化
timeline-entries-first = 首次记录
timeline-entries-all = 变化与首次记录
timeline-entries-counts = { $changes } 条变化，{ $first } 条首次记录（某来源对某检查项的第一次观察）
timeline-check-filter = 检查项：{ $title }
cite-heading = 引用本页
cite-permalink = 永久链接（本日期、本语言）：
cite-zh = 中文
cite-en = 英文
check-links-heading = 相关
check-links-timeline = 本检查项的时间线（全部变化与首次记录）
check-links-download = 本检查项的全部观察记录（含证据链接与引用）：
sources-heading = 来源
sources-lede = 互通引用的全部来源，按日期由新到旧；标题照原文，不作翻译。未知网址的来源，请以发布者、标题和日期引用。
sources-col-title = 标题
sources-no-address = 网址未知
cite-observation = { $check } 的观察记录 #{ $id }
cite-source = 取自来源 { $id } 的事实
