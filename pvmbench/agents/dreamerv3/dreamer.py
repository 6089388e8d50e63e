"""The whole agent as one module: world model + actor-critic, one update step, and one acting step.

Three parameter groups, as in the reference study: everything trained from scratch at `lr` (4e-5), the
pretrained vision layers being tuned at `pretrained_lr` (4e-6), and frozen layers (requires_grad False,
left out of the optimiser, so their weights stay bit-identical). A `scratch` encoder (the CNN) is in the
first group. All losses are summed into one LaProp step, as DreamerV3 does: the actor-critic's inputs are
stopped, so its losses only reach the actor and critic (and, through the replay value loss, the world
model's representation).
"""

from __future__ import annotations

import torch
from torch import nn

from pvmbench.agents.dreamerv3.actor_critic import ActorCritic
from pvmbench.agents.dreamerv3.config import DreamerConfig
from pvmbench.agents.dreamerv3.optim import LaProp
from pvmbench.agents.dreamerv3.world_model import WorldModel
from pvmbench.agents.encoders import param_groups
from pvmbench.agents.encoders.base import Encoder

Carry = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # deter, stoch, previous action


class Dreamer(nn.Module):
    def __init__(self, cfg: DreamerConfig, encoder: Encoder, action_dim: int, state_dim: int = 0):
        super().__init__()
        self.cfg, self.action_dim, self.state_dim = cfg, action_dim, state_dim
        self.world_model = WorldModel(cfg, encoder, action_dim, state_dim)
        self.actor_critic = ActorCritic(cfg, action_dim)

    @property
    def encoder(self) -> Encoder:
        return self.world_model.encoder

    def make_optimizer(self) -> LaProp:
        cfg = self.cfg
        groups = param_groups(self.encoder, self.parameters(), cfg.lr, cfg.pretrained_lr)
        return LaProp(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps, agc=cfg.agc, warmup=cfg.warmup)

    def checkpoint_state(self) -> dict[str, torch.Tensor]:
        """Every tensor but a frozen encoder's: a frozen PVM is stored by name and hash, never copied."""
        frozen = self.encoder.mode == "frozen"
        return {k: v.detach().cpu() for k, v in self.state_dict().items()
                if not (frozen and k.startswith("world_model.encoder."))}

    # -- learning ---------------------------------------------------------------------------------------
    def train_step(self, batch: dict[str, torch.Tensor], optimizer: torch.optim.Optimizer) -> dict[str, float]:
        cfg = self.cfg
        self.train()
        wm_loss, metrics, (deter, stoch) = self.world_model.loss(batch)
        ac = self.actor_critic
        b, t = deter.shape[:2]
        policy_loss, value_loss, ac_metrics, boot = ac.imagination_loss(
            self.world_model, deter.flatten(0, 1), stoch.flatten(0, 1))
        repval = ac.replay_value_loss(torch.cat([deter, stoch], -1), batch, boot.view(b, t))
        loss = wm_loss + cfg.policy_scale * policy_loss + cfg.value_scale * value_loss + cfg.repval_scale * repval
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        ac.update_slow_critic()
        metrics.update(ac_metrics, repval=repval.detach(), loss=loss.detach())
        return {k: float(v) for k, v in metrics.items()}

    # -- acting -----------------------------------------------------------------------------------------
    def initial_carry(self, batch: int) -> Carry:
        device = next(self.parameters()).device
        deter, stoch = self.world_model.rssm.initial(batch, device)
        return deter, stoch, torch.zeros(batch, self.action_dim, device=device)

    @torch.no_grad()
    def act(self, obs: dict[str, torch.Tensor], carry: Carry, is_first: torch.Tensor,
            deterministic: bool) -> tuple[torch.Tensor, Carry]:
        """One posterior step and an action per batch slot, clipped to [-1, 1]. Slots where is_first start
        from a zero state. Deterministic: the posterior's mode and the action distribution's mode."""
        if self.training:
            self.eval()
        deter, stoch, prev_action = carry
        wm = self.world_model
        embed = wm.embed(obs["image"], obs.get("state"))
        deter, stoch, _ = wm.rssm.observe_step(deter, stoch, prev_action, embed, is_first, sample=not deterministic)
        dist = self.actor_critic.policy(torch.cat([deter, stoch], -1))
        action = (dist.mode() if deterministic else dist.sample()).clamp(-1.0, 1.0)
        return action, (deter, stoch, action)
