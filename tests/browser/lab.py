"""Drive JupyterLab in a Playwright page: open a notebook, run it, read its outputs, move a widget.

JupyterLab is started with ``--LabApp.expose_app_in_browser=True``, so ``window.jupyterapp`` is
the application: commands (``docmanager:open``, ``notebook:clear-all-cell-outputs``,
``notebook:run-all-above``, ``notebook:run-all-cells``) and the notebook models are reached
through it, the way JupyterLab's own UI tests do. Widgets are moved through the
DOM only, as a person would: type into a slider's readout and press Enter, click a checkbox,
pick a dropdown option, press a toggle button.
"""

from __future__ import annotations

import statistics
import time

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

OPEN_JS = """
async (path) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  app.shell.activateById(panel.id);
  window.__e2e = window.__e2e || {};
  window.__e2e[panel.id] = panel;
  return panel.id;
}
"""

KERNEL_IDLE_JS = """
(id) => {
  const panel = window.__e2e[id];
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
}
"""

RUN_ALL_JS = """
(id) => {
  const app = window.jupyterapp;
  app.shell.activateById(id);
  const panel = window.__e2e[id];
  panel.__run = {done: false};
  app.commands.execute('notebook:run-all-cells').then(
    (ok) => { panel.__run = {done: true, ok: ok}; },
    (err) => { panel.__run = {done: true, ok: false, error: String(err)}; });
}
"""

# JupyterLab's Edit › Clear Outputs of All Cells: no output and no execution count left anywhere
CLEAR_ALL_JS = """
async (id) => {
  const app = window.jupyterapp;
  app.shell.activateById(id);
  await app.commands.execute('notebook:clear-all-cell-outputs');
  return window.__e2e[id].content.model.cells.length;
}
"""

# Run › Run All Above Selected Cell, with cell ``stop`` selected: runs cells 0 .. stop-1
RUN_ABOVE_JS = """
({id, stop}) => {
  const app = window.jupyterapp;
  app.shell.activateById(id);
  const panel = window.__e2e[id];
  panel.content.activeCellIndex = stop;
  panel.content.deselectAll();
  panel.__run = {done: false, active: panel.content.activeCellIndex};
  app.commands.execute('notebook:run-all-above').then(
    (ok) => { panel.__run = {...panel.__run, done: true, ok: ok}; },
    (err) => { panel.__run = {...panel.__run, done: true, ok: false, error: String(err)}; });
}
"""

RUN_DONE_JS = "(id) => window.__e2e[id].__run.done"
RUN_RESULT_JS = "(id) => window.__e2e[id].__run"

# every code cell: execution count and outputs (type, mime types, error name/value, stream text)
OUTPUTS_JS = """
(id) => {
  const cells = window.__e2e[id].content.model.cells;
  const found = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    const outputs = [];
    for (let j = 0; j < cell.outputs.length; j++) {
      const o = cell.outputs.get(j).toJSON();
      outputs.push({
        type: o.output_type,
        mimes: o.data ? Object.keys(o.data) : [],
        ename: o.ename || null, evalue: o.evalue || null,
        name: o.name || null,
        text: o.text ? (Array.isArray(o.text) ? o.text.join('') : o.text).slice(0, 2000) : null,
      });
    }
    const tags = (cell.getMetadata && cell.getMetadata('tags')) || [];
    found.push({index: i, count: cell.executionCount, source: cell.sharedModel.getSource().slice(0, 80), tags, outputs});
  }
  return found;
}
"""

# every widget output in the notebook: rendered? error text? JupyterLab marks each output node with
# its mime type (data-mime-type) except those of the widget renderer.
WIDGET_VIEWS_JS = """
(id) => {
  const node = window.__e2e[id].node;
  const outs = Array.from(node.querySelectorAll('.jp-OutputArea-output:not([data-mime-type])'));
  return outs.map((o) => ({
    rendered: !!o.querySelector('.jupyter-widgets'),
    error: o.innerText.includes('Error displaying widget'),
    loading: o.innerText.includes('Loading widget'),
    text: o.innerText.slice(0, 300),
  }));
}
"""

# the explorers: VBox( HBox(controls), <img>, HTML readout ), in page order
EXPLORERS_JS = """
(root) => {
  const boxes = Array.from(root.querySelectorAll('.widget-vbox'));
  const hits = [];
  boxes.forEach((box, i) => {
    const kids = Array.from(box.children);
    const hasControls = kids.length > 0 && kids[0].classList.contains('widget-hbox');
    const hasImage = kids.some((k) => k.tagName === 'IMG' && k.classList.contains('widget-image'));
    const hasReadout = kids.some((k) => k.classList.contains('widget-html'));
    if (hasControls && hasImage && hasReadout) hits.push(i);
  });
  return hits;
}
"""

# watch an <img>: time of the next src change (performance.now()), armed by the next key press / click
ARM_JS = """
(img) => {
  const w = {armedAt: null, changedAt: null, src: img.src};
  window.__watch = w;
  if (window.__watchObserver) window.__watchObserver.disconnect();
  const stamp = () => { if (w.armedAt === null) w.armedAt = performance.now(); };
  if (!window.__watchListeners) {
    window.__watchListeners = true;
    for (const type of ['keydown', 'mousedown', 'change']) {
      document.addEventListener(type, () => { if (window.__watch && window.__watch.armedAt === null && window.__watch.live) window.__watch.armedAt = performance.now(); }, true);
    }
  }
  w.live = true;
  window.__watchObserver = new MutationObserver(() => {
    if (img.src !== w.src && w.changedAt === null) w.changedAt = performance.now();
  });
  window.__watchObserver.observe(img, {attributes: true, attributeFilter: ['src']});
}
"""
CHANGED_JS = "() => window.__watch.changedAt !== null"
WATCH_JS = "() => window.__watch"

IMAGE_BYTES_HASH_JS = """
async (img) => {
  const buf = await (await fetch(img.src)).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', buf);
  return Array.from(new Uint8Array(digest)).map((b) => b.toString(16).padStart(2, '0')).join('') + ':' + buf.byteLength;
}
"""


class FigureUnchanged(AssertionError):
    """A control was moved and the explorer's <img> kept its picture."""


class LabPage:
    """JupyterLab in one Playwright page."""

    def __init__(self, page, url: str, token: str):
        self.page = page
        self.url = url
        self.token = token
        page.set_default_timeout(60_000)

    def load(self, timeout_s: float = 180) -> None:
        self.page.goto(f"{self.url}/lab?token={self.token}", timeout=timeout_s * 1000)
        self.page.wait_for_function("() => !!window.jupyterapp", timeout=timeout_s * 1000)
        self.page.evaluate("async () => { await window.jupyterapp.restored; return true; }")

    def open(self, path: str, timeout_s: float = 180) -> "LabNotebook":
        panel_id = self.page.evaluate(OPEN_JS, path)
        nb = LabNotebook(self, path, panel_id)
        nb.wait_idle(timeout_s)
        return nb


class LabNotebook:
    """One open notebook, found by the id of its panel."""

    def __init__(self, lab: LabPage, path: str, panel_id: str):
        self.lab, self.page, self.path, self.id = lab, lab.page, path, panel_id
        self.root = self.page.locator(f"#{panel_id}")

    def wait_idle(self, timeout_s: float) -> None:
        self.page.wait_for_function(KERNEL_IDLE_JS, arg=self.id, timeout=timeout_s * 1000, polling=250)

    def run_all(self, timeout_s: float) -> dict:
        self.page.evaluate(RUN_ALL_JS, self.id)
        self.page.wait_for_function(RUN_DONE_JS, arg=self.id, timeout=timeout_s * 1000, polling=250)
        self.wait_idle(timeout_s)
        return self.page.evaluate(RUN_RESULT_JS, self.id)

    def clear_outputs(self) -> int:
        """Clear every cell's outputs and execution count (Edit › Clear Outputs of All Cells), so
        the committed outputs of the cells not run next cannot pass for fresh ones. Returns the
        number of cells."""
        return self.page.evaluate(CLEAR_ALL_JS, self.id)

    def run_through(self, last: int, timeout_s: float) -> dict:
        """Run cells 0 .. ``last`` (notebook indices, markdown included): select cell ``last + 1``
        and run all above it; run all cells when ``last`` is the last cell."""
        n_cells = self.page.evaluate("(id) => window.__e2e[id].content.model.cells.length", self.id)
        if last + 1 >= n_cells:
            return self.run_all(timeout_s)
        self.page.evaluate(RUN_ABOVE_JS, {"id": self.id, "stop": last + 1})
        self.page.wait_for_function(RUN_DONE_JS, arg=self.id, timeout=timeout_s * 1000, polling=250)
        self.wait_idle(timeout_s)
        return self.page.evaluate(RUN_RESULT_JS, self.id)

    def cell_index_of(self, locator) -> int:
        """The notebook index of the cell whose DOM holds ``locator``'s element (-1: none)."""
        return locator.evaluate(
            "(el, id) => window.__e2e[id].content.widgets.findIndex((w) => w.node.contains(el))", self.id
        )

    def code_cells(self) -> list[dict]:
        return self.page.evaluate(OUTPUTS_JS, self.id)

    def widget_views(self, settle_s: float = 60) -> list[dict]:
        """The rendered widget outputs, once none is still loading (or after ``settle_s``)."""
        deadline = time.perf_counter() + settle_s
        while True:
            views = self.page.evaluate(WIDGET_VIEWS_JS, self.id)
            if all(v["rendered"] or v["error"] for v in views) or time.perf_counter() > deadline:
                return views
            time.sleep(0.25)

    def explorers(self) -> list:
        """Locators of the explorers (VBox of controls + <img> + HTML readout), in page order."""
        hits = self.root.evaluate(EXPLORERS_JS)
        boxes = self.root.locator(".widget-vbox")
        return [boxes.nth(i) for i in hits]

    def close(self) -> None:
        """Shut the kernel down and close the panel without saving (the file is a copy anyway)."""
        self.page.evaluate(
            """async (id) => {
                 const panel = window.__e2e[id];
                 try { await panel.sessionContext.shutdown(); } catch (e) {}
                 panel.context.model.dirty = false;
                 panel.dispose();
                 delete window.__e2e[id];
               }""",
            self.id,
        )


class ExplorerDriver:
    """Moves the controls of one explorer and watches its figure (the <img> the kernel updates)."""

    def __init__(self, page, box):
        self.page, self.box = page, box
        self.img = box.locator(":scope > img.widget-image")
        # the rows of controls: one HBox in the base Explorer, several in some (notebook 04)
        self.controls = box.locator(":scope > .widget-hbox, :scope > .widget-vbox")

    def image_hash(self) -> str:
        return self.img.evaluate(IMAGE_BYTES_HASH_JS)

    def wait_image(self, timeout_s: float = 30) -> None:
        self.page.wait_for_function(
            "(img) => img.src && img.complete && img.naturalWidth > 0", arg=self.img.element_handle(),
            timeout=timeout_s * 1000,
        )

    def candidate_controls(self) -> list[tuple[str, object]]:
        """(kind, locator) of each control, in the order they appear."""
        found = []
        items = self.controls.locator(
            ".widget-slider, .widget-checkbox, .widget-dropdown, .widget-toggle-buttons, .widget-toggle-button, .widget-radio-box"
        )
        for i in range(items.count()):
            item = items.nth(i)
            classes = item.get_attribute("class") or ""
            if "widget-slider" in classes:
                if item.locator(".widget-readout[contenteditable='true']").count():
                    found.append(("slider", item))
            elif "widget-checkbox" in classes:
                found.append(("checkbox", item))
            elif "widget-dropdown" in classes:
                found.append(("dropdown", item))
            elif "widget-toggle-buttons" in classes:
                found.append(("toggle", item))
            elif "widget-toggle-button" in classes:
                if not item.evaluate("(el) => !!el.parentElement.closest('.widget-toggle-buttons')"):
                    found.append(("togglebutton", item))  # a lone ToggleButton, not one of a group's
            elif "widget-radio-box" in classes:
                found.append(("radio", item))
        return found

    @staticmethod
    def label_of(item) -> str:
        """The control's description as shown (a checkbox shows it beside the box)."""
        for selector in (".widget-label", ".widget-label-basic"):
            labels = item.locator(selector)
            for i in range(labels.count()):
                text = labels.nth(i).inner_text().replace("\u200b", "").strip()
                if text:
                    return text
        return item.inner_text().replace("\u200b", "").strip().split("\n")[0] or "?"

    # ------------------------------------------------------------------ one change, timed

    def timed(self, action, timeout_s: float = 60) -> float:
        """Run ``action`` (a key press or click) and return ms from the input event to the new figure."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        self.img.evaluate(ARM_JS)
        action()
        try:
            self.page.wait_for_function(CHANGED_JS, timeout=timeout_s * 1000, polling="raf")
        except PlaywrightTimeout:
            w = self.page.evaluate(WATCH_JS)
            raise FigureUnchanged(
                f"the figure did not change within {timeout_s} s (input seen: {w['armedAt'] is not None})"
            ) from None
        finally:
            self.page.evaluate("() => { window.__watch.live = false; }")
        w = self.page.evaluate(WATCH_JS)
        return w["changedAt"] - w["armedAt"]

    def type_into_readout(self, item, text: str) -> float:
        """Type ``text`` into the slider's readout, then press Enter (timed from the Enter key)."""
        readout = item.locator(".widget-readout")
        readout.click()
        self.page.keyboard.press("ControlOrMeta+A")
        self.page.keyboard.type(text)
        return self.timed(lambda: readout.press("Enter"), timeout_s=30)

    def arrow(self, item, key: str) -> float:
        """Press an arrow key on the slider's handle (one step), timed."""
        handle = item.locator(".noUi-handle").first
        handle.focus()
        return self.timed(lambda: handle.press(key), timeout_s=20)

    def change(self, kind: str, item, step: int) -> None:
        """The step-th change of a control (alternating between two states)."""
        if kind == "checkbox":
            item.locator("input[type=checkbox]").click()
        elif kind == "dropdown":
            select = item.locator("select")
            options = select.locator("option")
            current = select.input_value()
            values = [options.nth(i).get_attribute("value") for i in range(options.count())]
            select.select_option(next(v for v in values if v != current))
        elif kind == "toggle":
            buttons = item.locator("button")
            target = next(i for i in range(buttons.count()) if "mod-active" not in (buttons.nth(i).get_attribute("class") or ""))
            buttons.nth(target).click()
        elif kind == "togglebutton":
            item.click()
        elif kind == "radio":
            radios = item.locator("input[type=radio]")
            target = next(i for i in range(radios.count()) if not radios.nth(i).is_checked())
            radios.nth(target).check()
        else:
            raise ValueError(f"kind must be one of checkbox/dropdown/toggle/togglebutton/radio, got {kind!r}")

    def move_until_figure_changes(self, repeats: int, snapshot=None) -> dict:
        """Move each control in turn until one changes the figure; time ``repeats`` changes of it.

        Returns the control used, the figure hashes before and after, and the latencies (ms) from
        the key press / click to the new figure. ``snapshot()`` is called right after the first
        move of a control that changed the figure (for a screenshot of the changed state).
        """
        tried = []
        for kind, item in self.candidate_controls():
            label = self.label_of(item)
            before = self.image_hash()
            latencies = []
            try:
                how, changed = self._exercise(kind, item, label, repeats, latencies, before, snapshot)
            except FigureUnchanged as e:
                tried.append(f"{kind} {label}: {e}")
                continue
            if changed != before:
                return {"control": f"{kind} {label!r} by {how}", "before": before, "after": changed, "latencies_ms": latencies,
                        "latency_median_ms": statistics.median(latencies), "tried": tried}
            tried.append(f"{kind} {label} (figure unchanged)")
        return {"control": None, "tried": tried}

    def time_slider(self, repeats: int) -> dict | None:
        """Latencies of the explorer's first slider that moves its figure (None: it has no slider)."""
        sliders = [item for kind, item in self.candidate_controls() if kind == "slider"]
        if not sliders:
            return None
        item = sliders[0]
        label, latencies = self.label_of(item), []
        try:
            how, _ = self._exercise_slider(item, label, repeats, latencies, self.image_hash(), None)
        except FigureUnchanged as e:
            return {"control": f"slider {label!r}", "error": str(e)}
        return {"control": f"slider {label!r} by {how}", "latencies_ms": latencies,
                "latency_median_ms": statistics.median(latencies)}

    def _exercise(self, kind, item, label, repeats, latencies, before, snapshot) -> tuple[str, str]:
        """Move one control ``repeats`` times (timed); return (how it was moved, the figure's hash
        after the first move)."""
        if kind == "slider":
            return self._exercise_slider(item, label, repeats, latencies, before, snapshot)
        latencies.append(self.timed(lambda: self.change(kind, item, 0), timeout_s=20))
        changed = self.image_hash()
        if snapshot and changed != before:
            snapshot()
        for i in range(1, repeats):
            latencies.append(self.timed(lambda: self.change(kind, item, i)))
        return "click", changed

    def _exercise_slider(self, item, label, repeats, latencies, before, snapshot) -> tuple[str, str]:
        """A slider: one arrow-key step finds a neighbouring value; then alternate between the two
        values by typing into the readout and pressing Enter. A ``SelectionSlider``'s readout looks
        editable but ignores typing (ipywidgets 8), so there the arrow keys do the alternating."""
        readout = item.locator(".widget-readout")
        handle = item.locator(".noUi-handle").first
        start = readout.inner_text().strip()
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        forth, back = ("ArrowLeft", "ArrowRight") if at_max else ("ArrowRight", "ArrowLeft")
        # IntSlider/FloatSlider: the handle's aria-valuenow is the value the readout shows.
        # SelectionSlider: it is an index, and the readout (editable-looking) ignores typing.
        typed = _same_number(start, handle.get_attribute("aria-valuenow"))
        self.arrow(item, forth)
        other = readout.inner_text().strip()
        changed = self.image_hash()
        if snapshot and changed != before:
            snapshot()
        try:
            if not typed:
                raise FigureUnchanged("a selection slider: its readout ignores typing")
            latencies.append(self.type_into_readout(item, start))
            how, values = "readout + Enter", [other, start]
        except FigureUnchanged:
            how, values = "arrow keys (a selection slider's readout ignores typing)", None
            latencies.append(self.arrow(item, back))
        for i in range(1, repeats):
            if values:
                text = values[(i - 1) % 2]
                latencies.append(self.type_into_readout(item, text))
                got = readout.inner_text().strip()
                assert got == text, f"slider {label!r}: typed {text!r} into its readout, it shows {got!r}"
            else:
                latencies.append(self.arrow(item, forth if i % 2 else back))
        return how, changed


def _same_number(text: str, aria: str | None) -> bool:
    try:
        return aria is not None and abs(float(text) - float(aria)) <= 1e-9 * max(1.0, abs(float(aria)))
    except ValueError:
        return False
