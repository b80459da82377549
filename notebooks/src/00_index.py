# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # transformer_lab · Eight Transformer interview questions, answered with code you can run
#
# **Transformer 八股的八个经典问题，每个答案都是可以运行、可以拖动、可以验证的代码。**
#
# Each notebook below answers one classic interview question about the Transformer. It builds the
# mechanism with the `transformer_lab` package and checks it against PyTorch's built-in, lets you
# move it with an interactive explorer, measures the claim on a small experiment that runs in
# seconds on a laptop CPU, and checks what the source note (a Chinese study note, 2023) says about
# it. Every claim is an `assert`: when it stops holding, the notebook fails its tests.
#
# 下面每个 notebook 回答一个经典面试题：用 `transformer_lab` 实现机制并与 PyTorch 内置实现对照，
# 用交互式控件观察它，在 CPU 上几秒钟跑完的小实验里测量结论，并逐条核对原笔记的说法。
# 每个结论都是代码里的 `assert`：结论不成立时，notebook 的测试就会失败。

# %% [markdown]
# ## How to run it · 怎么运行
#
# - **Here, in JupyterLab**: open a notebook below and run all cells (*Run › Run All Cells*).
#   From a clone, `make lab` installs everything and opens JupyterLab on `127.0.0.1` with its token on.
# - **Binder or Colab**: the badges in the repository's README open this lab in the cloud. On Colab,
#   run a notebook's first code cell: it installs the package (on Colab only; elsewhere it does nothing).
# - **Classroom**: `make classroom` serves each notebook's main explorer alone on a full-width page
#   (Voilà, loopback, with a token), for a projector.
# - **Read only**: the notebooks are committed with their outputs, so they read on GitHub;
#   `make html` exports them all to HTML with every figure.
#
# ---
#
# - **在 JupyterLab 里**：打开下面任一 notebook，运行全部单元格（*Run › Run All Cells*）。在克隆的仓库里，
#   `make lab` 会安装依赖并在 `127.0.0.1` 上启动带 token 的 JupyterLab。
# - **Binder 或 Colab**：README 里的徽章可在云端打开本项目。在 Colab 上先运行 notebook 的第一个代码单元格：
#   它只在 Colab 上安装本项目的包，在别处什么也不做。
# - **课堂模式**：`make classroom` 把每个 notebook 的主控件单独放在一个全宽页面上（Voilà，仅本机，带 token），适合投影。
# - **只读**：notebook 连同输出一起提交，可以直接在 GitHub 上阅读；`make html` 把全部 notebook 导出为保留所有图的 HTML。

# %%
# Colab only: install this lab's package (torch, numpy, matplotlib and ipywidgets come with Colab).
# Anywhere else this cell does nothing and prints nothing.
import sys

if "google.colab" in sys.modules:
    %pip install -q "transformer_lab @ git+https://github.com/OWNER/transformer_lab"
    from google.colab import output

    output.enable_custom_widget_manager()

# %% [markdown]
# ## The eight questions · 八个问题
#
# | # | question | 问题 | notebook |
# |---|---|---|---|
# | 01 | Why multi-head attention rather than one head? | 为何使用多头注意力机制？为什么不用一个头？ | [01_multi_head](01_multi_head.ipynb) |
# | 02 | Why do Q and K use different weight matrices? | 为什么Q和K使用不同的权重矩阵生成？ | [02_qk_weights](02_qk_weights.ipynb) |
# | 03 | Additive vs dot-product vs scaled dot-product attention; why divide by √d_k? | 有哪些不同类型的注意力？为什么要除以√d_k？ | [03_attention_scores](03_attention_scores.ipynb) |
# | 04 | How is padding masked in the attention scores? | 计算attention score时如何对padding做mask？ | [04_padding_mask](04_padding_mask.ipynb) |
# | 05 | Why does each head work in d_model/h dimensions? | 为什么要对每个head进行降维？ | [05_head_dim](05_head_dim.ipynb) |
# | 06 | Why multiply the embeddings by √d_model? | 为何要对embedding乘以embedding size的开方？ | [06_embedding_scale](06_embedding_scale.ipynb) |
# | 07 | What is the sinusoidal positional encoding, and what can it do? | 简单介绍一下Transformer的位置编码？有什么意义和优缺点？ | [07_sinusoidal_pe](07_sinusoidal_pe.ipynb) |
# | 08 | Which other positional encodings exist, and which extrapolate? | 还有哪些位置编码技术？各自的优缺点是什么？ | [08_other_pe](08_other_pe.ipynb) |
#
# The one-minute answer of each, in English and in Chinese. Each notebook measures and asserts it,
# with the details and the caveats.
#
# 每个问题的一分钟答案（中英文）；细节和例外在各自的 notebook 里实测并 `assert`。

# %% [markdown]
# ### [01 · Why multi-head attention rather than one head?](01_multi_head.ipynb)
#
# - One head computes one softmax per query, so it returns **one weighted average** of the values: a token
#   that needs two things at once (the previous token *and* a token found by content) gets a blend of both.
# - h heads, each projecting into its own $d_{model}/h$ subspace, give h attention patterns for the
#   parameters and FLOPs of **one** full-width head; $W_O$ mixes their outputs.
# - On a toy task that needs two relations at once, one head falls behind several heads of the same size, and the
#   heads specialise. Not every head is needed: some can be switched off at little cost.
#
# **一分钟答案**：一个头对每个 query 只做一次 softmax，只得到**一个加权平均**，同时需要两样信息（前一个 token
# 和按内容找到的 token）时只能把两者混在一起。h 个头各自投影到 $d_{model}/h$ 维子空间，用**一个**全宽头的参数量和
# 计算量得到 h 种注意力模式，再由 $W_O$ 融合。在同时需要两种关系的玩具任务上，单头不如同等规模的多头，各头会分工；
# 但并非每个头都必要，有些头关掉几乎不影响结果。

# %% [markdown]
# ### [02 · Why do Q and K use different weight matrices?](02_qk_weights.ipynb)
#
# - With one matrix, $S = XWW^\top X^\top/\sqrt{d_k}$ is a Gram matrix: **symmetric** and positive
#   semidefinite. Separate $W_Q, W_K$ allow any bilinear form of rank $\le d_k$; tying is a special case.
# - Symmetric scores cannot express **directed** relations well (a cycle $a\to b\to c\to a$ always has a
#   wrong link), and tokens tend to score **themselves** highest.
# - The weights after the row softmax are not symmetric. Reformer ties $W_Q=W_K$ on purpose and masks
#   attention to self: that removes the self-preference, not the symmetry.
#
# **一分钟答案**：共享一个矩阵时 $S=XWW^\top X^\top/\sqrt{d_k}$ 是 Gram 矩阵，**对称**且半正定；分开的
# $W_Q,W_K$ 可以表示任意秩 $\le d_k$ 的双线性形式，共享只是特例。对称分数难以表达**有方向**的关系（环
# $a\to b\to c\to a$ 总有一条边错），而且 token 倾向于给**自己**打最高分。softmax 之后的权重并不对称；Reformer
# 故意共享 $W_Q=W_K$ 并禁止关注自己，这去掉的是"偏爱自己"，不是对称性。

# %% [markdown]
# ### [03 · Additive, dot-product and scaled dot-product attention; why divide by √d_k?](03_attention_scores.ipynb)
#
# - **Additive** $v^\top\tanh(W_q q + W_k k)$ is a small MLP per (query, key) pair; **dot** is $q^\top k$;
#   **scaled dot** is $q^\top k/\sqrt{d_k}$.
# - Same order of FLOPs, but dot product is one matrix multiply, while additive builds an $n\times n\times d$
#   tensor: slower, and far more memory.
# - With unit-variance entries $\operatorname{Var}(q\cdot k)=d_k$: large $d_k$ saturates the softmax and its
#   gradient vanishes. Dividing by $\sqrt{d_k}$ restores unit variance, which is why scaled dot product
#   closes the gap that additive attention has over *unscaled* dot product at large $d_k$.
#
# **一分钟答案**：**加性**注意力 $v^\top\tanh(W_q q+W_k k)$ 对每对 (query, key) 做一个小 MLP；**点积**是
# $q^\top k$；**缩放点积**是 $q^\top k/\sqrt{d_k}$。计算量同阶，但点积是一次矩阵乘法，加性要构造
# $n\times n\times d$ 的张量，更慢、更占内存。分量方差为 1 时 $\operatorname{Var}(q\cdot k)=d_k$，$d_k$ 大时
# softmax 饱和、梯度消失；除以 $\sqrt{d_k}$ 使方差回到 1，所以缩放点积能追上大 $d_k$ 时胜过**未缩放**点积的加性注意力。

# %% [markdown]
# ### [04 · How is padding masked in the attention scores?](04_padding_mask.ipynb)
#
# - Before the softmax, the scores of the **pad keys** (columns) go to $-\infty$: real queries give them
#   weight 0, and their outputs no longer depend on the padding.
# - PyTorch has two opposite conventions: `F.scaled_dot_product_attention` takes True = *take part*,
#   `nn.MultiheadAttention`'s `key_padding_mask` takes True = *ignore*.
# - A query with no key left becomes NaN under $-\infty$. "-1000 is enough" holds when it *replaces* the
#   scores, not always when it is *added*; -1e9 does not fit in float16; `torch.finfo(dtype).min` is safe.
#   Mask the loss and any pooling too.
#
# **一分钟答案**：softmax 之前把 **pad 作为 key 的列**的分数置为 $-\infty$，真实 query 对它们的权重为 0，
# 输出不再依赖 padding。PyTorch 有两套相反的约定：`F.scaled_dot_product_attention` 中 True = *参与*，
# `nn.MultiheadAttention` 的 `key_padding_mask` 中 True = *屏蔽*。没有任何可见 key 的行在 $-\infty$ 下变成 NaN；
# "-1000 就够了"在**替换**分数时成立，**加到**分数上时未必；-1e9 在 float16 中放不下，`torch.finfo(dtype).min`
# 才安全。损失和池化也要 mask。

# %% [markdown]
# ### [05 · Why does each head work in d_model/h dimensions?](05_head_dim.ipynb)
#
# - To keep the cost of h heads equal to the cost of one: with $d_k=d_{model}/h$ the projections hold
#   $4d_{model}^2$ parameters whatever h is; full-width heads would cost h times as much.
# - So the reduction does not save computation compared with one head; it makes several heads free.
#   The number of attention weights, $h\cdot n^2$, still grows with h.
# - The price: each head's score matrix has rank at most $d_k$ (the low-rank bottleneck). One head is
#   worse, and so are very many tiny heads: h is a trade-off.
#
# **一分钟答案**：为了让 h 个头的总成本等于一个头：$d_k=d_{model}/h$ 时，投影参数总是 $4d_{model}^2$，与 h 无关；
# 全宽的头要贵 h 倍。所以降维并不比单头更省，而是让多头不额外花钱；注意力权重的个数 $h\cdot n^2$ 仍随 h 增长。
# 代价是每个头的分数矩阵秩不超过 $d_k$（低秩瓶颈）。单头差，头太多、每个头太窄也差：h 是一个折中。

# %% [markdown]
# ### [06 · Why multiply the embeddings by √d_model?](06_embedding_scale.ipynb)
#
# - The paper scales the embeddings by $\sqrt{d_{model}}$ and ties them to the output layer without
#   saying why. The scale only makes sense next to the **initialisation** and the **positional encoding**
#   added to it, whose norm is $\sqrt{d/2}$.
# - With $E\sim N(0, 1/d)$ (fairseq, tensor2tensor) the scale brings token embeddings to the size of the
#   positional encoding, while the tied output layer keeps small weights and small initial logits.
# - With PyTorch's default $N(0,1)$ it does the opposite and drowns the positions. Xavier does **not**
#   give variance $1/d$: for a $V\times d$ matrix it gives $2/(V+d)$.
#
# **一分钟答案**：论文把词向量乘以 $\sqrt{d_{model}}$ 并与输出层共享，却没有解释原因。这个缩放要结合
# **初始化方式**和与之相加、范数为 $\sqrt{d/2}$ 的**位置编码**来看：若 $E\sim N(0,1/d)$（fairseq、tensor2tensor），
# 缩放后词向量与位置编码同一量级，共享权重的输出层仍保持小权重、小的初始 logits；若用 PyTorch 默认的 $N(0,1)$，
# 缩放反而淹没位置信息。Xavier 的方差也**不是** $1/d$，对 $V\times d$ 矩阵是 $2/(V+d)$。

# %% [markdown]
# ### [07 · The sinusoidal positional encoding](07_sinusoidal_pe.ipynb)
#
# - Self-attention without positions is permutation-equivariant: order has to be put in. The paper
#   adds a fixed table: $PE(pos,2i)=\sin(pos/10000^{2i/d})$, $PE(pos,2i+1)=\cos(pos/10000^{2i/d})$.
# - Each pair of dimensions turns on a circle at its own speed, wavelengths growing geometrically from
#   $2\pi$; no parameters. For every offset $k$ a fixed rotation $M_k$ gives $PE(pos+k)=M_k\,PE(pos)$.
# - $PE(pos)\cdot PE(pos+k)$ depends on $|k|$ only: **no direction**, and it is **not monotonic** in $k$;
#   after the $W_Q$, $W_K$ projections the pattern is mostly gone.
#
# **一分钟答案**：不加位置的自注意力是置换等变的，顺序必须显式注入；论文加上一张固定的表：
# $PE(pos,2i)=\sin(pos/10000^{2i/d})$，$PE(pos,2i+1)=\cos(pos/10000^{2i/d})$。每对维度以各自的角速度在圆上旋转，
# 波长从 $2\pi$ 几何增长，没有参数；对任意偏移 $k$ 有只依赖 $k$ 的旋转 $M_k$ 使 $PE(pos+k)=M_k\,PE(pos)$。
# $PE(pos)\cdot PE(pos+k)$ 只依赖 $|k|$：**没有方向**，而且随 $k$ **不单调**；经过 $W_Q$、$W_K$ 投影后这一模式基本消失。

# %% [markdown]
# ### [08 · Other positional encodings, and which ones extrapolate](08_other_pe.ipynb)
#
# - Position enters in one of three places: **added to the input** (learned table, sinusoids, the note's
#   [0, 1] and raw-index codes), **rotating q and k** (RoPE), or **a bias on the scores** (Shaw's relative
#   positions, T5 buckets, ALiBi); or nowhere (NoPE), which a causal mask partly makes up for.
# - Rotations and score biases depend on the offset only (translation invariant); codes added to the
#   input do not. A learned table adds parameters and stops at its maximum length.
# - Train short, test long: ALiBi's fixed, decaying bias keeps working past the training length;
#   sinusoids break right after it, a learned table has no trained rows there, and RoPE sits in
#   between (the shape of the ALiBi paper's Figure 1, measured on a toy task).
#
# **一分钟答案**：位置信息可以**加在输入上**（可学习的位置表、正弦编码、笔记里的 [0,1] 归一化和整数下标）、
# **旋转 q 和 k**（RoPE），或作为**注意力分数上的偏置**（Shaw 相对位置、T5 分桶、ALiBi），也可以不加（NoPE），
# 因果 mask 能部分弥补。后两类只依赖相对偏移（平移不变），加在输入上的方案不是；可学习位置表有参数，
# 且无法超过最大长度。短训练、长测试时，ALiBi 的固定衰减偏置在训练长度之外依然有效；正弦编码一过训练长度就变差，可学习表在那里没有训练过的行，
# RoPE 介于两者之间（玩具任务上复现 ALiBi 论文图 1 的形状）。

# %% [markdown]
# ## How every notebook is built · 每个 notebook 的结构
#
# The question in English and Chinese → a one-minute answer → **Build it** (the mechanism from
# `transformer_lab`, checked against PyTorch) → **See it** (an explorer, with a static figure under
# it) → **Measure it** (experiments whose claims are asserted) → **What the note claims, checked**
# (a table of verdicts computed from the run) → an interview answer with follow-ups → exercises and a
# quiz → further reading.
#
# 问题（中英文）→ 一分钟答案 → **实现**（`transformer_lab` 实现并与 PyTorch 对照）→ **观察**（交互控件，下方附静态图）
# → **测量**（实验结论全部 `assert`）→ **核对笔记的说法**（由运行结果计算出的结论表）→ 面试回答与追问 → 练习与小测 → 延伸阅读。
#
# The source note's claims, numbered, and where each is checked: `seeds/README.md` in the repository.
