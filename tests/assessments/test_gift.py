"""Reading GIFT question banks: every type, escapes, titles, categories, and errors that name
their line."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courses.assessments.gift import GiftError, ParsedQuestion, parse
from courses.assessments.grading import QuestionType

D = Decimal


def only(text: str) -> ParsedQuestion:
    questions, errors = parse(text)
    assert errors == []
    assert len(questions) == 1
    return questions[0]


def keys(question: ParsedQuestion) -> list[tuple[str, Decimal]]:
    return [(key.text, key.fraction) for key in question.keys]


def test_a_single_choice_question_with_title_feedback_and_comments() -> None:
    question = only(
        "// Географиянын суроолору\n"
        "::Борбор::Кыргызстандын борбору кайсы? {\n"
        "  =Бишкек#Туура!\n"
        "  ~Ош#Ош — түштүк борбору.\n"
        "  ~Каракол\n"
        "}\n"
    )
    assert (question.kind, question.title, question.line) == (QuestionType.SINGLE, "Борбор", 2)
    assert question.text == "Кыргызстандын борбору кайсы?"
    assert keys(question) == [("Бишкек", D(1)), ("Ош", D(0)), ("Каракол", D(0))]
    assert [key.feedback for key in question.keys] == ["Туура!", "Ош — түштүк борбору.", ""]


def test_a_multiple_choice_question_with_shares() -> None:
    question = only("Жөнөкөй сандар? {~%50%2 ~%50%3 ~%-100%4}")
    assert question.kind == QuestionType.MULTIPLE
    assert keys(question) == [("2", D("0.5")), ("3", D("0.5")), ("4", D(-1))]


@pytest.mark.parametrize(
    ("block", "truth"), [("{T}", True), ("{TRUE}", True), ("{F}", False), ("{false}", False)]
)
def test_true_or_false(block: str, truth: bool) -> None:
    question = only(f"Жер тегерек. {block}")
    assert question.kind == QuestionType.TRUE_FALSE
    assert keys(question) == [("True", D(int(truth))), ("False", D(int(not truth)))]


def test_true_or_false_feedback_for_the_wrong_then_the_right_answer() -> None:
    question = only("Күн батыштан чыгат. {F#Жок, чыгыштан.#Туура.}")
    feedback = {key.text: key.feedback for key in question.keys}
    assert feedback == {"True": "Жок, чыгыштан.", "False": "Туура."}


def test_a_short_answer_and_a_missing_word() -> None:
    short = only("Кыргызстандын борбору? {=Бишкек =Bishkek =%50%Фрунзе}")
    assert short.kind == QuestionType.SHORT_TEXT
    assert keys(short) == [("Бишкек", D(1)), ("Bishkek", D(1)), ("Фрунзе", D("0.5"))]
    missing = only("Күн {=чыгыштан} чыгат.")
    assert (missing.kind, missing.text) == (QuestionType.SHORT_TEXT, "Күн ___ чыгат.")


def test_matching() -> None:
    question = only("Өлкө жана борбор. {=Кыргызстан -> Бишкек =Монголия -> Улаанбаатар}")
    assert question.kind == QuestionType.MATCHING
    assert [(key.text, key.match) for key in question.keys] == [
        ("Кыргызстан", "Бишкек"),
        ("Монголия", "Улаанбаатар"),
    ]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("{#3.14:0.01}", [(D("3.14"), D("0.01"), D(1))]),
        ("{#42}", [(D(42), D(0), D(1))]),
        ("{#1..5}", [(D(3), D(2), D(1))]),
        (
            "{# =3.14:0.01 =%50%3:0.5#Жакын}",
            [(D("3.14"), D("0.01"), D(1)), (D(3), D("0.5"), D("0.5"))],
        ),
    ],
)
def test_numeric(block: str, expected: list[tuple[Decimal, Decimal, Decimal]]) -> None:
    question = only(f"Пи саны? {block}")
    assert question.kind == QuestionType.NUMERIC
    assert [(key.value, key.tolerance, key.fraction) for key in question.keys] == expected


def test_an_essay_and_general_feedback() -> None:
    essay = only("Айылың жөнүндө жаз. {}")
    assert (essay.kind, essay.keys) == (QuestionType.ESSAY, [])
    with_general = only("2+2? {=4 ~5 ####Кошууну кайталагыла.}")
    assert with_general.general_feedback == "Кошууну кайталагыла."


def test_escaped_characters_are_literal() -> None:
    question = only(r"Кайсы белги: \{ же \}? {=\= барабар ~\~ болжол ~\# тор}")
    assert question.text == "Кайсы белги: { же }?"
    assert keys(question) == [("= барабар", D(1)), ("~ болжол", D(0)), ("# тор", D(0))]


def test_categories_tag_the_following_questions_and_a_bom_is_ignored() -> None:
    questions, errors = parse(
        "\ufeff$CATEGORY: $course$/Математика/бөлчөктөр\n\n"
        "1/2 + 1/4? {=3/4 ~2/6}\n\n"
        "$CATEGORY: $course$/Математика/пайыздар\n"
        "10% of 50? {#5}\n"
    )
    assert errors == []
    assert [(q.objective, q.line) for q in questions] == [("бөлчөктөр", 3), ("пайыздар", 6)]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Суроо {=a ~b", 1, "not closed"),
        ("Суроо жок блок", 1, "No answer block"),
        ("\n\nСуроо? {~a ~b}", 3, "No option is marked right"),
        ("Суроо? {=a =b ~c}", 1, "Only one option"),
        ("Суроо? {~%50%a ~%30%b ~c}", 1, "add up to 80%"),
        ("Суроо? {#abc}", 1, "is not a number"),
        ("Суроо? {#5..1}", 1, "smaller number"),
        ("Суроо? {=a -> b}", 1, "at least two pairs"),
        ("Суроо? {=a ~}", 1, "An answer is empty"),
        ("Суроо? {~%150%a ~b}", 1, "between -100% and 100%"),
        ("Суроо? {=a}{=b}", 1, "only one answer block"),
        ("::Аты\nСуроо? {=a}", 1, "title is not closed"),
        ("{=a ~b}", 1, "no text"),
        ("Суроо? {сөз =a}", 1, "Start each answer"),
        ("// бир гана комментарий", 1, "no questions"),
    ],
)
def test_a_bad_question_is_refused_with_its_line(text: str, line: int, message: str) -> None:
    questions, errors = parse(text)
    assert questions == [] or all(q.line != line for q in questions)
    assert len(errors) == 1
    assert errors[0].line == line
    assert message in errors[0].message


def test_every_bad_question_of_a_file_is_reported_at_once() -> None:
    # given a file with a good question between two bad ones
    text = "Биринчи? {~a ~b}\n\nЭкинчи? {=туура ~туура эмес}\n\n// комментарий\nҮчүнчү? {#x}\n"
    # when it is read
    questions, errors = parse(text)
    # then both errors are listed with their lines, and the good question is read
    assert [error.line for error in errors] == [1, 6]
    assert all(isinstance(error, GiftError) for error in errors)
    assert [question.line for question in questions] == [3]


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from("=~#{}:%->\\ \n\tabc1.,TF$/") | st.characters()))
def test_any_text_is_read_or_refused_never_crashes(text: str) -> None:
    questions, errors = parse(text)
    assert questions or errors
    assert all(error.line >= 1 for error in errors)
