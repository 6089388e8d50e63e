"""Benchmark evaluation: statistics over per-episode results."""
