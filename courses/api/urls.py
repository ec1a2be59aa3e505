from django.urls import path
from rest_framework.routers import SimpleRouter

from courses.api import imports, views

router = SimpleRouter()
router.register("courses", views.CourseViewSet, basename="course")
router.register("modules", views.ModuleViewSet, basename="module")
router.register("lessons", views.LessonViewSet, basename="lesson")
router.register("lessons", views.LessonProgressViewSet, basename="lesson-progress")
router.register("terms", views.TermViewSet, basename="term")
router.register("classes", views.CohortViewSet, basename="class")

urlpatterns = [
    path(
        "courses/<int:course_id>/progress/",
        views.CourseProgressApi.as_view(),
        name="course-progress",
    ),
    path("classes/<int:cohort_id>/import/", imports.CohortImportApi.as_view(), name="class-import"),
    *router.urls,
]
