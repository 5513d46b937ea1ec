"""Training of citizens, relatives and staff; follow-up conversations; the staff competence matrix."""
