from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    """Question banks, quizzes, assignments, attempts, grading and the gradebook: part of
    ``courses`` (the architecture gives it assessments), kept in its own folder and tables."""

    name = "courses.assessments"
    label = "assessments"
    verbose_name = _("Assessments")
