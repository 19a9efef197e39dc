"""Benchmarks (`make bench`): speed is measured here, never in timed unit tests."""
