"""Experiments, runs, params, tags and metrics: queries over the tracking tables."""
