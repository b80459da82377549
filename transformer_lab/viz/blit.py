"""Fast redraws for explorers: draw the static part of a figure once, then only the artists that move.

:class:`BlitRenderer` caches the background and redraws the animated artists over it;
:class:`KeyedBlitRenderer` keeps one background per key (for explorers whose static part changes
with a control). Both hand the canvas to :class:`~transformer_lab.viz.png.PngEncoder`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from .png import PngEncoder

__all__ = ["BlitRenderer", "KeyedBlitRenderer", "animated_artists"]

class BlitRenderer:
    """Renders a figure to PNG by redrawing only its animated artists over a cached background.

    A full draw of one axes costs 40-70 ms on a 2-core machine (ticks and text); restoring the
    background and drawing a few artists costs a few ms. Artists passed in are marked animated,
    so the background holds everything else; call :meth:`invalidate` after changing anything
    static (limits, ticks, labels).

    Animated ``Text`` artists (a title or a status line that changes) are drawn first, right over
    the restored background, and the pixels of each string are kept (up to ``text_cache`` of
    them): drawing text costs ~3 ms, putting back its pixels a few µs. So an animated text must
    not overlap the other animated artists (it is drawn under them).
    """

    def __init__(self, fig: Figure, animated: Sequence[object], text_cache: int = 256):
        self.fig = fig
        self.animated = list(animated)
        for artist in self.animated:
            artist.set_animated(True)
        self.texts = [a for a in self.animated if isinstance(a, Text)]
        self.others = [a for a in self.animated if not isinstance(a, Text)]
        self.text_cache = text_cache
        self.encoder = PngEncoder()
        self._text_pixels: OrderedDict = OrderedDict()  # (background, text, look) -> BufferRegion
        self._background = None

    def invalidate(self) -> None:
        self._background = None
        self._text_pixels.clear()  # drawn over the old background

    def _draw_background(self) -> None:
        canvas = self.fig.canvas
        canvas.draw()  # everything but the animated artists (layout runs here, once)
        self.fig.set_layout_engine("none")  # freeze the positions found
        self._background = canvas.copy_from_bbox(self.fig.bbox)

    def _draw_text(self, text: Text) -> None:
        if not text.get_visible() or not text.get_text():
            return
        key = (self._background, text.get_text(), tuple(text.get_position()), to_rgba(text.get_color()),
               text.get_fontsize(), text.get_horizontalalignment(), text.get_verticalalignment(), text.get_rotation())
        canvas = self.fig.canvas
        pixels = self._text_pixels.get(key)
        if pixels is not None:
            self._text_pixels.move_to_end(key)
            canvas.restore_region(pixels)
            return
        (text.axes or self.fig).draw_artist(text)
        box = Bbox.intersection(text.get_window_extent(canvas.get_renderer()).padded(3), self.fig.bbox)
        if box is None or self.text_cache <= 0:
            return
        self._text_pixels[key] = canvas.copy_from_bbox(box)
        while len(self._text_pixels) > self.text_cache:
            self._text_pixels.popitem(last=False)

    def cache_texts(self, text: Text, strings) -> None:
        """Draw the animated ``text`` once with each of ``strings`` and keep the pixels, so that no
        later update pays for drawing it; then put the canvas back as it was."""
        if text not in self.texts:
            raise ValueError("text must be one of the animated Text artists of this renderer")
        if self._background is None:
            self._draw_background()
        current = text.get_text()
        for s in strings:
            text.set_text(s)
            self.fig.canvas.restore_region(self._background)
            self._draw_text(text)
        text.set_text(current)
        self.render()

    def render(self) -> None:
        """Bring the canvas up to date: the cached background, then the animated artists."""
        if self._background is None:
            self._draw_background()
        else:
            self.fig.canvas.restore_region(self._background)
        for text in self.texts:
            self._draw_text(text)
        for artist in self.others:
            (artist.axes or self.fig).draw_artist(artist)

    def png(self, compress_level: int = 1) -> bytes:
        self.render()
        self.encoder.compress_level = compress_level
        return self.encoder.encode(np.asarray(self.fig.canvas.buffer_rgba()))


def animated_artists(artists) -> list:
    """Flatten an artists dict (containers such as bar groups included) for :class:`BlitRenderer`."""
    out = []
    for a in artists.values():
        out.extend(a) if isinstance(a, (list, tuple)) or hasattr(a, "patches") else out.append(a)
    return out


class KeyedBlitRenderer(BlitRenderer):
    """A :class:`~transformer_lab.plots.base.BlitRenderer` that keeps one cached background per key.

    For a static part that changes with one control only (the token tick labels change with the
    input). ``keyed`` are the artists of that part (the map's two axes: ticks, tick labels, axis
    labels): they are left out of the shared background, which is drawn once, and drawn over it
    once per key, ~20 ms instead of a full draw of ~70 ms. Later renders of a key only restore its
    background and draw the animated artists. Without ``keyed``, the first render of a key draws
    the whole figure; with no key at all it is a plain blit renderer.
    """

    def __init__(self, fig, animated, keyed=()):
        super().__init__(fig, animated)
        self.keyed = list(keyed)
        for artist in self.keyed:
            artist.set_animated(True)  # out of the shared background
        self._shared = None
        self._backgrounds: dict = {}
        self.key = None

    def invalidate(self) -> None:
        super().invalidate()
        self._shared = None
        self._backgrounds.clear()

    def use(self, key, prepare=None) -> None:
        """Switch to ``key``: ``prepare()`` sets the static artists for it (so the figure always
        matches what is shown), then its cached background is restored, or drawn on the next render."""
        if key == self.key:
            return
        self.key = key
        if prepare is not None:
            prepare()
        self._background = self._backgrounds.get(key)

    def draw_backgrounds(self, keys, prepare) -> None:
        """Draw and keep the background of every key now (``prepare(key)`` sets its static artists),
        so that no later update pays for one; then come back to the current key."""
        current = self.key
        for key in keys:
            self.use(key, lambda: prepare(key))
            if self._background is None:
                self._draw_background()
        if current is not None:
            self.use(current, lambda: prepare(current))
        self.render()  # the canvas shows the current key again

    def _draw_background(self) -> None:
        if self._shared is None or not self.keyed:
            super()._draw_background()  # everything but the animated and the keyed artists; layout once
            self._shared = self._background
        else:
            self.fig.canvas.restore_region(self._shared)
        if self.keyed:
            for artist in self.keyed:
                (artist.axes or self.fig).draw_artist(artist)
            self._background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        if self.key is not None:
            self._backgrounds[self.key] = self._background
