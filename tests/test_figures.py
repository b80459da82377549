"""Every public figure function is drawn at least once, on small real inputs.

The figure functions and classes are everything (functions and classes; the constants left out) in
``__all__`` of ``transformer_lab/viz/figures.py`` and of every ``transformer_lab/lessons/*/figures.py``.
They are skipped by the bad-input tables (``test_bad_inputs.is_figure_code``): a figure has no input
to refuse that its lesson's analysis has not refused already, so drawing it is what is tested.

``test_every_figure_function_is_called_in_a_test`` is a *static* check: each name must appear as a
call, ``name(``, in some test source under ``tests/`` (not after ``def``/``class``). A call through a
result's method (``result.figure()``) does not count: call the figure function by its name. The
figures of a trained experiment are drawn in ``test_lesson_qNN.py``, from the result that file's
module-scoped fixture already trained; the others are drawn below, from the lessons' analysis
functions (and, for notebook 03, which has no lesson test file, one training of 1 step). Every
drawing asserts something about the figure (panels, titles, labels, number of lines or bars, no NaN).
"""

from __future__ import annotations

import importlib
import inspect
import io
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from PIL import Image  # noqa: E402

import transformer_lab as tl  # noqa: E402
from transformer_lab import measure, viz  # noqa: E402
from transformer_lab.lessons import q03_attention_scores as q03  # noqa: E402
from transformer_lab.lessons import q04_padding_mask as q04  # noqa: E402
from transformer_lab.lessons import q06_embedding_scale as q06  # noqa: E402
from transformer_lab.lessons import q07_sinusoidal_pe as q07  # noqa: E402
from transformer_lab.positional import sinusoidal_wavelengths  # noqa: E402

TESTS = Path(__file__).parent
PACKAGE = Path(tl.__file__).parent


def figure_modules() -> list[str]:
    lessons = sorted(f"{p.parent.name}.{p.stem}" for p in (PACKAGE / "lessons").glob("*/*.py")
                     if p.stem in ("figures", "diagram"))  # a lesson's figures, and its schematic where apart
    return ["transformer_lab.viz.figures", *(f"transformer_lab.lessons.{name}" for name in lessons)]


def figure_functions() -> dict[str, str]:
    """``{name: module}`` for every public figure function and class."""
    found = {}
    for module_name in figure_modules():
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value) or inspect.isclass(value):
                found[name] = module_name
    return found


def no_nan_in_lines(ax) -> bool:
    return all(np.isfinite(np.asarray(line.get_ydata(), dtype=float)).all() for line in ax.get_lines())


@pytest.fixture
def close():
    """``close(fig)``: close that figure after the test (pass or fail)."""
    figures = []
    yield figures.append
    for fig in figures:
        plt.close(fig)


# --- every figure function is called somewhere -------------------------------------------------------

def test_every_figure_function_is_called_in_a_test():
    functions = figure_functions()
    assert len(figure_modules()) >= 9 and {"plot_heatmap", "BarCollection", "plot_head_maps"} <= set(functions)
    sources = "\n".join(p.read_text() for p in sorted(TESTS.rglob("*.py")))
    never = sorted(f"{module}.{name}" for name, module in functions.items()
                   if not re.search(rf"(?<!\w)(?<!def )(?<!class ){re.escape(name)}\(", sources))
    assert not never, f"figure functions no test calls by name: {never}"


# --- viz: the shared machinery ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def scores_result():
    """Notebook 03's experiment, 1 step on 2 seeds at d_k 2 and 4 (about 0.2 s)."""
    return q03.train_score_functions(base=0, d_ks=(2, 4), n_seeds=2, steps=1)


def test_figure_png_renders_the_figure_at_its_size(close):
    fig = viz.new_figure(3.0, 2.0, dpi=50)
    close(fig)
    fig.add_subplot().plot([0, 1], [1, 0])
    png = viz.figure_png(fig)
    assert png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(png)).size == (150, 100)


def test_as_array_accepts_tensors_that_need_grad_and_sequences():
    t = torch.arange(6.0).reshape(2, 3).requires_grad_()
    a = viz.as_array(t * 2)
    assert isinstance(a, np.ndarray) and a.shape == (2, 3) and a[1, 2] == 10.0
    assert viz.as_array([1, 2]).tolist() == [1, 2]


def test_plot_histories_draws_every_seed_and_the_mean(scores_result, close):
    runs = {"dot": scores_result.runs["dot", 4].histories, "scaled_dot": scores_result.runs["scaled_dot", 4].histories}
    ax = viz.plot_histories(runs, title="d_k = 4")
    close(ax.figure)
    assert len(ax.get_lines()) == 2 * (2 + 1)  # per label: a line per seed, then the mean
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["dot", "scaled_dot"]
    assert ax.get_title() == "d_k = 4" and ax.get_ylabel() == "eval accuracy" and no_nan_in_lines(ax)


def test_plot_seed_dots_draws_a_dot_per_seed_and_the_mean(scores_result, close):
    finals = {s: scores_result.final(s, 2) for s in ("additive", "dot")}
    ax = viz.plot_seed_dots(finals, chance=1 / 8, title="final accuracy")
    close(ax.figure)
    assert [len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)] == [2, 2]  # the seeds
    assert [t.get_text() for t in ax.get_xticklabels()] == ["additive", "dot"]
    means = [line.get_ydata()[0] for line in ax.get_lines() if line.get_linewidth() == 2.5]
    assert means == pytest.approx([np.mean(finals["additive"]), np.mean(finals["dot"])])


def test_bar_collection_moves_its_bars(close):
    fig = viz.new_figure()
    close(fig)
    ax = fig.add_subplot()
    weights = torch.softmax(torch.randn(5, generator=torch.Generator().manual_seed(0)), -1)
    bars = ax.add_collection(viz.BarCollection(range(5), np.zeros(5), width=0.5))
    bars.set_heights(weights)
    np.testing.assert_allclose(bars.get_heights(), weights.numpy())
    tops = np.array([path.vertices[:4, 1].max() for path in bars.get_paths()])
    np.testing.assert_allclose(tops, weights.numpy(), rtol=1e-6)
    assert len(viz.figure_png(fig)) > 0


# --- notebook 03 --------------------------------------------------------------------------------------

def test_q03_figures(scores_result, close):
    d_ks = [1, 4, 16]
    ax = q03.plot_variance_vs_dk(d_ks, q03.dot_product_variance(d_ks, n_samples=2000))
    close(ax.figure)
    assert len(ax.get_lines()) == 2 and ax.get_xscale() == ax.get_yscale() == "log" and no_nan_in_lines(ax)

    rows = {label: [q03.softmax_stats(q03.random_scores(d, scaled)) for d in d_ks]
            for label, scaled in (("unscaled", False), ("scaled", True))}
    sat = {label: {"entropy": [r["entropy"] for r in rs], "max weight": [r["max_weight"] for r in rs]}
           for label, rs in rows.items()}
    fig = q03.plot_saturation(d_ks, sat)
    close(fig)
    assert [ax.get_title() for ax in fig.axes] == ["entropy", "max weight"]
    assert all(len(ax.get_lines()) == 2 and no_nan_in_lines(ax) for ax in fig.axes)

    ns = [8, 16]
    x = {n: torch.randn(n, 8, generator=torch.Generator().manual_seed(n)) for n in ns}
    additive = tl.AdditiveScore(8, d_attn=8)
    with torch.no_grad():
        peak = {"additive": [measure.peak_tensor_bytes(lambda: additive(x[n], x[n])) for n in ns],
                "scaled dot": [measure.peak_tensor_bytes(lambda: tl.scaled_dot_scores(x[n], x[n])) for n in ns]}
    fig = q03.plot_cost(ns, {"peak tensor memory (bytes)": peak})
    close(fig)
    (ax,) = fig.axes
    assert ax.get_title() == "peak tensor memory (bytes)" and len(ax.get_lines()) == 2
    assert list(ax.get_lines()[0].get_ydata()) == peak["additive"]

    fig = q03.plot_score_training(scores_result)
    close(fig)
    assert [ax.get_title() for ax in fig.axes] == ["d_k = 2", "d_k = 4", "final accuracy, every seed"]
    assert all(no_nan_in_lines(ax) for ax in fig.axes)

    sweep = q03.scale_sweep(d_ks=(4, 16, 64), n_samples=500)
    fig = q03.plot_scale_sweep(sweep)
    close(fig)
    assert len(fig.axes) == 4 and all(no_nan_in_lines(ax) for ax in fig.axes)
    assert all(ax.get_ylabel() for ax in fig.axes), "every panel says what its y-axis is"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["unscaled q·k", "scaled q·k/√d_k"]
    assert not viz.small_text(fig)


# --- notebook 04 --------------------------------------------------------------------------------------

def test_q04_hatched_cells_join_the_masked_cells_of_every_heatmap(close):
    _, keep = q04.pad_sequences([torch.zeros(3, 2), torch.zeros(2, 2)])  # (2, 3): the second has one pad
    masked = ~keep[:, None, :].expand(2, 3, 3)  # (B, T, S): every query, on the padded keys
    fig = viz.new_figure(6.0, 3.0)
    close(fig)
    axes = fig.subplots(1, 2)
    parts = [PathPatch(q04.cells_path(m), transform=ax.transData, visible=bool(m.any())) for ax, m in zip(axes, masked)]
    for ax in axes:
        ax.set_xlim(-0.5, 2.5)
        ax.set_ylim(2.5, -0.5)
    hatched = fig.add_artist(q04.HatchedCells(parts, facecolor="none", hatch="xx"))
    assert hatched.parts == parts and len(hatched.get_path().vertices) == 5 * int(masked.sum())  # a square per cell
    assert len(viz.figure_png(fig)) > 0
    parts[1].set_visible(False)
    assert len(hatched.get_path().vertices) == 1  # nothing left to hatch


# --- notebook 06 --------------------------------------------------------------------------------------

D_MODELS = [16, 32, 64]


def ratio_curves(vocab_size=1000):
    return {(init, scale): [q06.predicted_norm_ratio(init, vocab_size, d, scale) for d in D_MODELS]
            for init in ("normal", "xavier", "scaled_normal") for scale in (False, True)}


def test_q06_short_label_names_the_distribution():
    assert q06.short_label("scaled_normal ×√d, tied") == "N(0,1/d) ×√d tied"
    assert q06.short_label("normal, pre-LN", "\n") == "N(0,1)\npre-LN"


def test_q06_the_moving_artists_are_the_bars_xaviers_lines_and_the_marker(close):
    fig, artists = q06.embedding_scale_figure(D_MODELS, ratio_curves())
    close(fig)
    moving = q06.embedding_scale_moving(artists)
    assert moving[0] is artists["bars"] and moving[-1] is artists["marker"]
    assert sorted(line.get_label() for line in moving[1:-1]) == ["Xavier", "Xavier ×√d"]
    q06.update_embedding_scale(artists, [1.0, 2.0, 0.5], 32, 0.5, ratio_curves(vocab_size=8000))
    assert all(np.isfinite(line.get_ydata()).all() for line in moving[1:-1])


def test_q06_norm_ratios_and_first_step(close):
    curves = {f"{init}{' ×√d' if scale else ''}": ys for (init, scale), ys in ratio_curves().items()}
    fig = q06.plot_norm_ratios(D_MODELS, curves, title="V = 1000, predicted")
    close(fig)
    assert fig._suptitle.get_text() == "V = 1000, predicted"
    for ax, panel in zip(fig.axes, ("without ×√d", "with ×√d")):  # one panel per scale: no line hides another
        assert ax.get_title() == panel and len(ax.get_lines()) == 3 + 1 and no_nan_in_lines(ax)  # 3 inits + √2
    legend = fig.axes[1].get_legend()
    assert legend is not None and legend.get_bbox_to_anchor().x0 > fig.axes[1].get_window_extent().x1  # off the data
    assert not viz.small_text(fig)

    task = tl.ReverseTask(n_symbols=16, length=8)
    steps = {init: q06.first_step_change(tl.ModelConfig(vocab_size=16, d_model=16, n_heads=2, d_ff=0, max_len=8,
                                                        embed_init=init), task, batch_size=8)
             for init in ("normal", "scaled_normal")}
    ax = q06.plot_first_step(list(steps), [s["rms_change"] for s in steps.values()], [s["rms_size"] for s in steps.values()])
    close(ax.figure)
    assert len(ax.patches) == 4 and ax.get_yscale() == "log"  # two bars per setting
    assert [t.get_text() for t in ax.get_xticklabels()] == ["normal", "scaled_normal"]
    assert [p.get_height() for p in ax.patches[2:]] == pytest.approx([s["rms_change"] for s in steps.values()])


# --- notebook 07 --------------------------------------------------------------------------------------

def test_q07_figures(close):
    profiles = {f"d = {d}": q07.offset_profile(40, d) for d in (16, 64)}
    rises = {label: q07.first_rise(p) for label, p in profiles.items()}
    ax = q07.plot_offset_profiles(profiles, rises)
    close(ax.figure)
    circled = sum(r is not None for r in rises.values())
    assert len(ax.get_lines()) == 2 + circled + 1 and no_nan_in_lines(ax)  # profiles, circles, the zero line
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(profiles)

    separation = q07.separation_by_leading_dims(16, 32)
    ax = q07.plot_separation(separation, {"δ = 0.5": 0.5}, title="16 positions, d = 32")
    close(ax.figure)
    assert len(ax.get_lines()[0].get_ydata()) == 32 and ax.get_title() == "16 positions, d = 32"
    assert ax.get_lines()[1].get_ydata()[0] == 0.5 and no_nan_in_lines(ax)

    ax = q07.plot_wavelengths({"d = 16": sinusoidal_wavelengths(16), "d = 32": sinusoidal_wavelengths(32)}, base=10000.0)
    close(ax.figure)
    assert [len(line.get_ydata()) for line in ax.get_lines()[:2]] == [8, 16]
    assert ax.get_yscale() == "log" and ax.get_lines()[2].get_ydata()[0] == pytest.approx(2 * np.pi)


# --- every lesson: one schematic a projector can show ------------------------------------------------

LESSONS = ("q01_multi_head", "q02_qk_weights", "q03_attention_scores", "q04_padding_mask", "q05_head_dim",
           "q06_embedding_scale", "q07_sinusoidal_pe", "q08_other_pe")


@pytest.mark.parametrize("name", LESSONS)
def test_every_lesson_draws_a_schematic_with_text_at_least_9pt(name, close):
    lesson = importlib.import_module(f"transformer_lab.lessons.{name}")
    fig = lesson.schematic()
    close(fig)
    assert isinstance(fig, matplotlib.figure.Figure)
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    assert len(texts) >= 4, f"{name}: a schematic says what it shows ({len(texts)} texts)"
    assert not viz.small_text(fig), viz.small_text(fig)
    assert fig.dpi >= 72 and fig.get_figwidth() <= 13, "fits a notebook cell"
