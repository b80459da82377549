"""How much of the package's code checks arguments: the share of code lines, per module and in all.

    python tools/count_checks.py                 # the working tree
    python tools/count_checks.py --rev 738f362   # a commit (read with git show)

Code lines: non-blank lines that are not comments or docstrings. Checking lines (counted with
``ast``): every line of a function whose name starts with ``check_`` or ``_check``; an ``if`` whose
body only raises (its test and its raise); a bare ``raise``; a call statement to a ``check_*`` or
``_check*`` helper; ``__post_init__`` of a dataclass (it only checks). The core is every module
outside ``lessons/`` and ``viz/`` (and, before issue 18, outside the per-lesson modules it held).
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# per-lesson modules that sat beside the core before the lessons got their own folders (issue 18)
OLD_LESSON_MODULES = {"heads", "qk", "masking", "embedding", "sinusoidal", "pe_analysis", "saturation", "report"}


def code_lines(source: str) -> set[int]:
    """Line numbers holding code: not blank, not a comment, not a docstring."""
    lines = set()
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings |= set(range(first.lineno, first.end_lineno + 1))
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER):
            lines |= set(range(tok.start[0], tok.end[0] + 1))
    return lines - docstrings


def _is_check_name(name: str) -> bool:
    return name.startswith(("check_", "_check"))


def _span(node: ast.AST) -> set[int]:
    return set(range(node.lineno, node.end_lineno + 1))


def checking_lines(source: str) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            _is_check_name(node.name) or node.name == "__post_init__"
        ):
            found |= _span(node)
        elif isinstance(node, ast.If) and all(isinstance(s, ast.Raise) for s in node.body) and not node.orelse:
            found |= _span(node)
        elif isinstance(node, ast.Raise):
            found |= _span(node)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if _is_check_name(name):
                found |= _span(node)
    return found


def _is_check_stmt(node: ast.stmt) -> bool:
    if isinstance(node, ast.If) and not node.orelse and all(isinstance(s, ast.Raise) for s in node.body):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return _is_check_name(name)
    return isinstance(node, ast.Raise)


def interleaved_lines(source: str) -> set[int]:
    """Checking lines that come after a function's math has started: checks not declared up front."""
    found: set[int] = set()
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or _is_check_name(fn.name) \
                or fn.name == "__post_init__":
            continue
        body = fn.body[1:] if fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(
            getattr(fn.body[0], "value", None), ast.Constant) else fn.body
        started = None  # line where the first statement that is not a check begins
        for stmt in body:
            if not _is_check_stmt(stmt) and not (isinstance(stmt, ast.Assign) and started is None
                                                 and _only_names(stmt)):
                started = stmt.lineno
                break
        if started is None:
            continue
        for stmt in body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.stmt) and node.lineno > started and _is_check_stmt(node):
                    found |= _span(node)
    return found


def _only_names(stmt: ast.Assign) -> bool:
    """``context = x if context is None else context``: argument defaults, part of the checks' preamble."""
    return all(isinstance(t, ast.Name) for t in stmt.targets) and isinstance(stmt.value, (ast.IfExp, ast.Name))


def sources(rev: str | None) -> dict[str, str]:
    """``{path relative to transformer_lab/: source}`` for every module, at ``rev`` or in the tree."""
    if rev is None:
        return {str(p.relative_to(ROOT / "transformer_lab")): p.read_text()
                for p in sorted((ROOT / "transformer_lab").rglob("*.py"))}
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "transformer_lab"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    return {n.removeprefix("transformer_lab/"): subprocess.run(["git", "show", f"{rev}:{n}"], cwd=ROOT,
                                                               capture_output=True, text=True, check=True).stdout
            for n in names if n.endswith(".py")}


def is_core(path: str) -> bool:
    top = path.split("/")[0]
    return top not in ("lessons", "viz", "plots", "widgets") and Path(path).stem not in OLD_LESSON_MODULES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", help="a git revision (default: the working tree)")
    parser.add_argument("--modules", action="store_true", help="one line per module")
    args = parser.parse_args()
    totals = {"core": [0, 0, 0], "package": [0, 0, 0]}
    rows = []
    for path, source in sources(args.rev).items():
        code = code_lines(source)
        checks = checking_lines(source) & code
        late = interleaved_lines(source) & code
        rows.append((path, len(checks), len(late), len(code)))
        for part in ("package", "core") if is_core(path) else ("package",):
            totals[part][0] += len(checks)
            totals[part][1] += len(late)
            totals[part][2] += len(code)
    if args.modules:
        print(f"{'module':50s} checking / code lines; of them after the math started")
        for path, c, late, n in sorted(rows, key=lambda r: -r[1] / max(r[3], 1)):
            if n:
                print(f"{path:50s} {c:5d} / {n:5d} = {c / n:5.1%}; {late:4d} interleaved")
    for part, (c, late, n) in totals.items():
        print(f"{part:8s} checking lines {c:5d} of {n:5d} code lines = {c / n:.1%}; "
              f"interleaved with the math: {late} lines ({late / n:.1%})")


if __name__ == "__main__":
    main()
