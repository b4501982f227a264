"""The preprocess step: load the pipeline's dataset and split it into train and test rows.

Runs in the step process, never in the runner: it needs no store access, only the
``DataSource`` the runner resolved from the dataset registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tools.errors import InvalidInputError
from tools.pipelines.sources import DataSource

# Above this many distinct values a text column is treated as an identifier, not a category.
MAX_CATEGORIES = 50


@dataclass
class PreparedData:
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    summary: dict[str, Any] = field(default_factory=dict)


def prepare(source: DataSource, test_size: float, random_state: int) -> PreparedData:
    """Load the data, encode the features and make a stratified train/test split."""
    from sklearn.model_selection import train_test_split

    features, labels = _load(source)
    print(f"loaded {source.label}: {len(features)} rows, {features.shape[1]} columns")
    labels = labels.astype(str) if labels.dtype == object else labels
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise InvalidInputError(
            f"target {source.target!r} of {source.label} has one class; a classifier needs two"
        )
    stratify = labels if counts.min() >= 2 else None
    X_train, X_test, y_train, y_test = train_test_split(
        features, labels, test_size=test_size, random_state=random_state, stratify=stratify
    )
    X_train, X_test, names = _encode(X_train, X_test)
    print(f"split: {len(X_train)} train rows, {len(X_test)} test rows, {len(names)} features")
    summary = {
        "dataset": source.label,
        "rows": int(len(features)),
        "features": len(names),
        "classes": len(classes),
        "class_counts": {str(c): int(n) for c, n in zip(classes, counts, strict=True)},
        "train_rows": int(len(X_train)),
        "test_rows": int(len(X_test)),
    }
    return PreparedData(
        X_train=X_train,
        X_test=X_test,
        y_train=np.asarray(y_train),
        y_test=np.asarray(y_test),
        feature_names=names,
        class_names=[str(c) for c in classes],
        summary=summary,
    )


def _load(source: DataSource) -> tuple[pd.DataFrame, np.ndarray]:
    if source.kind == "sklearn":
        return _load_sklearn(source.name)
    frame = _read_table(source)
    if source.target not in frame.columns:
        raise InvalidInputError(
            f"{source.label} has no column {source.target!r}; set dataset.target in the "
            f"pipeline file to one of: {', '.join(map(str, frame.columns[:20]))}"
        )
    missing = [c for c in source.drop if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"dataset.drop names columns {missing} that {source.label} does not have"
        )
    labels = frame[source.target].to_numpy()
    features = frame.drop(columns=[source.target, *source.drop])
    return features, labels


def _load_sklearn(loader: str) -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{loader}")()
    names = [str(n) for n in getattr(bunch, "feature_names", [])] or [
        f"x{i}" for i in range(bunch.data.shape[1])
    ]
    return pd.DataFrame(bunch.data, columns=names), np.asarray(bunch.target)


def _read_table(source: DataSource) -> pd.DataFrame:
    assert source.path is not None
    path = Path(source.path)
    if not path.exists():
        raise InvalidInputError(
            f"the file of {source.label} is missing at {path}; register the dataset again"
        )
    # A folder of Parquet files is one dataset version too.
    kind = (source.format or path.suffix.lstrip(".")).lower()
    if kind == "csv":
        return pd.read_csv(path)
    if kind == "parquet":
        return pd.read_parquet(path)
    raise InvalidInputError(
        f"{source.label} is stored as {kind!r}; pipelines read csv or parquet datasets"
    )


def _encode(train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """One-hot encode text columns and fill gaps with the training medians."""
    text_columns = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
    too_many = [c for c in text_columns if train[c].nunique() > MAX_CATEGORIES]
    if too_many:
        raise InvalidInputError(
            f"columns {too_many} have more than {MAX_CATEGORIES} distinct text values; "
            "list identifier columns under dataset.drop in the pipeline file"
        )
    train = pd.get_dummies(train, columns=text_columns, dtype=float)
    test = pd.get_dummies(test, columns=text_columns, dtype=float)
    test = test.reindex(columns=train.columns, fill_value=0.0)
    medians = train.median(numeric_only=True)
    train = train.fillna(medians).fillna(0.0)
    test = test.fillna(medians).fillna(0.0)
    names = [str(c) for c in train.columns]
    return train.to_numpy(dtype=float), test.to_numpy(dtype=float), names
