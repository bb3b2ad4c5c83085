"""nn.Transformer and its encoder/decoder layers and stacks against PyTorch 2.13: torch's weights
loaded into ember (and back), same outputs and gradients (inputs and every parameter) in eval
mode and in training with dropout 0; masks, batch_first, norm_first, gelu, unbatched input;
errors, warnings, repr; a float64 finite-difference check."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from nn_testutil import error_of

R = np.random.default_rng(11)
D, H, FF = 8, 2, 16
TOL = {np.float32: (1e-5, 1e-5), np.float64: (1e-10, 1e-12)}


def rand(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def pair(name, *args, dtype=np.float32, **kw):
    """The same module in both libraries, torch's (seeded) weights loaded into ember."""
    torch.manual_seed(3)
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    edt = ember.float64 if dtype == np.float64 else ember.float32
    t = quiet(getattr(torch.nn, name), *args, dtype=tdt, **kw)
    e = quiet(getattr(ember.nn, name), *args, dtype=edt, **kw)
    assert list(e.state_dict()) == list(t.state_dict())
    res = e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    assert not res.missing_keys and not res.unexpected_keys
    return e, t


def stack(name, layer_args, n=2, dtype=np.float32, final_norm=True, **kw):
    """TransformerEncoder/Decoder of n layers (+ final LayerNorm), torch's weights in ember."""
    kind = "Encoder" if name == "TransformerEncoder" else "Decoder"
    mods = []
    for lib in (torch, ember):
        ldt = lib.float64 if dtype == np.float64 else lib.float32
        layer = quiet(getattr(lib.nn, f"Transformer{kind}Layer"), *layer_args, dtype=ldt, **kw)
        norm = lib.nn.LayerNorm(D, dtype=ldt) if final_norm else None
        torch.manual_seed(4)
        mods.append(quiet(getattr(lib.nn, name), layer, n, norm))
    t, e = mods
    for p in t.parameters():  # the copies start equal: make every layer distinct
        p.data.uniform_(-0.5, 0.5)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return e, t


def compare(e_mod, t_mod, arrays, masks=None, dtype=np.float32, **kw):
    """Outputs, input gradients and parameter gradients agree for a random output weighting."""
    rtol, atol = TOL[dtype]
    masks = masks or {}
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_out = e_mod(*e_in, **{k: ember.tensor(v) for k, v in masks.items()}, **kw)
    t_out = t_mod(*t_in, **{k: torch.tensor(v) for k, v in masks.items()}, **kw)
    assert str(e_out.dtype) == str(t_out.dtype)
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol, atol)
    w = rand(*t_out.shape, dtype=dtype)
    (e_out * ember.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    for a, b in zip(e_in, t_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol, atol * 4)
    t_params = dict(t_mod.named_parameters())
    e_params = dict(e_mod.named_parameters())
    assert list(e_params) == list(t_params)
    for name, p in e_params.items():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol, atol * 4,
                                   err_msg=name)


def causal(n):
    return np.triu(np.full((n, n), -np.inf, np.float32), 1)


def padding(batch, n):
    """Bool key padding: sample i has its last i positions padded (never all)."""
    m = np.zeros((batch, n), bool)
    for i in range(batch):
        m[i, n - min(i, n - 1):] = True
    return m


def seq(n, batch, batch_first, dtype=np.float32):
    return rand(batch, n, D, dtype=dtype) if batch_first else rand(n, batch, D, dtype=dtype)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_masks(batch_first, norm_first, activation):
    e, t = pair("TransformerEncoderLayer", D, H, FF, activation=activation,
                batch_first=batch_first, norm_first=norm_first)
    e.eval(), t.eval()
    x = seq(5, 3, batch_first)
    compare(e, t, [x])
    compare(e, t, [x], {"src_mask": causal(5), "src_key_padding_mask": padding(3, 5)})
    compare(e, t, [x], {"src_mask": np.triu(np.ones((5, 5), bool), 1)}, is_causal=True)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_masks_train_no_dropout(batch_first, norm_first):
    e, t = pair("TransformerDecoderLayer", D, H, FF, dropout=0.0, batch_first=batch_first,
                norm_first=norm_first, activation="gelu")
    assert e.training and t.training
    tgt, mem = seq(4, 3, batch_first), seq(6, 3, batch_first)
    compare(e, t, [tgt, mem])
    masks = {"tgt_mask": causal(4), "tgt_key_padding_mask": padding(3, 4),
             "memory_key_padding_mask": padding(3, 6), "memory_mask": rand(4, 6)}
    compare(e, t, [tgt, mem], masks, tgt_is_causal=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unbatched_and_float64_layers(dtype):
    e, t = pair("TransformerEncoderLayer", D, H, FF, dtype=dtype)
    e.eval(), t.eval()
    compare(e, t, [rand(5, D, dtype=dtype)], {"src_key_padding_mask": padding(2, 5)[1]},
            dtype=dtype)
    e, t = pair("TransformerDecoderLayer", D, H, FF, dtype=dtype, norm_first=True)
    e.eval(), t.eval()
    compare(e, t, [rand(4, D, dtype=dtype), rand(6, D, dtype=dtype)],
            {"tgt_mask": causal(4).astype(dtype)}, dtype=dtype)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stacks_with_final_norm(batch_first, dtype):
    args = (D, H, FF, 0.0)
    e, t = stack("TransformerEncoder", args, dtype=dtype, batch_first=batch_first)
    x = seq(5, 3, batch_first, dtype)
    compare(e, t, [x], {"mask": causal(5).astype(dtype)}, dtype=dtype)
    compare(e, t, [x], {"src_key_padding_mask": padding(3, 5)}, dtype=dtype)
    e, t = stack("TransformerDecoder", args, n=3, dtype=dtype, batch_first=batch_first,
                 norm_first=True)
    tgt, mem = seq(4, 3, batch_first, dtype), seq(5, 3, batch_first, dtype)
    compare(e, t, [tgt, mem], {"tgt_mask": causal(4).astype(dtype),
                               "memory_key_padding_mask": padding(3, 5)}, dtype=dtype)


def test_stack_without_norm_is_eval_mode():
    e, t = stack("TransformerEncoder", (D, H, FF), final_norm=False)
    e.eval(), t.eval()
    compare(e, t, [seq(5, 2, False)])


@pytest.mark.parametrize("batch_first,norm_first", [(False, False), (True, True)])
def test_full_transformer(batch_first, norm_first):
    torch.manual_seed(0)
    kw = dict(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=2,
              dim_feedforward=FF, batch_first=batch_first, norm_first=norm_first)
    t = quiet(torch.nn.Transformer, **kw).eval()
    e = quiet(ember.nn.Transformer, **kw).eval()
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    src, tgt = seq(6, 2, batch_first), seq(4, 2, batch_first)
    masks = {"tgt_mask": t.generate_square_subsequent_mask(4).numpy(),
             "src_key_padding_mask": padding(2, 6), "memory_key_padding_mask": padding(2, 6)}
    compare(e, t, [src, tgt], masks)
    compare(e, t, [src, tgt])


def test_state_dict_loads_into_torch():
    e = quiet(ember.nn.Transformer, D, H, 1, 1, FF)
    t = quiet(torch.nn.Transformer, D, H, 1, 1, FF)
    res = t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in e.state_dict().items()})
    assert not res.missing_keys and not res.unexpected_keys
    e.eval(), t.eval()
    compare(e, t, [rand(5, 2, D), rand(3, 2, D)])


def test_transformer_init_xavier_and_no_bias():
    e = quiet(ember.nn.Transformer, D, H, 1, 1, FF, bias=False)
    t = quiet(torch.nn.Transformer, D, H, 1, 1, FF, bias=False)
    assert list(e.state_dict()) == list(t.state_dict())
    bound = np.sqrt(6.0 / (D + FF))
    w = e.encoder.layers[0].linear1.weight.detach().numpy()
    assert w.shape == (FF, D) and np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert e.d_model == D and e.nhead == H and e.batch_first is False


def test_layers_are_deep_copies():
    layer = ember.nn.TransformerEncoderLayer(D, H, FF)
    enc = quiet(ember.nn.TransformerEncoder, layer, 3)
    ids = {id(m.linear1.weight) for m in enc.layers} | {id(layer.linear1.weight)}
    assert len(ids) == 4 and enc.num_layers == 3
    np.testing.assert_array_equal(enc.layers[2].linear1.weight.detach().numpy(),
                                  layer.linear1.weight.detach().numpy())
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))


def test_callable_activation_and_attributes():
    for lib in (torch, ember):
        relu = lib.nn.TransformerEncoderLayer(D, H, activation=lib.nn.ReLU())
        gelu = lib.nn.TransformerEncoderLayer(D, H, activation=lib.nn.functional.gelu)
        other = lib.nn.TransformerEncoderLayer(D, H, activation=lib.tanh)
        assert (relu.activation_relu_or_gelu, gelu.activation_relu_or_gelu,
                other.activation_relu_or_gelu) == (1, 2, 0)
    e, t = pair("TransformerEncoderLayer", D, H, FF)
    e.activation, t.activation = ember.nn.functional.silu, torch.nn.functional.silu
    e.eval(), t.eval()
    compare(e, t, [seq(4, 2, False)])
    e, t = pair("TransformerDecoderLayer", D, H, FF)
    assert e.dropout.p == 0.1 and e.norm1.eps == 1e-5 and e.linear1.out_features == FF


def test_repr_matches_torch():
    e, t = pair("TransformerDecoderLayer", D, H, FF, bias=False)
    assert repr(e) == repr(t)
    e, t = stack("TransformerEncoder", (D, H, FF))
    assert repr(e) == repr(t)
    assert repr(quiet(ember.nn.Transformer, D, H, 1, 1, FF)) == \
        repr(quiet(torch.nn.Transformer, D, H, 1, 1, FF))


@pytest.mark.parametrize("dtype", [None, "float64"])
def test_square_subsequent_mask(dtype):
    e = ember.nn.Transformer.generate_square_subsequent_mask(
        5, dtype=None if dtype is None else getattr(ember, dtype))
    t = torch.nn.Transformer.generate_square_subsequent_mask(
        5, dtype=None if dtype is None else getattr(torch, dtype))
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_inference_nested_tensor_zeros():
    """Inference with batch_first and left-aligned key padding: PyTorch runs the encoder on a
    nested tensor, so padded positions come out as zeros (then the final norm)."""
    for final_norm in (True, False):
        e, t = stack("TransformerEncoder", (D, H, FF), batch_first=True, final_norm=final_norm)
        e.eval(), t.eval()
        x, pad = seq(5, 3, True), padding(3, 5)
        with torch.no_grad(), ember.no_grad():
            out_t = t(torch.tensor(x), src_key_padding_mask=torch.tensor(pad))
            out_e = e(ember.tensor(x), src_key_padding_mask=ember.tensor(pad))
        np.testing.assert_allclose(out_e.numpy(), out_t.numpy(), 1e-5, 1e-5)
        if not final_norm:  # the case this test is about: torch's zeros at padding
            assert np.all(out_t.numpy()[pad] == 0) and np.all(out_t.numpy()[~pad] != 0)


def test_errors_match_torch():
    def cases(lib):
        enc = lib.nn.TransformerEncoderLayer(D, H, FF)
        dec = lib.nn.TransformerDecoderLayer(D, H, FF)
        tr = quiet(lib.nn.Transformer, D, H, 1, 1, FF)
        r = lib.randn
        return [
            lambda: enc(r(5, 3, 6)),
            lambda: enc(r(5, 3, 2, D)),
            lambda: enc(r(5, 3, D), src_mask=lib.zeros(4, 4)),
            lambda: enc(r(5, 3, D), src_key_padding_mask=lib.zeros(3, 4, dtype=lib.bool)),
            lambda: enc(r(5, 3, D), src_key_padding_mask=lib.zeros(2, 5, dtype=lib.bool)),
            lambda: enc(r(5, 3, D), src_mask=lib.zeros(5, 5, dtype=lib.int64)),
            lambda: enc(r(5, 3, D), is_causal=True),
            lambda: lib.nn.TransformerEncoderLayer(D, 3),
            lambda: lib.nn.TransformerEncoderLayer(D, H, activation="tanh"),
            lambda: lib.nn.TransformerEncoderLayer(D, H, dropout=1.5),
            lambda: dec(r(5, 3, 6), r(4, 3, D)),
            lambda: dec(r(5, 3, D), r(4, D)),
            lambda: dec(r(5, D), r(4, 3, D)),
            lambda: dec(r(5, 3, D), r(4, 3, D), tgt_is_causal=True),
            lambda: tr(r(5, 3, D), r(4, 2, D)),
            lambda: tr(r(5, 3, 6), r(4, 3, D)),
            lambda: tr(r(5, D), r(4, 3, D)),
        ]
    for e_fn, t_fn in zip(cases(ember), cases(torch)):
        assert error_of(e_fn) == error_of(t_fn)


def test_warnings_match_torch():
    def caught(fn):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fn()
        return [str(x.message) for x in w]

    for d, heads, kw in ((D, H, {}), (D, H, {"batch_first": True, "norm_first": True}),
                         (6, 3, {"batch_first": True}),
                         (D, H, {"batch_first": True, "activation": torch.tanh})):
        msgs = [caught(lambda lib=lib: lib.nn.TransformerEncoder(
            lib.nn.TransformerEncoderLayer(d, heads, 6, **kw), 1)) for lib in (torch, ember)]
        assert msgs[0] == msgs[1] and len(msgs[0]) == 1
    msgs = [caught(lambda lib=lib: lib.nn.TransformerEncoderLayer(D, H)(
        lib.randn(5, 3, D), src_mask=lib.zeros(5, 5),
        src_key_padding_mask=lib.zeros(3, 5, dtype=lib.bool))) for lib in (torch, ember)]
    assert msgs[0] == msgs[1] and len(msgs[0]) == 1
    t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, batch_first=True), 1)
    e = ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(D, H, batch_first=True), 1)
    assert e.use_nested_tensor is t.use_nested_tensor is True
    assert e.mask_check is t.mask_check is True


def test_finite_differences_float64():
    """Gradients of a tiny decoder layer (inputs and parameters, perturbed in place) against
    central differences."""
    layer = ember.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, dtype=ember.float64,
                                             norm_first=True, activation="gelu")
    tgt = ember.tensor(rand(3, 2, 4, dtype=np.float64), requires_grad=True)
    mem = ember.tensor(rand(4, 2, 4, dtype=np.float64), requires_grad=True)
    mask = ember.nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    pad = ember.tensor(padding(2, 4))
    params = (layer.self_attn.in_proj_weight, layer.multihead_attn.out_proj.weight,
              layer.linear1.weight, layer.norm3.bias)

    def f(a, b, *_):
        return layer(a, b, tgt_mask=mask, memory_key_padding_mask=pad)

    assert ember.autograd.gradcheck(f, (tgt, mem) + params)
