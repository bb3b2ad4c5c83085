"""Session 22 (preference optimisation / LM RL sweep): gaps the transcribed programs
(tests/test_programs_s22_prefopt.py) led to, each checked live against PyTorch 2.13."""

import warnings

import pytest
from torch_compare import same


def _scaler(L, kind, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "cuda_deprecated":
            return L.cuda.amp.GradScaler(**kw)
        return L.amp.GradScaler(kind, **kw)


@pytest.mark.parametrize("kind", ["cpu", "cuda", "cuda_deprecated"])
@pytest.mark.parametrize("enabled", [True, False, 1, 0])
def test_grad_scaler_factor_getters_and_setters(kind, enabled):
    """minChatGPT's PPOTrainer makes ``GradScaler(enabled=dtype != torch.float32)``. PyTorch's
    scaler has get/set_growth_factor, get/set_backoff_factor, get/set_growth_interval and
    _get_growth_tracker; a disabled one (or a 'cuda' one switched off for want of CUDA) keeps
    no factors, so the getters raise AttributeError and is_enabled() returns what was given."""
    def prog(L):
        s = _scaler(L, kind, init_scale=8.0, growth_factor=3, backoff_factor=0.25,
                    growth_interval=2, enabled=enabled)
        out = [s.is_enabled(), s.get_scale(), s._get_growth_tracker(), s.state_dict()]
        for name in ("get_growth_factor", "get_backoff_factor", "get_growth_interval"):
            try:
                v = getattr(s, name)()
                out.append((name, v, type(v).__name__))
            except AttributeError as e:
                out.append((name, "AttributeError", str(e)))
        s.set_growth_factor(4.0)
        s.set_backoff_factor(0.125)
        s.set_growth_interval(1)
        out += [s.get_growth_factor(), s.get_backoff_factor(), s.get_growth_interval()]
        return out
    same(prog)


@pytest.mark.parametrize("kind", ["cpu", "cuda"])
@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("factors", [dict(growth_factor=1.0), dict(backoff_factor=1.0),
                                     dict(growth_factor=0.5, backoff_factor=2.0)])
def test_grad_scaler_bad_factors_checked_only_when_enabled(kind, enabled, factors):
    """PyTorch asserts growth_factor > 1 and backoff_factor < 1 only for a scaler that stays
    enabled; a disabled one (enabled=False, or 'cuda' without CUDA) takes any factors."""
    same(lambda L: _scaler(L, kind, enabled=enabled, **factors).is_enabled())


def test_grad_scaler_set_factors_drive_update():
    """The setters change what update() does: growth after the new interval, by the new
    factor, and the state_dict reports the values as set."""
    def prog(L):
        w = L.ones(3, requires_grad=True)
        opt = L.optim.SGD([w], lr=0.1)
        s = L.amp.GradScaler("cpu", init_scale=4.0)
        s.set_growth_interval(1)
        s.set_growth_factor(3)
        scales = []
        for i in range(3):
            s.scale((w * (i + 1.0)).sum()).backward()
            s.step(opt)
            s.update()
            opt.zero_grad()
            scales.append(s.get_scale())
        s.set_backoff_factor(0.5)
        s.scale((w * float("inf")).sum()).backward()
        s.step(opt)
        s.update()
        return [scales, s.get_scale(), s.state_dict(), w.detach().tolist()]
    same(prog)
