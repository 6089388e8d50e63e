"""DreamerV3's numerical pieces against hand-computed values: symlog, two-hot, the percentile return
normaliser, lambda-returns, KL balancing with free nats, unimix, the bounded-normal actor and LaProp."""

from __future__ import annotations

import math

import pytest
import torch

from pvmbench.agents.dreamerv3.actor_critic import PercentileNormaliser, lambda_returns
from pvmbench.agents.dreamerv3.distributions import (
    BoundedNormal,
    categorical_kl,
    kl_balance,
    symexp,
    symlog,
    twohot_bins,
    twohot_decode,
    twohot_encode,
    unimix_logits,
)
from pvmbench.agents.dreamerv3.optim import LaProp

VALUES = torch.tensor([-123456.0, -1e3, -3.3, -0.5, -1e-3, 0.0, 1e-3, 0.1, 0.5, 2.5, 17.0, 1e3, 4e6])


def test_symlog_known_values_and_round_trip():
    e1 = math.e - 1
    assert torch.allclose(symlog(torch.tensor([-e1, 0.0, e1])), torch.tensor([-1.0, 0.0, 1.0]))
    assert torch.allclose(symexp(symlog(VALUES.double())), VALUES.double(), rtol=1e-12, atol=0)
    assert torch.equal(symlog(-VALUES), -symlog(VALUES))  # odd, so rewards of either sign squash alike


def test_twohot_bins_are_255_symmetric_symexp_bins():
    bins = twohot_bins(255)
    assert bins.shape == (255,) and bins[127] == 0.0
    assert torch.all(bins[1:] > bins[:-1])
    assert torch.equal(bins, -bins.flip(0))
    assert torch.allclose(symlog(bins.double()), torch.linspace(-20, 20, 255, dtype=torch.float64), atol=1e-5)


def test_twohot_round_trip_weights_sum_to_one_on_two_neighbours():
    bins = twohot_bins(255)
    weights = twohot_encode(VALUES, bins)
    assert weights.shape == (len(VALUES), 255)
    assert torch.allclose(weights.sum(-1), torch.ones(len(VALUES)))
    for row in weights:
        nonzero = torch.nonzero(row).flatten()
        assert 1 <= len(nonzero) <= 2 and (len(nonzero) == 1 or nonzero[1] - nonzero[0] == 1)
    assert torch.allclose(twohot_decode(weights, bins), VALUES, rtol=1e-5, atol=1e-6)


def test_twohot_interpolates_linearly_between_bins():
    bins = twohot_bins(255)
    x = 0.25 * bins[130] + 0.75 * bins[131]
    weights = twohot_encode(x.reshape(1), bins)[0]
    assert torch.allclose(weights[130:132], torch.tensor([0.25, 0.75]), atol=1e-5)
    on_bin = twohot_encode(bins[140].reshape(1), bins)[0]
    assert on_bin[140] == 1.0 and on_bin.sum() == 1.0
    beyond = twohot_encode(torch.tensor([1e12]), bins)[0]
    assert beyond[-1] == 1.0  # clipped onto the last bin


def test_uniform_twohot_prediction_is_exactly_zero():
    bins = twohot_bins(255)
    assert twohot_decode(torch.full((3, 255), 1 / 255), bins).eq(0).all()


def test_percentile_normaliser_hand_example():
    norm = PercentileNormaliser(rate=0.01, low=5.0, high=95.0, limit=1.0)
    returns = torch.arange(101.0)  # 5th percentile 5, 95th percentile 95
    norm.update(returns)
    assert norm.low.item() == pytest.approx(0.05) and norm.high.item() == pytest.approx(0.95)
    assert norm.scale().item() == 1.0  # range 0.9 < 1: never scaled up
    for _ in range(199):
        norm.update(returns)
    ema = 1 - 0.99 ** 200
    assert norm.low.item() == pytest.approx(5 * ema, rel=1e-4)
    assert norm.high.item() == pytest.approx(95 * ema, rel=1e-4)
    assert norm.scale().item() == pytest.approx(90 * ema, rel=1e-4)
    small = PercentileNormaliser()
    for _ in range(500):
        small.update(torch.linspace(0, 0.5, 11))
    assert small.scale().item() == 1.0


def test_lambda_returns_three_step_hand_example():
    rewards = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    values = torch.tensor([[10.0, 20.0, 30.0, 40.0]])
    continues = torch.tensor([[1.0, 0.5, 1.0, 0.9]])
    # R2 = 3 + 0.9 (0.5 * 40 + 0.5 * 40) = 39; R1 = 2 + 1 (0.5 * 30 + 0.5 * 39) = 36.5;
    # R0 = 1 + 0.5 (0.5 * 20 + 0.5 * 36.5) = 15.125
    assert lambda_returns(rewards, values, continues, 0.5).tolist() == [[15.125, 36.5, 39.0]]
    td0 = lambda_returns(rewards, values, continues, 0.0)  # one-step targets r + c v
    assert td0.tolist() == [[1 + 0.5 * 20, 2 + 30.0, 3 + 0.9 * 40]]
    monte_carlo = lambda_returns(rewards, values, continues, 1.0)  # discounted sum, bootstrapped at the end
    assert monte_carlo[0, 0].item() == pytest.approx(1 + 0.5 * (2 + 1 * (3 + 0.9 * 40)))


def test_lambda_returns_stop_at_an_episode_end():
    rewards = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    values = torch.tensor([[10.0, 20.0, 30.0, 40.0]])
    continues = torch.ones(1, 4)
    lam = torch.tensor([[0.5, 0.0, 0.5, 0.5]])  # step 1 is an episode's last: bootstrap from its value there
    ret = lambda_returns(rewards, values, continues, lam)
    assert ret[0, 0].item() == pytest.approx(1 + 20.0)


def _logits(seed: int, shape=(2, 16, 16)) -> torch.Tensor:
    return unimix_logits(3 * torch.randn(shape, generator=torch.Generator().manual_seed(seed)))


def test_kl_below_free_nats_is_clipped_to_one_and_gives_no_gradient():
    post = _logits(0).requires_grad_()
    prior = (post.detach() + 0.01 * torch.randn(post.shape)).requires_grad_()
    assert categorical_kl(post, prior).max() < 1.0
    dyn, rep = kl_balance(post, prior, free_nats=1.0)
    assert torch.equal(dyn, torch.ones(2)) and torch.equal(rep, torch.ones(2))
    (dyn + rep).sum().backward()
    assert not post.grad.any() and not prior.grad.any()


def test_kl_balance_dyn_trains_the_prior_and_rep_the_posterior():
    post, prior = _logits(1).requires_grad_(), _logits(2).requires_grad_()
    dyn, rep = kl_balance(post, prior, free_nats=1.0)
    kl = categorical_kl(post, prior)
    assert kl.min() > 1.0
    assert torch.allclose(dyn, kl) and torch.allclose(rep, kl)
    dyn.sum().backward(retain_graph=True)
    assert post.grad is None and prior.grad.abs().sum() > 0  # dyn = KL(sg(post) || prior)
    prior_grad_from_dyn = prior.grad.clone()
    prior.grad = None
    rep.sum().backward(retain_graph=True)
    assert prior.grad is None and post.grad.abs().sum() > 0  # rep = KL(post || sg(prior))
    post_grad_from_rep = post.grad.clone()
    post.grad = None
    (1.0 * dyn + 0.1 * rep).sum().backward()  # DreamerV3's weights: dyn 1.0, rep 0.1
    assert torch.allclose(prior.grad, prior_grad_from_dyn) and torch.allclose(post.grad, 0.1 * post_grad_from_rep)


def test_unimix_mixes_one_percent_uniform():
    logits = torch.tensor([100.0, 0.0, 0.0, 0.0])
    probs = unimix_logits(logits, 0.01).exp()
    assert torch.allclose(probs, torch.tensor([0.99 + 0.0025, 0.0025, 0.0025, 0.0025]))
    assert torch.allclose(unimix_logits(logits, 0.0).exp(), torch.softmax(logits, -1))
    peaked = unimix_logits(torch.tensor([[50.0] + [-50.0] * 15]), 0.01).exp()
    assert peaked.min().item() == pytest.approx(0.01 / 16)


def test_bounded_normal_mean_and_std_stay_in_range():
    dist = BoundedNormal(torch.tensor([[-50.0, 0.0, 50.0]]), torch.tensor([[-50.0, 0.0, 50.0]]), 0.1, 1.0)
    assert torch.allclose(dist.mode(), torch.tensor([[-1.0, 0.0, 1.0]]))
    assert torch.allclose(dist.std, torch.tensor([[0.1, 0.1 + 0.9 * torch.sigmoid(torch.tensor(2.0)).item(), 1.0]]))
    normal = torch.distributions.Normal(dist.mean, dist.std)
    action = torch.tensor([[0.3, -0.2, 0.9]])
    assert torch.allclose(dist.log_prob(action), normal.log_prob(action).sum(-1))
    assert torch.allclose(dist.entropy(), normal.entropy().sum(-1))


def test_laprop_with_adaptive_clipping_hand_example():
    p = torch.nn.Parameter(torch.tensor([1.0]))
    opt = LaProp([p], lr=0.1, eps=1e-20, agc=0.3, warmup=0)
    p.grad = torch.tensor([0.5])  # |g| 0.5 > 0.3 |p|: clipped to 0.3
    opt.step()
    # nu_hat = 0.3^2, u = 0.3 / 0.3 = 1, mu_hat = 1: p = 1 - 0.1
    assert p.item() == pytest.approx(0.9)
    p.grad = torch.tensor([-0.01])  # within the clip; sign flips
    opt.step()
    nu = 0.999 * 0.001 * 0.09 + 0.001 * 1e-4
    u = -0.01 / math.sqrt(nu / (1 - 0.999 ** 2))
    mu = 0.9 * 0.1 + 0.1 * u
    assert p.item() == pytest.approx(0.9 - 0.1 * mu / (1 - 0.9 ** 2), rel=1e-5)


def test_laprop_warmup_ramps_the_learning_rate():
    p = torch.nn.Parameter(torch.tensor([1.0]))
    opt = LaProp([p], lr=0.1, agc=0.0, warmup=10)
    p.grad = torch.tensor([1.0])
    opt.step()
    assert p.item() == pytest.approx(1 - 0.1 / 10)
