"""Synthetic tasks (seeded, scored at the last position, correct by construction) and the
training loop (deterministic, returns a history, calls callbacks, learns)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import transformer_lab as tl
from transformer_lab.randomness import make_generator
from transformer_lab.train import loss_and_accuracy, torch_threads

TASKS = [
    tl.PointerTask(),
    tl.PointerTask(n_symbols=5, n_items=5),
    tl.KeyValueRecallTask(),
    tl.KeyValueRecallTask(n_keys=3, n_values=2, n_pairs=3),
]


@pytest.mark.parametrize("task", TASKS, ids=repr)
def test_batch_is_deterministic_and_scored_only_at_the_last_position(task):
    tok, tgt = task.batch(64, seed=7)
    tok2, tgt2 = task.batch(64, seed=7)
    assert torch.equal(tok, tok2) and torch.equal(tgt, tgt2)
    tok3, _ = task.batch(64, seed=8)
    assert not torch.equal(tok, tok3)
    assert tok.shape == tgt.shape == (64, task.seq_len) and tok.dtype == tgt.dtype == torch.long
    assert torch.all(tgt[:, :-1] == tl.IGNORE)
    assert torch.all((tgt[:, -1] >= 0) & (tgt[:, -1] < task.n_out))
    assert torch.all((tok >= 0) & (tok < task.vocab_size))
    # batch(size, seed) is sample() with a freshly seeded generator, so it never touches global RNG
    state = torch.random.get_rng_state()
    tok4, tgt4 = task.sample(64, make_generator(7))
    assert torch.equal(tok4, tok) and torch.equal(tgt4, tgt)
    assert torch.equal(torch.random.get_rng_state(), state)


@given(seed=st.integers(0, 2**31 - 1), n_items=st.integers(2, 8), extra=st.integers(0, 5))
def test_pointer_task_answer_is_the_index_of_the_query(seed, n_items, extra):
    task = tl.PointerTask(n_symbols=n_items + extra, n_items=n_items)
    tok, tgt = task.batch(16, seed)
    items, query, where = tok[:, :-1], tok[:, -1], tgt[:, -1]
    for b in range(16):
        assert len(set(items[b].tolist())) == n_items  # distinct items
        assert items[b, where[b]] == query[b]
    assert task.vocab_size == n_items + extra and task.n_out == n_items and task.seq_len == n_items + 1


@given(seed=st.integers(0, 2**31 - 1), n_keys=st.integers(2, 6), n_values=st.integers(2, 5), n_pairs=st.integers(1, 6))
def test_key_value_task_answer_is_the_value_of_the_queried_key(seed, n_keys, n_values, n_pairs):
    n_pairs = min(n_pairs, n_keys)
    task = tl.KeyValueRecallTask(n_keys=n_keys, n_values=n_values, n_pairs=n_pairs)
    tok, tgt = task.batch(16, seed)
    items, query = tok[:, :-1], tok[:, -1]
    assert torch.all(items < n_keys * n_values) and torch.all(query >= n_keys * n_values)
    keys, values = items // n_values, items % n_values
    asked = query - n_keys * n_values
    for b in range(16):
        assert len(set(keys[b].tolist())) == n_pairs  # distinct keys
        hit = (keys[b] == asked[b]).nonzero().flatten()
        assert len(hit) == 1 and values[b, hit[0]] == tgt[b, -1]
    assert task.vocab_size == n_keys * n_values + n_keys and task.n_out == n_values


def test_docstring_worked_example_encoding():
    """The KeyValueRecallTask docstring: pairs (2,0), (0,2), (3,1), query key 0 -> tokens [6, 2, 10, 12],
    answer 2. The task itself draws that sequence (one of its 4·3·2 · 3³ · 3 = 1944) and scores it 2."""
    task = tl.KeyValueRecallTask(n_keys=4, n_values=3, n_pairs=3)
    tokens, targets = task.batch(20_000, seed=0)
    rows = (tokens == torch.tensor([6, 2, 10, 12])).all(dim=1)
    assert rows.any(), "the worked example is not a sequence the task draws"
    assert (targets[rows] == torch.tensor([tl.IGNORE, tl.IGNORE, tl.IGNORE, 2])).all()
    assert task.vocab_size == 16 and task.seq_len == 4 and task.n_out == 3


def test_loss_and_accuracy_score_only_the_marked_positions():
    logits = torch.zeros(2, 3, 4)
    logits[0, 2, 1] = 5.0  # right
    logits[1, 2, 3] = 5.0  # wrong (target 0)
    logits[:, :2, 0] = 9.0  # unscored positions: anything
    targets = torch.full((2, 3), tl.IGNORE)
    targets[:, 2] = torch.tensor([1, 0])
    loss, acc = loss_and_accuracy(logits, targets)
    assert acc.item() == 0.5
    expected = torch.nn.functional.cross_entropy(logits[:, 2], targets[:, 2])
    torch.testing.assert_close(loss, expected, atol=1e-6, rtol=0)


def small_setup(task, seed=0):
    cfg = tl.ModelConfig(vocab_size=task.vocab_size, n_out=task.n_out, d_model=16, n_heads=2, d_ff=0,
                         max_len=task.seq_len, positional="none")
    return tl.build_model(cfg, seed=seed)


KV = tl.KeyValueRecallTask(n_keys=4, n_values=4, n_pairs=3)
FAST = tl.TrainConfig(steps=60, batch_size=32, lr=1e-2, eval_every=20, eval_size=128)


def test_train_is_deterministic_and_leaves_global_rng_alone():
    cfg = tl.TrainConfig(steps=12, batch_size=16, eval_every=5, eval_size=32)
    state = torch.random.get_rng_state()
    a, b = small_setup(KV), small_setup(KV)
    ha, hb = tl.train(a, KV, cfg), tl.train(b, KV, cfg)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert ha == hb
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert len(ha.train_loss) == 12 and ha.eval_steps == [5, 10, 12]
    assert len(ha.eval_loss) == len(ha.eval_accuracy) == 3
    assert ha.final_loss == ha.eval_loss[-1] and ha.final_accuracy == ha.eval_accuracy[-1]
    hc = tl.train(small_setup(KV), KV, tl.TrainConfig(steps=12, batch_size=16, eval_every=5, eval_size=32, seed=1))
    assert hc.train_loss != ha.train_loss  # the data seed matters


def test_train_learns_key_value_recall(capsys):
    model = small_setup(KV)
    before = tl.evaluate(model, KV, size=128, seed=FAST.eval_seed)
    seen = []
    history = tl.train(model, KV, FAST, callbacks=(lambda step, metrics, m: seen.append((step, metrics, m)),))
    assert history.final_loss < 0.5 * before["loss"]
    assert history.final_accuracy > 0.9 > before["accuracy"]
    assert sum(history.train_loss[-10:]) < sum(history.train_loss[:10])
    assert [s for s, _, _ in seen] == history.eval_steps == [20, 40, 60]
    assert all(m is model for _, _, m in seen)
    assert [metrics["loss"] for _, metrics, _ in seen] == history.eval_loss
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""  # the loop prints nothing: the notebook decides


def test_evaluate_restores_the_training_mode_and_matches_loss_and_accuracy():
    model = small_setup(KV)
    model.train()
    metrics = tl.evaluate(model, KV, size=64, seed=3)
    assert model.training
    model.eval()
    tl.evaluate(model, KV, size=64, seed=3)
    assert not model.training
    tok, tgt = KV.batch(64, 3)
    loss, acc = loss_and_accuracy(model(tok), tgt)
    assert metrics == {"loss": loss.item(), "accuracy": acc.item()}


def test_our_adamw_is_torch_adamw_bit_for_bit_and_never_imports_dynamo():
    """transformer_lab.optim.AdamW calls torch's functional Adam (decoupled weight decay) and keeps the
    state itself: the same parameters as torch.optim.AdamW after several steps, to the last bit."""
    import subprocess
    import sys

    from transformer_lab.optim import AdamW

    a = small_setup(KV)
    b = small_setup(KV)
    ours = AdamW(a.parameters(), lr=3e-3, weight_decay=0.1)
    theirs = torch.optim.AdamW(b.parameters(), lr=3e-3, weight_decay=0.1)
    gen_a, gen_b = make_generator(4), make_generator(4)
    for _ in range(6):
        for model, opt, gen in ((a, ours, gen_a), (b, theirs, gen_b)):
            tok, tgt = KV.sample(16, gen)
            loss, _ = loss_and_accuracy(model(tok), tgt)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    with pytest.raises(ValueError, match="lr must be > 0"):
        AdamW(a.parameters(), lr=0)
    with pytest.raises(ValueError, match="at least one tensor"):
        AdamW([])
    # the reason it exists: torch.optim imports torch._dynamo (2 s) on first use; training must not
    probe = (
        "import sys, transformer_lab as tl\n"
        "task = tl.KeyValueRecallTask(n_keys=3, n_values=2, n_pairs=2)\n"
        "cfg = tl.ModelConfig(vocab_size=task.vocab_size, n_out=task.n_out, d_model=8, n_heads=2, max_len=task.seq_len)\n"
        "tl.train(tl.build_model(cfg), task, tl.TrainConfig(steps=2, eval_size=8))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_training_gives_the_same_numbers_whatever_the_thread_setting():
    """TrainConfig.threads=1 (the default): a matmul's rounding depends on the thread count, and
    training amplifies it; the loop runs on one thread and puts the caller's setting back."""
    before = torch.get_num_threads()
    histories = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            histories.append(tl.train(small_setup(KV), KV, FAST))
            assert torch.get_num_threads() == threads  # restored
    finally:
        torch.set_num_threads(before)
    assert histories[0] == histories[1]
    with pytest.raises(ValueError, match="TrainConfig.threads must be >= 1"):
        tl.TrainConfig(threads=0)
    with torch_threads(None):
        assert torch.get_num_threads() == before
