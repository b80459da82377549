"""Notebook 07's explorer: the sinusoidal table, its dot products and its offset profile."""

from __future__ import annotations

import math

import ipywidgets as W

from ... import viz

from . import figures
from ...positional.absolute import pe_dot_products, sinusoidal_encoding, sinusoidal_wavelengths
from .analysis import first_rise, leading_dims_to_separate, min_pairwise_distance, offset_profile
from ...viz import Explorer
from ..._checks import check_choice

__all__ = ["PositionalEncodingExplorer"]


class PositionalEncodingExplorer(Explorer):
    """Notebook 07: slide the table length, the width d_model and the base of the sinusoids.

    Left, the table ``PE (max_len, d_model)`` (Vaswani et al. 2017 §3.5); middle, the dot products
    ``PE(i)·PE(j)`` divided by ‖PE‖² = d_model/2 (a function of j − i only: constant along each
    diagonal, and symmetric); right, the profile ``PE(0)·PE(k)`` against the offset k, with the
    first k where it rises circled (it is not monotonic; the first rises are ripples, the readout
    gives their size and the first rise of more than 1% of ‖PE‖²). The readout also gives the
    wavelength range, the smallest distance between two positions and how many leading dimensions
    keep every two positions ``threshold`` apart.

    The axes fit the table: their span is the smallest of :data:`.figures.POSITION_SPANS` (and
    ``DIMENSION_SPANS``) that holds it, so a table fills at least two thirds of each axis. The tick
    labels are animated; the renderer keeps the pixels of every label at every place it has drawn it.
    """

    MAX_LEN_RANGE = (4, 128)
    D_MODEL_RANGE = (2, 256)
    BASES = (10, 100, 1000, 10000, 100000)

    def __init__(self, max_len: int = 50, d_model: int = 128, base: int = 10000, threshold: float = 0.5):
        lo, hi = self.MAX_LEN_RANGE
        if isinstance(max_len, bool) or not isinstance(max_len, int) or not lo <= max_len <= hi:
            raise ValueError(f"max_len must be an int in [{lo}, {hi}], got {max_len!r}")
        lo, hi = self.D_MODEL_RANGE
        if isinstance(d_model, bool) or not isinstance(d_model, int) or not lo <= d_model <= hi or d_model % 2:
            raise ValueError(f"d_model must be an even int in [{lo}, {hi}] (sin/cos pairs), got {d_model!r}")
        check_choice("base", base, self.BASES)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not threshold > 0:
            raise ValueError(f"threshold must be a number > 0 (a minimum distance), got {threshold!r}")
        self.threshold = float(threshold)
        self._states: dict[tuple, dict] = {}  # the last STATE_CACHE states, oldest first
        largest = (figures.span_for(self.MAX_LEN_RANGE[1], figures.POSITION_SPANS),
                   figures.span_for(self.D_MODEL_RANGE[1], figures.DIMENSION_SPANS))
        fig, self.artists = figures.positional_encoding_figure(*largest)
        controls = {
            "max_len": W.IntSlider(value=max_len, min=self.MAX_LEN_RANGE[0], max=self.MAX_LEN_RANGE[1], step=2,
                                   description="max_len", continuous_update=True),
            "d_model": W.IntSlider(value=d_model, min=self.D_MODEL_RANGE[0], max=self.D_MODEL_RANGE[1], step=2,
                                   description="d_model", continuous_update=True),
            "base": W.SelectionSlider(options=self.BASES, value=base, description="base", continuous_update=True),
        }
        # the tick labels are animated: the renderer keeps the pixels of each label at each place it has drawn
        super().__init__(controls, fig, viz.animated_artists({k: v for k, v in self.artists.items() if k != "_ticks"}))
        self.renderer.render()  # the layout is found once, with the widest tick labels, and then frozen
        for spans in [(p, largest[1]) for p in figures.POSITION_SPANS] + [(largest[0], d) for d in figures.DIMENSION_SPANS]:
            figures.set_spans(self.artists, *spans)  # each label drawn once at each of its places (~0.2 s),
            self.renderer.render()  # so that no update pays for drawing one
        figures.set_spans(self.artists, *largest)
        self._spans = largest
        self.update()

    STATE_CACHE = 128  # states kept (the sliders reach ~40 000; one holds up to ~0.3 MB of tables)

    def compute(self, max_len: int, d_model: int, base: int) -> dict:
        key = (max_len, d_model, base)
        state = self._states.pop(key, None)
        if state is None:
            state = self._compute(*key)
        self._states[key] = state  # most recent last
        while len(self._states) > self.STATE_CACHE:
            self._states.pop(next(iter(self._states)))
        return dict(state)

    def _compute(self, max_len: int, d_model: int, base: int) -> dict:
        pe = sinusoidal_encoding(max_len, d_model, base)  # (L, D)
        half = d_model / 2
        profile = offset_profile(max_len - 1, d_model, base) / half  # (L,)
        wavelengths = sinusoidal_wavelengths(d_model, base)  # (D/2,)
        return {
            "max_len": max_len,
            "d_model": d_model,
            "base": base,
            "pe": pe,
            "dots": (pe_dot_products(max_len, d_model, base) / half).float(),  # (L, L) in [-1, 1]; float32 draws faster
            "profile": profile,
            "first_rise": first_rise(profile),
            "first_visible_rise": first_rise(profile, min_step=0.01),  # a rise of more than 1% of ‖PE‖²
            "min_distance": min_pairwise_distance(pe),
            "dims_to_separate": leading_dims_to_separate(max_len, d_model, self.threshold, base),
            "shortest_wavelength": wavelengths[0].item(),
            "longest_wavelength": wavelengths[-1].item(),
        }

    def draw(self, state: dict) -> None:
        spans = (figures.span_for(state["max_len"], figures.POSITION_SPANS),
                 figures.span_for(state["d_model"], figures.DIMENSION_SPANS))
        if spans != self._spans:  # new limits and tick labels; nothing static changes
            figures.set_spans(self.artists, *spans)
            self._spans = spans
        figures.update_positional_encoding(
            self.artists, state["pe"], state["dots"], state["profile"], state["first_rise"], state["first_visible_rise"])

    def readout_html(self, state: dict) -> str:
        need = state["dims_to_separate"]
        need_text = f"the first <b>{need}</b> dims" if need is not None else "not even all dims"
        return (
            f"<b>max_len={state['max_len']}, d_model={state['d_model']}, base={state['base']}</b>: "
            f"wavelengths from {state['shortest_wavelength']:.2f} (2π) to {state['longest_wavelength']:.4g} positions "
            f"(base·2π = {state['base'] * 2 * math.pi:.4g}); "
            f"closest two positions {state['min_distance']:.3f} apart; "
            f"{need_text} put every two positions ≥ {self.threshold:g} apart; "
            + self._rise_text(state)
        )

    @staticmethod
    def _rise_text(state: dict) -> str:
        rise, visible, p = state["first_rise"], state["first_visible_rise"], state["profile"]
        if rise is None:
            return "PE(0)·PE(k) falls monotonically over this range"
        step = (p[rise] - p[rise - 1]).item()
        text = f"PE(0)·PE(k)/‖PE‖² first rises at k = {rise} (by {step:.1e}{', a ripple' if step < 0.01 else ''})"
        if visible is None:
            return text + "; no rise of more than 0.01 over this range"
        return text + f"; first rise of more than 0.01 at k = {visible}"
