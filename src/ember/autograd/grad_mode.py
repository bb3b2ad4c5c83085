"""Grad mode: a thread-local switch read in exactly one place, ``Function.apply``.

``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode`` work as context
managers and as decorators, like PyTorch's.
"""

from __future__ import annotations

import functools
from _thread import _local  # threading.local itself, without importing threading (~1 ms)


class _GradState(_local):
    # Class attributes are the per-thread defaults: every new thread starts with grad enabled.
    enabled = True
    anomaly = False
    anomaly_check_nan = True
    saved_hooks = ()  # (pack, unpack) pairs of the active saved_tensors_hooks, innermost last
    saved_hooks_disabled = None  # the error message of disable_saved_tensors_hooks
    watch = False  # anomaly or saved_hooks: what Primitive.apply tests (see WATCH_EVER)
    inference = False  # inside inference_mode (its tensors: autograd/_inference.py)
    inf_grad = False  # the grad mode set inside inference_mode, which records nothing anyway


STATE = _GradState()


def is_grad_enabled() -> bool:
    return STATE.inf_grad if STATE.inference else STATE.enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


def _decorate(fn, make):
    """``fn`` run under the context ``make()``; a generator function gets the mode around each
    of its resumptions (and its caller's mode back at each yield), as PyTorch's decorators."""
    import inspect

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with make():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with make():
                            gen.close()
                        raise
                    except BaseException as e:
                        with make():
                            response = gen.throw(e)
                    else:
                        with make():
                            response = gen.send(request)
            except StopIteration as e:
                return e.value

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with make():
            return fn(*args, **kwargs)

    return wrapper


class _Mode:
    """Base for the grad-mode context managers; subclasses choose the flag value.

    ``with no_grad():`` runs around every inference step, so the common classes keep to
    slots and plain signatures: 0.3 us a block instead of 0.56.
    """

    __slots__ = ("_prev",)
    _value = True

    def __enter__(self):
        if STATE.inference:  # (inference mode records nothing, whatever grad mode says)
            self._prev = STATE.inf_grad
            STATE.inf_grad = self._value
        else:
            self._prev = STATE.enabled
            STATE.enabled = self._value
        return None

    def __exit__(self, exc_type, exc, tb):
        if STATE.inference:
            STATE.inf_grad = self._prev
        else:
            STATE.enabled = self._prev
        return False

    def __call__(self, fn):
        return _decorate(fn, type(self))

    def clone(self):
        return type(self)()


def _bare_decorator_new(cls, orig_func=None):
    """``__new__`` allowing the bare decorator form, ``@no_grad``, as PyTorch 2 does."""
    if orig_func is not None and callable(orig_func):
        return cls()(orig_func)
    return object.__new__(cls)


class no_grad(_Mode):  # noqa: N801 - PyTorch's name
    """Disable gradient recording: ops inside create no graph nodes."""

    __slots__ = ()
    _value = False
    __new__ = _bare_decorator_new


class enable_grad(_Mode):  # noqa: N801
    """Re-enable gradient recording inside a ``no_grad`` block."""

    __slots__ = ()
    _value = True
    __new__ = _bare_decorator_new


class set_grad_enabled(_Mode):  # noqa: N801
    """Set grad mode to ``mode``; takes effect at once, and is undone on exit when used in ``with``."""

    def __init__(self, mode: bool):
        self._value = bool(mode)
        _Mode.__enter__(self)  # at once (the with-block's exit undoes it)

    def __enter__(self):
        return None

    def __call__(self, fn):
        _Mode.__exit__(self, None, None, None)  # a decorator: no change at decoration
        value = self._value
        return _decorate(fn, lambda: set_grad_enabled(value))

    def clone(self):
        return set_grad_enabled(self._value)

    def __repr__(self) -> str:  # PyTorch's (it prints the mode it sets)
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self._value})"


class inference_mode(_Mode):  # noqa: N801
    """``no_grad`` whose tensors are inference tensors (autograd/_inference.py: outside the
    mode they may not be saved for backward, written in place or made to require grad);
    ``mode=False`` turns grad mode on and inference mode off, as PyTorch's guard (grad mode =
    not mode)."""

    def __new__(cls, mode_or_orig_func=True):
        if callable(mode_or_orig_func):  # the bare decorator, ``@inference_mode``
            return cls()(mode_or_orig_func)
        return object.__new__(cls)

    def __init__(self, mode: bool = True):
        self._mode = bool(mode)
        self._value = not self._mode

    def __enter__(self):
        self._prev = STATE.enabled, STATE.inf_grad
        self._prev_inf = STATE.inference
        STATE.enabled = not self._mode
        STATE.inference = self._mode
        STATE.inf_grad = False
        if self._mode:
            _inference.enter()
        return None

    def __exit__(self, *exc):
        STATE.enabled, STATE.inf_grad = self._prev
        STATE.inference = self._prev_inf
        if self._mode:
            _inference.exit()
        return False

    def __call__(self, fn):
        mode = self._mode
        return _decorate(fn, lambda: inference_mode(mode))


class set_multithreading_enabled(_Mode):  # noqa: N801
    """PyTorch's switch for multithreaded backward: ember's engine runs on one thread, so this
    only records the flag (set at once, undone on exit when used in ``with``)."""

    multithreading = True

    def __init__(self, mode: bool):
        self._prev = set_multithreading_enabled.multithreading
        self._value = bool(mode)
        set_multithreading_enabled.multithreading = self._value

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        set_multithreading_enabled.multithreading = self._prev
        return False

    def __call__(self, fn):
        set_multithreading_enabled.multithreading = self._prev
        value = self._value
        return _decorate(fn, lambda: set_multithreading_enabled(value))

    def clone(self):
        return set_multithreading_enabled(self._value)


from . import _inference  # noqa: E402  (it reads STATE, defined above)
