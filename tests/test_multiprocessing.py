"""torch.multiprocessing on ember: share_memory_() moves memory to real shared memory in place,
tensors travel between processes (fork, spawn, Queue) sharing it, and Hogwild / A3C programs
run unchanged under ``python -m ember.run``. API behaviour is compared with live PyTorch;
every child is joined with a timeout so a bug cannot hang the run."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from multiprocessing.reduction import ForkingPickler

import pytest
import torch
import torch.multiprocessing as tmp

import ember
import ember.multiprocessing as emp

BOTH = [pytest.param((ember, emp), id="ember"), pytest.param((torch, tmp), id="torch")]
FORK = multiprocessing.get_context("fork")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _start(target, *args):
    p = FORK.Process(target=target, args=args)
    p.start()
    p.join(20)
    if p.is_alive():
        p.kill()
    return p.exitcode


# ---- share_memory_ semantics -----------------------------------------------------------
def _in_place_facts(lib):
    t = lib.arange(6.).reshape(2, 3)
    v, d = t[1], t.data
    out = [t.is_shared(), t.share_memory_() is t, t.is_shared(), v.is_shared(), d.is_shared()]
    v[0] = 100.  # writes through the (moved) view reach the tensor and .data
    out += [t.tolist(), d.tolist()]
    ptr = t.data_ptr()
    t.share_memory_()  # already shared: nothing moves
    out.append(t.data_ptr() == ptr)
    a = lib.arange(4.)
    w = a[2:]
    w.share_memory_()  # a view moves its whole storage
    w[0] = 9.
    out += [a.is_shared(), a.tolist(), w.data_ptr() - a.data_ptr()]
    s = lib.tensor(3.)
    b = lib.zeros(2, 3).t()
    out += [s.share_memory_().is_shared(), s.item(), b.share_memory_().is_shared(), b.stride()]
    return out


def test_share_memory_in_place_like_torch():
    assert _in_place_facts(ember) == _in_place_facts(torch)


def _module_facts(lib):
    m = lib.nn.Linear(3, 2)
    m(lib.ones(1, 3)).sum().backward()
    w = m.weight.detach()  # another tensor on the weight's memory follows it
    shared = m.share_memory()
    m.weight.data.fill_(2.)
    return [shared is m, [p.is_shared() for p in m.parameters()],
            [p.grad.is_shared() for p in m.parameters()], w.is_shared(), w.sum().item()]


def test_module_share_memory_like_torch():
    assert _module_facts(ember) == _module_facts(torch)


def test_api_like_torch():
    assert emp.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()
    assert emp.get_sharing_strategy() == tmp.get_sharing_strategy()
    assert set(emp.__all__) == set(tmp.__all__)
    for name in ("Process", "Queue", "Value", "Array", "Pool", "Lock", "get_context",
                 "set_start_method", "get_start_method", "cpu_count", "spawn",
                 "start_processes", "ProcessContext", "ProcessRaisedException",
                 "ProcessExitedException"):
        assert hasattr(emp, name), name
    errors = []
    for mp in (emp, tmp):
        with pytest.raises(AssertionError) as e:
            mp.set_sharing_strategy("bogus")
        errors.append(str(e.value).split(" expected")[0])
        mp.set_sharing_strategy("file_system")
        assert mp.get_sharing_strategy() == "file_system"
        mp.set_sharing_strategy("file_descriptor")
    assert errors[0] == errors[1]


def test_non_leaf_refused_like_torch():
    msgs = []
    for lib in (ember, torch):
        y = lib.ones(2, requires_grad=True) * 2
        with pytest.raises(RuntimeError) as e:
            ForkingPickler.dumps(y)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def _storage_facts(lib, path):
    t = lib.zeros(3)
    v = t[1:]
    t.share_memory_()
    facts = [v.storage_offset(), len(v.untyped_storage()),
             v.untyped_storage().data_ptr() == t.untyped_storage().data_ptr()]
    lib.save({"t": t, "v": v}, path)  # a view saved after sharing still loads as a view
    d = lib.load(path)
    d["t"][1] = 7.
    return facts + [d["v"].tolist(), d["v"].storage_offset()]


def test_views_keep_their_storage_after_sharing_like_torch(tmp_path):
    """Regression: share_memory_() gave every view its own array on the shared memory, so
    storage_offset became 0 and a checkpoint saved afterwards lost the view relation."""
    assert _storage_facts(ember, tmp_path / "e.pt") == _storage_facts(torch, tmp_path / "t.pt")


def _received_storage_facts(libs):
    lib, mp = libs
    t = lib.zeros(3)
    r = ForkingPickler.loads(bytes(ForkingPickler.dumps((t, t[1:]))))
    return [r[1].storage_offset(), len(r[1].untyped_storage()),
            r[0].untyped_storage().data_ptr() == r[1].untyped_storage().data_ptr()]


def test_received_view_keeps_its_storage_like_torch():
    """Regression: a view received through a Queue/pickle had storage_offset 0 and its own
    storage."""
    assert _received_storage_facts((ember, emp)) == _received_storage_facts((torch, tmp))


# ---- processes ---------------------------------------------------------------------------
def _child_adds(t, v):
    t.add_(1)
    v.mul_(10)  # a view made before sharing writes the same memory


@pytest.mark.parametrize("libs", BOTH)
def test_forked_child_writes_reach_parent(libs):
    lib, _ = libs
    t = lib.zeros(2, 2)
    v = t[1]
    t.share_memory_()
    assert _start(_child_adds, t, v) == 0
    assert t.tolist() == [[1., 1.], [10., 10.]]


def _child_echo(inq, outq):
    x = inq.get(timeout=10)
    x += 5  # in place: the sender's (now shared) tensor sees it
    outq.put(x.sum().item())


@pytest.mark.parametrize("libs", BOTH)
def test_queue_moves_tensor_to_shared_memory(libs):
    lib, mp = libs
    ctx = mp.get_context("fork")
    inq, outq = ctx.Queue(), ctx.Queue()
    x = lib.arange(3.)
    p = ctx.Process(target=_child_echo, args=(inq, outq))
    p.start()
    inq.put(x)
    total = outq.get(timeout=20)
    p.join(20)
    assert (p.exitcode, total, x.tolist(), x.is_shared()) == (0, 18.0, [5., 6., 7.], True)


def _fails(rank, kind):
    if rank == 1:
        if kind == "raise":
            raise ValueError("boom from rank 1")
        if kind == "exit":
            os._exit(3)
        os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("kind", ["raise", "exit", "signal"])
def test_spawn_failure_like_torch(kind):
    seen = []
    for mp in (emp, tmp):
        with pytest.raises((mp.ProcessRaisedException, mp.ProcessExitedException)) as e:
            mp.start_processes(_fails, args=(kind,), nprocs=2, start_method="fork")
        lines = str(e.value).strip().splitlines()
        seen.append((type(e.value).__name__, lines[0], lines[-1], e.value.error_index,
                     getattr(e.value, "exit_code", None)))
    assert seen[0] == seen[1]


# ---- programs, unchanged, under python -m ember.run -----------------------------------------
HOGWILD = '''
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.multiprocessing as mp
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def train(rank, model, data, target):
    torch.manual_seed(1 + rank)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    for epoch in range(15):
        for i in range(0, len(data), 8):
            optimizer.zero_grad()
            F.nll_loss(model(data[i:i + 8]), target[i:i + 8]).backward()
            optimizer.step()


def evaluate(model, x, y):
    with torch.no_grad():
        return F.nll_loss(model(x), y).item()


if __name__ == "__main__":
    if sys.argv[1] != "fork":
        mp.set_start_method(sys.argv[1])
    torch.manual_seed(1)
    model = Net()
    model.share_memory()
    x = torch.randn(64, 4)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    before = evaluate(model, x, y)
    processes = []
    for rank in range(2):
        p = mp.Process(target=train, args=(rank, model, x[rank * 32:rank * 32 + 32],
                                           y[rank * 32:rank * 32 + 32]))
        p.start()
        processes.append(p)
    for p in processes:
        p.join(30)
    print([p.exitcode for p in processes], evaluate(model, x, y) < before - 0.2)
'''

A3C = '''
import sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.multiprocessing as mp

MAX_EP = 24


class SharedAdam(torch.optim.Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0):
        super(SharedAdam, self).__init__(params, lr=lr, betas=betas, eps=eps,
                                         weight_decay=weight_decay)
        for group in self.param_groups:
            for p in group['params']:
                state = self.state[p]
                state['step'] = torch.zeros(1)
                state['exp_avg'] = torch.zeros_like(p.data)
                state['exp_avg_sq'] = torch.zeros_like(p.data)
                state['step'].share_memory_()
                state['exp_avg'].share_memory_()
                state['exp_avg_sq'].share_memory_()


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.pi = nn.Linear(3, 2)
        self.v = nn.Linear(3, 1)

    def forward(self, x):
        return self.pi(x), self.v(x)


class Worker(mp.Process):
    def __init__(self, gnet, opt, g_ep, res_queue, seed):
        super(Worker, self).__init__()
        self.gnet, self.opt, self.g_ep, self.res_queue = gnet, opt, g_ep, res_queue
        self.lnet, self.seed = Net(), seed

    def run(self):
        torch.manual_seed(self.seed)
        rng = np.random.RandomState(self.seed)
        while self.g_ep.value < MAX_EP:
            self.lnet.load_state_dict(self.gnet.state_dict())
            s = torch.from_numpy(rng.rand(4, 3).astype(np.float32))
            logits, v = self.lnet(s)
            m = torch.distributions.Categorical(logits=logits)
            a = m.sample()
            r = (a == 1).float()  # a bandit: arm 1 pays
            loss = ((r - v.squeeze(1)) ** 2 - m.log_prob(a) * (r - v.squeeze(1)).detach()).mean()
            self.opt.zero_grad()
            loss.backward()
            for lp, gp in zip(self.lnet.parameters(), self.gnet.parameters()):
                gp._grad = lp.grad
            self.opt.step()
            with self.g_ep.get_lock():
                self.g_ep.value += 1
            self.res_queue.put(r.mean().item())
        self.res_queue.put(None)


if __name__ == "__main__":
    if sys.argv[1] != "fork":
        mp.set_start_method(sys.argv[1])
    torch.manual_seed(0)
    gnet = Net()
    gnet.share_memory()
    before = [p.detach().clone() for p in gnet.parameters()]
    opt = SharedAdam(gnet.parameters(), lr=1e-2)
    g_ep, res_queue = mp.Value('i', 0), mp.Queue()
    workers = [Worker(gnet, opt, g_ep, res_queue, i) for i in range(2)]
    [w.start() for w in workers]
    res, done = [], 0
    while done < 2:
        r = res_queue.get(timeout=30)
        done += r is None
        res += [] if r is None else [r]
    [w.join(30) for w in workers]
    st = opt.state[gnet.pi.weight]
    print([w.exitcode for w in workers], g_ep.value >= MAX_EP, len(res) >= MAX_EP,
          all(not torch.equal(b, p) for b, p in zip(before, gnet.parameters())),
          0 < st['step'].item() <= len(res), st['exp_avg'].abs().sum().item() > 0)
'''

SPAWN = '''
import torch
import torch.multiprocessing as mp


def work(rank, t):
    t[rank] += rank + 1


if __name__ == "__main__":
    t = torch.zeros(3)
    t.share_memory_()
    print(mp.spawn(work, args=(t,), nprocs=2), t.tolist())
'''


def _run_on_ember(tmp_path, source, *args):
    path = tmp_path / "prog.py"
    path.write_text(textwrap.dedent(source))
    shm_before = set(os.listdir("/dev/shm"))
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.path.join(REPO, "src"))
    done = subprocess.run([sys.executable, "-m", "ember.run", str(path), *args], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no resource_tracker or other warnings
    assert set(os.listdir("/dev/shm")) <= shm_before  # nothing leaked there
    return done.stdout.strip()


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_hogwild_program(tmp_path, start):
    assert _run_on_ember(tmp_path, HOGWILD, start) == "[0, 0] True"


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a3c_program_with_shared_adam(tmp_path, start):
    # The workers' optimizer steps add 1 to the shared step tensor at the same time, without
    # a lock (hogwild, as in PyTorch): an increment can be lost now and then (seen once in
    # ~30 runs), so the count is at most the number of updates, not always equal to it.
    assert _run_on_ember(tmp_path, A3C, start) == "[0, 0] True True True True True"


def test_mp_spawn_program(tmp_path):
    assert _run_on_ember(tmp_path, SPAWN) == "None [1.0, 2.0, 0.0]"


PLAIN_SPAWN = '''
import multiprocessing as mp
import torch


def work(q):
    q.put((torch.__name__, torch.ones(2).sum().item()))


if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=work, args=(q,))
    p.start()
    print(q.get(timeout=30), torch.__name__)
    p.join(30)
'''


def test_spawned_child_of_plain_multiprocessing_gets_ember_too(tmp_path):
    # the script never touches torch.multiprocessing: ember.run itself carries the alias
    assert _run_on_ember(tmp_path, PLAIN_SPAWN) == "('ember', 2.0) ember"


def test_sharing_works_without_memfd(monkeypatch):
    # macOS and the BSDs have no os.memfd_create: an unlinked temporary file stands in
    import ember.multiprocessing._shm as shm

    monkeypatch.delattr(shm.os, "memfd_create")
    monkeypatch.setitem(shm._state, "arena", None)  # force a fresh arena
    t = ember.arange(6.0).share_memory_()
    assert t.is_shared() and t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    p = FORK.Process(target=_double_in_place, args=(t,))
    p.start()
    p.join(30)
    assert p.exitcode == 0 and t.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]


def _double_in_place(t):
    t.mul_(2)
