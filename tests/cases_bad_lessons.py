"""Bad inputs to the lessons' experiments (``transformer_lab.lessons``): refused by name before anything
trains. Rows of :class:`badcase.Bad`, checked by ``test_bad_inputs.py``."""

from __future__ import annotations

import torch

import transformer_lab as tl
from badcase import Bad
from transformer_lab.lessons import guide
from transformer_lab.lessons import head_layouts
from transformer_lab.lessons import (q01_multi_head as q01, q02_qk_weights as q02, q03_attention_scores as q03,
                                     q04_padding_mask as q04, q05_head_dim as q05, q06_embedding_scale as q06, q08_other_pe as q08)


def _no_run():  # an Extrapolation with nothing trained: reaches the checks after the result's
    return q08.Extrapolation(seeds=(0, 1), claims=[], runs={}, lengths=q08.LENGTHS, train_len=16, ce={}, optimal=[],
                             excess_by_position={}, untouched={}, t5_never=[], t5_share=0.0)


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
    Bad('lessons.q01_multi_head.note_claims', 'result', 'another experiment',
        lambda: q01.note_claims(q05.LowRankFit(seeds=(0, 1), claims=[], n=4, d_ks=[1], kl={}, rank={})), TypeError,
        r'HeadCountTraining'),
    Bad('lessons.q01_multi_head.value_accuracy', 'tokens', 'not from the task',
        lambda: q01.value_accuracy(tl.build_model(head_layouts.layout_config(2)), torch.zeros(2, 3, dtype=torch.long),
                                   torch.zeros(2, 3, dtype=torch.long)), ValueError, r'T=6'),
    Bad('lessons.q01_multi_head.value_accuracy', 'model', 'a module of another kind',
        lambda: q01.value_accuracy(torch.nn.Linear(2, 2), *head_layouts.TASK.batch(2, 0)), TypeError, r'TinyTransformer'),
    Bad('lessons.q01_multi_head.accuracy_without', 'heads', 'a head the model lacks',
        lambda: q01.accuracy_without(tl.build_model(head_layouts.layout_config(2)), *head_layouts.TASK.batch(2, 0), [2]),
        ValueError, r'\[0, 2\)'),
    Bad('lessons.q01_multi_head.accuracy_without', 'heads', 'an int, not a list',
        lambda: q01.accuracy_without(tl.build_model(head_layouts.layout_config(2)), *head_layouts.TASK.batch(2, 0), 1),
        TypeError, r'list of head indices'),
    Bad('lessons.q01_multi_head.accuracy_without', 'layer', 'past the last layer',
        lambda: q01.accuracy_without(tl.build_model(head_layouts.layout_config(2)), *head_layouts.TASK.batch(2, 0), [0],
                                     layer=1), ValueError, r'in \[0, 0\]'),
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
    Bad('lessons.q05_head_dim.note_claims', 'sweep', 'the low-rank fit instead',
        lambda: q05.note_claims(q05.LowRankFit(seeds=(0, 1), claims=[], n=4, d_ks=[1], kl={}, rank={})), TypeError,
        r'HeadSweep'),
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
    # --- the note's claims tables and the √d_k sweep (issue 19) ------------------------------------------
    Bad('lessons.q02_qk_weights.note_claims', 'cyclic', 'another experiment',
        lambda: q02.note_claims(None, None, torch.zeros(3, 3), torch.zeros(3, 3)), TypeError, r'CyclicTraining'),
    Bad('lessons.q03_attention_scores.note_claims', 'training', 'a dict',
        lambda: q03.note_claims({}, None, None), TypeError, r'ScoreTraining'),
    Bad('lessons.q03_attention_scores.scale_sweep', 'd_ks', 'empty', lambda: q03.scale_sweep(d_ks=[]), ValueError,
        r'non-empty'),
    Bad('lessons.q03_attention_scores.scale_sweep', 'seed', 'negative', lambda: q03.scale_sweep(seed=-1), ValueError,
        r'>= 0'),
    Bad('lessons.q03_attention_scores.ScaleSweep', 'd_ks', 'a width of zero (via scale_sweep)',
        lambda: q03.scale_sweep(d_ks=[0, 4]), ValueError, r'd_ks\[0\] must be >= 1'),
    Bad('lessons.q03_attention_scores.score_cost', 'ns', 'an int', lambda: q03.score_cost(ns=64), TypeError,
        r'sequence of sequence lengths'),
    Bad('lessons.q03_attention_scores.ScoreCost', 'min_seconds', 'over a second (via score_cost)',
        lambda: q03.score_cost(min_seconds=5), ValueError, r'min_seconds'),
    Bad('lessons.q03_attention_scores.projection_gradient_norm', 'scaled', 'a string',
        lambda: q03.projection_gradient_norm(16, "yes"), TypeError, r'scaled'),
    Bad('lessons.q03_attention_scores.projection_gradient_norm', 'n_tokens', 'one token',
        lambda: q03.projection_gradient_norm(16, True, n_tokens=1), ValueError, r'n_tokens'),
    Bad('lessons.q03_attention_scores.log_log_slope', 'ys', 'a zero (no logarithm)',
        lambda: q03.log_log_slope([1, 2], [0.0, 1.0]), ValueError, r'positive finite'),
    Bad('lessons.q03_attention_scores.log_log_slope', 'xs', 'one point', lambda: q03.log_log_slope([1], [1]),
        ValueError, r'length >= 2'),
    Bad('lessons.q04_padding_mask.note_claims', 'invariance', 'empty',
        lambda: q04.note_claims({}, {}, [], {}), TypeError, r'invariance must be a non-empty dict'),
    Bad('lessons.q04_padding_mask.note_claims', 'invariance', 'no unmasked run',
        lambda: q04.note_claims({("enc", "right", True): [0.0]}, {}, [], {}), ValueError, r'masked True and False'),
    Bad('lessons.q06_embedding_scale.note_claims', 'stats', 'a list',
        lambda: q06.note_claims([], None, 8, 8, 1.0), TypeError, r'stats must be a dict'),
    Bad('lessons.q06_embedding_scale.note_claims', 'stats', 'missing settings',
        lambda: q06.note_claims({}, None, 8, 8, 1.0), ValueError, r'missing'),

    Bad('lessons.q08_other_pe.note_claims', 'result', 'another experiment',
        lambda: q08.note_claims(q05.LowRankFit(seeds=(0, 1), claims=[], n=4, d_ks=[1], kl={}, rank={}), {}), TypeError,
        r'Extrapolation'),
    Bad('lessons.q08_other_pe.note_claims', 'facts', 'a scheme missing',
        lambda: q08.note_claims(_no_run(), {}), ValueError, r"'none' is missing"),
    Bad('lessons.q08_other_pe.beyond_note', 'rope_offset_gap', 'negative',
        lambda: q08.beyond_note(_no_run(), {}, rope_offset_gap=-1.0), ValueError, r'rope_offset_gap'),
    Bad('lessons.q08_other_pe.pros_and_cons', 'result', 'a dict', lambda: q08.pros_and_cons({}, {}), TypeError,
        r'Extrapolation'),
    Bad('lessons.q08_other_pe.facts_table', 'facts', 'a list', lambda: q08.facts_table([]), TypeError, r'scheme_facts'),
    Bad('lessons.q08_other_pe.facts_table', 'facts', 'not from scheme_facts', lambda: q08.facts_table({"alibi": {}}),
        ValueError, r'missing'),
    Bad('lessons.q08_other_pe.scheme_facts', 'schemes', 'empty', lambda: q08.scheme_facts({}, 8, 2, 4), ValueError,
        r'at least one scheme'),
    Bad('lessons.q08_other_pe.scheme_facts', 'schemes', 'a name, not a scheme',
        lambda: q08.scheme_facts({"alibi": "alibi"}, 8, 2, 4), TypeError, r'must be a PositionalScheme'),
    Bad('lessons.q08_other_pe.untrained_buckets', 'eval_len', 'shorter than training',
        lambda: q08.untrained_buckets(16, 8), ValueError, r'eval_len must be >= 16'),
    Bad('lessons.q08_other_pe.untrained_buckets', 'bidirectional', 'a string',
        lambda: q08.untrained_buckets(16, 64, "no"), TypeError, r'bidirectional'),
    Bad('lessons.q08_other_pe.rope_decay_curves', 'head_dim', 'odd', lambda: q08.rope_decay_curves(head_dim=7),
        ValueError, r'must be even'),
    Bad('lessons.q08_other_pe.rope_decay_curves', 'base', 'one', lambda: q08.rope_decay_curves(base=1), ValueError,
        r'base'),

    # --- the landing page's reading guide ------------------------------------------------------------
    Bad('lessons.guide.reading_minutes', 'notebook', 'a path', lambda: guide.reading_minutes("01.ipynb"),
        TypeError, r'parsed \.ipynb'),
    Bad('lessons.guide.reading_guide', 'folder', 'not a folder', lambda: guide.reading_guide("no/such/folder"),
        ValueError, r'not a directory'),
]

EXEMPT = {
    f"lessons.{name}": "a result record that its experiment fills in; the experiment checks every input"
    for name in ("q01_multi_head.HeadCountTraining", "q02_qk_weights.CyclicTraining", "q02_qk_weights.PartnerTraining",
                 "q03_attention_scores.ScoreTraining", "q05_head_dim.HeadSweep", "q05_head_dim.LowRankFit",
                 "q06_embedding_scale.EmbeddingTraining", "q08_other_pe.Extrapolation")
}
