"""The app's log file rolls over by size into numbered files, keeping the newest five."""

from __future__ import annotations

import logging
from pathlib import Path

from kapcompanion.logs import LOG_NAME, RotatingLog, setup_logging


def test_the_log_rolls_over_by_size_and_keeps_five(tmp_path: Path) -> None:
    handler = RotatingLog(tmp_path / LOG_NAME, max_bytes=200, backups=5)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("kapcompanion.test_logs")
    log.propagate = False
    log.addHandler(handler)
    try:
        for n in range(40):
            log.warning("line %02d %s", n, "x" * 40)  # 49 bytes with the newline: 4 a file
    finally:
        log.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [LOG_NAME] + [f"{LOG_NAME}.{n}" for n in range(1, 6)]
    for path in tmp_path.iterdir():
        assert path.stat().st_size < 200  # a record that would reach the limit rolled first
    newest = (tmp_path / LOG_NAME).read_text().splitlines()
    assert newest[-1].startswith("line 39 ")
    assert (
        (tmp_path / f"{LOG_NAME}.1")
        .read_text()
        .splitlines()[-1]
        .startswith(f"line {int(newest[0][5:7]) - 1:02d} ")
    )
    kept = [
        int(line[5:7])
        for n in (5, 4, 3, 2, 1)
        for line in (tmp_path / f"{LOG_NAME}.{n}").read_text().splitlines()
    ] + [int(line[5:7]) for line in newest]
    assert kept == list(range(kept[0], 40))  # the newest lines, in order, none lost between files
    assert kept[0] > 0  # the oldest were dropped


def test_setup_replaces_its_own_handler(tmp_path: Path) -> None:
    root = logging.getLogger("kapcompanion")
    before = list(root.handlers)
    try:
        setup_logging(tmp_path / "a")
        path = setup_logging(tmp_path / "b")
        ours = [h for h in root.handlers if isinstance(h, RotatingLog)]
        assert len(ours) == 1 and Path(ours[0].baseFilename) == path
        logging.getLogger("kapcompanion.test").info("written")
        ours[0].flush()
        assert "written" in path.read_text()
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
