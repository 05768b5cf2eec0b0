# Page strings of the SIP verification method (added to the host's at startup).
sip-method = Cellulare (una chiamata gratuita)
sip-call-free = La chiamata è gratuita: viene rifiutata automaticamente e il tuo account risulta verificato.
sip-reset-note = La chiamata è gratuita: viene rifiutata automaticamente, poi questa pagina ti permette di scegliere una nuova password.
