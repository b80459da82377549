"""The note's claims about multi-head attention (question 一), checked against notebook 01's run.

:func:`note_claims` builds the table of "What the note claims, checked": each claim in the note's
own Chinese, an English gloss, the verdict, and the evidence from the trained result (numbers from
training marked ≈, :func:`~transformer_lab.evidence.approx`). Only claims the note makes.
"""

from __future__ import annotations

from ...evidence import Table, approx, claims_table
from .experiment import HeadCountTraining, _reader

__all__ = ["note_claims"]


def _mean(values) -> float:
    return sum(values) / len(values)


def note_claims(result: HeadCountTraining) -> Table:
    """The note's four claims (question 一), each with its verdict and the evidence of ``result``
    (:func:`~.experiment.train_head_counts`): one head against the most heads it trained."""
    if not isinstance(result, HeadCountTraining):
        raise TypeError(f"result must be the HeadCountTraining of lesson.train_head_counts(), got {type(result).__name__}")
    many = max(result.heads)
    reads = result.reads[many]
    on_prev = _mean([max(r["previous"]) for r in reads])
    spot_prev = _mean([r["same spot"][_reader(r, "previous")] for r in reads])
    spot_found = _mean([r["same spot"][_reader(r, "found")] for r in reads])
    cheap3 = _mean([sorted(d)[2] for d in result.drops[many]]) if many >= 3 else float("nan")
    acc1, acc_many = _mean(result.final(1)), _mean(result.final(many))
    n = len(result.seeds)
    rows = [
        ("原论文中说到进行Multi-head Attention的原因是将模型分为多个头，形成多个子空间，可以让模型去关注不同方面的信息，"
         "最后再将各个方面的信息综合起来",
         "The paper's reason: split the model into heads, forming several subspaces, so it can attend to different "
         "aspects and then combine them.",
         "holds with a caveat",
         f"Each head is a slice of W_Q, W_K, W_V (§1). With {many} heads one head reads the item one back "
         f"({approx(on_prev)} of its weight, mean of {n} seeds) while others find the item by content, in every seed "
         f"(§3b). Caveat: several heads are redundant (removing the third cheapest costs {approx(cheap3)} accuracy, §3c).",
         "1, 3b, 3c"),
        ("多次attention综合的结果至少能够起到增强模型的作用",
         "Several attentions combined will at least strengthen the model.",
         "holds with a caveat",
         f"Here {many} heads beat 1 in every seed ({approx(acc_many)} vs {approx(acc1)}, mean of {n} seeds) at the same "
         "parameter count. But one head can learn this task too, given another learning rate or more steps: the gain "
         "is reliability and speed. 'At least not worse' is not guaranteed: the paper's h = 32 is worse than h = 16.",
         "3a"),
        ("也可以类比CNN中同时使用多个卷积核的作用",
         "Like using several convolution kernels at once in a CNN.",
         "holds with a caveat",
         f"An analogy. The head reading the item one back acts like a kernel with a fixed offset (same spot "
         f"{approx(spot_prev)}), but the head reading the found item moves with the input (same spot "
         f"{approx(spot_found)}), in every seed. A kernel's weights do not depend on the input; attention's do.",
         "3b"),
        ("多头的注意力有助于网络捕捉到更丰富的特征/信息",
         "Multiple heads help the network capture richer features / information.",
         "holds with a caveat",
         f"'Richer' is not defined. Measured as what it lets the model compute: one head mostly reads one relation and "
         f"ends at {approx(acc1)}; {many} heads read both at once, which one softmax cannot (§3a, §3b).",
         "3a, 3b"),
    ]
    return claims_table(rows)
