"""BFCL-style matching of tool calls, fact checks and retrieval scores of the eval harness."""

from __future__ import annotations

import pytest

from evals.harness.facts import missing_facts, printed_numbers
from evals.harness.gold import parse_item
from evals.harness.matching import ActualCall, match_call, match_expected, with_run_ids
from evals.harness.retrieval import citation_scores
from evals.harness.runner import tool_defaults

RUN_ID = "5eedb907395547089acefe092e3d1a6b"


def _item(expected: dict, **extra: object):
    data = {
        "id": "t-1",
        "turns": ["q"],
        "language": "en",
        "category": "search_rank",
        "now": "2026-12-04T10:30:00Z",
        "workspace": "demo",
        "user": "dave",
        "expected": expected,
        **extra,
    }
    return parse_item(data)


def _call(name: str, arguments: dict, result: dict | None = None, mutating: bool = False):
    return ActualCall(name, {**tool_defaults(name), **arguments}, "ok", result or {}, mutating)


def _match(expected: dict, calls: list[ActualCall], text: str = "", options=()):
    return match_expected(_item(expected).expected, calls, text, list(options), tool_defaults)


SEARCH = {
    "tool_calls": [
        {
            "name": "search_runs",
            "arguments": {
                "experiment": ["churn"],
                "metric": ["f1_score", "f1"],
                "order": ["", "max"],
            },
        }
    ]
}


def test_accepted_value_matches_case_insensitively():
    verdict = _match(SEARCH, [_call("search_runs", {"experiment": "Churn", "metric": "f1"})])
    assert verdict.ok, verdict.reason


def test_wrong_value_fails_with_reason():
    verdict = _match(SEARCH, [_call("search_runs", {"experiment": "churn", "metric": "recall"})])
    assert not verdict.ok
    assert "metric='recall'" in verdict.reason


def test_missing_required_argument_fails():
    verdict = _match(SEARCH, [_call("search_runs", {"metric": "f1"})])
    assert not verdict.ok
    assert "experiment=None" in verdict.reason


def test_unexpected_argument_fails_but_presentation_ones_pass():
    extra = _match(
        SEARCH, [_call("search_runs", {"experiment": "churn", "metric": "f1", "status": "FAILED"})]
    )
    assert not extra.ok
    assert "unexpected argument status" in extra.reason
    shaped = _match(
        SEARCH, [_call("search_runs", {"experiment": "churn", "metric": "f1", "limit": 1})]
    )
    assert shaped.ok, shaped.reason


def test_wrong_tool_fails():
    verdict = _match(SEARCH, [_call("list_experiments", {})])
    assert not verdict.ok
    assert "called list_experiments instead" in verdict.reason


def test_alternative_call_set_passes():
    expected = {
        "tool_calls": [{"name": "get_model_version", "arguments": {"model": ["CNN"]}}],
        "alternatives": [[{"name": "list_model_versions", "arguments": {"model": ["CNN"]}}]],
    }
    assert _match(expected, [_call("list_model_versions", {"model": "CNN"})]).ok
    assert not _match(expected, [_call("list_models", {})]).ok


def test_run_lists_match_names_or_ids():
    expected = {
        "tool_calls": [
            {"name": "compare_runs", "arguments": {"runs": [[["svc-rbf", RUN_ID], "rf-200"]]}}
        ]
    }
    assert _match(expected, [_call("compare_runs", {"runs": ["rf-200", RUN_ID[:8]]})]).ok
    assert _match(expected, [_call("compare_runs", {"runs": ["rf-200", "svc-rbf"]})]).ok
    assert not _match(expected, [_call("compare_runs", {"runs": ["rf-200", RUN_ID[:6]]})]).ok
    assert not _match(expected, [_call("compare_runs", {"runs": ["rf-200"]})]).ok


def test_any_value_needs_the_argument():
    expected = {"tool_calls": [{"name": "acknowledge_alert", "arguments": {"alert_id": ["*"]}}]}
    assert _match(
        expected, [_call("acknowledge_alert", {"alert_id": "3ce075cb"}, mutating=True)]
    ).ok
    assert not _match(expected, [_call("acknowledge_alert", {"alert_id": None}, mutating=True)]).ok


def test_window_is_read_from_the_result():
    expected = {
        "tool_calls": [
            {
                "name": "search_runs",
                "arguments": {},
                "window": {"start": "2025-10-01T00:00:00Z", "end": "2025-11-01T00:00:00Z"},
            }
        ]
    }
    right = {"window": {"start": "2025-10-01T00:00:00+00:00", "end": "2025-11-01T00:00:00+00:00"}}
    wrong = {"window": {"start": "2025-09-01T00:00:00+00:00", "end": "2025-11-01T00:00:00+00:00"}}
    assert _match(expected, [_call("search_runs", {"period": "October 2025"}, right)]).ok
    verdict = _match(expected, [_call("search_runs", {"period": "last month"}, wrong)])
    assert not verdict.ok
    assert "window start" in verdict.reason
    assert not _match(expected, [_call("search_runs", {}, {"window": None})]).ok


def test_extra_change_request_fails_but_extra_read_passes():
    read = _call("workspace_overview", {})
    change = _call("set_alias", {"model": "m", "alias": "production", "version": 1}, mutating=True)
    match = _call("search_runs", {"experiment": "churn", "metric": "f1"})
    assert _match(SEARCH, [read, match]).ok
    verdict = _match(SEARCH, [match, change])
    assert not verdict.ok
    assert "unexpected change" in verdict.reason


def test_no_tool_call_and_forbidden_tools():
    expected = {"no_tool_call": True, "forbidden_tools": ["set_role"]}
    assert _match(expected, []).ok
    assert not _match(expected, [_call("get_user", {})]).ok
    verdict = _match(
        expected, [_call("set_role", {"name": "dave", "role": "admin"}, mutating=True)]
    )
    assert "forbidden tool set_role" in verdict.reason


def test_clarify_needs_a_question_and_no_action():
    expected = {"clarify": True}
    assert _match(expected, [], "Which model do you mean? a, b").ok
    assert _match(expected, [], "你指的是哪个模型？").ok
    assert _match(expected, [_call("list_models", {})], "Which one?").ok
    assert not _match(expected, [], "I can only help with this workspace.").ok
    assert not _match(expected, [_call("rollback_model", {"model": "m"}, mutating=True)], "?").ok


def test_match_call_accepts_default_for_omitted_argument():
    arguments = {"model": ["m"], "alias": ["production"]}
    item = _item({"tool_calls": [{"name": "alias_history", "arguments": arguments}]})
    call = _call("alias_history", {"model": "m"})
    assert match_call(item.expected.calls[0], call, tool_defaults("alias_history")).ok


@pytest.mark.parametrize(
    ("fact", "answer"),
    [
        (0.8123456, "f1 = 0.8123"),
        (0.8123456, "f1 is 0.81"),
        (0.8123456, "81.2%"),
        (1.0, "accuracy = 1"),
        (1.0, "accuracy = 1.0000"),
        (26560, "26,560 points"),
        (3, "共 3 个运行"),
        ("svc-RBF", "best is SVC-rbf (ab12)"),
        (["v8", "version 8"], "CNN has version 8"),
    ],
)
def test_facts_stated(fact, answer):
    assert missing_facts([fact], answer) == []


@pytest.mark.parametrize(
    ("fact", "answer"),
    [
        (0.8123456, "f1 = 0.8"),
        (0.8123456, "f1 = 0.82"),
        (0.98, "accuracy 1"),
        (3, "v3 and 31 runs"),
        (3, "3.5"),
        ("svc-rbf", "svc rbf"),
        (["v8", "version 8"], "CNN v9"),
    ],
)
def test_facts_not_stated(fact, answer):
    assert missing_facts([fact], answer) == [fact]


def test_printed_numbers_skip_dates_and_versions():
    values = [n.value for n in printed_numbers("on 2025-10-23, v3 scored 0.75")]
    assert values == [2025, 0.75]


def test_citation_scores():
    citations = [
        {"source": "/docs/a.md", "label": "a"},
        {"source": "model_card:fraud-detector/2", "label": "card"},
        {"source": "note:1", "label": "Team notes: fraud-detector"},
    ]
    recall, rank = citation_scores(["model_card:fraud-detector/", "Team notes"], citations)
    assert recall == 1.0
    assert rank == 0.5
    assert citation_scores(["missing.md"], citations) == (0.0, 0.0)


def test_run_named_in_item_matches_its_id():
    expected = _item(
        {
            "tool_calls": [
                {"name": "compare_runs", "arguments": {"runs": [["svc-rbf", "rf-200"]]}}
            ],
            "alternatives": [[{"name": "get_run", "arguments": {"run": ["svc-rbf"]}}]],
        }
    ).expected
    widened = with_run_ids(expected, {"svc-rbf": [RUN_ID], "rf-200": ["ab" * 16]})
    compare = _call("compare_runs", {"runs": [RUN_ID, "rf-200"]})
    get = _call("get_run", {"run": RUN_ID[:8]})
    assert match_expected(widened, [compare], "", [], tool_defaults).ok
    assert match_expected(widened, [get], "", [], tool_defaults).ok
    assert not match_expected(expected, [compare], "", [], tool_defaults).ok
