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
# it. Every claim is an `assert`: when it stops holding, the notebook fails its tests. Each notebook is a
# lesson a teacher presents in 20 minutes, then a *Deep dive · 深入* with the rest of the evidence.
#
# 下面每个 notebook 回答一个经典面试题：用 `transformer_lab` 实现机制并与 PyTorch 内置实现对照，
# 用交互式控件观察它，在 CPU 上几秒钟跑完的小实验里测量结论，并逐条核对原笔记的说法。
# 每个结论都是代码里的 `assert`：结论不成立时，notebook 的测试就会失败。

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
# %config InlineBackend.figure_formats = ["retina"]
from transformer_lab.lessons import LESSONS, guide, load_all

lessons = {name[1:3]: module for name, module in zip(LESSONS, load_all())}  # "01" -> its lesson

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

# %% [markdown]
# ## Reading guide · 阅读指南
#
# A suggested order: **03 → 04** (masking acts on the scores and the softmax of 03), **01 ↔ 05** (two halves
# of one question: why several heads, and why each is narrow), **02** on its own, **06 → 07 → 08** (the
# embeddings, then the positions added to them, then the other ways to give positions). Reading time is
# computed from each notebook's main path (up to its deep dive); the run time is what the last build took
# on the lab's 2-core machine, yours will differ.
#
# 建议顺序：**03 → 04**（mask 作用在 03 讲的分数和 softmax 上），**01 ↔ 05**（同一个问题的两半：为什么要多个头、
# 为什么每个头要降维），**02** 可以单独读，**06 → 07 → 08**（先是词向量，再是加在它上面的位置编码，最后是其他位置编码）。
# 阅读时间按每个 notebook 的主线（"深入"之前）计算；运行时间是上次在 2 核机器上构建的耗时，你的机器上会不同。

# %%
guide.reading_guide(".")

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
# Each question's 30-second answer, quoted from its notebook, and the notebook's schematic: the picture
# to have in mind. The notebook builds it, measures it and asserts it, with the caveats.
#
# 每个问题的 30 秒回答（原样引自各自的 notebook）和该 notebook 的示意图；细节、实测和例外都在 notebook 里。

# %% [markdown]
# ### [01 · Why multi-head attention rather than one head?](01_multi_head.ipynb)
#
# **为何使用多头注意力机制？为什么不用一个头？**
#
# - One head gives each query **one softmax**: one weighted average of the values. Vaswani et al.:
#   "with a single attention head, averaging inhibits this."
# - $h$ heads in $d_{model}/h$ subspaces give $h$ patterns at one head's cost; $W_O$ mixes them.
# - Here, a task needing two relations at once: 8 heads learn it, 1 head mostly not.
#
# ---
#
# - 单头注意力对每个 query 只做**一次 softmax**，输出只是 value 的**一个加权平均**。原论文：“只用一个注意力头时，
#   平均会抑制这一点”（即同时关注不同子空间、不同位置的信息）。
# - h 个头各自投影到 $d_{model}/h$ 维子空间，用一个全宽头的参数量和计算量得到 h 种注意力模式，再由 $W_O$ 融合。
# - 本文实测：在同时需要两种关系的任务上，8 个头在每个种子上都学会了，单头大多学不会。

# %%
lessons['01'].schematic()

# %% [markdown]
# ### [02 · Why do Q and K use different weight matrices?](02_qk_weights.ipynb)
#
# **为什么Q和K使用不同的权重矩阵生成？**
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

# %%
lessons['02'].schematic()

# %% [markdown]
# ### [03 · Additive vs dot-product vs scaled dot-product attention; why divide by √d_k?](03_attention_scores.ipynb)
#
# **有哪些不同类型的注意力？为什么要除以√d_k？**
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

# %%
lessons['03'].schematic()

# %% [markdown]
# ### [04 · How is padding masked in the attention scores?](04_padding_mask.ipynb)
#
# **计算attention score时如何对padding做mask？**
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

# %%
lessons['04'].schematic()

# %% [markdown]
# ### [05 · Why does each head work in d_model/h dimensions?](05_head_dim.ipynb)
#
# **为什么要对每个head进行降维？**
#
# - With $d_k = d_{model}/h$, h heads cost what **one** full-width head costs: $4d^2$ parameters and
#   $8nd^2+4n^2d$ FLOPs, whatever h is. Full-width heads would cost h times more.
# - So the split makes several heads free; it does not save computation. Only the $h\cdot n^2$ weights grow.
# - The price: each head's scores have rank $\le d_k$ (the low-rank bottleneck), so h is a trade-off.
#
# ---
#
# - 取 $d_k=d_{model}/h$ 时，h 个头的总成本等于**一个**全宽的头：参数 $4d^2$，矩阵乘法 $8nd^2+4n^2d$ FLOPs，与 h 无关；
#   每个头都全宽则成本是 h 倍。
# - 所以降维不是为了省计算，而是让多头**不额外花钱**；只有 $h\cdot n^2$ 个注意力权重随 h 增长。
# - 代价：每个头的分数矩阵秩不超过 $d_k$（低秩瓶颈），所以头数 h 是一个折中。

# %%
lessons['05'].schematic()

# %% [markdown]
# ### [06 · Why multiply the embeddings by √d_model?](06_embedding_scale.ipynb)
#
# **为何要对embedding乘以embedding size的开方？**
#
# - The paper scales token embeddings by $\sqrt{d}$ without saying why; it only makes sense with the
#   initialisation and the positional encoding added next, whose norm is $\sqrt{d/2}$.
# - With $E\sim N(0,1/d)$ it makes tokens as large as positions; with PyTorch's $N(0,1)$ it drowns them.
# - Xavier gives $2/(V+d)$, not $1/d$; tied to the output, ×√d makes the untrained model copy its input.
#
# ---
#
# - 论文把词向量乘以 $\sqrt{d}$ 却没说原因；它只有结合**初始化方式**和随后相加的**位置编码**（范数 $\sqrt{d/2}$）才有意义。
# - 若 $E\sim N(0,1/d)$，乘 √d 后词向量与位置编码同一量级；若用 PyTorch 默认的 $N(0,1)$，乘 √d 反而淹没位置信息。
# - Xavier 的方差是 $2/(V+d)$ 而不是 $1/d$；与输出层**共享权重**时，乘 √d 让未训练的模型倾向于复制输入词。

# %%
lessons['06'].schematic()

# %% [markdown]
# ### [07 · What is the sinusoidal positional encoding, and what can it do?](07_sinusoidal_pe.ipynb)
#
# **简单介绍一下Transformer的位置编码？有什么意义和优缺点？**
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

# %%
lessons['07'].schematic()

# %% [markdown]
# ### [08 · Which other positional encodings exist, and which extrapolate?](08_other_pe.ipynb)
#
# **还有哪些位置编码技术？各自的优缺点是什么？**
#
# - Position enters in three places: added to the input (learned table, sinusoids), rotating $q$, $k$ (RoPE),
#   or biasing the scores (Shaw, T5, ALiBi).
# - Rotations and biases see only the offset; a learned table costs max_len·d parameters and ends at max_len.
# - Trained short, tested long: ALiBi degrades least; sinusoids, RoPE and T5 more.
#
# ---
#
# - 位置信息有三个入口：**加在输入上**（可学习位置表、正弦位置编码），**旋转 q、k**（旋转位置编码 RoPE），
#   或**注意力分数上的偏置**（Shaw、T5、ALiBi）。
# - 旋转和偏置只看相对位置（平移不变）；可学习位置表要 max_len·d 个参数，超过 max_len 就无法使用。
# - 短训练、长测试（外推）：ALiBi 变差最少；正弦位置编码、RoPE、T5 变差更多。

# %%
lessons['08'].schematic()
