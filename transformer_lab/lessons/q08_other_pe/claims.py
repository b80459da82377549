"""The note's claims about the other positional encodings (its question 八), and what lies beyond the note.

Taught in ``notebooks/08_other_pe.ipynb`` (§ "What the note claims, checked"). The note names two schemes
by images only, "位置编码方式一：[0,1]区间内编码" and "位置编码方式二：一种绝对位置编码", and stops
("未完待续") before any pros and cons. So :func:`note_claims` has the rows the note makes, quoted in its own
Chinese (``seeds/000_12ff27f4a03ccb28.txt``, question 八); the claims the papers and the interview lists
make, and the pros and cons the note promised, are separate tables (:func:`beyond_note`,
:func:`pros_and_cons`), never rows of a table headed "the note says".

Every verdict is computed: from the schemes' facts (:func:`.analysis.scheme_facts`, exact) and from the
claims the trained experiment asserts over its seeds (:func:`.experiment.train_extrapolation`). Numbers
that come from training are printed through :func:`~transformer_lab.evidence.approx` (marked ≈).
"""

from __future__ import annotations

import math

from ..._checks import check_number
from ...evidence import VERDICTS, Table, approx, claims_table, fmt_gap
from ...positional.naive import alternating_direction, normalized_positions
from .analysis import rope_decay_curves
from .experiment import D, MAX_LEN, SCHEMES, Extrapolation

__all__ = ["facts_table", "note_claims", "beyond_note", "pros_and_cons"]

_FACT_KEYS = ("family", "parameters", "translation_gap", "invariant", "length_gap", "by_length", "longest")


def _check_facts(facts, names=SCHEMES) -> dict:
    if not isinstance(facts, dict):
        raise TypeError(f"facts must be the dict of lesson.scheme_facts(...), got {type(facts).__name__}")
    for name in names:
        if name not in facts:
            raise ValueError(f"facts must hold every scheme {list(names)}, {name!r} is missing")
        missing = [k for k in _FACT_KEYS if k not in facts[name]]
        if missing:
            raise ValueError(f"facts[{name!r}] must come from lesson.scheme_facts (keys {list(_FACT_KEYS)}), "
                             f"missing {missing}")
    return facts


def _check_result(result) -> Extrapolation:
    if not isinstance(result, Extrapolation):
        raise TypeError(f"result must be the Extrapolation of lesson.train_extrapolation(), got {type(result).__name__}")
    return result


def _longest(x: float) -> str:
    return "any" if x == math.inf else str(x)


def facts_table(facts: dict) -> Table:
    """§1's table: each scheme's family, parameters, translation gap, length dependence and longest input."""
    facts = _check_facts(facts, tuple(facts) if isinstance(facts, dict) else SCHEMES)
    rows = [f"| {n} | {f['family']} | {f['parameters']} | {fmt_gap(f['translation_gap'])} | "
            f"{'yes · 是' if f['invariant'] else 'no · 否'} | {'yes · 是' if f['by_length'] else 'no · 否'} | "
            f"{_longest(f['longest'])} |" for n, f in facts.items()]
    return Table("| scheme | family · 类别 | parameters · 参数 | score change, shifted by 5 | translation invariant · "
                 "平移不变 | code depends on the length · 编码随长度变化 | longest input · 最长输入 |\n"
                 "|---|---|---|---|---|---|---|\n" + "\n".join(rows))


def note_claims(result: Extrapolation, facts: dict) -> Table:
    """The claims table of notebook 08: the note's two schemes, each a row per thing the note implies.

    ``result``: the trained experiment (§3); ``facts``: :func:`.analysis.scheme_facts` of the nine
    schemes as the models were built (§1). The note's images are lost; the [0, 1] code is ``t/(T−1)``,
    and the second scheme is read as the integer index ``t`` (the first scheme of the posts it links).
    """
    r, f = _check_result(result), _check_facts(facts)
    step16, step64 = (normalized_positions(T)[1].item() for T in (16, 64))
    index15 = (15 * alternating_direction(D)).norm().item()
    middle = r.claim(f"at {r.lengths[-1]} tokens: ALiBi best, the raw index worst").holds
    worst = r.claim(f"the raw index is the worst already at {r.train_len} tokens").holds
    ce = {s: r.mean_ce(s) for s in ("normalized", "index")}
    n = len(r.seeds)
    rows = [
        ("位置编码方式一：[0,1]区间内编码",
         "Scheme 1: the position as a number in [0, 1], t/(T−1), added to the input, can serve as a position code.",
         "holds with a caveat" if f["normalized"]["by_length"] and middle else "does not hold",
         f"At a known length it works: at {r.lengths[-1]} tokens its loss ties six other schemes in every seed "
         f"(CE {approx(ce['normalized'][-1], '.3f')}, §3). But one step is {step16:.4f} at T = 16 and {step64:.4f} "
         f"at T = 64, so every position's code moves when the sequence grows, the only one of the nine (§1); a "
         "causal model generating token by token has no fixed T.", "1, 3, D4"),
        ("位置编码方式二：一种绝对位置编码",
         "Scheme 2 (read as the integer index 0, 1, 2, …) is an absolute encoding.",
         "holds" if not f["index"]["invariant"] and f["index"]["translation_gap"] > 1e-3 else "does not hold",
         f"Shifting the sequence by 5 changes its scores by up to {fmt_gap(f['index']['translation_gap'])}: "
         "a position's code, not the offset, reaches the scores (§1).", "1"),
        ("位置编码方式二：一种绝对位置编码",
         "…and the integer index can serve as a position code.",
         "does not hold" if worst else "holds with a caveat",
         f"Unbounded: ‖15·u‖ = {index15:.0f} against √D = {math.sqrt(D):.1f} for an N(0, 1) token embedding, so "
         f"it drowns the tokens; the worst model at {r.train_len} and at {r.lengths[-1]} tokens in every one of "
         f"the {n} seeds (CE {approx(ce['index'][0], '.3f')} at {r.train_len}, §3).", "3, D4"),
    ]
    return claims_table(rows)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], verdict_col: int | None = None) -> Table:
    """A Markdown table; the ``verdict_col`` cell is a key of VERDICTS, printed in both languages."""
    out = []
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"rows[{i}] must have {len(header)} cells, got {len(row)}")
        cells = list(row)
        for cell in cells:
            if not isinstance(cell, str) or "|" in cell or "\n" in cell:
                raise ValueError(f"rows[{i}] cells must be one-line str without '|', got {cell!r}")
        if verdict_col is not None:
            if cells[verdict_col] not in VERDICTS:
                raise ValueError(f"rows[{i}] verdict must be one of {tuple(VERDICTS)}, got {cells[verdict_col]!r}")
            cells[verdict_col] = f"**{cells[verdict_col]}** · {VERDICTS[cells[verdict_col]]}"
        out.append("| " + " | ".join(cells) + " |")
    return Table("| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n" + "\n".join(out))


def beyond_note(result: Extrapolation, facts: dict, rope_offset_gap: float) -> Table:
    """Claims the note does not make, from the papers and the usual interview answers, each with a verdict.

    ``rope_offset_gap``: the largest change of RoPE scores when every position is shifted (§1, exact).
    """
    check_number("rope_offset_gap", rope_offset_gap, minimum=0)
    r, f = _check_result(result), _check_facts(facts)
    growth = {s: sum(r.growth(s)) / len(r.seeds) for s in SCHEMES}
    g = {s: approx(growth[s], "+.2f") for s in SCHEMES}
    last = r.lengths[-1]
    rows_kept = all(r.untouched[f"learned rows {r.train_len}-{MAX_LEN - 1}"])
    least = r.claim("ALiBi's loss grows the least past the training length").holds
    sin = r.claim("sinusoids degrade past the training length, ALiBi far less").holds
    rope = r.claim("RoPE degrades too: more than ALiBi, less than sinusoids").holds
    tiers = r.claim(f"at {last} tokens: ALiBi best, the raw index worst").holds
    decay = rope_decay_curves()
    aligned, random_mean = decay["aligned"], decay["random_mean"]
    rows = [
        ("A learned table cannot go past its length · 可学习位置表无法超出其长度", "BERT, GPT-2",
         "holds" if f["learned"]["longest"] == MAX_LEN and rows_kept else "does not hold",
         f"A {MAX_LEN}-row table refuses {MAX_LEN + 1} tokens; trained on {r.train_len}, its rows {r.train_len}–"
         f"{MAX_LEN - 1} are still their initialisation in every seed.", "1, D7"),
        ("RoPE: q_mᵀk_n depends on m − n only · 分数只依赖相对位置", "Su et al. 2021",
         "holds" if rope_offset_gap < 1e-9 else "does not hold",
         f"Positions shifted by 1, 7, 1000: scores change by {fmt_gap(rope_offset_gap)}.", "1"),
        ("RoPE's scores decay with distance · 远程衰减", "Su et al. 2021, §3.4.3",
         "holds with a caveat" if aligned[200:].mean() < 0.6 and random_mean.abs().max() < 0.03 else "does not hold",
         f"For aligned q = k: {aligned[0]:.2f} at r = 0, {aligned[200:].mean():.2f} on average over r = 200–256. "
         f"For independent random q, k the mean is within ±{random_mean.abs().max():.3f} of 0 at every distance "
         "(Barbero et al. 2024).", "D5"),
        ("RoPE extrapolates past the training length · RoPE 可以外推", "a common interview answer",
         "does not hold" if rope and tiers else "holds with a caveat",
         f"Its excess grows more than ALiBi's and less than the sinusoids' in every seed ({g['rope']} against "
         f"{g['alibi']} and {g['sinusoidal']}); at {last} tokens it shares the middle tier with NoPE.", "3"),
        ("ALiBi extrapolates where sinusoids fail · ALiBi 可外推，正弦编码不行", "Press et al. 2022, Fig. 1",
         "holds" if least and sin else "does not hold",
         f"In every seed ALiBi's excess grows the least of the nine ({g['alibi']}), the sinusoids' by more than "
         f"ALiBi's + 0.1 ({g['sinusoidal']}).", "3"),
        ("T5's bucketed bias extrapolates · T5 偏置可外推", "Press et al. 2022",
         "holds with a caveat" if least and r.t5_share > 0.5 else "does not hold",
         f"Only as far as its buckets were trained: {r.t5_share:.0%} of the pairs at {last} tokens fall in buckets "
         f"no training pair reached (exact); its excess grows {g['t5']}, more than ALiBi's in every seed.", "3, D7"),
        ("A causal model needs no position code (NoPE) · 因果模型可以不加位置编码", "Kazemnejad et al. 2023",
         "does not hold" if least else "holds with a caveat",
         f"Not at this scale (one layer, no MLP, 32 steps; the paper trains deeper models to convergence): its excess "
         f"grows {g['none']}, more than ALiBi's in every seed.", "3"),
    ]
    rows = [(*row[:4], "§" + row[4]) for row in rows]
    return _table(("claim · 论断", "from · 出处", "verdict · 结论", "evidence · 证据", "where · 位置"), rows, 2)


_PRO_CON = {
    "none": ("nothing to learn or tune · 无需学习", "cannot tell near from far here · 分不清远近"),
    "normalized": ("bounded, no parameters · 有界、无参数", "a step means something else at every length · 步长随长度变化"),
    "index": ("simplest possible · 最简单", "unbounded, drowns the tokens · 无上界，淹没词向量"),
    "learned": ("fits any absolute pattern · 可拟合任意绝对位置模式", "no position past max_len · 超出 max_len 无法使用"),
    "sinusoidal": ("no parameters, any length computable · 无参数、任意长度可算", "absolute; degrades past the training "
                   "length · 绝对位置，超长后变差"),
    "shaw": ("relative; the clip reuses trained values · 相对位置，截断复用已训练值", "a term per (query, key) pair · "
             "每对 (q, k) 多一项"),
    "t5": ("relative; log buckets, shared by layers · 对数分桶、各层共享", "buckets past the training length are "
           "untrained · 超出训练长度的桶未训练"),
    "rope": ("relative, no parameters, keeps q·k · 相对位置、无参数", "unseen angles past the training length · "
             "超长后出现未见过的角度"),
    "alibi": ("no parameters; extrapolates · 无参数、可外推", "a fixed recency bias · 固定的近因偏置"),
}


def pros_and_cons(result: Extrapolation, facts: dict) -> Table:
    """The pros and cons the note promised: every computable column computed (the facts of §1, the
    cross-entropies and verdicts of §3, each verdict a claim asserted in every seed); the last two
    columns are words."""
    r, f = _check_result(result), _check_facts(facts)
    last = r.lengths[-1]
    claims = {c.name: c.holds for c in r.claims}
    degrades = "grows more than ALiBi's · 比 ALiBi 增长多"
    verdict = {s: degrades if claims["ALiBi's loss grows the least past the training length"] else "—" for s in SCHEMES}
    if claims["ALiBi's loss grows the least past the training length"]:
        verdict["alibi"] = "grows the least · 增长最小"
    if claims["sinusoids degrade past the training length, ALiBi far less"]:
        verdict["sinusoidal"] = "grows > ALiBi's + 0.1 · 明显变差"
    if claims["RoPE degrades too: more than ALiBi, less than sinusoids"]:
        verdict["rope"] = "degrades: more than ALiBi, less than sinusoids · 变差，但不如正弦严重"
    if claims[f"the raw index is the worst already at {r.train_len} tokens"]:
        verdict["index"] = "worst at every length · 各长度都最差"
    rows = [(n, f[n]["family"], str(f[n]["parameters"]), "yes" if f[n]["invariant"] else "no",
             "yes" if f[n]["by_length"] else "no", _longest(f[n]["longest"]), approx(r.mean_ce(n)[0], ".3f"),
             approx(r.mean_ce(n)[-1], ".3f"), verdict[n], *_PRO_CON[n]) for n in SCHEMES]
    return _table(("scheme", "family", "parameters", "translation invariant", "code depends on length", "longest input",
                   f"CE at {r.train_len}", f"CE at {last}", "past the training length (every seed) · 外推",
                   "pro · 优点", "con · 缺点"), rows)
