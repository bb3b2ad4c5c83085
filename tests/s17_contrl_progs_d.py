"""ikostrikov/pytorch-a2c-ppo-acktr-gail as users run it: a2c_ppo_acktr/model.py (Policy,
NNBase with the GRU path, MLPBase, CNNBase, the orthogonal init helpers), distributions.py
(FixedCategorical / FixedNormal / FixedBernoulli, Categorical / DiagGaussian / Bernoulli heads,
AddBias), storage.py (RolloutStorage with compute_returns, GAE and proper time limits, the
feed-forward and recurrent generators), algo/ppo.py, algo/a2c_acktr.py (the A2C path with
RMSprop), utils.py (init, AddBias, update_linear_schedule) and main.py's loop with its
'Updates ...' lines, scaled down on a NumPy vectorised environment in VecPyTorch's shape
instead of gym / baselines, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s17_contrl.py."""

from collections import deque

import numpy as np
from s16_yunjey_progs import Out
from s17_contrl_progs import Box, Discrete
from s17_contrl_progs_e import a2c_module


class MultiBinary:
    def __init__(self, n):
        self.n, self.shape = n, (n,)


class FakeVecEnv:
    """VecPyTorch over num_processes NumPy environments: reset() -> float tensor (N, *obs),
    step(actions) -> (obs, reward (N, 1), done (N,) bool array, infos with 'episode' and
    'bad_transition' as the Monitor / TimeLimit wrappers give them)."""

    def __init__(self, L, obs_shape, action_space, n, seed, max_len=12):
        self.L, self.n = L, n
        self.observation_space = Box(-np.inf, np.inf, obs_shape)
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)
        self.max_len = max_len
        self.image = len(obs_shape) == 3

    def _obs(self):
        if self.image:
            return self.rng.integers(0, 256, (self.n,) + self.observation_space.shape).astype(np.uint8)
        return self.rng.standard_normal((self.n,) + self.observation_space.shape).astype(np.float32)

    def reset(self):
        self.t = np.zeros(self.n, int)
        self.ret = np.zeros(self.n)
        self.cur = self._obs()
        return self.L.from_numpy(self.cur).float()

    def step(self, actions):
        L = self.L
        if isinstance(actions, L.LongTensor):
            actions = actions.squeeze(1)
        actions = actions.cpu().numpy()
        key = self.cur.reshape(self.n, -1)[:, :2].astype(np.float64)
        if self.action_space.__class__.__name__ == "Discrete":
            reward = np.where(actions == (key[:, 0] > key[:, 1]), 1.0, -0.2)
        else:
            a = actions.reshape(self.n, -1)
            reward = -((a - 0.3) ** 2).sum(1) + 0.1 * key[:, 0]
        self.t += 1
        self.ret += reward
        done = (self.t >= self.max_len) | (self.rng.uniform(size=self.n) < 0.05)
        infos = []
        for k in range(self.n):
            info = {}
            if done[k]:
                info['episode'] = {'r': round(float(self.ret[k]), 6), 'l': int(self.t[k])}
                if self.t[k] >= self.max_len:
                    info['bad_transition'] = True
                self.t[k], self.ret[k] = 0, 0.0
            infos.append(info)
        self.cur = self._obs()
        obs = L.from_numpy(self.cur).float()
        reward = L.from_numpy(reward).unsqueeze(dim=1).float()
        return obs, reward, done, infos


def _torch_init(obs_shape, action_space, base_kwargs, seed, L):
    import torch
    torch.manual_seed(seed)
    net = a2c_module(torch).Policy(obs_shape, action_space, base_kwargs=base_kwargs)
    return {k: L.from_numpy(v.numpy().copy()) for k, v in net.state_dict().items()}


def main(L, algo_name="ppo", obs_shape=(4,), action_space=None, recurrent=False, seed=1,
         num_processes=4, num_steps=8, num_env_steps=160, use_gae=True,
         use_proper_time_limits=False, use_linear_lr_decay=True, num_mini_batch=4, hidden=16):
    torch = L
    m = a2c_module(L)
    lr = 2.5e-4 if algo_name == "ppo" else 7e-4
    with Out() as o:
        torch.manual_seed(seed)
        torch.set_num_threads(1)
        device = torch.device("cpu")
        envs = FakeVecEnv(L, obs_shape, action_space or Discrete(2), num_processes, seed)
        base_kwargs = {'recurrent': recurrent, 'hidden_size': hidden}
        actor_critic = m.Policy(envs.observation_space.shape, envs.action_space, base_kwargs=base_kwargs)
        # orthogonal_'s QR is LAPACK's float32 one in PyTorch, NumPy's (float64) in ember: the
        # same matrices to a bit or two (tests/test_programs_s14_hfdrl.py checks that), which
        # RMSprop / Adam steps on the 1e-4 actor gradients then carry; both start from PyTorch's
        # matrices here (after the same draws, so the generator's state is the same).
        actor_critic.load_state_dict(_torch_init(obs_shape, envs.action_space, base_kwargs, seed,
                                                 L))
        actor_critic.to(device)
        o.print(actor_critic)
        if algo_name == 'a2c':
            agent = m.A2C_ACKTR(actor_critic, 0.5, 0.01, lr=lr, eps=1e-5, alpha=0.99, max_grad_norm=0.5)
        else:
            agent = m.PPO(actor_critic, 0.1, 4, num_mini_batch, 0.5, 0.01, lr=lr, eps=1e-5, max_grad_norm=0.5)
        rollouts = m.RolloutStorage(num_steps, num_processes, envs.observation_space.shape,
                                    envs.action_space, actor_critic.recurrent_hidden_state_size)
        obs = envs.reset()
        rollouts.obs[0].copy_(obs)
        rollouts.to(device)
        episode_rewards = deque(maxlen=10)
        num_updates = int(num_env_steps) // num_steps // num_processes
        for j in range(num_updates):
            if use_linear_lr_decay:
                m.update_linear_schedule(agent.optimizer, j, num_updates, lr)
            for step in range(num_steps):
                with torch.no_grad():
                    value, action, action_log_prob, recurrent_hidden_states = actor_critic.act(
                        rollouts.obs[step], rollouts.recurrent_hidden_states[step], rollouts.masks[step])
                obs, reward, done, infos = envs.step(action)
                for info in infos:
                    if 'episode' in info.keys():
                        episode_rewards.append(info['episode']['r'])
                masks = torch.FloatTensor([[0.0] if done_ else [1.0] for done_ in done])
                bad_masks = torch.FloatTensor([[0.0] if 'bad_transition' in info.keys() else [1.0] for info in infos])
                rollouts.insert(obs, recurrent_hidden_states, action, action_log_prob, value, reward, masks, bad_masks)
            with torch.no_grad():
                next_value = actor_critic.get_value(rollouts.obs[-1], rollouts.recurrent_hidden_states[-1], rollouts.masks[-1]).detach()
            rollouts.compute_returns(next_value, use_gae, 0.99, 0.95, use_proper_time_limits)
            value_loss, action_loss, dist_entropy = agent.update(rollouts)
            rollouts.after_update()
            o.print("{:.4f} {:.4f} {:.4f} lr {:.6g}".format(value_loss, action_loss, dist_entropy,
                                                          agent.optimizer.param_groups[0]['lr']))
            if j % 2 == 0 and len(episode_rewards) > 1:
                total_num_steps = (j + 1) * num_processes * num_steps
                o.print("Updates {}, num timesteps {}, FPS {} \n Last {} training episodes: mean/median reward {:.1f}/{:.1f}, min/max reward {:.1f}/{:.1f}\n"
                        .format(j, total_num_steps, "-", len(episode_rewards), np.mean(episode_rewards),
                                np.median(episode_rewards), np.min(episode_rewards), np.max(episode_rewards),
                                dist_entropy, value_loss, action_loss))
        o.print(rollouts.actions.dtype, rollouts.returns.shape, rollouts.masks[:, :, 0].sum(0))
        o.vals += [rollouts.returns, rollouts.value_preds, rollouts.action_log_probs]
        o.vals += list(actor_critic.state_dict().values())
    return o.done()


def ppo_discrete(L):
    return main(L)


def ppo_continuous(L):
    return main(L, obs_shape=(3,), action_space=Box(-1.0, 1.0, (2,)), seed=3,
                use_proper_time_limits=True, num_mini_batch=2)


def ppo_recurrent(L):
    return main(L, recurrent=True, seed=5, num_env_steps=96, num_mini_batch=2)


def a2c_discrete(L):
    return main(L, "a2c", use_gae=False, seed=2, num_env_steps=200, use_linear_lr_decay=False)


def a2c_continuous(L):
    return main(L, "a2c", obs_shape=(5,), action_space=Box(-1.0, 1.0, (1,)), seed=7,
                use_proper_time_limits=True, use_gae=False)


def a2c_recurrent(L):
    return main(L, "a2c", recurrent=True, seed=9, num_env_steps=96, use_gae=True)


def a2c_cnn(L):
    return main(L, "a2c", obs_shape=(4, 84, 84), seed=4, num_processes=2, num_steps=3,
                num_env_steps=12, hidden=32)


def distributions(L):
    """The heads and Fixed* distributions on their own, MultiBinary included (its
    log_probs calls super.log_prob: an AttributeError in the repository as it stands)."""
    torch = L
    m = a2c_module(L)
    with Out() as o:
        torch.manual_seed(0)
        x = torch.randn(5, 6)
        for head in (m.Categorical(6, 3), m.DiagGaussian(6, 2), m.Bernoulli(6, 4)):
            o.print(head)
            d = head(x)
            o.print(type(d).__name__, d.mode().dtype, d.mode().shape)
            s = d.sample()
            o.print(s.dtype, s.shape)
            o.tryit(lambda: d.log_probs(s).shape)
            o.print(d.entropy().shape)
            o.vals += [d.mode(), s, d.entropy()]
        bias = m.AddBias(torch.zeros(3))
        o.print(bias, bias._bias.shape)
        o.vals += [bias(torch.ones(2, 3)), bias(torch.ones(2, 3, 4, 4))]
        pol = m.Policy((6,), MultiBinary(4), base_kwargs={'hidden_size': 8})
        o.tryit(lambda: pol.act(x, torch.zeros(5, 1), torch.ones(5, 1)))
        for args in (((2, 3), Discrete(2)), ((6,), "Tuple")):
            try:
                m.Policy(*args)
            except NotImplementedError as e:
                o.print("NotImplementedError", repr(e))
        o.print(pol.is_recurrent, pol.recurrent_hidden_state_size)
    return o.done()


def _kfac_module(L, AddBias):
    """algo/kfac.py's statistics half (SplitBias, the forward-pre and backward hooks, the
    running covariances) as in the repository; its step() calls torch.symeig, removed from
    PyTorch 2, which the program shows."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    import math

    def _extract_patches(x, kernel_size, stride, padding):
        if padding[0] + padding[1] > 0:
            x = F.pad(x, (padding[1], padding[1], padding[0], padding[0])).data
        x = x.unfold(2, kernel_size[0], stride[0])
        x = x.unfold(3, kernel_size[1], stride[1])
        x = x.transpose_(1, 2).transpose_(2, 3).contiguous()
        x = x.view(x.size(0), x.size(1), x.size(2), x.size(3) * x.size(4) * x.size(5))
        return x

    def compute_cov_a(a, classname, layer_info, fast_cnn):
        batch_size = a.size(0)
        if classname == 'Conv2d':
            if fast_cnn:
                a = _extract_patches(a, *layer_info)
                a = a.view(a.size(0), -1, a.size(-1))
                a = a.mean(1)
            else:
                a = _extract_patches(a, *layer_info)
                a = a.view(-1, a.size(-1)).div_(a.size(1)).div_(a.size(2))
        elif classname == 'AddBias':
            a = torch.ones(a.size(0), 1)
        return a.t() @ (a / batch_size)

    def compute_cov_g(g, classname, layer_info, fast_cnn):
        batch_size = g.size(0)
        if classname == 'Conv2d':
            if fast_cnn:
                g = g.view(g.size(0), g.size(1), -1)
                g = g.sum(-1)
            else:
                g = g.transpose(1, 2).transpose(2, 3).contiguous()
                g = g.view(-1, g.size(-1)).mul_(g.size(1)).mul_(g.size(2))
        elif classname == 'AddBias':
            g = g.view(g.size(0), g.size(1), -1)
            g = g.sum(-1)
        g_ = g * batch_size
        return g_.t() @ (g_ / g.size(0))

    def update_running_stat(aa, m_aa, momentum):
        m_aa *= momentum / (1 - momentum)
        m_aa += aa
        m_aa *= (1 - momentum)

    class SplitBias(nn.Module):
        def __init__(self, module):
            super(SplitBias, self).__init__()
            self.module = module
            self.add_bias = AddBias(module.bias.data)
            self.module.bias = None

        def forward(self, input):
            x = self.module(input)
            x = self.add_bias(x)
            return x

    class KFACOptimizer(optim.Optimizer):
        def __init__(self, model, lr=0.25, momentum=0.9, stat_decay=0.99, kl_clip=0.001,
                     damping=1e-2, weight_decay=0, fast_cnn=False, Ts=1, Tf=10):
            defaults = dict()

            def split_bias(module):
                for mname, child in module.named_children():
                    if hasattr(child, 'bias') and child.bias is not None:
                        module._modules[mname] = SplitBias(child)
                    else:
                        split_bias(child)

            split_bias(model)
            super(KFACOptimizer, self).__init__(model.parameters(), defaults)
            self.known_modules = {'Linear', 'Conv2d', 'AddBias'}
            self.modules = []
            self.grad_outputs = {}
            self.model = model
            self._prepare_model()
            self.steps = 0
            self.m_aa, self.m_gg = {}, {}
            self.Q_a, self.Q_g = {}, {}
            self.d_a, self.d_g = {}, {}
            self.momentum = momentum
            self.stat_decay = stat_decay
            self.lr = lr
            self.kl_clip = kl_clip
            self.damping = damping
            self.weight_decay = weight_decay
            self.fast_cnn = fast_cnn
            self.Ts = Ts
            self.Tf = Tf
            self.optim = optim.SGD(model.parameters(), lr=self.lr * (1 - self.momentum),
                                   momentum=self.momentum)

        def _save_input(self, module, input):
            if torch.is_grad_enabled() and self.steps % self.Ts == 0:
                classname = module.__class__.__name__
                layer_info = None
                if classname == 'Conv2d':
                    layer_info = (module.kernel_size, module.stride, module.padding)
                aa = compute_cov_a(input[0].data, classname, layer_info, self.fast_cnn)
                if self.steps == 0:
                    self.m_aa[module] = aa.clone()
                update_running_stat(aa, self.m_aa[module], self.stat_decay)

        def _save_grad_output(self, module, grad_input, grad_output):
            if self.acc_stats:
                classname = module.__class__.__name__
                layer_info = None
                if classname == 'Conv2d':
                    layer_info = (module.kernel_size, module.stride, module.padding)
                gg = compute_cov_g(grad_output[0].data, classname, layer_info, self.fast_cnn)
                if self.steps == 0:
                    self.m_gg[module] = gg.clone()
                update_running_stat(gg, self.m_gg[module], self.stat_decay)

        def _prepare_model(self):
            for module in self.model.modules():
                classname = module.__class__.__name__
                if classname in self.known_modules:
                    assert not ((classname in ['Linear', 'Conv2d']) and module.bias is not None), \
                        "You must have a bias as a separate layer"
                    self.modules.append(module)
                    module.register_forward_pre_hook(self._save_input)
                    module.register_backward_hook(self._save_grad_output)

        def step(self):
            for i, m in enumerate(self.modules):
                if self.steps % self.Tf == 0:
                    self.d_a[m], self.Q_a[m] = torch.symeig(self.m_aa[m], eigenvectors=True)
            return math.nan

    return KFACOptimizer


def acktr_statistics(L, obs_shape=(4,), seed=6):
    """A2C_ACKTR(acktr=True).update's sampled-Fisher pass on a rollout: the hooks' running
    covariances, the bias-split model's repr, then the optimizer step."""
    torch = L
    m = a2c_module(L)
    with Out() as o:
        torch.manual_seed(seed)
        actor_critic = m.Policy(obs_shape, Discrete(3), base_kwargs={'hidden_size': 8})
        actor_critic.load_state_dict(_torch_init(obs_shape, Discrete(3), {'hidden_size': 8},
                                                 seed, L))
        optimizer = _kfac_module(L, m.AddBias)(actor_critic)
        o.print(actor_critic)
        o.print(len(optimizer.modules), optimizer.defaults, len(optimizer.param_groups[0]['params']))
        rng = np.random.default_rng(seed)
        obs = L.from_numpy(rng.standard_normal((12,) + obs_shape).astype(np.float32))
        actions = L.from_numpy(rng.integers(0, 3, (12, 1)))
        values, action_log_probs, dist_entropy, _ = actor_critic.evaluate_actions(
            obs, L.zeros(12, 1), L.ones(12, 1), actions)
        if optimizer.steps % optimizer.Ts == 0:
            actor_critic.zero_grad()
            pg_fisher_loss = -action_log_probs.mean()
            value_noise = torch.randn(values.size())
            sample_values = values + value_noise
            vf_fisher_loss = -(values - sample_values.detach()).pow(2).mean()
            fisher_loss = pg_fisher_loss + vf_fisher_loss
            optimizer.acc_stats = True
            fisher_loss.backward(retain_graph=True)
            optimizer.acc_stats = False
        o.print(len(optimizer.m_aa), len(optimizer.m_gg))
        for mod in optimizer.modules:
            o.vals += [optimizer.m_aa[mod], optimizer.m_gg[mod]]
        o.tryit(lambda: optimizer.step())
    return o.done()
