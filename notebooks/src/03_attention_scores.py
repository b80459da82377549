# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 03 · Additive, dot-product and scaled dot-product attention: how do they differ, and why divide by √d_k?
#
# **有哪些不同类型的注意力？加性注意力、点积注意力、缩放点积注意力的公式、计算过程和复杂度有什么区别？为什么要除以 √d_k？**
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
import math

import torch
import torch.nn.functional as F

import transformer_lab as tl
from transformer_lab import viz
from transformer_lab.lessons import q03_attention_scores as lesson

torch.set_num_threads(1)  # same numbers on every machine (the thread count changes float sums)
_ = torch.manual_seed(tl.seed())  # all seeds derive from one base, $TRANSFORMER_LAB_SEED (default 0)

# %% [markdown]
# ## 30-second answer · 30秒回答
#
# - Additive: $v^\top\tanh(W_q q+W_k k)$, a small MLP per pair; dot: $q^\top k$; scaled dot: $q^\top k/\sqrt{d_k}$.
# - Same $O(n^2d)$ order, but dot product is one matrix multiply; additive builds an $n\times n\times A$
#   tensor: slower, more memory.
# - $\operatorname{Var}(q\cdot k)=d_k$: large scores saturate the softmax and starve its gradient; dividing
#   by $\sqrt{d_k}$ restores unit variance.
#
# ---
#
# - **加性注意力** $v^\top\tanh(W_q q+W_k k)$：对每一对 (query, key) 做一个小 MLP；**点积** $q^\top k$；**缩放点积** $q^\top k/\sqrt{d_k}$。
# - 复杂度同为 $O(n^2d)$，但点积就是一次矩阵乘法；加性注意力要构造 $n\times n\times A$ 的中间张量，更慢、更占内存。
# - $\operatorname{Var}(q\cdot k)=d_k$：分数过大使 softmax 饱和，传回分数的梯度很小（梯度消失）；除以 $\sqrt{d_k}$ 让方差回到 1。

# %% [markdown]
# ## 2-minute answer · 两分钟回答
#
# **English.** Attention scores each query against each key, then a softmax over each row turns the scores
# into weights over the values. Additive attention (Bahdanau) scores a pair with a one-hidden-layer MLP,
# $v^\top\tanh(W_q q+W_k k)$; dot-product attention (Luong) uses $q^\top k$; scaled dot product (Vaswani)
# divides that by $\sqrt{d_k}$. Their multiply-adds are of the same order, $O(n^2d)$, but the dot product
# is one batched matrix multiply, while additive attention builds an $n\times n\times A$ tensor and applies
# tanh to it: slower, far more memory, and extra parameters. Transformers use the dot product for speed.
# The catch: with unit-variance components, $\operatorname{Var}(q\cdot k)=d_k$, so at large $d_k$ the scores
# are large, the softmax goes nearly one-hot, and its Jacobian $\operatorname{diag}(p)-pp^\top$ shrinks, so
# little gradient reaches the scores. Careful with the usual phrase "the gradients to $W_Q$ and $W_K$
# vanish": measured at initialisation, the gradient to $W_Q$ *grows* with $d_k$ (it is multiplied by keys
# of length $\approx\sqrt{d_k}$); what is starved is the softmax, which passes a signal to few (query, key)
# pairs. Vaswani et al., citing Britz et al. 2017, note that additive beats unscaled dot product at large
# $d_k$. Dividing by $\sqrt{d_k}$ gives unit variance whatever $d_k$ is, and then the dot product does as
# well as additive attention.
#
# **中文。** 注意力先给每个 (query, key) 打分，再对每一行做 softmax，把分数变成对 value 的权重。加性注意力（Bahdanau）用单隐层
# MLP 打分，$v^\top\tanh(W_q q+W_k k)$；点积注意力（Luong）用 $q^\top k$；缩放点积（Vaswani）再除以 $\sqrt{d_k}$。三者的乘加次数同阶，
# 都是 $O(n^2d)$，但点积就是一次批量矩阵乘法，而加性注意力要构造 $n\times n\times A$ 的张量再过 tanh：更慢、更占内存，还多了参数。
# Transformer 为了速度选择点积。代价是：若 q、k 各分量方差为 1，则 $\operatorname{Var}(q\cdot k)=d_k$；$d_k$ 大时分数很大，softmax
# 接近 one-hot，其雅可比矩阵 $\operatorname{diag}(p)-pp^\top$ 变小，传回分数的梯度很小。常说的"$W_Q$、$W_K$ 的梯度消失"并不准确：
# 在初始化时实测，$W_Q$ 的梯度反而随 $d_k$ **增大**（它要乘上长度约为 $\sqrt{d_k}$ 的 key）；真正饱和的是 softmax，它只把信号传给
# 少数 (query, key) 对。Vaswani 等人引用 Britz 等人 2017 年的实验指出：$d_k$ 大时加性注意力胜过**未缩放**的点积。除以
# $\sqrt{d_k}$ 后，无论 $d_k$ 多大方差都是 1，缩放点积的效果与加性注意力相当。

# %% [markdown]
# ## 1 · Build it · 动手实现
#
# Every score function maps `q (…, T, Dh)` and `k (…, S, Dh)` to scores `(…, T, S)`; the softmax over the
# last axis turns each query's row into weights over the keys. Shapes: **T** queries, **S** keys, **Dh**
# head width ($d_k$), **A** hidden width of additive attention.
#
# 四种打分函数都把 `q (…, T, Dh)` 和 `k (…, S, Dh)` 映射成分数 `(…, T, S)`；对最后一维做 softmax，每个 query 得到对各 key 的权重。

# %%
T, S, Dh, A = 5, 7, 16, 16
q, k = torch.randn(T, Dh), torch.randn(S, Dh)  # (T, Dh), (S, Dh): unit-variance entries
W_bilinear = torch.randn(Dh, Dh) / math.sqrt(Dh)  # (Dh, Dh)
additive = tl.AdditiveScore(Dh, d_attn=A)  # W_q (Dh, A), W_k (Dh, A), v (A,)
scores = {
    "additive  vᵀtanh(W_q q + W_k k)": additive(q, k).detach(),
    "dot  q·k": tl.dot_scores(q, k),
    "scaled dot  q·k/√d_k": tl.scaled_dot_scores(q, k),
    "bilinear  qᵀ W k": tl.bilinear_scores(q, k, W_bilinear),
}
for name, s in scores.items():
    print(f"{name:34s} shape {tuple(s.shape)}  std {s.std().item():.2f}")

# %% [markdown]
# The additive score is a small MLP applied to every (query, key) pair. Written as a loop it reads as the
# formula; the package builds the `(T, S, A)` tensor in one go, and they agree. There is no subtraction
# $h_i - s_j$ anywhere (the note says so; §4): $W_a[q;k]=W_q q+W_k k$.
#
# 加性打分就是对每一对 (query, key) 应用一个小 MLP。写成循环就是公式本身；包里一次性构造 `(T, S, A)` 张量，两者一致。

# %%
with torch.no_grad():
    loop = torch.stack([torch.stack([additive.v @ torch.tanh(q[i] @ additive.w_q + k[j] @ additive.w_k)
                                     for j in range(S)]) for i in range(T)])  # (T, S), pair by pair
torch.testing.assert_close(scores["additive  vᵀtanh(W_q q + W_k k)"], loop)
torch.testing.assert_close(tl.bilinear_scores(q, k, torch.eye(Dh)), tl.dot_scores(q, k))  # W = I: plain dot
print("additive == the per-pair loop; bilinear with W = I == dot product")

# %% [markdown]
# Scaled dot-product attention, `softmax(q kᵀ/√d_k + mask) v`, written out in `tl.scaled_dot_product_attention`,
# equals PyTorch's fused kernel, with no mask, a padding mask (True = take part) and a causal mask.
# 缩放点积注意力与 PyTorch 的融合实现一致（无掩码、padding 掩码、因果掩码三种情况）。

# %%
qh, kh, vh = torch.randn(3, 2, 4, 6, Dh).unbind(0)  # each (B, H, T, Dh) = (2, 4, 6, 16)
keep = tl.padding_mask(torch.tensor([6, 3]), 6)[:, None, None, :]  # (B, 1, 1, S): True = real key
for label, mask in [("no mask", None), ("padding mask", keep), ("causal mask", tl.causal_mask(6))]:
    ours, weights = tl.scaled_dot_product_attention(qh, kh, vh, mask=mask)  # (B, H, T, Dh), (B, H, T, S)
    fused = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=mask)  # PyTorch's kernel
    torch.testing.assert_close(ours, fused, atol=1e-5, rtol=0)
    print(f"{label:13s} output {tuple(ours.shape)} weights {tuple(weights.shape)}: matches PyTorch")

# %%
viz.plot_heatmaps(scores, ncols=4, cmap="RdBu_r", vmin=-6, vmax=6)

# %% [markdown]
# *Same q and k, four score functions. The unscaled dot product spreads out (std ≈ √16 = 4), the scaled one sits
# near unit spread, and the additive score is bounded by ‖v‖₁ because tanh ∈ [−1, 1], whatever d_k is.*
#
# *同一组 q、k，四种打分。未缩放的点积分布很宽（标准差约 √16 = 4），缩放后约为 1；加性分数受 ‖v‖₁ 限制，与 d_k 无关。*

# %% [markdown]
# ## 2 · See it · 看见它
#
# q and k have independent N(0, 1) entries, the setting of the paper's footnote 4. Slide $d_k$ from 1 to 1024
# and toggle the scale: unscaled, one query's weights collapse onto one key as $d_k$ grows; scaled, they stay spread.
# Left: the scores against the predicted normal (log scale, same axes for every setting). Middle: one query's
# softmax weights over 16 keys. Right: the mean entropy of a row, the current setting circled.
#
# q、k 的各分量独立、服从 N(0, 1)（论文脚注 4 的设定）。拖动 $d_k$（1 到 1024）并切换缩放：不缩放时，随着 $d_k$ 增大，
# 一个 query 的权重塌缩到一个 key 上；缩放后权重保持分散。

# %%
explorer = lesson.ScoreDistributionExplorer(d_k=64, scaled=False, seed=tl.seed())
explorer

# %%
explorer.snapshot()

# %% [markdown]
# *The explorer's default state (d_k = 64, unscaled), for where widgets do not render: the weights of query 0
# already sit almost all on one key.* · *探索器的默认状态（d_k = 64，不缩放）：query 0 的权重几乎全部落在一个 key 上。*

# %%
lesson.schematic()

# %% [markdown]
# *Additive attention is a one-hidden-layer MLP run on every (query, key) pair: over n queries and n keys it holds
# n × n × A hidden numbers. The dot product is one multiply per pair, all pairs in one matrix multiply.*
#
# *加性注意力是对每一对 (query, key) 运行的单隐层 MLP：n 个 query、n 个 key 要保存 n × n × A 个隐层数值；点积则是一次矩阵乘法。*

# %% [markdown]
# ## 3 · Measure it · 测量
#
# Three measurements settle the question: why the scale (the variance and what it does to the softmax), what each
# score function costs, and how each trains at a small and a large $d_k$.
#
# 三个测量回答这个问题：为什么要缩放（方差，以及它对 softmax 的影响）、每种打分的代价、以及小 $d_k$ 与大 $d_k$ 下的训练效果。
#
# ### 3a · Var(q·k) grows like d_k, and 1/√d_k undoes it · 方差随 d_k 增长，除以 √d_k 抵消它
#
# For each $d_k$ from 1 to 1024: Var(q·k) over 10,000 pairs, and for 64 random queries against 16 keys the
# entropy of a row (uniform is log 16 ≈ 2.77 nats), the largest weight, the norm of the softmax Jacobian
# $\operatorname{diag}(p)-pp^\top$, and the norms of the gradients of a random downstream loss reaching the scores and
# reaching $W_Q$. The numbers are in the deep dive (D1).

# %%
sweep = lesson.scale_sweep(lesson.D_KS, seed=tl.seed())  # d_k = 1, 2, 4, …, 1024; unscaled and scaled
print(f"log-log slope of Var(q·k) against d_k: {sweep.slope:.3f} (footnote 4 predicts 1)")
assert abs(sweep.slope - 1) < 0.02
sweep.figure()

# %% [markdown]
# *Var(q·k) = d_k (slope 1). Unscaled (blue), the softmax saturates as $d_k$ grows: the largest weight of a row goes
# toward 1 and the gradient reaching the scores shrinks. The gradient reaching $W_Q$ does **not** shrink: it grows,
# because it is the score gradient times keys of length ≈ √d_k. Scaled (orange), every curve stays flat.*
#
# *Var(q·k) = d_k（斜率为 1）。不缩放（蓝）时，随着 $d_k$ 增大 softmax 饱和：每行最大权重趋于 1，传回分数的梯度变小；但传到 $W_Q$
# 的梯度并**不**变小，反而增大（它等于分数梯度乘以长度约为 √d_k 的 key）。缩放后（橙），每条曲线都保持平稳。*
#
# ### 3b · Cost: additive against dot product as the sequence grows · 代价：序列变长时加性与点积的对比
#
# Same FLOP order, different memory traffic. Peak tensor memory is counted exactly (every tensor an op creates,
# freed when it dies), so it prints the same on every machine; times (≈) depend on the machine and its load.
#
# 计算量同阶，内存访问不同。峰值张量内存精确计数，在任何机器上都一样；时间（≈）取决于机器和负载。

# %%
cost = lesson.score_cost(seed=tl.seed())  # n = 32 … 256 queries against as many keys, d_k = A = 64
assert all(cost.memory_ratio(i) > cost.d_attn / 2 for i in range(len(cost.ns)))  # (n, n, A) against (n, n)
assert cost.time_ratio() > 3  # at n = 256
cost.table()

# %% [markdown]
# ### 3c · Training: additive, unscaled dot and scaled dot at a small and a large d_k · 训练对比
#
# The task (`tl.KeyValueRecallTask`): four (key, value) pairs, then a key; predict its value. The answer must
# travel *through the attention weights*, so a saturated softmax starves it. One attention layer, d_model = 32,
# one head of width $d_k$, no MLP, no positions, 70 AdamW steps; additive has A = 32 hidden units at both widths.
# $d_k = 4$ is small (unscaled scores have standard deviation 2), $d_k = 128$ large (about 11). **Five seeds per
# model**, trained together; each claim is decided over all five by the rule written beside it, and `make claims`
# replays the experiment from 20 other base seeds (`seeds/README.md`). Numbers marked ≈ come from training: on
# another processor their last digits may differ.
#
# 任务：给出四个 (key, value) 对，再给一个 key，预测它的 value；答案只能经由注意力权重传递。每个模型训练 **5 个随机种子**，
# 每条结论都按写明的规则在 5 个种子上检验。标 ≈ 的数字来自训练，换一台机器末位可能不同。

# %%
training = lesson.train_score_functions()  # 3 score functions × 2 head widths × 5 seeds, 70 steps
training.summary()

# %%
training.figure()

# %% [markdown]
# *Thin lines and dots: single seeds; bold lines and bars: their mean (± one standard error). At $d_k = 128$ the
# unscaled dot product (red) stays far below additive (blue) and scaled dot (green).*
#
# *细线和圆点是单个种子，粗线和横条是均值（± 一个标准误）。$d_k = 128$ 时未缩放点积（红）远低于加性（蓝）和缩放点积（绿）。*

# %%
training.check()

# %% [markdown]
# **What this run shows, honestly.** At $d_k=4$ additive and unscaled dot are close on average (neither wins every
# seed), which is what the note says ("在d_k较小的时候，两者的效果接近"). At $d_k=128$ unscaled dot is far behind
# additive, in every seed, as Vaswani et al. report citing Britz et al. (they did not run it themselves); dividing
# by $\sqrt{d_k}$ closes the gap, and scaled dot is not worse than additive at either width. So the note's "close at
# small $d_k$, additive clearly better at large $d_k$" holds, but only against the *unscaled* dot product, which the
# note does not say. (An earlier version of this notebook, from two seeds at $d_k$ = 16 and 256, called unscaled dot
# "already trailing" at small $d_k$; its own numbers, additive 0.67 against dot 0.66 at $d_k=16$, said "close".)
#
# **如实地说：** $d_k=4$ 时加性与未缩放点积平均相近（没有一方在每个种子上都赢），与笔记一致；$d_k=128$ 时未缩放点积在每个种子上都
# 远远落后于加性（Vaswani 等人引用的是 Britz 等人的结果，并非自己做的实验）。除以 $\sqrt{d_k}$ 后差距消失，缩放点积在两种宽度下都
# 不比加性差。所以笔记"小 $d_k$ 时接近、大 $d_k$ 时加性明显更好"只对**未缩放**的点积成立，而笔记没有说明这一点。

# %% [markdown]
# ## 4 · What the note claims, checked · 笔记说法核对
#
# The source note (question 三) makes these claims, quoted in its own Chinese; each verdict rests on the checks and
# the claims asserted above.
#
# 原笔记（第三题）的说法，引用原文；每条结论都基于上面实际运行并断言过的检验。

# %%
lesson.note_claims(training, sweep, cost)

# %% [markdown]
# ## 5 · Follow-ups and common wrong answers · 追问与常见错误
#
# **Follow-ups an interviewer asks next · 常见追问**
# - Why $\sqrt{d_k}$ and not $d_k$? Dividing by $d_k$ gives variance $1/d_k$: the softmax goes flat towards
#   uniform and attention can no longer be sharp (exercise 1). · 为什么不除以 $d_k$？方差变成 $1/d_k$，softmax 趋于均匀，注意力无法聚焦。
# - Does additive attention need scaling? Not for $d_k$: tanh bounds each unit, so the score is bounded by
#   $\lVert v\rVert_1$. · 加性注意力需要缩放吗？不需要：tanh 限制了每个隐单元，分数不超过 $\lVert v\rVert_1$。
# - Do the gradients to $W_Q$ vanish without the scale? Not at initialisation: they grow with $d_k$ (§3a). What
#   vanishes is the gradient through the softmax to the scores. · 不缩放时 $W_Q$ 的梯度会消失吗？初始化时不会，反而随
#   $d_k$ 增大；变小的是经过 softmax 传回分数的梯度。
# - Where else is the same fix used? A softmax temperature; $1/\sqrt{d}$ in initialisation; QK-norm in recent large
#   models bounds the scores directly. · 同样的思路还用在哪里？softmax 温度、初始化中的 $1/\sqrt{d}$、QK-norm。
# - What does PyTorch's `F.scaled_dot_product_attention` scale by? `scale=None` means $1/\sqrt{E}$, E = q's last
#   dimension. · PyTorch 默认的缩放是 $1/\sqrt{E}$，E 为 q 的最后一维。
#
# **Common wrong answers · 常见错误回答**
# - "Dot product has lower complexity than additive." Same order; the difference is constant factors and memory.
#   · "点积的复杂度更低。"同阶，差别在常数因子和内存。
# - "We divide to prevent overflow." Float32 would not overflow; the problem is the softmax's saturation.
#   · "除以 √d_k 是为了防止溢出。"float32 不会溢出，问题在于 softmax 饱和。
# - "Without the scale the gradients to $W_Q$ and $W_K$ vanish." Measured at initialisation they grow; the softmax
#   passes little gradient to most scores. · "不缩放则 $W_Q$、$W_K$ 梯度消失。"实测初始化时反而变大，是 softmax 传回大部分分数的梯度很小。
# - "Scaling makes the variance $d_k$." It makes it 1 (for independent, unit-variance entries). · "缩放后方差为 $d_k$。"是 1。
# - "Additive has more parameters, so it is better." It beats only the *unscaled* dot product, and only at large
#   $d_k$. · "加性参数多所以更好。"它只在大 $d_k$ 时胜过**未缩放**的点积。

# %% [markdown]
# ## 6 · Try it yourself · 动手试试
#
# Each exercise changes one thing and reports which claim stops holding, and why that is the point. Each runs in a
# fraction of a second. · 每个练习只改一处，并说明哪条结论不再成立、为什么这正是要点；每个都不到一秒。
#
# **Exercise 1 · 练习 1.** Divide by $d_k$ instead of $\sqrt{d_k}$. Predict first: better or worse at $d_k = 1024$?
# · 改为除以 $d_k$。先猜一猜：$d_k = 1024$ 时更好还是更差？

# %%
for d in (4, 64, 1024):
    st = lesson.softmax_stats(lesson.random_scores(d, scaled=False, seed=tl.seed()) / d)  # (64, 16) q·k / d_k
    print(f"d_k = {d:4d}: Var {st['score_var']:.4f} (1/d_k = {1 / d:.4f}), entropy {st['entropy']:.2f} of "
          f"{st['max_entropy']:.2f}, max weight {st['max_weight']:.2f} (uniform: {1 / 16:.2f})")

# %% [markdown]
# "Dividing gives unit variance" stops holding: the variance is $1/d_k$, and the softmax goes *flat* instead of
# one-hot, the opposite failure: every key gets about 1/16 and attention cannot pick one. $\sqrt{d_k}$ is the
# divisor that keeps the spread, not just any large number.
# "方差为 1"不再成立：方差变成 $1/d_k$，softmax 变得**平坦**而不是 one-hot，每个 key 都约得 1/16，注意力无法聚焦。
# 关键是保持方差不变，而不是除以一个越大越好的数。
#
# **Exercise 2 · 练习 2.** Give q and k a mean of 1 (add 1 to every entry). Does $1/\sqrt{d_k}$ still give unit
# variance? Does the softmax saturate? · 给 q、k 的每个分量加 1（均值变为 1）。除以 $\sqrt{d_k}$ 后方差还是 1 吗？softmax 会饱和吗？

# %%
for d in (4, 64, 1024):
    q1, k1 = lesson.random_qk(d, seed=tl.seed())  # (64, d), (16, d) with N(0, 1) entries
    s1 = (q1 + 1) @ (k1 + 1).T / math.sqrt(d)  # (64, 16): mean-1 entries, scaled by 1/√d_k
    st = lesson.softmax_stats(s1)
    print(f"d_k = {d:4d}: mean score {s1.mean():6.2f}, Var {st['score_var']:.2f}, "
          f"entropy {st['entropy']:.2f}")

# %% [markdown]
# Footnote 4 assumes zero mean: with mean 1 the variance is $\approx 3$, not 1, and the mean grows like $\sqrt{d_k}$.
# Yet the softmax does not saturate more: a shift shared by a whole row cancels in its softmax, and what varies
# along a row, $(q+1)\cdot k_j/\sqrt{d_k}$, keeps a variance near 2. So "unit variance" is the assumption, and the
# softmax cares about the spread *within a row*. (LayerNorm before attention keeps q and k near zero mean.)
# 脚注 4 假设均值为 0：均值为 1 时方差约为 3，均值随 $\sqrt{d_k}$ 增长；但 softmax 并没有更饱和：整行共同的偏移在 softmax 中抵消，
# 行内变化的部分方差约为 2。所以 softmax 在意的是**行内**的离散程度。
#
# **Exercise 3 · 练习 3.** In the explorer, find the smallest $d_k$ at which the unscaled largest weight passes 0.9.
# · 在探索器里找出：不缩放时最大权重超过 0.9 的最小 $d_k$。

# %%
max_weight = {d: explorer.compute(d_k=d, scaled=False)["max_weight"] for d in explorer.D_KS}  # its states
first = min(d for d, w in max_weight.items() if w > 0.9)
print(f"unscaled: max weight first passes 0.9 at d_k = {first} ({max_weight[first]:.2f}); "
      f"scaled, at d_k = 1024: {explorer.compute(d_k=1024, scaled=True)['max_weight']:.2f}")

# %% [markdown]
# The saturation claim holds from about $d_k = 128$ on: 90% of a row's weight sits on one key, so its Jacobian, and
# the gradient to every other key, is small. A typical head has $d_k = 64$: the scale is not a corner case.
# 从约 $d_k = 128$ 起，一行 90% 的权重落在一个 key 上，雅可比矩阵和传给其他 key 的梯度都很小。常见的 $d_k = 64$ 已接近这一区间。

# %%
quiz = viz.Quiz([
    {"question": "q, k have i.i.d. entries, mean 0, variance 1. What is Var(q·k) for d_k = 256? / "
                 "q、k 各分量独立、均值 0、方差 1，d_k = 256 时 Var(q·k) 是多少？",
     "options": ["1", "16", "256", "65536"], "answer": 2,
     "why": "A sum of d_k independent products of variance 1 (footnote 4). / d_k 个方差为 1 的独立乘积之和。"},
    {"question": "Why does a saturated softmax slow learning? / softmax 饱和为什么会拖慢学习？",
     "options": ["Its outputs overflow / 输出溢出", "Its Jacobian diag(p) − ppᵀ is near zero / 雅可比矩阵接近 0",
                 "It needs more memory / 需要更多内存"], "answer": 1,
     "why": "With p nearly one-hot, diag(p) − ppᵀ ≈ 0: little gradient reaches the scores. / "
            "p 接近 one-hot，梯度几乎传不到分数。"},
    {"question": "Which score function does NOT need 1/√d_k to stay bounded? / 哪种打分不需要除以 √d_k 也有界？",
     "options": ["dot / 点积", "bilinear / 双线性", "additive / 加性"], "answer": 2,
     "why": "tanh keeps each hidden unit in [−1, 1]: |score| ≤ ‖v‖₁. / tanh 把每个隐单元限制在 [−1, 1]。"},
    {"question": "Same FLOP order: why is additive slower in practice? / 计算量同阶，为什么加性更慢？",
     "options": ["It materialises an n×n×A tensor / 要构造 n×n×A 张量", "It is O(n³) / 复杂度 O(n³)",
                 "It cannot run on a GPU / 不能用 GPU"], "answer": 0,
     "why": "Dot product is one matmul; additive builds and reads a tensor A times larger (§3b). / "
            "点积只是一次矩阵乘法。"},
])
quiz

# %% [markdown]
# ## 7 · Further reading · 延伸阅读
#
# - Vaswani et al. 2017, *Attention Is All You Need*, arXiv:1706.03762: §3.2.1 and footnote 4. For "additive beats
#   unscaled dot at large $d_k$" they cite Britz et al.
# - Bahdanau, Cho, Bengio 2014, *Neural Machine Translation by Jointly Learning to Align and Translate*,
#   arXiv:1409.0473: additive attention.
# - Luong, Pham, Manning 2015, *Effective Approaches to Attention-based Neural Machine Translation*, arXiv:1508.04025:
#   dot, general (bilinear), concat.
# - Britz et al. 2017, *Massive Exploration of Neural Machine Translation Architectures*, arXiv:1703.03906: additive
#   against unscaled multiplicative attention by dimension (the experiment Vaswani et al. cite).
# - Dehghani et al. 2023, *Scaling Vision Transformers to 22 Billion Parameters*, arXiv:2302.05442: QK-norm against
#   exploding attention logits.

# %% [markdown]
# ## Deep dive · 深入
#
# The rest of the evidence, still executed and asserted: the √d_k sweep in numbers (with the entropy and the
# Jacobian norm the figure leaves out), and the parameters each score function adds.
#
# 其余证据，照样运行并断言：√d_k 扫描的全部数字（包括图中省略的熵和雅可比范数），以及各打分函数增加的参数。
#
# ### D1 · The √d_k sweep in numbers · √d_k 扫描的数字
#
# Var(q·k) at each $d_k$ (10,000 pairs; each $d_k$ reads the first $d_k$ coordinates of the same pairs), and the
# saturation of the softmax, unscaled and scaled. The rules asserted: the variance within 10% of $d_k$ everywhere;
# unscaled, one-hot at $d_k=1024$ with the Jacobian and the score gradient collapsing; scaled, spread at every
# $d_k$ with a Jacobian norm independent of $d_k$; the $W_Q$ gradient rising without the scale.

# %%
sweep.variance_table()

# %%
assert all(0.9 < v / d < 1.1 for d, v in zip(sweep.d_ks, sweep.variances))
u, s_ = sweep.stats["unscaled"], sweep.stats["scaled"]
log_S = math.log(16)
assert u["entropy (nats)"][-1] < 0.1 * log_S and u["max weight"][-1] > 0.9  # one-hot at d_k = 1024
assert u["Jacobian norm"][-1] < 0.25 * u["Jacobian norm"][0]  # the Jacobian collapses
assert u["‖∂L/∂scores‖"][-1] < 0.3 * u["‖∂L/∂scores‖"][0]  # and so does the gradient reaching the scores
assert min(u["‖∂L/∂W_Q‖"][-3:]) > 1.5 * max(u["‖∂L/∂W_Q‖"][:3])  # but the gradient reaching W_Q rises
assert min(s_["entropy (nats)"]) > 0.75 * log_S  # scaled: spread at every d_k
assert max(s_["Jacobian norm"]) / min(s_["Jacobian norm"]) < 1.3  # scaled: the same Jacobian at every d_k
assert max(s_["‖∂L/∂W_Q‖"]) / min(s_["‖∂L/∂W_Q‖"]) < 5  # scaled: no trend in the W_Q gradient either
sweep.saturation_table()

# %% [markdown]
# The $W_Q$ gradient is $x^\top(\partial L/\partial S)\,k$: the middle factor shrinks as the softmax saturates, the
# last grows like $\sqrt{d_k}$, and $W_Q$ has $d_k$ columns, so the product rises. One draw per $d_k$, so the curve is
# jagged; the rule above compares the three largest widths with the three smallest. What the scale buys is a size
# that does not depend on $d_k$, for every one of these quantities.
# $W_Q$ 的梯度是 $x^\top(\partial L/\partial S)\,k$：中间因子随饱和变小，最后一项随 $\sqrt{d_k}$ 增大，乘积反而上升。
# 缩放带来的是：这些量都不再依赖 $d_k$。
#
# ### D2 · Parameters per head · 每个头的参数
#
# Per head of width $d_k$: dot and scaled dot add **none** beyond $W_Q, W_K$; bilinear adds $W\in\mathbb R^{d_k\times d_k}$;
# additive adds $W_q, W_k\in\mathbb R^{d_k\times A}$ and $v\in\mathbb R^{A}$: two matrices and a vector, not the
# note's "three matrices".

# %%
n_params = {name: sum(p.numel() for p in tl.make_score(name, 64).parameters()) for name in tl.SCORE_FUNCTIONS}
print(n_params)
assert n_params["dot"] == n_params["scaled_dot"] == 0 and n_params["additive"] == 2 * 64 * 64 + 64
