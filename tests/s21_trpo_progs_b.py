"""Khrylx/PyTorch-RL as users run it: utils/torch.py (get_flat_params_from, set_flat_params_to,
get_flat_grad_from, compute_flat_grad), utils/math.py (normal_log_density),
models/mlp_policy.py (Policy with get_kl / get_log_prob / get_fim), models/mlp_policy_disc.py
(DiscretePolicy), models/mlp_critic.py (Value), core/common.py (estimate_advantages) and
core/trpo.py (conjugate_gradients, line_search, trpo_step with the Fisher-information
Jacobian trick Fvp_fim and the direct Hessian-vector Fvp_direct), driven as
examples/trpo_gym.py does under torch.set_default_dtype(torch.float64). Gym is replaced by
seeded NumPy stand-ins (Hopper's and CartPole's shapes), core/agent.py by a short sampling
loop, scipy's fmin_l_bfgs_b (no scipy here) by torch.optim.LBFGS on the same value loss."""

import math

import numpy as np


def utils_torch(torch):
    zeros = torch.zeros

    def get_flat_params_from(model):
        params = []
        for param in model.parameters():
            params.append(param.view(-1))
        flat_params = torch.cat(params)
        return flat_params

    def set_flat_params_to(model, flat_params):
        prev_ind = 0
        for param in model.parameters():
            flat_size = int(np.prod(list(param.size())))
            param.data.copy_(
                flat_params[prev_ind:prev_ind + flat_size].view(param.size()))
            prev_ind += flat_size

    def get_flat_grad_from(inputs, grad_grad=False):
        grads = []
        for param in inputs:
            if grad_grad:
                grads.append(param.grad.grad.view(-1))
            else:
                if param.grad is None:
                    grads.append(zeros(param.view(-1).shape))
                else:
                    grads.append(param.grad.view(-1))
        flat_grad = torch.cat(grads)
        return flat_grad

    def compute_flat_grad(output, inputs, filter_input_ids=set(), retain_graph=False,
                          create_graph=False):
        if create_graph:
            retain_graph = True
        inputs = list(inputs)
        params = []
        for i, param in enumerate(inputs):
            if i not in filter_input_ids:
                params.append(param)
        grads = torch.autograd.grad(output, params, retain_graph=retain_graph,
                                    create_graph=create_graph)
        j = 0
        out_grads = []
        for i, param in enumerate(inputs):
            if i in filter_input_ids:
                out_grads.append(zeros(param.view(-1).shape, device=param.device,
                                       dtype=param.dtype))
            else:
                out_grads.append(grads[j].view(-1))
                j += 1
        grads = torch.cat(out_grads)
        for param in params:
            param.grad = None
        return grads

    return get_flat_params_from, set_flat_params_to, get_flat_grad_from, compute_flat_grad


def normal_log_density(torch, x, mean, log_std, std):
    var = std.pow(2)
    log_density = -(x - mean).pow(2) / (2 * var) - 0.5 * math.log(2 * math.pi) - log_std
    return log_density.sum(1, keepdim=True)


def models(torch):
    nn, F = torch.nn, torch.nn.functional
    Variable = torch.autograd.Variable

    class Policy(nn.Module):
        def __init__(self, state_dim, action_dim, hidden_size=(128, 128), activation='tanh',
                     log_std=0):
            super().__init__()
            self.is_disc_action = False
            if activation == 'tanh':
                self.activation = torch.tanh
            elif activation == 'relu':
                self.activation = torch.relu
            elif activation == 'sigmoid':
                self.activation = torch.sigmoid
            self.affine_layers = nn.ModuleList()
            last_dim = state_dim
            for nh in hidden_size:
                self.affine_layers.append(nn.Linear(last_dim, nh))
                last_dim = nh
            self.action_mean = nn.Linear(last_dim, action_dim)
            self.action_mean.weight.data.mul_(0.1)
            self.action_mean.bias.data.mul_(0.0)
            self.action_log_std = nn.Parameter(torch.ones(1, action_dim) * log_std)

        def forward(self, x):
            for affine in self.affine_layers:
                x = self.activation(affine(x))
            action_mean = self.action_mean(x)
            action_log_std = self.action_log_std.expand_as(action_mean)
            action_std = torch.exp(action_log_std)
            return action_mean, action_log_std, action_std

        def select_action(self, x):
            action_mean, _, action_std = self.forward(x)
            action = torch.normal(action_mean, action_std)
            return action

        def get_kl(self, x):
            mean1, log_std1, std1 = self.forward(x)
            mean0 = mean1.detach()
            log_std0 = log_std1.detach()
            std0 = std1.detach()
            kl = log_std1 - log_std0 + (std0.pow(2) + (mean0 - mean1).pow(2)) / (2.0 * std1.pow(2)) - 0.5
            return kl.sum(1, keepdim=True)

        def get_log_prob(self, x, actions):
            action_mean, action_log_std, action_std = self.forward(x)
            return normal_log_density(torch, actions, action_mean, action_log_std, action_std)

        def get_fim(self, x):
            mean, _, _ = self.forward(x)
            cov_inv = self.action_log_std.exp().pow(-2).squeeze(0).repeat(x.size(0))
            param_count = 0
            std_index = 0
            id = 0
            for name, param in self.named_parameters():
                if name == "action_log_std":
                    std_id = id
                    std_index = param_count
                param_count += param.view(-1).shape[0]
                id += 1
            return cov_inv.detach(), mean, {'std_id': std_id, 'std_index': std_index}

    class DiscretePolicy(nn.Module):
        def __init__(self, state_dim, action_num, hidden_size=(128, 128), activation='tanh'):
            super().__init__()
            self.is_disc_action = True
            if activation == 'tanh':
                self.activation = F.tanh
            elif activation == 'relu':
                self.activation = F.relu
            elif activation == 'sigmoid':
                self.activation = F.sigmoid
            self.affine_layers = nn.ModuleList()
            last_dim = state_dim
            for nh in hidden_size:
                self.affine_layers.append(nn.Linear(last_dim, nh))
                last_dim = nh
            self.action_head = nn.Linear(last_dim, action_num)
            self.action_head.weight.data.mul_(0.1)
            self.action_head.bias.data.mul_(0.0)

        def forward(self, x):
            for affine in self.affine_layers:
                x = self.activation(affine(x))
            action_prob = F.softmax(self.action_head(x))
            return action_prob

        def select_action(self, x):
            action_prob = self.forward(x)
            action = action_prob.multinomial(1)
            return action.data

        def get_kl(self, x):
            action_prob1 = self.forward(x)
            action_prob0 = Variable(action_prob1.data)
            kl = action_prob0 * (torch.log(action_prob0) - torch.log(action_prob1))
            return kl.sum(1, keepdim=True)

        def get_log_prob(self, x, actions):
            action_prob = self.forward(x)
            return torch.log(action_prob.gather(1, actions.long().unsqueeze(1)))

        def get_fim(self, x):
            action_prob = self.forward(x)
            M = action_prob.pow(-1).view(-1).data
            return M, action_prob, {}

    class Value(nn.Module):
        def __init__(self, state_dim, hidden_size=(128, 128), activation='tanh'):
            super().__init__()
            if activation == 'tanh':
                self.activation = torch.tanh
            elif activation == 'relu':
                self.activation = torch.relu
            elif activation == 'sigmoid':
                self.activation = torch.sigmoid
            self.affine_layers = nn.ModuleList()
            last_dim = state_dim
            for nh in hidden_size:
                self.affine_layers.append(nn.Linear(last_dim, nh))
                last_dim = nh
            self.value_head = nn.Linear(last_dim, 1)
            self.value_head.weight.data.mul_(0.1)
            self.value_head.bias.data.mul_(0.0)

        def forward(self, x):
            for affine in self.affine_layers:
                x = self.activation(affine(x))
            value = self.value_head(x)
            return value

    return Policy, DiscretePolicy, Value


def estimate_advantages(torch, rewards, masks, values, gamma, tau, device):
    rewards, masks, values = [x.to(torch.device('cpu')) for x in (rewards, masks, values)]
    tensor_type = type(rewards)
    deltas = tensor_type(rewards.size(0), 1)
    advantages = tensor_type(rewards.size(0), 1)
    prev_value = 0
    prev_advantage = 0
    for i in reversed(range(rewards.size(0))):
        deltas[i] = rewards[i] + gamma * prev_value * masks[i] - values[i]
        advantages[i] = deltas[i] + gamma * tau * prev_advantage * masks[i]
        prev_value = values[i, 0]
        prev_advantage = advantages[i, 0]
    returns = values + advantages
    advantages = (advantages - advantages.mean()) / advantages.std()
    advantages, returns = [x.to(device) for x in (advantages, returns)]
    return advantages, returns


class StandIn:
    """A seeded NumPy environment: Hopper's shapes (11 / 3) or CartPole's (4 / 2 actions)."""

    def __init__(self, seed, obs_dim, act_dim, discrete):
        self.rng = np.random.RandomState(seed)
        self.obs_dim, self.act_dim, self.discrete = obs_dim, act_dim, discrete

    def reset(self):
        self.t = 0
        self.s = self.rng.randn(self.obs_dim)
        return self.s

    def step(self, action):
        self.t += 1
        self.s = 0.9 * self.s + 0.1 * self.rng.randn(self.obs_dim)
        a = float(action) - 0.5 if self.discrete else float(np.tanh(action).sum())
        self.s[0] += 0.1 * a
        return self.s.copy(), 1.0 - abs(self.s[0]) + 0.1 * a, self.t >= 6, {}
