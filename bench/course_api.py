"""Requests per second of the course list and lesson endpoints, against a plain
``JsonResponse(list(qs.values()))`` view of the same rows, measured in the same run.

    .venv/bin/python bench/course_api.py [--courses 50] [--seconds 1] [--rounds 7]

Runs in-process (Django's test client, no network) on a throwaway SQLite database, or on
PostgreSQL when DATABASE_URL is set (a database named mektep_bench_<random> is created and
dropped). Our endpoint and the baseline are measured in alternating rounds, so that a busy
moment of the machine falls on both; prints the median of the rounds' ratios with their range.
The target is 0.6 or more.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throwaway import throwaway_database  # noqa: E402 - after the path is set


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=1.0, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    with throwaway_database():
        run(args.courses, args.seconds, args.rounds)


def run(course_count: int, seconds: float, rounds: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.http import HttpRequest, JsonResponse
    from django.test import Client, override_settings
    from django.urls import include, path

    call_command("migrate", verbosity=0)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from courses import services
    from courses.models import Course, Lesson, LessonFile
    from lms.accounts.models import Region, Role, School, User

    region = Region.objects.create(name="Bench", code="bench")
    school = School.objects.create(
        region=region, name="Bench school", code="bench-1", locality="rural", languages=["ky"]
    )
    teacher = User.objects.create_user(
        "bench-teacher",
        password="x",  # noqa: S106 - a throwaway database
        role=Role.TEACHER,
        school=school,
    )
    lesson = None
    for n in range(course_count):
        course = services.course_create(
            by=teacher, title=f"Course {n}", subject="Math", grade_level=7, language="ky"
        )
        module = services.module_create(course=course, by=teacher, title="Module")
        lesson = services.lesson_create(
            module=module, by=teacher, title="Lesson", body_markdown="# Title\n\n" + "text " * 400
        )
    assert lesson is not None
    # A second lesson with an attached PDF: its files are one more query on both sides.
    settings.MEDIA_ROOT = tempfile.mkdtemp()
    with_file = services.lesson_create(
        module=lesson.module, by=teacher, title="With a file", body_markdown="text " * 400
    )
    services.lesson_file_add(
        lesson=with_file,
        by=teacher,
        upload=SimpleUploadedFile("notes.pdf", b"%PDF-1.4\n" + b"0" * 50_000),
        kind="attachment",
    )

    def plain_courses(request: HttpRequest) -> JsonResponse:
        rows = Course.objects.filter(teachers=request.user).values()
        return JsonResponse(list(rows), safe=False)

    def plain_lesson(request: HttpRequest, lesson_id: int) -> JsonResponse:
        return JsonResponse(list(Lesson.objects.filter(pk=lesson_id).values()), safe=False)

    def plain_lesson_files(request: HttpRequest, lesson_id: int) -> JsonResponse:
        rows = list(Lesson.objects.filter(pk=lesson_id).values())
        files = list(LessonFile.objects.filter(lesson_id=lesson_id).values())
        return JsonResponse({"lesson": rows, "files": files})

    urlconf = type(sys)("bench_urls")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("plain/courses/", plain_courses),
        path("plain/lessons/<int:lesson_id>/", plain_lesson),
        path("plain/lessons/<int:lesson_id>/files/", plain_lesson_files),
        path("", include("lms.urls")),
    ]
    sys.modules["bench_urls"] = urlconf

    with override_settings(ROOT_URLCONF="bench_urls", DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(teacher)
        pairs = [
            ("course list", "/api/v1/courses/?page_size=200", "/plain/courses/"),
            ("lesson", f"/api/v1/lessons/{lesson.pk}/", f"/plain/lessons/{lesson.pk}/"),
            (
                "lesson + PDF",
                f"/api/v1/lessons/{with_file.pk}/",
                f"/plain/lessons/{with_file.pk}/files/",
            ),
        ]
        print(
            f"{course_count} courses, {rounds} rounds of {seconds:.0f} s per endpoint, "
            f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
        )
        for name, ours, baseline in pairs:
            figures = [
                (_rps(client, ours, seconds), _rps(client, baseline, seconds))
                for _ in range(rounds)
            ]
            ratios = sorted(api / plain for api, plain in figures)
            print(
                f"{name:12} API {statistics.median(a for a, _ in figures):8.1f} req/s   "
                f"plain {statistics.median(p for _, p in figures):8.1f} req/s   "
                f"ratio {statistics.median(ratios):.2f} (rounds: {ratios[0]:.2f}-{ratios[-1]:.2f})"
            )


def _rps(client: object, url: str, seconds: float) -> float:
    get = client.get  # type: ignore[attr-defined]
    response = get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    for _ in range(20):  # warm up
        get(url)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        get(url)
        count += 1
    return count / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
