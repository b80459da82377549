import pytest

from transformer_lab.evidence import claims_table


def test_claims_table_formats_rows():
    md = claims_table([("多头更好", "more heads are better", "holds with a caveat", "measured 1.00", "3a")])
    assert md.splitlines() == [
        "| 笔记原文 | the note says | verdict · 结论 | evidence · 证据 | where · 位置 |",
        "|---|---|---|---|---|",
        "| 多头更好 | more heads are better | **holds with a caveat** · 有条件成立 | measured 1.00 | §3a |",
    ]


def test_fmt_gap_hides_float_rounding_below_the_floor():
    from transformer_lab import fmt_gap

    assert fmt_gap(7.3e-14) == fmt_gap(-7.1e-14) == fmt_gap(0.0) == "< 1e-09"
    assert fmt_gap(3.25e-3) == "3.25e-03"
    assert fmt_gap(5e-7, floor=1e-6) == "< 1e-06"
    with pytest.raises(ValueError, match="floor must be > 0"):
        fmt_gap(1.0, floor=0)
