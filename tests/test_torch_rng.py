"""ember's generator is PyTorch's: after the same manual_seed, the same calls give the same
numbers, bit for bit (compared with live torch 2.13, never with stored values)."""

import numpy as np
import pytest
import torch

import ember

SEEDS = [0, 1, 42, 2147483647, 12345678901, -5]
SIZES = [1, 3, 15, 16, 17, 31, 100, 1000]  # below 16, at and past PyTorch's block size


def same(fn, seed=7):
    """fn(lib) run after manual_seed(seed) (None: from the current states) on both
    libraries: identical dtype, shape, bits."""
    if seed is not None:
        ember.manual_seed(seed)
        torch.manual_seed(seed)
    e, t = fn(ember), fn(torch)
    e = e.detach().numpy() if hasattr(e, "detach") else np.asarray(e)
    t = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert e.dtype == t.dtype and e.shape == t.shape
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rand_randn_uniform_normal(seed, n, dtype):
    same(lambda L: L.rand(n, dtype=getattr(L, dtype)), seed)
    same(lambda L: L.randn(n, dtype=getattr(L, dtype)), seed)
    same(lambda L: L.empty(n, dtype=getattr(L, dtype)).uniform_(-2.0, 3.0), seed)
    same(lambda L: L.empty(n, dtype=getattr(L, dtype)).normal_(0.5, 2.0), seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
def test_integer_draws(seed, n):
    same(lambda L: L.randint(-3, 10, (n,)), seed)
    same(lambda L: L.randint(0, 2 ** 40, (n,)), seed)  # a range past 32 bits: random64
    same(lambda L: L.randperm(n), seed)
    same(lambda L: L.empty(n, dtype=L.int64).random_(), seed)
    same(lambda L: L.empty(n, dtype=L.int32).random_(), seed)
    same(lambda L: L.empty(n).random_(3, 9), seed)
    same(lambda L: L.empty(n, dtype=L.float64).random_(9), seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_bernoulli_and_dropout(seed):
    same(lambda L: L.bernoulli(L.full((40,), 0.3)), seed)
    same(lambda L: L.bernoulli(L.linspace(0, 1, 40, dtype=L.float64)), seed)
    same(lambda L: L.bernoulli(L.ones(30), 0.3), seed)
    same(lambda L: L.empty(40).bernoulli_(0.2), seed)
    same(lambda L: L.empty(40).bernoulli_(L.rand(40)), seed)
    same(lambda L: L.nn.functional.dropout(L.ones(50), 0.3), seed)
    same(lambda L: L.nn.functional.dropout(L.ones(7, 9, dtype=L.float64), 0.1), seed)
    same(lambda L: L.nn.functional.dropout(L.ones(5), 1.0), seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_multinomial(seed):
    same(lambda L: L.multinomial(L.tensor([0.1, 0.2, 0.7]), 1), seed)
    same(lambda L: L.multinomial(L.tensor([0.1, 0.2, 0.7]), 5, replacement=True), seed)
    same(lambda L: L.multinomial(L.tensor([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]), 2), seed)
    same(lambda L: L.multinomial(L.rand(4, 27), 10, True), seed)
    same(lambda L: L.multinomial(L.rand(3, 5, dtype=L.float64), 1), seed)


def test_makemore_sampling_loop():
    """Karpathy's makemore: a Generator seeded 2147483647 drives rand and multinomial."""
    def run(L):
        g = L.Generator().manual_seed(2147483647)
        counts = (L.rand(27, 27, generator=g) * 100).int() + 1
        probs = counts.float() / counts.float().sum(1, keepdim=True)
        out, ix = [], 0
        for _ in range(40):
            ix = L.multinomial(probs[ix], num_samples=1, replacement=True, generator=g).item()
            out.append(ix)
        return L.tensor(out)
    same(run)


def test_normal_with_tensor_arguments():
    same(lambda L: L.normal(2.0, 3.0, size=(40,)))
    same(lambda L: L.normal(L.arange(20.0), 0.5))
    same(lambda L: L.normal(L.arange(20.0), L.arange(20.0) / 10))
    same(lambda L: L.normal(1.0, L.arange(20.0) / 10))
    same(lambda L: L.normal(L.zeros(5), L.ones(5)))


def test_small_normal_draws_keep_the_second_of_a_pair():
    """Below 16 elements each value is one Box-Muller draw and its partner waits in the
    generator for the next call, as in PyTorch."""
    same(lambda L: L.cat([L.randn(3), L.randn(1), L.randn(2, dtype=L.float64).float(),
                          L.randn(20), L.randn(5)]))
    # manual_seed forgets a waiting value
    same(lambda L: (L.randn(1), L.manual_seed(7), L.randn(3))[2])


def test_state_round_trip_and_generators():
    def run(L):
        s = L.get_rng_state()
        a = L.randn(5)
        L.set_rng_state(s)
        g = L.Generator().manual_seed(3)
        return L.cat([a, L.randn(5), L.rand(4, generator=g), L.randn(17, generator=g)])
    same(run)
    g = ember.Generator().manual_seed(11)
    ember.randn(3, generator=g)  # leaves a cached normal behind
    state = g.get_state()
    first = ember.randn(40, generator=g).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(ember.randn(40, generator=g).numpy(), first)
    with pytest.raises(RuntimeError, match="CPUGeneratorImplState of size 5056"):
        g.set_state(ember.zeros(3, dtype=ember.uint8))
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        g.set_state(ember.zeros(5056))


@pytest.mark.parametrize("draws", [0, 3, 624, 1000])
def test_rng_state_is_pytorchs_byte_for_byte(draws):
    """get_rng_state() gives PyTorch's 5056 bytes, and either library continues the other's
    stream from them (with a cached Box-Muller value too)."""
    ember.manual_seed(5)
    torch.manual_seed(5)
    for L in (ember, torch):
        L.rand(draws)
        L.randn(1, dtype=L.float64)
    ours, theirs = ember.get_rng_state().numpy(), torch.get_rng_state().numpy()
    np.testing.assert_array_equal(ours, theirs)
    ember.set_rng_state(ember.tensor(theirs))
    torch.set_rng_state(torch.tensor(ours))
    same(lambda L: L.cat([L.randn(3, dtype=L.float64), L.randn(20, dtype=L.float64)]), seed=None)


def test_seed_range_and_initial_seed():
    assert ember.manual_seed(-1).initial_seed() == torch.manual_seed(-1).initial_seed()
    for L in (ember, torch):
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            L.manual_seed(2 ** 64)
    same(lambda L: L.rand(3), seed=2 ** 63 + 5)


@pytest.mark.parametrize("seed", [0, 3])
def test_layer_init_matches(seed):
    same(lambda L: L.nn.Linear(3, 4).weight, seed)
    same(lambda L: L.nn.Linear(300, 40).bias, seed)
    same(lambda L: L.nn.Conv2d(3, 8, 3).weight, seed)
    same(lambda L: L.cat([p.reshape(-1) for p in L.nn.Sequential(
        L.nn.Linear(4, 16), L.nn.ReLU(), L.nn.Linear(16, 2)).parameters()]), seed)
    same(lambda L: L.nn.init.normal_(L.empty(30, 3), 0.5, 2), seed)
    same(lambda L: L.nn.init.xavier_normal_(L.empty(3, 3)), seed)
    same(lambda L: L.nn.init.xavier_uniform_(L.empty(64, 32)), seed)
    same(lambda L: L.nn.init.kaiming_normal_(L.empty(64, 32)), seed)
    same(lambda L: L.nn.init.sparse_(L.empty(6, 3), 0.5), seed)


@pytest.mark.parametrize("args", [dict(std=0.02), dict(mean=0.0, std=1.0, a=1.5, b=3.0),
                                  dict(mean=1.0, std=0.5)])
def test_trunc_normal_draws(args):
    """Both of PyTorch 2.13's samplers (redraw outside [a, b]; uniform proposals)."""
    same(lambda L: L.nn.init.trunc_normal_(L.empty(300), **args), seed=5)
    e = ember.nn.init.trunc_normal_(ember.empty(300), **args).numpy()
    assert e.min() >= args.get("a", -2.0) and e.max() <= args.get("b", 2.0)


MODULES = {
    "Embedding": lambda L: L.nn.Embedding(10, 4),
    "LSTM": lambda L: L.nn.LSTM(3, 5, num_layers=2, bidirectional=True),
    "GRU": lambda L: L.nn.GRU(3, 5),
    "RNNCell": lambda L: L.nn.RNNCell(3, 5),
    "Conv1d": lambda L: L.nn.Conv1d(2, 3, 3),
    "ConvTranspose2d": lambda L: L.nn.ConvTranspose2d(2, 3, 3),
    "MultiheadAttention": lambda L: L.nn.MultiheadAttention(8, 2),
    "TransformerEncoderLayer": lambda L: L.nn.TransformerEncoderLayer(8, 2, 16),
    "Bilinear": lambda L: L.nn.Bilinear(3, 4, 5),
    "LazyLinear": lambda L: (lambda m: (m(L.ones(2, 3)), m)[1])(L.nn.LazyLinear(4)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_init_is_pytorchs(name):
    """Every parameter of a freshly built layer, and the stream position after it."""
    same(lambda L: L.cat([p.detach().reshape(-1) for p in MODULES[name](L).parameters()]
                         + [L.rand(2)]), seed=0)


def test_training_with_dropout_follows_pytorch():
    """randn data, default init, dropout masks and SGD: the same losses, step by step."""
    def run(L):
        net = L.nn.Sequential(L.nn.Linear(4, 32), L.nn.ReLU(), L.nn.Dropout(0.3),
                              L.nn.Linear(32, 1))
        opt = L.optim.SGD(net.parameters(), lr=0.1)
        x, y = L.randn(64, 4), L.randn(64, 1)
        losses = []
        for _ in range(5):
            loss = L.nn.functional.mse_loss(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        return L.stack(losses)
    ember.manual_seed(1)
    torch.manual_seed(1)
    # masks and inits are bit-identical; the products round as each BLAS does
    np.testing.assert_allclose(run(ember).numpy(), run(torch).numpy(), rtol=1e-5)


def test_default_stream_is_seeded_anew_per_process_as_pytorch_2_13():
    """A new Generator() starts from PyTorch's fixed seed; the default stream, as in PyTorch
    2.13, from fresh entropy in every process (manual_seed makes a run repeatable)."""
    import subprocess
    import sys

    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()
    code = "import ember; print(ember.initial_seed())"
    seeds = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout for _ in range(2)}
    assert len(seeds) == 2
