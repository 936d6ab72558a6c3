"""E-mail alerts through the council's SMTP relay: who gets which alerts, what a load brings, and sending them."""
