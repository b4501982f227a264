"""MLflow's run search grammar, plus OR and parentheses, compiled to SQL conditions.

Accepted, as in MLflow: ``metrics.accuracy > 0.9``, ``params.max_depth = '5'``,
``tags.team = 'vision'``, ``attributes.status = 'FAILED'``, ``run_name LIKE 'rf%'``, ``IN`` and
``NOT IN`` lists, ``LIKE``/``ILIKE``, ``IS NULL``/``IS NOT NULL`` and backquoted keys such as
``metrics.`val acc```. Beyond MLflow: ``OR`` and parentheses, and the attributes ``task`` and
``experiment``. Metric conditions compare the run's latest value, as MLflow does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true
from sqlalchemy.sql import operators
from sqlmodel import col

from tools.clock import parse_instant
from tools.errors import InvalidInputError
from tools.store.schema import Experiment, LatestMetric, Run, RunParam, RunTag

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\()|(?P<rparen>\))|(?P<comma>,)|
        (?P<op>!=|>=|<=|=|>|<)|
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|
        (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|
        (?P<ident>(?:[A-Za-z_][\w]*\.)?(?:`[^`]+`|[\w.\-/:]+))
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "like", "ilike", "is", "null"}

_ENTITY_ALIASES = {
    "metric": "metrics",
    "metrics": "metrics",
    "param": "params",
    "params": "params",
    "parameter": "params",
    "parameters": "params",
    "tag": "tags",
    "tags": "tags",
    "attribute": "attributes",
    "attributes": "attributes",
    "attr": "attributes",
    "run": "attributes",
}
_ATTRIBUTES: dict[str, Any] = {
    "status": Run.status,
    "run_name": Run.name,
    "name": Run.name,
    "run_id": Run.id,
    "id": Run.id,
    "user_id": Run.user,
    "user": Run.user,
    "start_time": Run.start_time,
    "end_time": Run.end_time,
    "artifact_uri": Run.artifact_uri,
    "lifecycle_stage": Run.lifecycle_stage,
    "task": Run.task,
    "source_version": Run.source_version,
    "experiment_id": Run.experiment_id,
}


@dataclass
class _Token:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InvalidInputError(
                f"cannot read the filter near {text[position : position + 20]!r}; write conditions "
                "like metrics.accuracy > 0.9 and params.max_depth = '5'"
            )
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "ident" and value.lower() in _KEYWORDS:
            kind = value.lower()
        tokens.append(_Token(kind, value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.position = 0

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, kind: str | None = None) -> _Token:
        token = self.peek()
        if token is None or (kind is not None and token.kind != kind):
            expected = kind or "more input"
            found = token.text if token else "the end"
            raise InvalidInputError(
                f"invalid filter {self.text!r}: expected {expected}, found {found!r}"
            )
        self.position += 1
        return token

    def parse(self) -> ColumnElement[bool]:
        condition = self.expression()
        extra = self.peek()
        if extra is not None:
            raise InvalidInputError(f"invalid filter {self.text!r}: unexpected {extra.text!r}")
        return condition

    def expression(self) -> ColumnElement[bool]:
        terms = [self.term()]
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else or_(*terms)

    def term(self) -> ColumnElement[bool]:
        factors = [self.factor()]
        while (token := self.peek()) is not None and token.kind == "and":
            self.take()
            factors.append(self.factor())
        return factors[0] if len(factors) == 1 else and_(*factors)

    def factor(self) -> ColumnElement[bool]:
        token = self.peek()
        if token is not None and token.kind == "not":
            self.take()
            return not_(self.factor())
        if token is not None and token.kind == "lparen":
            self.take()
            inner = self.expression()
            self.take("rparen")
            return inner
        return self.comparison()

    def comparison(self) -> ColumnElement[bool]:
        entity, key = _split_identifier(self.take("ident").text)
        token = self.take()
        if token.kind == "is":
            following = self.peek()
            negate = following is not None and following.kind == "not"
            if negate:
                self.take()
            self.take("null")
            return _null_condition(entity, key, negate)
        if token.kind == "not":
            self.take("in")
            return not_(_condition(entity, key, "in", self.value_list()))
        if token.kind == "in":
            return _condition(entity, key, "in", self.value_list())
        if token.kind in ("like", "ilike", "op"):
            return _condition(entity, key, token.text.lower(), self.value())
        raise InvalidInputError(f"invalid filter {self.text!r}: expected an operator after {key!r}")

    def value(self) -> Any:
        token = self.take()
        if token.kind == "string":
            return token.text[1:-1].replace("\\'", "'").replace('\\"', '"')
        if token.kind == "number":
            return float(token.text)
        if token.kind == "ident" and token.text.lower() in ("true", "false"):
            return token.text.lower()
        raise InvalidInputError(
            f"invalid filter {self.text!r}: {token.text!r} is not a value; "
            "quote strings like 'FAILED'"
        )

    def value_list(self) -> list[Any]:
        self.take("lparen")
        values = [self.value()]
        while (token := self.peek()) is not None and token.kind == "comma":
            self.take()
            values.append(self.value())
        self.take("rparen")
        return values


def _split_identifier(text: str) -> tuple[str, str]:
    prefix, dot, rest = text.partition(".")
    entity = _ENTITY_ALIASES.get(prefix.lower()) if dot else None
    if entity is None:
        entity, rest = "attributes", text
    return entity, rest.strip('`"')


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "in":
        return column.in_(value)  # type: ignore[no-any-return]
    if op == "like":
        return column.like(value)  # type: ignore[no-any-return]
    if op == "ilike":
        return column.ilike(value)  # type: ignore[no-any-return]
    table = {
        "=": operators.eq,
        "!=": operators.ne,
        ">": operators.gt,
        ">=": operators.ge,
        "<": operators.lt,
        "<=": operators.le,
    }
    return table[op](column, value)  # type: ignore[no-any-return]


def _condition(entity: str, key: str, op: str, value: Any) -> ColumnElement[bool]:
    if entity == "metrics":
        if op in ("like", "ilike"):
            raise InvalidInputError(f"LIKE does not apply to metric {key!r}; compare with > or <")
        numbers = [float(v) for v in value] if isinstance(value, list) else float(value)
        return exists(
            select(col(LatestMetric.run_id)).where(
                col(LatestMetric.run_id) == col(Run.id),
                col(LatestMetric.key) == key,
                _compare(LatestMetric.value, op, numbers),
            )
        )
    if entity in ("params", "tags"):
        table: Any = RunParam if entity == "params" else RunTag
        text_value = [_as_text(v) for v in value] if isinstance(value, list) else _as_text(value)
        if op == "!=":
            return not_(_condition(entity, key, "=", value))
        return exists(
            select(table.run_id).where(
                table.run_id == Run.id, table.key == key, _compare(table.value, op, text_value)
            )
        )
    return _attribute_condition(key, op, value)


def _attribute_condition(key: str, op: str, value: Any) -> ColumnElement[bool]:
    name = key.lower()
    if name in ("experiment", "experiment_name"):
        return exists(
            select(col(Experiment.id)).where(
                col(Experiment.id) == col(Run.experiment_id), _compare(Experiment.name, op, value)
            )
        )
    column = _ATTRIBUTES.get(name)
    if column is None:
        known = ", ".join(sorted(_ATTRIBUTES))
        raise InvalidInputError(
            f"unknown run attribute {key!r}; use one of {known}, or metrics./params./tags."
        )
    if name in ("start_time", "end_time"):
        value = [_as_time(v) for v in value] if isinstance(value, list) else _as_time(value)
    elif name == "status":
        value = [str(v).upper() for v in value] if isinstance(value, list) else str(value).upper()
    return _compare(column, op, value)


def _null_condition(entity: str, key: str, negate: bool) -> ColumnElement[bool]:
    if entity in ("metrics", "params", "tags"):
        table: Any = {"metrics": LatestMetric, "params": RunParam, "tags": RunTag}[entity]
        present = exists(select(table.run_id).where(table.run_id == Run.id, table.key == key))
        return present if negate else not_(present)
    column = _ATTRIBUTES.get(key.lower())
    if column is None:
        return false() if not negate else true()
    return column.is_not(None) if negate else column.is_(None)


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_time(value: Any) -> datetime:
    if isinstance(value, float):
        # MLflow compares times as epoch milliseconds.
        return parse_instant(datetime.fromtimestamp(value / 1000).isoformat() + "+00:00")
    return parse_instant(str(value))


def compile_filter(text: str) -> ColumnElement[bool]:
    """Compile a search expression into a SQL condition on ``run``; raise InvalidInputError."""
    if not text.strip():
        return true()
    return _Parser(text).parse()
