"""Composition root: command line or desktop app.

Only no arguments at all, or the app's own options (``--demo``; ``--quit-after MS`` for the
packaging smoke test; Qt's single-dash options such as ``-platform offscreen``), start the
desktop app. Anything else is a command line: a verb (``vault``, ``settings``, ``export``,
``playlist``, ``doctor``), ``--version`` or ``--help``; an unknown verb or option prints the
usage and exits 2 instead of opening a window (a script with no display would hang).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

#: the desktop app's own long options; the value-taking ones consume the next argument
GUI_OPTIONS = {"--demo": False, "--quit-after": True}


def wants_gui(args: Sequence[str]) -> bool:
    """True when ``args`` hold nothing but the app's options and Qt's (no verb)."""
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name = arg.split("=", 1)[0]
        if name in GUI_OPTIONS:
            if GUI_OPTIONS[name] and "=" not in arg:
                if not rest:
                    return False
                rest.pop(0)
            continue
        if arg.startswith("-") and not arg.startswith("--") and arg != "-h":
            if rest and not rest[0].startswith("-"):  # a Qt option's value: -platform offscreen
                rest.pop(0)
            continue
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not wants_gui(args):
        from kapcompanion import cli

        return cli.main(args)
    # Start-up allocates a few hundred thousand objects that live for the whole run (modules,
    # classes, Qt's enums); collecting them again and again cost ~25 ms before the unlock
    # window showed (bench/README.md). run_gui freezes them and turns collection back on as
    # soon as the window is shown.
    gc.disable()
    from kapcompanion.ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
