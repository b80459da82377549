"""The symmetric-QK explorer (notebook 02) without a browser: each control changes the plotted data."""

import matplotlib
import numpy as np
import pytest
from conftest import explorer_setter, module_explorer, assert_blit_matches_full_draw, update_and_full_draw_medians
import torch

matplotlib.use("Agg")

from transformer_lab.lessons import q02_qk_weights  # noqa: E402
from transformer_lab.lessons.q02_qk_weights import analysis as qk
from transformer_lab.lessons.q02_qk_weights import SymmetricQKExplorer

pytestmark = pytest.mark.usefixtures("close_new_widgets")
DEFAULTS = {"tied": True, "mask_self": False, "d_k": 4, "inputs": "equal norms"}


fresh = module_explorer(lambda: SymmetricQKExplorer())  # Built with its defaults and never changed: for the tests of the first render.


shared = module_explorer(lambda: SymmetricQKExplorer())


at = explorer_setter('shared', DEFAULTS)  # ``at(**values)``: the shared explorer with every control set (the defaults, then ``values``).


def _image(explorer, name):
    return np.asarray(explorer.artists[name].get_array(), dtype=float)


def _bar_heights(explorer):
    return np.array([seg[1][1] for seg in explorer.artists["bars"].get_segments()])


def test_starts_rendered_with_the_state_of_its_controls(fresh):
    e = fresh
    assert bytes(e.image.value).startswith(b"\x89PNG")
    assert e.values == {"tied": True, "mask_self": False, "d_k": 4, "inputs": "equal norms"}
    assert e.state["score_asymmetry"] < 1e-6
    assert "tied W_Q = W_K, d_k=4" in e.readout.value
    s = _image(e, "scores")
    np.testing.assert_allclose(s, s.T, atol=1e-6)  # the plotted scores are symmetric
    assert np.abs(s).max() == pytest.approx(1.0)  # divided by max|S|


def test_untying_makes_the_scores_asymmetric_and_indefinite(at):
    e = at(tied=True, d_k=4)
    png = e.image.value
    assert e.state["n_negative"] == 0 and (_bar_heights(e) > -1e-4).all()
    e.controls["tied"].value = False
    assert e.state["tied"] is False
    assert e.state["score_asymmetry"] > 0.5
    s = _image(e, "scores")
    assert np.abs(s - s.T).max() > 0.1
    assert e.state["n_negative"] >= 1 and (_bar_heights(e) < -1e-4).any()
    red = matplotlib.colors.to_rgba("C3")
    assert any(np.allclose(c, red) for c in e.artists["bars"].get_colors())  # negative eigenvalues in red
    assert e.image.value != png


def test_weights_are_not_symmetric_even_when_the_scores_are(at):
    e = at(tied=True, d_k=8)
    assert e.state["score_asymmetry"] < 1e-6
    assert e.state["weight_asymmetry"] > 0.05
    w = _image(e, "weights")
    np.testing.assert_allclose(w.sum(1), np.ones(e.T), atol=1e-5)  # rows sum to 1


def test_d_k_slider_sets_the_rank_and_moves_the_eigenvalues(at):
    e = at(tied=True, d_k=1)
    assert e.state["rank"] == 1
    heights_1 = _bar_heights(e).copy()
    for d_k in (2, 4, 8, 16, 64):
        e.controls["d_k"].value = d_k
        assert e.state["d_k"] == d_k
        assert e.state["rank"] == min(d_k, e.T)  # tied: rank(X W Wᵀ Xᵀ) = min(d_k, T) for generic X
    assert not np.allclose(heights_1, _bar_heights(e))
    assert _bar_heights(e).max() == pytest.approx(1.0)


def test_d_k_raises_the_self_argmax_rate_of_tied_scores(at):
    e = at(tied=True, d_k=1)
    low = e.state["self_argmax_rate"]
    e.controls["d_k"].value = 64
    assert e.state["self_argmax_rate"] > low  # in 1-D, q_i q_j is largest at the extreme q_j, rarely at i
    e.controls["tied"].value = False
    assert e.state["self_argmax_rate"] < 0.5


def test_mask_self_marks_the_diagonal_masked_and_zeroes_its_weights(at):
    e = at(mask_self=False)
    assert not any(m.get_visible() for m in e.artists["masked"])
    assert np.diag(_image(e, "weights")).min() > 0
    e.controls["mask_self"].value = True
    assert all(m.get_visible() for m in e.artists["masked"])
    w = _image(e, "weights")
    assert (np.diag(w) == 0).all()
    top_cols = e.artists["top_w"].get_xdata()
    assert (np.asarray(top_cols) != np.arange(e.T)).all()  # no row's top weight is itself
    assert "attention to self masked" in e.readout.value


def test_inputs_dropdown_changes_the_tokens(at):
    e = at(inputs="equal norms", d_k=4)
    before = _image(e, "scores").copy()
    for kind in ("spread norms", "positions"):
        e.controls["inputs"].value = kind
        assert e.state["inputs"] == kind
        expected = qk.qk_scores(qk.qk_inputs(kind, e.T, e.D, e.seed), e.w_q[:, :4])
        torch.testing.assert_close(e.state["scores"], expected)
        assert not np.allclose(before, _image(e, "scores"))


def test_explorer_text_repr_is_short_and_stable(fresh):
    e = fresh
    bundle = e._repr_mimebundle_()
    assert bundle["text/plain"] == "SymmetricQKExplorer(tied=True, mask_self=False, d_k=4, inputs='equal norms')"


def test_update_is_fast(at):
    """Blitting pays: an update is several times cheaper than a full draw (the 15 ms budget is
    measured by tools/widget_latency.py, where the machine's load is known)."""
    e = at()
    steps = []
    for i in range(8):  # each step changes its control
        steps += [{"d_k": e.D_KS[(i + 3) % len(e.D_KS)]}, {"tied": i % 2 == 1}, {"mask_self": i % 2 == 0}]
    update, full = update_and_full_draw_medians(e, steps)
    assert full >= 3 * update, f"update {update * 1e3:.1f} ms vs full draw {full * 1e3:.1f} ms: not 3x faster"
    assert update <= 0.250, f"median update {update * 1e3:.1f} ms"  # generous: a regression, not a budget


def test_blitting_matches_a_full_draw(at):
    e = at(tied=True, d_k=4)
    e.set(tied=False, d_k=16, mask_self=True, inputs="spread norms")
    fig, artists = q02_qk_weights.qk_explorer_figure(e.T)
    st = e.state
    q02_qk_weights.update_qk_explorer(artists, st["scores"], st["weights"], st["eigenvalues"], st["mask_self"])
    assert_blit_matches_full_draw(fig, e.fig)


def test_figure_refuses_a_bad_size():
    with pytest.raises(ValueError, match=r"T must be an int >= 2 \(tokens\), got 1"):
        q02_qk_weights.qk_explorer_figure(1)
