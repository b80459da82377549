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
# Part of *transformer_lab*. Every number below is computed when the notebook runs, and every claim
# is an `assert`: if it stops holding, the notebook fails its tests.

# %% [markdown]
# ## One-minute answer · 一分钟答案
#
# - Self-attention without positions is **permutation-equivariant**: shuffle the tokens and the outputs
#   are shuffled the same way. Order has to be put in; the paper adds a fixed table to the embeddings.
# - $PE(pos,2i)=\sin(pos/10000^{2i/d})$, $PE(pos,2i+1)=\cos(pos/10000^{2i/d})$: each pair of dimensions is a
#   point turning on the unit circle at its own speed. Wavelengths grow geometrically from $2\pi$ towards
#   $10000\cdot2\pi$; no parameters; $\lVert PE\rVert=\sqrt{d/2}$ everywhere.
# - For every offset $k$ a fixed block-diagonal rotation $M_k$ gives $PE(pos+k)=M_k\,PE(pos)$:
#   relative position is a linear map, the property the paper chose sinusoids for.
# - $PE(pos)\cdot PE(pos+k)=\sum_i\cos(k\omega_i)$ depends on $|k|$ only: it has **no direction**, and it is
#   **not monotonic** in $k$. After the $W_Q$, $W_K$ projections even the distance pattern is mostly gone
#   (Yan et al. 2019), although a projection *can* also create direction.
#
# ---
#
# - 不加位置信息的自注意力是**置换等变**的：打乱输入顺序，输出也按同样方式打乱。必须显式注入顺序；论文把一张固定的表加到词向量上。
# - $PE(pos,2i)=\sin(pos/10000^{2i/d})$，$PE(pos,2i+1)=\cos(pos/10000^{2i/d})$：每对维度是单位圆上以各自角速度旋转的点；
#   波长从 $2\pi$ 几何增长到接近 $10000\cdot2\pi$；没有参数；每个位置的范数都是 $\sqrt{d/2}$。
# - 对任意偏移 $k$，存在只依赖 $k$ 的分块对角旋转矩阵 $M_k$，使 $PE(pos+k)=M_k\,PE(pos)$：相对位置是线性变换，这正是论文选正弦函数的理由。
# - $PE(pos)\cdot PE(pos+k)=\sum_i\cos(k\omega_i)$ 只依赖 $|k|$：**没有方向**，且随 $k$ **并不单调**。
#   经过 $W_Q$、$W_K$ 投影后，连距离模式也基本消失（Yan et al. 2019），不过投影也*可以*构造出方向。

# %% [markdown]
# ## 1 · Build it
#
# Shape legend: **L** positions in the table (max_len), **D** model width, **B** batch, **T** positions,
# **H** heads. `tl.sinusoidal_encoding(L, D)` is the table `(L, D)`, sin in the even dimensions, cos in
# the odd ones. PyTorch has no built-in for it; its own tutorial (*Language Modeling with nn.Transformer*)
# writes it with `exp`/`log` in float32, which serves as the oracle:

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
from IPython.display import Image

import transformer_lab as tl
from transformer_lab import viz
from transformer_lab.lessons import q07_sinusoidal_pe as lesson
from transformer_lab.positional import pe_dot_products, relative_shift_matrix, sinusoidal_frequencies, sinusoidal_wavelengths

torch.set_num_threads(1)  # same numbers on every machine (thread count changes float sums); tiny models lose little
torch.manual_seed(tl.seed())  # every seed derives from one base seed, $TRANSFORMER_LAB_SEED (default 0)

L, D = 50, 128
pe = tl.sinusoidal_encoding(L, D)  # (L, D)
position = torch.arange(L).unsqueeze(1)  # (L, 1)
div_term = torch.exp(torch.arange(0, D, 2) * (-math.log(10000.0) / D))  # (D/2,)
tutorial = torch.zeros(L, D)
tutorial[:, 0::2] = torch.sin(position * div_term)
tutorial[:, 1::2] = torch.cos(position * div_term)
torch.testing.assert_close(pe, tutorial, atol=1e-5, rtol=0)
print(f"table {tuple(pe.shape)}: matches the PyTorch tutorial's formula; values in [{pe.min().item():.0f}, {pe.max().item():.0f}]")
print(f"‖PE(pos)‖ for every pos: {pe.norm(dim=1).min().item():.4f} … {pe.norm(dim=1).max().item():.4f} (√(D/2) = {math.sqrt(D / 2):.4f})")
scheme = tl.SinusoidalPositional(D, L)
print(f"SinusoidalPositional: {sum(p.numel() for p in scheme.parameters())} parameters, state_dict {scheme.state_dict()}")
assert list(scheme.parameters()) == []

# %% [markdown]
# **Frequencies and wavelengths.** Pair $i$ (dimensions $2i$, $2i+1$) turns by $\omega_i = 10000^{-2i/d}$
# radians per position, so its wavelength is $2\pi\cdot10000^{2i/d}$: a geometric progression. It starts at
# $2\pi$ and stops one step short of $10000\cdot2\pi$ (the last pair has $2i=d-2$).

# %%
for d in (128, 512):
    w, lam = sinusoidal_frequencies(d), sinusoidal_wavelengths(d)  # (D/2,)
    ratio = (lam[1:] / lam[:-1])
    print(f"d={d:3d}: {len(lam)} wavelengths from {lam[0].item():.3f} to {lam[-1].item():,.0f} positions "
          f"(10000·2π = {10000 * 2 * math.pi:,.0f}); constant ratio {ratio.mean().item():.4f} = 10000^(2/d)")
    assert abs(lam[0].item() - 2 * math.pi) < 1e-9 and lam[-1] < 10000 * 2 * math.pi
    assert torch.allclose(ratio, torch.full_like(ratio, 10000 ** (2 / d)))
    assert (w[1:] < w[:-1]).all()  # frequencies fall with the dimension index
lesson.plot_wavelengths({"d = 128": sinusoidal_wavelengths(128), "d = 512": sinusoidal_wavelengths(512)}).figure

# %% [markdown]
# **The relative-shift matrix.** For each pair, $\sin(a+k\omega)$ and $\cos(a+k\omega)$ are a rotation of
# $\sin a$, $\cos a$ by the angle $k\omega$. Stacking the $d/2$ rotations gives a block-diagonal $M_k$
# that depends on $k$ only. Checked for every position and every offset in a 200-position table:

# %%
L_big = 200
table = tl.sinusoidal_encoding(L_big, D).double()  # (L, D)
worst = 0.0
for k in range(-L_big + 1, L_big):
    M = relative_shift_matrix(k, D)  # (D, D)
    lo, hi = max(0, -k), min(L_big, L_big - k)
    worst = max(worst, (table[lo:hi] @ M.T - table[lo + k:hi + k]).abs().max().item())  # PE(pos) M_kᵀ vs PE(pos + k)
print(f"PE(pos + k) = M_k·PE(pos) for all {L_big} positions and all {2 * L_big - 1} offsets: max error below 1e-6: {worst < 1e-6}")
assert worst < 1e-6  # the table is float32
M5 = relative_shift_matrix(5, D)
print("top-left 4×4 of M_5 (two 2×2 rotations, zeros elsewhere):\n", M5[:4, :4].numpy().round(3))
torch.testing.assert_close(M5 @ M5.T, torch.eye(D, dtype=torch.float64))  # a rotation: orthogonal
torch.testing.assert_close(relative_shift_matrix(-5, D), M5.T)  # going back is the transpose

# %% [markdown]
# **Why positions are needed at all.** Attention with no positional information is permutation-equivariant:
# it treats the input as a set. Permute the tokens and the outputs come out permuted the same way, so
# each token's output does not depend on where it stands. Adding the table breaks this; so does a
# causal mask (which is why a decoder can learn some order without any encoding; notebook 08).

# %%
gen = tl.randomness.make_generator(tl.seed())
x = torch.randn(2, 10, 32, generator=gen)  # (B, T, D)
perm = torch.randperm(10, generator=gen)
mha = tl.MultiHeadAttention(32, 4)
out, _ = mha(x)  # (B, T, D)
out_perm, _ = mha(x[:, perm])
torch.testing.assert_close(out_perm, out[:, perm], atol=1e-6, rtol=0)
pe32 = tl.sinusoidal_encoding(10, 32)  # (T, D)
gap_pe = (mha(x[:, perm] + pe32)[0] - mha(x + pe32)[0][:, perm]).abs().max().item()
causal = tl.causal_mask(10)
gap_causal = (mha(x[:, perm], mask=causal)[0] - mha(x, mask=causal)[0][:, perm]).abs().max().item()
print(f"no positions: attention(x[perm]) = attention(x)[perm] up to float rounding (max gap below 1e-6)")
print(f"with the sinusoidal table added: max gap {gap_pe:.3f};   with a causal mask: max gap {gap_causal:.3f}")
assert gap_pe > 0.05 and gap_causal > 0.05
tokens = torch.randint(0, 12, (3, 10), generator=gen)  # (B, T)
for positional in ("none", "sinusoidal"):
    model = tl.build_model(tl.ModelConfig(vocab_size=12, d_model=32, n_heads=4, max_len=10, positional=positional), seed=tl.seed())
    equivariant = torch.allclose(model(tokens[:, perm]), model(tokens)[:, perm], atol=1e-5)
    print(f"whole TinyTransformer, positional={positional!r}: permutation-equivariant = {equivariant}")
    assert equivariant == (positional == "none")

# %% [markdown]
# ## 2 · See it: the positional-encoding explorer
#
# Slide the table length, the width $d_{model}$ and the base. Left: the table (rows positions, columns
# dimensions): fast stripes on the left, slow ones on the right. Middle: $PE(i)\cdot PE(j)/\lVert PE\rVert^2$
# (rows = query position $i$, columns = key position $j$): constant along every diagonal, symmetric.
# Right: the same product against the offset $k$, with the first $k$ where it goes *up* circled. The
# readout gives the wavelength range, the smallest distance between two positions, and how many
# leading dimensions keep every two positions at least 0.5 apart.

# %%
explorer = lesson.PositionalEncodingExplorer(max_len=50, d_model=128, base=10000)
explorer

# %% [markdown]
# *Static picture of the explorer's default state (50 positions, d = 128, base 10000: the note's figure), for where widgets do not render:*

# %%
Image(explorer.image.value)

# %% [markdown]
# ## 3 · Measure it
#
# ### 3a · PE(i)·PE(j) depends on the offset only, and not on its sign

# %%
G = pe_dot_products(100, D)  # (L, L) float64
diag_spread = max((torch.diagonal(G, k) - torch.diagonal(G, k)[0]).abs().max().item() for k in range(-99, 100))
print(f"spread along each diagonal below 1e-9: {diag_spread < 1e-9};  ‖G − Gᵀ‖ below 1e-9: {(G - G.T).norm().item() < 1e-9}")
print(f"PE(40)·PE(45) = {G[40, 45].item():.4f}, PE(40)·PE(35) = {G[40, 35].item():.4f}, PE(0)·PE(5) = {G[0, 5].item():.4f}")
print(f"share of G explained by the offset alone: {lesson.offset_only_fraction(G):.4f}; asymmetry {lesson.asymmetry(G):.4f}")
assert diag_spread < 1e-9 and lesson.asymmetry(G) < 1e-12
assert abs(G[40, 45] - G[40, 35]) < 1e-9  # +5 and -5 look the same: no direction
w128 = sinusoidal_frequencies(D)
assert abs(G[0, 5].item() - torch.cos(5 * w128).sum().item()) < 1e-9  # a sum of cosines of k·ω_i

# %% [markdown]
# ### 3b · Does the product fall monotonically with the distance?
#
# The profile $PE(0)\cdot PE(k)/\lVert PE\rVert^2$ for three widths, and the first $k$ at which it rises:

# %%
K = 200
profiles, rises = {}, {}
for d in (64, 128, 512):
    p = lesson.offset_profile(K, d) / (d / 2)  # (K+1,)
    profiles[f"d = {d}"], rises[f"d = {d}"] = p, lesson.first_rise(p)
    r = rises[f"d = {d}"]
    n_rises = int((p[1:] > p[:-1]).sum())
    print(f"d={d:3d}: falls from 1 to {p[r - 1].item():.4f} at k={r - 1}, then rises to {p[r].item():.4f} at k={r}; "
          f"{n_rises} of the {K} steps go up; mean over k in [100, 200] {p[100:].mean().item():.3f}")
    assert r is not None and (p[1:r] < p[:r - 1]).all()  # strictly falling until the first rise
    assert p[100:].mean() < p[1:11].mean()  # it does fall overall
assert rises["d = 128"] == 12 and rises["d = 512"] == 44
assert rises["d = 64"] < rises["d = 128"] < rises["d = 512"]
lesson.plot_offset_profiles(profiles, rises).figure

# %% [markdown]
# Falling overall, yes; monotonic, no. The fastest pairs come back around (wavelength $2\pi$: after
# about 6 positions the first pair points the same way again), so the sum wobbles. Across these three
# widths, the wider the model (more slow pairs to average over), the later the first rise; but in each
# of them it comes, and the wobbling goes on.
#
# ### 3c · "For length 50 the first 60 dimensions already tell positions apart"
#
# Distinct is not the right test: in exact arithmetic, one dimension, $\sin(pos)$, is already different at
# every integer position. "Tell apart" needs a margin: **every two positions at least δ apart** (Euclidean
# distance using only the first $n$ dimensions). That minimum distance can only grow with $n$, so the
# smallest $n$ is well defined for each δ. For 50 positions and $d=128$ (the note's figure):

# %%
sep = lesson.separation_by_leading_dims(L, D)  # (D,): min distance using the first n dims
full = sep[-1].item()
print(f"closest two of {L} positions, all {D} dims: {full:.3f};  first 2 dims: {sep[1].item():.4f};  first 60: {sep[59].item():.3f}")
thresholds = {"δ = 0.1": 0.1, "δ = 0.5": 0.5, "δ = 1.0": 1.0, "δ = 90% of all 128": 0.9 * full, "δ = 99% of all 128": 0.99 * full}
needed = {name: lesson.leading_dims_to_separate(L, D, t) for name, t in thresholds.items()}
for name, n in needed.items():
    print(f"  smallest n with every two positions ≥ {name}: {n}")
col_range = (pe.max(0).values - pe.min(0).values)  # (D,): how much each dimension varies over the 50 positions
flat_from = {t: next(j for j in range(D) if (col_range[j:] < t).all()) for t in (0.5, 0.1)}
print(f"dimensions that vary by less than 0.5 over the 50 positions: from dim {flat_from[0.5]} on; less than 0.1: from dim {flat_from[0.1]} on")
assert 0.015 < sep[1].item() < 0.02  # two dims: distinct, but two positions only 0.018 apart
assert needed["δ = 0.5"] <= 8 and needed["δ = 1.0"] <= 8 and needed["δ = 90% of all 128"] < 60
assert 40 < flat_from[0.5] < 70
assert sep[59] > 0.99 * full  # by dimension 60 the separation is that of the whole code

# %%
lesson.plot_separation(sep, {k: v for k, v in thresholds.items() if k in ("δ = 0.5", "δ = 90% of all 128")},
                      title=f"{L} positions, d = {D}").figure

# %% [markdown]
# The note's "60" is true but it is not a threshold: a handful of leading dimensions already keeps
# every two of the 50 positions well apart, and by dimension 60 the separation is that of the whole
# code. What 60 matches is the *picture*: past roughly that
# dimension the columns barely change over 50 positions (they become the constant sin ≈ 0, cos ≈ 1
# stripes on the right of the heatmap), so they carry almost no positional information at this length.
#
# ### 3d · After W_Q and W_K the distance pattern is gone (Yan et al. 2019)
#
# In a real head the positional part of a score is $PE_i^\top W_Q^\top W_K PE_j$, not $PE_i\cdot PE_j$.
# With $W_Q, W_K$ drawn like `nn.Linear`'s initialisation ($d=128$, head width 32), five draws:

# %%
fractions, asyms = [], []
for seed in tl.seeds(5):
    raw, proj = lesson.projected_pe_scores(64, D, head_dim=32, seed=seed)  # (L, L) each
    fractions.append(lesson.offset_only_fraction(proj))
    asyms.append(lesson.asymmetry(proj))
print(f"raw PE·PE/√d:      offset explains {lesson.offset_only_fraction(raw):.3f}, asymmetry {lesson.asymmetry(raw):.3f}")
print(f"projected (5 seeds): offset explains {min(fractions):.3f} … {max(fractions):.3f} (mean {sum(fractions) / 5:.3f}), "
      f"asymmetry {min(asyms):.3f} … {max(asyms):.3f}")
assert lesson.offset_only_fraction(raw) > 0.999
# over the 5 draws: the offset explains less than half on average, and every draw is asymmetric
# (a single draw can reach 0.52: 1 in 200 did, over the base seeds 0-39)
assert sum(fractions) / 5 < 0.5 and min(asyms) > 0.3

# %%
viz.plot_heatmaps({"PE·PEᵀ/√d (raw), first 24 positions": raw[:24, :24],
                     f"PE W_Qᵀ W_K PEᵀ/√d_k (draw {seed})": proj[:24, :24]}, ncols=2, cmap="RdBu_r")

# %% [markdown]
# On the left, every diagonal is constant: the score knows the distance. On the right, with random
# projections, the offset explains less than half of the pattern on average and $i\to j$ differs from $j\to i$.
# A trained model can of course *learn* projections that keep or use distance; what is lost is the
# guarantee. The same fact cuts the other way for direction, below.
#
# ### 3e · No direction in the dot product, but the encoding itself has one
#
# $PE(pos)\cdot PE(pos+k) = PE(pos)\cdot PE(pos-k)$: the raw product cannot tell before from after. The
# vectors can: $M_{-k}=M_k^\top\neq M_k$. A head whose $W_Q^\top W_K$ equals $M_3$ scores
# $PE_i^\top M_3\,PE_j = PE(i)\cdot PE(j+3)$, largest at $j=i-3$: it looks exactly three positions **back**.

# %%
scores_back3 = table[:40] @ relative_shift_matrix(3, D) @ table[:40].T  # (T, S): PE_iᵀ M_3 PE_j
looks_at = scores_back3.argmax(dim=1)  # (T,)
print("query i attends most to key j =", looks_at[:12].tolist(), "…")
assert (looks_at[3:] == torch.arange(3, 40) - 3).all()  # every query from 3 on: exactly 3 back
i = torch.arange(3, 37)
back_minus_ahead = scores_back3[i, i - 3] - scores_back3[i, i + 3]  # (34,): 3 back vs 3 ahead
print(f"score(i → i−3) − score(i → i+3): at least {back_minus_ahead.min().item():.2f} for every i; "
      f"with the raw product it is 0 (below 1e-9: {(G[i, i - 3] - G[i, i + 3]).abs().max().item() < 1e-9})")
print(f"asymmetry of those scores: {lesson.asymmetry(scores_back3):.3f} (the raw product: {lesson.asymmetry(G):.3f})")
assert back_minus_ahead.min() > 1.0 and lesson.asymmetry(scores_back3) > 0.1

# %% [markdown]
# So "no direction" is a property of the plain dot product, not of the encoding: the linear relation
# the paper hoped the model would find is enough to build a head that attends $k$ steps back. Whether a
# trained model finds it is a separate question, and the projections in 3d show it does not come for free.

# %% [markdown]
# ## 4 · What the note claims, checked
#
# The source note (question 七) makes these claims. Each verdict below is computed from the numbers above.

# %%
r128, r512 = rises["d = 128"], rises["d = 512"]
claims = [
    ("Self-attention ignores position: reorder the sentence and each token gets the same hidden vector.",
     "holds with a caveat", "Without positions, attention(x[perm]) = attention(x)[perm] exactly (§1). A causal mask "
     f"already breaks it (max gap {gap_causal:.2f}), so a decoder is not fully order-blind.", "1"),
    ("The Transformer uses a fixed (not learned) encoding of absolute position.",
     "holds", f"SinusoidalPositional has {sum(p.numel() for p in scheme.parameters())} parameters (§1).", "1"),
    ("sin/cos alternate over dimensions, with frequencies falling along the dimension index.",
     "holds", f"Wavelengths form a geometric progression from 2π to {sinusoidal_wavelengths(512)[-1].item():,.0f} "
     "(d = 512), just short of 10000·2π (§1).", "1"),
    ("For length 50, the first 60 dimensions already tell positions apart.",
     "holds with a caveat", f"Far fewer do: {needed['δ = 0.5']} leading dims keep every two of 50 positions ≥ 0.5 apart, "
     f"{needed['δ = 90% of all 128']} reach 90% of the full code's separation; 2 dims give distinct but close codes "
     f"({sep[1].item():.3f}). What 60 matches is where columns go flat: from dim {flat_from[0.5]} on they vary by < 0.5 (§3c).", "3c"),
    ("Among even (or odd) dimensions the periods all differ.",
     "holds", f"All {D // 2} pair wavelengths are distinct; the two dimensions of a pair share one (§1).", "1"),
    ("A fixed linear map M_k, depending on k only, takes PE(pos) to PE(pos+k).",
     "holds", "Exact: M_k is block-diagonal, one 2×2 rotation per sin/cos pair; max error below 1e-6 over all "
     "positions and offsets (§1).", "1"),
    ("The model may exploit this relative information.",
     "holds with a caveat", "It can: a head with W_QᵀW_K = M_3 attends exactly 3 back (§3e). Nothing makes it: after "
     f"random projections the offset explains only {min(fractions):.2f}–{max(fractions):.2f} of the positional "
     "scores (§3d), so using it must be learned (Yan et al. 2019).", "3d, 3e"),
    ("An absolute code only makes positions differ; it has no order like 0, 1, 2; the linear relation supplies one.",
     "holds with a caveat", f"Codes are distinct (closest pair {full:.2f} apart for 50 positions). The dot product "
     "carries no order (§3a), but a bilinear form through M_k does (§3e).", "3a, 3e"),
    ("PE(pos)·PE(pos+k) is a sum of cosines that depends on k only.",
     "holds", "Constant along every diagonal (spread below 1e-9); equals Σᵢ cos(kωᵢ) (§3a).", "3a"),
    ("The larger k, the smaller the product: farther tokens always give a smaller product.",
     "does not hold", f"It falls overall but first rises at k = {r128} (d = 128) and k = {r512} (d = 512), "
     "then keeps wobbling (§3b).", "3b"),
    ("Distance but no direction: PE(pos)·PE(pos+k) = PE(pos)·PE(pos−k).",
     "holds with a caveat", "True of the dot product (G = Gᵀ, §3a). The vectors do carry direction: "
     f"M_(−k) = M_kᵀ ≠ M_k: through M_3, 3 back outscores 3 ahead by at least {back_minus_ahead.min().item():.1f} (§3e).", "3a, 3e"),
]
assert len(set(sinusoidal_wavelengths(D).tolist())) == D // 2
tl.claims_table(claims)  # checks every verdict is holds / holds with a caveat / does not hold

# %% [markdown]
# ## 5 · Interview answer
#
# **English.** Self-attention compares every token with every other through dot products and a
# softmax, so without extra information it is permutation-equivariant: it sees a set, not a sequence.
# The Transformer adds a fixed positional encoding to the token embeddings. Dimension $2i$ holds
# $\sin(pos/10000^{2i/d})$ and $2i+1$ the cosine, so each pair is a rotating point with its own
# frequency, wavelengths from $2\pi$ to almost $10000\cdot2\pi$. It has no parameters, works for any
# position you can compute, and has a neat property: shifting by $k$ is a fixed rotation $M_k$, so
# relative position is a linear function of absolute position. The dot product of two encodings is
# $\sum_i\cos(k\omega_i)$: it depends only on the distance, falls overall but not monotonically, and is
# symmetric, so it has no direction. Weaknesses: after the learned $W_Q, W_K$ projections that clean
# distance structure is not guaranteed (Yan et al.), the plain product cannot tell left from right,
# and extrapolating past the trained length works poorly in practice (notebook 08). Learned absolute
# embeddings perform about the same in the paper; relative schemes (T5, RoPE, ALiBi) put distance into
# the scores directly.
#
# **中文。** 自注意力通过点积和 softmax 让每个词与所有词比较，如果没有额外信息，它是置换等变的：看到的是集合而不是序列。
# Transformer 把一个固定的位置编码加到词向量上：第 $2i$ 维是 $\sin(pos/10000^{2i/d})$，第 $2i+1$ 维是余弦，
# 每对维度是一个以各自频率旋转的点，波长从 $2\pi$ 到接近 $10000\cdot2\pi$。它没有参数，任何位置都能算出来，
# 并且有一个好性质：平移 $k$ 等于一个固定的旋转 $M_k$，相对位置是绝对位置的线性函数。两个位置编码的点积是
# $\sum_i\cos(k\omega_i)$：只依赖距离，整体下降但并不单调，而且对称，所以没有方向。缺点：经过可学习的 $W_Q,W_K$
# 投影后，这种干净的距离结构不再有保证（Yan et al.）；单纯的点积分不清左右；超出训练长度外推效果差（见第 08 篇）。
# 论文中可学习的绝对位置编码效果相当；相对位置方案（T5、RoPE、ALiBi）直接把距离放进注意力分数。
#
# **Follow-ups an interviewer asks next · 常见追问**
# - Why both sin and cos? (A pair is what makes the shift a rotation, $M_k$; sin alone has no linear shift map.) 为什么要 sin 和 cos 成对？
# - Why 10000? (Longest wavelength ≫ any sequence length, so no two positions in range coincide; try the base slider.)
# - Added or concatenated? (Added: it saves width; the two parts share the space, which is what notebook 06's √d_model is about.)
# - Does it extrapolate? (The table does; the model mostly does not: notebook 08, ALiBi paper Figure 1.)
#
# **Common wrong answers · 常见错误回答**
# - "The dot product always decreases with distance." It wobbles; first rise at k = 12 for d = 128 (§3b).
# - "It encodes direction." The plain product is symmetric; direction needs a non-symmetric $W_Q^\top W_K$ (§3e).
# - "The attention can read relative positions directly." Only through projections that are learned, not guaranteed (§3d).

# %% [markdown]
# ## 6 · Try it yourself
#
# 1. In the explorer, set the base to 10 with 128 positions. What happens to the dot-product heatmap far
#    from the diagonal, and why (compare the longest wavelength with the table length)?
# 2. Find the smallest $d_{model}$ for which `lesson.first_rise(lesson.offset_profile(200, d))`
#    exceeds 20. How does the first rise grow with $d$?
# 3. Build $W_Q^\top W_K = M_{-3}$ instead of $M_3$ in §3e. Predict first: where does query $i$ look?

# %%
quiz = viz.Quiz([
    {"question": "What does attention with no positional information do when the input tokens are permuted?",
     "options": ["Its outputs do not change", "Its outputs are permuted the same way", "Its outputs change unpredictably"],
     "answer": 1, "why": "It is permutation-equivariant: each token's output depends on the set of tokens, not their order (§1)."},
    {"question": "PE(pos)·PE(pos+k) as a function of k is…",
     "options": ["strictly decreasing", "falling overall, but not monotonic, and the same for −k",
                 "increasing for k > 0 and decreasing for k < 0"], "answer": 1,
     "why": "A sum of cosines Σcos(kω_i): even in k, and it rises again (first at k = 12 for d = 128, §3b)."},
    {"question": "Which matrix maps PE(pos) to PE(pos+k)?",
     "options": ["A block-diagonal rotation depending only on k", "A different matrix for each pos", "No linear map exists"],
     "answer": 0, "why": "Each sin/cos pair rotates by the angle kω_i; M_k is orthogonal and M_(−k) = M_kᵀ (§1)."},
    {"question": "After random W_Q and W_K projections, the positional part of the scores…",
     "options": ["still depends only on the offset", "no longer depends mainly on the offset, and is asymmetric", "is zero"],
     "answer": 1, "why": "PE_iᵀ W_Qᵀ W_K PE_j mixes frequencies and positions: the Toeplitz structure is lost (§3d, Yan et al. 2019)."},
])
quiz

# %% [markdown]
# ## 7 · Further reading
#
# - Vaswani et al. 2017, *Attention Is All You Need*, arXiv:1706.03762 — §3.5 and Table 3 row (E).
# - Yan et al. 2019, *TENER: Adapting Transformer Encoder for Named Entity Recognition*, arXiv:1911.04474 — distance without direction; lost after projections.
# - Shaw, Uszkoreit, Vaswani 2018, *Self-Attention with Relative Position Representations*, arXiv:1803.02155.
# - Su et al. 2021, *RoFormer: Enhanced Transformer with Rotary Position Embedding*, arXiv:2104.09864 — the rotation, applied to q and k instead of added.
# - Press, Smith, Lewis 2022, *Train Short, Test Long*, arXiv:2108.12409 — how sinusoids extrapolate.
# - Haviv et al. 2022, *Transformer Language Models without Positional Encodings Still Learn Positional Information*, arXiv:2203.16634.
