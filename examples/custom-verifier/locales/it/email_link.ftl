email_link-method = Un link per e-mail
email_link-check-mail = Ti abbiamo inviato un'e-mail: apri il link che contiene per verificare il tuo account.
email_link-used = Questo link è già stato usato. Il tuo account è verificato: puoi accedere.
email_link-expired = Questo link è scaduto. Le registrazioni non confermate vengono rimosse dopo un giorno: potrai poi registrarti di nuovo.
