"""Notebook 08's explorer: what each positional scheme does to the (query, key) scores, and RoPE's decay."""

from __future__ import annotations

import ipywidgets as W
import torch

from ... import viz

from . import figures
from ...masks import causal_mask
from ...attention import masked_softmax
from .analysis import count_parameters, scheme_family, score_pattern, translation_gap
from ...positional import POSITIONAL_SCHEMES, AlibiPositional, PositionalScheme, RotaryPositional, make_positional
from ...positional.rotary import rope_decay_bound, rope_relative_scores
from ..._checks import check_bool, check_choice, check_int
from ...viz import Explorer

__all__ = ["PositionalSchemeExplorer"]


class PositionalSchemeExplorer(Explorer):
    """Notebook 08: pick a scheme and a head; see the scores position alone produces, and RoPE's decay.

    Left: the (query, key) score pattern of one head when every position carries the same content
    (:func:`.analysis.score_pattern`), row-centred and scaled to [-1, 1] (the
    softmax ignores a constant per row); middle: its softmax weights, with or without a causal
    mask; right: RoPE's score against the distance for aligned q = k (RoFormer's "long-term decay")
    and for independent random q, k (Barbero et al. 2024: zero on average at every distance).
    ``base`` is RoPE's base (used by the ``rope`` pattern and the right panel).

    ``schemes`` (name -> built :class:`~transformer_lab.positional.PositionalScheme`, width
    ``n_heads·head_dim``) replaces the freshly initialised ones, e.g. with trained schemes.
    """

    BASES = (100, 1000, 10000, 100000)

    def __init__(self, scheme: str = "alibi", head: int = 0, causal: bool = True, base: int = 10000, T: int = 24,
                 n_heads: int = 8, head_dim: int = 8, schemes: dict[str, PositionalScheme] | None = None,
                 decay_head_dim: int = 64, max_distance: int = 256, seed: int = 0):
        check_choice("base", base, self.BASES)
        check_bool("causal", causal)
        check_int("T", T, minimum=3)  # the translation test shifts T // 2 positions by T // 3
        check_int("n_heads", n_heads)
        for name, value in (("head_dim", head_dim), ("decay_head_dim", decay_head_dim)):
            if check_int(name, value, minimum=2) % 2:
                raise ValueError(f"{name} must be even (RoPE rotates pairs of dims), got {value}")
        check_int("max_distance", max_distance)
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
        self.distances = torch.arange(max_distance + 1)  # (R,)
        g = torch.Generator().manual_seed(seed)
        self._q = torch.randn(512, decay_head_dim, generator=g, dtype=torch.float64)  # (N, Dh)
        self._k = torch.randn(512, decay_head_dim, generator=g, dtype=torch.float64)  # (N, Dh)
        self.decay_head_dim = decay_head_dim
        self._decay_cache: dict[int, dict] = {}
        self._rope_cache: dict[int, RotaryPositional] = {}
        self._pattern_cache: dict[tuple, torch.Tensor] = {}
        self._states: dict[tuple, dict] = {}
        fig, self.artists = figures.scheme_explorer_figure(T, self.distances.tolist())
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

    def decay_curves(self, base: int) -> dict:
        """RoPE's score against the distance, divided by Dh, for the right panel (cached per base)."""
        if base not in self._decay_cache:
            d, Dh = self.distances, self.decay_head_dim
            ones = torch.ones(Dh, dtype=torch.float64)
            bound = rope_decay_bound(d, Dh, base)  # (R,)
            random = rope_relative_scores(self._q, self._k, d, base) / Dh  # (N, R)
            labels = list(figures.DECAY_LINES)
            self._decay_cache[base] = {
                labels[0]: rope_relative_scores(ones, ones, d, base) / Dh,  # (R,)
                labels[1]: bound / bound[0],
                labels[2]: random.mean(0),
                labels[3]: random[0],
            }
        return self._decay_cache[base]

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
        display = centred / scale if scale > 0 else centred.nan_to_num(0.0).masked_fill(~keep, float("nan"))
        decay = self.decay_curves(base)
        slope = self._slope(scheme, head)
        return {
            "scheme": scheme, "head": head, "causal": causal, "base": base,
            "pattern": pattern, "display": display, "weights": weights, "scale": scale, "slope": slope,
            "decay": decay, **self.facts[scheme],
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
            title=self.title(state["scheme"], state["head"], state["slope"]),
            distances=self.distances, decay=state["decay"],
        )

    def readout_html(self, state: dict) -> str:
        random_mean = state["decay"][list(figures.DECAY_LINES)[2]].abs().max().item()
        return (
            f"<b>{state['scheme']}</b> ({state['family']}): {state['parameters']} parameters; "
            f"translation invariant: {'yes' if state['invariant'] else 'no'}; "
            f"largest row-centred |score| {state['scale']:.3g}. "
            f"RoPE (Dh = {self.decay_head_dim}, base {state['base']}): independent random q, k average at most "
            f"{random_mean:.3f} at any distance; aligned q = k starts at 1 and is "
            f"{state['decay'][list(figures.DECAY_LINES)[0]][-1].item():+.2f} at r = {int(self.distances[-1])}."
        )
