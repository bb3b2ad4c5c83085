"""rainbow-is-all-you-need 08_rainbow.py (noisy dueling C51 network, double-DQN targets, PER
with n-step, clip_grad_norm_, reset_noise each update), and the pieces users poke at on their
own: the C51 projection step by step (both the notebooks' ceil() version and 08's floor()+1
one), NoisyLinear's noise and state, and the usual gather / index_add_ mistakes.
See tests/s20_rainbowall_progs.py."""

import numpy as np
from s16_yunjey_progs import Out
from s20_rainbowall_progs import CartPole, PrioritizedReplayBuffer, ReplayBuffer, seed_all
from s20_rainbowall_progs_b import BATCH, MEMORY, PLOT_EVERY, TARGET_UPDATE, \
    _finish, dqn_classes
from s20_rainbowall_progs_c import noisy_linear

RAINBOW_FRAMES = 40  # 25 updates: PyTorch spends ~3 s on 45 of these small steps


def rainbow_network(torch):
    nn, F = torch.nn, torch.nn.functional
    NoisyLinear = noisy_linear(torch)

    class Network(nn.Module):
        def __init__(self, in_dim, out_dim, atom_size, support):
            super(Network, self).__init__()
            self.support = support
            self.out_dim = out_dim
            self.atom_size = atom_size
            self.feature_layer = nn.Sequential(nn.Linear(in_dim, 128), nn.ReLU())
            self.advantage_hidden_layer = NoisyLinear(128, 128)
            self.advantage_layer = NoisyLinear(128, out_dim * atom_size)
            self.value_hidden_layer = NoisyLinear(128, 128)
            self.value_layer = NoisyLinear(128, atom_size)

        def forward(self, x):
            dist = self.dist(x)
            q = torch.sum(dist * self.support, dim=2)
            return q

        def dist(self, x):
            feature = self.feature_layer(x)
            adv_hid = F.relu(self.advantage_hidden_layer(feature))
            val_hid = F.relu(self.value_hidden_layer(feature))
            advantage = self.advantage_layer(adv_hid).view(-1, self.out_dim, self.atom_size)
            value = self.value_layer(val_hid).view(-1, 1, self.atom_size)
            q_atoms = value + advantage - advantage.mean(dim=1, keepdim=True)
            dist = F.softmax(q_atoms, dim=-1)
            dist = dist.clamp(min=1e-3)
            return dist

        def reset_noise(self):
            self.advantage_hidden_layer.reset_noise()
            self.advantage_layer.reset_noise()
            self.value_hidden_layer.reset_noise()
            self.value_layer.reset_noise()

    return Network


def rainbow(torch):
    """08_rainbow.py."""
    clip_grad_norm_ = torch.nn.utils.clip_grad_norm_
    Network = rainbow_network(torch)
    with Out() as out:
        seed = seed_all(torch)
        Base = dqn_classes(torch, out)

        class DQNAgent(Base):
            def __init__(self, env, memory_size, batch_size, target_update, seed, gamma=0.99,
                         alpha=0.2, beta=0.6, prior_eps=1e-6, v_min=0.0, v_max=200.0,
                         atom_size=51, n_step=3):
                super().__init__(env, memory_size, batch_size, target_update, 0.0, seed,
                                 gamma=gamma)
                obs_dim, action_dim = env.observation_space.shape[0], env.action_space.n
                self.beta = beta
                self.prior_eps = prior_eps
                self.memory = PrioritizedReplayBuffer(
                    obs_dim, memory_size, batch_size, alpha=alpha, gamma=gamma)
                self.use_n_step = True if n_step > 1 else False
                if self.use_n_step:
                    self.n_step = n_step
                    self.memory_n = ReplayBuffer(
                        obs_dim, memory_size, batch_size, n_step=n_step, gamma=gamma)
                self.v_min = v_min
                self.v_max = v_max
                self.atom_size = atom_size
                self.support = torch.linspace(
                    self.v_min, self.v_max, self.atom_size).to(self.device)
                self.dqn = Network(obs_dim, action_dim, self.atom_size,
                                   self.support).to(self.device)
                self.dqn_target = Network(obs_dim, action_dim, self.atom_size,
                                          self.support).to(self.device)
                self.dqn_target.load_state_dict(self.dqn.state_dict())
                self.dqn_target.eval()
                self.optimizer = torch.optim.Adam(self.dqn.parameters())

            def select_action(self, state):
                selected_action = self.dqn(torch.FloatTensor(state).to(self.device)).argmax()
                selected_action = selected_action.detach().cpu().numpy()
                if not self.is_test:
                    self.transition = [state, selected_action]
                return selected_action

            def step(self, action):
                next_state, reward, terminated, truncated, _ = self.env.step(action)
                done = terminated or truncated
                if not self.is_test:
                    self.transition += [reward, next_state, done]
                    if self.use_n_step:
                        one_step_transition = self.memory_n.store(*self.transition)
                    else:
                        one_step_transition = self.transition
                    if one_step_transition:
                        self.memory.store(*one_step_transition)
                return next_state, reward, done

            def update_model(self):
                samples = self.memory.sample_batch(self.beta)
                weights = torch.FloatTensor(samples["weights"].reshape(-1, 1)).to(self.device)
                indices = samples["indices"]
                elementwise_loss = self._compute_dqn_loss(samples, self.gamma)
                loss = torch.mean(elementwise_loss * weights)
                if self.use_n_step:
                    gamma = self.gamma ** self.n_step
                    samples = self.memory_n.sample_batch_from_idxs(indices)
                    elementwise_loss_n_loss = self._compute_dqn_loss(samples, gamma)
                    elementwise_loss += elementwise_loss_n_loss
                    loss = torch.mean(elementwise_loss * weights)
                self.optimizer.zero_grad()
                loss.backward()
                clip_grad_norm_(self.dqn.parameters(), 10.0)
                self.optimizer.step()
                loss_for_prior = elementwise_loss.detach().cpu().numpy()
                new_priorities = loss_for_prior + self.prior_eps
                self.memory.update_priorities(indices, new_priorities)
                self.dqn.reset_noise()
                self.dqn_target.reset_noise()
                return loss.item()

            def _after_step(self, frame_idx, num_frames):
                fraction = min(frame_idx / num_frames, 1.0)
                self.beta = self.beta + fraction * (1.0 - self.beta)

            def _compute_dqn_loss(self, samples, gamma):
                device = self.device
                state = torch.FloatTensor(samples["obs"]).to(device)
                next_state = torch.FloatTensor(samples["next_obs"]).to(device)
                action = torch.LongTensor(samples["acts"]).to(device)
                reward = torch.FloatTensor(samples["rews"].reshape(-1, 1)).to(device)
                done = torch.FloatTensor(samples["done"].reshape(-1, 1)).to(device)
                delta_z = float(self.v_max - self.v_min) / (self.atom_size - 1)
                with torch.no_grad():
                    next_action = self.dqn(next_state).argmax(1)
                    next_dist = self.dqn_target.dist(next_state)
                    next_dist = next_dist[range(self.batch_size), next_action]
                    t_z = reward + (1 - done) * gamma * self.support
                    t_z = t_z.clamp(min=self.v_min, max=self.v_max)
                    b = (t_z - self.v_min) / delta_z
                    l = b.floor().long()  # noqa: E741
                    u = b.floor().long() + 1
                    offset = (
                        torch.linspace(0, (self.batch_size - 1) * self.atom_size,
                                       self.batch_size).long()
                        .unsqueeze(1).expand(self.batch_size, self.atom_size).to(self.device))
                    proj_dist = torch.zeros(next_dist.size(), device=self.device)
                    proj_dist.view(-1).index_add_(
                        0, (l + offset).view(-1), (next_dist * (u.float() - b)).view(-1))
                    proj_dist.view(-1).index_add_(
                        0, (u.clamp(max=self.atom_size - 1) + offset).view(-1),
                        (next_dist * (b - l.float())).view(-1))
                dist = self.dqn.dist(state)
                log_p = torch.log(dist[range(self.batch_size), action])
                elementwise_loss = -(proj_dist * log_p).sum(1)
                return elementwise_loss

        agent = DQNAgent(CartPole(), MEMORY, BATCH, TARGET_UPDATE, seed)
        out.print(agent.dqn)
        losses, scores = agent.train(RAINBOW_FRAMES, PLOT_EVERY)
        out.print("max_priority %.4f" % float(np.max(agent.memory.max_priority)))
        agent.test()
        out.vals += [agent.dqn(torch.FloatTensor(np.zeros((3, 4), np.float32))).detach()]
    return _finish(out, agent, losses, scores, params=False)


def projection(torch):
    """The C51 projection alone, as users check it: integer b (where ceil() loses the mass),
    t_z clamped at v_max, l / u / offset dtypes, the projected rows' sums."""
    with Out() as out:
        torch.manual_seed(0)
        batch_size, atom_size, v_min, v_max, gamma = 4, 11, 0.0, 10.0, 0.5
        support = torch.linspace(v_min, v_max, atom_size)
        out.print(support, support.dtype)
        delta_z = float(v_max - v_min) / (atom_size - 1)
        next_dist = torch.softmax(torch.randn(batch_size, atom_size), dim=-1)
        reward = torch.FloatTensor(np.array([[0.0], [1.0], [2.5], [9.0]], np.float32))
        done = torch.FloatTensor(np.array([[0.0], [1.0], [0.0], [0.0]], np.float32))
        t_z = reward + (1 - done) * gamma * support
        t_z = t_z.clamp(min=v_min, max=v_max)
        b = (t_z - v_min) / delta_z
        for variant in ("ceil", "floor+1"):
            l = b.floor().long()  # noqa: E741
            u = b.ceil().long() if variant == "ceil" else b.floor().long() + 1
            offset = (torch.linspace(0, (batch_size - 1) * atom_size, batch_size).long()
                      .unsqueeze(1).expand(batch_size, atom_size))
            out.print(variant, l.dtype, u.dtype, offset.dtype, offset[:, 0], offset.shape)
            proj_dist = torch.zeros(next_dist.size())
            proj_dist.view(-1).index_add_(
                0, (l + offset).view(-1), (next_dist * (u.float() - b)).view(-1))
            u2 = u if variant == "ceil" else u.clamp(max=atom_size - 1)
            proj_dist.view(-1).index_add_(
                0, (u2 + offset).view(-1), (next_dist * (b - l.float())).view(-1))
            out.print(proj_dist.sum(1))
            out.vals += [proj_dist, l, u, b]
        out.tryit(lambda: torch.zeros(2, 3).view(-1).index_add_(0, torch.tensor([0., 1.]),
                                                               torch.ones(2)))
        out.tryit(lambda: torch.zeros(2, 3).view(-1).index_add_(0, torch.tensor([0, 7]),
                                                               torch.ones(2)))
        out.tryit(lambda: torch.zeros(2, 3).view(-1).index_add_(0, torch.tensor([0, 1]),
                                                               torch.ones(3)))
        out.tryit(lambda: torch.zeros(2, 3).view(-1).index_add_(
            0, torch.tensor([0, 1]), torch.ones(2, dtype=torch.float64)))
        out.tryit(lambda: offset.view(-1))
        out.tryit(lambda: torch.zeros(2, 3).t().view(-1))
    return out.done()


def noisy_layer(torch):
    """NoisyLinear on its own: buffers vs parameters, reset_noise draws, ger, sign*sqrt."""
    NoisyLinear = noisy_linear(torch)
    with Out() as out:
        torch.manual_seed(777)
        layer = NoisyLinear(6, 3)
        out.print(layer)
        out.print([n for n, _ in layer.named_parameters()])
        out.print([(n, tuple(b.shape)) for n, b in layer.named_buffers()])
        out.print(sorted(layer.state_dict().keys()))
        x = torch.randn(5, 6)
        y1 = layer(x)
        layer.reset_noise()
        y2 = layer(x)
        out.print(y1.shape, y1.dtype, bool((y1 != y2).any()))
        eps = NoisyLinear.scale_noise(4)
        out.print(eps, torch.ger(eps, eps).shape, torch.outer(eps, eps[:2]).shape)
        y2.sum().backward()
        out.print(layer.weight_epsilon.requires_grad, layer.weight_mu.grad.shape,
                  layer.bias_sigma.grad is None)
        out.vals += [y1, y2, eps, layer.weight_sigma.grad, layer.bias_sigma.grad,
                     layer.weight_epsilon]
        out.tryit(lambda: eps.ger(torch.randn(2, 2)))
        out.tryit(lambda: NoisyLinear.scale_noise(-1))
    return out.done()


def gather_mistakes(torch):
    """01's q.gather(1, action) with the action column the wrong dtype or shape, .argmax on
    a batch with keepdim, smooth_l1_loss of mismatched shapes (the broadcast warning)."""
    F = torch.nn.functional
    with Out() as out:
        torch.manual_seed(0)
        q = torch.randn(4, 2, requires_grad=True)
        acts = np.array([0., 1., 1., 0.], np.float32)
        out.tryit(lambda: q.gather(1, torch.LongTensor(acts.reshape(-1, 1))))
        out.tryit(lambda: q.gather(1, torch.FloatTensor(acts.reshape(-1, 1))))
        out.tryit(lambda: q.gather(1, torch.LongTensor(acts)))
        out.tryit(lambda: q.gather(1, torch.LongTensor(acts.reshape(-1, 1)) + 2))
        out.tryit(lambda: q.argmax(dim=1, keepdim=True))
        out.tryit(lambda: q.max(dim=1, keepdim=True)[0].detach())
        out.tryit(lambda: q[range(4), torch.LongTensor(acts)])
        curr = q.gather(1, torch.LongTensor(acts.reshape(-1, 1)))
        target = torch.randn(4)
        out.tryit(lambda: F.smooth_l1_loss(curr, target))
        out.tryit(lambda: F.smooth_l1_loss(curr, target.view(-1, 1), reduction="none").shape)
        out.tryit(lambda: F.smooth_l1_loss(curr, target.view(-1, 1), reduction="avg"))
        out.tryit(lambda: torch.FloatTensor(np.zeros((2, 4), np.float64)).dtype)
        out.tryit(lambda: torch.LongTensor(np.array([0.7, 1.2], np.float32)))
        out.tryit(lambda: torch.FloatTensor(np.array(3.0)).shape)
        out.tryit(lambda: q.argmax().detach().cpu().numpy().dtype)
        loss = F.smooth_l1_loss(curr, target.view(-1, 1))
        loss.backward()
        out.vals += [loss, q.grad]
    return out.done()
