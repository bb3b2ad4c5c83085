"""Session 13, minimalRL's A3C: share_memory() and the storage API A3C code checks
(storage().is_shared(), share_memory_()), and a SharedAdam stepped in a forked worker,
compared live with torch 2.13."""

import multiprocessing

import numpy as np
from torch_compare import run_both

RTOL = 1e-5  # (the Linear heads' last bits: see test_programs_s13_minimalrl.py)


# ---- storage().is_shared() after share_memory_(): A3C code checks the global model ------

def test_storage_is_shared_follows_share_memory():
    def run(L):
        t = L.zeros(3)
        before = [t.storage().is_shared(), t.untyped_storage().is_shared()]
        t.share_memory_()
        m = L.nn.Linear(2, 2)
        m.share_memory()
        w = m.weight
        return before + [t.is_shared(), t.storage().is_shared(),
                         t.untyped_storage().is_shared(), t[1:].storage().is_shared(),
                         t[1:].untyped_storage().is_shared(), w.storage().is_shared(),
                         w.untyped_storage().is_shared(), w.detach().storage().is_shared(),
                         L.zeros(2).storage().is_shared(),
                         L.zeros(2).untyped_storage().is_shared()]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage's deprecation warning
        want, got = run_both(run)
    assert got == want
    assert want[:2] == [False, False] and want[2:-2] == [True] * 8


def test_storage_share_memory_moves_the_tensors_on_it():
    # t.storage().share_memory_() / untyped_storage().share_memory_(): PyTorch moves the
    # storage, so every tensor on it (views too) is shared and a forked child's writes show
    def run(L):
        import os
        t = L.arange(6.0).view(2, 3)
        v = t[1]
        s = t.storage()
        u = L.zeros(4)
        us = u.untyped_storage()
        flags = [s.share_memory_() is s, s.is_shared(), t.is_shared(), v.is_shared(),
                 us.share_memory_() is us, us.is_shared(), u.is_shared(), u[1:].is_shared()]
        pid = os.fork()
        if pid == 0:  # the child never returns into pytest
            try:
                t[0, 1] = 42.0
                u[2] = 7.0
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        return flags, t.tolist(), v.tolist(), u.tolist(), s.tolist()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage's deprecation warning
        want, got = run_both(run)
    assert got == want
    assert want[0] == [True] * 8 and want[1][0][1] == 42.0 and want[3][2] == 7.0


def test_shared_adam_state_is_shared_and_steps_in_a_forked_worker():
    # MorvanZhou's A3C SharedAdam: state made up front and shared, a worker steps it
    def run(L):
        L.manual_seed(0)
        net = L.nn.Linear(4, 2)
        net.share_memory()
        opt = L.optim.Adam(net.parameters(), lr=1e-2, betas=(0.92, 0.999))
        for p in net.parameters():
            st = opt.state[p]
            st["step"] = L.tensor(0.0)
            st["exp_avg"] = L.zeros_like(p.data).share_memory_()
            st["exp_avg_sq"] = L.zeros_like(p.data).share_memory_()

        def work():
            L.manual_seed(1)
            x = L.randn(8, 4)
            local = L.nn.Linear(4, 2)
            local.load_state_dict(net.state_dict())
            loss = local(x).pow(2).mean()
            loss.backward()
            for gp, lp in zip(net.parameters(), local.parameters()):
                gp._grad = lp.grad
            opt.step()

        p = multiprocessing.get_context("fork").Process(target=work)
        p.start()
        p.join(60)
        st = opt.state[net.weight]
        return (p.exitcode, st["exp_avg"].storage().is_shared(), st["step"].item(),
                st["exp_avg"].numpy().copy(), net.weight.detach().numpy().copy())
    want, got = run_both(run)
    assert got[:3] == want[:3] == (0, True, 0.0)  # step is not shared: the parent's stays 0
    np.testing.assert_allclose(got[3], want[3], rtol=RTOL, atol=1e-8)
    np.testing.assert_allclose(got[4], want[4], rtol=RTOL, atol=1e-7)
    assert np.abs(want[3]).sum() > 0


def test_share_memory_with_a_half_built_tensor_alive_elsewhere():
    """share_memory_ finds the tensors on a storage among all live objects; a Tensor subclass
    whose __init__ raised (kept alive by its traceback) has no data and must not stop it."""
    import ember

    class Bad(ember.Tensor):
        def __init__(self, *args):
            raise ValueError("refused")

    kept = []
    try:
        Bad([1.0])
    except ValueError as e:
        kept.append(e)
    t = ember.arange(6.0)
    v = t[2:]
    t.share_memory_()
    assert t.is_shared() and v.is_shared() and kept
