"""``ModelConfig(attention="written")``: the model trains through the written-out math.

By default a model asked for no weights runs torch's fused kernel; with ``attention="written"``
every forward and backward pass goes through :func:`transformer_lab.masked_softmax`, so a student's
edit there changes training. The two paths compute the same function: trained from the same seed
on the same batches, their histories agree to float tolerance.
"""

from __future__ import annotations

import pytest
import torch

import transformer_lab as tl
from transformer_lab import attention

TASK = tl.PointerTask(n_symbols=8, n_items=4)
TRAIN = tl.TrainConfig(steps=40, batch_size=16, lr=1e-2, eval_every=20, eval_size=64)


def history(path: str, **model) -> tl.History:
    cfg = tl.ModelConfig(vocab_size=TASK.vocab_size, n_out=TASK.n_out, d_model=16, n_heads=2,
                         max_len=TASK.seq_len, attention=path, **model)
    return tl.train(tl.build_model(cfg, seed=3), TASK, TRAIN)


@pytest.mark.parametrize("model", [{}, {"causal": True, "positional": "alibi"}, {"score": "dot"}],
                         ids=["scaled_dot", "causal alibi", "dot"])
def test_both_paths_train_to_the_same_history(model):
    fused, written = history("fused", **model), history("written", **model)
    torch.testing.assert_close(written.train_loss, fused.train_loss, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(written.eval_loss, fused.eval_loss, rtol=1e-4, atol=1e-5)
    assert written.eval_accuracy == pytest.approx(fused.eval_accuracy, abs=2 / TRAIN.eval_size)


def test_the_written_path_goes_through_masked_softmax(monkeypatch):
    """An edit to masked_softmax reaches training only on the written path: count its calls."""
    calls = []
    original = attention.masked_softmax

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(attention, "masked_softmax", counting)
    history("fused")
    assert not calls, "the fused path should not call masked_softmax"
    history("written")
    assert len(calls) >= TRAIN.steps  # at least one call per training step
