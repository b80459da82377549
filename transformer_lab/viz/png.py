"""A PNG encoder for explorers: the PNG container written over zlib, re-compressing only the rows of
the canvas that changed since the last frame (PIL tries every filter on every row: about 10 ms of
a 15 ms update budget)."""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["encode_png", "PngEncoder"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def _filtered_rows(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Each row of ``a (H, W, 4)`` after a filter-type byte 2 ("up"): minus the row above, modulo 256
    (the row above the first one is zeros)."""
    h, w, _ = a.shape
    rows = a.reshape(h, w * 4)
    if out is None or out.shape != (h, w * 4 + 1):
        out = np.empty((h, w * 4 + 1), np.uint8)
    out[:, 0] = 2
    out[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=out[1:, 1:])
    return out


def _adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """The Adler-32 of ``a + b`` from those of ``a`` and ``b`` (zlib's adler32_combine)."""
    base = 65521
    rem = len2 % base
    s1 = ((adler1 & 0xFFFF) + (adler2 & 0xFFFF) + base - 1) % base
    s2 = (rem * (adler1 & 0xFFFF) + (adler1 >> 16) + (adler2 >> 16) + base - rem) % base
    return (s2 << 16) | s1


def encode_png(rgba, compress_level: int = 1) -> bytes:
    """PNG bytes of an ``(H, W, 4)`` uint8 RGBA image (a canvas's ``buffer_rgba()``).

    Every row gets PNG filter 2 ("up": minus the row above, one numpy subtraction) and the whole
    image is one zlib stream at ``compress_level``. About three times faster than PIL's encoder
    (which tries every filter on every row) for the same size: a widget frame of 700 x 230 pixels
    takes ~3 ms instead of ~10 ms.
    """
    a = np.asarray(rgba)
    if a.ndim != 3 or a.shape[2] != 4 or a.dtype != np.uint8:
        raise ValueError(f"rgba must be an (H, W, 4) uint8 array, got shape {a.shape} and dtype {a.dtype}")
    h, w, _ = a.shape
    data = _filtered_rows(a)
    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # 8 bits, RGBA, deflate, adaptive filters, no interlace
    return (_PNG_SIGNATURE + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(data, compress_level))
            + _png_chunk(b"IEND", b""))


class PngEncoder:
    """PNG frames of one canvas that re-compress only the bands of rows that changed.

    The filtered image (as :func:`encode_png`) is cut into bands of ``band_rows`` rows, each
    compressed on its own into a deflate block that ends byte-aligned (``Z_SYNC_FLUSH``), so the
    blocks of the last frame can be reused and concatenated into one valid zlib stream. A widget
    frame often changes a few rows only (a status line, one bar panel): ~1 ms instead of ~3 ms;
    when most rows change it costs what :func:`encode_png` costs, for a few % more bytes.
    """

    def __init__(self, band_rows: int = 16, compress_level: int = 1):
        self.band_rows, self.compress_level = band_rows, compress_level
        self._data, self._shape = None, None
        self._bands: list = []  # (raw bytes, compressed bytes, adler32) per band of the last frame

    def encode(self, rgba) -> bytes:
        a = np.asarray(rgba)
        if a.ndim != 3 or a.shape[2] != 4 or a.dtype != np.uint8:
            raise ValueError(f"rgba must be an (H, W, 4) uint8 array, got shape {a.shape} and dtype {a.dtype}")
        h, w, _ = a.shape
        self._data = data = _filtered_rows(a, self._data)
        starts = range(0, h, self.band_rows)
        if self._shape != (h, w, self.band_rows):  # a new size: nothing to reuse
            self._shape, self._bands = (h, w, self.band_rows), [(None, b"", 1)] * len(starts)
        parts, adler = [b"\x78\x01"], 1  # zlib header: deflate, 32 KiB window
        for i, start in enumerate(starts):
            raw = data[start:start + self.band_rows].tobytes()
            old_raw, packed, band_adler = self._bands[i]
            if raw != old_raw:
                co = zlib.compressobj(self.compress_level, zlib.DEFLATED, -15)
                packed, band_adler = co.compress(raw) + co.flush(zlib.Z_SYNC_FLUSH), zlib.adler32(raw)
                self._bands[i] = (raw, packed, band_adler)
            parts.append(packed)
            adler = _adler32_combine(adler, band_adler, len(raw))
        parts += [b"\x03\x00", struct.pack(">I", adler)]  # an empty final block, then the checksum
        header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
        return _PNG_SIGNATURE + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", b"".join(parts)) + _png_chunk(b"IEND", b"")
