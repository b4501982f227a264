"""Training pipelines: declared in YAML, run step by step, recorded in the store.

- ``definition``: the pipeline file (steps, dataset, entry point, params, gate, owner).
- ``launch.trigger_pipeline_run``: queue a run and start it (also available from here).
- ``runner``: runs one pipeline run; ``local`` and ``ray_backend`` run its compute steps.
- ``gate``: the safe gate expression evaluator.
- ``reconcile``: closes runs whose runner died.
"""

from __future__ import annotations

from typing import Any

__all__ = ["trigger_pipeline_run"]


def __getattr__(name: str) -> Any:
    # Resolved on access, so importing one submodule stays light and a patched
    # ``launch.trigger_pipeline_run`` is what callers of the package get.
    if name == "trigger_pipeline_run":
        from tools.pipelines import launch

        return launch.trigger_pipeline_run
    raise AttributeError(f"module 'tools.pipelines' has no attribute {name!r}")
