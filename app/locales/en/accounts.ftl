# Accounts: signing in and out, roles, the account page (issue 13).
title-error = Error
title-sign-in = Sign in
title-account = Your account
error-heading-403 = Not allowed
error-heading-429 = Too many attempts
error-csrf = This form has expired or did not come from this site. Open the page again and resend it.
error-form = The form could not be read: { $reason }
error-form-too-large = The form is too large.
error-role-needed = This page needs the { $role } role.
role-contributor = contributor
role-reviewer = reviewer
role-admin = admin
sign-in-heading = Sign in
sign-in-intro = Accounts are for people who submit and review hand tests. Reading everything on Hutong needs no account.
sign-in-login = Login
sign-in-password = Password
sign-in-submit = Sign in
sign-in-wrong = Wrong login or password.
sign-in-limited = Too many sign-in attempts. Try again in { $seconds ->
    [one] one second
   *[other] { $seconds } seconds
}.
sign-in-no-accounts = Accounts are created by an admin; the first admin with this command:
account-heading = Signed in as { $name }
account-login = Login
account-role = Role
account-organisation = Organisation
account-public-note = Pages credit your hand tests to: { $credit }
account-sign-out = Sign out
# Submitting hand tests.
title-contribute = Submit a hand test
title-my-submissions = My submissions
account-link-contribute = Submit a hand test
account-link-mine = My submissions
contribute-heading = Submit a hand test
contribute-intro = Find the check you tested: search by a platform's or payment method's name, in English or Chinese.
contribute-search-label = Platform or payment method
contribute-search-submit = Search
contribute-no-match = No check matches that name.
contribute-mine-link = My submissions
contribute-form-heading = Hand test: { $check }
contribute-form-intro = What you write and attach is seen by reviewers only until one of them approves it; then it is published under your public name. Times are Beijing time.
contribute-errors = The hand test was not saved:
contribute-observed-at = When you observed it (Beijing time)
contribute-status = What you saw
contribute-vantage = Where you tested from
contribute-device = Device
contribute-os = Operating system and version
contribute-app = App (e.g. WeChat)
contribute-app-version = App version
contribute-network = Network (e.g. China Mobile 5G, home Wi-Fi)
contribute-network-region = Network region (e.g. Beijing)
contribute-account-region = The account's region
contribute-steps = Steps you took
contribute-seen = What you saw, in your words
contribute-screenshots = Screenshots: 1 to 5 PNG, JPEG or WebP images, at most 10 MiB each
contribute-submit = Submit for review
contribute-submitted = Hand test { $id } is saved and waits for review. It is not public until a reviewer approves it.
contribute-mine-heading = My submissions
contribute-mine-empty = You have not submitted any hand test yet.
contribute-new-link = Submit a hand test
contribute-published-link = published observation
contribute-col-id = No.
contribute-col-check = Check
contribute-col-observed = Observed (Beijing time)
contribute-col-status = Status
contribute-col-state = State
contribute-col-submitted = Submitted
contribute-col-screenshots = Screenshots
contribute-screenshot-alt = Screenshot { $n } of hand test { $id }
state-pending = waiting for review
state-approved = approved and published
state-rejected = rejected
state-returned = sent back with a question
error-no-check-id = No check has the id “{ $id }”.
error-no-submission = No submission { $id } that you may see.
error-field-required = { $field }: required.
error-field-too-long = { $field }: at most { $max ->
    [one] one character
   *[other] { $max } characters
}.
error-observed-at = When you observed it: give a date and time (Beijing time) between 2000 and now.
error-status-off-ladder = What you saw: choose one of the check's statuses.
error-screenshot-count = Attach 1 to 5 screenshots.
error-upload-too-large = The upload is too large: at most 5 screenshots of 10 MiB each.
error-upload-unreadable = The upload could not be read: { $reason }
error-screenshot = { $file }: { $reason }
screenshot-empty = the file is empty.
screenshot-too-large = the file is larger than 10 MiB.
screenshot-not-image = this is not a PNG, JPEG or WebP image, whatever its name says.
screenshot-too-many-pixels = the image is too large ({ $width } × { $height ->
    [one] one pixel
   *[other] { $height } pixels
}; at most 6000 on a side).
screenshot-damaged = the image is damaged or cut short.
