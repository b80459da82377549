"""Notebook 08's explorer: what each positional scheme does to the (query, key) scores, as a map and against distance."""

from __future__ import annotations

import ipywidgets as W
import torch

from ... import viz

from . import figures
from ...masks import causal_mask
from ...attention import masked_softmax
from .analysis import count_parameters, scheme_family, score_pattern, translation_gap
from ...positional import POSITIONAL_SCHEMES, AlibiPositional, PositionalScheme, RotaryPositional, make_positional
from ..._checks import check_bool, check_choice, check_int
from ...viz import Explorer

__all__ = ["PositionalSchemeExplorer"]

SAME_LINE = 1e-4  # queries' lines closer than this (in units of the largest |score|) are one line: float32 rounding


class PositionalSchemeExplorer(Explorer):
    """Notebook 08: pick a scheme and a head; see the scores position alone produces.

    Left: the (query, key) score pattern of one head when every position carries the same content
    (:func:`.analysis.score_pattern`: q = k at every position, so RoPE's pattern is its aligned
    "long-term decay"), row-centred and scaled to [-1, 1] (the softmax ignores a constant per row);
    middle: its softmax weights, with or without a causal mask; right: the same scores against the
    distance r back to the key, one line per query, coloured by the query's position. A scheme that
    sees only the offset (translation invariant) draws one line, every query agreeing; an absolute
    one draws a fan. ``base`` is RoPE's base (it changes the ``rope`` scheme only).

    ``schemes`` (name -> built :class:`~transformer_lab.positional.PositionalScheme`, width
    ``n_heads·head_dim``) replaces the freshly initialised ones, e.g. with trained schemes.
    """

    BASES = (100, 1000, 10000, 100000)

    def __init__(self, scheme: str = "alibi", head: int = 0, causal: bool = True, base: int = 10000, T: int = 24,
                 n_heads: int = 8, head_dim: int = 8, schemes: dict[str, PositionalScheme] | None = None,
                 seed: int = 0):
        check_choice("base", base, self.BASES)
        check_bool("causal", causal)
        check_int("T", T, minimum=3)  # the translation test shifts T // 2 positions by T // 3
        check_int("n_heads", n_heads)
        if check_int("head_dim", head_dim, minimum=2) % 2:
            raise ValueError(f"head_dim must be even (RoPE rotates pairs of dims), got {head_dim}")
        check_int("seed", seed, minimum=0)
        if schemes is not None and not isinstance(schemes, dict):
            raise TypeError(f"schemes must be a dict {{name: PositionalScheme}} or None, got {type(schemes).__name__}")
        for name, s in (schemes or {}).items():
            if not isinstance(name, str):
                raise TypeError(f"schemes must have str names, got {name!r}")
            if not isinstance(s, PositionalScheme):
                raise TypeError(f"schemes[{name!r}] must be a PositionalScheme, got {type(s).__name__}")
        names = sorted(set(POSITIONAL_SCHEMES) | set(schemes or {}))
        if scheme not in names:
            raise ValueError(f"scheme must be one of {names}, got {scheme!r}")
        if isinstance(head, bool) or not isinstance(head, int) or not 0 <= head < n_heads:
            raise ValueError(f"head must be an int in [0, {n_heads - 1}], got {head!r}")
        self.T, self.n_heads, self.head_dim = T, n_heads, head_dim
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            built = {
                name: make_positional(name, d_model=n_heads * head_dim, max_len=T, n_heads=n_heads, head_dim=head_dim)
                for name in POSITIONAL_SCHEMES
            }
        built.update(schemes or {})
        self.schemes = built
        self.facts = {
            name: {
                "family": scheme_family(s),
                "parameters": count_parameters(s),
                "invariant": translation_gap(s, n_heads * head_dim, n_heads, head_dim, T=T // 2, shift=T // 3, seed=seed) < 1e-6,
            }
            for name, s in built.items()
        }
        self._rope_cache: dict[int, RotaryPositional] = {}
        self._pattern_cache: dict[tuple, torch.Tensor] = {}
        self._states: dict[tuple, dict] = {}
        fig, self.artists = figures.scheme_explorer_figure(T)
        controls = {
            "scheme": W.Dropdown(options=sorted(built), value=scheme, description="scheme"),
            "head": W.IntSlider(value=head, min=0, max=n_heads - 1, description="head", continuous_update=True),
            "causal": W.Checkbox(value=causal, description="causal mask"),
            "base": W.SelectionSlider(options=self.BASES, value=base, description="RoPE base"),
        }
        super().__init__(controls, fig, viz.animated_artists(self.artists))
        self.update()
        # the title is the one text that moves: draw the heads of the shown scheme once now (~3 ms each), not on
        # an update; another scheme's titles are drawn (and kept) the first time they are shown
        self.renderer.cache_texts(self.artists["title_scores"], [
            self.title(scheme, h, self._slope(scheme, h)) for h in range(n_heads)])

    def _scheme(self, name: str, base: int) -> PositionalScheme:
        if name == "rope" and isinstance(self.schemes["rope"], RotaryPositional):
            if base not in self._rope_cache:
                self._rope_cache[base] = RotaryPositional(self.head_dim, base=base, layout=self.schemes["rope"].layout)
            return self._rope_cache[base]
        return self.schemes[name]

    def _patterns(self, scheme: str, base: int) -> torch.Tensor:
        """Every head's score pattern ``(H, T, T)`` of a scheme (cached: the base matters for RoPE only)."""
        key = (scheme, base if scheme == "rope" and isinstance(self.schemes["rope"], RotaryPositional) else None)
        if key not in self._pattern_cache:  # the same test as _scheme's: only a RotaryPositional is rebuilt per base
            self._pattern_cache[key] = score_pattern(self._scheme(scheme, base), self.T, self.n_heads, self.head_dim)
        return self._pattern_cache[key]

    def compute(self, scheme: str, head: int, causal: bool, base: int) -> dict:
        key = (scheme, head, causal, base)  # 9 schemes x 8 heads x 2 x 4 bases: each state is computed once
        if key not in self._states:
            self._states[key] = self._compute(*key)
        return dict(self._states[key])

    def _compute(self, scheme: str, head: int, causal: bool, base: int) -> dict:
        pattern = self._patterns(scheme, base)[head]  # (T, T)
        keep = causal_mask(self.T) if causal else torch.ones(self.T, self.T, dtype=torch.bool)  # (T, T)
        weights = masked_softmax(pattern, keep)  # (T, T)
        kept = pattern.masked_fill(~keep, float("nan"))  # (T, T)
        centred = kept - kept.nanmean(dim=-1, keepdim=True)  # (T, T)
        scale = centred.nan_to_num(0.0).abs().max().item()
        if scale <= 1e-6 * max(pattern.abs().max().item(), 1e-30):  # float rounding of a constant row: no position
            scale = 0.0
            centred = torch.zeros_like(centred).masked_fill(~keep, float("nan"))
        display = centred / scale if scale > 0 else centred.nan_to_num(0.0).masked_fill(~keep, float("nan"))
        back = [pattern[i, i - torch.arange(i + 1)] - pattern[i, i] for i in range(self.T)]  # [(i+1,)]: r = 0 … i
        back = [b / scale for b in back] if scale > 0 else back  # as drawn: in units of the largest |score|
        return {
            "scheme": scheme, "head": head, "causal": causal, "base": base,
            "pattern": pattern, "display": display, "weights": weights, "scale": scale,
            "slope": self._slope(scheme, head), "by_distance": [b.numpy() for b in back],
            "spread": max((b - back[-1][: len(b)]).abs().max().item() for b in back),  # ~0: every query agrees
            **self.facts[scheme],
        }

    @staticmethod
    def title(scheme: str, head: int, slope: float | None) -> str:
        extra = f", slope m = 1/{1 / slope:.3g}" if slope else ""
        return f"{scheme}, head {head}{extra}"

    def _slope(self, scheme: str, head: int) -> float | None:
        s = self.schemes[scheme]  # RoPE's base does not change its (absent) slopes
        return s.slopes[head].item() if isinstance(s, AlibiPositional) else None

    def draw(self, state: dict) -> None:
        figures.update_scheme_explorer(
            self.artists, state["display"], state["weights"], state["causal"],
            title=self.title(state["scheme"], state["head"], state["slope"]), by_distance=state["by_distance"],
        )

    def readout_html(self, state: dict) -> str:
        same = state["spread"] < SAME_LINE
        return (
            f"<b>{state['scheme']}</b> ({state['family']}): {state['parameters']} parameters; "
            f"translation invariant: {'yes' if state['invariant'] else 'no'}; "
            + ("every query's scores against the distance are the same line"
               if same else f"the queries' lines differ by up to {state['spread']:.3g}")
            + f"; largest row-centred |score| {state['scale']:.3g}"
            + (f" (RoPE base {state['base']})." if state["scheme"] == "rope" else ".")
        )
