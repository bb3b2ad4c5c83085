"""Session 17: rasbt/deeplearning-models, pytorch_ipynb/ (basic-ml, helper_evaluate /
helper_train, mlp, cnn, autoencoder, gan, rnn, tricks) as users type them
(tests/s17_rasbtdlm_progs*.py), run on ember and on torch 2.13 and compared live: printed
lines (model reprs, 'Epoch: %03d/%03d | Batch %03d/%03d | Cost: %.4f', accuracies, parameter
counts), warnings and errors exactly; values to rtol 1e-5 / atol 1e-6 (Linear / conv layers
go through OpenBLAS where PyTorch uses MKL / oneDNN, and sigmoid / tanh / log use Sleef in
PyTorch: last bits that later optimizer steps carry along)."""

import numpy as np
import pytest
import s17_rasbtdlm_progs as A
import s17_rasbtdlm_progs_b as B
import s17_rasbtdlm_progs_c as C
import s17_rasbtdlm_progs_d as D
import s17_rasbtdlm_progs_e as E
from torch_compare import check_program, same, same_error_case

PROGS = [A.perceptron, A.adaline, A.logistic_regression, A.softmax_regression,
         B.helper_training_loop, B.mlp_variants, B.mlp_initialisations, B.cnn_basic_and_he,
         B.cnn_allconv, C.lenet5, C.nin, C.resnet_blocks, C.densenet_block,
         C.vgg_alexnet_small, D.conv_autoencoders, D.variational_autoencoders, D.gan_fc,
         D.dcgan_and_wgan, E.rnn_classifiers, E.char_rnn, E.tricks]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, 1e-5, 1e-6)


# ---- torch.distributed: what single-process helper code touches ----------------------------
def test_distributed_rpc_rref_is_a_class_no_value_is_an_instance_of():
    """helper_evaluate.compute_accuracy checks ``isinstance(logits,
    torch.distributed.rpc.api.RRef)``: the class exists, nothing is one of it, and
    constructing one without an RPC agent raises PyTorch's RuntimeError."""
    same(lambda L: [isinstance(v, L.distributed.rpc.api.RRef)
                    for v in (L.ones(2), 1, None, L.nn.Linear(1, 1))])
    same(lambda L: (L.distributed.rpc.RRef is L.distributed.rpc.api.RRef,
                    L.distributed.rpc.api.RRef.__name__, isinstance(L.distributed.rpc.RRef, type)))
    same(lambda L: L.distributed.rpc.api.RRef[int].__args__)
    same_error_case(lambda L: L.distributed.rpc.RRef(L.ones(1)))
    same_error_case(lambda L: L.distributed.rpc.api.RRef(3))


def test_distributed_without_a_process_group():
    """is_available / is_initialized as on PyTorch's Linux build with no group set up; what
    needs the default group raises PyTorch's ValueError."""
    same(lambda L: (L.distributed.is_available(), L.distributed.is_initialized(),
                    L.distributed.rpc.is_available(),
                    L.distributed.is_torchelastic_launched()))
    for f in ("get_rank", "get_world_size", "barrier"):
        same_error_case(lambda L, f=f: getattr(L.distributed, f)())
    same_error_case(lambda L: L.utils.data.DistributedSampler(range(4)))


# ---- non-reentrant checkpoint: the backward's rerun repeats the function's side effects ----
def _checkpointed_bn(L, reentrant):
    nn = L.nn
    L.manual_seed(0)
    bn, drop, lin = nn.BatchNorm1d(3), nn.Dropout(0.5), nn.Linear(3, 3)
    calls = []

    def f(t, u):
        calls.append(L.is_grad_enabled())
        h = drop(bn(t))
        return lin(h).tanh(), (h * u).sigmoid()

    x, u = L.randn(4, 3, requires_grad=True), L.randn(4, 3)
    a, b = L.utils.checkpoint.checkpoint(f, x, u, use_reentrant=reentrant)
    out = [len(calls), bn.num_batches_tracked.item()]
    (a.sum() + b.sum()).backward(retain_graph=True)
    out += [len(calls), bn.num_batches_tracked.item(), L.rand(2)]
    a.sum().backward()  # a second backward through the retained graph: a second rerun
    out += [len(calls), bn.num_batches_tracked.item(), x.grad, bn.running_mean,
            bn.running_var, calls]
    L.utils.checkpoint.checkpoint(f, x, u, use_reentrant=reentrant)  # never backpropagated
    out.append(len(calls))
    with L.no_grad():
        L.utils.checkpoint.checkpoint(f, x, u, use_reentrant=reentrant)
    return out + [len(calls), bn.num_batches_tracked.item()]


def _close(want, got):
    assert len(want) == len(got)
    for w, g in zip(want, got):
        if hasattr(w, "detach"):
            np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-6,
                                       atol=1e-7)
        else:
            assert g == w, (g, w)


def test_non_reentrant_checkpoint_reruns_the_function_in_backward():
    """PyTorch's use_reentrant=False recomputes the function (grad enabled, the forward's
    generator state, put back afterwards) once per backward pass that reaches it: a
    BatchNorm inside updates its running statistics and num_batches_tracked again, and a
    Python counter in the function counts the rerun (DenseNet's memory_efficient layers)."""
    import torch

    import ember
    for reentrant in (False, True):
        _close(_checkpointed_bn(torch, reentrant), _checkpointed_bn(ember, reentrant))


def test_non_reentrant_checkpoint_of_a_module_updates_running_stats_twice():
    def case(L):
        L.manual_seed(0)
        net = L.nn.Sequential(L.nn.Conv2d(2, 3, 3), L.nn.BatchNorm2d(3), L.nn.ReLU())
        x = L.randn(2, 2, 5, 5, requires_grad=True)
        y = L.utils.checkpoint.checkpoint(net, x, use_reentrant=False)
        y.mean().backward()
        return (net[1].num_batches_tracked.item(), net[1].running_mean.numpy().round(5).tolist(),
                x.grad.shape)
    same(case)
