"""Notebook 04's explorer: a padded batch, its attention weights, and where the mask fails."""

from __future__ import annotations

import math

import ipywidgets as W
import torch

from ... import viz

from . import figures
from .analysis import DTYPES, FILLS, FORMS, classify_row, fill_value, leaked_mass, plain_masked_softmax
from ...masks import causal_mask, combine_masks, fully_masked_rows, padding_mask
from ...randomness import make_generator
from ..._checks import check_bool, check_choice, check_int
from ...viz import Explorer

__all__ = ["PaddingMaskExplorer"]


class PaddingMaskExplorer(Explorer):
    """Notebook 04: a batch of sequences of different lengths, padded, and self-attention over it.

    Scores are ``scale * z`` with ``z`` i.i.d. N(0, 1) (fixed by ``seed``), computed in the chosen
    dtype and masked the plain way (:func:`.analysis.plain_masked_softmax`): the
    fill is *added* (an additive mask) or *set* over the masked scores (``masked_fill``). One
    heatmap per sequence (rows = queries, columns = keys; hatched = the cells a correct mask
    removes, so any colour under a hatch is leaked attention; red = NaN) and the mean attention
    mass leaked onto masked keys by the real queries of each sequence.

    It opens on the correct mask (``-inf``, scores of spread 1); the edge cases are one control away.

    Controls: ``mask`` on/off, ``form`` (add/set), ``fill`` (one of ``FILLS``), ``dtype``
    (float32/float16/bfloat16), ``scale`` (the score spread), ``side`` (right/left padding) and
    ``causal`` (add a causal mask: with left padding the pad queries then have no key at all).
    """

    SCALES = (1, 10, 100, 300, 1000, 3000)

    def __init__(
        self,
        lengths=(6, 4, 2),
        mask: bool = True,
        form: str = "add",
        fill: str = "-inf",
        dtype: str = "float32",
        scale: int = 1,
        side: str = "right",
        causal: bool = False,
        seed: int = 0,
    ):
        if isinstance(lengths, (str, bytes)) or not hasattr(lengths, "__iter__"):
            raise TypeError(f"lengths must be a sequence of ints (one length per sequence), got {type(lengths).__name__}")
        lengths = tuple(lengths)
        if not lengths or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in lengths):
            raise ValueError(f"lengths must be a non-empty sequence of ints >= 1, got {lengths!r}")
        if len(lengths) > 4 or max(lengths) > 12:
            raise ValueError(f"lengths must hold at most 4 sequences of length <= 12 (to stay readable), got {lengths!r}")
        for name, value, allowed in (("form", form, FORMS), ("fill", fill, FILLS), ("dtype", dtype, tuple(DTYPES)),
                                     ("scale", scale, self.SCALES), ("side", side, ("right", "left"))):
            check_choice(name, value, allowed)
        check_bool("mask", mask)
        check_bool("causal", causal)
        check_int("seed", seed, minimum=0)
        self.lengths, self.seed = lengths, seed
        self.max_len = S = max(lengths)
        B = len(lengths)
        self.z = torch.randn(B, S, S, generator=make_generator(seed))  # (B, T, S): unit-variance scores
        self._states: dict[tuple, dict] = {}
        fig, self.artists = figures.padding_mask_figure(lengths, S)
        controls = {
            "mask": W.Checkbox(value=mask, description="apply the mask", indent=False),
            "form": W.ToggleButtons(options=FORMS, value=form, description="fill is",
                                    tooltips=["added to the scores (additive mask)", "set over the scores (masked_fill)"],
                                    style={"button_width": "48px"}),
            "fill": W.Dropdown(options=FILLS, value=fill, description="fill", layout=W.Layout(width="170px")),
            "dtype": W.Dropdown(options=tuple(DTYPES), value=dtype, description="dtype", layout=W.Layout(width="170px")),
            "scale": W.SelectionSlider(options=self.SCALES, value=scale, description="score scale",
                                       continuous_update=False),
            "side": W.ToggleButtons(options=("right", "left"), value=side, description="padding",
                                    style={"button_width": "56px"}),
            "causal": W.Checkbox(value=causal, description="causal", indent=False),
        }
        super().__init__(controls, fig, viz.animated_artists(self.artists))
        c = controls
        self.widget.children = (W.HBox([c["mask"], c["form"], c["fill"], c["dtype"]]),
                                W.HBox([c["scale"], c["side"], c["causal"]]), self.message, self.image, self.readout)
        self.update()

    def compute(self, mask: bool, form: str, fill: str, dtype: str, scale: int, side: str, causal: bool) -> dict:
        key = (mask, form, fill, dtype, scale, side, causal)  # a finite set of states: each is computed once
        if key not in self._states:
            self._states[key] = self._compute(*key)
        return dict(self._states[key])

    def _compute(self, mask: bool, form: str, fill: str, dtype: str, scale: int, side: str, causal: bool) -> dict:
        B, S = len(self.lengths), self.max_len
        dt = DTYPES[dtype]
        real = padding_mask(self.lengths, S, side=side)  # (B, S): real tokens
        allowed = combine_masks(causal_mask(S) if causal else None, real[:, None, :]).expand(B, S, S)  # (B, T, S)
        scores = (scale * self.z).to(dt)  # (B, T, S)
        value = fill_value(fill, dt)
        representable = value == float("-inf") or value >= torch.finfo(dt).min
        error = None
        if mask:
            try:
                weights = plain_masked_softmax(scores, allowed, fill, form).float()  # (B, T, S)
            except ValueError as e:
                error = str(e).split(" (its minimum")[0]
                weights = torch.full((B, S, S), float("nan"))
        else:
            weights = torch.softmax(scores, dim=-1).float()  # (B, T, S)
        leak_rows = leaked_mass(weights, allowed)  # (B, T)
        dead = fully_masked_rows(allowed)  # (B, T): pad queries under left padding + causal
        leaks, dead_kinds = [], []
        for b in range(B):
            rows = real[b] & ~dead[b]  # real queries that have at least one key
            leaks.append(leak_rows[b][rows].mean().item())
            kinds = sorted({classify_row(weights[b, t], torch.softmax(scores[b, t].float(), -1)) for t in
                            torch.nonzero(dead[b]).flatten().tolist()})
            dead_kinds.append(kinds)
        return {
            "mask": mask, "form": form, "fill": fill, "dtype": dtype, "scale": scale, "side": side,
            "causal": causal, "fill_value": value, "representable": representable, "error": error,
            "weights": weights, "masked": ~allowed, "leaks": leaks, "n_dead": dead.sum(-1).tolist(),
            "dead_kinds": dead_kinds,
        }

    @staticmethod
    def status(state: dict) -> str:
        """One line on top of the figure (the readout has the rest; text is slow to draw)."""
        if not state["mask"]:
            return f"no mask: pads take part · {state['dtype']} · scale {state['scale']}"
        if state["error"]:
            return f"set {state['fill']} · {state['dtype']}: masked_fill raises (overflow), no weights"
        fill = state["fill"] if state["representable"] else f"{state['fill']}→-inf"
        text = f"{state['form']} {fill} · {state['dtype']} · scale {state['scale']}"
        dead = sum(state["n_dead"])
        if dead:
            kinds = "/".join(sorted({k for ks in state["dead_kinds"] for k in ks}))
            text += f" · {dead} rows with no key: {kinds}"
        return text

    def draw(self, state: dict) -> None:
        weights = None if state["error"] else state["weights"]
        figures.update_padding_mask(self.artists, weights, state["masked"], state["leaks"], self.status(state))

    def readout_html(self, state: dict) -> str:
        leaks = ", ".join("NaN" if math.isnan(x) else f"{x:.1e}" for x in state["leaks"])
        what = "no mask" if not state["mask"] else (
            f"fill {state['fill']} ({state['fill_value']:g}) {'added to' if state['form'] == 'add' else 'set over'} "
            f"the masked scores")
        extra = ""
        if state["error"]:
            extra = f"; <b>error</b>: {state['error']}"
        elif state["mask"] and not state["representable"]:
            extra = f"; <b>{state['fill']} is not representable in {state['dtype']}: it silently became -inf</b>"
        dead = sum(state["n_dead"])
        if dead:
            extra += f"; {dead} query rows have no key ({', '.join(sorted({k for ks in state['dead_kinds'] for k in ks}))})"
        return (f"<b>{what}</b>, {state['dtype']}, score scale {state['scale']}, {state['side']} padding"
                f"{', causal' if state['causal'] else ''}: leaked mass per sequence {leaks}{extra}")
