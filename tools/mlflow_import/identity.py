"""Stable ids for imported rows, so importing the same store again maps to the same rows.

Runs keep MLflow's run ids (uuids, unique across stores). Experiment ids are small numbers
that collide across stores (every store has experiment "0"), so ours are derived from the
store's source key and MLflow's experiment id.
"""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://modelpilot.invalid/mlflow-import")


def experiment_id(source_key: str, external_id: str) -> str:
    return uuid.uuid5(_NAMESPACE, f"experiment\n{source_key}\n{external_id}").hex


def registered_model_id(source_key: str, name: str) -> str:
    return uuid.uuid5(_NAMESPACE, f"registered_model\n{source_key}\n{name}").hex


def model_version_id(source_key: str, name: str, version: int) -> str:
    return uuid.uuid5(_NAMESPACE, f"model_version\n{source_key}\n{name}\n{version}").hex


def note_id(entity_type: str, entity_id: str, kind: str) -> str:
    """Id of the one imported note of ``kind`` on an entity, replaced on each import."""
    return uuid.uuid5(_NAMESPACE, f"note\n{entity_type}\n{entity_id}\n{kind}").hex
