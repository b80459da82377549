"""Seeds trained together (``train_seeds``, vmap over stacked weights) train as they would one by one."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

import transformer_lab as tl
from transformer_lab import randomness
from transformer_lab.stacked import SeedRuns, train_seeds

CFG = tl.TrainConfig(steps=12, batch_size=8, lr=1e-2, eval_every=4, eval_size=32)
POINTER = tl.PointerTask(n_symbols=8, n_items=4)
COPY = tl.LocalCopyTask(n_symbols=6, length=8, window=2)


def model(task, **kw):
    base = dict(vocab_size=task.vocab_size, n_out=task.n_out, d_model=8, n_heads=2, d_ff=0, max_len=task.seq_len)
    return tl.ModelConfig(**{**base, **kw})


CASES = {
    "scaled dot, sinusoidal, MLP": (POINTER, model(POINTER, d_ff=16)),
    "additive score": (POINTER, model(POINTER, score="additive", n_heads=1, head_dim=8)),
    "bilinear, learned, post-LN": (POINTER, model(POINTER, score="bilinear", positional="learned", norm="post")),
    "W_Q = W_K, self-mask": (POINTER, model(POINTER, share_qk=True, mask_self=True, positional="none")),
    "tied embedding, ×√d, xavier": (COPY, model(COPY, tie_weights=True, embed_scale=True, embed_init="xavier")),
    "causal, ALiBi": (COPY, model(COPY, causal=True, positional="alibi")),
    "causal, T5 bias": (COPY, model(COPY, causal=True, positional="t5")),
    "causal, RoPE": (COPY, model(COPY, causal=True, positional="rope")),
    "causal, Shaw": (COPY, model(COPY, causal=True, positional="shaw")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_seeds_trained_together_match_seeds_trained_one_by_one(name):
    task, mcfg = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no vmap fallback warning: attention batches under vmap
        together = train_seeds(mcfg, task, (3, 4, 5), CFG)
    for seed, h, trained in zip((3, 4, 5), together.histories, together.models):
        alone = tl.build_model(mcfg, seed)
        ref = tl.train(alone, task, tl.TrainConfig(**{**CFG.__dict__, "seed": seed}))
        assert h.eval_steps == ref.eval_steps == [4, 8, 12]
        torch.testing.assert_close(torch.tensor(h.train_loss), torch.tensor(ref.train_loss), atol=2e-4, rtol=1e-4)
        torch.testing.assert_close(torch.tensor(h.eval_loss), torch.tensor(ref.eval_loss), atol=2e-4, rtol=1e-4)
        for (n, p), (_, q) in zip(trained.named_parameters(), alone.named_parameters()):
            if n.endswith("k_proj.bias"):  # its gradient is rounding noise (softmax ignores q·b_k), which Adam amplifies
                continue
            torch.testing.assert_close(p, q, atol=2e-4, rtol=1e-3, msg=f"{name}: {n}")
        # the returned model is the trained one: evaluating it gives the history's last loss
        assert math.isclose(tl.evaluate(trained, task, CFG.eval_size, CFG.eval_seed)["loss"], h.final_loss, rel_tol=1e-5)


def test_gradient_clipping_is_per_seed():
    """A seed whose gradient is huge must not shrink the step of the others (a global clip would)."""
    task, mcfg = CASES["scaled dot, sinusoidal, MLP"]
    cfg = tl.TrainConfig(**{**CFG.__dict__, "grad_clip": 0.05, "steps": 3})
    together = train_seeds(mcfg, task, (0, 1), cfg)
    for seed, h in zip((0, 1), together.histories):
        ref = tl.train(tl.build_model(mcfg, seed), task, tl.TrainConfig(**{**cfg.__dict__, "seed": seed}))
        torch.testing.assert_close(torch.tensor(h.train_loss), torch.tensor(ref.train_loss), atol=1e-5, rtol=1e-5)


def test_train_many_trains_each_configuration_on_the_same_seeds(monkeypatch):
    monkeypatch.setenv(randomness.SEED_ENV, "2")
    configs = {"1 head": model(POINTER, n_heads=1), "2 heads": model(POINTER)}
    runs = tl.train_many(configs, POINTER, cfg=CFG)
    assert set(runs) == set(configs)
    for r in runs.values():
        assert isinstance(r, SeedRuns) and r.seeds == (2000, 2001, 2002, 2003, 2004)
        assert len(r.histories) == len(r.models) == 5 and not r.models[0].training
        assert r.final_accuracy == [h.final_accuracy for h in r.histories]
        assert r.final_loss == [h.final_loss for h in r.histories]


def test_a_loss_that_becomes_nan_is_refused_by_seed():
    task, mcfg = CASES["scaled dot, sinusoidal, MLP"]
    with pytest.raises(ValueError, match=r"training loss became NaN or inf at step \d+ for seeds \[0, 1\]"):
        train_seeds(mcfg, task, (0, 1), tl.TrainConfig(**{**CFG.__dict__, "lr": 1e30, "grad_clip": None}))


def test_seeds_derive_from_one_base_that_the_environment_moves(monkeypatch):
    monkeypatch.delenv(randomness.SEED_ENV, raising=False)
    assert randomness.seeds() == (0, 1, 2, 3, 4) and randomness.eval_seed() == 999
    monkeypatch.setenv(randomness.SEED_ENV, "7")
    assert randomness.base_seed() == 7 and randomness.seeds(2) == (7000, 7001) and randomness.eval_seed() == 7999
    assert randomness.seeds(3, base=1) == (1000, 1001, 1002)  # an explicit base wins
    bases = {b: set(randomness.seeds(999, base=b)) | {randomness.eval_seed(b)} for b in range(3)}
    assert not bases[0] & bases[1] and not bases[1] & bases[2]  # no two bases share a seed
    for bad in ("-1", "1.5", "x"):
        monkeypatch.setenv(randomness.SEED_ENV, bad)
        with pytest.raises(ValueError, match=r"TRANSFORMER_LAB_SEED must be (an integer )?>= 0"):
            randomness.seeds()
