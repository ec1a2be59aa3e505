"""Notify 5,000 students of one event with one Celery worker, against one task per student in
the same run.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../<db> \\
        .venv/bin/python bench/notify_fanout.py [--sizes 1000,2000,5000] [--baseline-size 5000] \\
        [--batch-size 500] [--rounds 3] [--db-reuse-max N] [--email-backend PATH] \\
        [--profile DIR]

Needs PostgreSQL and Redis (give it a Redis database of its own: its queue is purged). Runs on a
throwaway database (mektep_bench_<random>, created and dropped). The students are of one
school; every other one has an e-mail address, so half the notifications also make an e-mail
delivery; their languages and time zones vary. The event is a live lesson scheduled (in the
app and by e-mail by default); nobody has preferences or quiet hours.

Every worker is started as the Procfile starts it, but with one process: ``celery -A lms worker
--concurrency 1`` (prefork, DEBUG off), with ``-I bench.notify_baseline_tasks`` (the baseline's
task) and that module's ``RenderOnlyBackend`` as ``EMAIL_BACKEND``: each message is rendered to
bytes as the SMTP backend renders it, then dropped, so sending costs no I/O (``--email-backend
django.core.mail.backends.locmem.EmailBackend`` for Django's locmem backend, which also keeps
every message in the worker's memory). Each worker is waited for and warmed up (a notice to 50
students) before the clock runs: its start is not measured.

- **ours**, for each size, in a fresh worker: ``notify()`` in a transaction that commits; the
  clock runs from calling it until the script sees the dispatch finished and no delivery left
  waiting or sending (polled every 20 ms; two index look-ups, as cheap at 5,000 as at 50);
  then the notifications and sent e-mails are counted. ``--rounds`` times per size, each with
  its own dedupe key; the median is printed, with the time the dispatch was seen finished and
  the pool process's CPU time. The pool process (the one that runs the tasks) is read for its
  peak resident memory (``VmHWM``) after the warm-up and after each round: "flat" means the
  peak does not grow with the recipients.
- **baseline**, at ``--baseline-size``, in a fresh worker: a dispatch row of its own, then one
  task per student (``bench/notify_baseline_tasks.py``: single-row inserts, the texts written,
  ``send_mail``), enqueued by the script; the clock runs from before the dispatch row is
  written until every notification and e-mail delivery of it is there and sent. Once.

Before any worker starts, the queries of one fan-out batch, of sending 100 e-mails and of one
baseline task are counted in this process, for the record.

``--profile DIR`` records the worker's pool process with py-spy (folded stacks) during the
last round of each size and during the baseline; such a run is slower, its figures are not for
comparing.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throwaway import bench_class, throwaway_database  # noqa: E402 - after the path is set

KIND = "lesson_scheduled"
TARGET_SECONDS = 5.0  # ours, for 5,000
TARGET_RATIO = 10.0  # the baseline's time over ours
WARM_UP = 50  # students notified before the clock runs in each fresh worker
POLL_SECONDS = 0.02
BASELINE_POLL_SECONDS = 0.2
UNSENT = ("pending", "sending")
RENDER_ONLY = "bench.notify_baseline_tasks.RenderOnlyBackend"
ZONES = ("Asia/Bishkek", "Asia/Bishkek", "Asia/Bishkek", "Asia/Ulaanbaatar")
LANGUAGES = ("", "ky", "ru", "en", "mn")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sizes", default="1000,2000,5000", help="recipients of ours, comma-separated"
    )
    parser.add_argument(
        "--baseline-size",
        type=int,
        default=5000,
        help="recipients of the task-per-student baseline (0: none); ours is measured there too",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=500,
        help="NOTIFICATIONS_BATCH_SIZE for the worker (lms/settings.py: 500)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of ours per size")
    parser.add_argument(
        "--email-backend",
        default=RENDER_ONLY,
        help="EMAIL_BACKEND of the workers: renders each message and keeps none (Django's "
        "locmem backend keeps them all in the worker's memory)",
    )
    parser.add_argument("--profile", default="", help="py-spy folded stacks into this folder")
    parser.add_argument(
        "--db-reuse-max",
        type=int,
        default=0,
        help="start the workers with Celery's CELERY_DB_REUSE_MAX (lms/settings.py sets none): "
        "keep database connections across tasks instead of reconnecting for each",
    )
    args = parser.parse_args()
    sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()})
    if args.baseline_size:
        sizes = sorted({*sizes, args.baseline_size})
    redis_url = os.environ.get("REDIS_URL", "")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not redis_url:
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: a real worker needs both.")
    # As in production, no query log; the same settings in this process and in the workers.
    os.environ.update(
        DEBUG="false",
        EMAIL_BACKEND=args.email_backend,
        NOTIFICATIONS_BATCH_SIZE=str(args.batch_size),
    )
    with throwaway_database(redis_url=redis_url):
        Bench(args, sizes).run()


# --- the worker's processes -----------------------------------------------------------------------
def pool_pids(pid: int) -> list[int]:
    """The worker's pool processes: the children of its main process."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def status_kib(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field_name} in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User and system time of the process, its ended threads included (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Worker:
    process: Any  # tests.servers.Process
    log: Path

    @property
    def main_pid(self) -> int:
        return int(self.process.popen.pid)

    @property
    def pool_pid(self) -> int:
        (pid,) = pool_pids(self.main_pid)  # concurrency 1: one pool process
        return pid

    def check_running(self) -> None:
        self.process.check_running()


@contextmanager
def profiling(directory: str, pid: int, label: str) -> Iterator[None]:
    """py-spy records ``pid`` while the block runs (stopped with SIGINT, as by hand)."""
    if not directory:
        yield
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).parent / "py-spy"
    output = Path(directory) / f"{label}.folded.txt"
    command = [str(spy), "record", "--pid", str(pid), "--rate", "250", "--format", "raw"]
    command += ["--nonblocking", "--output", str(output)]
    profiler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # py-spy attaches
    try:
        yield
    finally:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(timeout=30)


# --- the run ------------------------------------------------------------------------------------
@dataclass
class Measured:
    seconds: list[float] = field(default_factory=list)
    fanned_out: list[float] = field(default_factory=list)  # when the dispatch was seen finished
    worker_cpu: list[float] = field(default_factory=list)
    peak_after_warm_up_kib: int = 0
    peak_kib: int = 0
    peaks_kib: list[int] = field(default_factory=list)  # after each round
    main_peak_kib: int = 0
    notifications: int = 0
    emails: int = 0


class Bench:
    def __init__(self, args: argparse.Namespace, sizes: list[int]) -> None:
        self.args, self.sizes = args, sizes
        self.log_dir = Path(tempfile.mkdtemp(prefix="notify-fanout-"))
        self.students: list[tuple[int, bool]] = []  # (pk, has an e-mail address)
        self.params: dict[str, Any] = {}

    def run(self) -> None:
        import django

        django.setup()
        from django.core.management import call_command

        from lms.celery import app

        call_command("migrate", verbosity=0)
        self.create_students(max(*self.sizes, WARM_UP))
        app.control.purge()  # tasks left by an interrupted run would run first
        probes = self.probe()

        reuse = self.args.db_reuse_max
        print(
            f"{len(self.students)} students of one school, every other one with an e-mail "
            f"address; kind {KIND} (in-app and e-mail); NOTIFICATIONS_BATCH_SIZE="
            f"{self.args.batch_size}; one worker, prefork, --concurrency 1, EMAIL_BACKEND "
            f"{self.args.email_backend}"
            f"{f', CELERY_DB_REUSE_MAX={reuse}' if reuse else ''}; "
            f"PostgreSQL and Redis; {os.cpu_count()} cores; load average "
            f"{os.getloadavg()[0]:.2f} at the start"
        )
        for line in probes:
            print(line)

        ours: dict[int, Measured] = {}
        for size in self.sizes:
            ours[size] = self.measure_ours(size)
            self.report_ours(size, ours[size])
        baseline = None
        if self.args.baseline_size:
            baseline = self.measure_baseline(self.args.baseline_size)
            print(
                f"baseline {self.args.baseline_size}: {baseline.seconds[0]:.2f} s "
                f"({baseline.notifications} notifications, {baseline.emails} e-mails sent; "
                f"{baseline.seconds[0] / self.args.baseline_size * 1000:.2f} ms per student; "
                f"pool process CPU {baseline.worker_cpu[0]:.2f} s; "
                f"peak RSS {baseline.peak_after_warm_up_kib / 1024:.1f} MiB after warm-up, "
                f"{baseline.peak_kib / 1024:.1f} MiB after the run)"
            )
        self.table(ours, baseline)

    # --- the world ------------------------------------------------------------------------------
    def create_students(self, count: int) -> None:
        from datetime import timedelta

        from django.utils import timezone

        from lms.accounts.models import Role, User

        school, _admin, _teacher, _course, cohort = bench_class()
        people = [
            User(
                username=f"bench-student-{number}",
                first_name="Student",
                last_name=f"{number:05d}",
                role=Role.STUDENT,
                school=school,
                email=f"student-{number}@school.example" if number % 2 == 0 else "",
                preferred_language=LANGUAGES[number % len(LANGUAGES)],
                time_zone=ZONES[number % len(ZONES)],
            )
            for number in range(count)
        ]
        User.objects.bulk_create(people, batch_size=1000)
        self.students = [
            (pk, bool(email))
            for pk, email in User.objects.filter(role=Role.STUDENT)
            .order_by("pk")
            .values_list("pk", "email")
        ]
        self.params = {
            "title": "Fractions, part 2",
            "class": cohort.name,
            "starts_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "link": f"/classes/{cohort.pk}/lessons/",
        }

    def ids(self, size: int) -> list[int]:
        return [pk for pk, _email in self.students[:size]]

    def emails(self, size: int) -> int:
        return sum(email for _pk, email in self.students[:size])

    def probe(self) -> list[str]:
        """The queries of one batch, of one sending task and of one baseline task, counted in
        this process (their e-mails rendered and dropped, as in the workers)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        import bench.notify_baseline_tasks as baseline
        from lms.notifications import services
        from lms.notifications.models import Dispatch

        # The first batch of a dispatch to every student, as in the largest size.
        everyone = self.ids(len(self.students))
        size = min(self.args.batch_size, len(everyone))
        lines = []
        for attempt in ("warm-up", "probe"):
            dispatch = Dispatch.objects.create(
                kind=KIND, params=self.params, recipient_ids=everyone, dedupe_key=f"bench-{attempt}"
            )
            with (
                mock.patch.object(services, "_send_later") as send_later,
                CaptureQueriesContext(connection) as batch_queries,
            ):
                started = time.perf_counter()
                services.dispatch_batch_deliver(dispatch_id=dispatch.pk, size=size)
                batch_seconds = time.perf_counter() - started
            (by_channel,), _kwargs = send_later.call_args
            chunk = by_channel["email"][: services.SEND_CHUNK]
            with CaptureQueriesContext(connection) as send_queries:
                started = time.perf_counter()
                services.deliveries_send(delivery_ids=chunk)
                send_seconds = time.perf_counter() - started
            lines = [
                f"in-process: dispatch_batch_deliver {len(batch_queries)} queries, "
                f"{batch_seconds * 1000:.0f} ms for the first {size} of {len(everyone)} "
                "recipients; "
                f"deliveries_send {len(send_queries)} queries, {send_seconds * 1000:.0f} ms "
                f"for {len(chunk)} e-mails"
            ]
        dispatch = Dispatch.objects.create(
            kind=KIND,
            params=self.params,
            recipient_ids=everyone[:2],
            dedupe_key="bench-probe-baseline",
        )
        with CaptureQueriesContext(connection) as task_queries:
            started = time.perf_counter()
            for pk in everyone[:2]:  # one with an e-mail address, one without
                baseline.notify_student(dispatch_id=dispatch.pk, recipient_id=pk)
            task_seconds = time.perf_counter() - started
        lines.append(
            f"in-process: the baseline's task {len(task_queries)} queries, "
            f"{task_seconds * 1000:.1f} ms for two students (one with e-mail)"
        )
        Dispatch.objects.all().delete()  # no delivery is left waiting: see notify_once()
        return lines

    # --- workers --------------------------------------------------------------------------------
    @contextmanager
    def worker(self, label: str) -> Iterator[Worker]:
        from tests.servers import base_env, running, wait_until

        env = base_env(
            DATABASE_URL=os.environ["DATABASE_URL"],
            REDIS_URL=os.environ["REDIS_URL"],
            LMS_ENV="dev",
            PYTHONPATH=str(ROOT),
        )
        options = ["--loglevel", "INFO", "--concurrency", "1", "-I", "bench.notify_baseline_tasks"]
        # As the Procfile starts it, or the same app and options with the one setting changed.
        command = [sys.executable, "-m", "celery", "-A", "lms", "worker", *options]
        if self.args.db_reuse_max:
            command = [
                sys.executable,
                "-c",
                "from lms.celery import app; "
                f"app.conf['CELERY_DB_REUSE_MAX'] = {self.args.db_reuse_max}; "
                f"app.worker_main(['worker', *{options!r}])",
            ]
        log = self.log_dir / f"worker-{label}.log"
        with running(f"worker ({label})", command, env, log) as process:
            wait_until(
                lambda: " ready." in log.read_text(errors="replace"),
                timeout=60,
                what="the worker ready",
                processes=[process],
            )
            yield Worker(process, log)

    def wait(
        self, worker: Worker, done: Callable[[], bool], *, timeout: float, poll: float
    ) -> None:
        deadline = time.perf_counter() + timeout
        while not done():
            worker.check_running()
            if time.perf_counter() > deadline:
                raise TimeoutError(f"not done in {timeout:.0f} s; the worker's log: {worker.log}")
            time.sleep(poll)

    # --- ours -----------------------------------------------------------------------------------
    def notify_once(self, worker: Worker, size: int, key: str) -> tuple[float, float]:
        """Returns the seconds until all was sent, and until the dispatch was seen finished."""
        from django.db import transaction

        from lms.notifications.models import Delivery, DeliveryState, Dispatch, Notification
        from lms.notifications.services import notify

        ids, emails = self.ids(size), self.emails(size)
        fanned_out: list[float] = []

        with transaction.atomic():
            started = time.perf_counter()
            dispatch = notify(kind=KIND, recipients=ids, params=self.params, dedupe_key=key)
        assert dispatch is not None

        def done() -> bool:
            # Cheap whatever the size: the dispatch's row, then the partial indexes of waiting
            # and sending deliveries. Only this dispatch's can be unsent: the warm-ups finish,
            # and probe() deletes its own.
            if not fanned_out:
                if not Dispatch.objects.filter(pk=dispatch.pk, finished_at__isnull=False).exists():
                    return False
                fanned_out.append(time.perf_counter() - started)
            return not any(Delivery.objects.filter(state=state).exists() for state in UNSENT)

        self.wait(worker, done, timeout=max(120.0, size * 0.05), poll=POLL_SECONDS)
        seconds = time.perf_counter() - started
        notifications = Notification.objects.filter(dispatch=dispatch).count()
        sent = Delivery.objects.filter(
            notification__dispatch=dispatch, state=DeliveryState.SENT
        ).count()
        if notifications != size or sent != emails:
            raise RuntimeError(
                f"{key}: {notifications} notifications for {size}, {sent} e-mails for {emails}"
            )
        return seconds, fanned_out[0]

    def measure_ours(self, size: int) -> Measured:
        measured = Measured(notifications=size, emails=self.emails(size))
        with self.worker(f"ours-{size}") as worker:
            self.notify_once(worker, WARM_UP, f"bench-warm-up-{size}")
            measured.peak_after_warm_up_kib = status_kib(worker.pool_pid, "VmHWM")
            for round_number in range(self.args.rounds):
                last = round_number == self.args.rounds - 1
                label = f"ours-{size}" if last else ""
                cpu_before = cpu_seconds(worker.pool_pid)
                with profiling(self.args.profile if last else "", worker.pool_pid, label):
                    seconds, fanned_out = self.notify_once(
                        worker, size, f"bench-ours-{size}-{round_number}"
                    )
                measured.worker_cpu.append(cpu_seconds(worker.pool_pid) - cpu_before)
                measured.peaks_kib.append(status_kib(worker.pool_pid, "VmHWM"))
                measured.seconds.append(seconds)
                measured.fanned_out.append(fanned_out)
            measured.peak_kib = status_kib(worker.pool_pid, "VmHWM")
            measured.main_peak_kib = status_kib(worker.main_pid, "VmHWM")
        return measured

    def report_ours(self, size: int, measured: Measured) -> None:
        rounds = ", ".join(f"{seconds:.2f}" for seconds in measured.seconds)
        peaks = ", ".join(f"{peak / 1024:.1f}" for peak in measured.peaks_kib)
        print(
            f"ours {size}: {statistics.median(measured.seconds):.2f} s median (rounds: {rounds}); "
            f"fan-out finished at {statistics.median(measured.fanned_out):.2f} s; "
            f"{measured.notifications} notifications, {measured.emails} e-mails sent; "
            f"pool process CPU {statistics.median(measured.worker_cpu):.2f} s; "
            f"peak RSS {measured.peak_after_warm_up_kib / 1024:.1f} MiB after warm-up, "
            f"{peaks} MiB after each round "
            f"(main process {measured.main_peak_kib / 1024:.1f} MiB)"
        )

    # --- the baseline ---------------------------------------------------------------------------
    def tasks_once(self, worker: Worker, size: int, key: str) -> float:
        from bench.notify_baseline_tasks import notify_student
        from lms.notifications.models import Delivery, DeliveryState, Dispatch, Notification

        ids, emails = self.ids(size), self.emails(size)
        started = time.perf_counter()
        # A dispatch row of its own (no fan-out): the tasks are its only writers.
        dispatch = Dispatch.objects.create(
            kind=KIND, params=self.params, recipient_ids=ids, dedupe_key=key
        )
        for pk in ids:
            notify_student.delay(dispatch_id=dispatch.pk, recipient_id=pk)

        def done() -> bool:
            if Notification.objects.filter(dispatch=dispatch).count() < size:
                return False
            sent = Delivery.objects.filter(
                notification__dispatch=dispatch, state=DeliveryState.SENT
            ).count()
            return sent >= emails

        poll = POLL_SECONDS if size <= WARM_UP else BASELINE_POLL_SECONDS
        self.wait(worker, done, timeout=max(120.0, size * 0.5), poll=poll)
        return time.perf_counter() - started

    def measure_baseline(self, size: int) -> Measured:
        measured = Measured(notifications=size, emails=self.emails(size))
        with self.worker(f"baseline-{size}") as worker:
            self.tasks_once(worker, WARM_UP, f"bench-baseline-warm-up-{size}")
            measured.peak_after_warm_up_kib = status_kib(worker.pool_pid, "VmHWM")
            cpu_before = cpu_seconds(worker.pool_pid)
            with profiling(self.args.profile, worker.pool_pid, f"baseline-{size}"):
                measured.seconds.append(self.tasks_once(worker, size, f"bench-baseline-{size}"))
            measured.worker_cpu.append(cpu_seconds(worker.pool_pid) - cpu_before)
            measured.peak_kib = status_kib(worker.pool_pid, "VmHWM")
            measured.main_peak_kib = status_kib(worker.main_pid, "VmHWM")
        return measured

    # --- the table ------------------------------------------------------------------------------
    def table(self, ours: dict[int, Measured], baseline: Measured | None) -> None:
        print()
        print(
            "recipients  e-mails   ours s  pool CPU s  baseline s  baseline/ours  "
            "pool peak RSS MiB (after warm-up)"
        )
        rows = [("ours", size, measured) for size, measured in ours.items()]
        if baseline is not None:
            rows.append(("baseline", self.args.baseline_size, baseline))
        for name, size, measured in rows:
            seconds = statistics.median(measured.seconds)
            cpu = statistics.median(measured.worker_cpu)
            if name == "baseline":
                figures = f"{'-':>7}  {cpu:10.2f}  {seconds:10.2f}  {'-':>13}"
            elif baseline is not None and size == self.args.baseline_size:
                ratio = baseline.seconds[0] / seconds
                figures = f"{seconds:7.2f}  {cpu:10.2f}  {baseline.seconds[0]:10.2f}  {ratio:13.1f}"
            else:
                figures = f"{seconds:7.2f}  {cpu:10.2f}  {'-':>10}  {'-':>13}"
            label = f"{size}" if name == "ours" else f"{size} (base)"
            print(
                f"{label:>10}  {measured.emails:>7}  {figures}  "
                f"{measured.peak_kib / 1024:17.1f} ({measured.peak_after_warm_up_kib / 1024:.1f})"
            )
        largest = self.sizes[-1]
        targets = [
            f"ours {statistics.median(ours[largest].seconds):.2f} s for {largest} "
            f"(at most {TARGET_SECONDS:.0f} s for 5000)"
        ]
        if baseline is not None:
            ratio = baseline.seconds[0] / statistics.median(ours[self.args.baseline_size].seconds)
            targets.append(f"baseline/ours {ratio:.1f} (at least {TARGET_RATIO:.0f})")
        growth = (ours[largest].peak_kib - ours[self.sizes[0]].peak_kib) / 1024
        targets.append(
            f"pool peak RSS {growth:+.1f} MiB from {self.sizes[0]} to {largest} recipients "
            "(target: flat)"
        )
        print("targets: " + "; ".join(targets))
        print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
