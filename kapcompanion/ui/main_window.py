"""The one top-level window and the app's life cycle: welcome -> unlock -> workspace -> locked.

Only this window changes pages, so there is never a second window flashing up. Its menus,
the agenda and the session host see it as a ``ui.shell.Shell`` and never import this module. Locking
asks every screen to save (``about_to_lock``), records the lock in the audit trail, closes
the vault, destroys the workspace (every client widget and dialog in it) and clears the
clipboard if it holds text from the app.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from kapcompanion.paths import AppDirs
from kapcompanion.store.errors import VaultError
from kapcompanion.store.lock import HeldFile, register_demo
from kapcompanion.ui import menus
from kapcompanion.ui.context import AppContext, AppSignals, LockedOverlayFactory
from kapcompanion.ui.errors import log_exception, new_reference
from kapcompanion.ui.lock import ClipboardGuard, IdleWatcher, OsLockWatcher
from kapcompanion.ui.settings import Settings
from kapcompanion.ui.theme import DIM, apply_theme, current_theme, other, set_role
from kapcompanion.ui.throttle import UnlockThrottle, throttle_for
from kapcompanion.ui.unlock import UnlockScreen
from kapcompanion.ui.workers import run_in_background

if TYPE_CHECKING:  # loaded when first needed: the unlock window shows without them
    from kapcompanion.services.handles import Repos, Vault
    from kapcompanion.ui.client_record import SectionRegistry
    from kapcompanion.ui.welcome import WelcomeScreen
    from kapcompanion.ui.workspace import Workspace

log = logging.getLogger(__name__)

APP_TITLE = "KAP Companion"
DEMO_BANNER = "DEMO: every client here is invented. This throw-away vault is deleted when you quit."
BACKUP_EVERY_S = 24 * 3600

DemoBuilder = Callable[[Path, str], "Vault"]


def load_demo_builder() -> DemoBuilder:
    """Imported here, on the GUI thread: PySide6's import hook is not safe in worker threads."""
    from kapcompanion.demo import build_demo_vault

    return build_demo_vault


def _repos(vault: Vault) -> Repos:
    from kapcompanion.services import access  # loaded at the first unlock, not at start-up

    return access.repositories(vault)


@dataclass
class Services:
    """What lives for the whole run, locked or not (no vault, no client data)."""

    dirs: AppDirs
    settings: Settings
    throttle: UnlockThrottle | None = None
    #: the client record's sections; None: ``client_record.default_registry()``, made at the
    #: first unlock (``sections()``)
    registry: SectionRegistry | None = None
    player: Any = None
    #: None: ``kapcompanion.demo.build_demo_vault``
    demo_builder: DemoBuilder | None = None
    watch_os_lock: bool = True
    #: an encrypted backup at unlock when the newest is older than a day (not for demos)
    auto_backup: bool = True

    def __post_init__(self) -> None:
        if self.throttle is None:
            self.throttle = throttle_for(self.dirs.config)

    def sections(self) -> SectionRegistry:
        if self.registry is None:
            from kapcompanion.ui.client_record import default_registry

            self.registry = default_registry()
        return self.registry


class MainWindow(QMainWindow):
    def __init__(self, services: Services) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.services = services
        self.dirs = services.dirs
        self.settings = services.settings
        assert services.throttle is not None
        self.throttle = services.throttle
        self.signals = AppSignals(self)
        self.clipboard = ClipboardGuard(self)
        self.ctx: AppContext | None = None
        self.page: QWidget | None = None
        self.vault_path: Path | None = None
        self.demo_dirs: list[Path] = []
        self._demo_marks: list[HeldFile] = []  # held while we live: a kill leaves them free
        self.demo_passphrase: str | None = None
        self._carry_overlay: LockedOverlayFactory | None = None
        self._carry_keep: dict[str, Any] = {}
        self.last_lock_reason = ""
        self._locked_demo = False  # the locked vault was a demo: keep the DEMO marks

        self.idle = IdleWatcher(self.settings.idle_ms, self)
        self.idle.idle.connect(self._idle_lock)
        #: made at the first unlock (there is nothing to lock before): QtDBus and the bus
        #: connections are not on the way to the unlock window
        self.os_lock: OsLockWatcher | None = None

        central = QWidget()
        self.column = QVBoxLayout(central)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(0)
        self.banner = QLabel(DEMO_BANNER)
        self.banner.setObjectName("demoBanner")
        self.banner.setWordWrap(True)
        set_role(self.banner, "banner")
        self.banner.hide()
        self.column.addWidget(self.banner)
        self.music_banner = QLabel()  # the player says why ("Music is unavailable: ...")
        self.music_banner.setObjectName("musicBanner")
        self.music_banner.setWordWrap(True)
        set_role(self.music_banner, "hint")
        self.column.addWidget(self.music_banner)
        self.attach_player(services.player)
        self.setCentralWidget(central)
        self.actions_: dict[str, QAction] = menus.build(self, self)
        self.setMinimumSize(860, 500)
        self._restore_geometry()
        self._update_chrome()

    # ------------------------------------------------------------------ pages
    @property
    def demo(self) -> bool:
        if self.ctx is not None:
            return self.ctx.demo
        return self._locked_demo or self.demo_passphrase is not None

    def attach_player(self, player: Any) -> None:
        """The music player, made after the window shows (libvlc takes a while to load)."""
        self.services.player = player
        if self.ctx is not None:
            self.ctx.player = player
        reason = getattr(player, "unavailable_reason", "") if player else ""
        self.music_banner.setText(reason or "")
        self._show_music_banner()

    def _show_music_banner(self) -> None:
        """Why music cannot play, above every page but one that says so itself where its music
        is shown (the session screen's player): the same paragraph twice on one screen was
        noise (issue 22)."""
        says_it = bool(getattr(self.page, "shows_music_status", False))
        self.music_banner.setVisible(bool(self.music_banner.text()) and not says_it)

    @property
    def workspace(self) -> Workspace | None:
        module = sys.modules.get("kapcompanion.ui.workspace")  # not loaded: none is open
        if module is None:
            return None
        return self.page if isinstance(self.page, module.Workspace) else None

    def _set_page(self, page: QWidget) -> None:
        old = self.page
        if old is not None:
            self.column.removeWidget(old)
            old.hide()
            old.deleteLater()
        self.page = page
        self.column.addWidget(page, 1)
        page.setFocus()
        self._show_music_banner()
        self._update_chrome()

    def start(self) -> None:
        """The first page: unlock the last (or default) vault, or welcome a new user."""
        last = Path(self.settings.last_vault) if self.settings.last_vault else None
        for candidate in (last, self.dirs.default_vault):
            if candidate is not None and candidate.is_file():
                self.show_unlock(candidate)
                return
        self.show_welcome()

    def show_welcome(self) -> WelcomeScreen:
        from kapcompanion.ui.welcome import WelcomeScreen

        self._close_vault("switch")
        self._locked_demo = False
        self.demo_passphrase = None
        page = WelcomeScreen(self.dirs.default_vault)
        page.created.connect(lambda vault: self.enter(vault))
        page.open_requested.connect(self.show_unlock)
        page.demo_requested.connect(self.open_demo)
        self._set_page(page)
        return page

    def show_unlock(self, path: Path, *, locked: bool = False, reason: str = "") -> UnlockScreen:
        if not locked:  # another vault (or the same after a restart): nothing known about it
            self._close_vault("switch")
            self._locked_demo = False
            self.demo_passphrase = None
        self.vault_path = Path(path)
        page = UnlockScreen(
            self.vault_path,
            self.dirs.backups,
            self.throttle,
            locked=locked,
            demo_passphrase=self.demo_passphrase if locked else None,
        )
        page.set_reason(reason)
        page.unlocked.connect(self.enter)
        page.switch_requested.connect(self._switch_vault)
        if locked and self._carry_overlay is not None:
            try:
                page.set_overlay(self._carry_overlay(page))
            except Exception as exc:  # the strip is a help, never a reason not to lock
                log_exception(exc, new_reference())  # type and frames, never the message
        self._set_page(page)
        return page

    def _switch_vault(self) -> None:
        self.show_welcome()

    # ------------------------------------------------------------------ unlocked
    def enter(self, vault: Vault, *, demo: bool = False) -> Workspace:
        """Show the workspace for a freshly opened vault."""
        clinic = vault.get_json("clinic_settings", {}) or {}
        demo = demo or bool(isinstance(clinic, dict) and clinic.get("demo"))
        self.vault_path = vault.path
        self.ctx = AppContext(
            vault=vault,
            repos=_repos(vault),
            settings=self.settings,
            dirs=self.dirs,
            signals=self.signals,
            clipboard=self.clipboard,
            lock_requested=lambda: self.lock("Locked. Your work was saved."),
            player=self.services.player,
            demo=demo,
            locked_overlay_factory=self._carry_overlay,
            keep_alive=self._carry_keep,
            notify=self._notify,
            save_settings=self.save_settings,
        )
        if not demo and self.demo_passphrase is None:
            self.settings.last_vault = str(vault.path)
            self.save_settings()
        from kapcompanion.ui.workspace import Workspace

        workspace = Workspace(self.ctx, self.services.sections())
        self._set_page(workspace)
        self.idle.set_timeout_ms(self.settings.idle_ms)
        self.idle.start()
        if self.services.watch_os_lock and self.os_lock is None:
            self.os_lock = OsLockWatcher(self)
            self.os_lock.os_locked.connect(self._os_lock)
        log.info("vault opened%s", " (demo)" if demo else "")
        self.signals.unlocked.emit(self.ctx)
        if not demo and self.services.auto_backup:
            self._maybe_backup(vault, workspace)
        self._resume_session()
        return workspace

    # ------------------------------------------------------------------ full-window views
    def _resume_session(self) -> None:
        """A dosing session a lock, quit or crash interrupted comes straight back."""
        from kapcompanion.ui.session.host import resume_running_session

        try:
            resume_running_session(self)
        except Exception as exc:  # the record is safe; never let this block the unlock
            log_exception(exc, new_reference())

    def show_view(self, view: QWidget) -> None:
        """A full-window view (the session screen) in place of the workspace."""
        self._set_page(view)

    def show_workspace(self, client_id: int | None = None, section: str | None = None) -> None:
        """Back from a full-window view to the client list (and a client's section)."""
        if self.ctx is None:
            return
        from kapcompanion.ui.workspace import Workspace

        workspace = Workspace(self.ctx, self.services.sections())
        self._set_page(workspace)
        if client_id is not None:
            workspace.open_client(client_id, section)

    def _notify(self, text: str, ms: int = 4000) -> None:
        self.statusBar().showMessage(text, ms)

    def _maybe_backup(self, vault: Vault, owner: QWidget) -> None:
        from kapcompanion.services import access

        newest = access.latest_backup(self.dirs.backups, vault.path)
        if newest is not None and time.time() - newest.stat().st_mtime < BACKUP_EVERY_S:
            return
        backups = self.dirs.backups
        keep = max(1, min(100, int(self.settings.backups_keep)))
        run_in_background(
            lambda: access.auto_backup(vault, backups, keep),
            lambda _path: self.statusBar().showMessage("Automatic backup written.", 4000),
            self._backup_failed,
            owner=owner,
        )

    def _backup_failed(self, exc: BaseException) -> None:
        log.warning("automatic backup failed: %s", type(exc).__name__)
        text = exc.message if isinstance(exc, VaultError) else "see the log"
        self.statusBar().showMessage(f"The automatic backup failed: {text}", 10000)

    def open_demo(self) -> None:
        """A throw-away vault of invented clients in a temporary folder."""
        if self.ctx is not None:
            return
        folder = Path(tempfile.mkdtemp(prefix="kapcompanion-demo-"))
        self.demo_dirs.append(folder)
        with contextlib.suppress(OSError):  # the next start removes it if we are killed
            self._demo_marks.append(register_demo(folder, self.dirs.runtime))
        import secrets

        passphrase = secrets.token_urlsafe(12)
        from kapcompanion.ui.welcome import WelcomeScreen

        welcome = self.page if isinstance(self.page, WelcomeScreen) else None
        builder = self.services.demo_builder or load_demo_builder()
        if welcome is not None:
            welcome.set_busy("Building a demo vault of invented clients…")

        def done(vault: Vault) -> None:
            self.demo_passphrase = passphrase
            self.enter(vault, demo=True)

        def failed(exc: BaseException) -> None:
            if welcome is not None:
                welcome.set_busy(None)
                welcome.show_error(
                    exc.message
                    if isinstance(exc, VaultError)
                    else "The demo could not be built. See the log for details."
                )
            if not isinstance(exc, VaultError):
                raise exc

        run_in_background(lambda: builder(folder / "demo.kapv", passphrase), done, failed)

    # ------------------------------------------------------------------ locking
    def _idle_lock(self) -> None:
        minutes = self.settings.idle_ms / 60_000
        shown = f"{minutes:g} minute" + ("" if minutes == 1 else "s")
        self.lock(
            f"It locked itself after {shown} without activity. Your work was saved.", kind="idle"
        )

    def _os_lock(self, source: str) -> None:
        if self.settings.lock_on_os_lock:
            self.lock("It locked with the computer. Your work was saved.", kind=f"os:{source}")

    def lock(self, reason: str = "", *, kind: str = "manual") -> bool:
        """Lock now; returns False when nothing was unlocked. ``kind`` goes to the log."""
        if self.ctx is None:
            return False
        log.info("locking (%s)", kind)
        path = self.ctx.vault.path
        self._close_vault("lock")
        self.last_lock_reason = reason
        self.show_unlock(path, locked=True, reason=reason)
        self.signals.locked.emit()
        return True

    def _close_vault(self, why: str) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        self.idle.stop()
        try:
            self.signals.about_to_lock.emit()
        finally:
            self._carry_overlay = ctx.locked_overlay_factory
            self._carry_keep = ctx.keep_alive
            workspace = self.workspace
            if workspace is not None:
                self.settings.splitter = workspace.splitter_state() or self.settings.splitter
                workspace.shutdown()
            try:
                from kapcompanion.services import access

                access.record_lock(ctx.vault, why)
            except VaultError as exc:
                log.warning("lock not audited: %s", type(exc).__name__)
            ctx.vault.close()
            self._locked_demo = ctx.demo
            self.ctx = None
            self.clipboard.clear_if_ours()
            self.save_settings()

    # ------------------------------------------------------------------ preferences
    def toggle_theme(self) -> str:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        name = other(current_theme(app).name)
        apply_theme(app, name)
        self.settings.theme = name
        self.save_settings()
        self.signals.theme_changed.emit(name)
        self._update_chrome()
        return name

    def set_idle_minutes(self, minutes: float) -> None:
        self.settings.idle_minutes = float(minutes)
        self.idle.set_timeout_ms(self.settings.idle_ms)
        self.save_settings()

    def set_idle_timeout_ms(self, ms: int) -> None:
        """Tests and demos: an idle time shorter than the settings allow."""
        self.idle.set_timeout_ms(ms)

    def save_settings(self) -> None:
        self.settings.geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        try:
            self.settings.save(self.dirs.settings_file)
        except OSError as exc:
            log.warning("settings not saved: %s", type(exc).__name__)

    def _restore_geometry(self) -> None:
        if self.settings.geometry and self.restoreGeometry(
            QByteArray.fromBase64(self.settings.geometry.encode())
        ):
            return
        screen = QGuiApplication.primaryScreen()
        avail = screen.availableGeometry() if screen is not None else None
        width, height = 1280, 800
        if avail is not None:
            width = min(width, int(avail.width() * 0.95))
            height = min(height, int(avail.height() * 0.92))
        self.resize(max(width, 860), max(height, 500))

    def _update_chrome(self) -> None:
        demo = self.demo
        unlocked = self.ctx is not None
        self.banner.setVisible(demo)
        title = APP_TITLE + (" — DEMO (invented data)" if demo else "")
        if self.ctx is not None and self.ctx.vault.read_only:  # open elsewhere for writing
            title += " — read-only"
        if self.vault_path is not None and not unlocked and isinstance(self.page, UnlockScreen):
            title += " — locked"
        self.setWindowTitle(title)
        menus.update(self.actions_, unlocked=unlocked, dim=self.settings.theme == DIM)

    # ------------------------------------------------------------------ quit
    def closeEvent(self, event: QCloseEvent) -> None:
        self._close_vault("quit")
        self.save_settings()
        self.cleanup_demo()
        event.accept()

    def cleanup_demo(self) -> None:
        for folder in self.demo_dirs:
            with contextlib.suppress(OSError):
                shutil.rmtree(folder)
        self.demo_dirs.clear()
        for mark in self._demo_marks:
            mark.release()
        self._demo_marks.clear()
