"""Shared helpers of the repositories: JSON columns and search folding."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from kapcompanion.core.serial import load, to_jsonable
from kapcompanion.store.vault import iso

T = TypeVar("T")


def _dump(obj: Any, columns: Iterable[str]) -> str:
    data = to_jsonable(obj)
    for col in columns:
        data.pop(col, None)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _load(cls: type[T], data: str, **columns: Any) -> T:
    merged = json.loads(data)
    merged.update({k: v for k, v in columns.items()})
    return load(cls, merged)


def _dt(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None
