"""ipywidgets explorers: controls -> a compute function -> artists moved in place -> a PNG.

Each explorer keeps one figure for its whole life and only moves its artists, then renders the
figure into an ``ipywidgets.Image``. No ``Output`` widget and no printing: the figure and the
numbers (``explorer.state``) stay inspectable from a test without a browser or a kernel, and
strict nbval sees the same output every run.

Display an explorer by leaving it as the last expression of a cell (or ``display(explorer)``).
"""

from __future__ import annotations

import time

import ipywidgets as W

from .. import plots

__all__ = ["Explorer", "Quiz"]


class Explorer:
    """Base class: ``controls`` (name -> widget), a figure, and ``update()`` on every change.

    Subclasses implement ``compute(**values) -> state`` (pure numbers) and ``draw(state)``
    (moves artists). ``state`` holds the last computed numbers; ``last_update_seconds`` how long
    the last update took in the kernel (compute + draw + PNG).
    """

    def __init__(self, controls: dict[str, W.Widget], fig, animated=()):
        self.controls = controls
        self.fig = fig
        self.renderer = plots.BlitRenderer(fig, animated)
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.readout = W.HTML()
        self.state: dict = {}
        self.last_update_seconds = 0.0
        for control in controls.values():
            control.observe(self.update, names="value")
        self.widget = W.VBox([W.HBox(list(controls.values())), self.image, self.readout])

    @property
    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def compute(self, **values) -> dict:
        raise NotImplementedError

    def draw(self, state: dict) -> None:
        raise NotImplementedError

    def readout_html(self, state: dict) -> str:
        return ""

    def update(self, change=None) -> None:
        t0 = time.perf_counter()
        self.state = self.compute(**self.values)
        self.draw(self.state)
        self.image.value = self.renderer.png()
        self.readout.value = self.readout_html(self.state)
        self.last_update_seconds = time.perf_counter() - t0

    def set(self, **values) -> None:
        """Set several controls at once (one update per control, as a user would)."""
        for name, value in values.items():
            if name not in self.controls:
                raise ValueError(f"unknown control {name!r}; this explorer has {sorted(self.controls)}")
            self.controls[name].value = value

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        bundle["text/plain"] = f"{type(self).__name__}({shown})"  # short and stable for nbval
        return bundle

    def close(self) -> None:
        self.widget.close()
        for control in self.controls.values():
            control.close()


class Quiz:
    """A self-check quiz: one ``RadioButtons`` per question, a Check button, feedback per question.

    ``questions`` is a list of dicts with ``question``, ``options`` (list of str), ``answer``
    (index of the right option) and ``why`` (shown after checking). ``score`` holds the number of
    right answers after the last check.
    """

    def __init__(self, questions: list[dict]):
        for i, q in enumerate(questions):
            missing = {"question", "options", "answer", "why"} - set(q)
            if missing:
                raise ValueError(f"questions[{i}] is missing {sorted(missing)}")
            if not 0 <= q["answer"] < len(q["options"]):
                raise ValueError(f"questions[{i}]['answer'] must index its {len(q['options'])} options, got {q['answer']}")
        self.questions = questions
        self.choices = [
            W.RadioButtons(options=list(q["options"]), value=None, layout=W.Layout(width="auto")) for q in questions
        ]
        self.feedback = [W.HTML() for _ in questions]
        self.button = W.Button(description="Check my answers", button_style="primary")
        self.summary = W.HTML()
        self.score = 0
        self.button.on_click(self.check)
        rows = []
        for i, (q, choice, fb) in enumerate(zip(questions, self.choices, self.feedback), start=1):
            rows += [W.HTML(f"<b>{i}. {q['question']}</b>"), choice, fb]
        self.widget = W.VBox(rows + [self.button, self.summary])

    def check(self, _button=None) -> int:
        self.score = 0
        for q, choice, fb in zip(self.questions, self.choices, self.feedback):
            if choice.value is None:
                fb.value = "<i>Pick an answer first.</i>"
                continue
            right = choice.options.index(choice.value) == q["answer"]
            self.score += right
            fb.value = ("✅ Right. " if right else f"❌ Not quite: the answer is “{q['options'][q['answer']]}”. ") + q["why"]
        self.summary.value = f"{self.score} / {len(self.questions)} right"
        return self.score

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"Quiz({len(self.questions)} questions)"
        return bundle
