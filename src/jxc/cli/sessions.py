"""Where `jxc login` keeps its session tokens: one per database, in a file only you can read."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from jxc.config import Settings


def _path(settings: Settings) -> Path:
    return settings.data_dir / "sessions.json"


def _key(settings: Settings) -> str:
    # A digest: the file then names no server or database password.
    return hashlib.sha256(settings.database_url.encode()).hexdigest()


def _read(settings: Settings) -> dict[str, str]:
    try:
        found = json.loads(_path(settings).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _write(settings: Settings, tokens: dict[str, str]) -> None:
    path = _path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    path.chmod(0o600)  # the mode above applies only to a file it creates
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(tokens, handle)


def load(settings: Settings) -> str | None:
    return _read(settings).get(_key(settings))


def save(settings: Settings, token: str) -> None:
    _write(settings, {**_read(settings), _key(settings): token})


def forget(settings: Settings) -> None:
    tokens = _read(settings)
    if tokens.pop(_key(settings), None) is not None:
        _write(settings, tokens)
