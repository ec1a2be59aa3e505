"""A live lesson's broadcast: 10 to 1,000 pupils on one lesson while the teacher draws on the
board 5 times a second, on Mektep's stack against two baselines measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mektep_bench \\
        REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/live_broadcast.py \\
        [--sizes 10,100,500,1000] [--seconds 15]

Needs PostgreSQL and a Redis database of its own (it is flushed). Runs on a throwaway database
(mektep_bench_<random>, created, migrated and dropped) holding one class of pupils, its teacher
and a live lesson that has started, with an API token and a session for each. Our pupils
sign in with their tokens, as a phone app does, or with ``--sessions`` as a browser does (the
session cookie and the page's ``Origin``).

Four stacks, each serving the same clients:

- **ours**: two uvicorn processes of ``lms.asgi:application`` (as the Procfile starts them,
  DEBUG off), sharing Redis; the pupils split between them. The teacher sends the protocol's
  ``board.strokes`` (about 300 bytes as a pupil receives it); each event is stored, published
  once, and written by each process to its sockets (``realtime.fanout``).
- **relay**: two uvicorn processes of ``bench/relay_asgi.py``, a bare Channels consumer that
  joins a group and relays each group message (``group_send`` to every consumer), on
  channels-redis with the pool of ``lms.settings``.
- **bare**: two uvicorn processes of ``bench/bare_asgi.py``, a plain ASGI application sharing
  Redis pub/sub as ours does (``realtime.wire``) and doing nothing else: no Channels, no
  sign-in, nothing stored. What ours spends above it is the price of its checks and its log.
- **raw**: one process of ``bench/raw_broadcast_server.py``, a plain ``websockets`` server that
  broadcasts the same bytes to every connection: the floor.

The baselines relay a frame of the same length and shape as ours. Pupils are simulated in
separate client processes (``--clients``; their CPU is reported too), connecting through the
``websockets`` client, which offers permessage-deflate as browsers do (``--no-deflate`` to
offer none). For each size and stack: the pupils connect (100 at a time per client process)
and get their first state, the teacher sends ``--rate`` events a second for ``--seconds``, and
the run waits until every pupil has every event (or ``--drain`` seconds). Then:

- latency: a pupil's receive time minus the teacher's send time (one monotonic clock on one
  machine), p50 and p99 over every delivered message;
- server CPU: the time the server processes' threads ran on a CPU (user and system, from
  ``/proc/<pid>/task/*/schedstat``) from the first send until the last delivery, divided by
  the messages delivered to pupils (the same for the client processes, and for the Redis
  server, which other work on the machine may share);
- lost: messages not delivered by the end of the drain.

Then the join storm: ``--storm`` pupils connect at once; the time from opening the connection
to the first state (ours: the snapshot; the baselines: their first frame), p50 and p99, and the
handshakes that failed. All of them then leave at once, and the channel layer's groups are
checked for members left behind.

Each two-process stack's line also gives its CPU per event in each process, the teacher's
process first.

``--rounds N`` measures each size N times, the stacks taking turns (raw, bare, ours, raw,
...), and compares each stack with the raw server of its own round: the machine's speed
drifts over minutes (the raw server's own figure has moved by a third between hours), and
a ratio between runs minutes apart moves with it. A summary per size gives each stack's
median CPU per message and its median ratio (with the lowest and highest) over the rounds.

``--profile DIR`` records where each process of ours (and of bare) spends its CPU (py-spy,
folded stacks; ``-0`` is the process of the teacher's socket; ``--profile-rate`` samples a
second) during each size and the storm; such a run is slower, its figures are not for
comparing.
"""

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

STACKS = ("raw", "relay", "bare", "ours")
DEFAULT_REDIS = "redis://127.0.0.1:6379/6"
CONNECT_BATCH = 100  # pupils a client process connects at a time, outside the storm
JOIN_TIMEOUT = 30.0  # seconds for one pupil to get in and get the first state
FRAME_BYTES = 300  # the size of the event frame a pupil receives


# --- the clients (a separate process) ---------------------------------------------------------
class Pupil:
    """One simulated pupil: a socket, and when each numbered event arrived."""

    def __init__(self) -> None:
        self.received: dict[int, float] = {}
        self.socket: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.close_code: int | None = None

    async def join(self, url: str, token: str | None, stack: str, deflate: bool) -> float:
        from websockets.asyncio.client import connect

        started = time.monotonic()
        headers = {}
        if token and token.startswith("session:"):  # a browser: its session cookie and page
            headers = {"Cookie": f"sessionid={token[8:]}", "Origin": "http://127.0.0.1"}
        elif token:
            headers = {"Authorization": f"Token {token}"}
        self.socket = await connect(
            url,
            additional_headers=headers,
            compression="deflate" if deflate else None,
            max_size=None,
            ping_interval=None,
            open_timeout=JOIN_TIMEOUT,
            close_timeout=5,
        )
        first = "snapshot" if stack == "ours" else "welcome"
        while True:
            text = await self.socket.recv()
            if text.startswith(f'{{"type":"{first}"'):
                break
        waited = time.monotonic() - started
        self.reader = asyncio.get_running_loop().create_task(self._read())
        return waited

    async def _read(self) -> None:
        received = self.received
        now = time.monotonic
        try:
            async for text in self.socket:
                # An event frame starts with its number: {"seq":12,"type":...
                if text.startswith('{"seq":'):
                    received[int(text[7 : text.index(",", 7)])] = now()
        except Exception:  # noqa: S110 - the close code below says what happened
            pass
        self.close_code = self.socket.close_code

    async def leave(self) -> None:
        with contextlib.suppress(Exception):
            await self.socket.close()
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await self.reader


async def client_main() -> None:
    """Commands from the benchmark on stdin, one JSON line each; one JSON line answers each."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**28)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    pupils: list[Pupil] = []
    while line := await reader.readline():
        command = json.loads(line)
        kind = command["cmd"]
        if kind == "connect":
            answer = await _connect(pupils, command)
        elif kind == "count":
            answer = {
                "received": sum(len(pupil.received) for pupil in pupils),
                "closed": sum(1 for pupil in pupils if pupil.close_code is not None),
            }
        elif kind == "collect":
            sent = {int(seq): at for seq, at in command["sent"].items()}
            latencies, lost = [], 0
            for pupil in pupils:
                for seq, at in sent.items():
                    arrived = pupil.received.get(seq)
                    if arrived is None:
                        lost += 1
                    else:
                        latencies.append(round(arrived - at, 6))
            answer = {
                "latencies": latencies,
                "lost": lost,
                "closed": Counter(p.close_code for p in pupils if p.close_code is not None),
            }
        elif kind == "close":
            await asyncio.gather(*(pupil.leave() for pupil in pupils))
            answer = {"left": len(pupils)}
            pupils.clear()
        else:
            answer = {"error": f"unknown command {kind}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


async def _connect(pupils: list[Pupil], command: dict[str, Any]) -> dict[str, Any]:
    targets, stack, deflate = command["targets"], command["stack"], command["deflate"]
    batch = command["batch"] or len(targets)
    waits: list[float] = []
    failures: Counter[str] = Counter()

    async def one(url: str, token: str | None) -> None:
        pupil = Pupil()
        try:
            waits.append(
                await asyncio.wait_for(pupil.join(url, token, stack, deflate), JOIN_TIMEOUT)
            )
        except Exception as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            failures[f"HTTP {status}" if status else type(error).__name__] += 1
            if pupil.socket is not None:
                await pupil.leave()
        else:
            pupils.append(pupil)

    for start in range(0, len(targets), batch):
        await asyncio.gather(*(one(url, token) for url, token in targets[start : start + batch]))
    return {"waits": waits, "failures": failures}


# --- the servers and their CPU ----------------------------------------------------------------
def cpu_seconds(pids: Sequence[int]) -> float:
    """Time the processes' threads have run on a CPU, in seconds: the scheduler's
    nanosecond count of each thread (``/proc/<pid>/task/*/schedstat``), not the 10 ms ticks of
    ``/proc/<pid>/stat``. (A thread that has ended is no longer counted: the servers keep
    theirs.)"""
    total = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


@dataclass
class Stack:
    name: str
    urls: list[str]
    pids: list[int]


@dataclass
class Figures:
    stack: str
    size: int
    events: int
    delivered: int
    lost: int
    closed: dict[str, int]
    p50: float
    p99: float
    worst: float
    seconds: float
    server_cpu: float
    client_cpu: float
    redis_cpu: float | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def us_per_message(self) -> float:
        return self.server_cpu / max(self.delivered, 1) * 1e6


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Clients:
    """The client processes and their commands."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    @classmethod
    async def start(cls, count: int) -> "Clients":
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--client",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=2**28,
                cwd=ROOT,
            )
            for _ in range(count)
        ]
        return cls(processes)

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    async def ask(self, commands: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        async def one(process: asyncio.subprocess.Process, command: dict[str, Any]) -> Any:
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write(json.dumps(command).encode() + b"\n")
            await process.stdin.drain()
            line = await process.stdout.readline()
            if not line:
                raise RuntimeError(f"a client process exited ({process.returncode})")
            return json.loads(line)

        return list(await asyncio.gather(*map(one, self.processes, commands)))

    async def all(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.ask([command] * len(self.processes))

    async def stop(self) -> None:
        for process in self.processes:
            if process.stdin is not None:
                process.stdin.close()
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()


# --- the benchmark ----------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,500,1000", help="pupils, comma-separated")
    parser.add_argument("--seconds", type=float, default=15.0, help="teacher's sending per size")
    parser.add_argument("--rate", type=float, default=5.0, help="events a second")
    parser.add_argument("--storm", type=int, default=500, help="pupils joining at once; 0: none")
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure each size this many times, stacks in turn"
    )
    parser.add_argument("--stacks", default=",".join(STACKS), help="of " + ",".join(STACKS))
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for the rest")
    parser.add_argument("--no-deflate", action="store_true", help="clients offer no compression")
    parser.add_argument(
        "--sessions",
        action="store_true",
        help="our pupils sign in as browsers do (a session cookie and the page's Origin), "
        "not with API tokens",
    )
    parser.add_argument(
        "--socket-timeout",
        type=float,
        default=0.0,
        help="give the servers this Redis socket timeout in REDIS_URL's query (0: as "
        "lms.settings has it). With redis-py's default of 5 s, as long as the channel layer's "
        "BZPOPMIN wait, an idle process loses a consumer to a TimeoutError every 5 s",
    )
    parser.add_argument(
        "--uvicorn-args",
        default="",
        help="more options for our uvicorn processes, e.g. '--ws-per-message-deflate false'",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="record a py-spy profile of each of our processes per size into DIR "
        "(slows the run down: not for figures)",
    )
    parser.add_argument(
        "--profile-rate", type=int, default=250, help="py-spy's samples a second, with --profile"
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        _run_loop(client_main())
        return

    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (a throwaway database is made there).")
    os.environ["DEBUG"] = "false"  # in this process and the servers, as in production
    sizes = [int(size) for size in args.sizes.split(",") if size]
    stacks = [name for name in args.stacks.split(",") if name]
    unknown = set(stacks) - set(STACKS)
    if unknown:
        sys.exit(f"Unknown stacks: {', '.join(sorted(unknown))}")

    from throwaway import throwaway_database

    with throwaway_database(redis_url=redis_url):
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        world = World.create(max([*sizes, args.storm]))
        _run_loop(Bench(args, world, sizes, stacks, redis_url).run())


def _run_loop(coroutine: Any) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


@dataclass
class World:
    lesson_id: int
    teacher_token: str
    pupil_tokens: list[str]
    pupil_sessions: list[str]  # session keys, for pupils who join as browsers do
    frame: str  # an event frame of the size the pupils receive, for the baselines
    strokes: list[dict[str, Any]]
    database: str

    @classmethod
    def create(cls, pupil_count: int) -> "World":
        from datetime import timedelta

        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore
        from django.db import connection
        from django.utils import timezone
        from knox.models import AuthToken
        from throwaway import bench_class

        from classrooms import live
        from classrooms.lessons import live_lesson_schedule
        from courses.models import Enrolment
        from lms.accounts.models import Role, User
        from realtime import bus

        school, admin, teacher, _course, cohort = bench_class()
        pupils = User.objects.bulk_create(
            User(
                username=f"bench-pupil-{number}",
                first_name=f"Pupil{number}",
                last_name="Bench",
                role=Role.STUDENT,
                school=school,
                password="!",  # noqa: S106 - unusable: they sign in with tokens
            )
            for number in range(pupil_count)
        )
        Enrolment.objects.bulk_create(
            Enrolment(cohort=cohort, student=pupil, enrolled_by=admin) for pupil in pupils
        )
        lesson = live_lesson_schedule(
            cohort=cohort,
            by=teacher,
            title="Fractions, live",
            starts_at=timezone.now() + timedelta(minutes=5),
            duration_minutes=240,
        )
        live.lesson_start(lesson=lesson, by=teacher)
        teacher_token = AuthToken.objects.create(teacher)[1]
        tokens = [AuthToken.objects.create(pupil)[1] for pupil in pupils]
        sessions: list[str] = []
        for pupil in pupils:
            session = SessionStore()
            session[SESSION_KEY] = str(pupil.pk)
            session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # ModelBackend
            session[HASH_SESSION_KEY] = pupil.get_session_auth_hash()
            session.create()
            sessions.append(cast(str, session.session_key))  # set by create()
        points: list[list[int]] = []
        strokes = [{"color": "#1f6feb", "width": 3, "points": points}]
        while True:
            frame = bus.event_frame(
                seq=1000, kind="board.strokes", at=timezone.now(), data={"strokes": strokes}
            )
            if len(frame) >= FRAME_BYTES - 6:
                break
            points.append([1000 + 37 * len(points), 2000 + 53 * len(points)])
        return cls(
            lesson.pk,
            teacher_token,
            tokens,
            sessions,
            frame,
            strokes,
            connection.settings_dict["NAME"],
        )


class Bench:
    def __init__(
        self,
        args: argparse.Namespace,
        world: World,
        sizes: list[int],
        stacks: list[str],
        redis: str,
    ) -> None:
        self.args, self.world, self.sizes, self.stacks = args, world, sizes, stacks
        self.redis_url = redis
        self.group = f"bench.relay.{world.database}"
        self.results: list[Figures] = []
        self.storms: list[dict[str, Any]] = []
        self.next_seq = 1_000_000  # the baselines' numbers: never those of our log

    async def run(self) -> None:
        import redis

        from tests.servers import base_env, free_port, running

        client = redis.Redis.from_url(self.redis_url)
        client.flushdb()
        info = client.info("server")
        self.redis_pid = (
            int(info["process_id"]) if Path(f"/proc/{info['process_id']}").exists() else None
        )
        logs = Path(tempfile.mkdtemp(prefix="live-broadcast-"))
        server_redis = self.redis_url
        if self.args.socket_timeout:
            server_redis += f"?socket_timeout={self.args.socket_timeout:g}"
        env = base_env(
            DATABASE_URL=os.environ["DATABASE_URL"],  # the throwaway database
            REDIS_URL=server_redis,
            LMS_ENV="dev",
            DEBUG="false",
            DJANGO_SETTINGS_MODULE="lms.settings",
            RELAY_GROUP=self.group,
        )
        uvicorn = [sys.executable, "-m", "lms.serve", "--host", "127.0.0.1", "--no-access-log"]
        uvicorn += ["--lifespan", "off"]
        ours_extra = self.args.uvicorn_args.split()
        with contextlib.ExitStack() as stack:
            servers: dict[str, Stack] = {}

            def start(name: str, command: list[str], port: int) -> int:
                process = stack.enter_context(running(name, command, env, logs / f"{name}.log"))
                self._wait_port(port, process)
                return process.popen.pid

            for name in self.stacks:
                if name == "raw":
                    port = free_port()
                    script = str(ROOT / "bench" / "raw_broadcast_server.py")
                    pid = start("raw", [sys.executable, script, "--port", str(port)], port)
                    servers[name] = Stack(name, [f"ws://127.0.0.1:{port}/"], [pid])
                else:
                    app = {
                        "ours": "lms.asgi:application",
                        "relay": "bench.relay_asgi:application",
                        "bare": "bench.bare_asgi:application",
                    }[name]
                    extra = ours_extra if name == "ours" else []
                    urls, pids = [], []
                    for index in range(2):
                        port = free_port()
                        command = [*uvicorn, "--port", str(port), *extra, app]
                        pids.append(start(f"{name}-{index}", command, port))
                        path = f"/ws/lessons/{self.world.lesson_id}/" if name == "ours" else "/"
                        urls.append(f"ws://127.0.0.1:{port}{path}")
                    servers[name] = Stack(name, urls, pids)
            clients = await Clients.start(self.args.clients)
            try:
                self._print_header()
                for size in self.sizes:
                    for turn in range(self.args.rounds):
                        for name in self.stacks:
                            figures = await self.measure(servers[name], clients, size)
                            figures.extra["round"] = turn
                            self.results.append(figures)
                            self._print_figures(figures)
                            await asyncio.sleep(2)  # let the servers settle (presence, leaving)
                    if self.args.rounds > 1:
                        self._print_rounds(size)
                if self.args.storm:
                    for name in self.stacks:
                        storm = await self.storm(servers[name], clients, self.args.storm)
                        self.storms.append(storm)
                        self._print_storm(storm)
                        await asyncio.sleep(2)
            finally:
                await clients.stop()
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"load average at the end: {load}")
        print(f"(server logs: {logs})")

    @staticmethod
    def _wait_port(port: int, process: Any) -> None:
        import socket

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            process.check_running()
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{process.name} did not listen on {port}; log: {process.log}")

    def _targets(self, stack: Stack, size: int, clients: Clients) -> list[list[list[Any]]]:
        """Pupil i joins server i mod servers, from client process i mod clients."""
        shares: list[list[list[Any]]] = [[] for _ in clients.processes]
        for number in range(size):
            token = None
            if stack.name == "ours":
                token = (
                    f"session:{self.world.pupil_sessions[number]}"
                    if self.args.sessions
                    else self.world.pupil_tokens[number]
                )
            url = stack.urls[number % len(stack.urls)]
            shares[number % len(shares)].append([url, token])
        return shares

    async def _connect(
        self, stack: Stack, clients: Clients, size: int, batch: int
    ) -> tuple[list[float], Counter[str]]:
        shares = self._targets(stack, size, clients)
        answers = await clients.ask(
            [
                {
                    "cmd": "connect",
                    "stack": stack.name,
                    "targets": share,
                    "batch": batch,
                    "deflate": not self.args.no_deflate,
                }
                for share in shares
            ]
        )
        waits = [wait for answer in answers for wait in answer["waits"]]
        failures: Counter[str] = Counter()
        for answer in answers:
            failures.update(answer["failures"])
        return waits, failures

    async def measure(self, stack: Stack, clients: Clients, size: int) -> Figures:
        teacher = await Teacher.join(stack, self.world, not self.args.no_deflate)
        try:
            await teacher.clear_board()
            waits, failures = await self._connect(stack, clients, size, CONNECT_BATCH)
            joined = len(waits)
            await asyncio.sleep(1.5)  # presence and roster frames of the joins go out first
            events = round(self.args.seconds * self.args.rate)
            profiler = await self._profile(stack, f"{size}", self.args.seconds)
            cpu_before = cpu_seconds(stack.pids)
            each_before = [cpu_seconds([pid]) for pid in stack.pids]
            client_before = cpu_seconds(clients.pids)
            redis_before = cpu_seconds([self.redis_pid]) if self.redis_pid else None
            started = time.monotonic()
            self.next_seq = await teacher.send(events, self.args.rate, self.next_seq)
            expected = joined * events
            deadline = time.monotonic() + self.args.drain
            while time.monotonic() < deadline:
                counts = await clients.all({"cmd": "count"})
                if sum(count["received"] for count in counts) >= expected:
                    break
                await asyncio.sleep(0.05)
            elapsed = time.monotonic() - started
            server_cpu = cpu_seconds(stack.pids) - cpu_before
            each = [
                cpu_seconds([pid]) - before
                for pid, before in zip(stack.pids, each_before, strict=True)
            ]
            client_cpu = cpu_seconds(clients.pids) - client_before
            redis_cpu = (
                cpu_seconds([self.redis_pid]) - redis_before
                if self.redis_pid and redis_before is not None
                else None
            )
            if profiler is not None:
                await profiler
            sent = await teacher.sent_seqs()
            answers = await clients.all({"cmd": "collect", "sent": sent})
        finally:
            await teacher.leave()
        await clients.all({"cmd": "close"})
        latencies = [value for answer in answers for value in answer["latencies"]]
        closed: Counter[str] = Counter()
        for answer in answers:
            closed.update(answer["closed"])
        stale = await self._stale_members(stack)
        return Figures(
            stack=stack.name,
            size=size,
            events=len(sent),
            delivered=len(latencies),
            lost=sum(answer["lost"] for answer in answers) + (size - joined) * len(sent),
            closed=dict(closed),
            p50=percentile(latencies, 0.50),
            p99=percentile(latencies, 0.99),
            worst=max(latencies, default=float("nan")),
            seconds=elapsed,
            server_cpu=server_cpu,
            client_cpu=client_cpu,
            redis_cpu=redis_cpu,
            extra={
                "join_failures": dict(failures),
                "stale_members": stale,
                "join_p99": percentile(waits, 0.99),
                "per_event_ms": [cpu / max(len(sent), 1) * 1e3 for cpu in each],
            },
        )

    async def _profile(self, stack: Stack, label: str, seconds: float) -> Any:
        """py-spy on each of our processes (the first holds the teacher's socket)."""
        if not self.args.profile or stack.name not in ("ours", "bare"):
            return None
        directory = Path(self.args.profile)
        directory.mkdir(parents=True, exist_ok=True)
        spy = Path(sys.executable).parent / "py-spy"
        duration = max(1, round(seconds))
        spies = [
            await asyncio.create_subprocess_exec(
                str(spy),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(duration),
                "--rate",
                str(self.args.profile_rate),
                "--format",
                "raw",
                "--nonblocking",
                "--gil",
                "--output",
                str(directory / f"{stack.name}-{label}-{index}.folded.txt"),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            for index, pid in enumerate(stack.pids)
        ]
        return asyncio.gather(*(spy.wait() for spy in spies))

    async def storm(self, stack: Stack, clients: Clients, size: int) -> dict[str, Any]:
        teacher = await Teacher.join(stack, self.world, not self.args.no_deflate)
        try:
            await teacher.clear_board()
            profiler = await self._profile(stack, f"storm-{size}", 10)
            cpu_before = cpu_seconds(stack.pids)
            waits, failures = await self._connect(stack, clients, size, 0)
            server_cpu = cpu_seconds(stack.pids) - cpu_before
            if profiler is not None:
                await profiler
            await asyncio.sleep(1.5)
        finally:
            await teacher.leave()
        await clients.all({"cmd": "close"})
        stale = await self._stale_members(stack)
        return {
            "stack": stack.name,
            "size": size,
            "joined": len(waits),
            "failures": dict(failures),
            "p50": percentile(waits, 0.50),
            "p99": percentile(waits, 0.99),
            "worst": max(waits, default=float("nan")),
            "server_cpu": server_cpu,
            "stale_members": stale,
        }

    async def _stale_members(self, stack: Stack) -> int:
        """Members of the stack's channel-layer groups some seconds after every socket left
        (ours: the per-person groups; the relay: its group), counted and then removed."""
        import redis.asyncio as aioredis

        if stack.name == "raw":
            return 0
        from django.conf import settings

        prefix = cast(dict[str, Any], settings.CHANNEL_LAYERS)["default"]["CONFIG"]["prefix"]
        group = "user.*" if stack.name == "ours" else self.group
        pattern = f"{prefix}:group:{group}"
        await asyncio.sleep(3)
        client = aioredis.Redis.from_url(self.redis_url)
        try:
            total = 0
            async for key in client.scan_iter(match=pattern, count=1000):
                total += await client.zcard(key)
                await client.delete(key)  # the next measurement starts without them
            return total
        finally:
            await client.aclose()

    # --- printing ------------------------------------------------------------------------
    def _print_header(self) -> None:
        args = self.args
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"load average at the start: {load}")
        print(
            f"one lesson, teacher sending {args.rate:g} events/s for {args.seconds:g} s, "
            f"event frame {len(self.world.frame)} bytes, {os.cpu_count()} cores, "
            f"clients: {args.clients} processes, deflate "
            f"{'off' if args.no_deflate else 'offered'}"
            + (f", ours with: {args.uvicorn_args}" if args.uvicorn_args else "")
            + (
                f", servers' Redis socket timeout {args.socket_timeout:g} s"
                if args.socket_timeout
                else ""
            )
        )
        print(
            "stack  pupils   p50 ms   p99 ms   max ms   server µs/msg  x raw   lost  "
            "client µs/msg  redis µs/msg  notes"
        )
        sys.stdout.flush()

    def _raw_of(self, size: int, turn: int = 0) -> Figures | None:
        """The raw server's figures of this size, in the same round."""
        return next(
            (
                f
                for f in self.results
                if f.stack == "raw" and f.size == size and f.extra.get("round", 0) == turn
            ),
            None,
        )

    def _print_rounds(self, size: int) -> None:
        for name in self.stacks:
            rounds = [f for f in self.results if f.stack == name and f.size == size]
            per_message = statistics.median(f.us_per_message for f in rounds)
            line = f"{name:6} {size:6} rounds {len(rounds)}: median {per_message:.1f} µs/msg"
            ratios = []
            for figures in rounds:
                raw = self._raw_of(size, figures.extra["round"])
                if raw is not None and name != "raw":
                    ratios.append(figures.us_per_message / raw.us_per_message)
            if ratios:
                line += (
                    f", x raw of the same round: median {statistics.median(ratios):.2f}"
                    f" (lowest {min(ratios):.2f}, highest {max(ratios):.2f})"
                )
            lost = sum(f.lost for f in rounds)
            print(f"{line}; lost {lost}")
        sys.stdout.flush()

    def _print_figures(self, figures: Figures) -> None:
        raw = self._raw_of(figures.size, figures.extra.get("round", 0))
        ratio = f"{figures.us_per_message / raw.us_per_message:5.1f}" if raw else "    -"
        delivered = max(figures.delivered, 1)
        redis = (
            f"{figures.redis_cpu / delivered * 1e6:12.1f}" if figures.redis_cpu is not None else ""
        )
        notes = []
        if len(figures.extra.get("per_event_ms", ())) > 1:
            shares = ", ".join(f"{ms:.2f}" for ms in figures.extra["per_event_ms"])
            notes.append(f"CPU ms per event by process (the teacher's first): {shares}")
        if figures.closed:
            notes.append(f"closed {figures.closed}")
        if figures.extra["join_failures"]:
            notes.append(f"join failures {figures.extra['join_failures']}")
        if figures.extra["stale_members"]:
            notes.append(f"stale group members {figures.extra['stale_members']}")
        print(
            f"{figures.stack:6} {figures.size:6} {figures.p50 * 1e3:8.1f} {figures.p99 * 1e3:8.1f} "
            f"{figures.worst * 1e3:8.1f} {figures.us_per_message:14.1f} {ratio} "
            f"{figures.lost:6} {figures.client_cpu / delivered * 1e6:14.1f} {redis}  "
            f"{figures.events} events, {figures.delivered} delivered in {figures.seconds:.1f} s"
            + ("; " + "; ".join(notes) if notes else "")
        )
        sys.stdout.flush()

    def _print_storm(self, storm: dict[str, Any]) -> None:
        print(
            f"join storm {storm['stack']:6} {storm['size']} at once: {storm['joined']} in, "
            f"failed {sum(storm['failures'].values())}"
            + (f" {storm['failures']}" if storm["failures"] else "")
            + ", first state "
            f"p50 {storm['p50'] * 1e3:.0f} ms, p99 {storm['p99'] * 1e3:.0f} ms, "
            f"max {storm['worst'] * 1e3:.0f} ms; server CPU {storm['server_cpu']:.2f} s; "
            f"stale group members after all left: {storm['stale_members']}"
        )
        sys.stdout.flush()


class Teacher:
    """The teacher's socket: ours sends the protocol's ``board.strokes`` and learns each
    event's number from the acknowledgement; a baseline is sent the frame itself."""

    def __init__(self, stack: Stack, world: World, socket: Any) -> None:
        self.stack, self.world, self.socket = stack, world, socket
        self.sent_at: dict[str, float] = {}  # message id (ours) or number -> send time
        self.acks: dict[str, int] = {}
        self.acked = asyncio.Event()
        self.expected = 0
        self.reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def join(cls, stack: Stack, world: World, deflate: bool) -> "Teacher":
        from websockets.asyncio.client import connect

        ours = stack.name == "ours"
        socket = await connect(
            stack.urls[0],
            additional_headers={"Authorization": f"Token {world.teacher_token}"} if ours else {},
            compression="deflate" if deflate else None,
            max_size=None,
            ping_interval=None,
        )
        first = "snapshot" if ours else "welcome"
        while not (await socket.recv(decode=True)).startswith(f'{{"type":"{first}"'):
            pass
        return cls(stack, world, socket)

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for text in self.socket:
                if text.startswith(('{"type":"ack"', '{"type":"error"')):
                    frame = json.loads(text)
                    if frame["type"] == "error":
                        print(f"teacher: error {frame}", file=sys.stderr)
                    self.acks[frame["id"]] = frame.get("seq") or 0
                    if len(self.acks) >= self.expected:
                        self.acked.set()

    async def clear_board(self) -> None:
        """Ours: an empty board, so that every measurement's snapshot is alike."""
        if self.stack.name != "ours":
            return
        self.expected = len(self.acks) + 1
        self.acked.clear()
        await self.socket.send(json.dumps({"type": "board.clear", "id": f"clear{time.time_ns()}"}))
        await asyncio.wait_for(self.acked.wait(), 10)

    async def send(self, count: int, rate: float, next_seq: int) -> int:
        ours = self.stack.name == "ours"
        self.expected = len(self.acks) + count if ours else 0
        self.acked.clear()
        start = time.monotonic()
        prefix = f"s{time.time_ns()}-"
        for number in range(count):
            delay = start + number / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if ours:
                key = f"{prefix}{number}"
                text = json.dumps(
                    {"type": "board.strokes", "id": key, "strokes": self.world.strokes},
                    separators=(",", ":"),
                )
            else:
                key = str(next_seq)
                text = self.world.frame.replace('"seq":1000,', f'"seq":{next_seq},', 1)
                next_seq += 1
            self.sent_at[key] = time.monotonic()
            await self.socket.send(text)
        if ours:
            await asyncio.wait_for(self.acked.wait(), 30)
        return next_seq

    async def sent_seqs(self) -> dict[str, float]:
        """Each event's number and when the teacher sent it."""
        if self.stack.name != "ours":
            return dict(self.sent_at)
        return {str(self.acks[key]): at for key, at in self.sent_at.items() if self.acks.get(key)}

    async def leave(self) -> None:
        with contextlib.suppress(Exception):
            await self.socket.close()
        with contextlib.suppress(Exception):
            await self.reader


if __name__ == "__main__":
    main()
