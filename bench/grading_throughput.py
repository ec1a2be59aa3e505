"""A class of 40 submits a 30-question quiz at once: the time until one Celery worker has graded
every attempt, against grading the same work in-process, in the same run.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../<db> \\
        .venv/bin/python bench/grading_throughput.py [--pupils 40] [--rounds 5] [--concurrency 2]

Needs PostgreSQL and Redis (give it a Redis database of its own: its queue is purged). Runs on a
throwaway database (mektep_bench_<random>, created and dropped). The quiz has 30 questions of
the seven automatically graded types (single, multiple, true/false, numeric, short text,
matching, ordering); each pupil answers every question, some right, some wrong.

One worker is started as the Procfile starts it (``celery -A lms worker``, prefork, the given
concurrency) and is waited for: its start is not measured; a few attempts are graded first so
that its processes have imported and connected.

Each round, for a new quiz:
- worker: the 40 submissions commit together (one transaction; each enqueues its grading task
  after the commit, as a request does); the clock runs from just before that commit until the
  script sees all 40 attempts graded (state graded, grade rows written; polled every 10 ms);
- in-process: 40 identical attempts, submitted without enqueuing, graded by calling
  ``services.attempt_autograde`` in a loop: the pure cost of grading.
The two alternate in order from round to round; medians of the rounds are printed.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throwaway import bench_class, throwaway_database  # noqa: E402 - after the path is set

KINDS = ("single", "multiple", "true_false", "numeric", "short_text", "matching", "ordering")
TARGET_SECONDS = 2.0
POLL_SECONDS = 0.01


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pupils", type=int, default=40)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--concurrency", type=int, default=2, help="the worker's processes (Procfile: 2)"
    )
    parser.add_argument(
        "--db-reuse-max",
        type=int,
        default=0,
        help="start the worker with Celery's CELERY_DB_REUSE_MAX (lms/settings.py sets none): "
        "keep database connections across tasks instead of reconnecting for each",
    )
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL", "")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not redis_url:
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: a real worker needs both.")
    # DEBUG off in this process and in the worker, as in production: no query log.
    os.environ["DEBUG"] = "false"
    with throwaway_database(redis_url=redis_url):
        run(args.pupils, args.questions, args.rounds, args.concurrency, args.db_reuse_max)


def run(
    pupil_count: int, question_count: int, rounds: int, concurrency: int, db_reuse_max: int
) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from courses.assessments import services, tasks
    from courses.assessments.models import Attempt, AttemptState, Grade
    from lms.celery import app
    from tests.servers import base_env, running, wait_until

    call_command("migrate", verbosity=0)
    world = _World.create(pupil_count, question_count)
    app.control.purge()  # tasks left by an interrupted run would be graded first

    def submit(quiz: Any, *, enqueue: bool) -> tuple[list[int], float]:
        """Hand in every pupil's attempt; returns the attempts and when the clock starts."""
        attempts = world.attempts(quiz)
        if enqueue:
            with transaction.atomic():  # all commit together; the tasks go out after
                for pupil, attempt in attempts:
                    services.attempt_submit(attempt=attempt, student=pupil)
                started = time.perf_counter()
        else:
            with mock.patch.object(tasks.attempt_grade, "delay"):
                for pupil, attempt in attempts:
                    services.attempt_submit(attempt=attempt, student=pupil)
            started = time.perf_counter()
        return [attempt.pk for _, attempt in attempts], started

    def graded(quiz: Any) -> int:
        return Attempt.objects.filter(assessment=quiz, state=AttemptState.GRADED).count()

    def by_worker(quiz: Any, worker: Any) -> float:
        _, started = submit(quiz, enqueue=True)
        while graded(quiz) < pupil_count:
            worker.check_running()
            if time.perf_counter() > started + 120:
                raise TimeoutError(f"not graded in 120 s; the worker's log: {worker.log}")
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - started
        assert Grade.objects.filter(assessment=quiz, points__isnull=False).count() == pupil_count
        return seconds

    def in_process(quiz: Any) -> float:
        ids, started = submit(quiz, enqueue=False)
        for attempt_id in ids:
            services.attempt_autograde(attempt_id=attempt_id)
        seconds = time.perf_counter() - started
        assert graded(quiz) == pupil_count
        return seconds

    # The queries of grading one attempt, for the record.
    probe = world.quiz("probe")
    (probe_id, *others), _ = submit(probe, enqueue=False)
    with CaptureQueriesContext(connection) as queries:  # counts with DEBUG off too
        services.attempt_autograde(attempt_id=probe_id)
    for attempt_id in others:  # and the in-process path warmed up
        services.attempt_autograde(attempt_id=attempt_id)

    quizzes = [(world.quiz(f"worker {n}"), world.quiz(f"in-process {n}")) for n in range(rounds)]
    warm_up = world.quiz("warm-up")
    env = base_env(
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=os.environ["REDIS_URL"],
        LMS_ENV="dev",
        PYTHONPATH=str(ROOT),
    )
    options = ["--loglevel", "INFO", "--concurrency", str(concurrency)]
    # As the Procfile starts it, or the same app and options with the one setting changed.
    command = [sys.executable, "-m", "celery", "-A", "lms", "worker", *options]
    if db_reuse_max:
        command = [
            sys.executable,
            "-c",
            "from lms.celery import app; "
            f"app.conf['CELERY_DB_REUSE_MAX'] = {db_reuse_max}; "
            f"app.worker_main(['worker', *{options!r}])",
        ]
    log = Path(tempfile.mkdtemp()) / "worker.log"
    print(
        f"{pupil_count} pupils x {question_count} questions ({', '.join(KINDS)}), "
        f"{rounds} rounds, one worker of concurrency {concurrency}"
        f"{f', CELERY_DB_REUSE_MAX={db_reuse_max}' if db_reuse_max else ''}, PostgreSQL and Redis"
    )
    print(f"attempt_autograde: {len(queries)} queries for one attempt")
    with running("worker", command, env, log) as worker:
        wait_until(
            lambda: " ready." in log.read_text(errors="replace"),
            timeout=60,
            what="the worker ready",
            processes=[worker],
        )
        by_worker(warm_up, worker)  # not counted: the worker's processes import and connect
        figures = []
        for number, (for_worker, for_loop) in enumerate(quizzes):
            steps: list[tuple[str, Callable[[], float]]] = [
                ("worker", lambda q=for_worker: by_worker(q, worker)),
                ("in-process", lambda q=for_loop: in_process(q)),
            ]
            if number % 2:
                steps.reverse()
            measured = {name: step() for name, step in steps}
            figures.append((measured["worker"], measured["in-process"]))
            print(
                f"round {number + 1}: worker {measured['worker']:.2f} s, "
                f"in-process {measured['in-process']:.2f} s"
            )
    worker_s = statistics.median(w for w, _ in figures)
    loop_s = statistics.median(p for _, p in figures)
    ratios = sorted(w / p for w, p in figures)
    print(
        f"worker: {worker_s:.2f} s for {pupil_count} (target {TARGET_SECONDS:.0f} s); "
        f"in-process: {loop_s:.2f} s; ratio {statistics.median(ratios):.2f} "
        f"(rounds: {ratios[0]:.2f}-{ratios[-1]:.2f}); medians of {rounds} rounds"
    )


class _World:
    """A class of pupils and a bank of questions; a quiz of all of them per round, with every
    pupil's answers saved through the services."""

    def __init__(self, teacher: Any, cohort: Any, pupils: list[Any], questions: list[Any]):
        self.teacher, self.cohort, self.pupils, self.questions = teacher, cohort, pupils, questions
        self._attempts: dict[int, list[tuple[Any, Any]]] = {}

    @classmethod
    def create(cls, pupil_count: int, question_count: int) -> "_World":

        from courses import services as course_services
        from courses.assessments import services
        from lms.accounts.models import Role, User

        school, admin, teacher, course, cohort = bench_class()
        questions = [
            services.question_create(
                course=course,
                by=teacher,
                kind=KINDS[number % len(KINDS)],
                title=f"Q{number}",
                text_markdown=f"Question {number}?",
                keys=_keys(KINDS[number % len(KINDS)]),
                points=Decimal(2),
            )
            for number in range(question_count)
        ]
        pupils = []
        for number in range(pupil_count):
            pupil = User.objects.create(
                username=f"bench-pupil-{number}", role=Role.STUDENT, school=school
            )
            course_services.enrolment_create(cohort=cohort, student=pupil, by=admin)
            pupils.append(pupil)
        return cls(teacher, cohort, pupils, questions)

    def quiz(self, title: str) -> Any:
        """A published quiz of every question, each pupil's attempt started and answered."""
        from datetime import timedelta

        from django.utils import timezone

        from courses.assessments import services

        quiz = services.assessment_create(
            cohort=self.cohort,
            by=self.teacher,
            kind="quiz",
            title=title,
            due_at=timezone.now() + timedelta(days=1),
            shuffle_options=True,
            questions=[{"question": question.pk} for question in self.questions],
        )
        services.assessment_publish(assessment=quiz, by=self.teacher)
        kinds = {question.pk: question.kind for question in self.questions}
        keys = {question.pk: list(question.keys.all()) for question in self.questions}
        attempts = []
        for number, pupil in enumerate(self.pupils):
            attempt = services.attempt_start(assessment=quiz, student=pupil)
            for index, item in enumerate(attempt.questions):
                question_id = item["question"]
                right = (number + index) % 3 != 0  # two answers in three are right
                services.answer_save(
                    attempt=attempt,
                    student=pupil,
                    question_id=question_id,
                    response=_response(kinds[question_id], keys[question_id], right=right),
                    revision=1,
                )
            attempts.append((pupil, attempt))
        self._attempts[quiz.pk] = attempts
        return quiz

    def attempts(self, quiz: Any) -> list[tuple[Any, Any]]:
        return self._attempts[quiz.pk]


def _keys(kind: str) -> list[dict[str, Any]]:
    one, zero = Decimal(1), Decimal(0)
    if kind == "single":
        return [
            {"text": "Bishkek", "fraction": one, "feedback": "Right."},
            {"text": "Osh", "fraction": zero, "feedback": "Osh is the second city."},
            {"text": "Naryn", "fraction": zero},
            {"text": "Karakol", "fraction": zero},
        ]
    if kind == "multiple":
        half = Decimal("0.5")
        return [
            {"text": "2", "fraction": half},
            {"text": "3", "fraction": half},
            {"text": "4", "fraction": -half},
            {"text": "6", "fraction": -half},
        ]
    if kind == "true_false":
        return [{"text": "True", "fraction": one}, {"text": "False", "fraction": zero}]
    if kind == "numeric":
        return [{"value": Decimal("3.14"), "tolerance": Decimal("0.01"), "fraction": one}]
    if kind == "short_text":
        return [{"text": "Бишкек", "fraction": one}, {"text": "Frunze", "fraction": Decimal("0.5")}]
    if kind == "matching":
        return [
            {"text": "Kyrgyzstan", "match": "Bishkek"},
            {"text": "Kazakhstan", "match": "Astana"},
            {"text": "Mongolia", "match": "Ulaanbaatar"},
        ]
    return [{"text": text} for text in ("one", "two", "three", "four")]  # ordering


def _response(kind: str, keys: list[Any], *, right: bool) -> dict[str, Any]:
    if kind in ("single", "true_false"):
        chosen = [key for key in keys if (key.fraction == 1) == right]
        return {"option": chosen[0].pk}
    if kind == "multiple":
        return {"options": [key.pk for key in keys if (key.fraction > 0) == right]}
    if kind == "numeric":
        return {"value": "3,14" if right else "2.71"}
    if kind == "short_text":
        return {"text": " bishkek " if right else "Ош"}
    if kind == "matching":
        matches = [key.match for key in keys]
        if not right:
            matches = matches[1:] + matches[:1]
        return {"pairs": {str(key.pk): match for key, match in zip(keys, matches, strict=True)}}
    order = [key.pk for key in sorted(keys, key=lambda key: key.position)]
    return {"order": order if right else order[::-1]}


if __name__ == "__main__":
    main()
