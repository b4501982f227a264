"""Benchmarks at scale: a synthetic workspace, timed queries, and MLflow's client side by side.

    python -m evals.bench --scale 0.1 --out bench-out
    modelpilot bench --scale 1.0 --growth --out bench-out --report docs/benchmarks.md

The workspace is written straight into the store's DuckDB tables with bulk inserts, and the
MLflow comparison store is a SQLite file loaded with the same rows (see ``mlflow_store``).
"""
