# 互通，简体中文：目录（catalog/kinds.toml）只有英文的数据的译文。

status-description-link-open = 链接在宿主应用内直接打开，没有提示页。
status-description-link-warned = 先出现安全提示；用户可以继续，页面随后打开。
status-description-link-token-only = 链接无法在应用内打开；用户必须复制口令或网址，到其他应用或浏览器中打开。
status-description-link-blocked = 访问被拒绝，没有继续的办法。
status-description-payment-accepted = 结账时提供该支付方式。
status-description-payment-accepted-not-default = 提供该支付方式，但默认选中的是另一种，用户须手动切换。
status-description-payment-pending = 应用已申请接入该支付方式，正在等待批准；尚未提供。
status-description-payment-not-accepted = 结账时不提供该支付方式。
status-description-qr-accepted = 该钱包可以扫描并支付这家机构的收款码。
status-description-qr-partial = 只有部分用户可以扫码（逐步开放中）。
status-description-qr-not-accepted = 该钱包无法支付这家机构的收款码。

# 非中文来源的标题（catalog/sources.toml 按原语言记录）的中文译文，中文页面显示在原标题旁。
source-title-caixin-2021-12-03 = 关于支付宝与银联联合28家机构在全国实现二维码扫码互认的报道
source-title-globaltimes-2024-09-taobao-wechat-pay = 关于淘宝、天猫向全部商家开放微信支付的报道
