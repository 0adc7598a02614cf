"""The command line as an operator runs it: create-user, seed-demo, match run, serve, scheduler."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from market.accounts.models import User
from market.audit.models import AuditEvent
from market.migrations import upgrade
from market.orders.models import Order
from market.organizations.models import Organization
from tests.factories import OperatorFactory, OrganizationFactory, VendorFactory
from tests.fresh_database import fresh_app

MARKET = str(Path(sys.executable).parent / "market")
PASSWORD = "a long enough password"


@pytest.fixture
def cli(app, connection):
    """Invoke `market ...` on the test app; its writes join the test's rolled-back transaction."""
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=list(args), input=input)

    return invoke


def create_user_args(org_id, **overrides):
    values = {"email": "new.user@example.cn", "name": "新用户", "role": "agency",
              "organization-id": str(org_id), "password": PASSWORD}
    values.update(overrides)
    args = ["create-user"]
    for key, value in values.items():
        if value is not None:
            args += [f"--{key}", value]
    return args


def assert_refused(result, *words):
    """A clear message and exit status 1, the way click reports an error; never a traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


# create-user -------------------------------------------------------------------------------


def test_create_organization_registers_the_operator_for_the_first_administrator(cli, db_session):
    from market.organizations.credit_code import make_credit_code

    code = make_credit_code("12520000MB1234567")
    result = cli("create-organization", "--kind", "operator", "--name", "贵州省大数据发展管理局",
                 "--credit-code", code, "--province", "贵州省", "--city", "贵阳市")
    assert result.exit_code == 0, result.output
    org = db_session.scalar(select(Organization).where(Organization.credit_code == code))
    assert org.kind == "operator" and f"id {org.id}" in result.output
    made = cli(*create_user_args(org.id, role="admin", email="first.admin@example.cn"))
    assert made.exit_code == 0, made.output


def test_create_organization_with_a_wrong_check_character_is_refused(cli):
    result = cli(
        "create-organization",
        "--kind",
        "agency",
        "--name",
        "某局",
        "--credit-code",
        "91520100MA6H12345X",
        "--province",
        "贵州省",
        "--city",
        "贵阳市",
    )
    assert_refused(result, "credit_code")


def test_create_user_makes_a_user_who_can_log_in_with_the_password(cli, factories, db_session):
    org = OrganizationFactory()
    result = cli(*create_user_args(org.id, email="Wang.Li@Example.cn"))
    assert result.exit_code == 0, result.output
    assert "wang.li@example.cn" in result.output
    user = db_session.scalar(select(User).where(User.email == "wang.li@example.cn"))
    assert user.role == "agency" and user.organization_id == org.id
    assert check_password_hash(user.password_hash, PASSWORD)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created",
                                                       AuditEvent.object_id == user.id))
    assert event is not None and event.actor_id is None  # the command line acts as the system


def test_create_user_asks_for_the_password_twice_when_not_given(cli, factories, db_session):
    org = OperatorFactory()
    result = cli(
        *create_user_args(org.id, role="admin", password=None), input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    user = db_session.scalar(select(User).where(User.email == "new.user@example.cn"))
    assert user.role == "admin" and check_password_hash(user.password_hash, PASSWORD)


def test_create_user_for_an_unknown_organisation_is_refused_without_a_traceback(cli):
    assert_refused(cli(*create_user_args(987654)), "No organisation with id 987654")


def test_create_user_with_a_role_that_does_not_fit_the_organisation_is_refused(
    cli, factories, db_session
):
    vendor = VendorFactory()
    result = cli(*create_user_args(vendor.id, role="coordinator"))
    assert_refused(result, "coordinator user must belong to an organisation of kind operator")
    assert db_session.scalar(select(func.count(User.id))) == 0


def test_create_user_with_an_e_mail_already_registered_is_refused(cli, factories):
    org = OrganizationFactory()
    assert cli(*create_user_args(org.id)).exit_code == 0
    assert_refused(cli(*create_user_args(org.id, name="另一个人")), "already exists")


@pytest.mark.parametrize("overrides, field", [
    ({"email": "not-an-e-mail"}, "email"),
    ({"password": "short"}, "password"),
    ({"name": "x" * 101}, "name"),
    ({"organization-id": str(2**40)}, "organization_id"),
])
def test_create_user_with_bad_input_names_the_field(cli, factories, overrides, field):
    org = OrganizationFactory()
    assert_refused(cli(*create_user_args(org.id, **overrides)), "Invalid input", field)


def test_create_user_with_an_unknown_role_is_a_usage_error(cli, factories):
    result = cli(*create_user_args(OrganizationFactory().id, role="superuser"))
    assert result.exit_code == 2
    assert "superuser" in result.output and "Traceback" not in result.output


# seed-demo ---------------------------------------------------------------------------------


@pytest.fixture
def fresh(database_url, tmp_path):
    with fresh_app(database_url, tmp_path) as app:
        yield app


def test_seed_demo_fills_an_empty_database_and_prints_the_summary(fresh):
    result = fresh.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for text in (
        "organisations:",
        "published (bidding open):",
        "coordinator@demo.market.cn",
        "agency@demo.market.cn",
        "vendor@demo.market.cn",
        "password for all: demo-password",
    ):
        assert text in result.output
    with fresh.app_context():
        from market import db

        kinds = dict(db.session.execute(
            select(Organization.kind, func.count()).group_by(Organization.kind)).all())
        assert kinds["agency"] >= 6 and kinds["vendor"] >= 25 and kinds["operator"] == 1
        statuses = set(db.session.scalars(select(Order.status).distinct()))
        assert statuses == {
            "draft",
            "published",
            "evaluating",
            "awarded",
            "in_progress",
            "completed",
            "cancelled",
            "unsuccessful",
        }

    again = fresh.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 1
    assert "not empty" in again.output and "Traceback" not in again.output

    skipped = fresh.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert skipped.exit_code == 0
    assert "already has organisations" in skipped.output


def test_seed_demo_if_empty_seeds_an_empty_database(fresh):
    result = fresh.test_cli_runner().invoke(args=["seed-demo", "--if-empty", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Demo data written (seed 7)" in result.output


def test_seed_demo_without_a_schema_says_to_run_init_db(tmp_path):
    from config.settings import TestingConfig
    from market import create_app

    app = create_app(
        TestingConfig(f"sqlite:///{tmp_path / 'none.sqlite3'}", INSTANCE_PATH=str(tmp_path))
    )
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 1
    assert "market init-db" in result.output and "Traceback" not in result.output


def test_init_db_creates_the_schema_that_create_user_then_uses(tmp_path):
    from config.settings import TestingConfig
    from market import create_app

    app = create_app(
        TestingConfig(f"sqlite:///{tmp_path / 'new.sqlite3'}", INSTANCE_PATH=str(tmp_path))
    )
    runner = app.test_cli_runner()
    before = runner.invoke(args=create_user_args(1))
    assert_refused(before, "market init-db")
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "newest schema" in result.output
    assert_refused(runner.invoke(args=create_user_args(1)), "No organisation with id 1")
    app.extensions["market.db"].engine.dispose()


def test_seed_demo_refuses_a_negative_seed(fresh):
    result = fresh.test_cli_runner().invoke(args=["seed-demo", "--seed", "-1"])
    assert result.exit_code == 2


# serve and scheduler, as processes ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env.update(MARKET_ENV="development", MARKET_INSTANCE_PATH=str(tmp_path / "instance"),
               MARKET_DATABASE_URL=f"sqlite:///{tmp_path / 'process.sqlite3'}")
    return env


@pytest.mark.slow
def test_serve_runs_gunicorn_that_answers_health_checks(tmp_path):
    env = _environment(tmp_path)  # the health checks need no schema
    port = _free_port()
    process = subprocess.Popen(
        [MARKET, "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["database"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert f"serving http://127.0.0.1:{port}/ with gunicorn" in output
    assert "Booting worker" in output


@pytest.mark.slow
def test_scheduler_runs_its_jobs_and_stops_cleanly_on_sigterm(tmp_path):
    env = _environment(tmp_path)
    upgrade(env["MARKET_DATABASE_URL"])
    process = subprocess.Popen(
        [MARKET, "scheduler"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    try:
        deadline = time.monotonic() + 60
        while not any("scheduler: active" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            lines.append(process.stdout.readline())
        time.sleep(1)  # long enough for the first run of each job
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    output = "".join(lines) + output
    assert process.returncode == 0, output
    assert "lock file" in output and "scheduler.lock" in output and "scheduler: stopped" in output
    assert "Traceback" not in output


def test_scheduler_on_a_database_without_the_schema_says_to_run_init_db(tmp_path):
    # As a service manager starts it before anyone ran `market init-db`: one line saying what to
    # do, not a traceback per job.
    result = subprocess.run([MARKET, "scheduler"], env=_environment(tmp_path), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert "run `market init-db` first" in result.stderr and "Traceback" not in result.stderr


# match run ----------------------------------------------------------------------------------------


def test_match_run_dry_run_prints_the_proposals_and_stores_nothing_then_a_real_run_stores_them(
    fresh,
):
    from market.allocations.models import Allocation, MatchRun

    assert fresh.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0

    def runs() -> int:
        with fresh.app_context():
            from market import db

            return db.session.scalar(select(func.count()).select_from(MatchRun))

    seeded = runs()  # the demo's coordinators ran matching before
    dry = fresh.test_cli_runner().invoke(args=["match", "run", "--dry-run", "--time-limit", "5"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["dry_run"] is True and summary["run_id"] is None
    assert "would_supersede" in summary and "superseded" not in summary
    proposals = [line for line in lines if line.startswith("order ")]
    assert proposals and all(" bid " in line and " score " in line for line in proposals)
    assert runs() == seeded

    real = fresh.test_cli_runner().invoke(args=["match", "run", "--time-limit", "5"])
    assert real.exit_code == 0, real.output
    stored = json.loads(real.output.strip().splitlines()[-1])
    assert stored["dry_run"] is False and stored["run_id"] is not None
    with fresh.app_context():
        from market import db

        run = db.session.get(MatchRun, stored["run_id"])
        assert run is not None and run.status == "completed"
        count = db.session.scalar(
            select(func.count()).select_from(Allocation).where(Allocation.run_id == run.id)
        )
        assert count == len(proposals)
