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

# 观察点：单元格中的一致情况，检查项页面上每个观察点一节及其窗口判定（窗口内已确认判定各状态所占比例）。
cell-vantage-agreement = { $points } 个观察点中 { $agreeing } 个：{ $status }
check-vantages-heading = 各观察点
check-vantages-intro = 每个观察点从各自的网络、地区和账号探测，其判定各为一个来源：观察点之间不一致时，上方如实显示，绝不悄悄取舍。
check-vantage-heading = 观察点 { $vantage }
check-vantage-pack = 探针包 { $pack }
check-vantage-simulated = 模拟观察点（演示数据）
check-vantage-unregistered = 无说明：尚无 Hutong 进程登记此观察点。
check-vantage-network = 网络：{ $value }
check-vantage-region = 地区：{ $value }
check-vantage-account-region = 账号注册地：{ $value }
check-vantage-device = 设备：{ $value }
check-vantage-latest = 最新判定：
check-vantage-latest-none = 此日期前没有判定。
check-vantage-changes-heading = 变化
check-vantage-no-changes = 此日期前没有已确认的变化。
check-vantage-change-first = 首次判定
check-vantage-more-changes = 另有 { $count } 次更早的变化（下方列出全部观察记录）
check-vantage-window-heading = 最近 { $days } 天
check-vantage-window = { $from } 至 { $to }（北京时间）共 { $verdicts } 个已确认判定：
check-vantage-window-empty = { $from } 至 { $to }（北京时间）没有已确认判定：此窗口无可统计。
check-vantage-share = { $status }：{ $percent }%
