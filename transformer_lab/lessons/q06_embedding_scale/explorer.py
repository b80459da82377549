"""Notebook 06's explorer: how the initialisation and ×√d_model set the size of a token embedding."""

from __future__ import annotations

import math

import ipywidgets as W


from . import figures
from .analysis import (
    EMBED_INITS,
    embedding_stats,
    init_variance,
    positional_norm,
    predicted_norm_ratio,
    sample_token_embeddings,
)
from ..._checks import check_bool, check_choice, check_int
from ...viz import Explorer

__all__ = ["EmbeddingScaleExplorer"]


class EmbeddingScaleExplorer(Explorer):
    """Notebook 06: slide d_model and the vocabulary size, pick the initialisation, toggle ×√d_model.

    ``n_tokens`` token embeddings are drawn from the chosen initialisation (entries are i.i.d., so
    this is exact in distribution and cheap for any vocabulary) and compared with the sinusoidal
    encoding, whose norm is √(d_model/2) at every position. Left: the mean token norm, the PE
    norm, and the std of the initial logits if the output layer is tied (√(d_model·var)).
    Right: their ratio against d_model for every (init, scale), the current one circled.
    """

    D_MODELS = (16, 32, 64, 128, 256, 512, 1024)
    VOCAB_SIZES = (1000, 8000, 32000, 128000)

    def __init__(self, d_model: int = 512, init: str = "normal", scale: bool = True, vocab_size: int = 32000,
                 n_tokens: int = 256, seed: int = 0):
        check_choice("d_model", d_model, self.D_MODELS)
        check_choice("init", init, EMBED_INITS)
        check_bool("scale", scale)
        check_choice("vocab_size", vocab_size, self.VOCAB_SIZES)
        check_int("n_tokens", n_tokens)
        check_int("seed", seed, minimum=0)
        self.n_tokens, self.seed = n_tokens, seed
        self._curves = {v: self.curves(v) for v in self.VOCAB_SIZES}  # 4 * 42 closed forms, once
        self._states: dict[tuple, dict] = {}  # each reachable state is computed once
        fig, self.artists = figures.embedding_scale_figure(self.D_MODELS, self._curves[vocab_size])
        controls = {
            "d_model": W.SelectionSlider(options=self.D_MODELS, value=d_model, description="d_model",
                                         continuous_update=True),
            "init": W.ToggleButtons(options=EMBED_INITS, value=init, description="init",
                                    style={"button_width": "110px"}),
            "scale": W.Checkbox(value=scale, description="× √d_model"),
            "vocab_size": W.SelectionSlider(options=self.VOCAB_SIZES, value=vocab_size, description="vocab V",
                                            continuous_update=True),
        }
        super().__init__(controls, fig, figures.embedding_scale_moving(self.artists))
        self.update()

    def curves(self, vocab_size: int) -> dict[tuple[str, bool], list[float]]:
        """Predicted ``‖token‖ / ‖PE‖`` at every d_model, for every (init, scale)."""
        return {(init, scale): [predicted_norm_ratio(init, vocab_size, d, scale) for d in self.D_MODELS]
                for init in EMBED_INITS for scale in (False, True)}

    def compute(self, d_model: int, init: str, scale: bool, vocab_size: int) -> dict:
        key = (d_model, init, scale, vocab_size)
        if key not in self._states:
            self._states[key] = self._compute(*key)
        return dict(self._states[key])

    def _compute(self, d_model: int, init: str, scale: bool, vocab_size: int) -> dict:
        rows = sample_token_embeddings(init, vocab_size, d_model, self.n_tokens, seed=self.seed)  # (N, D)
        stats = embedding_stats(rows, scale=scale)
        var = init_variance(init, vocab_size, d_model)
        return {
            "d_model": d_model,
            "init": init,
            "scale": scale,
            "vocab_size": vocab_size,
            "init_variance": var,
            "predicted_variance": var * (d_model if scale else 1),
            "measured_variance": stats["variance"],
            "token_norm": stats["mean_norm"],
            "pe_norm": positional_norm(d_model),
            "ratio": stats["ratio"],
            "predicted_ratio": predicted_norm_ratio(init, vocab_size, d_model, scale),
            "tied_logit_std": math.sqrt(d_model * var),
            "curves": self._curves[vocab_size],
        }

    def draw(self, state: dict) -> None:
        sizes = (state["token_norm"], state["pe_norm"], state["tied_logit_std"])
        figures.update_embedding_scale(self.artists, sizes, state["d_model"], state["ratio"], state["curves"])

    def readout_html(self, state: dict) -> str:
        r = state["ratio"]
        verdict = ("tokens drown the positions" if r > 3 else "positions drown the tokens" if r < 1 / 3
                   else "tokens and positions are comparable")
        return (
            f"<b>{state['init']}{' × √d_model' if state['scale'] else ''}, d_model={state['d_model']}, "
            f"V={state['vocab_size']}</b>: entry variance {state['predicted_variance']:.4g} "
            f"(measured {state['measured_variance']:.4g}); ‖token‖ {state['token_norm']:.3g} vs "
            f"‖PE‖ = √(d/2) = {state['pe_norm']:.3g}: ratio <b>{r:.3g}</b>, {verdict}; "
            f"initial logit std if tied: {state['tied_logit_std']:.3g}"
        )
