"""Configuration: defaults for an embedded single-machine setup, overridden by the environment."""

from __future__ import annotations

import json
import os
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration cannot work (e.g. production without a secret)."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc


def _env_share(name: str, default: float) -> float:
    value = _env(name)
    if value is None:
        return default
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 10:  # NaN fails too
        raise ConfigError(f"{name} must be a share such as 0.2 (0 to 10), got {value!r}")
    return share


def _env_list(name: str, default: list[str]) -> list[str]:
    value = _env(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_json(name: str, default):
    value = _env(name)
    if value is None:
        return default
    try:
        return json.loads(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be JSON, got {value!r}") from exc


# Which annotation types make sense for each modality, and the units each is counted in; an
# order is published only with one of these combinations (audio with bounding boxes is not).
ANNOTATION_COMBINATIONS = {
    "image": {"classification": ["item"], "bbox": ["box", "item"], "polygon": ["box", "item"],
              "segmentation": ["item"], "keypoint": ["item", "box"]},
    "video": {"classification": ["item", "frame"], "bbox": ["frame", "box"],
              "polygon": ["frame", "box"], "segmentation": ["frame"], "keypoint": ["frame"],
              "tracking": ["frame", "box"]},
    "audio": {"classification": ["item", "audio_minute"],
              "transcription": ["audio_minute", "item"]},
    "text": {"classification": ["item", "kchar"], "ner": ["kchar", "item"],
             "relation": ["kchar", "item"], "qa_pair": ["item"]},
    "point_cloud": {"classification": ["point_cloud_frame"], "cuboid_3d": ["point_cloud_frame", "box"],
                    "segmentation": ["point_cloud_frame"], "tracking": ["point_cloud_frame"]},
    "remote_sensing": {"classification": ["item"], "bbox": ["box", "item"], "polygon": ["box", "item"],
                       "segmentation": ["item"]},
    "medical_image": {"classification": ["item"], "bbox": ["box", "item"], "polygon": ["item"],
                      "segmentation": ["item"], "keypoint": ["item"]},
}


class BaseConfig:
    """Values shared by every environment. Instances are built once per app from the environment."""

    ENV_NAME = "base"
    TESTING = False
    DEBUG = False

    # flask-smorest / OpenAPI
    API_TITLE = "market"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_REDOC_PATH = None
    # The API reference at /api/v1/docs, its assets served by the app (market.api.reference).
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/assets/"

    JSON_SORT_KEYS = False

    def __init__(self) -> None:
        self.SECRET_KEY = _env("MARKET_SECRET_KEY", "dev-only-not-secret")
        self.INSTANCE_PATH = _env("MARKET_INSTANCE_PATH")
        # None means "an SQLite file in the instance folder", resolved by the app factory
        # because only the app knows where its instance folder is.
        self.DATABASE_URL = _env("MARKET_DATABASE_URL")
        self.DATABASE_POOL_SIZE = _env_int("MARKET_DATABASE_POOL_SIZE", 5)
        self.DATABASE_ECHO = _env("MARKET_DATABASE_ECHO", "0") == "1"
        # How long a request waits for the database before it is answered 503 (PostgreSQL): to
        # connect, for a connection from the pool, for one statement (lock waits included).
        self.DATABASE_CONNECT_TIMEOUT = _env_int("MARKET_DATABASE_CONNECT_TIMEOUT", 5)
        self.DATABASE_POOL_TIMEOUT = _env_int("MARKET_DATABASE_POOL_TIMEOUT", 5)
        self.DATABASE_STATEMENT_TIMEOUT_MS = _env_int("MARKET_DATABASE_STATEMENT_TIMEOUT_MS", 15000)
        # A read (or token lookup) whose connection was lost is run again once, after waiting up to
        # this long for the database to answer again: a quick restart goes unnoticed by readers.
        self.DATABASE_RECONNECT_SECONDS = float(_env("MARKET_DATABASE_RECONNECT_SECONDS", "3") or 3)
        # What a 503 for an unreachable database tells clients to wait before retrying (seconds).
        self.DATABASE_RETRY_AFTER = _env_int("MARKET_DATABASE_RETRY_AFTER", 2)
        # How long an Idempotency-Key is remembered, so a retry returns the first result.
        self.IDEMPOTENCY_KEY_HOURS = _env_int("MARKET_IDEMPOTENCY_KEY_HOURS", 24)
        # Bodies larger than this are refused with 413 before they are parsed.
        self.MAX_CONTENT_LENGTH = _env_int("MARKET_MAX_CONTENT_LENGTH", 1024 * 1024)
        self.TOKEN_TTL_HOURS = _env_int("MARKET_TOKEN_TTL_HOURS", 12)
        # Public directory answers each worker keeps, checked against the directory's version on
        # every request (market.orders.freshness); 0 turns the cache off.
        self.DIRECTORY_CACHE_ENTRIES = _env_int("MARKET_DIRECTORY_CACHE_ENTRIES", 256)
        # How long a worker trusts the version it read last: a change shows within this long.
        self.DIRECTORY_VERSION_RECHECK_SECONDS = float(_env("MARKET_DIRECTORY_VERSION_RECHECK_SECONDS", "1") or 1)
        # Failed logins of an account from one address within the window before 429.
        self.LOGIN_MAX_FAILURES = _env_int("MARKET_LOGIN_MAX_FAILURES", 5)
        # Per address the limit is higher: many honest people can share one office's address.
        self.LOGIN_MAX_FAILURES_PER_ADDRESS = _env_int("MARKET_LOGIN_MAX_FAILURES_PER_ADDRESS", 30)
        self.LOGIN_WINDOW_MINUTES = _env_int("MARKET_LOGIN_WINDOW_MINUTES", 15)
        # Failures of an account from all addresses together before the account is locked.
        self.LOGIN_LOCK_FAILURES = _env_int("MARKET_LOGIN_LOCK_FAILURES", 50)
        self.LOGIN_LOCK_WINDOW_MINUTES = _env_int("MARKET_LOGIN_LOCK_WINDOW_MINUTES", 60)
        self.LOGIN_LOCK_MINUTES = _env_int("MARKET_LOGIN_LOCK_MINUTES", 60)
        self.PASSWORD_RESET_TTL_MINUTES = _env_int("MARKET_PASSWORD_RESET_TTL_MINUTES", 60)
        self.EMAIL_CONFIRMATION_TTL_HOURS = _env_int("MARKET_EMAIL_CONFIRMATION_TTL_HOURS", 48)
        # Password reset requests and registrations per address within the window before 429.
        self.PUBLIC_REQUESTS_PER_ADDRESS = _env_int("MARKET_PUBLIC_REQUESTS_PER_ADDRESS", 20)
        self.PUBLIC_REQUESTS_WINDOW_MINUTES = _env_int("MARKET_PUBLIC_REQUESTS_WINDOW_MINUTES", 60)
        # The site's address as its users reach it: the links in e-mails start with it.
        self.PUBLIC_URL = _env("MARKET_PUBLIC_URL", "http://127.0.0.1:5000")
        # The programme's home region: vendors registered there count as local.
        self.HOME_PROVINCE = _env("MARKET_HOME_PROVINCE", "贵州省")
        self.HOME_CITIES = _env_list("MARKET_HOME_CITIES", [])
        self.TIMEZONE = _env("MARKET_TIMEZONE", "Asia/Shanghai")
        # How many proxies (load balancers) stand in front of the app and set X-Forwarded-For.
        # Left at 0 when none do, since anyone could then forge the header.
        self.TRUSTED_PROXIES = _env_int("MARKET_TRUSTED_PROXIES", 0)
        self.LOG_LEVEL = _env("MARKET_LOG_LEVEL", "INFO")
        self.MAIL_SENDER = _env("MARKET_MAIL_SENDER", "market@localhost")
        self.SMTP_HOST = _env("MARKET_SMTP_HOST")
        self.SMTP_PORT = _env_int("MARKET_SMTP_PORT", 25)
        self.MATCH_TIME_LIMIT = float(_env("MARKET_MATCH_TIME_LIMIT", "10") or 10)
        # A verified vendor raising its seats by more than this share waits for a coordinator.
        self.SEAT_CHANGE_REVIEW_SHARE = _env_share("MARKET_SEAT_CHANGE_REVIEW_SHARE", 0.2)
        self.SCHEDULER_CLOSE_BIDDING_SECONDS = _env_int(
            "MARKET_SCHEDULER_CLOSE_BIDDING_SECONDS", 60
        )
        self.SCHEDULER_OUTBOX_SECONDS = _env_int("MARKET_SCHEDULER_OUTBOX_SECONDS", 30)
        # A material amendment keeps bidding open at least this many days after it.
        self.AMENDMENT_MIN_OPEN_DAYS = _env_int("MARKET_AMENDMENT_MIN_OPEN_DAYS", 5)
        # Days from a lot's acceptance to its payment being due: government bodies pay small and
        # medium firms within 30 days unless the contract agrees otherwise, at most 60.
        self.PAYMENT_TERM_DAYS = _env_int("MARKET_PAYMENT_TERM_DAYS", 30)
        # {modality: {annotation type: [units]}}, as JSON in the environment.
        self.ANNOTATION_COMBINATIONS = _env_json(
            "MARKET_ANNOTATION_COMBINATIONS", ANNOTATION_COMBINATIONS
        )
        self.SCHEDULER_IDEMPOTENCY_SECONDS = _env_int("MARKET_SCHEDULER_IDEMPOTENCY_SECONDS", 3600)
        self.SCHEDULER_OVERDUE_SECONDS = _env_int("MARKET_SCHEDULER_OVERDUE_SECONDS", 3600)
        # Job runs are kept this many days (each job's newest run always), then purged.
        self.JOB_RUNS_KEEP_DAYS = _env_int("MARKET_JOB_RUNS_KEEP_DAYS", 30)
        # Scheduled jobs (market.jobs.catalogue): how often each runs, and what they wait for.
        self.SCHEDULER_MATCH_RUNS_SECONDS = _env_int("MARKET_SCHEDULER_MATCH_RUNS_SECONDS", 10)
        # A run left "running" this long by a scheduler that is gone is queued again.
        self.SCHEDULER_MATCH_RUN_ORPHAN_SECONDS = _env_int(
            "MARKET_SCHEDULER_MATCH_RUN_ORPHAN_SECONDS", 60)
        # When bidding closes on orders, a match run over them is queued (0 turns it off).
        self.MATCH_ON_BIDDING_CLOSE = _env("MARKET_MATCH_ON_BIDDING_CLOSE", "1") != "0"
        self.SCHEDULER_ALERTS_SECONDS = _env_int("MARKET_SCHEDULER_ALERTS_SECONDS", 30)
        # The daily digest of new orders goes out from this hour on, in the programme's time zone.
        self.DIGEST_HOUR = _env_int("MARKET_DIGEST_HOUR", 8)
        # The quality model is retrained (when there are new outcomes) nightly at this local hour.
        self.RETRAIN_HOUR = _env_int("MARKET_RETRAIN_HOUR", 2)
        self.SCHEDULER_REMINDERS_SECONDS = _env_int("MARKET_SCHEDULER_REMINDERS_SECONDS", 900)
        self.REMIND_PROPOSALS_AFTER_HOURS = _env_int("MARKET_REMIND_PROPOSALS_AFTER_HOURS", 48)
        self.REMIND_QUESTIONS_AFTER_HOURS = _env_int("MARKET_REMIND_QUESTIONS_AFTER_HOURS", 48)
        self.REMIND_VERIFICATION_AFTER_DAYS = _env_int("MARKET_REMIND_VERIFICATION_AFTER_DAYS", 3)
        self.REMIND_LOTS_AFTER_HOURS = _env_int("MARKET_REMIND_LOTS_AFTER_HOURS", 72)
        # A mail that fails waits OUTBOX_BACKOFF_SECONDS x 2^(attempts-1) before the next try;
        # after OUTBOX_MAX_ATTEMPTS it is given up (failed) and listed for administrators.
        self.OUTBOX_MAX_ATTEMPTS = _env_int("MARKET_OUTBOX_MAX_ATTEMPTS", 5)
        self.OUTBOX_BACKOFF_SECONDS = _env_int("MARKET_OUTBOX_BACKOFF_SECONDS", 60)
        # A mail still "sending" this long after it was claimed was left by a sender that died
        # (an SMTP conversation ends within its 30 s timeout): it is marked unknown, never resent.
        self.OUTBOX_SENDING_STALE_SECONDS = _env_int("MARKET_OUTBOX_SENDING_STALE_SECONDS", 600)
        self.VOCABULARY = {
            "sectors": _env_list("MARKET_SECTORS", ["transport", "health", "education"]),
            "modalities": _env_list(
                "MARKET_MODALITIES",
                [
                    "image",
                    "video",
                    "audio",
                    "text",
                    "point_cloud",
                    "remote_sensing",
                    "medical_image",
                ],
            ),
            "annotation_types": _env_list(
                "MARKET_ANNOTATION_TYPES",
                [
                    "classification",
                    "bbox",
                    "polygon",
                    "segmentation",
                    "keypoint",
                    "cuboid_3d",
                    "tracking",
                    "transcription",
                    "ner",
                    "relation",
                    "qa_pair",
                ],
            ),
            "units": _env_list(
                "MARKET_UNITS",
                ["item", "box", "frame", "audio_minute", "kchar", "point_cloud_frame"],
            ),
            "certifications": _env_list(
                "MARKET_CERTIFICATIONS",
                ["ISO 27001", "ISO 9001", "ISO 27701", "CMMI 3", "DSMM 3", "等保三级"],
            ),
        }

    def validate(self) -> None:
        """Refuse to start with settings that cannot work; overridden where stricter."""


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"

    def validate(self) -> None:
        if not _env("MARKET_SECRET_KEY"):
            raise ConfigError(
                "MARKET_SECRET_KEY is not set. Production refuses to start without a secret key: "
                "set MARKET_SECRET_KEY to a long random value (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)."
            )


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True

    def __init__(self, database_url: str | None = None, **overrides) -> None:
        super().__init__()
        self.SECRET_KEY = "testing"
        # Tests change rows without committing between two reads; the cache's own tests turn it on.
        self.DIRECTORY_CACHE_ENTRIES = 0
        if database_url:
            self.DATABASE_URL = database_url
        for key, value in overrides.items():
            setattr(self, key, value)


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_from_env() -> BaseConfig:
    """Pick the config class named by MARKET_ENV (development by default)."""
    name = _env("MARKET_ENV", "development")
    try:
        cls = CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(f"MARKET_ENV must be one of {sorted(CONFIGS)}, got {name!r}") from exc
    return cls()


def default_sqlite_url(instance_path: str | Path) -> str:
    return f"sqlite:///{Path(instance_path) / 'market.sqlite3'}"
