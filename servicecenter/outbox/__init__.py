"""Messages out: the outbox table, the senders (SMS and e-mail) and the delivery that runs after commit."""
