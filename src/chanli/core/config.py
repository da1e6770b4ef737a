"""Settings, validated once and passed down from the composition root (``bootstrap``).

Why validation here: a wrong database URL or a default secret in production should stop
the process at start, with a message, not surface later as a 500.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_SECRET", "RobotConfig", "Settings", "normalise_database_url"]

DEV_SECRET = "chanli-dev-secret-change-me"


def normalise_database_url(url: str) -> str:
    """Accept the spellings people paste and pick the driver we ship (psycopg 3)."""
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    elif url.startswith("postgresql+psycopg2://"):
        url = "postgresql+psycopg://" + url[len("postgresql+psycopg2://") :]
    if not (url.startswith(("sqlite", "postgresql+psycopg://"))):
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path/chanli.db or postgresql://user@host/db")
    return url


class RobotConfig(BaseModel):
    """One group robot (群机器人) that receives notifications: DingTalk, WeCom (企业微信) or
    Feishu. ``secret`` turns on signing (DingTalk 加签, Feishu 签名校验); ``kinds`` limits the
    notice kinds it receives (empty: all)."""

    kind: Literal["dingtalk", "wecom", "feishu"]
    url: str = Field(min_length=8)
    secret: str | None = None
    kinds: list[str] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("a robot webhook URL starts with https://")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHANLI_", env_file=None, extra="ignore")

    environment: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "sqlite:///chanli.db"
    secret_key: str = DEV_SECRET
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    token_max_age_s: int = Field(default=12 * 3600, ge=60)
    echo_sql: bool = False
    model_dir: Path = Path("chanli-models")
    scheduler: bool = True  # run timed jobs inside `chanli serve` (turn off where cron runs `chanli jobs run`)
    # group robots told about every notice, as JSON:
    # CHANLI_ROBOTS='[{"kind": "dingtalk", "url": "…", "secret": "SEC…"}]'
    robots: list[RobotConfig] = Field(default_factory=list)
    robot_timeout_s: float = Field(default=3.0, gt=0, le=30)

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return normalise_database_url(value)

    @model_validator(mode="after")
    def _secret(self) -> Settings:
        if self.environment == "prod" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError("CHANLI_SECRET_KEY must be set to a random string of 32+ characters in prod")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
