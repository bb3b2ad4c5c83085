"""Session 15 sweep helpers: Berkeley CS285's course infrastructure (pytorch_util) and the
networks students write on it (hw1 MLPPolicySL, hw2 MLPPolicy + ValueCritic, hw3 DQN/SAC,
hw4 model ensemble), for either library. Weights come from each library's default init
after ``L.manual_seed`` (ember draws PyTorch's numbers), so both start equal."""

import itertools
import types

import numpy as np


def make_ptu(L):
    """cs285/infrastructure/pytorch_util.py, as the course ships it, bound to library L."""
    nn = L.nn
    ptu = types.SimpleNamespace(device=None)
    acts = {"relu": nn.ReLU(), "tanh": nn.Tanh(), "leaky_relu": nn.LeakyReLU(),
            "sigmoid": nn.Sigmoid(), "selu": nn.SELU(), "softplus": nn.Softplus(),
            "identity": nn.Identity()}

    def build_mlp(input_size, output_size, n_layers, size, activation="tanh",
                  output_activation="identity", init_method=None):
        if isinstance(activation, str):
            activation = acts[activation]
        if isinstance(output_activation, str):
            output_activation = acts[output_activation]
        layers, in_size = [], input_size
        for _ in range(n_layers):
            layer = nn.Linear(in_size, size)
            if init_method is not None:
                layer.apply(init_method)
            layers += [layer, activation]
            in_size = size
        last = nn.Linear(in_size, output_size)
        if init_method is not None:
            last.apply(init_method)
        mlp = nn.Sequential(*layers, last, output_activation)
        mlp.to(ptu.device)
        return mlp

    def init_gpu(use_gpu=True, gpu_id=0):
        if L.cuda.is_available() and use_gpu:
            ptu.device = L.device("cuda:" + str(gpu_id))
            return "Using GPU id {}".format(gpu_id)
        ptu.device = L.device("cpu")
        return "Using CPU."

    def from_numpy(data, **kwargs):
        if isinstance(data, dict):
            return {k: from_numpy(v) for k, v in data.items()}
        data = L.from_numpy(data, **kwargs)
        if data.dtype == L.float64:
            data = data.float()
        return data.to(ptu.device)

    def to_numpy(tensor):
        if isinstance(tensor, dict):
            return {k: to_numpy(v) for k, v in tensor.items()}
        return tensor.to("cpu").detach().numpy()

    ptu.build_mlp, ptu.init_gpu, ptu.from_numpy, ptu.to_numpy = (build_mlp, init_gpu,
                                                                 from_numpy, to_numpy)
    ptu.set_device = lambda gpu_id: L.cuda.set_device(gpu_id)
    return ptu


def mlp_policy_sl(L, ptu, ac_dim, ob_dim, n_layers, size, lr, dist="normal"):
    """hw1's MLPPolicySL: a mean network and a learned state-independent logstd Parameter;
    ``dist`` picks the students' variants (Normal summed over the last dim, Independent,
    MultivariateNormal with a diagonal scale_tril repeated over the batch)."""
    nn, D = L.nn, L.distributions

    class MLPPolicySL(nn.Module):
        def __init__(self):
            super().__init__()
            self.mean_net = ptu.build_mlp(ob_dim, ac_dim, n_layers, size)
            self.logstd = nn.Parameter(L.zeros(ac_dim, dtype=L.float32, device=ptu.device))
            self.optimizer = L.optim.Adam(itertools.chain([self.logstd],
                                                          self.mean_net.parameters()), lr)

        def forward(self, observation):
            mean = self.mean_net(observation)
            if dist == "normal":
                return D.Normal(mean, L.exp(self.logstd))
            if dist == "independent":
                return D.Independent(D.Normal(mean, L.exp(self.logstd)), 1)
            scale_tril = L.diag(L.exp(self.logstd)).repeat(mean.shape[0], 1, 1)
            return D.MultivariateNormal(mean, scale_tril=scale_tril)

        def get_action(self, obs):
            observation = obs if len(obs.shape) > 1 else obs[None]
            return ptu.to_numpy(self(ptu.from_numpy(observation)).sample())

        def update(self, observations, actions):
            self.optimizer.zero_grad()
            lp = self(ptu.from_numpy(observations)).log_prob(ptu.from_numpy(actions))
            loss = -(lp.sum(-1) if dist == "normal" else lp).mean()
            loss.backward()
            self.optimizer.step()
            return {"Training Loss": ptu.to_numpy(loss)}

    return MLPPolicySL()


def pg_policy(L, ptu, ac_dim, ob_dim, discrete, n_layers, size, lr):
    """hw2's MLPPolicy (Categorical over logits, or Normal with a logstd Parameter) with
    the policy-gradient update -(log_prob * advantages).mean()."""
    nn, D = L.nn, L.distributions

    class MLPPolicy(nn.Module):
        def __init__(self):
            super().__init__()
            if discrete:
                self.logits_net = ptu.build_mlp(ob_dim, ac_dim, n_layers, size)
                params = self.logits_net.parameters()
            else:
                self.mean_net = ptu.build_mlp(ob_dim, ac_dim, n_layers, size)
                self.logstd = nn.Parameter(L.zeros(ac_dim, dtype=L.float32))
                params = itertools.chain([self.logstd], self.mean_net.parameters())
            self.optimizer = L.optim.Adam(params, lr)

        def get_action(self, obs):
            with L.no_grad():
                return ptu.to_numpy(self(ptu.from_numpy(obs)).sample())

        def forward(self, obs):
            if discrete:
                return D.Categorical(logits=self.logits_net(obs))
            return D.Normal(self.mean_net(obs), L.exp(self.logstd))

        def update(self, obs, actions, advantages):
            obs, actions = ptu.from_numpy(obs), ptu.from_numpy(actions)
            advantages = ptu.from_numpy(advantages)
            log_prob = self(obs).log_prob(actions)
            if not discrete:
                log_prob = log_prob.sum(axis=-1)
            loss = -(log_prob * advantages).mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            return {"Actor Loss": ptu.to_numpy(loss)}

    return MLPPolicy()


def value_critic(L, ptu, ob_dim, n_layers, size, lr):
    """hw2's ValueCritic: an MLP to one value, squeezed, fit with F.mse_loss."""
    nn = L.nn

    class ValueCritic(nn.Module):
        def __init__(self):
            super().__init__()
            self.network = ptu.build_mlp(ob_dim, 1, n_layers, size)
            self.optimizer = L.optim.Adam(self.network.parameters(), lr)

        def forward(self, obs):
            return self.network(obs).squeeze(-1)

        def update(self, obs, q_values):
            loss = nn.functional.mse_loss(self(ptu.from_numpy(obs)), ptu.from_numpy(q_values))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            return {"Baseline Loss": ptu.to_numpy(loss)}

    return ValueCritic()


def discounted_return(rewards, gamma):
    return [sum(gamma ** i * r for i, r in enumerate(rewards))] * len(rewards)


def reward_to_go(rewards, gamma):
    out, running = [], 0
    for r in reversed(rewards):
        running = r + gamma * running
        out.append(running)
    return out[::-1]


def gae(rewards, values, terminals, gamma, lam):
    """hw2's estimate_advantage with GAE, the students' NumPy loop (float64 throughout)."""
    n = len(rewards)
    values = np.append(values, [0])
    adv = np.zeros(n + 1)
    for i in reversed(range(n)):
        if terminals[i]:
            adv[i] = rewards[i] - values[i]
        else:
            delta = rewards[i] + gamma * values[i + 1] - values[i]
            adv[i] = delta + gamma * lam * adv[i + 1]
    return adv[:-1]


def tanh_normal(L):
    """hw3's infrastructure/distributions.py: make_tanh_transformed / make_multi_normal."""
    D = L.distributions

    class TanhTransformedDistribution(D.TransformedDistribution):
        def __init__(self, base_distribution, validate_args=None):
            super().__init__(base_distribution, [D.transforms.TanhTransform(cache_size=1)],
                             validate_args=validate_args)

        @property
        def mean(self):
            x = self.base_dist.mean
            for transform in self.transforms:
                x = transform(x)
            return x

        @D.constraints.dependent_property(is_discrete=False)
        def support(self):
            return D.constraints.interval(-1.0, 1.0)

    def make_tanh_transformed(mean, std):
        if isinstance(std, float):
            std = L.tensor(std, device=mean.device)
        if std.shape == ():
            std = std.expand(mean.shape)
        return D.Independent(TanhTransformedDistribution(D.Normal(mean, std)), 1)

    def make_multi_normal(mean, std):
        if isinstance(std, float):
            std = L.tensor(std, device=mean.device)
        if std.shape == ():
            std = std.expand(mean.shape)
        return D.MultivariateNormal(mean, scale_tril=L.diag_embed(std))

    return make_tanh_transformed, make_multi_normal
