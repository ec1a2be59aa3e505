"""Input and output shapes of the question bank API."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Grade,
    GradeCategory,
    GradeChange,
    LatePolicy,
    Objective,
    Question,
    QuestionKey,
    QuestionKind,
    RevealPolicy,
)


class KeyInput(serializers.Serializer[Any]):
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    match = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    fraction = serializers.DecimalField(
        max_digits=6,
        decimal_places=5,
        min_value=Decimal(-1),
        max_value=Decimal(1),
        required=False,
        default=Decimal(0),
        help_text="Share of the question's points: 1 right, 0 wrong, between for partial credit.",
    )
    feedback = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    value = serializers.DecimalField(
        max_digits=20, decimal_places=6, required=False, allow_null=True, default=None
    )
    tolerance = serializers.DecimalField(
        max_digits=20, decimal_places=6, min_value=Decimal(0), required=False, default=Decimal(0)
    )


class QuestionInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    title = serializers.CharField(max_length=200)
    text_markdown = serializers.CharField(max_length=50_000)
    points = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    general_feedback = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    objectives = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        max_length=20,
        help_text="Codes of learning objectives; new codes are added to the course.",
    )
    keys = KeyInput(many=True, required=False)


class KeyOutput(serializers.ModelSerializer[QuestionKey]):
    class Meta:
        model = QuestionKey
        fields = ("id", "position", "text", "match", "fraction", "feedback", "value", "tolerance")
        read_only_fields = fields


class QuestionOutput(serializers.ModelSerializer[Question]):
    keys = KeyOutput(many=True, read_only=True)
    objectives = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = (
            "id",
            "course",
            "kind",
            "title",
            "text_markdown",
            "text_html",
            "points",
            "general_feedback",
            "objectives",
            "keys",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_objectives(self, question: Question) -> list[str]:
        return [objective.code for objective in question.objectives.all()]


class ObjectiveOutput(serializers.ModelSerializer[Objective]):
    question_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Objective
        fields = ("id", "code", "title", "question_count")
        read_only_fields = fields


class GiftImportInput(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="A GIFT text file in UTF-8, at most 2 MB.")
    mode = serializers.ChoiceField(choices=("dry-run", "apply"))


class GiftQuestionOutput(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    title = serializers.CharField()


class GiftErrorOutput(serializers.Serializer[Any]):
    line = serializers.IntegerField(help_text="The line of the file the error is on.")
    message = serializers.CharField()


# "errors" is a member of Serializer itself: the fields are declared in get_fields().
class GiftImportOutput(serializers.Serializer[Any]):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "applied": serializers.BooleanField(),
            "questions": GiftQuestionOutput(many=True),
            "errors": GiftErrorOutput(many=True),
        }


# --- assessments and attempts -----------------------------------------------------------------
class SlotInput(serializers.Serializer[Any]):
    question = serializers.IntegerField(required=False, help_text="A question of the bank.")
    objective = serializers.CharField(
        required=False, max_length=60, help_text="Or draw at random among this objective's."
    )
    count = serializers.IntegerField(required=False, min_value=1, max_value=100)
    points = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.01"), required=False
    )


class CriterionInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    points = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=Decimal("0.01"))


class AssessmentInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=AssessmentKind.choices)
    title = serializers.CharField(max_length=200)
    instructions_markdown = serializers.CharField(
        required=False, allow_blank=True, max_length=50_000
    )
    opens_at = serializers.DateTimeField(required=False, allow_null=True)
    due_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField(required=False, allow_null=True)
    late_policy = serializers.ChoiceField(choices=LatePolicy.choices, required=False)
    late_penalty_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), required=False
    )
    reveal = serializers.ChoiceField(choices=RevealPolicy.choices, required=False)
    time_limit_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=24 * 60
    )
    max_attempts = serializers.IntegerField(required=False, min_value=1, max_value=20)
    shuffle_questions = serializers.BooleanField(required=False)
    shuffle_options = serializers.BooleanField(required=False)
    questions = SlotInput(many=True, required=False)
    rubric = CriterionInput(many=True, required=False)


class AssessmentOutput(serializers.ModelSerializer[Assessment]):
    class Meta:
        model = Assessment
        fields = (
            "id",
            "cohort",
            "kind",
            "title",
            "instructions_html",
            "points",
            "opens_at",
            "due_at",
            "closes_at",
            "late_policy",
            "late_penalty_percent",
            "reveal",
            "time_limit_minutes",
            "max_attempts",
            "shuffle_questions",
            "shuffle_options",
            "is_published",
        )
        read_only_fields = fields


class PublishInput(serializers.Serializer[Any]):
    published = serializers.BooleanField()


class AnswerInput(serializers.Serializer[Any]):
    response = serializers.DictField(
        help_text=(
            'single/true_false {"option": id}; multiple {"options": [ids]}; numeric '
            '{"value": "3,5"}; short_text/essay {"text": ...}; matching {"pairs": {id: answer}}; '
            'ordering {"order": [ids]}'
        )
    )
    revision = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        help_text="Counts this answer's saves; an older or repeated save is ignored.",
    )


class AnswerOutput(serializers.Serializer[Any]):
    question = serializers.IntegerField(source="question_id")
    response = serializers.DictField()
    revision = serializers.IntegerField()
    saved_at = serializers.DateTimeField()


class OverrideInput(serializers.Serializer[Any]):
    points = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    reason = serializers.CharField(max_length=2000)


class GradeOutput(serializers.ModelSerializer[Grade]):
    class Meta:
        model = Grade
        fields = ("assessment", "student", "points", "state", "overridden", "version")
        read_only_fields = fields


class GradeChangeOutput(serializers.ModelSerializer[GradeChange]):
    class Meta:
        model = GradeChange
        fields = (
            "version",
            "source",
            "by",
            "points_before",
            "points_after",
            "state_before",
            "state_after",
            "reason",
            "attempt",
            "at",
        )
        read_only_fields = fields


class CategoryInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    weight = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100)
    )


class CategoryOutput(serializers.ModelSerializer[GradeCategory]):
    class Meta:
        model = GradeCategory
        fields = ("id", "name", "weight")
        read_only_fields = fields


class GradebookRowOutput(serializers.Serializer[Any]):
    student = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    grades = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True),
        help_text="Points by assessment id; null: not graded.",
    )
    categories = serializers.DictField(
        child=serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True),
        help_text="Percent by category id.",
    )
    total = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class GradebookAssessmentOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=AssessmentKind.choices)
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    category_id = serializers.IntegerField(allow_null=True)
    is_published = serializers.BooleanField()
    due_at = serializers.DateTimeField()


class GradebookOutput(serializers.Serializer[Any]):
    assessments = GradebookAssessmentOutput(many=True)
    categories = CategoryOutput(many=True)
    rows = GradebookRowOutput(many=True)


class PublishedCountOutput(serializers.Serializer[Any]):
    published = serializers.IntegerField()


class MyGradeOutput(serializers.Serializer[Any]):
    assessment = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=AssessmentKind.choices)
    due_at = serializers.DateTimeField()
    points_possible = serializers.DecimalField(max_digits=7, decimal_places=2)
    points = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    published = serializers.BooleanField()


class SubmissionInput(serializers.Serializer[Any]):
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False), required=False, default=list
    )


class RubricMarkInput(serializers.Serializer[Any]):
    criterion = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class EssayMarkInput(serializers.Serializer[Any]):
    question = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class MarkInput(serializers.Serializer[Any]):
    rubric = RubricMarkInput(many=True, required=False, default=list)
    answers = EssayMarkInput(many=True, required=False, default=list)
    feedback = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)
