"""minebook.experiments.infomax: the pieces of Deep InfoMax (chapter 11)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minebook as mb
from minebook.experiments import infomax as im


def test_encoder_shapes_and_prior_squashing():
    gen = torch.Generator().manual_seed(0)
    enc = im.StackedDIMEncoder(2, (8, 8), ((4, 2, 32),), prior=[False, True], generator=gen)
    m, y = enc(torch.randn(2, 7, 64) * 5)
    assert m.shape == (2, 7, 9, 32) and y.shape == (2, 7, 64)
    assert (m >= 0).all()
    assert ((y[1] > 0) & (y[1] < 1)).all() and (y[0] < 0).any()
    mnist = im.StackedDIMEncoder(3)                        # the default: 28x28 digits, MNIST_CONVS
    m, y = mnist(torch.randn(3, 5, 784))
    assert m.shape == (3, 5, 16, 32) and y.shape == (3, 5, 64)


def test_conv_output_shape_and_bad_convolutions():
    assert im.conv_output_shape((28, 28), im.MNIST_CONVS) == (4, 4)
    assert im.conv_output_shape((8, 8), ((4, 2, 32),)) == (3, 3)
    with pytest.raises(ValueError, match="do not fit"):
        im.conv_output_shape((8, 8), ((4, 2, 8), (4, 2, 8)))


def test_grouped_convolution_is_each_members_own_conv_net():
    """Member k of the stack computes exactly nn.functional.conv2d with its own filters on its own images."""
    import torch.nn.functional as F

    enc = im.StackedDIMEncoder(3, generator=torch.Generator().manual_seed(1))
    x = torch.randn(3, 4, 784)
    m = enc.feature_map(x)
    k = 2
    h = x[k].reshape(4, 1, 28, 28)
    for w, b, (_, stride, _) in zip(enc.conv_weights, enc.conv_biases, enc.convs, strict=True):
        h = F.relu(F.conv2d(h, w[k], b[k], stride=stride))
    torch.testing.assert_close(m[k], h.flatten(2).transpose(1, 2))   # (N, P, C): positions row-major


def test_score_shapes_and_local_scores():
    f, g = torch.randn(2, 5, 4), torch.randn(2, 5, 4)
    s = im.dim_scores_global(f, g)
    assert s.shape == (2, 5, 5)
    torch.testing.assert_close(s[1, 2, 3], f[1, 2] @ g[1, 3])
    fp = torch.randn(2, 5, 3, 4)
    sl = im.dim_scores_local(fp, g)
    assert sl.shape == (2, 3, 5, 5)
    torch.testing.assert_close(sl[0, 1, 2, 4], fp[0, 2, 1] @ g[0, 4])


def test_dim_objective_reuses_the_bounds():
    scores = torch.randn(2, 6, 6)
    out = im.dim_objective(scores)
    mask = ~torch.eye(6, dtype=torch.bool)
    joint, marg = torch.diagonal(scores, dim1=-2, dim2=-1), scores[:, mask].reshape(2, 30)
    torch.testing.assert_close(out["jsd"], mb.jsd_objective(joint, marg))
    torch.testing.assert_close(out["mine_biased"], mb.dv_bound(joint, marg))
    torch.testing.assert_close(out["infonce"], mb.infonce_bound(scores))
    local = torch.randn(2, 3, 6, 6)   # averaged over patch positions
    torch.testing.assert_close(im.dim_objective(local)["infonce"], mb.infonce_bound(local).mean(1))


def test_dim_objective_rewards_dependence():
    """All three objectives are larger for a critic that singles out the joint pairs."""
    b = 16
    good = 5.0 * torch.eye(b).unsqueeze(0)
    bad = torch.zeros(1, b, b)
    g, z = im.dim_objective(good), im.dim_objective(bad)
    for key in im.DIM_ESTIMATORS:
        assert g[key] > z[key]
    assert abs(float(z["infonce"])) < 1e-6 and float(g["infonce"]) <= math.log(b) + 1e-6


def _blobs(n=300, seed=0):
    """Ten classes of 8x8 'images': a class template plus noise, standardized."""
    rng = np.random.default_rng(seed)
    templates = rng.standard_normal((10, 64)) * 2
    y = rng.integers(0, 10, n)
    x = templates[y] + rng.standard_normal((n, 64))
    return ((x - x.mean(0)) / x.std(0)).astype(np.float32), y


def test_train_dim_runs_every_variant_and_raises_the_objective():
    x, y = _blobs()
    ens = im.train_dim(x, y, im.PAPER_VARIANTS, steps=60, batch_size=32, image_shape=(8, 8), convs=((4, 2, 8),),
                       hidden=(32,),
                       dim_y=16, critic_hidden=32, embed=16, disc_hidden=16, lr=3e-3)
    obj = ens.history["objective"]
    assert obj.shape == (60, len(im.PAPER_VARIANTS)) and np.isfinite(obj).all()
    dim_rows = [i for i, v in enumerate(im.PAPER_VARIANTS) if not v.supervised]
    assert np.all(obj[-10:, dim_rows].mean(0) > obj[:5, dim_rows].mean(0))   # each member maximises its bound
    prior_rows = [i for i, v in enumerate(im.PAPER_VARIANTS) if v.gamma > 0]
    assert np.isfinite(ens.history["prior_d"][:, prior_rows]).all()
    # the random encoder is the same network at initialisation
    rnd = dict(ens.random.named_parameters())
    changed = [not torch.equal(p, rnd[name]) for name, p in ens.encoder.named_parameters()]
    assert all(changed)
    codes = im.encode(ens.encoder, x[:50])
    assert codes.shape == (len(im.PAPER_VARIANTS), 50, 16)


def test_train_dim_is_deterministic_and_checks_estimators():
    x, y = _blobs(120)
    kw = dict(steps=5, batch_size=16, image_shape=(8, 8), convs=((4, 2, 4),), hidden=(8,), dim_y=8, critic_hidden=8,
              embed=4, disc_hidden=8)
    a = im.train_dim(x, y, im.PAPER_VARIANTS[:3], seed=3, **kw)
    b = im.train_dim(x, y, im.PAPER_VARIANTS[:3], seed=3, **kw)
    np.testing.assert_array_equal(a.history["objective"], b.history["objective"])
    with pytest.raises(ValueError, match="unknown DIM estimator"):
        im.train_dim(x, y, [im.Variant("x", alpha=1.0, estimator="mine")], **kw)


def test_probes_learn_separable_features():
    x, y = _blobs(400)
    feats = torch.as_tensor(x).unsqueeze(0).repeat(2, 1, 1)
    feats[1] = torch.randn(400, 64)            # member 1: features unrelated to the label
    probe = im.train_probe(feats[:, :300], y[:300], steps=150)
    acc = im.probe_accuracy(*probe, feats[:, 300:], y[300:])
    assert acc[0] > 90 and acc[1] < 40
    mlp = im.train_probe(feats[:, :300], y[:300], hidden=(32,), steps=150)
    assert im.probe_accuracy(*mlp, feats[:, 300:], y[300:])[0] > 90


def test_few_label_accuracy_shapes_and_ordering():
    x, y = _blobs(500)
    feats = torch.as_tensor(x).unsqueeze(0).repeat(2, 1, 1)
    feats[1] = torch.randn(500, 64)
    acc = im.few_label_accuracy(feats[:, :400], y[:400], feats[:, 400:], y[400:], per_class=3, n_draws=2, steps=100)
    assert acc.shape == (2,) and acc[0] > 80 and acc[1] < 40


def test_mi_between_input_and_code_orders_codes():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1200, 2)).astype(np.float32)
    codes = torch.stack([torch.as_tensor(x + 0.1 * rng.standard_normal(x.shape)),
                         torch.as_tensor(rng.standard_normal(x.shape))]).float()
    mi, ess = im.mi_between_input_and_code(x, codes, steps=300, batch_size=128, hidden=(32, 32), return_ess=True)
    assert mi[0] > 2.0 and abs(mi[1]) < 0.3
    assert ess.shape == (2,) and (ess > 1).all()
    np.testing.assert_allclose(im.mi_between_input_and_code(x, codes, steps=300, batch_size=128, hidden=(32, 32)), mi)


def test_embed_2d_shape_and_determinism():
    codes = torch.randn(40, 8)
    a, b = im.embed_2d(codes, seed=1, max_iter=250), im.embed_2d(codes, seed=1, max_iter=250)
    assert a.shape == (40, 2) and np.allclose(a, b)


def test_r1_penalty_of_a_linear_discriminator():
    """D(u) = a . u has gradient a everywhere: the penalty is |a|^2 for every member."""
    a = torch.tensor([[1.0, 2.0], [0.0, 3.0]])
    u = torch.rand(2, 5, 2, requires_grad=True)
    d = (u * a[:, None, :]).sum(-1)
    torch.testing.assert_close(im.r1_penalty(d, u), torch.tensor([5.0, 9.0]))


def test_prior_knobs_train_and_warmup_starts_without_the_prior():
    x, y = _blobs(120)
    kw = dict(steps=6, batch_size=16, image_shape=(8, 8), convs=((4, 2, 4),), hidden=(8,), dim_y=8,
              critic_hidden=8, embed=4, disc_hidden=8)
    variants = [im.Variant("plain", beta=1.0, gamma=0.5), im.Variant("warm", beta=1.0, gamma=0.5, gamma_warmup=1.0),
                im.Variant("r1", beta=1.0, gamma=0.5, prior_penalty=10.0)]
    ens = im.train_dim(x, y, variants, seed=0, disc_lr=1e-4, **kw)
    assert np.isfinite(ens.history["objective"]).all() and np.isfinite(ens.history["prior_d"]).all()
    # at step 0 a warm-up member has gamma = 0, so its first step does not depend on gamma; without warm-up it does
    one = dict(kw, steps=1)

    def first_step(gamma, warmup):
        ens = im.train_dim(x, y, [im.Variant("v", beta=1.0, gamma=gamma, gamma_warmup=warmup)], seed=0, **one)
        return torch.cat([p.detach().flatten() for p in ens.encoder.parameters()])

    torch.testing.assert_close(first_step(0.5, 1.0), first_step(5.0, 1.0))
    assert not torch.equal(first_step(0.5, 0.0), first_step(5.0, 0.0))


def test_fast_cross_entropy_matches_torch():
    logits, target = torch.randn(50, 10, requires_grad=True), torch.randint(0, 10, (50,))
    fast, ref = im.fast_cross_entropy(logits, target), torch.nn.functional.cross_entropy(logits, target)
    torch.testing.assert_close(fast, ref)
    g_fast, = torch.autograd.grad(fast, logits)
    g_ref, = torch.autograd.grad(ref, logits)
    torch.testing.assert_close(g_fast, g_ref)
    big = im.fast_cross_entropy(torch.tensor([[1000.0, 0.0]]), torch.tensor([1]))   # no overflow
    assert torch.isfinite(big) and abs(float(big) - 1000.0) < 1e-3


def test_disc_lr_scale_is_a_per_member_discriminator_learning_rate():
    """One member with disc_lr_scale=0.1 trains like the same member alone with disc_lr = lr / 10."""
    x, y = _blobs(120)
    kw = dict(steps=5, batch_size=16, image_shape=(8, 8), convs=((4, 2, 4),), hidden=(8,), dim_y=8,
              critic_hidden=8, embed=4, disc_hidden=8, lr=1e-3, seed=2)
    scaled = im.train_dim(x, y, [im.Variant("s", beta=1.0, gamma=0.5, disc_lr_scale=0.1)], **kw)
    slow = im.train_dim(x, y, [im.Variant("s", beta=1.0, gamma=0.5)], disc_lr=1e-4, **kw)
    for p, q in zip(scaled.encoder.parameters(), slow.encoder.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(scaled.history["prior_d"], slow.history["prior_d"])
