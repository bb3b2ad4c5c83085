"""Session 11, checkpoint/resume programs as training scripts and RL codebases write them:
torch.save a checkpoint dict (namedtuple transitions, defaultdict stats, NumPy scalars, dtypes,
CUDA RNG states), torch.load it with a map_location, save into a directory by mistake;
compared live with torch 2.13 on a CPU-only build (both libraries' files, read by each)."""

import collections

import numpy as np
import torch
from torch_compare import same as _same


_TARGETS = ("cuda", "cuda:0", "mps", "gpu", "cpu:0", "cpu", {"cpu": "cuda:0"},
            {"cuda:0": "cpu"}, {"cpu": "cpu"})


def _load_each(tmp_path, obj, weights_only):
    def run(L):
        path = tmp_path / f"{L.__name__}.pt"
        L.save(obj(L), path)
        out = []
        for ml in (*_TARGETS, L.device("cuda"), L.device("cuda", 1), L.device("cpu")):
            try:
                r = L.load(path, map_location=ml, weights_only=weights_only)
                out.append(type(r).__name__)
            except RuntimeError as err:
                out.append(str(err))
        return out
    _same(run)


def test_map_location_to_a_missing_device_fails_like_cpu_only_torch(tmp_path):
    _load_each(tmp_path, lambda L: {"w": L.ones(2), "epoch": 3}, True)
    # a file without tensors loads whatever the target
    _load_each(tmp_path, lambda L: {"epoch": 3, "hist": [1.5, 2.0]}, True)


def test_map_location_on_a_whole_pickled_module(tmp_path):
    _load_each(tmp_path, lambda L: L.nn.Linear(2, 2), False)
    # weights_only's refusal of the module comes before the device error
    _load_each(tmp_path, lambda L: L.nn.Linear(2, 2), None)


def test_torch_written_checkpoint_with_map_location(tmp_path):
    path = tmp_path / "t.pt"
    torch.save({"model": torch.nn.Linear(2, 2).state_dict(), "step": 4}, path)
    _same(lambda L: [_try(lambda: L.load(path, map_location=ml)) for ml in _TARGETS])


def _try(f):
    try:
        return sorted(f())
    except RuntimeError as err:
        return str(err)


def _gpu_checkpoint(path):
    """A torch.save file as a GPU machine writes it: its storages tagged 'cuda:0'."""
    import zipfile

    torch.save({"w": torch.ones(2), "b": torch.zeros(3), "step": 1}, path)
    with zipfile.ZipFile(path) as z:
        entries = [(n, z.read(n)) for n in z.namelist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for n, d in entries:
            if n.endswith("/data.pkl"):
                d = d.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            z.writestr(n, d)


def test_gpu_checkpoint_on_cpu_needs_map_location(tmp_path):
    path = tmp_path / "gpu.pt"
    _gpu_checkpoint(path)
    for ml in (None, "cpu", {"cuda:0": "cpu"}, {"cuda:1": "cpu"}, "cuda", "cpu:0"):
        for wo in (True, False):
            _same(lambda L: _try(lambda: L.load(path, map_location=ml, weights_only=wo)))
    _same(lambda L: _try(lambda: L.load(path, map_location=L.device("cpu"))))
    _same(lambda L: _try(lambda: L.load(path, map_location=lambda s, loc: s)))


# ---- a checkpoint keeps its containers' and scalars' types ----------------------------------
# An RL checkpoint holds replay transitions as namedtuples, stats in a defaultdict or Counter,
# returns as NumPy scalars: each loads back as itself (weights_only=False), and weights_only=True
# refuses the ones PyTorch refuses, naming the same global.

Transition = collections.namedtuple("Transition", "state action reward")


class Stats(dict):
    pass


_KEPT = {
    "namedtuple": lambda: [Transition(1, 2, 0.5)],
    "defaultdict": lambda: collections.defaultdict(list, a=[1]),
    "counter": lambda: collections.Counter("aab"),
    "dict_subclass": lambda: Stats(a=1),
    "np_int64": lambda: np.int64(3),
    "np_float64": lambda: np.float64(1.5),
    "np_float32": lambda: np.float32(2.5),
    "np_key": lambda: {np.int64(1): "x"},
    "frozenset": lambda: frozenset([1]),
}


def _round_trip(tmp_path, name, weights_only):
    def run(L):
        path = tmp_path / f"{L.__name__}_{name}.pt"
        L.save({"v": _KEPT[name](), "w": L.ones(2)}, path)
        try:
            v = L.load(path, weights_only=weights_only)["v"]
        except Exception as err:  # noqa: BLE001 - compared across libraries
            return type(err).__name__, [ln for ln in str(err).splitlines() if "GLOBAL" in ln]
        return type(v).__name__, repr(v)
    return run


def test_checkpoint_values_keep_their_types(tmp_path):
    for name in _KEPT:
        for wo in (True, False):
            _same(_round_trip(tmp_path, name, wo))


_FROM_TORCH = {
    "dtype": lambda: torch.float64,
    "dtypes": lambda: [torch.int64, torch.bool, torch.float16],
    "counter": lambda: collections.Counter("aab"),
    "bytearray": lambda: bytearray(b"xy"),
    "frozenset": lambda: frozenset([1]),
    "slice": lambda: slice(1, 2),
    "range": lambda: range(3),
    "defaultdict_int": lambda: collections.defaultdict(int, a=1),
}


def test_torch_written_values_load_as_torch_loads_them(tmp_path):
    # a config's dtype, Counter and bytearray pass weights_only; frozenset and slice do not;
    # protocol 2's __builtin__.xrange / long load as range / int with weights_only=False
    for name, make in _FROM_TORCH.items():
        path = tmp_path / f"{name}.pt"
        torch.save({"v": make(), "w": torch.ones(1)}, path)
        for wo in (True, False):
            def run(L):
                try:
                    v = L.load(path, weights_only=wo)["v"]
                except Exception as err:  # noqa: BLE001 - compared across libraries
                    return type(err).__name__, [ln for ln in str(err).splitlines()
                                                if "GLOBAL" in ln]
                return type(v).__name__, repr(v)
            _same(run)


def test_save_to_a_directory_path_fails_as_torch(tmp_path):
    # `torch.save(sd, save_dir)` without the file name (no temporary file left behind)
    (tmp_path / "ckpts").mkdir()
    for p in (tmp_path / "ckpts", f"{tmp_path / 'ckpts'}/", f"{tmp_path / 'missing'}/"):
        _same(lambda L: L.save({"w": L.ones(1)}, p))
    assert sorted(x.name for x in tmp_path.iterdir()) == ["ckpts"]
    assert list((tmp_path / "ckpts").iterdir()) == []


def test_checkpoint_code_saving_cuda_rng_states_unguarded():
    def run(L):
        ck = {"cpu": L.get_rng_state(), "cuda": L.cuda.get_rng_state_all()}
        L.cuda.set_rng_state_all(ck["cuda"])
        L.cuda.set_rng_state_all([L.zeros(3, dtype=L.uint8)])
        L.cuda.set_rng_state(L.zeros(3, dtype=L.uint8))
        return ck["cuda"], L.cuda.is_available()
    _same(run)
    _same(lambda L: L.cuda.set_rng_state(5))


def test_fill_uninitialized_memory_switch():
    def run(L):
        L.use_deterministic_algorithms(True)
        try:
            mod = L.utils.deterministic
            seen = [mod.fill_uninitialized_memory]
            mod.fill_uninitialized_memory = False
            seen.append(mod.fill_uninitialized_memory)
            try:
                mod.fill_uninitialized_memory = 1
            except RuntimeError as err:
                seen.append(str(err))
            return seen
        finally:
            L.utils.deterministic.fill_uninitialized_memory = True
            L.use_deterministic_algorithms(False)
    _same(run)
