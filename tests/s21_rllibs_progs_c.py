"""thu-ml/tianshou as users copy it: utils/net/common.py (miniblock, MLP, Net with dueling
heads), utils/net/discrete.py and continuous.py (Actor, Critic, ActorProb), data/batch.py's
to_torch / to_torch_as, policy/base.py's GAE (_gae_return / compute_episodic_return) and
the learn() bodies of policy/modelfree dqn.py, pg.py, a2c.py, ppo.py (discrete, with a
Categorical), on fixed random batches; a minimal Batch (attribute dict with split) stands in
for tianshou.data.Batch. ``prog(L) -> (printed, values)``."""

from numbers import Number

import numpy as np


class Batch(dict):
    """The parts of tianshou.data.Batch these programs use: attributes and split()."""

    __setattr__ = dict.__setitem__

    def __getattr__(self, key):
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            raise AttributeError(key) from None

    def __len__(self):
        return len(next(iter(self.values())))

    def __getitem__(self, key):
        if isinstance(key, str):
            return dict.__getitem__(self, key)
        return Batch({k: v[key] for k, v in self.items()})

    def pop(self, key, default=None):
        return dict.pop(self, key, default)

    def split(self, size, shuffle=True, merge_last=False, rng=None):
        length = len(self)
        indices = rng.permutation(length) if shuffle else np.arange(length)
        merge_last = merge_last and length % size > 0
        for idx in range(0, length, size):
            if merge_last and idx + size + size >= length:
                yield self[indices[idx:]]
                break
            yield self[indices[idx:idx + size]]


def _tianshou(L):
    torch, nn = L, L.nn

    def to_numpy(x):
        if isinstance(x, torch.Tensor):
            return x.detach().cpu().numpy()
        return np.asanyarray(x)

    def to_torch(x, dtype=None, device="cpu"):
        if isinstance(x, np.ndarray) and issubclass(x.dtype.type, (np.bool_, np.number)):
            x = torch.from_numpy(x).to(device)
            if dtype is not None:
                x = x.type(dtype)
            return x
        elif isinstance(x, torch.Tensor):
            if dtype is not None:
                x = x.type(dtype)
            return x.to(device)
        elif isinstance(x, (np.number, np.bool_, Number)):
            return to_torch(np.asanyarray(x), dtype, device)
        raise TypeError(f"object {x} cannot be converted to torch.")

    def to_torch_as(x, y):
        return to_torch(x, dtype=y.dtype, device=y.device)

    def miniblock(input_size, output_size=0, norm_layer=None, activation=None,
                  linear_layer=nn.Linear):
        layers = [linear_layer(input_size, output_size)]
        if norm_layer is not None:
            layers += [norm_layer(output_size)]
        if activation is not None:
            layers += [activation()]
        return layers

    class MLP(nn.Module):
        def __init__(self, input_dim, output_dim=0, hidden_sizes=(), norm_layer=None,
                     activation=nn.ReLU, device=None, linear_layer=nn.Linear,
                     flatten_input=True):
            super().__init__()
            self.device = device
            if norm_layer:
                norm_layer_list = [norm_layer for _ in range(len(hidden_sizes))]
            else:
                norm_layer_list = [None] * len(hidden_sizes)
            if activation:
                activation_list = [activation for _ in range(len(hidden_sizes))]
            else:
                activation_list = [None] * len(hidden_sizes)
            hidden_sizes = [input_dim] + list(hidden_sizes)
            model = []
            for in_dim, out_dim, norm, activ in zip(hidden_sizes[:-1], hidden_sizes[1:],
                                                    norm_layer_list, activation_list):
                model += miniblock(in_dim, out_dim, norm, activ, linear_layer)
            if output_dim > 0:
                model += [linear_layer(hidden_sizes[-1], output_dim)]
            self.output_dim = output_dim or hidden_sizes[-1]
            self.model = nn.Sequential(*model)
            self.flatten_input = flatten_input

        def forward(self, obs):
            if self.device is not None:
                obs = torch.as_tensor(obs, device=self.device, dtype=torch.float32)
            if self.flatten_input:
                obs = obs.flatten(1)
            return self.model(obs)

    class Net(nn.Module):
        def __init__(self, state_shape, action_shape=0, hidden_sizes=(), norm_layer=None,
                     activation=nn.ReLU, device="cpu", softmax=False, concat=False,
                     num_atoms=1, dueling_param=None, linear_layer=nn.Linear):
            super().__init__()
            self.device = device
            self.softmax = softmax
            self.num_atoms = num_atoms
            input_dim = int(np.prod(state_shape))
            action_dim = int(np.prod(action_shape)) * num_atoms
            if concat:
                input_dim += action_dim
            self.use_dueling = dueling_param is not None
            output_dim = action_dim if not self.use_dueling and not concat else 0
            self.model = MLP(input_dim, output_dim, hidden_sizes, norm_layer, activation,
                             device, linear_layer)
            self.output_dim = self.model.output_dim
            if self.use_dueling:
                q_kwargs, v_kwargs = dueling_param
                q_output_dim, v_output_dim = 0, 0
                if not concat:
                    q_output_dim, v_output_dim = action_dim, num_atoms
                q_kwargs = {**q_kwargs, "input_dim": self.output_dim,
                            "output_dim": q_output_dim, "device": self.device}
                v_kwargs = {**v_kwargs, "input_dim": self.output_dim,
                            "output_dim": v_output_dim, "device": self.device}
                self.Q, self.V = MLP(**q_kwargs), MLP(**v_kwargs)
                self.output_dim = self.Q.output_dim

        def forward(self, obs, state=None, info={}):
            logits = self.model(obs)
            bsz = logits.shape[0]
            if self.use_dueling:
                q, v = self.Q(logits), self.V(logits)
                if self.num_atoms > 1:
                    q = q.view(bsz, -1, self.num_atoms)
                    v = v.view(bsz, -1, self.num_atoms)
                logits = q - q.mean(dim=1, keepdim=True) + v
            elif self.num_atoms > 1:
                logits = logits.view(bsz, -1, self.num_atoms)
            if self.softmax:
                logits = torch.softmax(logits, dim=-1)
            return logits, state

    class DiscreteActor(nn.Module):
        """utils/net/discrete.py Actor."""

        def __init__(self, preprocess_net, action_shape, hidden_sizes=(),
                     softmax_output=True, preprocess_net_output_dim=None, device="cpu"):
            super().__init__()
            self.device = device
            self.preprocess = preprocess_net
            self.output_dim = int(np.prod(action_shape))
            input_dim = getattr(preprocess_net, "output_dim", preprocess_net_output_dim)
            self.last = MLP(input_dim, self.output_dim, hidden_sizes, device=self.device)
            self.softmax_output = softmax_output

        def forward(self, obs, state=None, info={}):
            logits, hidden = self.preprocess(obs, state)
            logits = self.last(logits)
            if self.softmax_output:
                logits = nn.functional.softmax(logits, dim=-1)
            return logits, hidden

    class DiscreteCritic(nn.Module):
        """utils/net/discrete.py Critic."""

        def __init__(self, preprocess_net, hidden_sizes=(), last_size=1,
                     preprocess_net_output_dim=None, device="cpu"):
            super().__init__()
            self.device = device
            self.preprocess = preprocess_net
            self.output_dim = last_size
            input_dim = getattr(preprocess_net, "output_dim", preprocess_net_output_dim)
            self.last = MLP(input_dim, last_size, hidden_sizes, device=self.device)

        def forward(self, obs, **kwargs):
            logits, _ = self.preprocess(obs, state=kwargs.get("state", None))
            return self.last(logits)

    class ActorCritic(nn.Module):
        def __init__(self, actor, critic):
            super().__init__()
            self.actor = actor
            self.critic = critic

    def _gae_return(v_s, v_s_, rew, end_flag, gamma, gae_lambda):
        returns = np.zeros(rew.shape)
        delta = rew + v_s_ * gamma - v_s
        discount = (1.0 - end_flag) * (gamma * gae_lambda)
        gae = 0.0
        for i in range(len(rew) - 1, -1, -1):
            gae = delta[i] + discount[i] * gae
            returns[i] = gae
        return returns

    def compute_episodic_return(batch, v_s_=None, v_s=None, gamma=0.99, gae_lambda=0.95):
        rew = batch.rew
        if v_s_ is None:
            v_s_ = np.zeros_like(rew)
        else:
            v_s_ = to_numpy(v_s_.flatten()) * (1.0 - batch.done)
        v_s = np.roll(v_s_, 1) if v_s is None else to_numpy(v_s.flatten())
        end_flag = batch.done.copy()
        end_flag[-1] = True
        advantage = _gae_return(v_s, v_s_, rew, end_flag, gamma, gae_lambda)
        returns = advantage + v_s
        return returns, advantage

    def soft_update(tgt, src, tau):
        for tgt_param, src_param in zip(tgt.parameters(), src.parameters()):
            tgt_param.data.copy_(tau * src_param.data + (1 - tau) * tgt_param.data)

    return dict(to_numpy=to_numpy, to_torch=to_torch, to_torch_as=to_torch_as, MLP=MLP,
                Net=Net, DiscreteActor=DiscreteActor, DiscreteCritic=DiscreteCritic,
                ActorCritic=ActorCritic, compute_episodic_return=compute_episodic_return,
                soft_update=soft_update, miniblock=miniblock)


def _rollout(rng, n, obs_dim, n_act=None, act_dim=None):
    """A collected batch as the buffer stores it: NumPy arrays (float64 obs as gym gives)."""
    b = Batch(obs=rng.normal(size=(n, obs_dim)), obs_next=rng.normal(size=(n, obs_dim)),
              rew=rng.normal(size=n), done=rng.random(n) < 0.15)
    b.act = (rng.integers(0, n_act, n) if n_act is not None
             else rng.uniform(-1, 1, (n, act_dim)).astype(np.float32))
    return b
