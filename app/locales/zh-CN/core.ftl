# 互通，简体中文：页面框架（导航、日期表单、语言切换、页脚）、各页面共用的组件与词语、错误信息。

## 页面框架

nav-overview = 概览
nav-links = 链接
nav-payments = 支付
nav-qr = 扫码互认
nav-timeline = 时间线
nav-platforms = 平台
nav-probes = 探针
nav-label = 栏目
lang-nav-label = 语言
skip-to-content = 跳到正文
brand-tagline = 平台互联互通观察站
asof-today = 截至今天（{ $date }）
asof-date = 截至 { $date }
asof-label = 查看截至该日的状态
asof-submit = 查看
asof-back-today = 回到今天
footer-about = 互通（Hutong）观察中国各大平台是否向彼此开放链接与支付。每个数字都链接到它的证据。时间均为北京时间（Asia/Shanghai，UTC+8）。
footer-api = JSON 接口

## 页面标题

title-check = 检查项
title-platform = 平台
title-source = 来源
title-observation = 观察记录
title-observation-of = 观察记录 { $id }：{ $check }
title-not-found = 未找到
title-snapshot = 原始页面
title-bad-request = 请求有误

## 组件

source-kind-article = 报道
source-kind-manual = 人工测试
source-kind-probe = 探针
source-kind-simulated = 模拟数据
simulated-mark = 模拟数据
when-approximate = ≈ { $when }（大致日期）
cell-disagree = 来源说法不一：
cell-check-label = 检查项 { $id }
openness-status = 状态
openness-checks = 检查项数
openness-share = 占比
timeline-first-recorded = 首次记录：
timeline-milestone = 里程碑
req-authority = 发布机关
req-issued = 发布日期
req-deadline = 期限
req-deadline-none = 未设定
req-compliant-statuses = 视为合规的状态
req-in-scope = 适用的检查项
req-counts = 共 { $in_scope } 项：合规 { $compliant } 项，不合规 { $not_compliant } 项，未知 { $unknown } 项
req-source = 来源
req-no-deadline = 未设定期限
req-passed = 截至 { $date } 已过期 { $days } 天
req-ahead = 截至 { $date } 还有 { $days } 天到期
pager-newer = ← 较新
pager-older = 较旧 →
pager-label = 分页
citation-label = { $publisher }，{ $date }
status-unknown = 未知
status-unknown-description = 尚无任何观察
status-off-ladder-description = 该状态已不在这类检查的状态阶梯上
na = —

## 错误

error-heading-400 = 无法理解这个请求
error-heading-404 = 未找到
error-heading-503 = 暂时无法提供服务
error-heading-500 = 出错了
error-back = 返回概览
error-internal = 我们这边出了问题，已记录在日志中。
error-unavailable = 数据库暂时无法访问，所以无法显示这些内容。请过一分钟再试。
error-no-page = 没有这个页面：{ $path }。
error-param-date-form = { $param }：“{ $value }”不是 YYYY-MM-DD 格式的日期
error-param-date-real = { $param }：“{ $value }”不是真实存在的日期
error-param-future = { $param }：{ $day } 是将来的日期；互通接受的日期从 { $earliest } 到今天（{ $today }）
error-param-too-early = { $param }：{ $day } 太早了；互通接受的日期从 { $earliest } 到今天（{ $today }）
error-param-range-reversed = from, to：起止日期颠倒了（from { $from } 晚于 to { $to }）
error-param-one-of = { $param }：“{ $value }”不是以下取值之一：{ $allowed }
error-param-page = page：“{ $value }”不是页码（1、2……）
error-param-lang = lang：“{ $value }”不是本站的语言；请使用 en 或 zh-CN（也接受 zh）
error-param-platform = platform：没有平台“{ $slug }”
error-no-check = 没有检查项“{ $id }”
error-check-kind = 检查项“{ $id }”的类型未知
error-check-page = 第 { $page } 页不存在：该检查项的观察记录共 { $pages } 页
error-no-platform = 目录中没有平台“{ $slug }”
error-no-source = 没有来源“{ $id }”
error-no-kind = 目录中没有检查类型“{ $kind }”
error-observation-id = observation：“{ $value }”不是观察记录编号（1、2……）
error-no-observation = 没有编号为 { $id } 的观察记录
error-no-snapshot = 观察记录 { $id } 没有保存原始页面
error-param-required = { $param }：必须给出，取值之一：{ $allowed }
error-no-endpoint = { $path } 没有 API 接口；请参阅 /api/v1
error-no-requirement = 没有监管要求“{ $id }”
error-no-chart-openness = 没有图表“{ $file }”：可用的有 openness-links.svg、openness-payments.png 等
error-no-chart-check = 没有图表“{ $file }”：检查项的图表是 /charts/checks/ID.svg 或 .png
error-no-chart-requirement = 没有图表“{ $file }”：监管要求的图表是 /charts/requirements/ID.svg 或 .png
