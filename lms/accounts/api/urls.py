from django.urls import path
from rest_framework.routers import SimpleRouter

from lms.accounts.api import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("schools", views.SchoolViewSet, basename="school")
router.register("people", views.PersonViewSet, basename="person")

urlpatterns = [
    path("auth/token/", views.TokenCreateApi.as_view(), name="token-create"),
    path("auth/token/revoke/", views.TokenRevokeApi.as_view(), name="token-revoke"),
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/password/", views.PasswordChangeApi.as_view(), name="password-change"),
    *router.urls,
]
