"""The world model: observation embedding, RSSM, decoders, reward and continue heads, and their losses.

Observations are the env's `image` (uint8, any size; the encoder owns its preprocessing) and, where the
env has one, its float32 `state` vector. `privileged` never reaches this module.

The vision encoder is any pvmbench encoder (registry name or `hf:` spec, in its fine-tune mode). Its
features are flattened tokens (DINOv2 patch tokens, CLIP's pooled output, a CNN's feature map); they go
through RMSNorm and SiLU and then straight into the RSSM posterior, as in the reference study. A frozen
encoder runs without gradients; a tuned one gets gradients from every world-model loss, reconstruction
included, since the pixel decoder is kept.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from pvmbench.agents.dreamerv3.config import DreamerConfig
from pvmbench.agents.dreamerv3.distributions import kl_balance, twohot_bins, twohot_decode, twohot_loss
from pvmbench.agents.dreamerv3.networks import RMS_EPS, ImageDecoder, MLPHead, StateDecoder, StateEncoder
from pvmbench.agents.dreamerv3.rssm import RSSM
from pvmbench.agents.encoders.base import Encoder


class WorldModel(nn.Module):
    def __init__(self, cfg: DreamerConfig, encoder: Encoder, action_dim: int, state_dim: int = 0):
        super().__init__()
        self.cfg = cfg
        self.encoder = encoder
        self.token_norm = nn.RMSNorm(encoder.feature_dim, eps=RMS_EPS)
        self.state_encoder = StateEncoder(state_dim, cfg.units, cfg.mlp_layers) if state_dim else None
        embed_dim = encoder.feature_dim + (self.state_encoder.out_dim if state_dim else 0)
        self.rssm = RSSM(embed_dim, action_dim, cfg.deter, cfg.hidden, cfg.stoch, cfg.classes, cfg.blocks,
                         cfg.unimix)
        feat = cfg.feat_dim
        self.image_decoder = ImageDecoder(cfg.deter, cfg.stoch * cfg.classes, cfg.depth, cfg.units, cfg.blocks,
                                          cfg.recon_size)
        self.state_decoder = StateDecoder(feat, state_dim, cfg.units, cfg.mlp_layers) if state_dim else None
        self.reward_head = MLPHead(feat, cfg.bins, cfg.units, cfg.head_layers, outscale=0.0)
        self.continue_head = MLPHead(feat, 1, cfg.units, cfg.head_layers, outscale=1.0)
        self.register_buffer("bins", twohot_bins(cfg.bins), persistent=False)

    # -- pieces the actor-critic and the agent use ----------------------------------------------------
    def embed(self, image: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        """uint8 (N, H, W, 3) [+ float (N, S)] -> (N, embed_dim)."""
        tokens = F.silu(self.token_norm(self.encoder(image).flatten(1)))
        if self.state_encoder is None:
            return tokens
        return torch.cat([tokens, self.state_encoder(state)], -1)

    def reward(self, feat: torch.Tensor) -> torch.Tensor:
        return twohot_decode(torch.softmax(self.reward_head(feat), -1), self.bins)

    def continue_prob(self, feat: torch.Tensor) -> torch.Tensor:
        """The probability of continuing, times the discount (its training target folds 0.997 in)."""
        return torch.sigmoid(self.continue_head(feat).squeeze(-1))

    # -- training -------------------------------------------------------------------------------------
    def loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict, tuple]:
        """batch: image (B, T, H, W, 3) uint8, [state], prev_action, reward, is_first, is_terminal.

        Returns the scaled world-model loss, per-term means (unscaled, for logging), and the posterior
        (deter, stoch) sequences the actor-critic imagines from.
        """
        cfg = self.cfg
        image = batch["image"]
        b, t = image.shape[:2]
        state = batch["state"].flatten(0, 1) if self.state_encoder is not None else None
        embed = self.embed(image.flatten(0, 1), state).view(b, t, -1)
        deter, stoch, post = self.rssm.observe(embed, batch["prev_action"], batch["is_first"])
        prior = self.rssm.prior(deter)
        dyn, rep = kl_balance(post, prior, cfg.free_nats)
        feat = torch.cat([deter, stoch], -1)
        flat_deter, flat_stoch = deter.flatten(0, 1), stoch.flatten(0, 1)

        recon = self.image_decoder(flat_deter, flat_stoch)
        target = self._image_target(image.flatten(0, 1))
        image_loss = (recon - target).square().sum((1, 2, 3)).view(b, t)
        terms = {"image": image_loss}
        if self.state_decoder is not None:
            terms["state"] = self.state_decoder.loss(feat, batch["state"])
        terms["reward"] = twohot_loss(self.reward_head(feat), batch["reward"], self.bins)
        target_continue = (1.0 - batch["is_terminal"].float()) * cfg.discount
        terms["continue"] = F.binary_cross_entropy_with_logits(self.continue_head(feat).squeeze(-1),
                                                               target_continue, reduction="none")
        terms["dyn"], terms["rep"] = dyn, rep
        scales = {"image": cfg.rec_scale, "state": cfg.rec_scale, "reward": cfg.reward_scale,
                  "continue": cfg.continue_scale, "dyn": cfg.dyn_scale, "rep": cfg.rep_scale}
        total = sum(scales[k] * v.mean() for k, v in terms.items())
        metrics = {k: v.detach().mean() for k, v in terms.items()}
        return total, metrics, (deter, stoch)

    def _image_target(self, image: torch.Tensor) -> torch.Tensor:
        x = image.permute(0, 3, 1, 2).float() / 255.0
        size = self.cfg.recon_size
        if x.shape[-2:] != (size, size):
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        return x
