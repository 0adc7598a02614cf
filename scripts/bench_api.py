"""Benchmark the API and the public pages against a bare Flask app, in the same run, with wrk.

Starts everything it measures: the database (a throwaway PostgreSQL cluster as the tests use,
or MARKET_DATABASE_URL; or an SQLite file), seeds a province once (`market seed-scale`), serves
the project with `market serve` (gunicorn, production settings) and a bare Flask app returning a
small JSON object under the same gunicorn settings, then drives each endpoint with wrk,
alternating reference and project (A/B/A/B). Per endpoint it prints requests/s, p50, p99, the
non-2xx count and the ratio to the reference of the same rounds; it ends with one JSON line.
Progress goes to stderr.

Latencies are wrk's, which corrects for coordinated omission: a request that stalled for S is
counted with the requests a steady stream of clients would have sent meanwhile (S / the mean
interval of a connection), so one stall of a few hundred milliseconds moves the p99 of a whole
run. Before the rounds of a GET endpoint, its first answer is timed alone (`first ms`: what a
visitor waits for after a start or a change, while each worker builds the answer it then keeps)
and the endpoint is warmed for a second, unrecorded; the rounds then measure the steady state.

    python scripts/bench_api.py                            # PostgreSQL, 100,000 orders
    python scripts/bench_api.py --database sqlite
    python scripts/bench_api.py --orders 2000 --duration 2 --rounds 1   # a quick look

wrk is Debian's package; it is installed with apt-get when missing (as root).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# name, signed in as (None: public), method, path (filled in later for some), group
ENDPOINTS = [
    ("directory_first", None, "GET", "/api/v1/directory", "public"),
    ("directory_filtered", None, "GET",
     "/api/v1/directory?" + urllib.parse.urlencode({"sector": "transport", "status": "completed", "region": "贵阳"}),
     "public"),
    ("directory_deep", None, "GET", "/api/v1/directory?page={deep_page}", "public"),
    ("search_2char", None, "GET", "/api/v1/directory?" + urllib.parse.urlencode({"q": "车辆"}), "search"),
    ("search_no_match", None, "GET", "/api/v1/directory?" + urllib.parse.urlencode({"q": "量子纠缠"}), "search"),
    ("directory_order", None, "GET", "/api/v1/directory/{order_id}", "public"),
    ("csv_filtered", None, "GET",
     "/api/v1/directory.csv?" + urllib.parse.urlencode({"sector": "health", "status": "awarded", "region": "铜仁"}),
     "export"),
    ("agency_orders", "agency", "GET", "/api/v1/orders", "signed_in"),
    ("vendor_bid", "vendor", "POST", "/api/v1/orders/{bid_order}/bids", "signed_in"),
    ("coordinator_allocations", "coordinator", "GET", "/api/v1/allocations", "signed_in"),
    ("html_directory", None, "GET", "/directory", "public"),
    ("html_order", None, "GET", "/orders/{order_id}", "public"),
]
TARGETS = {"public": {"ratio": 0.5, "p99_ms": 50}, "search": {"p99_ms": 100}, "signed_in": {"p99_ms": 100}}

# Counts the answers that are not 2xx, per thread, and prints the total when wrk is done.
WRK_LUA = r"""
%(top)s
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args)
  non2xx = 0
  %(init)s
end
function response(status, headers, body)
  -- A bid is placed once per order and firm: once a thread has used its share of the bodies it
  -- stops, and the answers to requests already in flight then (repeats, so 409) are not counted.
  if bodies and counter + step >= #bodies then
    exhausted = true
    wrk.thread:stop()
  end
  if exhausted and status == 409 then return end
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if not first_error then first_error = status .. " " .. string.sub(body, 1, 300) end
  end
end
%(request)s
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do
    n = n + t:get("non2xx")
    local e = t:get("first_error")
    if e then io.write("FIRST_ERROR " .. string.gsub(e, "\n", " ") .. "\n") end
  end
  io.write(string.format("NON2XX %%d\n", n))
  io.write(string.format("P50US %%d\nP99US %%d\n", latency:percentile(50), latency:percentile(99)))
  local last = nil
  for _, t in ipairs(threads) do
    local sent = t:get("counter")  -- set by the threads that send bodies
    if sent then last = math.max(last or sent, sent) end
  end
  if last then io.write(string.format("LASTBODY %%d\n", last)) end
end
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk not found; installing the Debian package 'wrk'...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env,
                   stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


@contextmanager
def postgresql():
    """A throwaway cluster started by scripts/pg_throwaway.sh; stopped when its shell ends."""
    shell = subprocess.Popen(
        ["bash", "-c", 'source scripts/pg_throwaway.sh && pg_throwaway_start && echo "URL=$PG_URL" && read _'],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = shell.stdout.readline().strip()
        if not line.startswith("URL="):
            raise SystemExit("PostgreSQL did not start")
        yield line[4:]
    finally:
        shell.stdin.close()
        shell.wait(timeout=60)


def market_env(url: str, instance: str) -> dict:
    return {**os.environ, "MARKET_DATABASE_URL": url, "MARKET_INSTANCE_PATH": instance, "MARKET_ENV": "production",
            "MARKET_SECRET_KEY": "bench-only-" + "x" * 40, "PYTHONPATH": str(ROOT), "MARKET_LOG_LEVEL": "WARNING",
            # the pool holds a connection for each of a worker's threads
            "MARKET_DATABASE_POOL_SIZE": os.environ.get("MARKET_DATABASE_POOL_SIZE", "8")}


def market(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "market.console", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout


def prepare(env: dict, now: dt.datetime) -> dict:
    """Tokens for the three roles, the ids the paths need and orders the vendors can bid on."""
    os.environ.update({k: env[k] for k in ("MARKET_DATABASE_URL", "MARKET_INSTANCE_PATH", "MARKET_ENV",
                                           "MARKET_SECRET_KEY")})
    from sqlalchemy import func, select

    from market import create_app, db
    from market.accounts import services as accounts
    from market.accounts.models import User
    from market.bids import services as bids
    from market.errors import DomainError
    from market.orders.models import Order
    from market.organizations.models import Capability, Organization

    app = create_app()
    with app.app_context():
        session = db.session

        def token_of(email: str) -> str:
            user = session.scalar(select(User).where(User.email == email))
            token, _ = accounts.issue_token(session, user, ttl_hours=12, name="bench")
            return token

        tokens = {role: token_of(f"{role}@demo.market.cn") for role in ("agency", "vendor", "coordinator")}
        published = select(Order.id).where(Order.status != "draft", Order.published_at.is_not(None))
        total = session.scalar(select(func.count()).select_from(published.subquery()))
        awarded = session.scalar(select(Order.id).where(Order.status == "in_progress").order_by(Order.id.desc()))
        # Open orders each verified demo firm could win, one request body for each.
        bid_targets = []
        vendors = session.scalars(select(User).where(User.role == "vendor", User.email.like("%@demo.market.cn"))
                                  .order_by(User.id)).all()
        for user in vendors:
            profile = user.organization.vendor_profile
            if profile is None or profile.verification_status != "verified":
                continue
            skills = {(c.modality, c.annotation_type): c for c in session.scalars(
                select(Capability).where(Capability.vendor_id == user.organization_id))}
            token = None
            candidates = session.scalars(
                select(Order).where(Order.status == "published", Order.bidding_closes_at > now + dt.timedelta(hours=2))
                .order_by(Order.id.desc()).limit(3000)).all()
            found = 0
            for order in candidates:
                if (order.modality, order.annotation_type) not in skills or order.splittable \
                        or bids.live_bid_of(session, order.id, user.organization_id) is not None:
                    continue  # a firm bids once on an order (an earlier run on this database may have)
                price = min(float(skills[(order.modality, order.annotation_type)].unit_price),
                            float(order.budget_ceiling) / order.volume * 0.9)
                terms = {"unit_price": f"{max(price, 0.0001):.4f}", "volume": order.volume,
                         "seats_committed": max(1, min(profile.seats, 10)),
                         "proposed_finish_date": (order.delivery_deadline - dt.timedelta(days=2)).date().isoformat(),
                         "technical_note": "设专职质检组，按批次交付。"}
                try:
                    bids.check_bid(session, order.id, {**terms, "unit_price": _decimal(terms["unit_price"]),
                                                      "proposed_finish_date": dt.date.fromisoformat(
                                                          terms["proposed_finish_date"])}, actor=user)
                except DomainError:
                    continue
                token = token or token_of(user.email)
                bid_targets.append((token, order.id, json.dumps(terms, ensure_ascii=False)))
                found += 1
                if found >= 400:
                    break
        session.commit()
        agency = session.scalar(select(Organization.id).where(Organization.name == "贵州省交通运输厅"))
    return {"tokens": tokens, "deep_page": max(1, (total // 20) * 9 // 10), "order_id": awarded,
            "bid_targets": bid_targets, "directory_orders": total, "agency_id": agency}


def _decimal(text: str):
    from decimal import Decimal

    return Decimal(text)


def first_answer_ms(port: int, path: str, token: str | None) -> float | None:
    """How long the endpoint's first answer takes, alone (in ms; None when it fails)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers),
                                    timeout=60) as answer:
            answer.read()
    except OSError:
        return None
    return round((time.perf_counter() - started) * 1000, 1)


def drain(port: int, timeout: float = 60) -> None:
    """Wait until the server has finished what the last run left queued (slow exports, say), so
    the next endpoint is measured alone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/directory?per_page=1", timeout=30):
                pass
        except OSError:
            pass
        if time.monotonic() - started < 0.1:
            return
        time.sleep(0.5)


def wait_until_up(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server on port {port} did not answer {path}")


def serve(stack: ExitStack, args, env: dict, reference: bool) -> int:
    port = free_port()
    command = [sys.executable, __file__, "--serve-reference", str(port), "--workers", str(args.workers),
               "--threads", str(args.threads)] if reference else \
        [sys.executable, "-m", "market.console", "serve", "--port", str(port), "--workers", str(args.workers),
         "--threads", str(args.threads)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)

    def stop():
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    stack.callback(stop)
    wait_until_up(port, "/ping" if reference else "/api/v1/directory?per_page=1")
    return port


def wrk_script(token: str | None, bodies: list | None, threads: int) -> str:
    top = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    init = request = ""
    if bodies:
        # Each thread takes every n-th body from the offset on, so no order is bid on twice.
        rows = ",\n".join(
            "{" + ", ".join((json.dumps(f"/api/v1/orders/{oid}/bids"), json.dumps(body, ensure_ascii=False),
                             json.dumps(f"Bearer {tok}"))) + "}"
            for tok, oid, body in bodies)
        init = f"bodies = {{{rows}}}\n  counter = tonumber(args[1]) + tid - 1 - {threads}\n  step = {threads}"
        request = """function request()
  counter = counter + step
  local r = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", r[1], {["Content-Type"] = "application/json", ["Authorization"] = r[3]}, r[2])
end"""
    return WRK_LUA % {"top": top, "init": init, "request": request}


def run_wrk(wrk: str, args, port: int, method: str, path: str, token: str | None = None,
            bodies: list | None = None, offset: int = 0) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script(token, bodies, args.wrk_threads))
    try:
        done = subprocess.run(
            [wrk, "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{args.duration}s",
             "--timeout", "10s", "-s", script.name, f"http://127.0.0.1:{port}{path}", "--", str(offset)],
            capture_output=True, text=True, timeout=args.duration + 60)
    finally:
        os.unlink(script.name)
    out = done.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": int(total.group(1)) if total else 0,
        "p50_ms": int(re.search(r"P50US (\d+)", out).group(1)) / 1000 if "P50US" in out else None,
        "p99_ms": int(re.search(r"P99US (\d+)", out).group(1)) / 1000 if "P99US" in out else None,
        "non_2xx": int(re.search(r"NON2XX (\d+)", out).group(1)) if "NON2XX" in out else None,
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
        "first_error": (re.search(r"FIRST_ERROR (.*)", out).group(1)[:300] if "FIRST_ERROR" in out else None),
        # the last request body a thread sent (answered or still in flight when wrk stopped)
        "last_body": int(re.search(r"LASTBODY (-?\d+)", out).group(1)) if "LASTBODY" in out else None,
    }


def merge(runs: list[dict]) -> dict:
    n = sum(r["requests"] for r in runs) or 1
    return {
        "rps": round(sum(r["rps"] for r in runs) / len(runs), 1),
        # percentiles of the rounds, weighted by their requests (each round's own distribution)
        "p50_ms": round(sum((r["p50_ms"] or 0) * r["requests"] for r in runs) / n, 2),
        "p99_ms": round(max(r["p99_ms"] or 0 for r in runs), 2),
        "non_2xx": sum((r["non_2xx"] or 0) for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "first_error": next((r["first_error"] for r in runs if r.get("first_error")), None),
    }


def verdict(group: str, result: dict) -> bool | None:
    target = TARGETS.get(group)
    if target is None:
        return None
    ok = result["p99_ms"] < target["p99_ms"] and result["non_2xx"] == 0
    if "ratio" in target:
        ok = ok and result["ratio"] >= target["ratio"]
    return ok


def chart(results: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.5))
    left.barh(names, [results[n]["rps"] for n in names], color="#2b6cb0", label="project")
    left.barh(names, [results[n]["reference_rps"] for n in names], color="none", edgecolor="#c05621",
              label="bare Flask (same rounds)")
    left.set_xlabel("requests/s")
    left.invert_yaxis()
    left.legend(loc="lower right", fontsize=8)
    right.barh(names, [results[n]["p99_ms"] for n in names], color="#2f855a", label="p99")
    right.barh(names, [results[n]["p50_ms"] for n in names], color="#9ae6b4", label="p50")
    right.axvline(50, color="#c53030", lw=1, ls="--")
    right.axvline(100, color="#c53030", lw=1, ls=":")
    right.set_xscale("log")
    right.set_xlabel("latency, ms (log; lines at 50 and 100 ms)")
    right.invert_yaxis()
    right.set_yticklabels([])
    right.legend(loc="lower right", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def serve_reference(port: int, workers: int, threads: int) -> None:
    """The bare Flask app under the project's own gunicorn settings."""
    from flask import Flask

    from market.cli import gunicorn_application, gunicorn_options

    def factory() -> Flask:
        app = Flask("reference")

        @app.get("/ping")
        def ping():
            return {"status": "ok", "service": "reference"}

        return app

    gunicorn_application(gunicorn_options("127.0.0.1", port, workers, threads), factory).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--vendors", type=int, default=1_000)
    parser.add_argument("--bids-per-order", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--duration", type=int, default=8, help="seconds of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="A/B rounds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--only", nargs="*", help="endpoint names to run (default: all)")
    parser.add_argument("--no-seed", action="store_true",
                        help="measure the province already in MARKET_DATABASE_URL (seeded by an earlier run)")
    parser.add_argument("--chart", type=Path, help="write a PNG chart of the results here")
    parser.add_argument("--json-out", type=Path, help="also write the summary JSON here")
    parser.add_argument("--serve-reference", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_reference:
        serve_reference(args.serve_reference, args.workers, args.threads)
        return
    wrk = ensure_wrk()
    with ExitStack() as stack:
        instance = stack.enter_context(tempfile.TemporaryDirectory(prefix="market-bench-"))
        url = os.environ.get("MARKET_DATABASE_URL")
        if url:
            args.database = "postgresql" if url.startswith("postgresql") else "sqlite"
        elif args.database == "postgresql":
            url = stack.enter_context(postgresql())
        else:
            url = f"sqlite:///{instance}/bench.sqlite3"
        env = market_env(url, instance)
        started = time.monotonic()
        seed_seconds = None
        if args.no_seed:
            if not os.environ.get("MARKET_DATABASE_URL"):
                raise SystemExit("--no-seed measures the database in MARKET_DATABASE_URL; none is set")
        else:
            market(env, "init-db")
            seeded = market(env, "seed-scale", "--orders", str(args.orders), "--vendors", str(args.vendors),
                            "--bids-per-order", str(args.bids_per_order), "--seed", str(args.seed))
            seed_seconds = round(time.monotonic() - started, 1)
            log(seeded.strip())
            log(f"seeded in {seed_seconds} s")
        facts = prepare(env, dt.datetime.now(dt.UTC))
        log(f"{facts['directory_orders']} orders in the directory, {len(facts['bid_targets'])} bid targets")
        reference_port = serve(stack, args, env, reference=True)
        project_port = serve(stack, args, env, reference=False)
        results = {}
        bid_offset = 0
        print(f"{'endpoint':26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'ref req/s':>9} "
              f"{'ref p99':>8} {'ratio':>6} {'first ms':>8}  target")
        for name, role, method, path, group in ENDPOINTS:
            if args.only and name not in args.only:
                continue
            path = path.format(deep_page=facts["deep_page"], order_id=facts["order_id"],
                               bid_order=facts["bid_targets"][0][1] if facts["bid_targets"] else 1)
            token = facts["tokens"][role] if role else None
            bodies = facts["bid_targets"] if name == "vendor_bid" else None
            if name == "vendor_bid" and not bodies:
                log("no open order to bid on; vendor_bid skipped")
                continue
            ours, theirs = [], []
            first_ms = None
            if method == "GET":
                first_ms = first_answer_ms(project_port, path, token)
            if method == "GET" and group != "export":  # an export is streamed, never kept
                # Each on a connection of its own, which any worker may accept: every worker
                # builds its answer now, not in the middle of a round (wrk's connections, opened
                # at once, may all land on one worker).
                for _ in range(40):
                    first_answer_ms(project_port, path, token)
                warm = argparse.Namespace(**{**vars(args), "duration": 1})
                run_wrk(wrk, warm, project_port, method, path, token)
                run_wrk(wrk, warm, reference_port, "GET", "/ping")
            for _ in range(args.rounds):
                theirs.append(run_wrk(wrk, args, reference_port, "GET", "/ping"))
                ours.append(run_wrk(wrk, args, project_port, method, path, token, bodies, bid_offset))
                drain(project_port)
                if bodies:
                    # The next round starts after the last body any thread sent (threads send at
                    # their own pace, and some requests were in flight at the stop): each order
                    # is bid on once.
                    bid_offset = ours[-1]["last_body"] + 1
            result, reference = merge(ours), merge(theirs)
            result.update(first_ms=first_ms, reference_rps=reference["rps"], reference_p99_ms=reference["p99_ms"],
                          ratio=round(result["rps"] / reference["rps"], 3) if reference["rps"] else None,
                          group=group, path=path, method=method)
            result["target_met"] = verdict(group, result)
            results[name] = result
            mark = {True: "met", False: "MISSED", None: "-"}[result["target_met"]]
            print(f"{name:26} {result['rps']:8.1f} {result['p50_ms']:8.2f} {result['p99_ms']:8.2f} "
                  f"{result['non_2xx']:8d} {reference['rps']:9.1f} {reference['p99_ms']:8.2f} "
                  f"{result['ratio'] or 0:6.3f} {first_ms if first_ms is not None else '-':>8}  {mark}", flush=True)
        summary = {
            "database": args.database, "orders": args.orders, "vendors": args.vendors,
            "bids_per_order": args.bids_per_order, "seed": args.seed, "seed_seconds": seed_seconds,
            "duration_s": args.duration, "rounds": args.rounds, "connections": args.connections,
            "workers": args.workers, "threads": args.threads, "cpus": os.cpu_count(),
            "directory_orders": facts["directory_orders"], "endpoints": results,
            "targets_met": all(r["target_met"] for r in results.values() if r["target_met"] is not None),
        }
        if args.chart:
            chart(results, args.chart, f"{args.database}, {args.orders:,} orders, {args.connections} connections, "
                                       f"gunicorn {args.workers}×{args.threads}, {os.cpu_count()} cores")
        line = json.dumps(summary, ensure_ascii=False)
        if args.json_out:
            args.json_out.write_text(line + "\n")
        print(line)


if __name__ == "__main__":
    main()
