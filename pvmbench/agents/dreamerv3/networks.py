"""Building blocks: initialisation, RMSNorm MLPs, block-diagonal linear layers, heads and decoders.

Every hidden layer is Linear -> RMSNorm -> SiLU, as in DreamerV3. Weights start from a truncated normal
scaled by fan-in; an output layer's `outscale` multiplies that scale, and 0 starts it at exactly zero
(the reward and critic heads then predict exactly 0 until they learn).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from pvmbench.agents.dreamerv3.distributions import symlog

RMS_EPS = 1e-4
_TRUNC_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]


def init_weight_(weight: torch.Tensor, fan_in: int, outscale: float = 1.0) -> None:
    if outscale == 0.0:
        nn.init.zeros_(weight)
        return
    std = outscale * math.sqrt(1.0 / fan_in) / _TRUNC_STD
    nn.init.trunc_normal_(weight, 0.0, std, -2 * std, 2 * std)


def linear(fan_in: int, fan_out: int, outscale: float = 1.0, bias: bool = True) -> nn.Linear:
    layer = nn.Linear(fan_in, fan_out, bias=bias)
    init_weight_(layer.weight, fan_in, outscale)
    if bias:
        nn.init.zeros_(layer.bias)
    return layer


def norm_act(units: int) -> nn.Sequential:
    return nn.Sequential(nn.RMSNorm(units, eps=RMS_EPS), nn.SiLU())


class MLP(nn.Sequential):
    """`layers` x (Linear -> RMSNorm -> SiLU); with layers=0 it is the identity of width fan_in."""

    def __init__(self, fan_in: int, units: int, layers: int):
        modules: list[nn.Module] = []
        for _ in range(layers):
            modules += [linear(fan_in, units, bias=False), nn.RMSNorm(units, eps=RMS_EPS), nn.SiLU()]
            fan_in = units
        super().__init__(*modules)
        self.out_dim = fan_in


class BlockLinear(nn.Module):
    """A block-diagonal linear layer: `blocks` independent groups, as in DreamerV3's GRU. The deter state
    of the 12m model is 2048 wide; blocks of 8 cut its recurrent weights eightfold."""

    def __init__(self, fan_in: int, fan_out: int, blocks: int):
        super().__init__()
        if fan_in % blocks or fan_out % blocks:
            raise ValueError(f"BlockLinear({fan_in}, {fan_out}) needs both divisible by blocks={blocks}")
        self.blocks = blocks
        self.weight = nn.Parameter(torch.empty(blocks, fan_in // blocks, fan_out // blocks))
        self.bias = nn.Parameter(torch.zeros(fan_out))
        init_weight_(self.weight, fan_in // blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-1]
        x = x.reshape(-1, self.blocks, x.shape[-1] // self.blocks).transpose(0, 1)  # (G, N, in/G)
        y = torch.bmm(x, self.weight).transpose(0, 1).reshape(*lead, -1)
        return y + self.bias


class ChannelRMSNorm(nn.RMSNorm):
    """RMSNorm over the channels of (N, C, H, W): each pixel is normalised, as DreamerV3 does in its CNNs."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


# -- heads ---------------------------------------------------------------------------------------------
class MLPHead(nn.Module):
    """MLP then one output layer (`outscale` scales its initialisation)."""

    def __init__(self, fan_in: int, out: int, units: int, layers: int, outscale: float):
        super().__init__()
        self.mlp = MLP(fan_in, units, layers)
        self.out = linear(self.mlp.out_dim, out, outscale=outscale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.mlp(x))


class ActorHead(nn.Module):
    """Mean and std pre-activations of DreamerV3's bounded normal (two output layers, outscale 0.01)."""

    def __init__(self, fan_in: int, action_dim: int, units: int, layers: int):
        super().__init__()
        self.mlp = MLP(fan_in, units, layers)
        self.mean = linear(self.mlp.out_dim, action_dim, outscale=0.01)
        self.std = linear(self.mlp.out_dim, action_dim, outscale=0.01)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.mlp(x)
        return self.mean(h), self.std(h)


# -- observation encoders and decoders -----------------------------------------------------------------
class StateEncoder(nn.Module):
    """The proprioceptive `state` vector, symlog-squashed, through an MLP."""

    def __init__(self, state_dim: int, units: int, layers: int):
        super().__init__()
        self.mlp = MLP(state_dim, units, layers)
        self.out_dim = self.mlp.out_dim

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return self.mlp(symlog(state))


class StateDecoder(nn.Module):
    """Predicts symlog(state); its loss is the squared error summed over the vector."""

    def __init__(self, feat_dim: int, state_dim: int, units: int, layers: int):
        super().__init__()
        self.head = MLPHead(feat_dim, state_dim, units, layers, outscale=1.0)

    def loss(self, feat: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return (self.head(feat) - symlog(state)).square().sum(-1)


class ImageDecoder(nn.Module):
    """Latent state -> image in [0, 1] at recon_size: a 4 x 4 map, then stride-2 transposed convolutions.

    The first layer is DreamerV3's "block space" projection: a block-diagonal map of deter (one small
    image per block, stacked as channels) plus an MLP of stoch, so the widest layer of the model is not a
    dense (deter + stoch) x (4 * 4 * 8 * depth) matrix. Transposed convolutions (kernel 4, stride 2) instead
    of DreamerV3's upsample + kernel-5 convolutions do the same job at a sixth of the CPU time.
    """

    def __init__(self, deter: int, stoch_dim: int, depth: int, units: int, blocks: int, size: int):
        super().__init__()
        stages = int(math.log2(size // 4))
        if 4 * 2 ** stages != size:
            raise ValueError(f"recon size {size}: accepted: 4 * a power of two")
        channels = [depth * 2 ** i for i in range(stages)][::-1]  # e.g. 8d, 4d, 2d, d for 64 px
        self.minres, self.first = 4, channels[0]
        space = self.minres * self.minres * self.first
        self.blocks = blocks if self.first % blocks == 0 and deter % blocks == 0 else 1
        self.from_deter = BlockLinear(deter, space, self.blocks)
        self.from_stoch = nn.Sequential(linear(stoch_dim, 2 * units, bias=False), nn.RMSNorm(2 * units, eps=RMS_EPS),
                                        nn.SiLU(), linear(2 * units, space))
        self.space_norm = nn.Sequential(ChannelRMSNorm(self.first, eps=RMS_EPS), nn.SiLU())
        layers: list[nn.Module] = []
        for cin, cout in zip(channels[:-1], channels[1:], strict=True):
            layers += [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), ChannelRMSNorm(cout, eps=RMS_EPS), nn.SiLU()]
        layers.append(nn.ConvTranspose2d(channels[-1], 3, 4, 2, 1))
        self.convs = nn.Sequential(*layers)

    def forward(self, deter: torch.Tensor, stoch: torch.Tensor) -> torch.Tensor:
        """(N, deter), (N, stoch * classes) -> (N, 3, size, size) in [0, 1]."""
        n, r, c = deter.shape[0], self.minres, self.first
        # Block g of deter writes channels [g * c / blocks, (g + 1) * c / blocks) of every pixel.
        x0 = self.from_deter(deter).view(n, self.blocks, r, r, c // self.blocks)
        x0 = x0.permute(0, 2, 3, 1, 4).reshape(n, r, r, c)
        x1 = self.from_stoch(stoch).view(n, r, r, c)
        x = self.space_norm((x0 + x1).permute(0, 3, 1, 2))
        return torch.sigmoid(self.convs(x))
