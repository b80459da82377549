"""Bad arguments to the widget constructors: the explorers, their base class and the quiz.

Rows of :class:`badcase.Bad`, checked by ``test_bad_inputs.py``; ``bad`` says in words what is wrong.
Every check runs before a figure is built or anything is precomputed, so each row is fast and
leaves no figure behind. (Bad *control values* are not errors: ``test_widgets_range.py``.)
"""

from __future__ import annotations

import ipywidgets as W
import torch
from matplotlib.figure import Figure

import transformer_lab as tl
from badcase import Bad
from transformer_lab import widgets

TASK = tl.RecallAndPreviousTask(n_keys=4, n_values=3, n_pairs=3)


def models(n_layers=2):
    cfg = tl.ModelConfig(vocab_size=TASK.vocab_size, n_out=TASK.n_out, d_model=8, n_heads=1, n_layers=n_layers,
                         d_ff=0, positional="learned", max_len=TASK.seq_len)
    return {"1 head": tl.build_model(cfg, 0)}


def pattern(**kw):
    kw = {"models": models(), "task": TASK, "examples": TASK.batch(4, seed=1), "eval_batch": TASK.batch(8, seed=2), **kw}
    return widgets.HeadPatternExplorer(**kw)


def question(**kw):
    return {"question": "?", "options": ["a", "b"], "answer": 0, "why": "because", **kw}


CASES = [
    # the base class: a dict of controls and a matplotlib figure
    Bad("widgets.Explorer", "controls", "a list",
        lambda: widgets.Explorer([W.IntSlider()], Figure()), TypeError, r"must be a dict \{name: ipywidgets control\}"),
    Bad("widgets.Explorer", "controls", "empty",
        lambda: widgets.Explorer({}, Figure()), ValueError, r"at least one control"),
    Bad("widgets.Explorer", "controls['go']", "a button",
        lambda: widgets.Explorer({"go": W.Button()}, Figure()), TypeError, r"ipywidgets control with a value"),
    Bad("widgets.Explorer", "fig", "a list",
        lambda: widgets.Explorer({"n": W.IntSlider()}, []), TypeError, r"matplotlib Figure"),
    # the quiz
    Bad("widgets.Quiz", "questions", "a str",
        lambda: widgets.Quiz("what?"), TypeError, r"non-empty list of dicts"),
    Bad("widgets.Quiz", "questions", "empty",
        lambda: widgets.Quiz([]), ValueError, r"non-empty list of dicts"),
    Bad("widgets.Quiz", "questions[0]", "no why",
        lambda: widgets.Quiz([{"question": "?", "options": ["a", "b"], "answer": 0}]), ValueError, r"missing \['why'\]"),
    Bad("widgets.Quiz", "questions[1]", "answer out of range",
        lambda: widgets.Quiz([question(), question(answer=2)]), ValueError, r"must index its 2 options, got 2"),
    Bad("widgets.Quiz", "questions[0]", "answer a bool",
        lambda: widgets.Quiz([question(answer=True)]), TypeError, r"must be an int \(the index"),
    Bad("widgets.Quiz", "questions[0]", "repeated option",
        lambda: widgets.Quiz([question(options=["a", "a"])]), ValueError, r"at least 2 distinct options"),
    Bad("widgets.Quiz", "questions[0]", "a str",
        lambda: widgets.Quiz(["1 + 1?"]), TypeError, r"must be a dict with 'question'"),
    # notebook 03
    Bad("widgets.ScoreDistributionExplorer", "d_k", "3",
        lambda: widgets.ScoreDistributionExplorer(d_k=3), ValueError, r"must be one of \(1, 2, 4, .*1024\)"),
    Bad("widgets.ScoreDistributionExplorer", "d_k", "True",
        lambda: widgets.ScoreDistributionExplorer(d_k=True), TypeError, r"must be one of \(1, 2, 4"),
    Bad("widgets.ScoreDistributionExplorer", "scaled", "a str",
        lambda: widgets.ScoreDistributionExplorer(scaled="yes"), TypeError, r"must be a bool"),
    Bad("widgets.ScoreDistributionExplorer", "n_keys", "1",
        lambda: widgets.ScoreDistributionExplorer(n_keys=1), ValueError, r">= 2"),
    # notebook 02
    Bad("widgets.SymmetricQKExplorer", "d_k", "True",
        lambda: widgets.SymmetricQKExplorer(d_k=True), TypeError, r"must be one of \(1, 2, 4"),
    Bad("widgets.SymmetricQKExplorer", "inputs", "unknown",
        lambda: widgets.SymmetricQKExplorer(inputs="words"), ValueError, r"must be one of \('equal norms'"),
    Bad("widgets.SymmetricQKExplorer", "tied", "1",
        lambda: widgets.SymmetricQKExplorer(tied=1), TypeError, r"must be a bool"),
    Bad("widgets.SymmetricQKExplorer", "T", "1",
        lambda: widgets.SymmetricQKExplorer(T=1), ValueError, r">= 2"),
    # notebook 04
    Bad("widgets.PaddingMaskExplorer", "lengths", "an int",
        lambda: widgets.PaddingMaskExplorer(lengths=5), TypeError, r"sequence of ints"),
    Bad("widgets.PaddingMaskExplorer", "lengths", "a zero length",
        lambda: widgets.PaddingMaskExplorer(lengths=(3, 0)), ValueError, r"ints >= 1"),
    Bad("widgets.PaddingMaskExplorer", "scale", "True",
        lambda: widgets.PaddingMaskExplorer(scale=True), TypeError, r"must be one of \(1, 10, 100"),
    Bad("widgets.PaddingMaskExplorer", "dtype", "float64",
        lambda: widgets.PaddingMaskExplorer(dtype="float64"), ValueError, r"must be one of \('float32'"),
    Bad("widgets.PaddingMaskExplorer", "causal", "1",
        lambda: widgets.PaddingMaskExplorer(causal=1), TypeError, r"must be a bool"),
    # notebook 06
    Bad("widgets.EmbeddingScaleExplorer", "d_model", "100",
        lambda: widgets.EmbeddingScaleExplorer(d_model=100), ValueError, r"must be one of \(16, 32"),
    Bad("widgets.EmbeddingScaleExplorer", "vocab_size", "a float",
        lambda: widgets.EmbeddingScaleExplorer(vocab_size=1000.0), TypeError, r"must be one of \(1000, 8000"),
    Bad("widgets.EmbeddingScaleExplorer", "scale", "1",
        lambda: widgets.EmbeddingScaleExplorer(scale=1), TypeError, r"must be a bool"),
    Bad("widgets.EmbeddingScaleExplorer", "n_tokens", "0",
        lambda: widgets.EmbeddingScaleExplorer(n_tokens=0), ValueError, r">= 1"),
    # notebook 07
    Bad("widgets.PositionalEncodingExplorer", "d_model", "odd",
        lambda: widgets.PositionalEncodingExplorer(d_model=7), ValueError, r"even int in \[2, 256\]"),
    Bad("widgets.PositionalEncodingExplorer", "max_len", "500",
        lambda: widgets.PositionalEncodingExplorer(max_len=500), ValueError, r"int in \[4, 128\]"),
    Bad("widgets.PositionalEncodingExplorer", "base", "a float",
        lambda: widgets.PositionalEncodingExplorer(base=10000.0), TypeError, r"must be one of \(10, 100"),
    Bad("widgets.PositionalEncodingExplorer", "threshold", "NaN",
        lambda: widgets.PositionalEncodingExplorer(threshold=float("nan")), ValueError, r"number > 0"),
    # notebook 08
    Bad("widgets.PositionalSchemeExplorer", "head", "8 of 8 heads",
        lambda: widgets.PositionalSchemeExplorer(head=8), ValueError, r"int in \[0, 7\]"),
    Bad("widgets.PositionalSchemeExplorer", "scheme", "unknown",
        lambda: widgets.PositionalSchemeExplorer(scheme="xpos"), ValueError, r"must be one of \['alibi'"),
    Bad("widgets.PositionalSchemeExplorer", "head_dim", "odd",
        lambda: widgets.PositionalSchemeExplorer(head_dim=7), ValueError, r"must be even"),
    Bad("widgets.PositionalSchemeExplorer", "schemes['x']", "an int",
        lambda: widgets.PositionalSchemeExplorer(schemes={"x": 3}), TypeError, r"must be a PositionalScheme"),
    Bad("widgets.PositionalSchemeExplorer", "T", "2",
        lambda: widgets.PositionalSchemeExplorer(T=2), ValueError, r">= 3"),
    Bad("widgets.PositionalSchemeExplorer", "base", "5",
        lambda: widgets.PositionalSchemeExplorer(base=5), ValueError, r"must be one of \(100, 1000"),
    # notebook 05
    Bad("widgets.HeadCostExplorer", "n_heads", "3 of d_model 32",
        lambda: widgets.HeadCostExplorer(d_model=32, n_heads=3), ValueError, r"one of \(1, 2, 4, 8, 16\)"),
    Bad("widgets.HeadCostExplorer", "n_heads", "True",
        lambda: widgets.HeadCostExplorer(n_heads=True), TypeError, r"must be an int"),
    Bad("widgets.HeadCostExplorer", "full_width", "1",
        lambda: widgets.HeadCostExplorer(full_width=1), TypeError, r"must be a bool"),
    Bad("widgets.HeadCostExplorer", "d_model", "1",
        lambda: widgets.HeadCostExplorer(d_model=1), ValueError, r">= 2"),
    Bad("widgets.HeadCostExplorer", "seed", "-1",
        lambda: widgets.HeadCostExplorer(seed=-1), ValueError, r">= 0"),
    # notebook 01
    Bad("widgets.HeadPatternExplorer", "models", "empty",
        lambda: pattern(models={}), ValueError, r"non-empty dict"),
    Bad("widgets.HeadPatternExplorer", "examples", "tokens only",
        lambda: pattern(examples=(TASK.batch(4, seed=1)[0],)), TypeError, r"pair \(tokens, targets\)"),
    Bad("widgets.HeadPatternExplorer", "eval_batch", "float tokens",
        lambda: pattern(eval_batch=(torch.zeros(8, 4), torch.zeros(8, 4, dtype=torch.long))),
        ValueError, r"two integer \(N, T\) tensors"),
    Bad("widgets.HeadPatternExplorer", "layer", "2 of 2 layers",
        lambda: pattern(layer=2), ValueError, r"int in \[0, 2\)"),
    Bad("widgets.HeadPatternExplorer", "model", "unknown",
        lambda: pattern(model="3 heads"), ValueError, r"must be one of \['1 head'\]"),
]
