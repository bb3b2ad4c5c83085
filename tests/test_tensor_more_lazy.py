"""The methods and functions of ember/_methods_extra.py and the modules behind them load on
first use: the stand-in lists name exactly what bind sets, ``import ember`` loads none of
them, the torch.* / torch.linalg.* names resolve to them, and the names PyTorch 2.13 has that
this work covers are all present."""

import subprocess
import sys

import torch

import ember
from ember import _lazy_methods, _methods_extra

MODULES = ("ember._methods_extra", "ember.ops.tensor_extra", "ember.ops.strided_scatter",
           "ember.ops.index_reduce", "ember.ops.lu_torch", "ember.ops.linalg_lu",
           "ember.ops.linalg_lu_functions", "ember.ops.linalg_ldl")

TENSOR_NAMES = """lu lu_solve triangular_solve ger split_with_sizes unsafe_split unsafe_chunk
    unsafe_split_with_sizes narrow_copy new_empty_strided adjoint conj conj_physical
    conj_physical_ resolve_conj resolve_neg is_conj is_neg real imag angle as_strided_
    as_strided_scatter nonzero_static index_reduce index_reduce_ igamma igamma_ igammac
    igammac_ apply_ map_ map2_ layout name resize_ resize_as_""".split()
TORCH_NAMES = """lu lu_solve lu_unpack triangular_solve ger split_with_sizes unsafe_split
    unsafe_chunk unsafe_split_with_sizes narrow_copy adjoint conj conj_physical conj_physical_
    resolve_conj resolve_neg is_conj is_neg real imag angle as_strided_ as_strided_scatter
    nonzero_static index_reduce igamma igammac resize_as_ strided layout""".split()
LINALG_NAMES = "lu lu_factor lu_factor_ex lu_solve ldl_factor ldl_factor_ex ldl_solve".split()


def test_stand_in_lists_match_what_bind_sets():
    class Probe:
        pass

    before = set(vars(Probe))
    _methods_extra.bind(Probe)
    set_names = set(vars(Probe)) - before
    properties = {n for n in set_names if isinstance(vars(Probe)[n], property)}
    assert properties == set(_lazy_methods.EXTRA_PROPERTIES)
    assert set_names - properties == set(_lazy_methods.EXTRA_METHODS)


def test_names_exist_in_torch_and_ember():
    for name in TENSOR_NAMES:
        assert hasattr(torch.Tensor, name) and name in dir(ember.Tensor), name
    for name in TORCH_NAMES:
        assert hasattr(torch, name) and getattr(ember, name) is not None, name
    for name in LINALG_NAMES:
        assert hasattr(torch.linalg, name) and getattr(ember.linalg, name) is not None, name


def test_import_does_not_load_them_and_first_uses_work():
    code = (
        "import sys, warnings, ember\n"
        f"mods = {MODULES!r}\n"
        "assert not any(m in sys.modules for m in mods), [m for m in mods if m in sys.modules]\n"
        "x = ember.arange(6.0).reshape(2, 3)\n"
        "assert x.layout is ember.strided and x.name is None\n"
        "z = ember.zeros(3)\n"
        "z.real = ember.ones(3)\n"
        "assert z.tolist() == [1.0, 1.0, 1.0]\n"
        "assert type(ember.Tensor.__dict__['real']) is property\n"
        "assert x.adjoint().shape == (3, 2)\n"
        "assert ember.linalg.lu_factor(ember.eye(2)).pivots.tolist() == [1, 2]\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_setting_imag_through_the_stand_in_raises():
    code = ("import ember\n"
            "try:\n"
            "    ember.zeros(2).imag = ember.ones(2)\n"
            "except RuntimeError as e:\n"
            "    assert 'non-complex' in str(e)\n"
            "else:\n"
            "    raise AssertionError\n")
    subprocess.run([sys.executable, "-c", code], check=True)
