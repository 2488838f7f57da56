# Hutong, English: catalog data that the catalog keeps in English only, for the other
# languages to translate. English pages show the catalog's own text (catalog/kinds.toml,
# `description_en`); these entries mirror it so that every id exists in both languages.

status-description-link-open = The link opens in the host app with no warning page.
status-description-link-warned = A security notice comes first; the user can continue and the page opens.
status-description-link-token-only = The link does not open in the app; the user must copy a token (口令) or the URL to another app or a browser.
status-description-link-blocked = Access is refused with no way forward.
status-description-payment-accepted = The method is offered at checkout.
status-description-payment-accepted-not-default = The method is offered, but another one is pre-selected and the user must switch.
status-description-payment-pending = The app has applied to accept the method and awaits approval; not offered yet.
status-description-payment-not-accepted = The method is not offered at checkout.
status-description-qr-accepted = The wallet can scan and pay this provider's receiving codes.
status-description-qr-partial = Scanning works for some users only (gradual rollout).
status-description-qr-not-accepted = The wallet cannot pay this provider's receiving codes.

# Titles of sources in a language other than Chinese (catalog/sources.toml keeps them in
# their own language); Chinese pages show the Chinese rendering beside them.
source-title-caixin-2021-12-03 = Report on nationwide Alipay–UnionPay QR-code mutual scanning with 28 institutions
source-title-globaltimes-2024-09-taobao-wechat-pay = Report on Taobao and Tmall offering WeChat Pay to all merchants
