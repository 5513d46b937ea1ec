"""Benchmarks and the scale-data generator (not tests: no timed assertions, numbers go to BENCHMARKS.md)."""
