# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 06 · Why multiply the embeddings by √d_model?
#
# **为何在获取输入词向量之后需要对矩阵乘以embedding size的开方？意义是什么？**
#
# Part of *transformer_lab*. Every number below is computed when the notebook runs, and every claim
# is an `assert`: if it stops holding, the notebook fails its tests.

# %% [markdown]
# ## One-minute answer · 一分钟答案
#
# - The paper (§3.4) multiplies the token embeddings by $\sqrt{d_{model}}$ and shares the matrix with
#   the output layer, without saying why. The scale only means something next to **how the matrix was
#   initialised** and **what is added to it**: the sinusoidal encoding, whose norm is $\sqrt{d/2}$ at every position.
# - With $E\sim N(0, 1/d)$ (fairseq, tensor2tensor) a token embedding has norm ≈ 1; ×√d brings it to
#   ≈ √d, the size of the positional encoding, while the *tied* output layer keeps small weights, so the
#   initial logits stay of order 1 (Press & Wolf 2017).
# - With PyTorch's default $N(0,1)$, ×√d does the opposite: tokens become $\sqrt{2d}$ times larger than
#   the positions and drown them. A toy model that must use positions fails, pre-LN or post-LN.
# - Xavier does **not** give variance $1/d$: for a $V\times d$ matrix it gives $2/(V+d)$, about 32 times
#   smaller than $1/d$ at $V=32000, d=512$.
# - Under Adam the scale is also a learning-rate multiplier: it moves the input embedding √d times faster.
#
# ---
#
# - 论文（§3.4）把词向量乘以 $\sqrt{d_{model}}$，并与输出层共享矩阵，但没有解释原因。这个缩放只有结合
#   **矩阵的初始化方式**和**与之相加的位置编码**才有意义：正弦位置编码在每个位置的范数都是 $\sqrt{d/2}$。
# - 若 $E\sim N(0,1/d)$（fairseq、tensor2tensor 的做法），词向量范数约为 1，乘 √d 后约为 √d，与位置编码同一量级；
#   同时共享权重的输出层保持小权重，初始 logits 为 1 的量级（Press & Wolf 2017）。
# - 若用 PyTorch 默认的 $N(0,1)$，乘 √d 适得其反：词向量比位置编码大 $\sqrt{2d}$ 倍，位置信息被淹没；
#   需要位置信息的玩具任务在 pre-LN 和 post-LN 下都学不会。
# - Xavier 初始化的方差**不是** $1/d$：对 $V\times d$ 矩阵是 $2/(V+d)$，在 $V=32000,d=512$ 时约为 $1/d$ 的 1/32。
# - 在 Adam 下，这个缩放还相当于把嵌入的学习率放大 √d 倍。

# %% [markdown]
# ## 1 · Build it
#
# Shape legend: **V** vocabulary, **D** model width ($d_{model}$), **B** batch, **T** positions.
#
# The token embedding is a lookup in a matrix `E (V, D)`; the model's input is
# `E[tokens] · √D + PE[:T]` when `ModelConfig(embed_scale=True)`. What does PyTorch start `E` from?

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
import math
import os

import torch
import torch.nn.functional as F
from IPython.display import Image, Markdown, display
from torch import nn

import transformer_lab as tl
from transformer_lab import embedding, plots
from transformer_lab.widgets import EmbeddingScaleExplorer, Quiz

torch.set_num_threads(1)  # same numbers on every machine (thread count changes float sums); tiny models lose little
torch.manual_seed(0)

default = nn.Embedding(8000, 256).weight.detach()  # (V, D): PyTorch's default initialisation
fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(torch.empty(8000, 256))
print(f"nn.Embedding(8000, 256): mean {default.mean().item():+.3f}, variance {default.var().item():.3f}  -> N(0, 1)")
print(f"xavier_normal_ on a (V, D) weight: fan_in = {fan_in} (= D), fan_out = {fan_out} (= V), "
      f"variance 2/(fan_in + fan_out) = {2 / (fan_in + fan_out):.2e}")
assert abs(default.var().item() - 1) < 0.01
assert (fan_in, fan_out) == (256, 8000)

# %% [markdown]
# `embedding.embedding_matrix(init, V, D, seed)` is exactly the matrix `tl.build_model` starts from
# (`ModelConfig.embed_init`), and the model's input is that lookup, times √D, plus the sinusoids:

# %%
V_toy, D_toy, T_toy = 16, 64, 8
for init in embedding.EMBED_INITS:
    cfg = tl.ModelConfig(vocab_size=V_toy, d_model=D_toy, n_heads=1, d_ff=0, max_len=T_toy, embed_init=init, embed_scale=True)
    model = tl.build_model(cfg, seed=0)
    E = embedding.embedding_matrix(init, V_toy, D_toy, seed=0)  # (V, D)
    torch.testing.assert_close(model.embed.weight.detach(), E, atol=0, rtol=0)
    tokens = tl.ReverseTask(V_toy, T_toy).batch(4, seed=0)[0]  # (B, T)
    _, cache = model(tokens, return_cache=True)
    expected = F.embedding(tokens, E) * math.sqrt(D_toy) + tl.sinusoidal_encoding(T_toy, D_toy)  # (B, T, D)
    torch.testing.assert_close(cache["embed"], expected)
    print(f"{init:14s} E {tuple(E.shape)}: the model's weights, and its input = E[tokens]·√{D_toy} + PE  ✓")

# %% [markdown]
# The variance of one entry, in closed form and measured, at a realistic size ($V=32000$, $d=512$, the
# base model's width). Every entry is drawn i.i.d., so 4000 rows have the distribution of the whole
# matrix (`embedding.sample_token_embeddings`); the norm of the sinusoidal encoding is exactly
# $\sqrt{d/2}=16$ at every position.

# %%
V, D = 32000, 512
pe_rows = tl.sinusoidal_encoding(100, D).double()
assert torch.allclose(pe_rows.norm(dim=1), torch.full((100,), embedding.positional_norm(D), dtype=torch.float64), atol=1e-4)
print(f"‖PE(pos)‖ = {embedding.positional_norm(D):.1f} for every one of 100 positions; V = {V}, D = {D}\n")
print(f"{'init':14s} {'scale':>5s} | {'Var closed form':>15s} {'measured':>10s} | {'‖token‖':>8s} {'‖PE‖':>5s} {'ratio':>7s}")
stats = {}
for init in embedding.EMBED_INITS:
    rows = embedding.sample_token_embeddings(init, V, D, n_tokens=4000, seed=0)  # (N, D)
    for scale in (False, True):
        s = embedding.embedding_stats(rows, scale=scale)
        predicted = embedding.embedding_variance(init, V, D, scale)
        stats[init, scale] = {**s, "predicted": predicted}
        print(f"{init:14s} {'×√d' if scale else '-':>5s} | {predicted:15.3g} {s['variance']:10.3g} | "
              f"{s['mean_norm']:8.2f} {s['pe_norm']:5.1f} {s['ratio']:7.3f}")
        assert abs(s["variance"] / predicted - 1) < 0.02
        assert abs(s["ratio"] / embedding.predicted_norm_ratio(init, V, D, scale) - 1) < 0.02
xavier_vs_note = (1 / D) / embedding.init_variance("xavier", V, D)
print(f"\nXavier's variance is 1/{1 / embedding.init_variance('xavier', V, D):.0f}; the note's 1/d would be 1/{D}: "
      f"{xavier_vs_note:.1f} times larger")
assert xavier_vs_note > 20

# %% [markdown]
# Read the last column. Only two settings put the token and the position on the same footing
# (ratio ≈ √2): PyTorch's $N(0,1)$ **without** the scale, and $N(0,1/d)$ **with** it. The ×√d
# recipe is the second; applied to PyTorch's default it makes tokens 32 times larger than
# positions. Xavier sits far below either, with or without the scale, because $V\gg d$.

# %% [markdown]
# ## 2 · See it: the embedding-scale explorer
#
# Slide $d_{model}$ and the vocabulary size, pick the initialisation, toggle ×√d. Left: the mean norm
# of a token embedding (256 sampled tokens), the norm of a positional encoding, and the std of the
# initial logits if the output layer is tied. Right: the ratio of the first two against $d_{model}$ for
# every setting, the current one circled; the grey band is "within 3× of each other".

# %%
explorer = EmbeddingScaleExplorer(d_model=512, init="normal", scale=True, vocab_size=32000)
explorer

# %% [markdown]
# *Static picture of the explorer's default state (PyTorch's N(0, 1), ×√512, V = 32000), for where widgets do not render:*

# %%
Image(explorer.image.value)

# %% [markdown]
# ## 3 · Measure it
#
# ### 3a · The ratio ‖token‖ / ‖PE‖ against d_model
#
# In closed form the ratio is $\sqrt{2\,\mathrm{Var}}$ (Var after the scale), so it grows like
# $\sqrt{2d}$ for $N(0,1)$ × √d, stays at √2 for $N(0,1/d)$ × √d, and shrinks like $\sqrt{2/d}$ for
# $N(0,1/d)$ alone. Measured on 2000 sampled tokens at each width:

# %%
D_MODELS = [16, 32, 64, 128, 256, 512, 1024]
measured_ratio = {}
for init in embedding.EMBED_INITS:
    for scale in (False, True):
        label = f"{init}{' ×√d' if scale else ''}"
        measured_ratio[label] = [
            embedding.embedding_stats(embedding.sample_token_embeddings(init, V, d, 2000, seed=1), scale)["ratio"]
            for d in D_MODELS]
        for d, r in zip(D_MODELS, measured_ratio[label]):
            assert abs(r / embedding.predicted_norm_ratio(init, V, d, scale) - 1) < 0.03
print("ratio ‖token‖/‖PE‖ (V = 32000)   " + "  ".join(f"d={d:<5d}" for d in D_MODELS))
for label, rs in measured_ratio.items():
    print(f"{label:30s}  " + "  ".join(f"{r:7.3f}" for r in rs))
slope = math.log(measured_ratio["normal ×√d"][-1] / measured_ratio["normal ×√d"][0]) / math.log(D_MODELS[-1] / D_MODELS[0])
print(f"log-log slope of normal ×√d: {slope:.3f} (√(2d) predicts 0.5)")
assert abs(slope - 0.5) < 0.02
assert max(measured_ratio["scaled_normal ×√d"]) / min(measured_ratio["scaled_normal ×√d"]) < 1.05  # flat at √2

# %%
plots.plot_norm_ratios(D_MODELS, measured_ratio, title="token vs positional norm (V = 32000, measured)").figure

# %% [markdown]
# ### 3b · Weight tying and the size of the initial logits (Press & Wolf 2017)
#
# With `tie_weights=True` the output layer *is* `E`, so a logit is $h\cdot E_v$ where $h$ (after the
# final LayerNorm) has entries of unit variance: its std is $\sqrt{d\,\mathrm{Var}(E)}$. One freshly
# built model per setting ($V=8000$, $d=256$, one layer), random tokens in, random targets scored: a
# model that knows nothing should pay $\log V$. `copy` is how often the top logit is the input token itself.

# %%
V_t, D_t = 8000, 256
logit_rows = {}
print(f"{'init':14s} {'tied':>5s} {'scale':>5s} | {'logit std':>9s} {'predicted':>9s} | {'loss':>7s} {'log V':>6s} | {'copy':>5s}")
for init in embedding.EMBED_INITS:
    for tied, scale in ((False, False), (True, False), (True, True)):
        r = embedding.initial_logit_stats(init, V_t, D_t, tie_weights=tied, scale=scale)
        logit_rows[init, tied, scale] = r
        print(f"{init:14s} {str(tied):>5s} {'×√d' if scale else '-':>5s} | {r['logit_std']:9.3f} {r['predicted_std']:9.3f} | "
              f"{r['loss']:7.2f} {r['log_vocab']:6.2f} | {r['copy_rate']:5.2f}")

big, small = logit_rows["normal", True, False], logit_rows["scaled_normal", True, False]
assert abs(big["logit_std"] / math.sqrt(D_t) - 1) < 0.1  # tied N(0, 1): logits of std √d = 16
assert big["loss"] > 10 * big["log_vocab"]  # ... and a loss far above knowing nothing
assert abs(small["logit_std"] - 1) < 0.1 and abs(small["loss"] - small["log_vocab"]) < 1  # tied N(0, 1/d): std 1
assert all(abs(logit_rows[i, False, False]["logit_std"] - math.sqrt(1 / 3)) < 0.05 for i in embedding.EMBED_INITS)
assert all(logit_rows[i, True, True]["copy_rate"] > 0.95 for i in embedding.EMBED_INITS)  # tied + ×√d: copy the input
assert logit_rows["scaled_normal", True, False]["copy_rate"] < 0.1

# %% [markdown]
# Three things to read off. Tying with PyTorch's $N(0,1)$ gives logits of std $\sqrt d$ and an initial
# loss many times $\log V$: the reason to start a tied matrix small. Untied, `nn.Linear`'s default
# keeps the logits at std $\sqrt{1/3}$ whatever the embedding. And with tying, the ×√d scale makes
# the input token dominate the residual stream, which flows straight into the same matrix at the output:
# the untrained model predicts **its own input**, for every initialisation. Section 3d shows what that costs.

# %% [markdown]
# ### 3c · Training: a task that needs position, with and without the scale
#
# The task (`tl.ReverseTask`): 8 tokens from 16 symbols; at every position predict the token at the
# mirrored position. The query at $t$ must find the key at $7-t$ by **position** (in q and k) and copy
# its **token** (through v): a model that cannot read one of the two fails. Each model: $d_{model}=64$,
# one head, one layer, no MLP, sinusoidal positions, untied output; 60 AdamW steps at lr 1e-2; three
# initialisations × with/without ×√d × pre-LN and post-LN (the 2017 paper's layout, where the first
# attention sees the raw sum). One seed (`LAB_FULL=1` runs three). Chance is 1/16.

# %%
FULL = os.environ.get("LAB_FULL") == "1"
SEEDS = (0, 1, 2) if FULL else (0,)
task = tl.ReverseTask(n_symbols=16, length=8)
train_cfg = tl.TrainConfig(steps=60, batch_size=64, lr=1e-2, eval_every=15, eval_size=256)


def toy(init, scale, norm, tie=False):
    return tl.ModelConfig(vocab_size=task.vocab_size, d_model=64, n_heads=1, d_ff=0, max_len=task.seq_len,
                          positional="sinusoidal", norm=norm, embed_init=init, embed_scale=scale, tie_weights=tie)


SETTINGS = [(init, scale) for init in embedding.EMBED_INITS for scale in (False, True)]
runs = {}
for norm in ("pre", "post"):
    configs = {f"{init}{' ×√d' if scale else ''}, {norm}-LN": toy(init, scale, norm) for init, scale in SETTINGS}
    runs.update(tl.train_many(configs, task, seeds=SEEDS, cfg=train_cfg))
acc = {label: tl.final_accuracy(h) for label, h in runs.items()}
early = {label: sum(x.eval_accuracy[0] for x in h) / len(h) for label, h in runs.items()}  # after 15 steps
print(f"accuracy after 15 / 60 steps (chance {1 / 16:.3f})")
print(f"{'':22s} {'pre-LN':>13s} {'post-LN':>13s}")
for init, scale in SETTINGS:
    name = f"{init}{' ×√d' if scale else ''}"
    cells = [f"{early[f'{name}, {n}-LN']:.2f} / {acc[f'{name}, {n}-LN']:.2f}" for n in ("pre", "post")]
    print(f"{name:22s} {cells[0]:>13s} {cells[1]:>13s}")

for n in ("pre", "post"):
    assert acc[f"normal ×√d, {n}-LN"] < 0.4  # N(0, 1) × √d: positions drowned, in both layouts
    assert min(acc[f"{i}{' ×√d' if s else ''}, {n}-LN"] for i, s in SETTINGS if (i, s) != ("normal", True)) > 0.9
    assert early[f"scaled_normal ×√d, {n}-LN"] > early[f"scaled_normal, {n}-LN"] + 0.15  # the scale speeds it up

# %%
fig = plots.new_figure(10, 3.4)
axes = fig.subplots(1, 2, sharey=True)
for ax, n in zip(axes, ("pre", "post")):
    plots.plot_histories({lab.replace(f", {n}-LN", ""): h for lab, h in runs.items() if lab.endswith(f"{n}-LN")},
                         ax=ax, title=f"{n}-LN, untied (reverse 8 tokens)")
fig

# %% [markdown]
# **What this run shows, honestly.** The scale **hurts** with PyTorch's $N(0,1)$: the token part of
# the input is $\sqrt{2\cdot64}\approx11$ times the positional part, and that model stays far from
# the others in both layouts. We expected post-LN to be the more sensitive layout; here that model
# fails in both, because a LayerNorm rescales the *sum* and cannot give the positions back their share. With the
# small initialisations every model learns the task within 60 steps, with or without the scale; what
# the scale changes is **speed**: the $N(0,1/d)$ models are further ahead after 15 steps with it.
# At this vocabulary ($V=16$) Xavier's $2/(V+d)$ is close to $1/d$, so Xavier behaves like
# $N(0,1/d)$ here; at a real vocabulary it is many times smaller (§1).
#
# ### 3d · With tied weights the scale hurts in this toy
#
# The same task with `tie_weights=True` (post-LN): PyTorch's default, the small $N(0,1/d)$ alone, and
# the fairseq/tensor2tensor recipe $N(0,1/d)$ × √d.

# %%
tied_settings = [("normal", False), ("scaled_normal", False), ("scaled_normal", True)]
tied_runs = tl.train_many({f"{i}{' ×√d' if s else ''}, tied": toy(i, s, "post", tie=True) for i, s in tied_settings},
                          task, seeds=SEEDS, cfg=train_cfg)
tied_acc = {label: tl.final_accuracy(h) for label, h in tied_runs.items()}
tied_loss0 = {label: sum(x.train_loss[0] for x in h) / len(h) for label, h in tied_runs.items()}
for label in tied_runs:
    print(f"{label:24s} first-step loss {tied_loss0[label]:6.2f} (log 16 = {math.log(16):.2f})   final accuracy {tied_acc[label]:.2f}")
assert tied_acc["normal, tied"] < 0.4  # huge initial logits
assert tied_acc["scaled_normal, tied"] > 0.8  # small init, no scale: learns
assert tied_acc["scaled_normal ×√d, tied"] < tied_acc["scaled_normal, tied"] - 0.4  # the recipe's scale hurts here
assert tied_acc["scaled_normal ×√d, tied"] < acc["scaled_normal ×√d, post-LN"] - 0.4  # ... only because of the tying
assert tied_loss0["scaled_normal ×√d, tied"] > 2 * math.log(16)
assert tied_loss0["scaled_normal ×√d, tied"] > tied_loss0["scaled_normal, tied"] + 1

# %% [markdown]
# **Honestly: this disagrees with the recipe, and we know why.** With tying, the residual stream
# carries $\sqrt d\,E_x$ straight to an output layer that *is* $E$, so the untrained model predicts its
# own input (the copy rate of §3b) and starts well above $\log 16$. Reversal is the worst case for that
# prior: with an even length the input token is never the answer. One small layer in 60 steps does not
# undo it; without the scale the positional encoding dominates the stream, the prior is weaker and the
# first loss is closer to $\log 16$. This
# is one toy, one task; fairseq and tensor2tensor train deep models for long, where the blocks have
# time to overwrite the stream. What it does show is that the scale and the tying interact, which the
# note never mentions.
#
# ### 3e · Why the scale speeds learning: Adam moves every entry by about lr
#
# Adam's first step moves each entry that has a gradient by ±lr, whatever the gradient's size. So
# with ×√d the *input* embedding moves √d times more per step. Compare PyTorch's $N(0,1)$ without the
# scale and $N(0,1/d)$ with it: the same input distribution (entries of variance 1), a different speed.

# %%
first = {}
for init, scale in (("normal", False), ("scaled_normal", True)):
    first[init, scale] = r = embedding.first_step_change(toy(init, scale, "pre"), task, lr=1e-2)
    print(f"{init}{' ×√d' if scale else '':5s}  RMS of the input embedding {r['rms_size']:.3f}, "
          f"RMS change after one step {r['rms_change']:.4f}, relative {r['relative']:.4f}")
speedup = first["scaled_normal", True]["relative"] / first["normal", False]["relative"]
print(f"relative speed with ×√d: {speedup:.2f} (√64 = 8)")
assert abs(first["normal", False]["rms_size"] - first["scaled_normal", True]["rms_size"]) < 0.1
assert abs(speedup / 8 - 1) < 0.1

# %% [markdown]
# So ×√d does two things to an $N(0,1/d)$ embedding: it makes it comparable to the positions, and it
# makes it learn √d times faster relative to its size. Which one mattered in §3c? Compare PyTorch's
# $N(0,1)$ *without* the scale with $N(0,1/d)$ *with* it: the same input, √d times slower embedding steps.

# %%
for n in ("pre", "post"):
    print(f"{n}-LN, accuracy after 15 steps: normal {early[f'normal, {n}-LN']:.2f}, "
          f"scaled_normal ×√d {early[f'scaled_normal ×√d, {n}-LN']:.2f}, scaled_normal {early[f'scaled_normal, {n}-LN']:.2f}")
    assert abs(early[f"normal, {n}-LN"] - early[f"scaled_normal ×√d, {n}-LN"]) < 0.2

# %% [markdown]
# Close to each other, and both ahead of $N(0,1/d)$ without the scale: on this task what the scale
# fixed was the **balance** between tokens and positions, not the embedding's learning speed. The speed
# effect is real (measured above) but it did not decide this run.

# %% [markdown]
# ## 4 · What the note claims, checked
#
# The source note (question 六) makes these claims. Each verdict below is computed from the numbers above.

# %%
ratio_512 = {k: v["ratio"] for k, v in stats.items()}
unit_only_for_small = (abs(stats["scaled_normal", True]["variance"] - 1) < 0.05
                       and stats["xavier", True]["variance"] < 0.5 and stats["normal", True]["variance"] > 100)
helps = early["scaled_normal ×√d, pre-LN"] > early["scaled_normal, pre-LN"] + 0.15
hurts = acc["normal ×√d, pre-LN"] < 0.4 or tied_acc["scaled_normal ×√d, tied"] < 0.4
converge_verdict = "holds with a caveat" if helps and hurts else "holds" if helps else "does not hold"
claims = [
    ("The embedding matrix is initialised with Xavier.",
     "does not hold", "The paper does not say. PyTorch's nn.Embedding draws N(0, 1) (variance "
     f"{default.var().item():.2f} measured, §1); fairseq and tensor2tensor use N(0, 1/d).", "1"),
    ("Xavier initialisation has variance 1/embedding size.",
     "does not hold" if xavier_vs_note > 2 else "holds", f"For a V×d matrix it is 2/(V+d): at V={V}, d={D}, "
     f"{embedding.init_variance('xavier', V, D):.2e} measured {stats['xavier', False]['variance']:.2e}, "
     f"{xavier_vs_note:.0f}× smaller than 1/d (§1).", "1"),
    ("So multiplying by √d gives the embeddings variance 1.",
     "holds with a caveat" if unit_only_for_small else "does not hold", "Only for N(0, 1/d): measured variance after ×√d is "
     f"{stats['scaled_normal', True]['variance']:.3f}; Xavier gives {stats['xavier', True]['variance']:.3f}, "
     f"PyTorch's default {stats['normal', True]['variance']:.0f} (§1).", "1"),
    ("At that scale the embedding matrix may converge better.",
     converge_verdict, "It hurts with N(0, 1): reverse-task accuracy "
     f"{acc['normal ×√d, pre-LN']:.2f} (pre-LN) and {acc['normal ×√d, post-LN']:.2f} (post-LN) vs at least "
     f"{min(v for k, v in acc.items() if not k.startswith('normal ×√d')):.2f} for the rest. With N(0, 1/d) it speeds early "
     f"learning ({early['scaled_normal ×√d, pre-LN']:.2f} vs {early['scaled_normal, pre-LN']:.2f} after 15 steps, pre-LN), "
     f"by balancing tokens against positions, not through the embedding's √d faster Adam steps (§3e). "
     f"With tying it hurt in this toy "
     f"({tied_acc['scaled_normal ×√d, tied']:.2f} vs {tied_acc['scaled_normal, tied']:.2f}, §3d).", "3c–3e"),
    ("(Not in the note) Why √d at all: tokens comparable to PE, and small tied logits.",
     "holds", f"‖token‖/‖PE‖ = {ratio_512['scaled_normal', True]:.2f} for N(0, 1/d) × √d at d = 512 vs "
     f"{ratio_512['scaled_normal', False]:.3f} without; tied logits of std {small['logit_std']:.2f} vs "
     f"{big['logit_std']:.1f} under N(0, 1) (§1, §3b).", "1, 3b"),
]
display(Markdown(tl.claims_table(claims)))  # checks every verdict is holds / holds with a caveat / does not hold

# %% [markdown]
# ## 5 · Interview answer
#
# **English.** The Transformer adds a positional encoding to the token embeddings and, in the paper,
# shares the embedding matrix with the pre-softmax layer; it also multiplies the embeddings by
# $\sqrt{d_{model}}$. The reason is about sizes. If the shared matrix is initialised small, $N(0, 1/d)$,
# so that the output logits start around 1, then a token embedding has norm about 1 while the
# sinusoidal encoding has norm $\sqrt{d/2}$: the positions would drown the tokens. Multiplying by
# $\sqrt d$ brings the token part to norm $\sqrt d$, comparable to the positions, and gives unit-variance
# inputs. Under Adam it also makes the input embedding learn $\sqrt d$ times faster. The scale is not
# universal: with PyTorch's default $N(0,1)$ it makes tokens $\sqrt{2d}$ times larger than positions and
# a model that needs order suffers. And Xavier does not give $1/d$; it gives $2/(V+d)$.
#
# **中文。** Transformer 把位置编码加到词向量上，论文中还让词向量矩阵与 softmax 前的输出层共享权重，并把词向量乘以
# $\sqrt{d_{model}}$。原因在于量级：若共享矩阵用较小的 $N(0,1/d)$ 初始化（让输出 logits 初始约为 1），词向量范数约为 1，
# 而正弦位置编码范数为 $\sqrt{d/2}$，位置会淹没词义。乘以 $\sqrt d$ 后词向量范数约为 $\sqrt d$，与位置编码相当，输入方差为 1；
# 在 Adam 下还让输入嵌入的学习速度提高 $\sqrt d$ 倍。这个缩放并非普适：PyTorch 默认 $N(0,1)$ 时乘 $\sqrt d$ 会让词向量比位置编码大
# $\sqrt{2d}$ 倍，需要顺序信息的模型会变差。另外 Xavier 的方差不是 $1/d$，而是 $2/(V+d)$。
#
# **Follow-ups an interviewer asks next · 常见追问**
# - Is the scale needed with a learned positional embedding? (It depends on that table's init: BERT and
#   GPT-2 initialise both tables small, std about 0.02, and do not scale.) 用可学习位置编码还需要乘 √d 吗？
# - Why does tying want a small init? (A logit is $h\cdot E_v$: its std is $\sqrt{d\,\mathrm{Var}(E)}$, √d under $N(0,1)$.)
# - Does pre-LN remove the problem? (No: LayerNorm rescales the sum, not the share of each part; §3c.)
# - What else does the scale change? (The effective learning rate of the embedding under Adam, §3e.)
#
# **Common wrong answers · 常见错误回答**
# - "Xavier gives variance 1/d, so √d makes it 1." Xavier gives $2/(V+d)$; only $N(0,1/d)$ becomes 1.
# - "The scale is there to make the embeddings bigger than the positional encoding." The goal is comparable sizes, not dominance.
# - "It is always harmless." With $N(0,1)$ it drowns the positions (§3c).

# %% [markdown]
# ## 6 · Try it yourself
#
# 1. In the explorer, find for each initialisation the $d_{model}$ at which ×√d puts tokens and positions
#    within 3× of each other. Which initialisation makes that true at every width?
# 2. Rerun §3c with `d_model=256` in `toy`. Predict first: does PyTorch's $N(0,1)$ × √d get worse or better?
# 3. Give the tied models of §3d two layers (`n_layers=2` in `toy`) and 200 steps. Does the recipe
#    catch up when the blocks have room to overwrite the residual stream?

# %%
quiz = Quiz([
    {"question": "What is the variance of xavier_normal_ for a 32000 × 512 embedding matrix?",
     "options": ["1/512", "2/(32000 + 512)", "1", "2/512"], "answer": 1,
     "why": "Glorot uses 2/(fan_in + fan_out); for a (V, D) weight PyTorch takes fan_in = D and fan_out = V."},
    {"question": "With E ~ N(0, 1/d) and ×√d, how does ‖token embedding‖ compare with ‖PE(pos)‖ = √(d/2)?",
     "options": ["Much smaller", "About √2 times larger, whatever d is", "√(2d) times larger"], "answer": 1,
     "why": "‖E_x·√d‖ ≈ √d and ‖PE‖ = √(d/2): the ratio is √2 at every width (§3a)."},
    {"question": "A tied model with PyTorch's N(0, 1) embedding: what std do its initial logits have?",
     "options": ["About 1", "About √(1/3)", "About √d"], "answer": 2,
     "why": "A logit is h·E_v with unit-variance h and N(0, 1) entries of E: a sum of d unit-variance terms (§3b)."},
    {"question": "Under Adam, what does ×√d do to the input embedding's learning?",
     "options": ["Nothing: Adam is scale-invariant", "Moves it √d times faster per step", "Slows it down by √d"],
     "answer": 1, "why": "Adam moves each parameter by about lr per step; the input is √d × the parameter (§3e)."},
])
quiz

# %% [markdown]
# ## 7 · Further reading
#
# - Vaswani et al. 2017, *Attention Is All You Need*, arXiv:1706.03762 — §3.4 (shared weights, ×√d_model), §3.5.
# - Press & Wolf 2017, *Using the Output Embedding to Improve Language Models*, arXiv:1608.05859 — weight tying.
# - Glorot & Bengio 2010, *Understanding the difficulty of training deep feedforward neural networks* — Xavier initialisation (AISTATS; no arXiv id).
# - Ott et al. 2019, *fairseq: A Fast, Extensible Toolkit for Sequence Modeling*, arXiv:1904.01038 — N(0, d^-1/2) embeddings with the √d scale.
# - Xiong et al. 2020, *On Layer Normalization in the Transformer Architecture*, arXiv:2002.04745 — pre-LN vs post-LN.
