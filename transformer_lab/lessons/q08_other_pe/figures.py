"""The figure of notebook 08's extrapolation experiment: loss against length, by position, and every seed's growth."""

from __future__ import annotations

from ... import plots

__all__ = ["plot_extrapolation"]


def plot_extrapolation(result):
    """Left: cross-entropy against the evaluation length (thin: seeds, bold: their mean; dashed: the
    optimum). Middle: the excess over the optimum at each position of the longest sequences (mean of
    the seeds). Right: each seed's growth of the excess from the training length to the longest."""
    from .experiment import SCHEMES

    fig = plots.new_figure(13, 3.8)
    ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.1, 1]})
    last = result.lengths[-1]
    plots.plot_loss_by_length(result.lengths, {s: result.mean_ce(s) for s in SCHEMES}, result.train_len,
                              result.optimal, ax=ax1, legend=False, seeds=result.ce,
                              title=f"cross-entropy against length, {len(result.seeds)} seeds")
    block = 4  # one point per 4 positions: the mean of 4·(sequences) predictions, less noisy than one position
    mean_excess = {}
    for s in SCHEMES:
        by_pos = [sum(col) / len(col) for col in zip(*result.excess_by_position[s])]  # mean of the seeds
        mean_excess[s] = [sum(by_pos[i:i + block]) / block for i in range(0, last, block)]
    plots.plot_loss_by_position(mean_excess, result.train_len, ax=ax2, ylabel="cross-entropy − optimal (nats)",
                                positions=[i + (block - 1) / 2 for i in range(0, last, block)],
                                title=f"excess by position, {last}-token sequences (mean of seeds, blocks of {block})")
    plots.plot_seed_dots({s: result.growth(s) for s in SCHEMES}, ax=ax3, ylabel="excess growth (nats)",
                         colors={s: f"C{i}" for i, s in enumerate(SCHEMES)},
                         title=f"growth of the excess, {result.train_len} → {last} tokens, every seed")
    ax3.tick_params(axis="x", labelrotation=45)
    return fig
