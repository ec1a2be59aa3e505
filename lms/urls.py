from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from lms import errors
from lms.health import healthz

api_v1 = [
    path("", include("lms.accounts.api.urls")),
    path("", include("lms.notifications.api.urls")),
    path("", include("courses.api.urls")),
    path("", include("courses.assessments.api.urls")),
    path("", include("classrooms.api.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", errors.api_not_found),
    path("", include("frontend.urls")),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return errors.api_not_found(request, exception)
    return defaults.page_not_found(request, exception)
