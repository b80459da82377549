"""Notebook 01's trained experiment at a tiny size: result, claims, tables, figures, bad input.

The claims themselves are replayed at full size by ``make claims`` (tools/claims.py); here a few
steps on two seeds check that the machinery works and that the exact facts hold in any model.
"""

import math

import matplotlib

matplotlib.use("Agg")

import pytest
from conftest import assert_experiment_result
import torch

import transformer_lab as tl
from transformer_lab import evidence, viz
from transformer_lab.lessons.q01_multi_head import analysis as heads01
from transformer_lab.lessons import head_layouts
from transformer_lab.lessons import q01_multi_head as lesson


@pytest.fixture(scope="module")
def result():
    return lesson.train_head_counts(base=0, n_seeds=2, steps=3)


def test_registered():
    assert evidence.EXPERIMENTS["01 · train_head_counts"] is lesson.train_head_counts
    assert lesson.train_head_counts.notebook == "01"


def test_result_has_seeds_claims_summary_and_figures(result):
    assert result.heads == lesson.HEADS and result.eval_seed == tl.eval_seed(0)
    assert all(r.seeds == (0, 1) and len(r.models) == 2 for r in result.runs.values())
    tokens, _ = lesson.TASK.batch(1, tl.seed(7, base=0))
    assert_experiment_result(result, (0, 1), tables=(result.reads_summary(), result.ablation_summary()),
                             figures=((result.figure(), 2), (result.maps_figure(tokens[0]), 8 + 1),  # a panel per head, a colour bar
                                      (result.ablation_figure(), 1)))


def test_exact_facts_hold_in_any_model(result):
    """Same parameters in every layout; one head's weights sum to 1, so found + one back <= 1; the
    reads and drops are those of the models the result keeps."""
    models = result.models(1)
    assert set(models) == {"1 head", "8 heads"}
    assert len({sum(p.numel() for p in m.parameters()) for m in models.values()}) == 1
    assert all(s <= 1 + 1e-6 for s in result.both_relations(1))
    tokens, targets = lesson.TASK.batch(lesson.TRAIN.eval_size, result.eval_seed)
    again = lesson.read_heads(result.runs[8].models[1], tokens)
    assert again["found"] == pytest.approx(result.reads[8][1]["found"])
    assert len(again["found"]) == 8 and 0 <= again["JS"] <= math.log(2) + 1e-6
    assert lesson.read_heads(result.runs[1].models[0], tokens)["JS"] is None
    ab = heads01.ablate_heads(result.runs[8].models[0], tokens, targets)
    assert result.drops[8][0] == pytest.approx([ab["baseline"]["accuracy"] - a for a in ab["accuracy"][0].tolist()])


def test_same_seed_gives_every_layout_the_same_initial_weights():
    """The comparison is paired: seed s starts 1 head and 8 heads from the same weights."""
    a, b = (tl.build_model(head_layouts.layout_config(h), 5) for h in (1, 8))
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert torch.equal(p, q), name


def test_the_figures_drawn_by_name(result):
    """The figure functions themselves, on the trained result (tests/test_figures.py checks that every
    figure function is called by name in some test)."""
    import matplotlib.pyplot as plt

    fig = lesson.plot_head_count_training(result)
    ax_curves, ax_dots = fig.axes
    assert len(ax_curves.get_lines()) == len(result.heads) * (2 + 1)  # per layout: each seed, then the mean
    assert ax_dots.get_title() == "final accuracy, every seed" and len(ax_dots.get_xticklabels()) == len(result.heads)
    tokens, _ = lesson.TASK.batch(1, tl.seed(7, base=0))
    maps = lesson.plot_head_maps(result, tokens[0], seed_index=1)
    h = max(result.heads)
    assert [ax.get_title() for ax in maps.axes[:h]] == [f"head {i}" for i in range(h)]
    for ax in maps.axes[:h]:  # each map is one head's attention weights: rows sum to 1
        torch.testing.assert_close(torch.as_tensor(ax.images[0].get_array().sum(1)).float(), torch.ones(lesson.TASK.seq_len))
    ablation = lesson.plot_head_ablation(result)
    assert len(ablation.axes) == len(result.drops)
    for ax, heads in zip(ablation.axes, result.drops):
        assert len(ax.get_lines()[0].get_xdata()) == heads and ax.get_ylabel() == "accuracy lost"
        assert all(math.isfinite(y) for line in ax.get_lines() for y in line.get_ydata())
    sketch = lesson.schematic()
    assert len(sketch.axes) == 1 and len(sketch.axes[0].images) == 4  # one illustrative pattern per head
    for f in (fig, maps, ablation, sketch):
        assert not viz.small_text(f), f"text under {viz.MIN_FONT_SIZE} pt"
        plt.close(f)


@pytest.mark.parametrize("kwargs, error", [
    ({"n_seeds": 2.0}, TypeError),  # n_seeds=1, base=-1, heads=(2, 8): in tests/cases_bad_lessons.py
    ({"steps": 0}, ValueError),
    ({"steps": 1.5}, TypeError),
    ({"base": "0"}, TypeError),
    ({"heads": (1, 3)}, ValueError),  # 3 does not divide d_model
    ({"heads": 8}, TypeError),
])
def test_bad_input_is_refused_by_name(kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        lesson.train_head_counts(**kwargs)


def test_result_methods_refuse_bad_input(result):
    with pytest.raises(ValueError, match="seed_index"):
        result.models(2)
    with pytest.raises(ValueError, match="tokens"):
        result.maps_figure(torch.zeros(2, 6, dtype=torch.long))
    with pytest.raises(ValueError, match="seed_index"):
        result.maps_figure(torch.zeros(6, dtype=torch.long), seed_index=-1)


def test_note_claims_quote_the_note_and_give_a_verdict_in_both_languages(result):
    table = lesson.note_claims(result)
    rows = str(table).splitlines()[2:]
    assert len(rows) == 4
    assert "多头的注意力有助于网络捕捉到更丰富的特征/信息" in str(table) and "卷积核" in str(table)
    assert all("**holds with a caveat** · 有条件成立" in row for row in rows)


def test_value_accuracy_scores_the_two_values_apart(result):
    """The full answer is right only when both values are; each value alone is right at least as often."""
    tokens, targets = lesson.TASK.batch(64, result.eval_seed)
    model = result.runs[8].models[0]
    parts = lesson.value_accuracy(model, tokens, targets)
    full = heads01.accuracy_without(model, tokens, targets, [])  # every head kept: the full accuracy
    assert set(parts) == {"found", "previous"}
    assert full <= min(parts.values()) + 1e-9 and max(parts.values()) <= 1


def test_accuracy_without_matches_the_one_at_a_time_ablation(result):
    tokens, targets = lesson.TASK.batch(lesson.TRAIN.eval_size, result.eval_seed)
    model = result.runs[8].models[0]
    ab = heads01.ablate_heads(model, tokens, targets)
    assert lesson.accuracy_without(model, tokens, targets, []) == pytest.approx(ab["baseline"]["accuracy"])
    for head in (0, 5):
        assert lesson.accuracy_without(model, tokens, targets, [head]) == pytest.approx(ab["accuracy"][0, head].item())
    # every head off: the attention output is zero, the same for every input of the same positions
    assert 0 <= lesson.accuracy_without(model, tokens, targets, range(8)) <= 1
