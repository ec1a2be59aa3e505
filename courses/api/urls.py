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
    path("lessons/<int:lesson_id>/files/", views.LessonFileApi.as_view(), name="lesson-files"),
    path("lesson-files/<int:file_id>/", views.LessonFileDetailApi.as_view(), name="lesson-file"),
    path(
        "lesson-files/<int:file_id>/download/",
        views.LessonFileDownloadApi.as_view(),
        name="lesson-file-download",
    ),
    path(
        "courses/<int:course_id>/progress/",
        views.CourseProgressApi.as_view(),
        name="course-progress",
    ),
    path("classes/<int:cohort_id>/import/", imports.CohortImportApi.as_view(), name="class-import"),
    *router.urls,
]
