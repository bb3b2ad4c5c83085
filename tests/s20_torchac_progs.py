"""lcswillems/torch-ac (torch_ac/algos/base.py, a2c.py, ppo.py, torch_ac/model.py,
torch_ac/utils/dictlist.py, penv.py) and lcswillems/rl-starter-files (model.py: ACModel with
the image conv, LSTMCell memory, GRU text embedding, init_params; utils/format.py:
get_obss_preprocessor, preprocess_images, preprocess_texts, Vocabulary; utils/agent.py;
utils/other.py synthesize) as users type them, with MiniGrid replaced by a seeded NumPy
stand-in giving 7x7x3 uint8 images and missions, and ParallelEnv's worker processes by an
in-process loop. This file holds the users' library code (``_lib(L)``) and the model
programs; the algorithm programs are in s20_torchac_progs_b.py."""

import collections
import re
import types
from abc import abstractmethod

import numpy
import numpy as np
from s16_yunjey_progs import Out

MISSIONS = ["get the red key", "open the blue door", "go to the green ball and pick it up"]


class Discrete:
    def __init__(self, n):
        self.n = n


class FakeMiniGrid:
    """A seeded stand-in for a MiniGrid env: dict observations (image, direction, mission),
    a positive reward when action 5 succeeds, an episode cut at max_steps (old gym API)."""

    def __init__(self, seed, max_steps=5):
        self.rng = np.random.RandomState(seed)
        self.max_steps = max_steps
        self.action_space = Discrete(7)
        self.observation_space = {"image": (7, 7, 3), "direction": 4, "mission": None}

    def gen_obs(self):
        return {"image": self.rng.randint(0, 11, (7, 7, 3)).astype(np.uint8),
                "direction": int(self.rng.randint(4)),
                "mission": MISSIONS[self.rng.randint(len(MISSIONS))]}

    def reset(self):
        self.step_count = 0
        return self.gen_obs()

    def step(self, action):
        self.step_count += 1
        success = bool(action == 5) and self.rng.rand() < 0.6
        reward = 1 - 0.9 * (self.step_count / self.max_steps) if success else 0
        done = success or self.step_count >= self.max_steps
        return self.gen_obs(), reward, done, {}


def synthesize(array):
    d = collections.OrderedDict()
    d["mean"] = numpy.mean(array)
    d["std"] = numpy.std(array)
    d["min"] = numpy.amin(array)
    d["max"] = numpy.amax(array)
    return d


def _lib(L):
    torch, nn, F = L, L.nn, L.nn.functional
    Categorical = L.distributions.categorical.Categorical

    class DictList(dict):
        __getattr__ = dict.__getitem__
        __setattr__ = dict.__setitem__

        def __len__(self):
            return len(next(iter(dict.values(self))))

        def __getitem__(self, index):
            return DictList({key: value[index] for key, value in dict.items(self)})

        def __setitem__(self, index, d):
            for key, value in d.items():
                dict.__getitem__(self, key)[index] = value

    class ParallelEnv:
        """penv.py's ParallelEnv, its workers run in this process."""

        def __init__(self, envs):
            assert len(envs) >= 1, "No environment given."
            self.envs = envs
            self.observation_space = self.envs[0].observation_space
            self.action_space = self.envs[0].action_space

        def reset(self):
            return [env.reset() for env in self.envs]

        def step(self, actions):
            res = []
            for env, action in zip(self.envs, actions):
                obs, reward, done, info = env.step(action)
                if done:
                    obs = env.reset()
                res.append((obs, reward, done, info))
            return zip(*res)

    class ACModelBase:
        recurrent = False

        @abstractmethod
        def __init__(self, obs_space, action_space):
            pass

        @abstractmethod
        def forward(self, obs):
            pass

    class RecurrentACModel(ACModelBase):
        recurrent = True

        @abstractmethod
        def forward(self, obs, memory):
            pass

        @property
        @abstractmethod
        def memory_size(self):
            pass

    def init_params(m):
        classname = m.__class__.__name__
        if classname.find("Linear") != -1:
            m.weight.data.normal_(0, 1)
            m.weight.data *= 1 / torch.sqrt(m.weight.data.pow(2).sum(1, keepdim=True))
            if m.bias is not None:
                m.bias.data.fill_(0)

    class ACModel(nn.Module, RecurrentACModel):
        def __init__(self, obs_space, action_space, use_memory=False, use_text=False):
            super().__init__()
            self.use_text = use_text
            self.use_memory = use_memory
            self.image_conv = nn.Sequential(
                nn.Conv2d(3, 16, (2, 2)),
                nn.ReLU(),
                nn.MaxPool2d((2, 2)),
                nn.Conv2d(16, 32, (2, 2)),
                nn.ReLU(),
                nn.Conv2d(32, 64, (2, 2)),
                nn.ReLU()
            )
            n = obs_space["image"][0]
            m = obs_space["image"][1]
            self.image_embedding_size = ((n-1)//2-2)*((m-1)//2-2)*64
            if self.use_memory:
                self.memory_rnn = nn.LSTMCell(self.image_embedding_size, self.semi_memory_size)
            if self.use_text:
                self.word_embedding_size = 32
                self.word_embedding = nn.Embedding(obs_space["text"], self.word_embedding_size)
                self.text_embedding_size = 128
                self.text_rnn = nn.GRU(self.word_embedding_size, self.text_embedding_size,
                                       batch_first=True)
            self.embedding_size = self.semi_memory_size
            if self.use_text:
                self.embedding_size += self.text_embedding_size
            self.actor = nn.Sequential(
                nn.Linear(self.embedding_size, 64),
                nn.Tanh(),
                nn.Linear(64, action_space.n)
            )
            self.critic = nn.Sequential(
                nn.Linear(self.embedding_size, 64),
                nn.Tanh(),
                nn.Linear(64, 1)
            )
            self.apply(init_params)

        @property
        def memory_size(self):
            return 2*self.semi_memory_size

        @property
        def semi_memory_size(self):
            return self.image_embedding_size

        def forward(self, obs, memory):
            x = obs.image.transpose(1, 3).transpose(2, 3)
            x = self.image_conv(x)
            x = x.reshape(x.shape[0], -1)
            if self.use_memory:
                hidden = (memory[:, :self.semi_memory_size], memory[:, self.semi_memory_size:])
                hidden = self.memory_rnn(x, hidden)
                embedding = hidden[0]
                memory = torch.cat(hidden, dim=1)
            else:
                embedding = x
            if self.use_text:
                embed_text = self._get_embed_text(obs.text)
                embedding = torch.cat((embedding, embed_text), dim=1)
            x = self.actor(embedding)
            dist = Categorical(logits=F.log_softmax(x, dim=1))
            x = self.critic(embedding)
            value = x.squeeze(1)
            return dist, value, memory

        def _get_embed_text(self, text):
            _, hidden = self.text_rnn(self.word_embedding(text))
            return hidden[-1]

    class Vocabulary:
        def __init__(self, max_size):
            self.max_size = max_size
            self.vocab = {}

        def load_vocab(self, vocab):
            self.vocab = vocab

        def __getitem__(self, token):
            if not token in self.vocab.keys():  # noqa: E713 - as typed
                if len(self.vocab) >= self.max_size:
                    raise ValueError("Maximum vocabulary capacity reached")
                self.vocab[token] = len(self.vocab) + 1
            return self.vocab[token]

    def preprocess_images(images, device=None):
        images = numpy.array(images)
        return torch.tensor(images, device=device, dtype=torch.float)

    def preprocess_texts(texts, vocab, device=None):
        var_indexed_texts = []
        max_text_len = 0
        for text in texts:
            tokens = re.findall("([a-z]+)", text.lower())
            var_indexed_text = numpy.array([vocab[token] for token in tokens])
            var_indexed_texts.append(var_indexed_text)
            max_text_len = max(len(var_indexed_text), max_text_len)
        indexed_texts = numpy.zeros((len(texts), max_text_len))
        for i, indexed_text in enumerate(var_indexed_texts):
            indexed_texts[i, :len(indexed_text)] = indexed_text
        return torch.tensor(indexed_texts, device=device, dtype=torch.long)

    def get_obss_preprocessor(obs_space):
        obs_space = {"image": obs_space["image"], "text": 100}
        vocab = Vocabulary(obs_space["text"])

        def preprocess_obss(obss, device=None):
            return DictList({
                "image": preprocess_images([obs["image"] for obs in obss], device=device),
                "text": preprocess_texts([obs["mission"] for obs in obss], vocab, device=device)
            })
        preprocess_obss.vocab = vocab
        return obs_space, preprocess_obss

    return types.SimpleNamespace(**{k: v for k, v in locals().items() if k[0] != "_"})


def envs_and_model(L, seed=1, n=2, mem=False, text=False, max_steps=5):
    lib = _lib(L)
    L.manual_seed(seed)
    envs = [FakeMiniGrid(seed + 10000 * i, max_steps) for i in range(n)]
    obs_space, preprocess_obss = lib.get_obss_preprocessor(envs[0].observation_space)
    acmodel = lib.ACModel(obs_space, envs[0].action_space, mem, text)
    return lib, envs, obs_space, preprocess_obss, acmodel


def model_build(L):
    """train.py's model set-up: the model printed, its parameter names and count."""
    with Out() as o:
        lib, envs, obs_space, pre, acmodel = envs_and_model(L, 3, mem=True, text=True)
        o.print("Observations preprocessor loaded")
        o.print("{}\n".format(acmodel))
        o.print([n for n, _ in acmodel.named_parameters()])
        o.print(sum(p.numel() for p in acmodel.parameters()), acmodel.recurrent,
                acmodel.memory_size)
        o.print([m.__class__.__name__ for m in acmodel.modules()])
        o.vals += [p for p in acmodel.parameters()]
        o.vals.append(acmodel.actor[0].weight.pow(2).sum(1))
    return o.done()


def model_forward(L):
    """One forward of the recurrent text model on a preprocessed batch, as collect_experiences
    makes it, and the Categorical it returns."""
    with Out() as o:
        lib, envs, obs_space, pre, acmodel = envs_and_model(L, 4, n=3, mem=True, text=True)
        obs = [env.reset() for env in envs]
        p = pre(obs)
        o.print(p.image.shape, p.image.dtype, p.text.shape, p.text.dtype, pre.vocab.vocab)
        o.print(len(p), sorted(p.keys()))
        memory = L.zeros(3, acmodel.memory_size)
        mask = L.ones(3)
        with L.no_grad():
            dist, value, memory = acmodel(p, memory * mask.unsqueeze(1))
        o.print(type(dist).__name__, dist.batch_shape, dist.event_shape, value.shape,
                memory.shape, memory.requires_grad)
        action = dist.sample()
        o.print(action, action.dtype, action.cpu().numpy().dtype)
        o.vals += [dist.probs, dist.logits, value, memory, dist.log_prob(action),
                   dist.entropy(), dist.probs.max(1, keepdim=True)[1]]
    return o.done()


def dictlist(L):
    """DictList of tensors and of a nested DictList, indexed with numpy index arrays as the
    algorithms do (exps[inds + i]) and assigned through (exps.memory[inds + 1] = ...)."""
    with Out() as o:
        lib = _lib(L)
        L.manual_seed(0)
        exps = lib.DictList()
        exps.obs = lib.DictList({"image": L.rand(8, 7, 7, 3), "text": L.arange(16).view(8, 2)})
        exps.memory = L.zeros(8, 4)
        exps.action = L.zeros(8, dtype=L.int)
        exps.mask = L.ones(8).unsqueeze(1)
        inds = numpy.arange(0, 8, 2)
        sb = exps[inds + 1]
        o.print(type(sb).__name__, len(sb), sb.obs.text, sb.action, sb.mask.shape)
        exps.memory[inds + 1] = L.ones(4, 4) * 2
        o.tryit(lambda: exps.action.__setitem__(inds, L.tensor([1, 2, 3, 4])))
        exps.action[inds] = L.tensor([1, 2, 3, 4], dtype=L.int)
        exps.action[L.tensor([1, 3])] = 9
        o.print(exps.memory.sum(1), exps.action, exps.action.dtype)
        d = lib.DictList({"a": [[1, 2], [3, 4]], "b": [[5], [6]]})
        o.print(d.a, d[0], len(d))
        o.tryit(lambda: exps.missing)
        o.tryit(lambda: exps[L.tensor([0, 9])])
        o.vals += [sb.obs.image, exps.memory]
    return o.done()


def texts(L):
    """preprocess_texts: missions to zero-padded int64 word ids; Embedding and the GRU's last
    hidden state; capacity error of the Vocabulary."""
    with Out() as o:
        lib = _lib(L)
        L.manual_seed(5)
        vocab = lib.Vocabulary(100)
        t = lib.preprocess_texts(MISSIONS + ["pick up the PURPLE box"], vocab)
        o.print(t, t.dtype, vocab.vocab)
        emb = L.nn.Embedding(100, 32)
        rnn = L.nn.GRU(32, 128, batch_first=True)
        out, hidden = rnn(emb(t))
        o.print(out.shape, hidden.shape, hidden[-1].shape)
        small = lib.Vocabulary(2)
        o.tryit(lambda: lib.preprocess_texts(["a b c"], small))
        o.vals += [out, hidden[-1]]
    return o.done()
