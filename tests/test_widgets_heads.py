"""The head-layout explorers without a browser: each control changes the plotted data as expected,
updates are much cheaper than a full draw, and bad arguments are refused with a clear message."""

import matplotlib
import numpy as np
import pytest
from conftest import explorer_setter, module_explorer, assert_blit_matches_full_draw, update_and_full_draw_medians

matplotlib.use("Agg")

import torch  # noqa: E402

import transformer_lab as tl  # noqa: E402
from transformer_lab.lessons.q01_multi_head import analysis as heads01
from transformer_lab.lessons.q05_head_dim import HeadCostExplorer
from transformer_lab.lessons.q01_multi_head import HeadPatternExplorer
from transformer_lab.lessons.q01_multi_head import figures as figures01
from transformer_lab.lessons.q05_head_dim import figures as figures05

pytestmark = pytest.mark.usefixtures("close_new_widgets")


TASK = tl.RecallAndPreviousTask(n_keys=4, n_values=3, n_pairs=3)


def _model(n_heads, n_layers=2, seed=0):
    cfg = tl.ModelConfig(vocab_size=TASK.vocab_size, n_out=TASK.n_out, d_model=8, n_heads=n_heads, n_layers=n_layers,
                         d_ff=0, positional="learned", max_len=TASK.seq_len)
    return tl.build_model(cfg, seed)


@pytest.fixture(scope="module")
def models():
    return {"1 head": _model(1), "2 heads": _model(2, seed=1)}


def _pattern(models, **kw):
    return HeadPatternExplorer(models, TASK, examples=TASK.batch(4, seed=1), eval_batch=TASK.batch(64, seed=2), **kw)


@pytest.fixture(scope="module")
def pattern_fresh(models):
    """Built for ("2 heads", head 1) and never changed: for the tests of the first render."""
    e = _pattern(models, model="2 heads", head=1)
    yield e
    e.close()


@pytest.fixture(scope="module")
def pattern_shared(models):
    e = _pattern(models)
    yield e
    e.close()


pattern = explorer_setter('pattern_shared', {"head": ("1 head", 0), "layer": 0, "example": 0})  # ``pattern(**values)``: the shared explorer with every control set (head ("1 head", 0), layer 0, input 0, then ``values``).


cost_fresh = module_explorer(lambda: HeadCostExplorer(d_model=32, seq_len=16, n_heads=4))  # Built for d_model 32, n 16, h 4 and never changed: for the test of the first render.


cost_shared = module_explorer(lambda: HeadCostExplorer(d_model=32, seq_len=16, n_heads=4))


cost = explorer_setter('cost_shared', {"n_heads": 4, "full_width": False})  # ``cost(**values)``: the shared (d_model 32, n 16) explorer with both controls set.


def _weights(model, tokens, layer):
    with torch.no_grad():
        _, cache = model(tokens, return_cache=True)
    return cache[f"blocks.{layer}.attn.weights"].numpy()


# --- HeadPatternExplorer (notebook 01) --------------------------------------------------------------

def test_pattern_explorer_starts_rendered_and_shows_the_cached_map(models, pattern_fresh):
    e = pattern_fresh
    assert bytes(e.image.value).startswith(b"\x89PNG")
    tokens, _ = TASK.batch(4, seed=1)
    np.testing.assert_allclose(e.artists["image"].get_array(), _weights(models["2 heads"], tokens, 0)[0, 1], rtol=1e-6)
    assert e.state["model"] == "2 heads" and e.state["head"] == 1
    assert "2 heads · head 1" in e.readout.value
    assert e._repr_mimebundle_()["text/plain"] == "HeadPatternExplorer(head=('2 heads', 1), layer=0, example=0)"


def test_head_control_moves_the_map_and_the_ablation_bars(models, pattern):
    e = pattern(head=("1 head", 0))
    tokens, _ = TASK.batch(4, seed=1)
    ab = heads01.ablate_heads(models["1 head"], *TASK.batch(64, seed=2))
    bars = e.artists["bars"]
    assert bars[0].get_visible() and not bars[1].get_visible()  # one head: the second bar is hidden
    assert bars[0].get_height() == pytest.approx(ab["accuracy"][0, 0].item())
    assert e.artists["baseline"].get_ydata()[0] == pytest.approx(ab["baseline"]["accuracy"])
    e.controls["head"].value = ("2 heads", 1)
    np.testing.assert_allclose(e.artists["image"].get_array(), _weights(models["2 heads"], tokens, 0)[0, 1], rtol=1e-6)
    ab2 = heads01.ablate_heads(models["2 heads"], *TASK.batch(64, seed=2))
    assert all(b.get_visible() for b in bars)
    assert [b.get_height() for b in bars] == pytest.approx(ab2["accuracy"][0].tolist())
    assert matplotlib.colors.same_color(bars[1].get_facecolor(), "C3")  # the selected head is red
    assert matplotlib.colors.same_color(bars[0].get_facecolor(), "C0")


def test_bars_show_exactly_the_models_heads_and_the_title_names_the_view(pattern):
    """The ablation panel has one bar per head of the model shown, spread over the axis and named under
    it (no empty slots h1..h7 for a one-head model); the title says which model, head, layer, input."""
    e = pattern(head=("1 head", 0))
    bars, names = e.artists["bars"], e.artists["names"]
    assert [b.get_visible() for b in bars] == [True, False] and [t.get_visible() for t in names] == [True, False]
    ax_bar = bars[0].axes
    lo, hi = ax_bar.get_xlim()
    centre = bars[0].get_x() + bars[0].get_width() / 2
    assert centre == pytest.approx((lo + hi) / 2) and names[0].get_position()[0] == pytest.approx(centre)
    assert e.artists["title"].get_text() == "1 head · head 0 · layer 0 · input 0"
    e.set(head=("2 heads", 1), example=2)
    assert all(b.get_visible() for b in bars) and [t.get_text() for t in names] == ["h0", "h1"]
    centres = [b.get_x() + b.get_width() / 2 for b in bars]
    assert centres[0] < (lo + hi) / 2 < centres[1]
    assert e.artists["title"].get_text() == "2 heads · head 1 · layer 0 · input 2"
    legend = ax_bar.get_legend()  # beside the bars, never over them
    e.fig.canvas.draw()
    assert legend.get_window_extent().x0 >= ax_bar.get_window_extent().x1


def test_explorer_figures_have_no_text_under_the_minimum(pattern, cost):
    from transformer_lab import viz

    assert not viz.small_text(pattern().fig)
    assert not viz.small_text(cost().fig)


def test_layer_control_shows_that_layer(models, pattern):
    e = pattern(head=("2 heads", 0))
    png = e.image.value
    e.controls["layer"].value = 1
    tokens, _ = TASK.batch(4, seed=1)
    np.testing.assert_allclose(e.artists["image"].get_array(), _weights(models["2 heads"], tokens, 1)[0, 0], rtol=1e-6)
    ab = heads01.ablate_heads(models["2 heads"], *TASK.batch(64, seed=2))
    assert [b.get_height() for b in e.artists["bars"]] == pytest.approx(ab["accuracy"][1].tolist())
    assert e.state["layer"] == 1 and e.image.value != png


def test_example_control_relabels_the_axes_and_moves_the_markers(pattern):
    e = pattern()
    tokens, _ = TASK.batch(4, seed=1)
    where = TASK.relation_positions(tokens)
    for example in (2, 0, 2):  # every input's background was drawn at construction
        e.controls["example"].value = example
        labels = TASK.token_labels(tokens[example])
        ax_map = e.fig.axes[0]
        assert [t.get_text() for t in ax_map.get_xticklabels()] == [f"{j}\n{t}" for j, t in enumerate(labels)]
        assert [t.get_text() for t in ax_map.get_yticklabels()] == [f"{i}: {t}" for i, t in enumerate(labels)]
        assert list(e.artists["found"].get_xdata()) == [int(where["found"][example])]
        assert list(e.artists["previous"].get_xdata()) == [int(where["previous"][example])]
        assert list(e.artists["found"].get_ydata()) == [TASK.seq_len - 1]  # on the query's row
        assert labels[-1] in e.readout.value
    assert set(e.renderer._backgrounds) == {0, 1, 2, 3}


def test_pattern_explorer_blit_matches_a_full_draw(pattern):
    e = pattern(head=("2 heads", 1))
    e.set(example=3, layer=1)
    fig, artists = figures01.head_pattern_figure(TASK.seq_len, e.max_heads, 1 / TASK.n_out)
    figures01.set_token_labels(fig, e.state["labels"])
    st = e.state
    figures01.update_head_pattern(artists, st["weights"], st["found"], st["previous"], st["ablated"], st["baseline"],
                                  st["head"], e.title(st))
    assert artists["title"].get_text() == "2 heads · head 1 · layer 1 · input 3"
    assert_blit_matches_full_draw(fig, e.fig)


def test_pattern_explorer_update_is_fast(pattern):
    """Blitting pays: an update is several times cheaper than a full draw (the 15 ms budget is
    measured by tools/widget_latency.py, where the machine's load is known)."""
    e = pattern()
    options = [value for _, value in e.controls["head"].options]
    steps = []
    for i in range(1, 9):  # every step changes its control, so every step is a real update
        steps += [{"head": options[i % len(options)]}, {"example": i % 4}, {"layer": i % 2}]
    update, full = update_and_full_draw_medians(e, steps)
    assert full >= 3 * update, f"update {update * 1e3:.1f} ms vs full draw {full * 1e3:.1f} ms: not 3x faster"
    assert update <= 0.250, f"median update {update * 1e3:.1f} ms"  # generous: a regression, not a budget


# --- HeadCostExplorer (notebook 05) -------------------------------------------------------------------

def test_cost_explorer_starts_rendered(cost_fresh):
    e = cost_fresh
    assert bytes(e.image.value).startswith(b"\x89PNG")
    assert e.hs == (1, 2, 4, 8, 16)
    assert e.state["d_k"] == 8 and e.state["ranks"] == [8, 8, 8, 8]
    assert "h = 4, d_k = 8" in e.readout.value and "4,224 parameters" in e.readout.value
    assert e._repr_mimebundle_()["text/plain"] == "HeadCostExplorer(n_heads=4, full_width=False)"


def test_heads_slider_changes_rank_and_spectra_but_not_cost(cost):
    e = cost(n_heads=1)
    for h in e.hs:
        e.controls["n_heads"].value = h
        d_k = 32 // h
        assert e.state["ranks"] == [min(d_k, 16)] * h
        segments = e.artists["spectra"].get_segments()
        assert len(segments) == h
        zero = segments[0][min(d_k, 16):, 1]  # singular values past d_k sit at float64 rounding
        assert (zero < 1e-12).all() and (segments[0][:min(d_k, 16), 1] > 1e-6).all()
        assert e.artists["dk_line"].get_xdata()[0] == d_k + 0.5
        assert list(e.artists["marker"].get_xdata()) == [h] and list(e.artists["marker"].get_ydata()) == [1.0]
        assert e.state["flops_ratio"] == 1.0 and e.state["params_ratio"] == 1.0  # d_k = d_model/h: constant cost


def test_cost_legend_has_one_entry_per_visible_curve_and_sits_off_the_data(cost):
    """Three entries, each a visible curve: split heads (flat), full-width heads (×h), and the attention
    weights drawn as markers on the ×h line they coincide with; the legend is under the axes."""
    e = cost()
    ax = e.fig.axes[0]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(e.curves)
    assert len(e.curves) == 3
    flat, full, weights = (line.get_ydata() for line in ax.get_lines()[:3])
    assert list(flat) == [1.0] * len(e.hs) and list(full) == [float(h) for h in e.hs] == list(weights)
    assert ax.get_lines()[2].get_linestyle() == "None"  # markers only: the ×h line stays visible under them
    e.fig.canvas.draw()
    assert legend.get_window_extent().y1 <= ax.get_window_extent().y0


def test_full_width_toggle_multiplies_the_cost(cost):
    e = cost(n_heads=8)
    png = e.image.value
    e.controls["full_width"].value = True
    assert e.state["d_k"] == 32 and e.state["flops_ratio"] == 8.0
    assert e.state["ranks"] == [16] * 8  # min(d_model, n)
    assert list(e.artists["marker"].get_ydata()) == [8.0]
    assert e.image.value != png and "full-width" not in e.readout.value.split("The same h with")[0]
    assert "heads of d_k = d_model/h" in e.readout.value


def test_cost_explorer_update_is_fast(cost):
    e = cost(n_heads=4, full_width=False)
    steps = []
    for i in range(12):  # each step changes its control
        steps += [{"n_heads": e.hs[i % len(e.hs)]}, {"full_width": i % 2 == 0}]
    update, full = update_and_full_draw_medians(e, steps)
    assert full >= 3 * update, f"update {update * 1e3:.1f} ms vs full draw {full * 1e3:.1f} ms: not 3x faster"
    assert update <= 0.250, f"median update {update * 1e3:.1f} ms"  # generous: a regression, not a budget


def test_cost_explorer_blit_matches_a_full_draw(cost):
    e = cost(n_heads=2)
    e.set(n_heads=8, full_width=True)
    fig, artists = figures05.head_cost_figure(e.hs, e.curves, e.seq_len, max(e.hs))
    st = e.state
    h = st["n_heads"]
    figures05.update_head_cost(artists, ([h], [st["flops_ratio"]]), st["spectra"], st["d_k"])
    assert_blit_matches_full_draw(fig, e.fig)
