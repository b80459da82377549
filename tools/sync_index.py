"""Write the landing page's answers from the notebooks: ``notebooks/src/00_index.py`` quotes each
notebook's ``## 30-second answer · 30秒回答`` (English and Chinese) word for word, under a link to the
notebook, and shows the notebook's schematic (its lesson's ``schematic()``) as its key figure.

    python tools/sync_index.py          # rewrite the part of 00_index.py after the marker
    python tools/sync_index.py --check  # exit 1 if 00_index.py does not quote the notebooks as they are

Everything before the marker cell (``## The eight questions · 八个问题``) is written by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "src"
INDEX = SOURCES / "00_index.py"
MARKER = "# ## The eight questions · 八个问题"
THIRTY = "## 30-second answer · 30秒回答"
QUESTIONS = {  # (English, 中文) as the note asks them
    "01": ("Why multi-head attention rather than one head?", "为何使用多头注意力机制？为什么不用一个头？"),
    "02": ("Why do Q and K use different weight matrices?", "为什么Q和K使用不同的权重矩阵生成？"),
    "03": ("Additive vs dot-product vs scaled dot-product attention; why divide by √d_k?",
           "有哪些不同类型的注意力？为什么要除以√d_k？"),
    "04": ("How is padding masked in the attention scores?", "计算attention score时如何对padding做mask？"),
    "05": ("Why does each head work in d_model/h dimensions?", "为什么要对每个head进行降维？"),
    "06": ("Why multiply the embeddings by √d_model?", "为何要对embedding乘以embedding size的开方？"),
    "07": ("What is the sinusoidal positional encoding, and what can it do?",
           "简单介绍一下Transformer的位置编码？有什么意义和优缺点？"),
    "08": ("Which other positional encodings exist, and which extrapolate?", "还有哪些位置编码技术？各自的优缺点是什么？"),
}


def thirty_second_answer(number: str) -> tuple[str, str]:
    """(notebook file stem, the answer's commented Markdown lines after its heading) of notebook ``number``."""
    src = next(SOURCES.glob(f"{number}_*.py"))
    text = src.read_text(encoding="utf-8")
    start = text.index(f"# {THIRTY}")
    body = text[start:].split("\n# %%", 1)[0].splitlines()[1:]  # the cell, without its heading
    while body and body[0].strip() in ("#", ""):
        body.pop(0)
    while body and body[-1].strip() in ("#", ""):
        body.pop()
    return src.stem, "\n".join(body)


def generated() -> str:
    answers = {n: thirty_second_answer(n) for n in QUESTIONS}  # n -> (notebook stem, answer): each source read once
    rows = "\n".join(f"# | {n} | {en} | {zh} | [{answers[n][0]}]({answers[n][0]}.ipynb) |"
                     for n, (en, zh) in QUESTIONS.items())
    out = [f"""{MARKER}
#
# | # | question | 问题 | notebook |
# |---|---|---|---|
{rows}
#
# Each question's 30-second answer, quoted from its notebook, and the notebook's schematic: the picture
# to have in mind. The notebook builds it, measures it and asserts it, with the caveats.
#
# 每个问题的 30 秒回答（原样引自各自的 notebook）和该 notebook 的示意图；细节、实测和例外都在 notebook 里。
"""]
    for n, (en, zh) in QUESTIONS.items():
        stem, answer = answers[n]
        out.append(f"""# %% [markdown]
# ### [{n} · {en}]({stem}.ipynb)
#
# **{zh}**
#
{answer}

# %%
lessons[{n!r}].schematic()
""")
    return "\n".join(out)


def write(check: bool) -> int:
    text = INDEX.read_text(encoding="utf-8")
    head = text[: text.index(MARKER)] if MARKER in text else text.rstrip("\n") + "\n\n# %% [markdown]\n"
    new = head + generated()
    if check:
        if new != text:
            print(f"{INDEX.relative_to(ROOT)} does not quote the notebooks' 30-second answers as they are; "
                  "run python tools/sync_index.py", file=sys.stderr)
            return 1
        return 0
    INDEX.write_text(new, encoding="utf-8")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that 00_index.py is up to date")
    return write(parser.parse_args(argv).check)


if __name__ == "__main__":
    sys.exit(main())
