"""The distributions and transforms DreamerV3 is built from, as plain tensor functions.

- symlog / symexp squash inputs and targets whose scale is unknown in advance;
- two-hot regression over 255 exponentially spaced bins (symexp of a uniform grid on [-20, 20]) lets
  the reward and critic heads predict returns of any magnitude with a classification loss;
- latents are categoricals mixed with 1% uniform ("unimix"), so no class probability reaches zero and
  the KL stays finite;
- KL balancing trains the prior towards the posterior (dyn) harder than the posterior towards the prior
  (rep), each clipped below at the free nats;
- the actor for continuous actions is DreamerV3's bounded normal: mean tanh-squashed into [-1, 1], std
  between minstd and maxstd; samples are clipped to the action bounds by the caller.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def symlog(x: torch.Tensor) -> torch.Tensor:
    return torch.sign(x) * torch.log1p(x.abs())


def symexp(x: torch.Tensor) -> torch.Tensor:
    return torch.sign(x) * torch.expm1(x.abs())


# -- two-hot -------------------------------------------------------------------------------------------
def twohot_bins(bins: int = 255, limit: float = 20.0) -> torch.Tensor:
    """symexp(linspace(-limit, limit, bins)), built from one half mirrored so that the middle bin is exactly
    0 and the grid exactly symmetric (a uniform prediction then decodes to exactly 0)."""
    if bins % 2 == 0 or bins < 3:
        raise ValueError(f"bins={bins}: accepted: an odd number >= 3")
    half = symexp(torch.linspace(-limit, 0.0, (bins - 1) // 2 + 1, dtype=torch.float64))
    return torch.cat([half, -half[:-1].flip(0)]).float()


def twohot_encode(x: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """Weights on the two bins around each value (linear interpolation), summing to 1; (..., len(bins))."""
    x = x.detach().clamp(bins[0], bins[-1])
    above = torch.searchsorted(bins, x.contiguous(), right=True).clamp(1, len(bins) - 1)
    below = above - 1
    lo, hi = bins[below], bins[above]
    weight_hi = ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
    out = torch.zeros(*x.shape, len(bins), dtype=x.dtype, device=x.device)
    out.scatter_(-1, below.unsqueeze(-1), (1.0 - weight_hi).unsqueeze(-1))
    out.scatter_add_(-1, above.unsqueeze(-1), weight_hi.unsqueeze(-1))
    return out


def twohot_decode(probs: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """The expected value sum(p * bins), summed from the middle outwards so that symmetric halves cancel
    exactly: at initialisation (uniform probabilities) rewards and values are exactly zero."""
    mid = len(bins) // 2
    left = (probs[..., :mid] * bins[:mid]).flip(-1)
    right = probs[..., mid + 1:] * bins[mid + 1:]
    return probs[..., mid] * bins[mid] + (left + right).sum(-1)


def twohot_loss(logits: torch.Tensor, target: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the two-hot encoded target under softmax(logits); one value per target."""
    return -(twohot_encode(target, bins) * F.log_softmax(logits, -1)).sum(-1)


# -- categorical latents -------------------------------------------------------------------------------
def unimix_logits(logits: torch.Tensor, unimix: float = 0.01) -> torch.Tensor:
    """Log-probabilities of (1 - unimix) * softmax(logits) + unimix * uniform."""
    if not unimix:
        return F.log_softmax(logits, -1)
    probs = (1.0 - unimix) * torch.softmax(logits, -1) + unimix / logits.shape[-1]
    return torch.log(probs)


def sample_onehot(logits: torch.Tensor) -> torch.Tensor:
    """A one-hot sample with straight-through gradients (the sample's gradient is that of the probabilities)."""
    probs = torch.softmax(logits, -1)
    # Gumbel-max: argmax(logits + Gumbel noise) is a sample, and cheaper than torch.multinomial.
    uniform = torch.rand_like(logits).clamp_(min=1e-20)
    index = (logits.detach() - torch.log(-torch.log(uniform))).argmax(-1)
    onehot = F.one_hot(index, probs.shape[-1]).to(probs.dtype)
    return onehot + probs - probs.detach()


def mode_onehot(logits: torch.Tensor) -> torch.Tensor:
    return F.one_hot(logits.argmax(-1), logits.shape[-1]).to(logits.dtype)


def categorical_kl(lhs_logits: torch.Tensor, rhs_logits: torch.Tensor) -> torch.Tensor:
    """KL(lhs || rhs) of (..., latents, classes) categoricals, summed over latents."""
    lhs = F.log_softmax(lhs_logits, -1)
    rhs = F.log_softmax(rhs_logits, -1)
    return (lhs.exp() * (lhs - rhs)).sum((-2, -1))


def categorical_entropy(logits: torch.Tensor) -> torch.Tensor:
    logp = F.log_softmax(logits, -1)
    return -(logp.exp() * logp).sum((-2, -1))


def kl_balance(post_logits: torch.Tensor, prior_logits: torch.Tensor,
               free_nats: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(dyn, rep), each per step and clipped below at free_nats.

    dyn = KL(sg(post) || prior) trains only the prior; rep = KL(post || sg(prior)) trains only the
    posterior (the encoder side). Clipping per step means steps already within free_nats give no gradient.
    """
    dyn = categorical_kl(post_logits.detach(), prior_logits)
    rep = categorical_kl(post_logits, prior_logits.detach())
    return dyn.clamp(min=free_nats), rep.clamp(min=free_nats)


# -- the continuous actor ------------------------------------------------------------------------------
class BoundedNormal:
    """Normal(tanh(mean), (maxstd - minstd) * sigmoid(std + 2) + minstd), independent per action dimension."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, minstd: float = 0.1, maxstd: float = 1.0):
        self.mean = torch.tanh(mean)
        self.std = (maxstd - minstd) * torch.sigmoid(std + 2.0) + minstd

    def sample(self) -> torch.Tensor:
        return self.mean + self.std * torch.randn_like(self.mean)

    def mode(self) -> torch.Tensor:
        return self.mean

    def log_prob(self, action: torch.Tensor) -> torch.Tensor:
        z = (action - self.mean) / self.std
        return (-0.5 * z.square() - self.std.log() - 0.5 * math.log(2 * math.pi)).sum(-1)

    def entropy(self) -> torch.Tensor:
        return (self.std.log() + 0.5 * math.log(2 * math.pi) + 0.5).sum(-1)
