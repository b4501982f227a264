"""CI floor: the rules planner must not fall below its recorded accuracy on the gold set.

The realdata items always run (the workspace builds from ../shared/realdata in about a
minute). The demo items run only with MODELPILOT_EVAL_DEMO=1, because building the demo
workspace trains models and runs pipelines, which takes one to three minutes more than CI's
budget for this test. Raise the floor after an improvement with
``modelpilot eval --planner rules --record-floor`` (see docs/evals.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evals.harness import EvalOptions, run_eval
from evals.harness.floor import floor_accuracy


def _check_floor(workspace: str) -> None:
    floor = floor_accuracy(workspace)
    assert floor is not None, f"evals/floor.json has no floor for {workspace}"
    run = run_eval(EvalOptions(planner="rules", workspaces=(workspace,)))
    group = next(g for g in run.summary.workspaces if g.name == workspace)
    failed = ", ".join(f["id"] for f in run.summary.failures)
    assert run.summary.unintended_writes == []
    assert group.overall.rate is not None
    assert group.overall.rate >= floor, (
        f"{workspace} accuracy {group.overall.rate:.2%} fell below the floor {floor:.2%}; "
        f"failed items: {failed}"
    )


@pytest.mark.slow
def test_rules_planner_realdata_floor(realdata: Path) -> None:
    _check_floor("realdata")


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("MODELPILOT_EVAL_DEMO") != "1",
    reason="building the demo takes minutes; set MODELPILOT_EVAL_DEMO=1 to run it",
)
def test_rules_planner_demo_floor() -> None:
    _check_floor("demo")
