# 互通，简体中文：供研究者下载的数据集（/dataset.zip），以及图表如何表示未知与过时。

dataset-link = 下载全部数据（dataset.zip）
dataset-lede = 全部真实观察记录、来源、里程碑与监管要求，以及目录，以 CSV 和 JSON 两种格式打包为一个压缩文件，附元数据（覆盖范围、各文件行数及 SHA-256）。数据相同，文件字节即相同，便于引用和镜像。
dataset-title = 互通数据集
dataset-description = 互通掌握的全部真实观察记录（不含模拟数据），全部来源、里程碑与监管要求，以及目录（平台、支付方式、检查项及其状态等级），每项均提供 CSV 与 JSON。时间采用 ISO 8601，同时给出北京时间与 UTC。状态名称、引文与备注为英文；名称同时给出中文与英文。
dataset-licence = 互通整理的数据可按 MIT 或 Apache-2.0 许可使用（与互通本身相同），请注明出自互通。引文及所链接文章的权利归原发布者所有。

# 随时间变化的比例图：过时与未知单独表示，每个比例都说明基数。
charts-series-of-total = { $label }，占全部 { $total } 个检查项的比例
charts-band-not-open = 未开放
charts-band-not-compliant = 未合规
charts-band-stale = 证据过时（超过 { $days } 天）
charts-band-unknown = 未知
charts-desc-bands = { $date }，{ $stale } 的检查项证据已过时，{ $unknown } 状态未知；二者单独表示，从不计入“未开放”。
charts-table-not-open = 未开放
charts-table-not-compliant = 未合规
charts-table-stale = 过时
charts-table-unknown = 未知
charts-table-share-current = 开放（在证据未过时的检查项中）
charts-table-compliant-current = 合规（在证据未过时的检查项中）
charts-table-n-of = { $n } / { $of }（{ $share }）
charts-openness-links-subtitle-all = 每周全部真实链接检查项中证据未过时且开放（{ $statuses }）者的比例
charts-openness-payments-subtitle-all = 每周全部真实跨集团支付组合中证据未过时且开放（{ $statuses }）者的比例
charts-compliance-subtitle-all = 每周范围内检查项中证据未过时且合规者的比例（北京时间当日结束时）
