# Textos de las páginas del método dirección MAC (añadidos a los del host al arrancar).
mac_address-method = Registro de dispositivos (dirección MAC)
mac_address-not-a-method = Registrar un dispositivo no verifica una cuenta: verifícala con otro método y después registra tus dispositivos en la página de tu cuenta.
