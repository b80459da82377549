"""Notebook 04's explorer without a browser: each control changes the plotted data as expected."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from conftest import explorer_setter, module_explorer, assert_blit_matches_full_draw, update_and_full_draw_medians

matplotlib.use("Agg")

import torch  # noqa: E402

from transformer_lab import viz  # noqa: E402
from transformer_lab.lessons import q04_padding_mask  # noqa: E402
from transformer_lab.lessons.q04_padding_mask import PaddingMaskExplorer

pytestmark = pytest.mark.usefixtures("close_new_widgets")
DEFAULTS = {"mask": True, "form": "add", "fill": "-inf", "dtype": "float32", "scale": 1, "side": "right",
            "causal": False}  # the correct mask: the explorer opens on it, the edge cases are one control away


fresh = module_explorer(lambda: PaddingMaskExplorer())  # Built with its defaults and never changed: for the tests of the first render.


shared = module_explorer(lambda: PaddingMaskExplorer())


at = explorer_setter('shared', DEFAULTS)  # ``at(**values)``: the shared explorer with every control set (the defaults, then ``values``).


def bar_tops(e):
    return list(e.artists["bars"].get_heights() + q04_padding_mask.LEAK_FLOOR)  # the bars start at the floor of the axis


def mesh_data(e, b):
    return np.ma.getdata(e.artists["meshes"][b].get_array()).reshape(e.max_len, e.max_len)


def mesh_invalid(e, b):
    return np.ma.getmaskarray(e.artists["meshes"][b].get_array()).reshape(e.max_len, e.max_len)


def hatched_cells(e, b):
    """The (query, key) cells the hatch path covers, read back from the artist."""
    verts = e.artists["hatches"].parts[b].get_path().vertices
    if len(verts) < 5:
        return set()
    centres = verts.reshape(-1, 5, 2)[:, :4].mean(1)  # (n, 2): (x = key, y = query)
    return {(int(round(y)), int(round(x))) for x, y in centres}


def test_starts_rendered_with_the_default_state(fresh):
    e = fresh
    assert bytes(e.image.value).startswith(b"\x89PNG")
    assert e.state["fill"] == "-inf" and e.state["form"] == "add" and e.state["scale"] == 1
    assert e.state["weights"].shape == (3, 6, 6)
    assert e.state["leaks"] == [0.0, 0.0, 0.0]  # the correct mask: nothing leaks
    assert e.state["n_dead"] == [0, 0, 0] and not e.state["error"]
    assert "leaked mass per sequence" in e.readout.value
    assert len(e.artists["meshes"]) == 3 and len(e.artists["bars"].get_heights()) == 3


def test_mask_toggle_lets_pads_take_part(at):
    e = at(fill="-inf", scale=1)
    assert e.state["leaks"] == [0.0, 0.0, 0.0]
    assert mesh_data(e, 2)[:, 2:].max() == 0  # sequence 2 has 2 real tokens: pad columns get no weight
    e.controls["mask"].value = False
    assert e.state["leaks"][0] == 0 and min(e.state["leaks"][1:]) > 0.2
    assert mesh_data(e, 2)[:, 2:].max() > 0.1
    assert "no mask" in e.readout.value and "pads take part" in e.artists["status"].get_text()


def test_fill_and_form_decide_the_leak_at_large_scores(at):
    e = at(fill="-1000", form="add", scale=1000)
    leak_1000 = e.state["leaks"]
    e.controls["fill"].value = "-inf"
    assert e.state["leaks"] == [0.0, 0.0, 0.0] and max(leak_1000) > 0.1
    e.set(fill="-1000", form="set")  # replaced, not added: -1000 holds
    assert e.state["leaks"] == [0.0, 0.0, 0.0]
    assert e.state["fill_value"] == -1000.0


def test_scale_slider_moves_the_leak(at):
    e = at(fill="-1000", form="add", scale=1)
    assert e.state["leaks"] == [0.0, 0.0, 0.0]
    heights = list(e.artists["bars"].get_heights())
    e.controls["scale"].value = 3000
    assert min(e.state["leaks"][1:]) > 0.1
    assert list(e.artists["bars"].get_heights()) != heights
    assert "scale 3000" in e.artists["status"].get_text()


def test_dtype_float16_with_minus_1e9(at):
    e = at(fill="-1e9", form="set", dtype="float32", side="left", causal=True, scale=1)
    assert e.state["error"] is None and e.artists["meshes"][0].get_visible()
    e.controls["dtype"].value = "float16"
    assert "overflows torch.float16" in e.state["error"] and "error" in e.readout.value
    assert not any(m.get_visible() for m in e.artists["meshes"])  # no weights to show
    assert not e.artists["bars"].get_visible()
    assert "masked_fill raises" in e.artists["status"].get_text()
    e.controls["form"].value = "add"  # added, -1e9 silently becomes -inf: the rows with no key turn NaN
    assert e.state["error"] is None and not e.state["representable"]
    assert e.artists["meshes"][0].get_visible()
    assert mesh_invalid(e, 2)[:4].all() and not mesh_invalid(e, 2)[4:].any()  # 4 pad queries, red
    assert "NaN" in e.state["dead_kinds"][2] and "became -inf" in e.readout.value
    e.controls["dtype"].value = "bfloat16"  # bfloat16 holds -1e9: uniform rows, no NaN
    assert e.state["representable"] and e.state["dead_kinds"][2] == ["uniform"]
    assert not mesh_invalid(e, 2).any()


def test_side_and_causal_move_the_hatched_cells_and_create_rows_without_keys(at):
    e = at(fill="-inf", scale=1, side="right", causal=False)
    n = e.lengths[2]
    assert hatched_cells(e, 2) == {(i, j) for i in range(6) for j in range(n, 6)}  # pad key columns
    assert hatched_cells(e, 0) == set()  # the longest sequence has no padding
    e.controls["side"].value = "left"
    assert hatched_cells(e, 2) == {(i, j) for i in range(6) for j in range(6 - n)}
    assert e.state["n_dead"] == [0, 0, 0]
    e.controls["causal"].value = True
    assert e.state["n_dead"] == [0, 2, 4]  # the pad queries of left-padded sequences
    assert hatched_cells(e, 0) == {(i, j) for i in range(6) for j in range(6) if j > i}
    assert mesh_invalid(e, 1)[:2].all()  # -inf on a row with no key: NaN, drawn red
    assert "rows with no key: NaN" in e.artists["status"].get_text()
    torch.testing.assert_close(e.state["weights"][0].sum(-1), torch.ones(6))


def test_readout_and_state_are_consistent(at):
    e = at(fill="-1000", form="add", scale=1000)
    masked = e.state["masked"]  # (B, T, S): the pad key columns, for every query
    assert masked[2, :, 2:].all() and not masked[2, :, :2].any() and not masked[0].any()
    torch.testing.assert_close(e.state["leaks"][2], e.state["weights"][2][:2, 2:].sum(-1).mean().item())
    leaks = [float(x) for x in e.state["leaks"]]
    for b, top in enumerate(bar_tops(e)):
        assert math.isclose(top, max(leaks[b], q04_padding_mask.LEAK_FLOOR), rel_tol=1e-6)


def test_update_is_fast(at):
    """Blitting pays: an update is several times cheaper than a full draw (the 15 ms budget is
    measured by tools/widget_latency.py, where the machine's load is known)."""
    e = at()
    fills = ("-1000", "-1e9", "-1e4", "-inf", "dtype min")
    steps = []
    for i in range(8):  # each step changes its control (the defaults are -inf, scale 1, right, not causal)
        steps += [{"fill": fills[i % len(fills)]}, {"scale": e.SCALES[(i + 1) % len(e.SCALES)]},
                  {"side": ("left", "right")[i % 2], "causal": bool(i % 3)}]
    update, full = update_and_full_draw_medians(e, steps)
    assert full >= 3 * update, f"update {update * 1e3:.1f} ms vs full draw {full * 1e3:.1f} ms: not 3x faster"
    assert update <= 0.250, f"median update {update * 1e3:.1f} ms"  # generous: a regression, not a budget


def test_text_repr_is_short_and_stable(fresh):
    e = fresh
    assert e._repr_mimebundle_()["text/plain"] == (
        "PaddingMaskExplorer(mask=True, form='add', fill='-inf', dtype='float32', scale=1, side='right', causal=False)")


def test_blitted_picture_matches_a_full_draw(at):
    e = at()
    first = e.state
    e.set(side="left", causal=True, fill="-inf")  # blitted updates after the first full draw
    fig, artists = q04_padding_mask.padding_mask_figure(e.lengths, e.max_len)
    q04_padding_mask.update_padding_mask(artists, first["weights"], first["masked"], first["leaks"], e.status(first))
    fig.canvas.draw()  # the layout is found once, for the first state, as the explorer does
    fig.set_layout_engine("none")
    st = e.state
    q04_padding_mask.update_padding_mask(artists, st["weights"], st["masked"], st["leaks"], e.status(st))
    assert_blit_matches_full_draw(fig, e.fig)


def test_plot_helpers():
    path = q04_padding_mask.cells_path(np.array([[True, False], [False, True]]))
    assert len(path.vertices) == 10
    assert len(q04_padding_mask.cells_path(np.zeros((2, 2), bool)).vertices) == 1
    with pytest.raises(ValueError, match=r"masked must be 2-D"):
        q04_padding_mask.cells_path(np.zeros(3, bool))
    with pytest.raises(ValueError, match=r"lengths must hold at least one"):
        q04_padding_mask.padding_mask_figure([], 4)
    ax = q04_padding_mask.plot_leak_sweep([1, 10], {"add": {"-1000": [0.0, 1.0]}, "set": {"-1000": [0.0, 0.0]}})
    assert len(ax.get_lines()) == 2  # the series that leaks + the 1e-3 guide; the one that never leaks ...
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "-1000 added" in legend and "  set: -1000" in legend  # ... is named in the legend, not drawn
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert not viz.small_text(ax.figure)
    with pytest.raises(ValueError, match=r"leaks\['add'\]\['-1000'\] must hold one value per sigma \(2\), got 1"):
        q04_padding_mask.plot_leak_sweep([1, 10], {"add": {"-1000": [0.0]}})
    fig, artists = q04_padding_mask.padding_mask_figure([3, 2], 3)
    with pytest.raises(ValueError, match=r"must describe the figure's B=2 sequences"):
        q04_padding_mask.update_padding_mask(artists, np.zeros((3, 3, 3)), np.zeros((3, 3, 3), bool), [0.0] * 3, "")


def test_figures_have_no_text_under_the_minimum_size(fresh):
    """Every text of the explorer, the leak sweep and the schematic at least viz.MIN_FONT_SIZE (9 pt)."""
    import matplotlib.pyplot as plt

    assert not viz.small_text(fresh.fig)
    fig = q04_padding_mask.schematic()
    assert not viz.small_text(fig)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"PAD", "−∞", "1", "0"} <= texts and len(fig.axes) == 1  # the batch, its mask, the masked cells
    plt.close(fig)


def test_the_snapshot_is_drawn_at_twice_the_pixels_and_updates_still_blit():
    e = PaddingMaskExplorer()
    image = e.snapshot()  # what the notebook shows under the explorer
    width = int.from_bytes(image.data[16:20], "big")  # the PNG header's width
    assert width == round(e.fig.get_figwidth() * e.fig.dpi * 2)
    e.set(fill="-1000", scale=1000)  # the explorer keeps working after a snapshot
    assert min(e.state["leaks"][1:]) > 0.1 and bytes(e.image.value).startswith(b"\x89PNG")
    st = e.state
    fig, artists = q04_padding_mask.padding_mask_figure(e.lengths, e.max_len)
    q04_padding_mask.update_padding_mask(artists, st["weights"], st["masked"], st["leaks"], e.status(st))
    assert_blit_matches_full_draw(fig, e.fig)
