"""Composition root: command line or desktop app.

``kapcompanion`` with a sub-command (``vault``, ``export``, ``playlist``) or ``--version`` runs the
command line; without one it starts the desktop app (``--demo`` opens a throw-away demo vault).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {"vault", "export", "playlist", "doctor"}
    wants_cli = bool(args) and args[0] in commands
    if wants_cli or any(a in ("--version", "-h", "--help") for a in args):
        from kapcompanion import cli

        return cli.main(args)
    from kapcompanion.ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
