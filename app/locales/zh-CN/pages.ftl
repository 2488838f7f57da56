# 互通，简体中文：现有各页面的正文。

## 概览

overview-probes-failing = 探针运行失败
overview-probes-link = 查看探针包及其运行记录
overview-overdue = { $count } 项要求已过期限
overview-overdue-rest = ，且截至该日仍有适用的检查项不合规。
overview-lede-start = 中国各平台对彼此的链接与支付开放到什么程度，截至
overview-lede-end = ：{ $checks } 个检查项共有 { $observations } 条观察记录，每一条都注明来源。
overview-links-heading = 链接分享：过去与现在
overview-links-text = 各状态下链接检查项（宿主应用 × 目标平台）所占的比例。
overview-links-more = 查看链接矩阵
overview-pay-heading = 支付：过去与现在
overview-pay-text = 只统计跨集团的组合：应用与支付方式分属不同生态（例如阿里系应用与微信支付）。
overview-pay-more = 查看支付矩阵
overview-req-heading = 监管要求与期限
overview-latest-heading = 最新变化
overview-timeline-link = 完整时间线
overview-then = 过去：{ $date }
overview-then-deadline = 过去：{ $date }，首个期限的前一天
overview-now = 现在：{ $date }
overview-none-checks = { $total } 个检查项均尚未观察到
overview-none-pairs = { $total } 个跨集团组合均尚未观察到
overview-headline-checks = 已观察的 { $known } 个检查项中，{ $open } 个处于阶梯的开放一端（{ $labels }）：{ $percent }%；{ $unobserved } 个尚未观察
overview-headline-pairs = 已观察的 { $known } 个跨集团组合中，{ $open } 个处于阶梯的开放一端（{ $labels }）：{ $percent }%；{ $unobserved } 个尚未观察

## 矩阵

matrix-caption = { $kind }，截至 { $date }
matrix-simulated-caption = 模拟数据 — 模拟平台的{ $kind }，截至 { $date }（演示用，非真实数据）
matrix-simulated-heading = 模拟平台（演示）— 非真实数据
matrix-simulated-banner = 这些平台只存在于互通内置的模拟器中。它们的数据用来演示探针如何工作，与任何真实平台无关，也从不计入上面的矩阵或任何统计。
matrix-lede-start = 每个单元格是截至
matrix-lede-end = （含当日）最新的观察，并注明如何得知、何时得知。点击单元格可查看完整历史与来源。来源说法不一时，单元格会注明。
matrix-legend-heading = 状态（从最开放到最不开放）
matrix-not-tracked = 未跟踪

## 检查项

check-disagree = 来源说法不一
check-disagree-rest = ：截至该日，各来源对这个检查项的说法不同。各方说法都予以保留，不会悄悄只选其一。
check-changed-from = 此前为{" "}
check-first-by-source = 该来源的首次观察
check-no-change = 无变化
check-after-date = （晚于本页日期）
check-evidence = 证据
check-count = 共 { $total } 条观察记录；第 { $page } 页，共 { $pages } 页
check-lede = { $kind }检查项
check-lede-sides = { $subject_label }：{ $subject }；{ $object_label }：{ $object }。
check-state-heading = 截至 { $date } 的状态
check-latest-words = 各来源的最新说法
check-history-heading = 全部观察记录
check-history-intro = 按时间从新到旧排列。某来源的状态发生变化的行标为转变；探针的观察链接到其证据。
check-col-observed = 观察时间（北京时间）
check-col-status = 状态
check-col-source = 来源与引文
check-pager-label = 观察记录分页
check-ladder = 状态阶梯（从最开放起）：
probe-failed = 失败：{ $class }
probe-failed-title = 未能观察到任何结果
probe-anomaly = 异常
probe-anomaly-title = 没有匹配到识别该平台已知页面的规则
probe-rule = 规则{" "}
probe-superseded = 已被取代
probe-superseded-title = 已按更新的规则重新判定

## 平台

platform-crumb = 平台
platform-simulated-banner = 模拟平台（演示）— 非真实数据。它只存在于互通内置的模拟器中，从不计入任何真实统计。
platform-operator = 运营方
platform-ecosystem = 生态
platform-kind = 类型
platform-domains = 域名
platform-domains-none = 未列出
platform-checks-heading = 截至 { $date } 的检查项
platform-col-kind = 类型
platform-col-role = 角色
platform-col-other = 另一方
platform-col-state = 状态
platforms-heading = 平台
platforms-col-platform = 平台
platforms-col-operator = 运营方
platforms-col-kind = 类型
platforms-col-checks = 检查项
platform-kind-content = 内容
platform-kind-ecommerce = 电商
platform-kind-local-services = 本地生活服务
platform-kind-messaging = 即时通讯
platform-kind-payment = 支付
platform-kind-short-video = 短视频
platform-kind-social = 社交

## 来源

source-crumb = 来源
source-no-address = 未记录网址；请按发布者、标题和日期引用
source-title-en = 标题（英文）
source-date-unknown = 不详
source-publisher = 发布者
source-published = 发布日期
source-kind = 类型
source-language = 语言与观察地
source-language-value = { $language }；观察地：{ $region }
source-original = 原文
source-facts-heading = 取自该来源的事实：{ $count } 条
source-col-when = 时间
source-col-check = 检查项
source-col-status = 状态
source-col-words = 原文表述
source-milestones-heading = 该来源报道的里程碑

## 时间线

timeline-heading = 时间线
timeline-lede-start = 截至
timeline-lede-end = 的全部状态变化与公开里程碑，从新到旧排列。
timeline-platform = 平台
timeline-kind = 类型
timeline-source = 来源
timeline-filter = 筛选
timeline-count = 共 { $total } 条；第 { $page } 页，共 { $pages } 页
timeline-empty = 截至该日，没有符合这些筛选条件的条目。
timeline-all-platforms = 全部平台
timeline-all-kinds = 全部类型
timeline-milestones-only = 仅里程碑
timeline-all-sources = 全部真实来源
timeline-simulated-source = 模拟（演示数据）

## 探针

probes-heading = 探针
probes-lede = 探针包通过 HTTP 询问各平台：分享的链接会怎样、结账页提供哪些支付方式，并保存证据。若某个探针包的运行超过 { $after } 没有观察到任何结果，就标为“失败中”。时间均为北京时间。
probes-packs = 探针包
probes-none-start = 尚未加载任何探针包。探针包是
probes-none-end = 中的 TOML 文件，告诉互通如何通过 HTTP 询问平台：分享的链接会怎样、结账页提供哪些支付方式。在添加探针包之前，互通显示的一切都来自引用的报道和人工测试。
probes-runs = 最近的运行
probes-no-runs = 还没有运行记录。
probes-methods = 方法变更
probes-methods-intro = 探针包的规则改变后，已保存的页面会按新规则重新判定，旧的判定被重新推导（旧判定保留并标为已被取代）。方法变更是互通改变了读取页面的方式，不是平台改变了政策，也从不作为变化出现在时间线上。
probes-no-methods = 还没有方法变更。
probes-col-pack = 探针包
probes-col-slot = 计划时段
probes-col-started = 开始时间
probes-col-outcome = 结果
probes-col-detail = 详情
probes-col-version = 规则版本
probes-col-when = 时间
probes-col-checked = 复核的判定
probes-col-changed = 改变的判定
probes-version-none = 无
probes-verified = 已验证
probes-unverified = 未验证
probes-unverified-title = 其接口尚未确认可用
probes-unverified-note = 接口尚未确认可用
probes-scheduled = 由本进程调度
probes-enabled-unscheduled = 已启用，但不由本进程调度
probes-disabled = 已停用：不调度
probes-failing = 失败中：
probes-never-run = 从未运行
probes-last-run = 开始于 { $started } — { $outcome }
probes-kind-link = 链接
probes-kind-payment = 支付
probes-kind-qr = 扫码
probes-kind = 类型
probes-kind-value = { $kind }检查项（共 { $checks } 个），规则版本 { $version }
probes-schedule = 计划
probes-schedule-zone = （北京时间）—{" "}
probes-next-run = 下次运行
probes-last-run-label = 上次运行
probes-last-success = 上次成功
probes-failed-runs = 连续失败次数
probes-missed-slots = 上次成功以来错过的时段
probes-missed = 错过的时段
probes-missed-intro = 没有任何时段会被悄悄跳过：计划中未运行的每个时段都列在这里，并写明原因。上次成功以来只有错过时段的探针包同样算作失败。
probes-no-missed = 没有错过任何时段。
probes-col-slots = 时段
probes-col-count = 数量
probes-col-reason = 原因
probes-missed-range = { $first } 至 { $last }
probes-missed-pending = （尚未写入：数据库拒绝写入；在内存中保存，直到可以写入）
missed-reason-previous-run-going = 该探针包的上一次运行尚未结束
missed-reason-backing-off = 该探针包在多次运行失败后暂缓运行
missed-reason-database-unavailable = 数据库不可用
missed-reason-not-running = 没有互通进程在调度该探针包
missed-reason-not-fired = 计划未触发（机器休眠或过载）
probes-none-value = 无
probes-never = 从未
probes-outcome = { $state }：完成 { $done }/{ $planned }，失败 { $failures }
probes-outcome-failed = — 运行失败
probes-alert = 探针包 { $pack } 已连续失败 { $duration }（{ $runs } 次运行）；{ $last }
probes-alert-missed = 错过 { $slots } 个时段
probes-alert-never = 从未成功
probes-alert-last = 上次成功于 { $when }
run-state-running = 运行中
run-state-finished = 已完成
run-state-interrupted = 已中断

## 观察记录

observation-crumb = 观察记录 { $id }
observation-heading = 观察记录 { $id }
observation-simulated = 这条观察是对互通内置模拟器（演示）做出的 — 非真实数据。
observation-pack = 探针包
observation-rule-version = ，规则版本 { $version }
observation-version-unknown = 未知
observation-verdict = 判定
observation-confirmed = 已确认：匹配到识别该平台已知页面的规则。
observation-anomaly = 异常：没有匹配到已知页面的规则；判定已保存，但被标记。
observation-failure = 失败
observation-superseded-by = 已被取代，新记录
observation-superseded-note = （按更新的规则重新推导：这是方法的变化，不是平台的变化）
observation-reclassifies = 重新判定了
observation-reclassifies-note = （同一页面，按更新的规则判定）
observation-link = 观察记录 { $id }
observation-download = 下载原始页面
observation-download-note = （抓取时的原样，sha256 { $sha }；以文件保存，从不在此显示）
observation-raw-not-stored = 原始页面（sha256 { $sha }）未保存在这里。
observation-no-raw = 这条观察没有保存原始页面。
observation-no-evidence = 这条观察没有探针证据。
observation-check = 检查项
observation-observed = 观察时间
observation-status = 状态
observation-source = 来源
observation-vantage = 观察地点
observation-evidence = 证据
evidence-redirects = 跳转链
evidence-col-status = 状态码
evidence-col-url = 网址
evidence-col-location = 跳转目标
evidence-col-after = 耗时
evidence-ms = { $ms } 毫秒
evidence-bytes = { $bytes } 字节
evidence-control = 对照请求
evidence-control-ok = 目标本身有应答
evidence-control-failed = 目标本身没有应答：无法区分是限制还是目标宕机
evidence-control-unknown = 结果未记录
evidence-control-refused = 未发送：它会访问内部地址
evidence-selected = （默认选中）
evidence-no-method = 无已知支付方式
evidence-payments = 页面上找到的支付选项
evidence-excerpt = 匹配处附近的摘录
evidence-detail = 出了什么问题
evidence-requested = 请求地址
evidence-final = 最终应答
evidence-rule = 匹配的规则
evidence-charset = 字符集
evidence-content-type = 内容类型
evidence-body = 正文
evidence-total = 总耗时
failure-dns = 主机名无法解析
failure-connect = 无法建立连接（被拒绝、不可达或被重置）
failure-tls = 无法建立安全连接（TLS）
failure-timeout = 请求耗时超过探针包的允许
failure-http-status = 平台返回了没有任何规则能解释的 HTTP 错误
failure-too-large = 页面超过了探针包的大小上限
failure-decode = 页面无法解码（压缩或文本编码损坏）
failure-bot-challenge = 平台返回了反爬虫验证（验证码、403 或 429）；这与其政策无关
failure-control-failed = 目标本身没有应答，因此无法区分是限制还是目标宕机
failure-no-rule-matched = 页面已抓取，但没有规则能识别它；互通不做猜测
failure-redirect-loop = 跳转次数过多，或跳回了已访问过的页面
failure-internal-address = 请求、跳转或对照请求会访问内部地址（本机、私有网络或云元数据服务），已被拒绝，那里的任何内容都没有保存
failure-too-complex = 页面嵌套过深、元素过多或读取耗时过长，互通已停止读取（恶意或损坏的标记）；这不说明平台的策略
failure-unknown = 这个版本的互通不认识的失败类型
# 模拟平台检查项页面顶部的横幅。
check-simulated-banner = 模拟检查项（演示）——并非真实数据。两个平台都只存在于互通内置的模拟器中，这里的任何内容都不计入真实数字。
check-superseded-heading = 已被较新的证据取代
check-superseded-intro = 以下较早的说法与上面的状态不同，但在较新的来源给出该状态时已经过时：予以保留并注明日期，不算作来源说法不一。
timeline-simulated-banner = 模拟时间线（演示）——并非真实数据。这些条目来自互通内置的模拟器，与任何真实平台无关，也从不计入任何真实统计。
# 目录中的代码（来源的语言与地区、监管要求的时区）用文字表示。
language-name-zh = 中文
language-name-en = 英文
region-name-cn = 中国大陆
time-zone-asia-shanghai = 北京时间
req-deadline-time = { $date } { $time }（{ $zone }）
source-title-zh = 标题（中文）
platform-kind-other = 其他
