# 打印页面时代替页眉日期表单的文字。
print-as-of = 截至{ $date }
print-permalink = 永久链接：
print-simulated-omitted = 模拟平台矩阵（演示数据，并非真实数据）只在屏幕上显示，不打印。
