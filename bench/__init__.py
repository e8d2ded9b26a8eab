"""Benchmarks: the real bot against the emulated Bot API and provider, figures printed, never asserted."""
