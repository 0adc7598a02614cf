"""Fault runs: a private PostgreSQL cluster, the real server (`market serve`) and a write load.

Used by tests/faults/test_restart.py (short) and scripts/faults.py (the measurements). One run:
agencies draft orders and vendors ask questions through gunicorn, a reader reads an order and a
poller watches /readyz, while the cluster is restarted, killed or started late; afterwards every
write answered 503 (or not answered) is sent again with its Idempotency-Key, and the database is
checked against what the clients were told.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
MARKET = str(Path(sys.executable).parent / "market")
WRITE_TIMEOUT = 30  # seconds; a worker that hangs this long counts as an answer outside 2xx/4xx/503


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class Cluster:
    """A PostgreSQL cluster of its own in a temporary folder, on a free loopback port.

    Run as the postgres user when we are root (the server refuses root), as
    scripts/pg_throwaway.sh does. Default durability (synchronous_commit on): a commit the server
    acknowledged survives kill -9; fsync is off because the machine itself does not crash here.
    """

    def __init__(self) -> None:
        self.bindir = postgres_bindir()
        if self.bindir is None:
            raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="market-faults-"))
        self.data = self.dir / "data"
        self.runas: list[str] = []
        if os.getuid() == 0:
            subprocess.run(["id", "postgres"], check=True, capture_output=True)
            shutil.chown(self.dir, "postgres")
            self.runas = ["runuser", "-u", "postgres", "--"]
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                 "--locale=C.UTF-8")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/market"

    def _pg(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.runas, str(self.bindir / program), *args], cwd=self.dir,
                              check=check, capture_output=True, text=True)

    def _options(self) -> str:
        return (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=100")

    def start(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            # After kill -9 the old backends may hold the shared memory a moment longer.
            done = self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"),
                            "-w", "-o", self._options(), "start", check=False)
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start: {done.stdout}{done.stderr}")
            time.sleep(0.5)

    def create_database(self) -> None:
        self._pg("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "market")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w",
                 "-m", mode, "-o", self._options(), "restart")

    def kill_postmaster(self) -> None:
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """`market serve` (gunicorn) on a free port, its log (app and gunicorn) in one file."""

    def __init__(self, url: str, folder: Path, *, workers: int = 2, threads: int = 4) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "server.log"
        env = dict(os.environ)
        env.update(
            MARKET_ENV="production",
            MARKET_SECRET_KEY="faults-" + uuid.uuid4().hex,
            MARKET_DATABASE_URL=url,
            MARKET_INSTANCE_PATH=str(folder / "instance"),
            PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        )
        self._log = open(self.log_path, "wb")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            [MARKET, "serve", "--port", str(self.port), "--workers", str(workers),
             "--threads", str(threads)],
            env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(self.base + "/healthz", timeout=2)
                return
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the server did not start:\n" + self.log_path.read_text()) from None
                time.sleep(0.2)

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


# The programme: one agency, vendors, an order open for questions --------------------------------


@dataclasses.dataclass
class People:
    agency_tokens: list[str]
    vendor_tokens: list[str]
    order_id: int


def populate(url: str, folder: Path, clients: int) -> People:
    """Migrate the database and write the people of the load, straight through the models."""
    from config.settings import TestingConfig
    from market import create_app, db
    from market.accounts import services as accounts
    from market.accounts.models import User
    from market.db import utcnow
    from market.migrations import upgrade
    from market.orders.models import Order
    from market.organizations.credit_code import make_credit_code
    from market.organizations.models import Organization, VendorProfile

    upgrade(url)
    app = create_app(TestingConfig(url, INSTANCE_PATH=str(folder / "setup")))
    password = accounts.hash_password(uuid.uuid4().hex)
    place = {"province": "贵州省", "city": "贵阳市", "county": "观山湖区"}
    with app.app_context():
        session = db.session
        agency = Organization(kind="agency", name="贵州省交通运输厅", sectors=["transport"],
                              credit_code=make_credit_code("91520100000000000"), **place)
        session.add(agency)
        vendors = []
        for n in range(clients):
            vendor = Organization(
                kind="vendor", name=f"贵安数据标注科技有限公司{n}", sectors=[],
                credit_code=make_credit_code(f"91520100{n + 1:09d}"), **place,
                vendor_profile=VendorProfile(
                    seats=50, headcount=60, certifications=["ISO 27001"], clearance="important",
                    onsite_possible=True, sme=True, verification_status="verified",
                    verified_at=utcnow()),
            )
            session.add(vendor)
            vendors.append(vendor)

        def person(role, org, n):
            user = User(email=f"{role}{n}@faults.example.cn", name=f"{role}{n}", role=role,
                        organization=org, password_hash=password)
            session.add(user)
            return accounts.issue_token(session, user, ttl_hours=4)[0]

        agency_tokens = [person("agency", agency, n) for n in range(clients)]
        vendor_tokens = [person("vendor", vendor, n) for n, vendor in enumerate(vendors)]
        now = utcnow()
        order = Order(
            agency=agency, title="贵阳市公交车载视频客流标注", description="逐帧标注乘客头部关键点。",
            sector="transport", modality="video", annotation_type="keypoint",
            label_set=["head"], volume=20000, unit="frame", budget_ceiling=Decimal("120000.00"),
            bidding_closes_at=now + dt.timedelta(days=10),
            delivery_deadline=now + dt.timedelta(days=60), accuracy_target=0.97,
            sampling_level="II", data_classification="general", status="published",
            published_at=now,
        )
        session.add(order)
        session.commit()
        order_id = order.id
    app.extensions["market.db"].engine.dispose()
    return People(agency_tokens, vendor_tokens, order_id)


# The load ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Write:
    kind: str  # "order" or "question"
    path: str
    token: str
    body: dict
    marker: str  # the unique title or text the row is found by
    key: str
    sent: float
    done: float = 0.0
    outcome: str = ""  # the status code, or the exception a client saw instead of an answer
    object_id: int | None = None
    retried: str = ""  # the outcome of the retries with the same key
    replayed: bool = False

    @property
    def acknowledged(self) -> bool:
        return self.outcome.startswith("2")

    @property
    def failed(self) -> bool:
        return not self.acknowledged


def _send(http: requests.Session, base: str, write: Write) -> tuple[str, dict | None, bool]:
    try:
        response = http.post(base + write.path, json=write.body, timeout=WRITE_TIMEOUT,
                             headers={"Authorization": f"Bearer {write.token}",
                                      "Idempotency-Key": write.key})
    except requests.RequestException as exc:
        return type(exc).__name__, None, False
    body = None
    if response.headers.get("Content-Type", "").startswith("application/json"):
        try:
            body = response.json()
        except ValueError:
            body = None
    return str(response.status_code), body, response.headers.get("Idempotent-Replayed") == "true"


def _order_body(marker: str) -> dict:
    now = dt.datetime.now(dt.UTC)
    return {
        "title": marker, "description": "对卡口抓拍图像中的车辆进行 2D 框标注。",
        "sector": "transport", "modality": "image", "annotation_type": "bbox",
        "label_set": ["car", "truck"], "volume": 1000, "unit": "box",
        "budget_ceiling": "5000.00",
        "bidding_closes_at": (now + dt.timedelta(days=10)).isoformat(),
        "delivery_deadline": (now + dt.timedelta(days=60)).isoformat(),
        "accuracy_target": 0.95,
    }


class Load:
    """Writers, a reader and a /readyz poller, until stopped."""

    def __init__(self, base: str, people: People, clients: int) -> None:
        self.base = base
        self.people = people
        self.clients = clients
        self.writes: list[Write] = []
        self.reads: list[tuple[float, str]] = []
        self.ready: list[tuple[float, int | str]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._writer, args=(n,), daemon=True)
                         for n in range(clients)]
        self._threads.append(threading.Thread(target=self._reader, daemon=True))
        self._threads.append(threading.Thread(target=self._poll_ready, daemon=True))
        self._lock = threading.Lock()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=WRITE_TIMEOUT + 5)

    def _writer(self, n: int) -> None:
        http = requests.Session()
        seq = 0
        while not self._stop.is_set():
            seq += 1
            tag = f"{n}-{seq}-{uuid.uuid4().hex[:8]}"
            if n % 2 == 0:
                marker = f"故障测试订单 {tag}"
                write = Write("order", "/api/v1/orders", self.people.agency_tokens[n],
                              _order_body(marker), marker, uuid.uuid4().hex, time.monotonic())
            else:
                marker = f"样本图像的分辨率是多少？({tag})"
                write = Write("question", f"/api/v1/orders/{self.people.order_id}/questions",
                              self.people.vendor_tokens[n], {"text": marker}, marker,
                              uuid.uuid4().hex, time.monotonic())
            write.outcome, body, _ = _send(http, self.base, write)
            write.done = time.monotonic()
            if write.acknowledged and body:
                write.object_id = body.get("id")
            with self._lock:
                self.writes.append(write)
            if write.outcome == "503" or not write.outcome.isdigit():
                self._stop.wait(0.2)  # as a client told Retry-After would, a little

    def _reader(self) -> None:
        http = requests.Session()
        token = self.people.vendor_tokens[0]
        while not self._stop.is_set():
            try:
                response = http.get(f"{self.base}/api/v1/orders/{self.people.order_id}",
                                    headers={"Authorization": f"Bearer {token}"},
                                    timeout=WRITE_TIMEOUT)
                outcome = str(response.status_code)
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            self.reads.append((time.monotonic(), outcome))
            self._stop.wait(0.05)

    def _poll_ready(self) -> None:
        http = requests.Session()
        while not self._stop.is_set():
            try:
                status: int | str = http.get(self.base + "/readyz", timeout=5).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            self.ready.append((time.monotonic(), status))
            self._stop.wait(0.1)


def _ready_status(base: str) -> int | str:
    try:
        return requests.get(base + "/readyz", timeout=5).status_code
    except requests.RequestException as exc:
        return type(exc).__name__


def probe_readiness(base: str, cluster: Cluster, limit: float = 10) -> tuple[float | None, float | None]:
    """Stop the database and time /readyz turning 503, start it and time /readyz turning 200."""

    def until(status: int) -> float | None:
        began = time.monotonic()
        while time.monotonic() - began < limit:
            if _ready_status(base) == status:
                return time.monotonic() - began
            time.sleep(0.05)
        return None

    cluster.stop("fast")
    down = until(503)
    cluster.start()
    up = until(200)
    return down, up


def retry_failed(base: str, writes: list[Write], attempts: int = 5) -> None:
    """Send every write that was not acknowledged again, with its key, until it gets an answer."""
    http = requests.Session()
    for write in writes:
        if not write.failed:
            continue
        for _ in range(attempts):
            write.retried, body, write.replayed = _send(http, base, write)
            if write.retried.isdigit() and write.retried != "503":
                if write.retried.startswith("2") and body:
                    write.object_id = body.get("id")
                break
            time.sleep(1)


# What the database holds -------------------------------------------------------------------------


def stored_counts(url: str, writes: list[Write]) -> dict[str, int]:
    """How many rows carry each write's marker (orders by title, questions by text)."""
    engine = create_engine(url)
    counts: Counter = Counter()
    with engine.connect() as conn:
        for title, in conn.execute(text("SELECT title FROM orders")):
            counts[title] += 1
        for body, in conn.execute(text("SELECT text FROM questions")):
            counts[body] += 1
    engine.dispose()
    markers = {w.marker for w in writes}
    return {marker: counts.get(marker, 0) for marker in markers}


def audited(url: str, writes: list[Write]) -> set[tuple[str, int]]:
    """(kind, id) of the writes' rows that have their creation's audit event."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT object_type, object_id FROM audit_events "
            "WHERE action IN ('order.created', 'question.asked')"))
        found = {(kind, object_id) for kind, object_id in rows}
    engine.dispose()
    return found


# One run -----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Report:
    fault: str
    writes: list[Write]
    reads: list[tuple[float, str]]
    ready: list[tuple[float, int | str]]
    fault_at: float
    up_at: float
    missing: list[Write]
    unaudited: list[Write]
    failed_but_stored: list[Write]
    duplicates: dict[str, int]
    log_bytes: int
    log_lines: int
    tracebacks: int
    log_text: str = ""
    ready_down: float | None = None  # seconds from stopping the database to /readyz saying 503
    ready_up: float | None = None  # seconds from starting it again to /readyz saying 200

    def outside(self) -> Counter:
        """Answers other than 2xx, 4xx and 503 (gunicorn's own 500, resets, time-outs)."""
        seen = [w.outcome for w in self.writes] + [w.retried for w in self.writes if w.retried]
        seen += [outcome for _, outcome in self.reads]
        return Counter(o for o in seen if not (o[:1] in ("2", "4") or o == "503"))

    def failed_by_status(self) -> Counter:
        return Counter(w.outcome for w in self.writes if w.failed)

    def recovery(self) -> float | None:
        """From the database answering again to the first write acknowledged after that."""
        after = [w.done for w in self.writes if w.acknowledged and w.sent >= self.up_at]
        return (min(after) - self.up_at) if after else None

    def read_failures(self) -> Counter:
        return Counter(o for _, o in self.reads if not o.startswith("2"))

    def ready_followed(self) -> bool:
        """/readyz said 503 when the database was stopped and 200 once it was back, within seconds.

        Probed after the load, since a fast restart can fall between two polls during it.
        """
        back = [s for t, s in self.ready if t > self.up_at + 1.0]
        return (self.ready_down is not None and self.ready_up is not None
                and bool(back) and back[-1] == 200)

    def readiness(self) -> str:
        seen = sum(s == 503 for t, s in self.ready if self.fault_at <= t <= self.up_at + 0.5)
        if not self.ready_followed():
            return "no"
        return (f"503 {self.ready_down:.1f} s after stop, 200 {self.ready_up:.1f} s after start; "
                f"{seen} × 503 seen in the fault")

    def row(self) -> str:
        acknowledged = sum(w.acknowledged for w in self.writes)
        failed = ", ".join(f"{n} × {s}" for s, n in sorted(self.failed_by_status().items())) or "0"
        recovery = self.recovery()
        outside = sum(self.outside().values())
        reads = sum(self.read_failures().values())
        return (
            f"| {self.fault} | {len(self.writes):,} / {acknowledged:,} | {failed} | {outside} | "
            f"{len(self.missing) + len(self.unaudited)} | {len(self.failed_but_stored)} | "
            f"{sum(n - 1 for n in self.duplicates.values())} | "
            f"{'—' if recovery is None else f'{recovery:.1f} s'} | {reads} of {len(self.reads):,} | "
            f"{self.readiness()} | "
            f"{self.log_bytes / 1024:.1f} KB, {self.log_lines} lines, {self.tracebacks} tracebacks |"
        )


HEADER = (
    "| fault | writes / acknowledged | failed by status | outside 2xx/4xx/503 | "
    "acknowledged but missing | failed but actually stored | duplicates after retries | "
    "recovery | reads failed | /readyz followed | log for the outage |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def run_fault(fault: str, *, seconds: float, fault_at: float, clients: int = 8,
              workers: int = 2, threads: int = 4, kill_pause: float = 5.0,
              late_start: float = 20.0) -> Report:
    """One run: `restart` (pg_ctl restart -m fast), `kill` (kill -9 of the postmaster, start
    after `kill_pause`) or `down-at-start` (the server starts with the database down, which comes
    up `late_start` seconds later)."""
    cluster = Cluster()
    folder = cluster.dir
    server = None
    try:
        cluster.start()
        cluster.create_database()
        people = populate(cluster.url, folder, clients)
        if fault == "down-at-start":
            cluster.stop("fast")
        server = Server(cluster.url, folder, workers=workers, threads=threads)
        server.wait_listening()
        load = Load(server.base, people, clients)
        sizes: list[tuple[float, int]] = []
        sampling = threading.Event()

        def sample_log():
            while not sampling.is_set():
                sizes.append((time.monotonic(), server.log_size()))
                sampling.wait(0.1)

        sampler = threading.Thread(target=sample_log, daemon=True)
        sampler.start()
        started = time.monotonic()
        load.start()
        if fault == "down-at-start":
            fault_started = started
            time.sleep(late_start)
            cluster.start()
        else:
            time.sleep(fault_at)
            fault_started = time.monotonic()
            if fault == "restart":
                cluster.restart("fast")
            elif fault == "kill":
                cluster.kill_postmaster()
                time.sleep(kill_pause)
                cluster.start()
            else:
                raise ValueError(fault)
        up_at = time.monotonic()
        time.sleep(max(0.0, started + seconds - time.monotonic()))
        load.stop()
        sampling.set()
        sampler.join()
        writes = sorted(load.writes, key=lambda w: w.sent)
        # The outage's share of the log: from the fault to the first write acknowledged after
        # the database is back (the request lines of that time included).
        back = min((w.done for w in writes if w.acknowledged and w.sent >= up_at),
                   default=time.monotonic())
        start_size = max((s for t, s in sizes if t <= fault_started), default=0)
        end_size = min((s for t, s in sizes if t >= back), default=server.log_size())
        log_lines = server.log_path.read_bytes()[start_size:end_size]
        counts_before = stored_counts(cluster.url, writes)
        failed_but_stored = [w for w in writes if w.failed and counts_before[w.marker] > 0]
        retry_failed(server.base, writes)
        counts = stored_counts(cluster.url, writes)
        audit = audited(cluster.url, writes)
        ready_down, ready_up = probe_readiness(server.base, cluster)
        missing = [w for w in writes if (w.acknowledged or w.retried.startswith("2"))
                   and counts[w.marker] != 1]
        unaudited = [w for w in writes if counts[w.marker] and w.object_id is not None
                     and (w.kind, w.object_id) not in audit]
        duplicates = {m: n for m, n in counts.items() if n > 1}
        return Report(
            fault=fault, writes=writes, reads=load.reads, ready=load.ready,
            fault_at=fault_started, up_at=up_at, missing=missing, unaudited=unaudited,
            failed_but_stored=failed_but_stored, duplicates=duplicates, log_bytes=len(log_lines),
            log_lines=log_lines.count(b"\n"), tracebacks=log_lines.count(b"Traceback"),
            log_text=log_lines.decode("utf-8", "replace"), ready_down=ready_down, ready_up=ready_up,
        )
    finally:
        if server is not None:
            server.stop()
        cluster.remove()
