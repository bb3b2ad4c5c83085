"""Inference tensors (tensors made inside ``inference_mode``), compared live with PyTorch 2.13:
which tensors are inference ones, what they may not do outside the mode (be saved for
backward, be written in place, require grad, report a version) and what they may."""

import copy
import pickle
import threading

import numpy as np
import pytest
from torch_compare import run_both


def _made_inside(L, fn):
    with L.inference_mode():
        return fn()


# ---- which tensors are inference tensors -------------------------------------------------

def test_which_tensors_are_inference_tensors():
    def run(L):
        w = L.ones(3, requires_grad=True)
        with L.inference_mode():
            a = L.ones(3)
            flags = [a.is_inference(), (w * 2).is_inference(), w[:2].is_inference(),
                     a[:2].is_inference(), a.view(3, 1).is_inference(),
                     L.from_numpy(np.ones(2)).is_inference(), L.tensor([1, 2]).is_inference(),
                     L.nn.Parameter(L.ones(2)).is_inference(), L.is_inference_mode_enabled()]
        outside = [a.is_inference(), a.detach().is_inference(), a.clone().is_inference(),
                   (a + 1).is_inference(), L.stack([a, a]).is_inference(),
                   w.is_inference(), L.is_inference(a), L.is_inference_mode_enabled()]
        with L.no_grad():
            outside.append(L.ones(2).is_inference())
        with L.inference_mode(False):
            outside.append(L.ones(2).is_inference())
        return flags, outside
    want, got = run_both(run)
    assert got == want


def test_decorator_nesting_and_requires_grad_inside():
    def run(L):
        @L.inference_mode()
        def act(x):
            return x * 2

        @L.inference_mode
        def bare(x):
            return x + 1

        x = L.ones(2, requires_grad=True)
        with L.inference_mode():
            c = L.ones(3, requires_grad=True)
            with L.inference_mode(False):
                z = L.ones(2)
                rec = (x * 2).requires_grad
        return [act(x).is_inference(), act(x).requires_grad, bare(x).is_inference(),
                c.requires_grad, c.is_inference(), z.is_inference(), rec]
    want, got = run_both(run)
    assert got == want


def test_copies_of_inference_tensors_are_normal():
    def run(L):
        a = _made_inside(L, lambda: L.arange(3.0))
        buf = __import__("io").BytesIO()
        L.save(a, buf)
        buf.seek(0)
        return [copy.deepcopy(a).is_inference(), pickle.loads(pickle.dumps(a)).is_inference(),
                L.load(buf).is_inference(), L.zeros(3).copy_(a).is_inference(), str(a)]
    want, got = run_both(run)
    assert got == want


def test_backward_inside_inference_mode_gives_inference_grads():
    def run(L):
        w = L.ones(3, requires_grad=True)
        loss = (w * 3).sum()
        with L.inference_mode():
            loss.backward()
        return w.grad.is_inference(), w.grad.tolist()
    want, got = run_both(run)
    assert got == want


# ---- outside the mode: saved for backward ----------------------------------------------

F = lambda L: L.nn.functional  # noqa: E731

SAVING = {  # PyTorch saves the inference tensor: refused
    "mul": lambda L, w, a, i, t: w * a,
    "div": lambda L, w, a, i, t: w / a,
    "rdiv": lambda L, w, a, i, t: a / w,
    "matmul": lambda L, w, a, i, t: w @ a,
    "pow": lambda L, w, a, i, t: w ** a,
    "maximum": lambda L, w, a, i, t: L.maximum(w, a),
    "mse": lambda L, w, a, i, t: F(L).mse_loss(w, a),
    "smooth_l1": lambda L, w, a, i, t: F(L).smooth_l1_loss(w, a),
    "huber": lambda L, w, a, i, t: F(L).huber_loss(w, a),
    "linear": lambda L, w, a, i, t: L.nn.Linear(3, 2)(a),
    "gather": lambda L, w, a, i, t: w.gather(0, i),
    "index_select": lambda L, w, a, i, t: w.index_select(0, i),
    "getitem": lambda L, w, a, i, t: w[i],
    "nll_loss": lambda L, w, a, i, t: F(L).nll_loss(w.expand(3, 3), t),
    "cross_entropy": lambda L, w, a, i, t: F(L).cross_entropy(w.expand(3, 3), t),
    "embedding": lambda L, w, a, i, t: L.nn.Embedding(4, 2)(i),
    "custom_function": lambda L, w, a, i, t: _Scale(L).apply(w, a),
}
NOT_SAVING = {  # PyTorch keeps nothing of it: allowed
    "add": lambda L, w, a, i, t: w + a,
    "sub": lambda L, w, a, i, t: w - a,
    "cat": lambda L, w, a, i, t: L.cat([w, a]),
    "stack": lambda L, w, a, i, t: L.stack([w, a]),
    "l1_loss": lambda L, w, a, i, t: F(L).l1_loss(w, a),
    "lerp_number_weight": lambda L, w, a, i, t: L.lerp(a, w, 0.5),
    "addcmul_self": lambda L, w, a, i, t: L.addcmul(a, w, w),
    "where_normal_condition": lambda L, w, a, i, t: L.where(w > 0, w, a),
    "mul_by_number": lambda L, w, a, i, t: _made_inside(L, lambda: L.nn.Parameter(L.ones(3))) * 2,
}


def _Scale(L):
    class Scale(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, s):
            ctx.save_for_backward(s)
            return x * s

        @staticmethod
        def backward(ctx, g):
            (s,) = ctx.saved_tensors
            return g * s, None
    return Scale


@pytest.mark.parametrize("name", sorted(SAVING) + sorted(NOT_SAVING))
def test_saving_an_inference_tensor_for_backward(name):
    op = {**SAVING, **NOT_SAVING}[name]

    def run(L):
        L.manual_seed(0)
        w = L.tensor([0.5, -1.0, 2.0], requires_grad=True)
        with L.inference_mode():
            a = L.tensor([1.0, 2.0, 3.0])
            i = L.tensor([2, 0])
            t = L.tensor([2, 0, 1])
        out = op(L, w, a, i, t)
        out.sum().backward()
        return "recorded"
    want, got = run_both(run)
    assert got == want
    assert (want == "recorded") == (name in NOT_SAVING)


def test_rl_target_computed_in_inference_mode():
    """The usual slip: a TD target made under inference_mode instead of no_grad; a clone (or
    no_grad) is PyTorch's fix."""
    def run(L):
        L.manual_seed(0)
        q = L.nn.Linear(4, 2)
        obs = L.ones(5, 4)
        with L.inference_mode():
            target = 1.0 + 0.99 * q(obs).max(1).values
        pred = q(obs).max(1).values
        out = []
        for t in (target, target.clone()):
            try:
                F(L).mse_loss(pred, t).backward()
                out.append("ok")
            except RuntimeError as e:
                out.append(str(e))
        return out
    want, got = run_both(run)
    assert got == want
    assert want[1] == "ok" and "cannot be saved for backward" in want[0]


# ---- outside the mode: in place, requires_grad, version ----------------------------------

INPLACE = {
    "add_": lambda L, a: a.add_(1), "add_alpha": lambda L, a: a.add_(L.ones(3), alpha=2),
    "mul_": lambda L, a: a.mul_(3), "sub_": lambda L, a: a.sub_(1),
    "div_": lambda L, a: a.div_(2), "copy_": lambda L, a: a.copy_(L.full((3,), 7.0)),
    "zero_": lambda L, a: a.zero_(), "fill_": lambda L, a: a.fill_(5),
    "setitem": lambda L, a: a.__setitem__(0, 9.0), "clamp_": lambda L, a: a.clamp_(max=0.5),
    "view_add_": lambda L, a: a.view(3).add_(1), "exp_": lambda L, a: a.exp_(),
    "index_add_": lambda L, a: a.index_add_(0, L.tensor([0]), L.ones(1)),
    "masked_fill_": lambda L, a: a.masked_fill_(L.tensor([True, False, True]), 4.0),
    "lerp_": lambda L, a: a.lerp_(L.zeros(3), 0.5), "unsqueeze_": lambda L, a: a.unsqueeze_(0),
    "data_zero_": lambda L, a: a.data.zero_(), "requires_grad_false": lambda L, a:
    a.requires_grad_(False),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_an_inference_tensor_outside(name):
    """PyTorch writes, then refuses at the version bump: the values after the error match."""
    def run(L):
        a = _made_inside(L, lambda: L.tensor([1.5, 2.5, 3.5]))
        try:
            INPLACE[name](L, a)
            res = "ok"
        except RuntimeError as e:
            res = str(e)
        return res, a.tolist()
    want, got = run_both(run)
    assert got == want


def test_inplace_inside_and_on_normal_tensors_is_allowed():
    def run(L):
        n = L.zeros(3)
        with L.inference_mode():
            a = L.ones(3)
            a.add_(1)
            a[0] = 5.0
            n.add_(2)
            inside_version = [n._version]
        return a.tolist(), n.tolist(), inside_version, n._version
    want, got = run_both(run)
    assert got == want


def test_requires_grad_and_version_outside():
    def run(L):
        a = _made_inside(L, lambda: L.ones(3))
        out = []
        for f in (lambda: a.requires_grad_(), lambda: setattr(a, "requires_grad", True),
                  lambda: a._version, lambda: _made_inside(L, lambda: a._version),
                  lambda: a.detach().requires_grad_(), lambda: a.requires_grad):
            try:
                out.append(repr(f()))
            except RuntimeError as e:
                out.append(str(e))
        return out
    want, got = run_both(run)
    assert got == want


def test_another_threads_inference_mode_leaves_this_thread_alone():
    """The mode is per thread: tensors made here while another thread is inside it are
    normal, and ours are inference ones only inside our own."""
    def run(L):
        inside, release = threading.Event(), threading.Event()

        def worker():
            with L.inference_mode():
                inside.set()
                release.wait(5)

        t = threading.Thread(target=worker)
        t.start()
        inside.wait(5)
        w = L.ones(3, requires_grad=True)
        b = L.ones(3) * 2
        (w * b).sum().backward()
        flags = [b.is_inference(), L.is_inference_mode_enabled()]
        release.set()
        t.join()
        return flags, w.grad.tolist()
    want, got = run_both(run)
    assert got == want


def test_l1_and_lerp_keep_no_input_so_later_writes_do_not_fail_backward():
    """PyTorch's l1_loss saves only x - y and lerp with a number weight saves neither end:
    changing an input in place before backward is fine for both."""
    def run(L):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = L.tensor([0.5, 0.5, 0.5])
        e = L.tensor([2.0, 2.0, 2.0])
        h = x * 1
        loss = F(L).l1_loss(h, y) + L.lerp(h, e, 0.25).sum()
        y.add_(10)
        e.add_(10)
        h.mul_(3)
        loss.backward()
        return x.grad.tolist()
    want, got = run_both(run)
    assert got == want


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_stepping_a_parameter_made_in_inference_mode(opt):
    def run(L):
        with L.inference_mode():
            p = L.nn.Parameter(L.ones(3))
        o = getattr(L.optim, opt)([p], lr=0.1)
        p.grad = L.ones(3)
        try:
            o.step()
            return "ok"
        except RuntimeError as e:
            return str(e)
    want, got = run_both(run)
    assert got == want


def test_grad_mode_inside_inference_mode_records_nothing():
    """Inside inference_mode, enable_grad / set_grad_enabled(True) turn grad mode on (as
    is_grad_enabled reports) but nothing is recorded; inference_mode(False) records again."""
    def run(L):
        w = L.ones(2, requires_grad=True)
        out = []
        with L.inference_mode():
            out.append(L.is_grad_enabled())
            with L.enable_grad():
                out += [L.is_grad_enabled(), (w * 2).requires_grad]
                with L.inference_mode(False):
                    out += [L.is_grad_enabled(), (w * 2).requires_grad]
                out.append(L.is_grad_enabled())
            with L.no_grad():
                out.append(L.is_grad_enabled())
            L.set_grad_enabled(True)
            out += [L.is_grad_enabled(), (w * 2).requires_grad]

        @L.enable_grad()
        def f():
            return L.is_grad_enabled(), (w * 2).requires_grad
        with L.inference_mode():
            out.append(f())
        with L.no_grad():
            out.append(f())
        out += [L.is_grad_enabled(), (w * 2).requires_grad]
        return out
    want, got = run_both(run)
    assert got == want


def test_detached_inference_tensor_is_writable_outside_the_mode():
    """PyTorch lets ``detach()`` of an inference tensor, taken outside the mode, be written in
    place (RL code: ``q = target(s).detach()`` after an inference_mode block, then
    ``q[done] = 0``); it stays an inference tensor otherwise, and its views do not."""
    def run(L):
        out = []
        with L.inference_mode():
            t = L.ones(3)
        d = t.detach()
        w = L.ones(3, requires_grad=True)
        for f in [lambda: (w * d).sum().backward(), lambda: d.requires_grad_(),
                  lambda: d[0:2].zero_(), lambda: d._version, lambda: d.detach().add_(1),
                  lambda: d.__setitem__(L.tensor([True, False, True]), 0.0),
                  lambda: (d.is_inference(), d.detach().is_inference(), d[0:1].is_inference()),
                  lambda: t, lambda: t.add_(1), lambda: d.detach()[1:].mul_(2)]:
            try:
                out.append(repr(f()))
            except Exception as e:  # noqa: BLE001 - compared across libraries
                out.append((type(e).__name__, str(e).splitlines()[0]))
        return out
    want, got = run_both(run)
    assert got == want
