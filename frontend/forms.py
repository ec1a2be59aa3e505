"""Page forms. They parse and show errors; the accounts services decide and write."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.formfields import PhoneNumberField

from lms.accounts import policies, selectors
from lms.accounts.models import (
    LANGUAGE_CHOICES,
    Locality,
    Region,
    School,
    User,
)
from lms.errors import ApplicationError

# The pages offer the countries' own zones; the API accepts any IANA zone.
PAGE_TIME_ZONES = [(name, name) for name in settings.LMS_TIME_ZONES]


class ServiceErrorsMixin:
    """Show an ApplicationError's field messages next to the fields they belong to."""

    def keep_current_time_zone(self) -> None:
        """Someone set through the API to another zone keeps it when edited on a page."""
        form: Any = self
        current = form.initial.get("time_zone")
        field = form.fields["time_zone"]
        if current and current not in dict(field.choices):
            field.choices = [*field.choices, (current, current)]

    def add_service_errors(self, error: ApplicationError) -> None:
        form: Any = self
        for field, messages in error.fields.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
        if not error.fields:
            form.add_error(None, error.message)


class SchoolForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("school", "Name"), max_length=200)
    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("For example kg-ik-karakol-1.")
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), empty_label=None
    )
    locality = forms.ChoiceField(label=_("Locality"), choices=Locality.choices)
    languages = forms.MultipleChoiceField(
        label=_("Languages of instruction"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=PAGE_TIME_ZONES)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = selectors.region_list_visible(user=user)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        self.fields["time_zone"].initial = "Asia/Bishkek"
        self.keep_current_time_zone()

    @staticmethod
    def initial_for(school: School) -> dict[str, Any]:
        return {
            "name": school.name,
            "code": school.code,
            "region": school.region_id,
            "locality": school.locality,
            "languages": school.languages,
            "time_zone": school.time_zone,
        }


class PersonForm(ServiceErrorsMixin, forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"))
    school = forms.ModelChoiceField(
        label=_("Home school"), queryset=School.objects.none(), required=False
    )
    region = forms.ModelChoiceField(
        label=_("Administered region"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("Only for region administrators."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = PhoneNumberField(label=_("Phone number"), required=False, region="KG")
    preferred_language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Browser's language")), *LANGUAGE_CHOICES],
        required=False,
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=PAGE_TIME_ZONES)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        strip=False,
        help_text=_("Required for a new person. Leave empty to keep the current password."),
    )

    def __init__(self, *args: Any, user: User, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        roles = policies.assignable_roles(user)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]  # type: ignore[attr-defined]
        self.fields["school"].queryset = selectors.school_list_visible(user=user)  # type: ignore[attr-defined]
        self.fields["region"].queryset = selectors.region_list_visible(user=user)  # type: ignore[attr-defined]
        if not policies.is_platform_admin(user):
            del self.fields["region"]
        self.fields["time_zone"].initial = "Asia/Bishkek"
        self.keep_current_time_zone()
        if policies.is_school_admin(user):
            self.fields["school"].initial = user.school_id

    def clean_password(self) -> str:
        password: str = self.cleaned_data.get("password", "")
        if self.creating and not password:
            raise forms.ValidationError(_("Set a password for the new person."))
        return password

    def person_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("password", None)
        data["phone"] = data.get("phone") or ""
        return data

    @staticmethod
    def initial_for(person: User) -> dict[str, Any]:
        return {
            "username": person.username,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "role": person.role,
            "school": person.school_id,
            "region": person.region_id,
            "email": person.email,
            "phone": person.phone,
            "preferred_language": person.preferred_language,
            "time_zone": person.time_zone,
        }
