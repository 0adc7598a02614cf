"""The commands of the command line (`market ...`, also `flask --app market ...`); see market.console."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from market.allocations.cli import match as match_group
from market.jobs.cli import jobs as jobs_group
from market.quality.cli import model as model_group


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema by running the migrations."""
    from market.migrations import upgrade

    upgrade()
    click.echo("Database is at the newest schema.")


def _no_schema() -> click.ClickException:
    return click.ClickException("The database has no schema yet; run `market init-db` first.")


def _load(schema, data: dict) -> dict:
    """Validate command-line input with the API's own schema; problems become a clear message."""
    from marshmallow import ValidationError

    try:
        return schema.load(data)
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(map(str, messages))}"
                             for field, messages in sorted(exc.messages.items()))
        raise click.ClickException(f"Invalid input: {problems}") from None


@contextmanager
def _writing():
    """Commit what the block did; domain errors and a missing schema become messages, not tracebacks."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from market import db
    from market.errors import DomainError

    try:
        yield db.session
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        raise _no_schema() from None


@click.command("create-organization")
@click.option("--kind", required=True, type=click.Choice(["operator", "agency", "vendor"]),
              help="operator: the programme's platform (coordinators and admins belong to it).")
@click.option("--name", required=True, help="The registered name.")
@click.option(
    "--credit-code", required=True, help="The unified social credit code (18 characters)."
)
@click.option("--province", required=True)
@click.option("--city", required=True)
@click.option("--county", default=None)
@with_appcontext
def create_organization(kind, name, credit_code, province, city, county):
    """Register an organisation (e.g. the operator, before its first administrator)."""
    from market.organizations import services
    from market.organizations.schemas import OrganizationSchema

    data = _load(OrganizationSchema(), {"kind": kind, "name": name, "credit_code": credit_code,
                                        "province": province, "city": city, "county": county})
    with _writing() as session:
        org = services.create_organization(session, data, actor=None)
    click.echo(f"Created {org.kind} {org.name} (id {org.id}).")


@click.command("create-user")
@click.option("--email", required=True, help="The login e-mail.")
@click.option("--name", required=True, help="The person's name as shown to others.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["agency", "vendor", "coordinator", "admin"]),
    help="agency and vendor users belong to an agency or vendor; coordinators and admins to the operator.",
)
@click.option(
    "--organization-id", required=True, type=int, help="The id of the user's organisation."
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters; asked for (twice) when not given.")
@with_appcontext
def create_user(email, name, role, organization_id, password):
    """Create a user who logs in with e-mail and password (e.g. the first administrator)."""
    from market.accounts import services
    from market.accounts.schemas import UserCreateSchema
    from market.organizations.models import Organization

    data = _load(
        UserCreateSchema(),
        {
            "email": email,
            "name": name,
            "password": password,
            "role": role,
            "organization_id": organization_id,
        },
    )
    with _writing() as session:
        organization = session.get(Organization, data["organization_id"])
        if organization is None:
            raise click.ClickException(
                f"No organisation with id {organization_id}; create one first with "
                "`market create-organization` (or list them: GET /api/v1/organizations)."
            )
        user = services.create_user(session, data, actor=None)
    click.echo(f"Created {user.role} user {user.email} (id {user.id}) in {organization.name}.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (and succeed) when the database already has organisations.")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=2026, show_default=True,
              help="The random seed; the same seed writes the same demo data.")
@with_appcontext
def seed_demo(if_empty, seed):
    """Load the demo programme (Guizhou agencies, annotation firms, orders, history) into an empty database."""
    import time

    from sqlalchemy.exc import OperationalError, ProgrammingError

    from market import db
    from market.demo import seed as demo

    try:
        empty = demo.database_is_empty(db.session)
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        raise _no_schema() from None
    if not empty:
        if if_empty:
            click.echo("The database already has organisations; demo data not loaded.")
            return
        raise click.ClickException(
            "The database is not empty; demo data goes only into an empty database "
            "(use --if-empty to skip quietly, or start from a fresh database)."
        )
    started = time.monotonic()
    summary = demo.seed_demo(db.session, seed=seed)
    db.session.commit()
    for line in summary.lines():
        click.echo(line)
    click.echo(f"Done in {time.monotonic() - started:.1f} s.")


@click.command("seed-scale")
@click.option("--orders", type=click.IntRange(0, 10_000_000), default=100_000, show_default=True,
              help="Orders in all (the demo's included).")
@click.option("--vendors", type=click.IntRange(0, 100_000), default=1_000, show_default=True,
              help="Annotation firms in all (the demo's included).")
@click.option("--bids-per-order", type=click.IntRange(0, 1_000), default=10, show_default=True,
              help="Bids on each order that took bids, from the firms that could win it.")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=2026, show_default=True,
              help="The random seed; the same seed writes the same province.")
@with_appcontext
def seed_scale(orders, vendors, bids_per_order, seed):
    """Load the demo and then a province of that size in bulk (for benchmarks) into an empty database."""
    import time

    from sqlalchemy.exc import OperationalError, ProgrammingError

    from market import db
    from market.demo import scale
    from market.demo import seed as demo

    try:
        empty = demo.database_is_empty(db.session)
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        raise _no_schema() from None
    if not empty:
        raise click.ClickException("The database is not empty; the province goes only into an empty database.")
    started = time.monotonic()

    def progress(message: str) -> None:
        click.echo(f"  {time.monotonic() - started:6.1f} s  {message}", err=True)

    summary = scale.seed_scale(db.session, orders=orders, vendors=vendors, bids_per_order=bids_per_order,
                               seed=seed, progress=progress)
    db.session.commit()
    scale.vacuum(db.database().engine)
    progress("vacuumed")
    for line in summary.lines():
        click.echo(line)
    click.echo(f"Done in {time.monotonic() - started:.1f} s.")


def gunicorn_application(options: dict, factory: Callable[[], Flask]):
    """gunicorn's application serving apps built by `factory`; gunicorn is imported only when serving."""
    from gunicorn.app.base import BaseApplication

    class MarketApplication(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            # Each worker builds its own app after the fork, so no worker shares another's
            # database connections.
            return factory()

    return MarketApplication()


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "market",
    }


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="gunicorn worker processes.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Threads per worker.",
)
@with_appcontext
def serve(host, port, workers, threads):
    """Serve the web app and the API with gunicorn (the single-machine production setup)."""
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"market: serving http://{shown}:{port}/ with gunicorn "
        f"({workers} workers x {threads} threads, database {_database_kind()}); Ctrl-C stops."
    )
    factory = current_app.extensions["market.factory"]
    gunicorn_application(gunicorn_options(host, port, workers, threads), factory).run()


def _database_kind() -> str:
    url = current_app.config["DATABASE_URL"]
    return (
        "PostgreSQL"
        if url.startswith("postgresql")
        else "SQLite"
        if url.startswith("sqlite")
        else url.split(":")[0]
    )


@click.command("scheduler")
@click.option(
    "--standby-seconds",
    type=click.FloatRange(0.1, 3600),
    default=15.0,
    show_default=True,
    help="How often a standby scheduler retries to take over (the advisory lock on PostgreSQL, "
         "the lock file in the instance folder on SQLite).",
)
@with_appcontext
def scheduler(standby_seconds):
    """Run the scheduled jobs (`market jobs list` shows them); one active process per deployment."""
    from sqlalchemy.exc import OperationalError

    from market.db import database
    from market.migrations import schema_is_current
    from market.scheduler import run

    try:
        current = schema_is_current(database().engine)
    except OperationalError:  # the database is away: the scheduler waits for it, as a standby
        current = True
    if not current:  # every job would fail on a missing or older table, and go on failing
        raise click.ClickException(
            "The database is not at the newest schema; run `market init-db` first.")
    raise SystemExit(run(current_app._get_current_object(), standby_seconds=standby_seconds))


COMMANDS = [
    init_db,
    create_organization,
    create_user,
    seed_demo,
    seed_scale,
    serve,
    scheduler,
    model_group,
    match_group,
    jobs_group,
]
