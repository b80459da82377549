"""Notebook 05's experiments at a tiny size: the low-rank fit and the head-count sweep.

The claims themselves are replayed at full size by ``make claims`` (tools/claims.py); here a few
steps on two seeds check that the machinery works and that the exact facts hold in any fit.
"""

import matplotlib

matplotlib.use("Agg")

import pytest
from conftest import assert_experiment_result

from transformer_lab import evidence
from transformer_lab.lessons.q05_head_dim import analysis as heads05
from transformer_lab.lessons import q05_head_dim as lesson


@pytest.fixture(scope="module")
def fit():
    return lesson.fit_low_rank(base=0, n=5, n_seeds=2, steps=20)


@pytest.fixture(scope="module")
def sweep():
    return lesson.sweep_head_count(base=0, n_seeds=2, steps=3)


def test_registered():
    assert evidence.EXPERIMENTS["05 · fit_low_rank"] is lesson.fit_low_rank
    assert evidence.EXPERIMENTS["05 · sweep_head_count"] is lesson.sweep_head_count
    assert lesson.fit_low_rank.notebook == lesson.sweep_head_count.notebook == "05"


@pytest.mark.parametrize("name", ["fit", "sweep"])
def test_result_has_seeds_claims_summary_and_figure(name, request):
    result = request.getfixturevalue(name)
    fig = result.figure()
    assert_experiment_result(result, (0, 1), figures=((fig, len(fig.axes)),))
    assert len(fig.axes) >= 1


def test_fit_exact_facts_hold_at_any_length(fit):
    """Whatever Adam found: rank <= d_k, and d_k = 1 never beats the exact floor on a permutation."""
    assert fit.d_ks == [1, 2, 3, 4, 5] and set(fit.kl) == {"generic pattern", "one key per query"}
    assert all(r <= d for ranks in fit.rank.values() for row in ranks for r, d in zip(row, fit.d_ks))
    assert all(k >= heads05.one_key_kl_bound(5) - 1e-9 for k in fit.at("one key per query", 1))
    seed = fit.seeds[1]  # each seed is the single fit of fit_attention_pattern with that seed
    alone = heads05.fit_attention_pattern(heads05.random_attention_pattern(5, seed=seed), fit.d_ks, steps=20, seed=seed)
    assert alone["kl"] == pytest.approx(fit.kl["generic pattern"][1], rel=1e-9, abs=1e-12)


def test_sweep_runs_every_layout_on_the_same_seeds(sweep):
    assert sweep.heads == lesson.SWEEP_HEADS and set(sweep.runs) == set(lesson.SWEEP_HEADS)
    assert all(r.seeds == (0, 1) for r in sweep.runs.values())
    assert all(0 <= c <= 1 for h in sweep.heads for c in sweep.curve(h))
    assert sweep.curve(1) == pytest.approx([sum(h.eval_accuracy) / len(h.eval_accuracy)
                                            for h in sweep.runs[1].histories])


def test_the_figures_drawn_by_name(fit, sweep):
    """The figure functions themselves (tests/test_figures.py checks each is called by name in a test)."""
    import math

    import matplotlib.pyplot as plt

    fig = lesson.plot_low_rank_fits(fit)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == list(fit.kl)
    assert len(ax.get_lines()) == len(fit.kl) * (2 + 1) + 2  # per target: each seed, the mean; then two guides
    assert all(math.isfinite(y) and y > 0 for line in ax.get_lines()[:-2] for y in line.get_ydata())  # log axis
    fig2 = lesson.plot_head_sweep_seeds(sweep)
    assert len(fig2.axes) == 2 and fig2.axes[1].get_title() == "learning curves (thin: seeds)"
    assert len(fig2.axes[1].get_lines()) == len(sweep.heads) * (2 + 1)
    plt.close(fig)
    plt.close(fig2)


@pytest.mark.parametrize("fn", [lesson.fit_low_rank, lesson.sweep_head_count])
@pytest.mark.parametrize("kwargs, error", [
    ({"n_seeds": 1}, ValueError),  # no spread from one seed
    ({"n_seeds": 2.0}, TypeError),
    ({"steps": 0}, ValueError),
    ({"steps": 1.5}, TypeError),
    ({"base": -1}, ValueError),
    ({"base": "0"}, TypeError),
])
def test_bad_input_is_refused_by_name(fn, kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        fn(**kwargs)


@pytest.mark.parametrize("n, error", [(8.0, TypeError)])  # n=1: in tests/cases_bad_lessons.py
def test_fit_refuses_a_bad_length(n, error):
    with pytest.raises(error, match=r"\bn\b"):
        lesson.fit_low_rank(n=n)
