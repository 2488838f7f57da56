# 互通，简体中文：图表（SVG 与 PNG）、数据表与下载链接。

charts-openness-links-title = 链接分享：开放程度变化
charts-openness-payments-title = 支付：开放程度变化
charts-openness-links-series = 可打开的链接检查
charts-openness-payments-series = 已接受的跨集团组合
charts-source-line = 来源：互通 Hutong，依据所引文章、人工测试与自动探测确认的状态变化；不含模拟数据。
charts-source-line-simulated = 来源：互通 Hutong 模拟器。模拟演示数据，并非真实观察。
charts-date-line = 截至 { $at }（北京时间）· 生成于 { $generated } UTC
charts-steps-title = { $check }：状态变化
charts-steps-subtitle = { $id } 经确认的状态变化（来源：{ $source }）；最开放的状态在最上方
charts-steps-subtitle-sources = { $id } 经确认的状态变化，{ $count } 个来源各占一行：说法不一时各自显示
charts-steps-subtitle-latest = 每个来源最近的 { $periods } 个时段（更早的见时间线与导出）。{ $rest }
charts-steps-subtitle-more-sources = { $count } 个来源中最近有消息的 { $shown } 个。{ $rest }
charts-steps-stale = 无最新证据（最后一次：{ $status }）
charts-steps-desc-source = { $source }：{ $periods }
charts-steps-hand-tests = { $vantage } 的人工测试
charts-table-source = 来源
charts-unknown = 未知
charts-simulated = 模拟
charts-simulated-banner = 模拟数据：并非真实
charts-no-data = 尚无观察
charts-steps-none = 尚无经确认的状态
charts-milestones = 大事记
charts-more-milestones = ……另有 { $count } 项大事记（见时间线）

charts-desc-empty = 尚无数据。
charts-desc-range = 数据时间范围：{ $from } 至 { $to }。
charts-desc-series = { $label }：{ $first_date } 为 { $first }，{ $last_date } 为 { $last }；最低 { $min }（{ $min_date }），最高 { $max }（{ $max_date }）。
charts-desc-series-empty = { $label }：尚无数值。
charts-desc-milestones = 标注了 { $count } 项大事记：{ $list }。
charts-steps-desc = 共 { $count } 个时段：{ $list }。
charts-steps-desc-segment = { $from } 至 { $to }：{ $status }
charts-steps-desc-empty = 尚未观察到经确认的状态。

charts-steps-heading = 状态变化
charts-table-summary = 数据表
charts-table-date = 日期（北京时间当日结束时）
charts-table-share = 开放比例
charts-table-open = 开放
charts-table-known = 已观察
charts-table-total = 检查数
charts-table-from = 起始（北京时间）
charts-table-to = 截止
charts-table-status = 状态
charts-table-none = 无数值
charts-download = 下载此图表：
charts-download-svg = SVG
charts-download-png = PNG
charts-overview-heading = 开放程度的变化

charts-compliance-title = { $title }：合规检查项占比
charts-compliance-series = 合规检查项
charts-compliance-deadline = 截止日期
charts-compliance-share = 合规占比
charts-compliance-compliant = 合规
charts-png-busy = 现在要绘制的图表太多，请 { $seconds } 秒后再试。
