"""``python -m evals.bench``: build a synthetic workspace, time everything, write the report."""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from evals.bench.command import execute
from evals.bench.results import Options
from evals.bench.runner import RunConfig


def parse(argv: list[str]) -> tuple[RunConfig, Path | None, Path | None]:
    parser = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__)
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="workspace size; 1.0 is 200k runs and 10M metric points",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("bench-out"),
        help="folder for benchmarks.json, benchmarks.md and the workspaces",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="folder for the generated workspaces (default: OUT/work)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        help="write the Markdown report here, e.g. docs/benchmarks.md",
    )
    parser.add_argument(
        "--growth",
        action="store_true",
        help="also run at a tenth of the scale and report how figures grow",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse workspaces and MLflow stores built before in the work folder",
    )
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per measure")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls before timing")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generator")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow side")
    parser.add_argument("--no-memory", action="store_true", help="skip memory measures")
    parser.add_argument(
        "--no-console", action="store_true", help="skip the console process RSS measure"
    )
    parser.add_argument(
        "--real-corpus",
        action="store_true",
        help="embed the whole retrieval corpus with MiniLM (slow)",
    )
    parser.add_argument(
        "--index-sample", type=int, default=200, help="chunks embedded with MiniLM to time indexing"
    )
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated measure groups to run, merged into OUT/benchmarks.json "
        "(search, runs, registry, monitoring, planner, retrieval, indexing, import, console)",
    )
    parser.add_argument(
        "--render",
        type=Path,
        default=None,
        help="only write the Markdown report again from this benchmarks.json",
    )
    parser.add_argument(
        "--import-runs",
        type=int,
        default=None,
        help="runs in the mlruns folder of the import measure (default: scaled)",
    )
    args = parser.parse_args(argv)
    options = Options(
        repeat=args.repeat,
        warmup=args.warmup,
        memory=not args.no_memory,
        mlflow=not args.no_mlflow,
        real_corpus=args.real_corpus,
        index_sample=args.index_sample,
        import_runs=args.import_runs,
    )
    config = RunConfig(
        scale=args.scale, out=args.out, work=args.work, growth=args.growth, reuse=args.reuse,
        seed=args.seed, console=not args.no_console, options=options,
        only=args.only.split(",") if args.only else None,
    )  # fmt: skip
    return config, args.report, args.render


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("httpx", "chromadb", "alembic", "mlflow", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config, report, render = parse(arguments)
    if render is not None:
        rerender(render, report or render.with_suffix(".md"))
        return
    command = shlex.join(["python", "-m", "evals.bench", *arguments])
    json_path, markdown_path = execute(config, report, command)
    print(f"results: {json_path}\nreport: {markdown_path}")


def rerender(results: Path, report: Path) -> None:
    """Write the Markdown report again from a results file, with the run's own command."""
    from evals.bench.report import write_markdown
    from evals.bench.stored import load_run

    run = load_run(results)
    write_markdown(run, report, run.command)
    print(f"report: {report}")


if __name__ == "__main__":
    main()
