"""Model registry services: versions, aliases, deployments, promotions, users, notes and audit.

Each mutation comes in two halves that take the caller's session: ``plan_*`` reads the rows
the change depends on and returns what will change with a fingerprint of those rows, and
``apply_*`` writes the change in the same transaction. The tools in ``tools.catalog`` call
``plan_*`` once to ask for confirmation and again, with ``apply_*``, when it is confirmed.
"""
