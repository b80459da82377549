"""The sinusoidal positional-encoding explorer's figure (notebook 07), and its static companions."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ...viz.figures import KEY_LABEL, QUERY_LABEL, as_array, new_figure

__all__ = ['positional_encoding_figure', 'update_positional_encoding', 'plot_offset_profiles', 'plot_separation', 'plot_wavelengths']


def _place(image, matrix) -> None:
    """Show ``matrix (R, C)`` in the top-left corner of ``image``'s fixed axes (cell (r, c) centred
    on (c, r)): new data and extent, same axis limits (autoscaling is off for these axes)."""
    m = as_array(matrix)
    extent = (-0.5, m.shape[1] - 0.5, m.shape[0] - 0.5, -0.5)
    image.set_data(m)
    if tuple(image.get_extent()) != extent:  # set_extent also updates the data limits: only when the size changes
        image.set_extent(extent)


def positional_encoding_figure(max_positions: int, max_d_model: int):
    """Three panels with fixed axes: the table PE (positions × dimensions), the normalised dot
    products PE(i)·PE(j) / ‖PE‖² (rows = query position i, columns = key position j), and the
    profile PE(0)·PE(k) / ‖PE‖² against the offset k with its first rise circled.

    Both images live in axes sized for the largest table (``max_positions × max_d_model``);
    a smaller table fills the top-left corner and leaves the rest blank, so the axes never change.
    No text moves (redrawing a title costs more than an image); the explorer's readout carries the
    numbers. Returns ``(fig, artists)``; :func:`update_positional_encoding` moves the artists.
    """
    fig = new_figure(10.0, 3.1, dpi=64)
    ax_pe, ax_dot, ax_prof = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1.0, 1.1]})
    pe_image = ax_pe.imshow(np.zeros((1, 1)), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest",
                         interpolation_stage="data")  # nearest: the same pixels as "rgba", 2x cheaper
    ax_pe.set_xlabel("dimension (2i = sin, 2i+1 = cos)")
    ax_pe.set_ylabel("position")
    fig.colorbar(pe_image, ax=ax_pe, shrink=0.8)
    ax_pe.set_title("PE(pos, dim)", fontsize=9)
    dot_image = ax_dot.imshow(np.zeros((1, 1)), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest",
                          interpolation_stage="data")
    for ax, (rows, cols) in ((ax_pe, (max_positions, max_d_model)), (ax_dot, (max_positions, max_positions))):
        ax.set_xlim(-0.5, cols - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)  # position 0 at the top, as in a table
        ax.set_autoscale_on(False)
    ax_dot.set_xlabel(KEY_LABEL)
    ax_dot.set_ylabel(QUERY_LABEL)
    ax_dot.set_title("PE(i)·PE(j) / ‖PE‖²", fontsize=9)
    fig.colorbar(dot_image, ax=ax_dot, shrink=0.8)
    (profile,) = ax_prof.plot([], [], "-", color="C0", lw=1.5, label="PE(0)·PE(k) / ‖PE‖²")
    (rise,) = ax_prof.plot([], [], "o", ms=10, mfc="none", mec="red", mew=2, label="first rise")
    ax_prof.axhline(0, color="grey", lw=0.6)
    ax_prof.set_xlim(0, max_positions - 1)
    ax_prof.set_ylim(-1.05, 1.05)
    ax_prof.set_xlabel("offset k = j − i")
    ax_prof.legend(fontsize=7, loc="upper right")
    ax_prof.set_title("does the product fall monotonically?", fontsize=9)
    artists = {"pe_image": pe_image, "dot_image": dot_image, "profile": profile, "rise": rise}
    return fig, artists


def update_positional_encoding(artists: Mapping[str, object], pe, dots, profile, rise: int | None) -> None:
    """Move the explorer's artists: ``pe (L, D)``, ``dots (L, L)`` normalised, ``profile (K,)``."""
    _place(artists["pe_image"], pe)
    _place(artists["dot_image"], dots)
    p = as_array(profile)
    artists["profile"].set_data(np.arange(len(p)), p)
    artists["rise"].set_data([] if rise is None else [rise], [] if rise is None else [p[rise]])


def plot_offset_profiles(profiles: Mapping[str, Sequence[float]], rises: Mapping[str, int | None] | None = None,
                         ax=None):
    """``PE(0)·PE(k) / ‖PE‖²`` against k, one line per label (e.g. per d_model); first rises circled."""
    ax = ax or new_figure(5.0, 3.2).add_subplot()
    for i, (label, values) in enumerate(profiles.items()):
        v = as_array(values)
        ax.plot(np.arange(len(v)), v, color=f"C{i}", lw=1.4, label=label)
        r = None if rises is None else rises.get(label)
        if r is not None:
            ax.plot([r], [v[r]], "o", ms=9, mfc="none", mec=f"C{i}", mew=2)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlabel("offset k")
    ax.set_ylabel("PE(pos)·PE(pos+k) / ‖PE‖²")
    ax.set_title("circles: the first k where the product rises", fontsize=9)
    ax.legend(fontsize=8)
    return ax


def plot_separation(separation, thresholds: Mapping[str, float] | None = None, ax=None, title: str | None = None):
    """Minimum distance between two positions against the number of leading dimensions kept."""
    ax = ax or new_figure(5.0, 3.2).add_subplot()
    s = as_array(separation)
    ax.plot(np.arange(1, len(s) + 1), s, "o-", ms=2.5, color="C0", label="min distance between two positions")
    for i, (label, t) in enumerate((thresholds or {}).items()):
        ax.axhline(t, color=f"C{i + 1}", ls="--", lw=1, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("leading dimensions kept (n)")
    ax.set_ylabel("min ‖PE(i)[:n] − PE(j)[:n]‖")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return ax


def plot_wavelengths(wavelengths: Mapping[str, Sequence[float]], base: float = 10000.0, ax=None):
    """Wavelength of each sin/cos pair (log scale): a geometric progression, a straight line,
    between the lines 2π and ``base``·2π."""
    ax = ax or new_figure(4.5, 3.2).add_subplot()
    for i, (label, w) in enumerate(wavelengths.items()):
        w = as_array(w)
        ax.semilogy(np.arange(len(w)), w, ".", color=f"C{i}", label=label)
    ax.axhline(2 * np.pi, color="grey", ls=":", lw=1, label="2π")
    ax.axhline(2 * np.pi * base, color="grey", ls="--", lw=1, label=f"{base:g}·2π")
    ax.set_xlabel("pair index i (dimensions 2i, 2i+1)")
    ax.set_ylabel("wavelength (positions)")
    ax.legend(fontsize=8)
    return ax
