"""The background runner process: ``python -m tools.pipelines.worker PIPELINE_RUN_ID``."""

from __future__ import annotations

import logging
import sys

from tools.errors import ModelPilotError
from tools.settings import get_settings
from tools.store.db import open_store

log = logging.getLogger("tools.pipelines.worker")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tools.pipelines.worker PIPELINE_RUN_ID", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from tools.pipelines.runner import PipelineRunner

    settings = get_settings()
    try:
        status = PipelineRunner(open_store(settings), settings, argv[1]).execute()
    except ModelPilotError as exc:
        log.error("pipeline run %s could not start: %s", argv[1], exc)
        return 1
    return 0 if status == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
