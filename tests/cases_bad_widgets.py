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
from transformer_lab import viz
from transformer_lab.lessons import q01_multi_head as q01, q02_qk_weights as q02, q03_attention_scores as q03
from transformer_lab.lessons import q04_padding_mask as q04, q05_head_dim as q05, q06_embedding_scale as q06
from transformer_lab.lessons import q07_sinusoidal_pe as q07, q08_other_pe as q08

TASK = tl.RecallAndPreviousTask(n_keys=4, n_values=3, n_pairs=3)


def models(n_layers=2):
    cfg = tl.ModelConfig(vocab_size=TASK.vocab_size, n_out=TASK.n_out, d_model=8, n_heads=1, n_layers=n_layers,
                         d_ff=0, positional="learned", max_len=TASK.seq_len)
    return {"1 head": tl.build_model(cfg, 0)}


def pattern(**kw):
    kw = {"models": models(), "task": TASK, "examples": TASK.batch(4, seed=1), "eval_batch": TASK.batch(8, seed=2), **kw}
    return q01.HeadPatternExplorer(**kw)


def question(**kw):
    return {"question": "?", "options": ["a", "b"], "answer": 0, "why": "because", **kw}


CASES = [
    # the base class: a dict of controls and a matplotlib figure
    Bad("viz.Explorer", "controls", "a list",
        lambda: viz.Explorer([W.IntSlider()], Figure()), TypeError, r"must be a dict \{name: ipywidgets control\}"),
    Bad("viz.Explorer", "controls", "empty",
        lambda: viz.Explorer({}, Figure()), ValueError, r"at least one control"),
    Bad("viz.Explorer", "controls['go']", "a button",
        lambda: viz.Explorer({"go": W.Button()}, Figure()), TypeError, r"ipywidgets control with a value"),
    Bad("viz.Explorer", "fig", "a list",
        lambda: viz.Explorer({"n": W.IntSlider()}, []), TypeError, r"matplotlib Figure"),
    # the quiz
    Bad("viz.Quiz", "questions", "a str",
        lambda: viz.Quiz("what?"), TypeError, r"non-empty list of dicts"),
    Bad("viz.Quiz", "questions", "empty",
        lambda: viz.Quiz([]), ValueError, r"non-empty list of dicts"),
    Bad("viz.Quiz", "questions[0]", "no why",
        lambda: viz.Quiz([{"question": "?", "options": ["a", "b"], "answer": 0}]), ValueError, r"missing \['why'\]"),
    Bad("viz.Quiz", "questions[1]", "answer out of range",
        lambda: viz.Quiz([question(), question(answer=2)]), ValueError, r"must index its 2 options, got 2"),
    Bad("viz.Quiz", "questions[0]", "answer a bool",
        lambda: viz.Quiz([question(answer=True)]), TypeError, r"must be an int \(the index"),
    Bad("viz.Quiz", "questions[0]", "repeated option",
        lambda: viz.Quiz([question(options=["a", "a"])]), ValueError, r"at least 2 distinct options"),
    Bad("viz.Quiz", "questions[0]", "a str",
        lambda: viz.Quiz(["1 + 1?"]), TypeError, r"must be a dict with 'question'"),
    # notebook 03
    Bad("lessons.q03_attention_scores.ScoreDistributionExplorer", "d_k", "3",
        lambda: q03.ScoreDistributionExplorer(d_k=3), ValueError, r"must be one of \(1, 2, 4, .*1024\)"),
    Bad("lessons.q03_attention_scores.ScoreDistributionExplorer", "d_k", "True",
        lambda: q03.ScoreDistributionExplorer(d_k=True), TypeError, r"must be one of \(1, 2, 4"),
    Bad("lessons.q03_attention_scores.ScoreDistributionExplorer", "scaled", "a str",
        lambda: q03.ScoreDistributionExplorer(scaled="yes"), TypeError, r"must be a bool"),
    Bad("lessons.q03_attention_scores.ScoreDistributionExplorer", "n_keys", "1",
        lambda: q03.ScoreDistributionExplorer(n_keys=1), ValueError, r">= 2"),
    # notebook 02
    Bad("lessons.q02_qk_weights.SymmetricQKExplorer", "d_k", "True",
        lambda: q02.SymmetricQKExplorer(d_k=True), TypeError, r"must be one of \(1, 2, 4"),
    Bad("lessons.q02_qk_weights.SymmetricQKExplorer", "inputs", "unknown",
        lambda: q02.SymmetricQKExplorer(inputs="words"), ValueError, r"must be one of \('equal norms'"),
    Bad("lessons.q02_qk_weights.SymmetricQKExplorer", "tied", "1",
        lambda: q02.SymmetricQKExplorer(tied=1), TypeError, r"must be a bool"),
    Bad("lessons.q02_qk_weights.SymmetricQKExplorer", "T", "1",
        lambda: q02.SymmetricQKExplorer(T=1), ValueError, r">= 2"),
    Bad("lessons.q02_qk_weights.SymmetricQKExplorer", "d_k", "3",
        lambda: q02.SymmetricQKExplorer(d_k=3), ValueError, r"must be one of \(1, 2, 4, 8, 16, 32, 64\)"),
    Bad("lessons.q02_qk_weights.SymmetricQKExplorer", "tied", "a str",
        lambda: q02.SymmetricQKExplorer(tied="yes"), TypeError, r"must be a bool"),
    Bad("lessons.q02_qk_weights.SymmetricQKExplorer", "mask_self", "1",
        lambda: q02.SymmetricQKExplorer(mask_self=1), TypeError, r"must be a bool"),
    # notebook 04
    Bad("lessons.q04_padding_mask.PaddingMaskExplorer", "lengths", "an int",
        lambda: q04.PaddingMaskExplorer(lengths=5), TypeError, r"sequence of ints"),
    Bad("lessons.q04_padding_mask.PaddingMaskExplorer", "lengths", "a zero length",
        lambda: q04.PaddingMaskExplorer(lengths=(3, 0)), ValueError, r"ints >= 1"),
    Bad("lessons.q04_padding_mask.PaddingMaskExplorer", "scale", "True",
        lambda: q04.PaddingMaskExplorer(scale=True), TypeError, r"must be one of \(1, 10, 100"),
    Bad("lessons.q04_padding_mask.PaddingMaskExplorer", "dtype", "float64",
        lambda: q04.PaddingMaskExplorer(dtype="float64"), ValueError, r"must be one of \('float32'"),
    Bad("lessons.q04_padding_mask.PaddingMaskExplorer", "causal", "1",
        lambda: q04.PaddingMaskExplorer(causal=1), TypeError, r"must be a bool"),
    Bad("lessons.q04_padding_mask.PaddingMaskExplorer", "fill", "unknown",
        lambda: q04.PaddingMaskExplorer(fill="-5"), ValueError, r"must be one of"),
    Bad("lessons.q04_padding_mask.PaddingMaskExplorer", "scale", "7",
        lambda: q04.PaddingMaskExplorer(scale=7), ValueError, r"must be one of \(1, 10, 100"),
    Bad("lessons.q04_padding_mask.PaddingMaskExplorer", "side", "top",
        lambda: q04.PaddingMaskExplorer(side="top"), ValueError, r"must be one of"),
    Bad("lessons.q04_padding_mask.PaddingMaskExplorer", "form", "mul",
        lambda: q04.PaddingMaskExplorer(form="mul"), ValueError, r"must be one of"),
    Bad("lessons.q04_padding_mask.PaddingMaskExplorer", "lengths", "five sequences",
        lambda: q04.PaddingMaskExplorer(lengths=(2, 2, 2, 2, 2)), ValueError, r"at most 4 sequences"),
    # notebook 06
    Bad("lessons.q06_embedding_scale.EmbeddingScaleExplorer", "d_model", "100",
        lambda: q06.EmbeddingScaleExplorer(d_model=100), ValueError, r"must be one of \(16, 32"),
    Bad("lessons.q06_embedding_scale.EmbeddingScaleExplorer", "vocab_size", "a float",
        lambda: q06.EmbeddingScaleExplorer(vocab_size=1000.0), TypeError, r"must be one of \(1000, 8000"),
    Bad("lessons.q06_embedding_scale.EmbeddingScaleExplorer", "scale", "1",
        lambda: q06.EmbeddingScaleExplorer(scale=1), TypeError, r"must be a bool"),
    Bad("lessons.q06_embedding_scale.EmbeddingScaleExplorer", "n_tokens", "0",
        lambda: q06.EmbeddingScaleExplorer(n_tokens=0), ValueError, r">= 1"),
    Bad("lessons.q06_embedding_scale.EmbeddingScaleExplorer", "init", "kaiming",
        lambda: q06.EmbeddingScaleExplorer(init="kaiming"), ValueError, r"must be one of"),
    Bad("lessons.q06_embedding_scale.EmbeddingScaleExplorer", "vocab_size", "50000",
        lambda: q06.EmbeddingScaleExplorer(vocab_size=50000), ValueError, r"must be one of \(1000, 8000"),
    # notebook 07
    Bad("lessons.q07_sinusoidal_pe.PositionalEncodingExplorer", "d_model", "odd",
        lambda: q07.PositionalEncodingExplorer(d_model=7), ValueError, r"even int in \[2, 256\]"),
    Bad("lessons.q07_sinusoidal_pe.PositionalEncodingExplorer", "max_len", "500",
        lambda: q07.PositionalEncodingExplorer(max_len=500), ValueError, r"int in \[4, 128\]"),
    Bad("lessons.q07_sinusoidal_pe.PositionalEncodingExplorer", "base", "a float",
        lambda: q07.PositionalEncodingExplorer(base=10000.0), TypeError, r"must be one of \(10, 100"),
    Bad("lessons.q07_sinusoidal_pe.PositionalEncodingExplorer", "threshold", "NaN",
        lambda: q07.PositionalEncodingExplorer(threshold=float("nan")), ValueError, r"number > 0"),
    Bad("lessons.q07_sinusoidal_pe.PositionalEncodingExplorer", "base", "2",
        lambda: q07.PositionalEncodingExplorer(base=2), ValueError, r"must be one of \(10, 100"),
    Bad("lessons.q07_sinusoidal_pe.PositionalEncodingExplorer", "threshold", "0",
        lambda: q07.PositionalEncodingExplorer(threshold=0), ValueError, r"number > 0"),
    # notebook 08
    Bad("lessons.q08_other_pe.PositionalSchemeExplorer", "head", "8 of 8 heads",
        lambda: q08.PositionalSchemeExplorer(head=8), ValueError, r"int in \[0, 7\]"),
    Bad("lessons.q08_other_pe.PositionalSchemeExplorer", "scheme", "unknown",
        lambda: q08.PositionalSchemeExplorer(scheme="xpos"), ValueError, r"must be one of \['alibi'"),
    Bad("lessons.q08_other_pe.PositionalSchemeExplorer", "head_dim", "odd",
        lambda: q08.PositionalSchemeExplorer(head_dim=7), ValueError, r"must be even"),
    Bad("lessons.q08_other_pe.PositionalSchemeExplorer", "schemes['x']", "an int",
        lambda: q08.PositionalSchemeExplorer(schemes={"x": 3}), TypeError, r"must be a PositionalScheme"),
    Bad("lessons.q08_other_pe.PositionalSchemeExplorer", "T", "2",
        lambda: q08.PositionalSchemeExplorer(T=2), ValueError, r">= 3"),
    Bad("lessons.q08_other_pe.PositionalSchemeExplorer", "base", "5",
        lambda: q08.PositionalSchemeExplorer(base=5), ValueError, r"must be one of \(100, 1000"),
    # notebook 05
    Bad("lessons.q05_head_dim.HeadCostExplorer", "n_heads", "3 of d_model 32",
        lambda: q05.HeadCostExplorer(d_model=32, n_heads=3), ValueError, r"one of \(1, 2, 4, 8, 16\)"),
    Bad("lessons.q05_head_dim.HeadCostExplorer", "n_heads", "True",
        lambda: q05.HeadCostExplorer(n_heads=True), TypeError, r"must be an int"),
    Bad("lessons.q05_head_dim.HeadCostExplorer", "full_width", "1",
        lambda: q05.HeadCostExplorer(full_width=1), TypeError, r"must be a bool"),
    Bad("lessons.q05_head_dim.HeadCostExplorer", "d_model", "1",
        lambda: q05.HeadCostExplorer(d_model=1), ValueError, r">= 2"),
    Bad("lessons.q05_head_dim.HeadCostExplorer", "seed", "-1",
        lambda: q05.HeadCostExplorer(seed=-1), ValueError, r">= 0"),
    Bad("lessons.q05_head_dim.HeadCostExplorer", "n_heads", "32 of d_model 32",
        lambda: q05.HeadCostExplorer(d_model=32, n_heads=32), ValueError, r"at most d_model/2"),
    Bad("lessons.q05_head_dim.HeadCostExplorer", "seq_len", "1",
        lambda: q05.HeadCostExplorer(seq_len=1), ValueError, r">= 2"),
    # notebook 01
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "models", "empty",
        lambda: pattern(models={}), ValueError, r"non-empty dict"),
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "examples", "tokens only",
        lambda: pattern(examples=(TASK.batch(4, seed=1)[0],)), TypeError, r"pair \(tokens, targets\)"),
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "eval_batch", "float tokens",
        lambda: pattern(eval_batch=(torch.zeros(8, 4), torch.zeros(8, 4, dtype=torch.long))),
        ValueError, r"two integer \(N, T\) tensors"),
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "layer", "2 of 2 layers",
        lambda: pattern(layer=2), ValueError, r"int in \[0, 2\)"),
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "model", "unknown",
        lambda: pattern(model="3 heads"), ValueError, r"must be one of \['1 head'\]"),
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "models['a']", "nn.Linear",
        lambda: pattern(models={"a": torch.nn.Linear(2, 2)}), TypeError, r"TinyTransformer"),
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "models", "different depths",
        lambda: pattern(models={"a": models(1)["1 head"], "b": models(2)["1 head"]}), ValueError, r"same number of layers, got \[1, 2\]"),
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "head", "1 of 1 head",
        lambda: pattern(head=1), ValueError, r"int in \[0, 1\) for model '1 head'"),
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "example", "4 of 4 examples",
        lambda: pattern(example=4), ValueError, r"int in \[0, 4\)"),
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "examples", "targets shorter than tokens",
        lambda: pattern(examples=(TASK.batch(4, seed=1)[0], TASK.batch(4, seed=1)[1][:2])), ValueError,
        r"two integer \(N, T\) tensors"),
    Bad("lessons.q01_multi_head.HeadPatternExplorer", "examples[0]", "1-D tokens",
        lambda: pattern(examples=(TASK.batch(4, seed=1)[0][0], TASK.batch(4, seed=1)[1])), ValueError, r"must have 2 dims"),
    # the schematics' boxes and arrows
    Bad('viz.box', 'xy', 'three numbers', lambda: viz.box(Figure().add_subplot(), (0, 0, 0), "t"), ValueError,
        r'a point \(x, y\)'),
    Bad('viz.box', 'ax', 'a figure', lambda: viz.box(Figure(), (0, 0), "t"), TypeError, r'Axes'),
    Bad('viz.arrow', 'end', 'a string', lambda: viz.arrow(Figure().add_subplot(), (0, 0), "up"), ValueError,
        r'end must be a point'),
    Bad('viz.blank', 'ax', 'None', lambda: viz.blank(None), TypeError, r'Axes'),
]
