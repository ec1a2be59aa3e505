from django.urls import path

from frontend import class_pages, course_pages, views

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
