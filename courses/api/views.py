"""REST endpoints for authoring and reading courses. Thin: parse, authorise, call one service
or selector, shape the answer."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from courses import policies, selectors, services
from courses.api import serializers as s
from courses.models import Course, Lesson, Module
from lms.accounts.models import User


def _actor(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


class CourseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Course]
):
    """Courses: teachers write them; administrators see their schools' courses."""

    serializer_class = s.CourseOutput
    filterset_fields = ("audience", "language", "grade_level", "school")
    search_fields = ("title", "subject")
    ordering_fields = ("title", "updated_at")

    def get_queryset(self) -> QuerySet[Course]:
        return selectors.course_list_visible(user=self.request.user)

    @extend_schema(responses=s.CourseOutlineOutput)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        course = self.get_object()
        outline = selectors.course_outline(course=course, user=request.user)
        return Response(
            {**s.CourseOutput(course).data, "modules": s.ModuleOutput(outline, many=True).data}
        )

    @extend_schema(request=s.CourseInput, responses={201: s.CourseOutput})
    def create(self, request: Request) -> Response:
        if not policies.can_create_course(_actor(request)):
            raise PermissionDenied
        data = s.CourseInput(data=request.data)
        data.is_valid(raise_exception=True)
        course = services.course_create(by=_actor(request), **data.validated_data)
        course = self.get_queryset().get(pk=course.pk)  # with its counts
        return Response(s.CourseOutput(course).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CourseInput(partial=True), responses=s.CourseOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        course = self._editable()
        data = s.CourseInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        course = services.course_update(course=course, by=_actor(request), data=data.validated_data)
        course = self.get_queryset().get(pk=course.pk)  # with its counts
        return Response(s.CourseOutput(course).data)

    @extend_schema(request=s.ModuleInput, responses={201: s.ModuleOutput})
    @action(detail=True, methods=["post"])
    def modules(self, request: Request, pk: str) -> Response:
        """Add a module at the end of the course."""
        course = self._editable()
        data = s.ModuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        module = services.module_create(
            course=course, by=_actor(request), title=data.validated_data["title"]
        )
        return Response(s.ModuleOutput(module).data, status=status.HTTP_201_CREATED)

    def _editable(self) -> Course:
        course = self.get_object()
        if not policies.can_edit_course(_actor(self.request), course):
            raise PermissionDenied
        return course


def _module_for_author(request: Request, module_id: str) -> Module:
    module = selectors.module_visible(user=request.user, module_id=int(module_id))
    if module is None:
        raise Http404
    if not policies.can_edit_course(_actor(request), module.course):
        raise PermissionDenied
    return module


class ModuleViewSet(viewsets.ViewSet):
    """A module of a course: rename, publish, move, delete, add lessons (authors only)."""

    queryset = Module.objects.none()  # for the schema: ids are integers
    lookup_value_regex = "[0-9]+"

    @extend_schema(request=s.ModuleInput(partial=True), responses=s.ModuleOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        module = _module_for_author(request, pk)
        data = s.ModuleInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        module = services.module_update(module=module, by=_actor(request), data=data.validated_data)
        return Response(s.ModuleOutput(module).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.module_delete(module=_module_for_author(request, pk), by=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.MoveInput, responses=s.ModuleOutput)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        module = _module_for_author(request, pk)
        data = s.MoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        module = services.module_move(
            module=module, by=_actor(request), position=data.validated_data["position"]
        )
        return Response(s.ModuleOutput(module).data)

    @extend_schema(request=s.LessonInput, responses={201: s.LessonAuthorOutput})
    @action(detail=True, methods=["post"])
    def lessons(self, request: Request, pk: str) -> Response:
        """Add a lesson at the end of the module."""
        module = _module_for_author(request, pk)
        data = s.LessonInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("is_published", None)
        lesson = services.lesson_create(module=module, by=_actor(request), **fields)
        return Response(s.LessonAuthorOutput(lesson).data, status=status.HTTP_201_CREATED)


class LessonViewSet(viewsets.ViewSet):
    """A lesson: read it (published, or drafts for its authors); authors edit, move, delete."""

    queryset = Lesson.objects.none()  # for the schema: ids are integers
    lookup_value_regex = "[0-9]+"

    def _visible(self, request: Request, pk: str) -> Lesson:
        lesson = selectors.lesson_visible(user=request.user, lesson_id=int(pk))
        if lesson is None:
            raise Http404
        return lesson

    def _editable(self, request: Request, pk: str) -> Lesson:
        lesson = self._visible(request, pk)
        if not policies.can_edit_course(_actor(request), lesson.module.course):
            raise PermissionDenied
        return lesson

    def _shape(self, request: Request, lesson: Lesson) -> dict[str, Any]:
        if policies.can_edit_course(request.user, lesson.module.course):
            return s.LessonAuthorOutput(lesson).data
        return s.LessonOutput(lesson).data

    @extend_schema(responses=s.LessonAuthorOutput)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._shape(request, self._visible(request, pk)))

    @extend_schema(request=s.LessonInput(partial=True), responses=s.LessonAuthorOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        lesson = self._editable(request, pk)
        data = s.LessonInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        lesson = services.lesson_update(lesson=lesson, by=_actor(request), data=data.validated_data)
        return Response(s.LessonAuthorOutput(lesson).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.lesson_delete(lesson=self._editable(request, pk), by=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.MoveInput, responses=s.LessonAuthorOutput)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        lesson = self._editable(request, pk)
        data = s.MoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        target = None
        if "module" in data.validated_data:
            target = Module.objects.filter(
                pk=data.validated_data["module"], course_id=lesson.module.course_id
            ).first()
            if target is None:
                raise s.serializers.ValidationError(
                    {"module": [_("Choose a module of the same course.")]}
                )
        lesson = services.lesson_move(
            lesson=lesson,
            by=_actor(request),
            position=data.validated_data["position"],
            module=target,
        )
        return Response(s.LessonAuthorOutput(lesson).data)
