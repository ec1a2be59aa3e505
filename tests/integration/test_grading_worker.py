"""A real Celery worker on Redis grades submitted quizzes: 200 of them, and again with the worker
killed (SIGKILL, the whole process group) three times during the run. Every submission is
graded exactly once: none lost, no second history row, no task failing on a duplicate."""

import re
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from tests.servers import (
    PYTHON,
    ROOT,
    Process,
    base_env,
    fresh_database,
    manage,
    redis_url_with_db,
    running,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.integration]

WORKER_REDIS_DB = 3  # apart from the test process's and the layout test's Redis databases
SUBMISSIONS = 200


@dataclass
class Site:
    env: dict[str, str]
    database_url: str
    tmp: Path

    def count(self, sql: str) -> int:
        with psycopg.connect(self.database_url) as connection:
            row = connection.execute(sql).fetchone()
        assert row is not None
        return int(row[0])

    def graded(self) -> int:
        return self.count("SELECT count(*) FROM assessments_attempt WHERE graded_at IS NOT NULL")

    def worker(self, name: str) -> "ExitStackWorker":
        command = [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "lms",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
        ]
        return ExitStackWorker(name, command, self.env, self.tmp / f"{name}.log")


class ExitStackWorker:
    """A worker process that a test can kill with SIGKILL at any moment, or stop at the end."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.stack = ExitStack()
        self.process: Process = self.stack.enter_context(running(name, command, env, log))
        self.log = log

    def kill(self) -> None:
        import os
        import signal

        os.killpg(self.process.popen.pid, signal.SIGKILL)
        self.process.popen.wait(timeout=10)
        self.stack.close()

    def stop(self) -> None:
        self.stack.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    redis_url = redis_url_with_db(WORKER_REDIS_DB)
    redis.Redis.from_url(redis_url).flushdb()
    with fresh_database(tmp_path, "mektep_grading") as database:
        env = base_env(
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DATABASE_URL=database.url,
            REDIS_URL=redis_url,
            CELERY_VISIBILITY_TIMEOUT="10",  # a killed worker's tasks come back in seconds
            CELERY_RESTORE_INTERVAL="2",
            # Beat asks again, every 3 s, for attempts ungraded 15 s after submission: Redis can
            # lose a task a worker took just before it was killed.
            ASSESSMENTS_SWEEP_SECONDS="3",
            GRADING_REQUEUE_AFTER_SECONDS="15",
            PYTHONPATH=str(ROOT),
        )
        manage(env, "migrate", "--noinput")
        site = Site(env=env, database_url=database.url, tmp=tmp_path)
        manage_output = _seed(site)
        assert f"seeded {SUBMISSIONS}" in manage_output
        yield site
    redis.Redis.from_url(redis_url).flushdb()


def _seed(site: Site) -> str:
    import subprocess

    result = subprocess.run(
        [PYTHON, "-m", "tests.integration.grading_seed", str(SUBMISSIONS)],
        cwd=ROOT,
        env={**site.env, "DJANGO_SETTINGS_MODULE": "lms.settings"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _assert_graded_exactly_once(site: Site, logs: list[Path]) -> None:
    assert site.graded() == SUBMISSIONS
    assert site.count("SELECT count(*) FROM assessments_attempt WHERE state = 'graded'") == (
        SUBMISSIONS
    )
    # one grade per pupil, one history row per attempt, from the grading job
    assert site.count("SELECT count(*) FROM assessments_grade") == SUBMISSIONS
    history = site.count("SELECT count(*) FROM assessments_gradechange WHERE source = 'grading'")
    assert history == SUBMISSIONS
    assert (
        site.count(
            "SELECT count(*) FROM (SELECT attempt_id FROM assessments_gradechange "
            "GROUP BY attempt_id HAVING count(*) > 1) AS twice"
        )
        == 0
    )
    # half of the pupils answered right: the scores are what the answers earned
    assert site.count("SELECT count(*) FROM assessments_grade WHERE points = 1") == SUBMISSIONS / 2
    # and no task failed (a duplicate would have hit the database's unique rule)
    for log in logs:
        text = log.read_text(errors="replace")
        assert "IntegrityError" not in text, log
        assert "raised unexpected" not in text, log


def test_a_worker_grades_every_submission_once(site: Site) -> None:
    worker = site.worker("worker")
    try:
        wait_until(
            lambda: site.graded() == SUBMISSIONS,
            timeout=180,
            what=f"{SUBMISSIONS} attempts graded",
            processes=[worker.process],
        )
    finally:
        worker.stop()
    _assert_graded_exactly_once(site, [worker.log])


def test_killed_three_times_the_workers_still_grade_every_submission_once(site: Site) -> None:
    logs: list[Path] = []
    for round_number, threshold in enumerate((20, 80, 140)):
        worker = site.worker(f"worker-{round_number}")
        logs.append(worker.log)
        try:
            wait_until(
                lambda threshold=threshold: site.graded() >= threshold,
                timeout=120,
                what=f"at least {threshold} attempts graded",
                processes=[worker.process],
            )
        except BaseException:
            worker.stop()
            raise
        worker.kill()  # SIGKILL mid-run: tasks in flight are neither acknowledged nor finished
    last = site.worker("worker-last")
    logs.append(last.log)
    beat = ExitStackWorker(
        "beat",
        [PYTHON, "-m", "celery", "-A", "lms", "beat", "--loglevel", "INFO"],
        site.env,
        site.tmp / "beat.log",
    )
    try:
        wait_until(
            lambda: site.graded() == SUBMISSIONS,
            timeout=180,
            what=f"{SUBMISSIONS} attempts graded after three kills",
            processes=[last.process, beat.process],
        )
    finally:
        beat.stop()
        last.stop()
    _assert_graded_exactly_once(site, logs)
    # and the kills did interrupt work: tasks a killed worker had taken were delivered again
    deliveries = [
        match
        for log in logs
        for match in re.findall(r"attempt_grade\[([0-9a-f-]+)\] received", log.read_text())
    ]
    assert len(set(deliveries)) >= SUBMISSIONS  # the re-asked ones have new task ids
    assert len(deliveries) > SUBMISSIONS, "no task was in flight when a worker was killed"
