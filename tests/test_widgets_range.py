"""Every explorer refuses a control value it cannot take, visibly and without side effects.

``explorer.set(name=bad)`` for a value out of a slider's range or step, not among a selection's
options, or of the wrong type: no exception, no silent clamping; the control's value, ``state``
and the image stay as they were, and the explorer's message (part of its displayed layout) names
the control, the value and what it takes. The next valid update clears the message. An error in
``compute`` after a control change is shown the same way.
"""

from __future__ import annotations

import html

import ipywidgets as W
import matplotlib
import pytest
from conftest import module_explorer

matplotlib.use("Agg")

import transformer_lab as tl  # noqa: E402
from transformer_lab import lessons, viz  # noqa: E402
from transformer_lab.lessons import q01_multi_head  # noqa: E402
from transformer_lab.lessons import q02_qk_weights  # noqa: E402
from transformer_lab.lessons import q03_attention_scores  # noqa: E402
from transformer_lab.lessons import q04_padding_mask  # noqa: E402
from transformer_lab.lessons import q05_head_dim  # noqa: E402
from transformer_lab.lessons import q06_embedding_scale  # noqa: E402
from transformer_lab.lessons import q07_sinusoidal_pe  # noqa: E402
from transformer_lab.lessons import q08_other_pe  # noqa: E402

pytestmark = pytest.mark.usefixtures("close_new_widgets")

TASK = tl.RecallAndPreviousTask(n_keys=4, n_values=3, n_pairs=3)


def head_pattern_explorer():
    cfg = dict(vocab_size=TASK.vocab_size, n_out=TASK.n_out, d_model=8, d_ff=0, positional="learned", max_len=TASK.seq_len)
    models = {f"{h} heads": tl.build_model(tl.ModelConfig(n_heads=h, n_layers=2, **cfg), h) for h in (1, 2)}
    return q01_multi_head.HeadPatternExplorer(models, TASK, examples=TASK.batch(4, seed=1), eval_batch=TASK.batch(16, seed=2))


# one shared explorer per class (built with its defaults), and bad values for every control
scores = module_explorer(q03_attention_scores.ScoreDistributionExplorer)
qk = module_explorer(q02_qk_weights.SymmetricQKExplorer)
masks = module_explorer(q04_padding_mask.PaddingMaskExplorer)
pattern = module_explorer(head_pattern_explorer)
cost = module_explorer(q05_head_dim.HeadCostExplorer)
embedding = module_explorer(q06_embedding_scale.EmbeddingScaleExplorer)
pe = module_explorer(q07_sinusoidal_pe.PositionalEncodingExplorer)
schemes = module_explorer(q08_other_pe.PositionalSchemeExplorer)

BAD = {
    "scores": {"d_k": [3, 2048, True, "64"], "scaled": ["yes", 1, None]},
    "qk": {"tied": [1, "yes"], "mask_self": [0], "d_k": [3, 128, 4.0], "inputs": ["words", 1]},
    "masks": {"mask": [1], "form": ["mul"], "fill": ["-5", -1000], "dtype": ["float64"], "scale": [7, True],
              "side": ["top"], "causal": ["no"]},
    "pattern": {"head": [("1 heads", 1), ("3 heads", 0), ["1 heads", 0]], "layer": [2, -1, True],
                "example": [4, -1, 1.0]},
    "cost": {"n_heads": [3, 32, True], "full_width": [1]},
    "embedding": {"d_model": [100, 16.0], "init": ["kaiming"], "scale": [1], "vocab_size": [50000]},
    "pe": {"max_len": [500, 2, 51, 50.0], "d_model": [7, 300, 0, True], "base": [2, 10000.0]},
    "schemes": {"scheme": ["xpos"], "head": [8, -1, 1.5], "causal": [1], "base": [5, 10]},
}


@pytest.fixture(scope="module")
def explorers(scores, qk, masks, pattern, cost, embedding, pe, schemes):
    """All of them, by fixture name (requested by a test's signature, so they are built before
    ``close_new_widgets`` looks: it closes only what the test itself creates)."""
    return dict(scores=scores, qk=qk, masks=masks, pattern=pattern, cost=cost, embedding=embedding, pe=pe,
                schemes=schemes)


CASES = [(fixture, name, bad) for fixture, controls in BAD.items() for name, bads in controls.items() for bad in bads]


def another_value(control):
    """A valid value of ``control`` other than its current one."""
    if hasattr(control, "_options_values"):
        return next(o for o in control._options_values if o != control.value)
    if isinstance(control.value, bool):
        return not control.value
    step = control.step
    return control.value + step if control.value + step <= control.max else control.value - step


def test_every_explorer_and_every_control_has_bad_values(explorers):
    assert len(BAD) == len(lessons.LESSONS)  # one explorer per lesson
    for fixture, controls in BAD.items():
        assert set(controls) == set(explorers[fixture].controls), fixture


@pytest.mark.parametrize("fixture, name, bad", CASES, ids=[f"{f}-{n}={b!r}" for f, n, b in CASES])
def test_a_bad_value_is_refused_visibly_and_changes_nothing(explorers, fixture, name, bad):
    e = explorers[fixture]
    values, state, image = dict(e.values), e.state, e.image.value
    e.set(**{name: bad})  # no exception
    assert e.values == values and e.state is state and e.image.value == image
    assert html.escape(f"{name}={bad!r}") in e.message.value and "expected" in e.message.value
    assert e.message.layout.display != "none"
    original = e.controls[name].value
    e.set(**{name: another_value(e.controls[name])})  # a valid update clears the message
    assert e.message.value == "" and e.message.layout.display == "none"
    assert e.state is not state
    e.set(**{name: original})


def test_the_message_names_what_the_control_takes(scores, pe, masks):
    scores.set(d_k=3)
    assert "expected one of 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024 (it stays 64)" in scores.message.value
    pe.set(max_len=51)
    assert "expected an int in [4, 128] on steps of 2 from 4" in pe.message.value
    masks.set(scale=7)
    assert "expected one of 1, 10, 100, 300, 1000, 3000" in masks.message.value
    for e in (scores, pe, masks):
        e.set()  # a call with nothing refused clears the message too
        assert e.message.value == ""


def test_a_set_with_one_bad_value_applies_none(masks):
    values, state = dict(masks.values), masks.state
    masks.set(fill="-inf", side="top")
    assert masks.values == values and masks.state is state
    assert "side='top'" in html.unescape(masks.message.value) and "fill" not in html.unescape(masks.message.value)
    masks.set(**values)
    assert masks.message.value == ""


def test_unknown_controls_still_raise(scores):
    with pytest.raises(ValueError, match=r"unknown control 'dk'"):
        scores.set(d_k=32, dk=3)
    assert scores.values["d_k"] == 64  # nothing was set


@pytest.mark.parametrize("fixture", list(BAD))
def test_the_message_is_part_of_the_displayed_layout(explorers, fixture):
    e = explorers[fixture]

    def widgets_in(w):
        yield w
        for child in getattr(w, "children", ()):
            yield from widgets_in(child)
    assert any(w is e.message for w in widgets_in(e.widget))
    assert e._repr_mimebundle_()["text/plain"].startswith(type(e).__name__ + "(")  # the message is not in the repr


class Fragile(viz.Explorer):
    """A small explorer whose compute refuses ``n = 0`` (and ``n = 3`` while being built, if asked)."""

    def __init__(self, n: int = 1):
        fig = viz.new_figure(2, 2)
        self.line, = fig.add_subplot().plot([0, 1], [0, 1])
        super().__init__({"n": W.IntSlider(value=n, min=0, max=3)}, fig, [self.line])
        self.update()

    def compute(self, n: int) -> dict:
        if n in (0, 3):
            raise ValueError(f"n = {n} has no picture")
        return {"n": n}

    def draw(self, state: dict) -> None:
        self.line.set_ydata([0, state["n"]])


def test_an_error_in_compute_after_a_change_is_shown_not_raised():
    e = Fragile()
    state, image = e.state, e.image.value
    e.controls["n"].value = 0  # a direct change: no traceback
    assert "ValueError: n = 0 has no picture" in e.message.value and "n=0" in html.unescape(e.message.value)
    assert e.state is state and e.image.value == image
    e.set(n=2)
    assert e.message.value == "" and e.state["n"] == 2 and e.image.value != image
    e.set(n=3)  # the same through set()
    assert "n = 3 has no picture" in e.message.value and e.state["n"] == 2
    e.set(n=1)
    assert e.message.value == "" and e.image.value == image
    with pytest.raises(ValueError, match="n = 0 has no picture"):  # the first render has no picture to keep
        Fragile(n=0)
