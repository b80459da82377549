"""The explorer of notebook 05: what a head layout costs and how much rank each head keeps."""

from __future__ import annotations


import ipywidgets as W
import torch

from ..._checks import check_int
from ...multi_head import MultiHeadAttention
from ... import viz
from ...viz import Explorer
from . import figures
from .analysis import mha_head_scores, score_rank, score_spectrum
from .cost import head_cost

__all__ = ["HeadCostExplorer"]

class HeadCostExplorer(Explorer):
    """Notebook 05: slide the number of heads h at fixed ``d_model``; see the cost and each head's rank.

    Left: parameters and matmul FLOPs relative to one head, for d_k = d_model/h and for full-width
    heads (d_k = d_model), and the number of attention weights, from :func:`.cost.head_cost`. Right:
    the singular values of each head's ``(n, n)`` score matrix for a random layer (seeded) on a
    random input of ``seq_len`` tokens: at most ``min(d_k, n)`` are non-zero (Bhojanapalli et al.
    2020). All spectra are computed once in float64; an update only moves artists.
    """

    def __init__(self, d_model: int = 32, seq_len: int = 16, n_heads: int = 4, full_width: bool = False, seed: int = 0):
        check_int("d_model", d_model, minimum=2)
        check_int("seq_len", seq_len, minimum=2)
        check_int("seed", seed, minimum=0)
        if not isinstance(full_width, bool):
            raise TypeError(f"full_width must be a bool, got {type(full_width).__name__} {full_width!r}")
        self.hs = tuple(h for h in range(1, d_model // 2 + 1) if d_model % h == 0)
        if isinstance(n_heads, bool) or not isinstance(n_heads, int):
            raise TypeError(f"n_heads must be an int, one of {self.hs}, got {type(n_heads).__name__} {n_heads!r}")
        if n_heads not in self.hs:
            raise ValueError(f"n_heads must divide d_model={d_model} and be at most d_model/2: one of {self.hs}, got {n_heads!r}")
        self.d_model, self.seq_len, self.seed = d_model, seq_len, seed
        self.costs = {(h, full): head_cost(d_model, h, seq_len, d_model if full else None)
                      for h in self.hs for full in (False, True)}
        base = self.costs[(1, False)]
        # three curves, each visible: params and FLOPs coincide within a layout (params of full-width heads
        # fall short of h-fold by the output bias only), and the attention weights coincide with full width
        self.curves = {
            "d_k = d_model/h: params and matmul FLOPs": [self.costs[(h, False)].flops / base.flops for h in self.hs],
            "full-width heads (d_k = d_model): params and FLOPs": [self.costs[(h, True)].flops / base.flops
                                                                     for h in self.hs],
            "attention weights h·n² (either layout)": [self.costs[(h, False)].softmax_entries / base.softmax_entries
                                                       for h in self.hs],
        }
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(1, seq_len, d_model, generator=g, dtype=torch.float64)  # (1, n, D)
        self.spectra, self.ranks = {}, {}
        for h in self.hs:
            for full in (False, True):
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(seed)
                    mha = MultiHeadAttention(d_model, h, d_model if full else None).double()
                with torch.no_grad():
                    scores = mha_head_scores(mha, x)[0]  # (H, n, n)
                sv = score_spectrum(scores)  # (H, n)
                self.spectra[(h, full)] = (sv / sv[:, :1]).numpy()
                self.ranks[(h, full)] = score_rank(scores).tolist()
        fig, self.artists = figures.head_cost_figure(self.hs, self.curves, seq_len, max(self.hs))
        controls = {
            "n_heads": W.SelectionSlider(options=self.hs, value=n_heads, description="heads h"),
            "full_width": W.Checkbox(value=full_width, description="full-width heads (d_k = d_model)", indent=False,
                                    layout=W.Layout(width="auto")),  # the whole label shows
        }
        super().__init__(controls, fig, viz.animated_artists(self.artists))
        self.update()

    def compute(self, n_heads: int, full_width: bool) -> dict:
        cost = self.costs[(n_heads, full_width)]
        base = self.costs[(1, False)]
        return {
            "n_heads": n_heads, "full_width": full_width, "d_k": cost.head_dim, "cost": cost,
            "other": self.costs[(n_heads, not full_width)],
            "flops_ratio": cost.flops / base.flops, "params_ratio": cost.params / base.params,
            "spectra": self.spectra[(n_heads, full_width)], "ranks": self.ranks[(n_heads, full_width)],
        }

    def draw(self, state: dict) -> None:
        h = state["n_heads"]
        figures.update_head_cost(self.artists, ([h], [state["flops_ratio"]]), state["spectra"], state["d_k"])

    def readout_html(self, state: dict) -> str:
        c, o = state["cost"], state["other"]
        ranks = ", ".join(str(r) for r in state["ranks"][:16]) + (" …" if len(state["ranks"]) > 16 else "")
        other = "full-width heads" if not state["full_width"] else "heads of d_k = d_model/h"
        return (
            f"<b>h = {c.n_heads}, d_k = {c.head_dim}</b> (d_model = {c.d_model}, n = {c.seq_len}): "
            f"{c.params:,} parameters, {c.flops:,} matmul FLOPs, {c.softmax_entries:,} attention weights. "
            f"The same h with {other}: {o.params:,} parameters, {o.flops:,} FLOPs. "
            f"Rank of each head's {c.seq_len}×{c.seq_len} score matrix: {ranks} "
            f"(at most min(d_k, n) = {min(c.head_dim, c.seq_len)})."
        )
