"""Notebook 02's explorer: what tying W_Q = W_K does to the score matrix."""

from __future__ import annotations

import ipywidgets as W
import torch

from ... import viz

from . import figures
from ...attention import masked_softmax
from .analysis import QK_INPUTS, qk_inputs, qk_scores, random_qk_weights
from .symmetry import asymmetry, mutual_top_pairs, self_argmax_rate, symmetric_eigenvalues
from ..._checks import check_choice, check_int
from ...viz import Explorer

__all__ = ["SymmetricQKExplorer"]


class SymmetricQKExplorer(Explorer):
    """Notebook 02: toggle W_Q = W_K, slide d_k, choose the input tokens; see the scores.

    ``T`` tokens ``X (T, D)`` from :func:`.analysis.qk_inputs`, projections without bias
    (so tied scores are exactly ``X W Wᵀ Xᵀ/√d_k``) with N(0, 1/D) weights; d_k keeps the first
    d_k columns of fixed 64-wide matrices, so sliding it adds dimensions. Left: the scores divided
    by their largest magnitude, each row's top key circled. Middle: the attention weights after
    the row softmax (optionally with attention to self masked, Reformer's fix). Right: the
    eigenvalues of ``(S + Sᵀ)/2``, negative ones in red. The readout gives the asymmetry of the
    scores and of the weights, the self-argmax rate and the number of mutual top pairs.
    """

    D_KS = (1, 2, 4, 8, 16, 32, 64)

    def __init__(self, tied: bool = True, d_k: int = 4, inputs: str = "equal norms", mask_self: bool = False,
                 T: int = 10, D: int = 32, seed: int = 0):
        check_choice("d_k", d_k, self.D_KS)
        check_choice("inputs", inputs, QK_INPUTS)
        for name, value in (("tied", tied), ("mask_self", mask_self)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool, got {value!r}")
        check_int("T", T, minimum=2)
        check_int("D", D, minimum=2)
        check_int("seed", seed, minimum=0)
        self.T, self.D, self.seed = T, D, seed
        self.xs = {kind: qk_inputs(kind, T, D, seed) for kind in QK_INPUTS}  # each (T, D)
        self.w_q, self.w_k = random_qk_weights(D, max(self.D_KS), seed)  # (D, 64) each
        self.no_self = ~torch.eye(T, dtype=torch.bool)  # (T, T) keep-mask without the diagonal
        self._states: dict[tuple, dict] = {}
        fig, self.artists = figures.qk_explorer_figure(T)
        controls = {
            "tied": W.Checkbox(value=tied, description="W_Q = W_K (tied)"),
            "mask_self": W.Checkbox(value=mask_self, description="mask self (Reformer)"),
            "d_k": W.SelectionSlider(options=self.D_KS, value=d_k, description="d_k", continuous_update=True),
            "inputs": W.Dropdown(options=QK_INPUTS, value=inputs, description="inputs"),
        }
        super().__init__(controls, fig, viz.animated_artists(self.artists))
        self.update()

    def compute(self, tied: bool, mask_self: bool, d_k: int, inputs: str) -> dict:
        key = (tied, mask_self, d_k, inputs)  # at most 2 * 2 * 7 * 3 = 84 states: each is computed once
        if key not in self._states:
            self._states[key] = self._compute(*key)
        return dict(self._states[key])

    def _compute(self, tied: bool, mask_self: bool, d_k: int, inputs: str) -> dict:
        x = self.xs[inputs]  # (T, D)
        w_q = self.w_q[:, :d_k]  # (D, Dh)
        w_k = None if tied else self.w_k[:, :d_k]  # (D, Dh) or tied
        scores = qk_scores(x, w_q, w_k)  # (T, T)
        weights = masked_softmax(scores, self.no_self if mask_self else None)  # (T, T)
        eig = symmetric_eigenvalues(scores)  # (T,)
        tol = 1e-5 * float(eig.abs().max())
        return {
            "tied": tied,
            "mask_self": mask_self,
            "d_k": d_k,
            "inputs": inputs,
            "scores": scores,
            "weights": weights,
            "eigenvalues": eig,
            "score_asymmetry": float(asymmetry(scores)),
            "weight_asymmetry": float(asymmetry(weights)),
            "self_argmax_rate": float(self_argmax_rate(scores)),
            "n_negative": int((eig < -tol).sum()),
            "rank": int((eig.abs() > tol).sum()),
            "mutual_pairs": int(mutual_top_pairs(scores, exclude_self=True)),
        }

    def draw(self, state: dict) -> None:
        figures.update_qk_explorer(
            self.artists,
            state["scores"],
            state["weights"],
            state["eigenvalues"],
            state["mask_self"],
        )

    def readout_html(self, state: dict) -> str:
        kind = "tied W_Q = W_K" if state["tied"] else "separate W_Q, W_K"
        psd = (
            "all eigenvalues ≥ 0: S is positive semidefinite"
            if state["n_negative"] == 0
            else f"{state['n_negative']} negative eigenvalue(s) of (S+Sᵀ)/2: not positive semidefinite"
        )
        return (
            f"<b>{kind}, d_k={state['d_k']}, inputs: {state['inputs']}</b>"
            f"{', attention to self masked' if state['mask_self'] else ''}: "
            f"asymmetry ‖S−Sᵀ‖/‖S‖ of the scores {state['score_asymmetry']:.3f}, "
            f"of the weights ‖A−Aᵀ‖/‖A‖ {state['weight_asymmetry']:.3f}; "
            f"{state['self_argmax_rate']:.0%} of tokens score themselves highest; "
            f"rank {state['rank']} of {self.T}; {psd}; "
            f"{state['mutual_pairs']} mutual top pair(s) with self excluded"
        )
