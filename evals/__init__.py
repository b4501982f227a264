"""Evals that score the assistant, and benchmarks."""
