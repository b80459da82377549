"""Notebook 08's explorer without a browser: each control changes the plotted data as expected."""

import math

import matplotlib
import numpy as np
import pytest
from conftest import module_explorer, assert_blit_matches_full_draw, update_and_full_draw_medians
import torch

matplotlib.use("Agg")

import transformer_lab as tl  # noqa: E402
from transformer_lab import viz  # noqa: E402
from transformer_lab.lessons import q08_other_pe  # noqa: E402
from transformer_lab.lessons.q08_other_pe import analysis as pa  # noqa: E402
from transformer_lab.positional import alibi_slopes  # noqa: E402
from transformer_lab.lessons.q08_other_pe import PositionalSchemeExplorer

pytestmark = pytest.mark.usefixtures("close_new_widgets")


explorer = module_explorer(lambda: PositionalSchemeExplorer(scheme="alibi", head=0, causal=True, base=10000, T=12))


def _image(e, key):
    return np.ma.getdata(e.artists[key].get_array()).astype(float)


def test_starts_rendered_with_the_default_state(explorer):
    e = explorer
    e.set(scheme="alibi", head=0, causal=True, base=10000)
    assert bytes(e.image.value).startswith(b"\x89PNG")
    assert "alibi" in e.readout.value and "0 parameters" in e.readout.value and "invariant: yes" in e.readout.value
    assert e.artists["title_scores"].get_text() == "alibi, head 0, slope m = 1/2"
    bundle = e._repr_mimebundle_()
    assert bundle["text/plain"] == "PositionalSchemeExplorer(scheme='alibi', head=0, causal=True, base=10000)"


def test_alibi_pattern_is_the_bias_and_the_head_slider_changes_the_slope(explorer):
    e = explorer
    e.set(scheme="alibi", causal=False, head=0)
    p0 = e.state["pattern"]
    steps0 = (p0[6, 6] - p0[6, :6]).tolist()  # score drop with distance 6 … 1 from query 6
    assert steps0 == pytest.approx([0.5 * d for d in range(6, 0, -1)], rel=1e-5)
    e.set(head=3)
    p3 = e.state["pattern"]
    assert (p3[6, 6] - p3[6, 0]).item() == pytest.approx(6 * alibi_slopes(8)[3].item(), rel=1e-5)
    assert e.state["slope"] == pytest.approx(1 / 16)
    assert not np.allclose(_image(e, "scores"), 0)
    assert "head 3" in e.artists["title_scores"].get_text()


def test_causal_checkbox_masks_the_future(explorer):
    e = explorer
    e.set(scheme="alibi", head=0, causal=True)
    w = e.state["weights"]
    assert torch.triu(w, diagonal=1).abs().max() == 0
    torch.testing.assert_close(w.sum(-1), torch.ones(12))
    assert e.artists["hatch_scores"].get_visible() and e.artists["hatch_weights"].get_visible()
    assert torch.isnan(e.state["display"][0, 5])  # masked cells are not coloured
    assert np.ma.getmaskarray(e.artists["scores"].get_array())[0, 5]
    e.set(causal=False)
    assert e.state["weights"][0, 5] > 0
    assert not e.artists["hatch_scores"].get_visible()
    assert np.nanmax(np.abs(e.state["display"].numpy())) == pytest.approx(1.0)


def test_scheme_dropdown_changes_the_pattern(explorer):
    e = explorer
    e.set(causal=False, head=0)
    patterns = {}
    for name in tl.POSITIONAL_SCHEMES:
        e.set(scheme=name)
        patterns[name] = e.state["pattern"].clone()
        assert e.state["family"] == pa.scheme_family(e.schemes[name])
    # offset-only schemes give Toeplitz patterns; absolute ones do not
    for name in ("none", "shaw", "t5", "rope", "alibi"):
        p = patterns[name]
        torch.testing.assert_close(p[1:, 1:], p[:-1, :-1], atol=1e-5, rtol=0)
    for name in ("normalized", "index", "sinusoidal"):
        p = patterns[name]
        assert (p[1:, 1:] - p[:-1, :-1]).abs().max() > 1e-3, name
    assert patterns["index"].abs().max() > 10 * patterns["normalized"].abs().max()
    assert not torch.allclose(patterns["rope"], patterns["alibi"])


def _segments(e):
    return [np.asarray(seg) for seg in e.artists["by_distance"].get_segments()]


def test_base_slider_moves_the_rope_pattern_and_its_line(explorer):
    e = explorer
    e.set(scheme="rope", base=10000, causal=False)
    pattern_1e4, line_1e4 = e.state["pattern"].clone(), _segments(e)[-1][:, 1].copy()
    e.set(base=100)
    assert not torch.allclose(e.state["pattern"], pattern_1e4)
    assert not np.allclose(_segments(e)[-1][:, 1], line_1e4)  # the right panel follows the base
    assert "base 100" in e.readout.value
    e.set(scheme="alibi")
    alibi_100 = e.state["pattern"].clone()
    e.set(base=10000)
    torch.testing.assert_close(e.state["pattern"], alibi_100)  # the base is RoPE's alone


def test_right_panel_plots_the_chosen_scheme_one_line_per_query(explorer):
    """The chosen scheme's scores against the distance back to the key, one line per query: a
    translation-invariant scheme draws one line (every query agrees), an absolute one a fan."""
    e = explorer
    e.set(causal=True, head=0, base=10000)
    for name in tl.POSITIONAL_SCHEMES:
        e.set(scheme=name)
        segs = _segments(e)
        assert len(segs) == e.T and [len(s) for s in segs] == list(range(1, e.T + 1))  # query i: distances 0 … i
        for i, seg in enumerate(segs):
            np.testing.assert_array_equal(seg[:, 0], np.arange(i + 1))
            np.testing.assert_allclose(seg[:, 1], e.state["by_distance"][i], rtol=0, atol=0)
            assert seg[0, 1] == 0  # the distance-0 score is the reference of each line
        invariant = e.state["invariant"]
        assert (e.state["spread"] < 1e-4) == invariant, name
        assert ("every query's scores against the distance are the same line" in e.readout.value) == invariant
    e.set(scheme="alibi")
    last = _segments(e)[-1][:, 1]
    # −m per step, divided by the largest row-centred |score| (the last row: m·(T − 1)/2)
    np.testing.assert_allclose(np.diff(last), -2 / (e.T - 1), atol=1e-6)
    e.set(scheme="index")
    assert e.state["spread"] > 0.1  # absolute: the queries' lines fan out


def test_trained_schemes_can_be_passed_in():
    t5 = tl.T5RelativeBias(8)
    with torch.no_grad():
        t5.bias.copy_(torch.arange(32.0)[:, None].expand(32, 8))  # bias = bucket index
    e = PositionalSchemeExplorer(scheme="t5", causal=False, T=10, schemes={"t5": t5})
    p = e.state["pattern"]
    bucket = t5.buckets(10, 10).float()
    torch.testing.assert_close(p - p[0, 0], bucket - bucket[0, 0], atol=1e-5, rtol=0)


def test_update_is_fast(explorer):
    """Blitting pays: an update is several times cheaper than a full draw (the 15 ms budget is
    measured by tools/widget_latency.py, where the machine's load is known)."""
    e = explorer
    names = list(tl.POSITIONAL_SCHEMES)
    e.set(scheme=names[-1], head=7, causal=True, base=10000)
    steps = []
    for i in range(8):  # each step changes its control
        steps += [{"scheme": names[i % len(names)]}, {"head": i % 8}, {"causal": i % 2 == 1}]
    update, full = update_and_full_draw_medians(e, steps)
    assert full >= 3 * update, f"update {update * 1e3:.1f} ms vs full draw {full * 1e3:.1f} ms: not 3x faster"
    assert update <= 0.250, f"median update {update * 1e3:.1f} ms"  # generous: a regression, not a budget


def test_blitted_picture_matches_a_full_draw(explorer):
    e = explorer
    e.set(scheme="t5", head=2, causal=True, base=10000)
    e.set(scheme="alibi", head=1, causal=False, base=1000)
    fig, artists = q08_other_pe.scheme_explorer_figure(12)
    st = e.state
    q08_other_pe.update_scheme_explorer(artists, st["display"], st["weights"], st["causal"],
                                        e.artists["title_scores"].get_text(), st["by_distance"])
    assert_blit_matches_full_draw(fig, e.fig)
    assert math.isfinite(st["scale"])


def test_text_is_at_least_nine_points_and_heatmaps_name_queries_and_keys(explorer):
    fresh = PositionalSchemeExplorer(T=12)
    assert not viz.small_text(fresh.fig)
    heatmaps = fresh.fig.axes[0], fresh.fig.axes[1]
    assert all(ax.get_ylabel() == viz.QUERY_LABEL and ax.get_xlabel() == viz.KEY_LABEL for ax in heatmaps)
    fresh.close()
