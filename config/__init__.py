"""Configuration classes for market; each reads its values from MARKET_* environment variables."""

from config.settings import (  # noqa: F401
    BaseConfig,
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_from_env,
)
