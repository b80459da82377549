# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 07 · The sinusoidal positional encoding: what it is, why it is there, what it can and cannot do
#
# **简单介绍一下Transformer的位置编码？有什么意义和优缺点？**
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
# %config InlineBackend.figure_formats = ["retina"]  # twice the pixels: sharp on a projector
import math

import torch

import transformer_lab as tl
from transformer_lab import viz
from transformer_lab.lessons import q07_sinusoidal_pe as lesson
from transformer_lab.positional import pe_dot_products, relative_shift_matrix, sinusoidal_frequencies, sinusoidal_wavelengths

torch.set_num_threads(1)  # same numbers on every machine (thread count changes float sums)
_ = torch.manual_seed(tl.seed())  # every seed derives from one base seed, $TRANSFORMER_LAB_SEED (default 0)

# %% [markdown]
# ## 30-second answer · 30秒回答
#
# - Self-attention is blind to order (permutation-equivariant), so the paper **adds** a fixed table $PE$ to
#   the token embeddings: no parameters.
# - Each sin/cos pair turns at its own speed; wavelengths grow geometrically from $2\pi$ to $10000\cdot2\pi$.
# - A shift by $k$ is a rotation $M_k$. $PE(p)\cdot PE(p+k)$ depends on $|k|$ only: distance, no direction,
#   not monotonic.
#
# ---
#
# - 自注意力本身对顺序不敏感（置换等变），所以论文把一张固定的位置编码表 $PE$ **加**到词向量上，没有参数。
# - 每对 sin/cos 维度以各自的频率旋转，波长从 $2\pi$ 几何增长到 $10000\cdot2\pi$。
# - 平移 $k$ 等于一个旋转 $M_k$；$PE(p)\cdot PE(p+k)$ 只依赖 $|k|$：有距离、无方向，而且并不单调递减。

# %% [markdown]
# ## 2-minute answer · 两分钟回答
#
# **English.** Self-attention compares every token with every other through dot products and a softmax,
# so without extra information it is permutation-equivariant: shuffle the tokens and the outputs are
# shuffled the same way; it sees a set, not a sequence. The Transformer adds a fixed positional encoding
# to the token embeddings. Dimension $2i$ holds $\sin(pos/10000^{2i/d})$ and $2i+1$ the cosine, so each pair
# is a point turning on a circle at its own frequency, with wavelengths from $2\pi$ to almost
# $10000\cdot2\pi$. It has no parameters, can be computed for any position, and has the property the paper
# chose it for: shifting by $k$ is a fixed rotation $M_k$ of each pair, so relative position is a linear
# function of absolute position. The dot product of two encodings is $\sum_i\cos(k\omega_i)$: it depends only
# on the distance, falls overall but not monotonically, and is symmetric, so it has no direction.
# Weaknesses: after the learned $W_Q, W_K$ projections that clean distance structure is not guaranteed
# (Yan et al. 2019); the plain product cannot tell left from right; and models extrapolate poorly past
# the trained length (notebook 08). Learned absolute embeddings do about as well in the paper; relative
# schemes (T5, RoPE, ALiBi) put distance into the scores directly.
#
# **中文。** 自注意力通过点积和 softmax 让每个词与所有词比较，如果没有额外信息，它是置换等变的：打乱输入顺序，
# 输出也按同样方式打乱，模型看到的是集合而不是序列。Transformer 把一个固定的位置编码加到词向量上：第 $2i$ 维是
# $\sin(pos/10000^{2i/d})$，第 $2i+1$ 维是余弦，每对维度是单位圆上以各自频率旋转的点，波长从 $2\pi$ 到接近
# $10000\cdot2\pi$。它没有参数，任何位置都能算出来，并且有论文选它的理由：平移 $k$ 等于对每对维度做一个固定的旋转
# $M_k$，所以相对位置是绝对位置的线性函数。两个位置编码的点积是 $\sum_i\cos(k\omega_i)$：只依赖距离，整体下降但并不
# 单调，而且左右对称，所以没有方向。缺点：经过可学习的 $W_Q$、$W_K$ 投影后，这种干净的距离结构不再有保证
# （Yan et al. 2019）；单纯的点积分不清前后；超出训练长度后模型外推效果差（见第 08 篇）。论文中可学习的绝对位置编码
# 效果相当；相对位置方案（T5、RoPE、ALiBi）直接把距离放进注意力分数。

# %% [markdown]
# ## 1 · Build it · 动手实现
#
# The table is one call, checked against the formula of PyTorch's own tutorial; a shift by $k$ is the
# rotation $M_k$; and without the table, attention cannot tell one order of the tokens from another.
#
# 位置编码表一行代码即可得到，并与 PyTorch 官方教程的公式核对；平移 $k$ 就是旋转 $M_k$；没有这张表，注意力分不清词的顺序。
#
# Shape legend: **L** positions in the table, **D** model width, **B** batch, **T** positions.
# `tl.sinusoidal_encoding(L, D)` is the table `(L, D)`, sin in the even dimensions, cos in the odd ones.
# PyTorch has no built-in for it; its tutorial (*Language Modeling with nn.Transformer*) writes it with
# `exp`/`log` in float32, which serves as the oracle:

# %%
L, D = 50, 128
pe = tl.sinusoidal_encoding(L, D)  # (L, D)
position = torch.arange(L).unsqueeze(1)  # (L, 1)
div_term = torch.exp(torch.arange(0, D, 2) * (-math.log(10000.0) / D))  # (D/2,): ω_i = 10000^(-2i/D)
tutorial = torch.zeros(L, D)
tutorial[:, 0::2] = torch.sin(position * div_term)
tutorial[:, 1::2] = torch.cos(position * div_term)
torch.testing.assert_close(pe, tutorial, atol=1e-5, rtol=0)
norms = pe.norm(dim=1)  # (L,)
print(f"table {tuple(pe.shape)} = the tutorial's; ‖PE(pos)‖ = {norms.min().item():.4f} … {norms.max().item():.4f} "
      f"for every pos (√(D/2) = {math.sqrt(D / 2):.4f}); parameters: "
      f"{sum(p.numel() for p in tl.SinusoidalPositional(D, L).parameters())}")

# %% [markdown]
# **A shift is a rotation.** Pair $i$ (dimensions $2i$, $2i+1$) turns by $\omega_i = 10000^{-2i/d}$ radians per
# position. $\sin(a+k\omega)$, $\cos(a+k\omega)$ are $\sin a$, $\cos a$ rotated by the angle $k\omega$, so one
# block-diagonal matrix $M_k$, depending on $k$ only, moves every position $k$ steps on:
#
# **平移即旋转。** 第 $i$ 对维度每个位置转过 $\omega_i$ 弧度；把 $d/2$ 个 2×2 旋转拼成分块对角矩阵 $M_k$，它只依赖 $k$，
# 对所有位置都把 $PE(pos)$ 变成 $PE(pos+k)$：

# %%
table = tl.sinusoidal_encoding(200, D).double()  # (200, D)
M5 = relative_shift_matrix(5, D)  # (D, D): the rotation by 5·ω_i of every sin/cos pair
torch.testing.assert_close(table[:-5] @ M5.T, table[5:], atol=1e-6, rtol=0)  # PE(pos+5) = M_5·PE(pos), every pos
torch.testing.assert_close(M5 @ M5.T, torch.eye(D, dtype=torch.float64))  # a rotation: orthogonal
torch.testing.assert_close(relative_shift_matrix(-5, D), M5.T)  # going back is the transpose
print("PE(pos + 5) = M_5·PE(pos) for all 195 positions. Top-left 4×4 of M_5 (two 2×2 rotations):\n",
      M5[:4, :4].numpy().round(3))

# %% [markdown]
# **Why positions are needed at all.** Attention with no positional information treats its input as a set:
# permute the tokens and the outputs come out permuted the same way. Adding the table breaks this; so
# does a causal mask (which is why a decoder can learn some order with no encoding at all; notebook 08).
#
# **为什么需要位置信息。** 没有位置信息时注意力把输入当作集合：打乱词序，输出按同样方式被打乱。加上位置编码表就打破了
# 这一点；因果掩码也会打破它（所以解码器不加位置编码也能学到一些顺序，见第 08 篇）。

# %%
gen = tl.randomness.make_generator(tl.seed())
x = torch.randn(2, 10, 32, generator=gen)  # (B, T, D)
perm = torch.randperm(10, generator=gen)  # (T,): a new order of the tokens
mha, pe32, causal = tl.MultiHeadAttention(32, 4), tl.sinusoidal_encoding(10, 32), tl.causal_mask(10)
torch.testing.assert_close(mha(x[:, perm])[0], mha(x)[0][:, perm], atol=1e-6, rtol=0)  # equivariant
gap_pe = (mha(x[:, perm] + pe32)[0] - mha(x + pe32)[0][:, perm]).abs().max().item()
gap_causal = (mha(x[:, perm], mask=causal)[0] - mha(x, mask=causal)[0][:, perm]).abs().max().item()
print(f"no positions: attention(x[perm]) = attention(x)[perm]; with the table added, max gap {gap_pe:.3f}; "
      f"with a causal mask, {gap_causal:.3f}")
assert gap_pe > 0.05 and gap_causal > 0.05

# %% [markdown]
# ## 2 · See it · 看见它
#
# The table is fast stripes on the left and slow ones on the right; its dot products are constant along
# every diagonal and symmetric; their profile falls, but not monotonically.
#
# 位置编码表左边是快速变化的条纹，右边是缓慢变化的条纹；两两点积沿每条对角线不变、且对称；点积随距离整体下降，但并不单调。
#
# Slide the table length, the width $d_{model}$ and the base. Left: the table (rows positions, columns
# dimensions). Middle: $PE(i)\cdot PE(j)/\lVert PE\rVert^2$ (rows = query position $i$, columns = key position $j$).
# Right: the same product against the offset $k$: the circle marks the first $k$ where it goes *up*, the
# triangle the first rise of more than 0.01. The readout gives the wavelength range, the closest two
# positions, how many leading dimensions keep every two positions 0.5 apart, and the size of the first rise.

# %%
explorer = lesson.PositionalEncodingExplorer(max_len=50, d_model=128, base=10000)
explorer

# %%
explorer.snapshot()

# %% [markdown]
# *The explorer's default state: 50 positions, $d = 128$, base 10000, the note's figure. · 探索器的默认状态：
# 50 个位置、$d=128$、底数 10000，即笔记中那张图。*
#
# **A shift as a rotation of each pair.** Each circle is one sin/cos pair of $PE(2)$; moving three positions
# on turns it by $3\omega_i$: far for the fast pairs, hardly at all for the slow ones. Stacking these 2×2
# rotations gives $M_k$:

# %%
lesson.schematic()

# %% [markdown]
# *Shifting a position by $k$ rotates every sin/cos pair by $k\omega_i$, the same rotation for every position.
# · 位置平移 $k$，等于把每一对 sin/cos 维度旋转 $k\omega_i$；这个旋转对所有位置都相同。*

# %% [markdown]
# ## 3 · Measure it · 测量
#
# The note's picture of the dot product, checked: it depends on the offset only and has no sign (no
# direction); it is not monotonic; and after random $W_Q$, $W_K$ projections the distance pattern is gone.
#
# 核对笔记对点积的描述：它只依赖偏移、不分正负（没有方向）；它并不单调；经过随机的 $W_Q$、$W_K$ 投影后，距离结构消失。
#
# ### 3a · PE(i)·PE(j) depends on the offset only, and not on its sign

# %%
G = pe_dot_products(100, D)  # (L, L) float64: rows i, columns j
print(f"PE(40)·PE(45) = {G[40, 45].item():.4f}, PE(40)·PE(35) = {G[40, 35].item():.4f}, PE(0)·PE(5) = "
      f"{G[0, 5].item():.4f} = Σᵢ cos(5ωᵢ) = {torch.cos(5 * sinusoidal_frequencies(D)).sum().item():.4f}")
print(f"share of G explained by the offset alone: {lesson.offset_only_fraction(G):.4f}; asymmetry ‖G − Gᵀ‖/‖G‖: "
      f"{lesson.asymmetry(G):.4f}")
assert abs(G[40, 45] - G[40, 35]) < 1e-9 and lesson.asymmetry(G) < 1e-12  # +5 and −5 look the same

# %% [markdown]
# ### 3b · Does the product fall monotonically with the distance?
#
# The profile $PE(0)\cdot PE(k)/\lVert PE\rVert^2$ for three widths; the first $k$ at which it rises, how much,
# and the first rise of more than 0.01 (one a plot shows):

# %%
profiles = {f"d = {d}": lesson.offset_profile(200, d) / (d / 2) for d in (64, 128, 512)}  # (201,) each
rises = {label: lesson.first_rise(p) for label, p in profiles.items()}
for label, p in profiles.items():
    r = rises[label]
    print(f"{label:7s}: first rise at k = {r} (by {(p[r] - p[r - 1]).item():.1e}); first rise > 0.01 at k = "
          f"{lesson.first_rise(p, min_step=0.01)}; mean over k in [100, 200]: {p[100:].mean().item():.3f}")
assert rises["d = 64"] < rises["d = 128"] < rises["d = 512"] and all(p[100:].mean() < 0.6 for p in profiles.values())
lesson.plot_offset_profiles(profiles, rises).figure

# %% [markdown]
# *Falling overall, not monotonic. · 整体下降，但不单调。* The fastest pairs come back around (wavelength $2\pi$:
# after about 6 positions the first pair points the same way again), so the sum wobbles. The first rises
# are **ripples**: at $d = 512$ the first one, at $k = 44$, is smaller than $10^{-4}$ of $\lVert PE\rVert^2$, invisible
# on the plot; rises one can see (more than 0.01) come later, at $k = 17$, 36 and 181. Wider models (more slow
# pairs to average over) push the wobbling further out, but it comes at every width.
#
# 最快的几对维度周期为 $2\pi$，转一圈回来，所以余弦之和会起伏。最初的上升只是**微小的波纹**：$d=512$ 时第一次上升
# （$k=44$）不到 $\lVert PE\rVert^2$ 的 $10^{-4}$，图上看不出；肉眼可见的上升（超过 0.01）要到 $k=17$、36、181 才出现。
#
# ### 3c · After W_Q and W_K the distance pattern is gone (Yan et al. 2019)
#
# In a real head the positional part of a score is $PE_i^\top W_Q^\top W_K PE_j$, not $PE_i\cdot PE_j$. With
# $W_Q, W_K$ drawn like `nn.Linear`'s initialisation ($d=128$, head width 32), five draws:

# %%
fractions, asyms = [], []
for seed in tl.seeds(5):
    raw, proj = lesson.projected_pe_scores(64, D, head_dim=32, seed=seed)  # (L, L) each
    fractions.append(lesson.offset_only_fraction(proj))
    asyms.append(lesson.asymmetry(proj))
print(f"raw PE·PE/√d: the offset explains {lesson.offset_only_fraction(raw):.3f}; projected (5 draws): "
      f"{min(fractions):.3f} … {max(fractions):.3f}, asymmetry {min(asyms):.3f} … {max(asyms):.3f}")
assert sum(fractions) / 5 < 0.5 and min(asyms) > 0.3  # one draw can reach 0.52 (1 in 200 over base seeds 0-39)
viz.plot_heatmaps({"PE·PEᵀ/√d (raw), first 24 positions": raw[:24, :24],
                   f"PE W_Qᵀ W_K PEᵀ/√d_k (draw {seed})": proj[:24, :24]}, ncols=2, cmap="RdBu_r")

# %% [markdown]
# *Left: every diagonal is constant, the score knows the distance. Right: after random projections it does
# not, and $i\to j$ differs from $j\to i$. · 左：每条对角线为常数，分数只看距离；右：随机投影之后不再如此，而且
# $i\to j$ 与 $j\to i$ 不同。* A trained model can *learn* projections that keep or use distance; what is lost is
# the guarantee.
#
# ### 3d · No direction in the dot product, but the encoding itself has one
#
# $PE(pos)\cdot PE(pos+k) = PE(pos)\cdot PE(pos-k)$: the raw product cannot tell before from after. The vectors
# can: $M_{-k}=M_k^\top\neq M_k$. A head whose $W_Q^\top W_K$ equals $M_3$ scores $PE_i^\top M_3\,PE_j = PE(i)\cdot PE(j+3)$,
# largest at $j=i-3$: it looks exactly three positions **back**.
#
# 点积分不清前后，但编码向量本身带有方向：若某个头的 $W_Q^\top W_K=M_3$，它会恰好关注往回第 3 个位置。

# %%
scores_back3 = table[:40] @ relative_shift_matrix(3, D) @ table[:40].T  # (T, S): PE_iᵀ M_3 PE_j
looks_at = scores_back3.argmax(dim=1)  # (T,)
print("query i attends most to key j =", looks_at[:12].tolist(), "…")
assert (looks_at[3:] == torch.arange(3, 40) - 3).all()  # every query from 3 on: exactly 3 back

# %% [markdown]
# So "no direction" is a property of the plain dot product, not of the encoding: the linear relation the
# paper hoped the model would find is enough to build a head that attends $k$ steps back. Whether a trained
# model finds it is a separate question, and §3c shows it does not come for free.
#
# 所以"没有方向"只是普通点积的性质，而不是编码本身的性质。

# %% [markdown]
# ## 4 · What the note claims, checked · 笔记观点核对
#
# The note (question 七) is right about the mechanism and the rotation, and wrong that the product always
# falls with distance; "60 dimensions" is a reading of its figure, not a threshold.
#
# 笔记对机制和旋转性质的描述是对的；"距离越远点积越小"不成立；"前 60 维即可区分位置"只是读图所得，并非阈值。
# Each verdict is computed from the numbers in this notebook (`lesson.note_claims`):

# %%
lesson.note_claims(causal_gap=gap_causal, projected_fractions=fractions)

# %% [markdown]
# ## 5 · Follow-ups and common wrong answers · 常见追问与错误回答
#
# **Follow-ups an interviewer asks next · 常见追问**
# - Why both sin and cos? A pair is what makes the shift a rotation $M_k$; sin alone has no linear shift map.
#   · 为什么 sin 和 cos 要成对？成对才能让平移成为旋转 $M_k$；只有 sin 没有线性的平移映射。
# - Why 10000? The longest wavelength is far longer than any sequence, so no two positions in range
#   coincide (try base 10 in the explorer). · 为什么是 10000？最长波长远大于序列长度，范围内任意两个位置都不会重合。
# - Added or concatenated? Added: it saves width; the two parts share the space, which is what notebook 06's
#   $\sqrt{d_{model}}$ is about. · 相加还是拼接？相加，节省维度；两者共享同一空间，这正是第 06 篇 $\sqrt{d_{model}}$ 讨论的问题。
# - Does it extrapolate? The table does; the model mostly does not (notebook 08; the ALiBi paper's Figure 1).
#   · 能外推吗？表可以算到任意长度，模型基本不能（见第 08 篇）。
#
# **Common wrong answers · 常见错误回答**
# - "The dot product always decreases with distance." It wobbles: ripples from $k = 12$ at $d = 128$, visible
#   rises from $k = 36$ (§3b). · "点积随距离单调递减。"错，它会起伏。
# - "It encodes direction." The plain product is symmetric; direction needs a non-symmetric $W_Q^\top W_K$ (§3d).
#   · "它能表示方向。"普通点积是对称的，需要非对称的 $W_Q^\top W_K$ 才有方向。
# - "Attention reads relative positions directly." Only through projections that are learned, not
#   guaranteed (§3c). · "注意力能直接读出相对位置。"只有学到合适的投影才行，并无保证。

# %% [markdown]
# ## 6 · Try it yourself · 动手试试
#
# Each exercise changes one setting and reports which claim stops holding, and why that is the point.
# · 每道练习改变一个设置，并报告哪条结论不再成立、为什么。
#
# **1.** Base 10 instead of 10000, with 128 positions (also in the explorer). Predict first: the longest
# wavelength is then $2\pi\cdot10^{126/128}\approx 61$ positions, shorter than the table. Does the product
# still fall with the distance? · 底数改为 10、128 个位置：最长波长约 61，比序列还短。点积还随距离下降吗？

# %%
for base in (10000, 10):
    p = lesson.offset_profile(127, 128, base) / 64  # (128,): PE(0)·PE(k)/‖PE‖² over a 128-position table
    print(f"base {base:5d}: longest wavelength {sinusoidal_wavelengths(128, base)[-1].item():6.0f}; product at "
          f"k = 5, 10, 100: {p[5].item():+.2f}, {p[10].item():+.2f}, {p[100].item():+.2f}; mean over k = 6–20: "
          f"{p[6:21].mean().item():+.2f}, over k = 64–127: {p[64:].mean().item():+.2f}")

# %% [markdown]
# *What stops holding: "on average the product falls with the distance" (§3b). With base 10, beyond about 5
# positions the product is near 0 whatever the distance, and at $k = 100$ it is higher than at $k = 10$: the
# dot product carries no distance past the fastest pairs. The codes are still distinct; near and far just
# look alike. A base whose longest wavelength far exceeds any sequence is what keeps "far" meaningful.
# · 底数为 10 时，超过约 5 个位置后点积都接近 0，$k=100$ 处反而比 $k=10$ 处大：点积不再反映距离。
# 最长波长必须远大于序列长度，"远"才有意义。*
#
# **2.** The first rise comes later in wider models. Predict: from which $d_{model}$ on is the first rise past
# $k = 20$, and is that rise visible? · 模型越宽，第一次上升越晚：从哪个 $d_{model}$ 起第一次上升在 $k=20$ 之后？

# %%
d20 = next(d for d in range(8, 513, 8) if lesson.first_rise(lesson.offset_profile(200, d)) > 20)
r20 = lesson.ripples(d20)
print(f"first d (multiple of 8) with the first rise past k = 20: {d20}; it rises at k = {r20['first']} by "
      f"{r20['step']:.1e} of ‖PE‖², and by more than 0.01 first at k = {r20['visible']}")

# %% [markdown]
# *What stops holding: nothing new, and that is the point: a later first rise is still a rise. Past the
# ripple, the product still goes up and down; "the farther, the smaller" fails at every width. · 第一次上升
# 推迟了，但仍会上升：任何宽度下"越远越小"都不成立。*
#
# **3.** Build $W_Q^\top W_K = M_{-3}$ instead of $M_3$ (§3d). Predict first: where does query $i$ look?
# · 把 §3d 的 $M_3$ 换成 $M_{-3}$：查询 $i$ 会看向哪里？

# %%
looks_ahead = (table[:40] @ relative_shift_matrix(-3, D) @ table[:40].T).argmax(dim=1)  # (T,)
print("with M_(-3), query i attends most to key j =", looks_ahead[:12].tolist(), "…")

# %% [markdown]
# *What stops holding: "the head looks 3 back": with $M_{-3} = M_3^\top$ it looks 3 **ahead** (until the table
# ends). The direction lives in the bilinear form, not in the plain dot product. · 换成 $M_{-3}$ 后它看向往后
# 第 3 个位置：方向来自双线性形式，而不是普通点积。*

# %%
quiz = viz.Quiz([
    {"question": "What does attention with no positional information do when the input tokens are permuted? / "
                 "没有位置信息时，打乱输入词序，注意力的输出会怎样？",
     "options": ["Its outputs do not change / 输出不变", "Its outputs are permuted the same way / 输出按同样方式打乱",
                 "Its outputs change unpredictably / 输出不可预测地改变"],
     "answer": 1, "why": "It is permutation-equivariant: each token's output depends on the set of tokens, not their "
                         "order (§1). / 它是置换等变的：每个词的输出只取决于词的集合，而不是顺序。"},
    {"question": "PE(pos)·PE(pos+k) as a function of k is… / PE(pos)·PE(pos+k) 作为 k 的函数是……",
     "options": ["strictly decreasing / 严格递减", "falling overall, not monotonic, the same for −k / 整体下降、不单调、"
                 "对 −k 相同", "increasing for k > 0 / k > 0 时递增"], "answer": 1,
     "why": "A sum of cosines Σcos(kω_i): even in k, and it rises again, first as tiny ripples (§3b). / 余弦之和："
            "关于 k 对称，并且会再次上升，起初只是微小波纹。"},
    {"question": "Which matrix maps PE(pos) to PE(pos+k)? / 哪个矩阵把 PE(pos) 变成 PE(pos+k)？",
     "options": ["A block-diagonal rotation depending only on k / 只依赖 k 的分块对角旋转矩阵",
                 "A different matrix for each pos / 每个 pos 一个不同的矩阵", "No linear map exists / 不存在线性映射"],
     "answer": 0, "why": "Each sin/cos pair rotates by the angle kω_i; M_k is orthogonal and M_(−k) = M_kᵀ (§1). / "
                         "每对 sin/cos 旋转 kω_i 角度；M_k 是正交矩阵。"},
    {"question": "After random W_Q and W_K projections, the positional part of the scores… / 经过随机 W_Q、W_K 投影后，"
                 "分数中的位置部分……",
     "options": ["still depends only on the offset / 仍只依赖偏移", "no longer depends mainly on the offset, and is "
                 "asymmetric / 不再主要依赖偏移，且不对称", "is zero / 为零"],
     "answer": 1, "why": "PE_iᵀ W_Qᵀ W_K PE_j mixes frequencies and positions (§3c, Yan et al. 2019). / 投影把各频率和"
                         "位置混在一起，距离结构不再有保证。"},
])
quiz

# %% [markdown]
# ## 7 · Further reading · 延伸阅读
#
# - Vaswani et al. 2017, *Attention Is All You Need*, arXiv:1706.03762 — §3.5 and Table 3 row (E).
# - Yan et al. 2019, *TENER: Adapting Transformer Encoder for Named Entity Recognition*, arXiv:1911.04474 — distance without direction; lost after projections.
# - Shaw, Uszkoreit, Vaswani 2018, *Self-Attention with Relative Position Representations*, arXiv:1803.02155.
# - Su et al. 2021, *RoFormer: Enhanced Transformer with Rotary Position Embedding*, arXiv:2104.09864 — the rotation, applied to q and k instead of added.
# - Press, Smith, Lewis 2022, *Train Short, Test Long*, arXiv:2108.12409 — how sinusoids extrapolate.
# - Haviv et al. 2022, *Transformer Language Models without Positional Encodings Still Learn Positional Information*, arXiv:2203.16634.
# - 苏剑林, *让研究人员绞尽脑汁的Transformer位置编码* (kexue.fm/archives/8130) — the survey the note links.

# %% [markdown]
# ## Deep dive · 深入
#
# The rest of the evidence, still executed and asserted: the wavelengths, the rotation at every offset,
# the whole model's equivariance, the note's "60 dimensions", and the profile's exact shape.
#
# 其余证据，仍然执行并断言：波长、每个偏移的旋转、整个模型的置换等变性、笔记中的"前 60 维"以及点积曲线的细节。
#
# ### D1 · Frequencies and wavelengths
#
# Pair $i$ has wavelength $2\pi\cdot10000^{2i/d}$: a geometric progression from $2\pi$, stopping one step short of
# $10000\cdot2\pi$ (the last pair has $2i=d-2$). · 波长构成等比数列，从 $2\pi$ 开始，止于 $10000\cdot2\pi$ 的前一步。

# %% jupyter={"source_hidden": true}
for d in (128, 512):
    w, lam = sinusoidal_frequencies(d), sinusoidal_wavelengths(d)  # (D/2,)
    ratio = lam[1:] / lam[:-1]
    print(f"d={d:3d}: {len(lam)} wavelengths from {lam[0].item():.3f} to {lam[-1].item():,.0f} positions "
          f"(10000·2π = {10000 * 2 * math.pi:,.0f}); constant ratio {ratio.mean().item():.4f} = 10000^(2/d)")
    assert abs(lam[0].item() - 2 * math.pi) < 1e-9 and lam[-1] < 10000 * 2 * math.pi
    assert torch.allclose(ratio, torch.full_like(ratio, 10000 ** (2 / d)))
    assert (w[1:] < w[:-1]).all()  # frequencies fall with the dimension index
assert len(set(sinusoidal_wavelengths(D).tolist())) == D // 2  # the pairs' periods all differ
lesson.plot_wavelengths({"d = 128": sinusoidal_wavelengths(128), "d = 512": sinusoidal_wavelengths(512)}).figure

# %% [markdown]
# *Wavelengths of the sin/cos pairs: a straight line on a log scale. · 各对维度的波长：对数坐标下是一条直线。*
#
# ### D2 · The rotation at every offset
#
# $PE(pos+k) = M_k\,PE(pos)$ for every position and every offset in a 200-position table:

# %% jupyter={"source_hidden": true}
worst = 0.0
for k in range(-199, 200):
    lo, hi = max(0, -k), min(200, 200 - k)
    worst = max(worst, (table[lo:hi] @ relative_shift_matrix(k, D).T - table[lo + k:hi + k]).abs().max().item())
print(f"PE(pos + k) = M_k·PE(pos) for all 200 positions and all 399 offsets: max error below 1e-6: {worst < 1e-6}")
assert worst < 1e-6  # the table is float32

# %% [markdown]
# ### D3 · The whole model, with and without positions
#
# A `TinyTransformer` with no positional scheme is permutation-equivariant end to end; with the table it is
# not. · 整个模型：不加位置编码时端到端置换等变，加上后不再如此。

# %% jupyter={"source_hidden": true}
tokens = torch.randint(0, 12, (3, 10), generator=gen)  # (B, T)
for positional in ("none", "sinusoidal"):
    cfg = tl.ModelConfig(vocab_size=12, d_model=32, n_heads=4, max_len=10, positional=positional)
    model = tl.build_model(cfg, seed=tl.seed())
    equivariant = torch.allclose(model(tokens[:, perm]), model(tokens)[:, perm], atol=1e-5)
    print(f"whole TinyTransformer, positional={positional!r}: permutation-equivariant = {equivariant}")
    assert equivariant == (positional == "none")

# %% [markdown]
# ### D4 · "For length 50 the first 60 dimensions already tell positions apart"
#
# Distinct is not the right test: in exact arithmetic one dimension, $\sin(pos)$, already differs at every
# integer position. "Tell apart" needs a margin: **every two positions at least δ apart** (Euclidean distance
# using only the first $n$ dimensions). That minimum distance can only grow with $n$, so the smallest $n$ is
# well defined for each δ. For 50 positions and $d=128$ (the note's figure):
#
# "区分位置"需要一个间隔：任意两个位置至少相距 δ。只用前 $n$ 维时，这个最小距离随 $n$ 单调增加。

# %% jupyter={"source_hidden": true}
sep = lesson.separation_by_leading_dims(L, D)  # (D,): min distance using the first n dims
full = sep[-1].item()
print(f"closest two of {L} positions, all {D} dims: {full:.3f};  first 2 dims: {sep[1].item():.4f};  "
      f"first 60: {sep[59].item():.3f}")
thresholds = {"δ = 0.1": 0.1, "δ = 0.5": 0.5, "δ = 1.0": 1.0, "δ = 90% of all 128": 0.9 * full,
              "δ = 99% of all 128": 0.99 * full}
needed = {name: lesson.leading_dims_to_separate(L, D, t) for name, t in thresholds.items()}
for name, n in needed.items():
    print(f"  smallest n with every two positions ≥ {name}: {n}")
col_range = pe.max(0).values - pe.min(0).values  # (D,): how much each dimension varies over the 50 positions
flat_from = {t: next(j for j in range(D) if (col_range[j:] < t).all()) for t in (0.5, 0.1)}
print(f"dimensions that vary by less than 0.5 over the 50 positions: from dim {flat_from[0.5]} on; "
      f"less than 0.1: from dim {flat_from[0.1]} on")
assert 0.015 < sep[1].item() < 0.02  # two dims: distinct, but two positions only 0.018 apart
assert needed["δ = 0.5"] <= 8 and needed["δ = 1.0"] <= 8 and needed["δ = 90% of all 128"] < 60
assert 40 < flat_from[0.5] < 70
assert sep[59] > 0.99 * full  # by dimension 60 the separation is that of the whole code
lesson.plot_separation(sep, {k: v for k, v in thresholds.items() if k in ("δ = 0.5", "δ = 90% of all 128")},
                       title=f"{L} positions, d = {D}").figure

# %% [markdown]
# *The closest two positions against the leading dimensions kept. · 只保留前 $n$ 维时，最近两个位置的距离。*
#
# The note's "60" is true but it is not a threshold: a handful of leading dimensions already keeps every two
# of the 50 positions well apart, and by dimension 60 the separation is that of the whole code. What 60
# matches is the *picture*: past roughly that dimension the columns barely change over 50 positions (the
# constant sin ≈ 0, cos ≈ 1 stripes on the right of the heatmap), so they carry almost no positional
# information at this length.
#
# 笔记的"60"没错，但不是阈值：前几维就足以让 50 个位置两两相距较远；60 对应的是图上从那一维起各列几乎不再变化。
#
# ### D5 · The profile, exactly
#
# Strictly falling until the first rise; the first rises at the three widths; the products of §3a for
# every diagonal. · 曲线在第一次上升之前严格递减；§3a 的性质对每条对角线都成立。

# %% jupyter={"source_hidden": true}
for label, p in profiles.items():
    r = rises[label]
    assert r is not None and (p[1:r] < p[:r - 1]).all()  # strictly falling until the first rise
    assert p[100:].mean() < p[1:11].mean()  # it does fall overall
assert rises["d = 128"] == 12 and rises["d = 512"] == 44
assert profiles["d = 512"][44] - profiles["d = 512"][43] < 1e-4  # a ripple
assert [lesson.first_rise(p, min_step=0.01) for p in profiles.values()] == [17, 36, 181]
diag_spread = max((torch.diagonal(G, k) - torch.diagonal(G, k)[0]).abs().max().item() for k in range(-99, 100))
assert diag_spread < 1e-9 and abs(G[0, 5].item() - torch.cos(5 * sinusoidal_frequencies(D)).sum().item()) < 1e-9
i = torch.arange(3, 37)
back_minus_ahead = scores_back3[i, i - 3] - scores_back3[i, i + 3]  # (34,): 3 back against 3 ahead
print(f"spread along each diagonal of G below 1e-9: {diag_spread < 1e-9}; through M_3, score(i → i−3) − "
      f"score(i → i+3) ≥ {back_minus_ahead.min().item():.2f} for every i (the raw product: 0); asymmetry "
      f"{lesson.asymmetry(scores_back3):.3f}")
assert back_minus_ahead.min() > 1.0 and lesson.asymmetry(scores_back3) > 0.1
assert lesson.offset_only_fraction(raw) > 0.999
assert (looks_ahead[:37] == torch.arange(37) + 3).all()  # exercise 3: with M_(-3), exactly 3 ahead
p10 = lesson.offset_profile(127, 128, 10) / 64  # exercise 1: base 10 carries no distance past the fastest pairs
assert p10[100] > p10[10] and p10[64:].mean() > p10[6:21].mean()
