"""REST endpoints for the signed-in person, regions, schools and people. Thin: parse,
authorise, call one service or selector, shape the answer."""

from typing import Any

import django_filters
from django.contrib.auth import update_session_auth_hash, user_logged_in
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts import policies, selectors, services
from lms.accounts.api import serializers as s
from lms.accounts.api.requests import request_person
from lms.accounts.models import Region, Role, School, User
from lms.accounts.throttles import PasswordCheckRateThrottle, SignInRateThrottle


class TokenCreateApi(APIView):
    """Exchange a username and password for an API token (``Authorization: Token <key>``)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [SignInRateThrottle]

    @extend_schema(request=s.TokenCreateInput, responses={201: s.TokenOutput}, auth=[])
    def post(self, request: Request) -> Response:
        data = s.TokenCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.credentials_authenticate(request=request._request, **data.validated_data)
        instance, token = services.api_token_create(user=user)
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response(
            s.TokenOutput({"token": token, "expiry": instance.expiry, "user": user}).data,
            status=status.HTTP_201_CREATED,
        )


class TokenRevokeApi(APIView):
    """Revoke the token this request was made with (signing out an API client)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            services.api_tokens_revoke(user=request_person(request), only=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(responses=s.PersonOutput)
    def get(self, request: Request) -> Response:
        return Response(s.PersonOutput(request_person(request)).data)

    @extend_schema(request=s.ProfileInput, responses=s.PersonOutput)
    def patch(self, request: Request) -> Response:
        data = s.ProfileInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.profile_update(user=request_person(request), data=data.validated_data)
        return Response(s.PersonOutput(user).data)


class PasswordChangeApi(APIView):
    """Change one's own password. Other API clients of the person are signed out; this one and
    this browser session stay signed in."""

    throttle_classes = [PasswordCheckRateThrottle]

    @extend_schema(request=s.PasswordChangeInput, responses={204: None})
    def post(self, request: Request) -> Response:
        data = s.PasswordChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_person(request)
        token = request.auth if isinstance(request.auth, AuthToken) else None
        services.password_change(user=user, keep_token=token, **data.validated_data)
        # A browser that changed its password through the API stays signed in.
        update_session_auth_hash(request._request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Region]
):
    """Regions: platform administrators create and edit them; others see their own."""

    serializer_class = s.RegionOutput
    search_fields = ("name", "code")
    ordering_fields = ("name", "code")

    def get_queryset(self) -> QuerySet[Region]:
        return selectors.region_list_visible(user=self.request.user)

    @extend_schema(request=s.RegionInput, responses={201: s.RegionOutput})
    def create(self, request: Request) -> Response:
        if not policies.can_manage_regions(request_person(request)):
            raise PermissionDenied
        data = s.RegionInput(data=request.data)
        data.is_valid(raise_exception=True)
        region = services.region_create(by=request_person(request), **data.validated_data)
        return Response(s.RegionOutput(region).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RegionInput(partial=True), responses=s.RegionOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        region = self.get_object()
        if not policies.can_manage_regions(request_person(request)):
            raise PermissionDenied
        data = s.RegionInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        region = services.region_update(
            region=region, by=request_person(request), data=data.validated_data
        )
        return Response(s.RegionOutput(region).data)


def _visible_regions(request: Any) -> QuerySet[Region]:
    return selectors.region_list_visible(user=request.user) if request else Region.objects.none()


def _visible_schools(request: Any) -> QuerySet[School]:
    return selectors.school_list_visible(user=request.user) if request else School.objects.none()


class SchoolFilter(django_filters.FilterSet):
    # Scoped choices: filtering by a hidden region is "not a valid choice", as for a missing one.
    region = django_filters.ModelChoiceFilter(queryset=_visible_regions)

    class Meta:
        model = School
        fields = ("region", "locality")


class SchoolViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[School]
):
    """Schools: region administrators manage the schools of their region."""

    serializer_class = s.SchoolOutput
    filterset_class = SchoolFilter
    search_fields = ("name", "code")
    ordering_fields = ("name", "code")

    def get_queryset(self) -> QuerySet[School]:
        return selectors.school_list_visible(user=self.request.user)

    @extend_schema(request=s.SchoolInput, responses={201: s.SchoolOutput})
    def create(self, request: Request) -> Response:
        if not policies.can_create_schools(request_person(request)):
            raise PermissionDenied
        data = s.SchoolInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        school = services.school_create(by=request_person(request), **data.validated_data)
        return Response(s.SchoolOutput(school).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SchoolInput(partial=True), responses=s.SchoolOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        school = self.get_object()
        if not policies.can_manage_school(request_person(request), school):
            raise PermissionDenied
        data = s.SchoolInput(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        school = services.school_update(
            school=school, by=request_person(request), data=data.validated_data
        )
        return Response(s.SchoolOutput(school).data)


class PersonFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    school = django_filters.ModelChoiceFilter(queryset=_visible_schools)

    class Meta:
        model = User
        fields = ("role", "school", "is_active")


class PersonViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[User]
):
    """People: school administrators manage their school's people, region administrators
    those of their region's schools."""

    serializer_class = s.PersonOutput
    filterset_class = PersonFilter
    search_fields = ("username", "first_name", "last_name", "email")
    ordering_fields = ("username", "last_name", "date_joined")

    def get_queryset(self) -> QuerySet[User]:
        return selectors.person_list_visible(user=self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not policies.can_list_people(request_person(request)):
            raise PermissionDenied
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.PersonInput, responses={201: s.PersonOutput})
    def create(self, request: Request) -> Response:
        if not policies.can_list_people(request_person(request)):
            raise PermissionDenied
        data = s.PersonInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        person = services.person_create(by=request_person(request), **data.validated_data)
        return Response(s.PersonOutput(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PersonUpdateInput(partial=True), responses=s.PersonOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        person = self._manageable()
        data = s.PersonUpdateInput(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        password = changes.pop("password", None)
        person = services.person_update(
            person=person, by=request_person(request), data=changes, password=password
        )
        return Response(s.PersonOutput(person).data)

    @extend_schema(request=None, responses=s.PersonOutput)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str) -> Response:
        person = services.person_set_active(
            person=self._manageable(), by=request_person(request), active=False
        )
        return Response(s.PersonOutput(person).data)

    @extend_schema(request=None, responses={200: s.UnlockOutput})
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk: str) -> Response:
        """Lift a sign-in lockout before its 15 minutes are over."""
        forgotten = services.person_unlock(person=self._manageable(), by=request_person(request))
        return Response(s.UnlockOutput({"forgotten_attempts": forgotten}).data)

    @extend_schema(request=None, responses=s.PersonOutput)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str) -> Response:
        person = services.person_set_active(
            person=self._manageable(), by=request_person(request), active=True
        )
        return Response(s.PersonOutput(person).data)

    def _manageable(self) -> User:
        person = self.get_object()
        if not policies.can_manage_person(request_person(self.request), person):
            raise PermissionDenied
        return person
