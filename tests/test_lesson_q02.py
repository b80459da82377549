"""Notebook 02's trained experiments at a tiny size: results, claims, tables, figures, bad input.

The claims themselves are replayed at full size by ``make claims`` (tools/claims.py); here a few
steps on two seeds check that the machinery works and that the exact facts hold in any model.
"""

from dataclasses import replace

import matplotlib

matplotlib.use("Agg")

import pytest
from conftest import assert_experiment_result
import torch

from transformer_lab import evidence
from transformer_lab.evidence import Table
from transformer_lab.lessons import q02_qk_weights as lesson
from transformer_lab.lessons.q02_qk_weights.experiment import TRAIN
from transformer_lab.stacked import train_seeds


@pytest.fixture(scope="module")
def cyclic():
    return lesson.train_cyclic(base=0, n_seeds=2, steps=3)


@pytest.fixture(scope="module")
def partner():
    return lesson.train_partner(base=0, n_seeds=2, steps=3)


def test_registered():
    assert evidence.EXPERIMENTS["02 · train_cyclic"] is lesson.train_cyclic
    assert evidence.EXPERIMENTS["02 · train_partner"] is lesson.train_partner
    assert lesson.train_cyclic.notebook == lesson.train_partner.notebook == "02"


@pytest.mark.parametrize("name", ["cyclic", "partner"])
def test_result_has_seeds_claims_summary_and_figure(name, request):
    result = request.getfixturevalue(name)
    assert all(r.seeds == (0, 1) and len(r.models) == 2 for r in result.runs.values())
    assert set(result.runs) == set(lesson.VARIANTS)
    fig = result.figure()
    assert_experiment_result(result, (0, 1), figures=((fig, len(fig.axes)),))
    assert len(fig.axes) >= 2


def test_cyclic_exact_facts_hold_in_any_model(cyclic):
    """Whatever the training did: tied scores are symmetric, the theorem bounds the right rows, and
    the self-mask leaves no weight on self."""
    assert isinstance(cyclic.attention_summary(), Table)
    K = lesson.CYCLE.n_keys
    for variant in ("tied", "tied + self-mask"):
        assert max(cyclic.per_seed(variant, "asym")) < 1e-5
        assert max(cyclic.per_seed(variant, "right_max")) <= K - 1
    assert all(x == 0.0 for x in cyclic.per_seed("tied + self-mask", "self"))
    for d in cyclic.attention["untied"]:
        assert d["by_key"].shape == (K, K)
        torch.testing.assert_close(d["by_key"].sum(-1), torch.ones(K))  # rows of attention weights


def test_the_figures_drawn_by_name(cyclic, partner):
    """The figure functions themselves (tests/test_figures.py checks each is called by name in a test)."""
    import matplotlib.pyplot as plt

    fig = lesson.plot_cyclic(cyclic)
    K = lesson.CYCLE.n_keys
    maps = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in maps] == [f"{v}: mean weights, 2 seeds" for v in lesson.VARIANTS]
    for ax in maps:  # the mean attention between keys: rows of weights
        torch.testing.assert_close(torch.as_tensor(ax.images[0].get_array().sum(1)).float(), torch.ones(K))
    assert sum(p.get_hatch() == "xx" for p in maps[-1].patches) == K  # the self-mask's diagonal
    fig2 = lesson.plot_partner(partner)
    ax_curves, ax_dots = fig2.axes
    assert ax_curves.get_title() == "partner (a ↔ b, symmetric)"
    assert len(ax_curves.get_lines()) == len(lesson.VARIANTS) * (2 + 1)  # per variant: each seed, then the mean
    assert len(ax_dots.get_xticklabels()) == len(lesson.VARIANTS)
    plt.close(fig)
    plt.close(fig2)


def test_training_sequences_are_what_training_saw():
    """The first replayed batch gives the first training loss of the untrained model."""
    task, seed = lesson.CYCLE, 7
    cfg = replace(TRAIN, steps=2, eval_every=2, eval_size=8)
    from transformer_lab.model import build_model
    from transformer_lab.train import loss_and_accuracy

    model = build_model(lesson.model_config(task), seed)
    runs = train_seeds(lesson.model_config(task), task, (seed,), cfg)
    tokens, targets = lesson.training_sequences(task, seed, cfg)
    assert tokens.shape == targets.shape == (cfg.steps * cfg.batch_size, task.seq_len)
    with torch.no_grad():
        loss, _ = loss_and_accuracy(model(tokens[:cfg.batch_size]), targets[:cfg.batch_size])
    assert loss.item() == pytest.approx(runs.histories[0].train_loss[0], rel=1e-5)


@pytest.mark.parametrize("fn", [lesson.train_cyclic, lesson.train_partner])
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


@pytest.mark.parametrize("args, error", [
    (("cycle", 0, TRAIN), TypeError),
    ((lesson.CYCLE, 0, {"steps": 2}), TypeError),
    ((lesson.CYCLE, -1, TRAIN), ValueError),
])
def test_training_sequences_refuses_bad_input(args, error):
    with pytest.raises(error):
        lesson.training_sequences(*args)
