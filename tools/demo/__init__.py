"""The demo workspace, built from real training runs: see ``build_demo``."""
