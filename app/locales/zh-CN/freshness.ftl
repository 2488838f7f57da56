# Hutong，中文：证据的新旧（过时的证据）与合规情况。

cell-stale = 已过时：证据距此日期 { $days } 天
freshness-counts = 共 { $total } 个检查项：{ $fresh } 个有最近 { $days } 天内的证据，{ $stale } 个证据已过时，{ $unknown } 个未知
freshness-last = { $counts }；最近一条真实证据为 { $date }
freshness-none = { $counts }；尚无真实证据
openness-stale = 其中已过时
openness-stale-segment = { $label }（证据已过时）
req-failing = 未合规
req-failing-overdue = 已逾期 { $days } 天
req-failing-stale = （证据已过时，距此日期 { $days } 天）
req-failing-more = 另有 { $count } 个，见该要求的页面
requirements-n-of-observed = 已观察的 { $known } 项中 { $n } 项，另有 { $unknown } 项未知
requirements-fig-evidence = 证据新旧
requirements-highlight-upcoming-item-unknown = 已观察的 { $known } 个检查项中目前 { $n } 个合规，另有 { $unknown } 个未知
requirements-highlight-unknown = ；另有 { $unknown } 个未知
check-milestones-heading = 与此检查项有关的公开大事记
check-milestones-intro = 与这些平台有关的公开事件（附日期）。大事记只是背景，并非状态：只有引用明确说明状态的来源的观察记录才会改变格子里的状态。
overview-headline-stale = 已观察的 { $known } 个中有 { $stale } 个的证据已超过 { $days } 天（已过时）
