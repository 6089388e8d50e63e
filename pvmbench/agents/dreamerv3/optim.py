"""LaProp with adaptive gradient clipping: DreamerV3's optimiser, written here because torch has none.

Per parameter tensor, in DreamerV3's order (embodied/jax/opt.py):
  1. adaptive gradient clipping: g *= min(1, agc * max(1e-3, |p|) / |g|)  (norms over the whole tensor);
  2. RMS scaling: nu = b2 * nu + (1 - b2) * g^2;  u = g / (sqrt(nu / (1 - b2^t)) + eps);
  3. momentum of the *scaled* gradient (LaProp, unlike Adam): mu = b1 * mu + (1 - b1) * u;
  4. p -= lr_t * mu / (1 - b1^t), lr_t ramping linearly from lr / warmup to lr over `warmup` steps.
Normalising before the momentum is what lets eps be 1e-20 without Adam's instability.
Each param group keeps its own lr (trained 4e-5, fine-tuned pretrained layers 4e-6).
"""

from __future__ import annotations

import torch


class LaProp(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 4e-5, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-20,
                 agc: float = 0.3, agc_floor: float = 1e-3, warmup: int = 1000):
        if lr <= 0 or eps < 0 or not 0 <= betas[0] < 1 or not 0 <= betas[1] < 1 or agc < 0 or warmup < 0:
            raise ValueError(f"LaProp(lr={lr}, betas={betas}, eps={eps}, agc={agc}, warmup={warmup}): out of range")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "agc": agc, "agc_floor": agc_floor,
                                  "warmup": warmup, "step": 0})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            group["step"] += 1
            t = group["step"]
            beta1, beta2 = group["betas"]
            grads = [p.grad for p in params]
            if group["agc"]:
                grads = self._clip(params, grads, group["agc"], group["agc_floor"])
            nus, mus = [], []
            for p in params:
                state = self.state[p]
                if not state:
                    state["nu"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["mu"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                nus.append(state["nu"])
                mus.append(state["mu"])
            torch._foreach_mul_(nus, beta2)
            torch._foreach_addcmul_(nus, grads, grads, value=1 - beta2)
            denom = torch._foreach_div(nus, 1 - beta2 ** t)
            torch._foreach_sqrt_(denom)
            torch._foreach_add_(denom, group["eps"])
            scaled = torch._foreach_div(grads, denom)
            torch._foreach_mul_(mus, beta1)
            torch._foreach_add_(mus, scaled, alpha=1 - beta1)
            lr = group["lr"] * (min(1.0, t / group["warmup"]) if group["warmup"] else 1.0)
            torch._foreach_add_(params, mus, alpha=-lr / (1 - beta1 ** t))
        return loss

    @staticmethod
    def _clip(params: list[torch.Tensor], grads: list[torch.Tensor], agc: float, floor: float) -> list[torch.Tensor]:
        pnorms = torch.stack(torch._foreach_norm(params))
        gnorms = torch.stack(torch._foreach_norm(grads))
        upper = agc * pnorms.clamp(min=floor)
        factors = (upper / gnorms.clamp(min=1e-30)).clamp(max=1.0)
        return torch._foreach_mul(grads, list(factors.unbind()))
