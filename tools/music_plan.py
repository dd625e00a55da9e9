"""What music ships: the phases, their planned minutes, and every piece with its mood.

The planned minutes follow a 90-minute session (arrival 10, onset 15, peak 40, return 20,
debrief 10); each phase holds a little more than its plan so a session of that length never
repeats a track. Moods, per the seeds' guidance on session music:

* arrival and opening: warm and grounded (major/mixolydian, open voicings, a bass note);
* onset: gently rising and airy (lydian, the voicings climb and brighten, airy noise);
* peak: spacious, slow and wide (modal, quartal or open fifths, chords held 1-1.5 minutes,
  a deep drone two octaves down, fully decorrelated stereo, long reverb, sparse chimes);
* return: warmer and consonant, resolving (plain triads, IV-V-I motion, brightening);
* debrief: quiet and simple (two or three triads, dark timbre, 2 dB softer).
"""

from __future__ import annotations

from dataclasses import replace

from music_compose import Piece, Timbre
from music_synth import AEOLIAN, DORIAN, IONIAN, LYDIAN, MIXOLYDIAN

SEED = 20_240_521
ARTIST = "KAP Companion generative"
ALBUM = "KAP Companion Session Music"

# phase id -> (display name, planned minutes)
PHASES: dict[str, tuple[str, int]] = {
    "arrival": ("Arrival and opening", 10),
    "onset": ("Onset", 15),
    "peak": ("Peak", 40),
    "return": ("Return", 20),
    "debrief": ("Debrief", 10),
}

_ARRIVAL = Piece(
    phase="arrival", number=0, title="", seconds=300.0, tonic=50, mode=IONIAN,
    degrees=(0,), shape=(0, 4, 7, 9), chord_s=(30.0, 45.0), pad_low=45,
    timbre=Timbre(harmonics=22, rolloff=1.45, bandwidth_cents=16.0),
    bright=(0.35, 0.5), width=0.55, bass=0.45, drone=0.45, drone_octaves=1,
    noise=0.12, noise_hz=700.0, chimes=0.25, chime_gap=(3.5, 6.5), chime_rest=(14.0, 30.0),
    reverb_rt=4.5,
)  # fmt: skip

_ONSET = Piece(
    phase="onset", number=0, title="", seconds=300.0, tonic=52, mode=LYDIAN,
    degrees=(0,), shape=(0, 2, 4, 8), chord_s=(24.0, 36.0), pad_low=50,
    timbre=Timbre(harmonics=24, rolloff=1.15, bandwidth_cents=30.0, bw_scale=1.1),
    bright=(0.25, 0.85), width=0.8, bass=0.2, drone=0.35, drone_octaves=1,
    noise=0.22, noise_hz=3000.0, chimes=0.3, chime_gap=(2.5, 5.0), chime_rest=(10.0, 22.0),
    reverb_rt=5.5, lift=7,
)  # fmt: skip

_PEAK = Piece(
    phase="peak", number=0, title="", seconds=420.0, tonic=50, mode=DORIAN,
    degrees=(0,), shape=(0, 3, 6, 9), chord_s=(55.0, 95.0), pad_low=48,
    timbre=Timbre(harmonics=20, rolloff=1.5, bandwidth_cents=28.0),
    bright=(0.35, 0.4), width=1.0, bass=0.0, drone=0.45, drone_octaves=2,
    noise=0.22, noise_hz=500.0, chimes=0.2, chime_gap=(4.0, 8.0), chime_rest=(25.0, 50.0),
    reverb_rt=8.0, fade_in_s=20.0, fade_out_s=20.0,
)  # fmt: skip

_RETURN = Piece(
    phase="return", number=0, title="", seconds=300.0, tonic=53, mode=IONIAN,
    degrees=(0,), shape=(0, 2, 4, 7), chord_s=(22.0, 34.0), pad_low=50,
    timbre=Timbre(harmonics=24, rolloff=1.25, bandwidth_cents=14.0),
    bright=(0.45, 0.85), width=0.6, bass=0.35, drone=0.35, drone_octaves=1,
    noise=0.12, noise_hz=1800.0, chimes=0.3, chime_gap=(3.0, 5.5), chime_rest=(12.0, 24.0),
    reverb_rt=4.5, lift=3,
)  # fmt: skip

_DEBRIEF = Piece(
    phase="debrief", number=0, title="", seconds=300.0, tonic=48, mode=IONIAN,
    degrees=(0,), shape=(0, 2, 4), chord_s=(35.0, 50.0), pad_low=50,
    timbre=Timbre(harmonics=14, rolloff=1.7, bandwidth_cents=12.0),
    bright=(0.35, 0.3), width=0.45, bass=0.3, drone=0.25, drone_octaves=1,
    noise=0.07, noise_hz=900.0, chimes=0.2, chime_gap=(4.0, 7.0), chime_rest=(25.0, 45.0),
    reverb_rt=4.0, loudness=-22.0,
)  # fmt: skip


def _p(base: Piece, number: int, title: str, seconds: float, **changes: object) -> Piece:
    return replace(base, number=number, title=title, seconds=seconds, **changes)  # type: ignore[arg-type]


PIECES: tuple[Piece, ...] = (
    _p(_ARRIVAL, 1, "Settling In", 310, tonic=50, degrees=(0, 3, 0, 5, 3)),
    _p(_ARRIVAL, 2, "Warm Ground", 300, tonic=45, mode=MIXOLYDIAN, degrees=(0, 6, 3, 0),
       timbre=Timbre(harmonics=18, rolloff=1.6, bandwidth_cents=20.0, odd_boost=0.3)),
    _p(_ONSET, 1, "Lifting Haze", 300, tonic=52, degrees=(0, 1, 4, 0, 1, 2)),
    _p(_ONSET, 2, "Thin Air", 320, tonic=55, degrees=(0, 4, 1, 5), noise_hz=4200.0,
       timbre=Timbre(harmonics=26, rolloff=0.9, bandwidth_cents=40.0, odd_boost=0.4)),
    _p(_ONSET, 3, "Open Window", 300, tonic=49, degrees=(0, 1, 0, 4, 5), lift=9),
    _p(_PEAK, 1, "Open Sky", 420, tonic=50, degrees=(0, 3, 5, 0)),
    _p(_PEAK, 2, "Deep Field", 400, tonic=45, mode=AEOLIAN, degrees=(0, 5, 3, 6),
       shape=(0, 4, 8, 11), drone=0.55),
    _p(_PEAK, 3, "Slow Tide", 440, tonic=48, mode=LYDIAN, degrees=(0, 1, 0, 4),
       shape=(0, 4, 8), noise_hz=380.0, noise=0.28),
    _p(_PEAK, 4, "Far Horizon", 390, tonic=52, degrees=(0, 6, 3),
       timbre=Timbre(harmonics=24, rolloff=1.3, bandwidth_cents=35.0, odd_boost=0.5)),
    _p(_PEAK, 5, "Wide Stillness", 420, tonic=47, mode=AEOLIAN, degrees=(0, 3, 5),
       shape=(0, 4, 8), chord_s=(70.0, 110.0), chimes=0.14),
    _p(_PEAK, 6, "Night Ocean", 360, tonic=43, mode=MIXOLYDIAN, degrees=(0, 4, 6, 0),
       noise_hz=320.0, noise=0.3, bright=(0.3, 0.45)),
    _p(_RETURN, 1, "Coming Home", 310, tonic=53, degrees=(3, 4, 0, 5, 3, 4, 0)),
    _p(_RETURN, 2, "Morning Light", 300, tonic=55, degrees=(0, 3, 4, 0, 5, 3, 4, 0),
       bright=(0.55, 0.95)),
    _p(_RETURN, 3, "Gentle Shore", 320, tonic=50, degrees=(5, 3, 4, 0),
       timbre=Timbre(harmonics=20, rolloff=1.4, bandwidth_cents=18.0, odd_boost=0.2)),
    _p(_RETURN, 4, "Soft Landing", 290, tonic=52, degrees=(3, 0, 4, 0)),
    _p(_DEBRIEF, 1, "Quiet Room", 300, tonic=48, degrees=(0, 3)),
    _p(_DEBRIEF, 2, "Still Water", 310, tonic=53, degrees=(0, 3, 0, 4)),
)  # fmt: skip


def slug(title: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in title.lower()).split())


def file_name(piece: Piece) -> str:
    """``<phase>-NN-<title-slug>.ogg``, the name under resources/music/."""
    return f"{piece.phase}-{piece.number:02d}-{slug(piece.title)}.ogg"


def pieces_for(phase: str) -> list[Piece]:
    return [p for p in PIECES if p.phase == phase]
