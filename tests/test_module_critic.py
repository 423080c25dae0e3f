"""A reader's own critic module: estimate_mi(critic=module), ModuleCritic, MINE(module) (chapter 13)."""

import numpy as np
import pytest
import torch

import minebook as mb
from minebook.critics import ModuleCritic

FAST = dict(steps=300, batch_size=128)


class PairMLP(torch.nn.Module):
    """T(x, z) = MLP([x, z]) for flat x (B, dx), z (B, dz)."""

    def __init__(self, dx, dz):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(dx + dz, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))

    def forward(self, x, z):
        return self.net(torch.cat([x, z], dim=1)).squeeze(-1)


class TinyCNN(torch.nn.Module):
    """T(x, z) for images x (B, 1, 6, 6) and a vector z (B, 2)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten())
        self.head = torch.nn.Sequential(torch.nn.Linear(4 * 36 + 2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

    def forward(self, x, z):
        return self.head(torch.cat([self.conv(x), z], dim=1))  # (B, 1): also accepted


def image_pair(n=2000, seed=0):
    """Images whose mean brightness of two halves carries a 2-D Gaussian signal: I = 2 I(rho)."""
    rng = np.random.default_rng(seed)
    x, z = mb.correlated_gaussian(n, d=2, rho=0.9, seed=seed)
    img = rng.normal(0, 0.3, size=(n, 1, 6, 6))
    img[:, 0, :3] += x[:, :1, None]
    img[:, 0, 3:] += x[:, 1:, None]
    return img.astype(np.float32), z, 2 * mb.gaussian_mi(0.9)


def test_module_critic_on_flat_data_reads_close_to_the_truth():
    x, z = mb.correlated_gaussian(4000, d=1, rho=0.8, seed=1)
    res = mb.estimate_mi(x, z, critic=PairMLP(1, 1), steps=1000, batch_size=256)
    assert abs(res.mi - mb.gaussian_mi(0.8)) < 0.1
    assert "critic module" in res.route and res.n_critics == 3
    assert "few_samples" not in res.flags and "below_gaussian" not in res.flags


def test_images_go_in_as_given_and_the_returned_critic_takes_them():
    img, z, truth = image_pair()
    res = mb.estimate_mi(img, z, critic=TinyCNN(), n_critics=2, **FAST)
    assert np.isfinite(res.mi) and 0.3 * truth < res.mi < truth + 0.3
    scores = res.critic(img[:5], z[:5])
    assert scores.shape == (5,)
    assert isinstance(res.critic.critic.module, TinyCNN)  # inputs as given: only the (identity) scaling wrapper


def test_copies_start_apart_and_vmap_agrees_with_the_loop():
    gens = [torch.Generator().manual_seed(j) for j in range(3)]
    critic = ModuleCritic(TinyCNN(), (1, 6, 6), (2,), 3, gens)
    x, z = torch.randn(3, 10, 36), torch.randn(3, 10, 2)
    critic.vectorized = True
    a = critic(x, z)
    critic.vectorized = False
    b = critic(x, z)
    assert a.shape == (3, 10) and torch.allclose(a, b, atol=1e-5)
    assert not torch.allclose(a[0], a[1])  # re-initialised per copy
    member = critic.member(2)
    assert torch.allclose(member(x[2], z[2]), a[2], atol=1e-5)
    assert critic.scores(x[:, :4], z[:, :4]).shape == (3, 4, 4)


def test_estimate_mi_many_with_a_module_is_seeded_per_member():
    x, z = mb.correlated_gaussian(1500, d=1, rho=0.7, seed=2)
    first = mb.estimate_mi_many([(x, z)] * 2, critic=PairMLP(1, 1), seed=5, **FAST)
    again = mb.estimate_mi_many([(x, z)] * 2, critic=PairMLP(1, 1), seed=5, **FAST)
    assert [r.mi for r in first] == [r.mi for r in again]
    assert first[0].mi != first[1].mi


class WrongShape(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 3)

    def forward(self, x, z):
        return self.lin(torch.cat([x, z], dim=1))  # (B, 3): not one score per pair


@pytest.mark.parametrize(("module", "kwargs", "message"), [
    (WrongShape(), {}, "one score per pair"),
    (torch.nn.Linear(2, 1), {}, "failed on a batch"),
    (PairMLP(1, 1), dict(discrete=True), "discrete=True"),
    (PairMLP(1, 1), dict(estimator="ksg"), "trains no critic"),
])
def test_bad_modules_are_clear_value_errors(module, kwargs, message):
    x, z = mb.correlated_gaussian(600, d=1, rho=0.5, seed=0)
    with pytest.raises(ValueError, match=message):
        mb.estimate_mi(x, z, critic=module, **FAST, **kwargs)


def test_mine_takes_a_module_on_image_batches_and_learns():
    img, z, _ = image_pair(1024, seed=3)
    img, z = torch.as_tensor(img), torch.as_tensor(z, dtype=torch.float32)
    torch.manual_seed(0)
    mine = mb.MINE(TinyCNN())
    opt = torch.optim.Adam(mine.parameters(), lr=3e-3)
    first = None
    for _ in range(150):
        rows = torch.randint(len(img), (128,))
        value = mine(img[rows], z[rows])
        first = value.item() if first is None else first
        opt.zero_grad()
        (-value).backward()
        opt.step()
    mine.eval()
    with torch.no_grad():
        late = mine(img[:512], z[:512]).item()
    assert late > first + 0.5
    x = img[:8].clone().requires_grad_(True)
    mine.train()
    mine(x, z[:8]).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    with pytest.raises(ValueError, match="one score per pair"):
        mb.MINE(WrongShape())(torch.randn(8, 1), torch.randn(8, 1))


@pytest.mark.parametrize(("kwargs", "scaled"), [({}, False), (dict(standardize=True), True),
                                                (dict(preprocess="standardize"), True)])
def test_module_inputs_are_as_given_unless_preprocessing_is_asked(kwargs, scaled):
    x, z = mb.correlated_gaussian(600, d=1, rho=0.5, seed=0)
    res = mb.estimate_mi_many([(3 * x + 5, z)], critic=PairMLP(1, 1), steps=20, batch_size=64, **kwargs)[0]
    assert bool(abs(float(res.critic.x_mean[0])) > 1) == scaled
