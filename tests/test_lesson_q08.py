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


# --- the lesson's other code: facts, buckets, RoPE's decay, the claims tables, the figures' form -------------

@pytest.fixture(scope="module")
def facts():
    import transformer_lab as tl

    built = {n: tl.make_positional(n, d_model=32, max_len=64, n_heads=8, head_dim=8) for n in lesson.SCHEMES}
    return lesson.scheme_facts(built, 32, 8, 8, seed=4)


def test_scheme_facts_read_off_the_objects(facts):
    assert {n for n, f in facts.items() if f["invariant"]} == {"none", "shaw", "t5", "rope", "alibi"}
    assert {n for n, f in facts.items() if f["by_length"]} == {"normalized"}
    assert {n: f["parameters"] for n, f in facts.items() if f["parameters"]} == {"learned": 64 * 32, "shaw": 8 * 17,
                                                                                 "t5": 32 * 8}
    assert {n for n, f in facts.items() if f["longest"] != float("inf")} == {"learned", "sinusoidal"}
    assert facts["learned"]["longest"] == 64 and facts["rope"]["family"] == "rotates q and k"
    table = str(lesson.facts_table(facts))
    assert table.count("\n") == 2 + 8 and "| normalized | added to the input | 0 |" in table and "平移不变" in table


def test_untrained_buckets_are_the_offsets_past_the_training_length_in_both_bucketings():
    assert lesson.untrained_buckets(16, 64, bidirectional=True) == ([10, 11, 12, 13], pytest.approx(0.5654, abs=1e-4))
    never, share = lesson.untrained_buckets(16, 64, bidirectional=False)
    assert never == list(range(16, 27)) and share == pytest.approx(0.5654, abs=1e-4)
    # the share is that of the causal pairs at offsets >= 16, whatever the bucketing
    assert share == pytest.approx(sum(64 - o for o in range(16, 64)) / (64 * 65 / 2))
    assert lesson.untrained_buckets(16, 16) == ([], 0.0)
    assert lesson.untrained_buckets(16, 256)[1] > 0.85


def test_rope_decay_curves_mean_is_the_mean_of_every_pair():
    from transformer_lab.positional.rotary import rope_relative_scores
    from transformer_lab.randomness import make_generator

    curves = lesson.rope_decay_curves(base=100, head_dim=16, max_distance=40, n_pairs=64, seed=3)
    g = make_generator(3)
    q, k = (torch.randn(64, 16, generator=g, dtype=torch.float64) for _ in range(2))
    every = rope_relative_scores(q, k, torch.arange(41), base=100) / 16  # (N, R)
    torch.testing.assert_close(curves["random_mean"], every.mean(0))
    torch.testing.assert_close(curves["one_random"], every[0])
    assert curves["aligned"][0] == pytest.approx(1.0) and curves["bound"][0] == pytest.approx(1.0)
    default = lesson.rope_decay_curves()
    assert default["aligned"][200:].mean() < 0.6 and default["random_mean"].abs().max() < 0.03


def test_claims_tables_quote_the_note_and_keep_the_rest_apart(result, facts):
    from transformer_lab.evidence import VERDICTS

    note = str(lesson.note_claims(result, facts))
    rows = note.splitlines()[2:]
    assert note.startswith("| 笔记原文 | the note says |") and len(rows) == 3
    assert "位置编码方式一：[0,1]区间内编码" in rows[0] and all("位置编码方式二：一种绝对位置编码" in r for r in rows[1:])
    assert all(any(f"**{v}** · {zh}" in row for v, zh in VERDICTS.items()) for row in rows)
    assert "**holds** · 成立" in rows[1] and "0.0667 at T = 16 and 0.0159 at T = 64" in rows[0]
    assert "Not in the note" not in note and "no pros and cons" not in note  # only what the note says
    beyond = str(lesson.beyond_note(result, facts, rope_offset_gap=0.0))
    assert beyond.startswith("| claim · 论断 | from · 出处 |") and len(beyond.splitlines()) == 2 + 7
    assert "RoPE extrapolates past the training length" in beyond and "< 1e-09" in beyond
    pros = str(lesson.pros_and_cons(result, facts))
    assert len(pros.splitlines()) == 2 + 9 and "| learned | added to the input | 2048 | no | no | 64 |" in pros
    assert "sits in between" not in pros + beyond


def test_claims_refuse_what_is_not_the_lesson_s(result, facts):
    with pytest.raises(TypeError, match="Extrapolation"):
        lesson.note_claims({"ce": {}}, facts)
    with pytest.raises(ValueError, match="'alibi' is missing"):
        lesson.pros_and_cons(result, {n: f for n, f in facts.items() if n != "alibi"})
    with pytest.raises(ValueError, match="rope_offset_gap"):
        lesson.beyond_note(result, facts, rope_offset_gap=-1.0)


def test_every_scheme_looks_different_and_the_colour_says_the_family(result, facts):
    styles = lesson.SCHEME_STYLE
    assert set(styles) == set(lesson.SCHEMES) == set(lesson.SCHEME_LABELS)
    looks = {(s["color"], s["ls"], s["marker"]) for s in styles.values()}
    assert len(looks) == 9 and len({(s["ls"], s["marker"]) for s in styles.values()}) == 9  # even in grey
    by_family = {}
    for n, f in facts.items():
        by_family.setdefault(f["family"], set()).add((styles[n]["ls"], styles[n]["marker"]))
    assert all(len(v) == len([n for n in facts if facts[n]["family"] == fam]) for fam, v in by_family.items())
    fig = lesson.plot_extrapolation(result)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [*lesson.SCHEME_LABELS.values(), "optimal"]
    fig.canvas.draw()  # constrained layout places the axes and the legend
    bbox = legend.get_window_extent(fig.canvas.get_renderer())
    assert all(bbox.x0 >= ax.get_window_extent().x1 for ax in fig.axes)  # the legend is off the data
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_the_figures_have_no_text_under_nine_points(result):
    import matplotlib.pyplot as plt
    from transformer_lab import viz

    with torch.no_grad():
        bias = {"T5, head 0": [m.positional.score_bias(16, 16)[0, 15, 15 - torch.arange(16)] for m in result.runs["t5"].models]}
    figures = [lesson.plot_extrapolation(result), lesson.schematic(),
               lesson.plot_rope_decay(lesson.rope_decay_curves(max_distance=40, n_pairs=8), title="t").figure,
               lesson.plot_bias_by_distance(bias, result.train_len).figure, lesson.scheme_explorer_figure(10)[0]]
    for fig in figures:
        assert not viz.small_text(fig), viz.small_text(fig)
        plt.close(fig)


def test_the_schematic_names_the_three_families_and_none():
    import matplotlib.pyplot as plt

    fig = lesson.schematic()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for family in ("ADDED TO THE INPUT", "ROTATES q AND k", "A BIAS ON THE SCORES", "NONE (NoPE)"):
        assert family in texts
    assert "ALiBi" in texts and "RoPE" in texts and "T5" in texts
    plt.close(fig)
