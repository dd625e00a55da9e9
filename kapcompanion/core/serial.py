"""Dataclass <-> JSON-compatible dict conversion, driven by type hints.

Every record in ``core`` is a dataclass; the vault stores the parts that are not indexed
columns as JSON produced here. Supported field types: str, int, float, bool, None,
``datetime`` (ISO 8601, timezone-aware), ``date``, ``Enum`` (by value), nested dataclasses,
``list[...]``, ``tuple[..., ...]``, ``dict[str, ...]`` and ``X | None``. Unknown keys in the
input are ignored and missing keys take the field default, so older records keep loading
after a field is added.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:
    """Convert a dataclass (or any supported value) to JSON-compatible data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(tp: Any, data: Any) -> Any:
    """Build a value of type ``tp`` from data produced by :func:`to_jsonable`."""
    if data is None:
        return None
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return from_jsonable(members[0], data)
        return data
    if origin in (list, typing.List):  # noqa: UP006
        item = (typing.get_args(tp) or (Any,))[0]
        return [from_jsonable(item, v) for v in data]
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v) for v in data)
        return tuple(from_jsonable(a, v) for a, v in zip(args, data, strict=False))
    if origin is dict:
        _k, vt = typing.get_args(tp) or (str, Any)
        return {k: from_jsonable(vt, v) for k, v in data.items()}
    if tp is Any or tp is object:
        return data
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return load(tp, data)
        if issubclass(tp, enum.Enum):
            return tp(data)
        if issubclass(tp, datetime):
            return datetime.fromisoformat(data)
        if issubclass(tp, date):
            return date.fromisoformat(data)
        if tp is float and isinstance(data, int):
            return float(data)
    return data


def load(cls: type[T], data: dict[str, Any]) -> T:
    """Build dataclass ``cls`` from a dict, tolerating unknown and missing keys."""
    hints = _hints(cls)  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data and f.init:
            kwargs[f.name] = from_jsonable(hints[f.name], data[f.name])
    return cls(**kwargs)
