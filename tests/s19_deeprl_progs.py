"""ShangtongZhang/DeepRL as users read and run it, scaled down: deep_rl/utils/torch_utils.py,
deep_rl/network/network_utils.py, network_bodies.py and network_heads.py (the heads in
s19_deeprl_progs_heads.py) transcribed into ``deeprl(L)`` (one namespace a library), the
gym tasks and replay / rollout storage replaced by small hand-written stand-ins (fixed
NumPy-seeded transitions), as ``prog(L) -> (printed, values)`` for
tests/test_programs_s19_deeprl.py. This file: the library modules and the programs on
utilities, bodies and heads; _b: the DQN family's losses; _c: A2C, PPO, Option-Critic; _d:
DDPG, TD3; _e: Rainbow, PPO (newer), save / load; _f: Atari configurations; _g: mistakes."""

import types

import numpy as np
from s16_yunjey_progs import Out
from s19_deeprl_progs_heads import heads


def deeprl(L):
    """deep_rl.utils.torch_utils + deep_rl.network.* for library L (torch or ember)."""
    torch, nn, F = L, L.nn, L.nn.functional

    class Config:
        DEVICE = torch.device('cpu')

    # ---- deep_rl/utils/torch_utils.py
    def tensor(x):
        if isinstance(x, torch.Tensor):
            return x
        x = np.asarray(x, dtype=np.float32)
        x = torch.tensor(x, device=Config.DEVICE, dtype=torch.float32)
        return x

    def range_tensor(end):
        return torch.arange(end).long().to(Config.DEVICE)

    def to_np(t):
        return t.cpu().detach().numpy()

    def random_seed(seed=None):
        np.random.seed(seed)
        torch.manual_seed(np.random.randint(int(1e6)))

    def huber(x, k=1.0):
        return torch.where(x.abs() < k, 0.5 * x.pow(2), k * (x.abs() - 0.5 * k))

    def epsilon_greedy(epsilon, x):
        if len(x.shape) == 1:
            return np.random.randint(len(x)) if np.random.rand() < epsilon else np.argmax(x)
        elif len(x.shape) == 2:
            random_actions = np.random.randint(x.shape[1], size=x.shape[0])
            greedy_actions = np.argmax(x, axis=-1)
            dice = np.random.rand(x.shape[0])
            return np.where(dice < epsilon, random_actions, greedy_actions)

    def sync_grad(target_network, src_network):
        for param, src_param in zip(target_network.parameters(), src_network.parameters()):
            if src_param.grad is not None:
                param._grad = src_param.grad.clone()

    def batch_diagonal(input):
        dims = input.size()
        dims = dims + dims[-1:]
        output = torch.zeros(dims, device=input.device)
        strides = [output.stride(i) for i in range(input.dim() - 1)]
        strides.append(output.size(-1) + 1)
        output.as_strided(input.size(), strides).copy_(input)
        return output

    def batch_trace(input):
        i = range_tensor(input.size(-1))
        t = input[:, i, i].sum(-1).unsqueeze(-1).unsqueeze(-1)
        return t

    class DiagonalNormal:
        def __init__(self, mean, std):
            self.dist = torch.distributions.Normal(mean, std)
            self.sample = self.dist.sample

        def log_prob(self, action):
            return self.dist.log_prob(action).sum(-1).unsqueeze(-1)

        def entropy(self):
            return self.dist.entropy().sum(-1).unsqueeze(-1)

        def cdf(self, action):
            return self.dist.cdf(action).prod(-1).unsqueeze(-1)

    class BatchCategorical:
        def __init__(self, logits):
            self.pre_shape = logits.size()[:-1]
            logits = logits.view(-1, logits.size(-1))
            self.dist = torch.distributions.Categorical(logits=logits)

        def log_prob(self, action):
            log_pi = self.dist.log_prob(action.view(-1))
            log_pi = log_pi.view(action.size()[:-1] + (-1,))
            return log_pi

        def entropy(self):
            ent = self.dist.entropy()
            ent = ent.view(self.pre_shape + (-1,))
            return ent

        def sample(self, sample_shape=torch.Size([])):
            ret = self.dist.sample(sample_shape)
            ret = ret.view(sample_shape + self.pre_shape + (-1,))
            return ret

    # ---- deep_rl/network/network_utils.py
    class BaseNet:
        def __init__(self):
            pass

    def layer_init(layer, w_scale=1.0):
        nn.init.orthogonal_(layer.weight.data)
        layer.weight.data.mul_(w_scale)
        nn.init.constant_(layer.bias.data, 0)
        return layer

    # ---- deep_rl/network/network_bodies.py
    class NatureConvBody(nn.Module):
        def __init__(self, in_channels=4):
            super(NatureConvBody, self).__init__()
            self.feature_dim = 512
            self.conv1 = layer_init(nn.Conv2d(in_channels, 32, kernel_size=8, stride=4))
            self.conv2 = layer_init(nn.Conv2d(32, 64, kernel_size=4, stride=2))
            self.conv3 = layer_init(nn.Conv2d(64, 64, kernel_size=3, stride=1))
            self.fc4 = layer_init(nn.Linear(7 * 7 * 64, self.feature_dim))

        def forward(self, x):
            y = F.relu(self.conv1(x))
            y = F.relu(self.conv2(y))
            y = F.relu(self.conv3(y))
            y = y.view(y.size(0), -1)
            y = F.relu(self.fc4(y))
            return y

    class DDPGConvBody(nn.Module):
        def __init__(self, in_channels=4):
            super(DDPGConvBody, self).__init__()
            self.feature_dim = 39 * 39 * 32
            self.conv1 = layer_init(nn.Conv2d(in_channels, 32, kernel_size=3, stride=2))
            self.conv2 = layer_init(nn.Conv2d(32, 32, kernel_size=3))

        def forward(self, x):
            y = F.elu(self.conv1(x))
            y = F.elu(self.conv2(y))
            y = y.view(y.size(0), -1)
            return y

    class FCBody(nn.Module):
        def __init__(self, state_dim, hidden_units=(64, 64), gate=F.relu):
            super(FCBody, self).__init__()
            dims = (state_dim,) + hidden_units
            self.layers = nn.ModuleList(
                [layer_init(nn.Linear(dim_in, dim_out)) for dim_in, dim_out in zip(dims[:-1], dims[1:])])
            self.gate = gate
            self.feature_dim = dims[-1]

        def forward(self, x):
            for layer in self.layers:
                x = self.gate(layer(x))
            return x

    class TwoLayerFCBodyWithAction(nn.Module):
        def __init__(self, state_dim, action_dim, hidden_units=(64, 64), gate=F.relu):
            super(TwoLayerFCBodyWithAction, self).__init__()
            hidden_size1, hidden_size2 = hidden_units
            self.fc1 = layer_init(nn.Linear(state_dim, hidden_size1))
            self.fc2 = layer_init(nn.Linear(hidden_size1 + action_dim, hidden_size2))
            self.gate = gate
            self.feature_dim = hidden_size2

        def forward(self, x, action):
            x = self.gate(self.fc1(x))
            phi = self.gate(self.fc2(torch.cat([x, action], dim=1)))
            return phi

    class OneLayerFCBodyWithAction(nn.Module):
        def __init__(self, state_dim, action_dim, hidden_units, gate=F.relu):
            super(OneLayerFCBodyWithAction, self).__init__()
            self.fc_s = layer_init(nn.Linear(state_dim, hidden_units))
            self.fc_a = layer_init(nn.Linear(action_dim, hidden_units))
            self.gate = gate
            self.feature_dim = hidden_units * 2

        def forward(self, x, action):
            phi = self.gate(torch.cat([self.fc_s(x), self.fc_a(action)], dim=1))
            return phi

    class DummyBody(nn.Module):
        def __init__(self, state_dim):
            super(DummyBody, self).__init__()
            self.feature_dim = state_dim

        def forward(self, x):
            return x

    d = types.SimpleNamespace(**{k: v for k, v in locals().items() if k not in ("L",)})
    vars(d).update(heads(L, d))  # deep_rl/network/network_heads.py
    return d


def utils(L):
    """torch_utils: tensor(), range_tensor, to_np, random_seed, epsilon_greedy, huber,
    batch_diagonal (as_strided + copy_), batch_trace, DiagonalNormal, BatchCategorical."""
    d = deeprl(L)
    torch = L
    with Out() as o:
        d.random_seed(3)
        x = d.tensor([[1, 2], [3, 4]])
        o.print(x.dtype, x.shape, d.tensor(x) is x)
        o.print(d.range_tensor(5))
        o.print(type(d.to_np(x)).__name__, d.to_np(x).dtype)
        q = np.random.rand(4, 3)
        o.print(d.epsilon_greedy(0.5, q), d.epsilon_greedy(0.0, q[0]))
        h = d.huber(torch.linspace(-3, 3, 7))
        o.print(h)
        v = torch.randn(3, 4)
        D = d.batch_diagonal(v)
        o.print(D.shape, D.stride(), D.is_contiguous())
        tr = d.batch_trace(D)
        o.print(tr.shape)
        mean, std = torch.randn(5, 2), torch.rand(5, 2) + 0.5
        dn = d.DiagonalNormal(mean, std)
        a = dn.sample()
        o.print(a.shape, dn.log_prob(a).shape, dn.entropy().shape, dn.cdf(a).shape)
        logits = torch.randn(3, 5, 4)
        bc = d.BatchCategorical(logits)
        s = bc.sample()
        o.print(s.shape, s.dtype, bc.log_prob(s).shape, bc.entropy().shape)
        s2 = bc.sample(torch.Size([2]))
        o.print(s2.shape)
        o.vals += [x, h, D, tr, a, dn.log_prob(a), dn.entropy(), dn.cdf(a), s,
                   bc.log_prob(s), bc.entropy(), s2]
    return o.done()


def bodies_and_heads(L):
    """Every body and head on a small batch: NatureConvBody on 84x84 frames, DDPGConvBody,
    FCBody with F.tanh gates, the heads' outputs (q, prob/log_prob, quantile, option critic),
    the actor-critic nets with their optimizers, module reprs and parameter counts."""
    d = deeprl(L)
    torch, F = L, L.nn.functional
    with Out() as o:
        d.random_seed(0)
        frames = np.random.randint(0, 256, (2, 4, 84, 84)).astype(np.uint8)
        body = d.NatureConvBody()
        net = d.VanillaNet(3, body)
        o.print(net)
        q = net(frames / 255.0)['q']
        o.print(q.shape, sum(p.numel() for p in net.parameters()))
        ddpg_body = d.DDPGConvBody(in_channels=3)
        y = ddpg_body(d.tensor(np.random.rand(1, 3, 84, 84)))
        o.print(y.shape, ddpg_body.feature_dim)
        states = np.random.randn(5, 4)
        duel = d.DuelingNet(3, d.FCBody(4, hidden_units=(8, 8), gate=F.tanh))
        cat = d.CategoricalNet(3, 7, d.FCBody(4, hidden_units=(8,)))
        quant = d.QuantileNet(3, 5, d.FCBody(4, hidden_units=(8,)))
        oc = d.OptionCriticNet(d.FCBody(4, hidden_units=(8,)), 3, 2)
        o.print(duel)
        qd = duel(states)['q']
        pc = cat(states)
        qq = quant(states)['quantile']
        po = oc(states)
        o.print(qd.shape, pc['prob'].shape, pc['log_prob'].shape, qq.shape,
                {k: tuple(v.shape) for k, v in po.items()})
        ddpg = d.DeterministicActorCriticNet(
            4, 2, actor_opt_fn=lambda params: torch.optim.Adam(params, lr=1e-3),
            critic_opt_fn=lambda params: torch.optim.Adam(params, lr=1e-3),
            phi_body=d.DummyBody(4), actor_body=d.FCBody(4, (8, 8), gate=F.tanh),
            critic_body=d.TwoLayerFCBodyWithAction(4, 2, (8, 8), gate=F.tanh))
        o.print(ddpg)
        a = ddpg(states)
        qc = ddpg.critic(ddpg.feature(states), a)
        o.print(a.shape, qc.shape, len(ddpg.actor_params), len(ddpg.critic_params))
        one = d.OneLayerFCBodyWithAction(4, 2, 6)
        o.print(one(d.tensor(states), a).shape)
        g = d.GaussianActorCriticNet(4, 2, actor_body=d.FCBody(4, (8,)), critic_body=d.FCBody(4, (8,)))
        pg = g(states)
        c = d.CategoricalActorCriticNet(4, 3, phi_body=d.FCBody(4, (8,)))
        pcat = c(states)
        o.print({k: (tuple(v.shape), str(v.dtype)) for k, v in pg.items()})
        o.print({k: (tuple(v.shape), str(v.dtype)) for k, v in pcat.items()})
        o.print([n for n, _ in g.named_parameters()])
        o.vals += [q, y[:, :50], qd, pc['prob'], pc['log_prob'], qq, po['q'], po['beta'],
                   po['pi'], po['log_pi'], a, qc, pg['action'], pg['log_pi_a'], pg['entropy'],
                   pg['v'], pcat['action'], pcat['log_pi_a'], pcat['entropy'], pcat['v'],
                   body.fc4.weight[:3, :20], net.fc_head.bias]
    return o.done()
