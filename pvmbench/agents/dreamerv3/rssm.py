"""The recurrent state-space model: a block GRU deterministic state and categorical stochastic latents.

The posterior is where a vision model plugs in, the study's way: the observation embedding (the encoder's
flattened tokens after RMSNorm and SiLU, see world_model.py) goes straight into the posterior's first
Linear, concatenated with the deterministic state. There is no projection between encoder and RSSM.

Latent logits everywhere are already unimixed log-probabilities, so sampling, KL and entropy all see the
same 1%-uniform mixture.
"""

from __future__ import annotations

import torch
from torch import nn

from pvmbench.agents.dreamerv3.distributions import mode_onehot, sample_onehot, unimix_logits
from pvmbench.agents.dreamerv3.networks import MLP, BlockLinear, linear, norm_act


class RSSM(nn.Module):
    def __init__(self, embed_dim: int, action_dim: int, deter: int, hidden: int, stoch: int, classes: int,
                 blocks: int = 8, unimix: float = 0.01, imglayers: int = 2, obslayers: int = 1):
        super().__init__()
        self.deter, self.stoch, self.classes, self.blocks, self.unimix = deter, stoch, classes, blocks, unimix
        stoch_dim = stoch * classes
        # Core: deter, stoch and action each get their own projection, then a block GRU.
        self.in_deter = nn.Sequential(linear(deter, hidden, bias=False), *norm_act(hidden))
        self.in_stoch = nn.Sequential(linear(stoch_dim, hidden, bias=False), *norm_act(hidden))
        self.in_action = nn.Sequential(linear(action_dim, hidden, bias=False), *norm_act(hidden))
        self.gru_hidden = BlockLinear(deter + 3 * hidden * blocks, deter, blocks)
        self.gru_hidden_norm = norm_act(deter)
        self.gru_gates = BlockLinear(deter, 3 * deter, blocks)
        self.prior_mlp = MLP(deter, hidden, imglayers)
        self.prior_out = linear(self.prior_mlp.out_dim, stoch_dim)
        self.post_mlp = MLP(deter + embed_dim, hidden, obslayers)
        self.post_out = linear(self.post_mlp.out_dim, stoch_dim)

    def initial(self, batch: int, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.zeros(batch, self.deter, device=device),
                torch.zeros(batch, self.stoch * self.classes, device=device))

    def core(self, deter: torch.Tensor, stoch: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """One GRU step: (deter, stoch, action) -> next deter."""
        # Actions beyond [-1, 1] (unclipped imagined samples) are scaled back onto the unit box.
        action = action / action.detach().abs().clamp(min=1.0)
        x = torch.cat([self.in_deter(deter), self.in_stoch(stoch), self.in_action(action)], -1)
        g = self.blocks
        # Every block sees its own slice of deter plus all of x.
        x = torch.cat([deter.view(-1, g, self.deter // g), x.unsqueeze(1).expand(-1, g, -1)], -1).flatten(1)
        x = self.gru_hidden_norm(self.gru_hidden(x))
        gates = self.gru_gates(x).view(-1, g, 3, self.deter // g)
        reset, cand, update = (gates[:, :, i].flatten(1) for i in range(3))
        cand = torch.tanh(torch.sigmoid(reset) * cand)
        update = torch.sigmoid(update - 1.0)  # biased towards keeping the old state
        return update * cand + (1.0 - update) * deter

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return unimix_logits(x.view(*x.shape[:-1], self.stoch, self.classes), self.unimix)

    def prior(self, deter: torch.Tensor) -> torch.Tensor:
        return self._logits(self.prior_out(self.prior_mlp(deter)))

    def posterior(self, deter: torch.Tensor, embed: torch.Tensor) -> torch.Tensor:
        return self._logits(self.post_out(self.post_mlp(torch.cat([deter, embed], -1))))

    def observe_step(self, deter, stoch, prev_action, embed, is_first, sample: bool = True):
        """Posterior step; where is_first, the previous state and action are zeroed (a new episode)."""
        keep = (~is_first).to(deter.dtype).unsqueeze(-1)
        deter = self.core(deter * keep, stoch * keep, prev_action * keep)
        logits = self.posterior(deter, embed)
        stoch = (sample_onehot(logits) if sample else mode_onehot(logits)).flatten(-2)
        return deter, stoch, logits

    def observe(self, embed: torch.Tensor, prev_action: torch.Tensor, is_first: torch.Tensor):
        """(B, T, ...) sequences from a zero state -> deter (B, T, D), stoch (B, T, S*C), post logits (B, T, S, C)."""
        deter, stoch = self.initial(embed.shape[0], embed.device)
        deters, stochs, logits = [], [], []
        for t in range(embed.shape[1]):
            deter, stoch, logit = self.observe_step(deter, stoch, prev_action[:, t], embed[:, t], is_first[:, t])
            deters.append(deter)
            stochs.append(stoch)
            logits.append(logit)
        return torch.stack(deters, 1), torch.stack(stochs, 1), torch.stack(logits, 1)

    def imagine_step(self, deter: torch.Tensor, stoch: torch.Tensor, action: torch.Tensor):
        deter = self.core(deter, stoch, action)
        stoch = sample_onehot(self.prior(deter)).flatten(-2)
        return deter, stoch
