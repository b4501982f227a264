"""Typed tools over the metadata store and the services behind them."""
