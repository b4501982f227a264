"""The deployment gate: a small, safe boolean expression over metrics.

Examples: ``accuracy >= 0.95``, ``roc_auc >= 0.9 and f1 >= production.f1 - 0.02``,
``accuracy >= production - 0.005``. A bare name is a metric of the candidate. ``production.f1``
is the value of the version behind the production alias, and a bare ``production`` means the
production value of the one candidate metric in the same comparison.

The expression is parsed with ``ast`` and only numbers, metric names, ``production``, the
arithmetic operators ``+ - * /``, comparisons, ``and``, ``or``, ``not`` and parentheses are
accepted; nothing is ever passed to ``eval``. A comparison that needs a production value
passes when there is none (no production version yet, or it lacks that metric), so the
first version of a model can be deployed; the result says so.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tools.errors import InvalidInputError

PRODUCTION = "production"
MAX_EXPRESSION_CHARS = 500

_COMPARE: dict[type[ast.cmpop], tuple[str, Callable[[float, float], bool]]] = {
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
}
_ARITHMETIC: dict[type[ast.operator], tuple[str, Callable[[float, float], float]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
}


class GateError(InvalidInputError):
    """A gate expression is invalid or names a metric the candidate does not have."""


@dataclass(frozen=True)
class ClauseResult:
    """One comparison of the gate with the numbers it was decided on."""

    text: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class GateResult:
    expression: str
    passed: bool
    clauses: tuple[ClauseResult, ...]

    def reason(self) -> str:
        """Return why the gate failed (or passed): the failed clauses with their numbers."""
        chosen = [c for c in self.clauses if not c.passed] if not self.passed else self.clauses
        return "; ".join(c.detail for c in chosen)


@dataclass(frozen=True)
class Gate:
    expression: str
    tree: ast.Expression

    def metric_names(self) -> set[str]:
        """Return the candidate metrics and production metrics the expression reads."""
        names = {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(self.tree) if isinstance(n, ast.Attribute)}
        return names - {PRODUCTION}

    def evaluate(
        self, candidate: Mapping[str, float], production: Mapping[str, float] | None
    ) -> GateResult:
        """Decide the gate for the candidate's metrics against production's (None: no version)."""
        evaluator = _Evaluator(candidate, production)
        passed = evaluator.condition(self.tree.body)
        return GateResult(self.expression, passed, tuple(evaluator.clauses))


def parse_gate(expression: str) -> Gate:
    """Parse and check a gate expression, raising ``GateError`` for anything unsafe."""
    text = expression.strip()
    if not text:
        raise GateError("the gate expression is empty; write e.g. 'accuracy >= 0.95'")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise GateError(
            f"the gate expression has {len(text)} characters; keep it under {MAX_EXPRESSION_CHARS}"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise GateError(
            f"invalid gate expression {text!r}: {exc.msg}; write e.g. "
            "'accuracy >= 0.95 and accuracy >= production - 0.005'"
        ) from exc
    _check_condition(tree.body, text)
    return Gate(text, tree)


def _check_condition(node: ast.expr, text: str) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check_condition(value, text)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check_condition(node.operand, text)
    elif isinstance(node, ast.Compare):
        for part in (node.left, *node.comparators):
            _check_value(part, text)
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise _unsupported(op, text)
        _production_metric(node, text)
    else:
        raise GateError(
            f"gate expression {text!r} must be comparisons joined by and/or/not, "
            f"found {ast.unparse(node)!r}"
        )


def _check_value(node: ast.expr, text: str) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise GateError(f"gate expression {text!r} may only use numbers, not {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise GateError(f"invalid metric name {node.id!r} in gate expression {text!r}")
    elif isinstance(node, ast.Attribute):
        if not (isinstance(node.value, ast.Name) and node.value.id == PRODUCTION):
            raise GateError(
                f"gate expression {text!r} may only read attributes of 'production', "
                f"found {ast.unparse(node)!r}"
            )
        if node.attr.startswith("_"):
            raise GateError(f"invalid metric name {node.attr!r} in gate expression {text!r}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITHMETIC:
            raise _unsupported(node.op, text)
        _check_value(node.left, text)
        _check_value(node.right, text)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check_value(node.operand, text)
    else:
        raise GateError(
            f"gate expression {text!r} may not use {ast.unparse(node)!r}; only numbers, "
            "metric names, production.<metric>, + - * / and comparisons are allowed"
        )


def _unsupported(op: ast.AST, text: str) -> GateError:
    return GateError(
        f"gate expression {text!r} uses the unsupported operator {type(op).__name__}; "
        "use + - * / and < <= > >= == !="
    )


def _production_metric(compare: ast.Compare, text: str) -> str | None:
    """Return the metric a bare ``production`` in this comparison stands for."""
    nodes = [n for part in (compare.left, *compare.comparators) for n in ast.walk(part)]
    bare = any(isinstance(n, ast.Name) and n.id == PRODUCTION for n in nodes)
    if not bare:
        return None
    metrics = {n.id for n in nodes if isinstance(n, ast.Name) and n.id != PRODUCTION}
    if len(metrics) != 1:
        raise GateError(
            f"in {ast.unparse(compare)!r} of gate {text!r}, 'production' alone needs exactly "
            "one candidate metric in the same comparison; write production.<metric>"
        )
    return metrics.pop()


@dataclass
class _Value:
    number: float | None  # None: a production value that does not exist
    text: str


class _Evaluator:
    def __init__(
        self, candidate: Mapping[str, float], production: Mapping[str, float] | None
    ) -> None:
        self.candidate = candidate
        self.production = production
        self.clauses: list[ClauseResult] = []
        self._bare_metric: str | None = None

    def condition(self, node: ast.expr) -> bool:
        # Every clause is evaluated (no short-circuit) so the result can report each one.
        if isinstance(node, ast.BoolOp):
            results = [self.condition(value) for value in node.values]
            return all(results) if isinstance(node.op, ast.And) else any(results)
        if isinstance(node, ast.UnaryOp):
            return not self.condition(node.operand)
        assert isinstance(node, ast.Compare)
        return self._compare(node)

    def _compare(self, node: ast.Compare) -> bool:
        self._bare_metric = _production_metric(node, ast.unparse(node))
        values = [self.value(part) for part in (node.left, *node.comparators)]
        parts = [values[0].text]
        passed = True
        missing = False
        for op, left, right in zip(node.ops, values[:-1], values[1:], strict=True):
            symbol, compare = _COMPARE[type(op)]
            parts += [symbol, right.text]
            if left.number is None or right.number is None:
                missing = True
                continue
            passed = passed and compare(left.number, right.number)
        detail = " ".join(parts)
        if missing:
            detail += ": passed, because production has no value to compare with"
        else:
            detail += ": passed" if passed else ": failed"
        self.clauses.append(ClauseResult(ast.unparse(node), passed, detail))
        return passed

    def value(self, node: ast.expr) -> _Value:
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | float)  # checked by _check_value
            return _Value(float(node.value), repr(node.value))
        if isinstance(node, ast.Name) and node.id == PRODUCTION:
            assert self._bare_metric is not None
            return self._production(self._bare_metric)
        if isinstance(node, ast.Name):
            return self._candidate(node.id)
        if isinstance(node, ast.Attribute):
            return self._production(node.attr)
        if isinstance(node, ast.UnaryOp):
            inner = self.value(node.operand)
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
            number = None if inner.number is None else sign * inner.number
            return _Value(number, f"{'-' if sign < 0 else '+'}{inner.text}")
        assert isinstance(node, ast.BinOp)
        return self._arithmetic(node)

    def _arithmetic(self, node: ast.BinOp) -> _Value:
        left, right = self.value(node.left), self.value(node.right)
        symbol, apply = _ARITHMETIC[type(node.op)]
        text = f"({left.text} {symbol} {right.text}"
        if left.number is None or right.number is None:
            return _Value(None, text + ")")
        if symbol == "/" and right.number == 0:
            raise GateError(f"the gate divides by zero in {ast.unparse(node)!r}")
        number = apply(left.number, right.number)
        return _Value(number, f"{text} = {_fmt(number)})")

    def _candidate(self, metric: str) -> _Value:
        if metric not in self.candidate:
            known = ", ".join(sorted(self.candidate)) or "none"
            raise GateError(
                f"the gate reads metric {metric!r}, but the candidate has only: {known}; "
                "fix the gate expression"
            )
        number = float(self.candidate[metric])
        if math.isnan(number):
            raise GateError(f"the candidate's {metric!r} is NaN; the gate cannot decide")
        return _Value(number, f"{metric} {_fmt(number)}")

    def _production(self, metric: str) -> _Value:
        label = f"production.{metric}"
        if self.production is None:
            return _Value(None, f"{label} (no production version)")
        if metric not in self.production:
            return _Value(None, f"{label} (not recorded)")
        number = float(self.production[metric])
        return _Value(number, f"{label} {_fmt(number)}")


def _fmt(number: float) -> str:
    return f"{number:.4f}".rstrip("0").rstrip(".") if math.isfinite(number) else str(number)
