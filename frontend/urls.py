from django.urls import path

from frontend import views

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
]
