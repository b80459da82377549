"""What the heads of a trained model do: which key each head reads, how different their patterns are,
and what removing one costs (notebook 01).

- :func:`relation_mass`: the mean weight a head puts on a given key (the item found by content,
  the item one back);
- :func:`argmax_mode_fraction`: how often a head's strongest key sits at its most common position
  (1.0: a fixed offset, like a convolution kernel);
- :func:`head_diversity`, :func:`js_divergence`: how different the heads' patterns are;
- :func:`ablate_heads`: accuracy with one head switched off at a time (Michel et al. 2019,
  arXiv:1905.10650); :func:`accuracy_without`: with several switched off together.

Shape legend: B batch, H heads, T query positions, S key positions, L layers.
"""

from __future__ import annotations

import torch
from torch import nn

from ..._checks import check_int, check_probabilities, check_tensor
from ...train import loss_and_accuracy

__all__ = ["js_divergence", "head_diversity", "relation_mass", "argmax_mode_fraction", "ablate_heads",
           "accuracy_without"]

def js_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence (nats) between the rows of ``p`` and ``q`` ``(..., S)``: in [0, ln 2]."""
    check_probabilities("p", p)
    check_probabilities("q", q)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape (..., S), got {tuple(p.shape)} and {tuple(q.shape)}")
    m = 0.5 * (p + q)

    def kl(a, b):  # 0·log 0 = 0
        return (a * (torch.log(a.clamp_min(1e-30)) - torch.log(b.clamp_min(1e-30)))).sum(-1)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def _check_weights(weights: torch.Tensor, query: int | None) -> None:
    """``weights (B, H, T, S)``; ``query`` None (every row) or one query position, negative from the end."""
    check_tensor("weights", weights, ndim=4, floating=True)
    if query is not None:
        check_int("query", query, minimum=None)
        T = weights.shape[2]
        if not -T <= query < T:
            raise ValueError(f"query must index one of the T={T} query positions, got {query}")


def _query_rows(weights: torch.Tensor, query: int | None) -> torch.Tensor:
    """Row ``query`` of every head, ``(B, H, 1, S)``, or every row ``(B, H, T, S)`` if ``query`` is None."""
    if query is None:
        return weights  # (B, H, T, S)
    return weights[:, :, query : query + 1 if query != -1 else None, :]  # (B, H, 1, S)


def head_diversity(weights: torch.Tensor, query: int | None = None, metric: str = "js") -> dict:
    """How different the heads' attention patterns are, on the same inputs.

    ``weights (B, H, T, S)`` from one layer. For every pair of heads, the distance between their
    rows, averaged over the batch and the query positions (only row ``query`` if given):
    ``metric="js"`` the Jensen-Shannon divergence (nats, 0 = identical, ln 2 ≈ 0.693 = disjoint),
    ``"cosine"`` one minus the cosine similarity of the rows. Returns ``{"pairwise": (H, H),
    "mean": mean over pairs i < j}``.
    """
    _check_weights(weights, query)
    if metric not in ("js", "cosine"):
        raise ValueError(f"metric must be 'js' or 'cosine', got {metric!r}")
    H = weights.shape[1]
    if H < 2:
        raise ValueError(f"weights must hold at least 2 heads to compare, got H={H}")
    w = _query_rows(weights, query)  # (B, H, T or 1, S)
    a, b = w.unsqueeze(2), w.unsqueeze(1)  # (B, H, 1, T, S), (B, 1, H, T, S)
    if metric == "js":
        a, b = torch.broadcast_tensors(a, b)
        d = js_divergence(a, b)  # (B, H, H, T)
    else:
        d = 1 - torch.nn.functional.cosine_similarity(a, b, dim=-1, eps=1e-12)  # (B, H, H, T)
    pairwise = d.mean(dim=(0, 3))  # (H, H)
    i, j = torch.triu_indices(H, H, offset=1)
    return {"pairwise": pairwise, "mean": pairwise[i, j].mean().item()}


def relation_mass(weights: torch.Tensor, positions: torch.Tensor, query: int = -1) -> torch.Tensor:
    """Mean attention weight each head puts on a given key: ``(H,)``.

    ``weights (B, H, T, S)``; ``positions (B,)`` the key each sequence's row ``query`` should read
    (for example the item found by content, or the item one back). 1.0 means the head reads
    exactly that key, every time.
    """
    _check_weights(weights, query)
    check_tensor("positions", positions, ndim=1)
    if positions.is_floating_point() or positions.dtype == torch.bool:
        raise TypeError(f"positions must hold integer key positions, got dtype {positions.dtype}")
    B, S = weights.shape[0], weights.shape[-1]
    if positions.shape[0] != B:
        raise ValueError(f"positions must have shape (B,) = ({B},), got {tuple(positions.shape)}")
    if positions.numel() and not (0 <= int(positions.min()) and int(positions.max()) < S):
        raise ValueError(f"positions must lie in [0, S={S}), got values in [{int(positions.min())}, {int(positions.max())}]")
    w = _query_rows(weights, query)  # (B, H, 1, S)
    idx = positions.view(B, 1, 1, 1).expand(B, w.shape[1], 1, 1)  # (B, H, 1, 1)
    return w.gather(-1, idx)[:, :, 0, 0].mean(0)  # (H,)


def argmax_mode_fraction(weights: torch.Tensor, query: int = -1) -> torch.Tensor:
    """For each head, how often row ``query`` picks its most common key position: ``(H,)``.

    1.0: the head reads the same position whatever the content, like a convolution kernel with a
    fixed offset. Near ``1/S``: where it looks moves with the content, which no fixed kernel does.
    """
    _check_weights(weights, query)
    w = _query_rows(weights, query)  # (B, H, 1, S)
    top = w[:, :, 0, :].argmax(-1)  # (B, H)
    mode = top.mode(dim=0).values  # (H,)
    return (top == mode).float().mean(0)  # (H,)


def _check_model_batch(model, tokens, targets):
    """The config of ``model`` (a TinyTransformer), once ``tokens`` and ``targets`` are (B, T) of one shape."""
    cfg = getattr(model, "cfg", None)
    if cfg is None or not hasattr(cfg, "n_heads"):
        raise TypeError(f"model must be a transformer_lab.TinyTransformer, got {type(model).__name__}")
    check_tensor("tokens", tokens, ndim=2)
    check_tensor("targets", targets, ndim=2)
    if tokens.shape != targets.shape:
        raise ValueError(f"tokens and targets must have the same shape (B, T), got {tuple(tokens.shape)} and {tuple(targets.shape)}")
    return cfg


@torch.no_grad()
def ablate_heads(model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor) -> dict:
    """Switch off one head at a time (``head_mask`` 0) and measure the loss and accuracy.

    Michel et al. 2019 prune heads at test time this way. ``model`` is a
    :class:`~transformer_lab.model.TinyTransformer`; returns ``{"baseline": {"loss", "accuracy"},
    "loss": (L, H), "accuracy": (L, H)}``, entry ``[l, h]`` with head h of layer l removed.
    """
    cfg = _check_model_batch(model, tokens, targets)
    was_training = model.training
    model.eval()
    L, H = cfg.n_layers, cfg.n_heads
    loss0, acc0 = loss_and_accuracy(model(tokens), targets)
    loss, acc = torch.zeros(L, H), torch.zeros(L, H)
    for layer in range(L):
        for head in range(H):
            mask = torch.ones(L, H)
            mask[layer, head] = 0.0
            loss[layer, head], acc[layer, head] = loss_and_accuracy(model(tokens, head_mask=mask), targets)
    model.train(was_training)
    return {"baseline": {"loss": loss0.item(), "accuracy": acc0.item()}, "loss": loss, "accuracy": acc}


@torch.no_grad()
def accuracy_without(model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor, heads, layer: int = 0) -> float:
    """Accuracy of ``model`` on ``(tokens, targets)`` with the heads ``heads`` of ``layer`` switched
    off together (``head_mask`` 0), the others kept.

    :func:`ablate_heads` removes one head at a time; heads that are redundant back each other up,
    so removing several at once can cost more than each alone (notebook 01's exercises).
    """
    cfg = _check_model_batch(model, tokens, targets)
    check_int("layer", layer, minimum=0, maximum=cfg.n_layers - 1)
    if isinstance(heads, (str, bytes, int)) or not hasattr(heads, "__iter__"):
        raise TypeError(f"heads must be a list of head indices in [0, {cfg.n_heads}), got {heads!r}")
    heads = list(heads)
    for h in heads:
        if isinstance(h, bool) or not isinstance(h, int) or not 0 <= h < cfg.n_heads:
            raise ValueError(f"heads must hold head indices in [0, {cfg.n_heads}), got {heads!r}")
    mask = torch.ones(cfg.n_layers, cfg.n_heads)
    mask[layer, heads] = 0.0
    was_training = model.training
    model.eval()
    _, acc = loss_and_accuracy(model(tokens, head_mask=mask), targets)
    model.train(was_training)
    return acc.item()
