"""Session 22: self-supervised and set models as their repositories write them:
facebookresearch/dino (vision_transformer.py, main_dino.py, utils.py, eval_knn.py,
eval_linear.py, eval_video_segmentation.py, visualize_attention.py), facebookresearch/vicreg
(main_vicreg.py, resnet.py, evaluate.py) and juho-lee/set_transformer (modules.py, models.py,
max_regression_demo.ipynb, main_pointcloud.py, run.py with mixture_of_mvns.py /
mvn_diag.py), transcribed in tests/s22_ssl_progs*.py, run on ember and on torch 2.13 and
compared live: printed lines exactly, values to rtol 1e-5 / atol 1e-6. Below them, focused
tests for what the sweep found."""

import numpy as np
import pytest
import s22_ssl_progs_b as B
import s22_ssl_progs_c as C
import s22_ssl_progs_d as D
import s22_ssl_progs_e as E
import s22_ssl_progs_f as F
import s22_ssl_progs_g as G
import s22_ssl_progs_h as H
from torch_compare import check_program, run_both, same_error_case

RTOL, ATOL = 1e-5, 1e-6

PROGS = [G.dino_train, G.dino_pieces, D.dino_knn, D.dino_utils, D.single_process,
         F.dino_linear, F.video_segmentation, B.vicreg, H.vicreg_evaluate, C.max_regression,
         C.set_transformer, C.pointcloud, E.mog_clustering]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


def _seeded(L, shape, seed=0):
    return L.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("p", [2, 1, 3])
def test_norm_except_dim(dim, p):
    """torch.norm_except_dim(v, pow, dim), which custom weight-norm code calls: the norm of
    each slice along ``dim`` kept with size 1 elsewhere, of the whole tensor for dim=-1
    (a 0-d result); ember had it only inside nn.utils.weight_norm."""
    def prog(L):
        v = _seeded(L, (3, 4, 2)).requires_grad_()
        n = L.norm_except_dim(v, p, dim)
        (n * _seeded(L, tuple(n.shape), 1)).sum().backward()
        return [n.detach(), v.grad]
    want, got = run_both(prog)
    assert isinstance(want, list) and isinstance(got, list), (want, got)
    for w, g in zip(want, got):
        assert tuple(g.shape) == tuple(w.shape)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_weight_norm_function(dim):
    """torch._weight_norm(v, g, dim) = v * g / norm_except_dim(v, 2, dim), its values, the
    gradients of v and g and the name of its node."""
    def prog(L):
        v = _seeded(L, (3, 4)).requires_grad_()
        gshape = {0: (3, 1), 1: (1, 4), -1: ()}[dim]
        g = _seeded(L, gshape, 1).abs().requires_grad_()
        w = L._weight_norm(v, g, dim)
        (w * _seeded(L, (3, 4), 2)).sum().backward()
        return [w.detach(), v.grad, g.grad, w.grad_fn.name()]
    want, got = run_both(prog)
    assert isinstance(want, list) and isinstance(got, list), (want, got)
    assert got[3] == want[3]
    for w, g in zip(want[:3], got[:3]):
        assert tuple(g.shape) == tuple(w.shape)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", [
    lambda L: L.norm_except_dim(L.ones(2, 3), 2.5, 0),
    lambda L: L.norm_except_dim(L.ones(2, 3), True, 0),
    lambda L: L.norm_except_dim(L.ones(2, 3), 2, 1.0),
    lambda L: L.norm_except_dim(L.ones(2, 3), 2, 5),
    lambda L: L.norm_except_dim(L.ones(2, 3), 2, -3),
    lambda L: L.norm_except_dim(L.ones(()), 2, 0),
    lambda L: L.norm_except_dim(L.ones(()), 2, 1),
    lambda L: L.norm_except_dim(L.ones(2, 3).long(), 2, 0),
    lambda L: L.norm_except_dim([1.0], 2, 0),
    lambda L: L._weight_norm(L.ones(2, 3), 2.0, 0),
    lambda L: L._weight_norm(L.ones(2, 3), L.ones(2, 1), 1.0),
    lambda L: L._weight_norm(L.ones(2, 3), L.ones(2, 1), 7),
    lambda L: L._weight_norm(L.ones(2, 3), L.ones(2, 1).double(), 0),
    lambda L: L._weight_norm(L.ones(2, 3).double(), L.ones(1, 3), 1),
    lambda L: L._weight_norm(L.ones(2, 3).long(), L.ones(2, 1).long(), 0),
    lambda L: L._weight_norm(L.ones(2, 3, 4).long(), L.ones(1, 3, 1).long(), 1),
])
def test_norm_except_dim_errors(case):
    """PyTorch's argument errors: int pow and dim (no bool, no float), dims wrapped with
    its IndexError (-1: the whole tensor), float or complex v, and for the fused first /
    last dim of _weight_norm one dtype for v and g."""
    same_error_case(case)


def test_norm_except_dim_defaults_and_dtypes():
    def prog(L):
        v = _seeded(L, (2, 3, 4))
        return [L.norm_except_dim(v), L.norm_except_dim(v=v, pow=1, dim=2),
                L.norm_except_dim(v, L.tensor(2), 0), L.norm_except_dim(v, 0, 1),
                L.norm_except_dim(v.half(), 2, 0), L.norm_except_dim(L.ones(()), 2, -1),
                L._weight_norm(v.double(), L.ones(()), -1),
                L._weight_norm(v.double(), L.ones(1, 3, 1), 1), L._weight_norm(v, L.ones(2, 1, 1)),
                "norm_except_dim" in dir(L)]
    want, got = run_both(prog)
    assert isinstance(want, list) and isinstance(got, list), (want, got)
    assert got[-1] == want[-1]
    for i, (w, g) in enumerate(zip(want[:-1], got[:-1])):
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        assert tuple(g.shape) == tuple(w.shape)
        rtol = 1e-3 if i == 4 else 1e-5  # i == 4: a float16 result (its own rounding)
        np.testing.assert_allclose(g.float().numpy(), w.float().numpy(), rtol=rtol, atol=1e-6)


_NO_GROUP_CASES = {
    "all_reduce": lambda L: L.distributed.all_reduce(L.ones(2)),
    "all_reduce_op": lambda L: L.distributed.all_reduce(L.ones(2), op=L.distributed.ReduceOp.MAX,
                                                        async_op=True),
    "all_reduce_list": lambda L: L.distributed.all_reduce([L.ones(2)]),
    "all_gather": lambda L: L.distributed.all_gather([L.zeros(2)], L.ones(2)),
    "all_gather_not_list": lambda L: L.distributed.all_gather(L.zeros(2), L.ones(2)),
    "all_gather_tuple": lambda L: L.distributed.all_gather((L.zeros(2),), L.ones(2)),
    "all_gather_not_tensor": lambda L: L.distributed.all_gather([L.zeros(2)], 1.0),
    "all_gather_object": lambda L: L.distributed.all_gather_object([None], 1),
    "broadcast": lambda L: L.distributed.broadcast(L.ones(2), 0),
    "broadcast_object_list": lambda L: L.distributed.broadcast_object_list([1], 0),
    "reduce": lambda L: L.distributed.reduce(L.ones(2), 0),
    "reduce_scatter": lambda L: L.distributed.reduce_scatter(L.ones(2), [L.ones(2)]),
    "reduce_scatter_output": lambda L: L.distributed.reduce_scatter(1.0, [L.ones(2)]),
    "reduce_scatter_inputs": lambda L: L.distributed.reduce_scatter(L.ones(2), L.ones(2)),
    "send": lambda L: L.distributed.send(L.ones(2), 1),
    "recv_not_tensor": lambda L: L.distributed.recv(1.0, 1),
    "get_backend": lambda L: L.distributed.get_backend(),
    "new_group": lambda L: L.distributed.new_group(),
    "monitored_barrier": lambda L: L.distributed.monitored_barrier(),
    "destroy_process_group": lambda L: L.distributed.destroy_process_group(),
    "ddp": lambda L: L.nn.parallel.DistributedDataParallel(L.nn.Linear(2, 2)),
    "ddp_device_ids": lambda L: L.nn.parallel.DistributedDataParallel(L.nn.Linear(2, 2),
                                                                      device_ids=[0]),
    "ddp_kwargs": lambda L: L.nn.parallel.DistributedDataParallel(
        module=L.nn.Linear(2, 2), find_unused_parameters=True),
}


@pytest.mark.parametrize("name", list(_NO_GROUP_CASES))
def test_collectives_without_a_process_group(name):
    """DINO's DINOLoss.update_center calls dist.all_reduce, VICReg's FullGatherLayer
    dist.all_gather, main_dino.py wraps the student in DistributedDataParallel: without
    init_process_group PyTorch checks the tensor arguments (TypeError) and then raises its
    ValueError for the missing default group; ember had none of these (AttributeError)."""
    same_error_case(_NO_GROUP_CASES[name])


def test_distributed_constants():
    def prog(L):
        d = L.distributed
        return [str(d.ReduceOp.SUM), repr(d.ReduceOp.AVG), d.ReduceOp.__name__,
                d.ReduceOp.SUM == d.ReduceOp.RedOpType.SUM, list(d.ReduceOp.RedOpType.__members__),
                [repr(v) for v in d.ReduceOp.RedOpType.__members__.values()],
                d.Backend.GLOO, d.Backend.NCCL, d.Backend("GLOO"), type(d.Backend("MPI")).__name__,
                d.is_gloo_available(), d.is_nccl_available(), d.is_mpi_available(),
                d.group.WORLD, d.GroupMember.WORLD,
                isinstance(L.nn.Linear(1, 1), L.nn.parallel.DistributedDataParallel),
                issubclass(L.nn.parallel.DistributedDataParallel, L.nn.Module)]
    want, got = run_both(prog)
    assert got == want
