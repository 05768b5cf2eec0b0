# Page strings of the SIP verification method (added to the host's at startup).
sip-method = Teléfono móvil (una llamada gratuita)
sip-call-free = La llamada es gratuita: se rechaza automáticamente y tu cuenta queda verificada.
sip-reset-note = La llamada es gratuita: se rechaza automáticamente y después esta página te deja elegir una nueva contraseña.
