"""Token embeddings: how big they start, what ×√d_model does to them, and what tying does to the logits.

Taught in ``notebooks/06_embedding_scale.ipynb``.

Vaswani et al. 2017 (arXiv:1706.03762) §3.4 multiply the token embeddings by √d_model and share
the matrix with the output layer, without saying why. The size of a token embedding depends on
how the matrix was initialised, and that is what this module measures:

- ``"normal"``: N(0, 1), what ``torch.nn.Embedding`` does by default;
- ``"xavier"``: Glorot normal, variance 2/(V + D) for a V×D matrix (fan_in = D, fan_out = V);
- ``"scaled_normal"``: N(0, 1/D) (variance 1/D, std D^-1/2), as fairseq and tensor2tensor initialise a
  matrix they then multiply by √D, so the input has unit variance while the output layer tied to it
  (tying: Press & Wolf 2017, arXiv:1608.05859) starts small. Keeping the tied logits small is the
  implementations' reason for the small start, not an argument Press & Wolf make.

The sinusoidal positional encoding added next has ‖PE(pos)‖ = √(D/2) at every position, so the
ratio of the two norms tells which of the two the model sees first.

Shape legend: V vocabulary, D model width, N sampled tokens, B batch, T positions.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..._checks import check_bool, check_int, check_number, check_seed, check_tensor
from ...config import ModelConfig
from ...model import init_embedding, build_model
from ...randomness import make_generator
from ...tasks import Task
from ...train import TrainConfig, train

__all__ = [
    "EMBED_INITS",
    "init_variance",
    "embedding_variance",
    "positional_norm",
    "predicted_norm_ratio",
    "embedding_matrix",
    "sample_token_embeddings",
    "embedding_stats",
    "initial_logit_stats",
    "first_step_change",
]

EMBED_INITS = ("normal", "xavier", "scaled_normal")  # the names ModelConfig.embed_init accepts


def _check_init(init) -> str:
    if init not in EMBED_INITS:
        raise ValueError(f"init must be one of {EMBED_INITS}, got {init!r}")
    return init


def init_variance(init: str, vocab_size: int, d_model: int) -> float:
    """The variance of one entry of a ``(V, D)`` embedding matrix under ``init``, in closed form.

    ``normal`` 1; ``xavier`` 2/(V + D) (PyTorch's fan_in is D and fan_out is V for a (V, D) weight);
    ``scaled_normal`` 1/D. Not 1/D for Xavier, whatever the note says: for V ≫ D it is about 2/V.
    """
    _check_init(init)
    check_int("vocab_size", vocab_size)
    check_int("d_model", d_model)
    return {"normal": 1.0, "xavier": 2.0 / (vocab_size + d_model), "scaled_normal": 1.0 / d_model}[init]


def embedding_variance(init: str, vocab_size: int, d_model: int, scale: bool) -> float:
    """Variance of one entry of the model's input embedding: ``init_variance`` times D if ``scale``."""
    check_bool("scale", scale)
    return init_variance(init, vocab_size, d_model) * (d_model if scale else 1)


def positional_norm(d_model: int) -> float:
    """‖PE(pos)‖ of the sinusoidal encoding: √(D/2) at every position (each sin/cos pair has norm 1)."""
    check_int("d_model", d_model)
    if d_model % 2:
        raise ValueError(f"d_model must be even (sin/cos pairs), got {d_model}")
    return math.sqrt(d_model / 2)


def predicted_norm_ratio(init: str, vocab_size: int, d_model: int, scale: bool) -> float:
    """‖token embedding‖ / ‖PE(pos)‖ ≈ √(D·var) / √(D/2) = √(2·var), var after the optional scale.

    About √2 means the two are comparable; ≫ 1 means the positions are drowned by the tokens,
    ≪ 1 the other way round.
    """
    positional_norm(d_model)  # validates d_model
    return math.sqrt(2 * embedding_variance(init, vocab_size, d_model, scale))


def embedding_matrix(init: str, vocab_size: int, d_model: int, seed: int = 0) -> torch.Tensor:
    """The ``(V, D)`` matrix ``TinyTransformer`` starts from with ``ModelConfig(embed_init=init)``
    and ``build_model(cfg, seed)``: the same values, not just the same distribution."""
    _check_init(init)
    check_int("vocab_size", vocab_size)
    check_int("d_model", d_model)
    check_seed("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        embed = nn.Embedding(vocab_size, d_model)  # N(0, 1): nn.Embedding.reset_parameters
        init_embedding(embed.weight, init)
    return embed.weight.detach()  # (V, D)


def sample_token_embeddings(
    init: str, vocab_size: int, d_model: int, n_tokens: int = 256, scale: bool = False, seed: int = 0
) -> torch.Tensor:
    """``n_tokens`` rows ``(N, D)`` distributed as rows of the (optionally scaled) embedding matrix.

    Every entry of the matrix is i.i.d. under all three inits, so N rows drawn directly have the
    same distribution as N rows of the full ``(V, D)`` matrix, without building it (V = 128k is
    cheap this way; the explorer uses it).
    """
    check_int("n_tokens", n_tokens)
    std = math.sqrt(embedding_variance(init, vocab_size, d_model, scale))
    return torch.randn(n_tokens, d_model, generator=make_generator(seed)) * std  # (N, D)


def embedding_stats(weight: torch.Tensor, scale: bool = False) -> dict[str, float]:
    """Statistics of an embedding matrix ``(V, D)`` (or sampled rows ``(N, D)``) as the model sees it.

    ``variance``: of the entries after the optional ×√D; ``mean_norm``: mean ‖row‖;
    ``pe_norm``: ‖PE(pos)‖ = √(D/2); ``ratio``: ``mean_norm / pe_norm``.
    """
    check_tensor("weight", weight, ndim=2, floating=True)
    check_bool("scale", scale)
    V, d_model = weight.shape
    if V < 1 or d_model < 2 or d_model % 2:
        raise ValueError(f"weight must be (V, D) with V >= 1 rows and an even width D (sin/cos pairs), "
                         f"got shape {tuple(weight.shape)}")
    w = weight.double() * (math.sqrt(d_model) if scale else 1.0)  # (V, D)
    mean_norm = w.norm(dim=1).mean().item()
    variance = w.var().item()
    if not (math.isfinite(mean_norm) and math.isfinite(variance)):  # NaN or inf somewhere, found for free
        raise ValueError("weight contains NaN or inf; expected finite values")
    pe_norm = positional_norm(d_model)
    return {"variance": variance, "mean_norm": mean_norm, "pe_norm": pe_norm, "ratio": mean_norm / pe_norm}


def first_step_change(cfg, task, lr: float = 1e-2, batch_size: int = 64, seed: int = 0) -> dict[str, float]:
    """How far one AdamW step moves the model's *input* embedding, next to how big it is.

    Builds ``build_model(cfg, seed)``, takes one step of :func:`~transformer_lab.train.train` and
    compares the embedding the model adds to the positions (``E·√D`` if ``cfg.embed_scale``)
    before and after. Adam's first step moves every entry with a gradient by about ``lr`` whatever
    the gradient's size (m̂/√v̂ = g/|g|), so ×√D multiplies the step of the input embedding by √D:
    the scale is also a learning-rate multiplier for the embedding. So ``rms_change`` is ``lr`` (×√D)
    in any seed, up to Adam's eps, once every token occurs in the batch; only ``rms_size``, the
    sampled initial matrix, depends on the seed (notebook 06 checks five).

    Returns ``rms_size`` (RMS entry of the input embedding), ``rms_change`` and ``relative``
    (their ratio).
    """
    if not isinstance(cfg, ModelConfig):
        raise TypeError(f"cfg must be a ModelConfig, got {type(cfg).__name__}")
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task (e.g. tl.ReverseTask()), got {type(task).__name__}")
    check_number("lr", lr, above=0)
    check_int("batch_size", batch_size)
    check_seed("seed", seed)
    model = build_model(cfg, seed)
    factor = math.sqrt(cfg.d_model) if cfg.embed_scale else 1.0
    before = model.embed.weight.detach().clone() * factor  # (V, D) as the model adds it
    train(model, task, TrainConfig(steps=1, batch_size=batch_size, lr=lr, eval_every=1, eval_size=8, seed=seed))
    after = model.embed.weight.detach() * factor  # (V, D)
    size = before.pow(2).mean().sqrt().item()
    change = (after - before).pow(2).mean().sqrt().item()
    return {"rms_size": size, "rms_change": change, "relative": change / size}


@torch.no_grad()
def initial_logit_stats(
    init: str,
    vocab_size: int,
    d_model: int,
    tie_weights: bool,
    scale: bool = False,
    seq_len: int = 16,
    batch_size: int = 8,
    seed: int = 0,
) -> dict[str, float]:
    """The logits of a freshly built one-layer model on random tokens, against random targets.

    With ``tie_weights`` the output layer *is* the embedding matrix, so a logit is
    ``h·E[v]`` with ``h`` the final LayerNorm's output (entries of unit variance): its std is
    √(D·var(E)), which is √D under N(0, 1). Untied, ``nn.Linear``'s default
    U(±1/√D) gives std √(1/3) whatever the embedding is. ``loss`` is the cross-entropy against
    targets drawn uniformly at random: log V is what a model that knows nothing should pay.

    Returns ``logit_std``, ``predicted_std``, ``loss``, ``log_vocab`` and ``copy_rate`` (how often
    the argmax is the input token itself: tied weights with big embeddings predict "copy").
    """
    _check_init(init)
    check_int("vocab_size", vocab_size)
    check_int("d_model", d_model)
    check_bool("scale", scale)
    check_bool("tie_weights", tie_weights)
    check_int("seq_len", seq_len)
    check_int("batch_size", batch_size)
    check_seed("seed", seed)
    cfg = ModelConfig(vocab_size=vocab_size, d_model=d_model, n_heads=1, d_ff=0, max_len=seq_len,
                      positional="sinusoidal", norm="pre", embed_init=init, embed_scale=scale, tie_weights=tie_weights)
    model = build_model(cfg, seed)
    g = make_generator(seed + 1)
    tokens = torch.randint(0, vocab_size, (batch_size, seq_len), generator=g)  # (B, T)
    targets = torch.randint(0, vocab_size, (batch_size, seq_len), generator=g)  # (B, T)
    logits = model(tokens)  # (B, T, V)
    var = init_variance(init, vocab_size, d_model)
    return {
        "logit_std": logits.std().item(),
        "predicted_std": math.sqrt(d_model * var) if tie_weights else math.sqrt(1 / 3),
        "loss": F.cross_entropy(logits.flatten(0, 1), targets.flatten()).item(),
        "log_vocab": math.log(vocab_size),
        "copy_rate": (logits.argmax(-1) == tokens).float().mean().item(),
    }
