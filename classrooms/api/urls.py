from django.urls import path

from classrooms.api import views

urlpatterns = [
    path("classrooms/", views.ClassroomsApi.as_view(), name="classrooms"),
    path("classrooms/<int:classroom_id>/", views.ClassroomDetailApi.as_view(), name="classroom"),
]
