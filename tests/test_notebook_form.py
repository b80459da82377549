"""Each notebook is a lesson first (issue 19): measured by ``tools/notebook_form.py`` on its source.

A ``## Deep dive · 深入`` part holds the sweeps and edge cases; before it at most 120 visible code
lines; a 30-second answer of at most 3 bullets and 60 English words and a 2-minute answer, both
in English and Chinese; at least 1,500 Chinese characters; the Colab cell right after the title;
figures at twice the pixels.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("notebook_form", ROOT / "tools" / "notebook_form.py")
form = importlib.util.module_from_spec(_spec)
sys.modules["notebook_form"] = form  # dataclasses look their module up there
_spec.loader.exec_module(form)

FORMS = form.forms()


def test_every_notebook_is_measured():
    assert [f.name[:2] for f in FORMS] == [f"0{i}" for i in range(1, 9)]


@pytest.mark.parametrize("f", FORMS, ids=[f.name for f in FORMS])
def test_the_notebook_reads_as_a_lesson(f):
    assert f.problems() == []


def test_the_yardstick_counts_what_it_says():
    text = '''# %% [markdown]
# # 0X · title

# %%
import sys  # google.colab setup

# %% [markdown]
# ## 30-second answer · 30秒回答
#
# - One two three $x^2$ four.
# - Five.
#
# - 中文。

# %% [markdown]
# ## 2-minute answer · 两分钟回答
#
# Say this aloud. 大声说。

# %%
a = 1

b = 2

# %% jupyter={"source_hidden": true}
hidden = 1

# %% [markdown]
# ## Deep dive · 深入

# %%
after = 1
'''
    f = form.measure("0X_test", text)
    assert (f.visible, f.deep_dive, f.thirty_words, f.thirty_bullets, f.two_minute, f.colab_first) == \
        (3, True, 6, 2, True, True)
    assert f.zh_chars == 3 + 2 + 5 + 3 + 2  # 秒回答, 中文, 两分钟回答, 大声说, 深入


def test_the_index_quotes_every_30_second_answer_as_it_is():
    """``notebooks/src/00_index.py`` is rewritten by ``tools/sync_index.py`` from the notebooks: never stale."""
    spec = importlib.util.spec_from_file_location("sync_index", ROOT / "tools" / "sync_index.py")
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    assert sync.main(["--check"]) == 0, "run python tools/sync_index.py, then python tools/build_notebooks.py 00"
