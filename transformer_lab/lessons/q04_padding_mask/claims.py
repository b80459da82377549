"""What the source note claims about padding masks, checked against notebook 04's measurements.

The note answers question 四 in one line: "padding位置置为负无穷(一般来说-1000就可以)", set the padding
positions to −∞ (−1000 is generally enough). :func:`note_claims` turns the notebook's measurements
into the two rows of :func:`transformer_lab.claims_table`, each verdict computed from the numbers.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from ...evidence import Table, claims_table

__all__ = ["note_claims"]

_FORMS = ("add", "set")


def _fmt(dev: float) -> str:
    return "< 1e-5" if dev < 1e-5 else f"{dev:.2f}"


def note_claims(
    invariance: Mapping[tuple, Sequence[float]],
    leaks: Mapping[str, Mapping[str, Sequence[float]]],
    sigmas: Sequence[float],
    dead: Mapping[str, Mapping[str, str]],
) -> Table:
    """The note's two claims, each with its verdict computed from notebook 04's measurements.

    ``invariance``: ``{(layer, side, masked): deviations}`` from :func:`.padding_invariance` (masked
    and unmasked runs both present); ``leaks``: ``{"add" | "set": {fill: worst-row leak per sigma}}``
    from :func:`.leak_sweep` (fill ``"-1000"`` in both forms, ``"gap"`` removed); ``sigmas`` the
    spreads of that sweep; ``dead``: :func:`.fully_masked_behaviour`'s table.
    """
    if not isinstance(invariance, Mapping) or not invariance:
        raise TypeError(f"invariance must be a non-empty dict {{(layer, side, masked): deviations}}, got {invariance!r}")
    if any(not isinstance(key, tuple) or len(key) != 3 or not isinstance(key[2], bool) for key in invariance):
        raise ValueError(f"invariance keys must be (layer, side, masked) with masked a bool, got {list(invariance)}")
    if {key[2] for key in invariance} != {True, False}:
        raise ValueError("invariance must hold masked and unmasked runs (masked True and False)")
    if not isinstance(leaks, Mapping) or set(leaks) != set(_FORMS):
        raise ValueError(f"leaks must be {{'add': ..., 'set': ...}} from leak_sweep, got keys "
                         f"{list(leaks) if isinstance(leaks, Mapping) else type(leaks).__name__}")
    if isinstance(sigmas, (str, bytes)) or not isinstance(sigmas, Sequence) or not sigmas:
        raise TypeError(f"sigmas must be the non-empty list of spreads of the sweep, got {sigmas!r}")
    for form in _FORMS:
        if "-1000" not in leaks[form]:
            raise ValueError(f"leaks[{form!r}] must hold the fill '-1000', got {list(leaks[form])}")
        for fill, values in leaks[form].items():
            if len(values) != len(sigmas):
                raise ValueError(f"leaks[{form!r}][{fill!r}] must hold one value per sigma ({len(sigmas)}), got {len(values)}")
    plain_set, plain_add = "softmax + masked_fill (set)", "softmax + additive mask (add)"
    mha = "nn.MultiheadAttention, need_weights=True"
    if not isinstance(dead, Mapping) or any(api not in dead for api in (plain_set, plain_add, mha)):
        raise ValueError(f"dead must be fully_masked_behaviour()'s table, with rows {plain_set!r}, {plain_add!r}, {mha!r}")

    masked = max(max(d) for (_, _, m), d in invariance.items() if m)
    unmasked = min(min(d) for (_, _, m), d in invariance.items() if not m)
    invariant = masked < 1e-5 and unmasked > 0.1
    nan_rows = dead[plain_set]["-inf"] == "NaN"
    minus_inf = "holds with a caveat" if invariant and nan_rows else "holds" if invariant else "does not hold"

    onset = next((s for s, v in zip(sigmas, leaks["add"]["-1000"]) if v > 1e-3), None)
    set_leaks = max(leaks["set"]["-1000"]) > 1e-3
    minus_1000 = "does not hold" if set_leaks else "holds with a caveat" if onset is not None else "holds"
    added = f"leaks from σ = {onset:,} on (worst row > 1e-3)" if onset is not None else f"never leaked up to σ = {max(sigmas):,}"

    rows = [
        ("padding位置置为负无穷", "Set the padding positions to −∞ (before the softmax).", minus_inf,
         f"Masking the pad **keys** (columns) keeps every real token's output fixed, any pad length or side: "
         f"deviation {_fmt(masked)}, against ≥ {unmasked:.2f} unmasked. Caveats: a query with no key left becomes "
         f"{dead[plain_set]['-inf']} under −∞ (plain softmax; nn.MultiheadAttention with weights: {dead[mha]['-inf']}); "
         "PyTorch's two APIs flip the bool convention; the loss and the pooling must skip pads too.",
         "1, 3, D6, D8"),
        ("一般来说-1000就可以", "−1000 is generally enough (instead of −∞).", minus_1000,
         f"Set over the scores (`masked_fill`), −1000 {'leaked' if set_leaks else 'never leaked'} up to "
         f"σ = {max(sigmas):,}; added as an additive mask it {added}: the pad's weight is sigmoid(gap − 1000). "
         f"A row with no key: {dead[plain_set]['-1000']} when set, {dead[plain_add]['-1000']} when added. "
         "In its favour: −1000 fits float16, −1e9 does not.", "3, D5, D6, D7"),
    ]
    return claims_table(rows)
