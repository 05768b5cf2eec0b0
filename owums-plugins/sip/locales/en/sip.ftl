# Page strings of the SIP verification method (added to the host's at startup).
sip-method = Mobile phone (a free call)
sip-call-free = The call is free: it is rejected automatically, and then your account is verified.
sip-reset-note = The call is free: it is rejected automatically, and then this page lets you choose a new password.
