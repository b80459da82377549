"""What the source note claims about ×√d_model, checked against notebook 06's measurements.

The note answers question 六 in one sentence: "embedding matrix的初始化方式是xavier init，这种方式的方差是
1/embedding size，因此乘以embedding size的开方使得embedding matrix的方差是1，在这个scale下可能更有利于
embedding matrix的收敛". :func:`note_claims` splits it into its four claims, each a row of
:func:`transformer_lab.claims_table` with its verdict computed from the notebook's numbers.
"""

from __future__ import annotations

import statistics
from typing import Mapping

from ..._checks import check_int, check_number
from ...evidence import Table, approx, claims_table
from .analysis import EMBED_INITS, init_variance
from .experiment import EmbeddingTraining

__all__ = ["note_claims"]


def note_claims(
    stats: Mapping[tuple[str, bool], Mapping[str, float]],
    result: EmbeddingTraining,
    vocab_size: int,
    d_model: int,
    default_variance: float,
) -> Table:
    """The note's four claims on ×√d_model, with verdicts computed from notebook 06's numbers.

    ``stats``: ``{(init, scale): embedding_stats(...)}`` for every init of :data:`EMBED_INITS`, with and
    without the scale, measured at ``vocab_size`` × ``d_model``; ``result``: the trained experiment
    (:func:`train_embedding_scale`); ``default_variance``: the measured variance of a default
    ``nn.Embedding``.
    """
    if not isinstance(stats, Mapping):
        raise TypeError(f"stats must be a dict {{(init, scale): embedding_stats(...)}}, got {type(stats).__name__}")
    missing = [(i, s) for i in EMBED_INITS for s in (False, True) if (i, s) not in stats]
    if missing:
        raise ValueError(f"stats must hold every (init, scale) of {EMBED_INITS} × (False, True); missing {missing}")
    if any("variance" not in row or "ratio" not in row for row in stats.values()):
        raise ValueError("stats values must be embedding_stats(...) dicts, with 'variance' and 'ratio'")
    if not isinstance(result, EmbeddingTraining):
        raise TypeError(f"result must be the EmbeddingTraining of train_embedding_scale(), got {type(result).__name__}")
    check_int("vocab_size", vocab_size)
    check_int("d_model", d_model)
    check_number("default_variance", default_variance, above=0)

    xavier = init_variance("xavier", vocab_size, d_model)
    xavier_vs_note = (1 / d_model) / xavier
    unit_only_for_small = (abs(stats["scaled_normal", True]["variance"] - 1) < 0.05
                           and stats["xavier", True]["variance"] < 0.5 and stats["normal", True]["variance"] > 100)
    final = {label: statistics.mean(result.final(label)) for label in result.runs}
    early = {label: statistics.mean(result.early(label)) for label in result.runs}
    helps = result.claim("×√d gives N(0, 1/d) a head start").holds
    hurts = result.claim("×√d on N(0, 1) drowns the positions").holds or result.claim("tied, ×√d falls behind").holds
    converge = "holds with a caveat" if helps and hurts else "holds" if helps else "does not hold"
    untied = min(final[k] for k in ("normal", "scaled_normal", "scaled_normal ×√d"))

    rows = [
        ("embedding matrix的初始化方式是xavier init", "The embedding matrix is initialised with Xavier.",
         "holds with a caveat",
         "Implementation-dependent: the paper does not say. The Annotated Transformer applies Xavier to every "
         "matrix, embeddings included; PyTorch's nn.Embedding draws N(0, 1) (variance "
         f"{default_variance:.2f} measured); fairseq and tensor2tensor draw N(0, 1/d). Under Xavier the next two "
         "claims fail, so the conclusion does not follow either way.", "1"),
        ("这种方式的方差是1/embedding size", "Xavier's variance is 1/embedding size.",
         "does not hold" if xavier_vs_note > 2 else "holds",
         f"For a V×d matrix it is 2/(V+d) (fan_in = d, fan_out = V): at V = {vocab_size}, d = {d_model}, "
         f"{xavier:.2e}, measured {stats['xavier', False]['variance']:.2e}, {xavier_vs_note:.0f}× smaller than "
         "1/d. It equals 1/d only when V = d.", "1"),
        ("因此乘以embedding size的开方使得embedding matrix的方差是1", "So multiplying by √d gives variance 1.",
         "holds with a caveat" if unit_only_for_small else "does not hold",
         f"Only for N(0, 1/d): variance after ×√d {stats['scaled_normal', True]['variance']:.3f}; Xavier gives "
         f"{stats['xavier', True]['variance']:.3f}, PyTorch's default {stats['normal', True]['variance']:.0f}.", "1"),
        ("在这个scale下可能更有利于embedding matrix的收敛", "At that scale the embedding may converge better.",
         converge,
         f"With N(0, 1/d) it gives a head start ({approx(early['scaled_normal ×√d'])} vs "
         f"{approx(early['scaled_normal'])} at step {result.early_step}, ahead in every seed), by balancing tokens "
         f"against positions (‖token‖/‖PE‖ = {stats['scaled_normal', True]['ratio']:.2f} vs "
         f"{stats['scaled_normal', False]['ratio']:.3f} at d = {d_model}), not through √d faster Adam steps. It "
         f"hurts with N(0, 1) in every seed ({approx(final['normal ×√d'])} post-LN, "
         f"{approx(final['normal ×√d, pre-LN'])} pre-LN, against ≥ {approx(untied)} for the other untied "
         f"settings). And it interacts with tying: tied and ×√d fails in every seed "
         f"({approx(final['scaled_normal ×√d, tied'])} vs {approx(final['scaled_normal, tied'])} tied alone).",
         "3, D4, D5"),
    ]
    return claims_table(rows)
