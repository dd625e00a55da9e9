"""One ambient piece from a :class:`Piece` description, and the opening bell.

A piece is four layers, each with its own child random generator (so changing one layer
leaves the others' randomness alone):

* pads: a chord progression played as PADsynth loops, crossfaded slowly (equal power), with
  three frequency bands breathing under slow LFOs (the "filter" movement) and an overall
  brightness that can rise (onset) or open up (return) across the piece;
* drone: the tonic and fifth an octave or two down, narrow-band so it beats very slowly;
* noise: a band of filtered noise whose centre drifts, shaped into 15-40 s swells;
* chimes: sparse, slow arpeggios of chord tones, soft attack, mostly reverb.

There is no percussion and no fast onset anywhere; the piece fades in and out over many
seconds, is normalised to a target K-weighted loudness, and passes a soft limiter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from music_synth import (
    DRONE_TABLE,
    NOISE_TABLE,
    PAD_TABLE,
    SR,
    Array,
    _partials_spectrum,
    apply_fades,
    at,
    band_masks,
    chord_notes,
    convolve_into,
    k_weight_power,
    midi_hz,
    noise_spectrum,
    pad_partials,
    ramp_curve,
    reverb_ir,
    slow_lfo,
    soft_limit,
    spectrum_to_tables,
    swell_curve,
)

BLOCK = 1 << 18  # samples rendered at a time (~6 s): bounds the temporaries
PAD_BANDS = (350.0, 1500.0)  # Hz: low / mid / high bands of the pad "filter"
# A soft glass chime: (frequency ratio, amplitude, decay relative to the fundamental's).
CHIME_PARTIALS = ((1.0, 1.0, 1.0), (2.0, 0.22, 0.55), (3.0, 0.07, 0.35), (5.4, 0.025, 0.2))


@dataclass(frozen=True)
class Timbre:
    harmonics: int = 24
    rolloff: float = 1.3  # partial amplitude ~ 1 / h**rolloff
    bandwidth_cents: float = 18.0  # ensemble spread of each partial
    odd_boost: float = 0.0  # > 0 makes the sound hollower (odd harmonics)
    bw_scale: float = 1.0  # bandwidth growth with harmonic number


@dataclass(frozen=True)
class Piece:
    phase: str
    number: int
    title: str
    seconds: float
    tonic: int  # MIDI note of the key centre
    mode: tuple[int, ...]
    degrees: tuple[int, ...]  # chord roots as scale steps, cycled
    shape: tuple[int, ...]  # chord shape as scale steps above the root
    chord_s: tuple[float, float]  # seconds per chord (min, max)
    pad_low: int  # lowest pad note (MIDI)
    timbre: Timbre
    bright: tuple[float, float]  # high-band level at the start and the end
    width: float  # 0 = mono pads, 1 = fully decorrelated
    bass: float  # level of the chord root an octave below the voicing
    drone: float  # level of the tonic drone (0 = none)
    drone_octaves: int  # how many octaves below the tonic
    noise: float
    noise_hz: float
    chimes: float  # peak level of one chime note before the reverb
    chime_gap: tuple[float, float]  # seconds between the notes of an arpeggio
    chime_rest: tuple[float, float]  # seconds of silence between arpeggios
    reverb_rt: float
    lift: int = 0  # semitones the voicings climb over the piece (a gentle rise)
    loudness: float = -20.0  # target LUFS (ungated, K-weighted, over the body of the piece)
    fade_in_s: float = 12.0
    fade_out_s: float = 16.0

    @property
    def key(self) -> str:
        return f"{self.phase}-{self.number:02d}"


Schedule = list[tuple[int, int, list[int]]]


def _generators(seed: int, piece: Piece) -> list[np.random.Generator]:
    entropy = [seed, *piece.key.encode("utf-8")]
    return [np.random.default_rng(s) for s in np.random.SeedSequence(entropy).spawn(4)]


def _chord_schedule(rng: np.random.Generator, piece: Piece, n: int) -> Schedule:
    """(start, end, notes) per chord, covering the piece; the last chord holds to the end."""
    out: Schedule = []
    t = 0
    k = 0
    while t < n:
        length = int(rng.uniform(*piece.chord_s) * SR)
        degree = piece.degrees[k % len(piece.degrees)]
        low = piece.pad_low + round(piece.lift * t / n)
        notes = chord_notes(piece.tonic, piece.mode, degree, piece.shape, low)
        end = min(t + length, n)
        if n - end < length // 3:  # do not leave a stub chord at the end
            end = n
        out.append((t, end, notes))
        t = end
        k += 1
    return out


def _span_env(a: int, b: int, lo: int, hi: int, fade_in: int, fade_out: int) -> Array:
    """Equal-power crossfade envelope of a chord sounding over [lo, hi), at samples a..b."""
    p = np.arange(a, b, dtype=np.float64)
    env = np.ones(b - a)
    if fade_in:
        env *= np.sin(0.5 * np.pi * np.clip((p - lo) / fade_in, 0.0, 1.0))
    if fade_out:
        env *= np.cos(0.5 * np.pi * np.clip((p - (hi - fade_out)) / fade_out, 0.0, 1.0))
    return env


def _pad_layer(rng: np.random.Generator, piece: Piece, out: Array) -> Schedule:
    """Add the chord pads into ``out``; return the chord schedule (the chimes follow it)."""
    n = out.shape[1]
    chords = _chord_schedule(rng, piece, n)
    masks = band_masks(PAD_TABLE, PAD_BANDS)
    brightness = ramp_curve(n, *piece.bright)
    gains = [
        0.9 + 0.1 * slow_lfo(rng, n, (40.0, 110.0)),
        0.7 + 0.3 * slow_lfo(rng, n, (30.0, 90.0)),
        brightness * (0.65 + 0.35 * slow_lfo(rng, n, (25.0, 80.0))),
    ]
    xfade = int(min(0.4 * piece.chord_s[0], 14.0) * SR)
    tim = piece.timbre
    for start, end, notes in chords:
        partials = pad_partials(
            notes, tim.harmonics, tim.rolloff, tim.bandwidth_cents, tim.odd_boost, tim.bw_scale
        )
        if piece.bass > 0:
            root = notes[0] - 12
            partials += [
                (f, a * piece.bass, bw)
                for f, a, bw in pad_partials([root], 8, 1.6, tim.bandwidth_cents * 0.6)
            ]
        tables = spectrum_to_tables(
            _partials_spectrum(partials, PAD_TABLE), masks, rng, piece.width
        )
        lo = max(start - xfade // 2, 0)
        hi = min(end + xfade // 2, n)
        fade_in = xfade if start > 0 else 0
        fade_out = xfade if end < n else 0
        offset = int(rng.integers(PAD_TABLE))
        for a in range(lo, hi, BLOCK):
            b = min(a + BLOCK, hi)
            idx = (np.arange(a, b) + offset) % PAD_TABLE
            seg = tables[0][:, idx] * at(gains[0], a, b)
            for band in range(1, len(gains)):
                seg += tables[band][:, idx] * at(gains[band], a, b)
            out[:, a:b] += seg * _span_env(a, b, lo, hi, fade_in, fade_out)
    return chords


def _drone_layer(rng: np.random.Generator, piece: Piece, out: Array) -> None:
    n = out.shape[1]
    root = piece.tonic - 12 * piece.drone_octaves
    partials = pad_partials([root, root + 7], 10, 1.2, 12.0, bw_scale=0.5)
    tables = spectrum_to_tables(
        _partials_spectrum(partials, DRONE_TABLE),
        np.ones((1, DRONE_TABLE // 2 + 1)),
        rng,
        min(piece.width, 0.5),
    )
    level = piece.drone * (1.0 + 0.3 * slow_lfo(rng, n, (45.0, 120.0)))
    for a in range(0, n, BLOCK):
        b = min(a + BLOCK, n)
        out[:, a:b] += tables[0][:, np.arange(a, b) % DRONE_TABLE] * at(level, a, b)


def _noise_layer(rng: np.random.Generator, piece: Piece, out: Array) -> None:
    n = out.shape[1]
    one = np.ones((1, NOISE_TABLE // 2 + 1))
    low = spectrum_to_tables(noise_spectrum(piece.noise_hz / 1.7, 0.5, NOISE_TABLE), one, rng, 1.0)
    high = spectrum_to_tables(noise_spectrum(piece.noise_hz * 1.7, 0.5, NOISE_TABLE), one, rng, 1.0)
    mix = 0.5 + 0.5 * slow_lfo(rng, n, (30.0, 70.0))  # drifting filter centre
    swell = piece.noise * swell_curve(rng, n, (15.0, 40.0), (10.0, 30.0))
    for a in range(0, n, BLOCK):
        b = min(a + BLOCK, n)
        idx = np.arange(a, b) % NOISE_TABLE
        m = at(mix, a, b)
        out[:, a:b] += (low[0][:, idx] * (1.0 - m) + high[0][:, idx] * m) * at(swell, a, b)


def _chime_note(rng: np.random.Generator, freq: float, level: float) -> Array:
    tau = rng.uniform(1.4, 3.2)
    length = int(tau * 5.0 * SR)
    t = np.arange(length) / SR
    note = np.zeros(length)
    for ratio, amp, decay in CHIME_PARTIALS:
        if freq * ratio < 0.4 * SR:
            note += amp * np.sin(2.0 * np.pi * freq * ratio * t) * np.exp(-t / (tau * decay))
    attack = int(0.035 * SR)  # soft mallet: no click, far from a percussive hit
    note[:attack] *= 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / attack)
    tail = length // 8
    note[-tail:] *= np.linspace(1.0, 0.0, tail)
    return note * level


def _chime_layer(rng: np.random.Generator, piece: Piece, out: Array, chords: Schedule) -> None:
    """Add slow arpeggios of chord tones, mostly through a long reverb, into ``out``."""
    n = out.shape[1]
    if piece.chimes <= 0:
        return
    dry = np.zeros((2, n))
    t = int(rng.uniform(*piece.chime_rest) * SR)
    while t < n:
        notes = next(c[2] for c in chords if c[1] > t)
        pool = sorted({piece.tonic + 24 + (p - piece.tonic) % 12 for p in notes})
        count = int(rng.integers(3, 6))
        start = int(rng.integers(len(pool)))
        step = 1 if rng.random() < 0.6 else -1
        for i in range(count):
            pitch = pool[(start + step * i) % len(pool)] + (12 if rng.random() < 0.2 else 0)
            note = _chime_note(rng, midi_hz(pitch), piece.chimes * rng.uniform(0.55, 1.0))
            stop = min(t + note.size, n)
            pan = rng.uniform(0.2, 0.8)
            dry[0, t:stop] += note[: stop - t] * np.cos(0.5 * np.pi * pan)
            dry[1, t:stop] += note[: stop - t] * np.sin(0.5 * np.pi * pan)
            t += int(rng.uniform(*piece.chime_gap) * SR)
            if t >= n:
                break
        t += int(rng.uniform(*piece.chime_rest) * SR)
    ir = reverb_ir(rng, piece.reverb_rt * 1.1, piece.reverb_rt, 5000.0)
    out += 0.15 * dry
    convolve_into(dry, ir, out)


def render_piece(piece: Piece, seed: int, seconds: float | None = None) -> Array:
    """The finished piece as float64 (2, n) at ``SR``; ``seconds`` overrides its length.

    Layers add into one buffer block by block (slow curves stay at control rate), so memory
    stays near one copy of the piece.
    """
    n = round((piece.seconds if seconds is None else seconds) * SR)
    g_pad, g_drone, g_noise, g_chime = _generators(seed, piece)
    out = np.zeros((2, n))
    chords = _pad_layer(g_pad, piece, out)
    if piece.drone > 0:
        _drone_layer(g_drone, piece, out)
    if piece.noise > 0:
        _noise_layer(g_noise, piece, out)
    _chime_layer(g_chime, piece, out, chords)
    fade_in = min(int(piece.fade_in_s * SR), n // 4)
    fade_out = min(int(piece.fade_out_s * SR), n // 4)
    apply_fades(out, fade_in, fade_out)
    body = out[:, fade_in : n - fade_out] if n - fade_out > fade_in else out
    power = k_weight_power(body)
    gain = 10.0 ** ((piece.loudness + 0.691) / 20.0) / np.sqrt(max(power, 1e-20))
    for a in range(0, n, BLOCK):
        out[:, a : a + BLOCK] = soft_limit(out[:, a : a + BLOCK] * gain)
    return out


# --------------------------------------------------------------------------- the bell

# Modes of a struck singing bowl: frequency ratio to the fundamental, relative amplitude,
# decay time (T60, s) and doublet split (Hz). A real bowl is slightly asymmetric, so every
# mode is a pair of close frequencies that beat: the characteristic slow "wah-wah".
BOWL_MODES = (
    (1.0, 1.0, 26.0, 0.9),
    (2.71, 0.55, 16.0, 1.7),
    (5.15, 0.28, 9.0, 2.6),
    (8.43, 0.13, 6.0, 3.1),
    (12.3, 0.06, 4.0, 4.3),
)


def render_bell(seed: int, fundamental_hz: float = 216.0, seconds: float = 20.0) -> Array:
    """A singing-bowl strike with a felt mallet: soft attack, long inharmonic decay, stereo."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, *b"bell"]))
    n = int(seconds * SR)
    t = np.arange(n) / SR
    out = np.zeros((2, n))
    for ratio, amp, t60, split in BOWL_MODES:
        f = fundamental_hz * ratio * rng.uniform(0.997, 1.003)
        decay = 10.0 ** (-3.0 * t / t60)
        a = np.sin(2.0 * np.pi * (f - split / 2) * t + rng.uniform(0, 2 * np.pi))
        b = np.sin(2.0 * np.pi * (f + split / 2) * t + rng.uniform(0, 2 * np.pi))
        # Two "microphones" at different angles hear the doublet in different proportions.
        out[0] += amp * decay * (0.65 * a + 0.35 * b)
        out[1] += amp * decay * (0.35 * a + 0.65 * b)
    attack = int(0.025 * SR)
    env = np.ones(n)
    env[:attack] = 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / attack)
    out *= env
    apply_fades(out, 0, int(3.0 * SR))
    room = reverb_ir(rng, 3.0, 2.2, 6000.0)
    dry = out.copy()
    out *= 0.8
    convolve_into(dry, room, out, 0.25)
    out *= 0.5 / np.max(np.abs(out))  # peak at -6 dBFS: present, never startling
    return soft_limit(out)
