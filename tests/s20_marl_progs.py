"""Multi-agent value factorisation from oxwhirl/pymarl as users type it, scaled down:
src/modules/agents/rnn_agent.py (RNNAgent with nn.GRUCell), src/controllers/basic_controller.py
(_build_inputs with th.eye(...).expand, init_hidden), src/components/action_selectors.py
(EpsilonGreedyActionSelector with Categorical over available actions),
src/components/transforms.py (OneHot), src/modules/mixers/qmix.py and vdn.py, and
src/learners/q_learner.py (masked TD targets, double-Q max over available actions, RMSprop,
clip_grad_norm_, target networks by deepcopy / load_state_dict). The StarCraft environment
is replaced by a NumPy-seeded stand-in episode batch (a dict of tensors shaped as
EpisodeBatch stores them). ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_marl.py."""

import copy
from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out


def _modules(L):
    """The pymarl modules (RNNAgent, BasicMAC, selector, mixers, QLearner) built on L."""
    th, nn, F = L, L.nn, L.nn.functional
    Categorical = L.distributions.Categorical

    class RNNAgent(nn.Module):
        def __init__(self, input_shape, args):
            super(RNNAgent, self).__init__()
            self.args = args
            self.fc1 = nn.Linear(input_shape, args.rnn_hidden_dim)
            self.rnn = nn.GRUCell(args.rnn_hidden_dim, args.rnn_hidden_dim)
            self.fc2 = nn.Linear(args.rnn_hidden_dim, args.n_actions)

        def init_hidden(self):
            # make hidden states on same device as model
            return self.fc1.weight.new(1, self.args.rnn_hidden_dim).zero_()

        def forward(self, inputs, hidden_state):
            x = F.relu(self.fc1(inputs))
            h_in = hidden_state.reshape(-1, self.args.rnn_hidden_dim)
            h = self.rnn(x, h_in)
            q = self.fc2(h)
            return q, h

    class DecayThenFlatSchedule():
        def __init__(self, start, finish, time_length, decay="exp"):
            self.start, self.finish, self.time_length = start, finish, time_length
            self.delta = (self.start - self.finish) / self.time_length

        def eval(self, T):
            return max(self.finish, self.start - self.delta * T)

    class EpsilonGreedyActionSelector():
        def __init__(self, args):
            self.args = args
            self.schedule = DecayThenFlatSchedule(args.epsilon_start, args.epsilon_finish,
                                                  args.epsilon_anneal_time, decay="linear")
            self.epsilon = self.schedule.eval(0)

        def select_action(self, agent_inputs, avail_actions, t_env, test_mode=False):
            self.epsilon = self.schedule.eval(t_env)
            if test_mode:
                self.epsilon = 0.0
            masked_q_values = agent_inputs.clone()
            masked_q_values[avail_actions == 0.0] = -float("inf")
            random_numbers = th.rand_like(agent_inputs[:, :, 0])
            pick_random = (random_numbers < self.epsilon).long()
            random_actions = Categorical(avail_actions.float()).sample().long()
            picked_actions = pick_random * random_actions + \
                (1 - pick_random) * masked_q_values.max(dim=2)[1]
            return picked_actions

    class BasicMAC:
        def __init__(self, scheme, args):
            self.n_agents = args.n_agents
            self.args = args
            input_shape = self._get_input_shape(scheme)
            self.agent = RNNAgent(input_shape, args)
            self.agent_output_type = args.agent_output_type
            self.action_selector = EpsilonGreedyActionSelector(args)
            self.hidden_states = None

        def select_actions(self, ep_batch, t_ep, t_env, bs=slice(None), test_mode=False):
            avail_actions = ep_batch["avail_actions"][:, t_ep]
            agent_outputs = self.forward(ep_batch, t_ep, test_mode=test_mode)
            return self.action_selector.select_action(agent_outputs[bs], avail_actions[bs],
                                                      t_env, test_mode=test_mode)

        def forward(self, ep_batch, t, test_mode=False):
            agent_inputs = self._build_inputs(ep_batch, t)
            avail_actions = ep_batch["avail_actions"][:, t]
            agent_outs, self.hidden_states = self.agent(agent_inputs, self.hidden_states)
            if self.agent_output_type == "pi_logits":
                reshaped_avail_actions = avail_actions.reshape(
                    ep_batch["batch_size"] * self.n_agents, -1)
                agent_outs[reshaped_avail_actions == 0] = -1e10
                agent_outs = th.nn.functional.softmax(agent_outs, dim=-1)
            return agent_outs.view(ep_batch["batch_size"], self.n_agents, -1)

        def init_hidden(self, batch_size):
            self.hidden_states = self.agent.init_hidden().unsqueeze(0).expand(
                batch_size, self.n_agents, -1)  # bav

        def parameters(self):
            return self.agent.parameters()

        def load_state(self, other_mac):
            self.agent.load_state_dict(other_mac.agent.state_dict())

        def _build_inputs(self, batch, t):
            bs = batch["batch_size"]
            inputs = []
            inputs.append(batch["obs"][:, t])  # b1av
            if self.args.obs_last_action:
                if t == 0:
                    inputs.append(th.zeros_like(batch["actions_onehot"][:, t]))
                else:
                    inputs.append(batch["actions_onehot"][:, t - 1])
            if self.args.obs_agent_id:
                inputs.append(th.eye(self.n_agents).unsqueeze(0).expand(bs, -1, -1))
            inputs = th.cat([x.reshape(bs * self.n_agents, -1) for x in inputs], dim=1)
            return inputs

        def _get_input_shape(self, scheme):
            input_shape = scheme["obs"]["vshape"]
            if self.args.obs_last_action:
                input_shape += scheme["actions_onehot"]["vshape"][0]
            if self.args.obs_agent_id:
                input_shape += self.n_agents
            return input_shape

    class VDNMixer(nn.Module):
        def __init__(self):
            super(VDNMixer, self).__init__()

        def forward(self, agent_qs, batch):
            return th.sum(agent_qs, dim=2, keepdim=True)

    class QMixer(nn.Module):
        def __init__(self, args):
            super(QMixer, self).__init__()
            self.args = args
            self.n_agents = args.n_agents
            self.state_dim = int(np.prod(args.state_shape))
            self.embed_dim = args.mixing_embed_dim
            if getattr(args, "hypernet_layers", 1) == 1:
                self.hyper_w_1 = nn.Linear(self.state_dim, self.embed_dim * self.n_agents)
                self.hyper_w_final = nn.Linear(self.state_dim, self.embed_dim)
            elif getattr(args, "hypernet_layers", 1) == 2:
                hypernet_embed = self.args.hypernet_embed
                self.hyper_w_1 = nn.Sequential(
                    nn.Linear(self.state_dim, hypernet_embed), nn.ReLU(),
                    nn.Linear(hypernet_embed, self.embed_dim * self.n_agents))
                self.hyper_w_final = nn.Sequential(
                    nn.Linear(self.state_dim, hypernet_embed), nn.ReLU(),
                    nn.Linear(hypernet_embed, self.embed_dim))
            # State dependent bias for hidden layer
            self.hyper_b_1 = nn.Linear(self.state_dim, self.embed_dim)
            # V(s) instead of a bias for the last layers
            self.V = nn.Sequential(nn.Linear(self.state_dim, self.embed_dim), nn.ReLU(),
                                   nn.Linear(self.embed_dim, 1))

        def forward(self, agent_qs, states):
            bs = agent_qs.size(0)
            states = states.reshape(-1, self.state_dim)
            agent_qs = agent_qs.view(-1, 1, self.n_agents)
            # First layer
            w1 = th.abs(self.hyper_w_1(states))
            b1 = self.hyper_b_1(states)
            w1 = w1.view(-1, self.n_agents, self.embed_dim)
            b1 = b1.view(-1, 1, self.embed_dim)
            hidden = F.elu(th.bmm(agent_qs, w1) + b1)
            # Second layer
            w_final = th.abs(self.hyper_w_final(states))
            w_final = w_final.view(-1, self.embed_dim, 1)
            # State-dependent bias
            v = self.V(states).view(-1, 1, 1)
            # Compute final output
            y = th.bmm(hidden, w_final) + v
            # Reshape and return
            q_tot = y.view(bs, -1, 1)
            return q_tot

    class QLearner:
        def __init__(self, mac, args, out):
            self.args, self.mac, self.out = args, mac, out
            self.params = list(mac.parameters())
            self.last_target_update_episode = 0
            self.mixer = None
            if args.mixer is not None:
                if args.mixer == "vdn":
                    self.mixer = VDNMixer()
                elif args.mixer == "qmix":
                    self.mixer = QMixer(args)
                self.params += list(self.mixer.parameters())
                self.target_mixer = copy.deepcopy(self.mixer)
            self.optimiser = th.optim.RMSprop(params=self.params, lr=args.lr,
                                              alpha=args.optim_alpha, eps=args.optim_eps)
            self.target_mac = copy.deepcopy(mac)

        def train(self, batch, t_env, episode_num):
            rewards = batch["reward"][:, :-1]
            actions = batch["actions"][:, :-1]
            terminated = batch["terminated"][:, :-1].float()
            mask = batch["filled"][:, :-1].float()
            mask[:, 1:] = mask[:, 1:] * (1 - terminated[:, :-1])
            avail_actions = batch["avail_actions"]

            mac_out = []
            self.mac.init_hidden(batch["batch_size"])
            for t in range(batch["max_seq_length"]):
                agent_outs = self.mac.forward(batch, t=t)
                mac_out.append(agent_outs)
            mac_out = th.stack(mac_out, dim=1)  # Concat over time
            chosen_action_qvals = th.gather(mac_out[:, :-1], dim=3,
                                            index=actions).squeeze(3)  # Remove the last dim

            target_mac_out = []
            self.target_mac.init_hidden(batch["batch_size"])
            for t in range(batch["max_seq_length"]):
                target_agent_outs = self.target_mac.forward(batch, t=t)
                target_mac_out.append(target_agent_outs)
            target_mac_out = th.stack(target_mac_out[1:], dim=1)  # Concat across time
            target_mac_out[avail_actions[:, 1:] == 0] = -9999999

            if self.args.double_q:
                mac_out_detach = mac_out.clone().detach()
                mac_out_detach[avail_actions == 0] = -9999999
                cur_max_actions = mac_out_detach[:, 1:].max(dim=3, keepdim=True)[1]
                target_max_qvals = th.gather(target_mac_out, 3, cur_max_actions).squeeze(3)
            else:
                target_max_qvals = target_mac_out.max(dim=3)[0]

            if self.mixer is not None:
                chosen_action_qvals = self.mixer(chosen_action_qvals, batch["state"][:, :-1])
                target_max_qvals = self.target_mixer(target_max_qvals, batch["state"][:, 1:])

            targets = rewards + self.args.gamma * (1 - terminated) * target_max_qvals
            td_error = (chosen_action_qvals - targets.detach())
            mask = mask.expand_as(td_error)
            masked_td_error = td_error * mask
            loss = (masked_td_error ** 2).sum() / mask.sum()

            self.optimiser.zero_grad()
            loss.backward()
            grad_norm = th.nn.utils.clip_grad_norm_(self.params, self.args.grad_norm_clip)
            self.optimiser.step()

            if (episode_num - self.last_target_update_episode) / \
                    self.args.target_update_interval >= 1.0:
                self._update_targets()
                self.last_target_update_episode = episode_num

            mask_elems = mask.sum().item()
            self.out.print(f"loss {loss.item():.4f} grad_norm {float(grad_norm):.4f} "
                           f"td_error_abs {masked_td_error.abs().sum().item() / mask_elems:.4f}"
                           f" q_taken_mean {(chosen_action_qvals * mask).sum().item() / (mask_elems * self.args.n_agents):.4f}"
                           f" target_mean {(targets * mask).sum().item() / (mask_elems * self.args.n_agents):.4f}")
            return loss, grad_norm, mac_out, targets

        def _update_targets(self):
            self.target_mac.load_state(self.mac)
            if self.mixer is not None:
                self.target_mixer.load_state_dict(self.mixer.state_dict())
            self.out.print("Updated target network")

    return SimpleNamespace(RNNAgent=RNNAgent, BasicMAC=BasicMAC, QMixer=QMixer,
                           VDNMixer=VDNMixer, QLearner=QLearner)


def _args(**kw):
    base = dict(n_agents=3, n_actions=5, rnn_hidden_dim=8, obs_last_action=True,
                obs_agent_id=True, agent_output_type="q", epsilon_start=1.0,
                epsilon_finish=0.05, epsilon_anneal_time=50, mixer="qmix", state_shape=(6,),
                mixing_embed_dim=4, lr=0.0005, optim_alpha=0.99, optim_eps=0.00001,
                gamma=0.99, grad_norm_clip=10, target_update_interval=2, double_q=True)
    base.update(kw)
    return SimpleNamespace(**base)


def _rollout(L, mac, args, bs, T, t_env, seed):
    """An episode batch as pymarl's runner fills it: the MAC picks actions step by step
    (epsilon-greedy over available actions), the stand-in env gives rewards and states;
    episodes end at different lengths, 'filled' marks the real steps."""
    th = L
    rng = np.random.RandomState(seed)
    n, A, obs_dim = args.n_agents, args.n_actions, 4
    batch = {"batch_size": bs, "max_seq_length": T + 1,
             "obs": th.zeros((bs, T + 1, n, obs_dim), dtype=th.float32),
             "state": th.zeros((bs, T + 1) + tuple(args.state_shape), dtype=th.float32),
             "avail_actions": th.zeros((bs, T + 1, n, A), dtype=th.int32),
             "actions": th.zeros((bs, T + 1, n, 1), dtype=th.long),
             "actions_onehot": th.zeros((bs, T + 1, n, A), dtype=th.float32),
             "reward": th.zeros((bs, T + 1, 1), dtype=th.float32),
             "terminated": th.zeros((bs, T + 1, 1), dtype=th.uint8),
             "filled": th.zeros((bs, T + 1, 1), dtype=th.long)}
    lengths = rng.randint(2, T + 1, size=bs)
    mac.init_hidden(batch_size=bs)
    for t in range(T + 1):
        avail = (rng.rand(bs, n, A) > 0.3).astype(np.int64)
        avail[..., 0] = 1  # no-op always available
        pre = {"obs": rng.randn(bs, n, obs_dim).astype(np.float32),
               "state": rng.randn(bs, *args.state_shape).astype(np.float32),
               "avail_actions": avail}
        for k, v in pre.items():
            v = th.tensor(v, dtype=batch[k].dtype)
            batch[k][:, t] = v.view_as(batch[k][:, t])
        batch["filled"][:, t] = th.tensor((t <= lengths).astype(np.int64)).view(bs, 1)
        if t == T:
            break
        actions = mac.select_actions(batch, t_ep=t, t_env=t_env)
        batch["actions"][:, t] = actions.unsqueeze(-1)
        # OneHot transform (src/components/transforms.py)
        out = actions.new(*actions.unsqueeze(-1).shape[:-1], A).zero_()
        out.scatter_(-1, actions.unsqueeze(-1).long(), 1)
        batch["actions_onehot"][:, t] = out.float()
        reward = rng.rand(bs).astype(np.float32) + 0.1 * actions.float().mean(1).numpy()
        batch["reward"][:, t] = th.tensor(reward).unsqueeze(1)
        batch["terminated"][:, t] = th.tensor((t + 1 == lengths).astype(np.uint8)).view(bs, 1)
    return batch


def rnn_agent_mac(L):
    """RNNAgent / BasicMAC acting: init_hidden from weight.new(...).zero_() expanded over
    agents, inputs with last actions and agent ids, epsilon-greedy selection over available
    actions (th.rand_like, Categorical(avail.float()).sample()), a pi_logits MAC with
    masked softmax."""
    th = L
    with Out() as o:
        th.manual_seed(0)
        M = _modules(L)
        args = _args()
        scheme = {"obs": {"vshape": 4}, "actions_onehot": {"vshape": (args.n_actions,)}}
        mac = M.BasicMAC(scheme, args)
        o.print(mac.agent)
        batch = _rollout(L, mac, args, bs=2, T=4, t_env=10, seed=0)
        o.print(batch["actions"][:, :, :, 0].tolist())
        o.print(batch["terminated"].dtype, batch["filled"][:, :, 0].tolist())
        o.print(mac.hidden_states.shape, mac.hidden_states.is_contiguous())
        o.print(round(mac.action_selector.epsilon, 4))
        mac.init_hidden(2)
        greedy = mac.select_actions(batch, t_ep=0, t_env=1000, test_mode=True)
        o.print(greedy.dtype, greedy.tolist())
        o.vals += [batch["actions_onehot"], mac.hidden_states, greedy]
        args_pi = _args(agent_output_type="pi_logits")
        mac_pi = M.BasicMAC(scheme, args_pi)
        mac_pi.init_hidden(2)
        probs = mac_pi.forward(batch, 1)
        o.print(probs.shape, (probs == 0).sum().item())
        o.vals += [probs, probs.sum(-1)]
        o.tryit(lambda: M.RNNAgent(7, args)(th.zeros(6, 7), th.zeros(2, 3, 5)))
    return o.done()


def qmix_learner(L):
    """QLearner.train with the QMixer (one hypernet layer), double Q, masks from
    'filled' and 'terminated', RMSprop and clip_grad_norm_, the target MAC and mixer
    refreshed with load_state_dict every other episode."""
    th = L
    with Out() as o:
        th.manual_seed(1)
        M = _modules(L)
        args = _args()
        scheme = {"obs": {"vshape": 4}, "actions_onehot": {"vshape": (args.n_actions,)}}
        mac = M.BasicMAC(scheme, args)
        learner = M.QLearner(mac, args, o)
        o.print(learner.mixer)
        for episode in range(3):
            batch = _rollout(L, mac, args, bs=3, T=5, t_env=episode * 10, seed=10 + episode)
            loss, grad_norm, mac_out, targets = learner.train(batch, episode * 10, episode + 1)
            o.vals += [loss, grad_norm, mac_out, targets]
        o.vals += [p for p in learner.params]
        o.vals += [p for p in learner.target_mixer.parameters()]
        o.print(learner.optimiser.state_dict()["param_groups"][0]["alpha"])
    return o.done()


def vdn_learner(L):
    """The VDN mixer (sum over agents) without double Q, and a two-layer hypernetwork
    QMixer evaluated on a batch of agent Q-values and states."""
    th = L
    with Out() as o:
        th.manual_seed(2)
        M = _modules(L)
        args = _args(mixer="vdn", double_q=False, obs_last_action=False)
        scheme = {"obs": {"vshape": 4}, "actions_onehot": {"vshape": (args.n_actions,)}}
        mac = M.BasicMAC(scheme, args)
        learner = M.QLearner(mac, args, o)
        o.print(learner.mixer, list(learner.mixer.parameters()))
        for episode in range(2):
            batch = _rollout(L, mac, args, bs=2, T=4, t_env=episode * 20, seed=20 + episode)
            loss, grad_norm, mac_out, targets = learner.train(batch, episode * 20, episode + 1)
            o.vals += [loss, grad_norm, targets]
        args2 = _args(hypernet_layers=2, hypernet_embed=8)
        mixer = M.QMixer(args2)
        o.print(mixer)
        qs = th.randn(2, 4, 3, requires_grad=True)
        states = th.randn(2, 4, 6)
        q_tot = mixer(qs, states)
        q_tot.sum().backward()
        o.print(q_tot.shape)
        o.vals += [q_tot, qs.grad] + [p.grad for p in mixer.parameters()]
        o.tryit(lambda: mixer(th.randn(2, 4, 2), states))
    return o.done()
