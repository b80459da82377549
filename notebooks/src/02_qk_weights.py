# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 02 · Why do Q and K use different weight matrices? Why not dot a single projection with itself?
#
# **Transformer为什么Q和K使用不同的权重矩阵生成，为何不能使用同一个值进行自身的点乘？**
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
from transformer_lab.lessons import q02_qk_weights as lesson

torch.set_num_threads(1)  # same numbers on every machine (the thread count changes float sums)
T, D, Dh = 6, 16, 4  # all seeds derive from one base, $TRANSFORMER_LAB_SEED (default 0): tl.seed(i)

# %% [markdown]
# ## 30-second answer · 30秒回答
#
# - One shared matrix, $W_Q=W_K=W$, gives scores $S=XWW^\top X^\top/\sqrt{d_k}$: **symmetric**, so $i$ scores
#   $j$ exactly as $j$ scores $i$.
# - Symmetric scores cannot follow a **directed** relation: on a cycle $a\to b\to c\to a$ some token always
#   picks the wrong key. Separate $W_Q, W_K$ can.
# - Tied tokens also favour themselves; Reformer ties on purpose and masks attention to self.
#
# ---
#
# - 共用一个矩阵 $W_Q=W_K=W$ 时，分数 $S=XWW^\top X^\top/\sqrt{d_k}$ 是**对称**的：$i$ 对 $j$ 的打分等于 $j$ 对 $i$ 的打分。
# - 对称的分数表达不了**有方向**的关系：在环 $a\to b\to c\to a$ 上总有一个 token 指错；分开的 $W_Q,W_K$ 可以表达。
# - 共享投影还会让 token 偏爱自己；Reformer 故意共享 $W_Q=W_K$，并屏蔽对自身的注意力（mask 掉对角线）。

# %% [markdown]
# ## 2-minute answer · 两分钟回答
#
# **English.** The score of query $i$ on key $j$ is $q_i\cdot k_j=x_i^\top W_QW_K^\top x_j$: a bilinear form
# $x_i^\top Mx_j$ with $M=W_QW_K^\top$ of rank at most $d_k$. With one matrix for both, $M=WW^\top$, and the score
# matrix $S=XWW^\top X^\top/\sqrt{d_k}$ is a Gram matrix: symmetric, $s_{ij}=s_{ji}$, and positive semidefinite,
# $u^\top Su=\lVert W^\top X^\top u\rVert^2/\sqrt{d_k}\ge 0$ for every vector $u$. Symmetry is the real restriction:
# "how much $i$ wants $j$" must equal "how much $j$ wants $i$". In any sequence the pair holding the largest score
# are each other's favourite, so a cyclic relation ("the next item on a cycle") can never be followed by every
# token. Semidefiniteness adds a pull towards the diagonal: every $2\times 2$ minor is $\ge 0$, so
# $s_{ij}\le\sqrt{s_{ii}s_{jj}}$ with $s_{ii}=\lVert Wx_i\rVert^2/\sqrt{d_k}$, and token $i$ out-scores $j$ on itself
# whenever $\lVert Wx_i\rVert\ge\lVert Wx_j\rVert$: tokens tend to attend to themselves (tend, not always).
# Separate $W_Q$ and $W_K$ let a token ask one question (query space) and advertise another (key space). The
# weights after the row softmax are not symmetric, because each row has its own normaliser, but the ranking in
# each row is the scores'. Reformer ties $W_Q=W_K$ on purpose, because LSH needs queries and keys in one space;
# it also normalises the keys, so every token's top score is itself, and therefore masks attention to self. That
# fixes the self-preference, not the symmetry, which costs little when the relation is similarity-like.
#
# **中文。** query $i$ 对 key $j$ 的分数是 $q_i\cdot k_j=x_i^\top W_QW_K^\top x_j$，即由 $M=W_QW_K^\top$（秩 $\le d_k$）定义的双线性形式。
# 若共用一个矩阵，$M=WW^\top$，分数矩阵 $S=XWW^\top X^\top/\sqrt{d_k}$ 是 Gram 矩阵：对称（$s_{ij}=s_{ji}$）且半正定（对任意向量 $u$，
# $u^\top Su=\lVert W^\top X^\top u\rVert^2/\sqrt{d_k}\ge 0$）。真正的限制是对称性："$i$ 有多想看 $j$"必须等于"$j$ 有多想看 $i$"；
# 任何序列中分数最大的那一对互为最爱，所以环状关系（"环上的下一个"）不可能每个 token 都指对。半正定还带来偏向对角线的倾向：
# 每个 $2\times 2$ 主子式非负，所以 $s_{ij}\le\sqrt{s_{ii}s_{jj}}$，其中 $s_{ii}=\lVert Wx_i\rVert^2/\sqrt{d_k}$；当
# $\lVert Wx_i\rVert\ge\lVert Wx_j\rVert$ 时 token $i$ 给自己的分数不低于给 $j$ 的分数，所以 token 倾向于关注自己（是"倾向"，不是"总是"）。
# 分开的 $W_Q,W_K$ 让 token 在 query 空间"提问"、在 key 空间"被检索"，两者可以不同。逐行 softmax 之后的权重不对称（每行的归一化
# 常数不同），但每行内的排序与分数相同。Reformer 故意共享 $W_Q=W_K$（LSH 需要 query 和 key 在同一空间），又把 key 归一化（此时每个
# token 的最高分必是自己），所以屏蔽了对自身的注意力；这解决的是"偏爱自己"，不是对称性，而对称性在"相似即相关"的关系上代价很小。

# %% [markdown]
# ## 1 · Build it · 动手实现
#
# Tied projections give a symmetric score matrix; separate ones do not. Tokens `X (T, D)`, projections
# `W_Q, W_K (D, Dh)` (the math convention `x @ W`; an `nn.Linear` stores the transpose). `lesson.qk_scores`
# computes $(XW_Q)(XW_K)^\top/\sqrt{d_k}$, and with `w_k=None` ties $W_K=W_Q$ the way
# `MultiHeadAttention(share_qk=True)` does. Shapes: **T** tokens, **D** model width, **Dh** head width ($d_k$).
#
# 共享投影给出对称的分数矩阵，分开的投影则不然。`lesson.qk_scores` 计算 $(XW_Q)(XW_K)^\top/\sqrt{d_k}$；`w_k=None` 表示共享 $W_K=W_Q$。

# %%
X = lesson.qk_inputs("equal norms", T, D, seed=tl.seed(0))  # (T, D): six tokens, each of norm √D
W_Q, W_K = lesson.random_qk_weights(D, Dh, seed=tl.seed(0))  # (D, Dh) each, N(0, 1/D) entries
S_untied = lesson.qk_scores(X, W_Q, W_K)  # (T, T) = (XW_Q)(XW_K)ᵀ/√d_k
S_tied = lesson.qk_scores(X, W_Q)  # (T, T) = (XW)(XW)ᵀ/√d_k with W = W_Q
torch.testing.assert_close(S_tied, X @ W_Q @ W_Q.T @ X.T / math.sqrt(Dh))  # the closed form X W Wᵀ Xᵀ/√d_k
torch.testing.assert_close(S_untied, tl.bilinear_scores(X, X, W_Q @ W_K.T / math.sqrt(Dh)))  # a bilinear form
for name, s in (("untied", S_untied), ("tied", S_tied)):
    print(f"{name:7s} S {tuple(s.shape)}   asymmetry ‖S−Sᵀ‖/‖S‖ = {lesson.asymmetry(s):.3f}")
assert lesson.asymmetry(S_tied) < 1e-6 and lesson.asymmetry(S_untied) > 0.3

# %% [markdown]
# The tied scores are symmetric up to float32 rounding (below $10^{-6}$, printed 0.000). The same computation inside
# the package's attention layer, and in PyTorch's fused kernel with $q=k=XW$: the tied layer really uses one matrix.
# 共享时分数对称（误差低于 $10^{-6}$）。下面在包的注意力层和 PyTorch 融合实现中做同样的计算：共享的层确实只用一个矩阵。

# %%
mha = tl.MultiHeadAttention(D, 1, share_qk=True, bias=False)  # one head of width D; W_Q = W_K
assert mha.q_proj is mha.k_proj
with torch.no_grad():
    _, weights = mha(X[None])  # X as a batch of one: (B, T, D) -> weights (B, H, T, T)
    W = mha.q_proj.weight.T  # (D, D): nn.Linear stores Wᵀ
    ours = torch.softmax(lesson.qk_scores(X, W), dim=-1)  # (T, T)
    q = (X @ W)[None]  # (1, T, D), and k = q
    fused = F.scaled_dot_product_attention(q, q, torch.eye(T)[None])[0]  # (T, T): one-hot values: the weights
torch.testing.assert_close(weights[0, 0], ours)
torch.testing.assert_close(fused, ours)
print(f"MultiHeadAttention(share_qk=True) weights {tuple(weights.shape)} == softmax(qk_scores(X, W)) == SDPA")

# %% [markdown]
# **Symmetric scores, asymmetric weights.** The row softmax divides row $i$ by its own sum $Z_i=\sum_j e^{s_{ij}}$,
# so $A_{ij}=e^{s_{ij}}/Z_i$ and $A_{ji}=e^{s_{ij}}/Z_j$. Multiplying each row back by its $Z_i$ gives $e^{s_{ij}}$,
# symmetric again: the row sums are the *only* source of asymmetry, and the ranking inside each row is the scores'.
#
# **分数对称，权重不对称。** 逐行 softmax 把第 $i$ 行除以它自己的和 $Z_i$；乘回 $Z_i$ 又得到对称的 $e^{s_{ij}}$：行和是唯一的不对称来源。

# %%
A = torch.softmax(S_tied, dim=-1)  # (T, T) attention weights
Z = torch.exp(S_tied).sum(-1, keepdim=True)  # (T, 1) each row's normaliser
torch.testing.assert_close(A * Z, (A * Z).T)  # A_ij Z_i = exp(s_ij) = exp(s_ji) = A_ji Z_j
print(f"asymmetry of the scores {lesson.asymmetry(S_tied):.3f}, of the weights {lesson.asymmetry(A):.3f}")
assert lesson.asymmetry(A) > 0.05

# %% [markdown]
# **Does every token score itself highest?** Not necessarily. $s_{ii}=\lVert q_i\rVert^2$ against
# $s_{ij}=\langle q_i,q_j\rangle\le\lVert q_i\rVert\,\lVert q_j\rVert$ (Cauchy–Schwarz): self wins over $j$ whenever
# $\lVert q_i\rVert\ge\lVert q_j\rVert$, but a longer $q_j$ pointing the same way can win. Two tokens in two dimensions:
#
# **每个 token 都给自己打最高分吗？** 不一定：由柯西–施瓦茨不等式，只有当 $\lVert q_i\rVert\ge\lVert q_j\rVert$ 时自己才一定胜出。

# %%
q2 = torch.tensor([[1.0, 0.0], [3.0, 0.5]])  # ‖q_1‖ = 1, ‖q_2‖ ≈ 3.04
S2 = lesson.qk_scores(q2, torch.eye(2), scale=1.0)  # W = I: S = q qᵀ
print(f"S = {S2.tolist()}: token 0 scores token 1 ({S2[0, 1]:.1f}) above itself ({S2[0, 0]:.1f})")
assert lesson.self_argmax_rate(S2) == 0.5

# %% [markdown]
# ## 2 · See it · 看见它
#
# Tie the projections and the picture becomes mirror-symmetric about the diagonal; untie them and it does not.
# Ten tokens with $D=32$, projections without bias. Toggle $W_Q=W_K$, slide $d_k$ (1 to 64; sliding adds columns
# to the same matrices), choose the inputs (equal norms as after a LayerNorm, spread-out norms, or sinusoidal
# positions), and mask attention to self as Reformer does. Left: the scores, each row's top key circled. Middle:
# the weights after the row softmax, not symmetric. Right: the eigenvalues, negative ones in red (never when tied).
# Try tied, $d_k=1$: at most two tokens (the largest and the smallest projection) score themselves highest.
#
# 共享投影时图像关于对角线镜像对称，分开时不对称。可切换 $W_Q=W_K$、拖动 $d_k$、选择输入、屏蔽自身。左：分数（每行最高分画圈）；
# 中：softmax 之后的权重（不对称）；右：特征值（负的为红色，共享时从不出现）。

# %%
explorer = lesson.SymmetricQKExplorer(tied=True, d_k=4, inputs="spread norms")
explorer

# %%
explorer.snapshot()

# %% [markdown]
# *The explorer's default state (tied, $d_k = 4$, spread norms): the scores are mirror-symmetric, the weights are
# not, all eigenvalues are ≥ 0, and a few rows' top key is off the diagonal (a longer key wins).*
#
# *探索器默认状态（共享，$d_k=4$，范数分散）：分数镜像对称，权重不对称，特征值全部非负；有几行的最高分不在对角线上（更长的 key 胜出）。*

# %%
lesson.schematic()

# %% [markdown]
# *Untied: two matrices, so $s_{ij}$ and $s_{ji}$ are free, and a head can score only each successor on a cycle.
# Tied: one matrix, $s_{ij}=s_{ji}$; the best symmetric version of that pattern scores the predecessor as high as
# the successor.*
#
# *不共享：两个矩阵，$s_{ij}$ 与 $s_{ji}$ 互不约束，一个头可以只给环上的后继打高分。共享：一个矩阵，$s_{ij}=s_{ji}$；
# 这一模式最好的对称版本给前驱和后继同样高的分数。*

# %% [markdown]
# ## 3 · Measure it · 测量
#
# On a directed relation, separate projections learn it and tied ones cannot pass a ceiling that symmetry imposes;
# on a symmetric relation tying costs little once self is masked.
#
# 在有方向的关系上，分开的投影能学会，共享投影无法超过对称性决定的上限；在对称关系上，屏蔽自身之后共享的代价很小。
#
# ### 3a · A directed relation: tied against untied · 有向关系：共享与不共享
#
# The task (`tl.CyclicSuccessorTask`): four items per sequence, one per key 0–3 in random order, each with a random
# value among 8; every item must output the value of the item whose key comes **next on the cycle** (0 reads 1,
# 1 reads 2, 2 reads 3, 3 reads 0). Nothing points back. The relation is by content, so the models get no positions.
# Each model: $d_{model}=32$, one head of width 32, pre-LayerNorm, no MLP (the answer must travel through the
# attention weights); 60 AdamW steps. Three variants at the same width: **untied**, **tied** ($W_Q=W_K$, one fewer
# $D\times D$ matrix), and **tied + self-mask** (Reformer's fix, `ModelConfig(mask_self=True)`).
#
# **The ceiling symmetric scores cannot pass (hard attention).** Take a sequence and let each token
# attend to its top key only. With symmetric scores and self masked, the largest score $s_{ab}$ is the
# top of row $a$ *and* of row $b$: $a$ and $b$ point at each other. On a cycle of four, $b$ is $a$'s
# successor or $a$ is $b$'s, never both, so one row in every sequence is wrong. Without the mask a PSD
# matrix has its largest entry on the diagonal ($s_{ab}\le\sqrt{s_{aa}s_{bb}}$), so the token with the
# longest $q$ points at itself: again one wrong row. A wrong row can only guess the value (1 in 8), so
# accuracy $\le 3/4+1/4\cdot 1/8\approx 0.78$ (`task.symmetric_ceiling`). Soft attention is not bound by
# it exactly; it is the reference.

#
# **Five seeds per variant**, trained together; every claim is decided over the five with its rule said in words
# ("in every seed": the worst seed must clear it; "in at least 4 of 5": one slow seed allowed), and `make claims`
# replays the experiment from 20 other base seeds (`seeds/README.md`). Numbers marked ≈ come from training: on
# another processor their last digits may differ.
#
# 任务：每个序列四个条目，每个条目要输出"环上下一个 key"对应条目的 value。共享投影的分数对称，所以每个序列至少有一行指错，
# 硬注意力的准确率不超过 $3/4+1/4\cdot1/8\approx0.78$（对称上限）。每个变体训练 **5 个随机种子**，每条结论按写明的规则检验；
# 标 ≈ 的数字来自训练，换一台机器末位可能不同。

# %%
cyclic = lesson.train_cyclic()  # 3 variants × 5 seeds, 60 steps; the seeds of a variant train together
print(f"chance {1 / lesson.CYCLE.n_values:.3f}, symmetric ceiling {cyclic.ceiling:.3f}")
cyclic.summary()

# %%
cyclic.figure()

# %% [markdown]
# *Top: held-out accuracy during training (thin: seeds, bold: their mean) and every seed's final accuracy (bar: the
# mean ± one standard error); dashed, the symmetric ceiling. Bottom: where each variant's head attends, rows and
# columns ordered by key and averaged over sequences and seeds: the cycle 0 → 1 → 2 → 3 → 0 is the band just right
# of the diagonal. Untied puts its weight on that band; tied keeps much of it on itself; tied + self-mask splits it
# between successor and predecessor.*
#
# *上：训练中的留出集准确率（细线为单个种子，粗线为均值）和每个种子的最终准确率；虚线为对称上限。下：各变体的注意力（按 key 排序，
# 对序列和种子取平均）：环 0 → 1 → 2 → 3 → 0 是对角线右侧的那条带。不共享的头把权重放在这条带上；共享的头大量关注自己；
# 共享 + 屏蔽自身则把权重分给后继和前驱。*

# %%
cyclic.check()

# %% [markdown]
# ### 3b · The control: a symmetric relation · 对照：对称关系
#
# `tl.PartnerTask`: keys come in fixed pairs (0 ↔ 1, 2 ↔ 3) and each item outputs its partner's value. The relation
# is symmetric, so tied projections can express it; the only obstacle left is the self-preference. Same models, 40
# steps, five seeds.
#
# 对照实验：key 两两配对（0 ↔ 1，2 ↔ 3），每个条目输出搭档的 value。关系是对称的，共享投影可以表达；剩下的障碍只有"偏爱自己"。

# %%
partner = lesson.train_partner()  # 3 variants × 5 seeds, 40 steps
partner.summary()

# %%
partner.figure()

# %% [markdown]
# *Held-out accuracy during training and every seed's final accuracy on the symmetric task: tied + self-mask
# learns it like untied; tied without the mask lags in this short run.*
#
# *对称任务上训练中的准确率和每个种子的最终准确率：共享 + 屏蔽自身与不共享一样能学会；不加屏蔽的共享投影在这么短的训练里落后。*

# %%
partner.check()

# %% [markdown]
# **What this run shows, honestly.**
#
# - On the directed relation, untied projections solve the task and tied ones do not, at equal width and seed by
#   seed. The tied models fail to *fit* the relation: it is missing capacity, not poor generalisation (training
#   and held-out data come from one distribution, and the tied model's loss is the same on both, D4).
# - Reformer's mask removes attention to self. On the directed task it can lift the tied model to the symmetric
#   ceiling and never past it, because what is left is the symmetry, which no mask can remove; and it does not get
#   there in every seed (some masked seeds stay below the ceiling after 60 steps, also in runs of 150 steps), so
#   the claim says "in some seeds", and the mask's average gain on the cycle is not claimed: five seeds do not
#   settle it.
# - On the symmetric task tied + mask solves it in every seed. The unmasked tied model keeps about half its weight
#   on itself and lags behind in this short run (all but at most one seed); with more steps it catches up, so the
#   mask speeds the symmetric case up rather than making it possible. Untied learns it too, one seed in five may
#   still be slow after 40 steps.
# - Why Reformer can afford tying: LSH attention groups *similar* vectors into one bucket, and similarity is a
#   symmetric relation, the case where tying costs little. Kitaev et al. report shared-QK no worse than separate
#   Q and K on enwik8 and imagenet64 (their Figure 3); a community reproduction (reformer_fastai) could not
#   confirm that. A real model also has several heads, layers and positions, which may route around one head's
#   symmetric scores; this toy isolates one head, one hop.
#
# **如实地说：** 有向关系上，分开的投影能学会，共享的学不会（逐个种子都如此），是容量不够（欠拟合）而不是泛化差。Reformer 的 mask
# 去掉了对自身的注意力，能把共享投影抬到对称上限、但不能超过，而且并非每个种子都能到达，所以只声称"部分种子"。对称关系上共享 +
# mask 每个种子都能学会；不加 mask 的共享投影在这么短的训练里落后，训练更久会追上。Reformer 能承受共享，是因为 LSH 把**相似**的
# 向量分到同一个桶，而相似是对称关系。

# %% [markdown]
# ## 4 · What the note claims, checked · 笔记说法核对
#
# The source note (question 二) makes these claims, quoted in its own Chinese; each verdict rests on the checks and
# the claims asserted above.
#
# 原笔记（第二题）的说法，引用原文；每条结论都基于上面实际运行并断言过的检验。

# %%
lesson.note_claims(cyclic, partner, S_untied, A)

# %% [markdown]
# Two remarks on the note. It calls the gain of separate projections "泛化能力" (generalisation) and then explains it
# as "表达能力更强" (expressiveness): different properties, and only the second is what the symmetric-score argument
# and the experiment show. And "K dotted with itself", $KK^\top$ with $K=XW_K$, is exactly the tied case $W_Q=W_K$.
#
# 两点说明：笔记把分开投影的好处称为"泛化能力"，又用"表达能力更强"来解释，这是两种不同的性质，论证和实验支持的只是后者。
# "K 和 K 点乘"即 $KK^\top$（$K=XW_K$），正是这里研究的共享情形 $W_Q=W_K$。

# %% [markdown]
# ## 5 · Follow-ups and common wrong answers · 追问与常见错误
#
# **Follow-ups an interviewer asks next · 常见追问**
# - Are the attention *weights* symmetric with tied Q and K? No: $A_{ij}/A_{ji}=Z_j/Z_i$; only the scores are.
#   · 共享后注意力权重对称吗？不对称，只有分数对称。
# - Does a token always attend to itself most with tied Q and K? Not always: self beats $j$ whenever
#   $\lVert q_i\rVert\ge\lVert q_j\rVert$; always with Reformer's normalised keys (D3).
#   · 共享后 token 一定最关注自己吗？不一定；只有在 $\lVert q_i\rVert\ge\lVert q_j\rVert$ 时才保证，Reformer 归一化 key 后才总是如此。
# - What about the bias of `nn.Linear`? A shared layer shares its bias: the Gram matrix of $[x,1]$, still symmetric
#   PSD (D2). Only separate biases would break the symmetry (exercise 3).
#   · `nn.Linear` 的偏置呢？共享层连偏置也共享，仍是对称半正定；只有不同的偏置才会打破对称。
# - What is the rank of a head's score matrix? At most $d_k$, tied or not (Bhojanapalli et al. 2020; D1).
#   · 一个头的分数矩阵秩是多少？不超过 $d_k$。
# - Where are tied projections used on purpose? Reformer's shared-QK LSH attention; L2 self-attention with
#   $W_Q=W_K$ to make attention Lipschitz (Kim et al. 2021). · 哪里故意共享？Reformer；为保证 Lipschitz 的 L2 自注意力。
#
# **Common wrong answers · 常见错误回答**
# - "With tied weights the attention matrix is symmetric." The scores are; the softmaxed weights are not.
#   · "共享后注意力矩阵对称。"对称的是分数，softmax 之后的权重不对称。
# - "Tied weights always make a token attend to itself." Only when its projection is at least as long (exercise 1).
#   · "共享后 token 总是最关注自己。"只有当它的投影不短于对方时才成立。
# - "Positive semidefinite means each token scores itself highest." PSD means $u^\top Su\ge 0$ for every $u$; it
#   bounds $s_{ij}$ by $\sqrt{s_{ii}s_{jj}}$, not by $s_{ii}$. · "半正定就是自己分数最高。"半正定指 $u^\top Su\ge0$，
#   它给出的是 $s_{ij}\le\sqrt{s_{ii}s_{jj}}$，不是 $s_{ij}\le s_{ii}$。
# - "Separate matrices just add parameters." Tied is a *different function class* (symmetric PSD forms), which cannot
#   follow a cyclic relation at any width. · "分开只是多了参数。"共享是另一类函数，任何宽度都无法表达环状关系。
# - "It is about generalisation." It is about what the scores can express; the tied model underfits.
#   · "这是泛化问题。"是表达能力问题，共享的模型欠拟合。

# %% [markdown]
# ## 6 · Try it yourself · 动手试试
#
# Each exercise changes one thing and reports which claim stops holding, and why that is the point. Each runs in a
# fraction of a second. · 每个练习只改一处，并说明哪条说法不再成立、为什么这正是要点；每个都不到一秒。
#
# **Exercise 1 · 练习 1.** In the explorer, choose tied, $d_k=4$, *spread norms*. Which rows' top key is off the
# diagonal? Check Cauchy–Schwarz: is the winning key's projection longer? · 在探索器中选共享、$d_k=4$、范数分散。
# 哪几行的最高分不在对角线上？胜出的 key 的投影是否更长？

# %%
st = explorer.compute(tied=True, mask_self=False, d_k=4, inputs="spread norms")
q_s = explorer.xs["spread norms"] @ explorer.w_q[:, :4]  # (T, Dh): the tied projections of the ten tokens
norms, top = q_s.norm(dim=-1), st["scores"].argmax(-1)  # (T,), (T,)
for i in (top != torch.arange(explorer.T)).nonzero().flatten().tolist():
    j = int(top[i])
    print(f"row {i}: top key {j}, ‖q_{i}‖ = {norms[i]:.2f} < ‖q_{j}‖ = {norms[j]:.2f}")
longer_or_equal = norms[:, None] >= norms[None, :]  # (T, T): ‖q_i‖ >= ‖q_j‖
print(f"self beats every key that is not longer: {bool(lesson.self_beats(q_s)[longer_or_equal].all())}")

# %% [markdown]
# "Tied tokens always attend to themselves" stops holding: a row loses its diagonal only to a *longer* key, as
# Cauchy–Schwarz says, and never to a shorter one. After a LayerNorm the norms are nearly equal, which is why the
# self-preference is strong in practice (D3).
# "共享后 token 总是关注自己"不再成立：一行只会输给投影**更长**的 key，从不输给更短的。LayerNorm 之后范数接近相等，所以实践中偏爱自己很明显。
#
# **Exercise 2 · 练习 2.** Does the ceiling depend on the length of the cycle? Draw symmetric score matrices near
# the best symmetric fit of a cycle of $K$ items and count the rows whose top key (self masked) is the successor.
# · 上限与环的长度有关吗？在环的最佳对称近似附近随机生成对称分数矩阵，数一数（屏蔽自身后）最高分指向后继的行数。

# %%
g = tl.randomness.make_generator(tl.seed(2))
for K in (2, 3, 4, 6):
    band = torch.eye(K).roll(1, dims=1)  # (K, K): row i scores its successor i + 1
    noise = 0.1 * torch.randn(2000, K, K, generator=g)  # (N, K, K)
    s = band + band.T + noise + noise.transpose(-2, -1)  # (N, K, K): symmetric, near (band + bandᵀ)
    right = (lesson.top_keys(s, exclude_self=True) == (torch.arange(K) + 1) % K).sum(-1)  # (N,)
    print(f"K = {K}: at most {int(right.max())} of {K} rows right in 2000 symmetric score matrices")

# %% [markdown]
# For $K\ge3$ the best is $K-1$ of $K$: one row is always wrong, whatever the cycle length, so the ceiling
# $(K-1)/K+1/(KV)$ rises with $K$ but never reaches 1. At $K=2$ the claim stops holding: a 2-cycle is a
# *symmetric* relation (0 reads 1, 1 reads 0), the mutual top pair is exactly right, and tied projections can
# follow it (`tl.CyclicSuccessorTask` refuses `n_keys=2` for that reason). The restriction is direction, not cycles.
# 当 $K\ge3$ 时最多 $K-1$ 行正确，总有一行错；$K=2$ 时这一说法不再成立：2-环是**对称**关系，互为最爱的那一对恰好正确。
# 限制来自"方向"，而不是"环"。
#
# **Exercise 3 · 练习 3.** Share the weight but give queries and keys separate biases, $q=xW+b_Q$, $k=xW+b_K$. Is the
# score matrix still symmetric? · 共享权重、但给 query 和 key 不同的偏置：分数矩阵还对称吗？

# %%
b = torch.randn(Dh, generator=tl.randomness.make_generator(tl.seed(1)))  # (Dh,)
shared = lesson.qk_scores(X, W_Q, b_q=b)  # one layer, weight and bias: q = k = XW + b
separate = lesson.qk_scores(X, W_Q, W_Q, b_q=b, b_k=-b)  # one weight, two biases
print(f"shared bias: asymmetry {lesson.asymmetry(shared):.3f}; two biases: {lesson.asymmetry(separate):.3f}")

# %% [markdown]
# "Tied scores are symmetric" stops holding with separate biases: $s_{ij}$ gains $x_i^\top Wb_K+b_Q^\top W^\top x_j$,
# which is not symmetric in $i, j$. So "tied" must mean one whole layer, bias included, as `share_qk=True` does;
# a shared bias keeps a Gram matrix of $[x, 1]$ (D2).
# "共享投影的分数对称"在偏置不同时不再成立。所以"共享"必须是整个线性层（连同偏置），如 `share_qk=True`；共享偏置时仍是 $[x,1]$ 的 Gram 矩阵。

# %%
quiz = viz.Quiz([
    {"question": "With W_Q = W_K = W and no bias, the score matrix XWWᵀXᵀ is … / 共享且无偏置时，分数矩阵 XWWᵀXᵀ 是……",
     "options": ["symmetric only / 仅对称", "symmetric and positive semidefinite / 对称半正定",
                 "antisymmetric / 反对称", "diagonal / 对角"], "answer": 1,
     "why": "The Gram matrix QQᵀ of Q = XW: symmetric, and uᵀQQᵀu = ‖Qᵀu‖² ≥ 0. / Q = XW 的 Gram 矩阵。"},
    {"question": "With tied Q and K, are the attention weights softmax(S) symmetric? / 共享后 softmax(S) 对称吗？",
     "options": ["Yes, always / 总是对称", "No: each row is divided by its own sum Z_i / 不对称：每行除以自己的和",
                 "Only for d_k = 1 / 仅当 d_k = 1"], "answer": 1,
     "why": "A_ij = exp(s_ij)/Z_i and A_ji = exp(s_ij)/Z_j differ when Z_i ≠ Z_j (§1). / 行和不同则不相等。"},
    {"question": "Tied, no bias: when is s_ii guaranteed to beat s_ij? / 共享、无偏置：何时保证 s_ii ≥ s_ij？",
     "options": ["Always / 总是", "When ‖Wx_i‖ ≥ ‖Wx_j‖ / 当 ‖Wx_i‖ ≥ ‖Wx_j‖", "Never / 从不"], "answer": 1,
     "why": "Cauchy–Schwarz: s_ij ≤ ‖Wx_i‖‖Wx_j‖ ≤ ‖Wx_i‖² = s_ii (up to 1/√d_k). / 柯西–施瓦茨不等式。"},
    {"question": "Reformer ties Q, K and masks self. On a cycle a → b → c → a, what does the mask fix? / "
                 "Reformer 共享并屏蔽自身，在环上它解决了什么？",
     "options": ["Everything / 全部", "The self-preference, not the symmetry / 偏爱自己，而非对称性",
                 "Nothing, it hurts / 什么都没有"], "answer": 1,
     "why": "With self masked the top score still makes a mutual pair: one row stays wrong (§3a). / 总有一行错。"},
])
quiz

# %% [markdown]
# ## 7 · Further reading · 延伸阅读
#
# - Vaswani et al. 2017, *Attention Is All You Need*, arXiv:1706.03762: §3.2, separate projections $W_i^Q, W_i^K, W_i^V$
#   per head.
# - Kitaev, Kaiser, Levskaya 2020, *Reformer: The Efficient Transformer*, arXiv:2001.04451: shared-QK attention,
#   normalised keys, and the mask that forbids attention to self unless no other key is available.
# - Kim, Papamakarios, Mnih 2021, *The Lipschitz Constant of Self-Attention*, arXiv:2006.04710: ties $W_Q=W_K$ in L2
#   self-attention to make it Lipschitz.
# - Bhojanapalli et al. 2020, *Low-Rank Bottleneck in Multi-head Attention Models*, arXiv:2002.07028: the rank of a
#   head's scores is at most $d_k$.
# - Elhage et al. 2021, *A Mathematical Framework for Transformer Circuits* (transformer-circuits.pub): the "QK circuit"
#   $W_Q^\top W_K$ read as one bilinear form.
# - reformer_fastai, *Experiments: Shared Query-Key Attention* (Weights & Biases report): a reproduction that did not
#   confirm "shared-QK is no worse".

# %% [markdown]
# ## Deep dive · 深入
#
# The rest of the evidence, still executed and asserted: what positive semidefinite means here and the rank, the
# bias, how often a token scores itself highest, and where the trained heads attend.
#
# 其余证据，照样运行并断言：半正定与秩、偏置、token 给自己打最高分的频率、训练后的头把注意力放在哪里。
#
# ### D1 · Positive semidefinite, low rank: the eigenvalues · 半正定与低秩：特征值
#
# *Positive semidefinite* means $u^\top Su\ge 0$ for every vector $u$, equivalently every eigenvalue of the symmetric
# $S$ is $\ge 0$. A Gram matrix $S=QQ^\top$ is: $u^\top QQ^\top u=\lVert Q^\top u\rVert^2$. Its rank is at most $d_k$: here
# $T=6$ tokens and $d_k=4$, so two eigenvalues are zero. (The diagonal $s_{ii}=\lVert q_i\rVert^2$ is a property of
# the Gram form, not the definition of PSD; PSD bounds each off-diagonal entry by $\sqrt{s_{ii}s_{jj}}$.) The untied
# matrix is not symmetric, so we look at its symmetric part $(S+S^\top)/2$, which decides the sign of $u^\top Su$: it
# has negative eigenvalues.
#
# 半正定指对任意向量 $u$ 有 $u^\top Su\ge0$，等价于对称矩阵的特征值全部非负；Gram 矩阵正是如此，且秩不超过 $d_k$。
# 对角线 $s_{ii}=\lVert q_i\rVert^2$ 是 Gram 形式的性质，不是半正定的定义。不共享时 $(S+S^\top)/2$ 有负特征值。

# %%
eig_tied, eig_untied = lesson.symmetric_eigenvalues(S_tied), lesson.symmetric_eigenvalues(S_untied)
fmt = lambda e: " ".join(f"{round(v, 2) + 0.0:6.2f}" for v in e.tolist())  # noqa: E731  (+0.0: no -0.00)
print(f"tied   eigenvalues of S:          {fmt(eig_tied)}")
print(f"untied eigenvalues of (S+Sᵀ)/2:   {fmt(eig_untied)}")
tol = 1e-5 * eig_tied.abs().max()
assert eig_tied.min() > -tol and int((eig_tied > tol).sum()) == Dh  # PSD, rank d_k = 4
assert eig_untied.min() < -0.1  # not PSD
i, j = torch.triu_indices(T, T, 1)  # every pair i < j
assert (S_tied[i, j] ** 2 <= S_tied[i, i] * S_tied[j, j] + 1e-5).all()  # PSD: each 2×2 minor ≥ 0

# %% [markdown]
# ### D2 · With a bias · 带偏置
#
# A real `nn.Linear` adds a bias: $q=k=Wx+b$. With one shared layer the scores are
# $(XW+\mathbf 1b^\top)(XW+\mathbf 1b^\top)^\top$: no longer $XWW^\top X^\top$, but still the Gram matrix of the augmented
# inputs $[x, 1]$ with the stacked weight $[W; b^\top]$, so still symmetric and PSD. `TinyTransformer` with
# `share_qk=True` shares the whole layer, bias included (exercise 3 gives the two biases apart).
#
# 共享整个线性层时（含偏置），分数仍是增广输入 $[x,1]$ 的 Gram 矩阵，依然对称半正定。

# %%
S_bias = lesson.qk_scores(X, W_Q, b_q=b)  # tied layer with its bias: q = k = XW + b
X1, W1 = torch.cat([X, torch.ones(T, 1)], dim=1), torch.cat([W_Q, b[None]], dim=0)  # (T, D+1), (D+1, Dh)
torch.testing.assert_close(S_bias, lesson.qk_scores(X1, W1), rtol=1e-5, atol=1e-5)  # Gram matrix of [x, 1]
print(f"shared bias: max |S − XWWᵀXᵀ/√d_k| = {(S_bias - S_tied).abs().max():.2f}, asymmetry "
      f"{lesson.asymmetry(S_bias):.3f}, smallest eigenvalue "
      f"{round(lesson.symmetric_eigenvalues(S_bias).min().item(), 2) + 0.0:.2f}")
assert (S_bias - S_tied).abs().max() > 0.1 and lesson.asymmetry(S_bias) < 1e-6
assert lesson.symmetric_eigenvalues(S_bias).min() > -1e-4 and lesson.asymmetry(separate) > 0.05

# %% [markdown]
# ### D3 · How often does a token score itself highest? · token 多常给自己打最高分？
#
# Ten tokens, 100 random draws of $X$ and $W$ for each $d_k$; the fraction of rows whose top score is on the diagonal.
# Four settings: tied with equal norms, tied with spread norms, untied, and tied with Reformer's normalised keys
# ($k_j=q_j/\lVert q_j\rVert$). Chance is $1/T=0.10$.
#
# 每个 $d_k$ 随机抽取 100 组 $X$ 和 $W$，统计最高分落在对角线上的行的比例。

# %%
D_KS, T10, D32, N_DRAWS = (1, 2, 4, 8, 16, 64), 10, 32, 100
SETTINGS = {  # name -> (inputs, tied, normalised keys)
    "tied, equal norms": ("equal norms", True, False),
    "tied, spread norms": ("spread norms", True, False),
    "untied, equal norms": ("equal norms", False, False),
    "tied, normalised keys": ("spread norms", True, True),
}
rates = {name: [] for name in SETTINGS}
cs_holds, cs_pairs, self_wins_anyway, key_longer_pairs = 0, 0, 0, 0
for d_k in D_KS:
    per = {name: [] for name in SETTINGS}
    for seed in (tl.seed(i) for i in range(N_DRAWS)):
        xs = {kind: lesson.qk_inputs(kind, T10, D32, seed) for kind in ("equal norms", "spread norms")}
        w_q, w_k = lesson.random_qk_weights(D32, d_k, seed)
        for name, (kind, tied, normalised) in SETTINGS.items():
            s = lesson.qk_scores(xs[kind], w_q, None if tied else w_k, normalize_keys=normalised)  # (T, T)
            per[name].append(lesson.self_argmax_rate(s, tol=1e-5))  # a tie within rounding counts for self
        q_s = xs["spread norms"] @ w_q  # (T, Dh): Cauchy–Schwarz, pair by pair
        norms = q_s.norm(dim=-1)  # (T,)
        own_longer = norms[:, None] >= norms[None, :]  # (T, T): ‖q_i‖ >= ‖q_j‖
        beats = lesson.self_beats(q_s)  # (T, T): q_i·q_i >= q_i·q_j
        cs_holds, cs_pairs = cs_holds + int(beats[own_longer].sum()), cs_pairs + int(own_longer.sum())
        self_wins_anyway += int(beats[~own_longer].sum())
        key_longer_pairs += int((~own_longer).sum())
    for name in SETTINGS:
        rates[name].append(torch.stack(per[name]).mean().item())

print(f"{'d_k':>28s} " + " ".join(f"{d:5d}" for d in D_KS))
for name, r in rates.items():
    print(f"{name:>28s} " + " ".join(f"{x:5.2f}" for x in r))
print(f"Cauchy–Schwarz: self beats every key with a shorter or equal q in {cs_holds} of {cs_pairs} pairs; "
      f"against a longer q it still wins in {self_wins_anyway / key_longer_pairs:.0%} "
      f"of {key_longer_pairs} pairs")

te, ts, un, rf = (rates[n] for n in SETTINGS)
assert cs_holds == cs_pairs  # the inequality, never violated
assert 0.1 < self_wins_anyway / key_longer_pairs < 0.99  # ...and without it, self sometimes loses
assert all(a <= b + 0.02 for a, b in zip(te, te[1:])) and te[-1] > 0.95 and te[0] <= 0.2 + 1e-6  # rises
assert all(t > s_ for t, s_ in zip(te[2:], ts[2:]))  # spread norms: more rows lose to a longer key
assert all(t > u + 0.1 for t, u in zip(te[1:], un[1:])) and max(un) < 0.2  # untied: about chance
assert min(rf) == 1.0  # normalised keys: always self (q_i·k_j = ‖q_i‖cos θ ≤ ‖q_i‖; parallel q's tie)

# %% [markdown]
# So the diagonal of a tied score matrix is large, but it is the row maximum only *often*: almost always
# when $d_k$ is large and the norms are equal (random directions in many dimensions are nearly orthogonal,
# so cross-scores are small), much less when the norms differ or $d_k$ is small. At $d_k=1$ the scores
# are $q_iq_j$, so every row's top key is the largest or the smallest $q_j$: at most two tokens pick
# themselves. With Reformer's normalised keys self wins *always*: that is the case Reformer's mask was
# made for.

#
# 共享时对角线很大，但只是"经常"是行最大值：$d_k$ 大且范数相等时几乎总是；范数不同或 $d_k$ 小时少得多。Reformer 归一化 key 后则总是自己。
#
# ### D4 · Where the attention goes on the cycle · 环上注意力的去向
#
# On the 512 held-out sequences: the mean attention weight each item puts on its **successor** (right), its
# **predecessor** (the item that looks at it: wrong), and **itself**; then each row's top key read from the model's
# own pre-softmax scores (`lesson.model_head_scores`), and how many of the four rows pick the successor.
#
# 在留出序列上：每个条目放在后继（正确）、前驱（错误）和自己身上的平均注意力权重，以及每个序列有几行的最高分指向后继。

# %%
cyclic.attention_summary()

# %% [markdown]
# Two facts do not depend on training, so they are exact asserts over every seed's model: tied scores are
# symmetric, and the theorem of §3a caps the right rows at three of four in *every* sequence. And the tied model
# underfits: its loss on the sequences it trained on is about its held-out loss.
#
# 两个与训练无关的事实在每个种子的模型上精确断言：共享的分数对称；定理保证每个序列至多三行正确。

# %%
K = lesson.CYCLE.n_keys
for variant in ("tied", "tied + self-mask"):  # exact, in every seed's model, whatever the training did
    assert max(cyclic.per_seed(variant, "asym")) < 1e-5  # tied scores are symmetric (up to float rounding)
    assert max(cyclic.per_seed(variant, "right_max")) <= K - 1  # the theorem: never all four rows right
assert all(x == 0.0 for x in cyclic.per_seed("tied + self-mask", "self"))  # the mask leaves no weight on self
n_params = {v: sum(p.numel() for p in cyclic.runs[v].models[0].parameters()) for v in lesson.VARIANTS}
mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
print(f"parameters {n_params}")
print(f"tied and tied + self-mask, all {len(cyclic.seeds)} seeds: ‖S − Sᵀ‖/‖S‖ < 1e-5, at most {K - 1} of "
      f"{K} rows right in every one of the {lesson.TRAIN.eval_size} held-out sequences")
print(f"tied: loss on the sequences it trained on {tl.approx(mean(cyclic.per_seed('tied', 'train_loss')))}, "
      f"held-out {tl.approx(mean(cyclic.runs['tied'].final_loss))}; untied held-out "
      f"{tl.approx(mean(cyclic.runs['untied'].final_loss))} (means of {len(cyclic.seeds)} seeds)")
