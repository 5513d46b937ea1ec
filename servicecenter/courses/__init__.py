"""Programmes and citizens' courses (a minimal record for now; the courses issue builds it out)."""
