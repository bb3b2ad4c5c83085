"""ikostrikov/pytorch-trpo's running_state.py (RunningStat, ZFilter) and replay_memory.py
(Memory), shared by the programs of tests/s21_trpo_progs*.py, and the seeded NumPy stand-in
for Reacher used by tests/s21_trpo_progs.py."""

from collections import namedtuple

import numpy as np


class RunningStat(object):
    def __init__(self, shape):
        self._n = 0
        self._M = np.zeros(shape)
        self._S = np.zeros(shape)

    def push(self, x):
        x = np.asarray(x)
        assert x.shape == self._M.shape
        self._n += 1
        if self._n == 1:
            self._M[...] = x
        else:
            oldM = self._M.copy()
            self._M[...] = oldM + (x - oldM) / self._n
            self._S[...] = self._S + (x - oldM) * (x - self._M)

    @property
    def n(self):
        return self._n

    @property
    def mean(self):
        return self._M

    @property
    def var(self):
        return self._S / (self._n - 1) if self._n > 1 else np.square(self._M)

    @property
    def std(self):
        return np.sqrt(self.var)


class ZFilter:
    """y = (x-mean)/std using running estimates of mean,std"""

    def __init__(self, shape, demean=True, destd=True, clip=10.0):
        self.demean = demean
        self.destd = destd
        self.clip = clip
        self.rs = RunningStat(shape)

    def __call__(self, x, update=True):
        if update:
            self.rs.push(x)
        if self.demean:
            x = x - self.rs.mean
        if self.destd:
            x = x / (self.rs.std + 1e-8)
        if self.clip:
            x = np.clip(x, -self.clip, self.clip)
        return x


Transition = namedtuple('Transition', ('state', 'action', 'mask', 'next_state', 'reward'))


class Memory(object):
    def __init__(self):
        self.memory = []

    def push(self, *args):
        """Saves a transition."""
        self.memory.append(Transition(*args))

    def sample(self):
        return Transition(*zip(*self.memory))

    def __len__(self):
        return len(self.memory)


class ReacherStandIn:
    """Reacher-v1's shapes (11 observations, 2 actions), seeded NumPy dynamics."""
    obs_dim, act_dim = 11, 2

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)
        self.target = self.rng.uniform(-1, 1, self.act_dim)

    def reset(self):
        self.t = 0
        self.s = self.rng.randn(self.obs_dim)
        return self.s

    def step(self, action):
        self.t += 1
        self.s = 0.9 * self.s + 0.1 * self.rng.randn(self.obs_dim)
        self.s[:2] += 0.05 * np.asarray(action)
        reward = -float(np.square(self.s[:2] - self.target).sum()) - 0.1 * float(np.square(action).sum())
        return self.s.copy(), reward, self.t >= 7, {}
