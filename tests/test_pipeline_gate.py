"""The gate expression evaluator and the pipeline definition's validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.errors import InvalidInputError
from tools.pipelines.definition import load_definition, parse_definition
from tools.pipelines.gate import GateError, parse_gate

BASE = {
    "name": "iris-train",
    "model": "iris-classifier",
    "owner": "bob",
    "dataset": "sklearn:iris",
    "entry_point": "tools.pipelines.trainers:logistic_regression",
}


def test_gate_passes_with_numbers() -> None:
    result = parse_gate("accuracy >= 0.95 and f1 > 0.9").evaluate(
        {"accuracy": 0.97, "f1": 0.93}, None
    )
    assert result.passed
    assert [c.passed for c in result.clauses] == [True, True]
    assert result.clauses[0].detail == "accuracy 0.97 >= 0.95: passed"


def test_gate_failure_names_clause_and_numbers() -> None:
    result = parse_gate("accuracy >= 0.95 and f1 > 0.9").evaluate(
        {"accuracy": 0.912, "f1": 0.93}, None
    )
    assert not result.passed
    assert result.reason() == "accuracy 0.912 >= 0.95: failed"


def test_gate_bare_production_means_same_metric() -> None:
    gate = parse_gate("accuracy >= 0.9 and accuracy >= production - 0.005")
    passed = gate.evaluate({"accuracy": 0.958}, {"accuracy": 0.96})
    failed = gate.evaluate({"accuracy": 0.95}, {"accuracy": 0.96})
    assert passed.passed
    assert not failed.passed
    assert "production.accuracy 0.96" in failed.reason()
    assert "= 0.955" in failed.reason()


def test_gate_production_attribute() -> None:
    gate = parse_gate("roc_auc >= production.roc_auc")
    assert gate.evaluate({"roc_auc": 0.91}, {"roc_auc": 0.9}).passed
    assert not gate.evaluate({"roc_auc": 0.89}, {"roc_auc": 0.9}).passed


def test_gate_without_production_version_passes_with_note() -> None:
    result = parse_gate("f1 >= production.f1 - 0.01").evaluate({"f1": 0.5}, None)
    assert result.passed
    assert "no production version" in result.clauses[0].detail


def test_gate_production_missing_metric_passes_with_note() -> None:
    result = parse_gate("f1 >= production").evaluate({"f1": 0.5}, {"accuracy": 0.9})
    assert result.passed
    assert "not recorded" in result.clauses[0].detail


def test_gate_or_not_and_chains() -> None:
    gate = parse_gate("not (accuracy < 0.5) and (f1 > 0.99 or 0.8 <= recall <= 1)")
    assert gate.evaluate({"accuracy": 0.7, "f1": 0.5, "recall": 0.85}, None).passed
    assert not gate.evaluate({"accuracy": 0.7, "f1": 0.5, "recall": 0.75}, None).passed


def test_gate_unknown_metric_is_an_error() -> None:
    gate = parse_gate("auc >= 0.9")
    with pytest.raises(GateError, match="'auc'.*accuracy"):
        gate.evaluate({"accuracy": 0.9}, None)


def test_gate_division_by_zero_is_an_error() -> None:
    with pytest.raises(GateError, match="divides by zero"):
        parse_gate("accuracy / 0 > 1").evaluate({"accuracy": 0.9}, None)


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('echo hacked') == 0",
        "accuracy.__class__ == 1",
        "open('/etc/passwd') == 1",
        "[x for x in (1, 2)] == 1",
        "accuracy ** 99999999 > 1",
        "(lambda: 1)() == 1",
        "(1 if accuracy else 2) == 1",
        "'a' < 'b'",
        "production.__dict__ == 1",
        "accuracy",
        "accuracy + 1",
        "True == accuracy",
        "metrics['f1'] > 0.5",
        "production > 0.5",
        "accuracy >= production + f1",
        "accuracy >= 0.9; import os",
        "x := 1",
        "_secret > 0",
        "",
        "a" * 600 + " > 1",
    ],
)
def test_gate_rejects_unsafe_or_invalid(expression: str) -> None:
    with pytest.raises(GateError):
        parse_gate(expression)


def test_definition_accepts_dataset_forms() -> None:
    registered = parse_definition({**BASE, "dataset": "fraud-transactions@2"}, "test")
    mapping = parse_definition(
        {**BASE, "dataset": {"name": "churn", "target": "churned", "drop": ["id"]}}, "test"
    )
    assert registered.dataset.name == "fraud-transactions"
    assert registered.dataset.version == 2
    assert registered.dataset.label() == "fraud-transactions v2"
    assert mapping.dataset.target == "churned"
    assert parse_definition(BASE, "test").dataset.loader == "iris"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": ["train", "preprocess"]}, "out of order"),
        ({"steps": ["preprocess", "train", "deploy"]}, "needs step 'register'"),
        ({"steps": ["preprocess", "train", "evaluate", "gate"]}, "no gate expression"),
        ({"steps": ["preprocess", "preprocess"]}, "twice"),
        ({"steps": ["preprocess", "publish"]}, "steps"),
        ({"entry_point": "not an entry point"}, "invalid entry point"),
        ({"dataset": "sklearn:mnist"}, "unknown scikit-learn loader"),
        ({"gate": "open('x') == 1"}, "gate"),
        ({"name": "bad name!"}, "invalid pipeline name"),
        ({"orchestrator": "airflow"}, "orchestrator"),
        ({"retries": 3}, "retries"),
    ],
)
def test_definition_rejects_invalid(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_definition({**BASE, **change}, "test.yaml")


def test_definition_file_errors_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="broken.yaml"):
        load_definition(broken)
