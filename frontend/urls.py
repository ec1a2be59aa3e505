from django.urls import path

from frontend import (
    assessment_pages,
    bank_pages,
    class_pages,
    classroom_pages,
    course_pages,
    gradebook_pages,
    lesson_room_pages,
    live_lesson_pages,
    marking_pages,
    notification_pages,
    quiz_pages,
    views,
)

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("language/", views.language_switch, name="language"),
    path("schools/", views.school_list, name="school-list"),
    path("schools/new/", views.school_edit, name="school-create"),
    path("schools/<int:school_id>/", views.school_edit, name="school-edit"),
    path("people/", views.person_list, name="person-list"),
    path("people/new/", views.person_edit, name="person-create"),
    path("people/<int:person_id>/", views.person_edit, name="person-edit"),
    path("people/<int:person_id>/active/", views.person_set_active, name="person-set-active"),
    path("people/<int:person_id>/unlock/", views.person_unlock, name="person-unlock"),
    path("courses/", course_pages.course_list, name="course-list"),
    path("courses/new/", course_pages.course_edit, name="course-create"),
    path("courses/<int:course_id>/", course_pages.course_detail, name="course-detail"),
    path("courses/<int:course_id>/edit/", course_pages.course_edit, name="course-edit"),
    path("courses/<int:course_id>/modules/", course_pages.module_create, name="module-create"),
    path("modules/<int:module_id>/", course_pages.module_change, name="module-change"),
    path("modules/<int:module_id>/lessons/", course_pages.lesson_create, name="lesson-create"),
    path("lessons/<int:lesson_id>/", course_pages.lesson_detail, name="lesson-detail"),
    path("lessons/<int:lesson_id>/edit/", course_pages.lesson_edit, name="lesson-edit"),
    path("lessons/<int:lesson_id>/change/", course_pages.lesson_change, name="lesson-change"),
    path(
        "lessons/<int:lesson_id>/files/", course_pages.lesson_file_upload, name="lesson-file-upload"
    ),
    path(
        "lessons/<int:lesson_id>/files/<int:file_id>/remove/",
        course_pages.lesson_file_remove,
        name="lesson-file-remove",
    ),
    path("lessons/<int:lesson_id>/complete/", class_pages.lesson_complete, name="lesson-complete"),
    path("terms/", class_pages.term_list, name="term-list"),
    path("classes/", class_pages.class_list, name="class-list"),
    path("classes/new/", class_pages.class_create, name="class-create"),
    path("classes/join/", class_pages.class_join, name="class-join"),
    path("classes/<int:class_id>/", class_pages.class_detail, name="class-detail"),
    path("classes/<int:class_id>/enrol/", class_pages.class_enrol, name="class-enrol"),
    path("classes/<int:class_id>/import/", class_pages.class_import, name="class-import"),
]

# Question banks, quizzes and assignments, taking a quiz, gradebooks and a pupil's grades.
urlpatterns += [
    path("courses/<int:course_id>/questions/", bank_pages.question_list, name="question-list"),
    path(
        "courses/<int:course_id>/questions/new/",
        bank_pages.question_create,
        name="question-create",
    ),
    path(
        "courses/<int:course_id>/questions/import/",
        bank_pages.question_import,
        name="question-import",
    ),
    path("questions/<int:question_id>/edit/", bank_pages.question_edit, name="question-edit"),
    path("questions/<int:question_id>/delete/", bank_pages.question_delete, name="question-delete"),
    path(
        "classes/<int:class_id>/assessments/",
        assessment_pages.assessment_list,
        name="assessment-list",
    ),
    path(
        "classes/<int:class_id>/assessments/new-quiz/",
        assessment_pages.quiz_create,
        name="quiz-create",
    ),
    path(
        "classes/<int:class_id>/assessments/new-assignment/",
        assessment_pages.assignment_create,
        name="assignment-create",
    ),
    path(
        "assessments/<int:assessment_id>/",
        assessment_pages.assessment_detail,
        name="assessment-detail",
    ),
    path(
        "assessments/<int:assessment_id>/publish/",
        assessment_pages.assessment_publish,
        name="assessment-publish",
    ),
    path("assessments/<int:assessment_id>/start/", quiz_pages.attempt_start, name="attempt-start"),
    path("attempts/<int:attempt_id>/", quiz_pages.attempt_detail, name="attempt-detail"),
    path("attempts/<int:attempt_id>/answers/", quiz_pages.attempt_save, name="attempt-save"),
    path(
        "attempts/<int:attempt_id>/answers/<int:question_id>/",
        quiz_pages.answer_save,
        name="answer-save",
    ),
    path("attempts/<int:attempt_id>/submit/", quiz_pages.attempt_submit, name="attempt-submit"),
    path("classes/<int:class_id>/gradebook/", gradebook_pages.gradebook, name="gradebook"),
    path(
        "classes/<int:class_id>/gradebook/import/",
        gradebook_pages.grades_import,
        name="grades-import",
    ),
    path(
        "classes/<int:class_id>/grade-categories/",
        gradebook_pages.grade_category_create,
        name="grade-category-create",
    ),
    path(
        "assessments/<int:assessment_id>/grades/<int:student_id>/",
        gradebook_pages.grade_detail,
        name="grade-detail",
    ),
    path(
        "assessments/<int:assessment_id>/grades/publish/",
        gradebook_pages.grades_publish,
        name="grades-publish",
    ),
    path("classes/<int:class_id>/my-grades/", gradebook_pages.my_grades, name="my-grades"),
]

# Work marked by hand: handing in an assignment, the marking queue, marking a submission.
urlpatterns += [
    path("assessments/<int:assessment_id>/hand-in/", marking_pages.hand_in, name="hand-in"),
    path(
        "assessments/<int:assessment_id>/submissions/",
        marking_pages.submissions,
        name="assessment-submissions",
    ),
    path("marking/", marking_pages.marking_queue, name="marking-queue"),
    path(
        "classes/<int:class_id>/marking/",
        marking_pages.class_marking_queue,
        name="class-marking-queue",
    ),
    path("attempts/<int:attempt_id>/mark/", marking_pages.attempt_mark, name="attempt-mark"),
]

# Classrooms of schools (smart classrooms and the rooms that join live lessons).
urlpatterns += [
    path("classrooms/", classroom_pages.classroom_list, name="classroom-list"),
    path("classrooms/<int:classroom_id>/", classroom_pages.classroom_edit, name="classroom-edit"),
    path(
        "classrooms/<int:classroom_id>/delete/",
        classroom_pages.classroom_delete,
        name="classroom-delete",
    ),
]

# Live lessons of a class (scheduling; the lesson room comes with the realtime work).
urlpatterns += [
    path(
        "classes/<int:class_id>/live-lessons/",
        live_lesson_pages.live_lesson_list,
        name="live-lessons",
    ),
    path(
        "live-lessons/<int:lesson_id>/",
        live_lesson_pages.live_lesson_detail,
        name="live-lesson-detail",
    ),
    path(
        "live-lessons/<int:lesson_id>/cancel/",
        live_lesson_pages.live_lesson_cancel,
        name="live-lesson-cancel",
    ),
]

# The room of a live lesson (teacher's console, facilitator's projector, pupil's room: one
# address, by the person's part in the lesson), its slide deck and its attendance.
urlpatterns += [
    path("live-lessons/<int:lesson_id>/room/", lesson_room_pages.lesson_room, name="lesson-room"),
    path(
        "live-lessons/<int:lesson_id>/slides/",
        lesson_room_pages.slides_upload,
        name="lesson-slides-upload",
    ),
    path(
        "live-lessons/<int:lesson_id>/slides/<int:position>/",
        lesson_room_pages.slide_image,
        name="lesson-slide",
    ),
    path(
        "live-lessons/<int:lesson_id>/attendance/",
        lesson_room_pages.lesson_attendance,
        name="lesson-attendance",
    ),
    path(
        "live-lessons/<int:lesson_id>/attendance.csv",
        lesson_room_pages.lesson_attendance_csv,
        name="lesson-attendance-csv",
    ),
]

# Notifications: the person's own list and choices; failed deliveries for administrators.
urlpatterns += [
    path("notifications/", notification_pages.notification_list, name="notifications"),
    path(
        "notifications/read/",
        notification_pages.notifications_mark_all_read,
        name="notifications-read",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        notification_pages.notification_mark_read,
        name="notification-read",
    ),
    path(
        "notifications/<int:notification_id>/open/",
        notification_pages.notification_open,
        name="notification-open",
    ),
    path(
        "notifications/settings/",
        notification_pages.notification_settings,
        name="notification-settings",
    ),
    path(
        "notifications/failures/",
        notification_pages.delivery_failures,
        name="notification-failures",
    ),
    path(
        "notifications/failures/<int:delivery_id>/resend/",
        notification_pages.delivery_resend,
        name="delivery-resend",
    ),
]
