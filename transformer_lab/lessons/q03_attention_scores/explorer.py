"""Notebook 03's explorer: how d_k and the 1/√d_k scale shape the scores and the softmax."""

from __future__ import annotations

import math

import ipywidgets as W
import torch

from ... import viz

from . import figures
from .analysis import random_scores, softmax_stats
from ..._checks import check_bool, check_choice, check_int
from ...viz import Explorer

__all__ = ["ScoreDistributionExplorer"]


class ScoreDistributionExplorer(Explorer):
    """Notebook 03: how d_k and the 1/√d_k scale shape the scores and the softmax.

    Random q, k with unit-variance entries (the setting of Vaswani et al. 2017, footnote 4):
    the histogram of the scores (fixed axes, so widths compare) with the predicted N(0, d_k) or N(0, 1), the softmax weights of
    one query over the keys, and the mean entropy of a row against d_k, with the readout of
    entropy, max weight and the norm of the softmax Jacobian.
    """

    D_KS = tuple(2**i for i in range(11))  # 1 .. 1024

    def __init__(self, d_k: int = 64, scaled: bool = False, n_keys: int = 16, n_queries: int = 64, seed: int = 0):
        check_choice("d_k", d_k, self.D_KS)
        check_bool("scaled", scaled)
        check_int("n_keys", n_keys, minimum=2)  # a softmax over one key is always 1
        check_int("n_queries", n_queries)
        check_int("seed", seed, minimum=0)
        self.n_keys, self.n_queries, self.seed = n_keys, n_queries, seed
        # Every state the two controls can reach, computed once (22 small softmaxes, ~15 ms): an
        # update only looks its numbers up. The entropy curves are drawn from the same states.
        self._states = {(d, s): self._compute(d, s) for s in (False, True) for d in self.D_KS}
        self.curves = curves = {
            label: [self._states[(d, scaled_)]["entropy"] for d in self.D_KS]
            for label, scaled_ in (("unscaled q·k", False), ("scaled q·k/√d_k", True))
        }
        fig, self.artists = figures.score_distribution_figure(n_keys, self.D_KS, curves)
        controls = {
            "d_k": W.SelectionSlider(options=self.D_KS, value=d_k, description="d_k", continuous_update=True),
            "scaled": W.Checkbox(value=scaled, description="divide by √d_k"),
        }
        super().__init__(controls, fig, viz.animated_artists(self.artists))
        self.update()
        self.renderer.cache_texts(self.artists["title"], [self.title(st) for st in self._states.values()])

    def _compute(self, d_k: int, scaled: bool) -> dict:
        scores = random_scores(d_k, scaled, self.n_queries, self.n_keys, self.seed)  # (T, S)
        return {
            "d_k": d_k,
            "scaled": scaled,
            "scores": scores,
            "row_weights": torch.softmax(scores[0], dim=-1),  # (S,)
            "predicted_var": 1.0 if scaled else float(d_k),
            **softmax_stats(scores),
        }

    def compute(self, d_k: int, scaled: bool) -> dict:
        state = self._states.get((d_k, scaled))
        return dict(state) if state is not None else self._compute(d_k, scaled)

    @staticmethod
    def title(state: dict) -> str:
        kind = "q·k/√d_k" if state["scaled"] else "q·k"
        return f"{kind}, d_k={state['d_k']}: Var={state['score_var']:.1f}"

    def draw(self, state: dict) -> None:
        figures.update_score_distribution(
            self.artists,
            state["scores"],
            state["row_weights"],
            state["d_k"],
            state["entropy"],
            state["predicted_var"],
            title=self.title(state),
        )

    def readout_html(self, state: dict) -> str:
        return (
            f"<b>d_k={state['d_k']}</b>, {'scaled' if state['scaled'] else 'unscaled'}: "
            f"score variance {state['score_var']:.2f} (predicted {state['predicted_var']:.0f}); "
            f"mean entropy {state['entropy']:.2f} of {math.log(self.n_keys):.2f} nats; "
            f"mean max weight {state['max_weight']:.2f}; "
            f"softmax Jacobian norm {state['jacobian_norm']:.3f}"
        )
