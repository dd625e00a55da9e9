"""Sound-making primitives for the shipped ambient music (used by ``make_music.py``).

Why these techniques: the music must be calm, free of clicks and sudden onsets, and cheap to
render for 90+ minutes on a 2-core laptop. The pads use the PADsynth idea (additive partials,
each smeared into a narrow band of frequencies, random phases, one inverse FFT): the result is
a seamless loop that sounds like a slowly beating ensemble of detuned oscillators, and one FFT
replaces millions of oscillator evaluations. Slow "filter" motion is done by splitting each
table into frequency bands that share phases (so they sum back exactly) and fading the bands
with slow random LFOs. Noise swells are the same trick with a wide band of noise; chimes are a
few decaying sine partials with a soft attack, sent almost entirely through a long FFT reverb
so they stay far back in the mix.

Every function takes its randomness from an explicit ``numpy.random.Generator`` so a fixed seed
gives the same PCM.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

SR = 44100
# Loop lengths. A partial smeared over only a few FFT bins beats with the table's period, so
# the tables are long: the slow beating of a pad repeats every ~24 s, of the drone every ~48 s,
# and the chord changes, band LFOs and level drift hide even that.
PAD_TABLE = 1 << 20  # ~23.8 s at 44.1 kHz
NOISE_TABLE = 1 << 20
DRONE_TABLE = 1 << 21  # ~47.6 s
LIMIT_KNEE = 0.5  # linear; the soft limiter is transparent below this
LIMIT_CEILING = 0.7  # linear (-3.1 dBFS); no output sample goes above it

IONIAN = (0, 2, 4, 5, 7, 9, 11)
LYDIAN = (0, 2, 4, 6, 7, 9, 11)
MIXOLYDIAN = (0, 2, 4, 5, 7, 9, 10)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
AEOLIAN = (0, 2, 3, 5, 7, 8, 10)


def midi_hz(note: float) -> float:
    return float(440.0 * 2.0 ** ((note - 69.0) / 12.0))


def scale_pitch(tonic: int, mode: tuple[int, ...], step: int) -> int:
    """MIDI pitch of scale step ``step`` (may be negative or past the octave)."""
    octave, idx = divmod(step, len(mode))
    return tonic + 12 * octave + mode[idx]


def chord_notes(
    tonic: int, mode: tuple[int, ...], degree: int, shape: tuple[int, ...], low: int
) -> list[int]:
    """Stack scale steps ``shape`` on ``degree`` and lift the voicing so it starts at ``low``."""
    notes = [scale_pitch(tonic, mode, degree + s) for s in shape]
    while min(notes) < low:
        notes = [n + 12 for n in notes]
    while min(notes) >= low + 12:
        notes = [n - 12 for n in notes]
    return sorted(notes)


# --------------------------------------------------------------------------- tables


def _partials_spectrum(partials: list[tuple[float, float, float]], n: int, sr: int = SR) -> Array:
    """Amplitude spectrum (n//2+1 bins) of Gaussian-smeared partials (freq, amp, bandwidth Hz).

    Amplitude is divided by sqrt(bandwidth) so a partial's energy does not depend on how wide
    it is smeared.
    """
    nb = n // 2 + 1
    spec = np.zeros(nb)
    bin_hz = sr / n
    for freq, amp, bw in partials:
        if freq <= 20.0 or freq >= 0.45 * sr or amp <= 0.0:
            continue
        bw_bins = max(bw / bin_hz, 0.6)
        centre = freq / bin_hz
        lo = max(int(centre - 4 * bw_bins), 1)
        hi = min(int(centre + 4 * bw_bins) + 2, nb)
        x = (np.arange(lo, hi) - centre) / bw_bins
        spec[lo:hi] += amp * np.exp(-x * x) / np.sqrt(bw_bins)
    return spec


def pad_partials(
    notes: list[int],
    harmonics: int,
    rolloff: float,
    bandwidth_cents: float,
    odd_boost: float = 0.0,
    bw_scale: float = 1.0,
) -> list[tuple[float, float, float]]:
    """Harmonic partials for each note: amplitude 1/h**rolloff, bandwidth growing with h."""
    out = []
    ratio = 2.0 ** (bandwidth_cents / 1200.0) - 1.0
    for note in notes:
        f0 = midi_hz(note)
        # Higher notes a little softer so voicings do not turn shrill.
        note_gain = (midi_hz(48) / f0) ** 0.35
        for h in range(1, harmonics + 1):
            amp = note_gain / h**rolloff * (1.0 + odd_boost * (h % 2))
            out.append((f0 * h, amp, ratio * f0 * h**bw_scale))
    return out


def band_masks(n: int, edges_hz: tuple[float, ...], sr: int = SR) -> Array:
    """Smooth complementary masks (sum == 1) splitting the spectrum at ``edges_hz``.

    Crossovers are raised-cosine over one octave on a log-frequency axis.
    """
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    logf = np.log2(np.maximum(freqs, 1.0))
    steps = []
    for edge in edges_hz:
        u = np.clip((logf - np.log2(edge)) + 0.5, 0.0, 1.0)  # 0 below, 1 above
        steps.append(0.5 - 0.5 * np.cos(np.pi * u))
    masks = []
    below = np.ones_like(freqs)
    for s in steps:
        masks.append(below * (1.0 - s))
        below = below * s
    masks.append(below)
    return np.array(masks)


def spectrum_to_tables(spec: Array, masks: Array, rng: np.random.Generator, width: float) -> Array:
    """Random-phase inverse FFT of ``spec`` per band: shape (bands, 2 channels, n), RMS 1.

    Left and right get independent phases; ``width`` (0..1) mixes them back toward mono so
    the stereo image can be narrow (grounded) or fully decorrelated (wide).
    """
    n = (spec.shape[0] - 1) * 2
    power = float(np.sum(spec**2))
    norm = np.sqrt(n * n / (2.0 * power)) if power > 0 else 0.0
    chans = []
    for _ in range(2):
        phase = np.exp(1j * rng.uniform(0.0, 2.0 * np.pi, spec.shape[0]))
        chans.append([np.fft.irfft(spec * m * phase, n) * norm for m in masks])
    left = np.array(chans[0])
    right = np.array(chans[1])
    a = np.cos(0.25 * np.pi * (1.0 - width))  # width 1 -> independent, 0 -> identical
    b = np.sin(0.25 * np.pi * (1.0 - width))
    # L and R are uncorrelated, so a*L + b*R keeps unit power (a^2 + b^2 == 1).
    return np.stack([a * left + b * right, b * left + a * right], axis=1)


def noise_spectrum(centre_hz: float, octaves: float, n: int, sr: int = SR) -> Array:
    """Log-Gaussian band of noise around ``centre_hz``, ``octaves`` wide (standard deviation)."""
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    logf = np.log2(np.maximum(freqs, 1.0) / centre_hz)
    spec: Array = np.exp(-0.5 * (logf / octaves) ** 2)
    spec[freqs < 30.0] = 0.0
    return spec


# --------------------------------------------------------------------------- control signals


CTRL = 512  # samples per control-rate step (11.6 ms): LFOs, ramps and swells live here


def at(curve: Array, a: int, b: int) -> Array:
    """Control-rate ``curve`` evaluated (linearly interpolated) at samples ``a``..``b``."""
    pos = np.arange(a, b, dtype=np.float64) / CTRL
    return np.interp(pos, np.arange(curve.size, dtype=np.float64), curve)


def _ctrl_points(n: int) -> int:
    return n // CTRL + 2


def slow_lfo(
    rng: np.random.Generator, n: int, period_s: tuple[float, float], count: int = 3
) -> Array:
    """A smooth, non-repeating control curve in [-1, 1]: a few sines with random long periods."""
    t = np.arange(_ctrl_points(n)) * (CTRL / SR)
    y = np.zeros(t.size)
    total = 0.0
    for _ in range(count):
        period = rng.uniform(*period_s)
        weight = rng.uniform(0.5, 1.0)
        y += weight * np.sin(2.0 * np.pi * t / period + rng.uniform(0.0, 2.0 * np.pi))
        total += weight
    out: Array = y / total
    return out


def ramp(n: int, start: float, end: float) -> Array:
    """Smooth (raised-cosine) ramp from ``start`` to ``end`` over ``n`` samples."""
    u = np.linspace(0.0, 1.0, n)
    out: Array = start + (end - start) * (0.5 - 0.5 * np.cos(np.pi * u))
    return out


def ramp_curve(n: int, start: float, end: float) -> Array:
    """The same ramp as a control curve over a piece of ``n`` samples."""
    return ramp(_ctrl_points(n), start, end)


def apply_fades(x: Array, fade_in: int, fade_out: int) -> None:
    """Long raised-cosine fade-in and fade-out, in place."""
    n = x.shape[1]
    if fade_in > 0:
        x[:, :fade_in] *= ramp(fade_in, 0.0, 1.0)
    if fade_out > 0:
        x[:, n - fade_out :] *= ramp(fade_out, 1.0, 0.0)


def swell_curve(
    rng: np.random.Generator, n: int, length_s: tuple[float, float], gap_s: tuple[float, float]
) -> Array:
    """Overlapping raised-cosine bumps (each 15-40 s) as a control curve: noise that breathes."""
    env = np.zeros(_ctrl_points(n))
    rate = SR / CTRL
    t = int(rng.uniform(0.0, gap_s[1]) * rate)
    while t < env.size:
        length = int(rng.uniform(*length_s) * rate)
        level = rng.uniform(0.45, 1.0)
        end = min(t + length, env.size)
        u = np.arange(end - t) / length
        env[t:end] += level * (0.5 - 0.5 * np.cos(2.0 * np.pi * u))
        t += int(rng.uniform(*gap_s) * rate)
    out: Array = np.minimum(env, 1.2)
    return out


# --------------------------------------------------------------------------- effects


def convolve_into(x: Array, ir: Array, out: Array, gain: float = 1.0) -> None:
    """Add ``gain`` * (``x`` convolved with ``ir``), both (2, *), into ``out`` (cut at its end).

    Overlap-add with FFTs at least four times the impulse response, so most of each
    transform is useful work; silent input blocks (chimes are sparse) are skipped.
    """
    n = x.shape[1]
    m = ir.shape[1]
    nfft = 1 << max(20, int(np.ceil(np.log2(4 * m))))
    block = nfft - m + 1
    ir_f = np.fft.rfft(ir, nfft, axis=1) * gain
    for start in range(0, n, block):
        seg = x[:, start : start + block]
        if not np.any(seg):
            continue
        y = np.fft.irfft(np.fft.rfft(seg, nfft, axis=1) * ir_f, nfft, axis=1)
        stop = min(start + seg.shape[1] + m - 1, out.shape[1])
        out[:, start:stop] += y[:, : stop - start]


def reverb_ir(
    rng: np.random.Generator, seconds: float, rt60: float, cutoff_hz: float, sr: int = SR
) -> Array:
    """Stereo impulse response: decorrelated noise, exponential decay, soft onset, low-passed."""
    n = int(seconds * sr)
    t = np.arange(n) / sr
    env = 10.0 ** (-3.0 * t / rt60) * np.minimum(t / 0.04, 1.0)
    pre = int(0.03 * sr)
    ir = np.zeros((2, n))
    ir[:, pre:] = rng.standard_normal((2, n - pre)) * env[: n - pre]
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    lowpass = 1.0 / np.sqrt(1.0 + (freqs / cutoff_hz) ** 4)
    ir = np.fft.irfft(np.fft.rfft(ir, axis=1) * lowpass, n, axis=1)
    out: Array = ir / np.sqrt(np.sum(ir**2, axis=1, keepdims=True))
    return out


def soft_limit(x: Array, knee: float = LIMIT_KNEE, ceiling: float = LIMIT_CEILING) -> Array:
    """Identity below ``knee``; above it, tanh-shaped so |y| never exceeds ``ceiling``."""
    mag = np.abs(x)
    over = mag > knee
    if not np.any(over):
        return x
    span = ceiling - knee
    y = x.copy()
    y[over] = np.sign(x[over]) * (knee + span * np.tanh((mag[over] - knee) / span))
    return y


def _k_weighting(freqs: Array, sr: int) -> Array:
    """|H(f)|^2 of the BS.1770 K filter (4 dB high shelf at 1.5 kHz, RLB high-pass at 38 Hz).

    Built from the analogue prototypes (RBJ biquads, as pyloudnorm does) so it is right at
    any sample rate, not only at the 48 kHz the standard tabulates.
    """
    z = np.exp(-2j * np.pi * freqs / sr)

    def response(b: tuple[float, ...], a: tuple[float, ...]) -> Array:
        num = b[0] + b[1] * z + b[2] * z * z
        den = a[0] + a[1] * z + a[2] * z * z
        mag: Array = np.abs(num / den) ** 2
        return mag

    big_a = 10.0 ** (4.0 / 40.0)
    w0 = 2.0 * np.pi * 1500.0 / sr
    cw, alpha = np.cos(w0), np.sin(w0) / (2.0 / np.sqrt(2.0))
    root = 2.0 * np.sqrt(big_a) * alpha
    shelf = response(
        (
            big_a * ((big_a + 1) + (big_a - 1) * cw + root),
            -2.0 * big_a * ((big_a - 1) + (big_a + 1) * cw),
            big_a * ((big_a + 1) + (big_a - 1) * cw - root),
        ),
        ((big_a + 1) - (big_a - 1) * cw + root, 2.0 * ((big_a - 1) - (big_a + 1) * cw),
         (big_a + 1) - (big_a - 1) * cw - root),
    )  # fmt: skip
    w0 = 2.0 * np.pi * 38.0 / sr
    cw, alpha = np.cos(w0), np.sin(w0) / (2.0 * 0.5)
    high_pass = response(((1 + cw) / 2, -(1 + cw), (1 + cw) / 2), (1 + alpha, -2.0 * cw, 1 - alpha))
    return shelf * high_pass


def k_weight_power(x: Array, sr: int = SR, block: int = 1 << 16) -> float:
    """Mean power of the K-weighted signal (ITU-R BS.1770 filters applied in the FFT domain).

    Summed over channels, so ``-0.691 + 10*log10(result)`` is an ungated LUFS figure. Uses
    Parseval on the filters' magnitude response in 1.5 s blocks (the filters' memory is a few
    milliseconds, so the block edges do not matter), which is all a level measurement needs.
    """
    n = x.shape[1]
    block = min(block, n)
    freqs = np.asarray(np.fft.rfftfreq(block, 1.0 / sr), dtype=np.float64)
    weight = _k_weighting(freqs, sr)
    # Parseval for rfft: every bin but DC (and Nyquist, for even lengths) stands for two.
    weight[1:] *= 2.0
    if block % 2 == 0:
        weight[-1] /= 2.0
    count = n // block
    energy = 0.0
    for first in range(0, count, 32):  # 32 blocks per FFT batch: bounded memory
        last = min(first + 32, count)
        frames = np.stack([x[:, i * block : (i + 1) * block] for i in range(first, last)], axis=1)
        energy += float(np.sum(np.abs(np.fft.rfft(frames, axis=2)) ** 2 * weight)) / block
    return float(energy / (count * block))


def lufs(x: Array, sr: int = SR) -> float:
    power = k_weight_power(x, sr)
    return float(-0.691 + 10.0 * np.log10(max(power, 1e-20)))
