from django.urls import path

from classrooms.api import lesson_room, live_lessons, views

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

urlpatterns += [
    path(
        "live-lessons/<int:lesson_id>/slides/",
        lesson_room.LiveLessonSlidesApi.as_view(),
        name="live-lesson-slides",
    ),
    path(
        "live-lessons/<int:lesson_id>/slides/<int:position>/",
        lesson_room.LiveLessonSlideApi.as_view(),
        name="live-lesson-slide",
    ),
    path(
        "live-lessons/<int:lesson_id>/attendance/",
        lesson_room.LiveLessonAttendanceApi.as_view(),
        name="live-lesson-attendance",
    ),
    path(
        "live-lessons/<int:lesson_id>/attendance.csv/",
        lesson_room.LiveLessonAttendanceCsvApi.as_view(),
        name="live-lesson-attendance-csv",
    ),
]
