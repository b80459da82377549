"""Bad inputs to the lessons' experiments (``transformer_lab.lessons``): refused by name before anything
trains. Rows of :class:`badcase.Bad`, checked by ``test_bad_inputs.py``."""

from __future__ import annotations

import torch

import transformer_lab as tl
from badcase import Bad
from transformer_lab.lessons import head_layouts
from transformer_lab.lessons import (q01_multi_head as q01, q02_qk_weights as q02, q03_attention_scores as q03,
                                     q05_head_dim as q05, q06_embedding_scale as q06, q08_other_pe as q08)

CASES = [
    # notebook 01
    Bad('lessons.q01_multi_head.train_head_counts', 'base', 'negative', lambda: q01.train_head_counts(base=-1), ValueError, r'>= 0'),
    Bad('lessons.q01_multi_head.train_head_counts', 'n_seeds', 'one seed', lambda: q01.train_head_counts(n_seeds=1), ValueError, r'>= 2'),
    Bad('lessons.q01_multi_head.train_head_counts', 'heads', 'no one-head model',
        lambda: q01.train_head_counts(heads=(2, 8)), ValueError, r'hold 1'),
    Bad('lessons.head_layouts.train_layouts', 'heads', 'does not divide d_model',
        lambda: head_layouts.train_layouts((1, 3)), ValueError, r'divide d_model'),
    Bad('lessons.head_layouts.train_layouts', 'steps', 'zero', lambda: head_layouts.train_layouts((1,), steps=0), ValueError, r'>= 1'),
    Bad('lessons.head_layouts.layout_config', 'ModelConfig.d_model', 'h does not divide it',
        lambda: head_layouts.layout_config(3), ValueError, r'not divisible'),
    Bad('lessons.q01_multi_head.read_heads', 'tokens', 'not from the task',
        lambda: q01.read_heads(tl.build_model(head_layouts.layout_config(2)), torch.zeros(2, 3, dtype=torch.long)), ValueError, r'T=6'),
    Bad('lessons.head_layouts.label', 'h', 'a string', lambda: head_layouts.label("2"), TypeError, r'int'),
    # notebook 02
    Bad('lessons.q02_qk_weights.train_cyclic', 'base', 'a float', lambda: q02.train_cyclic(base=0.5), TypeError, r'must be an int'),
    Bad('lessons.q02_qk_weights.train_cyclic', 'n_seeds', 'one seed', lambda: q02.train_cyclic(n_seeds=1), ValueError, r'>= 2'),
    Bad('lessons.q02_qk_weights.train_partner', 'steps', 'zero', lambda: q02.train_partner(steps=0), ValueError, r'>= 1'),
    Bad('lessons.q02_qk_weights.model_config', 'task', 'not a task', lambda: q02.model_config("cycle"), TypeError, r'Task'),
    Bad('lessons.q02_qk_weights.training_sequences', 'seed', 'a float',
        lambda: q02.training_sequences(q02.CYCLE, 0.5, q02.TRAIN), TypeError, r'must be an int'),
    # notebook 03
    Bad('lessons.q03_attention_scores.train_score_functions', 'base', 'negative',
        lambda: q03.train_score_functions(base=-1), ValueError, r'>= 0'),
    Bad('lessons.q03_attention_scores.train_score_functions', 'd_ks', 'large before small',
        lambda: q03.train_score_functions(d_ks=(128, 4)), ValueError, r'small < large'),
    Bad('lessons.q03_attention_scores.train_score_functions', 'n_seeds', 'one seed',
        lambda: q03.train_score_functions(n_seeds=1), ValueError, r'>= 2'),
    Bad('lessons.q03_attention_scores.train_score_functions', 'steps', 'a float',
        lambda: q03.train_score_functions(steps=8.0), TypeError, r'must be an int'),
    # notebook 05
    Bad('lessons.q05_head_dim.fit_low_rank', 'n', 'one position', lambda: q05.fit_low_rank(n=1), ValueError, r'>= 4'),
    Bad('lessons.q05_head_dim.fit_low_rank', 'base', 'negative', lambda: q05.fit_low_rank(base=-2), ValueError, r'>= 0'),
    Bad('lessons.q05_head_dim.sweep_head_count', 'n_seeds', 'one seed', lambda: q05.sweep_head_count(n_seeds=1), ValueError, r'>= 2'),
    Bad('lessons.head_layouts.layout_config', 'ModelConfig.d_model', 'h=5 does not divide it',
        lambda: head_layouts.layout_config(5), ValueError, r'not divisible'),
    # notebook 06
    Bad('lessons.q06_embedding_scale.train_embedding_scale', 'n_seeds', 'one seed',
        lambda: q06.train_embedding_scale(n_seeds=1), ValueError, r'>= 2'),
    Bad('lessons.q06_embedding_scale.train_embedding_scale', 'base', 'a string',
        lambda: q06.train_embedding_scale(base="0"), TypeError, r'must be an int'),
    Bad('lessons.q06_embedding_scale.Setting', 'Setting.init', 'unknown', lambda: q06.Setting("uniform", False), ValueError, r'normal'),
    Bad('lessons.q06_embedding_scale.toy_config', 'Setting.norm', 'unknown', lambda: q06.toy_config("normal", False, norm="mid"),
        ValueError, r'pre'),
    # notebook 08
    Bad('lessons.q08_other_pe.train_extrapolation', 'n_seeds', 'one seed', lambda: q08.train_extrapolation(n_seeds=1),
        ValueError, r'>= 2'),
    Bad('lessons.q08_other_pe.train_extrapolation', 'base', 'negative', lambda: q08.train_extrapolation(base=-1),
        ValueError, r'>= 0'),
    Bad('lessons.q08_other_pe.model_config', 'scheme', 'unknown', lambda: q08.model_config("fourier"), ValueError, r'alibi'),
]

EXEMPT = {
    f"lessons.{name}": "a result record that its experiment fills in; the experiment checks every input"
    for name in ("q01_multi_head.HeadCountTraining", "q02_qk_weights.CyclicTraining", "q02_qk_weights.PartnerTraining",
                 "q03_attention_scores.ScoreTraining", "q05_head_dim.HeadSweep", "q05_head_dim.LowRankFit",
                 "q06_embedding_scale.EmbeddingTraining", "q08_other_pe.Extrapolation")
}
