"""Bad inputs to the evidence machinery: seeds derived from a base, seeds trained together, claims
decided over seeds. Rows of :class:`badcase.Bad`, checked by ``test_bad_inputs.py``."""

from __future__ import annotations

import os

import transformer_lab as tl
from badcase import Bad
from transformer_lab import evidence as ev
from transformer_lab import randomness as rnd

NAN = float("nan")


def cfg(**kw):
    return tl.ModelConfig(**{**dict(vocab_size=16, d_model=8, n_heads=2, d_ff=0, max_len=9), **kw})


def with_env(value, fn):
    """Call ``fn`` with $TRANSFORMER_LAB_SEED set to ``value``, then restore it."""
    before = os.environ.get(rnd.SEED_ENV)
    os.environ[rnd.SEED_ENV] = value
    try:
        return fn()
    finally:
        if before is None:
            del os.environ[rnd.SEED_ENV]
        else:
            os.environ[rnd.SEED_ENV] = before


CASES = [
    # --- randomness: one base seed moves every seed --------------------------------------------------
    Bad('randomness.base_seed', 'base', 'negative', lambda: rnd.base_seed(-1), ValueError, r'>= 0'),
    Bad('randomness.base_seed', 'base', 'a float', lambda: rnd.base_seed(1.5), TypeError, r'must be an int'),
    Bad('randomness.base_seed', 'TRANSFORMER_LAB_SEED', 'not a number',
        lambda: with_env("seven", rnd.base_seed), ValueError, r'integer >= 0'),
    Bad('randomness.base_seed', 'TRANSFORMER_LAB_SEED', 'negative',
        lambda: with_env("-3", rnd.base_seed), ValueError, r'>= 0'),
    Bad('seeds', 'n', 'zero', lambda: tl.seeds(0), ValueError, r'in \[1, 999\]'),
    Bad('seeds', 'n', 'a float', lambda: tl.seeds(2.0), TypeError, r'must be an int'),
    Bad('seeds', 'base', 'a string', lambda: tl.seeds(2, base="1"), TypeError, r'must be an int'),
    Bad('seed', 'i', 'the evaluation seed', lambda: tl.seed(999), ValueError, r'in \[0, 998\]'),
    Bad('seed', 'i', 'a bool', lambda: tl.seed(True), TypeError, r'must be an int'),
    Bad('eval_seed', 'base', 'negative', lambda: tl.eval_seed(-2), ValueError, r'>= 0'),
    Bad('base_seed', 'base', 'a bool', lambda: tl.base_seed(True), TypeError, r'must be an int'),
    Bad('randomness.seed', 'base', 'negative', lambda: rnd.seed(0, base=-1), ValueError, r'>= 0'),
    Bad('randomness.seeds', 'n', 'too many', lambda: rnd.seeds(1000), ValueError, r'in \[1, 999\]'),
    Bad('randomness.eval_seed', 'base', 'a float', lambda: rnd.eval_seed(0.5), TypeError, r'must be an int'),
    Bad('randomness.make_generator', 'seed', 'a float', lambda: rnd.make_generator(0.5), TypeError, r'must be an int'),
    Bad('evidence.check_run', 'n_seeds', 'one seed has no spread', lambda: ev.check_run(0, 1, 10), ValueError, r'>= 2'),
    Bad('evidence.check_run', 'steps', 'a float', lambda: ev.check_run(0, 5, 10.0), TypeError, r'must be an int'),
    Bad('evidence.check_run', 'base', 'negative', lambda: ev.check_run(-1, 5, 10), ValueError, r'>= 0'),
    Bad('evidence.claims_table', 'claims', 'a string', lambda: ev.claims_table("a | b"), TypeError, r'list of'),
    Bad('evidence.claims_table', 'claims', 'empty', lambda: ev.claims_table([]), ValueError, r'at least one'),
    Bad('evidence.claims_table', 'claims[0]', 'four items',
        lambda: ev.claims_table([("笔记", "c", "holds", "e")]), ValueError, r"\('note', 'gloss', 'verdict', 'evidence', 'section'\), got 4 items"),
    Bad('evidence.claims_table', 'verdict', 'not a verdict',
        lambda: ev.claims_table([("笔记", "c", "maybe", "e", "1")]), ValueError, r'one of'),
    Bad('evidence.claims_table', 'evidence', "a '|'",
        lambda: ev.claims_table([("笔记", "c", "holds", "a | b", "1")]), ValueError, r'one table cell'),
    Bad('evidence.fmt_gap', 'x', 'NaN', lambda: ev.fmt_gap(float("nan")), ValueError, r'not computed'),
    Bad('evidence.fmt_gap', 'x', 'a tensor', lambda: ev.fmt_gap("0.1"), TypeError, r'real number'),
    Bad('evidence.fmt_gap', 'floor', 'zero', lambda: ev.fmt_gap(0.1, floor=0), ValueError, r'> 0'),
    # --- seeds trained together ----------------------------------------------------------------------------
    Bad('train_seeds', 'seeds', 'no seeds',
        lambda: tl.train_seeds(cfg(), tl.PointerTask(), ()), ValueError, r'at least one seed'),
    Bad('train_seeds', 'seeds', 'an int', lambda: tl.train_seeds(cfg(), tl.PointerTask(), 5), TypeError, r'tuple of ints'),
    Bad('train_seeds', 'seeds[1]', 'negative',
        lambda: tl.train_seeds(cfg(), tl.PointerTask(), (0, -1)), ValueError, r'>= 0'),
    Bad('train_seeds', "configs['model_cfg']", 'a dict',
        lambda: tl.train_seeds({"d_model": 8}, tl.PointerTask(), (0,)), TypeError, r'must be a ModelConfig'),
    Bad('train_seeds', "configs['model_cfg']", 'too short for the task',
        lambda: tl.train_seeds(cfg(max_len=4), tl.PointerTask(), (0,)), ValueError, r'max_len >= 9'),
    Bad('train_seeds', 'task', 'a string', lambda: tl.train_seeds(cfg(), "pointer", (0,)), TypeError, r'must be a Task'),
    Bad('train_seeds', 'cfg', 'a dict',
        lambda: tl.train_seeds(cfg(), tl.PointerTask(), (0,), {"steps": 1}), TypeError, r'TrainConfig'),
    # --- claims decided over seeds -------------------------------------------------------------------------
    Bad('approx', 'x', 'a string', lambda: tl.approx("0.5"), TypeError, r'real number'),
    Bad('evidence.approx', 'spec', 'not a string', lambda: ev.approx(0.5, 2), TypeError, r"format spec"),
    Bad('evidence.every_seed', 'slack', 'empty', lambda: ev.every_seed("c", "r", []), TypeError, r'one per seed'),
    Bad('evidence.every_seed', 'slack[1]', 'NaN', lambda: ev.every_seed("c", "r", [0.1, NAN]), TypeError, r'real number'),
    Bad('evidence.most_seeds', 'k', 'more than the seeds',
        lambda: ev.most_seeds("c", "r", [0.1, 0.2], 3), ValueError, r'in \[1, 2\]'),
    Bad('evidence.mean_above', 'values', 'one seed', lambda: ev.mean_above("c", "r", [0.3]), ValueError, r'at least 2'),
    Bad('evidence.mean_above', 'values', 'a string', lambda: ev.mean_above("c", "r", "0.3"), TypeError, r'one per seed'),
    Bad('evidence.mean_within', 'tolerance', 'zero', lambda: ev.mean_within("c", "r", [0.1, 0.2], 0), ValueError, r'> 0'),
    Bad('evidence.mean_within', 'values', 'one seed', lambda: ev.mean_within("c", "r", [0.1], 0.2), ValueError, r'at least 2'),
    Bad('evidence.Claim', 'Claim.name', 'empty', lambda: ev.Claim("", "r", 0.1, "h"), TypeError, r'non-empty str'),
    Bad('evidence.Claim', 'Claim.rule', 'a pipe', lambda: ev.Claim("c", "a | b", 0.1, "h"), ValueError, r"'\|'"),
    Bad('evidence.Claim', 'Claim.margin', 'NaN', lambda: ev.Claim("c", "r", NAN, "h"), TypeError, r'real number'),
    Bad('evidence.seed_table', "values['a']", 'empty', lambda: ev.seed_table({"a": []}), TypeError, r'one per seed'),
    Bad('evidence.Evidence.claim', 'name', 'unknown',
        lambda: ev.Evidence((0,), [ev.every_seed("c", "r", [1.0])]).claim("d"), KeyError, r'one of the claims'),
    Bad('evidence.experiment', 'notebook', 'not a number', lambda: ev.experiment("three"), ValueError, r"'03'"),
]

EXEMPT = {
    "SeedRuns": "a record that train_seeds fills in; train_seeds checks every input",
    "evidence.Table": "a str that renders as Markdown; any str is a valid table source",
}
