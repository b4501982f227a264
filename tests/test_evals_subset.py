"""The per-category subset keeps every group of the gold set, in file order."""

from __future__ import annotations

from collections import Counter

import pytest

from evals.harness.gold import first_per_group, gold_files, load_items
from tools.errors import InvalidInputError


def test_subset_covers_every_group_with_at_most_n_items() -> None:
    items = load_items(gold_files())
    subset = first_per_group(items, 2)
    groups = Counter((item.workspace, item.category, item.language) for item in items)
    kept = Counter((item.workspace, item.category, item.language) for item in subset)
    assert kept == {group: min(count, 2) for group, count in groups.items()}
    positions = [items.index(item) for item in subset]
    assert positions == sorted(positions)


def test_subset_needs_a_positive_size() -> None:
    with pytest.raises(InvalidInputError, match="--per-category"):
        first_per_group(load_items(gold_files()), 0)
