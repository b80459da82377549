"""Notebook 07's lesson code: the note's claims table, the ripples of the dot-product profile, the
figures (text a projector can show) and the schematic."""

import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from transformer_lab import viz  # noqa: E402
from transformer_lab.evidence import VERDICTS  # noqa: E402
from transformer_lab.lessons import q07_sinusoidal_pe as lesson  # noqa: E402
from transformer_lab.positional import sinusoidal_wavelengths  # noqa: E402


def test_first_rise_with_a_minimum_step_skips_the_ripples():
    p = lesson.offset_profile(200, 512) / 256
    assert lesson.first_rise(p) == 44 and p[44] - p[43] < 1e-4  # the first rise is a ripple
    assert lesson.first_rise(p, min_step=0.01) == 181
    assert lesson.first_rise(torch.tensor([3.0, 2.0, 2.1, 1.0, 5.0]), min_step=0.5) == 4
    assert lesson.first_rise(torch.tensor([3.0, 2.0, 2.1]), min_step=0.5) is None


def test_ripples_at_the_three_widths():
    got = {d: lesson.ripples(d) for d in (64, 128, 512)}
    assert [got[d]["first"] for d in got] == [6, 12, 44]
    assert [got[d]["visible"] for d in got] == [17, 36, 181]
    assert got[512]["step"] < 1e-4 < got[128]["step"] < got[64]["step"] < 0.01


def test_note_claims_quote_the_note_and_compute_the_verdicts():
    table = str(lesson.note_claims(causal_gap=0.8, projected_fractions=[0.1, 0.37]))
    rows = table.splitlines()[2:]
    assert len(rows) == 11 and table.startswith("| 笔记原文 | the note says |")
    assert all(any(f"**{v}** · {zh}" in row for v, zh in VERDICTS.items()) for row in rows)
    monotonic = next(row for row in rows if "如果两个token距离越远则乘积的结果越小" in row)
    assert "**does not hold**" in monotonic and "k = 44 (d = 512)" in monotonic and "5e-05" in monotonic
    sixty = next(row for row in rows if "前60维就可以区分位置了" in row)
    assert "**holds with a caveat**" in sixty and "6 leading dims" in sixty
    assert "0.10–0.37" in table and "max gap 0.80" in table
    assert "(Not in the note)" not in table  # only what the note says
    # no causal gap: the claim holds as stated
    assert "**holds** · 成立 | Without positions" in str(lesson.note_claims(0.0, [0.2]))


def test_the_figures_have_no_text_under_nine_points():
    profiles = {f"d = {d}": lesson.offset_profile(60, d) / (d / 2) for d in (16, 64)}
    figures = [
        lesson.plot_offset_profiles(profiles, {k: lesson.first_rise(p) for k, p in profiles.items()}).figure,
        lesson.plot_separation(lesson.separation_by_leading_dims(16, 32), {"δ = 0.5": 0.5}, title="t").figure,
        lesson.plot_wavelengths({"d = 16": sinusoidal_wavelengths(16)}).figure,
        lesson.positional_encoding_figure(128, 256)[0],
        lesson.schematic(),
    ]
    for fig in figures:
        assert not viz.small_text(fig)
        plt.close(fig)


def test_the_schematic_is_cheap_and_draws_a_rotation_per_pair():
    start = time.process_time()
    fig = lesson.schematic()
    assert time.process_time() - start < 0.3
    circles = fig.axes[:-1]
    assert len(circles) == 3 and all(ax.get_aspect() == 1.0 for ax in circles)
    assert [ax.get_title().split("\n")[0] for ax in circles] == ["pair i = 0 (dims 0, 1)", "pair i = 1 (dims 2, 3)",
                                                                 "pair i = 3 (dims 6, 7)"]
    texts = " ".join(t.get_text() for t in fig.axes[-1].texts)
    assert "M_k" in texts and "depends on k only" in texts
    plt.close(fig)


def test_span_for_and_set_spans():
    assert [lesson.span_for(n, lesson.POSITION_SPANS) for n in (2, 8, 9, 50, 128, 500)] == [8, 8, 12, 64, 128, 128]
    fig, artists = lesson.positional_encoding_figure(128, 256)
    lesson.set_spans(artists, 24, 48)
    assert artists["pe_image"].axes.get_xlim() == (-0.5, 47.5) and artists["dot_image"].axes.get_ylim() == (23.5, -0.5)
    shown = [t.get_text() for t in artists["_ticks"]["pe_x"] if t.get_visible()]
    assert shown == ["0", "20", "40"]  # at most MAX_TICKS (4) round values
    plt.close(fig)


@pytest.mark.parametrize("span", [8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256])
def test_tick_values_are_few_and_round(span):
    values = lesson.figures._tick_values(span)
    assert 2 <= len(values) <= lesson.figures.MAX_TICKS and values[0] == 0 and values[-1] < span
