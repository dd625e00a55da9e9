"""Renumbering a client's records for another vault: the one rule, used on both sides.

A client moved between vaults (``services.transfer``) gets new row ids in the target vault.
:func:`remap_row` rewrites one stored row (as ``store.audit.row_dict`` gives it) from the
source vault's ids to the target's: its own id, the columns that point at other records, and
the ids kept inside its JSON (a measure's ``session_id``, a vitals event's ``vitals_id``, a
course plan's appointments). The import writes exactly what this function returns, and
``vault check`` applies the same function to a carried seal's frozen copy before comparing it
with the live rows (``store.seals``): one deterministic rule, so the two always agree.

An id the map does not know (a link to a record outside the client) becomes ``None``: the
link is dropped rather than pointed at an unrelated record of the target vault.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

#: Which table each id column (and each id key inside JSON) points into.
ID_KEYS: dict[str, str] = {
    "client_id": "clients",
    "course_id": "courses",
    "session_id": "sessions",
    "event_id": "events",
    "corrects_id": "events",
    "vitals_id": "vitals",
    "document_id": "documents",
    "attachment_id": "attachments",
    "addendum_id": "addenda",
    "flag_id": "flags",
    "seal_id": "seals",
    "extends_id": "seals",
}
#: The columns holding JSON text, per table.
JSON_COLUMNS: dict[str, str] = {
    "clients": "data",
    "courses": "data",
    "sessions": "data",
    "events": "payload",
    "vitals": "data",
    "documents": "data",
    "flags": "data",
}

#: old id -> new id, per table
IdMap = dict[str, dict[int, int]]
Lookup = Callable[[str, int], int | None]


def lookup_in(ids: IdMap, used: set[tuple[str, int]] | None = None) -> Lookup:
    """A lookup over ``ids`` that notes each (table, old id) it was asked for in ``used``."""

    def find(table: str, old: int) -> int | None:
        if used is not None:
            used.add((table, old))
        return ids.get(table, {}).get(old)

    return find


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _walk(value: Any, find: Lookup) -> tuple[Any, bool]:
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in ID_KEYS and _is_id(item):
                new = find(ID_KEYS[key], item)
                out[key] = new
                changed = changed or new != item
            else:
                out[key], moved = _walk(item, find)
                changed = changed or moved
        return out, changed
    if isinstance(value, list):
        items = [_walk(v, find) for v in value]
        return [v for v, _ in items], any(m for _, m in items)
    return value, False


def remap_json_text(text: Any, find: Lookup) -> Any:
    """JSON text with its inner ids renumbered; unchanged text (byte for byte) if none moved."""
    if not isinstance(text, str):
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    new, changed = _walk(parsed, find)
    if not changed:
        return text
    return json.dumps(new, ensure_ascii=False, separators=(",", ":"))


def _content_hash(text: Any) -> Any:
    """``store.documents.content_hash`` of a data column (kept in step with the data)."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return None
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def remap_row(table: str, row: dict[str, Any], find: Lookup) -> dict[str, Any]:
    """One row of ``table`` with every id renumbered (see the module docstring)."""
    out = dict(row)
    if _is_id(out.get("id")):
        out["id"] = find(table, int(out["id"]))
    for column, target in ID_KEYS.items():
        if column in out and _is_id(out[column]):
            out[column] = find(target, int(out[column]))
    if table in ("addenda", "seals") and _is_id(out.get("record_id")):
        target = "sessions" if out.get("record_type") == "session" else "documents"
        out["record_id"] = find(target, int(out["record_id"]))
    json_column = JSON_COLUMNS.get(table)
    if json_column is not None and json_column in out:
        before = out[json_column]
        out[json_column] = remap_json_text(before, find)
        if table == "documents" and out[json_column] != before and out.get("content_hash"):
            out["content_hash"] = _content_hash(out[json_column])
    return out


def _rows(table: str, rows: Any, find: Lookup) -> Any:
    if isinstance(rows, list):
        return [remap_row(table, r, find) if isinstance(r, dict) else r for r in rows]
    if isinstance(rows, dict):
        return remap_row(table, rows, find)
    return rows


def remap_snapshot(snapshot: dict[str, Any], find: Lookup) -> dict[str, Any]:
    """A seal's frozen copy (``store.seals``) with every row in it renumbered."""
    out = dict(snapshot)
    for part, table in (
        ("session", "sessions"),
        ("events", "events"),
        ("vitals", "vitals"),
        ("documents", "documents"),
        ("document", "documents"),
        ("addendum", "addenda"),
    ):
        if part in out:
            out[part] = _rows(table, out[part], find)
    context = out.get("context")
    if isinstance(context, dict):
        out["context"] = {
            **context,
            "flags": _rows("flags", context.get("flags", []), find),
            "screening": _rows("documents", context.get("screening", []), find),
        }
    extends = out.get("extends")
    if isinstance(extends, dict) and _is_id(extends.get("seal")):
        out["extends"] = {**extends, "seal": find("seals", int(extends["seal"]))}
    return out


def ids_to_json(ids: IdMap) -> dict[str, dict[str, int]]:
    return {t: {str(k): v for k, v in sorted(m.items())} for t, m in sorted(ids.items()) if m}


def ids_from_json(data: Any) -> IdMap:
    if not isinstance(data, dict):
        return {}
    return {
        str(t): {int(k): int(v) for k, v in m.items()}
        for t, m in data.items()
        if isinstance(m, dict)
    }
