from django.urls import path

from courses.assessments.api import views

urlpatterns = [
    path(
        "courses/<int:course_id>/questions/",
        views.CourseQuestionsApi.as_view(),
        name="course-questions",
    ),
    path(
        "courses/<int:course_id>/questions/import/",
        views.GiftImportApi.as_view(),
        name="course-questions-import",
    ),
    path(
        "courses/<int:course_id>/objectives/",
        views.CourseObjectivesApi.as_view(),
        name="course-objectives",
    ),
    path("questions/<int:question_id>/", views.QuestionDetailApi.as_view(), name="question"),
]
