"""Session 14 sweep helpers: the networks and update steps of Grokking Deep RL (Morales,
chapters 8-12) and Deep RL Hands-On (Lapan, ch4 cross-entropy, ch6 DQN), scaled down.

Each ``build`` takes the library (torch or ember); weights come from one NumPy generator
(``init``), so both libraries start from the same numbers without relying on either RNG."""

import numpy as np


def init(model, seed):
    """Every parameter from NumPy, uniform(+-1/sqrt(fan_in)) like nn.Linear's default."""
    rng = np.random.default_rng(seed)
    lib = _lib(model)
    with lib.no_grad():
        for p in model.parameters():
            bound = 1 / np.sqrt(p.shape[-1] if p.dim() > 1 else p.shape[0])
            p.copy_(lib.from_numpy(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))
    return model


def _lib(model):
    import importlib
    return importlib.import_module(type(next(model.parameters())).__module__.split(".")[0])


def batch(seed, n=32, sd=4, ad=None, lo=-2.0, hi=2.0):
    """n synthetic transitions as GDRL's ReplayBuffer.sample stacks them (np.vstack: (n, 1)
    actions, float64 rewards, float terminals)."""
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((n, sd)).astype(np.float32)
    a = rng.integers(0, 2, (n, 1)) if ad is None else rng.uniform(lo, hi, (n, ad))
    r = rng.random((n, 1))
    s2 = rng.standard_normal((n, sd)).astype(np.float32)
    d = (rng.random((n, 1)) > 0.9).astype(np.float64)
    return s, a, r, s2, d


def fcq(L, in_dim=4, out_dim=2, hidden=(32, 32), dueling=False):
    """GDRL's FCQ / FCDuelingQ: _format makes a state a (1, in) float32 tensor; load() turns a
    sampled batch into tensors with from_numpy(...).float() / .long()."""
    nn, F = L.nn, L.nn.functional

    class FCQ(nn.Module):
        def __init__(self):
            super(FCQ, self).__init__()
            self.activation_fc = F.relu
            self.input_layer = nn.Linear(in_dim, hidden[0])
            self.hidden_layers = nn.ModuleList()
            for i in range(len(hidden) - 1):
                self.hidden_layers.append(nn.Linear(hidden[i], hidden[i + 1]))
            self.output_layer = nn.Linear(hidden[-1], out_dim)
            if dueling:
                self.value_output = nn.Linear(hidden[-1], 1)
            self.device = L.device("cuda:0" if L.cuda.is_available() else "cpu")
            self.to(self.device)

        def _format(self, state):
            x = state
            if not isinstance(x, L.Tensor):
                x = L.tensor(x, device=self.device, dtype=L.float32)
                x = x.unsqueeze(0)
            return x

        def forward(self, state):
            x = self.activation_fc(self.input_layer(self._format(state)))
            for hidden_layer in self.hidden_layers:
                x = self.activation_fc(hidden_layer(x))
            a = self.output_layer(x)
            if not dueling:
                return a
            v = self.value_output(x).expand_as(a)
            return v + a - a.mean(1, keepdim=True).expand_as(a)

        def numpy_float_to_device(self, variable):
            return L.from_numpy(variable).float().to(self.device)

        def load(self, experiences):
            s, a, r, s2, d = experiences
            f = self.numpy_float_to_device
            return f(s), L.from_numpy(a).long().to(self.device), f(r), f(s2), f(d)

    return FCQ()


def fc_policy(L, in_dim=4, out_dim=2, hidden=(16, 16), value=False):
    """GDRL's FCDAP (REINFORCE's policy: full_pass samples a Categorical) or FCV (value)."""
    nn, F = L.nn, L.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layer = nn.Linear(in_dim, hidden[0])
            self.hidden_layers = nn.ModuleList(
                [nn.Linear(hidden[i], hidden[i + 1]) for i in range(len(hidden) - 1)])
            self.output_layer = nn.Linear(hidden[-1], 1 if value else out_dim)

        def _format(self, state):
            x = state
            if not isinstance(x, L.Tensor):
                x = L.tensor(x, dtype=L.float32)
                if len(x.size()) == 1:
                    x = x.unsqueeze(0)
            return x

        def forward(self, state):
            x = F.relu(self.input_layer(self._format(state)))
            for layer in self.hidden_layers:
                x = F.relu(layer(x))
            return self.output_layer(x)

        def full_pass(self, state):
            logits = self.forward(state)
            dist = L.distributions.Categorical(logits=logits)
            action = dist.sample()
            logpa = dist.log_prob(action).unsqueeze(-1)
            entropy = dist.entropy().unsqueeze(-1)
            is_exploratory = action != np.argmax(logits.detach().numpy())
            return action.item(), is_exploratory.item(), logpa, entropy

        def get_predictions(self, states, actions):  # PPO's FCCA: actions formatted as float
            states, actions = self._format(states), self._format(actions)
            dist = L.distributions.Categorical(logits=self.forward(states))
            return dist.log_prob(actions), dist.entropy()

    return Net()


def shared_optimizers(L, step_tensor=True):
    """GDRL's SharedAdam / SharedRMSprop: state made in __init__ with share_memory_(), a
    shared step counter, then super().step(). GDRL sets state['step'] = 0 (an int)."""
    def _fill(opt, keys):
        for group in opt.param_groups:
            for p in group["params"]:
                state = opt.state[p]
                state["step"] = L.zeros(()) if step_tensor else 0
                state["shared_step"] = L.zeros(1).share_memory_()
                for k in keys:
                    state[k] = L.zeros_like(p.data).share_memory_()

    def _step(opt, closure, base):
        for group in opt.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                opt.state[p]["steps"] = opt.state[p]["shared_step"].item()
                opt.state[p]["shared_step"] += 1
        base.step(opt, closure)

    class SharedAdam(L.optim.Adam):
        def __init__(self, params, **kw):
            super(SharedAdam, self).__init__(params, **kw)
            _fill(self, ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if kw.get("amsgrad")
                                                     else []))

        def step(self, closure=None):
            _step(self, closure, L.optim.Adam)

    class SharedRMSprop(L.optim.RMSprop):
        def __init__(self, params, **kw):
            super(SharedRMSprop, self).__init__(params, **kw)
            _fill(self, ["square_avg"] + (["momentum_buffer"] if kw.get("momentum") else []) +
                  (["grad_avg"] if kw.get("centered") else []))

        def step(self, closure=None):
            _step(self, closure, L.optim.RMSprop)

    return SharedAdam, SharedRMSprop


def discounted(rewards, gamma):
    """GDRL's returns: discounts by np.logspace, one sum per time step."""
    T = len(rewards)
    discounts = np.logspace(0, T, num=T, base=gamma, endpoint=False)
    returns = np.array([np.sum(discounts[:T - t] * rewards[t:]) for t in range(T)])
    return discounts, returns


def polyak(target, online, tau):
    """GDRL's update_network: target.data.copy_((1 - tau) * target.data + tau * online.data)."""
    for t, o in zip(target.parameters(), online.parameters()):
        target_ratio = (1.0 - tau) * t.data
        online_ratio = tau * o.data
        t.data.copy_(target_ratio + online_ratio)


def params(*models):
    return [p.detach().clone() for m in models for p in m.parameters()]


def fcqv(L, in_dim=3, act_dim=1, hidden=(32, 32), twin=False):
    """GDRL's FCQV (DDPG: the action joins after the first layer) or FCTQV (TD3: two
    heads over cat((state, action)), Qa for the policy loss)."""
    nn, F = L.nn, L.nn.functional

    def head(first_in):
        layers = nn.ModuleList([nn.Linear(first_in, hidden[0])])
        for i in range(len(hidden) - 1):
            extra = act_dim if (i == 0 and not twin) else 0
            layers.append(nn.Linear(hidden[i] + extra, hidden[i + 1]))
        layers.append(nn.Linear(hidden[-1], 1))
        return layers

    class QV(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = head(in_dim + (act_dim if twin else 0))
            if twin:
                self.b = head(in_dim + act_dim)

        def _run(self, layers, x, u):
            x = F.relu(layers[0](x))
            for i, layer in enumerate(layers[1:-1]):
                if i == 0 and not twin:
                    x = L.cat((x, u), dim=1)
                x = F.relu(layer(x))
            return layers[-1](x)

        def forward(self, state, action):
            if not twin:
                return self._run(self.a, state, action)
            xu = L.cat((state, action), dim=1)
            return self._run(self.a, xu, None), self._run(self.b, xu, None)

        def Qa(self, state, action):
            return self._run(self.a, L.cat((state, action), dim=1), None)

    return QV()


def fc_actor(L, bounds, in_dim=3, hidden=(32, 32), gaussian=False):
    """GDRL's FCDP (tanh output rescaled to the env's bounds) or FCGP (SAC: clamped log-std,
    Normal.rsample, tanh squashing with its log-prob correction, logalpha with its own Adam)."""
    nn, F = L.nn, L.nn.functional

    class Actor(nn.Module):
        def __init__(self):
            super().__init__()
            self.env_min, self.env_max = bounds
            self.input_layer = nn.Linear(in_dim, hidden[0])
            self.hidden_layers = nn.ModuleList(
                [nn.Linear(hidden[i], hidden[i + 1]) for i in range(len(hidden) - 1)])
            self.output_layer = nn.Linear(hidden[-1], len(self.env_max))
            if gaussian:
                self.output_layer_log_std = nn.Linear(hidden[-1], len(self.env_max))
            self.env_min = L.tensor(self.env_min, dtype=L.float32)
            self.env_max = L.tensor(self.env_max, dtype=L.float32)
            self.nn_min = F.tanh(L.Tensor([float("-inf")]))
            self.nn_max = F.tanh(L.Tensor([float("inf")]))
            self.rescale_fn = lambda x: (x - self.nn_min) * (self.env_max - self.env_min) / \
                (self.nn_max - self.nn_min) + self.env_min
            if gaussian:
                self.target_entropy = -np.prod(self.env_max.shape)
                self.logalpha = L.zeros(1, requires_grad=True)
                self.alpha_optimizer = L.optim.Adam([self.logalpha], lr=0.001)

        def _hidden(self, state):
            x = state
            if not isinstance(x, L.Tensor):
                x = L.tensor(x, dtype=L.float32).unsqueeze(0)
            x = F.relu(self.input_layer(x))
            for layer in self.hidden_layers:
                x = F.relu(layer(x))
            return x

        def forward(self, state):
            x = self._hidden(state)
            if not gaussian:
                return self.rescale_fn(F.tanh(self.output_layer(x)))
            log_std = L.clamp(self.output_layer_log_std(x), -20, 2)
            return self.output_layer(x), log_std

        def full_pass(self, state, epsilon=1e-6):
            mean, log_std = self.forward(state)
            pi_s = L.distributions.Normal(mean, log_std.exp())
            pre_tanh_action = pi_s.rsample()
            tanh_action = L.tanh(pre_tanh_action)
            action = self.rescale_fn(tanh_action)
            log_prob = pi_s.log_prob(pre_tanh_action) - L.log(
                (1 - tanh_action.pow(2)).clamp(0, 1) + epsilon)
            return action, log_prob.sum(dim=1, keepdim=True), self.rescale_fn(L.tanh(mean))

    return Actor()
