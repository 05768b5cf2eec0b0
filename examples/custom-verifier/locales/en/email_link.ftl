email_link-method = A link by e-mail
email_link-check-mail = We sent you an e-mail: open the link in it to verify your account.
email_link-used = This link was used already. Your account is verified: you can log in.
email_link-expired = This link has expired. Unconfirmed sign-ups are removed after a day: you can then sign up again.
