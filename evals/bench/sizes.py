"""Row counts of each kind in a synthetic workspace of a given scale."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tools.errors import InvalidInputError

# Scale 1.0 is the default size the targets are stated for.
DEFAULT_RUNS = 200_000
DEFAULT_EXPERIMENTS = 2_000
DEFAULT_METRIC_POINTS = 10_000_000
DEFAULT_MODEL_VERSIONS = 5_000
DEFAULT_REGISTERED_MODELS = 100
DEFAULT_INFERENCE_RECORDS = 1_000_000
DEFAULT_KNOWLEDGE_CHUNKS = 10_000
DEFAULT_IMPORT_RUNS = 3_000


@dataclass(frozen=True)
class WorkspaceSize:
    """Row counts for one scale; the small floors keep a tiny scale meaningful."""

    scale: float
    runs: int
    experiments: int
    metric_points: int
    model_versions: int
    registered_models: int
    inference_records: int
    knowledge_chunks: int
    import_runs: int

    @classmethod
    def at(cls, scale: float) -> WorkspaceSize:
        if scale <= 0:
            raise InvalidInputError(f"scale {scale} is not positive; use e.g. 0.01, 0.1 or 1.0")

        def scaled(default: int, floor: int) -> int:
            return max(floor, round(default * scale))

        return cls(
            scale=scale,
            runs=scaled(DEFAULT_RUNS, 60),
            experiments=scaled(DEFAULT_EXPERIMENTS, 6),
            metric_points=scaled(DEFAULT_METRIC_POINTS, 3_000),
            model_versions=scaled(DEFAULT_MODEL_VERSIONS, 12),
            registered_models=scaled(DEFAULT_REGISTERED_MODELS, 4),
            inference_records=scaled(DEFAULT_INFERENCE_RECORDS, 2_000),
            knowledge_chunks=scaled(DEFAULT_KNOWLEDGE_CHUNKS, 40),
            import_runs=scaled(DEFAULT_IMPORT_RUNS, 20),
        )

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)
