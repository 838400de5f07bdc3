"""Settings from the environment (``JXC_*``); reading them has no side effects."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from tzlocal import get_localzone

SUPPORTED_LOCALES = ("zh_CN", "en")


def machine_zone() -> tzinfo:
    """The machine's time zone: its IANA zone, else the offset it keeps now.

    ``TZ=CST-8`` (a POSIX rule, common on servers in China) names no IANA zone; the C
    library still applies it, so its current offset is the machine's time.
    """
    try:
        return get_localzone()
    except (ZoneInfoNotFoundError, ValueError, LookupError):
        offset = datetime.now().astimezone().tzinfo
        return offset if offset is not None else UTC


def default_data_dir() -> Path:
    return Path(user_data_dir("jxc", appauthor=False))


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'jxc.db'}"


def locale_from_environment() -> str:
    """zh_CN unless the system locale says English: JXC is Chinese first."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value.lower().startswith("en"):
            return "en"
        if value.lower().startswith("zh"):
            return "zh_CN"
    return "zh_CN"


def normalize_locale(value: str) -> str:
    lowered = value.replace("-", "_").lower()
    if lowered.startswith("en"):
        return "en"
    if lowered.startswith("zh"):
        return "zh_CN"
    raise ValueError(value)


SESSION_COOKIE = "jxc_session"  # the browser's session, for the web pages and the API


def preferred_locale(tags: Iterable[str], default: str = "zh_CN") -> str:
    """The most wanted of ``tags`` (say an Accept-Language header's) that JXC speaks.

    By their q-values (en;q=0.1, zh-CN;q=0.9 wants Chinese), else in order; q=0 refuses.
    """
    weighed = [(tag.split(";")[0].strip(), _quality(tag)) for tag in tags]
    for tag, quality in sorted(weighed, key=lambda pair: pair[1], reverse=True):
        if not tag or tag == "*" or quality <= 0:
            continue
        try:
            return normalize_locale(tag)
        except ValueError:
            continue
    return default


def _quality(tag: str) -> float:
    """A language tag's q-value (1 when it gives none): a preference, not an amount."""
    for parameter in tag.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JXC_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    lang: str = Field(default_factory=locale_from_environment)
    # Who acts: a session from `jxc login` (kept in data_dir), or for scripts a user name
    # with its password, or a session token.
    user: str | None = None
    password: str | None = Field(default=None, repr=False)
    token: str | None = Field(default=None, repr=False)
    data_dir: Path = Field(default_factory=default_data_dir)
    # The company's time zone (IANA, say Asia/Shanghai): the business day, document
    # numbers and "today" in reports follow it. Unset: the machine's own time zone.
    timezone: str | None = None

    @field_validator("lang")
    @classmethod
    def _spoken(cls, value: str) -> str:
        """An unsupported JXC_LANG falls back as LANG=fr_FR does: Chinese first.

        Where it can say so (``jxc``, whose --lang reads JXC_LANG) it is refused instead.
        """
        try:
            return normalize_locale(value)
        except ValueError:
            return "zh_CN"
