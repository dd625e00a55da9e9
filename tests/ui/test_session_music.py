"""The session's music on the real VLC player (silent ALSA output): bell, arrival, the phase
crossfade, the avoid list, the client's own playlist, the closing fade and the play log."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from audio.audio_support import SILENT_OUTPUT, write_tone
from pytestqt.qtbot import QtBot
from support import PASSPHRASE
from ui.session_support import START_REASON, add_checklist, add_client, pass_time, plan_im

from kapcompanion.audio import Player, PlayerConfig, PlayerState, create_player
from kapcompanion.core.discharge import Discharge
from kapcompanion.core.models import EventKind
from kapcompanion.services import clinic
from kapcompanion.store.repos import Repos
from kapcompanion.store.vault import Vault
from kapcompanion.ui.main_window import MainWindow
from kapcompanion.ui.session.host import open_session
from kapcompanion.ui.session.summary import summary_html

WindowFactory = Callable[..., MainWindow]
PHASES = ("arrival", "onset", "peak", "return", "debrief")


@pytest.fixture(scope="module")
def music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tones as WAV files and one M3U8 playlist per phase, plus a client's onset playlist."""
    folder = tmp_path_factory.mktemp("clinic-music")
    write_tone(folder / "bell.wav", 0.6, 490.0)
    for index, phase in enumerate(PHASES):
        write_tone(folder / f"{phase}.wav", 20, 220.5 * (index + 2))
    write_tone(folder / "forbidden.wav", 20, 315.0)
    write_tone(folder / "own.wav", 20, 367.5)
    for phase in PHASES:
        lines = ["#EXTM3U", f"#PLAYLIST:{phase.capitalize()} music"]
        if phase == "arrival":  # the avoid list must keep this one silent
            lines += ["#EXTINF:20,Old Band - Forbidden Song", "forbidden.wav"]
        lines += [f"#EXTINF:20,Test Ensemble - {phase.capitalize()} tone", f"{phase}.wav"]
        (folder / f"{phase}.m3u8").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "client-onset.m3u8").write_text(
        "#EXTM3U\n#EXTINF:20,Client's Choice - Own tone\nown.wav\n", encoding="utf-8"
    )
    return folder


@pytest.fixture
def player(music: Path, window_factory: WindowFactory) -> Iterator[Player]:
    made, reason = create_player(
        PlayerConfig(
            fade_in_s=0.2,
            phase_crossfade_s=0.3,
            end_fade_s=0.4,
            bell_lead_s=0.3,
            volume=70,
        ),
        vlc_args=SILENT_OUTPUT,
        bell_path=music / "bell.wav",
    )
    assert reason is None, reason  # libvlc is installed here: the real backend
    yield made
    made.close()  # before the window goes (this fixture is torn down first)


def events(repos: Repos, session_id: int, kind: EventKind) -> list[dict[str, object]]:
    return [e.payload for e in repos.events.for_session(session_id) if e.kind is kind]


def test_bell_arrival_crossfade_avoid_list_and_closing_fade(
    qtbot: QtBot,
    window_factory: WindowFactory,
    template_vault: Path,
    tmp_path: Path,
    music: Path,
    player: Player,
) -> None:
    path = tmp_path / "clinic.kapv"
    shutil.copyfile(template_vault, path)
    vault = Vault.open(path, PASSPHRASE)
    repos = Repos(vault)
    cid = add_client(repos)
    session = plan_im(repos, cid)
    sid = session.id or 0
    add_checklist(repos, session, avoid=("old band",), volume=40)
    clinic.save_music_folders(vault, [music])
    clinic.save_phase_playlists(vault, {p: str(music / f"{p}.m3u8") for p in PHASES}, None)
    clinic.save_phase_playlists(vault, {"onset": str(music / "client-onset.m3u8")}, cid)
    window = window_factory(player=player)
    window.show()
    window.enter(vault)

    screen = open_session(window, sid)
    assert screen is not None and screen.player is not None
    flagged = screen.prestart.music.text()
    assert "1 track(s) flagged and left out" in flagged and "Forbidden Song" in flagged

    screen.prestart.override.setText(START_REASON)
    assert screen.start()
    assert player.volume == 40  # the client's volume from the preparation
    # The bell rings first; the arrival music (without the flagged track) follows it.
    qtbot.waitUntil(lambda: bool(events(repos, sid, EventKind.MUSIC_STARTED)), timeout=5000)
    first = events(repos, sid, EventKind.MUSIC_STARTED)[0]
    assert first["title"] == "Arrival tone" and first["phase"] == "arrival"
    assert first["artist"] == "Test Ensemble" and str(first["location"]).endswith("arrival.wav")
    assert screen.player.title_label.text() == "Arrival tone"

    # The dose moves to onset: a crossfade into the client's own onset playlist.
    assert screen.give_dose()
    qtbot.waitUntil(lambda: len(events(repos, sid, EventKind.MUSIC_STARTED)) == 2, timeout=5000)
    second = events(repos, sid, EventKind.MUSIC_STARTED)[1]
    assert second["title"] == "Own tone" and second["phase"] == "onset"
    qtbot.waitUntil(lambda: len(player.channels()) == 1, timeout=5000)  # the fade finished
    ended = events(repos, sid, EventKind.MUSIC_ENDED)
    assert [e["title"] for e in ended] == ["Arrival tone"] and ended[0]["ended_utc"]
    assert all(
        "Forbidden" not in str(e["title"]) for e in events(repos, sid, EventKind.MUSIC_STARTED)
    )

    # The end records the closing fade and the music stops after it.
    discharge = Discharge(
        alert_oriented=True,
        vitals_near_baseline=True,
        walks_unassisted=True,
        escort_present=True,
        aftercare_reminded=True,
        escort_name="Sam Rivers",
        aldrete_not_scored=True,
        aldrete_not_scored_reason="Music test session without medical staff present.",
    )
    pass_time(screen.controller)
    screen.controller.end(discharge, "Quiet session.")
    last = events(repos, sid, EventKind.MUSIC_ENDED)[-1]
    assert last["title"] == "Own tone" and last["fade_s"] == 0.4
    assert player.state is PlayerState.ENDING
    qtbot.waitUntil(lambda: player.state is PlayerState.STOPPED, timeout=5000)
    assert player.channels() == []
    html = summary_html(repos, sid, "Heron")
    assert "Arrival tone" in html and "Own tone" in html and "Client&#x27;s Choice" in html
