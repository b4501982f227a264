"""Sub-commands of the ``modelpilot`` CLI; each module exposes ``register(app)``."""
