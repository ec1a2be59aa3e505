"""The Django admin for regions, schools and people.

Every list is scoped by the same selectors as the API, every permission comes from
``policies``, and every save goes through a service, so the admin is one more door with the
same guard. Deleting is off: people are deactivated, schools and regions are kept.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lms.accounts import policies, selectors, services
from lms.accounts.models import LANGUAGE_CHOICES, Region, School, User
from lms.errors import ApplicationError


class ServiceAdmin(admin.ModelAdmin):
    """Saves through services and shows their field errors on the form."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        admin_site = self

        class ServiceForm(form_class):  # type: ignore[misc, valid-type]
            instance: Any

            def _post_clean(self) -> None:
                # Model validation happens in the service, at save time.
                pass

            def clean(self) -> dict[str, Any]:
                cleaned = super().clean()
                if not self.errors:
                    try:
                        saved: Any = admin_site.save_through_service(
                            request, self.instance, cleaned, obj is None
                        )
                        self.instance = saved
                    except ApplicationError as error:
                        for field, field_messages in error.fields.items():
                            target = field if field in self.fields else None
                            for message in field_messages:
                                self.add_error(target, message)
                return cleaned

        return ServiceForm

    def save_through_service(
        self, request: HttpRequest, instance: Any, data: dict[str, Any], adding: bool
    ) -> Any:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass  # already saved by the service in the form's clean()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass


@admin.register(Region)
class RegionAdmin(ServiceAdmin):
    list_display = ("name", "code", "time_zone")
    search_fields = ("name", "code")
    fields = ("name", "code", "time_zone")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Region]:
        return selectors.region_list_visible(user=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return policies.can_use_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policies.can_use_admin(request.user) and (
            obj is None or policies.can_view_region(request.user, obj)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return policies.can_manage_regions(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policies.can_manage_regions(request.user)

    def save_through_service(
        self, request: HttpRequest, instance: Region, data: dict[str, Any], adding: bool
    ) -> Region:
        if adding:
            return services.region_create(by=request.user, **data)  # type: ignore[arg-type]
        return services.region_update(region=instance, by=request.user, data=data)  # type: ignore[arg-type]


class SchoolAdminForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=_("languages of instruction"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = School
        fields = services.SCHOOL_FIELDS


@admin.register(School)
class SchoolAdmin(ServiceAdmin):
    form = SchoolAdminForm
    list_display = ("name", "code", "region", "locality")
    list_filter = ("locality",)
    search_fields = ("name", "code")

    def get_queryset(self, request: HttpRequest) -> QuerySet[School]:
        return selectors.school_list_visible(user=request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "region":
            kwargs["queryset"] = selectors.region_list_visible(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return policies.can_use_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policies.can_use_admin(request.user) and (
            obj is None or policies.can_view_school(request.user, obj)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return policies.can_create_schools(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return policies.can_create_schools(request.user)
        return policies.can_manage_school(request.user, obj)

    def save_through_service(
        self, request: HttpRequest, instance: School, data: dict[str, Any], adding: bool
    ) -> School:
        if adding:
            return services.school_create(by=request.user, **data)  # type: ignore[arg-type]
        return services.school_update(school=instance, by=request.user, data=data)  # type: ignore[arg-type]


class PersonAdminForm(forms.ModelForm):
    password = forms.CharField(
        label=_("password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Required for a new person. Leave empty to keep the current password."),
    )

    class Meta:
        model = User
        fields = services.PERSON_FIELDS  # what person_create and person_update accept


@admin.register(User)
class PersonAdmin(ServiceAdmin):
    form = PersonAdminForm
    list_display = ("username", "first_name", "last_name", "role", "school", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    actions = ("deactivate", "activate", "unlock")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return selectors.person_list_visible(user=request.user)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # Only the platform administrator appoints region administrators.
        return () if policies.is_platform_admin(request.user) else ("region",)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "school":
            kwargs["queryset"] = selectors.school_list_visible(user=request.user)
        if db_field.name == "region":
            kwargs["queryset"] = selectors.region_list_visible(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role":
            kwargs["choices"] = [
                (role.value, role.label) for role in policies.assignable_roles(request.user)
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return policies.can_list_people(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policies.can_list_people(request.user) and (
            obj is None or policies.can_view_person(request.user, obj)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return policies.can_list_people(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return policies.can_list_people(request.user)
        return policies.can_manage_person(request.user, obj)

    def save_through_service(
        self, request: HttpRequest, instance: User, data: dict[str, Any], adding: bool
    ) -> User:
        data = dict(data)
        password = data.pop("password", "")
        if adding:
            return services.person_create(by=request.user, password=password, **data)  # type: ignore[arg-type]
        return services.person_update(
            person=instance,
            by=request.user,  # type: ignore[arg-type]
            data=data,
            password=password or None,
        )

    @admin.action(description=_("Deactivate the selected people"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_active(request, queryset, active=False)

    @admin.action(description=_("Reactivate the selected people"))
    def activate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._set_active(request, queryset, active=True)

    @admin.action(description=_("Unlock sign-in for the selected people"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        manageable = selectors.person_list_manageable(user=request.user)
        people = list(queryset.filter(pk__in=manageable.values("pk")))
        for person in people:
            services.person_unlock(person=person, by=request.user)  # type: ignore[arg-type]
        message = ngettext(
            "Sign-in unlocked for %(count)d person.",
            "Sign-in unlocked for %(count)d people.",
            len(people),
        ) % {"count": len(people)}
        self.message_user(request, message, messages.SUCCESS)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[User], *, active: bool) -> None:
        manageable = selectors.person_list_manageable(user=request.user)
        changed = 0
        for person in queryset.filter(pk__in=manageable.values("pk")):
            services.person_set_active(person=person, by=request.user, active=active)  # type: ignore[arg-type]
            changed += 1
        message = ngettext("%(count)d person updated.", "%(count)d people updated.", changed) % {
            "count": changed
        }
        self.message_user(request, message, messages.SUCCESS)
