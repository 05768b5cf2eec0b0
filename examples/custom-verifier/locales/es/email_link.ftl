email_link-method = Un enlace por correo
email_link-check-mail = Te enviamos un correo: abre el enlace que contiene para verificar tu cuenta.
email_link-used = Este enlace ya se usó. Tu cuenta está verificada: puedes iniciar sesión.
email_link-expired = Este enlace ha caducado. Los registros sin confirmar se eliminan tras un día: luego podrás registrarte de nuevo.
