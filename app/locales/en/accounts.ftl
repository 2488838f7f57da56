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
sign-in-no-accounts = Accounts are created by an admin; the first admin with the command `hutong user add LOGIN --role admin --name NAME`.
account-heading = Signed in as { $name }
account-login = Login
account-role = Role
account-organisation = Organisation
account-public-note = Pages credit your hand tests to: { $credit }
account-sign-out = Sign out
