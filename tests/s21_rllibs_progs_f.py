"""rail-berkeley/rlkit's other network and policy code as users copy it: core.py
(PyTorchModule with an ABCMeta metaclass, eval_np / torch_ify / np_ify with
torch.autograd.Variable, np_to_pytorch_batch), networks/mlp.py (MultiHeadedMlp with
SplitIntoManyHeads' narrow, ParallelMlp's grouped Conv1d), sac/policies/gaussian_policy.py
(GaussianPolicy with shared / "values" sigmoid log-stds, GaussianMixturePolicy with its
softmax over an implicit dim, distributions.GaussianMixture's log_prob / mle_estimate with
scatter_), on fixed random inputs. Helpers from tests/s21_rllibs_progs.py."""

import abc

import numpy as np
from s16_yunjey_progs import Out
from s21_rllibs_progs import _rlkit


def _more(L):
    torch, nn, F = L, L.nn, L.nn.functional
    R = _rlkit(L)
    ptu = R.ptu

    def identity(x):
        return x

    _str_to_activation = {'identity': identity, 'relu': torch.relu, 'tanh': torch.tanh,
                          'leaky_relu': F.leaky_relu, 'sigmoid': torch.sigmoid,
                          'selu': torch.selu, 'softplus': F.softplus}

    def activation_from_string(string):
        return _str_to_activation[string]

    class PyTorchModule(nn.Module, metaclass=abc.ABCMeta):
        pass

    def torch_ify(np_array_or_other):
        if isinstance(np_array_or_other, np.ndarray):
            return ptu.from_numpy(np_array_or_other)
        return np_array_or_other

    def np_ify(tensor_or_other):
        if isinstance(tensor_or_other, torch.autograd.Variable):
            return ptu.get_numpy(tensor_or_other)
        return tensor_or_other

    def elem_or_tuple_to_numpy(elem_or_tuple):
        if isinstance(elem_or_tuple, tuple):
            return tuple(np_ify(x) for x in elem_or_tuple)
        return np_ify(elem_or_tuple)

    def eval_np(module, *args, **kwargs):
        torch_args = tuple(torch_ify(x) for x in args)
        torch_kwargs = {k: torch_ify(v) for k, v in kwargs.items()}
        outputs = module(*torch_args, **torch_kwargs)
        return elem_or_tuple_to_numpy(outputs)

    def _elem_or_tuple_to_variable(elem_or_tuple):
        if isinstance(elem_or_tuple, tuple):
            return tuple(_elem_or_tuple_to_variable(e) for e in elem_or_tuple)
        return ptu.from_numpy(elem_or_tuple).float()

    def _filter_batch(np_batch):
        for k, v in np_batch.items():
            if v.dtype == np.bool_:
                yield k, v.astype(int)
            else:
                yield k, v

    def np_to_pytorch_batch(np_batch):
        return {k: _elem_or_tuple_to_variable(x) for k, x in _filter_batch(np_batch)
                if x.dtype != np.dtype('O')}

    class Mlp(R.Mlp, PyTorchModule):
        pass

    class SplitIntoManyHeads(nn.Module):
        def __init__(self, output_sizes, output_activations=None):
            super().__init__()
            if output_activations is None:
                output_activations = ['identity' for _ in output_sizes]
            elif len(output_activations) != len(output_sizes):
                raise ValueError("output_activation and output_sizes must have "
                                 "the same length")
            self._output_narrow_params = []
            self._output_activations = []
            for output_activation in output_activations:
                if isinstance(output_activation, str):
                    output_activation = activation_from_string(output_activation)
                self._output_activations.append(output_activation)
            start_idx = 0
            for output_size in output_sizes:
                self._output_narrow_params.append((start_idx, output_size))
                start_idx = start_idx + output_size

        def forward(self, flat_outputs):
            pre_activation_outputs = tuple(flat_outputs.narrow(1, start, length)
                                           for start, length in self._output_narrow_params)
            return tuple(activation(x) for activation, x in
                         zip(self._output_activations, pre_activation_outputs))

    class MultiHeadedMlp(Mlp):
        def __init__(self, hidden_sizes, output_sizes, input_size, init_w=3e-3,
                     hidden_activation=F.relu, output_activations=None,
                     hidden_init=ptu.fanin_init, b_init_value=0.):
            super().__init__(hidden_sizes=hidden_sizes, output_size=sum(output_sizes),
                             input_size=input_size, init_w=init_w,
                             hidden_activation=hidden_activation, hidden_init=hidden_init,
                             b_init_value=b_init_value)
            self._splitter = SplitIntoManyHeads(output_sizes, output_activations)

        def forward(self, input):
            flat_outputs = super().forward(input)
            return self._splitter(flat_outputs)

    class ParallelMlp(nn.Module):
        def __init__(self, num_heads, input_size, output_size_per_mlp, hidden_sizes,
                     hidden_activation='relu', output_activation='identity',
                     input_is_already_expanded=False):
            super().__init__()

            def create_layers():
                layers = []
                input_dim = input_size
                for i, hidden_size in enumerate(hidden_sizes):
                    fc = nn.Conv1d(in_channels=input_dim * num_heads,
                                   out_channels=hidden_size * num_heads, kernel_size=1,
                                   groups=num_heads)
                    layers.append(fc)
                    if isinstance(hidden_activation, str):
                        activation = activation_from_string(hidden_activation)
                    else:
                        activation = hidden_activation
                    layers.append(activation)
                    input_dim = hidden_size
                last_fc = nn.Conv1d(in_channels=input_dim * num_heads,
                                    out_channels=output_size_per_mlp * num_heads,
                                    kernel_size=1, groups=num_heads)
                layers.append(last_fc)
                return layers

            self.network = nn.Sequential(*create_layers())
            self.num_heads = num_heads
            self.input_is_already_expanded = input_is_already_expanded

        def forward(self, x):
            if not self.input_is_already_expanded:
                x = x.repeat(1, self.num_heads).unsqueeze(-1)
            flat = self.network(x)
            batch_size = x.shape[0]
            return flat.view(batch_size, -1, self.num_heads)

    return dict(R=R, ptu=ptu, eval_np=eval_np, np_to_pytorch_batch=np_to_pytorch_batch,
                Mlp=Mlp, MultiHeadedMlp=MultiHeadedMlp, ParallelMlp=ParallelMlp,
                PyTorchModule=PyTorchModule)


def rlkit_networks(L):
    torch, nn, F = L, L.nn, L.nn.functional
    M = _more(L)
    L.manual_seed(10)
    rng = np.random.default_rng(10)
    with Out() as o:
        mh = M['MultiHeadedMlp']([8], [2, 3], 4, output_activations=['tanh', 'identity'])
        outs = mh(torch.randn(5, 4))
        o.print([tuple(x.shape) for x in outs], outs[0].is_contiguous())
        o.tryit(lambda: M['MultiHeadedMlp']([8], [2, 3], 4, output_activations=['tanh']))
        # rlkit's activation_from_string gives functions, which nn.Sequential refuses
        o.tryit(lambda: M['ParallelMlp'](3, 4, 2, [8, 8]))
        o.tryit(lambda: M['ParallelMlp'](3, 4, 2, [8, 8], hidden_activation=F.softplus))
        pm = M['ParallelMlp'](3, 4, 2, [8, 8], hidden_activation=nn.ReLU())
        o.print(pm)
        y = pm(torch.randn(5, 4))
        o.print(y.shape, y.dtype)
        y.sum().backward()
        o.print([tuple(p.grad.shape) for p in pm.parameters()])
        o.print(isinstance(mh, M['PyTorchModule']), type(type(mh)).__name__)
        qf = M['Mlp']([8], 1, 4)
        out = M['eval_np'](qf, rng.normal(size=(3, 4)))
        o.print(type(out).__name__, out.dtype, out.shape)
        heads = M['eval_np'](mh, rng.normal(size=(2, 4)))
        o.print(type(heads).__name__, [type(h).__name__ for h in heads])
        batch = M['np_to_pytorch_batch']({
            'observations': rng.normal(size=(3, 4)),
            'terminals': rng.random((3, 1)) < 0.5,
            'rewards': rng.normal(size=(3, 1)).astype(np.float32),
            'env_infos': np.array([{}, {}, {}], dtype=object)})
        o.print(sorted(batch), [str(v.dtype) for _, v in sorted(batch.items())])
        o.vals += [outs[0], outs[1], y, out, batch['terminals']] + list(pm.parameters())
        o.vals += [p.grad for p in pm.parameters()]
    return o.done()


def rlkit_gaussian_policies(L):
    torch, nn, F = L, L.nn, L.nn.functional
    M = _more(L)
    R, ptu = M['R'], M['ptu']
    D = torch.distributions
    L.manual_seed(11)

    class GaussianPolicy(M['Mlp']):
        def __init__(self, hidden_sizes, obs_dim, action_dim, std=None, init_w=1e-3,
                     min_log_std=None, max_log_std=None, std_architecture="shared"):
            super().__init__(hidden_sizes, input_size=obs_dim, output_size=action_dim,
                             init_w=init_w, output_activation=torch.tanh)
            self.min_log_std, self.max_log_std = min_log_std, max_log_std
            self.log_std, self.std, self.std_architecture = None, std, std_architecture
            if std is None:
                if self.std_architecture == "shared":
                    last_hidden_size = hidden_sizes[-1] if len(hidden_sizes) else obs_dim
                    self.last_fc_log_std = nn.Linear(last_hidden_size, action_dim)
                    self.last_fc_log_std.weight.data.uniform_(-init_w, init_w)
                    self.last_fc_log_std.bias.data.uniform_(-init_w, init_w)
                elif self.std_architecture == "values":
                    self.log_std_logits = nn.Parameter(ptu.zeros(action_dim, requires_grad=True))
                else:
                    raise ValueError(self.std_architecture)
            else:
                self.log_std = np.log(std)

        def forward(self, obs):
            h = obs
            for i, fc in enumerate(self.fcs):
                h = self.hidden_activation(fc(h))
            preactivation = self.last_fc(h)
            mean = self.output_activation(preactivation)
            if self.std is None:
                if self.std_architecture == "shared":
                    log_std = torch.sigmoid(self.last_fc_log_std(h))
                else:
                    log_std = torch.sigmoid(self.log_std_logits)
                log_std = self.min_log_std + log_std * (self.max_log_std - self.min_log_std)
                std = torch.exp(log_std)
            else:
                std = torch.from_numpy(np.array([self.std, ])).float().to(None)
            return R.MultivariateDiagonalNormal(mean, std)

    class GaussianMixture(D.Distribution):
        def __init__(self, normal_means, normal_stds, weights):
            self.num_gaussians = weights.shape[1]
            self.normal_means, self.normal_stds = normal_means, normal_stds
            self.normal = R.MultivariateDiagonalNormal(normal_means, normal_stds)
            self.normals = [R.MultivariateDiagonalNormal(normal_means[:, :, i],
                                                         normal_stds[:, :, i])
                            for i in range(self.num_gaussians)]
            self.weights = weights
            self.categorical = D.OneHotCategorical(self.weights[:, :, 0])

        def log_prob(self, value):
            log_p = [self.normals[i].log_prob(value) for i in range(self.num_gaussians)]
            log_p = torch.stack(log_p, -1)
            log_weights = torch.log(self.weights[:, :, 0])
            lp = log_weights + log_p
            m = lp.max(dim=1)[0]
            return m + torch.log(torch.exp(lp - m[:, None]).sum(dim=1))

        def sample(self):
            z = self.normal.sample().detach()
            c = self.categorical.sample()[:, :, None]
            s = torch.matmul(z, c)
            return torch.squeeze(s, 2)

        def mle_estimate(self):
            c = ptu.zeros(self.weights.shape[:2])
            ind = torch.argmax(self.weights, dim=1)
            c.scatter_(1, ind, 1)
            s = torch.matmul(self.normal_means, c[:, :, None])
            return torch.squeeze(s, 2)

    with Out() as o:
        obs = torch.randn(6, 4)
        for arch in ("shared", "values"):
            pol = GaussianPolicy([8], 4, 2, min_log_std=-6, max_log_std=0, std_architecture=arch)
            dist = pol(obs)
            a = dist.rsample()
            lp = dist.log_prob(a)
            o.print(arch, repr(dist), a.shape, lp.shape, dist.batch_shape, dist.event_shape)
            (-lp.mean()).backward()
            o.print(sorted(n for n, p in pol.named_parameters() if p.grad is not None))
            o.vals += [a, lp, dist.stddev, dist.entropy()]
        fixed = GaussianPolicy([8], 4, 2, std=0.5)
        d = fixed(obs)
        o.print(d.stddev.shape, d.stddev.dtype, d.mean.shape)
        o.vals += [d.log_prob(torch.zeros(6, 2))]
        # GaussianMixturePolicy.forward's head, softmax over the implicit dim as written there
        last_fc_weights = nn.Linear(8, 3)
        h = torch.relu(torch.randn(6, 8))
        weights = F.softmax(last_fc_weights(h)).reshape((-1, 3, 1))
        mixture_means = torch.tanh(torch.randn(6, 2 * 3)).reshape((-1, 2, 3,))
        mixture_stds = torch.exp(-torch.rand(6, 2 * 3)).reshape((-1, 2, 3,))
        gm = GaussianMixture(mixture_means, mixture_stds, weights)
        x = gm.sample()
        o.print(x.shape, gm.mle_estimate().shape)
        o.vals += [weights, gm.log_prob(x), gm.mle_estimate(), x]
    return o.done()
