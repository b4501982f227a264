"""Check that an answer states the facts an item requires, with tolerant number formatting.

A string fact must appear in the answer, ignoring case and runs of white space. A number fact
must appear as a number that rounds to it at the precision the answer printed: 0.8123 is
stated by "0.812", "0.81" or "81.2%", but not by "1" or "0.8". Integers must appear exactly,
as a whole number ("3" is not found inside "31" or "v3.1").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from evals.harness.gold import Fact

# A number, possibly with thousands separators, a decimal part and a percent sign.
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.\-])(-?\d{1,3}(?:,\d{3})+|-?\d+)(\.\d+)?(\s?%)?(?![\d])")
_SPACES = re.compile(r"\s+")
# A printed non-integer must carry at least this many significant digits to state a fact.
MIN_SIGNIFICANT_DIGITS = 2


@dataclass(frozen=True)
class PrintedNumber:
    value: float
    decimals: int
    percent: bool


def printed_numbers(text: str) -> list[PrintedNumber]:
    """Every number written in ``text``, with the decimals it was printed with."""
    numbers = []
    for match in _NUMBER.finditer(text):
        whole, fraction, percent = match.group(1), match.group(2) or "", match.group(3)
        value = float(whole.replace(",", "") + fraction)
        numbers.append(PrintedNumber(value, max(len(fraction) - 1, 0), bool(percent)))
    return numbers


def states_number(fact: int | float, numbers: Iterable[PrintedNumber]) -> bool:
    """Whether one of ``numbers`` states ``fact``: an int exactly, a float after rounding."""
    for number in numbers:
        value, decimals = number.value, number.decimals
        if number.percent:
            value, decimals = value / 100, decimals + 2
        if isinstance(fact, int):
            if decimals == 0 and not number.percent and value == fact:
                return True
            continue
        # A whole-number float (accuracy 1.0) may be printed without decimals.
        exact = float(fact).is_integer() and value == fact
        if not (exact or _precise_enough(value, decimals)):
            continue
        if abs(value - fact) <= 0.5 * 10**-decimals + 1e-12:
            return True
    return False


def _precise_enough(value: float, decimals: int) -> bool:
    if value == 0:
        return decimals >= MIN_SIGNIFICANT_DIGITS
    leading = math.floor(math.log10(abs(value)))
    return decimals + leading + 1 >= MIN_SIGNIFICANT_DIGITS


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def states_text(fact: str, answer: str) -> bool:
    return _normalise(fact) in _normalise(answer)


def states_fact(fact: Fact, answer: str, numbers: Sequence[PrintedNumber]) -> bool:
    """Whether the answer states ``fact``; a list of wordings needs any one of them."""
    if isinstance(fact, list):
        return any(states_fact(wording, answer, numbers) for wording in fact)
    if isinstance(fact, bool) or not isinstance(fact, int | float):
        return states_text(str(fact), answer)
    return states_number(fact, numbers)


def missing_facts(facts: Sequence[Fact], answer: str) -> list[Fact]:
    """Return the facts the answer does not state."""
    numbers = printed_numbers(answer)
    return [fact for fact in facts if not states_fact(fact, answer, numbers)]
