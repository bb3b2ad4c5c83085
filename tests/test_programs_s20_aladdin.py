"""Session 20: Aladdin Persson's Machine-Learning-Collection (aladdinpersson/
Machine-Learning-Collection, ML/Pytorch: Basics, object_detection, GANs, more_advanced) as
users type them (tests/s20_aladdin_progs*.py), datasets replaced by small seeded random
tensors, run on ember and on torch 2.13 and compared live: printed lines (model reprs,
losses with 4 decimals, errors as type and first line) exactly, values with their dtypes
and shapes to rtol 1e-5 / atol 1e-6. Below them, focused tests for what the sweep found: the
out= resize warning PyTorch gives twice, out= dtype rules (bool-only, float64-only and
same-dtype outputs, torch.where's all-tensor out form) and add / sub called with input=."""

import warnings

import pytest
import s20_aladdin_progs as A
import s20_aladdin_progs_b as B
import s20_aladdin_progs_c as C
import s20_aladdin_progs_d as D
import s20_aladdin_progs_e as E
import s20_aladdin_progs_f as F
import s20_aladdin_progs_g as G
import s20_aladdin_progs_h as H
from torch_compare import check_program, run_both, same_with_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.tensorbasics, A.init_weights, A.rnn_gru_lstm, H.lr_ratescheduler, H.loadsave,
         B.metrics, H.yolo, C.simple_gan, C.dcgan, C.wgan, C.wgan_gp,
         D.transformer_from_scratch, D.seq2seq_attention, G.seq2seq_transformer, G.vae,
         G.image_captioning, E.simple_fullynet, E.bidirectional_lstm,
         E.seeds_and_mixed_precision, E.imbalanced_classes, E.std_mean, F.progan, F.cyclegan]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


# ---- focused tests for what the sweep found (out= handling, add/sub called by keyword) ----

def _outcome(fn):
    """fn(lib) on both libraries: (dtype and values, or the error), warnings issued."""
    return same_with_warnings(fn)


@pytest.mark.parametrize("call", [
    "add(x64, 1)", "add(i, 2.5)", "mul(i, i)", "sub(x64, x64)", "div(i, i)", "exp(x64)",
    "sqrt(i)", "maximum(x64, x64)", "pow(x64, 2)", "pow(2, x64)", "eq(x64, 1)", "eq(x32, 2.5)",
    "lt(i, 2.5)", "bitwise_and(i, i)", "gcd(i, i)", "polygamma(1, x64)", "logit(x64)",
    "floor_divide(x64, x64)", "logical_and(x64, x64)", "sum(m64, 0)", "cat([x64, x64])",
    "add(x32, 1)", "eq(input=x64, other=1)"])
@pytest.mark.parametrize("out_dtype", ["float32", "int32", "bool"])
def test_out_resize_warning_count(call, out_dtype):
    """An ``out=`` of the wrong shape is resized with a deprecation warning, which PyTorch
    issues twice for an element-wise op computing in a dtype other than out's (it resizes a
    temporary too): comparisons compute in their inputs' dtype, pow(number, t) in out's."""
    def case(L):
        env = {"x64": L.ones(3, dtype=L.float64), "x32": L.ones(3), "i": L.tensor([1, 2, 3]),
               "m64": L.ones(3, 3, dtype=L.float64)}
        z = L.empty(2, dtype=getattr(L, out_dtype))  # noqa: F841 - used by the eval below
        name, rest = call.split("(", 1)
        return eval(f"L.{name}({rest[:-1]}, out=z)", {"L": L, **env})  # noqa: S307
    _outcome(case)


@pytest.mark.parametrize("call", [
    "signbit(x32, out=f32)", "signbit(x32, out=i64)", "isposinf(x32, out=f32)",
    "isneginf(x32, out=f32)", "signbit(x32, out=b)", "float_power(x32, 2, out=f32)",
    "float_power(x32, x32, out=i64)", "float_power(x32, 2, out=f64)", "frac(x32, out=f64)",
    "frac(x64, out=f32)", "sgn(x32, out=f64)", "clamp_min(x64, 0, out=f32)",
    "clamp_max(x32, 0, out=f64)", "heaviside(i, i, out=f32)", "heaviside(x32, x32, out=f64)",
    "where(x32 > 0, x32, 0, out=f32)", "where(x32 > 0, 1.0, x32, out=f32)",
    "where(1, x32, x32, out=f32)", "where(x32 > 0, x32, other=2.0, out=f32)",
    "where(x32 > 0, x32, x32, out=f32)", "where(x32 > 0, x32, 0)"])
def test_out_dtype_rules(call):
    """PyTorch's out= dtype rules: signbit / isposinf / isneginf write bool only, float_power
    float64 only, frac / sgn / clamp_min / clamp_max / heaviside their result's dtype, and
    torch.where with out= has only its all-tensor form (a number is a TypeError naming the
    argument, with its position when given positionally)."""
    def case(L):
        env = {"x32": L.tensor([1.5, -2.0, 0.0]), "x64": L.ones(3, dtype=L.float64),
               "i": L.tensor([1, 2, 3]), "f32": L.empty(3), "f64": L.empty(3, dtype=L.float64),
               "i64": L.empty(3, dtype=L.long), "b": L.empty(3, dtype=L.bool)}
        return eval(f"L.{call}", {"L": L, **env})  # noqa: S307
    _outcome(case)


@pytest.mark.parametrize("call", [
    "add(input=x, other=y)", "add(input=x, other=y, alpha=2)", "sub(input=x, other=2.0)",
    "subtract(input=x, other=y)", "add(x, other=y, alpha=3)", "addcmul(input=x, tensor1=x, "
    "tensor2=y, value=2)", "addcdiv(input=x, tensor1=x, tensor2=y)", "add(x, 2, y)",
    "sub(x, 2, other=y)", "add(input=x, other=y, out=z)"])
def test_add_sub_with_input_keyword(call):
    """torch.add / sub / addcmul / addcdiv take ``input`` as a keyword too (ember's wrapper
    for the deprecated number-first overloads required it positionally: a TypeError)."""
    from torch_compare import use_up_once_warnings
    use_up_once_warnings(lambda L: L.add(L.ones(1), 2, L.ones(1)))

    def case(L):
        env = {"x": L.tensor([1.0, 2.0]), "y": L.tensor([3.0, 4.0]), "z": L.empty(2)}
        return eval(f"L.{call}", {"L": L, **env})  # noqa: S307
    _outcome(case)
