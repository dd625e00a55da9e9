"""Dataclass <-> JSON-compatible dict conversion, driven by type hints.

Every record in ``core`` is a dataclass; the vault stores the parts that are not indexed
columns as JSON produced here. Supported field types: str, int, float, bool, None,
``datetime`` (ISO 8601, timezone-aware), ``date``, ``Enum`` (by value), nested dataclasses,
``list[...]``, ``tuple[..., ...]``, ``dict[str, ...]`` and ``X | None``. Unknown keys in the
input are ignored and missing keys take the field default, so older records keep loading
after a field is added.

Loading compiles one converter per type (cached), so reading thousands of records does not
re-inspect type hints for every value.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")
Converter = Callable[[Any], Any]


def to_jsonable(value: Any) -> Any:
    """Convert a dataclass (or any supported value) to JSON-compatible data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def _identity(data: Any) -> Any:
    return data


def _optional(inner: Converter) -> Converter:
    return lambda data: None if data is None else inner(data)


def _to_int(data: Any) -> Any:
    if isinstance(data, str):
        try:
            return int(data)
        except ValueError:
            return data
    return data


def _to_float(data: Any) -> Any:
    return float(data) if isinstance(data, int) and not isinstance(data, bool) else data


@cache
def _converter(tp: Any) -> Converter:
    """A function that turns JSON data into a value of type ``tp`` (None stays None)."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return _optional(_converter(members[0]))
        return _identity
    if origin is list:
        item = _converter((typing.get_args(tp) or (Any,))[0])
        if item is _identity:
            return _optional(list)
        return _optional(lambda data: [item(v) for v in data])
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            each = _converter(args[0])
            return _optional(lambda data: tuple(each(v) for v in data))
        parts = [_converter(a) for a in args]
        return _optional(lambda data: tuple(c(v) for c, v in zip(parts, data, strict=False)))
    if origin is dict:
        key_tp, value_tp = typing.get_args(tp) or (str, Any)
        key = _converter(key_tp)
        value = _converter(value_tp)
        if key is _identity and value is _identity:
            return _optional(dict)
        return _optional(lambda data: {key(k): value(v) for k, v in data.items()})
    if tp is Any or tp is object or not isinstance(tp, type):
        return _identity
    if dataclasses.is_dataclass(tp):
        return _optional(lambda data: load(tp, data))
    if issubclass(tp, enum.Enum):
        return _optional(tp)
    if issubclass(tp, datetime):
        return _optional(
            lambda data: data if isinstance(data, datetime) else datetime.fromisoformat(data)
        )
    if issubclass(tp, date):
        return _optional(lambda data: data if isinstance(data, date) else date.fromisoformat(data))
    if tp is int:  # JSON object keys arrive as strings ("1": ...) for dict[int, ...]
        return _optional(_to_int)
    if tp is float:
        return _optional(_to_float)
    return _identity


def from_jsonable(tp: Any, data: Any) -> Any:
    """Build a value of type ``tp`` from data produced by :func:`to_jsonable`."""
    return _converter(tp)(data)


@cache
def _fields(cls: type) -> tuple[tuple[str, Converter], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls) if f.init)


def load(cls: type[T], data: dict[str, Any]) -> T:
    """Build dataclass ``cls`` from a dict, tolerating unknown and missing keys."""
    fields = _fields(cls)  # type: ignore[arg-type]
    kwargs = {name: conv(data[name]) for name, conv in fields if name in data}
    return cls(**kwargs)
