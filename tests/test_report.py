import pytest

from transformer_lab.report import claims_table


def test_claims_table_formats_rows():
    md = claims_table([("a claim", "holds", "measured 1.00", "3a")])
    assert md.splitlines() == [
        "| the note says | verdict | evidence | cell |",
        "|---|---|---|---|",
        "| a claim | **holds** | measured 1.00 | §3a |",
    ]


def test_claims_table_rejects_bad_rows():
    with pytest.raises(ValueError, match=r"claims\[0\] verdict must be one of .* got 'true'"):
        claims_table([("c", "true", "e", "1")])
    with pytest.raises(ValueError, match=r"claims\[0\] must be \(claim, verdict, evidence, section\), got 3 items"):
        claims_table([("c", "holds", "e")])
    with pytest.raises(ValueError, match="at least one"):
        claims_table([])
