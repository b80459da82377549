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
# Part of *transformer_lab*. Every number below is computed when the notebook runs, and every claim
# is an `assert`: if it stops holding, the notebook fails its tests.

# %% [markdown]
# ## One-minute answer · 一分钟答案
#
# - **Additive** (Bahdanau): $s(q,k)=v^\top\tanh(W_q q + W_k k)$, a one-hidden-layer MLP per (query, key) pair.
#   **Dot** (Luong): $s=q^\top k$. **Scaled dot** (Vaswani): $s=q^\top k/\sqrt{d_k}$. **Bilinear/general**: $s=q^\top W k$.
# - Same order of FLOPs ($O(n^2 d)$), but dot product is **one matrix multiply**; additive must build an
#   $n\times n\times d$ tensor, so it is several times slower and uses ~$d$ times more memory (measured below).
# - With unit-variance entries, $\operatorname{Var}(q\cdot k)=d_k$. Large $d_k$ makes scores large, the softmax
#   saturates to one-hot, its Jacobian $\operatorname{diag}(p)-pp^\top\to 0$, and gradients vanish.
# - Dividing by $\sqrt{d_k}$ brings the variance back to 1 whatever $d_k$ is. That is why additive beats
#   *unscaled* dot product at large $d_k$, and why scaled dot product closes the gap.
#
# ---
#
# - **加性注意力**：$v^\top\tanh(W_q q+W_k k)$，对每一对 (query, key) 做一个单隐层 MLP；**点积**：$q^\top k$；
#   **缩放点积**：$q^\top k/\sqrt{d_k}$；**双线性**：$q^\top W k$。
# - 理论计算量同阶（$O(n^2 d)$），但点积就是**一次矩阵乘法**；加性注意力要构造 $n\times n\times d$ 的中间张量，
#   实测更慢、内存约多 $d$ 倍。
# - 若 q、k 各分量均值 0、方差 1，则 $\operatorname{Var}(q\cdot k)=d_k$。$d_k$ 大时分数大，softmax 趋于 one-hot，
#   其雅可比矩阵 $\operatorname{diag}(p)-pp^\top$ 趋于 0，梯度消失。
# - 除以 $\sqrt{d_k}$ 使方差回到 1。所以大 $d_k$ 时加性注意力胜过**未缩放**的点积，而缩放点积能追上。

# %% [markdown]
# ## 1 · Build it
#
# Shape legend (used throughout the lab): **B** batch, **H** heads, **T** query positions,
# **S** key positions, **D** model width, **Dh** head width ($d_k$), **A** hidden width of additive attention.
#
# Every score function maps `q (…, T, Dh)` and `k (…, S, Dh)` to scores `(…, T, S)`; the softmax over
# the last axis turns each query's row into weights over the keys.

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

import transformer_lab as tl
from transformer_lab import measure, viz
from transformer_lab.lessons import q03_attention_scores as lesson

torch.set_num_threads(1)  # one thread: tiny models lose nothing, and a run does not depend on the core count
torch.manual_seed(tl.seed())  # every seed derives from one base seed, $TRANSFORMER_LAB_SEED (default 0)
T, S, Dh, A = 5, 7, 16, 16
q = torch.randn(T, Dh)  # (T, Dh)
k = torch.randn(S, Dh)  # (S, Dh)
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
# The additive score is literally a small MLP applied to every (query, key) pair. Written as a loop
# it reads as the formula; the package builds the `(T, S, A)` tensor in one go. They agree:

# %%
with torch.no_grad():
    loop = torch.stack([
        torch.stack([additive.v @ torch.tanh(q[i] @ additive.w_q + k[j] @ additive.w_k) for j in range(S)])
        for i in range(T)
    ])  # (T, S)
torch.testing.assert_close(scores["additive  vᵀtanh(W_q q + W_k k)"], loop)
torch.testing.assert_close(tl.bilinear_scores(q, k, torch.eye(Dh)), tl.dot_scores(q, k))  # W = I is plain dot
print("additive == per-pair loop; bilinear with W = I == dot product")

# %% [markdown]
# Scaled dot-product attention, `softmax(q kᵀ/√d_k + mask) v`, written out in
# `tl.scaled_dot_product_attention`, is checked against PyTorch's fused kernel
# `F.scaled_dot_product_attention`, with no mask, a boolean mask (True = take part) and a causal mask:

# %%
torch.manual_seed(tl.seed(1))
B, H = 2, 4
qh, kh, vh = torch.randn(B, H, 6, Dh), torch.randn(B, H, 6, Dh), torch.randn(B, H, 6, Dh)  # (B, H, T, Dh)
keep = tl.padding_mask(torch.tensor([6, 3]), 6)[:, None, None, :]  # (B, 1, 1, S): True = real key
for label, mask in [("no mask", None), ("padding mask", keep), ("causal mask", tl.causal_mask(6))]:
    ours, weights = tl.scaled_dot_product_attention(qh, kh, vh, mask=mask)  # (B, H, T, Dh), (B, H, T, S)
    torch.testing.assert_close(ours, F.scaled_dot_product_attention(qh, kh, vh, attn_mask=mask), atol=1e-5, rtol=0)
    print(f"{label:13s} output {tuple(ours.shape)} weights {tuple(weights.shape)}: matches PyTorch")

# %%
fig = viz.plot_heatmaps(
    {name: s for name, s in scores.items()}, ncols=4, cmap="RdBu_r", vmin=-6, vmax=6
)
fig

# %% [markdown]
# Same q and k, four score functions. Note the scale: the unscaled dot product spreads out
# ($\text{std}\approx\sqrt{16}=4$), the scaled one sits near unit spread, and the additive score is
# bounded by $\lVert v\rVert_1$ because $\tanh\in[-1,1]$, whatever $d_k$ is.

# %% [markdown]
# ## 2 · See it: the score-distribution explorer
#
# q and k have independent N(0, 1) entries, the setting of the paper's footnote 4. Slide $d_k$ from 1
# to 1024 and toggle the scale. Left: the scores (log scale, same axes for every setting) against the
# predicted normal. Middle: one query's softmax weights over 16 keys. Right: the mean entropy of a
# row, with the current setting circled. Unscaled, the weights collapse onto one key as $d_k$ grows;
# scaled, they stay spread.

# %%
explorer = lesson.ScoreDistributionExplorer(d_k=64, scaled=False, seed=tl.seed())
explorer

# %% [markdown]
# *Static picture of the explorer's default state (d_k = 64, unscaled), for where widgets do not render:*

# %%
from IPython.display import Image

Image(explorer.image.value)

# %% [markdown]
# ## 3 · Measure it
#
# ### 3a · Var(q·k) grows like d_k, and 1/√d_k undoes it

# %%
D_KS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
variances = lesson.dot_product_variance(D_KS, n_samples=10_000, seed=tl.seed())
slope = torch.linalg.lstsq(
    torch.stack([torch.log(torch.tensor(D_KS, dtype=torch.float64)), torch.ones(len(D_KS), dtype=torch.float64)], 1),
    torch.log(torch.tensor(variances, dtype=torch.float64))[:, None],
).solution[0].item()
for d, v in zip(D_KS, variances):
    print(f"d_k={d:5d}  Var(q·k)={v:8.1f}  Var(q·k/√d_k) = Var(q·k)/d_k = {v / d:.2f}")
print(f"log-log slope of Var against d_k: {slope:.3f} (footnote 4 predicts 1)")
assert abs(slope - 1) < 0.02
assert all(0.9 < v / d < 1.1 for d, v in zip(D_KS, variances))

# %%
lesson.plot_variance_vs_dk(D_KS, variances).figure

# %% [markdown]
# ### 3b · Saturation: the softmax goes one-hot and the gradient to the scores vanishes
#
# For each $d_k$: 64 random queries against 16 keys. The entropy of a row (log 16 ≈ 2.77 nats is
# uniform), the mean largest weight, the Frobenius norm of the softmax Jacobian
# $\operatorname{diag}(p)-pp^\top$, and the norm of $\partial L/\partial\,\text{scores}$ for a random
# downstream loss (backpropagated through the package's attention).

# %%
sat = {}
for label, scaled in (("unscaled", False), ("scaled", True)):
    rows = [lesson.softmax_stats(lesson.random_scores(d, scaled)) for d in D_KS]
    sat[label] = {
        "entropy (nats)": [r["entropy"] for r in rows],
        "max weight": [r["max_weight"] for r in rows],
        "Jacobian norm": [r["jacobian_norm"] for r in rows],
        "‖∂L/∂scores‖": [lesson.score_gradient_norm(d, scaled) for d in D_KS],
    }
print(f"{'d_k':>5s} | {'entropy':>15s} | {'max weight':>15s} | {'Jacobian norm':>15s} | {'grad norm':>15s}")
print(f"{'':>5s} | {'unscaled scaled':>15s} | {'unscaled scaled':>15s} | {'unscaled scaled':>15s} | {'unscaled scaled':>15s}")
for i, d in enumerate(D_KS):
    cells = [f"{sat['unscaled'][m][i]:7.3f} {sat['scaled'][m][i]:7.3f}" for m in sat["unscaled"]]
    print(f"{d:5d} | " + " | ".join(cells))

u, s_ = sat["unscaled"], sat["scaled"]
log_S = math.log(16)
assert u["entropy (nats)"][-1] < 0.1 * log_S and u["max weight"][-1] > 0.9  # one-hot at d_k = 1024
assert u["Jacobian norm"][-1] < 0.25 * u["Jacobian norm"][0]  # the Jacobian collapses
assert u["‖∂L/∂scores‖"][-1] < 0.3 * u["‖∂L/∂scores‖"][0]  # and so does the gradient
assert min(s_["entropy (nats)"]) > 0.75 * log_S  # scaled: spread at every d_k
assert max(s_["Jacobian norm"]) / min(s_["Jacobian norm"]) < 1.3  # scaled: gradient scale independent of d_k

# %%
lesson.plot_saturation(D_KS, sat)

# %% [markdown]
# ### 3c · Cost: additive vs dot attention as the sequence grows
#
# Same FLOP order, different memory traffic. The peak memory held by tensors during one call is
# counted exactly (every tensor an op creates, freed when it dies), so it prints the same on every
# machine. Timings vary from run to run, so that cell's output is not compared by the tests (tagged
# `nbval-ignore-output`); its assertion still runs.

# %%
d, A_add = 64, 64
add_params = tl.AdditiveScore(d, d_attn=A_add)
ns = [32, 64, 128, 256]
inputs = {n: (torch.randn(n, d, generator=tl.randomness.make_generator(tl.seed(n))),
              torch.randn(n, d, generator=tl.randomness.make_generator(tl.seed(n + 1)))) for n in ns}


def additive_call(n):
    with torch.no_grad():
        return add_params(*inputs[n])  # builds (n, n, A)


def dot_call(n):
    return tl.scaled_dot_scores(*inputs[n])  # one matmul, (n, n)


peak = {"additive": [measure.peak_tensor_bytes(lambda: additive_call(n)) for n in ns],
        "scaled dot": [measure.peak_tensor_bytes(lambda: dot_call(n)) for n in ns]}
for i, n in enumerate(ns):
    ratio = peak["additive"][i] / peak["scaled dot"][i]
    print(f"n={n:4d}  peak tensor memory: additive {peak['additive'][i] / 2**20:7.2f} MiB, "
          f"scaled dot {peak['scaled dot'][i] / 2**20:6.3f} MiB, ratio {ratio:5.1f}")
    assert ratio > A_add / 2  # additive holds an (n, n, A) tensor, dot only (n, n)

# %% tags=["nbval-ignore-output"]
# Timings are inherently volatile (machine load): this cell's printed numbers are not compared.
seconds = {"additive": [measure.time_call(lambda: additive_call(n), repeats=3, min_seconds=0.01) for n in ns],
           "scaled dot": [measure.time_call(lambda: dot_call(n), repeats=3, min_seconds=0.01) for n in ns]}
for i, n in enumerate(ns):
    print(f"n={n:4d}  additive {seconds['additive'][i] * 1e3:7.2f} ms   scaled dot {seconds['scaled dot'][i] * 1e3:6.3f} ms"
          f"   additive/dot {seconds['additive'][i] / seconds['scaled dot'][i]:6.1f}x")
assert seconds["additive"][-1] > 3 * seconds["scaled dot"][-1]

# %%
lesson.plot_cost(ns, {"peak tensor memory (bytes)": peak, "time per call (s)": seconds})

# %% [markdown]
# Parameters, per head of width $d_k$: dot and scaled dot add **none** beyond $W_Q, W_K$;
# additive adds $W_q, W_k\in\mathbb R^{d_k\times A}$ and $v\in\mathbb R^{A}$:

# %%
n_params = {name: sum(p.numel() for p in tl.make_score(name, 64).parameters()) for name in tl.SCORE_FUNCTIONS}
print(n_params)
assert n_params["dot"] == n_params["scaled_dot"] == 0 and n_params["additive"] == 2 * 64 * 64 + 64

# %% [markdown]
# ### 3d · Training: additive vs unscaled dot vs scaled dot, at small and large d_k
#
# The task (`tl.KeyValueRecallTask`): four (key, value) pairs, then a key; predict its value. One
# attention layer with one head solves it, and the answer must travel *through the attention
# weights*, so a saturated softmax starves it. Each model: d_model = 32, one head of width $d_k$,
# pre-LayerNorm, no MLP, no positions; 80 AdamW steps. Additive attention has $A = 32$ hidden units at
# both widths, so $d_k$ is all that changes. $d_k = 4$ is small (unscaled scores have standard
# deviation 2), $d_k = 128$ large (about 11). Britz et al. 2017 saw the same shape in
# translation: unscaled multiplicative attention collapses at large dimension, additive does not.
#
# **Five seeds per model**, trained together (`tl.train_many` stacks the five models and runs them
# as one, `torch.func.vmap`). Every claim below is decided over all five, with its rule said in words:
# "in every seed" means the worst seed must clear it. `make claims` replays this experiment from 20
# other base seeds; each claim held in all 20 (`seeds/README.md`). Numbers marked ≈ come from
# training: on another processor their last digits may differ (the tests do not compare them).
#
# 每个配置训练 **5 个随机种子**（批量并行训练）；每条结论都对 5 个种子逐一检验，规则写在表里。标 ≈ 的数字来自训练，
# 换一台机器末位可能不同。

# %%
training = lesson.train_score_functions()  # 3 score functions × 2 head widths × 5 seeds
training.summary()

# %%
training.figure()

# %% [markdown]
# Thin lines and dots are single seeds; bold lines and bars their mean (± one standard error). The claims,
# each asserted in `training.check()`:

# %%
training.check()

# %% [markdown]
# **What this run shows, honestly.** At $d_k=128$ the unscaled dot product is far behind both additive
# and scaled dot, in every seed, as the paper and Britz et al. report; dividing by $\sqrt{d_k}$ closes
# the gap. At $d_k=4$ additive and unscaled dot are close on average (neither wins every seed), as the
# note says. So the note's "close at small $d_k$, additive clearly better at large $d_k$" holds, but only
# against the *unscaled* dot product, which the note does not say: scaled dot matches additive at both
# widths. An earlier version of this notebook (two seeds, $d_k$ = 16 and 256) reported unscaled dot
# "already trailing" at small $d_k$; over five seeds and twenty replays that was not a stable finding.

# %% [markdown]
# ## 4 · What the note claims, checked
#
# The source note (question 三) makes these claims. Each verdict below is computed from the numbers above.

# %%
final = {(s, d): sum(training.final(s, d)) / len(training.seeds) for s in lesson.SCORES for d in training.d_ks}
claims = [
    ("The four score functions: additive vᵀtanh(W_q q + W_k k), dot qᵀk, scaled dot qᵀk/√d_k, bilinear qᵀWk.",
     "holds", "Each computed by the package on one input; additive equals its per-pair loop, bilinear with W = I "
     "equals dot, scaled dot attention equals PyTorch's fused kernel (§1).", "1"),
    ("Additive and dot-product attention have similar complexity.",
     "holds with a caveat", "Same O(n²d) FLOPs, but additive materialises an n×n×A tensor: "
     f"{peak['additive'][-1] / peak['scaled dot'][-1]:.0f}× the peak memory at n=256 (§3c).", "3c"),
    ("Dot product is faster thanks to optimised matrix multiplication.",
     "holds", f"Timed above: additive {tl.approx(seconds['additive'][-1] / seconds['scaled dot'][-1], '.0f')}× slower "
     "at n=256, and more than 3× at every run of the tests (§3c).", "3c"),
    ("Additive has more learnable parameters (so it should do better).",
     "holds with a caveat", f"It adds {n_params['additive']} parameters per 64-wide head; "
     "more parameters is not why it wins at large d_k (the bounded tanh is), and scaled dot matches it (§3d).", "3c, 3d"),
    ("For small d_k the two are close; as d_k grows additive clearly beats dot.",
     "holds with a caveat", f"True of *unscaled* dot: additive − dot "
     f"{tl.approx(final['additive', 128] - final['dot', 128], '+.2f')} at d_k=128 (ahead in every seed) against "
     f"{tl.approx(final['additive', 4] - final['dot', 4], '+.2f')} at d_k=4 (mean of 5 seeds, close). "
     "Scaled dot matches additive at both widths.", "3d"),
    ("Large dot products push softmax into a flat region: vanishing gradients.",
     "holds", f"Unscaled at d_k=1024: max weight {u['max weight'][-1]:.2f}, Jacobian norm "
     f"{u['Jacobian norm'][-1]:.3f} vs {u['Jacobian norm'][0]:.3f} at d_k=1 (§3b).", "3b"),
    ("If q, k entries are in [0, 1], q·k lies in [0, d_k].",
     "holds with a caveat", "The bound is right but describes the worst case; for zero-mean, unit-variance entries the "
     "typical size grows like √d_k: Var(q·k) = d_k (slope measured in §3a).", "3a"),
    ("tanh clamps additive scores to [−1, 1], so additive needs no scaling.",
     "holds with a caveat", "Each tanh unit is in [−1, 1], but the score vᵀtanh(·) is bounded by ‖v‖₁, not by 1; it "
     "has no √d_k growth, which is what matters (§1, §3d).", "1, 3d"),
    ("Var(q·k) = d_k, so dividing by √d_k gives variance 1.",
     "holds", f"Measured log-log slope {slope:.3f}; Var(q·k/√d_k) within 10% of 1 at every d_k (§3a).", "3a"),
]
tl.claims_table(claims)  # checks every verdict is holds / holds with a caveat / does not hold

# %% [markdown]
# One more correction: the note describes additive attention as concatenating "$h_i - s_j$". It is the
# concatenation $[h_i; s_j]$ fed to one linear layer, $W_a[h_i; s_j] = W_1 h_i + W_2 s_j$, then tanh
# and $v^\top$. There is no subtraction.

# %% [markdown]
# ## 5 · Interview answer
#
# **English.** Attention scores a query against each key, then softmaxes the scores into weights over
# the values. Additive attention scores with a one-hidden-layer MLP, $v^\top\tanh(W_q q+W_k k)$; dot
# product uses $q^\top k$; scaled dot product divides that by $\sqrt{d_k}$. Their FLOP counts are of the
# same order, but dot product is a single batched matmul, while additive attention must build an
# $n\times n\times d$ tensor and apply tanh to it, so it is slower and far hungrier for memory, and it
# adds parameters. Transformers use dot product for speed. The catch: with unit-variance components,
# $\operatorname{Var}(q\cdot k)=d_k$, so for large $d_k$ the scores are large, the softmax saturates to
# a near one-hot, and its Jacobian $\operatorname{diag}(p)-pp^\top$ goes to zero: gradients to $W_Q$ and
# $W_K$ vanish. That is why Vaswani et al. saw additive beat unscaled dot product at large $d_k$, and
# why they divide by $\sqrt{d_k}$, restoring unit variance regardless of $d_k$.
#
# **中文。** 注意力先给每个 (query, key) 打分，再用 softmax 把分数变成对 value 的权重。加性注意力用单隐层 MLP
# $v^\top\tanh(W_q q+W_k k)$ 打分；点积用 $q^\top k$；缩放点积再除以 $\sqrt{d_k}$。三者理论计算量同阶，
# 但点积就是一次批量矩阵乘法，而加性注意力要构造 $n\times n\times d$ 的张量再过 tanh，所以更慢、更占内存，
# 还多了参数。Transformer 为了速度选点积。代价是：若分量方差为 1，则 $\operatorname{Var}(q\cdot k)=d_k$，
# $d_k$ 大时分数很大，softmax 接近 one-hot，雅可比 $\operatorname{diag}(p)-pp^\top$ 趋于 0，$W_Q,W_K$
# 的梯度消失。这正是大 $d_k$ 时加性注意力胜过未缩放点积的原因，也是除以 $\sqrt{d_k}$ 的原因：
# 无论 $d_k$ 多大，方差都回到 1。
#
# **Follow-ups an interviewer asks next · 常见追问**
# - Why $\sqrt{d_k}$ and not $d_k$? (Dividing by $d_k$ gives variance $1/d_k$: the softmax goes flat
#   towards uniform, and attention can no longer be sharp.) 为什么不除以 $d_k$？
# - Does additive attention need scaling? (No: tanh bounds each term, so the score is bounded by $\lVert v\rVert_1$.)
# - Where else is the same fix used? (Temperature in softmax; $1/\sqrt{d}$ in initialisation; QK-norm
#   in recent large models bounds the scores directly.)
# - What does PyTorch's `F.scaled_dot_product_attention` do by default? (`scale=None` means $1/\sqrt{E}$, E = q's last dim.)
#
# **Common wrong answers · 常见错误回答**
# - "Dot product has lower complexity than additive." Same order; the difference is constant factors and memory.
# - "We divide to prevent overflow." Float32 would not overflow; the problem is the softmax's *gradient*.
# - "Scaling makes the variance $d_k$." It makes it 1 (under the independence assumption).

# %% [markdown]
# ## 6 · Try it yourself
#
# 1. In the explorer, find the smallest $d_k$ at which the unscaled max weight exceeds 0.9. Check it with
#    `lesson.softmax_stats(lesson.random_scores(d_k, False))`.
# 2. Change the experiment in §3d to divide by $d_k$ instead of $\sqrt{d_k}$
#    (`tl.ScaledDotScore(scale=1/d_k)` as the score module of a `tl.MultiHeadAttention`). Predict first: better or worse at $d_k=256$?
# 3. Give the queries and keys a non-zero mean (add 1 to every entry in `lesson.random_qk`). Does
#    $1/\sqrt{d_k}$ still give unit variance? Why not?

# %%
quiz = viz.Quiz([
    {"question": "q and k have i.i.d. entries with mean 0 and variance 1. What is Var(q·k) for d_k = 256?",
     "options": ["1", "16", "256", "65536"], "answer": 2,
     "why": "A sum of d_k independent products, each of variance 1: variance d_k (footnote 4)."},
    {"question": "Why does a saturated softmax slow learning?",
     "options": ["Its outputs overflow", "Its Jacobian diag(p) − ppᵀ is near zero", "It needs more memory"],
     "answer": 1, "why": "With p nearly one-hot, every entry of diag(p) − ppᵀ is near 0, so almost no gradient reaches the scores."},
    {"question": "Which score function does NOT need a 1/√d_k scale to stay bounded?",
     "options": ["dot", "bilinear", "additive"], "answer": 2,
     "why": "tanh keeps each hidden unit in [-1, 1], so |score| ≤ ‖v‖₁ whatever d_k is."},
    {"question": "Additive and dot attention have the same FLOP order. Why is additive slower in practice?",
     "options": ["It materialises an n×n×A tensor and applies tanh to it", "It has O(n³) cost", "It cannot use a GPU"],
     "answer": 0, "why": "Dot product is one matmul; additive builds and reads a tensor d times larger (§3c)."},
])
quiz

# %% [markdown]
# ## 7 · Further reading
#
# - Vaswani et al. 2017, *Attention Is All You Need*, arXiv:1706.03762 — §3.2.1 and footnote 4.
# - Bahdanau, Cho, Bengio 2014, *Neural Machine Translation by Jointly Learning to Align and Translate*, arXiv:1409.0473 — additive attention.
# - Luong, Pham, Manning 2015, *Effective Approaches to Attention-based Neural Machine Translation*, arXiv:1508.04025 — dot, general (bilinear), concat.
# - Britz et al. 2017, *Massive Exploration of Neural Machine Translation Architectures*, arXiv:1703.03906 — additive vs unscaled multiplicative by dimension.
# - Dehghani et al. 2023, *Scaling Vision Transformers to 22 Billion Parameters*, arXiv:2302.05442 — QK-norm against exploding attention logits.
