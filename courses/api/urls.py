from rest_framework.routers import SimpleRouter

from courses.api import views

router = SimpleRouter()
router.register("courses", views.CourseViewSet, basename="course")
router.register("modules", views.ModuleViewSet, basename="module")
router.register("lessons", views.LessonViewSet, basename="lesson")

urlpatterns = router.urls
