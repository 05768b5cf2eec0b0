# Testi delle pagine del metodo indirizzo MAC (aggiunti a quelli dell'host all'avvio).
mac_address-method = Registrazione dispositivi (indirizzo MAC)
mac_address-not-a-method = Registrare un dispositivo non verifica un account: verificalo con un altro metodo, poi registra i tuoi dispositivi nella pagina del tuo account.
