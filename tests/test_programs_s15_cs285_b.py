"""Session 15, CS285 continued: hw4 model-based RL (an ensemble of dynamics models with
input/output normalisation buffers, random shooting and CEM with topk, a batched
(ensemble, candidates, horizon) rollout) and hw5 exploration / offline RL (RND with the
course's init methods, CQL's logsumexp penalty, AWAC advantage weights, IQL expectile
losses), then the mistakes students make in that code, each compared live with torch 2.13
(an exception's type and first line, or the value).

Values through the networks are compared to rtol 1e-5 (NumPy's float32 tanh, MKL's
products, Adam's sqrt and Welford std along a dim differ in the last bits: README, known
gaps); printed lines, dtypes, shapes and errors exactly."""

import tempfile

import numpy as np
import pytest
from s15_cs285_progs import make_ptu, tanh_normal
from torch_compare import run_both, same, same_error_case

RTOL, ATOL = 1e-5, 1e-6


def _check(fn):
    want, got = run_both(fn)
    assert not (isinstance(want, tuple) and isinstance(want[0], str)), want
    assert got[0] == want[0], f"ember: {got[0]}\ntorch: {want[0]}"
    assert len(got[1]) == len(want[1])
    for g, w in zip(got[1], want[1]):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


# ---- hw4: model-based RL -------------------------------------------------------------------

def _reward(obs, acs):
    return -np.sum(obs ** 2, axis=-1) - 0.1 * np.sum(acs ** 2, axis=-1)


def _hw4(strategy):
    def prog(L):
        nn = L.nn
        ptu = make_ptu(L)
        ptu.init_gpu(use_gpu=False)
        L.manual_seed(5)
        E, N, H, ob_dim, ac_dim = 3, 12, 3, 3, 2

        class ModelBasedAgent(nn.Module):
            def __init__(self):
                super().__init__()
                self.dynamics_models = nn.ModuleList([
                    ptu.build_mlp(ob_dim + ac_dim, ob_dim, 2, 16, activation="relu")
                    for _ in range(E)])
                self.optimizer = L.optim.Adam(self.dynamics_models.parameters(), lr=1e-3)
                self.loss_fn = nn.MSELoss()
                self.register_buffer("obs_acs_mean", L.zeros(ob_dim + ac_dim))
                self.register_buffer("obs_acs_std", L.ones(ob_dim + ac_dim))
                self.register_buffer("obs_delta_mean", L.zeros(ob_dim))
                self.register_buffer("obs_delta_std", L.ones(ob_dim))

            def update(self, i, obs, acs, next_obs):
                obs, acs, next_obs = map(ptu.from_numpy, (obs, acs, next_obs))
                x = (L.cat([obs, acs], dim=-1) - self.obs_acs_mean) / (self.obs_acs_std + 1e-8)
                y = (next_obs - obs - self.obs_delta_mean) / (self.obs_delta_std + 1e-8)
                loss = self.loss_fn(self.dynamics_models[i](x), y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                return ptu.to_numpy(loss)

            @L.no_grad()
            def update_statistics(self, obs, acs, next_obs):
                obs, acs, next_obs = map(ptu.from_numpy, (obs, acs, next_obs))
                obs_acs = L.cat([obs, acs], dim=1)
                self.obs_acs_mean = obs_acs.mean(0)
                self.obs_acs_std = obs_acs.std(0)
                self.obs_delta_mean = (next_obs - obs).mean(0)
                self.obs_delta_std = (next_obs - obs).std(0)

            @L.no_grad()
            def predict(self, i, obs, acs):
                obs, acs = ptu.from_numpy(obs), ptu.from_numpy(acs)
                x = (L.cat([obs, acs], dim=1) - self.obs_acs_mean) / (self.obs_acs_std + 1e-8)
                delta = self.dynamics_models[i](x)
                return ptu.to_numpy(obs + delta * self.obs_delta_std + self.obs_delta_mean)

            def evaluate(self, obs, seqs):
                total = np.zeros((E, len(seqs)), dtype=np.float32)
                obs = np.tile(obs, (E, len(seqs), 1))
                for acs in seqs.transpose(1, 0, 2):
                    obs = np.stack([self.predict(i, obs[i], acs) for i in range(E)])
                    total += _reward(obs, acs[None]).astype(np.float32)
                return total.mean(axis=0)

            @L.no_grad()
            def evaluate_batched(self, obs, seqs):
                obs = L.as_tensor(obs, dtype=L.float32).expand(E, len(seqs), -1)
                acs = L.as_tensor(seqs, dtype=L.float32)
                total = L.zeros(E, len(seqs))
                for t in range(H):
                    a = acs[:, t].unsqueeze(0).expand(E, -1, -1)
                    x = (L.cat([obs, a], -1) - self.obs_acs_mean) / (self.obs_acs_std + 1e-8)
                    d = L.stack([m(x[e]) for e, m in enumerate(self.dynamics_models)])
                    obs = obs + d * self.obs_delta_std + self.obs_delta_mean
                    total += -(obs ** 2).sum(-1) - 0.1 * (a ** 2).sum(-1)
                return total.mean(0)

        agent = ModelBasedAgent()
        rng = np.random.default_rng(0)
        obs = rng.standard_normal((48, ob_dim)).astype(np.float32)
        acs = rng.uniform(-1, 1, (48, ac_dim)).astype(np.float32)
        nobs = (0.9 * obs + 0.3 * np.tanh(np.concatenate([acs, acs[:, :1]], 1)))
        nobs = nobs.astype(np.float32)
        agent.update_statistics(obs, acs, nobs)
        shown = [list(dict(agent.named_buffers())), list(agent.state_dict())[:5],
                 repr(agent.obs_acs_mean)[:9]]
        values = [agent.obs_acs_mean, agent.obs_delta_std]
        for i in range(E):
            for _ in range(3):
                idx = rng.permutation(48)[:16]
                values.append(agent.update(i, obs[idx], acs[idx], nobs[idx]))
        seqs = rng.uniform(-1, 1, (N, H, ac_dim))
        if strategy == "random":
            rewards = agent.evaluate(obs[0], seqs)
            shown.append((rewards.dtype.name, int(np.argmax(rewards))))
            values.append(rewards)
        else:  # CEM with torch.topk elites
            mean, std = L.zeros(H, ac_dim), L.ones(H, ac_dim)
            s = L.from_numpy(seqs).float()
            for it in range(3):
                if it > 0:
                    s = L.clamp(mean + std * L.randn(N, H, ac_dim), -1.0, 1.0)
                top = L.topk(L.from_numpy(agent.evaluate(obs[0], s.numpy())), 4)
                shown.append(repr(top.indices))
                elites = s[top.indices]
                mean, std = elites.mean(dim=0), elites.std(dim=0)
            values += [mean, std]
        batched = agent.evaluate_batched(obs[0], seqs)
        shown.append((str(batched.dtype), tuple(batched.shape)))
        values.append(batched)
        return shown, values
    return prog


def test_hw4_mbrl_random_shooting():
    _check(_hw4("random"))


def test_hw4_mbrl_cem_topk():
    _check(_hw4("cem"))


# ---- hw5: RND, CQL, AWAC, IQL --------------------------------------------------------------

def _hw5(L):
    ptu = make_ptu(L)
    ptu.init_gpu(use_gpu=False)
    F, D = L.nn.functional, L.distributions

    def init_method_1(model):
        model.weight.data.uniform_()
        model.bias.data.uniform_()

    def init_method_2(model):
        model.weight.data.normal_()
        model.bias.data.normal_()

    L.manual_seed(6)
    rnd_net = ptu.build_mlp(4, 5, 2, 16, init_method=init_method_1)
    rnd_target = ptu.build_mlp(4, 5, 2, 16, init_method=init_method_2)
    critic = ptu.build_mlp(4, 3, 2, 16, activation="relu")
    actor = ptu.build_mlp(4, 3, 2, 16, activation="relu")
    value_net = ptu.build_mlp(4, 1, 2, 16, activation="relu")
    opts = [L.optim.Adam(m.parameters(), lr=1e-3) for m in (rnd_net, critic, actor, value_net)]
    rng = np.random.default_rng(1)
    shown, values = [], [rnd_net[0].weight.detach(), rnd_target[0].bias.detach()]
    for step in range(3):
        obs = ptu.from_numpy(rng.standard_normal((16, 4)))
        act = L.from_numpy(rng.integers(0, 3, 16))
        rew = ptu.from_numpy(rng.standard_normal(16))
        with L.no_grad():  # RND bonus, normalised
            err = L.norm(rnd_net(obs) - rnd_target(obs), dim=1)
            bonus = (err - err.mean()) / (err.std() + 1e-6)
        rnd_loss = L.norm(rnd_net(obs) - rnd_target(obs).detach(), dim=-1).mean()
        rew = rew + 1.0 * bonus
        with L.no_grad():
            target = rew + 0.99 * critic(obs).max(dim=1).values
        qa = critic(obs)
        q = qa.gather(1, act.unsqueeze(1)).squeeze(1)
        cql = L.logsumexp(qa / 1.0, dim=1).mean() * 1.0 - q.mean()
        c_loss = F.mse_loss(q, target) + 0.5 * cql
        with L.no_grad():  # AWAC: advantage against the policy's expected Q
            probs = D.Categorical(logits=actor(obs)).probs
            adv = q.detach() - L.sum(qa.detach() * probs, dim=-1)
        a_loss = -(D.Categorical(logits=actor(obs)).log_prob(act) * L.exp(adv / 1.0)).mean()
        diff = q.detach() - value_net(obs).squeeze(-1)
        v_loss = (L.where(diff > 0, 0.8, (1 - 0.8)) * diff ** 2).mean()
        v_loss2 = (L.abs(0.8 - (diff < 0).float()) * diff ** 2).mean()
        for opt, loss in zip(opts, (rnd_loss, c_loss, a_loss, v_loss)):
            opt.zero_grad()
            loss.backward()
            opt.step()
        shown.append((str(bonus.dtype), str(adv.dtype), str(rew.dtype), v_loss.grad_fn.name(),
                      cql.grad_fn.name()))
        values += [[rnd_loss.item(), c_loss.item(), cql.item(), a_loss.item(), v_loss.item(),
                    v_loss2.item()]]
    x = L.tensor([-1.0, 0.5, 2.0])
    shown += [repr(L.where(x > 0, 0.8, 0.2)), repr(L.where(x > 0, 1, 0)),
              repr(L.where(x > 0, x.double(), 0.2)),
              repr(L.logsumexp(L.tensor([[1.0, 2.0, 3.0], [-1e30, 0.0, 1.0]]), dim=1)),
              repr(L.logsumexp(L.tensor([[float("-inf")] * 3]), dim=1)),
              repr(L.logsumexp(L.tensor([1, 2, 3]), dim=0))]
    return shown, values


def test_hw5_rnd_cql_awac_iql():
    _check(_hw5)


# ---- the mistakes students make in that code -----------------------------------------------

def _ptu(L):
    ptu = make_ptu(L)
    ptu.init_gpu(use_gpu=False)
    return ptu


class LazyFrames:
    """gym's frame stack: an array only through __array__ (hw3's Atari observations)."""

    def __init__(self, frames):
        self._frames = frames

    def __array__(self, dtype=None, copy=None):
        out = np.stack(self._frames)
        return out if dtype is None else out.astype(dtype)


def _param(L, v):
    return L.nn.Parameter(L.tensor(v))


CASES = {
    # hw1/hw2: the logstd handed over as the std (a zero scale), as a Parameter
    "normal_logstd_as_std": lambda L: L.distributions.Normal(L.zeros(2), _param(L, [0.0, 0.0])),
    "normal_negative_param": lambda L: L.distributions.Normal(_param(L, [0.0]), _param(L, [-1.0])),
    "categorical_param_action": lambda L: L.distributions.Categorical(
        logits=L.zeros(2)).log_prob(L.nn.Parameter(L.ones(1) * 5)),
    "geometric_param_zero": lambda L: L.distributions.Geometric(probs=_param(L, [0.0, 0.5])),
    # hw3: a deterministic eval action from the tanh-squashed policy's mode
    "independent_enumerate_support": lambda L: L.distributions.Independent(
        L.distributions.Bernoulli(probs=L.full((2, 3), 0.5)), 1).enumerate_support(),
    "enumerate_support_flags": lambda L: [d.has_enumerate_support for d in (
        L.distributions.Normal(0.0, 1.0), L.distributions.Bernoulli(probs=L.full((2, 3), 0.5)),
        L.distributions.Independent(L.distributions.Bernoulli(probs=L.full((2, 3), 0.5)), 1),
        L.distributions.Independent(L.distributions.Bernoulli(probs=L.full((2, 3), 0.5)), 0))],
    "independent_enumerate_support_ok": lambda L: L.distributions.Independent(
        L.distributions.Bernoulli(probs=L.full((2, 3), 0.5)), 0).enumerate_support().shape,
    "tanh_policy_mode": lambda L: tanh_normal(L)[0](L.zeros(2, 2), L.ones(2, 2)).mode,
    "tanh_transformed_mode": lambda L: L.distributions.Independent(
        L.distributions.TransformedDistribution(L.distributions.Normal(L.zeros(2), L.ones(2)),
                                                [L.distributions.transforms.TanhTransform()]),
        1).mode,
    # reward-to-go with the function forms, dims as the methods take them
    "flip_int_dims": lambda L: L.flip(L.arange(3.0), 0),
    "flip_dims_keyword_int": lambda L: L.flip(L.arange(3.0), dims=0),
    "flip_numpy_int": lambda L: L.flip(L.arange(3.0), np.int64(0)),
    "flip_float_in_list": lambda L: L.flip(L.arange(3.0), [0.0]),
    "flip_too_many": lambda L: L.flip(L.ones(2, 2), 0, 1),
    "flip_list_input": lambda L: L.flip([1.0, 2.0], (0,)),
    "flip_tensor_dims": lambda L: L.flip(L.ones(2), L.tensor(0)),
    "permute_spread": lambda L: L.permute(L.ones(2, 3), 1, 0),
    "permute_int": lambda L: L.permute(L.ones(3), 0),
    "reshape_spread": lambda L: L.reshape(L.ones(6), 2, 3),
    "reshape_int": lambda L: L.reshape(L.ones(6), 6),
    "reshape_none": lambda L: L.reshape(L.ones(6), None),
    "reshape_keywords": lambda L: L.reshape(input=L.ones(6), shape=(3, 2)).shape,
    "reshape_bad_keyword": lambda L: L.reshape(L.ones(6), (6,), foo=1),
    "flip_ok": lambda L: L.flip(L.arange(6.0).reshape(2, 3), (0, 1)).tolist(),
    "method_flip_int_ok": lambda L: L.arange(3.0).flip(0).tolist(),
    "method_permute_spread_ok": lambda L: L.ones(2, 3).permute(1, 0).shape,
    # epsilon-greedy's random action without a size
    "randint_no_size": lambda L: L.randint(3),
    "randint_high_keyword": lambda L: L.randint(high=3),
    "randint_float_high": lambda L: L.randint(3.0),
    "randint_dtype_no_size": lambda L: L.randint(3, dtype=L.long),
    "randint_requires_grad_false": lambda L: L.randint(3, requires_grad=False),
    "randint_low_high_keywords": lambda L: L.randint(low=0, high=3),
    "randint_low_size_keywords": lambda L: L.randint(low=0, size=(2,)),
    "randint_low_high_dtype": lambda L: L.randint(0, 3, dtype=L.long),
    "randint_int_size_keyword": lambda L: L.randint(0, 3, size=4),
    "randint_one_int_size_keyword": lambda L: L.randint(3, size=4),
    "randint_torch_size_extra": lambda L: L.randint(0, 3, L.Size([2]), 5),
    "randint_nothing": lambda L: L.randint(),
    "randint_ok_shape": lambda L: L.randint(high=3, size=(2,)).shape,
    # pytorch_util.set_device and other CUDA calls on a machine without a GPU
    "set_device_0": lambda L: _ptu(L).set_device(0),
    "set_device_minus_1": lambda L: L.cuda.set_device(-1),
    "set_device_cpu": lambda L: L.cuda.set_device("cpu"),
    "set_device_none": lambda L: L.cuda.set_device(None),
    "set_device_cuda_str": lambda L: L.cuda.set_device("cuda:1"),
    "set_device_cuda_noindex": lambda L: L.cuda.set_device("cuda"),
    "cuda_device_ctx": lambda L: L.cuda.device(0).__enter__(),
    "cuda_device_ctx_cpu": lambda L: L.cuda.device(-1).__enter__(),
    "cuda_device_ctx_name": lambda L: type(L.cuda.device(0)).__name__,
    "cuda_stream": lambda L: L.cuda.Stream(),
    "cuda_event": lambda L: L.cuda.Event(enable_timing=True),
    "cuda_reset_peak": lambda L: L.cuda.reset_peak_memory_stats(),
    "cuda_arch_list": lambda L: L.cuda.get_arch_list(),
    "cuda_bf16": lambda L: L.cuda.is_bf16_supported(),
    # device strings and arguments (ptu.device built by hand)
    "device_dtype_string": lambda L: L.ones(1).to("float64"),
    "device_digit_in_type": lambda L: L.device("cuda0"),
    "device_empty": lambda L: L.device(""),
    "device_space": lambda L: L.device("cpu 0"),
    "device_none": lambda L: L.device(None),
    "device_float": lambda L: L.device(1.5),
    "device_index_str": lambda L: L.device("cpu", "x"),
    "device_index_negative": lambda L: L.device("cpu", -1),
    "device_index_twice": lambda L: L.device("cuda:1", 1),
    "device_of_device_and_index": lambda L: L.device(L.device("cpu"), 0),
    "device_numpy_index": lambda L: repr(L.device("cuda", np.int64(1))),
    "device_unknown_type": lambda L: L.device("gpu"),
    # NumPy dtypes where a torch.dtype goes (obs buffers built the NumPy way)
    "tensor_numpy_dtype": lambda L: L.tensor(np.ones((2, 3)), dtype=np.float32),
    "as_tensor_numpy_dtype": lambda L: L.as_tensor(np.ones(2), dtype=np.float32),
    "as_tensor_string_dtype": lambda L: L.as_tensor([1], dtype="float32"),
    "zeros_numpy_dtype": lambda L: L.zeros(2, dtype=np.float32),
    "ones_numpy_dtype_object": lambda L: L.ones(2, dtype=np.dtype("float32")),
    "empty_numpy_dtype": lambda L: L.empty(2, dtype=np.int64),
    "full_numpy_dtype": lambda L: L.full((2,), 1.0, dtype=np.float32),
    "zeros_like_numpy_dtype": lambda L: L.zeros_like(L.ones(2), dtype=np.float64),
    "full_like_numpy_dtype": lambda L: L.full_like(L.ones(2), 2, dtype=np.float64),
    "to_numpy_dtype": lambda L: L.ones(2).to(np.float64),
    "to_numpy_dtype_keyword": lambda L: L.ones(2).to(dtype=np.float32),
    "to_device_and_numpy_dtype": lambda L: L.ones(2).to(L.device("cpu"), np.float64),
    "casts_ok": lambda L: [str(t.dtype) for t in (L.ones(1).double(), L.ones(1).long(),
                                                  L.ones(1).to(float), L.ones(1).to(int))],
    "python_type_dtypes_ok": lambda L: [str(L.tensor([1], dtype=float).dtype), str(L.zeros(
        1, dtype=int).dtype), str(L.ones_like(L.ones(1), dtype=bool).dtype)],
    # a frame stack handed to from_numpy (PyTorch names a Python class by its bare name)
    "from_numpy_lazy_frames": lambda L: L.from_numpy(LazyFrames([np.zeros((2, 2))] * 3)),
    "as_tensor_lazy_frames": lambda L: L.as_tensor(LazyFrames([np.zeros((2, 2))] * 3)).shape,
    "type_python_class": lambda L: L.ones(1).type(LazyFrames),
    # paths whose arrays turned into tensors, concatenated with NumPy
    "np_concatenate_tensors": lambda L: repr(np.concatenate([L.ones(2), L.zeros(1)])),
    "np_concatenate_then_from_numpy": lambda L: repr(L.from_numpy(
        np.concatenate([L.ones(1, 2), L.zeros(1, 2)], axis=1))),
    "np_concatenate_grad_tensor": lambda L: np.concatenate([L.ones(2, requires_grad=True)]),
    # hw1-hw5 classics (these already matched)
    "one_minus_bool_done": lambda L: 1 - L.tensor([True, False]),
    "from_numpy_list": lambda L: _ptu(L).from_numpy([1.0, 2.0]),
    "float64_obs_into_mlp": lambda L: _ptu(L).build_mlp(3, 2, 1, 4)(L.from_numpy(np.ones((2, 3)))),
    "numpy_of_output": lambda L: _ptu(L).build_mlp(3, 2, 1, 4)(L.ones(1, 3)).numpy(),
    "categorical_half_action": lambda L: L.distributions.Categorical(
        logits=L.zeros(3, 3)).log_prob(L.tensor([0.5, 1.0, 2.0])),
    "mvn_vector_scale_tril": lambda L: L.distributions.MultivariateNormal(
        L.zeros(2), scale_tril=L.ones(2)),
    "independent_too_many": lambda L: L.distributions.Independent(
        L.distributions.Normal(L.zeros(4, 2), L.ones(4, 2)), 3),
    "gather_without_unsqueeze": lambda L: L.zeros(4, 2).gather(1, L.tensor([0, 1, 1, 0])),
    "topk_too_many": lambda L: L.topk(L.ones(3), 5),
    "min_result_shape": lambda L: L.min(L.ones(2, 3), dim=0).shape,
    "expand_fewer_sizes": lambda L: L.ones(2, 3).expand(2),
    "cat_1d_action": lambda L: L.cat([L.ones(4, 3), L.ones(4)], dim=-1),
    "adam_non_leaf_log_alpha": lambda L: L.optim.Adam([L.tensor(0.0, requires_grad=True).exp()]),
    "apply_init_to_sequential": lambda L: _ptu(L).build_mlp(2, 2, 1, 4).apply(
        lambda m: m.weight.data.uniform_()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cs285_learner_mistakes(name):
    same(CASES[name])


def test_buffer_assignment_in_update_statistics():
    def case(L):
        class M(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("obs_acs_mean", L.zeros(3))

        m = M()
        m.obs_acs_mean = np.zeros(3)  # a NumPy mean where a tensor was expected
    same_error_case(case)


def test_summary_writer_scalar_of_two_elements():
    def case(L):
        from_tb = __import__(L.__name__ + ".utils.tensorboard", fromlist=["SummaryWriter"])
        with tempfile.TemporaryDirectory() as d:
            w = from_tb.SummaryWriter(d)
            try:
                w.add_scalar("Train_AverageReturn", np.array([1.0, 2.0]), 0)
            finally:
                w.close()
    same_error_case(case)


def test_sample_n_warns_as_deprecated():
    def prog(L):
        import warnings
        L.manual_seed(0)
        d = L.distributions.Categorical(logits=L.zeros(2, 3))
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            out = d.sample_n(4)
        return [(w.category.__name__, str(w.message)) for w in seen], out.tolist()
    same(prog)
