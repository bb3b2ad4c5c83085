"""ember.utils.checkpoint: activation checkpointing (``torch.utils.checkpoint``).

* ``use_reentrant=True``: ``fn`` runs without recording a graph and only its inputs are kept;
  the backward pass runs ``fn`` again with grad on (the generator's state restored first when
  ``preserve_rng_state``, so dropout draws the same masks, and put back afterwards) and
  backpropagates through that, also filling ``.grad`` of parameters the function uses. As in
  PyTorch, it refuses ``autograd.grad`` and ``backward(inputs=...)``.
* ``use_reentrant=False``: PyTorch records the ordinary graph and recomputes its saved
  tensors on use; with ``preserve_rng_state`` they come out the same, so ember records the
  graph directly (same values, gradients, double backward, ``autograd.grad`` on parameters;
  no memory saved) and runs ``fn`` again in backward only for its side effects (BatchNorm
  running statistics updated a second time, as PyTorch's recomputation does). Without it the recomputation draws new numbers from the generator's
  current state, which ember reproduces by recomputing as in the reentrant variant.
* A recomputed function returning several tensors is recomputed once per backward pass, all
  its outputs' gradients backpropagated through that one run (PyTorch's single node).
"""

from __future__ import annotations

import warnings
from contextlib import nullcontext as _nullcontext

import ember

from .. import autograd as _autograd
from ..autograd.function import Function
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]

_WARN = ("the use_reentrant parameter should be passed explicitly. {when} use_reentrant=False "
         "is recommended, but if you need to preserve the current default behavior, you can "
         "pass use_reentrant=True. Refer to docs for more details on the differences between "
         "the two variants.")


_REENTRANT_GRAD = ("When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() "
                   "or passing an `inputs` parameter to .backward(). To resolve this error, you "
                   "can either set use_reentrant=False, or call .backward() without passing the "
                   "`inputs` argument.")


class CheckpointFunction(Function):  # (PyTorch's name: nodes print CheckpointFunctionBackward)
    """The tensor outputs of fn(*args), computed without a graph; one node for all of them,
    whose backward recomputes fn once and backpropagates every output's gradient through it
    (gradients of outputs the loss does not use come in as zeros, as PyTorch's)."""

    @staticmethod
    def forward(ctx, state, *args):
        ctx.state = state
        return tuple(state["outputs"][i] for i in state["tensor_at"])

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        args = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
                for a in state["args"]]
        if state["reentrant"] and _autograd._CAPTURING and _autograd._CAPTURING[-1]:
            raise RuntimeError(_REENTRANT_GRAD)
        if state["rng"] is None:  # PyTorch draws from the current state and keeps going
            with ember.enable_grad():
                out = state["fn"](*args, **state["kwargs"])
        else:  # as under fork_rng: the forward's draws again, the state left as it was
            here = ember.get_rng_state()
            ember.set_rng_state(state["rng"])
            try:
                with ember.enable_grad():
                    out = state["fn"](*args, **state["kwargs"])
            finally:
                ember.set_rng_state(here)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        pairs = [(outs[i], g) for i, g in zip(state["tensor_at"], grads)
                 if outs[i].requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        ember.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, *[a.grad if isinstance(a, Tensor) and a.requires_grad else None
                        for a in args])


def _rerun_on_backward(out, function, args, kwargs, context_fn):
    """PyTorch's non-reentrant checkpoint runs ``function`` a second time in each backward
    pass that reaches its outputs (to rebuild the saved tensors), with grad enabled and the
    forward's generator state (put back afterwards): its side effects happen again, e.g. a
    BatchNorm inside updates its running statistics and ``num_batches_tracked`` twice per
    step. ember keeps the recorded graph (same values) and repeats the run for those effects,
    once per backward pass, when the first output's gradient is computed. (PyTorch stops the
    rerun after the last op that saved a tensor: effects of trailing ops that save none are
    not repeated there.)"""
    outs = out if isinstance(out, (tuple, list)) else (out,)
    outs = [o for o in outs if isinstance(o, Tensor) and o.requires_grad]
    if not outs:
        return
    rng = ember.get_rng_state()

    def rerun(_grad):
        here = ember.get_rng_state()
        ember.set_rng_state(rng)
        try:
            with ember.enable_grad(), \
                    context_fn()[1] if context_fn is not None else _nullcontext():
                function(*args, **kwargs)
        finally:
            ember.set_rng_state(here)

    from ..autograd.graph import register_multi_grad_hook

    register_multi_grad_hook(outs, rerun, mode="any")


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=None,
               determinism_check: str = "default", debug: bool = False,
               early_stop: bool = True, preserve_rng_state: bool = True, **kwargs):
    """``function(*args, **kwargs)``, storing only its inputs and recomputing it for the
    backward pass. ``use_reentrant`` should be given (PyTorch warns when it is not and then
    takes True); the reentrant variant accepts no keyword arguments for ``function``."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: " + _WARN.format(
            when="Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise "
                 "an exception."), stacklevel=2)
        use_reentrant = True
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant and (context_fn is not None or debug):
        raise ValueError("Passing `context_fn` or `debug` is only supported when "
                         "use_reentrant=False.")
    if not use_reentrant and determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    needs_grad = ember.is_grad_enabled() and any(
        isinstance(a, Tensor) and a.requires_grad for a in args)
    if not needs_grad:
        if use_reentrant and ember.is_grad_enabled():
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          stacklevel=2)
            with ember.no_grad():
                return function(*args, **kwargs)
        return function(*args, **kwargs)
    if not use_reentrant and preserve_rng_state:
        # PyTorch records the ordinary graph and recomputes its saved tensors, to the same
        # values, when backward needs them: recording them is the same graph and gradients
        # (autograd.grad, backward(inputs=...), double backward included).
        with context_fn()[0] if context_fn is not None else _nullcontext():
            out = function(*args, **kwargs)
        _rerun_on_backward(out, function, args, kwargs, context_fn)
        return out
    rng = ember.get_rng_state() if preserve_rng_state else None
    with ember.no_grad():
        out = function(*args, **kwargs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    tensor_at = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
    if not tensor_at:
        return out
    state = {"fn": function, "args": args, "kwargs": kwargs, "rng": rng, "outputs": outs,
             "reentrant": use_reentrant, "tensor_at": tensor_at}
    made = CheckpointFunction.apply(state, *args)
    made = made if isinstance(made, tuple) else (made,)
    wrapped = list(outs)
    for i, t in zip(tensor_at, made):
        wrapped[i] = t
    return type(out)(wrapped) if isinstance(out, (tuple, list)) else wrapped[0]


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,
                          **kwargs):
    """Run ``functions`` (an ``nn.Sequential`` or a list of modules) in ``segments`` chunks,
    each checkpointed except the last, which runs normally."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: " + _WARN.format(
            when="In version 2.9 we will raise an exception if use_reentrant is not passed."),
            stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    fns = list(functions.children()) if isinstance(functions, ember.nn.Sequential) \
        else list(functions)
    size = len(fns) // segments

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = fns[j](x)
            return x
        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(fns) - 1)(input)
