"""Notebook 05's experiments at a tiny size: the low-rank fit and the head-count sweep.

The claims themselves are replayed at full size by ``make claims`` (tools/claims.py); here a few
steps on two seeds check that the machinery works and that the exact facts hold in any fit.
"""

import matplotlib

matplotlib.use("Agg")

import pytest
from conftest import assert_experiment_result

import torch

from transformer_lab import evidence, viz
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
    sketch = lesson.schematic()
    assert len(sketch.axes) == 1 and len(sketch.axes[0].collections) == 4  # W_Q, Q_h, K_hᵀ, S_h
    for f in (fig, fig2, sketch):
        assert not viz.small_text(f), f"text under {viz.MIN_FONT_SIZE} pt"
        plt.close(f)


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


def test_note_claims_quote_the_note_with_the_cost_at_the_papers_size(sweep):
    table = str(lesson.note_claims(sweep))
    rows = table.splitlines()[2:]
    assert len(rows) == 5
    assert rows[1].startswith("| 也减少计算量 |") and "**does not hold** · 不成立" in rows[1]
    assert "0.302 GFLOPs and 1.05 M parameters" in rows[1] and "32× at h = 32" in rows[1]
    assert "16,384 at h = 1 vs 524,288 at h = 32" in rows[2]


def test_the_fit_is_torch_adam_with_a_cosine_schedule_bit_for_bit():
    """The fit steps Adam itself (torch's update, without torch.optim.Adam's 2-second first call) and
    decays the rate as CosineAnnealingLR does: the same fitted patterns, bit for bit."""
    import math

    targets = torch.stack([heads05.random_attention_pattern(5, seed=3), heads05.permutation_pattern(5, seed=4)])
    ours = heads05.fit_attention_patterns(targets, [1, 3], [3, 4], steps=12, lr=0.05)["fitted"]
    N, K, n, D, d_max = 2, 2, 5, 10, 3
    xs, wq0, wk0 = [], [], []
    for s in (3, 4):  # the draws of fit_attention_patterns, in its order
        g = torch.Generator().manual_seed(s)
        xs.append(torch.randn(n, D, generator=g, dtype=torch.float64))
        wq0.append(torch.randn(D, d_max, generator=g, dtype=torch.float64) / math.sqrt(D))
        wk0.append(torch.randn(D, d_max, generator=g, dtype=torch.float64) / math.sqrt(D))
    p, x = targets.double()[:, None], torch.stack(xs)[:, None]
    keep = (torch.arange(d_max)[None, :] < torch.tensor([1, 3])[:, None]).double()[:, None, :]
    w_q = (torch.stack(wq0)[:, None] * keep).requires_grad_(True)
    w_k = (torch.stack(wk0)[:, None] * keep).requires_grad_(True)
    scale = torch.tensor([1.0, 1 / math.sqrt(3)], dtype=torch.float64)[:, None, None]
    opt = torch.optim.Adam([w_q, w_k], lr=0.05)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12)

    def scores():
        return (x @ (w_q * keep)) @ (x @ (w_k * keep)).transpose(-1, -2) * scale

    for _ in range(12):
        loss = -(p * torch.log_softmax(scores(), dim=-1)).sum(-1).mean(-1).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    with torch.no_grad():
        theirs = torch.log_softmax(scores(), dim=-1).exp()
    assert torch.equal(ours, theirs)
