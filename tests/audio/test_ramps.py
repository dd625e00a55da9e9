"""Ramp arithmetic: the shapes the fades and crossfades follow."""

from __future__ import annotations

import math

import pytest

from kapcompanion.audio.ramps import Curve, Ramp, ramp_to, vlc_volume


def test_linear_ramp_and_its_ends() -> None:
    ramp = Ramp(10.0, 4.0, 0.0, 1.0)
    assert [ramp.value(t) for t in (9, 10, 11, 12, 14, 20)] == [0, 0, 0.25, 0.5, 1, 1]
    assert not ramp.done(13.9) and ramp.done(14.0) and ramp.end == 14.0
    assert Ramp.hold(0.3).value(-5) == 0.3 and Ramp.hold(0.3).done(0)


def test_equal_power_crossfade() -> None:
    out, into = ramp_to(1.0, 0.0, 0.0, 8.0), ramp_to(0.0, 1.0, 0.0, 8.0)
    assert (out.curve, into.curve) == (Curve.FALL, Curve.RISE)
    for t in (0, 1, 2.5, 4, 6, 7.9, 8):
        assert out.value(t) ** 2 + into.value(t) ** 2 == pytest.approx(1.0)
    assert out.value(4) == pytest.approx(math.sqrt(0.5)) == into.value(4)
    values = [into.value(t / 2) for t in range(17)]
    assert values == sorted(values)


def test_ramp_from_a_midpoint_keeps_its_start() -> None:
    ramp = ramp_to(0.6, 0.0, 5.0, 10.0)
    assert ramp.value(5.0) == pytest.approx(0.6) and ramp.value(15.0) == 0.0
    assert ramp_to(0.2, 1.0, 0.0, 0.0).value(0.0) == 1.0  # zero length: straight there


def test_vlc_volume_mapping() -> None:
    assert vlc_volume(70, 1.0) == 70 and vlc_volume(70, 0.0) == 0
    assert vlc_volume(100, 0.125) == 50  # VLC's volume is cubic: half volume is 1/8 amplitude
    assert vlc_volume(80, 2.0) == 80 and vlc_volume(80, -1) == 0  # clamped
