"""Dataset versions: reading CSV, Parquet and HDF5, profiles, quality checks and lineage."""

from tools.datasets.lineage import link_run_dataset
from tools.datasets.registry import Registration, register, register_dataset

__all__ = ["Registration", "link_run_dataset", "register", "register_dataset"]
