"""Notifications with a real Celery worker and beat on Redis, on a fresh PostgreSQL database.

- Two beats started by mistake each send the 15-minute reminder every second: everyone of the
  lesson is reminded once, by one dispatch.
- A worker killed (SIGKILL, its whole process group) twice during a fan-out to 2,000 pupils:
  every pupil gets one notification, every address one e-mail delivery, all sent. E-mail is at
  least once by design (a worker killed between the SMTP server's "250" and the database's
  update sends that one again), so an address may get a second e-mail, at most one per worker
  process killed.
- A task delivered twice (the fan-out of a finished dispatch, a sending of sent deliveries)
  changes nothing.
"""

import json
import re
import secrets
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from celery import Celery

from lms.notifications.services import SENT_FLUSH
from tests.notifications.outside import MailServer, mail_server
from tests.servers import (
    PYTHON,
    ROOT,
    Process,
    _log_tail,
    _NotYet,
    base_env,
    fresh_database,
    kill_group,
    manage,
    redis_url_with_db,
    running,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.integration]

# Apart from the test process's own Redis database (1 in scripts/test.sh), the layout test's (2),
# the grading worker test's (3) and the benchmarks' (4 and 6).
NOTIFICATIONS_REDIS_DB = 5
SEED_TIMEOUT = 300  # seconds for one seed command
RESULT_TIMEOUT = 60  # seconds for a task sent by the test to finish
DRAIN_TIMEOUT = 60  # seconds for the worker to empty the queue
CONCURRENCY = 2  # worker processes: a killed worker may have been sending two e-mails at once

# The reminder test
CLASS_SIZE = 30
REMINDER_TICKS = 5  # reminder tasks each beat must have sent: several seconds of ticking

# The kill test
FAN_OUT = 2_000
BATCH_SIZE = 50  # 40 batches: the fan-out lasts long enough to be killed in the middle
KILL_AT = (300, 1_100)  # the cursor past which each worker is killed


@dataclass
class Site:
    env: dict[str, str]
    database_url: str
    redis_url: str
    tmp: Path
    processes: ExitStack  # every process started here is stopped before the database goes

    # --- the database, read as the tests' own client -----------------------------------------
    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url) as connection:
            return connection.execute(sql, params).fetchall()

    def count(self, sql: str, *params: Any) -> int:
        return int(self.rows(sql, *params)[0][0])

    def cursor(self, dispatch_id: int) -> int:
        return self.count("SELECT cursor FROM notifications_dispatch WHERE id = %s", dispatch_id)

    def settled(self, dispatch_id: int) -> bool:
        """The dispatch's fan-out finished and none of its deliveries waits or is being sent."""
        open_fan_out = self.count(
            "SELECT count(*) FROM notifications_dispatch WHERE id = %s AND finished_at IS NULL",
            dispatch_id,
        )
        unsent = self.count(
            "SELECT count(*) FROM notifications_delivery d "
            "JOIN notifications_notification n ON n.id = d.notification_id "
            "WHERE n.dispatch_id = %s AND d.state IN ('pending', 'sending')",
            dispatch_id,
        )
        if open_fan_out or unsent:
            raise _NotYet(f"fan-out open: {bool(open_fan_out)}, deliveries unsent: {unsent}")
        return True

    # --- processes ---------------------------------------------------------------------------
    def seed(self, *args: str) -> dict[str, Any]:
        result = subprocess.run(
            [PYTHON, "-m", "tests.integration.notifications_seed", *args],
            cwd=ROOT,
            env={**self.env, "DJANGO_SETTINGS_MODULE": "lms.settings"},
            capture_output=True,
            text=True,
            timeout=SEED_TIMEOUT,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return answer

    def worker(self, name: str, **env: str) -> Process:
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
            str(CONCURRENCY),
            "--without-gossip",
            "--without-mingle",
        ]
        log = self.tmp / f"{name}.log"
        return self.processes.enter_context(running(name, command, {**self.env, **env}, log))

    def beat_command(self, name: str) -> list[str]:
        """Beat as the Procfile starts it (the DatabaseScheduler of the settings), with a
        schedule and pid file of its own, so that two can run side by side."""
        return [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "lms",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(self.tmp / f"{name}-schedule"),
            "--pidfile",
            str(self.tmp / f"{name}.pid"),
        ]

    def beat(self, name: str) -> Process:
        log = self.tmp / f"{name}.log"
        return self.processes.enter_context(running(name, self.beat_command(name), self.env, log))

    # --- the broker --------------------------------------------------------------------------
    def client(self) -> Celery:
        """A client of the site's broker and result backend, outside the site's processes:
        what it sends is what ``.delay()`` sends."""
        return Celery("notifications-test-client", broker=self.redis_url, backend=self.redis_url)

    def drained(self) -> bool:
        """No task waits in a queue, and none is taken but unacknowledged (running)."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            queues = [key for key in client.scan_iter("celery*") if client.type(key) == b"list"]
            waiting = sum(client.llen(key) for key in queues)
            running_now = client.hlen("unacked")
        finally:
            client.close()
        if waiting or running_now:
            raise _NotYet(f"{waiting} tasks waiting, {running_now} unacknowledged")
        return True


def _flush(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    redis_url = redis_url_with_db(NOTIFICATIONS_REDIS_DB)
    _flush(redis_url)
    with fresh_database(tmp_path, "mektep_notify") as database, ExitStack() as processes:
        env = base_env(
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DATABASE_URL=database.url,
            REDIS_URL=redis_url,
            # A killed worker's tasks come back within seconds.
            CELERY_VISIBILITY_TIMEOUT="5",
            CELERY_RESTORE_INTERVAL="1",
            # Beat sends the reminders and the sweep every second; the sweep resumes a fan-out
            # 3 s old and not finished, and sends again what was "sending" 10 s ago.
            LIVE_LESSON_REMINDER_SECONDS="1",
            NOTIFICATIONS_SWEEP_SECONDS="1",
            NOTIFICATIONS_DISPATCH_STALL_SECONDS="3",
            NOTIFICATIONS_SENDING_TIMEOUT="10",
            PYTHONPATH=str(ROOT),
        )
        manage(env, "migrate", "--noinput")
        yield Site(
            env=env,
            database_url=database.url,
            redis_url=redis_url,
            tmp=tmp_path,
            processes=processes,
        )
    _flush(redis_url)


def _smtp_env(mail: MailServer) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail.port),
        "EMAIL_TIMEOUT": "10",
    }


def _assert_no_task_failed(logs: list[Path]) -> None:
    for log in logs:
        text = log.read_text(errors="replace")
        assert "IntegrityError" not in text, _log_tail(log)
        assert "raised unexpected" not in text, _log_tail(log)


def _sent_by_beat(log: Path, task: str) -> int:
    return len(re.findall(rf"Sending due task \S+ \({re.escape(task)}\)", log.read_text()))


# --- 1. two beats, one reminder each ------------------------------------------------------------
def test_the_reminder_reaches_each_person_of_a_lesson_once_with_two_beats_ticking(
    site: Site,
) -> None:
    # given a class of 30 pupils, its teacher, and a lesson in ten minutes with a facilitated
    # spoke; a worker; and two beats (one too many) sending the reminder task every second
    seeded = site.seed("lesson", str(CLASS_SIZE))
    audience = {*seeded["pupils"], seeded["teacher"], seeded["facilitator"]}
    assert set(seeded["audience"]) == audience
    assert len(audience) == CLASS_SIZE + 2
    key = f"lesson-starting:{seeded['lesson']}:{seeded['starts_at']}"
    reminders = "classrooms.live_lesson_reminders"
    worker = site.worker("worker")
    beat_logs = [site.tmp / "beat-1.log", site.tmp / "beat-2.log"]

    # when both beats tick for several seconds
    with (
        running("beat-1", site.beat_command("beat-1"), site.env, beat_logs[0]) as beat_1,
        running("beat-2", site.beat_command("beat-2"), site.env, beat_logs[1]) as beat_2,
    ):
        wait_until(
            lambda: all(_sent_by_beat(log, reminders) >= REMINDER_TICKS for log in beat_logs),
            timeout=90,
            what=f"each beat sent the reminder task {REMINDER_TICKS} times",
            processes=[worker, beat_1, beat_2],
        )
    wait_until(site.drained, timeout=DRAIN_TIMEOUT, what="the queue drained", processes=[worker])

    # then the worker ran every reminder the beats sent, and one dispatch reminded everyone once
    ran = len(re.findall(rf"Task {re.escape(reminders)}\[\S+\] succeeded", worker.log.read_text()))
    assert ran >= 2 * REMINDER_TICKS
    dispatches = site.rows(
        "SELECT id, dedupe_key, finished_at FROM notifications_dispatch "
        "WHERE kind = 'lesson_starting'"
    )
    assert len(dispatches) == 1, dispatches
    dispatch_id, dedupe_key, finished_at = dispatches[0]
    assert dedupe_key == key
    assert finished_at is not None
    assert site.count("SELECT count(*) FROM notifications_dispatch WHERE dedupe_key = %s", key) == 1
    reminded = Counter(
        recipient
        for (recipient,) in site.rows(
            "SELECT recipient_id FROM notifications_notification WHERE kind = 'lesson_starting'"
        )
    )
    assert set(reminded) == audience
    assert set(reminded.values()) == {1}
    assert (
        site.count(
            "SELECT count(*) FROM notifications_notification "
            "WHERE kind = 'lesson_starting' AND (dedupe_key <> %s OR dispatch_id <> %s)",
            key,
            dispatch_id,
        )
        == 0
    )

    # when the reminder task is sent twice more by hand, then nothing more is recorded
    client = site.client()
    try:
        results = [client.send_task(reminders) for _ in range(2)]
        assert [result.get(timeout=RESULT_TIMEOUT) for result in results] == [0, 0]
    finally:
        client.close()
    wait_until(site.drained, timeout=DRAIN_TIMEOUT, what="the queue drained", processes=[worker])
    assert site.count("SELECT count(*) FROM notifications_dispatch WHERE dedupe_key = %s", key) == 1
    assert site.count(
        "SELECT count(*) FROM notifications_notification WHERE kind = 'lesson_starting'"
    ) == len(audience)
    _assert_no_task_failed([worker.log, *beat_logs])


# --- 2. killed during a fan-out -----------------------------------------------------------------
def test_a_worker_killed_twice_during_a_fan_out_to_2000_pupils_notifies_each_once(
    site: Site,
) -> None:
    # given 2,000 pupils, every other one with an e-mail address; a real SMTP server; beat
    # sweeping every second; a worker fanning out in batches of 50
    assert site.seed("pupils", str(FAN_OUT)) == {"pupils": FAN_OUT, "emails": FAN_OUT // 2}
    mail = site.processes.enter_context(mail_server())  # stopped after the workers
    worker_env = {**_smtp_env(mail), "NOTIFICATIONS_BATCH_SIZE": str(BATCH_SIZE)}
    beat = site.beat("beat")
    worker = site.worker("worker-0", **worker_env)
    logs = [beat.log, worker.log]

    # when all of them are told at once, and the worker is killed twice in the middle
    dispatch_id = site.seed("notify")["dispatch"]
    kills: list[int] = []
    for number, threshold in enumerate(KILL_AT, start=1):
        wait_until(
            lambda threshold=threshold: site.cursor(dispatch_id) >= threshold,
            timeout=120,
            what=f"the fan-out passed {threshold} recipients",
            processes=[beat, worker],
        )
        kill_group(worker)
        cursor = site.cursor(dispatch_id)
        assert 0 < cursor < FAN_OUT, (
            f"the fan-out was at {cursor} of {FAN_OUT} when the worker was killed: it should "
            "have been in the middle (smaller batches make it last longer)"
        )
        kills.append(cursor)
        worker = site.worker(f"worker-{number}", **worker_env)
        logs.append(worker.log)
    wait_until(
        lambda: site.settled(dispatch_id),
        timeout=180,
        what="the fan-out finished and every delivery was sent",
        processes=[beat, worker],
    )
    kill_group(beat)  # no more sweeps; then let the worker finish what the last ones asked
    wait_until(site.drained, timeout=DRAIN_TIMEOUT, what="the queue drained", processes=[worker])

    # then every pupil has one notification, of this dispatch
    pupils = {pk for (pk,) in site.rows("SELECT id FROM accounts_user WHERE role = 'student'")}
    assert len(pupils) == FAN_OUT
    notified = Counter(
        recipient
        for (recipient,) in site.rows(
            "SELECT recipient_id FROM notifications_notification WHERE dispatch_id = %s",
            dispatch_id,
        )
    )
    assert set(notified) == pupils
    assert set(notified.values()) == {1}
    assert site.count("SELECT count(*) FROM notifications_notification") == FAN_OUT
    # and every pupil with an address one e-mail delivery, to that address, sent
    deliveries = site.rows(
        "SELECT n.recipient_id, d.channel, d.address, d.state, u.email "
        "FROM notifications_delivery d "
        "JOIN notifications_notification n ON n.id = d.notification_id "
        "JOIN accounts_user u ON u.id = n.recipient_id"
    )
    assert len(deliveries) == FAN_OUT // 2
    assert len({recipient for recipient, *_ in deliveries}) == FAN_OUT // 2
    assert all(channel == "email" for _, channel, *_ in deliveries)
    assert all(address == email != "" for *_, address, _, email in deliveries)
    assert Counter(state for *_, state, _ in deliveries) == {"sent": FAN_OUT // 2}
    # and the SMTP server got each address's e-mail; again at most the unflushed sent marks of
    # each process killed (services.SENT_FLUSH)
    addresses = {address for _, _, address, *_ in deliveries}
    received = Counter(str(message["To"]) for message in mail.messages)
    assert set(received) == addresses
    duplicates = sum(received.values()) - len(addresses)
    print(f"killed at cursors {kills}; duplicate e-mails: {duplicates}")
    assert duplicates <= len(kills) * CONCURRENCY * SENT_FLUSH, received.most_common(5)
    _assert_no_task_failed(logs)


# --- 3. a task delivered twice ------------------------------------------------------------------
def test_a_fan_out_or_a_sending_delivered_twice_changes_nothing(site: Site) -> None:
    # given a dispatch to 20 pupils, fanned out, its 10 e-mails sent
    assert site.seed("pupils", "20") == {"pupils": 20, "emails": 10}
    mail = site.processes.enter_context(mail_server())
    worker = site.worker("worker", **_smtp_env(mail))
    dispatch_id = site.seed("notify")["dispatch"]
    wait_until(
        lambda: site.settled(dispatch_id),
        timeout=60,
        what="the fan-out finished and every delivery was sent",
        processes=[worker],
    )
    mail.wait_for(10)
    wait_until(site.drained, timeout=DRAIN_TIMEOUT, what="the queue drained", processes=[worker])

    def state() -> list[list[tuple[Any, ...]]]:
        return [
            site.rows("SELECT id, cursor, finished_at FROM notifications_dispatch ORDER BY id"),
            site.rows("SELECT id, recipient_id FROM notifications_notification ORDER BY id"),
            site.rows(
                "SELECT id, state, attempts, sent_at, claimed_at FROM notifications_delivery "
                "ORDER BY id"
            ),
        ]

    before = state()
    delivery_ids = [pk for pk, *_ in before[2]]
    assert len(delivery_ids) == 10

    # when the fan-out and the sending are each delivered twice more, at once
    client = site.client()
    try:
        results = [
            *(
                client.send_task("notifications.dispatch_fan_out", kwargs={"dispatch_id": pk})
                for pk in (dispatch_id, dispatch_id)
            ),
            *(
                client.send_task("notifications.deliveries_send", kwargs={"delivery_ids": ids})
                for ids in (delivery_ids, delivery_ids)
            ),
        ]
        for result in results:
            result.get(timeout=RESULT_TIMEOUT)
    finally:
        client.close()
    wait_until(site.drained, timeout=DRAIN_TIMEOUT, what="the queue drained", processes=[worker])

    # then no row changed and no e-mail went out again
    assert state() == before
    assert len(mail.messages) == 10
    _assert_no_task_failed([worker.log])
