# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 04 · How is padding masked in the attention scores?
#
# **在计算 attention score 的时候如何对 padding 做 mask 操作？**
#
# *About 20 minutes to read (00_index has each notebook's estimate); it runs in under 20 seconds on a laptop CPU · 阅读约 20 分钟，在笔记本电脑的 CPU 上运行不到 20 秒*

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
# %config InlineBackend.print_figure_kwargs = {"bbox_inches": None}  # our figures lay themselves out
# %config InlineBackend.figure_formats = ["retina"]  # figures at twice the pixels: sharp on a projector
import torch
import torch.nn.functional as F
from torch import nn

import transformer_lab as tl
from transformer_lab import viz
from transformer_lab.lessons import q04_padding_mask as lesson

torch.set_num_threads(1)  # same numbers on every machine (the thread count changes float sums)
_ = torch.manual_seed(tl.seed())  # all seeds derive from one base, $TRANSFORMER_LAB_SEED (default 0)

# %% [markdown]
# ## 30-second answer · 30秒回答
#
# - Before the softmax, set the scores of the pad **keys** (columns) to $-\infty$: real tokens then give
#   pads weight 0.
# - Mind the flip: `F.scaled_dot_product_attention` keeps True; `nn.MultiheadAttention`'s `key_padding_mask`
#   drops True.
# - A finite fill must *replace* the scores, not be added; mask the loss and the pooling too.
#
# ---
#
# - softmax 之前，把 pad 所在的 **key** 列的分数置为 $-\infty$：真实 token 对 pad 的注意力权重为 0。
# - 两套约定相反：`F.scaled_dot_product_attention` 中 True = 参与，`key_padding_mask` 中 True = 屏蔽。
# - 有限的填充值要**替换**分数，不能加到分数上；损失和池化也要做掩码。

# %% [markdown]
# ## 2-minute answer · 两分钟回答
#
# **English.** Batches pad sequences to one length; without a mask every token would also attend to the
# pads. So before the softmax we mask the pad **keys**: a boolean mask of shape `(B, S)`, broadcast to
# the scores as `(B, 1, 1, S)`, and the masked scores set to $-\infty$. Their weights become exactly 0
# and the outputs at real tokens are what they would be without padding, for any pad length, on either
# side (with left padding, absolute positions must also be counted from the first real token).
# Three things go wrong in practice. **Conventions**: `scaled_dot_product_attention` takes True =
# attend, `nn.MultiheadAttention`'s `key_padding_mask` True = ignore; one passed for the other sends all
# the attention to the pads. **Rows with no key**, such as a pad query under left padding plus a causal
# mask: with $-\infty$ the softmax is 0/0 = NaN, and the NaN reaches the gradients even if the output is
# zeroed afterwards; use a kernel that returns zeros there (SDPA) or give those rows a key and ignore
# their outputs. A finite fill that *replaces* the scores makes such a row uniform; −1000 or −1e4
# *added* to the scores shifts the whole row by one constant, which a softmax ignores, so the row comes
# out as if unmasked. **The fill value**: added, −1000 leaks once a pad key out-scores the best real
# key by about 1000, and −1e9 overflows float16 to $-\infty$; `torch.finfo(dtype).min` set with
# `masked_fill` is the safe choice. Finally the loss (`ignore_index`) and any pooling must skip pads.
#
# **中文。** 批处理时要把序列补齐到同一长度，不加掩码的话，每个 token 都会关注到 pad。所以在 softmax 之前屏蔽 pad 作为
# **key** 的位置：形状 `(B, S)` 的 bool 掩码广播成 `(B, 1, 1, S)`，被屏蔽 key 的分数置为 $-\infty$。它们的权重严格为 0，
# 真实 token 的输出与不加 padding 时完全一致，与 pad 的长度和方向无关（左 padding 时，绝对位置还要从第一个真实 token
# 开始计数）。实践中有三类错误。**约定相反**：`scaled_dot_product_attention` 中 True = 参与，`nn.MultiheadAttention` 的
# `key_padding_mask` 中 True = 屏蔽，混用会让注意力全部落到 pad 上。**没有任何可见 key 的行**，例如左 padding 加因果掩码
# 时的 pad query：用 $-\infty$ 时 softmax 是 0/0 = NaN，即使事后把输出置零，NaN 也会进入梯度；应使用对这类行返回 0 的实现
# （SDPA），或者让这些行能看到 key 并忽略其输出。有限填充值**替换**分数时，这一行变成均匀分布；把 −1000 或 −1e4
# **加到**分数上，整行只平移了一个常数，softmax 对此不敏感，这一行就像没有掩码一样。**填充值**：加性掩码下，一旦某个 pad
# key 的分数比最好的真实 key 高出约 1000，−1000 就会泄漏；−1e9 在 float16 中溢出为 $-\infty$。安全的做法是用 `masked_fill`
# 填入 `torch.finfo(dtype).min`。最后，损失（`ignore_index`）和池化也必须跳过 pad。

# %% [markdown]
# ## 1 · Build it
#
# The mask is built once per batch from the lengths: a boolean `(B, S)`, True where a key is a real
# token, broadcast over heads and query rows. Our attention must agree with PyTorch's two built-ins,
# which take **opposite** conventions.
#
# 掩码由每个样本的长度构造：形状 `(B, S)` 的 bool 张量，True 表示真实 token，再广播到所有头和所有 query 行。
# 我们的实现要与 PyTorch 的两个内置实现一致，而这两者的 bool 约定恰好**相反**。
#
# Shape legend: **B** batch, **H** heads, **T** query positions, **S** key positions, **D** model width,
# **Dh** head width. Three sequences of lengths 5, 3 and 1, padded on the right to S = 6:

# %%
lengths, S = torch.tensor([5, 3, 1]), 6
keep = tl.padding_mask(lengths, S)  # (B, S) bool, True = real token (the convention of this lab)
key_side = tl.key_mask_to_attention_mask(keep)  # (B, 1, 1, S): the same pad columns for every head and query
print("keep (B, S):\n", keep.int(), "\nbroadcast to the scores (B, H, T, S) as", tuple(key_side.shape))

# %% [markdown]
# Checked against `F.scaled_dot_product_attention` (bool mask: True = **take part**) and against
# `nn.MultiheadAttention` with the same weights (`key_padding_mask`: True = **ignore**, so our mask goes
# in flipped, `~keep`):
#
# 先与 `F.scaled_dot_product_attention`（True = 参与）比较，再与权重相同的 `nn.MultiheadAttention`
# （`key_padding_mask` 中 True = 屏蔽，所以传入取反后的 `~keep`）比较：

# %%
B, H, Dh, D = 3, 2, 8, 16
q, k, v = (torch.randn(B, H, S, Dh) for _ in range(3))  # (B, H, T, Dh), T = S = 6
ours, weights = tl.scaled_dot_product_attention(q, k, v, mask=key_side)  # (B, H, T, Dh), (B, H, T, S)
torch.testing.assert_close(ours, F.scaled_dot_product_attention(q, k, v, attn_mask=key_side), atol=1e-5,
                           rtol=0)
assert (weights * ~key_side).sum() == 0  # no weight at all on a pad key
torch_mha = nn.MultiheadAttention(D, H, batch_first=True)
our_mha = tl.MultiHeadAttention.from_torch(torch_mha)  # the same weights
x = torch.randn(B, S, D)  # (B, T, D)
with torch.no_grad():
    theirs, _ = torch_mha(x, x, x, key_padding_mask=~keep, need_weights=False)  # (B, T, D); True = ignore
    torch.testing.assert_close(our_mha(x, key_mask=keep)[0], theirs, atol=1e-5, rtol=0)
    _, w_bug = torch_mha(x, x, x, key_padding_mask=keep)  # WRONG: our keep-mask passed unflipped
on_pads = (w_bug * ~keep[:, None, :]).sum(-1)  # (B, T): the weight each query puts on pad keys
print("equal to F.scaled_dot_product_attention and nn.MultiheadAttention; weight on pad keys: 0")
print("unflipped, weight on pads, each query of sequence 1:", [round(w, 3) for w in on_pads[1].tolist()])
assert torch.allclose(on_pads, torch.ones_like(on_pads))  # every query attends only to the pads

# %% [markdown]
# Unflipped, every query puts **all** of its weight on the pads. Nothing raises; the model just trains on
# garbage. (A sequence with no padding at all gets every key "ignored" and turns NaN: Deep dive D1.)
#
# 不取反时，每个 query 把**全部**权重放在 pad 上。程序不会报错，模型只是在垃圾上训练。

# %% [markdown]
# ## 2 · See it
#
# The mask is a row of keep flags per sequence, copied to every query row: the pad **columns** are
# masked, never the rows.
#
# 掩码是每个序列的一行 keep 标志，复制到每一个 query 行：被屏蔽的是 pad 所在的**列**（key），不是行。

# %%
lesson.schematic()

# %% [markdown]
# *A padded batch, its key mask broadcast over the query rows as `(B, 1, 1, S)`, and the masked cells of
# one sequence's scores: the pad key columns are −∞ for every query; the pad query rows stay, and their
# outputs are ignored downstream.*
#
# *一个补齐后的批次；key 掩码以 `(B, 1, 1, S)` 的形状广播到所有 query 行；某个序列的分数矩阵中，pad 所在的 key 列对每个
# query 都是 −∞；pad 作为 query 的行保留，其输出在下游被忽略。*
#
# **The padding-mask explorer.** Three sequences of lengths 6, 4 and 2 and self-attention over them; the
# raw scores are $\sigma z$ with $z\sim\mathcal N(0,1)$ fixed, so the **score scale** sets how far apart
# they are. It opens on the correct mask ($-\infty$). Rows are queries, columns are keys; **hatched cells
# are the cells a correct mask removes**, so colour under a hatch is attention that leaked; NaN is red.
# The bars give the mass the real queries put on masked keys. Try: −1000 *added* at scale 1000 (it
# leaks); the same −1000 *set*; left padding + causal with $-\infty$ (NaN rows); float16 with −1e9 set.
#
# **掩码探索器**：热图的行是 query、列是 key；打斜线的格子是正确掩码应去掉的位置，斜线下有颜色就是泄漏的注意力，红色是 NaN。
# 默认是正确的 $-\infty$ 掩码。试试：分数尺度 1000 时**加上** −1000（会泄漏）；改为**替换**（不泄漏）；左 padding 加因果
# 掩码并用 $-\infty$（出现 NaN 行）；float16 下用 −1e9 替换（报错）。

# %%
explorer = lesson.PaddingMaskExplorer()
explorer

# %%
explorer.snapshot()

# %% [markdown]
# *The explorer's default state, for where widgets do not render: the $-\infty$ mask, right padding,
# scores of spread 1. No colour under any hatch: the pads get exactly zero weight.*
#
# *探索器的默认状态（供无法渲染控件的环境查看）：$-\infty$ 掩码、右 padding、分数尺度 1。斜线下没有任何颜色：pad 的权重严格为 0。*

# %% [markdown]
# ## 3 · Measure it
#
# The one measurement that settles the question: with the mask, the outputs at real tokens do not move
# when the padding grows or changes side; without it, they do. No training is involved, so the result
# is exact for any seed.
#
# 一个决定性的测量：加了掩码，padding 变长或换边时真实 token 的输出不变；不加掩码则会变。这里不涉及训练，对任何随机种子都精确成立。
#
# Each sequence is run alone (no padding) for reference, then in a batch padded to the longest length
# plus 0, 1, 3 or 8 extra positions, on either side; the pads hold an arbitrary vector. The number is
# the largest deviation at any real token ("< 1e-5" is float rounding).

# %%
EXTRA = (0, 1, 3, 8)  # extra pad positions beyond the longest sequence
seqs = [torch.randn(n, D) for n in (5, 3, 1)]  # (n, D) each: three sequences, unpadded
pad_vector = 3 * torch.randn(D)  # what sits at the pads: with a mask it must not matter
layers = {"tl.MultiHeadAttention": lambda x, keep: our_mha(x, key_mask=keep)[0],
          "nn.MultiheadAttention": lambda x, keep: torch_mha(  # its mask flipped: True = ignore
              x, x, x, key_padding_mask=None if keep is None else ~keep, need_weights=False)[0]}
invariance = {(name, side, masked): lesson.padding_invariance(fn, seqs, EXTRA, side, pad_vector, masked)
              for name, fn in layers.items() for side in ("right", "left") for masked in (True, False)}
for (name, side, masked), dev in invariance.items():
    print(f"{name:22s} {side:5s} padding, {'masked  ' if masked else 'unmasked'}: extra pads {EXTRA} -> "
          + ", ".join("< 1e-5" if d < 1e-5 else f"{d:.2f}" for d in dev))
assert all(max(d) < 1e-5 for (_, _, m), d in invariance.items() if m)
assert all(min(d) > 0.1 for (_, _, m), d in invariance.items() if not m)

# %% [markdown]
# The note's second half, "−1000 is generally enough", is about the fill. With an *additive* mask the
# softmax sees `score + fill`: a pad key leaks once its raw score beats the best real key's by about
# $|f|$. Random scores of spread $\sigma$ (256 queries, 16 keys of which 4 are pads), the worst row's
# leaked mass, for each fill added or set:
#
# 笔记的后半句"一般 −1000 就够了"关乎填充值。加性掩码下 softmax 看到的是"分数 + 填充值"：一旦某个 pad key 的原始分数比最好的
# 真实 key 高出约 $|f|$，就会泄漏。下图是不同分数尺度 $\sigma$ 下，最差一行泄漏到 pad 上的注意力。

# %%
SIGMAS = [1, 10, 100, 300, 500, 700, 1000, 3000, 5000, 7000, 10_000, 30_000]
leaks = {form: lesson.leak_sweep(SIGMAS, ("-1000", "-1e4", "-1e9", "-inf", "dtype min"), form=form)
         for form in ("add", "set")}
score_gap, _ = leaks["add"].pop("gap"), leaks["set"].pop("gap")  # the largest pad-over-real score gap, per σ
lesson.plot_leak_sweep(SIGMAS, leaks).figure

# %% [markdown]
# *Added, −1000 leaks from a spread of a few hundred and −1e4 about ten times later, and then almost all
# of the row's weight goes to a pad; set over the scores, no fill leaked at any spread. Such spreads are
# not exotic: unscaled $q\cdot k$ at $d_k=1024$ with entries of std 6 has $\sigma\approx1150$ (D5).*
#
# *加性掩码下，−1000 在分数尺度达到几百时开始泄漏，−1e4 大约晚十倍，之后几乎整行权重都落到 pad 上；用 masked_fill 替换时，
# 任何填充值在任何尺度下都没有泄漏。这样的尺度并不罕见：不缩放的 $q\cdot k$ 在 $d_k=1024$、分量标准差为 6 时 $\sigma\approx1150$。*

# %% [markdown]
# ## 4 · What the note claims, checked · 笔记的说法，逐条检验
#
# The note answers question 四 in one line: "padding位置置为负无穷(一般来说-1000就可以)". Each verdict is
# computed from the measurements above and in the deep dive (sections D5–D8).
#
# 笔记对第四题只有一句话。每条结论都由上面和"深入"部分的测量结果计算得出。

# %%
dead = lesson.fully_masked_behaviour()  # what a row with no key becomes, per API and fill (D6)
lesson.note_claims(invariance, leaks, SIGMAS, dead)

# %% [markdown]
# What the note leaves out matters more than what it says: "padding positions" must mean pad **keys**
# (columns); the two PyTorch APIs flip the bool convention; a row with no key turns NaN under $-\infty$;
# and the usual advice, "a big number like −1e9", is what breaks in float16, where −1000 survives.
#
# 笔记没说的比说了的更重要："padding 位置"必须指 pad 作为 **key** 的列；PyTorch 两个 API 的 bool 约定相反；没有可见 key
# 的行在 $-\infty$ 下变成 NaN；常见的"用 −1e9 这样的大数"恰恰在 float16 中出错，而 −1000 不会。

# %% [markdown]
# ## 5 · Follow-ups and common wrong answers · 常见追问与错误回答
#
# Interviewers probe the edges: which positions, which convention, which dtype.
# 面试官常追问边界情况：屏蔽哪些位置、用哪种约定、什么数据类型。
#
# **Follow-ups · 常见追问**
# - Should pad *queries* be masked too? No need: the loss and the pooling ignore their outputs; masking
#   their rows only creates rows with no key. · pad 作为 query 要不要屏蔽？不需要：损失和池化会忽略它们的输出，屏蔽这些行只会
#   制造没有 key 的行。
# - Why does a causal decoder often train without a pad mask? With right padding the pads lie in every
#   real token's future, already masked by the causal mask (D4). · 为什么因果解码器常常不加 pad 掩码也能训练？右 padding 时
#   pad 都在真实 token 的"未来"，已被因果掩码挡住。
# - How do recent HuggingFace `transformers` build the mask? An additive mask filled with
#   `torch.finfo(dtype).min`, for the float16 reason of D7. · HuggingFace 如何构造掩码？用 `torch.finfo(dtype).min`
#   填充的加性掩码，原因是 float16 的范围。
# - What do FlashAttention / SDPA do with variable lengths? Bool masks, or packed sequences with cumulative
#   lengths and no padding at all. · FlashAttention / SDPA 怎么处理变长序列？用 bool 掩码，或者把序列拼接（packing）并记录
#   累计长度，完全不需要 padding。
#
# **Common wrong answers · 常见错误回答**
# - "Set the pad scores to 0." Zero is an ordinary score: the pads still get weight. · "把 pad 的分数置 0"：0 是普通分数，
#   pad 仍然有权重。
# - "Multiply the weights by the mask after the softmax." The rows no longer sum to 1. · "softmax 之后乘以掩码"：每行之和
#   不再为 1。
# - "−1e9 is always safe." It overflows float16 and gives NaN rows. · "−1e9 总是安全的"：它在 float16 中溢出，产生 NaN 行。
# - "Mask the padded rows." The pad **columns** (keys) are what must be masked. · "屏蔽 padding 的行"：要屏蔽的是 pad 的**列**（key）。
# - "A finite fill makes a row with no key uniform." Only when it *replaces* the scores; −1000 *added*
#   leaves the row as if unmasked (D6). · "有限填充值会让全被屏蔽的行变成均匀分布"：只有替换分数时如此；加上 −1000 时，
#   这一行就像没有掩码一样。

# %% [markdown]
# ## 6 · Try it yourself · 动手试试
#
# Each exercise runs a changed setting and reports which claim stops holding; none of them raises.
# 每个练习都运行一个改动后的设置，并报告哪条结论不再成立；不会抛出异常。
#
# **Exercise 1.** The note's −1000 leaks once scores spread by a few hundred. Does −1e4 buy ten times
# more room? Predict the spread at which −1e4, *added*, starts to leak, then run:
#
# **练习 1.** −1000 在分数尺度达到几百时就会泄漏。−1e4 能多撑十倍吗？先预测 −1e4（加性）开始泄漏的尺度，再运行：

# %%
spreads = [3000, 5000, 7000, 10_000]
worst = lesson.leak_sweep(spreads, ("-1e4",))["-1e4"]  # worst-row leak, -1e4 added
print("worst-row leak, −1e4 added:", ", ".join(f"σ={s}: {tl.approx(w, '.0e')}"
                                               for s, w in zip(spreads, worst)))
print("'−1e4 is enough' stops holding from σ =", next(s for s, w in zip(spreads, worst) if w > 1e-3))

# %% [markdown]
# *The leak begins where the largest pad-over-real gap reaches |fill|; this is the point: an additive
# fill is a margin, not a mask, and the margin has to beat the spread of the scores.*
# *泄漏始于 pad 与真实 key 的最大分差接近 |填充值| 之处：加性填充值只是一个余量，不是真正的掩码。*
#
# **Exercise 2.** Left padding shifts every real token's position. With sinusoidal positions the model
# is no longer padding-invariant, even with a correct mask (D4). RoPE sees only offsets $i-j$: predict,
# then run the same model with `positional="rope"`, left-padded:
#
# **练习 2.** 左 padding 会平移每个真实 token 的位置；用正弦位置编码时，即使掩码正确，模型也不再与 padding 无关（D4）。
# RoPE 只看相对偏移 $i-j$：先预测，再用左 padding 运行 `positional="rope"` 的同一模型。

# %%
cfg = tl.ModelConfig(vocab_size=12, d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=24, positional="rope")
rope = tl.build_model(cfg, seed=tl.seed()).eval()  # untrained: masking must not depend on the weights
tokens = [torch.randint(0, 11, (n,)) for n in (7, 4, 2)]  # token 11 is the pad
dev = lesson.padding_invariance(lambda t, keep: rope(t, key_mask=keep), tokens, EXTRA, "left", pad_value=11)
print("RoPE, left padding, masked: largest deviation at real tokens",
      "< 1e-5: padding-invariant" if max(dev) < 1e-5 else f"{max(dev):.2f}: not invariant")

# %% [markdown]
# *"Left padding breaks absolute positions" stops mattering: a relative scheme needs no `position_ids`.*
# *"左 padding 破坏绝对位置"对 RoPE 不再成立：相对位置编码不需要 `position_ids`。*
#
# **Exercise 3.** The model normally runs PyTorch's fused kernel, so an edit to `tl.masked_softmax` would
# change nothing it learns; `ModelConfig(attention="written")` trains through `masked_softmax` (D2). Here a
# broken `masked_softmax` (it halves the scores) is swapped in for two steps. To try your own edit,
# change `masked_softmax` in `transformer_lab/attention.py`, restart the kernel and rerun this cell.
#
# **练习 3.** 模型平时走 PyTorch 的融合内核，改 `tl.masked_softmax` 不会影响训练；`ModelConfig(attention="written")` 让训练
# 经过手写的 `masked_softmax`（D2）。这里临时换入一个"错误"的版本（把分数减半）。想试自己的改动，就改
# `transformer_lab/attention.py` 中的 `masked_softmax`，重启内核后重跑本格。

# %%
from unittest import mock

pointer, right_softmax = tl.PointerTask(n_symbols=8, n_items=4), tl.masked_softmax
halved = lambda s, m=None, b=None: right_softmax(s / 2, m, b)  # noqa: E731  the broken edit: scores halved
short = tl.TrainConfig(steps=2, batch_size=16, eval_every=2, eval_size=16, seed=tl.seed(1),
                       eval_seed=tl.eval_seed())  # two steps: the first loss already tells
loss = {}
for path in ("fused", "written"):
    cfg = tl.ModelConfig(vocab_size=pointer.vocab_size, n_out=pointer.n_out, d_model=16, n_heads=2,
                         max_len=pointer.seq_len, attention=path)
    with mock.patch("transformer_lab.attention.masked_softmax", halved):  # only the written path calls it
        loss[path] = tl.train(tl.build_model(cfg, tl.seed(0)), pointer, short).train_loss
gap = max(abs(a - b) for a, b in zip(loss["fused"], loss["written"]))
print(f"largest gap between the two training losses: {tl.approx(gap, '.1e')};",
      "'both paths train alike (gap < 1e-4)' stops holding" if gap > 1e-4 else "both paths still agree")

# %% [markdown]
# *The written-out switch is how you see that an edit changed what the model learns: the fused path
# ignores `masked_softmax`, the written one follows it.*
# *手写路径开关让你看到改动是否改变了模型的学习：融合路径不经过 `masked_softmax`，手写路径则完全依赖它。*
#
# **Quiz · 小测验**

# %%
quiz = viz.Quiz([
    {"question": "A mask with True = real token goes to nn.MultiheadAttention(key_padding_mask=...). "
                 "What happens? / 把 True = 真实 token 的掩码传给 key_padding_mask，会怎样？",
     "options": ["It works / 正常工作", "Every query attends only to the pads / 每个 query 只关注 pad",
                 "It raises an error / 报错"], "answer": 1,
     "why": "key_padding_mask True means ignore: the real tokens are ignored (§1). / "
            "True 表示屏蔽，真实 token 被屏蔽了。"},
    {"question": "A row with no key (left padding + causal), −inf fill, plain softmax: the row is… / "
                 "没有可见 key 的行，用 −inf 和普通 softmax，结果是……",
     "options": ["all zeros / 全 0", "uniform / 均匀分布", "NaN"], "answer": 2,
     "why": "exp(−inf) = 0 everywhere, so 0/0. SDPA and tl.masked_softmax return zeros (D6). / 0/0 = NaN。"},
    {"question": "−1000 is *added* to the pad scores. When does it leak? / 把 −1000 加到 pad 的分数上，什么时候会泄漏？",
     "options": ["Never / 从不",
                 "When a pad key beats the best real key by about 1000 / pad 比最好的真实 key 高约 1000 时",
                 "Only in float16 / 只在 float16 中"], "answer": 1,
     "why": "The pad's weight is sigmoid(gap − 1000) (D5). / pad 的权重是 sigmoid(分差 − 1000)。"},
    {"question": "Which fill overflows in float16? / 哪个填充值在 float16 中溢出？",
     "options": ["−1000", "−1e4", "−1e9", "torch.finfo(torch.float16).min"], "answer": 2,
     "why": "float16 ends at ±65504: masked_fill raises, a cast gives −inf (D7). / float16 的范围是 ±65504。"},
])
quiz

# %% [markdown]
# ## 7 · Further reading · 延伸阅读
#
# - Vaswani et al. 2017, *Attention Is All You Need*, arXiv:1706.03762 — §3.2.3: "masking out (setting to −∞)" illegal connections.
# - Devlin et al. 2018, *BERT*, arXiv:1810.04805 — padded batches of sentence pairs; its reference code adds −10000 to masked scores.
# - Micikevicius et al. 2017, *Mixed Precision Training*, arXiv:1710.03740 — float16's range and why it matters.
# - Dehghani et al. 2023, *Scaling Vision Transformers to 22 Billion Parameters*, arXiv:2302.05442 — attention logits that grow without bound, fixed with QK-norm.
# - Wortsman et al. 2023, *Small-scale proxies for large-scale Transformer training instabilities*, arXiv:2309.14322 — attention-logit growth at small scale.

# %% [markdown]
# ## Deep dive · 深入
#
# The rest of the evidence, still executed and asserted: every mask form against the built-ins (D1),
# training through the written-out mask (D2), the explorer's edge cases (D3), a whole model with left
# padding and positions (D4), leaks (D5), rows with no key (D6), half precision (D7), the loss and the
# pooling (D8).
#
# 其余证据仍然全部执行并断言：各种掩码形式与内置实现的对照（D1）、经手写掩码训练（D2）、探索器的边界情况（D3）、
# 整个模型在左 padding 与位置编码下的表现（D4）、泄漏（D5）、没有 key 的行（D6）、半精度（D7）、损失与池化（D8）。
#
# ### D1 · Every mask form against the built-ins
#
# Left padding, the causal mask, both combined, and the **query-side** form `(B, 1, T, 1)` (whole rows).
# Combined with the causal mask, left padding leaves the pad queries with no key at all;
# `tl.fully_masked_rows` finds those rows, and `tl.position_ids` counts positions over real tokens only:

# %%
right, left = keep, tl.padding_mask(lengths, S, side="left")  # (B, S) each
left_side = tl.key_mask_to_attention_mask(left)  # (B, 1, 1, S)
query_side = tl.query_mask_to_attention_mask(left)  # (B, 1, T, 1)
causal_left = tl.combine_masks(tl.causal_mask(S), left_side)  # (B, 1, T, S)
print("left padding, (B, S):\n", left.int(), "\ncausal, (T, S):\n", tl.causal_mask(S).int())
print("key-side", tuple(left_side.shape), " query-side", tuple(query_side.shape),
      " causal + left padding", tuple(causal_left.shape))
print("causal + left padding, sequence 1 (length 3), rows = queries:\n", causal_left[1, 0].int())
print("rows with no key:", tl.fully_masked_rows(causal_left)[:, 0].int().tolist())
print("position ids, left padding:", tl.position_ids(left).tolist())
assert tl.fully_masked_rows(causal_left)[:, 0].sum(-1).tolist() == [1, 3, 5]  # exactly the pad queries
assert not tl.fully_masked_rows(tl.combine_masks(tl.causal_mask(S), key_side)).any()

# %% [markdown]
# Two forms of the same mask: **boolean** (keep = True) and **additive** (0 where kept, a large negative
# fill where masked, *added* to the scores). `tl.to_additive` builds the second; its default fill is
# $-\infty$, and it refuses a fill the dtype cannot hold.

# %%
print(tl.to_additive(right[2]), "  <- additive, fill -inf")
print(tl.to_additive(right[2], torch.float16, fill=tl.safe_fill_value(torch.float16)), "  <- float16")
assert torch.equal(tl.to_boolean(tl.to_additive(right)), right)

# %% [markdown]
# Every mask, passed as bool and as an additive float mask with $-\infty$ and with the dtype minimum,
# against `F.scaled_dot_product_attention`. Rows with no key are included (both return zeros there for
# bool and $-\infty$; both return uniform weights for the finite fill).

# %%
forms = {
    "padding, right": key_side,  # (B, 1, 1, S)
    "padding, left": left_side,  # (B, 1, 1, S)
    "causal": tl.causal_mask(S),  # (T, S)
    "causal + padding, right": tl.combine_masks(tl.causal_mask(S), key_side),
    "causal + padding, left": causal_left,  # (B, 1, T, S), with rows that have no key
    "query-side (pad queries)": query_side,  # (B, 1, T, 1): whole rows masked
}
for name, mask_keep in forms.items():
    for label, mask in (("bool", mask_keep), ("add -inf", tl.to_additive(mask_keep)),
                        ("add finfo.min", tl.to_additive(mask_keep, fill=tl.safe_fill_value(torch.float32)))):
        ours, _ = tl.scaled_dot_product_attention(q, k, v, mask=mask)  # (B, H, T, Dh)
        theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (B, H, T, Dh)
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)
    print(f"{name:26s} mask {str(tuple(mask_keep.shape)):15s} bool, add -inf, add finfo.min: == SDPA")
torch.testing.assert_close(tl.scaled_dot_product_attention(q, k, v, mask=tl.causal_mask(S))[0],
                           F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-5, rtol=0)
print("causal mask == SDPA's is_causal=True")

# %% [markdown]
# The same masks in `nn.MultiheadAttention`, whose `key_padding_mask (B, S)` and bool `attn_mask (T, S)`
# are both **True where attention is not allowed**: our keep-mask goes in flipped
# (`tl.to_torch_key_padding_mask`, `~causal`). Outputs and weights must match:

# %%
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
        need_weights = name != "causal + padding, left"  # with weights, torch gives NaN rows (D6)
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
        print(f"{name:24s} outputs {'and weights ' if need_weights else ''}match nn.MultiheadAttention "
              "(masks flipped)")

# %% [markdown]
# And the unflipped bug on a sequence with **no** padding: every key is "ignored", every weight NaN.

# %%
with torch.no_grad():
    full = torch.ones(1, 5, dtype=torch.bool)  # a sequence of 5 real tokens, no padding
    _, w_full = torch_mha(x[:1, :5], x[:1, :5], x[:1, :5], key_padding_mask=full)  # WRONG: unflipped
print("a sequence with no padding, mask passed unflipped: weights all NaN?", torch.isnan(w_full).all().item())
assert torch.isnan(w_full).all()

# %% [markdown]
# ### D2 · Training through the written-out mask
#
# Asked for no weights, the model runs torch's fused kernel, so an edit to `tl.masked_softmax` would not
# change what it learns. `tl.ModelConfig(attention="written")` sends every forward and backward pass
# through `masked_softmax` instead; both paths train to the same history, up to float rounding. To try
# your own mask code, edit `masked_softmax` in `transformer_lab/attention.py` and train with
# `attention="written"` (exercise 3 does it with a broken version).
#
# 模型不需要注意力权重时走 PyTorch 的融合内核；设 `attention="written"` 后，训练的每一步都经过我们手写的
# `masked_softmax`，两条路径训练出的损失曲线只差浮点舍入。想试自己的掩码写法，就改它并用这个开关训练（练习 3）。

# %%
pointer = tl.PointerTask(n_symbols=8, n_items=4)
short = tl.TrainConfig(steps=10, batch_size=16, eval_every=10, eval_size=64, seed=tl.seed(1),
                       eval_seed=tl.eval_seed())
paths = {}
for path in ("fused", "written"):
    cfg = tl.ModelConfig(vocab_size=pointer.vocab_size, n_out=pointer.n_out, d_model=16, n_heads=2,
                         max_len=pointer.seq_len, attention=path)
    paths[path] = tl.train(tl.build_model(cfg, tl.seed(0)), pointer, short)
gap = max(abs(a - b) for a, b in zip(paths["fused"].train_loss, paths["written"].train_loss))
print(f"largest gap between the fused and the written-out training loss over {short.steps} steps:",
      tl.fmt_gap(gap, 1e-4))
assert gap < 1e-4

# %% [markdown]
# ### D3 · The explorer's edge cases
#
# The states the explorer's "Try" list points to, computed without moving the widget: −1000 added at
# scale 1000 leaks into the padded sequences; $-\infty$ at the same scale does not; with left padding and
# a causal mask, −1000 added at scale 1 leaves the rows with no key attending as if unmasked.

# %%
def explorer_state(**changes):
    return explorer.compute(**{**explorer.values, **changes})


leaky = explorer_state(fill="-1000", form="add", scale=1000)["leaks"]
exact = explorer_state(fill="-inf", scale=1000)["leaks"]
print("leaked mass per sequence, -1000 added at scale 1000:", [f"{x:.2f}" for x in leaky])
print("same scores, fill -inf:", [f"{x:.2f}" for x in exact])
assert leaky[0] == 0 and min(leaky[1:]) > 0.1 and max(exact) == 0
dead_rows = explorer_state(fill="-1000", form="add", side="left", causal=True, scale=1)
print("left padding + causal, -1000 added at scale 1: rows with no key", dead_rows["n_dead"], "->",
      dead_rows["dead_kinds"])
assert dead_rows["n_dead"] == [0, 2, 4] and dead_rows["dead_kinds"][1:] == [["as if unmasked"]] * 2

# %% [markdown]
# ### D4 · A whole model: left padding and positions
#
# `tl.TinyTransformer`, 2 layers, MLP, pre-LayerNorm, token sequences padded with an arbitrary token id.
# Absolute (sinusoidal) positions are indexed by position in the batch, which left padding shifts; so
# the table checks right padding with sinusoidal positions, left padding without positions
# (`positional="none"`), a causal model with left padding, and, as a warning, left padding with
# sinusoidal positions.

# %%
def fmt(dev):
    return "< 1e-5" if dev < 1e-5 else f"{dev:.2f}"


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
    model_dev[label] = {m: lesson.padding_invariance(fn, tokens, EXTRA, side, PAD_ID, m)
                        for m in (True, False)}
    print(f"{label:26s} masked: " + ", ".join(fmt(d) for d in model_dev[label][True])
          + "   unmasked: " + ", ".join(fmt(d) for d in model_dev[label][False]))
for label in ("sinusoidal, right", "none, left", "none, left, causal", "sinusoidal, right, causal"):
    assert max(model_dev[label][True]) < 1e-5
assert min(model_dev["sinusoidal, right"][False]) > 0.1 and min(model_dev["none, left"][False]) > 0.1
assert max(model_dev["sinusoidal, right, causal"][False]) < 1e-5  # pads after the tokens are in the future
assert min(model_dev["sinusoidal, left"][True]) > 0.1  # the mask is right, the positions moved

# %% [markdown]
# With the mask, every setting but the last is invariant to float rounding. A causal model with **right**
# padding needs no pad mask at all for its real tokens (the pads lie in their future). And **left padding
# with absolute positions is not invariant even with a correct mask**: the real tokens sit at shifted
# positions. The fix is positions counted over real tokens only, `tl.position_ids` (what decoder
# libraries pass as `position_ids`); with it the inputs at real tokens are the unpadded ones again
# (`TinyTransformer` indexes its table by position, so the check is at the input):

# %%
pe = tl.sinusoidal_encoding(24, 32)  # (max_len, D)
padded, pad_keep = lesson.pad_sequences(tokens, 7 + 3, side="left", pad_value=PAD_ID)  # (B, S), (B, S)
by_index = pe[torch.arange(10)].expand(3, 10, 32)  # (B, S, D): what the model adds
by_real_position = pe[tl.position_ids(pad_keep)]  # (B, S, D)
refs = [pe[: len(t)] for t in tokens]
print("positional input at real tokens vs unpadded: by index",
      fmt(lesson.real_token_deviation(by_index, pad_keep, refs)),
      "| by tl.position_ids", fmt(lesson.real_token_deviation(by_real_position, pad_keep, refs)))
assert lesson.real_token_deviation(by_real_position, pad_keep, refs) == 0
assert lesson.real_token_deviation(by_index, pad_keep, refs) > 0.5

# %% [markdown]
# ### D5 · Leaks: when is −1000 not enough?
#
# One real key at score 0 and one pad key at raw score $g$: with $f$ added, the pad's weight is exactly
# $\sigma(g + f)$, the logistic function, so an additive fill holds only while pad scores stay well below
# $|f|$ above the best real score. Checked:

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
# The sweep of §3 as numbers (the worst row's leaked mass; the mean over rows for −1000), with its asserts:

# %%
FILLS_SWEEP = tuple(leaks["add"])
mean_leak = lesson.leak_sweep(SIGMAS, ("-1000", "-1e4"), form="add", reduce="mean")
print(f"{'sigma':>7s} | {'largest pad-over-real gap':>25s} | "
      + " | ".join(f"add {f:>9s}" for f in FILLS_SWEEP) + " | set, any fill")
for i, s in enumerate(SIGMAS):
    print(f"{s:7d} | {score_gap[i]:25.0f} | " + " | ".join(f"{leaks['add'][f][i]:13.1e}" for f in FILLS_SWEEP)
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
    if score_gap[i] < 1000 - 20:
        assert leaks["add"]["-1000"][i] < 1e-8

# %% [markdown]
# Set over the scores, a replaced score of −1000 only loses when **every** real score of the row is below
# about −1000 + 100, which random scores never produced here. Are spreads of a thousand realistic?
# Unscaled $q\cdot k$ with $d_k=1024$ and unit-variance entries has $\sigma=32$ (notebook 03); entries of
# standard deviation 6, not unusual for unnormalised activations, give $\sigma\approx 36\cdot 32$.
# Attention logits that grow during training are a known failure of large models (Dehghani et al. 2023;
# Wortsman et al. 2023):

# %%
gen = tl.randomness.make_generator(tl.seed())
q_big = 6 * torch.randn(256, 1024, generator=gen)  # (T, Dh): entries of std 6
k_big = 6 * torch.randn(16, 1024, generator=gen)  # (S, Dh)
keep16 = torch.arange(16) < 12  # (S,): the last 4 keys are pads
real_leaks = {}
for label, sc in (("unscaled q·k", tl.dot_scores(q_big, k_big)),
                  ("scaled q·k/√d_k", tl.scaled_dot_scores(q_big, k_big))):
    w = lesson.plain_masked_softmax(sc, keep16, "-1000", "add")  # (T, S)
    real_leaks[label] = lesson.leaked_mass(w, keep16)  # (T,)
    share = (real_leaks[label] > 1e-3).float().mean().item()
    print(f"{label:16s} score std {sc.std().item():7.1f}: -1000 added leaks > 1e-3 in {share:.1%} of rows, "
          f"worst row {real_leaks[label].max().item():.2f}")
assert (real_leaks["unscaled q·k"] > 1e-3).any() and real_leaks["scaled q·k/√d_k"].max() == 0
assert abs(tl.dot_scores(q_big, k_big).std().item() / (36 * 32) - 1) < 0.1  # σ ≈ 6² · √1024

# %% [markdown]
# ### D6 · Rows with no key: NaN, zeros, uniform, or the unmasked attention
#
# Query 0 has every key masked. What its weights become, for each API (rows) and each mask (columns: a
# bool mask in the API's own convention, or an additive float mask with each fill; the two plain
# one-liners *set* or *add* the fill). Weights of the fused kernels, which return none, are read from
# the output with the values set to the identity matrix.

# %%
columns = list(next(iter(dead.values())))
fully_masked_table = tl.evidence.Table(
    "| API | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns) + "\n"
    + "\n".join(f"| {api} | " + " | ".join(row.values()) + " |" for api, row in dead.items()))
mha_t, mha_f = "nn.MultiheadAttention, need_weights=True", "nn.MultiheadAttention, need_weights=False"
assert dead["tl.masked_softmax"]["bool"] == dead["F.scaled_dot_product_attention"]["bool"] == "zeros"
assert dead[mha_t]["bool"] == dead[mha_t]["-inf"] == "NaN" and dead[mha_f]["bool"] == "zeros"
assert dead["softmax + masked_fill (set)"]["-inf"] == dead["softmax + additive mask (add)"]["-inf"] == "NaN"
assert all(row["-1e9"] == "uniform" and row["dtype min"] == "uniform" for row in dead.values())
added_apis = [row for api, row in dead.items() if api != "softmax + masked_fill (set)"]
assert all(row["-1000"] == "as if unmasked" and row["-1e4"] == "as if unmasked" for row in added_apis)
assert dead["softmax + masked_fill (set)"]["-1000"] == "uniform"
fully_masked_table

# %% [markdown]
# So: $-\infty$ gives NaN in a plain softmax and in `nn.MultiheadAttention` when it returns its weights
# (`need_weights=True`, its default); the fused paths (SDPA, and `nn.MultiheadAttention` with
# `need_weights=False`) and `tl.masked_softmax` return zeros. A fill **set** over the scores gives
# uniform weights; −1e9 or the dtype minimum *added* give uniform too (the scores vanish in the rounding
# of the huge number); −1000 or −1e4 **added** shift every score of the row equally, which a softmax
# ignores: the row attends **as if there were no mask**. None of these outputs means anything; what
# matters is that they stay finite and are ignored. To see such rows, set the explorer above to −1000,
# *add*, left padding, causal, scale 1 (D3 checks that state): the pad queries of sequences 1 and 2 have
# no key left and attend to every key, future ones included, as if there were no mask.
#
# 在上面的探索器中选择 −1000、加性、左 padding、因果、尺度 1，即可看到这些行：序列 1、2 的 pad query 没有可见 key，
# 像没有掩码一样关注所有 key，包括未来的 key。
#
# The NaN is worse than it looks: zeroing the bad rows *after* attention does not save the gradient.
# The fix that works with any API is to give those rows a key before the softmax
# (`tl.unmask_fully_masked_rows`) and ignore their outputs:

# %%
def grad_is_finite(module_call):
    torch_mha.zero_grad()
    out = module_call()  # (B, T, D)
    no_key = tl.fully_masked_rows(causal_left)[:, 0, :, None]  # (B, T, 1)
    out.masked_fill(no_key, 0.0).sum().backward()  # zero the dead rows, then backpropagate
    return all(torch.isfinite(p.grad).all().item() for p in torch_mha.parameters())


attn_mask = ~causal_left[:, 0].repeat_interleave(2, dim=0)  # (B*H, T, S), True = NOT allowed
fixed_mask = ~tl.unmask_fully_masked_rows(causal_left)[:, 0].repeat_interleave(2, dim=0)
grads = {
    "need_weights=True": grad_is_finite(lambda: torch_mha(x, x, x, attn_mask=attn_mask)[0]),
    "need_weights=False": grad_is_finite(
        lambda: torch_mha(x, x, x, attn_mask=attn_mask, need_weights=False)[0]),
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
assert grads == {"need_weights=True": False, "need_weights=False": True,
                 "need_weights=True, rows unmasked": True}

# %% [markdown]
# ### D7 · Half precision: −1e9 does not fit in float16
#
# float16 tops out at 65504. `masked_fill` refuses −1e9; `tl.to_additive` refuses it with a message that
# says what to use; the usual ways of building an additive mask accept it silently and produce
# $-\infty$, which brings the NaN of D6 back.

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
assert torch.isneginf(silent[~keep16_rows]).all()
assert torch.isnan(torch.softmax(scores16 + silent, -1)[1]).all()

# %% [markdown]
# And a subtler trap: the dtype minimum is safe when it **replaces** a score, but **added** to a score
# below −16 it rounds past −65504 to $-\infty$ in float16. For each dtype, what the plain one-liners make
# of a row with no key, with scores near 0 and with scores near −100:

# %%
rows16 = []
half = {}
for dt_name, dt in lesson.DTYPES.items():
    for shift in (0.0, -100.0):
        table = lesson.fully_masked_plain(dt, shift)
        half[(dt_name, shift)] = table
        for form, row in table.items():
            rows16.append(f"| {dt_name} | {shift:g} | {form} | " + " | ".join(row.values()) + " |")
dtype_table = tl.evidence.Table("| dtype | scores near | fill is | " + " | ".join(lesson.FILLS)
                                + " |\n|---|---|---|" + "---|" * len(lesson.FILLS) + "\n" + "\n".join(rows16))
assert half[("float16", 0.0)]["set"]["-1e9"] == "raises" and half[("float16", 0.0)]["add"]["-1e9"] == "NaN"
assert half[("float16", -100.0)]["add"]["dtype min"] == "NaN"
assert half[("float16", 0.0)]["add"]["dtype min"] == "uniform"
assert all(t["set"]["dtype min"] == "uniform" for t in half.values())  # set: the safe fill
assert half[("bfloat16", 0.0)]["set"]["-1e9"] == "uniform"  # bfloat16 has float32's range
dtype_table

# %% [markdown]
# bfloat16 has float32's exponent range, so −1e9 fits; float16 needs a fill of at most 65504 in size, and
# −1000 and −1e4 both fit, a point in the note's favour. "distorted" marks rows where a large fill
# rounded the scores (float16 keeps 11 significant bits, bfloat16 8): neither uniform nor the unmasked
# row. The leak threshold of D5 does not move with the dtype:

# %%
SIG16 = [100, 300, 1000, 3000]
for dt_name in ("float16", "bfloat16"):
    sweep = lesson.leak_sweep(SIG16, ("-1000", "dtype min"), dtype=lesson.DTYPES[dt_name])
    print(f"{dt_name:9s} worst-row leak, -1000 added: "
          + ", ".join(f"σ={s}: {v:.1e}" for s, v in zip(SIG16, sweep["-1000"]))
          + f"   dtype min added: max {max(sweep['dtype min']):.1e}")
    assert sweep["-1000"][0] == 0 and sweep["-1000"][-1] > 0.5 and max(sweep["dtype min"]) == 0

# %% [markdown]
# ### D8 · The loss and the pooling must be masked too
#
# The attention mask protects the real tokens' outputs. The outputs at pad positions are still there,
# and anything that reads them (a loss over every position, a mean over the sequence) brings padding
# back. **Loss**: targets at pads set to `ignore_index` (`lesson.ignore_padding`, −100 is
# `F.cross_entropy`'s default) give exactly the loss of the unpadded sequences, a mean over real tokens;
# pads left as targets add terms for the pad positions, and the loss then depends on the pad length
# (up or down, depending on what the untrained model predicts for the pad token, although no prediction
# at a real token changed).

# %%
cfg = tl.ModelConfig(vocab_size=12, d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=24)
model = tl.build_model(cfg, seed=tl.seed()).eval()
targets = [torch.randint(0, 11, (len(t),), generator=tl.randomness.make_generator(tl.seed(len(t))))
           for t in tokens]
with torch.no_grad():
    ref_loss = F.cross_entropy(torch.cat([model(t[None])[0] for t in tokens]), torch.cat(targets)).item()
loss_rows = []
for extra in EXTRA:
    toks, pad_keep = lesson.pad_sequences(tokens, 7 + extra, pad_value=PAD_ID)  # (B, S), (B, S)
    tgt, _ = lesson.pad_sequences(targets, 7 + extra, pad_value=PAD_ID)  # (B, S): pads' target = the pad id
    with torch.no_grad():
        logits = model(toks, key_mask=pad_keep)  # (B, S, V)
    masked_loss = F.cross_entropy(logits.flatten(0, 1), lesson.ignore_padding(tgt, pad_keep).flatten())
    naive_loss = F.cross_entropy(logits.flatten(0, 1), tgt.flatten())
    loss_rows.append((extra, masked_loss.item(), naive_loss.item(), (~pad_keep).sum().item()))
print(f"unpadded reference loss: {ref_loss:.4f}")
for extra, ml, nl, n_pad in loss_rows:
    print(f"extra pads {extra}: {n_pad:2d} pad targets; loss with ignore_index {ml:.4f}, "
          f"with pads as targets {nl:.4f}")
assert all(abs(ml - ref_loss) < 1e-5 for _, ml, _, _ in loss_rows)
assert all(abs(nl - ref_loss) > 0.01 for _, _, nl, _ in loss_rows)
assert all(abs(a[2] - b[2]) > 1e-3 for a, b in zip(loss_rows, loss_rows[1:]))  # changes with every pad length

# %% [markdown]
# **Mean pooling** (a sentence vector for classification): `x.mean(1)` averages the pad positions in, so
# the pooled vector drifts as padding grows; `lesson.masked_mean` divides by the real count only.

# %%
pool_rows = []
with torch.no_grad():
    ref_pooled = torch.stack([model(t[None], return_cache=True)[1]["blocks.1.out"][0].mean(0)
                              for t in tokens])  # (B, D)
    for extra in EXTRA:
        toks, pad_keep = lesson.pad_sequences(tokens, 7 + extra, pad_value=PAD_ID)
        hidden = model(toks, key_mask=pad_keep, return_cache=True)[1]["blocks.1.out"]  # (B, S, D)
        pool_rows.append((extra, (lesson.masked_mean(hidden, pad_keep) - ref_pooled).abs().max().item(),
                          (hidden.mean(1) - ref_pooled).abs().max().item(),
                          F.cosine_similarity(hidden.mean(1), ref_pooled, dim=-1).min().item()))
for extra, dm, dn, cos in pool_rows:
    print(f"extra pads {extra}: masked mean deviates {fmt(dm)}; plain mean deviates {dn:.2f} "
          f"(worst cosine to the truth {cos:.2f})")
assert all(dm < 1e-5 for _, dm, _, _ in pool_rows)
assert all(dn > 0.1 for _, _, dn, _ in pool_rows)
assert pool_rows[-1][3] < pool_rows[0][3]  # the more padding, the further the plain mean drifts
