"""Helpers for the consent tests: a drawn signature as data and a real (tiny) PNG."""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime

from kapcompanion.core.consent import Signature, Stroke
from kapcompanion.services import members as practice
from kapcompanion.store.vault import Vault


def png_bytes(width: int = 4, height: int = 2, ink: Sequence[tuple[float, float]] = ()) -> bytes:
    """A valid greyscale PNG (built by hand, so non-GUI tests need no Qt); ``ink`` points
    are drawn as black 3x3 dots."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    rows = [bytearray([255] * width) for _ in range(height)]
    for x, y in ink:
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                px, py = int(x) + dx, int(y) + dy
                if 0 <= px < width and 0 <= py < height:
                    rows[py][px] = 0
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def signature_png(signature: Signature) -> bytes:
    """The signature's points drawn into a PNG of the pad's size."""
    points = [(p[0], p[1]) for s in signature.strokes for p in s.points]
    return png_bytes(signature.width, signature.height, points)


def drawn(name: str = "Ada Lovelace", role: str = "client", points: int = 40) -> Signature:
    """A wavy stroke as a pad would record it: pixels, milliseconds, pressure."""
    stroke = Stroke(
        points=[
            (20.0 + i * 8.0, 80.0 + 30.0 * math.sin(i / 4), i * 16, 0.5) for i in range(points)
        ],
        device="mouse",
    )
    return Signature(
        name=name,
        utc=datetime.now(UTC),
        strokes=[stroke],
        width=600,
        height=200,
        role=role,
    )


def add_member(vault: Vault, name: str, credential: str, pin: str, role: str = "nurse") -> int:
    """A practice member who has set their own signing PIN (as ``services.members`` keeps
    them); returns the member id."""
    member = practice.add(vault, name, credential, role)
    practice.set_pin(vault, member.id, pin)
    return member.id
