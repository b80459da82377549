"""Widgets without a browser: each control changes the plotted data as expected."""

import io
import math

import matplotlib
import numpy as np
import pytest
from conftest import module_explorer, assert_blit_matches_full_draw, update_and_full_draw_medians

matplotlib.use("Agg")

from transformer_lab import viz
from transformer_lab.lessons import q03_attention_scores  # noqa: E402
from transformer_lab.viz import Quiz
from transformer_lab.lessons.q03_attention_scores import ScoreDistributionExplorer

pytestmark = pytest.mark.usefixtures("close_new_widgets")


fresh = module_explorer(lambda: ScoreDistributionExplorer(d_k=64, scaled=False))  # Built with its defaults (d_k=64, unscaled) and never changed: for the tests of the first render.


explorer = module_explorer(lambda: ScoreDistributionExplorer())  # Shared by the tests that only move controls: each starts by setting every control.


def _bar_heights(explorer):
    return explorer.artists["bars"].get_heights()


def test_score_explorer_starts_rendered(fresh):
    e = fresh
    assert bytes(e.image.value).startswith(b"\x89PNG")
    assert e.state["d_k"] == 64 and e.state["scaled"] is False
    assert "d_k=64" in e.readout.value
    assert math.isclose(_bar_heights(e).sum(), 1.0, rel_tol=1e-5)  # one softmax row


def test_d_k_slider_widens_unscaled_scores_and_sharpens_softmax(explorer):
    e = explorer
    e.set(d_k=1, scaled=False)
    var_small, ent_small, max_small = e.state["score_var"], e.state["entropy"], _bar_heights(e).max()
    png_small = e.image.value
    e.controls["d_k"].value = 1024
    assert e.state["d_k"] == 1024
    assert e.state["score_var"] > 300 * var_small  # Var grows like d_k
    assert e.state["entropy"] < 0.2 * ent_small
    assert _bar_heights(e).max() > max_small
    assert e.artists["marker"].get_xdata()[0] == 1024  # the marker moved on the entropy curve
    assert e.image.value != png_small


def test_scale_checkbox_restores_unit_variance(explorer):
    e = explorer
    e.set(d_k=256, scaled=False)
    stairs_before = e.artists["stairs"].get_data().values.copy()
    e.controls["scaled"].value = True
    assert 0.7 < e.state["score_var"] < 1.3
    assert e.state["predicted_var"] == 1.0
    assert e.state["entropy"] > 0.75 * math.log(16)
    assert not np.array_equal(stairs_before, e.artists["stairs"].get_data().values)
    assert "scaled" in e.readout.value


def test_score_explorer_update_is_fast(explorer):
    """Blitting pays: an update is several times cheaper than a full draw (the 15 ms budget is
    measured by tools/widget_latency.py, where the machine's load is known)."""
    e = explorer
    e.set(d_k=64, scaled=False)
    steps = []
    for i in range(12):
        steps += [{"d_k": e.D_KS[(i + 1) % len(e.D_KS)]}, {"scaled": i % 2 == 0}]  # each step changes a control
    update, full = update_and_full_draw_medians(e, steps)
    assert full >= 3 * update, f"update {update * 1e3:.1f} ms vs full draw {full * 1e3:.1f} ms: not 3x faster"
    assert update <= 0.250, f"median update {update * 1e3:.1f} ms"  # generous: a regression, not a budget


def test_update_png_is_the_canvas(explorer):
    """The PNG the widget shows decodes to exactly the pixels of the blitted canvas, frame after
    frame (the encoder re-compresses only the bands of rows that changed)."""
    from PIL import Image

    e = explorer
    for values in ({"d_k": 32, "scaled": True}, {"d_k": 32, "scaled": False}, {"d_k": 2, "scaled": False}):
        e.set(**values)
        shown = np.asarray(Image.open(io.BytesIO(bytes(e.image.value))).convert("RGBA"))
        np.testing.assert_array_equal(shown, np.asarray(e.fig.canvas.buffer_rgba()))
    image = np.asarray(e.fig.canvas.buffer_rgba())
    one_shot = np.asarray(Image.open(io.BytesIO(viz.encode_png(image))).convert("RGBA"))
    np.testing.assert_array_equal(one_shot, image)
    with pytest.raises(ValueError, match=r"rgba must be an \(H, W, 4\) uint8 array"):
        viz.encode_png(np.zeros((2, 2, 3), np.uint8))


def test_explorer_text_repr_is_short_and_stable(fresh):
    e = fresh
    bundle = e._repr_mimebundle_()
    assert bundle["text/plain"] == "ScoreDistributionExplorer(d_k=64, scaled=False)"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_quiz_scores_and_explains():
    quiz = Quiz([
        {"question": "1 + 1?", "options": ["1", "2"], "answer": 1, "why": "arithmetic"},
        {"question": "2 + 2?", "options": ["4", "5"], "answer": 0, "why": "arithmetic"},
    ])
    quiz.choices[0].value = "2"
    quiz.choices[1].value = "5"
    quiz.button.click()
    assert quiz.score == 1
    assert quiz.summary.value == "1 / 2 right"
    assert quiz.feedback[0].value.startswith("✅") and quiz.feedback[1].value.startswith("❌")
    assert "“4”" in quiz.feedback[1].value


def test_heatmap_marks_masked_cells_and_labels_axes():
    m = np.arange(12.0).reshape(3, 4)
    masked = np.zeros((3, 4), bool)
    masked[:, 3] = True
    ax = viz.plot_heatmap(m, masked=masked, title="t")
    hatched = [p for p in ax.patches if p.get_hatch() == "xx"]
    assert len(hatched) == 3
    assert ax.get_ylabel().startswith("query") and ax.get_xlabel().startswith("key")
    assert ax.get_legend() is None and ax.get_xlabel().endswith("hatched = masked")  # said off the data
    with pytest.raises(ValueError, match="masked must have the matrix's shape"):
        viz.plot_heatmap(m, masked=masked[:2])
    with pytest.raises(ValueError, match="matrix must be 2-D"):
        viz.plot_heatmap(np.zeros(3))


def test_blit_renderer_matches_a_full_draw(explorer):
    """Blitting the moving artists over the cached background gives the picture a full draw gives."""
    e = explorer
    e.set(d_k=16, scaled=False)
    e.set(d_k=128, scaled=True)  # blitted updates after the first full draw (the title from its cached pixels)
    fig, artists = q03_attention_scores.score_distribution_figure(e.n_keys, e.D_KS, e.curves)
    st = e.state
    title = e.artists["title"].get_text()
    q03_attention_scores.update_score_distribution(artists, st["scores"], st["row_weights"], st["d_k"], st["entropy"],
                                    st["predicted_var"], title)
    assert_blit_matches_full_draw(fig, e.fig)


def test_snapshot_is_the_picture_at_twice_the_pixels_and_leaves_the_explorer_working(explorer):
    """The static figure under an explorer: a full draw at 2x the pixels, shown at 1x (retina); the
    live, blitted updates after it still match a full draw."""
    import io

    from PIL import Image as PILImage

    e = explorer
    e.set(d_k=64, scaled=True)
    live = PILImage.open(io.BytesIO(e.image.value))
    snap = e.snapshot()
    big = PILImage.open(io.BytesIO(snap.data))
    assert big.size == (2 * live.size[0], 2 * live.size[1])
    assert snap.retina and snap.width == live.size[0]
    small = np.asarray(big.convert("RGB").resize(live.size, PILImage.BILINEAR), dtype=float)
    assert np.abs(small - np.asarray(live.convert("RGB"), dtype=float)).mean() < 12  # the same picture
    e.set(d_k=16, scaled=False)
    fig, artists = q03_attention_scores.score_distribution_figure(e.n_keys, e.D_KS, e.curves)
    st = e.state
    q03_attention_scores.update_score_distribution(artists, st["scores"], st["row_weights"], st["d_k"], st["entropy"],
                                                   st["predicted_var"], e.artists["title"].get_text())
    assert_blit_matches_full_draw(fig, e.fig)


def test_heatmaps_on_one_scale_share_one_colour_bar():
    ms = {f"panel {i}": np.random.default_rng(i).random((3, 4)) for i in range(3)}
    shared = viz.plot_heatmaps(ms, vmin=0, vmax=1)
    assert len(shared.axes) == 3 + 1 and [ax.get_title() for ax in shared.axes[:3]] == list(ms)
    assert len(viz.plot_heatmaps(ms).axes) == 3 + 3  # each its own scale: a bar each
    assert len(viz.plot_heatmaps(ms, vmin=0, vmax=1, colorbar=False).axes) == 3
