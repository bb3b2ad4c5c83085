"""rail-berkeley/rlkit as practitioners copy it: rlkit/torch/pytorch_util.py (soft updates
with .data.copy_, fanin_init, from_numpy / zeros with device None), networks/mlp.py (Mlp,
ConcatMlp, TanhMlpPolicy), distributions.py (Distribution subclasses of torch's, the
TorchDistributionWrapper that skips Distribution.__init__, MultivariateDiagonalNormal,
TanhNormal, register_kl for Independent), sac/policies (TanhGaussianPolicy), sac/sac.py,
td3/td3.py, dqn/dqn.py and dqn/double_dqn.py trainers, run for a few steps on fixed random
batches instead of an environment. ``prog(L) -> (printed, values)``."""

from collections import OrderedDict
from types import SimpleNamespace

import numpy as np


def create_stats_ordered_dict(name, data):
    """rlkit/core/eval_util.py (NumPy only)."""
    stats = OrderedDict()
    stats[name + ' Mean'] = np.mean(data)
    stats[name + ' Std'] = np.std(data)
    stats[name + ' Max'] = np.max(data)
    stats[name + ' Min'] = np.min(data)
    return stats


def _rlkit(L):
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    device = None

    # ---- rlkit/torch/pytorch_util.py
    def soft_update_from_to(source, target, tau):
        for target_param, param in zip(target.parameters(), source.parameters()):
            target_param.data.copy_(target_param.data * (1.0 - tau) + param.data * tau)

    def copy_model_params_from_to(source, target):
        for target_param, param in zip(target.parameters(), source.parameters()):
            target_param.data.copy_(param.data)

    def fanin_init(tensor):
        size = tensor.size()
        if len(size) == 2:
            fan_in = size[0]
        elif len(size) > 2:
            fan_in = np.prod(size[1:])
        else:
            raise Exception("Shape must be have dimension at least 2.")
        bound = 1. / np.sqrt(fan_in)
        return tensor.data.uniform_(-bound, bound)

    def from_numpy(*args, **kwargs):
        return torch.from_numpy(*args, **kwargs).float().to(device)

    def get_numpy(tensor):
        return tensor.to('cpu').detach().numpy()

    def zeros(*sizes, torch_device=None, **kwargs):
        if torch_device is None:
            torch_device = device
        return torch.zeros(*sizes, **kwargs, device=torch_device)

    def ones(*sizes, torch_device=None, **kwargs):
        if torch_device is None:
            torch_device = device
        return torch.ones(*sizes, **kwargs, device=torch_device)

    def randn(*args, torch_device=None, **kwargs):
        if torch_device is None:
            torch_device = device
        return torch.randn(*args, **kwargs, device=torch_device)

    ptu = SimpleNamespace(**{k: v for k, v in locals().items() if callable(v)})

    def identity(x):
        return x

    # ---- rlkit/torch/networks/mlp.py
    class Mlp(nn.Module):
        def __init__(self, hidden_sizes, output_size, input_size, init_w=3e-3,
                     hidden_activation=F.relu, output_activation=identity,
                     hidden_init=ptu.fanin_init, b_init_value=0., layer_norm=False,
                     layer_norm_kwargs=None):
            super().__init__()
            self.input_size = input_size
            self.output_size = output_size
            self.hidden_activation = hidden_activation
            self.output_activation = output_activation
            self.layer_norm = layer_norm
            self.fcs = []
            in_size = input_size
            for i, next_size in enumerate(hidden_sizes):
                fc = nn.Linear(in_size, next_size)
                in_size = next_size
                hidden_init(fc.weight)
                fc.bias.data.fill_(b_init_value)
                self.__setattr__("fc{}".format(i), fc)
                self.fcs.append(fc)
            self.last_fc = nn.Linear(in_size, output_size)
            self.last_fc.weight.data.uniform_(-init_w, init_w)
            self.last_fc.bias.data.fill_(0)

        def forward(self, input, return_preactivations=False):
            h = input
            for i, fc in enumerate(self.fcs):
                h = fc(h)
                h = self.hidden_activation(h)
            preactivation = self.last_fc(h)
            output = self.output_activation(preactivation)
            if return_preactivations:
                return output, preactivation
            return output

    class ConcatMlp(Mlp):
        def __init__(self, *args, dim=1, **kwargs):
            super().__init__(*args, **kwargs)
            self.dim = dim

        def forward(self, *inputs, **kwargs):
            flat_inputs = torch.cat(inputs, dim=self.dim)
            return super().forward(flat_inputs, **kwargs)

    class TanhMlpPolicy(Mlp):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, output_activation=torch.tanh, **kwargs)

    # ---- rlkit/torch/distributions.py
    D = torch.distributions

    class Distribution(D.Distribution):
        def sample_and_logprob(self):
            s = self.sample()
            return s, self.log_prob(s)

        def rsample_and_logprob(self):
            s = self.rsample()
            return s, self.log_prob(s)

        def mle_estimate(self):
            return self.mean

    class TorchDistributionWrapper(Distribution):
        def __init__(self, distribution):
            self.distribution = distribution

        @property
        def batch_shape(self):
            return self.distribution.batch_shape

        @property
        def event_shape(self):
            return self.distribution.event_shape

        @property
        def mean(self):
            return self.distribution.mean

        @property
        def stddev(self):
            return self.distribution.stddev

        def sample(self, sample_size=torch.Size()):
            return self.distribution.sample(sample_shape=sample_size)

        def rsample(self, sample_size=torch.Size()):
            return self.distribution.rsample(sample_shape=sample_size)

        def log_prob(self, value):
            return self.distribution.log_prob(value)

        def entropy(self):
            return self.distribution.entropy()

        def __repr__(self):
            return 'Wrapped ' + self.distribution.__repr__()

    class Independent(Distribution, D.Independent):
        pass

    class MultivariateDiagonalNormal(TorchDistributionWrapper):
        arg_constraints = {'loc': D.constraints.real, 'scale': D.constraints.positive}

        def __init__(self, loc, scale_diag, reinterpreted_batch_ndims=1):
            dist = Independent(D.Normal(loc, scale_diag),
                               reinterpreted_batch_ndims=reinterpreted_batch_ndims)
            super().__init__(dist)

        def __repr__(self):
            return self.distribution.base_dist.__repr__()

    @D.kl.register_kl(TorchDistributionWrapper, TorchDistributionWrapper)
    def _kl_mv_diag_normal_mv_diag_normal(p, q):
        return D.kl_divergence(p.distribution, q.distribution)

    @D.kl.register_kl(D.Independent, D.Independent)
    def _kl_independent_independent(p, q):
        if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
            raise NotImplementedError
        result = D.kl_divergence(p.base_dist, q.base_dist)
        return D.utils._sum_rightmost(result, p.reinterpreted_batch_ndims)

    class TanhNormal(Distribution):
        def __init__(self, normal_mean, normal_std, epsilon=1e-6):
            self.normal_mean = normal_mean
            self.normal_std = normal_std
            self.normal = MultivariateDiagonalNormal(normal_mean, normal_std)
            self.epsilon = epsilon

        def _log_prob_from_pre_tanh(self, pre_tanh_value):
            log_prob = self.normal.log_prob(pre_tanh_value)
            correction = - 2. * (
                ptu.from_numpy(np.log([2.]))
                - pre_tanh_value
                - torch.nn.functional.softplus(-2. * pre_tanh_value)
            ).sum(dim=1)
            return log_prob + correction

        def log_prob(self, value, pre_tanh_value=None):
            if pre_tanh_value is None:
                value = torch.clamp(value, -0.999999, 0.999999)
                pre_tanh_value = torch.log(1 + value) / 2 - torch.log(1 - value) / 2
            return self._log_prob_from_pre_tanh(pre_tanh_value)

        def rsample_with_pretanh(self):
            z = (self.normal_mean + self.normal_std *
                 MultivariateDiagonalNormal(ptu.zeros(self.normal_mean.size()),
                                            ptu.ones(self.normal_std.size())).sample())
            return torch.tanh(z), z

        def sample(self):
            value, pre_tanh_value = self.rsample_with_pretanh()
            return value.detach()

        def rsample(self):
            value, pre_tanh_value = self.rsample_with_pretanh()
            return value

        def sample_and_logprob(self):
            value, pre_tanh_value = self.rsample_with_pretanh()
            value, pre_tanh_value = value.detach(), pre_tanh_value.detach()
            return value, self.log_prob(value, pre_tanh_value)

        def rsample_and_logprob(self):
            value, pre_tanh_value = self.rsample_with_pretanh()
            return value, self.log_prob(value, pre_tanh_value)

        @property
        def mean(self):
            return torch.tanh(self.normal_mean)

        @property
        def stddev(self):
            return self.normal_std

    LOG_SIG_MAX, LOG_SIG_MIN = 2, -20

    class TanhGaussianPolicy(Mlp):
        def __init__(self, hidden_sizes, obs_dim, action_dim, std=None, init_w=1e-3, **kwargs):
            super().__init__(hidden_sizes, input_size=obs_dim, output_size=action_dim,
                             init_w=init_w, **kwargs)
            self.log_std = None
            self.std = std
            if std is None:
                last_hidden_size = obs_dim
                if len(hidden_sizes) > 0:
                    last_hidden_size = hidden_sizes[-1]
                self.last_fc_log_std = nn.Linear(last_hidden_size, action_dim)
                self.last_fc_log_std.weight.data.uniform_(-init_w, init_w)
                self.last_fc_log_std.bias.data.uniform_(-init_w, init_w)
            else:
                self.log_std = np.log(std)

        def forward(self, obs):
            h = obs
            for i, fc in enumerate(self.fcs):
                h = self.hidden_activation(fc(h))
            mean = self.last_fc(h)
            if self.std is None:
                log_std = self.last_fc_log_std(h)
                log_std = torch.clamp(log_std, LOG_SIG_MIN, LOG_SIG_MAX)
                std = torch.exp(log_std)
            else:
                std = torch.from_numpy(np.array([self.std, ])).float().to(device)
            return TanhNormal(mean, std)

    return SimpleNamespace(ptu=ptu, Mlp=Mlp, ConcatMlp=ConcatMlp, TanhMlpPolicy=TanhMlpPolicy,
                           TanhNormal=TanhNormal, TanhGaussianPolicy=TanhGaussianPolicy,
                           MultivariateDiagonalNormal=MultivariateDiagonalNormal,
                           Independent=Independent)


def _batch(L, rng, n, obs_dim, act_dim, onehot=False):
    ptu_from = lambda a: L.from_numpy(a).float()  # noqa: E731 - rlkit's np_to_pytorch_batch
    acts = (np.eye(act_dim)[rng.integers(0, act_dim, n)] if onehot
            else rng.uniform(-1, 1, (n, act_dim)))
    return {'observations': ptu_from(rng.normal(size=(n, obs_dim))),
            'actions': ptu_from(acts),
            'rewards': ptu_from(rng.normal(size=(n, 1))),
            'terminals': ptu_from((rng.random((n, 1)) < 0.1).astype(np.float32)),
            'next_observations': ptu_from(rng.normal(size=(n, obs_dim)))}


def _norms(o, *nets):
    for net in nets:
        o.print(' '.join('{:.4f}'.format(p.norm().item()) for p in net.parameters()))
