"""Draw the app's maskable icons: a white heart on NHS blue, inside the maskable safe zone.

Run once (`python tools/make_icons.py`); the PNGs are committed as the app's own artwork. A
maskable icon's important part must sit within the central circle of 80% diameter: the heart
spans about 50% of the width. Pure Python (zlib), so it needs nothing installed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BLUE = (0x00, 0x5E, 0xB8)
WHITE = (0xFF, 0xFF, 0xFF)
OUT = Path(__file__).resolve().parent.parent / "pwa" / "static" / "icons"


def _inside_heart(x: float, y: float) -> bool:
    """The heart curve (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, for x and y in about -1.3..1.3."""
    return (x * x + y * y - 1) ** 3 - x * x * y**3 <= 0


def draw(size: int, samples: int = 4) -> bytes:
    """Return a size x size RGB PNG, antialiased by supersampling."""
    rows = []
    scale = 2.6 / (size * 0.5)  # the heart (about 2.3 wide) fills half the icon
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            hits = 0
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples - size / 2) * scale
                    y = -(py + (sy + 0.5) / samples - size * 0.52) * scale
                    hits += _inside_heart(x, y)
            share = hits / (samples * samples)
            row += bytes(round(b + (w - b) * share) for b, w in zip(BLUE, WHITE, strict=True))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))  # fmt: skip


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (OUT / f"maskable-{size}.png").write_bytes(draw(size))
