"""Forms of the course authoring pages. They parse and show errors; courses.services decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import Audience, Course, Lesson
from frontend.forms import ServiceErrorsMixin
from lms.accounts.models import LANGUAGE_CHOICES


class CourseForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    subject = forms.CharField(label=_("Subject"), max_length=100)
    grade_level = forms.IntegerField(
        label=_("Grade"), min_value=1, max_value=12, required=False,
        help_text=_("1 to 12; leave empty for a course for teachers."),
    )  # fmt: skip
    language = forms.ChoiceField(label=_("Language of the course"), choices=LANGUAGE_CHOICES)
    audience = forms.ChoiceField(label=_("For"), choices=Audience.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)

    @staticmethod
    def initial_for(course: Course) -> dict[str, object]:
        return {name: getattr(course, name) for name in CourseForm.base_fields}


class TitleForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)


class LessonForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body_markdown = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 16}),
        required=False,
        help_text=_("Markdown: # heading, **bold**, *italic*, - list, [link](https://...)."),
    )
    video_url = forms.URLField(label=_("Video link"), required=False, assume_scheme="https")
    is_published = forms.BooleanField(label=_("Published"), required=False)

    @staticmethod
    def initial_for(lesson: Lesson) -> dict[str, object]:
        return {name: getattr(lesson, name) for name in LessonForm.base_fields}
