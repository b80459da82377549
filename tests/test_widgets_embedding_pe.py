"""Notebooks 06 and 07's explorers without a browser: each control changes the plotted data."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from conftest import explorer_setter, module_explorer, assert_blit_matches_full_draw, update_and_full_draw_medians

matplotlib.use("Agg")

from transformer_lab import viz
from transformer_lab.lessons import q07_sinusoidal_pe
from transformer_lab.lessons import q06_embedding_scale  # noqa: E402
from transformer_lab.lessons.q06_embedding_scale import EmbeddingScaleExplorer
from transformer_lab.lessons.q07_sinusoidal_pe import PositionalEncodingExplorer

pytestmark = pytest.mark.usefixtures("close_new_widgets")


embedding_fresh = module_explorer(lambda: EmbeddingScaleExplorer(d_model=512, init="normal", scale=True, vocab_size=32000))  # Built with the paper's setting (its defaults) and never changed: for the tests of the first render.


embedding_shared = module_explorer(lambda: EmbeddingScaleExplorer())


embedding = explorer_setter('embedding_shared', {"d_model": 512, "init": "normal", "scale": True, "vocab_size": 32000})  # ``embedding(**values)``: the shared explorer with every control set (the defaults, then ``values``).


pe_fresh = module_explorer(lambda: PositionalEncodingExplorer(max_len=50, d_model=128, base=10000))  # Built with the note's table (its defaults) and never changed: for the tests of the first render.


pe_shared = module_explorer(lambda: PositionalEncodingExplorer())


pe = explorer_setter('pe_shared', {"max_len": 50, "d_model": 128, "base": 10000})  # ``pe(**values)``: the shared explorer with every control set (the defaults, then ``values``).


# --- EmbeddingScaleExplorer (notebook 06) -----------------------------------------------------------

def _bar_heights(e):
    return e.artists["bars"].get_heights() + q06_embedding_scale.SIZE_RANGE[0]  # the bars start at the axis floor


def test_embedding_explorer_starts_rendered_with_the_papers_sizes(embedding_fresh):
    e = embedding_fresh
    assert bytes(e.image.value).startswith(b"\x89PNG")
    st = e.state
    assert st["pe_norm"] == pytest.approx(16.0)  # √(512/2)
    assert st["token_norm"] == pytest.approx(512, rel=0.02)  # N(0, 1)·√512: norm ≈ 512
    assert st["ratio"] == pytest.approx(32, rel=0.02)
    assert "tokens drown the positions" in e.readout.value
    np.testing.assert_allclose(_bar_heights(e), [st["token_norm"], st["pe_norm"], st["tied_logit_std"]], rtol=1e-6)
    assert e.artists["marker"].get_xdata()[0] == 512


def test_scale_checkbox_multiplies_the_token_norm_by_root_d(embedding):
    e = embedding(d_model=256, init="scaled_normal", scale=False)
    before = e.state["token_norm"]
    assert "positions drown the tokens" in e.readout.value
    e.controls["scale"].value = True
    assert e.state["token_norm"] == pytest.approx(16 * before)
    assert e.state["ratio"] == pytest.approx(math.sqrt(2), rel=0.03)
    assert "comparable" in e.readout.value
    assert e.state["tied_logit_std"] == pytest.approx(1.0)  # the scale acts on the input only


def test_d_model_slider_moves_the_marker_and_changes_the_ratio_as_predicted(embedding):
    e = embedding(d_model=16, init="normal", scale=True)
    r16 = e.state["ratio"]
    e.controls["d_model"].value = 1024
    assert e.state["ratio"] == pytest.approx(r16 * 8, rel=0.05)  # √(2d): ×8 from 16 to 1024
    assert e.artists["marker"].get_xdata()[0] == 1024
    assert e.artists["marker"].get_ydata()[0] == pytest.approx(e.state["ratio"])


def test_init_buttons_change_the_variance_and_vocab_matters_for_xavier_only(embedding):
    e = embedding(d_model=512, init="normal", scale=False, vocab_size=32000)
    e.controls["init"].value = "xavier"
    assert e.state["init_variance"] == pytest.approx(2 / (32000 + 512))
    assert e.state["measured_variance"] == pytest.approx(e.state["init_variance"], rel=0.05)
    line = e.artists["line xavier False"]
    y_before = np.array(line.get_ydata(), float).copy()
    e.controls["vocab_size"].value = 1000
    assert e.state["init_variance"] == pytest.approx(2 / 1512)
    assert not np.allclose(y_before, line.get_ydata())  # Xavier's curves depend on V
    normal_line = np.array(e.artists["line normal False"].get_ydata(), float)
    e.controls["vocab_size"].value = 128000
    np.testing.assert_allclose(normal_line, e.artists["line normal False"].get_ydata())  # N(0, 1) does not
    e.controls["init"].value = "scaled_normal"
    assert e.state["init_variance"] == pytest.approx(1 / 512)


def test_embedding_explorer_update_is_fast(embedding):
    e = embedding(d_model=1024, init="scaled_normal", scale=True, vocab_size=128000)
    steps = []
    for i in range(6):  # each step changes its control
        steps += [{"d_model": e.D_MODELS[i % 7]}, {"init": ("normal", "xavier", "scaled_normal")[i % 3]},
                  {"scale": i % 2 == 1}, {"vocab_size": e.VOCAB_SIZES[i % 4]}]
    update, full = update_and_full_draw_medians(e, steps)
    assert full >= 3 * update, f"update {update * 1e3:.1f} ms vs full draw {full * 1e3:.1f} ms: not 3x faster"
    assert update <= 0.250, f"median update {update * 1e3:.1f} ms"  # generous: a regression, not a budget


def test_embedding_explorer_blit_matches_a_full_draw(embedding):
    e = embedding(d_model=64, init="normal", scale=False, vocab_size=8000)
    e.set(init="xavier", vocab_size=1000, d_model=128)  # the Xavier lines move, the marker too
    st = e.state
    fig, artists = q06_embedding_scale.embedding_scale_figure(e.D_MODELS, e.curves(st["vocab_size"]))
    q06_embedding_scale.update_embedding_scale(artists, (st["token_norm"], st["pe_norm"], st["tied_logit_std"]), st["d_model"],
                                 st["ratio"], st["curves"])
    assert_blit_matches_full_draw(fig, e.fig)


def test_embedding_explorer_text_repr(embedding_fresh):
    e = embedding_fresh
    assert e._repr_mimebundle_()["text/plain"] == (
        "EmbeddingScaleExplorer(d_model=512, init='normal', scale=True, vocab_size=32000)")


# --- PositionalEncodingExplorer (notebook 07) -------------------------------------------------------

def test_pe_explorer_starts_rendered_with_the_notes_table(pe_fresh):
    e = pe_fresh
    assert bytes(e.image.value).startswith(b"\x89PNG")
    assert e.artists["pe_image"].get_array().shape == (50, 128)
    assert e.artists["dot_image"].get_array().shape == (50, 50)
    assert e.state["first_rise"] == 12
    assert e.state["dims_to_separate"] is not None and e.state["dims_to_separate"] < 60
    assert e.state["shortest_wavelength"] == pytest.approx(2 * math.pi)
    assert "first rises at k = 12" in e.readout.value
    ax = e.artists["dot_image"].axes
    assert ax.get_ylabel().startswith("query") and ax.get_xlabel().startswith("key")


def test_pe_explorer_sliders_resize_the_images_and_fit_the_axes(pe):
    e = pe(max_len=50, d_model=128)
    ax = e.artists["pe_image"].axes
    assert ax.get_xlim() == (-0.5, 127.5) and ax.get_ylim() == (63.5, -0.5)  # spans 128 and 64
    e.controls["max_len"].value = 20
    assert e.artists["pe_image"].get_array().shape == (20, 128)
    assert e.artists["dot_image"].get_array().shape == (20, 20)
    assert len(e.artists["profile"].get_xdata()) == 20
    e.controls["d_model"].value = 32
    assert e.artists["pe_image"].get_array().shape == (20, 32)
    assert ax.get_xlim() == (-0.5, 31.5) and ax.get_ylim() == (23.5, -0.5)  # spans 32 and 24
    assert e.artists["dot_image"].axes.get_xlim() == (-0.5, 23.5)
    dots = np.asarray(e.artists["dot_image"].get_array())
    np.testing.assert_allclose(np.diag(dots), 1.0, atol=1e-6)  # PE(i)·PE(i) / ‖PE‖² = 1
    np.testing.assert_allclose(dots, dots.T, atol=1e-6)  # symmetric: no direction


@pytest.mark.parametrize("max_len, d_model", [(50, 128), (4, 2), (33, 130), (128, 256), (97, 194)])
def test_pe_explorer_table_fills_two_thirds_of_each_axis_and_its_tick_labels_do_not_collide(pe, max_len, d_model):
    """The issue-19 defect: fixed 128 × 256 axes left the default 50 × 128 table in a fifth of the picture."""
    e = pe(max_len=max_len, d_model=d_model)
    for key, (rows, cols) in (("pe_image", (max_len, d_model)), ("dot_image", (max_len, max_len))):
        ax = e.artists[key].axes
        span_x, span_y = ax.get_xlim()[1] - ax.get_xlim()[0], ax.get_ylim()[0] - ax.get_ylim()[1]
        assert cols / span_x >= 2 / 3 or cols <= 8, (key, cols, span_x)
        assert rows / span_y >= 2 / 3 or rows <= 8, (key, rows, span_y)
    renderer = e.fig.canvas.get_renderer()
    for name, labels in e.artists["_ticks"].items():
        shown = [t for t in labels if t.get_visible()]
        assert 2 <= len(shown) <= q07_sinusoidal_pe.figures.MAX_TICKS, name
        boxes = [t.get_window_extent(renderer) for t in shown]
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), name
    assert not viz.small_text(e.fig)


def test_pe_explorer_readout_calls_the_first_rises_ripples(pe):
    e = pe(max_len=128, d_model=128)
    assert e.state["first_rise"] == 12 and e.state["first_visible_rise"] == 36
    assert "first rises at k = 12 (by 5.8e-04, a ripple)" in e.readout.value
    assert "first rise of more than 0.01 at k = 36" in e.readout.value
    assert e.artists["visible_rise"].get_xdata()[0] == 36


def test_pe_explorer_base_changes_the_wavelengths_and_the_profile(pe):
    e = pe(max_len=64, d_model=64, base=10000)
    prof = np.array(e.artists["profile"].get_ydata(), float).copy()
    e.controls["base"].value = 100
    assert e.state["longest_wavelength"] == pytest.approx(2 * math.pi * 100 ** (62 / 64))
    assert not np.allclose(prof, e.artists["profile"].get_ydata())
    if e.state["first_rise"] is not None:
        assert e.artists["rise"].get_xdata()[0] == e.state["first_rise"]


def test_pe_explorer_update_is_fast(pe):
    e = pe()
    steps = []
    for i in range(8):  # each step changes its control (even sizes: the sliders' step is 2)
        steps += [{"max_len": 8 + 16 * i}, {"d_model": 16 + 30 * i}, {"base": e.BASES[i % 5]}]
    update, full = update_and_full_draw_medians(e, steps)
    assert full >= 3 * update, f"update {update * 1e3:.1f} ms vs full draw {full * 1e3:.1f} ms: not 3x faster"
    assert update <= 0.250, f"median update {update * 1e3:.1f} ms"  # generous: a regression, not a budget


def test_pe_explorer_blit_matches_a_full_draw(pe):
    e = pe(max_len=40, d_model=64)
    e.set(max_len=30, d_model=96, base=1000)
    largest = [q07_sinusoidal_pe.span_for(r[1], spans) for r, spans in
               ((e.MAX_LEN_RANGE, q07_sinusoidal_pe.POSITION_SPANS), (e.D_MODEL_RANGE, q07_sinusoidal_pe.DIMENSION_SPANS))]
    fig, artists = q07_sinusoidal_pe.positional_encoding_figure(*largest)
    fig.canvas.draw()  # the layout, with the widest tick labels, as the explorer found it
    fig.set_layout_engine("none")
    q07_sinusoidal_pe.set_spans(artists, q07_sinusoidal_pe.span_for(30, q07_sinusoidal_pe.POSITION_SPANS),
                                q07_sinusoidal_pe.span_for(96, q07_sinusoidal_pe.DIMENSION_SPANS))
    st = e.state
    q07_sinusoidal_pe.update_positional_encoding(artists, st["pe"], st["dots"], st["profile"], st["first_rise"],
                                                 st["first_visible_rise"])
    assert_blit_matches_full_draw(fig, e.fig)


def test_pe_explorer_snapshot_is_the_picture_at_twice_the_pixels(pe):
    import io

    from PIL import Image as PILImage

    e = pe(max_len=50, d_model=128, base=10000)
    live = PILImage.open(io.BytesIO(e.image.value))
    snap = e.snapshot()
    assert PILImage.open(io.BytesIO(snap.data)).size == (2 * live.size[0], 2 * live.size[1])
    e.set(max_len=30)  # the explorer still works after it
    assert e.artists["pe_image"].get_array().shape == (30, 128)


def test_pe_explorer_text_repr(pe_fresh):
    e = pe_fresh
    assert e._repr_mimebundle_()["text/plain"] == "PositionalEncodingExplorer(max_len=50, d_model=128, base=10000)"
