"""Configuration classes for market; each reads its values from MARKET_* environment variables."""

from config.settings import (  # noqa: F401
    BaseConfig,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    ConfigError,
    config_from_env,
)
