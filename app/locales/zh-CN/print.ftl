# 打印页面时代替页眉日期表单的文字。
print-as-of = 截至{ $date }
print-permalink = 永久链接：
print-simulated-omitted = 模拟平台矩阵（演示数据，并非真实数据）只在屏幕上显示，不打印。
# 不只用于打印：模拟平台检查项页面顶部的横幅。
check-simulated-banner = 模拟检查项（演示）——并非真实数据。两个平台都只存在于互通内置的模拟器中，这里的任何内容都不计入真实数字。
