"""Music settings: the clinic's music folders, playlist import, and playlists per phase.

Folders are scanned off the GUI thread (tags are read from every file). An imported playlist
may only point into the clinic's folders (and the shipped music); everything it gets wrong is
listed, never fatal. Each phase plays the client's choice, else the clinic's, else the shipped
playlist. A running session picks up the new choice at its next phase change.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kapcompanion import paths
from kapcompanion.audio.library import PHASES, LibraryScan, scan_music_folder, shipped_playlist
from kapcompanion.audio.models import Playlist, PlaylistError
from kapcompanion.audio.playlists import read_playlist
from kapcompanion.services import clinic
from kapcompanion.store.errors import VaultError
from kapcompanion.ui.context import AppContext
from kapcompanion.ui.theme import set_role
from kapcompanion.ui.workers import run_in_background


def import_playlist(path: Path, folders: list[Path]) -> Playlist:
    """Read a playlist that may point into the clinic's folders and the shipped music."""
    roots = [*folders, paths.resources_dir(), paths.playlists_dir()]
    return read_playlist(path, roots=roots)


class MusicDialog(QDialog):
    def __init__(
        self, ctx: AppContext, client_id: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("musicDialog")
        self.setWindowTitle(ctx.title("Music"))
        self.ctx = ctx
        self.client_id = client_id
        self.last_import: Playlist | None = None
        self.last_scan: LibraryScan | None = None

        folders_box = QGroupBox("Clinic music folders", self)
        self.folders = QListWidget(folders_box)
        self.folders.setAccessibleName("Music folders")
        for folder in clinic.music_folders(ctx.vault):
            self.folders.addItem(str(folder))
        self.add_folder_button = QPushButton("&Add folder…", folders_box)
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.remove_folder_button = QPushButton("&Remove", folders_box)
        self.remove_folder_button.clicked.connect(self.remove_folder)
        self.scan_status = QLabel(folders_box)
        self.scan_status.setWordWrap(True)
        set_role(self.scan_status, "hint")
        folder_buttons = QVBoxLayout()
        folder_buttons.addWidget(self.add_folder_button)
        folder_buttons.addWidget(self.remove_folder_button)
        folder_buttons.addStretch(1)
        folder_row = QHBoxLayout(folders_box)
        column = QVBoxLayout()
        column.addWidget(self.folders)
        column.addWidget(self.scan_status)
        folder_row.addLayout(column, 1)
        folder_row.addLayout(folder_buttons)

        import_box = QGroupBox("Import a playlist (M3U, M3U8, PLS, XSPF)", self)
        self.import_button = QPushButton("&Import playlist…", import_box)
        self.import_button.clicked.connect(self._choose_playlist)
        self.import_report = QPlainTextEdit(import_box)
        self.import_report.setReadOnly(True)
        self.import_report.setAccessibleName("Import report")
        self.import_report.setMaximumHeight(90)
        self.import_report.setPlaceholderText("Tracks and problems of the imported playlist.")
        import_layout = QVBoxLayout(import_box)
        import_layout.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignLeft)
        import_layout.addWidget(self.import_report)

        assign_box = QGroupBox("Playlist for each phase", self)
        grid = QGridLayout(assign_box)
        grid.addWidget(QLabel("<b>Phase</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Clinic</b>"), 0, 1)
        grid.addWidget(QLabel("<b>This client</b>" if client_id else ""), 0, 2)
        mapping = clinic.phase_playlists(ctx.vault, client_id)
        self.clinic_combos: dict[str, QComboBox] = {}
        self.client_combos: dict[str, QComboBox] = {}
        for row, phase in enumerate(PHASES, start=1):
            grid.addWidget(QLabel(phase.capitalize(), assign_box), row, 0)
            combo = QComboBox(assign_box)
            combo.setAccessibleName(f"Clinic playlist for {phase}")
            self.clinic_combos[phase] = combo
            grid.addWidget(combo, row, 1)
            self._fill_combo(
                combo, f"Shipped ({shipped_playlist(phase).name})", mapping.clinic.get(phase)
            )
            if client_id:
                own = QComboBox(assign_box)
                own.setAccessibleName(f"This client's playlist for {phase}")
                self.client_combos[phase] = own
                grid.addWidget(own, row, 2)
                self._fill_combo(own, "Use the clinic's choice", mapping.client.get(phase))
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

        self.error = QLabel(self)
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(folders_box)
        layout.addWidget(import_box)
        layout.addWidget(assign_box)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(820, 640)

    # ------------------------------------------------------------------ helpers
    def folder_paths(self) -> list[Path]:
        return [Path(self.folders.item(i).text()) for i in range(self.folders.count())]

    def _known(self) -> list[Path]:
        shipped = sorted(paths.playlists_dir().glob("*.m3u8"))
        return [*clinic.imported_playlists(self.ctx.vault), *shipped]

    def _fill_combo(self, combo: QComboBox, empty: str, current: str | None) -> None:
        combo.clear()
        combo.addItem(empty, "")
        for path in self._known():
            if combo.findData(str(path)) < 0:
                combo.addItem(f"{path.stem}  ({path.parent.name})", str(path))
        if current and combo.findData(current) < 0:
            combo.addItem(Path(current).name, current)
        combo.setCurrentIndex(max(0, combo.findData(current or "")))

    def _refill(self) -> None:
        for combo in [*self.clinic_combos.values(), *self.client_combos.values()]:
            self._fill_combo(combo, combo.itemText(0), combo.currentData())

    # ------------------------------------------------------------------ folders
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a music folder")
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path) -> None:
        if str(folder) in [str(p) for p in self.folder_paths()]:
            return
        self.folders.addItem(str(folder))
        self.scan_status.setText(f"Scanning {folder.name}…")
        run_in_background(
            lambda: scan_music_folder(folder),
            self._scanned,
            self._scan_failed,
            owner=self,
        )

    def _scan_failed(self, exc: BaseException) -> None:
        """A plain sentence, never the exception's text; a bug goes to the calm error hook."""
        if not isinstance(exc, OSError):
            self.scan_status.setText("The folder could not be scanned.")
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        reason = f": {exc.strerror}" if exc.strerror else ""
        self.scan_status.setText(f"The folder could not be scanned{reason}.")

    def _scanned(self, scan: LibraryScan) -> None:
        self.last_scan = scan
        text = f"{scan.folder.name}: {len(scan.tracks)} music file(s)."
        if scan.problems:
            text += " " + " ".join(scan.problems[:3])
        self.scan_status.setText(text)

    def remove_folder(self) -> None:
        row = self.folders.currentRow()
        if row >= 0:
            self.folders.takeItem(row)

    # ------------------------------------------------------------------ playlists
    def _choose_playlist(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, "Import a playlist", "", "Playlists (*.m3u *.m3u8 *.pls *.xspf)"
        )
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path) -> Playlist | None:
        try:
            playlist = import_playlist(path, self.folder_paths())
        except PlaylistError as exc:
            self.import_report.setPlainText(str(exc))
            return None
        lines = [
            f"“{playlist.title}”: {len(playlist.playable)} of {len(playlist.tracks)} track(s) "
            "can play."
        ]
        lines += [f"• {p}" for p in playlist.problems]
        self.import_report.setPlainText("\n".join(lines))
        self.last_import = playlist
        try:
            clinic.add_imported_playlist(self.ctx.vault, path)
        except VaultError as exc:
            self._show_error(exc.message)
            return playlist
        self._refill()
        return playlist

    # ------------------------------------------------------------------ saving
    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def save(self) -> bool:
        try:
            clinic.save_music_folders(self.ctx.vault, self.folder_paths())
            clinic.save_phase_playlists(
                self.ctx.vault, {p: c.currentData() for p, c in self.clinic_combos.items()}, None
            )
            if self.client_id:
                clinic.save_phase_playlists(
                    self.ctx.vault,
                    {p: c.currentData() for p, c in self.client_combos.items()},
                    self.client_id,
                )
        except VaultError as exc:
            self._show_error(exc.message)
            return False
        running = self.ctx.keep_alive.get("session")
        if running is not None and hasattr(running, "load_music"):
            running.load_music()
        self.ctx.notify("Music settings saved.", 4000)
        self.accept()
        return True
