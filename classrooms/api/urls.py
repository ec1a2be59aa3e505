from django.urls import path

from classrooms.api import live_lessons, views

urlpatterns = [
    path("classrooms/", views.ClassroomsApi.as_view(), name="classrooms"),
    path("classrooms/<int:classroom_id>/", views.ClassroomDetailApi.as_view(), name="classroom"),
]

urlpatterns += [
    path(
        "classes/<int:cohort_id>/live-lessons/",
        live_lessons.CohortLiveLessonsApi.as_view(),
        name="class-live-lessons",
    ),
    path("live-lessons/<int:lesson_id>/", live_lessons.LiveLessonApi.as_view(), name="live-lesson"),
    path(
        "live-lessons/<int:lesson_id>/cancel/",
        live_lessons.LiveLessonCancelApi.as_view(),
        name="live-lesson-cancel",
    ),
]
