"""Every bad input raises the right exception type with a message that names the argument.

Each case is ``(id, call, exception type, regex the message must match)``; the regex names the
offending argument, so a message that stops saying *what* was wrong fails here.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import transformer_lab as tl
from transformer_lab.train import loss_and_accuracy

r = torch.randn
B3 = dict(dtype=torch.bool)


def mha(**kw):
    return tl.MultiHeadAttention(8, 2, **kw)


def model(**kw):
    return tl.build_model(tl.ModelConfig(vocab_size=10, d_model=8, n_heads=2, max_len=6, **kw))


def long(*shape, value=0):
    return torch.full(shape, value, dtype=torch.long)


CASES = [
    # --- scaled_dot_product_attention / attend / masked_softmax: shapes ---------------------------
    ("sdpa q/k width", lambda: tl.scaled_dot_product_attention(r(2, 3, 4), r(2, 5, 6), r(2, 5, 4)),
     ValueError, r"q and k .*last dim"),
    ("sdpa v S", lambda: tl.scaled_dot_product_attention(r(2, 3, 4), r(2, 5, 4), r(2, 6, 4)), ValueError, r"\bv\b"),
    ("sdpa v batch", lambda: tl.scaled_dot_product_attention(r(2, 3, 4), r(2, 5, 4), r(3, 5, 4)), ValueError, r"\bv\b"),
    ("sdpa q/k batch", lambda: tl.scaled_dot_product_attention(r(2, 3, 4), r(3, 5, 4), r(3, 5, 4)),
     ValueError, r"q and k .*leading"),
    ("sdpa q 1-D", lambda: tl.scaled_dot_product_attention(r(4), r(5, 4), r(5, 4)), ValueError, r"q and k"),
    ("sdpa q not tensor", lambda: tl.scaled_dot_product_attention([[1.0]], r(1, 1), r(1, 1)), TypeError, r"\bq\b"),
    ("sdpa q int", lambda: tl.scaled_dot_product_attention(long(1, 4), r(2, 4), r(2, 4)), TypeError, r"\bq\b.*floating"),
    ("sdpa v int", lambda: tl.scaled_dot_product_attention(r(1, 4), r(2, 4), long(2, 4)), TypeError, r"\bv\b.*floating"),
    ("mask not broadcastable", lambda: tl.scaled_dot_product_attention(r(2, 3, 4), r(2, 5, 4), r(2, 5, 4),
                                                                       mask=torch.ones(2, 5, **B3)),
     ValueError, r"mask of shape \(2, 5\)"),
    ("padding mask not reshaped", lambda: tl.scaled_dot_product_attention(r(2, 2, 3, 4), r(2, 2, 5, 4), r(2, 2, 5, 4),
                                                                          mask=torch.ones(2, 5, **B3)),
     ValueError, r"mask .*key_mask_to_attention_mask"),
    ("mask grows the output", lambda: tl.masked_softmax(r(3, 4), torch.ones(2, 3, 4, **B3)), ValueError, r"mask"),
    ("bias not broadcastable", lambda: tl.masked_softmax(r(3, 4), bias=r(3, 5)), ValueError, r"bias"),
    ("attend v S", lambda: tl.attend(r(3, 4), r(5, 2)), ValueError, r"\bv\b.*S = 4"),
    ("scores 1-D", lambda: tl.masked_softmax(r(4)), ValueError, r"scores"),
    # --- masks of the wrong kind ------------------------------------------------------------------
    ("int mask", lambda: tl.masked_softmax(r(3, 4), torch.ones(3, 4, dtype=torch.long)), TypeError, r"mask must be bool"),
    ("uint8 mask", lambda: tl.scaled_dot_product_attention(r(3, 4), r(4, 4), r(4, 4), mask=torch.ones(3, 4, dtype=torch.uint8)),
     TypeError, r"mask must be bool"),
    ("float 0/1 keep-mask", lambda: tl.masked_softmax(r(3, 4), torch.tensor([1.0, 0.0, 1.0, 1.0])),
     ValueError, r"mask is a float 0/1"),
    ("float all-ones keep-mask", lambda: tl.scaled_dot_product_attention(r(3, 4), r(4, 4), r(4, 4), mask=torch.ones(3, 4)),
     ValueError, r"mask is a float 0/1"),
    ("float keep-mask with key_mask", lambda: mha()(r(1, 3, 8), mask=torch.tensor([[1.0, 0, 0], [1, 1, 0], [1, 1, 1]]),
                                                   key_mask=torch.ones(1, 3, **B3)),
     ValueError, r"mask is a float 0/1"),
    ("additive mask NaN", lambda: tl.masked_softmax(r(2, 3), torch.tensor([0.0, float("nan"), 0.0])), ValueError, r"mask"),
    ("additive mask +inf", lambda: tl.masked_softmax(r(2, 3), torch.tensor([0.0, float("inf"), -1.0])), ValueError, r"mask"),
    ("int bias", lambda: tl.masked_softmax(r(2, 3), bias=long(2, 3)), TypeError, r"bias"),
    ("NaN bias", lambda: tl.masked_softmax(r(2, 3), bias=torch.tensor([0.0, float("nan"), 0.0])), ValueError, r"bias"),
    ("+inf bias", lambda: tl.masked_softmax(r(2, 3), bias=torch.tensor([0.0, float("inf"), 0.0])), ValueError, r"bias"),
    # --- NaN / overflow in the scores ---------------------------------------------------------------
    ("NaN scores", lambda: tl.masked_softmax(torch.tensor([[0.0, float("nan")]])), ValueError, r"scores contain NaN"),
    ("+inf scores", lambda: tl.masked_softmax(torch.tensor([[0.0, float("inf")]])), ValueError, r"scores .*\+inf"),
    ("NaN in q", lambda: tl.scaled_dot_product_attention(torch.full((2, 4), float("nan")), r(3, 4), r(3, 4)),
     ValueError, r"scores contain NaN.*\(q, k\)"),
    ("fp16 q·k overflow", lambda: tl.scaled_dot_product_attention(
        torch.full((2, 4), 300.0, dtype=torch.float16), torch.full((2, 4), 300.0, dtype=torch.float16),
        torch.ones(2, 4, dtype=torch.float16), scale=1.0), ValueError, r"scores .*overflow"),
    # --- score functions --------------------------------------------------------------------------
    ("dot q/k width", lambda: tl.dot_scores(r(3, 4), r(5, 6)), ValueError, r"q and k .*last dim"),
    ("bilinear weight shape", lambda: tl.bilinear_scores(r(3, 4), r(5, 6), r(6, 4)), ValueError, r"weight .*\(4, 6\)"),
    ("bilinear weight 1-D", lambda: tl.bilinear_scores(r(3, 4), r(5, 4), r(4)), ValueError, r"weight"),
    ("additive w_q shape", lambda: tl.additive_scores(r(3, 4), r(5, 6), r(5, 7), r(6, 7), r(7)), ValueError, r"w_q"),
    ("additive v 2-D", lambda: tl.additive_scores(r(3, 4), r(5, 6), r(4, 7), r(6, 7), r(7, 1)), ValueError, r"\bv\b"),
    ("unknown score", lambda: tl.make_score("cosine", 8), ValueError, r"score must be one of .*'cosine'"),
    ("MHA unknown score", lambda: mha(score="cosine"), ValueError, r"score must be one of"),
    # --- MultiHeadAttention -----------------------------------------------------------------------
    ("MHA d_model % n_heads", lambda: tl.MultiHeadAttention(10, 3), ValueError, r"d_model=10 is not divisible by n_heads=3"),
    ("MHA d_model 0", lambda: tl.MultiHeadAttention(0, 1), ValueError, r"d_model"),
    ("MHA n_heads float", lambda: tl.MultiHeadAttention(8, 2.0), TypeError, r"n_heads"),
    ("MHA head_dim 0", lambda: tl.MultiHeadAttention(8, 2, head_dim=0), ValueError, r"head_dim"),
    ("MHA x width", lambda: mha()(r(1, 3, 7)), ValueError, r"\bx\b.*D = 8"),
    ("MHA x 2-D", lambda: mha()(r(3, 8)), ValueError, r"\bx\b must have 3 dims"),
    ("MHA x int", lambda: mha()(long(1, 3, 8)), TypeError, r"\bx\b.*floating"),
    ("MHA context width", lambda: mha()(r(1, 3, 8), context=r(1, 4, 6)), ValueError, r"context"),
    ("MHA context batch", lambda: mha()(r(1, 3, 8), context=r(2, 4, 8)), ValueError, r"context .*batch"),
    ("MHA key_mask shape", lambda: mha()(r(2, 3, 8), key_mask=torch.ones(2, 4, **B3)), ValueError, r"key_mask .*\(2, 3\)"),
    ("MHA key_mask int", lambda: mha()(r(2, 3, 8), key_mask=long(2, 3)), TypeError, r"key_mask must be a bool"),
    ("MHA key_mask list", lambda: mha()(r(1, 2, 8), key_mask=[[True, True]]), TypeError, r"key_mask"),
    ("MHA mask int", lambda: mha()(r(1, 3, 8), mask=long(3, 3)), TypeError, r"mask must be bool"),
    ("MHA mask shape", lambda: mha()(r(1, 3, 8), mask=torch.ones(4, 4, **B3)), ValueError, r"mask of shape \(4, 4\)"),
    ("MHA bool mask + int key_mask", lambda: mha()(r(1, 3, 8), mask=tl.causal_mask(3), key_mask=long(1, 3)),
     TypeError, r"key_mask"),
    ("MHA list mask + key_mask", lambda: mha()(r(1, 2, 8), mask=[[True, True]], key_mask=torch.ones(1, 2, **B3)),
     TypeError, r"^mask must be a torch.Tensor"),
    ("MHA head_mask shape", lambda: mha()(r(1, 3, 8), head_mask=torch.ones(3)), ValueError, r"head_mask .*\(2,\)"),
    ("MHA head_mask list", lambda: mha()(r(1, 3, 8), head_mask=[1.0, 0.0]), TypeError, r"head_mask"),
    ("from_torch wrong type", lambda: tl.MultiHeadAttention.from_torch(nn.Linear(8, 8)), TypeError, r"mha"),
    ("from_torch kdim", lambda: tl.MultiHeadAttention.from_torch(nn.MultiheadAttention(8, 2, kdim=4, vdim=4)),
     ValueError, r"kdim"),
    # --- masks ------------------------------------------------------------------------------------
    ("lengths negative", lambda: tl.padding_mask(torch.tensor([2, -1]), 4), ValueError, r"lengths must be >= 0"),
    ("lengths > max_len", lambda: tl.padding_mask([2, 5], 4), ValueError, r"lengths must be <= max_len=4"),
    ("lengths float", lambda: tl.padding_mask(torch.tensor([2.0, 1.0]), 4), TypeError, r"lengths must hold integers"),
    ("lengths float list", lambda: tl.padding_mask([2.5], 4), TypeError, r"lengths must hold integers"),
    ("lengths bool", lambda: tl.padding_mask(torch.tensor([True]), 4), TypeError, r"lengths"),
    ("lengths 2-D", lambda: tl.padding_mask(torch.tensor([[2, 1]]), 4), ValueError, r"lengths must be 1-D"),
    ("lengths 0-D", lambda: tl.padding_mask(torch.tensor(2), 4), ValueError, r"lengths must be 1-D"),
    ("padding side", lambda: tl.padding_mask([1], 2, side="middle"), ValueError, r"side"),
    ("padding max_len float", lambda: tl.padding_mask([1], 2.0), TypeError, r"max_len"),
    ("causal T 0", lambda: tl.causal_mask(0), ValueError, r"\bT\b"),
    ("causal T float", lambda: tl.causal_mask(3.0), TypeError, r"\bT\b"),
    ("causal S < T", lambda: tl.causal_mask(4, 3), ValueError, r"S must be >= T"),
    ("combine float mask", lambda: tl.combine_masks(None, torch.ones(3)), TypeError, r"masks\[1\] must be a bool"),
    ("combine not broadcastable", lambda: tl.combine_masks(torch.ones(3, **B3), None, torch.ones(4, **B3)),
     ValueError, r"masks\[2\] of shape \(4,\)"),
    ("key_mask 3-D", lambda: tl.key_mask_to_attention_mask(torch.ones(1, 2, 3, **B3)), ValueError, r"key_mask"),
    ("key_mask float", lambda: tl.key_mask_to_attention_mask(torch.ones(2, 3)), TypeError, r"key_mask must be a bool"),
    ("query_mask int", lambda: tl.query_mask_to_attention_mask(long(2, 3)), TypeError, r"query_mask"),
    ("to_additive fp16 -1e9", lambda: tl.to_additive(torch.ones(2, **B3), torch.float16, fill=-1e9),
     ValueError, r"fill=-1e\+09 overflows torch.float16"),
    ("to_additive positive fill", lambda: tl.to_additive(torch.ones(2, **B3), fill=1.0), ValueError, r"fill must be negative"),
    ("to_additive NaN fill", lambda: tl.to_additive(torch.ones(2, **B3), fill=float("nan")), ValueError, r"fill"),
    ("to_additive int dtype", lambda: tl.to_additive(torch.ones(2, **B3), torch.int32), TypeError, r"dtype"),
    ("to_additive float mask", lambda: tl.to_additive(torch.ones(2)), TypeError, r"mask must be a bool"),
    ("to_boolean keep-mask", lambda: tl.to_boolean(torch.tensor([1.0, 0.0])), ValueError, r"additive holds positive"),
    ("to_boolean NaN", lambda: tl.to_boolean(torch.tensor([0.0, float("nan")])), ValueError, r"additive contains NaN"),
    ("to_boolean bool", lambda: tl.to_boolean(torch.ones(2, **B3)), TypeError, r"additive"),
    ("safe_fill_value int", lambda: tl.safe_fill_value(torch.int64), TypeError, r"dtype"),
    ("to_torch_key_padding_mask float", lambda: tl.to_torch_key_padding_mask(torch.ones(2, 3)), TypeError, r"key_mask"),
    ("from_torch_key_padding_mask 1-D", lambda: tl.from_torch_key_padding_mask(torch.ones(3, **B3)),
     ValueError, r"key_padding_mask"),
    # --- positional -------------------------------------------------------------------------------
    ("sinusoidal odd d_model", lambda: tl.sinusoidal_encoding(4, 7), ValueError, r"d_model must be even"),
    ("sinusoidal base", lambda: tl.sinusoidal_encoding(4, 8, base=1.0), ValueError, r"base"),
    ("sinusoidal max_len 0", lambda: tl.sinusoidal_encoding(0, 8), ValueError, r"max_len"),
    ("sinusoidal too long", lambda: tl.SinusoidalPositional(8, 4).add_to_input(r(1, 5, 8)),
     ValueError, r"sequence length 5 .*max_len=4"),
    ("learned too long", lambda: tl.LearnedPositional(8, 4).add_to_input(r(1, 5, 8)), ValueError, r"max_len=4"),
    ("table width", lambda: tl.SinusoidalPositional(8, 4).add_to_input(r(1, 3, 6)), ValueError, r"\bx\b .*width"),
    ("table x 2-D", lambda: tl.LearnedPositional(8, 4).add_to_input(r(3, 8)), ValueError, r"\bx\b"),
    ("unknown positional", lambda: tl.make_positional("no-such-scheme", d_model=8, max_len=4, n_heads=2, head_dim=4),
     ValueError, r"positional must be one of .*got 'no-such-scheme'"),
    # --- ModelConfig ------------------------------------------------------------------------------
    ("config d_model % n_heads", lambda: tl.ModelConfig(d_model=32, n_heads=3), ValueError,
     r"ModelConfig.d_model=32 is not divisible by n_heads=3"),
    ("config vocab 0", lambda: tl.ModelConfig(vocab_size=0), ValueError, r"ModelConfig.vocab_size"),
    ("config n_layers float", lambda: tl.ModelConfig(n_layers=1.5), ValueError, r"ModelConfig.n_layers"),
    ("config max_len bool", lambda: tl.ModelConfig(max_len=True), ValueError, r"ModelConfig.max_len"),
    ("config d_ff negative", lambda: tl.ModelConfig(d_ff=-1), ValueError, r"ModelConfig.d_ff"),
    ("config d_ff float", lambda: tl.ModelConfig(d_ff=1.5), ValueError, r"ModelConfig.d_ff"),
    ("config head_dim 0", lambda: tl.ModelConfig(head_dim=0), ValueError, r"ModelConfig.head_dim"),
    ("config n_out 0", lambda: tl.ModelConfig(n_out=0), ValueError, r"ModelConfig.n_out"),
    ("config score", lambda: tl.ModelConfig(score="cosine"), ValueError, r"ModelConfig.score must be one of"),
    ("config positional", lambda: tl.ModelConfig(positional="no-such-scheme"), ValueError, r"ModelConfig.positional must be one of"),
    ("config norm", lambda: tl.ModelConfig(norm="batch"), ValueError, r"ModelConfig.norm"),
    ("config embed_init", lambda: tl.ModelConfig(embed_init="zeros"), ValueError, r"ModelConfig.embed_init"),
    ("config tie_weights", lambda: tl.ModelConfig(n_out=3, tie_weights=True), ValueError, r"ModelConfig.tie_weights"),
    ("config odd width sinusoidal", lambda: tl.build_model(tl.ModelConfig(d_model=9, n_heads=3)),
     ValueError, r"d_model must be even"),
    # --- TinyTransformer.forward ------------------------------------------------------------------
    ("tokens float", lambda: model()(torch.zeros(1, 3)), TypeError, r"tokens must be an integer"),
    ("tokens 1-D", lambda: model()(long(3)), ValueError, r"tokens must have 2 dims"),
    ("tokens longer than max_len", lambda: model()(long(1, 7)), ValueError, r"tokens .*T=7 > ModelConfig.max_len=6"),
    ("tokens longer than table", lambda: model(positional="learned")(long(1, 7)), ValueError, r"max_len"),
    ("tokens >= vocab", lambda: model()(long(1, 3, value=10)), ValueError, r"tokens must lie in \[0, vocab_size=10\)"),
    ("tokens negative", lambda: model()(long(1, 3, value=-1)), ValueError, r"tokens must lie in"),
    ("model key_mask shape", lambda: model()(long(2, 3), key_mask=torch.ones(2, 4, **B3)), ValueError, r"key_mask .*\(2, 3\)"),
    ("model key_mask int", lambda: model()(long(2, 3), key_mask=long(2, 3)), TypeError, r"key_mask must be a bool"),
    ("model head_mask shape", lambda: model()(long(1, 3), head_mask=torch.ones(2)), ValueError,
     r"head_mask .*\(n_layers, H\) = \(1, 2\)"),
    ("model head_mask list", lambda: model()(long(1, 3), head_mask=[[1.0, 1.0]]), TypeError, r"head_mask"),
    # --- tasks ------------------------------------------------------------------------------------
    ("pointer n_items 1", lambda: tl.PointerTask(n_items=1), ValueError, r"n_items must be >= 2"),
    ("pointer n_symbols < n_items", lambda: tl.PointerTask(n_symbols=3, n_items=4), ValueError, r"n_symbols must be >= n_items"),
    ("pointer n_items float", lambda: tl.PointerTask(n_items=4.0), TypeError, r"n_items"),
    ("kv n_pairs > n_keys", lambda: tl.KeyValueRecallTask(n_keys=3, n_pairs=4), ValueError, r"n_pairs must be <= n_keys"),
    ("kv n_values 1", lambda: tl.KeyValueRecallTask(n_values=1), ValueError, r"n_values must be >= 2"),
    ("kv n_keys 1", lambda: tl.KeyValueRecallTask(n_keys=1, n_pairs=1), ValueError, r"n_keys must be >= 2"),
    ("kv n_pairs 0", lambda: tl.KeyValueRecallTask(n_pairs=0), ValueError, r"n_pairs"),
    ("batch size 0", lambda: tl.PointerTask().batch(0, seed=1), ValueError, r"batch_size must be >= 1"),
    ("batch size float", lambda: tl.KeyValueRecallTask().batch(2.0, seed=1), TypeError, r"batch_size"),
    # --- TrainConfig and the loop ----------------------------------------------------------------
    ("train steps 0", lambda: tl.TrainConfig(steps=0), ValueError, r"TrainConfig.steps"),
    ("train batch_size float", lambda: tl.TrainConfig(batch_size=8.0), ValueError, r"TrainConfig.batch_size"),
    ("train eval_every 0", lambda: tl.TrainConfig(eval_every=0), ValueError, r"TrainConfig.eval_every"),
    ("train eval_size -1", lambda: tl.TrainConfig(eval_size=-1), ValueError, r"TrainConfig.eval_size"),
    ("train lr 0", lambda: tl.TrainConfig(lr=0.0), ValueError, r"TrainConfig.lr must be > 0"),
    ("train lr NaN", lambda: tl.TrainConfig(lr=float("nan")), ValueError, r"TrainConfig.lr"),
    ("train lr str", lambda: tl.TrainConfig(lr="3e-3"), TypeError, r"TrainConfig.lr must be a number"),
    ("train weight_decay < 0", lambda: tl.TrainConfig(weight_decay=-0.1), ValueError, r"TrainConfig.weight_decay"),
    ("train grad_clip < 0", lambda: tl.TrainConfig(grad_clip=-1.0), ValueError, r"TrainConfig.grad_clip"),
    ("train grad_clip 0", lambda: tl.TrainConfig(grad_clip=0.0), ValueError, r"TrainConfig.grad_clip"),
    ("logits/targets shape", lambda: loss_and_accuracy(r(2, 3, 4), long(2, 4)), ValueError, r"logits .*targets"),
    ("too few classes", lambda: loss_and_accuracy(r(2, 3, 4), torch.tensor([[-100, -100, 5], [-100, -100, 1]])),
     ValueError, r"targets .*C=4"),
    ("model n_out < task n_out", lambda: tl.train(tl.build_model(tl.ModelConfig(vocab_size=16, n_out=4)), tl.PointerTask(),
                                                  tl.TrainConfig(steps=1, eval_size=8, batch_size=8)),
     ValueError, r"n_out"),
    ("model vocab < task vocab", lambda: tl.evaluate(tl.build_model(tl.ModelConfig(vocab_size=8)), tl.PointerTask(), size=8),
     ValueError, r"tokens must lie in \[0, vocab_size=8\)"),
]


@pytest.mark.parametrize("call,exc,match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_named_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_case_ids_are_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


def test_valid_neighbours_of_the_bad_inputs_are_accepted():
    """The checks are not too eager: the nearest valid inputs pass."""
    tl.masked_softmax(r(2, 3), torch.zeros(3))  # an all-zero float mask is a valid additive mask
    tl.masked_softmax(r(2, 3), torch.tensor([0.0, -1.0, float("-inf")]))
    tl.masked_softmax(r(2, 3), torch.tensor([0.5, -1.0, 2.0]))  # general float masks are additive
    tl.masked_softmax(torch.tensor([[0.0, float("-inf")]]))  # -inf scores are masking, not an error
    tl.to_additive(torch.ones(2, **B3), torch.float16, fill=-65504.0)
    tl.padding_mask([0, 4], 4)
    tl.causal_mask(1)
    tl.MultiHeadAttention(10, 3, head_dim=4)
    tl.ModelConfig(d_model=10, n_heads=3, head_dim=4, positional="none")
    tl.ModelConfig(n_out=5)
    tl.TrainConfig(grad_clip=None, weight_decay=0.0, lr=1)
    tl.PointerTask(n_symbols=2, n_items=2)
    tl.KeyValueRecallTask(n_keys=2, n_values=2, n_pairs=2)
    m = model()
    assert m(long(1, 6, value=9)).shape == (1, 6, 10)
