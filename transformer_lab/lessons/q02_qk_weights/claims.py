"""The source note's claims on question 二 (why Q and K use different weight matrices), checked.

Taught in ``notebooks/02_qk_weights.ipynb``, section "What the note claims, checked": one row per
claim, the note's own Chinese beside an English gloss, the verdict, the evidence measured in the
notebook (numbers from training marked ≈) and the section that shows it.
"""

from __future__ import annotations

import torch

from ...evidence import Table, approx, claims_table
from .experiment import CYCLE, CyclicTraining, PartnerTraining
from .symmetry import asymmetry

__all__ = ["note_claims"]


def _mean(xs) -> float:
    return sum(xs) / len(xs)


def note_claims(cyclic: CyclicTraining, partner: PartnerTraining, untied_scores: torch.Tensor,
                tied_weights: torch.Tensor) -> Table:
    """The note's claims with their verdicts, from the notebook's measurements: the two trained
    experiments (``cyclic``, ``partner``), and from §1 the untied score matrix and the tied attention
    weights of the same six tokens. The verdicts are fixed by what the notebook asserts; the evidence
    quotes the numbers."""
    if not isinstance(cyclic, CyclicTraining):
        raise TypeError(f"cyclic must be a CyclicTraining (lesson.train_cyclic()), got {type(cyclic).__name__}")
    if not isinstance(partner, PartnerTraining):
        raise TypeError(f"partner must be a PartnerTraining (lesson.train_partner()), got {type(partner).__name__}")
    untied_asym, weights_asym = asymmetry(untied_scores), asymmetry(tied_weights)  # both check their matrix
    acc = {v: _mean(cyclic.final(v)) for v in cyclic.runs}
    acc_p = {v: _mean(partner.final(v)) for v in partner.runs}
    tied_train = _mean(cyclic.per_seed("tied", "train_loss"))
    tied_eval, untied_eval = _mean(cyclic.runs["tied"].final_loss), _mean(cyclic.runs["untied"].final_loss)
    K = CYCLE.n_keys
    rows = [
        ("K和Q的点乘是为了得到一个attention score矩阵，用来对V进行提纯",
         "Q·Kᵀ gives the score matrix that then weights (refines) V.", "holds",
         "The package's scores, softmaxed, equal MultiHeadAttention's weights and PyTorch's SDPA.", "1"),
        ("K和Q使用了不同的W_k, W_Q来计算，可以理解为是在不同空间上的投影。正因为有了这种不同空间的投影，增加了表达能力",
         "Separate W_Q, W_K project into different spaces, which adds expressive power.", "holds",
         "Tied is the special case W_K = W_Q: symmetric, positive semidefinite, rank ≤ d_k. On a directed relation at "
         f"equal width untied beats tied by more than 0.15 in every seed (means {approx(acc['untied'])} and "
         f"{approx(acc['tied'])}); tied never gets all {K} rows right in any held-out sequence.", "1, 3a, D4"),
        ("这样计算得到的attention score矩阵的泛化能力更高",
         "Hence the score matrix generalises better.", "holds with a caveat",
         "What differs is capacity, not generalisation: the tied model underfits in every seed (loss on the "
         f"sequences it trained on {approx(tied_train)} against {approx(tied_eval)} held out; untied "
         f"{approx(untied_eval)} held out).", "3a, D4"),
        ("如果不用Q，直接拿K和K点乘的话，你会发现attention score矩阵是一个对称矩阵",
         "With K·Kᵀ (no separate Q) the score matrix is symmetric.", "holds",
         f"Asymmetry ‖S − Sᵀ‖/‖S‖ below 1e-6 tied, {untied_asym:.2f} untied, and below 1e-5 in every trained tied "
         f"model. The softmax weights are not symmetric ({weights_asym:.2f}); a shared bias keeps the symmetry.",
         "1, D2, D4"),
        ("因为是同样一个矩阵，都投影到了同样一个空间，所以泛化能力很差。这样的矩阵导致对V进行提纯的时候，效果也不会好",
         "So the tied version generalises poorly and refines V badly.", "holds with a caveat",
         f"Poor on a directed relation (untied − tied {approx(acc['untied'] - acc['tied'], '+.2f')}); on a symmetric "
         f"one tied + self-mask solves it in every seed ({approx(acc_p['tied + self-mask'])}, untied "
         f"{approx(acc_p['untied'])}). Reformer's self-mask lifts tied on the directed task up to the symmetric "
         f"ceiling {cyclic.ceiling:.2f} in some seeds, past it in none. Tokens tend to score themselves highest, "
         "not always.", "3a, 3b, D3"),
    ]
    return claims_table(rows)
