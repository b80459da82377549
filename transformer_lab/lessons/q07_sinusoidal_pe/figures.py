"""The sinusoidal positional-encoding explorer's figure (notebook 07), its static companions and the schematic."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from ...positional.absolute import sinusoidal_encoding, sinusoidal_frequencies
from ...viz.figures import KEY_LABEL, MIN_FONT_SIZE, QUERY_LABEL, as_array, new_figure

__all__ = ['POSITION_SPANS', 'DIMENSION_SPANS', 'span_for', 'positional_encoding_figure', 'set_spans',
           'update_positional_encoding', 'plot_offset_profiles', 'plot_separation', 'plot_wavelengths', 'schematic']

# The explorer's axes show a table of L positions × D dimensions in axes of the smallest span >= L (>= D): each
# span 1.5 times the one before, so a table fills at least two thirds of each axis. The tick labels are
# animated artists placed for the span (the static background holds none): the blit renderer keeps the
# pixels of each label it has drawn, so coming back to a span costs nothing, a new one a few labels.
POSITION_SPANS = (8, 12, 16, 24, 32, 48, 64, 96, 128)
DIMENSION_SPANS = (8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
MAX_TICKS = 4  # few labels: a new pair of spans draws them all into its background
_TICK_AXES = ("pe_x", "pe_y", "dot_x", "dot_y", "profile_x")  # which panel, which axis


def span_for(n: int, spans: Sequence[int]) -> int:
    """The smallest span in ``spans`` that holds ``n`` cells (the largest if none does)."""
    return next((s for s in spans if s >= n), spans[-1])


def _tick_values(span: int) -> list[int]:
    """At most MAX_TICKS round values in [0, span): the step is the smallest round number that fits."""
    step = next(st for st in (1, 2, 4, 5, 10, 20, 25, 32, 50, 64, 100) if math.ceil(span / st) <= MAX_TICKS)
    return list(range(0, span, step))


def _place(image, matrix) -> None:
    """Show ``matrix (R, C)`` in the top-left corner of ``image``'s axes (cell (r, c) centred on (c, r)):
    new data and extent, the axis limits untouched (autoscaling is off for these axes)."""
    m = as_array(matrix)
    extent = (-0.5, m.shape[1] - 0.5, m.shape[0] - 0.5, -0.5)
    image.set_data(m)
    if tuple(image.get_extent()) != extent:  # set_extent also updates the data limits: only when the size changes
        image.set_extent(extent)


def _tick_labels(ax, axis: str, n: int) -> list:
    """MAX_TICKS tick labels for one axis of ``ax``, outside the frame, moved by :func:`set_spans` (no tick
    marks: a label under a column of cells reads on its own, and every artist drawn costs each update).

    The labels sit in axes units: the blit renderer keeps a label's pixels by its text and position, and
    a position in axes units is a place on the picture (in data units it would move with the limits).
    Axis number ``n`` moves its labels by n·1e-6 of the axes (far below a pixel), so that two axes'
    labels of the same text at the same fraction are two entries of that cache, not one."""
    nudge = n * 1e-6
    if axis == "x":
        return [ax.text(0, -0.02 - nudge, "", ha="center", va="top", fontsize=MIN_FONT_SIZE, transform=ax.transAxes)
                for _ in range(MAX_TICKS)]
    return [ax.text(-0.02 - nudge, 0, "", ha="right", va="center", fontsize=MIN_FONT_SIZE, transform=ax.transAxes)
            for _ in range(MAX_TICKS)]


def positional_encoding_figure(max_positions: int, max_d_model: int):
    """Three panels: the table PE (positions × dimensions), the normalised dot products
    PE(i)·PE(j) / ‖PE‖² (rows = query position i, columns = key position j; one colour bar for both
    maps, which share the scale [-1, 1]), and the profile PE(0)·PE(k) / ‖PE‖² against the offset k
    with its first rise circled and its first rise of more than 0.01 marked.

    The panels' position and dimension axes span ``max_positions`` and ``max_d_model`` cells here (so
    the layout leaves room for the widest tick labels); :func:`set_spans` fits them to a table. Their
    tick labels are animated artists (``artists["tick_labels"]``); no other text moves (the explorer's readout
    carries the numbers). Returns ``(fig, artists)``; :func:`update_positional_encoding` moves the data.
    """
    fig = new_figure(10.0, 3.3, dpi=64)
    ax_pe, ax_dot, ax_prof = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1.0, 1.05]})
    style = dict(cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest", interpolation_stage="data")
    pe_image = ax_pe.imshow(np.zeros((1, 1)), **style)  # nearest, data stage: the same pixels as "rgba", 2x cheaper
    dot_image = ax_dot.imshow(np.zeros((1, 1)), **style)
    ax_pe.set_xlabel("dimension (2i = sin, 2i+1 = cos)", labelpad=14)
    ax_pe.set_ylabel("position", labelpad=20)
    ax_pe.set_title("PE(pos, dim)", fontsize=10)
    ax_dot.set_xlabel(KEY_LABEL, labelpad=14)
    ax_dot.set_ylabel(QUERY_LABEL, labelpad=20)
    ax_dot.set_title("PE(i)·PE(j) / ‖PE‖²", fontsize=10)
    fig.colorbar(dot_image, ax=[ax_pe, ax_dot], shrink=0.85, pad=0.02, aspect=25)
    (profile,) = ax_prof.plot([], [], "-", color="C0", lw=1.5)
    (rise,) = ax_prof.plot([], [], "o", ms=10, mfc="none", mec="red", mew=2)
    (visible,) = ax_prof.plot([], [], "v", ms=8, color="black")
    ax_prof.axhline(0, color="grey", lw=0.6)
    ax_prof.set_ylim(-1.05, 1.15)
    ax_prof.set_xlabel("offset k = j − i", labelpad=14)
    ax_prof.set_ylabel("PE(0)·PE(k) / ‖PE‖²")
    ax_prof.set_title("monotonic in k?\n○ first rise, ▼ first rise > 0.01", fontsize=10)
    for ax in (ax_pe, ax_dot, ax_prof):
        ax.set_autoscale_on(False)
    ax_pe.set_xticks([])
    ax_pe.set_yticks([])
    ax_dot.set_xticks([])
    ax_dot.set_yticks([])
    ax_prof.set_xticks([])  # the offset axis follows the table's length: animated ticks, like the maps'
    ticks = {name: _tick_labels(ax, name[-1], n) for n, (name, ax) in
             enumerate(zip(_TICK_AXES, (ax_pe, ax_pe, ax_dot, ax_dot, ax_prof)))}
    artists = {"pe_image": pe_image, "dot_image": dot_image, "profile": profile, "rise": rise, "visible_rise": visible,
               "tick_labels": [label for labels in ticks.values() for label in labels],
               # the table sits in the top-left corner of its axes: the left and top spines are drawn over it
               # (a full draw puts spines over images; a spine in the blitted background would be painted over)
               "spines": [ax.spines[side] for ax in (ax_pe, ax_dot) for side in ("left", "top")]}
    artists["_ticks"] = ticks  # by axis, for set_spans (the flat list above is what the renderer animates)
    set_spans(artists, max_positions, max_d_model)
    return fig, artists


def set_spans(artists: Mapping[str, object], positions: int, dimensions: int) -> None:
    """Fit the axes to ``positions × dimensions`` cells (position 0 at the top, as in a table) and move
    their ticks: at most MAX_TICKS round values per axis."""
    ax_pe, ax_dot, ax_prof = (artists[k].axes for k in ("pe_image", "dot_image", "profile"))
    ax_pe.set_xlim(-0.5, dimensions - 0.5)
    for ax in (ax_pe, ax_dot):
        ax.set_ylim(positions - 0.5, -0.5)
    ax_dot.set_xlim(-0.5, positions - 0.5)
    ax_prof.set_xlim(0, positions - 1)
    spans = {"pe_x": dimensions, "pe_y": positions, "dot_x": positions, "dot_y": positions, "profile_x": positions}
    for name, span in spans.items():
        values = _tick_values(span)
        if name == "profile_x":  # limits [0, span - 1]
            fractions = [v / (span - 1) for v in values]
        elif name.endswith("x"):  # cells: limits [-0.5, span - 0.5]
            fractions = [(v + 0.5) / span for v in values]
        else:  # cells, position 0 at the top
            fractions = [1 - (v + 0.5) / span for v in values]
        for i, label in enumerate(artists["_ticks"][name]):
            shown = i < len(values)
            label.set_visible(shown)
            if shown:
                label.set_text(str(values[i]))
                x, y = label.get_position()
                label.set_position((fractions[i], y) if name.endswith("x") else (x, fractions[i]))


def update_positional_encoding(artists: Mapping[str, object], pe, dots, profile, rise: int | None,
                               visible_rise: int | None = None) -> None:
    """Move the explorer's artists: ``pe (L, D)``, ``dots (L, L)`` normalised, ``profile (K,)``, the first
    rise of the profile (circled) and its first rise of more than 0.01 (a triangle)."""
    _place(artists["pe_image"], pe)
    _place(artists["dot_image"], dots)
    p = as_array(profile)
    artists["profile"].set_data(np.arange(len(p)), p)
    for key, k in (("rise", rise), ("visible_rise", visible_rise)):
        artists[key].set_data([] if k is None else [k], [] if k is None else [p[k] + (0.08 if key == "visible_rise" else 0)])


def plot_offset_profiles(profiles: Mapping[str, Sequence[float]], rises: Mapping[str, int | None] | None = None,
                         ax=None):
    """``PE(0)·PE(k) / ‖PE‖²`` against k, one line per label (e.g. per d_model); first rises circled."""
    ax = ax or new_figure(6.4, 3.4).add_subplot()
    for i, (label, values) in enumerate(profiles.items()):
        v = as_array(values)
        ax.plot(np.arange(len(v)), v, color=f"C{i}", lw=1.4, label=label)
        r = None if rises is None else rises.get(label)
        if r is not None:
            ax.plot([r], [v[r]], "o", ms=9, mfc="none", mec=f"C{i}", mew=2)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlabel("offset k")
    ax.set_ylabel("PE(pos)·PE(pos+k) / ‖PE‖²")
    ax.set_title("circles: the first k where the product rises", fontsize=10)
    ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_separation(separation, thresholds: Mapping[str, float] | None = None, ax=None, title: str | None = None):
    """Minimum distance between two positions against the number of leading dimensions kept."""
    ax = ax or new_figure(6.4, 3.4).add_subplot()
    s = as_array(separation)
    ax.plot(np.arange(1, len(s) + 1), s, "o-", ms=2.5, color="C0", label="min distance between\ntwo positions")
    for i, (label, t) in enumerate((thresholds or {}).items()):
        ax.axhline(t, color=f"C{i + 1}", ls="--", lw=1, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("leading dimensions kept (n)")
    ax.set_ylabel("min ‖PE(i)[:n] − PE(j)[:n]‖")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_wavelengths(wavelengths: Mapping[str, Sequence[float]], base: float = 10000.0, ax=None):
    """Wavelength of each sin/cos pair (log scale): a geometric progression, a straight line,
    between the lines 2π and ``base``·2π."""
    ax = ax or new_figure(6.0, 3.2).add_subplot()
    for i, (label, w) in enumerate(wavelengths.items()):
        w = as_array(w)
        ax.semilogy(np.arange(len(w)), w, ".", color=f"C{i}", label=label)
    ax.axhline(2 * np.pi, color="grey", ls=":", lw=1, label="2π")
    ax.axhline(2 * np.pi * base, color="grey", ls="--", lw=1, label=f"{base:g}·2π")
    ax.set_xlabel("pair index i (dimensions 2i, 2i+1)")
    ax.set_ylabel("wavelength (positions)")
    ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def schematic(pos: int = 2, shift: int = 3, d_model: int = 16, pairs: Sequence[int] = (0, 1, 3)) -> Figure:
    """Notebook 07 at a glance: a shift by k is a rotation of each sin/cos pair.

    One unit circle per pair i (dimensions 2i, 2i+1 of PE): the point (cos, sin) = (PE(p, 2i+1), PE(p, 2i))
    at angle p·ω_i, and the same pair of PE(p + k) at angle (p + k)·ω_i, reached by the rotation R(k·ω_i)
    whatever p is. The fast pairs turn far, the slow ones hardly move; M_k stacks these 2×2 rotations on
    the diagonal: PE(p + k) = M_k·PE(p). Drawn from the table itself (no training)."""
    table = sinusoidal_encoding(pos + shift + 1, d_model).double().numpy()  # (L, D)
    omega = sinusoidal_frequencies(d_model).numpy()  # (D/2,)
    fig = new_figure(11.5, 3.6, dpi=80)
    axes = fig.subplots(1, len(pairs) + 1, gridspec_kw={"width_ratios": [1] * len(pairs) + [1.25]})
    circle = np.linspace(0, 2 * np.pi, 200)
    for ax, i in zip(axes, pairs):
        ax.plot(np.cos(circle), np.sin(circle), color="lightgrey", lw=1)
        start = np.array([table[pos, 2 * i + 1], table[pos, 2 * i]])  # (cos, sin) of p·ω_i
        end = np.array([table[pos + shift, 2 * i + 1], table[pos + shift, 2 * i]])
        a0, turn = pos * omega[i], shift * omega[i]
        arc = np.linspace(a0, a0 + turn, 60)
        ax.plot(0.78 * np.cos(arc), 0.78 * np.sin(arc), color="C3", lw=1.6)
        if turn > 0.05:  # an arrow head where the arc ends
            ax.add_patch(FancyArrowPatch((0.78 * math.cos(arc[-2]), 0.78 * math.sin(arc[-2])),
                                         (0.78 * math.cos(arc[-1]), 0.78 * math.sin(arc[-1])),
                                         arrowstyle="-|>", mutation_scale=14, color="C3", lw=1.6))
        for point, colour, label, angle in ((start, "C0", f"PE({pos})", a0 - 0.35),
                                            (end, "C1", f"PE({pos}+{shift})", a0 + turn + 0.35)):
            ax.plot([0, point[0]], [0, point[1]], color=colour, lw=1.2)
            ax.plot(*point, "o", color=colour, ms=7)
            x, y = 1.2 * math.cos(angle), 1.2 * math.sin(angle)  # the start before the arc, the end after it
            ax.text(x, y, label, color=colour, fontsize=10, ha="center", va="center")
        ax.set_title(f"pair i = {i} (dims {2 * i}, {2 * i + 1})\nω = {omega[i]:.3g}, turn kω = {turn:.2f} rad",
                     fontsize=10)
        ax.set_xlim(-1.55, 1.55)
        ax.set_ylim(-1.55, 1.55)
        ax.set_aspect("equal")
        ax.set_xticks([-1, 0, 1])
        ax.set_yticks([-1, 0, 1])
        ax.set_xlabel("cos (dim 2i+1)")
        ax.set_ylabel("sin (dim 2i)")
    text = axes[-1]
    text.axis("off")
    text.text(0.0, 0.95, f"shift by k = {shift}:", fontsize=11, va="top", transform=text.transAxes)
    text.text(0.0, 0.78, r"$PE(p+k) = M_k\, PE(p)$", fontsize=13, va="top", transform=text.transAxes)
    text.text(0.0, 0.55, r"$M_k = \mathrm{diag}(R(k\omega_0), R(k\omega_1), \ldots)$", fontsize=11, va="top",
              transform=text.transAxes)
    text.text(0.0, 0.36, "on (sin, cos) of pair i:", fontsize=10, va="top", transform=text.transAxes)
    text.text(0.0, 0.24, r"$R(\theta)$ = [[cos θ, sin θ], [−sin θ, cos θ]]", fontsize=10, va="top",
              transform=text.transAxes)
    text.text(0.0, 0.1, "the same rotation for every p:\nit depends on k only", fontsize=10, va="top",
              transform=text.transAxes)
    return fig
