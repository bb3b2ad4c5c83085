"""Session 16: yunjey/pytorch-tutorial and MorvanZhou/PyTorch-Tutorial as users type them
(tests/s16_yunjey_progs*.py), run on ember and on torch 2.13 and compared live: printed lines
(model reprs, the 'Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}' lines), reprs, dtypes, shapes,
warnings and errors (type and first line) exactly. Values agree to rtol 1e-5 / atol 1e-6:
Linear / conv layers go through OpenBLAS where PyTorch uses MKL/oneDNN and sigmoid/tanh use
Sleef's exp (README, known gaps), last bits that later optimizer steps carry along; that is
also why losses are printed to 2-4 decimals, not with every digit."""

import pytest
import s16_yunjey_progs as A
import s16_yunjey_progs_b as B
import s16_yunjey_progs_c as C
import s16_yunjey_progs_d as D
import s16_yunjey_progs_e as E
import s16_yunjey_progs_f as F
from torch_compare import check_program, run_both, same_error_case

RTOL, ATOL = 1e-5, 1e-6


def _check(fn):
    check_program(fn, 0, RTOL, ATOL)


PROGS = [A.basics, A.linear_regression, A.logistic_regression, A.feedforward, A.cnn, E.resnet,
         E.rnn, B.language_model, B.gan, B.vae, B.style_transfer, B.captioning,
         C.torch_numpy, C.variable, C.activation, C.regression, C.classification,
         C.build_nn_quickly, C.save_reload, C.batch_train, F.optimizers,
         D.cnn, D.rnn_classifier, D.rnn_regressor, D.autoencoder, D.dqn, D.gan, F.dropout,
         F.batch_norm]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    _check(prog)


def test_sequential_of_a_functional_names_it_under_torch_nn_functional():
    """nn.Sequential(nn.Linear(1, 10), F.relu): PyTorch's typename of F.relu is
    'torch.nn.functional.relu' (its public module), not the private file it is defined in."""
    for f in ("relu", "softmax", "cross_entropy", "dropout", "mse_loss", "leaky_relu"):
        same_error_case(lambda L, f=f: L.nn.Sequential(L.nn.Linear(1, 2),
                                                       getattr(L.nn.functional, f)))
        same_error_case(lambda L, f=f: L.nn.Module().add_module("x", getattr(L.nn.functional, f)))


def test_load_state_dict_of_a_module_names_torch_class():
    """net.load_state_dict(net1) (the module instead of its state_dict): the message shows the
    class under torch's module path; other non-mappings as str(type) does."""
    same_error_case(lambda L: L.nn.Linear(1, 1).load_state_dict(L.nn.Linear(1, 1)))
    same_error_case(lambda L: L.nn.Linear(1, 1).load_state_dict(
        L.nn.Sequential(L.nn.Linear(1, 1))))
    same_error_case(lambda L: L.nn.Linear(1, 1).load_state_dict([("weight", L.ones(1, 1))]))
    same_error_case(lambda L: L.nn.Linear(1, 1).load_state_dict(L.ones(1)))


def test_dropout_of_integer_tensors():
    """F.dropout on an integer / bool tensor: PyTorch's noise is empty_like(input), bernoulli_
    fills it (drawing from the generator), then div_(1 - p) cannot write a float into it;
    p = 1 multiplies by a zero of the input's dtype."""
    def prog(L):
        out = []
        for dt in (L.long, L.int32, L.int16, L.int8, L.uint8, L.bool):
            L.manual_seed(0)
            try:
                L.nn.functional.dropout(L.ones(2, 3, dtype=dt), 0.3)
            except RuntimeError as e:
                out.append((str(e), L.rand(2).tolist()))  # the draw happened before the error
            for p in (1.0, 0.0):
                r = L.nn.functional.dropout(L.ones(4, dtype=dt), p)
                out.append((str(r.dtype), r.tolist()))
            r = L.nn.Dropout(0.5).eval()(L.arange(3).to(dt))
            out.append((str(r.dtype), r.tolist()))
        x = L.ones(3, requires_grad=True)
        L.nn.functional.dropout(x, 1.0).sum().backward()
        out.append(x.grad.tolist())
        return out
    want, got = run_both(prog)
    assert got == want
