# Hutong，中文：时间线导出（CSV、JSON、NDJSON）和变化的 Atom 订阅。
exports-filter-from = 起始日期
exports-filter-to = 截止日期
exports-download-lede = 按当前筛选条件下载整条时间线（所有页，按时间从早到晚）：
exports-download-title = { $format }：符合这些筛选条件的全部条目，每条附来源或证据链接
exports-feed-title = 互通：变化时间线（Atom）
exports-feed-subtitle = 互通观察到的状态变化和重要事件，最新的在前，并附来源。
exports-simulated-mark = 模拟
exports-first-recorded = 首次记录
exports-milestone = 重要事件
exports-change-title = { $check }：{ $from } → { $to }
exports-change-first-title = { $check }：{ $to }（{ $first }）
exports-entry-when = 时间（北京时间）：{ $when }
exports-entry-source = 来源：{ $source }
exports-entry-evidence = 证据：{ $url }
exports-entry-simulated = 模拟数据，来自互通的模拟器或合成平台，并非真实观察。
exports-author-hutong = 互通
exports-filters-none = 全部真实来源
