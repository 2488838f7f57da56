# Hutong, English: the page shell (navigation, date form, footer).
nav-overview = Overview
