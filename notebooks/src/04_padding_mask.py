# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 04 · How is padding masked in the attention scores, and how does masking go wrong?
#
# **在计算 attention score 的时候如何对 padding 做 mask 操作？**
#
# Part of *transformer_lab*. Every number below is computed when the notebook runs, and every claim
# is an `assert`: if it stops holding, the notebook fails its tests.

# %% [markdown]
# ## One-minute answer · 一分钟答案
#
# - Sequences of different lengths are padded to one length. Before the softmax, the scores of the
#   **pad keys** (columns) are pushed to $-\infty$, so each real query gives them weight exactly 0 and
#   its output no longer depends on how much padding there is, nor on which side (measured below).
# - PyTorch has **two opposite conventions**: `F.scaled_dot_product_attention` takes a bool mask with
#   True = *take part*; `nn.MultiheadAttention`'s `key_padding_mask` and `attn_mask` take True = *ignore*.
#   Passing one where the other is expected sends all the attention to the pads.
# - $-\infty$ is exact, but a query with **no key left** (a pad query under left padding plus a causal
#   mask) becomes NaN in a plain softmax and in `nn.MultiheadAttention(need_weights=True)`, and its NaN
#   reaches the gradient even if the output is zeroed afterwards. A finite fill makes such a row uniform
#   instead. Fix: a bool mask into a kernel that returns zeros (SDPA, `tl.masked_softmax`), or open those
#   rows to every key and ignore their outputs.
# - "-1000 is generally enough" holds when -1000 **replaces** the scores. **Added** to them, as an
#   additive mask, it leaks once a pad key out-scores the best real key by about 1000. And -1e9 does not
#   fit in float16: `masked_fill` raises, a cast silently gives $-\infty$. The dtype-safe fill is
#   `torch.finfo(dtype).min`.
# - Padding must be masked twice more: in the **loss** (`ignore_index`) and in any **pooling** (a masked mean).
#
# ---
#
# - 不同长度的序列补齐（padding）到同一长度。softmax 之前，把 **pad 作为 key 的那几列**分数置为 $-\infty$，
#   真实 query 对它们的权重严格为 0，输出与 padding 的长度和方向（左/右）无关（下文实测）。
# - PyTorch 有**两套相反的约定**：`F.scaled_dot_product_attention` 的 bool mask 中 True = *参与*；
#   `nn.MultiheadAttention` 的 `key_padding_mask` 和 `attn_mask` 中 True = *屏蔽*。混用会让注意力全部落到 pad 上。
# - $-\infty$ 是精确的，但**没有任何可见 key 的 query 行**（左 padding 加因果 mask 时的 pad query）在普通 softmax
#   和 `nn.MultiheadAttention(need_weights=True)` 中变成 NaN，即使事后把输出置零，NaN 也会进入梯度。
#   有限填充值会让这一行变成均匀分布。修复：用 bool mask 配合返回 0 的实现（SDPA、`tl.masked_softmax`），
#   或让这些行看见所有 key，并在下游忽略它们的输出。
# - "一般 -1000 就够了"：把分数**替换**为 -1000 时成立；作为加性 mask **加到**分数上时，一旦某个 pad key 的分数
#   比最好的真实 key 高出约 1000，就会泄漏。-1e9 在 float16 中放不下：`masked_fill` 报错，类型转换则悄悄变成
#   $-\infty$。与 dtype 匹配的安全填充值是 `torch.finfo(dtype).min`。
# - padding 还要在两处屏蔽：**损失**（`ignore_index`）和**池化**（masked mean）。

# %% [markdown]
# ## 1 · Build it
#
# Shape legend (used throughout the lab): **B** batch, **H** heads, **T** query positions,
# **S** key positions, **D** model width, **Dh** head width.
#
# One convention everywhere in `transformer_lab`, the one of `F.scaled_dot_product_attention`: a
# boolean mask is **True where a key takes part** ("keep"). A batch of three sequences of lengths
# 5, 3 and 1, padded to 6, on the right (as encoders batch) or on the left (as decoders batch prompts):

# %%
# Colab only: install this lab's package (torch, numpy, matplotlib and ipywidgets come with Colab).
# Anywhere else this cell does nothing and prints nothing.
import sys

if "google.colab" in sys.modules:
    %pip install -q "transformer_lab @ git+https://github.com/OWNER/transformer_lab"
    from google.colab import output

    output.enable_custom_widget_manager()

# %%
# %matplotlib inline
# %config InlineBackend.print_figure_kwargs = {"bbox_inches": None}  # our figures lay themselves out: one drawing pass, not two
import math

import torch
import torch.nn.functional as F
from IPython.display import Image
from torch import nn

import transformer_lab as tl
from transformer_lab import viz
from transformer_lab.lessons import q04_padding_mask as lesson

torch.set_num_threads(1)  # same numbers on every machine (thread count changes float sums); tiny models lose little
torch.manual_seed(tl.seed())  # every seed derives from one base seed, $TRANSFORMER_LAB_SEED (default 0)
lengths = torch.tensor([5, 3, 1])
S = 6
right = tl.padding_mask(lengths, S)  # (B, S) bool, True = real token
left = tl.padding_mask(lengths, S, side="left")  # (B, S)
print("right padding, (B, S):\n", right.int())
print("left padding, (B, S):\n", left.int())
print("causal, (T, S):\n", tl.causal_mask(S).int())

# %% [markdown]
# The masks act on the scores `(B, H, T, S)`. A **key-side** mask `(B, S)` becomes `(B, 1, 1, S)`: the
# same pad columns for every head and every query. A **query-side** mask becomes `(B, 1, T, 1)`: whole
# rows. Combined with the causal mask `(T, S)`, left padding leaves the pad queries with no key at all;
# `tl.fully_masked_rows` finds those rows, and `tl.position_ids` counts positions over real tokens only:

# %%
key_side = tl.key_mask_to_attention_mask(left)  # (B, 1, 1, S)
query_side = tl.query_mask_to_attention_mask(left)  # (B, 1, T, 1)
causal_left = tl.combine_masks(tl.causal_mask(S), key_side)  # (B, 1, T, S)
print("key-side", tuple(key_side.shape), " query-side", tuple(query_side.shape),
      " causal + left padding", tuple(causal_left.shape))
print("causal + left padding, sequence 1 (length 3), rows = queries:\n", causal_left[1, 0].int())
print("rows with no key:", tl.fully_masked_rows(causal_left)[:, 0].int().tolist())
print("position ids, left padding:", tl.position_ids(left).tolist())
assert tl.fully_masked_rows(causal_left)[:, 0].sum(-1).tolist() == [1, 3, 5]  # exactly the pad queries
assert not tl.fully_masked_rows(tl.combine_masks(tl.causal_mask(S), tl.key_mask_to_attention_mask(right))).any()

# %% [markdown]
# Two forms of the same mask: **boolean** (keep = True) and **additive** (0 where kept, a large negative
# fill where masked, *added* to the scores). `tl.to_additive` builds the second; its default fill is
# $-\infty$, and it refuses a fill the dtype cannot hold.

# %%
print(tl.to_additive(right[2]), "  <- additive, fill -inf")
print(tl.to_additive(right[2], torch.float16, fill=tl.safe_fill_value(torch.float16)), "  <- float16, fill finfo.min")
assert torch.equal(tl.to_boolean(tl.to_additive(right)), right)

# %% [markdown]
# ### 1a · Every mask form against `F.scaled_dot_product_attention` (bool: True = take part)
#
# Our attention (`tl.scaled_dot_product_attention`, the softmax written out) against PyTorch's fused
# kernel, for each mask, passed as bool and as an additive float mask with $-\infty$ and with the dtype
# minimum. Rows with no key are included (both return zeros there for bool and $-\infty$; both return
# uniform weights for the finite fill).

# %%
B, H, Dh = 3, 2, 8
q, k, v = (torch.randn(B, H, S, Dh) for _ in range(3))  # (B, H, T, Dh), T = S = 6
forms = {
    "padding, right": tl.key_mask_to_attention_mask(right),  # (B, 1, 1, S)
    "padding, left": key_side,  # (B, 1, 1, S)
    "causal": tl.causal_mask(S),  # (T, S)
    "causal + padding, right": tl.combine_masks(tl.causal_mask(S), tl.key_mask_to_attention_mask(right)),
    "causal + padding, left": causal_left,  # (B, 1, T, S), with rows that have no key
    "query-side (pad queries)": query_side,  # (B, 1, T, 1): whole rows masked
}
for name, keep in forms.items():
    for label, mask in (("bool", keep), ("add -inf", tl.to_additive(keep)),
                        ("add finfo.min", tl.to_additive(keep, fill=tl.safe_fill_value(torch.float32)))):
        ours, _ = tl.scaled_dot_product_attention(q, k, v, mask=mask)  # (B, H, T, Dh)
        torch.testing.assert_close(ours, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-5, rtol=0)
    print(f"{name:26s} mask {str(tuple(keep.shape)):15s} bool, additive -inf, additive finfo.min: match SDPA")
torch.testing.assert_close(tl.scaled_dot_product_attention(q, k, v, mask=tl.causal_mask(S))[0],
                           F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-5, rtol=0)
print("causal mask == SDPA's is_causal=True")

# %% [markdown]
# ### 1b · The same masks in `nn.MultiheadAttention` (True = ignore): the flip, spelled out
#
# `nn.MultiheadAttention` takes the opposite convention for both its masks: `key_padding_mask (B, S)`
# and a bool `attn_mask (T, S)` are **True where attention is *not* allowed**. So our keep-mask goes in
# flipped: `key_padding_mask = ~keep` (`tl.to_torch_key_padding_mask`) and `attn_mask = ~causal`. Our
# `tl.MultiHeadAttention` with the same weights (`from_torch`) must give the same outputs and weights:

# %%
D = 16
torch_mha = nn.MultiheadAttention(D, 2, batch_first=True)
our_mha = tl.MultiHeadAttention.from_torch(torch_mha)
x = torch.randn(B, S, D)  # (B, T, D)
cases = {
    "padding, right": dict(key=right, causal=False),
    "padding, left": dict(key=left, causal=False),
    "causal": dict(key=None, causal=True),
    "causal + padding, right": dict(key=right, causal=True),
    "causal + padding, left": dict(key=left, causal=True),  # rows with no key: compared without weights
}
with torch.no_grad():
    for name, c in cases.items():
        causal = tl.causal_mask(S) if c["causal"] else None  # (T, S) keep
        need_weights = name != "causal + padding, left"  # with weights, nn.MultiheadAttention gives NaN rows (§3c)
        ours, w_ours = our_mha(x, mask=causal, key_mask=c["key"])  # (B, T, D), (B, H, T, S)
        theirs, w_theirs = torch_mha(
            x, x, x,
            key_padding_mask=None if c["key"] is None else tl.to_torch_key_padding_mask(c["key"]),  # ~keep
            attn_mask=None if causal is None else ~causal,  # True = NOT allowed
            need_weights=need_weights,
        )  # (B, T, D), (B, T, S) averaged over heads
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)
        if need_weights:
            torch.testing.assert_close(w_ours.mean(1), w_theirs, atol=1e-5, rtol=0)
        print(f"{name:24s} outputs {'and weights ' if need_weights else ''}match nn.MultiheadAttention (masks passed flipped)")

# %% [markdown]
# And the bug the flip prevents: our keep-mask passed to `key_padding_mask` as it is, unflipped.

# %%
with torch.no_grad():
    _, w_bug = torch_mha(x, x, x, key_padding_mask=right)  # WRONG: True = real token means "ignore the real tokens"
    on_pads = (w_bug * ~right[:, None, :]).sum(-1)  # (B, T): weight each query puts on pad keys
    full = torch.ones(1, 5, dtype=torch.bool)  # a sequence of 5 real tokens, no padding
    _, w_full = torch_mha(x[:1, :5], x[:1, :5], x[:1, :5], key_padding_mask=full)  # WRONG again
print("weight each query of sequence 1 (3 real, 3 pads) puts on pad keys:", [round(w, 3) for w in on_pads[1].tolist()])
print("a sequence with no padding, mask passed unflipped: weights all NaN?", torch.isnan(w_full).all().item())
assert torch.allclose(on_pads, torch.ones_like(on_pads))  # every query attends only to pads
assert torch.isnan(w_full).all()

# %% [markdown]
# Unflipped, every query puts all of its weight on pads, and a sequence with no padding at all has every
# key "ignored": all NaN. Nothing raises; the model just trains on garbage.

# %% [markdown]
# ### 1c · Training through the written-out mask
#
# Asked for no weights, the model runs torch's fused kernel, so an edit to `tl.masked_softmax` would not
# change what it learns. `tl.ModelConfig(attention="written")` sends every forward and backward pass
# through `masked_softmax` instead; both paths train to the same history, up to float rounding. To try
# your own mask code, edit `masked_softmax` in `transformer_lab/attention.py` and train with
# `attention="written"`.
#
# 模型不需要注意力权重时走 PyTorch 的融合内核；设 `attention="written"` 后，训练的每一步都经过我们手写的
# `masked_softmax`，两条路径训练出的损失曲线只差浮点舍入。想试自己的 mask 写法，就改它并用这个开关训练。

# %%
pointer = tl.PointerTask(n_symbols=8, n_items=4)
short = tl.TrainConfig(steps=30, batch_size=16, eval_every=10, eval_size=64, seed=tl.seed(1), eval_seed=tl.eval_seed())
paths = {}
for path in ("fused", "written"):
    cfg = tl.ModelConfig(vocab_size=pointer.vocab_size, n_out=pointer.n_out, d_model=16, n_heads=2,
                         max_len=pointer.seq_len, attention=path)
    paths[path] = tl.train(tl.build_model(cfg, tl.seed(0)), pointer, short)
gap = max(abs(a - b) for a, b in zip(paths["fused"].train_loss, paths["written"].train_loss))
print(f"largest gap between the fused and the written-out training loss over {short.steps} steps: {tl.fmt_gap(gap, 1e-4)}")
assert gap < 1e-4

# %% [markdown]
# ## 2 · See it: the padding-mask explorer
#
# A batch of three sequences of lengths 6, 4 and 2 and self-attention over it. The raw scores are
# $\sigma\,z$ with $z\sim\mathcal N(0,1)$ fixed, so the **score scale** slider sets how far apart scores
# are. Toggle the mask, choose the fill, whether it is **added** to the scores (an additive mask) or
# **set** over them (`masked_fill`), and the dtype. Heatmap convention of the lab: rows are queries,
# columns are keys, and **hatched cells are the cells a correct mask removes**, so any colour under a
# hatch is attention that leaked; NaN is red. The bars give the mass the real queries put on masked keys.
# Try: left padding + causal with the $-\infty$ fill (NaN rows); float16 with -1e9 set (raises); -1000
# added at scale 1000 (the default: it leaks).

# %%
explorer = lesson.PaddingMaskExplorer()
explorer

# %% [markdown]
# *Static picture of the explorer's default state (-1000 added, float32, score scale 1000, right
# padding), for where widgets do not render: the sequences with padding put part of their weight on pads.*

# %%
Image(explorer.image.value)

# %%
default_leaks = explorer.state["leaks"]
print("leaked mass per sequence (default):", [f"{x:.2f}" for x in default_leaks])
explorer.set(fill="-inf")
print("same scores, fill -inf:", [f"{x:.2f}" for x in explorer.state["leaks"]])
assert default_leaks[0] == 0 and min(default_leaks[1:]) > 0.1 and max(explorer.state["leaks"]) == 0
explorer.set(fill="-1000", side="left", causal=True, scale=1)
print("left padding + causal, -1000 added at scale 1: rows with no key", explorer.state["n_dead"],
      "->", explorer.state["dead_kinds"])

# %% [markdown]
# *The explorer after `set(side="left", causal=True, scale=1)`: the pad queries (top rows) have no key
# left; -1000 was added to every score of those rows, which changes nothing in a softmax, so they
# attend to every key, future ones included, as if there were no mask (their outputs must be ignored
# downstream).*

# %%
Image(explorer.image.value)

# %% [markdown]
# ## 3 · Measure it
#
# ### 3a · Padding invariance: the outputs at real tokens do not depend on the padding
#
# Each sequence is run alone (no padding) for reference, then in a batch padded to the longest length
# plus 0, 1, 3 or 8 extra positions, on either side. The pad positions hold an arbitrary vector (here
# a random embedding three times larger than the others): with a mask its value must not matter.
# The number shown is the largest deviation at any real token ("< 1e-5" is float rounding).

# %%
def fmt(dev):
    return "< 1e-5" if dev < 1e-5 else f"{dev:.2f}"


EXTRA = (0, 1, 3, 8)
seqs = [torch.randn(n, D) for n in (5, 3, 1)]
pad_vector = 3 * torch.randn(D)
layers = {
    "tl.MultiHeadAttention": lambda x, keep: our_mha(x, key_mask=keep)[0],
    "nn.MultiheadAttention": lambda x, keep: torch_mha(
        x, x, x, key_padding_mask=None if keep is None else ~keep, need_weights=False)[0],
}
invariance = {}
for name, fn in layers.items():
    for side in ("right", "left"):
        for masked in (True, False):
            dev = lesson.padding_invariance(fn, seqs, EXTRA, side, pad_vector, masked)
            invariance[(name, side, masked)] = dev
            print(f"{name:22s} {side:5s} padding, {'masked  ' if masked else 'unmasked'}: extra pads {EXTRA} -> "
                  + ", ".join(fmt(d) for d in dev))
assert all(max(d) < 1e-5 for (_, _, m), d in invariance.items() if m)
assert all(min(d) > 0.1 for (_, _, m), d in invariance.items() if not m)

# %% [markdown]
# A whole model: `tl.TinyTransformer`, 2 layers, MLP, pre-LayerNorm, token sequences padded with an
# arbitrary token id. Absolute (sinusoidal) positions are indexed by position in the batch, which left
# padding shifts; so the table checks right padding with sinusoidal positions, left padding without
# positions (`positional="none"`), a causal model with left padding, and, as a warning, left padding
# with sinusoidal positions.

# %%
gen = tl.randomness.make_generator(tl.seed(1))
tokens = [torch.randint(0, 11, (n,), generator=gen) for n in (7, 4, 2)]
PAD_ID = 11
settings = {
    "sinusoidal, right": ("sinusoidal", "right", False),
    "none, left": ("none", "left", False),
    "none, left, causal": ("none", "left", True),
    "sinusoidal, right, causal": ("sinusoidal", "right", True),
    "sinusoidal, left": ("sinusoidal", "left", False),
}
model_dev = {}
for label, (pos, side, causal) in settings.items():
    cfg = tl.ModelConfig(vocab_size=12, d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=24,
                         positional=pos, causal=causal)
    model = tl.build_model(cfg, seed=tl.seed()).eval()  # untrained: masking must not depend on the weights
    fn = lambda t, keep: model(t, key_mask=keep)  # noqa: E731  (B, S) -> logits (B, S, V)
    model_dev[label] = {m: lesson.padding_invariance(fn, tokens, EXTRA, side, PAD_ID, m) for m in (True, False)}
    print(f"{label:26s} masked: " + ", ".join(fmt(d) for d in model_dev[label][True])
          + "   unmasked: " + ", ".join(fmt(d) for d in model_dev[label][False]))
for label in ("sinusoidal, right", "none, left", "none, left, causal", "sinusoidal, right, causal"):
    assert max(model_dev[label][True]) < 1e-5
assert min(model_dev["sinusoidal, right"][False]) > 0.1 and min(model_dev["none, left"][False]) > 0.1
assert max(model_dev["sinusoidal, right, causal"][False]) < 1e-5  # pads after the tokens are in the future
assert min(model_dev["sinusoidal, left"][True]) > 0.1  # the mask is right, the positions moved

# %% [markdown]
# Three things to read off. With the mask, every setting but the last is invariant to float rounding,
# whatever the pad length and side. A causal model with **right** padding needs no pad mask at all for
# its real tokens (the pads lie in their future), which is why decoder-only training often gets away
# without one. And **left padding with absolute positions is not invariant even with a correct mask**:
# the real tokens sit at shifted positions. The fix is positions counted over real tokens only,
# `tl.position_ids` (what decoder libraries pass as `position_ids`); with it the inputs at real tokens
# are the unpadded ones again (`TinyTransformer` indexes its table by position, so the check is at the input):

# %%
pe = tl.sinusoidal_encoding(24, 32)  # (max_len, D)
padded, keep = lesson.pad_sequences(tokens, 7 + 3, side="left", pad_value=PAD_ID)  # (B, S), (B, S)
by_index = pe[torch.arange(10)].expand(3, 10, 32)  # (B, S, D): what the model adds
by_real_position = pe[tl.position_ids(keep)]  # (B, S, D)
refs = [pe[: len(t)] for t in tokens]
print("positional input at real tokens vs unpadded: by index", fmt(lesson.real_token_deviation(by_index, keep, refs)),
      "| by tl.position_ids", fmt(lesson.real_token_deviation(by_real_position, keep, refs)))
assert lesson.real_token_deviation(by_real_position, keep, refs) == 0
assert lesson.real_token_deviation(by_index, keep, refs) > 0.5

# %% [markdown]
# ### 3b · Leaks: when is -1000 not enough?
#
# With an additive mask the softmax sees `score + fill`. One real key at score 0 and one pad key at raw
# score $g$: the pad's weight is exactly $\sigma(g + f)$, the logistic function, so an additive fill $f$
# holds only while pad scores stay well below $|f|$ above the best real score. Checked:

# %%
gaps = torch.tensor([0.0, 500.0, 900.0, 980.0, 1000.0, 1020.0, 1100.0])
two_keys = torch.stack([torch.zeros_like(gaps), gaps], -1)  # (7, S=2): real key at 0, pad key at g
keep2 = torch.tensor([True, False])
w_pad = lesson.plain_masked_softmax(two_keys, keep2, "-1000", "add")[:, 1]  # (7,)
torch.testing.assert_close(w_pad, torch.sigmoid(gaps - 1000.0), atol=1e-7, rtol=1e-5)
print("pad score above the real one:", gaps.int().tolist())
print("pad weight with -1000 added:  ", [f"{w:.2g}" for w in w_pad.tolist()], " == sigmoid(g - 1000)")
w_set = lesson.plain_masked_softmax(two_keys, keep2, "-1000", "set")[:, 1]
print("pad weight with -1000 set:    ", [f"{w:.2g}" for w in w_set.tolist()])
assert (w_set == 0).all()

# %% [markdown]
# Now random scores of spread $\sigma$ (256 queries, 16 keys of which 4 are pads, pad keys scored like
# any other key), for each fill, added and set. The worst row's leaked mass:

# %%
SIGMAS = [1, 10, 100, 300, 500, 700, 1000, 3000, 5000, 7000, 10_000, 30_000]
FILLS_SWEEP = ("-1000", "-1e4", "-1e9", "-inf", "dtype min")
leaks = {form: lesson.leak_sweep(SIGMAS, FILLS_SWEEP, form=form) for form in ("add", "set")}
mean_leak = lesson.leak_sweep(SIGMAS, ("-1000", "-1e4"), form="add", reduce="mean")
gap = leaks["add"].pop("gap")
leaks["set"].pop("gap")
print(f"{'sigma':>7s} | {'largest pad-over-real gap':>25s} | " + " | ".join(f"add {f:>9s}" for f in FILLS_SWEEP)
      + " | set, any fill")
for i, s in enumerate(SIGMAS):
    print(f"{s:7d} | {gap[i]:25.0f} | " + " | ".join(f"{leaks['add'][f][i]:13.1e}" for f in FILLS_SWEEP)
          + f" | {max(leaks['set'][f][i] for f in FILLS_SWEEP):13.1e}")


def first_leak(values, threshold=1e-3):
    return next((s for s, v in zip(SIGMAS, values) if v > threshold), None)


onset = {f: first_leak(leaks["add"][f]) for f in FILLS_SWEEP}
print("smallest sigma with a worst-row leak above 1e-3, fill added:", onset)
print("mean leak over rows, -1000 added:", [f"{v:.2f}" for v in mean_leak["-1000"]])
assert onset["-1000"] is not None and 300 <= onset["-1000"] <= 1000
assert onset["-1e4"] is not None and 10 * 300 <= onset["-1e4"] <= 10 * 1000
assert onset["-1e9"] is None and onset["-inf"] is None and onset["dtype min"] is None
assert leaks["add"]["-1000"][SIGMAS.index(onset["-1000"])] > 0.5  # and once it leaks, it leaks a lot
assert all(max(v) == 0 for v in leaks["set"].values())  # set over the scores: no leak at any sigma
for i, s in enumerate(SIGMAS):  # the leak follows the gap: none while gap < |fill| - 20
    if gap[i] < 1000 - 20:
        assert leaks["add"]["-1000"][i] < 1e-8

# %%
lesson.plot_leak_sweep(SIGMAS, leaks).figure

# %% [markdown]
# Added, -1000 leaks as soon as the spread of the scores is a few hundred; -1e4 about ten times later;
# the worst row's leak then jumps to most of its mass, since the softmax of a large gap is one-hot. Set over the
# scores, no fill leaked at any spread: a replaced score of -1000 only loses when **every** real score
# of the row is below about -1000 + 100, which random scores never produced here.
#
# Are such spreads realistic? Unscaled $q\cdot k$ with $d_k=1024$ and unit-variance entries has
# $\sigma=32$ (notebook 03); entries of standard deviation 6, not unusual for unnormalised
# activations, give $\sigma\approx 36\cdot 32$. Attention logits that grow during training are a known
# failure of large models (Dehghani et al. 2023; Wortsman et al. 2023):

# %%
gen = tl.randomness.make_generator(tl.seed())
q_big, k_big = 6 * torch.randn(256, 1024, generator=gen), 6 * torch.randn(16, 1024, generator=gen)  # (T, Dh), (S, Dh)
keep16 = torch.arange(16) < 12  # (S,): the last 4 keys are pads
real_leaks = {}
for label, sc in (("unscaled q·k", tl.dot_scores(q_big, k_big)), ("scaled q·k/√d_k", tl.scaled_dot_scores(q_big, k_big))):
    w = lesson.plain_masked_softmax(sc, keep16, "-1000", "add")  # (T, S)
    real_leaks[label] = lesson.leaked_mass(w, keep16)  # (T,)
    print(f"{label:16s} score std {sc.std().item():7.1f}: -1000 added leaks > 1e-3 in "
          f"{(real_leaks[label] > 1e-3).float().mean().item():.1%} of rows, worst row {real_leaks[label].max().item():.2f}")
assert (real_leaks["unscaled q·k"] > 1e-3).any() and real_leaks["scaled q·k/√d_k"].max() == 0
assert abs(tl.dot_scores(q_big, k_big).std().item() / (36 * 32) - 1) < 0.1  # σ ≈ 6² · √1024

# %% [markdown]
# ### 3c · Rows with no key: NaN, zeros, uniform, or the unmasked attention
#
# Query 0 has every key masked. What its weights become, for each API (rows) and each mask (columns:
# a bool mask in the API's own convention, or an additive float mask with each fill; the two plain
# one-liners *set* or *add* the fill). Weights of the fused kernels, which return none, are read from
# the output with the values set to the identity matrix.

# %%
dead = lesson.fully_masked_behaviour()
columns = list(next(iter(dead.values())))
fully_masked_table = tl.evidence.Table("| API | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns) + "\n"
                                       + "\n".join(f"| {api} | " + " | ".join(row.values()) + " |" for api, row in dead.items()))
mha_t, mha_f = "nn.MultiheadAttention, need_weights=True", "nn.MultiheadAttention, need_weights=False"
assert dead["tl.masked_softmax"]["bool"] == dead["F.scaled_dot_product_attention"]["bool"] == "zeros"
assert dead[mha_t]["bool"] == dead[mha_t]["-inf"] == "NaN" and dead[mha_f]["bool"] == "zeros"
assert dead["softmax + masked_fill (set)"]["-inf"] == dead["softmax + additive mask (add)"]["-inf"] == "NaN"
assert all(row["-1e9"] == "uniform" and row["dtype min"] == "uniform" for row in dead.values())
assert all(row["-1000"] == "as if unmasked" for api, row in dead.items() if api != "softmax + masked_fill (set)")
assert dead["softmax + masked_fill (set)"]["-1000"] == "uniform"
assert all(row["-1e4"] == "as if unmasked" for api, row in dead.items() if api != "softmax + masked_fill (set)")
fully_masked_table

# %% [markdown]
# So: $-\infty$ gives NaN in a plain softmax and in `nn.MultiheadAttention` when it returns its
# weights (`need_weights=True`, its default); the fused paths (SDPA, and `nn.MultiheadAttention` with
# `need_weights=False`) and `tl.masked_softmax` return zeros. A fill set over the scores gives uniform
# weights; -1e9 or the dtype minimum *added* give uniform too (the scores vanish in the rounding of
# the huge number); -1000 or -1e4 added shift every score of the row equally, which a softmax ignores:
# the row attends **as if there were no mask**. None of these outputs means anything; what matters is
# that they stay finite and are ignored.
#
# The NaN is worse than it looks: zeroing the bad rows *after* attention does not save the gradient.
# The fix that works with any API is to give those rows a key before the softmax
# (`tl.unmask_fully_masked_rows`) and ignore their outputs:

# %%
def grad_is_finite(module_call):
    torch_mha.zero_grad()
    out = module_call()  # (B, T, D)
    out.masked_fill(tl.fully_masked_rows(causal_left)[:, 0, :, None], 0.0).sum().backward()  # zero the dead rows
    return all(torch.isfinite(p.grad).all().item() for p in torch_mha.parameters())


attn_mask = ~causal_left[:, 0].repeat_interleave(2, dim=0)  # (B*H, T, S), True = NOT allowed
fixed_mask = ~tl.unmask_fully_masked_rows(causal_left)[:, 0].repeat_interleave(2, dim=0)
grads = {
    "need_weights=True": grad_is_finite(lambda: torch_mha(x, x, x, attn_mask=attn_mask)[0]),
    "need_weights=False": grad_is_finite(lambda: torch_mha(x, x, x, attn_mask=attn_mask, need_weights=False)[0]),
    "need_weights=True, rows unmasked": grad_is_finite(lambda: torch_mha(x, x, x, attn_mask=fixed_mask)[0]),
}
for label, ok in grads.items():
    print(f"nn.MultiheadAttention {label:33s}: gradients finite after zeroing the dead rows? {ok}")
with torch.no_grad():
    out_fixed = torch_mha(x, x, x, attn_mask=fixed_mask)[0]  # (B, T, D)
    out_plain = torch_mha(x, x, x, attn_mask=attn_mask, need_weights=False)[0]
real_rows = ~tl.fully_masked_rows(causal_left)[:, 0]  # (B, T)
torch.testing.assert_close(out_fixed[real_rows], out_plain[real_rows])
print("rows that had keys: unchanged by the fix")
assert grads == {"need_weights=True": False, "need_weights=False": True, "need_weights=True, rows unmasked": True}

# %% [markdown]
# ### 3d · Half precision: -1e9 does not fit in float16
#
# float16 tops out at 65504. `masked_fill` refuses -1e9; `tl.to_additive` refuses it with a message
# that says what to use; the usual ways of building an additive mask accept it silently and produce
# $-\infty$, which brings the NaN of §3c back.

# %%
scores16 = torch.randn(2, 4).half()  # (T, S)
keep16_rows = torch.tensor([[True, True, False, False], [False, False, False, False]])  # row 1 has no key
try:
    scores16.masked_fill(~keep16_rows, -1e9)
except RuntimeError as e:
    print("masked_fill(-1e9) in float16 raises RuntimeError:", e)
try:
    tl.to_additive(keep16_rows, torch.float16, fill=-1e9)
except ValueError as e:
    print("tl.to_additive raises ValueError:", e)
silent = (1.0 - keep16_rows.half()) * -1e9  # (T, S): the BERT-era idiom, in float16
print("(1 - mask) * -1e9 in float16:", silent[0].tolist())
print("softmax of the row with no key:", torch.softmax(scores16 + silent, -1)[1].tolist())
assert torch.isneginf(silent[~keep16_rows]).all() and torch.isnan(torch.softmax(scores16 + silent, -1)[1]).all()

# %% [markdown]
# And a subtler trap: the dtype minimum is safe when it **replaces** a score, but **added** to a score
# below -16 it rounds past -65504 to $-\infty$ in float16. For each dtype, what the plain one-liners make
# of a row with no key, with scores near 0 and with scores near -100:

# %%
rows16 = []
half = {}
for dt_name, dt in lesson.DTYPES.items():
    for shift in (0.0, -100.0):
        table = lesson.fully_masked_plain(dt, shift)
        half[(dt_name, shift)] = table
        for form, row in table.items():
            rows16.append(f"| {dt_name} | {shift:g} | {form} | " + " | ".join(row.values()) + " |")
dtype_table = tl.evidence.Table("| dtype | scores near | fill is | " + " | ".join(lesson.FILLS) + " |\n|---|---|---|"
                                + "---|" * len(lesson.FILLS) + "\n" + "\n".join(rows16))
assert half[("float16", 0.0)]["set"]["-1e9"] == "raises" and half[("float16", 0.0)]["add"]["-1e9"] == "NaN"
assert half[("float16", -100.0)]["add"]["dtype min"] == "NaN" and half[("float16", 0.0)]["add"]["dtype min"] == "uniform"
assert all(t["set"]["dtype min"] == "uniform" for t in half.values())  # set: the safe fill
assert half[("bfloat16", 0.0)]["set"]["-1e9"] == "uniform"  # bfloat16 has float32's range
dtype_table

# %% [markdown]
# bfloat16 has float32's exponent range, so -1e9 fits; float16 needs a fill of at most 65504 in size,
# and -1000 and -1e4 both fit, a point in the note's favour. "distorted" marks rows where a large fill
# rounded the scores (float16 keeps 11 significant bits, bfloat16 8): neither uniform nor the unmasked
# row. The leak threshold of §3b does not move with the dtype:

# %%
SIG16 = [100, 300, 1000, 3000]
for dt_name in ("float16", "bfloat16"):
    sweep = lesson.leak_sweep(SIG16, ("-1000", "dtype min"), dtype=lesson.DTYPES[dt_name])
    print(f"{dt_name:9s} worst-row leak, -1000 added: " + ", ".join(f"σ={s}: {v:.1e}" for s, v in zip(SIG16, sweep["-1000"]))
          + f"   dtype min added: max {max(sweep['dtype min']):.1e}")
    assert sweep["-1000"][0] == 0 and sweep["-1000"][-1] > 0.5 and max(sweep["dtype min"]) == 0

# %% [markdown]
# ### 3e · The loss and the pooling must be masked too
#
# The attention mask protects the real tokens' outputs. The outputs at pad positions are still there,
# and anything that reads them (a loss over every position, a mean over the sequence) brings padding
# back. **Loss**: targets at pads set to `ignore_index` (`lesson.ignore_padding`, -100 is
# `F.cross_entropy`'s default) give exactly the loss of the unpadded sequences, a mean over real tokens;
# pads left as targets add terms for the pad positions, and the loss then depends on the pad length
# (up or down, depending on what the untrained model predicts for the pad token, although no prediction
# at a real token changed).

# %%
cfg = tl.ModelConfig(vocab_size=12, d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=24)
model = tl.build_model(cfg, seed=tl.seed()).eval()
targets = [torch.randint(0, 11, (len(t),), generator=tl.randomness.make_generator(tl.seed(len(t)))) for t in tokens]
with torch.no_grad():
    ref_loss = F.cross_entropy(torch.cat([model(t[None])[0] for t in tokens]), torch.cat(targets)).item()
loss_rows = []
for extra in EXTRA:
    toks, keep = lesson.pad_sequences(tokens, 7 + extra, pad_value=PAD_ID)  # (B, S), (B, S)
    tgt, _ = lesson.pad_sequences(targets, 7 + extra, pad_value=PAD_ID)  # (B, S): pads' target = the pad id
    with torch.no_grad():
        logits = model(toks, key_mask=keep)  # (B, S, V)
    masked_loss = F.cross_entropy(logits.flatten(0, 1), lesson.ignore_padding(tgt, keep).flatten())
    naive_loss = F.cross_entropy(logits.flatten(0, 1), tgt.flatten())
    loss_rows.append((extra, masked_loss.item(), naive_loss.item(), keep.sum().item(), (~keep).sum().item()))
print(f"unpadded reference loss: {ref_loss:.4f}")
for extra, ml, nl, n_real, n_pad in loss_rows:
    print(f"extra pads {extra}: {n_pad:2d} pad targets; loss with ignore_index {ml:.4f}, with pads as targets {nl:.4f}")
assert all(abs(ml - ref_loss) < 1e-5 for _, ml, _, _, _ in loss_rows)
assert all(abs(nl - ref_loss) > 0.01 for _, _, nl, _, _ in loss_rows)
assert all(abs(a[2] - b[2]) > 1e-3 for a, b in zip(loss_rows, loss_rows[1:]))  # changes with every pad length

# %% [markdown]
# **Mean pooling** (a sentence vector for classification): `x.mean(1)` averages the pad positions in,
# so the pooled vector drifts as padding grows; `lesson.masked_mean` divides by the real count only.

# %%
pool_rows = []
with torch.no_grad():
    ref_pooled = torch.stack([model(t[None], return_cache=True)[1]["blocks.1.out"][0].mean(0) for t in tokens])  # (B, D)
    for extra in EXTRA:
        toks, keep = lesson.pad_sequences(tokens, 7 + extra, pad_value=PAD_ID)
        hidden = model(toks, key_mask=keep, return_cache=True)[1]["blocks.1.out"]  # (B, S, D)
        pool_rows.append((extra, (lesson.masked_mean(hidden, keep) - ref_pooled).abs().max().item(),
                          (hidden.mean(1) - ref_pooled).abs().max().item(),
                          F.cosine_similarity(hidden.mean(1), ref_pooled, dim=-1).min().item()))
for extra, dm, dn, cos in pool_rows:
    print(f"extra pads {extra}: masked mean deviates {fmt(dm)}; plain mean deviates {dn:.2f} (worst cosine to the truth {cos:.2f})")
assert all(dm < 1e-5 for _, dm, _, _ in pool_rows)
assert all(dn > 0.1 for _, _, dn, _ in pool_rows)
assert pool_rows[-1][3] < pool_rows[0][3]  # the more padding, the further the plain mean drifts

# %% [markdown]
# ## 4 · What the note claims, checked
#
# The source note answers question 四 in one line: set the padding positions to $-\infty$ before the
# softmax; -1000 is generally enough. Each verdict below is computed from the numbers above.

# %%
set_never_leaks = all(max(v) == 0 for v in leaks["set"].values())
claims = [
    ("Before the softmax, set the scores at padded positions to −∞.",
     "holds with a caveat",
     f"Masking the pad **keys** makes real-token outputs invariant (max deviation "
     f"{fmt(max(max(d) for (_, _, m), d in invariance.items() if m))} vs ≥ "
     f"{min(min(d) for (_, _, m), d in invariance.items() if not m):.2f} unmasked, §3a). Caveats the note omits: "
     f"a row with no key turns NaN under −∞ (plain softmax, nn.MultiheadAttention: §3c) and poisons the gradient; "
     f"the two PyTorch APIs flip the bool convention (§1b); left padding also needs position ids; "
     f"the loss and pooling must be masked too (§3e).", "1b, 3a, 3c, 3e"),
    ("−1000 is generally enough (instead of −∞).",
     "holds with a caveat",
     f"Set over the scores (`masked_fill`), −1000 leaked at no spread up to σ = {SIGMAS[-1]:,}. "
     f"Added as an additive mask it leaks from σ = {onset['-1000']} "
     f"(worst row > 1e-3; the pad weight is exactly sigmoid(gap − 1000), §3b), e.g. unscaled q·k at d_k = 1024 "
     f"with entries of std 6. A row with no key becomes uniform (set) or the unmasked attention (added). "
     f"In its favour: −1000 fits float16, −1e9 does not (§3d).", "3b, 3c, 3d"),
]
assert set_never_leaks and onset["-1000"] is not None
tl.claims_table(claims)  # checks every verdict is holds / holds with a caveat / does not hold

# %% [markdown]
# What the note leaves out matters more than what it says. "Padding positions" must mean pad **keys**
# (columns); masking pad queries (rows) as well protects nothing and creates rows with no key. And the
# usual advice to use "a big number like -1e9" is what breaks in float16, while -1000 survives there:
# the dtype-safe choice is `torch.finfo(dtype).min` set with `masked_fill`, or better a boolean mask
# handed to a kernel that deals with empty rows (`F.scaled_dot_product_attention`, `tl.masked_softmax`).

# %% [markdown]
# ## 5 · Interview answer
#
# **English.** Batches pad sequences to one length, and self-attention would otherwise let every token
# attend to the pads. So before the softmax we mask the pad **keys**: a boolean mask of shape `(B, S)`,
# broadcast to the scores as `(B, 1, 1, S)`, and the scores of masked keys set to $-\infty$ (or added a
# large negative number). Their weights become 0 and the outputs at real tokens are exactly what they
# would be without padding, for any pad length; with left padding, absolute positions must also be
# counted from the first real token. Three things go wrong in practice. First, conventions: PyTorch's
# `scaled_dot_product_attention` takes True = attend, `nn.MultiheadAttention`'s `key_padding_mask` takes
# True = ignore. Second, a row with **no** key left, such as a pad query under left padding and a causal
# mask: with $-\infty$ the softmax is 0/0 = NaN, and the NaN reaches the gradients even if you zero the
# output; a finite fill gives uniform weights. Use a kernel that returns zeros for such rows, or give
# them a key and ignore their outputs. Third, the fill value: added to the scores, -1000 or -10000 leak
# once scores grow to that scale, while -1e9 overflows float16 to $-\infty$; `torch.finfo(dtype).min`
# with `masked_fill` is the safe choice. Finally, the loss (`ignore_index`) and any pooling must skip
# pads too.
#
# **中文。** 批处理时要把序列补齐到同一长度，否则自注意力会让每个 token 关注到 pad。所以在 softmax 之前屏蔽
# pad 作为 **key** 的位置：形状 `(B, S)` 的 bool mask 广播成 `(B, 1, 1, S)`，把被屏蔽 key 的分数置为
# $-\infty$（或加上一个很大的负数）。它们的权重变为 0，真实 token 的输出与不加 padding 时完全一致，与 pad
# 长度无关；左 padding 时，绝对位置还要从第一个真实 token 开始计数。实践中有三类错误。一是约定相反：PyTorch 的
# `scaled_dot_product_attention` 中 True = 参与，`nn.MultiheadAttention` 的 `key_padding_mask` 中 True = 屏蔽。
# 二是**没有任何可见 key** 的行，例如左 padding 加因果 mask 时的 pad query：用 $-\infty$ 时 softmax 是 0/0 = NaN，
# 即使把输出置零，NaN 也会进入梯度；有限填充值则得到均匀分布。应使用对这类行返回 0 的实现，或者让这些行能看到
# key 并忽略其输出。三是填充值：加到分数上时，-1000 或 -10000 在分数达到同一量级时会泄漏，而 -1e9 在 float16
# 中溢出为 $-\infty$；安全的做法是用 `masked_fill` 填入 `torch.finfo(dtype).min`。最后，损失（`ignore_index`）
# 和池化也必须跳过 pad。
#
# **Follow-ups an interviewer asks next · 常见追问**
# - Should pad *queries* be masked too? (No need: their outputs are ignored by the loss and pooling;
#   masking their rows only creates rows with no key.) pad 作为 query 要不要屏蔽？
# - Why does a causal decoder often train without a pad mask? (With right padding the pads are in
#   every real token's future, already masked by the causal mask; measured in §3a.)
# - How do recent versions of HuggingFace `transformers` build the mask? (An additive mask filled with
#   `torch.finfo(dtype).min`, for the float16 reason of §3d.)
# - What does FlashAttention / SDPA do with variable lengths? (Bool masks, or packed sequences with
#   cumulative lengths and no padding at all.)
#
# **Common wrong answers · 常见错误回答**
# - "Set the pad scores to 0." Zero is an ordinary score: the pads still get weight.
# - "Multiply the weights by the mask after the softmax." The rows no longer sum to 1 (renormalising
#   fixes it, but the masked softmax is simpler and exact).
# - "-1e9 is always safe." It overflows float16 and gives NaN rows.
# - "Mask the padded rows." The pad **columns** (keys) are what must be masked.

# %% [markdown]
# ## 6 · Try it yourself
#
# 1. In the explorer, keep "add" and float32 and find the smallest score scale at which -1e4 leaks.
#    Check against §3b with `lesson.leak_sweep([3000, 10000], ("-1e4",))`.
# 2. Left padding with RoPE or ALiBi (`positional="rope"` or `"alibi"`, notebook 08): is the model
#    padding-invariant without position ids? Predict first: these schemes only see offsets $i-j$.
# 3. Build a float16 additive mask with `(1.0 - keep.half()) * torch.finfo(torch.float16).min` and add it
#    to scores near -100 for a row with no key. What comes out, and why does `masked_fill` not have
#    this problem?
# 4. In `masked_softmax` (`transformer_lab/attention.py`) halve the scores before the softmax, restart the
#    kernel and rerun §1c: the written-out loss curve now leaves the fused one (§1c's assert says by how
#    much). `make unit` shows which tests catch the edit. Undo it afterwards.

# %%
quiz = viz.Quiz([
    {"question": "You pass a mask with True = real token to nn.MultiheadAttention(key_padding_mask=...). What happens?",
     "options": ["It works", "Every query attends only to the pads", "It raises an error"], "answer": 1,
     "why": "key_padding_mask True means ignore: the real tokens are ignored and only the pads remain (§1b)."},
    {"question": "A pad query under left padding + a causal mask has no key left. With a -inf fill and a plain softmax, its row is…",
     "options": ["all zeros", "uniform", "NaN"], "answer": 2,
     "why": "exp(-inf) = 0 everywhere, so the softmax is 0/0. SDPA and tl.masked_softmax return zeros instead (§3c)."},
    {"question": "An additive mask of -1000 is added to scores. When does it leak?",
     "options": ["Never", "When a pad key's score beats the best real key's by about 1000", "Only in float16"],
     "answer": 1, "why": "The softmax sees score + fill: the pad's weight is sigmoid(gap − 1000) (§3b)."},
    {"question": "Which fill overflows in float16?",
     "options": ["-1000", "-1e4", "-1e9", "torch.finfo(torch.float16).min"], "answer": 2,
     "why": "float16's range ends at ±65504: masked_fill raises, a cast gives -inf (§3d)."},
])
quiz

# %% [markdown]
# ## 7 · Further reading
#
# - Vaswani et al. 2017, *Attention Is All You Need*, arXiv:1706.03762 — §3.2.3: "masking out (setting to −∞)" illegal connections.
# - Devlin et al. 2018, *BERT*, arXiv:1810.04805 — padded batches of sentence pairs; its reference code adds −10000 to masked scores.
# - Micikevicius et al. 2017, *Mixed Precision Training*, arXiv:1710.03740 — float16's range and why it matters.
# - Dehghani et al. 2023, *Scaling Vision Transformers to 22 Billion Parameters*, arXiv:2302.05442 — attention logits that grow without bound, fixed with QK-norm.
# - Wortsman et al. 2023, *Small-scale proxies for large-scale Transformer training instabilities*, arXiv:2309.14322 — attention-logit growth at small scale.
