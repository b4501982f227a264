"""``modelpilot bench``: benchmarks at scale, side by side with MLflow's client."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer


def bench(
    scale: float = typer.Option(
        1.0, "--scale", min=0.0001, help="Workspace size; 1.0 is 200k runs and 10M metric points."
    ),
    out: Path = typer.Option(
        Path("bench-out"), "--out", help="Folder for benchmarks.json, benchmarks.md and data."
    ),
    work: Path | None = typer.Option(
        None, "--work", help="Folder for the generated workspaces (default: OUT/work)."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Write the Markdown report here, e.g. docs/benchmarks.md."
    ),
    growth: bool = typer.Option(
        False, "--growth", help="Also run at a tenth of the scale and report the growth."
    ),
    reuse: bool = typer.Option(
        False, "--reuse", help="Reuse workspaces and MLflow stores built before in --work."
    ),
    repeat: int = typer.Option(30, "--repeat", min=1, help="Timed calls per measure."),
    warmup: int = typer.Option(3, "--warmup", min=0, help="Untimed calls before timing."),
    seed: int = typer.Option(7, "--seed", help="Random seed of the generator."),
    mlflow: bool = typer.Option(True, "--mlflow/--no-mlflow", help="Time MLflow's client too."),
    memory: bool = typer.Option(True, "--memory/--no-memory", help="Measure memory too."),
    console: bool = typer.Option(
        True, "--console/--no-console", help="Measure the RSS of a console-like process."
    ),
    real_corpus: bool = typer.Option(
        False, "--real-corpus", help="Embed the whole retrieval corpus with MiniLM (slow)."
    ),
    index_sample: int = typer.Option(
        200, "--index-sample", min=1, help="Chunks embedded with MiniLM to time indexing."
    ),
    import_runs: int | None = typer.Option(
        None, "--import-runs", min=1, help="Runs of the import measure (default: scaled)."
    ),
    only: str | None = typer.Option(
        None,
        "--only",
        help="Comma-separated measure groups to run (demo, search, runs, registry, "
        "monitoring, planner, retrieval, indexing, import, console), merged into "
        "OUT/benchmarks.json.",
    ),
) -> None:
    """Build a synthetic workspace, time queries, tools, the planner, knowledge and import."""
    # The benchmark imports MLflow, numpy and the knowledge index; keep them off `ask`'s path.
    from evals.bench.command import execute
    from evals.bench.results import Options
    from evals.bench.runner import RunConfig

    options = Options(
        repeat=repeat, warmup=warmup, memory=memory, mlflow=mlflow, real_corpus=real_corpus,
        index_sample=index_sample, import_runs=import_runs,
    )  # fmt: skip
    config = RunConfig(
        scale=scale, out=out, work=work, growth=growth, reuse=reuse, seed=seed,
        console=console, options=options, only=only.split(",") if only else None,
    )  # fmt: skip
    command = shlex.join(["modelpilot", "bench", "--scale", f"{scale:g}", "--out", str(out)])
    if growth:
        command += " --growth"
    if report is not None:
        command += f" --report {shlex.quote(str(report))}"
    json_path, markdown_path = execute(config, report, command)
    typer.echo(f"results: {json_path}\nreport: {markdown_path}")


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)
