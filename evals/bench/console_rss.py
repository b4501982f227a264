"""Print the RSS of a process with the console's state, after it has handled the requests.

    python -m evals.bench.console_rss WORKSPACE_ROOT

The process opens the workspace's store, builds an ``Assistant``, reads its lexicon, answers
the 50 benchmark requests twice (which loads the knowledge index and the embedding model), and
prints one JSON line: current RSS, peak RSS and the number of requests, in MiB.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from evals.bench.generate import MANIFEST, Workspace
from evals.bench.memory import peak_rss_mb, rss_mb
from evals.bench.requests import requests_for
from evals.bench.results import ACTOR

PASSES = 2


def main(root: str) -> None:
    workspace = Workspace(**json.loads((Path(root) / MANIFEST).read_text()))
    os.environ["MODELPILOT_NOW"] = workspace.anchor
    from assistant.service import Assistant

    started_mb = rss_mb()
    assistant = Assistant(workspace.settings())
    assistant.lexicon()
    requests = requests_for(workspace)
    for number in range(PASSES):
        for i, text in enumerate(requests):
            assistant.ask(text, ACTOR, f"console-{number}-{i}")
    figures = {
        "rss_mb": round(rss_mb(), 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "after_imports_mb": round(started_mb, 1),
        "requests": PASSES * len(requests),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1])
