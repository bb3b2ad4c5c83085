"""ctallec/world-models' data/loaders.py (RolloutSequenceDataset over .npz rollouts, batched by
a DataLoader with workers, as trainmdrnn.py does) and the checkpoints of trainmdrnn.py /
utils/misc.py (save_checkpoint, torch.load with a dict map_location, reloading the
optimizer), with torchbeast's monobeast checkpoint (model, optimizer, LambdaLR scheduler and
``vars(flags)`` holding a torch.device, reloaded with map_location="cpu").
``prog(L) -> (printed, values)``."""

import io
import os
import tempfile
from bisect import bisect
from os import listdir
from os.path import isdir, join

import numpy as np
from s16_yunjey_progs import Out
from s22_rlarch_progs import _beast, _flags
from s22_rlarch_progs_c import _wm


def _datasets(L):
    torch = L

    class _RolloutDataset(torch.utils.data.Dataset):
        def __init__(self, root, transform, buffer_size=200, train=True):
            self._transform = transform
            self._files = [join(root, sd, ssd) for sd in sorted(listdir(root))
                           if isdir(join(root, sd)) for ssd in sorted(listdir(join(root, sd)))]
            if train:
                self._files = self._files[:-1]
            else:
                self._files = self._files[-1:]
            self._cum_size = None
            self._buffer = None
            self._buffer_fnames = None
            self._buffer_index = 0
            self._buffer_size = buffer_size

        def load_next_buffer(self):
            self._buffer_fnames = self._files[self._buffer_index:
                                              self._buffer_index + self._buffer_size]
            self._buffer_index += self._buffer_size
            self._buffer_index = self._buffer_index % len(self._files)
            self._buffer = []
            self._cum_size = [0]
            for f in self._buffer_fnames:
                with np.load(f) as data:
                    self._buffer += [{k: np.copy(v) for k, v in data.items()}]
                    self._cum_size += [self._cum_size[-1] +
                                       self._data_per_sequence(data['rewards'].shape[0])]

        def __len__(self):
            if not self._cum_size:
                self.load_next_buffer()
            return self._cum_size[-1]

        def __getitem__(self, i):
            file_index = bisect(self._cum_size, i) - 1
            seq_index = i - self._cum_size[file_index]
            data = self._buffer[file_index]
            return self._get_data(data, seq_index)

    class RolloutSequenceDataset(_RolloutDataset):
        def __init__(self, root, seq_len, transform, buffer_size=200, train=True):
            super().__init__(root, transform, buffer_size, train)
            self._seq_len = seq_len

        def _get_data(self, data, seq_index):
            obs_data = data['observations'][seq_index:seq_index + self._seq_len + 1]
            obs_data = self._transform(obs_data.astype(np.float32))
            obs, next_obs = obs_data[:-1], obs_data[1:]
            action = data['actions'][seq_index + 1:seq_index + self._seq_len + 1]
            action = action.astype(np.float32)
            reward, terminal = [data[key][seq_index + 1:
                                          seq_index + self._seq_len + 1].astype(np.float32)
                                for key in ('rewards', 'terminals')]
            return obs, action, reward, terminal, next_obs

        def _data_per_sequence(self, data_length):
            return data_length - self._seq_len

    class RolloutObservationDataset(_RolloutDataset):
        def _data_per_sequence(self, data_length):
            return data_length

        def _get_data(self, data, seq_index):
            return self._transform(data['observations'][seq_index])

    return RolloutSequenceDataset, RolloutObservationDataset


def _write_rollouts(root, n_files=3, rollout_len=6, size=8):
    rng = np.random.default_rng(0)
    os.makedirs(join(root, "thread_0"))
    for i in range(n_files):
        np.savez(join(root, "thread_0", f"rollout_{i}.npz"),
                 observations=rng.integers(0, 256, (rollout_len, size, size, 3), np.uint8),
                 actions=rng.uniform(-1, 1, (rollout_len, 3)),
                 rewards=rng.standard_normal(rollout_len),
                 terminals=np.arange(rollout_len) == rollout_len - 1)


def rollout_loader(L):
    torch = L
    RolloutSequenceDataset, RolloutObservationDataset = _datasets(L)
    torch.manual_seed(0)
    with Out() as o, tempfile.TemporaryDirectory() as root:
        _write_rollouts(root)

        def transform(x):
            return np.transpose(x, (0, 3, 1, 2)) / 255

        train_set = RolloutSequenceDataset(root, 2, transform, buffer_size=2)
        test_set = RolloutSequenceDataset(root, 2, transform, train=False, buffer_size=1)
        train_loader = torch.utils.data.DataLoader(train_set, batch_size=3, num_workers=2,
                                                   shuffle=True)
        test_loader = torch.utils.data.DataLoader(test_set, batch_size=3, num_workers=0)
        train_loader.dataset.load_next_buffer()
        o.print(len(train_loader.dataset), len(train_loader), len(test_loader.dataset))
        for i, data in enumerate(train_loader):
            obs, action, reward, terminal, next_obs = [arr.to(None) for arr in data]
            o.print(i, [(tuple(a.shape), str(a.dtype)) for a in data])
            o.vals += [obs.sum((1, 2, 3, 4)), action, reward, terminal]
        test_loader.dataset.load_next_buffer()
        batch = next(iter(test_loader))
        o.print(type(batch).__name__, len(batch), batch[0].dtype, batch[3])
        o.vals += list(batch)
        obs_set = RolloutObservationDataset(root, lambda x: x.transpose(2, 0, 1) / 255.0,
                                            train=True)
        obs_set.load_next_buffer()
        first = next(iter(torch.utils.data.DataLoader(obs_set, batch_size=4)))
        o.print(len(obs_set), tuple(first.shape), first.dtype)
        o.vals.append(first)
    return o.lines, o.vals


def checkpoints(L):
    torch = L
    W, M = _wm(L), _beast(L)
    torch.manual_seed(3)
    with Out() as o:
        mdrnn = W.MDRNN(4, 3, 8, 5)
        optimizer = torch.optim.RMSprop(mdrnn.parameters(), lr=1e-3, alpha=.9)
        a, z = torch.randn(3, 2, 3), torch.randn(3, 2, 4)
        mus, sigmas, logpi, rs, ds = mdrnn(a, z)
        loss = W.gmm_loss(z, mus, sigmas, logpi) + rs.pow(2).mean()
        loss.backward()
        optimizer.step()
        buf = io.BytesIO()
        torch.save({"state_dict": mdrnn.state_dict(), "optimizer": optimizer.state_dict(),
                    "precision": loss.item(), "epoch": 0}, buf)
        buf.seek(0)
        rnn_state = torch.load(buf, map_location={'cuda:0': 'cpu'})
        o.print("Loading MDRNN at epoch {} with test error {:.4f}".format(
            rnn_state["epoch"], rnn_state["precision"]))
        mdrnn2 = W.MDRNN(4, 3, 8, 5)
        opt2 = torch.optim.RMSprop(mdrnn2.parameters(), lr=1e-3, alpha=.9)
        o.print(mdrnn2.load_state_dict(rnn_state["state_dict"]))
        opt2.load_state_dict(rnn_state["optimizer"])
        o.print(opt2.state_dict()["param_groups"][0]["alpha"],
                sorted(opt2.state_dict()["state"][0]))
        o.vals.append(opt2.state_dict()["state"][0]["square_avg"])
        cell = W.MDRNNCell(4, 3, 8, 5)
        cell.load_state_dict({k.strip('_l0'): v for k, v in rnn_state['state_dict'].items()})
        o.vals.append(cell.rnn.weight_hh.detach())
        # monobeast's checkpoint()
        flags = _flags(use_lstm=False)
        flags.device = torch.device("cpu")
        model = M.AtariNet((4, 84, 84), 3, False)
        opt = torch.optim.RMSprop(model.parameters(), lr=flags.learning_rate,
                                  momentum=flags.momentum, eps=flags.epsilon,
                                  alpha=flags.alpha)
        scheduler = torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1 - epoch / 10)
        scheduler.step()
        buf = io.BytesIO()
        torch.save({"model_state_dict": model.state_dict(),
                    "optimizer_state_dict": opt.state_dict(),
                    "scheduler_state_dict": scheduler.state_dict(),
                    "flags": vars(flags)}, buf)
        buf.seek(0)
        o.tryit(lambda: sorted(torch.load(buf, map_location="cpu")))
        buf.seek(0)
        checkpoint = torch.load(buf, map_location="cpu", weights_only=False)
        o.print(checkpoint["flags"]["device"], checkpoint["scheduler_state_dict"])
        model.load_state_dict(checkpoint["model_state_dict"])
        o.print(sorted(checkpoint["optimizer_state_dict"]["param_groups"][0]))
    return o.lines, o.vals


class FakeCarRacing:
    """A seeded NumPy stand-in for CarRacing-v0: (96, 96, 3) uint8 frames, 3 actions."""

    def __init__(self, seed=0):
        self.rng, self.t = np.random.default_rng(seed), 0

    def reset(self):
        self.t = 0
        return self.rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)

    def step(self, action):
        self.t += 1
        reward = float(np.clip(action, -1, 1).sum()) - 0.1
        frame = self.rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)
        return frame, reward, self.t >= 3, {}


def rollout_generator(L):
    """utils/misc.py's RolloutGenerator.rollout with its transform (ToPILImage, Resize to
    RED_SIZE, ToTensor) done on the uint8 frame as torchvision's tensor resize does it:
    interpolate(uint8, bilinear, antialias=True), then / 255."""
    torch, F = L, L.nn.functional
    W = _wm(L)
    LSIZE, RSIZE, ASIZE, RED_SIZE = 4, 8, 3, 64
    torch.manual_seed(4)

    def transform(obs):
        img = torch.from_numpy(obs).permute(2, 0, 1).contiguous().unsqueeze(0)  # CHW
        img = F.interpolate(img, size=(RED_SIZE, RED_SIZE), mode="bilinear",
                            antialias=True)[0]  # Resize
        return img.float() / 255  # ToTensor

    with Out() as o:
        vae, mdrnn = W.VAE(3, LSIZE), W.MDRNNCell(LSIZE, ASIZE, RSIZE, 5)
        controller = W.Controller(LSIZE, RSIZE, ASIZE)
        env = FakeCarRacing(1)
        with torch.no_grad():
            obs = env.reset()
            hidden = [torch.zeros(1, RSIZE) for _ in range(2)]
            cumulative, i = 0, 0
            while True:
                x = transform(obs).unsqueeze(0)
                if i == 0:
                    o.print(tuple(x.shape), x.dtype, f"{x.mean().item():.6f}")
                    o.vals.append(x)
                _, latent_mu, _ = vae(x)
                action = controller(latent_mu, hidden[0])
                _, _, _, _, _, hidden = mdrnn(action, latent_mu, hidden)
                obs, reward, done, _ = env.step(action.squeeze().cpu().numpy())
                cumulative += reward
                if done or i > 10:
                    break
                i += 1
        o.print(f"- cumulative {-cumulative:.4f}", i)
        o.vals += list(hidden)
        small = F.interpolate(torch.from_numpy(obs).permute(2, 0, 1)[None], size=(9, 7),
                              mode="bicubic", align_corners=True)
        o.print(small.dtype, small[0, 0].tolist())
    return o.lines, o.vals
