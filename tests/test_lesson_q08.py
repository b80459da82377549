"""Notebook 08's trained experiment at a tiny size: result, claims, tables, figure, exact facts, bad input.

The claims themselves are replayed at full size by ``make claims`` (tools/claims.py); here a few
steps on two seeds check that the machinery works, and that the exact facts (untrained rows and
buckets keep their initialisation) hold whatever the training did.
"""

import matplotlib

matplotlib.use("Agg")

import pytest
from conftest import assert_experiment_result
import torch

from transformer_lab import evidence
from transformer_lab.lessons import q08_other_pe as lesson


@pytest.fixture(scope="module")
def result():
    return lesson.train_extrapolation(base=0, n_seeds=2, steps=3, eval_size=8)


def test_registered():
    assert evidence.EXPERIMENTS["08 · train_extrapolation"] is lesson.train_extrapolation
    assert lesson.train_extrapolation.notebook == "08"


def test_result_has_seeds_claims_summary_and_figure(result):
    assert set(result.runs) == set(lesson.SCHEMES) and all(len(r.models) == 2 for r in result.runs.values())
    assert result.lengths == lesson.LENGTHS and result.train_len == lesson.TRAIN_LEN
    for s in lesson.SCHEMES:
        assert len(result.ce[s]) == 2 and all(len(row) == len(lesson.LENGTHS) for row in result.ce[s])
        assert len(result.growth(s)) == 2 and len(result.excess_by_position[s][0]) == lesson.LENGTHS[-1]
    assert_experiment_result(result, (0, 1), tables=(result.loss_table(),), figures=((result.figure(), 3),))
    assert all(c.rule.startswith("in every seed") for c in result.claims)
    assert all("≈" in t for t in (result.summary(), result.loss_table(), result.table()))


def test_exact_facts_hold_in_any_trained_model(result):
    """Rows of the learned table past the training length, and T5's buckets no training pair falls
    in, get no gradient: after any training they equal their initialisation, in every seed."""
    assert all(all(flags) and len(flags) == 2 for flags in result.untouched.values())
    assert result.t5_never and 0.5 < result.t5_share < 1
    learned = result.runs["learned"].models[0].positional.table
    assert not torch.equal(learned[:lesson.TRAIN_LEN], lesson.experiment.build_model(
        lesson.model_config("learned"), 0).positional.table[:lesson.TRAIN_LEN])  # the trained rows did move


def test_loss_of_the_optimum_and_tiers_cover_the_schemes(result):
    assert sorted(n for tier in lesson.TIERS for n in tier) == sorted(lesson.SCHEMES)
    assert all(a < b + 0.2 for a, b in zip(result.optimal, result.optimal[1:]))  # the optimum barely moves with L
    for s in lesson.SCHEMES:  # a model never beats the exact law by more than sampling noise
        assert min(result.excess(s, lesson.LENGTHS[-1])) > -0.05


def test_the_figures_drawn_by_name(result):
    """The figure functions themselves, on the trained result (tests/test_figures.py checks each is
    called by name in a test)."""
    import math

    import matplotlib.pyplot as plt

    fig = lesson.plot_extrapolation(result)
    assert len(fig.axes) == 3 and fig.axes[0].get_title() == "cross-entropy against length, 2 seeds"
    mean_ce = {s: result.mean_ce(s) for s in lesson.SCHEMES}
    ax = lesson.plot_loss_by_length(result.lengths, mean_ce, result.train_len, result.optimal, seeds=result.ce)
    n = len(lesson.SCHEMES)
    assert len(ax.get_lines()) == n * (2 + 1) + 2  # per scheme: each seed, the mean; then the optimum, the training length
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [*lesson.SCHEMES, "optimal (exact next-token law)"]
    assert list(ax.get_lines()[2].get_ydata()) == mean_ce[lesson.SCHEMES[0]]
    last = result.lengths[-1]
    excess = {s: [sum(col) / len(col) for col in zip(*result.excess_by_position[s])] for s in lesson.SCHEMES}
    ax2 = lesson.plot_loss_by_position(excess, result.train_len, ylabel="cross-entropy − optimal (nats)")
    assert len(ax2.get_lines()) == n + 1 and len(ax2.get_lines()[0].get_xdata()) == last  # + the training length
    with torch.no_grad():
        bias = {f"{name}, head 0": [m.positional.score_bias(16, 16)[0, 15, 15 - torch.arange(16)] for m in result.runs[name].models]
                for name in ("t5", "shaw")}
    ax3 = lesson.plot_bias_by_distance(bias, result.train_len, title="learned score bias")
    assert len(ax3.get_lines()) == 2 * (2 + 1) and ax3.get_title() == "learned score bias"  # per scheme: seeds, mean
    assert all(math.isfinite(y) for line in ax3.get_lines() for y in line.get_ydata())
    for f in (fig, ax.figure, ax2.figure, ax3.figure):
        plt.close(f)


def test_check_refuses_a_changed_untrained_row(result):
    from dataclasses import replace

    broken = replace(result, untouched={**result.untouched, "learned rows 16-63": [True, False]})
    with pytest.raises(AssertionError, match=r"learned rows 16-63 changed in training in seeds \[1\]"):
        broken.check()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(steps=0), ValueError, r"steps must be >= 1"),  # n_seeds=1, base=-1: in tests/cases_bad_lessons.py
    (dict(eval_size=0), ValueError, r"eval_size must be >= 1"),
])
def test_bad_input_is_refused_before_training(kwargs, error, match):
    with pytest.raises(error, match=match):
        lesson.train_extrapolation(**kwargs)
