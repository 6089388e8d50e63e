"""Actor and critic, trained on imagined rollouts of the world model (DreamerV3, 2024).

- Returns are lambda-returns (lambda 0.95) over a 15-step imagination, discounted by the continue head,
  whose target folds in the discount 1 - 1/333.
- The actor's advantage is divided by a percentile return scale: the EMA (decay 0.99) of the 95th minus
  the 5th percentile of the returns, but at least 1, so small returns are not blown up into noise.
- The actor is trained by REINFORCE on the advantage, plus an entropy bonus of 3e-4.
- The critic is a two-hot symexp head; it learns the lambda-returns and is regularised towards a slow
  copy of itself (EMA rate 0.02). It also learns from replayed trajectories (the "repval" loss), whose
  returns bootstrap from the imagined returns at each replayed state.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from pvmbench.agents.dreamerv3.config import DreamerConfig
from pvmbench.agents.dreamerv3.distributions import BoundedNormal, twohot_bins, twohot_decode, twohot_loss
from pvmbench.agents.dreamerv3.networks import ActorHead, MLPHead


def lambda_returns(rewards: torch.Tensor, values: torch.Tensor, continues: torch.Tensor,
                   lam: float | torch.Tensor) -> torch.Tensor:
    """(N, L) rewards, values and continues -> (N, L - 1) returns.

    R[t] = r[t+1] + c[t+1] * ((1 - lam) * v[t+1] + lam * R[t+1]), with R[L-1] = v[L-1]; r[t+1] and
    c[t+1] are the reward and discounted continue flag on arriving at step t+1. `lam` may be a (N, L)
    tensor: lam * (1 - is_last) cuts the recursion at episode ends, leaving the bootstrap.
    """
    lam = torch.as_tensor(lam, dtype=rewards.dtype, device=rewards.device).expand_as(rewards)
    ret = values[:, -1]
    out = []
    for t in reversed(range(rewards.shape[1] - 1)):
        ret = rewards[:, t + 1] + continues[:, t + 1] * ((1 - lam[:, t + 1]) * values[:, t + 1] + lam[:, t + 1] * ret)
        out.append(ret)
    return torch.stack(out[::-1], 1)


class PercentileNormaliser(nn.Module):
    """EMA of the low and high percentiles of returns; scale() = max(limit, high - low)."""

    def __init__(self, rate: float = 0.01, low: float = 5.0, high: float = 95.0, limit: float = 1.0):
        super().__init__()
        self.rate, self.quantiles, self.limit = rate, (low / 100.0, high / 100.0), limit
        self.register_buffer("low", torch.zeros(()))
        self.register_buffer("high", torch.zeros(()))

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> None:
        q = torch.quantile(x.detach().flatten().float(), torch.tensor(self.quantiles, device=x.device))
        self.low.mul_(1 - self.rate).add_(self.rate * q[0])
        self.high.mul_(1 - self.rate).add_(self.rate * q[1])

    def scale(self) -> torch.Tensor:
        return (self.high - self.low).clamp(min=self.limit)


class ActorCritic(nn.Module):
    def __init__(self, cfg: DreamerConfig, action_dim: int):
        super().__init__()
        self.cfg = cfg
        self.actor = ActorHead(cfg.feat_dim, action_dim, cfg.units, cfg.mlp_layers)
        self.critic = MLPHead(cfg.feat_dim, cfg.bins, cfg.units, cfg.mlp_layers, outscale=0.0)
        self.slow_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.retnorm = PercentileNormaliser(cfg.retnorm_rate, cfg.retnorm_low, cfg.retnorm_high, cfg.retnorm_limit)
        self.register_buffer("bins", twohot_bins(cfg.bins), persistent=False)

    def policy(self, feat: torch.Tensor) -> BoundedNormal:
        mean, std = self.actor(feat)
        return BoundedNormal(mean, std, self.cfg.minstd, self.cfg.maxstd)

    def value(self, head: nn.Module, feat: torch.Tensor) -> torch.Tensor:
        return twohot_decode(torch.softmax(head(feat), -1), self.bins)

    @torch.no_grad()
    def update_slow_critic(self) -> None:
        for slow, fast in zip(self.slow_critic.parameters(), self.critic.parameters(), strict=True):
            slow.lerp_(fast, self.cfg.slow_rate)

    @torch.no_grad()
    def imagine(self, world_model, deter: torch.Tensor, stoch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """From N start states, H steps of the actor in the world model: feats (N, H+1, F), actions (N, H+1, A).
        Nothing here needs gradients: the actor learns by REINFORCE on these fixed samples."""
        feats, actions = [torch.cat([deter, stoch], -1)], []
        for _ in range(self.cfg.imag_horizon):
            action = self.policy(feats[-1]).sample()
            deter, stoch = world_model.rssm.imagine_step(deter, stoch, action)
            feats.append(torch.cat([deter, stoch], -1))
            actions.append(action)
        actions.append(self.policy(feats[-1]).sample())
        return torch.stack(feats, 1), torch.stack(actions, 1)

    def imagination_loss(self, world_model, deter: torch.Tensor, stoch: torch.Tensor):
        """(policy loss, value loss, metrics, imagined return at each start state (N,))."""
        cfg = self.cfg
        feats, actions = self.imagine(world_model, deter.detach(), stoch.detach())
        with torch.no_grad():
            reward = world_model.reward(feats)
            cont = world_model.continue_prob(feats)
            slow_value = self.value(self.slow_critic, feats)
        critic_logits = self.critic(feats)
        value = twohot_decode(torch.softmax(critic_logits, -1), self.bins)
        ret = lambda_returns(reward, value.detach(), cont, cfg.lam)
        weight = torch.cumprod(cont, 1)[:, :-1]  # the chance, discounted, of still being in the episode
        self.retnorm.update(ret)
        advantage = (ret - value[:, :-1].detach()) / self.retnorm.scale()
        dist = self.policy(feats[:, :-1])
        logp = dist.log_prob(actions[:, :-1])
        entropy = dist.entropy()
        policy_loss = (weight * -(logp * advantage + cfg.actent * entropy)).mean()
        value_terms = (twohot_loss(critic_logits[:, :-1], ret, self.bins)
                       + cfg.slowreg * twohot_loss(critic_logits[:, :-1], slow_value[:, :-1], self.bins))
        value_loss = (weight * value_terms).mean()
        metrics = {"policy": policy_loss.detach(), "value": value_loss.detach(), "entropy": entropy.detach().mean(),
                   "return": ret.detach().mean(), "return_scale": self.retnorm.scale().detach()}
        return policy_loss, value_loss, metrics, ret[:, 0].detach()

    def replay_value_loss(self, feat: torch.Tensor, batch: dict, boot: torch.Tensor) -> torch.Tensor:
        """The critic on replayed (B, T) states, towards lambda-returns of the replayed rewards that
        bootstrap from the imagined returns `boot` (B, T); gradients reach the world model too."""
        cfg = self.cfg
        critic_logits = self.critic(feat)
        with torch.no_grad():
            slow_value = self.value(self.slow_critic, feat)
        is_last = batch["is_last"].float()
        live = (1.0 - batch["is_terminal"].float()) * cfg.discount
        ret = lambda_returns(batch["reward"], boot, live, cfg.lam * (1.0 - is_last))
        terms = (twohot_loss(critic_logits[:, :-1], ret, self.bins)
                 + cfg.slowreg * twohot_loss(critic_logits[:, :-1], slow_value[:, :-1], self.bins))
        return ((1.0 - is_last[:, :-1]) * terms).mean()
