"""Grading correctness for every question type, with property-based tests for numeric
tolerance and short-text normalisation (courses/assessments/grading.py)."""

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from courses.assessments.grading import (
    Key,
    QuestionType,
    normalise_text,
    parse_number,
    points_for,
    score,
)

D = Decimal
CYRILLIC_LOOK_ALIKES = "авекмнорстухѕіј"
LATIN_TWINS = "abekmhopctyxsij"


# --- single choice and true/false -----------------------------------------------------------
CAPITAL = [
    Key(1, "Бишкек", D(1), "Туура!"),
    Key(2, "Ош", D(0), "Ош — түштүк борбору."),
    Key(3, "Каракол", D(0)),
]


@pytest.mark.parametrize("kind", [QuestionType.SINGLE, QuestionType.TRUE_FALSE])
def test_single_choice_earns_the_chosen_options_fraction_and_feedback(kind: str) -> None:
    right = score(kind, CAPITAL, {"option": 1})
    wrong = score(kind, CAPITAL, {"option": 2})
    assert right is not None
    assert wrong is not None
    assert (right.fraction, right.correct, right.feedback) == (D(1), True, ["Туура!"])
    assert (wrong.fraction, wrong.correct, wrong.feedback) == (
        D(0),
        False,
        ["Ош — түштүк борбору."],
    )


@pytest.mark.parametrize(
    "response",
    [{}, {"option": None}, {"option": 99}, {"option": "1"}, {"option": [1]}, {"options": [1]}],
)
def test_a_malformed_or_unknown_single_choice_earns_nothing(response: dict[str, object]) -> None:
    outcome = score(QuestionType.SINGLE, CAPITAL, response)
    assert outcome is not None
    assert (outcome.fraction, outcome.correct) == (D(0), False)


# --- multiple choice -------------------------------------------------------------------------
PRIMES = [
    Key(1, "2", D("0.5"), "2 жөнөкөй сан."),
    Key(2, "3", D("0.5")),
    Key(3, "4", D("-0.5"), "4 = 2 × 2."),
    Key(4, "9", D("-0.5")),
]


@pytest.mark.parametrize(
    ("chosen", "fraction"),
    [
        ([1, 2], D(1)),
        ([1], D("0.5")),
        ([1, 3], D(0)),
        ([1, 2, 3], D("0.5")),
        ([1, 2, 3, 4], D(0)),  # choosing everything does not pay
        ([3, 4], D(0)),  # never below zero
        ([1, 1, 1], D("0.5")),  # a repeated option counts once
        ([], D(0)),
        (["1", None, {"x": 1}], D(0)),
    ],
)
def test_multiple_choice_gives_partial_credit_between_zero_and_one(
    chosen: list[object], fraction: Decimal
) -> None:
    outcome = score(QuestionType.MULTIPLE, PRIMES, {"options": chosen})
    assert outcome is not None
    assert outcome.fraction == fraction
    assert outcome.correct is (fraction == 1)


def test_multiple_choice_returns_the_feedback_of_each_chosen_option() -> None:
    outcome = score(QuestionType.MULTIPLE, PRIMES, {"options": [1, 3]})
    assert outcome is not None
    assert outcome.feedback == ["2 жөнөкөй сан.", "4 = 2 × 2."]


# --- numeric ---------------------------------------------------------------------------------
PI = [
    Key(1, value=D("3.14"), tolerance=D("0.01"), fraction=D(1)),
    Key(2, value=D(3), fraction=D("0.5")),
]


@pytest.mark.parametrize(
    ("value", "fraction"),
    [
        ("3.14", D(1)),
        ("3,14", D(1)),  # a decimal comma
        (" 3.15 ", D(1)),  # the bound is included
        ("3.13", D(1)),
        ("3.1500001", D(0)),
        ("3", D("0.5")),
        ("3.0", D("0.5")),
        ("pi", D(0)),
        ("", D(0)),
        ("NaN", D(0)),
        ("Infinity", D(0)),
        (None, D(0)),
        (True, D(0)),
    ],
)
def test_numeric_answers_count_within_the_tolerance(value: object, fraction: Decimal) -> None:
    outcome = score(QuestionType.NUMERIC, PI, {"value": value})
    assert outcome is not None
    assert outcome.fraction == fraction


numbers = st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False)
tolerances = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False)


@given(
    answer=numbers, tolerance=tolerances, offset=st.decimals(min_value=-1, max_value=1, places=3)
)
def test_a_value_within_the_tolerance_is_right_and_outside_it_wrong(
    answer: Decimal, tolerance: Decimal, offset: Decimal
) -> None:
    # given an answer with a tolerance, and a response offset by a share of that tolerance
    keys = [Key(1, value=answer, tolerance=tolerance, fraction=D(1))]
    response = answer + offset * tolerance
    # when it is graded, written with a dot and with a comma
    for written in (str(response), str(response).replace(".", ",")):
        outcome = score(QuestionType.NUMERIC, keys, {"value": written})
        assert outcome is not None
        # then it is right exactly when it is within the tolerance, bounds included
        assert outcome.correct is (abs(response - answer) <= tolerance)


@given(
    answer=numbers,
    tolerance=tolerances,
    excess=st.decimals(min_value="0.001", max_value=10**6, places=3),
)
def test_a_value_beyond_the_tolerance_earns_nothing(
    answer: Decimal, tolerance: Decimal, excess: Decimal
) -> None:
    keys = [Key(1, value=answer, tolerance=tolerance, fraction=D(1))]
    for response in (answer + tolerance + excess, answer - tolerance - excess):
        outcome = score(QuestionType.NUMERIC, keys, {"value": str(response)})
        assert outcome is not None
        assert outcome.fraction == 0


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
    )
)
def test_a_number_reads_back_the_same_with_a_dot_or_a_comma(number: Decimal) -> None:
    assert parse_number(str(number)) == number
    assert parse_number(str(number).replace(".", ",")) == number


# --- short text ------------------------------------------------------------------------------
CITY = [Key(1, "Бишкек", D(1)), Key(2, "Фрунзе", D("0.5"), "Бул эски аталышы.")]


@pytest.mark.parametrize(
    ("text", "fraction"),
    [
        ("Бишкек", D(1)),
        ("  бишкек ", D(1)),
        ("БИШКЕК", D(1)),
        ("Бишкeк", D(1)),  # a Latin "e" typed on the wrong layout
        ("Фрунзе", D("0.5")),
        ("Бишкек шаары", D(0)),
        ("Бишкак", D(0)),
        ("", D(0)),
    ],
)
def test_short_text_forgives_case_spacing_and_look_alike_letters(
    text: str, fraction: Decimal
) -> None:
    outcome = score(QuestionType.SHORT_TEXT, CITY, {"text": text})
    assert outcome is not None
    assert outcome.fraction == fraction


def test_short_text_returns_the_feedback_of_the_matched_answer() -> None:
    outcome = score(QuestionType.SHORT_TEXT, CITY, {"text": "фрунзе"})
    assert outcome is not None
    assert outcome.feedback == ["Бул эски аталышы."]


words = st.text(
    alphabet=st.sampled_from("абвгдеёжзийклмнопрстуфхцчшщъыьэюяңөүABCDEFGHabcdefgh0123456789"),
    min_size=1,
    max_size=12,
)
phrases = st.lists(words, min_size=1, max_size=4)


@given(phrases, st.lists(st.sampled_from([" ", "  ", "\t", "\u00a0"]), min_size=5, max_size=5))
def test_case_and_spacing_never_change_the_normal_form(parts: list[str], gaps: list[str]) -> None:
    plain = " ".join(parts)
    spaced = gaps[0] + "".join(
        part.upper() + gaps[(index + 1) % len(gaps)] for index, part in enumerate(parts)
    )
    assert normalise_text(spaced) == normalise_text(plain)


@given(phrases, st.data())
def test_swapping_look_alike_letters_never_changes_the_normal_form(
    parts: list[str], data: st.DataObject
) -> None:
    text = " ".join(parts)
    swapped = "".join(
        LATIN_TWINS[CYRILLIC_LOOK_ALIKES.index(letter)]
        if letter in CYRILLIC_LOOK_ALIKES and data.draw(st.booleans())
        else letter
        for letter in text
    )
    assert normalise_text(swapped) == normalise_text(text)


cyrillic_words = st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяңөү", min_size=1, max_size=10)


@given(cyrillic_words, cyrillic_words)
def test_two_different_cyrillic_words_never_become_equal(first: str, second: str) -> None:
    assume(first != second)
    assert normalise_text(first) != normalise_text(second)


@given(st.text(max_size=30))
def test_normalising_twice_changes_nothing(text: str) -> None:
    assert normalise_text(normalise_text(text)) == normalise_text(text)


# --- matching --------------------------------------------------------------------------------
CAPITALS = [
    Key(1, "Кыргызстан", match="Бишкек"),
    Key(2, "Казакстан", match="Астана"),
    Key(3, "Монголия", match="Улаанбаатар"),
]


@pytest.mark.parametrize(
    ("pairs", "fraction"),
    [
        ({"1": "Бишкек", "2": "Астана", "3": "Улаанбаатар"}, D(1)),
        ({"1": "Бишкек", "2": "Улаанбаатар", "3": "Астана"}, D(1) / D(3)),
        ({"1": "бишкек"}, D(1) / D(3)),
        ({}, D(0)),
        ({"1": 5, "2": None}, D(0)),
    ],
)
def test_matching_earns_the_share_of_right_pairs(
    pairs: dict[str, object], fraction: Decimal
) -> None:
    outcome = score(QuestionType.MATCHING, CAPITALS, {"pairs": pairs})
    assert outcome is not None
    assert outcome.fraction == fraction


# --- ordering --------------------------------------------------------------------------------
STEPS = [
    Key(10, "a", position=0),
    Key(11, "b", position=1),
    Key(12, "c", position=2),
    Key(13, "d", position=3),
]


@pytest.mark.parametrize(
    ("order", "fraction"),
    [
        ([10, 11, 12, 13], D(1)),
        ([11, 12, 13, 10], D(2) / D(3)),  # the first item moved to the end: 2 of 3 links kept
        ([13, 12, 11, 10], D(0)),
        ([10, 11, 13, 12], D(1) / D(3)),
        ([10, 11, 12], D(0)),  # an item missing
        ([10, 11, 12, 12], D(0)),  # an item twice
        ([10, 11, 12, 99], D(0)),
        ("10,11,12,13", D(0)),
    ],
)
def test_ordering_earns_the_share_of_neighbours_in_order(order: object, fraction: Decimal) -> None:
    outcome = score(QuestionType.ORDERING, STEPS, {"order": order})
    assert outcome is not None
    assert outcome.fraction == fraction


@given(st.permutations([10, 11, 12, 13]))
def test_only_the_right_order_earns_full_marks(order: list[int]) -> None:
    outcome = score(QuestionType.ORDERING, STEPS, {"order": order})
    assert outcome is not None
    assert outcome.correct is (order == [10, 11, 12, 13])
    assert 0 <= outcome.fraction <= 1


# --- essay and points ------------------------------------------------------------------------
def test_an_essay_is_left_to_a_person() -> None:
    assert score(QuestionType.ESSAY, [], {"text": "Менин айылым"}) is None


def test_an_unknown_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown question type"):
        score("crossword", [], {})


@pytest.mark.parametrize(
    ("fraction", "points", "earned"),
    [(D(1), D(2), D("2.00")), (D(1) / D(3), D(1), D("0.33")), (D(2) / D(3), D(1), D("0.67"))],
)
def test_points_are_rounded_to_hundredths(
    fraction: Decimal, points: Decimal, earned: Decimal
) -> None:
    assert points_for(fraction, points) == earned
