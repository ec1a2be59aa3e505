"""Forms of the question bank, quiz and assignment, gradebook pages. They parse what a page
sends and show errors; ``courses.assessments.services`` decide and write.

Answer keys are edited as rows of a table (an option, an accepted answer, a pair, an item);
a share of the points is typed as a percentage (100 right, 0 wrong, -50 a penalty) and stored
as a fraction."""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses.assessments.grading import QuestionType
from courses.assessments.models import (
    GradeCategory,
    LatePolicy,
    Question,
    QuestionKey,
    RevealPolicy,
)
from courses.models import Cohort
from frontend.forms import ServiceErrorsMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

HUNDRED = Decimal(100)
FRACTION_PLACES = Decimal("0.00001")
MAX_KEY_ROWS = 30
DRAW_ROWS = 3
CRITERION_ROWS = 6
GIFT_MAX_BYTES = 2_000_000

# The columns of the keys table for each type of question.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    QuestionType.SINGLE: ("text", "percent", "feedback"),
    QuestionType.MULTIPLE: ("text", "percent", "feedback"),
    QuestionType.TRUE_FALSE: ("text", "percent", "feedback"),
    QuestionType.SHORT_TEXT: ("text", "percent", "feedback"),
    QuestionType.NUMERIC: ("value", "tolerance", "percent", "feedback"),
    QuestionType.MATCHING: ("text", "match"),
    QuestionType.ORDERING: ("text",),
    QuestionType.ESSAY: (),
}


def plain_number(value: Decimal | None) -> str:
    """A decimal as a person writes it: ``100`` not ``1E+2``, ``3.14`` not ``3.140000``."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


class LooseDecimalField(forms.DecimalField):
    """A number written with a decimal point or a decimal comma (``3,5``), as pupils and
    teachers in Kyrgyzstan write it (a number input would refuse the comma)."""

    widget = forms.TextInput

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "inputmode": "decimal"}

    def clean(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace(" ", "").replace(",", ".")
        return super().clean(value)


def _datetime_field(label: "StrOrPromise", *, required: bool) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


# --- the question bank ------------------------------------------------------------------------
class QuestionForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=200,
        help_text=gettext_lazy("A short name to find the question in the bank."),
    )
    text_markdown = forms.CharField(
        label=gettext_lazy("Question"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Markdown: **bold**, *italic*, - list."),
    )
    points = LooseDecimalField(
        label=gettext_lazy("Points"),
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        initial=Decimal(1),
    )
    general_feedback = forms.CharField(
        label=gettext_lazy("Feedback for everyone"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Shown with the result, when the right answers are shown."),
    )
    objectives = forms.CharField(
        label=gettext_lazy("Learning objectives"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Codes separated by commas, for example: fractions, percent."),
    )

    def __init__(self, *args: Any, kind: str, rows: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.columns = KEY_COLUMNS[kind]
        self.rows = rows if self.columns else 0
        for row in range(self.rows):
            for column in self.columns:
                self.fields[f"key-{row}-{column}"] = self._key_field(column, row + 1)

    def _key_field(self, column: str, number: int) -> forms.Field:
        labels = {
            "text": _("Text of row %(number)s"),
            "match": _("Matching answer of row %(number)s"),
            "percent": _("Share of the points of row %(number)s (%%)"),
            "feedback": _("Feedback of row %(number)s"),
            "value": _("Value of row %(number)s"),
            "tolerance": _("Tolerance of row %(number)s"),
        }
        label = labels[column] % {"number": number}
        if column == "percent":
            return LooseDecimalField(
                label=label, required=False, max_digits=8, decimal_places=3,
                min_value=-HUNDRED, max_value=HUNDRED,
            )  # fmt: skip
        if column == "value":
            return LooseDecimalField(label=label, required=False, max_digits=20, decimal_places=6)
        if column == "tolerance":
            return LooseDecimalField(
                label=label, required=False, max_digits=20, decimal_places=6, min_value=0
            )
        limit = 500 if column == "match" else 5000
        return forms.CharField(label=label, required=False, max_length=limit)

    def key_rows(self) -> list[list[forms.BoundField]]:
        """The key fields, row by row, for the table on the page."""
        return [
            [self[f"key-{row}-{column}"] for column in self.columns] for row in range(self.rows)
        ]

    def keys(self) -> list[dict[str, Any]]:
        """The rows typed in, as the service's keys (empty rows are left out)."""
        keys = []
        for row in range(self.rows):
            values = {
                column: self.cleaned_data.get(f"key-{row}-{column}") for column in self.columns
            }
            if all(value in (None, "") for value in values.values()):
                continue
            percent = values.pop("percent", None)
            key: dict[str, Any] = {
                name: value for name, value in values.items() if value is not None
            }
            key["fraction"] = (
                (percent / HUNDRED).quantize(FRACTION_PLACES) if percent is not None else Decimal(0)
            )
            if self.kind == QuestionType.NUMERIC:
                key.setdefault("tolerance", Decimal(0))
            keys.append(key)
        return keys

    def question_data(self) -> dict[str, Any]:
        codes = [code.strip() for code in self.cleaned_data["objectives"].split(",")]
        return {
            "title": self.cleaned_data["title"],
            "text_markdown": self.cleaned_data["text_markdown"],
            "points": self.cleaned_data["points"],
            "general_feedback": self.cleaned_data["general_feedback"],
            "objectives": [code for code in codes if code],
            "keys": self.keys(),
        }

    @staticmethod
    def initial_for(question: Question) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "title": question.title,
            "text_markdown": question.text_markdown,
            "points": plain_number(question.points),
            "general_feedback": question.general_feedback,
            "objectives": ", ".join(objective.code for objective in question.objectives.all()),
        }
        keys: list[QuestionKey] = list(question.keys.all())
        for row, key in enumerate(keys):
            initial.update(
                {
                    f"key-{row}-text": key.text,
                    f"key-{row}-match": key.match,
                    f"key-{row}-percent": plain_number(key.fraction * HUNDRED),
                    f"key-{row}-feedback": key.feedback,
                    f"key-{row}-value": plain_number(key.value),
                    f"key-{row}-tolerance": plain_number(key.tolerance),
                }
            )
        return initial

    @staticmethod
    def initial_for_new(kind: str) -> dict[str, Any]:
        if kind != QuestionType.TRUE_FALSE:
            return {}
        return {
            "key-0-text": _("True"),
            "key-0-percent": "100",
            "key-1-text": _("False"),
            "key-1-percent": "0",
        }

    @staticmethod
    def rows_for(kind: str, keys: int, asked: str | None) -> int:
        """How many key rows the form shows: the keys there are and two empty rows (at least
        four), more when asked for (a page without JavaScript adds rows by a link)."""
        if kind == QuestionType.TRUE_FALSE:
            return 2
        rows = max(keys + 2, 4)
        if asked and asked.isascii() and asked.isdigit() and len(asked) <= 3:
            rows = max(rows, int(asked))
        return min(rows, MAX_KEY_ROWS)


class GiftImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("GIFT file"), required=False)
    text = forms.CharField(
        label=gettext_lazy("Or paste the questions"),
        required=False,
        max_length=GIFT_MAX_BYTES,
        widget=forms.Textarea(attrs={"rows": 12}),
    )

    def gift_text(self) -> str:
        """The questions to read: the file's text if a file was chosen, else the pasted text.
        Form errors (``file``) for a file that is too large or not UTF-8."""
        upload = self.cleaned_data.get("file")
        if upload is None:
            text: str = self.cleaned_data.get("text", "")
            if not text.strip():
                self.add_error("text", _("Choose a GIFT file or paste the questions."))
            return text
        content = upload.read(GIFT_MAX_BYTES + 1)
        if len(content) > GIFT_MAX_BYTES:
            self.add_error("file", _("The file is larger than 2 MB; split it into smaller files."))
            return ""
        try:
            decoded: str = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.add_error("file", _("The file is not UTF-8 text: save it as UTF-8 and try again."))
            return ""
        return decoded


# --- quizzes and assignments ------------------------------------------------------------------
class AssessmentForm(ServiceErrorsMixin, forms.Form):
    """A new quiz (questions chosen from the bank and random draws by learning objective) or a
    new assignment (a rubric)."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    instructions_markdown = forms.CharField(
        label=gettext_lazy("Instructions"),
        max_length=50_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Grade category"),
        queryset=GradeCategory.objects.none(),
        required=False,
        empty_label=gettext_lazy("No category"),
    )
    opens_at = _datetime_field(gettext_lazy("Opens"), required=False)
    due_at = _datetime_field(gettext_lazy("Due"), required=True)
    closes_at = _datetime_field(gettext_lazy("Closes"), required=False)
    late_policy = forms.ChoiceField(
        label=gettext_lazy("Late work"),
        choices=LatePolicy.choices,
        initial=LatePolicy.NONE_ACCEPTED,
    )
    late_penalty_percent = LooseDecimalField(
        label=gettext_lazy("Penalty per day late (%)"),
        max_digits=5, decimal_places=2, min_value=0, max_value=HUNDRED, initial=Decimal(0),
    )  # fmt: skip
    # quizzes only
    reveal = forms.ChoiceField(
        label=gettext_lazy("Show the right answers"),
        choices=RevealPolicy.choices,
        initial=RevealPolicy.AFTER_DUE,
    )
    time_limit_minutes = forms.IntegerField(
        label=gettext_lazy("Time limit (minutes)"), required=False, min_value=1, max_value=24 * 60,
        help_text=gettext_lazy("Leave empty for no time limit."),
    )  # fmt: skip
    max_attempts = forms.IntegerField(
        label=gettext_lazy("Attempts allowed"), min_value=1, max_value=20, initial=1
    )
    shuffle_questions = forms.BooleanField(
        label=gettext_lazy("Shuffle the questions"), required=False
    )
    shuffle_options = forms.BooleanField(label=gettext_lazy("Shuffle the options"), required=False)

    QUIZ_ONLY = (
        "reveal",
        "time_limit_minutes",
        "max_attempts",
        "shuffle_questions",
        "shuffle_options",
    )
    SETTINGS = ("category", "opens_at", "due_at", "closes_at", "late_policy",
                "late_penalty_percent", *QUIZ_ONLY)  # fmt: skip

    def __init__(
        self,
        *args: Any,
        kind: str,
        cohort: Cohort,
        questions: list[Question] | None = None,
        objectives: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.questions = questions or []
        self.fields["category"].queryset = GradeCategory.objects.filter(cohort=cohort)  # type: ignore[attr-defined]
        if kind != "quiz":
            for name in self.QUIZ_ONLY:
                del self.fields[name]
            for row in range(CRITERION_ROWS):
                number = {"number": row + 1}
                self.fields[f"criterion-{row}-title"] = forms.CharField(
                    label=_("Criterion %(number)s") % number, required=False, max_length=200
                )
                self.fields[f"criterion-{row}-description"] = forms.CharField(
                    label=_("What earns the points of criterion %(number)s") % number,
                    required=False,
                    max_length=5000,
                )
                self.fields[f"criterion-{row}-points"] = LooseDecimalField(
                    label=_("Points of criterion %(number)s") % number,
                    required=False, max_digits=7, decimal_places=2, min_value=Decimal("0.01"),
                )  # fmt: skip
            return
        for question in self.questions:
            self.fields[f"q-{question.pk}"] = forms.BooleanField(
                label=question.title, required=False
            )
            self.fields[f"q-{question.pk}-points"] = LooseDecimalField(
                label=_("Points for “%(title)s” in this quiz") % {"title": question.title},
                required=False, max_digits=7, decimal_places=2, min_value=Decimal("0.01"),
            )  # fmt: skip
        choices = [("", _("No draw")), *((code, code) for code in objectives or [])]
        for row in range(DRAW_ROWS):
            number = {"number": row + 1}
            self.fields[f"draw-{row}-objective"] = forms.ChoiceField(
                label=_("Objective of draw %(number)s") % number, choices=choices, required=False
            )
            self.fields[f"draw-{row}-count"] = forms.IntegerField(
                label=_("Questions drawn in draw %(number)s") % number,
                required=False, min_value=1, max_value=100,
            )  # fmt: skip
            self.fields[f"draw-{row}-points"] = LooseDecimalField(
                label=_("Points per question of draw %(number)s") % number,
                required=False, max_digits=7, decimal_places=2, min_value=Decimal("0.01"),
            )  # fmt: skip

    # shapes for the template
    def settings_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.SETTINGS if name in self.fields]

    def question_rows(self) -> list[tuple[Question, forms.BoundField, forms.BoundField]]:
        return [
            (question, self[f"q-{question.pk}"], self[f"q-{question.pk}-points"])
            for question in self.questions
        ]

    def draw_rows(self) -> list[list[forms.BoundField]]:
        if self.kind != "quiz":
            return []
        return [
            [self[f"draw-{row}-{column}"] for column in ("objective", "count", "points")]
            for row in range(DRAW_ROWS)
        ]

    def criterion_rows(self) -> list[list[forms.BoundField]]:
        if self.kind == "quiz":
            return []
        return [
            [self[f"criterion-{row}-{column}"] for column in ("title", "description", "points")]
            for row in range(CRITERION_ROWS)
        ]

    def service_data(self) -> dict[str, Any]:
        """The arguments of ``services.assessment_create`` (other than the class and author)."""
        data = self.cleaned_data
        result: dict[str, Any] = {
            "kind": self.kind,
            "title": data["title"],
            "instructions_markdown": data["instructions_markdown"],
            "category": data["category"],
            "opens_at": data["opens_at"],
            "due_at": data["due_at"],
            "closes_at": data["closes_at"],
            "late_policy": data["late_policy"],
            "late_penalty_percent": data["late_penalty_percent"],
        }
        if self.kind != "quiz":
            result["rubric"] = [
                {
                    "title": data[f"criterion-{row}-title"],
                    "description": data[f"criterion-{row}-description"],
                    "points": data[f"criterion-{row}-points"],
                }
                for row in range(CRITERION_ROWS)
                if data[f"criterion-{row}-title"] or data[f"criterion-{row}-points"] is not None
            ]
            return result
        result.update({name: data[name] for name in self.QUIZ_ONLY})
        slots: list[dict[str, Any]] = []
        for question in self.questions:
            if data[f"q-{question.pk}"]:
                slot: dict[str, Any] = {"question": question.pk}
                if data[f"q-{question.pk}-points"] is not None:
                    slot["points"] = data[f"q-{question.pk}-points"]
                slots.append(slot)
        for row in range(DRAW_ROWS):
            objective, count = data[f"draw-{row}-objective"], data[f"draw-{row}-count"]
            if not objective and count is None:
                continue
            draw: dict[str, Any] = {"objective": objective, "count": count or 0}
            if data[f"draw-{row}-points"] is not None:
                draw["points"] = data[f"draw-{row}-points"]
            slots.append(draw)
        result["questions"] = slots
        return result


class PublishForm(forms.Form):
    published = forms.BooleanField(required=False)


# --- the gradebook ----------------------------------------------------------------------------
class CategoryForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the category"), max_length=100)
    weight = LooseDecimalField(
        label=gettext_lazy("Weight (%)"), max_digits=5, decimal_places=2, min_value=0,
        max_value=HUNDRED,
    )  # fmt: skip


class OverrideForm(ServiceErrorsMixin, forms.Form):
    points = LooseDecimalField(
        label=gettext_lazy("Points"),
        max_digits=7,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=gettext_lazy("Leave empty to remove the grade."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why the grade is changed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
