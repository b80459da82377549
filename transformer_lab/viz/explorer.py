"""ipywidgets explorers: controls -> a compute function -> artists moved in place -> a PNG.

Each explorer keeps one figure for its whole life and only moves its artists, then renders the
figure into an ``ipywidgets.Image``. No ``Output`` widget and no printing: the figure and the
numbers (``explorer.state``) stay inspectable from a test without a browser or a kernel, and
strict nbval sees the same output every run.

Display an explorer by leaving it as the last expression of a cell (or ``display(explorer)``).
"""

from __future__ import annotations

import html
import io
import time

import ipywidgets as W
from IPython.display import Image
from matplotlib.figure import Figure

from .._checks import check_int, is_choice
from .blit import BlitRenderer

__all__ = ["Explorer", "Quiz"]


def _options_text(options, limit: int = 16) -> str:
    shown = [repr(o) for o in options]
    return ", ".join(shown if len(shown) <= limit else shown[: limit - 2] + ["…"] + shown[-1:])


def _refusal(control: W.Widget, value) -> str | None:
    """Why ``control`` cannot take ``value``, in words (``None`` if it can).

    Checked before assigning, because ipywidgets clamps a slider's out-of-range value silently
    and takes ``True`` for the option ``1``: a selection (Dropdown, SelectionSlider,
    ToggleButtons) takes one of its option values, a checkbox a bool, an int slider an int in
    [min, max] on its step from min, a float slider a number in [min, max].
    """
    if hasattr(control, "_options_values"):
        options = control._options_values
        return None if is_choice(value, options) else f"expected one of {_options_text(options)}"
    current = getattr(control, "value", None)
    if isinstance(current, bool):
        return None if isinstance(value, bool) else "expected True or False"
    if not isinstance(current, (int, float)) or not hasattr(control, "min"):
        return None  # another kind of control: its own validation decides
    lo, hi = control.min, control.max
    if isinstance(current, int):
        step = control.step if getattr(control, "step", 1) > 1 else None
        want = f"an int in [{lo}, {hi}]" + (f" on steps of {step} from {lo}" if step else "")
        fits = type(value) is int and lo <= value <= hi and not (step and (value - lo) % step)
    else:
        want = f"a number in [{lo}, {hi}]"
        fits = isinstance(value, (int, float)) and not isinstance(value, bool) and lo <= value <= hi
    return None if fits else f"expected {want}"


class Explorer:
    """Base class: ``controls`` (name -> widget), a figure, and ``update()`` on every change.

    Subclasses implement ``compute(**values) -> state`` (pure numbers) and ``draw(state)``
    (moves artists). ``state`` holds the last computed numbers; ``last_update_seconds`` how long
    the last update took in the kernel (compute + draw + PNG). ``message``, a line between the
    controls and the figure (hidden when empty), says why :meth:`set` refused a value or why an
    update failed; the next good update clears it.
    """

    def __init__(self, controls: dict[str, W.Widget], fig, animated=()):
        if not isinstance(controls, dict):
            raise TypeError(f"controls must be a dict {{name: ipywidgets control}}, got {type(controls).__name__}")
        if not controls:
            raise ValueError("controls must hold at least one control, got an empty dict")
        for name, control in controls.items():
            if not isinstance(name, str):
                raise TypeError(f"controls must have str names (compute's parameters), got {name!r}")
            if not isinstance(control, W.ValueWidget):
                raise TypeError(f"controls[{name!r}] must be an ipywidgets control with a value, got {type(control).__name__}")
        if not isinstance(fig, Figure):
            raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
        self.controls = controls
        self.fig = fig
        self.renderer = BlitRenderer(fig, animated)
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.readout = W.HTML()
        self.message = W.HTML(layout=W.Layout(display="none"))  # a refused value or a failed update; hidden when empty
        self.state: dict = {}
        self.last_update_seconds = 0.0
        for control in controls.values():
            control.observe(self.update, names="value")
        self.widget = W.VBox([W.HBox(list(controls.values())), self.message, self.image, self.readout])

    @property
    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def compute(self, **values) -> dict:
        raise NotImplementedError

    def draw(self, state: dict) -> None:
        raise NotImplementedError

    def readout_html(self, state: dict) -> str:
        return ""

    def show_message(self, text: str = "") -> None:
        """Show ``text`` (plain text) above the figure in red, or hide the message when empty."""
        if text:
            self.message.value = f'<span style="color:#b00020">⚠ {html.escape(text)}</span>'
            self.message.layout.display = None
        elif self.message.value:
            self.message.value = ""
            self.message.layout.display = "none"

    def update(self, change=None) -> None:
        """Recompute and redraw for the controls' values. After a control change, an error in
        ``compute``/``draw`` becomes a message; ``state`` and the image stay the previous ones."""
        t0 = time.perf_counter()
        try:
            state = self.compute(**self.values)
            self.draw(state)
        except Exception as e:
            if change is None or not self.state:  # a direct call (the first render): the caller sees the error
                raise
            shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
            self.show_message(f"could not show {shown}: {type(e).__name__}: {e}. The picture is the previous one.")
            try:
                self.draw(self.state)  # put back the artists a failed draw may have moved
            except Exception:  # noqa: BLE001  the message already says what failed; the image is untouched
                pass
            return
        self.state = state
        self.image.value = self.renderer.png()
        self.readout.value = self.readout_html(state)
        self.show_message()
        self.last_update_seconds = time.perf_counter() - t0

    def set(self, **values) -> None:
        """Set several controls at once (one update per control, as a user would).

        A value a control cannot take (out of a slider's range, off its step, not an option, the
        wrong type) is not applied and not clamped: nothing changes, and the message says why.
        An unknown control name is a programming error: ``ValueError``.
        """
        for name in values:
            if name not in self.controls:
                raise ValueError(f"unknown control {name!r}; this explorer has {sorted(self.controls)}")
        refused = []
        for name, value in values.items():
            why = _refusal(self.controls[name], value)
            if why is not None:
                refused.append(f"{name}={value!r} was not applied: {why} (it stays {self.controls[name].value!r})")
        if refused:
            self.show_message("; ".join(refused))
            return
        self.show_message()
        for name, value in values.items():
            self.controls[name].value = value

    def snapshot(self, scale: int = 2) -> Image:
        """The current picture drawn in full at ``scale`` times the pixels: the static figure under the
        explorer (it reads on GitHub and in an HTML export, sharp on a projector or a retina screen)."""
        check_int("scale", scale, minimum=1, maximum=4)
        moving = [a for a in self.fig.findobj() if a.get_animated()]
        for artist in moving:  # a full draw skips animated artists
            artist.set_animated(False)
        try:
            buf = io.BytesIO()
            self.fig.savefig(buf, format="png", dpi=self.fig.dpi * scale)
        finally:
            for artist in moving:
                artist.set_animated(True)
        return Image(data=buf.getvalue(), retina=scale == 2)

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
        if not isinstance(questions, (list, tuple)):
            raise TypeError(f"questions must be a non-empty list of dicts, got {type(questions).__name__}")
        if not questions:
            raise ValueError("questions must be a non-empty list of dicts, got an empty list")
        for i, q in enumerate(questions):
            self._check_question(f"questions[{i}]", q)
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

    @staticmethod
    def _check_question(name: str, q) -> None:
        if not isinstance(q, dict):
            raise TypeError(f"{name} must be a dict with 'question', 'options', 'answer' and 'why', got {type(q).__name__}")
        missing = {"question", "options", "answer", "why"} - set(q)
        if missing:
            raise ValueError(f"{name} is missing {sorted(missing)}")
        for key in ("question", "why"):
            if not isinstance(q[key], str):
                raise TypeError(f"{name}[{key!r}] must be a str, got {type(q[key]).__name__}")
        options = q["options"]
        if not isinstance(options, (list, tuple)) or not all(isinstance(o, str) for o in options):
            raise TypeError(f"{name}['options'] must be a list of str, got {options!r}")
        if len(options) < 2 or len(set(options)) != len(options):
            raise ValueError(f"{name}['options'] must hold at least 2 distinct options (the answer is found by its "
                             f"text), got {options!r}")
        answer = q["answer"]
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise TypeError(f"{name}['answer'] must be an int (the index of the right option), got "
                            f"{type(answer).__name__} {answer!r}")
        if not 0 <= answer < len(options):
            raise ValueError(f"{name}['answer'] must index its {len(options)} options, got {answer}")

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
