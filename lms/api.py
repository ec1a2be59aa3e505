"""Shared pieces of the REST API."""

from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class ShortPageCountingPaginator(Paginator):
    """Counts the rows only when it must. A page that comes back short (most lists: a teacher's
    courses, a class's terms) already tells the total, so it is read with one query instead of
    a COUNT and a SELECT; a full page still counts, for the ``count`` and ``next`` links."""

    def page(self, number: Any) -> Page:
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1 or self.orphans:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if len(rows) > self.per_page:
            return Page(rows[: self.per_page], number, self)
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        self.__dict__["count"] = bottom + len(rows)  # the cached_property, known without a query
        return Page(rows, number, self)


class StandardPagination(PageNumberPagination):
    django_paginator_class = ShortPageCountingPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class FilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the view's filters: building a
    FilterSet costs more than a whole short list query, and most list requests filter nothing.
    A request that does name a filter is validated as usual (400 for a bad value)."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        if not any(_names_filter(view, param) for param in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


def _names_filter(view: Any, param: str) -> bool:
    filterset_class = getattr(view, "filterset_class", None)
    names = (
        list(filterset_class.base_filters)
        if filterset_class is not None
        else list(getattr(view, "filterset_fields", None) or ())
    )
    return any(param == name or param.startswith(f"{name}__") for name in names)
