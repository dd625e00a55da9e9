"""Gain ramps on the player's clock, and the gain -> VLC volume mapping.

Crossfades use equal-power curves (the outgoing gain follows a cosine, the incoming a sine),
so the loudness holds steady through the overlap instead of dipping in the middle as a
straight-line crossfade does. Gains are amplitude factors 0..1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Curve(StrEnum):
    LINEAR = "linear"
    RISE = "rise"  # sin(p * pi/2): quick start, gentle arrival (fade in)
    FALL = "fall"  # 1 - cos(p * pi/2): gentle start, quick finish (fade out)


@dataclass(frozen=True)
class Ramp:
    """A value moving from ``start_value`` to ``end_value`` over ``duration`` seconds."""

    start: float
    duration: float
    start_value: float
    end_value: float
    curve: Curve = Curve.LINEAR

    @classmethod
    def hold(cls, value: float) -> Ramp:
        return cls(0.0, 0.0, value, value)

    def progress(self, t: float) -> float:
        if self.duration <= 0:
            return 1.0
        return min(1.0, max(0.0, (t - self.start) / self.duration))

    def value(self, t: float) -> float:
        p = self.progress(t)
        if p >= 1.0:
            return self.end_value  # exactly: a finished fade-out is silence, not 1e-16
        if self.curve is Curve.RISE:
            shaped = math.sin(p * math.pi / 2)
        elif self.curve is Curve.FALL:
            shaped = 1.0 - math.cos(p * math.pi / 2)
        else:
            shaped = p
        return self.start_value + (self.end_value - self.start_value) * shaped

    def done(self, t: float) -> bool:
        return self.progress(t) >= 1.0

    @property
    def end(self) -> float:
        return self.start + max(0.0, self.duration)


def ramp_to(current: float, target: float, start: float, duration: float) -> Ramp:
    """A ramp from ``current`` to ``target``, shaped for a fade in or out."""
    curve = Curve.RISE if target >= current else Curve.FALL
    return Ramp(start, max(0.0, duration), current, target, curve)


def vlc_volume(master: int, gain: float) -> int:
    """The 0-100 VLC volume for a master volume (0-100) and an amplitude gain (0..1).

    VLC's volume is not linear in amplitude: its software volume (and PulseAudio's) apply
    roughly the cube of the volume setting. Taking the cube root of the gain keeps the
    equal-power crossfade equal-power at the speaker.
    """
    gain = min(1.0, max(0.0, gain))
    return max(0, min(100, round(master * math.pow(gain, 1.0 / 3.0))))
