"""``kapcompanion doctor``: what this installation can do (for support calls and the
packaging smoke test)."""

from __future__ import annotations

import argparse
from typing import Any

from kapcompanion import __version__
from kapcompanion.cli.common import (
    EXIT_OK,
    print_json,
)


def cmd_doctor(args: argparse.Namespace) -> int:
    """What this installation can do: for support calls and the packaging smoke test."""
    from kapcompanion.audio.backend import NO_DEVICE
    from kapcompanion.audio.factory import create_backend
    from kapcompanion.audio.vlc_backend import configure_bundled_vlc
    from kapcompanion.paths import app_dirs, playlists_dir, resource
    from kapcompanion.services.environment import disk_report
    from kapcompanion.store.dbapi import cipher_version

    configure_bundled_vlc()
    cipher = cipher_version()
    backend, reason = create_backend()  # the output the app uses, so the probe is honest
    vlc_module = getattr(backend, "vlc", None)
    raw = vlc_module.libvlc_get_version() if vlc_module is not None else b""
    version = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
    if reason is not None:
        audio_output = "none (music is unavailable)"
    elif backend.audible:
        audio_output = "a sound device opened"
    else:
        audio_output = f"none: {NO_DEVICE} Music cannot be heard."
    backend.close()
    music = sorted(resource("music").glob("*.ogg"))
    report = {
        "version": __version__,
        "sqlcipher": cipher or "missing",
        "music_backend": f"libvlc {version}" if reason is None else f"unavailable: {reason}",
        "audio_output": audio_output,
        "shipped_tracks": len(music),
        "playlists": len(list(playlists_dir().glob("*.m3u8"))),
        "fonts": len(list(resource("fonts").glob("*.ttf"))),
        "data_folder": str(app_dirs().data),
        "free_space": disk_report(app_dirs().data),
    }
    if args.json:
        print_json(report)
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return EXIT_OK


def add_doctor_parser(sub: Any) -> None:
    """Register ``doctor``."""
    p = sub.add_parser("doctor", help="what this installation can do (libraries, music, fonts)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doctor)
