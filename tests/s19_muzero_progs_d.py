"""werner-duvaud/muzero-general, continued (see tests/s19_muzero_progs.py): self_play.py's
MCTS (initial_inference / recurrent_inference under torch.no_grad, support_to_scalar(...)
.item(), Node.expand's softmax over the legal actions' logits, ucb_score, MinMaxStats,
backpropagate, select_action with the visit-count temperature) played on a small game
stand-in; replay_buffer.py's reanalyse of root values; the scale_gradient form
``x * scale + x.detach() * (1 - scale)`` of other MuZero ports against register_hook."""

import math

import numpy
from s16_yunjey_progs import Out
from s19_muzero_progs import _models
from s19_muzero_progs_b import Config, _batch


class Node:
    def __init__(self, prior, torch):
        self.torch = torch
        self.visit_count = 0
        self.to_play = -1
        self.prior = prior
        self.value_sum = 0
        self.children = {}
        self.hidden_state = None
        self.reward = 0

    def expanded(self):
        return len(self.children) > 0

    def value(self):
        if self.visit_count == 0:
            return 0
        return self.value_sum / self.visit_count

    def expand(self, actions, to_play, reward, policy_logits, hidden_state):
        torch = self.torch
        self.to_play = to_play
        self.reward = reward
        self.hidden_state = hidden_state
        policy_values = torch.softmax(
            torch.tensor([policy_logits[0][a] for a in actions]), dim=0).tolist()
        policy = {a: policy_values[i] for i, a in enumerate(actions)}
        for action, p in policy.items():
            self.children[action] = Node(p, torch)

    def add_exploration_noise(self, dirichlet_alpha, exploration_fraction):
        actions = list(self.children.keys())
        noise = numpy.random.dirichlet([dirichlet_alpha] * len(actions))
        frac = exploration_fraction
        for a, n in zip(actions, noise):
            self.children[a].prior = self.children[a].prior * (1 - frac) + n * frac


class MinMaxStats:
    def __init__(self):
        self.maximum = -float("inf")
        self.minimum = float("inf")

    def update(self, value):
        self.maximum = max(self.maximum, value)
        self.minimum = min(self.minimum, value)

    def normalize(self, value):
        if self.maximum > self.minimum:
            return (value - self.minimum) / (self.maximum - self.minimum)
        return value


class MCTS:
    def __init__(self, config, torch, models):
        self.config, self.torch, self.models = config, torch, models

    def run(self, model, observation, legal_actions, to_play, add_exploration_noise):
        torch, models = self.torch, self.models
        root = Node(0, torch)
        observation = (torch.tensor(observation).float().unsqueeze(0)
                       .to(next(model.parameters()).device))
        (root_predicted_value, reward, policy_logits,
         hidden_state) = model.initial_inference(observation)
        root_predicted_value = models.support_to_scalar(
            root_predicted_value, self.config.support_size).item()
        reward = models.support_to_scalar(reward, self.config.support_size).item()
        assert legal_actions, f"Legal actions should not be an empty array. Got {legal_actions}."
        assert set(legal_actions).issubset(set(self.config.action_space))
        root.expand(legal_actions, to_play, reward, policy_logits, hidden_state)
        if add_exploration_noise:
            root.add_exploration_noise(dirichlet_alpha=self.config.root_dirichlet_alpha,
                                       exploration_fraction=self.config.root_exploration_fraction)
        min_max_stats = MinMaxStats()
        max_tree_depth = 0
        for _ in range(self.config.num_simulations):
            virtual_to_play = to_play
            node = root
            search_path = [node]
            current_tree_depth = 0
            while node.expanded():
                current_tree_depth += 1
                action, node = self.select_child(node, min_max_stats)
                search_path.append(node)
                virtual_to_play = self.config.players[0]
            parent = search_path[-2]
            value, reward, policy_logits, hidden_state = model.recurrent_inference(
                parent.hidden_state,
                torch.tensor([[action]]).to(parent.hidden_state.device))
            value = models.support_to_scalar(value, self.config.support_size).item()
            reward = models.support_to_scalar(reward, self.config.support_size).item()
            node.expand(self.config.action_space, virtual_to_play, reward, policy_logits,
                        hidden_state)
            self.backpropagate(search_path, value, virtual_to_play, min_max_stats)
            max_tree_depth = max(max_tree_depth, current_tree_depth)
        extra_info = {"max_tree_depth": max_tree_depth,
                      "root_predicted_value": root_predicted_value}
        return root, extra_info

    def select_child(self, node, min_max_stats):
        max_ucb = max(self.ucb_score(node, child, min_max_stats)
                      for action, child in node.children.items())
        action = numpy.random.choice(
            [action for action, child in node.children.items()
             if self.ucb_score(node, child, min_max_stats) == max_ucb])
        return action, node.children[action]

    def ucb_score(self, parent, child, min_max_stats):
        pb_c = (math.log((parent.visit_count + self.config.pb_c_base + 1)
                         / self.config.pb_c_base) + self.config.pb_c_init)
        pb_c *= math.sqrt(parent.visit_count) / (child.visit_count + 1)
        prior_score = pb_c * child.prior
        if child.visit_count > 0:
            # Mean value Q
            value_score = min_max_stats.normalize(
                child.reward + self.config.discount * child.value())
        else:
            value_score = 0
        return prior_score + value_score

    def backpropagate(self, search_path, value, to_play, min_max_stats):
        for node in reversed(search_path):
            node.value_sum += value
            node.visit_count += 1
            min_max_stats.update(node.reward + self.config.discount * node.value())
            value = node.reward + self.config.discount * value


def select_action(node, temperature):
    visit_counts = numpy.array([child.visit_count for child in node.children.values()],
                               dtype="int32")
    actions = [action for action in node.children.keys()]
    if temperature == 0:
        action = actions[numpy.argmax(visit_counts)]
    elif temperature == float("inf"):
        action = numpy.random.choice(actions)
    else:
        visit_count_distribution = visit_counts ** (1 / temperature)
        visit_count_distribution = visit_count_distribution / sum(visit_count_distribution)
        action = numpy.random.choice(actions, p=visit_count_distribution)
    return action


class _Game:
    """A game stand-in: (1, 1, 4) float observations, actions 0..n-1, reward 1 for action 0."""

    def __init__(self, seed, n):
        self.rng, self.n = numpy.random.RandomState(seed), n

    def reset(self):
        return self.rng.uniform(-1, 1, (1, 1, 4))

    def step(self, action):
        return self.rng.uniform(-1, 1, (1, 1, 4)) + 0.1 * action, float(action == 0), False

    def legal_actions(self):
        return list(range(self.n))

    def to_play(self):
        return 0


def self_play(L):
    """SelfPlay.play_game for a few moves: MCTS under torch.no_grad on the fully connected
    network in eval mode, temperatures 1, 0.5, 0 and inf; the root's statistics."""
    torch = L
    models = _models(L)
    with Out() as o:
        config = Config(num_simulations=8, action_space=list(range(3)))
        numpy.random.seed(0)
        torch.manual_seed(0)
        model = models.MuZeroNetwork(config)
        model.eval()
        game = _Game(1, 3)
        observation = game.reset()
        with torch.no_grad():
            for move, temperature in enumerate([1, 0.5, 0, float("inf"), 0.25]):
                root, mcts_info = MCTS(config, torch, models).run(
                    model, observation, game.legal_actions(), game.to_play(), True)
                action = select_action(root, temperature)
                observation, reward, done = game.step(action)
                # (root values to 3 decimals: support_to_scalar's inverse scaling turns the
                # last bit of the softmax, which PyTorch's kernel rounds its own way, into
                # ~1e-5 relative)
                o.print(move, action, mcts_info["max_tree_depth"],
                        "{:.3f}".format(mcts_info["root_predicted_value"]),
                        [c.visit_count for c in root.children.values()],
                        ["{:.4f}".format(c.prior) for c in root.children.values()],
                        "{:.3f}".format(root.value()), type(root.reward).__name__)
                o.print(root.hidden_state.requires_grad, root.hidden_state.grad_fn)
                o.vals += [root.hidden_state, [c.prior for c in root.children.values()]]
    return o.done()


def reanalyse(L):
    """ReplayBuffer's Reanalyse.reanalyse: root values of a game's stacked observations
    recomputed by the current model (resnet here), support_to_scalar then .cpu().numpy()."""
    torch = L
    models = _models(L)
    with Out() as o:
        config = Config(network="resnet", observation_shape=(2, 3, 3), stacked_observations=1,
                        action_space=list(range(3)))
        torch.manual_seed(1)
        model = models.MuZeroNetwork(config)
        model.set_weights(model.get_weights())
        model.to(torch.device("cpu"))
        model.eval()
        obs, *_ = _batch(config, 5, 7)
        observations = torch.tensor(numpy.array(obs)).float().to(
            next(model.parameters()).device)
        values = models.support_to_scalar(model.initial_inference(observations)[0],
                                          config.support_size)
        reanalysed_predicted_root_values = torch.squeeze(values).detach().cpu().numpy()
        o.print(reanalysed_predicted_root_values.dtype, reanalysed_predicted_root_values.shape)
        o.vals += [reanalysed_predicted_root_values]
    return o.done()


def scale_gradient(L):
    """``scale_gradient(x, s) = x * s + x.detach() * (1 - s)`` (the MuZero pseudocode's
    form) against muzero-general's ``register_hook(lambda grad: grad * 0.5)``: the same
    gradients; a hook on a tensor made under no_grad is an error."""
    torch = L
    models = _models(L)
    with Out() as o:
        config = Config(num_unroll_steps=2)
        torch.manual_seed(4)
        model = models.MuZeroNetwork(config)
        obs, actions, *_ = _batch(config, 3, 8)
        observation = torch.tensor(numpy.array(obs)).float()
        action_batch = torch.tensor(actions).long().unsqueeze(-1)
        grads = []
        for form in ("hook", "detach"):
            model.zero_grad()
            value, reward, policy_logits, hidden_state = model.initial_inference(observation)
            loss = 0
            for i in range(1, action_batch.shape[1]):
                if form == "detach":
                    hidden_state = hidden_state * 0.5 + hidden_state.detach() * (1 - 0.5)
                value, reward, policy_logits, hidden_state = model.recurrent_inference(
                    hidden_state, action_batch[:, i])
                if form == "hook":
                    hidden_state.register_hook(lambda grad: grad * 0.5)
                loss = loss + torch.nn.functional.log_softmax(value, dim=1)[:, 0].sum() \
                    + policy_logits.pow(2).mean()
            loss.backward()
            g = [p.grad.clone() for p in model.parameters() if p.grad is not None]
            o.print(form, "{:.4f}".format(loss.item()))
            grads.append(g)
        o.vals += grads[0]
        with torch.no_grad():
            h = model.initial_inference(observation)[3]
        o.tryit(lambda: h.register_hook(lambda grad: grad * 0.5))
    return o.done()
