"""Listening proxies for generated music: level, click and evolution numbers, spectrograms.

Nobody can audition 95 minutes of audio on every change, so the generator prints these for
each track: RMS and peak, K-weighted loudness, the largest sample-to-sample jump (a click or
discontinuity shows up here), the worst 10 ms burst of high-frequency energy against the
median (clicks again, in the spectral domain), how quiet the first second is (the fade-in),
and how much the spectral centroid wanders over the piece (a static drone would not). The
spectrogram PNG (log frequency, dB) shows whether textures evolve slowly. Only numpy and
zlib: no plotting dependency.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from music_synth import SR, Array, lufs


@dataclass(frozen=True)
class TrackStats:
    rms_db: float
    peak_db: float
    lufs: float
    max_jump: float  # largest |x[n] - x[n-1]|, linear
    hf_burst: float  # worst 10 ms high-pass energy over its 1 s median, in dB
    first_second_db: float  # RMS of the first second relative to the whole, dB
    centroid_spread: float  # std of the 10 s spectral centroid, in octaves


def _db(x: float) -> float:
    return float(20.0 * np.log10(max(x, 1e-12)))


def analyse(x: Array, sr: int = SR) -> TrackStats:
    mono = x.mean(axis=0)
    rms = float(np.sqrt(np.mean(x**2)))
    diff = np.diff(x, axis=1)
    # High-pass by differencing twice, 10 ms frames; a click is a frame far louder than the
    # median of the second around it (slow swells and chord changes barely move that ratio).
    hp = np.diff(mono, 2)
    frame = int(0.01 * sr)
    energy = np.mean(hp[: hp.size // frame * frame].reshape(-1, frame) ** 2, axis=1) + 1e-20
    burst = 1.0
    if energy.size > 101:
        local = np.median(np.lib.stride_tricks.sliding_window_view(energy, 101), axis=1)
        burst = float(np.max(energy[50:-50] / local))
    centroids = []
    block = 10 * sr
    for start in range(0, mono.size - block + 1, block):
        spec = np.abs(np.fft.rfft(mono[start : start + block] * np.hanning(block)))
        freqs = np.fft.rfftfreq(block, 1.0 / sr)
        if spec.sum() > 0:
            centroids.append(np.log2(np.sum(freqs * spec) / np.sum(spec)))
    return TrackStats(
        rms_db=_db(rms),
        peak_db=_db(float(np.max(np.abs(x)))),
        lufs=lufs(x, sr),
        max_jump=float(np.max(np.abs(diff))),
        hf_burst=float(10.0 * np.log10(burst)),
        first_second_db=_db(float(np.sqrt(np.mean(x[:, :sr] ** 2)))) - _db(rms),
        centroid_spread=float(np.std(centroids)) if len(centroids) > 1 else 0.0,
    )


def format_table(rows: list[tuple[str, float, TrackStats]]) -> str:
    head = (
        f"{'track':34} {'min':>5} {'RMS':>6} {'peak':>6} {'LUFS':>6} "
        f"{'jump':>6} {'HFburst':>7} {'1st s':>6} {'drift':>6}"
    )
    lines = [head, "-" * len(head)]
    for name, seconds, s in rows:
        lines.append(
            f"{name:34} {seconds / 60:5.2f} {s.rms_db:6.1f} {s.peak_db:6.1f} {s.lufs:6.1f} "
            f"{s.max_jump:6.3f} {s.hf_burst:7.1f} {s.first_second_db:6.1f} "
            f"{s.centroid_spread:6.2f}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- spectrogram PNG


def _colour(v: Array) -> npt.NDArray[np.uint8]:
    """Map 0..1 to a dark-blue -> magenta -> orange -> pale-yellow palette (uint8 RGB)."""
    stops = np.array([0.0, 0.3, 0.6, 0.85, 1.0])
    cols = np.array(
        [[0, 0, 4], [60, 15, 110], [185, 55, 85], [250, 150, 40], [252, 250, 190]], float
    )
    rgb = np.stack([np.interp(v, stops, cols[:, c]) for c in range(3)], axis=-1)
    return rgb.astype(np.uint8)


def write_png(path: Path, rgb: npt.NDArray[np.uint8]) -> None:
    """Minimal truecolour PNG writer (filter 0 on every row)."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def spectrogram_png(
    x: Array, path: Path, sr: int = SR, width: int = 1200, height: int = 420
) -> None:
    """Log-frequency (30 Hz - 16 kHz) spectrogram over the whole track, 70 dB range."""
    mono = x.mean(axis=0)
    nfft = 8192
    hop = max((mono.size - nfft) // width, 1)
    window = np.hanning(nfft)
    starts = np.arange(width) * hop
    freqs = np.fft.rfftfreq(nfft, 1.0 / sr)
    rows = np.geomspace(30.0, 16000.0, height)
    bins = np.clip(np.searchsorted(freqs, rows), 0, freqs.size - 1)
    image = np.zeros((height, width))
    for col, start in enumerate(starts):
        seg = mono[start : start + nfft]
        if seg.size < nfft:
            break
        mag = np.abs(np.fft.rfft(seg * window))
        image[:, col] = 20.0 * np.log10(mag[bins] + 1e-9)
    top = image.max()
    v = np.clip((image - (top - 70.0)) / 70.0, 0.0, 1.0)[::-1]  # low frequencies at the bottom
    write_png(path, _colour(v))
