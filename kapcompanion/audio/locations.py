"""Turn a playlist entry (a path or a URI as written in the file) into a local file, or a problem.

The app is offline and plays local files only. A playlist is outside data, so every entry is
checked: network locations (http, smb, ``//server``, ``\\\\server``, ``file://server/``) and
any other non-file scheme are refused, paths that leave the allowed folders are refused, and
files that do not exist are listed as missing. None of this is fatal: the importer keeps the
entry (so the therapist sees the whole list) and records the problem.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import platformdirs

from kapcompanion import paths


def url2pathname(url: str) -> str:
    """urllib.request.url2pathname without loading urllib.request (~90 ms at start-up)."""
    if os.name == "nt":  # pragma: no cover - Windows only
        import nturl2path

        return str(nturl2path.url2pathname(url))
    return unquote(url)


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NETWORK_SCHEMES = frozenset(
    {"http", "https", "ftp", "ftps", "sftp", "smb", "cifs", "nfs", "afp", "dav", "davs",
     "rtsp", "rtp", "rtmp", "mms", "mmsh", "udp", "tcp", "webdav", "ws", "wss"}
)  # fmt: skip
_SHOWN = 160  # longest entry text quoted back in a problem


def shown(text: str) -> str:
    """An entry quoted in a problem message: one line, not too long."""
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def default_roots(base_dir: Path) -> tuple[Path, ...]:
    """Folders a playlist may point into when the caller names none.

    The playlist's own folder, the bundled resources (the shipped music) and the user's
    Music folder. The app passes its configured music folders instead.
    """
    roots = [base_dir, paths.resources_dir(), paths.playlists_dir()]
    with contextlib.suppress(Exception):  # platformdirs may ask the desktop; harmless if not
        roots.append(Path(platformdirs.user_music_dir()))
    return tuple(roots)


@dataclass(frozen=True)
class LocationPolicy:
    """Where relative entries start from and which folders entries may point into.

    ``roots=None`` means "no folder restriction" (network locations are still refused).
    """

    base_dir: Path
    roots: tuple[Path, ...] | None

    @classmethod
    def make(cls, base_dir: Path, roots: Iterable[Path] | None) -> LocationPolicy:
        base = safe_resolve(base_dir) or base_dir
        if roots is None:
            return cls(base, None)
        resolved = tuple(r for r in (safe_resolve(Path(p)) for p in roots) if r is not None)
        return cls(base, resolved)

    def allows(self, path: Path) -> bool:
        if self.roots is None:
            return True
        return any(path == root or path.is_relative_to(root) for root in self.roots)


@dataclass(frozen=True)
class Resolved:
    location: Path | None
    uri: str
    missing: bool
    problem: str | None
    outside: Path | None = None  # set when refused only because the folder is not allowed


def safe_resolve(path: Path) -> Path | None:
    """``Path.resolve`` that answers None for paths the OS cannot even look at."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError, RuntimeError):
        return None


def _is_file(path: Path) -> bool | None:
    """True/False, or None when the path exists but is not a regular file."""
    try:
        if path.is_file():
            return True
        return None if path.exists() else False
    except (OSError, ValueError):
        return False


def resolve_entry(text: str, policy: LocationPolicy, *, label: str, is_uri: bool) -> Resolved:
    """Resolve one entry. ``is_uri`` is True for XSPF (percent-escapes are decoded)."""
    raw = text.strip()
    if not raw:
        return Resolved(None, "", True, f"{label}: no location given.")
    if "\x00" in raw:
        return Resolved(None, shown(raw), True, f"{label}: the location is not a valid path.")
    if raw.startswith(("\\\\", "//")):
        return _refused(raw, label, "points at a network share")
    drive = bool(_DRIVE.match(raw))
    scheme_match = None if drive else _SCHEME.match(raw)
    if scheme_match is not None:
        scheme = scheme_match.group(1).lower()
        if scheme != "file":
            network = scheme in _NETWORK_SCHEMES
            reason = "is a network location" if network else "is not a local file"
            return _refused(raw, label, reason)
        try:
            parts = urlsplit(raw)
            if parts.netloc not in ("", "localhost"):
                return _refused(raw, label, "points at a network share")
            candidate = Path(url2pathname(parts.path))
        except (ValueError, OSError):  # e.g. a malformed [host] part
            return Resolved(None, shown(raw), True, f"{label}: the location is not a valid URL.")
    else:
        entry = unquote(raw) if is_uri else raw
        if drive and sys.platform != "win32":
            return Resolved(
                None,
                shown(raw),
                True,
                f"{label}: a Windows path that cannot be found on this computer: {shown(raw)}",
            )
        if sys.platform != "win32":
            # Playlists written on Windows separate folders with backslashes; a real
            # backslash in a POSIX file name is rare enough to give up.
            entry = entry.replace("\\", "/")
        candidate = Path(entry)
    if not candidate.is_absolute():
        candidate = policy.base_dir / candidate
    resolved = safe_resolve(candidate)
    if resolved is None:
        return Resolved(None, shown(raw), True, f"{label}: the location is not a valid path.")
    if not policy.allows(resolved):
        refused = _refused(raw, label, "is outside the allowed music folders")
        return Resolved(None, refused.uri, True, refused.problem, outside=resolved)
    state = _is_file(resolved)
    uri = _file_uri(resolved)
    if state is True:
        return Resolved(resolved, uri, False, None)
    if state is None:
        return Resolved(resolved, uri, True, f"{label}: not a file: {resolved}")
    return Resolved(resolved, uri, True, f"{label}: file not found: {resolved}")


def _file_uri(path: Path) -> str:
    try:
        return path.as_uri()
    except ValueError:
        return str(path)


def _refused(raw: str, label: str, reason: str) -> Resolved:
    return Resolved(
        None,
        shown(raw),
        True,
        f"{label}: refused, the location {reason} (only local music files are played): "
        f"{shown(raw)}",
    )
