"""werner-duvaud/muzero-general, continued (see tests/s19_muzero_progs.py): the games/*.py
config cut down, and the network programs: muzero.py's get_initial_weights (the summary,
get_weights / set_weights), initial_inference / recurrent_inference of the fully connected
and residual networks (no downsampling, "resnet" and "CNN" downsampling) in train and eval
mode, support_to_scalar / scalar_to_support."""

import copy

import numpy as np
from s16_yunjey_progs import Out
from s19_muzero_progs import _models


class Config:
    """games/cartpole.py's MuZeroConfig, cut down: the fields models.py and trainer.py read."""

    def __init__(self, network="fullyconnected", **kw):
        self.seed = 0
        self.observation_shape = (1, 1, 4)
        self.action_space = list(range(2))
        self.players = list(range(1))
        self.stacked_observations = 0
        self.network = network
        self.support_size = 5
        self.downsample = False
        self.blocks = 1
        self.channels = 4
        self.reduced_channels_reward = 2
        self.reduced_channels_value = 2
        self.reduced_channels_policy = 2
        self.resnet_fc_reward_layers = [8]
        self.resnet_fc_value_layers = [8]
        self.resnet_fc_policy_layers = [8]
        self.encoding_size = 8
        self.fc_representation_layers = []
        self.fc_dynamics_layers = [16]
        self.fc_reward_layers = [16]
        self.fc_value_layers = [16]
        self.fc_policy_layers = [16]
        self.optimizer = "Adam"
        self.weight_decay = 1e-4
        self.momentum = 0.9
        self.lr_init = 0.02
        self.lr_decay_rate = 0.8
        self.lr_decay_steps = 2
        self.value_loss_weight = 0.25
        self.PER = True
        self.PER_alpha = 0.5
        self.num_unroll_steps = 3
        self.batch_size = 4
        self.num_simulations = 6
        self.discount = 0.997
        self.root_dirichlet_alpha = 0.25
        self.root_exploration_fraction = 0.25
        self.pb_c_base = 19652
        self.pb_c_init = 1.25
        for k, v in kw.items():
            setattr(self, k, v)


def _batch(cfg, n, seed):
    """A replay-buffer stand-in: observations, actions (num_unroll_steps + 1 a game), value
    and reward targets, policy targets, PER weights, gradient scales, as NumPy arrays / lists
    the way replay_buffer.get_batch hands them to the trainer."""
    rng = np.random.RandomState(seed)
    k = cfg.num_unroll_steps + 1
    shape = (cfg.observation_shape[0] * (cfg.stacked_observations + 1)
             + cfg.stacked_observations,) + tuple(cfg.observation_shape[1:])
    obs = [rng.uniform(-1, 1, shape).astype(np.float32) for _ in range(n)]
    actions = [list(rng.randint(0, len(cfg.action_space), k)) for _ in range(n)]
    values = [list(rng.uniform(-30, 30, k)) for _ in range(n)]
    rewards = [[0.0] + list(rng.choice([0.0, 1.0, 2.5, -1.0], k - 1)) for _ in range(n)]
    pol = rng.dirichlet([1.0] * len(cfg.action_space), (n, k))
    policies = [[list(p) for p in g] for g in pol]
    weights = rng.uniform(0.5, 1.0, n).astype(np.float32)
    scales = [[min(cfg.num_unroll_steps, 2 + j)] * k for j in range(n)]
    return obs, actions, values, rewards, policies, weights, scales


def _summary(o, model):
    summary = str(model).replace("\n", " \n\n")
    o.print(summary.count("\n"), len(summary))
    o.print(summary.splitlines()[0])


def network_fc(L):
    """muzero.py's CPUActor.get_initial_weights and the fully connected network's
    inferences, with support_to_scalar on their outputs."""
    m = _models(L)
    torch = L
    with Out() as o:
        torch.manual_seed(0)
        config = Config()
        model = m.MuZeroNetwork(config)
        weigths = model.get_weights()
        _summary(o, model)
        o.print(list(weigths.keys())[:3], len(weigths))
        o.print(type(weigths["representation_network.module.0.weight"]).__name__)
        model2 = m.MuZeroNetwork(config)
        model2.set_weights(copy.deepcopy(weigths))
        model2.to(torch.device("cpu"))
        model2.eval()
        obs, actions, *_ = _batch(config, 3, 1)
        observation = torch.tensor(np.array(obs)).float()
        value, reward, policy_logits, hidden = model2.initial_inference(observation)
        o.print(value.shape, reward.shape, policy_logits.shape, hidden.shape)
        o.print(reward[0, :3], reward.dtype)
        action = torch.tensor(actions).long()[:, 1].unsqueeze(-1)
        v2, r2, p2, h2 = model2.recurrent_inference(hidden, action)
        o.print(h2.grad_fn is not None, h2.requires_grad, action.shape)
        sv = m.support_to_scalar(value, config.support_size)
        sr = m.support_to_scalar(reward, config.support_size)
        o.print(sv.shape, sr.shape)
        o.print([round(float(x), 4) for x in sv.squeeze()])
        o.print(hidden.min().item() >= 0, hidden.max(1)[0])
        o.tryit(lambda: m.MuZeroNetwork(Config(network="transformer")))
        o.tryit(lambda: m.AbstractNetwork())
        o.vals += [value, reward, policy_logits, hidden, v2, r2, p2, h2, sv, sr]
    return o.done()


def support_roundtrip(L):
    """scalar_to_support on the targets, then support_to_scalar of log(support) back."""
    m = _models(L)
    torch = L
    with Out() as o:
        config = Config(support_size=10)
        _, _, values, rewards, *_ = _batch(config, 4, 2)
        target_value = torch.tensor(values).float()
        target_reward = torch.tensor(rewards).float()
        tv = m.scalar_to_support(target_value, config.support_size)
        tr = m.scalar_to_support(target_reward, config.support_size)
        o.print(tv.shape, tv.dtype, tv.sum(-1))
        back = m.support_to_scalar(torch.log(tv[:, 0] + 1e-12), config.support_size)
        o.print(back.shape)
        big = m.scalar_to_support(torch.tensor([[500.0, -500.0, 0.0]]), 3)
        o.print(big)
        o.vals += [tv, tr, back, target_value]
    return o.done()


def _resnet_run(L, o, cfg, seed):
    m = _models(L)
    torch = L
    torch.manual_seed(seed)
    model = m.MuZeroNetwork(cfg)
    _summary(o, model)
    o.print(sum(p.numel() for p in model.parameters()), len(model.get_weights()))
    obs, actions, *_ = _batch(cfg, 2, seed)
    observation = torch.tensor(np.array(obs)).float()
    action_batch = torch.tensor(actions).long().unsqueeze(-1)
    out = []
    for mode in ("train", "eval"):
        getattr(model, mode)()
        value, reward, policy_logits, hidden_state = model.initial_inference(observation)
        out += [value, reward, policy_logits, hidden_state]
        for i in range(1, action_batch.shape[1]):
            value, reward, policy_logits, hidden_state = model.recurrent_inference(
                hidden_state, action_batch[:, i])
            out += [value, reward, policy_logits]
        o.print(mode, hidden_state.shape, hidden_state.dtype)
    o.vals += out + [dict(model.named_buffers())["representation_network.module.bn.running_mean"]]


def network_resnet(L):
    """MuZeroResidualNetwork without downsampling: (3, 5, 5) observations, 1 stacked."""
    with Out() as o:
        _resnet_run(L, o, Config(network="resnet", observation_shape=(3, 5, 5),
                                 stacked_observations=1, action_space=list(range(4))), 3)
    return o.done()


def network_resnet_downsample(L):
    """The "resnet" (DownSample, 16x16) and "CNN" (DownsampleCNN, 32x32) downsampling."""
    with Out() as o:
        _resnet_run(L, o, Config(network="resnet", observation_shape=(1, 16, 16),
                                 downsample="resnet"), 4)
        _resnet_run(L, o, Config(network="resnet", observation_shape=(3, 32, 32),
                                 downsample="CNN", channels=6), 5)
        o.tryit(lambda: _models(L).MuZeroNetwork(Config(network="resnet", downsample="x")))
    return o.done()


def first_version(L):
    """models.py and self_play.py at the repository's first commits (065648374f): the
    FullyConnectedNetwork whose default ``activation=torch.nn.Tanh()`` is one module shared by
    every network built without one, ``layers_sizes.insert(0, input_size)``, the one-hot
    dynamics, get_weights as a dict comprehension, and Node.expand's ``math.exp`` of the
    policy logits (0-d tensors) under torch.no_grad."""
    import math
    torch = L

    class FullyConnectedNetwork(torch.nn.Module):
        def __init__(self, input_size, layers_sizes, output_size,
                     activation=torch.nn.Tanh()):
            super(FullyConnectedNetwork, self).__init__()
            layers_sizes.insert(0, input_size)
            layers = []
            if 1 < len(layers_sizes):
                for i in range(len(layers_sizes) - 1):
                    layers.extend([torch.nn.Linear(layers_sizes[i], layers_sizes[i + 1]),
                                   torch.nn.ReLU()])
            layers.append(torch.nn.Linear(layers_sizes[-1], output_size))
            if activation:
                layers.append(activation)
            self.layers = torch.nn.ModuleList(layers)

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    class MuZeroNetwork(torch.nn.Module):
        def __init__(self, observation_size, action_space_size, encoding_size, hidden_size):
            super().__init__()
            self.action_space_size = action_space_size
            self.representation_network = FullyConnectedNetwork(
                observation_size, [], encoding_size)
            self.dynamics_encoded_state_network = FullyConnectedNetwork(
                encoding_size + self.action_space_size, [hidden_size], encoding_size)
            self.dynamics_reward_network = FullyConnectedNetwork(
                encoding_size + self.action_space_size, [hidden_size], 1)
            self.prediction_policy_network = FullyConnectedNetwork(
                encoding_size, [], self.action_space_size, activation=None)
            self.prediction_value_network = FullyConnectedNetwork(
                encoding_size, [], 1, activation=None)

        def prediction(self, encoded_state):
            return (self.prediction_policy_network(encoded_state),
                    self.prediction_value_network(encoded_state))

        def representation(self, observation):
            return self.representation_network(observation)

        def dynamics(self, encoded_state, action):
            action_one_hot = (torch.zeros((action.shape[0], self.action_space_size))
                              .to(action.device).float())
            action_one_hot.scatter_(1, action.long(), 1.0)
            x = torch.cat((encoded_state, action_one_hot), dim=1)
            return self.dynamics_encoded_state_network(x), self.dynamics_reward_network(x)

        def initial_inference(self, observation):
            encoded_state = self.representation(observation)
            policy_logit, value = self.prediction(encoded_state)
            return (value, torch.zeros(len(observation)).to(observation.device), policy_logit,
                    encoded_state)

        def recurrent_inference(self, encoded_state, action):
            next_encoded_state, reward = self.dynamics(encoded_state, action)
            policy_logit, value = self.prediction(next_encoded_state)
            return value, reward, policy_logit, next_encoded_state

        def get_weights(self):
            return {key: value.cpu() for key, value in self.state_dict().items()}

        def set_weights(self, weights):
            self.load_state_dict(weights)

    with Out() as o:
        torch.manual_seed(0)
        model = MuZeroNetwork(4, 2, 6, 8)
        o.print(model)
        o.print(len(list(model.modules())), len(model.get_weights()),
                model.representation_network.layers[1] is
                model.dynamics_reward_network.layers[-1])
        model.set_weights(model.get_weights())
        obs = np.random.RandomState(3).uniform(-1, 1, 4)
        with torch.no_grad():
            observation = torch.from_numpy(obs).float().unsqueeze(0)
            value, reward, policy_logits, hidden = model.initial_inference(observation)
            policy = {a: math.exp(policy_logits[0][a]) for a in range(2)}
            policy_sum = sum(policy.values())
            priors = [p / policy_sum for p in policy.values()]
            v2, r2, p2, h2 = model.recurrent_inference(hidden, torch.tensor([[1]]))
            o.print("{:.4f} {:.4f}".format(value.item(), r2.item()), reward, type(priors[0]))
        o.vals += [value, reward, policy_logits, hidden, v2, r2, p2, h2, priors]
    return o.done()
