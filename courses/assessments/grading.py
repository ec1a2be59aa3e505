"""Scoring one response to one question: pure functions, no database, no clock.

A question has keys (its options, accepted answers, pairs or items, ``Key``), each with a
fraction of the question's points (1 for a right answer, 0 for a wrong one, something between
for partial credit, negative for a wrong option of a multiple-choice question). A response is
what the student sent, as the API and the pages receive it. ``score`` returns the fraction
earned (0 to 1), the feedback of what the student chose, and whether it was fully right; an
essay returns ``None``: a person grades it.

Rules a student can rely on:
- single choice and true/false: the chosen option's fraction;
- multiple choice: the sum of the chosen options' fractions, kept between 0 and 1 (choosing
  every option of a question with wrong options does not earn full marks);
- numeric: the best fraction among answers the value is within the tolerance of (bounds
  included); a decimal comma is accepted ("3,5" is 3.5), as pupils in Kyrgyzstan write it;
- short text: the best fraction among accepted answers equal after ``normalise_text``;
- matching: the share of prompts matched to their answer;
- ordering: the share of neighbours in the right order (A before B where B follows A in the
  key), so one item out of place costs a little, not everything.
"""

import itertools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

ZERO = Decimal(0)
ONE = Decimal(1)


class QuestionType:
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    NUMERIC = "numeric"
    SHORT_TEXT = "short_text"
    MATCHING = "matching"
    ORDERING = "ordering"
    ESSAY = "essay"

    AUTO = (SINGLE, MULTIPLE, TRUE_FALSE, NUMERIC, SHORT_TEXT, MATCHING, ORDERING)
    ALL = (*AUTO, ESSAY)


@dataclass(frozen=True)
class Key:
    """One option, accepted answer, pair (``text`` → ``match``) or item of a question."""

    id: int
    text: str = ""
    fraction: Decimal = ZERO
    feedback: str = ""
    match: str = ""  # matching: the answer that belongs to this prompt
    value: Decimal | None = None  # numeric: the answer
    tolerance: Decimal = ZERO  # numeric: how far from it still counts
    position: int = 0  # ordering: the item's place in the right order


@dataclass(frozen=True)
class Outcome:
    fraction: Decimal
    correct: bool
    feedback: list[str] = field(default_factory=list)


# Cyrillic letters that look like a Latin letter in upper or lower case, and that letter. The
# map is one-to-one on Cyrillic, so two different Cyrillic words never become equal; it only
# forgives a Latin look-alike typed on the wrong keyboard layout, in either direction.
_LOOK_ALIKES = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "ѕ": "s",
        "і": "i",
        "ј": "j",
    }
)
_SPACES = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """The form in which short answers are compared: Unicode-normalised, case-folded, spaces
    trimmed and collapsed, Cyrillic look-alike letters written as their Latin twins."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", folded).strip().translate(_LOOK_ALIKES)


def parse_number(text: Any) -> Decimal | None:
    """A number as a pupil writes it: ``3.5``, ``3,5``, `` -2 ``; ``None`` if it is not one."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | Decimal):
        return Decimal(text)
    if not isinstance(text, str):
        return None
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def points_for(fraction: Decimal, points: Decimal) -> Decimal:
    return (fraction * points).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def score(question_type: str, keys: Sequence[Key], response: Mapping[str, Any]) -> Outcome | None:
    """What a response earns; ``None`` for an essay. A malformed response earns nothing (the
    API refuses malformed answers before they are saved; this is the last guard)."""
    if question_type == QuestionType.ESSAY:
        return None
    grader = _GRADERS.get(question_type)
    if grader is None:
        raise ValueError(f"unknown question type {question_type!r}")
    return grader(keys, response)


def _clamp(fraction: Decimal) -> Decimal:
    return max(ZERO, min(ONE, fraction))


def _outcome(fraction: Decimal, chosen: list[Key]) -> Outcome:
    fraction = _clamp(fraction)
    return Outcome(fraction, fraction == ONE, [key.feedback for key in chosen if key.feedback])


def _single(keys: Sequence[Key], response: Mapping[str, Any]) -> Outcome:
    chosen = [key for key in keys if key.id == response.get("option")]
    return _outcome(chosen[0].fraction if chosen else ZERO, chosen)


def _multiple(keys: Sequence[Key], response: Mapping[str, Any]) -> Outcome:
    picked = response.get("options")
    ids = {item for item in picked if isinstance(item, int)} if isinstance(picked, list) else set()
    chosen = [key for key in keys if key.id in ids]
    return _outcome(sum((key.fraction for key in chosen), ZERO), chosen)


def _numeric(keys: Sequence[Key], response: Mapping[str, Any]) -> Outcome:
    value = parse_number(response.get("value"))
    if value is None:
        return _outcome(ZERO, [])
    within = [
        key
        for key in keys
        if key.value is not None and abs(value - key.value) <= abs(key.tolerance)
    ]
    best = max(within, key=lambda key: key.fraction, default=None)
    return _outcome(best.fraction if best else ZERO, [best] if best else [])


def _short_text(keys: Sequence[Key], response: Mapping[str, Any]) -> Outcome:
    text = response.get("text")
    if not isinstance(text, str):
        return _outcome(ZERO, [])
    given = normalise_text(text)
    equal = [key for key in keys if normalise_text(key.text) == given]
    best = max(equal, key=lambda key: key.fraction, default=None)
    return _outcome(best.fraction if best else ZERO, [best] if best else [])


def _matching(keys: Sequence[Key], response: Mapping[str, Any]) -> Outcome:
    pairs = response.get("pairs")
    if not isinstance(pairs, dict) or not keys:
        return _outcome(ZERO, [])
    matched = [
        key
        for key in keys
        if isinstance(pairs.get(str(key.id)), str)
        and normalise_text(pairs[str(key.id)]) == normalise_text(key.match)
    ]
    return _outcome(Decimal(len(matched)) / Decimal(len(keys)), matched)


def _ordering(keys: Sequence[Key], response: Mapping[str, Any]) -> Outcome:
    order = response.get("order")
    ids = [key.id for key in sorted(keys, key=lambda key: (key.position, key.id))]
    if not isinstance(order, list) or sorted(map(str, order)) != sorted(map(str, ids)):
        return _outcome(ZERO, [])
    if len(ids) < 2:
        return _outcome(ONE, [])
    follows = {ids[index]: ids[index + 1] for index in range(len(ids) - 1)}
    given = [int(item) for item in order]
    right = sum(1 for first, second in itertools.pairwise(given) if follows.get(first) == second)
    return _outcome(Decimal(right) / Decimal(len(ids) - 1), [])


_GRADERS = {
    QuestionType.SINGLE: _single,
    QuestionType.TRUE_FALSE: _single,
    QuestionType.MULTIPLE: _multiple,
    QuestionType.NUMERIC: _numeric,
    QuestionType.SHORT_TEXT: _short_text,
    QuestionType.MATCHING: _matching,
    QuestionType.ORDERING: _ordering,
}
