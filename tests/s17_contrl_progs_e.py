"""ikostrikov/pytorch-a2c-ppo-acktr-gail's a2c_ppo_acktr package (model.py, distributions.py,
utils.py's init / AddBias / update_linear_schedule; storage.py and the algorithms from
tests/s17_contrl_progs_f.py) as in the repository, built on either library, for
tests/s17_contrl_progs_d.py."""

from types import SimpleNamespace

import numpy as np
from s17_contrl_progs_f import algo_parts


def a2c_module(L):
    torch, nn, optim = L, L.nn, L.optim

    # utils.py
    class AddBias(nn.Module):
        def __init__(self, bias):
            super(AddBias, self).__init__()
            self._bias = nn.Parameter(bias.unsqueeze(1))

        def forward(self, x):
            if x.dim() == 2:
                bias = self._bias.t().view(1, -1)
            else:
                bias = self._bias.t().view(1, -1, 1, 1)
            return x + bias

    def update_linear_schedule(optimizer, epoch, total_num_epochs, initial_lr):
        """Decreases the learning rate linearly"""
        lr = initial_lr - (initial_lr * (epoch / float(total_num_epochs)))
        for param_group in optimizer.param_groups:
            param_group['lr'] = lr

    def init(module, weight_init, bias_init, gain=1):
        weight_init(module.weight.data, gain=gain)
        bias_init(module.bias.data)
        return module

    # distributions.py
    class FixedCategorical(torch.distributions.Categorical):
        def sample(self):
            return super().sample().unsqueeze(-1)

        def log_probs(self, actions):
            return (
                super()
                .log_prob(actions.squeeze(-1))
                .view(actions.size(0), -1)
                .sum(-1)
                .unsqueeze(-1)
            )

        def mode(self):
            return self.probs.argmax(dim=-1, keepdim=True)

    class FixedNormal(torch.distributions.Normal):
        def log_probs(self, actions):
            return super().log_prob(actions).sum(-1, keepdim=True)

        def entropy(self):
            return super().entropy().sum(-1)

        def mode(self):
            return self.mean

    class FixedBernoulli(torch.distributions.Bernoulli):
        def log_probs(self, actions):
            return super.log_prob(actions).view(actions.size(0), -1).sum(-1).unsqueeze(-1)

        def entropy(self):
            return super().entropy().sum(-1)

        def mode(self):
            return torch.gt(self.probs, 0.5).float()

    class Categorical(nn.Module):
        def __init__(self, num_inputs, num_outputs):
            super(Categorical, self).__init__()
            init_ = lambda m: init(
                m,
                nn.init.orthogonal_,
                lambda x: nn.init.constant_(x, 0),
                gain=0.01)
            self.linear = init_(nn.Linear(num_inputs, num_outputs))

        def forward(self, x):
            x = self.linear(x)
            return FixedCategorical(logits=x)

    class DiagGaussian(nn.Module):
        def __init__(self, num_inputs, num_outputs):
            super(DiagGaussian, self).__init__()
            init_ = lambda m: init(m, nn.init.orthogonal_, lambda x: nn.init.
                                   constant_(x, 0))
            self.fc_mean = init_(nn.Linear(num_inputs, num_outputs))
            self.logstd = AddBias(torch.zeros(num_outputs))

        def forward(self, x):
            action_mean = self.fc_mean(x)
            zeros = torch.zeros(action_mean.size())
            if x.is_cuda:
                zeros = zeros.cuda()
            action_logstd = self.logstd(zeros)
            return FixedNormal(action_mean, action_logstd.exp())

    class Bernoulli(nn.Module):
        def __init__(self, num_inputs, num_outputs):
            super(Bernoulli, self).__init__()
            init_ = lambda m: init(m, nn.init.orthogonal_, lambda x: nn.init.
                                   constant_(x, 0))
            self.linear = init_(nn.Linear(num_inputs, num_outputs))

        def forward(self, x):
            x = self.linear(x)
            return FixedBernoulli(logits=x)

    # model.py
    class Flatten(nn.Module):
        def forward(self, x):
            return x.view(x.size(0), -1)

    class Policy(nn.Module):
        def __init__(self, obs_shape, action_space, base=None, base_kwargs=None):
            super(Policy, self).__init__()
            if base_kwargs is None:
                base_kwargs = {}
            if base is None:
                if len(obs_shape) == 3:
                    base = CNNBase
                elif len(obs_shape) == 1:
                    base = MLPBase
                else:
                    raise NotImplementedError
            self.base = base(obs_shape[0], **base_kwargs)
            if action_space.__class__.__name__ == "Discrete":
                num_outputs = action_space.n
                self.dist = Categorical(self.base.output_size, num_outputs)
            elif action_space.__class__.__name__ == "Box":
                num_outputs = action_space.shape[0]
                self.dist = DiagGaussian(self.base.output_size, num_outputs)
            elif action_space.__class__.__name__ == "MultiBinary":
                num_outputs = action_space.shape[0]
                self.dist = Bernoulli(self.base.output_size, num_outputs)
            else:
                raise NotImplementedError

        @property
        def is_recurrent(self):
            return self.base.is_recurrent

        @property
        def recurrent_hidden_state_size(self):
            """Size of rnn_hx."""
            return self.base.recurrent_hidden_state_size

        def forward(self, inputs, rnn_hxs, masks):
            raise NotImplementedError

        def act(self, inputs, rnn_hxs, masks, deterministic=False):
            value, actor_features, rnn_hxs = self.base(inputs, rnn_hxs, masks)
            dist = self.dist(actor_features)
            if deterministic:
                action = dist.mode()
            else:
                action = dist.sample()
            action_log_probs = dist.log_probs(action)
            dist_entropy = dist.entropy().mean()
            return value, action, action_log_probs, rnn_hxs

        def get_value(self, inputs, rnn_hxs, masks):
            value, _, _ = self.base(inputs, rnn_hxs, masks)
            return value

        def evaluate_actions(self, inputs, rnn_hxs, masks, action):
            value, actor_features, rnn_hxs = self.base(inputs, rnn_hxs, masks)
            dist = self.dist(actor_features)
            action_log_probs = dist.log_probs(action)
            dist_entropy = dist.entropy().mean()
            return value, action_log_probs, dist_entropy, rnn_hxs

    class NNBase(nn.Module):
        def __init__(self, recurrent, recurrent_input_size, hidden_size):
            super(NNBase, self).__init__()
            self._hidden_size = hidden_size
            self._recurrent = recurrent
            if recurrent:
                self.gru = nn.GRU(recurrent_input_size, hidden_size)
                for name, param in self.gru.named_parameters():
                    if 'bias' in name:
                        nn.init.constant_(param, 0)
                    elif 'weight' in name:
                        nn.init.orthogonal_(param)

        @property
        def is_recurrent(self):
            return self._recurrent

        @property
        def recurrent_hidden_state_size(self):
            if self._recurrent:
                return self._hidden_size
            return 1

        @property
        def output_size(self):
            return self._hidden_size

        def _forward_gru(self, x, hxs, masks):
            if x.size(0) == hxs.size(0):
                x, hxs = self.gru(x.unsqueeze(0), (hxs * masks).unsqueeze(0))
                x = x.squeeze(0)
                hxs = hxs.squeeze(0)
            else:
                N = hxs.size(0)
                T = int(x.size(0) / N)
                x = x.view(T, N, x.size(1))
                masks = masks.view(T, N)
                has_zeros = ((masks[1:] == 0.0)
                             .any(dim=-1)
                             .nonzero()
                             .squeeze()
                             .cpu())
                if has_zeros.dim() == 0:
                    has_zeros = [has_zeros.item() + 1]
                else:
                    has_zeros = (has_zeros + 1).numpy().tolist()
                has_zeros = [0] + has_zeros + [T]
                hxs = hxs.unsqueeze(0)
                outputs = []
                for i in range(len(has_zeros) - 1):
                    start_idx = has_zeros[i]
                    end_idx = has_zeros[i + 1]
                    rnn_scores, hxs = self.gru(
                        x[start_idx:end_idx],
                        hxs * masks[start_idx].view(1, -1, 1))
                    outputs.append(rnn_scores)
                x = torch.cat(outputs, dim=0)
                x = x.view(T * N, -1)
                hxs = hxs.squeeze(0)
            return x, hxs

    class CNNBase(NNBase):
        def __init__(self, num_inputs, recurrent=False, hidden_size=512):
            super(CNNBase, self).__init__(recurrent, hidden_size, hidden_size)
            init_ = lambda m: init(m, nn.init.orthogonal_, lambda x: nn.init.
                                   constant_(x, 0), nn.init.calculate_gain('relu'))
            self.main = nn.Sequential(
                init_(nn.Conv2d(num_inputs, 32, 8, stride=4)), nn.ReLU(),
                init_(nn.Conv2d(32, 64, 4, stride=2)), nn.ReLU(),
                init_(nn.Conv2d(64, 32, 3, stride=1)), nn.ReLU(), Flatten(),
                init_(nn.Linear(32 * 7 * 7, hidden_size)), nn.ReLU())
            init_ = lambda m: init(m, nn.init.orthogonal_, lambda x: nn.init.
                                   constant_(x, 0))
            self.critic_linear = init_(nn.Linear(hidden_size, 1))
            self.train()

        def forward(self, inputs, rnn_hxs, masks):
            x = self.main(inputs / 255.0)
            if self.is_recurrent:
                x, rnn_hxs = self._forward_gru(x, rnn_hxs, masks)
            return self.critic_linear(x), x, rnn_hxs

    class MLPBase(NNBase):
        def __init__(self, num_inputs, recurrent=False, hidden_size=64):
            super(MLPBase, self).__init__(recurrent, num_inputs, hidden_size)
            if recurrent:
                num_inputs = hidden_size
            init_ = lambda m: init(m, nn.init.orthogonal_, lambda x: nn.init.
                                   constant_(x, 0), np.sqrt(2))
            self.actor = nn.Sequential(
                init_(nn.Linear(num_inputs, hidden_size)), nn.Tanh(),
                init_(nn.Linear(hidden_size, hidden_size)), nn.Tanh())
            self.critic = nn.Sequential(
                init_(nn.Linear(num_inputs, hidden_size)), nn.Tanh(),
                init_(nn.Linear(hidden_size, hidden_size)), nn.Tanh())
            self.critic_linear = init_(nn.Linear(hidden_size, 1))
            self.train()

        def forward(self, inputs, rnn_hxs, masks):
            x = inputs
            if self.is_recurrent:
                x, rnn_hxs = self._forward_gru(x, rnn_hxs, masks)
            hidden_critic = self.critic(x)
            hidden_actor = self.actor(x)
            return self.critic_linear(hidden_critic), hidden_actor, rnn_hxs

    parts = dict(locals())
    parts.update(algo_parts(L))
    return SimpleNamespace(**parts)
