"""The explorer of notebook 01: what each head of a trained model reads, and what removing it costs."""

from __future__ import annotations

from typing import Mapping

import ipywidgets as W
import torch

from ..._checks import check_tensor
from ...tasks import IGNORE
from ... import viz
from ...viz import Explorer
from . import analysis, figures

__all__ = ["HeadPatternExplorer"]

class HeadPatternExplorer(Explorer):
    """Notebook 01: each head's attention map in trained toy models, and what removing it costs.

    ``models`` maps a label to a trained :class:`~transformer_lab.model.TinyTransformer` (all with
    the same number of layers and the same ``task``); ``examples = (tokens, targets)``, each
    ``(N, T)``, are the inputs to browse; ``eval_batch = (tokens, targets)`` is where the ablation
    and the mean attention per head are measured. Everything is computed once here (one forward
    pass per model and input set, one per ablated head); a control change only indexes those cached
    arrays, so an update is a few ms.
    Uses ``task.token_labels`` and ``task.relation_positions`` when the task has them.
    """

    def __init__(self, models: Mapping[str, torch.nn.Module], task, examples: tuple[torch.Tensor, torch.Tensor],
                 eval_batch: tuple[torch.Tensor, torch.Tensor], model: str | None = None, head: int = 0,
                 layer: int = 0, example: int = 0):
        if not isinstance(models, Mapping) or not models:
            raise ValueError(f"models must be a non-empty dict {{label: TinyTransformer}}, got {models!r}")
        for label, m in models.items():
            if not hasattr(getattr(m, "cfg", None), "n_heads"):
                raise TypeError(f"models[{label!r}] must be a transformer_lab.TinyTransformer, got {type(m).__name__}")
        n_layers = {m.cfg.n_layers for m in models.values()}
        if len(n_layers) != 1:
            raise ValueError(f"models must all have the same number of layers, got {sorted(n_layers)}")
        self.n_layers = n_layers.pop()
        tokens, targets = self._check_pair("examples", examples)  # (N, T) each
        self._check_pair("eval_batch", eval_batch)
        model = next(iter(models)) if model is None else model
        if model not in models:
            raise ValueError(f"model must be one of {list(models)}, got {model!r}")
        if isinstance(head, bool) or not isinstance(head, int) or not 0 <= head < models[model].cfg.n_heads:
            raise ValueError(f"head must be an int in [0, {models[model].cfg.n_heads}) for model {model!r}, got {head!r}")
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < self.n_layers:
            raise ValueError(f"layer must be an int in [0, {self.n_layers}), got {layer!r}")
        if isinstance(example, bool) or not isinstance(example, int) or not 0 <= example < tokens.shape[0]:
            raise ValueError(f"example must be an int in [0, {tokens.shape[0]}), got {example!r}")
        self.models, self.task, self.tokens = dict(models), task, tokens
        self.labels = [self._labels(row) for row in tokens]
        relations = getattr(task, "relation_positions", None)
        self.relations = {k: v.tolist() for k, v in relations(tokens).items()} if relations else None
        eval_tokens, eval_targets = eval_batch
        eval_relations = relations(eval_tokens) if relations else None
        scored = targets != IGNORE  # (N, T)
        self.weights, self.ablation, self.mass, self.correct = {}, {}, {}, {}
        with torch.no_grad():
            for label, m in self.models.items():
                m.eval()
                logits, cache = m(tokens, return_cache=True)  # (N, T, C)
                self.weights[label] = [cache[f"blocks.{i}.attn.weights"].numpy() for i in range(self.n_layers)]
                self.correct[label] = ((logits.argmax(-1) == targets) | ~scored).all(-1).tolist()  # (N,)
                self.ablation[label] = analysis.ablate_heads(m, eval_tokens, eval_targets)
                if eval_relations is not None:
                    _, eval_cache = m(eval_tokens, return_cache=True)
                    self.mass[label] = [
                        {name: analysis.relation_mass(eval_cache[f"blocks.{i}.attn.weights"], pos).tolist()
                         for name, pos in eval_relations.items()}
                        for i in range(self.n_layers)
                    ]
        self.max_heads = max(m.cfg.n_heads for m in self.models.values())
        chance = 1.0 / task.n_out if hasattr(task, "n_out") else None
        fig, self.artists = figures.head_pattern_figure(tokens.shape[1], self.max_heads, chance)
        options = [(f"{label} · head {i}", (label, i)) for label, m in self.models.items() for i in range(m.cfg.n_heads)]
        controls = {
            "head": W.Dropdown(options=options, value=(model, head), description="head"),
            "layer": W.Dropdown(options=list(range(self.n_layers)), value=layer, description="layer"),
            "example": W.IntSlider(value=example, min=0, max=tokens.shape[0] - 1, description="input"),
        }
        animated = viz.animated_artists(self.artists)
        super().__init__(controls, fig, animated)
        ax_map = fig.axes[0]  # one background per input: its tokens label the map's axes
        self.renderer = viz.KeyedBlitRenderer(fig, animated, keyed=[ax_map.xaxis, ax_map.yaxis])
        self.update()
        self.renderer.draw_backgrounds(range(tokens.shape[0]), self._set_labels)  # ~20 ms per input, now

    @staticmethod
    def _check_pair(name: str, pair) -> tuple[torch.Tensor, torch.Tensor]:
        """``pair = (tokens, targets)``: two integer tensors of the same ``(N, T)`` shape, N >= 1."""
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{name} must be a pair (tokens, targets) of (N, T) tensors, got {type(pair).__name__}")
        tokens, targets = pair
        check_tensor(f"{name}[0] (tokens)", tokens, ndim=2)
        check_tensor(f"{name}[1] (targets)", targets, ndim=2)
        if tokens.is_floating_point() or targets.is_floating_point() or tokens.shape != targets.shape:
            raise ValueError(f"{name} must be (tokens, targets), two integer (N, T) tensors, got shapes "
                             f"{tuple(tokens.shape)} ({tokens.dtype}) and {tuple(targets.shape)} ({targets.dtype})")
        if tokens.shape[0] == 0:
            raise ValueError(f"{name} must hold at least one sequence, got shape {tuple(tokens.shape)}")
        return tokens, targets

    def update(self, change=None) -> None:
        example = self.controls["example"].value
        self.renderer.use(example, prepare=lambda: self._set_labels(example))
        super().update(change)

    def _set_labels(self, example: int) -> None:
        figures.set_token_labels(self.fig, self.labels[example])

    def _labels(self, row: torch.Tensor) -> list[str]:
        label = getattr(self.task, "token_labels", None)
        return label(row) if label else [str(t) for t in row.tolist()]

    def compute(self, head: tuple[str, int], layer: int, example: int) -> dict:
        label, h = head
        n_heads = self.models[label].cfg.n_heads
        w = self.weights[label][layer][example, h]  # (T, T)
        found = self.relations["found"][example] if self.relations and "found" in self.relations else None
        previous = self.relations["previous"][example] if self.relations and "previous" in self.relations else None
        ab = self.ablation[label]
        state = {
            "model": label, "head": h, "n_heads": n_heads, "layer": layer, "example": example, "weights": w,
            "labels": self.labels[example], "found": found, "previous": previous,
            "ablated": ab["accuracy"][layer].tolist(), "baseline": ab["baseline"]["accuracy"],
            "correct": self.correct[label][example],
            "row_found": float(w[-1, found]) if found is not None else None,
            "row_previous": float(w[-1, previous]) if previous is not None else None,
        }
        if label in self.mass:
            state["mass"] = {name: values[h] for name, values in self.mass[label][layer].items()}
        return state

    def draw(self, state: dict) -> None:
        figures.update_head_pattern(self.artists, state["weights"], state["found"], state["previous"],
                                    state["ablated"], state["baseline"], state["head"], self.title(state))

    @staticmethod
    def title(state: dict) -> str:
        """What the figure shows, in its title: ``"8 heads · head 0 · layer 0 · input 0"``."""
        return f"{state['model']} · head {state['head']} · layer {state['layer']} · input {state['example']}"

    def readout_html(self, state: dict) -> str:
        labels, parts = state["labels"], []
        if state["found"] is not None:
            parts.append(
                f"On this input the query row ({labels[-1]}) puts <b>{state['row_found']:.2f}</b> on "
                f"{labels[state['found']]} (found by content) and <b>{state['row_previous']:.2f}</b> on "
                f"{labels[state['previous']]} (one back); the model's answer is "
                f"{'right' if state['correct'] else 'wrong'}."
            )
        if "mass" in state:
            parts.append("Over the test batch this head puts " + ", ".join(
                f"{v:.2f} on the {name} item" for name, v in state["mass"].items()) + ".")
        parts.append(f"Without it: accuracy <b>{state['ablated'][state['head']]:.2f}</b> "
                     f"(all heads: {state['baseline']:.2f}).")
        return (f"<b>{state['model']} · head {state['head']}</b> (layer {state['layer']}, input {state['example']}): "
                + " ".join(parts))
