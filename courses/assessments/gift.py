"""Reading question banks written in Moodle's GIFT format (docs.moodle.org, "GIFT format").

``parse`` turns a file's text into questions, or into a list of errors that each name the line
they are on; it never half-succeeds. The importing service writes all the questions or none.

What is read: comments (``//``), titles (``::Title::``), a format tag (``[markdown]``,
``[html]``, ``[plain]``, ``[moodle]``, dropped), ``$CATEGORY:`` lines (their last part tags the
following questions with a learning objective), and these answer blocks:

- ``{}``: essay;
- ``{T}``, ``{TRUE}``, ``{F}``, ``{FALSE}``, with ``#feedback`` for a wrong and ``#feedback``
  for a right answer: true or false;
- ``{=right ~wrong ~wrong}``: single choice; ``{~%50%a ~%50%b ~%-100%c}``: multiple choice;
- ``{=answer =other answer}`` with no ``~``: short answer;
- ``{=prompt -> answer =prompt -> answer}``: matching;
- ``{#3.14:0.01}``, ``{#1..5}``, ``{# =3.14:0.01 =%50%3:0.5}``: numeric.

``%50%`` gives an answer's share of the points, ``#text`` its feedback; ``\\~ \\= \\# \\{ \\}
\\:`` and ``\\\\`` write those characters literally. Text after an answer block is kept in
the question ("The sun rises in the {=east} each morning" becomes "... ___ each morning").
The ordering type is not part of GIFT.

The whole parser is here rather than a package because the GIFT parsers on PyPI are
unmaintained and none reports the line of an error (docs/decisions/0009).
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from courses.assessments.grading import QuestionType

SPECIAL = "~=#{}:"
_WEIGHT = re.compile(r"^%(-?\d+(?:[.,]\d+)?)%")


@dataclass
class ParsedKey:
    text: str = ""
    fraction: Decimal = Decimal(0)
    feedback: str = ""
    match: str = ""
    value: Decimal | None = None
    tolerance: Decimal = Decimal(0)


@dataclass
class ParsedQuestion:
    line: int
    kind: str
    title: str
    text: str
    keys: list[ParsedKey] = field(default_factory=list)
    objective: str = ""
    general_feedback: str = ""


@dataclass(frozen=True)
class GiftError:
    line: int
    message: str


class _Source:
    """A question's text with the line each character came from, and the unescaped/escaped
    distinction kept: ``chars`` holds (character, escaped, line)."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.chars: list[tuple[str, bool, int]] = []
        for number, text in lines:
            index = 0
            while index < len(text):
                char = text[index]
                if char == "\\" and index + 1 < len(text):
                    following = text[index + 1]
                    if following in SPECIAL or following == "\\":
                        self.chars.append((following, True, number))
                        index += 2
                        continue
                    if following == "n":
                        self.chars.append(("\n", True, number))
                        index += 2
                        continue
                self.chars.append((char, False, number))
                index += 1
            self.chars.append(("\n", False, number))


def parse(text: str) -> tuple[list[ParsedQuestion], list[GiftError]]:
    questions: list[ParsedQuestion] = []
    errors: list[GiftError] = []
    objective = ""
    for chunk in _chunks(text):
        first_text = chunk[0][1]
        if first_text.lstrip().startswith("$CATEGORY:"):
            path = first_text.split(":", 1)[1].strip()
            objective = path.rstrip("/").rsplit("/", 1)[-1].strip()
            chunk = chunk[1:]
            if not chunk:
                continue
        try:
            question = _question(_Source(chunk), chunk[0][0])
        except _Refusal as refusal:
            errors.append(GiftError(refusal.line, refusal.message))
            continue
        question.objective = objective
        questions.append(question)
    if not questions and not errors:
        errors.append(GiftError(1, _("The file holds no questions.")))
    return questions, errors


def _chunks(text: str) -> list[list[tuple[int, str]]]:
    """Questions are separated by blank lines; comment lines are dropped."""
    chunks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if current:
                chunks.append(current)
                current = []
            continue
        current.append((number, line))
    if current:
        chunks.append(current)
    return chunks


class _Refusal(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _find(chars: list[tuple[str, bool, int]], target: str, start: int) -> int:
    """The index of the next unescaped ``target`` (a character or ``::``), or -1."""
    index = start
    while index < len(chars):
        char, escaped, _line = chars[index]
        if not escaped and char == target[0]:
            if len(target) == 1:
                return index
            if index + 1 < len(chars) and chars[index + 1][:2] == (target[1], False):
                return index
        index += 1
    return -1


def _text(chars: list[tuple[str, bool, int]]) -> str:
    return "".join(char for char, _escaped, _line in chars).strip()


def _question(source: _Source, line: int) -> ParsedQuestion:
    chars = source.chars
    title = ""
    body_start = 0
    stripped = _text(chars)
    if stripped.startswith("::"):
        opening = _find(chars, "::", 0)
        closing = _find(chars, "::", opening + 2)
        if closing < 0:
            raise _Refusal(line, _("The title is not closed with '::'."))
        title = _text(chars[opening + 2 : closing])
        body_start = closing + 2
    opening = _find(chars, "{", body_start)
    if opening < 0:
        raise _Refusal(line, _("No answer block: write the answers between '{' and '}'."))
    closing = _find(chars, "}", opening + 1)
    if closing < 0:
        raise _Refusal(chars[opening][2], _("The answer block opened here is not closed."))
    if _find(chars, "{", closing + 1) >= 0:
        raise _Refusal(chars[closing][2], _("A question can have only one answer block."))
    before = _strip_format(_text(chars[body_start:opening]))
    after = _text(chars[closing + 1 :])
    text = f"{before} ___ {after}".strip() if after else before
    if not text:
        raise _Refusal(line, _("The question has no text."))
    block = chars[opening + 1 : closing]
    block_line = chars[opening][2]
    kind, keys, general = _answers(block, block_line)
    return ParsedQuestion(
        line=line,
        kind=kind,
        title=title or _shorten(text),
        text=text,
        keys=keys,
        general_feedback=general,
    )


def _strip_format(text: str) -> str:
    return re.sub(r"^\[(markdown|html|plain|moodle)\]\s*", "", text)


def _shorten(text: str, limit: int = 80) -> str:
    single = " ".join(text.split())
    return single if len(single) <= limit else single[: limit - 1].rstrip() + "…"


def _split(block: list[tuple[str, bool, int]], marks: str) -> list[list[tuple[str, bool, int]]]:
    """The block cut before every unescaped character of ``marks`` (each part keeps its
    mark as its first character)."""
    parts: list[list[tuple[str, bool, int]]] = []
    for item in block:
        char, escaped, _line = item
        if not escaped and char in marks:
            parts.append([item])
        elif parts:
            parts[-1].append(item)
        elif char.strip():
            raise _Refusal(item[2], _("Start each answer with '=' or '~'."))
    return parts


def _answers(block: list[tuple[str, bool, int]], line: int) -> tuple[str, list[ParsedKey], str]:
    content = _text(block)
    general = ""
    # A general feedback after "####" belongs to the whole question.
    general_at = _find_run(block, "####")
    if general_at >= 0:
        general = _text(block[general_at + 4 :])
        block = block[:general_at]
        content = _text(block)
    if not content:
        return QuestionType.ESSAY, [], general
    upper = content.upper()
    first_word = upper.split("#", 1)[0].strip()
    if first_word in {"T", "TRUE", "F", "FALSE"}:
        return QuestionType.TRUE_FALSE, _true_false(block, first_word in {"T", "TRUE"}), general
    if content.startswith("#"):
        return QuestionType.NUMERIC, _numeric(block, line), general
    parts = _split(block, "=~")
    answers = [_answer(part) for part in parts]
    if not answers:
        raise _Refusal(line, _("The answer block has no answers."))
    if all("->" in answer.text for answer in answers):
        return QuestionType.MATCHING, _matching(answers, line), general
    if all(answer.mark == "=" for answer in answers):
        return QuestionType.SHORT_TEXT, _short(answers), general
    return _choice(answers, line), _choice_keys(answers), general


def _find_run(block: list[tuple[str, bool, int]], run: str) -> int:
    text = "".join(char if not escaped else "\0" for char, escaped, _line in block)
    return text.find(run)


@dataclass(frozen=True)
class _Answer:
    mark: str  # "=" or "~"
    text: str
    weight: Decimal | None  # from %50%, if written
    feedback: str
    line: int


def _answer(part: list[tuple[str, bool, int]]) -> _Answer:
    mark, _escaped, line = part[0]
    rest = part[1:]
    feedback_at = _find(rest, "#", 0)
    feedback = _text(rest[feedback_at + 1 :]) if feedback_at >= 0 else ""
    body = _text(rest[:feedback_at] if feedback_at >= 0 else rest)
    weight: Decimal | None = None
    found = _WEIGHT.match(body)
    if found:
        weight = Decimal(found.group(1).replace(",", ".")) / 100
        if not Decimal(-1) <= weight <= Decimal(1):
            raise _Refusal(line, _("A share of the points must be between -100% and 100%."))
        body = body[found.end() :].strip()
    if not body:
        raise _Refusal(line, _("An answer is empty."))
    return _Answer(mark, body, weight, feedback, line)


def _short(answers: list[_Answer]) -> list[ParsedKey]:
    return [
        ParsedKey(
            text=answer.text,
            fraction=Decimal(1) if answer.weight is None else answer.weight,
            feedback=answer.feedback,
        )
        for answer in answers
    ]


def _choice(answers: list[_Answer], line: int) -> str:
    rights = [answer for answer in answers if answer.mark == "="]
    weighted = [
        answer
        for answer in answers
        if answer.mark == "~" and answer.weight is not None and answer.weight > 0
    ]
    if len(answers) < 2:
        raise _Refusal(line, _("A choice question needs at least two options."))
    if rights and weighted:
        raise _Refusal(line, _("Mark right options either with '=' or with '~%50%', not both."))
    if len(rights) == 1:
        return QuestionType.SINGLE
    if len(rights) > 1:
        raise _Refusal(line, _("Only one option can be marked '='; use '~%50%' for several."))
    if not weighted:
        raise _Refusal(line, _("No option is marked right ('=' or a positive '~%…%')."))
    total = sum((answer.weight for answer in weighted if answer.weight is not None), Decimal(0))
    if abs(total - 1) > Decimal("0.01"):
        raise _Refusal(
            line,
            _("The right options' shares add up to %(total)s%%, not 100%%.")
            % {"total": f"{(total * 100).normalize():f}"},
        )
    return QuestionType.MULTIPLE


def _choice_keys(answers: list[_Answer]) -> list[ParsedKey]:
    keys = []
    for answer in answers:
        weight = answer.weight
        if weight is None:
            weight = Decimal(1) if answer.mark == "=" else Decimal(0)
        keys.append(ParsedKey(text=answer.text, fraction=weight, feedback=answer.feedback))
    return keys


def _matching(answers: list[_Answer], line: int) -> list[ParsedKey]:
    if len(answers) < 2:
        raise _Refusal(line, _("A matching question needs at least two pairs."))
    keys = []
    for answer in answers:
        if answer.mark != "=":
            raise _Refusal(answer.line, _("Write each pair of a matching question after '='."))
        prompt, _arrow, match = answer.text.partition("->")
        if not prompt.strip() or not match.strip():
            raise _Refusal(answer.line, _("A pair needs text on both sides of '->'."))
        keys.append(
            ParsedKey(
                text=prompt.strip(),
                match=match.strip(),
                fraction=Decimal(1),
                feedback=answer.feedback,
            )
        )
    return keys


def _true_false(block: list[tuple[str, bool, int]], truth: bool) -> list[ParsedKey]:
    feedbacks = [_text(part[1:]) for part in _split_feedback(block)]
    wrong_feedback = feedbacks[0] if feedbacks else ""
    right_feedback = feedbacks[1] if len(feedbacks) > 1 else ""
    return [
        ParsedKey(
            text="True",
            fraction=Decimal(1) if truth else Decimal(0),
            feedback=right_feedback if truth else wrong_feedback,
        ),
        ParsedKey(
            text="False",
            fraction=Decimal(0) if truth else Decimal(1),
            feedback=wrong_feedback if truth else right_feedback,
        ),
    ]


def _split_feedback(block: list[tuple[str, bool, int]]) -> list[list[tuple[str, bool, int]]]:
    parts: list[list[tuple[str, bool, int]]] = []
    for item in block:
        if not item[1] and item[0] == "#":
            parts.append([item])
        elif parts:
            parts[-1].append(item)
    return parts


def _numeric(block: list[tuple[str, bool, int]], line: int) -> list[ParsedKey]:
    rest = block[_find(block, "#", 0) + 1 :]
    if _find(rest, "=", 0) < 0:
        value_at = _find(rest, "#", 0)
        body = _text(rest[:value_at] if value_at >= 0 else rest)
        feedback = _text(rest[value_at + 1 :]) if value_at >= 0 else ""
        return [_number(body, Decimal(1), feedback, line)]
    keys = []
    for part in _split(rest, "="):
        answer = _answer(part)
        fraction = Decimal(1) if answer.weight is None else answer.weight
        keys.append(_number(answer.text, fraction, answer.feedback, answer.line))
    return keys


def _number(body: str, fraction: Decimal, feedback: str, line: int) -> ParsedKey:
    try:
        if ".." in body:
            low_text, high_text = body.split("..", 1)
            low, high = Decimal(low_text.strip()), Decimal(high_text.strip())
            if low > high:
                raise _Refusal(line, _("A range must go from the smaller number to the larger."))
            middle = (low + high) / 2
            return ParsedKey(
                text=body,
                value=middle,
                tolerance=high - middle,
                fraction=fraction,
                feedback=feedback,
            )
        value_text, _colon, tolerance_text = body.partition(":")
        value = Decimal(value_text.strip())
        tolerance = Decimal(tolerance_text.strip()) if tolerance_text.strip() else Decimal(0)
    except InvalidOperation as error:
        raise _Refusal(line, _("'%(text)s' is not a number.") % {"text": body}) from error
    if not value.is_finite() or not tolerance.is_finite() or tolerance < 0:
        raise _Refusal(line, _("'%(text)s' is not a number.") % {"text": body})
    return ParsedKey(
        text=body, value=value, tolerance=tolerance, fraction=fraction, feedback=feedback
    )
