"""The audio bridge and the mini player, on the real VLC backend and on the null backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from audio.audio_support import SILENT_OUTPUT, FakeClock, write_tone
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot

from kapcompanion.audio import NOT_INSTALLED, Player, PlayerConfig, PlayerState, create_player
from kapcompanion.audio.backend import BackendUnavailable
from kapcompanion.audio.models import Playlist, PlayLog, Track
from kapcompanion.audio.vlc_backend import VlcBackend
from kapcompanion.ui.audio_bridge import AudioBridge
from kapcompanion.ui.widgets.mini_player import MiniPlayer


@pytest.fixture(scope="module")
def tracks(tmp_path_factory: pytest.TempPathFactory) -> list[Track]:
    folder = tmp_path_factory.mktemp("tones")
    made = []
    for name, seconds, freq in (("Blip", 0.6, 490.0), ("Tone A", 20, 441.0), ("Tone B", 20, 525.0)):
        path = write_tone(folder / f"{name}.wav", seconds, freq)
        made.append(Track(path, path.as_uri(), name, "Test Ensemble", seconds))
    return made


@pytest.fixture
def vlc_player() -> Iterator[tuple[Player, FakeClock]]:
    clock = FakeClock()
    player = Player(VlcBackend(SILENT_OUTPUT), PlayerConfig(volume=70, fade_in_s=1), clock=clock)
    yield player, clock
    player.close()


def mini(qtbot: QtBot, bridge: AudioBridge) -> MiniPlayer:
    widget = MiniPlayer(bridge)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)
    return widget


def test_keyboard_and_buttons_drive_the_real_player(
    qtbot: QtBot, vlc_player: tuple[Player, FakeClock], tracks: list[Track]
) -> None:
    player, clock = vlc_player
    bridge = AudioBridge(player, clock=clock, start=False)
    widget = mini(qtbot, bridge)
    player.start("peak", Playlist("Peak music", tracks[1:]))
    assert widget.title_label.text() == "Tone A"
    assert widget.artist_label.text() == "Test Ensemble"
    assert widget.playlist_label.text() == "Peak · Peak music"
    assert widget.pause_button.text() == "Pause" and widget.volume_slider.value() == 70

    QTest.keyClick(widget, Qt.Key.Key_Space)
    assert player.status().state is PlayerState.PAUSED and widget.pause_button.text() == "Play"
    assert widget.message_label.text() == "Paused" and not widget.next_button.isEnabled()
    QTest.keyClick(widget, Qt.Key.Key_Space)
    assert player.status().state is PlayerState.PLAYING and widget.pause_button.text() == "Pause"

    QTest.keyClick(widget, Qt.Key.Key_Plus)
    assert player.volume == 75 == widget.volume_slider.value()
    QTest.keyClick(widget, Qt.Key.Key_Minus)
    QTest.keyClick(widget, Qt.Key.Key_Minus, Qt.KeyboardModifier.KeypadModifier)
    assert player.volume == 65

    QTest.keyClick(widget, Qt.Key.Key_N)
    assert len(player.channels()) == 2  # crossfading into Tone B
    clock.advance(player.config.skip_fade_s + 0.1)
    bridge.tick()
    assert widget.title_label.text() == "Tone B" and len(player.channels()) == 1

    QTest.mouseClick(widget.pause_button, Qt.MouseButton.LeftButton)
    assert player.status().state is PlayerState.PAUSED
    widget.volume_slider.setValue(20)
    assert player.volume == 20
    bridge.close()


def test_controls_are_named_for_assistive_technology(
    qtbot: QtBot, vlc_player: tuple[Player, FakeClock]
) -> None:
    widget = mini(qtbot, AudioBridge(vlc_player[0], start=False))
    names = {w.accessibleName() for w in widget.findChildren(QAbstractButton)}
    assert names == {"Pause or resume music", "Next track"}
    assert widget.volume_slider.accessibleName() == "Music volume"
    assert widget.title_label.accessibleName() == "Current track"
    assert all(b.minimumHeight() >= 44 for b in widget.findChildren(QAbstractButton))
    assert "(Space)" in widget.pause_button.toolTip() and "(N)" in widget.next_button.toolTip()


def test_without_vlc_it_says_why_and_disables_controls(qtbot: QtBot) -> None:
    def missing(_args: object) -> Player:
        raise BackendUnavailable(NOT_INSTALLED)

    player, reason = create_player(backend_factory=missing)  # type: ignore[arg-type]
    bridge = AudioBridge(player, start=False)
    widget = mini(qtbot, bridge)
    player.set_phase("arrival", Playlist("Arrival music"))
    assert widget.title_label.text() == "No music"
    assert widget.message_label.text() == reason == NOT_INSTALLED
    assert widget.playlist_label.text() == "Arrival · Arrival music"
    assert not any(
        c.isEnabled() for c in (widget.pause_button, widget.next_button, widget.volume_slider)
    )
    QTest.keyClick(widget, Qt.Key.Key_Space)
    QTest.keyClick(widget, Qt.Key.Key_N)
    QTest.keyClick(widget, Qt.Key.Key_Plus)
    assert player.status().state is PlayerState.UNAVAILABLE
    bridge.close()


def test_libvlc_events_arrive_as_queued_signals_on_the_gui_thread(
    qtbot: QtBot, vlc_player: tuple[Player, FakeClock], tracks: list[Track]
) -> None:
    player, clock = vlc_player
    bridge = AudioBridge(player, clock=clock, start=False)  # no timer: only the wake-up ticks
    assert not bridge.timer.isActive()
    ended: list[tuple[PlayLog, int]] = []
    started: list[PlayLog] = []
    bridge.trackEnded.connect(lambda log: ended.append((log, threading.get_ident())))
    bridge.trackStarted.connect(started.append)
    player.start("onset", Playlist("Onset", tracks[:2]))
    assert [s.title for s in started] == ["Blip"]
    with qtbot.waitSignal(bridge.trackEnded, timeout=5000):
        pass  # Blip ends for real on a libvlc thread; the queued wake-up ticks the player
    assert [(log.title, thread) for log, thread in ended] == [("Blip", threading.get_ident())]
    assert ended[0][0].ended_utc is not None
    assert [s.title for s in started] == ["Blip", "Tone A"]
    bridge.close()
    assert player.status().title == "Tone A"


def test_the_timer_drives_fades(qtbot: QtBot, tracks: list[Track]) -> None:
    player = Player(VlcBackend(SILENT_OUTPUT), PlayerConfig(volume=60, fade_in_s=0.3))
    bridge = AudioBridge(player, interval_ms=20)
    player.start("peak", Playlist("Peak", tracks[1:2]))
    assert player.mix() == [0]
    qtbot.waitUntil(lambda: player.mix() == [60], timeout=3000)
    bridge.close()
    player.close()


def test_bridge_close_detaches(qtbot: QtBot) -> None:
    player = Player(VlcBackend(SILENT_OUTPUT))
    bridge = AudioBridge(player)
    bridge.close()
    seen: list[object] = []
    bridge.statusChanged.connect(seen.append)
    player.set_volume(10)
    assert seen == [] and not bridge.timer.isActive()
    player.close()
