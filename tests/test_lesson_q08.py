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


def test_check_refuses_a_changed_untrained_row(result):
    from dataclasses import replace

    broken = replace(result, untouched={**result.untouched, "learned rows 16-63": [True, False]})
    with pytest.raises(AssertionError, match=r"learned rows 16-63 changed in training in seeds \[1\]"):
        broken.check()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_seeds=1), ValueError, r"n_seeds must be >= 2"),
    (dict(steps=0), ValueError, r"steps must be >= 1"),
    (dict(base=-1), ValueError, r"base must be >= 0"),
    (dict(eval_size=0), ValueError, r"eval_size must be >= 1"),
])
def test_bad_input_is_refused_before_training(kwargs, error, match):
    with pytest.raises(error, match=match):
        lesson.train_extrapolation(**kwargs)
