"""Built-in tools, one module per domain; each module registers its tools on import."""
