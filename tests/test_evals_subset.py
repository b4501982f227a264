"""The per-category subset keeps every group of the gold set, in file order."""

from __future__ import annotations

from collections import Counter

import pytest

from evals.harness.gold import first_per_group, gold_files, load_items
from tools.errors import InvalidInputError


def test_subset_caps_every_group() -> None:
    items = load_items(gold_files())
    subset = first_per_group(items, 2)
    groups = Counter((item.workspace, item.category, item.language) for item in items)
    subset_counts = Counter((item.workspace, item.category, item.language) for item in subset)
    assert subset_counts == {group: min(count, 2) for group, count in groups.items()}
    positions = [items.index(item) for item in subset]
    assert positions == sorted(positions)


def test_subset_rejects_zero_size() -> None:
    with pytest.raises(InvalidInputError, match="--per-category"):
        first_per_group(load_items(gold_files()), 0)
