"""Session 14, the fast.ai book "Deep Learning for Coders with fastai and PyTorch" (fastbook),
its chapters in plain PyTorch, small and on synthetic data: ch4 MNIST basics (pixel
similarity, SGD by hand, BasicOptim), ch5 softmax / log-likelihood by hand, ch8
collaborative filtering (test_programs_s14_fastbook_b.py: ch12 language models, ch13
convolutions, ch17 foundations); run on ember and compared live with torch 2.13."""

import numpy as np
import pytest
import torch
from torch_compare import error_of, run_both

import ember


def shown(values):
    """What the book prints: tensors at PyTorch's default precision, numbers as given."""
    return [str(v) if isinstance(v, (torch.Tensor, ember.Tensor, torch.dtype, ember.dtype))
            else v for v in values]


def _bits(t):
    return np.array(t.detach().numpy(), copy=True)


# ---- Tensor.normal_ / uniform_ / bernoulli_ / random_ under PyTorch's keyword names ---------
# ch8's create_params is `torch.zeros(*size).normal_(0, 0.01)`; learners also write
# normal_(mean=0, std=0.01), which ember refused ("unexpected keyword argument 'mean'").

def _keyword_draws(L):
    L.manual_seed(0)
    g = L.Generator().manual_seed(3)
    return [L.zeros(4).normal_(mean=1, std=2), L.zeros(3).normal_(std=2),
            L.zeros(3).normal_(1, std=0.5), L.zeros(2, 3).normal_(mean=0, std=0.01),
            L.zeros(3).uniform_(**{"from": -1, "to": 1}), L.zeros(3).uniform_(to=3),
            L.zeros(3).uniform_(-2, to=3), L.zeros(5).bernoulli_(p=0.3),
            L.zeros(3).bernoulli_(p=L.full((3,), 0.7)), L.zeros(3).random_(to=5),
            L.zeros(3).random_(**{"from": 2, "to": 5}), L.zeros(3, dtype=L.int64).random_(to=9),
            L.zeros(3).normal_(mean=0, std=1, generator=g), L.zeros(4).uniform_(generator=g),
            L.zeros(6).t().bernoulli_(0.5), L.zeros(3, 4).t().normal_(mean=2),
            L.zeros(3, 4)[:, ::2].uniform_(to=2)]


def test_samplers_take_pytorchs_keyword_names_and_draw_its_numbers():
    want, got = run_both(_keyword_draws)
    assert not isinstance(got, tuple), got
    for w, g in zip(want, got):
        assert (str(g.dtype), g.shape) == (str(w.dtype), w.shape)
        np.testing.assert_array_equal(_bits(g), _bits(w))


@pytest.mark.parametrize("case", [
    lambda L: L.zeros(3).normal_(mu=1), lambda L: L.zeros(3).uniform_(a=1),
    lambda L: L.zeros(3).uniform_(lo=1, **{"from": 0}), lambda L: L.zeros(3).normal_(0, 1, 2),
    lambda L: L.zeros(3).uniform_(0, 1, 2), lambda L: L.zeros(3).normal_(1, mean=1),
    lambda L: L.zeros(3).bernoulli_(prob=1), lambda L: L.zeros(3).bernoulli_(0.5, 0.5),
    lambda L: L.zeros(3).bernoulli_(0.5, p=0.5),
    lambda L: L.zeros(3).normal_(mean=0, std=-1), lambda L: L.zeros(3).uniform_(to=-1),
    lambda L: L.zeros(3).bernoulli_(p=2.0), lambda L: L.zeros(3).bernoulli_(1e-7 - 1),
    lambda L: L.zeros(3).bernoulli_(float("nan")),
    lambda L: L.zeros(3).bernoulli_(p=L.full((3,), 2.0)),
    lambda L: L.zeros(3).bernoulli_(L.tensor(float("nan"))),
    lambda L: L.nn.Parameter(L.zeros(3)).bernoulli_(2.0),
    lambda L: L.zeros(3, dtype=L.int64).normal_(std=1),
    lambda L: L.nn.Parameter(L.zeros(3)).normal_(mean=0, std=0.01),
])
def test_sampler_keyword_mistakes_raise_pytorchs_errors(case):
    assert error_of(lambda: case(ember)) == error_of(lambda: case(torch))


def _drawn_in_graph(L):
    out = []
    fills = [lambda x: x.normal_(), lambda x: x.uniform_(-1, 1), lambda x: x.bernoulli_(),
             lambda x: x.bernoulli_(p=0.3), lambda x: x.bernoulli_(L.full((3,), 0.3)),
             lambda x: x.normal_(mean=2, std=3), lambda x: x[1:].uniform_(to=2)]
    for fill in fills:
        L.manual_seed(0)
        w = L.randn(3, requires_grad=True)
        x = w * 2
        y = fill(x)
        (x * L.arange(3.0)).sum().backward()
        out += [y.grad_fn.name(), x._version, _bits(x), _bits(w.grad)]
    # strided views draw as PyTorch's kernel does on them (scalar normals, memory order)
    for fill in (lambda x: x[:, ::2].normal_(), lambda x: x.t().normal_(std=2),
                 lambda x: x[:, ::2].uniform_(), lambda x: x.t()[::2].bernoulli_(0.3)):
        L.manual_seed(0)
        w = L.randn(8, 10, requires_grad=True)
        x = w * 2
        y = fill(x)
        (x * L.arange(10.0)).sum().backward()
        out += [y.grad_fn.name(), x._version, _bits(x), _bits(w.grad)]
    with L.no_grad():
        x = w * 2
        x.normal_(std=0.5)
    return out + [x.grad_fn, x._version, _bits(x)]


def test_a_draw_into_a_tensor_in_a_graph_is_recorded_with_zero_gradient():
    """x = w * 2; x.normal_() leaves no path back to w: PyTorch records NormalBackward0 (and
    Uniform/Bernoulli) whose gradient is zero; ember kept MulBackward0 and gave w.grad = 2."""
    want, got = run_both(_drawn_in_graph)
    assert len(got) == len(want), got
    for g, w in zip(got, want):
        if isinstance(w, np.ndarray):
            np.testing.assert_array_equal(g, w)
        else:
            assert g == w


# ---- ch4: pixel similarity -----------------------------------------------------------------

def _images(L):
    L.manual_seed(42)
    threes = (L.rand(30, 28, 28) * 255).to(L.uint8)
    sevens = (L.rand(30, 28, 28) * 200).to(L.uint8)
    return threes, sevens


def _pixel_similarity(L):
    threes_u8, sevens_u8 = _images(L)
    stacked_threes = L.stack([t for t in threes_u8]).float() / 255
    stacked_sevens = L.stack(list(sevens_u8)).float() / 255
    mean3, mean7 = stacked_threes.mean(0), stacked_sevens.mean(0)
    a_3 = stacked_threes[1]
    F = L.nn.functional

    def mnist_distance(a, b):
        return (a - b).abs().mean((-1, -2))

    def is_3(x):
        return mnist_distance(x, mean3) < mnist_distance(x, mean7)

    valid_3, valid_7 = stacked_threes[:10], stacked_sevens[:10]
    acc3 = is_3(valid_3).float().mean()
    acc7 = (1 - is_3(valid_7).float()).mean()
    tns = L.tensor([[1, 2, 3], [4, 5, 6]])
    return shown([threes_u8.dtype, threes_u8[0, 4:8, 4:8], stacked_threes.shape,
                  stacked_threes.ndim, mean3[:2, :5], (a_3 - mean3).abs().mean(),
                  ((a_3 - mean7) ** 2).mean().sqrt(), F.l1_loss(a_3.float(), mean7),
                  F.mse_loss(a_3, mean7).sqrt(), mnist_distance(valid_3, mean3),
                  (valid_3 - mean3).shape, is_3(a_3), is_3(a_3).float(), is_3(valid_3),
                  acc3, acc7, (acc3 + acc7) / 2, tns[:, 1], tns[1, 1:3], tns + 1, tns.type(),
                  tns * 1.5, L.tensor([1, 2, 3]) + L.tensor(1)])


def test_ch4_pixel_similarity_prints_as_pytorch():
    want, got = run_both(_pixel_similarity)
    assert got == want


def _sgd_by_hand(L):
    L.manual_seed(42)
    time = L.arange(0, 20).float()
    speed = L.randn(20) * 3 + 0.75 * (time - 9.5) ** 2 + 1

    def f(t, params):
        a, b, c = params
        return a * (t ** 2) + (b * t) + c

    def mse(preds, targets):
        return ((preds - targets) ** 2).mean()

    params = L.randn(3).requires_grad_()
    out, lr = [], 1e-5
    for _ in range(10):
        loss = mse(f(time, params), speed)
        loss.backward()
        params.data -= lr * params.grad.data
        out += [_bits(loss), _bits(params.grad)]
        params.grad = None
    xt = L.tensor([3.0, 4.0, 10.0]).requires_grad_()
    yt = (xt ** 2).sum()
    yt.backward()
    return out + [_bits(params), str(params), str(yt), str(xt.grad)]


def test_ch4_sgd_by_hand_matches_bitwise():
    want, got = run_both(_sgd_by_hand)
    assert len(got) == len(want), got
    for g, w in zip(got, want):
        if isinstance(w, str):
            assert g == w
        else:
            np.testing.assert_array_equal(g, w)


def _mnist_linear(L):
    threes_u8, sevens_u8 = _images(L)
    nn, F = L.nn, L.nn.functional
    train_x = L.cat([threes_u8, sevens_u8]).float().div(255).view(-1, 28 * 28)
    train_y = L.tensor([1] * 30 + [0] * 30).unsqueeze(1)
    dset = list(zip(train_x, train_y))
    valid_dset = dset[:10] + dset[30:40]
    dl = L.utils.data.DataLoader(dset, batch_size=16, shuffle=True)
    valid_dl = L.utils.data.DataLoader(valid_dset, batch_size=16)

    def mnist_loss(predictions, targets):
        predictions = predictions.sigmoid()
        return L.where(targets == 1, 1 - predictions, predictions).mean()

    def batch_accuracy(xb, yb):
        return ((xb.sigmoid() > 0.5) == yb).float().mean()

    def validate_epoch(model):
        accs = [batch_accuracy(model(xb), yb) for xb, yb in valid_dl]
        return round(L.stack(accs).mean().item(), 4)

    class BasicOptim:
        def __init__(self, params, lr):
            self.params, self.lr = list(params), lr

        def step(self, *args, **kwargs):
            for p in self.params:
                p.data -= p.grad.data * self.lr

        def zero_grad(self, *args, **kwargs):
            for p in self.params:
                p.grad = None

    out = []
    trgts, prds = L.tensor([1, 0, 1]), L.tensor([0.9, 0.4, 0.2])
    out += [L.where(trgts == 1, 1 - prds, prds), L.where(trgts == 1, 1 - prds, prds).mean()]
    weights = (L.randn((28 * 28, 1)) * 1.0).requires_grad_()
    bias = L.randn(1).requires_grad_()

    def linear1(xb):
        return xb @ weights + bias

    preds = linear1(train_x[:4])
    out += [preds, (preds > 0.0).float() == train_y[:4], validate_epoch(linear1)]
    for _ in range(3):
        for xb, yb in dl:
            mnist_loss(linear1(xb), yb).backward()
            for p in (weights, bias):
                p.data -= p.grad * 1.0
                p.grad.zero_()
        out.append(validate_epoch(linear1))
    for model in (nn.Linear(28 * 28, 1),
                  nn.Sequential(nn.Linear(28 * 28, 30), nn.ReLU(), nn.Linear(30, 1))):
        opt = BasicOptim(model.parameters(), 1.0) if isinstance(model, nn.Linear) else \
            L.optim.SGD(model.parameters(), 0.1)
        for _ in range(3):
            for xb, yb in dl:
                mnist_loss(model(xb), yb).backward()
                opt.step()
                opt.zero_grad()
            out.append(validate_epoch(model))
        out += [model, [p.shape for p in model.parameters()]]
    out.append(F.binary_cross_entropy_with_logits(linear1(train_x[:5]), train_y[:5].float()))
    return [repr(v) if isinstance(v, (nn.Module, list)) else v for v in shown(out)]


def test_ch4_linear_model_basic_optim_and_simple_net_print_as_pytorch():
    """Losses go through sigmoid (Sleef's last bits, README): the printed values agree."""
    want, got = run_both(_mnist_linear)
    assert got == want


# ---- ch5: softmax, log-likelihood, cross-entropy by hand ----------------------------------

def _ch5(L):
    F, nn = L.nn.functional, L.nn
    L.manual_seed(0)
    acts = L.randn((6, 2)) * 2
    targ = L.tensor([0, 1, 0, 1, 1, 0])
    idx = range(6)
    sm_acts = L.softmax(acts, dim=1)
    by_hand = L.exp(acts) / L.exp(acts).sum(dim=1, keepdim=True)
    lsm = L.log_softmax(acts, dim=1)

    def logsumexp(x):
        m = x.max(-1)[0]
        return m + (x - m[:, None]).exp().sum(-1).log()

    a2 = acts.clone().requires_grad_()
    F.cross_entropy(a2, targ).backward()
    a3 = acts.clone().requires_grad_()
    (-(a3.log_softmax(-1)[idx, targ]).mean()).backward()
    return shown([acts, acts.sigmoid(), (acts[:, 0] - acts[:, 1]).sigmoid(), sm_acts, by_hand,
                  sm_acts[idx, targ], sm_acts[list(idx), targ], -sm_acts[idx, targ],
                  F.nll_loss(sm_acts, targ, reduction="none"), lsm, F.nll_loss(lsm, targ),
                  nn.CrossEntropyLoss()(acts, targ), F.cross_entropy(acts, targ),
                  nn.CrossEntropyLoss(reduction="none")(acts, targ),
                  L.gather(sm_acts, 1, targ[:, None]), logsumexp(acts), acts.logsumexp(-1),
                  a2.grad, a3.grad, F.cross_entropy(acts, targ, label_smoothing=0.1)])


def test_ch5_softmax_and_negative_log_likelihood_by_hand_print_as_pytorch():
    want, got = run_both(_ch5)
    assert got == want


@pytest.mark.parametrize("case", [
    lambda L: L.nn.functional.nll_loss(L.randn(4, 5), L.tensor([1, 0, 2, 3]).float()),
    lambda L: L.nn.functional.cross_entropy(L.randn(4, 5), L.tensor([5, 0, 1, 1])),
    lambda L: L.nn.functional.cross_entropy(L.randn(4, 5), L.tensor([1, 0, 2])),
    lambda L: L.randn(6, 2)[range(6), L.tensor([0, 1, 0, 1])],
    lambda L: L.nn.functional.cross_entropy(L.randn(4, 5), L.tensor([1, 0, 2, 3]).int()),
    lambda L: L.nn.functional.binary_cross_entropy(L.randn(4, 5) * 3, L.ones(4, 5)),
    lambda L: L.softmax(L.randn(4, 5)),
    lambda L: L.gather(L.randn(4, 5), 1, L.tensor([1, 0, 2, 3])),
    lambda L: L.nn.CrossEntropyLoss()(L.randn(1, 4, 5), L.tensor([1, 0, 2, 3])),
])
def test_ch5_loss_mistakes_raise_pytorchs_errors(case):
    assert error_of(lambda: case(ember)) == error_of(lambda: case(torch))


# ---- ch8: collaborative filtering ---------------------------------------------------------

def _collab(L, draw):
    nn, F = L.nn, L.nn.functional
    L.manual_seed(42)
    users, movies = L.randint(0, 20, (200,)), L.randint(0, 15, (200,))
    ratings = (L.rand(200) * 4.5 + 0.5).round()
    x = L.stack([users, movies], dim=1)

    def sigmoid_range(v, lo, hi):
        return L.sigmoid(v) * (hi - lo) + lo

    class DotProductBias(nn.Module):
        def __init__(self, n_users, n_movies, n_factors, y_range=(0, 5.5)):
            super().__init__()
            self.user_factors = nn.Parameter(draw(L.zeros(n_users, n_factors)))
            self.user_bias = nn.Parameter(draw(L.zeros(n_users)))
            self.movie_factors = nn.Parameter(draw(L.zeros(*[n_movies, n_factors])))
            self.movie_bias = nn.Parameter(draw(L.zeros(n_movies)))
            self.y_range = y_range

        def forward(self, x):
            users = self.user_factors[x[:, 0]]
            movies = self.movie_factors[x[:, 1]]
            res = (users * movies).sum(dim=1)
            res += self.user_bias[x[:, 0]] + self.movie_bias[x[:, 1]]
            return sigmoid_range(res, *self.y_range)

    model = DotProductBias(20, 15, 8)
    out = [model, str(model.user_bias[:5])]
    opt = L.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(3):
        for i in range(0, 200, 64):
            xb, yb = x[i:i + 64], ratings[i:i + 64]
            loss = F.mse_loss(model(xb), yb)
            loss_wd = loss + 0.1 * sum((p ** 2).sum() for p in model.parameters())
            opt.zero_grad()
            loss_wd.backward()
            opt.step()
        out += [round(loss.item(), 4), round(loss_wd.item(), 4)]
    counts = ratings.new_zeros(15).index_add_(0, movies, L.ones(200))
    mb = model.movie_bias.squeeze()
    movie_w = model.movie_factors[counts.argsort(descending=True)[:10]].detach()
    _, s, _ = L.svd(movie_w - movie_w.mean(0))
    dist = nn.CosineSimilarity(dim=1)(model.movie_factors, model.movie_factors[3][None])
    return [repr(v) if isinstance(v, nn.Module) else v for v in shown(
        out + [counts, counts.argsort(descending=True), mb.argsort()[:5],
               mb.argsort(descending=True)[:5], s[:3], dist.argsort(descending=True)[1]])]


@pytest.mark.parametrize("draw", [
    lambda t: t.normal_(0, 0.01), lambda t: t.normal_(mean=0, std=0.01),
    lambda t: t.normal_(std=0.01)])
def test_ch8_dot_product_bias_with_weight_decay_by_hand_prints_as_pytorch(draw):
    """Rows are summed with sum(dim=1) (NumPy's order, README): printed values agree."""
    want, got = run_both(lambda L: _collab(L, draw))
    assert got == want
