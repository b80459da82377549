"""AdamW for the training loop: torch's own update, without torch's 2-second first call.

``torch.optim.AdamW`` imports ``torch._dynamo`` the first time an optimiser is built or stepped
(its methods are wrapped by ``torch._disable_dynamo``): 2.1-2.5 s on a 2-core CPU, once per
kernel, a sixth of a notebook's time budget. The functional API ``torch.optim.adam.adam`` that
``AdamW.step`` calls is not wrapped that way, so this class keeps the optimiser state itself and
calls it with ``decoupled_weight_decay=True``: the same arithmetic as ``torch.optim.AdamW``
(tests/test_tasks_train.py checks the parameters are bit-for-bit equal after several steps).
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch.optim.adam import adam

from ._checks import check_number

__all__ = ["AdamW"]


class AdamW:
    """``torch.optim.AdamW(params, lr, betas, eps, weight_decay)`` for dense CPU/GPU tensors.

    Only what the training loop needs: ``step()`` and ``zero_grad()``; no amsgrad, no param groups.
    """

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ):
        check_number("lr", lr, above=0)
        check_number("weight_decay", weight_decay, minimum=0)
        self.params = [p for p in params if p.requires_grad]
        if not self.params:
            raise ValueError("params must hold at least one tensor that requires grad, got none")
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        # the state torch.optim.Adam keeps per parameter, created on its first gradient
        self.state: dict[torch.nn.Parameter, dict[str, torch.Tensor]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        with_grad = [p for p in self.params if p.grad is not None]
        for p in with_grad:
            if p not in self.state:
                self.state[p] = {
                    "step": torch.tensor(0.0, dtype=torch.float32),  # on the CPU, as torch keeps it
                    "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                    "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format),
                }
        states = [self.state[p] for p in with_grad]
        adam(
            with_grad,
            [p.grad for p in with_grad],
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
            [],
            [s["step"] for s in states],
            decoupled_weight_decay=True,
            amsgrad=False,
            beta1=self.betas[0],
            beta2=self.betas[1],
            lr=self.lr,
            weight_decay=self.weight_decay,
            eps=self.eps,
            maximize=False,
        )
