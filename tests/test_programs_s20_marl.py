"""Session 20: reinforcement learning beyond single-agent DQN/PPO as practitioners copy it
(tests/s20_marl_progs*.py): oxwhirl/pymarl (RNNAgent with GRUCell, BasicMAC, epsilon-greedy
over available actions, QMIX and VDN mixers, the QLearner's masked double-Q TD targets),
shariqiqbal2810/maddpg-pytorch (utils/misc.py, MLPNetwork, OUNoise, ReplayBuffer, MADDPG's
update with Gumbel-softmax and the deprecated clip_grad_norm), tinkoff-ai/CORL (CQL's
TanhGaussianPolicy and Lagrange penalty, IQL's expectile loss and advantage-weighted actors,
EDAC's vectorized critic ensemble and diversity loss, the Decision Transformer of dt.py)
and kzl/decision-transformer (on nn.TransformerEncoder and on a hand-written GPT-2 block),
run on ember and on torch 2.13 and compared live: printed lines, dtypes, shapes, warnings
and errors exactly, values to rtol 1e-5 / atol 1e-6. Below them, focused tests for what
the sweep found: PyTorch's fused inference kernels for self-attention give NaN for a query
row whose mask hides every key (the composite path gives zero weights), and in a stack of
layers that NaN spreads to the rows reading it."""

import itertools

import numpy as np
import pytest
import s20_marl_progs as A
import s20_marl_progs_b as B
import s20_marl_progs_c as C
import s20_marl_progs_d as D
import s20_marl_progs_e as E
import s20_marl_progs_f as F
from torch_compare import check_program, run_both, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.rnn_agent_mac, A.qmix_learner, A.vdn_learner, B.maddpg_misc, B.maddpg_discrete,
         B.maddpg_continuous, C.tanh_gaussian_policy, C.continuous_cql, D.iql_gaussian,
         D.iql_deterministic, E.dt_torch_encoder, E.dt_gpt_block, F.dt_corl, F.edac]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    if prog in (B.maddpg_discrete, B.maddpg_continuous):
        use_up_once_warnings(prog)  # '%.4f' % a loss requiring grad warns once a process
    check_program(prog, 0, RTOL, ATOL)


def _nan_rows(out):
    return np.isnan(np.asarray(out.detach().numpy())).any(-1).tolist()


def _encoder_case(layers, norm_first, training, no_grad, batch_first, mask_kind, heads=2):
    def run(L):
        L.manual_seed(0)
        layer = L.nn.TransformerEncoderLayer(8, heads, 16, 0.0, batch_first=batch_first,
                                             norm_first=norm_first)
        enc = L.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        enc.train(training)
        x = L.randn(2, 4, 8)
        if not batch_first:
            x = x.transpose(0, 1)
        causal = L.nn.Transformer.generate_square_subsequent_mask(4)
        if mask_kind == "bool":
            causal = causal != 0
        pad = L.tensor([[True, True, False, False], [False] * 4])
        with (L.no_grad() if no_grad else L.enable_grad()):
            y = enc(x, mask=None if mask_kind == "none" else causal, src_key_padding_mask=pad)
        if not batch_first:
            y = y.transpose(0, 1)
        return _nan_rows(y), y
    return run


@pytest.mark.parametrize("layers,norm_first,training,no_grad,batch_first,mask_kind,heads",
                         list(itertools.product([1, 2], [False, True], [False, True],
                                                [False, True], [True, False],
                                                ["float", "bool"], [2]))
                         + [(2, False, False, True, True, "float", 1),
                            (2, False, False, True, True, "none", 2)])
def test_encoder_fully_masked_rows_like_torch(layers, norm_first, training, no_grad,
                                              batch_first, mask_kind, heads):
    """A causal mask with left padding hides every key from the first query rows. In
    inference without grad, batch_first and an even head count, PyTorch's fused encoder
    layer gives those rows NaN (and with two layers the whole sequence, since NaN values
    times zero weights are NaN); elsewhere the composite path's rows are finite. ember
    gave finite rows everywhere."""
    want, got = run_both(_encoder_case(layers, norm_first, training, no_grad, batch_first,
                                       mask_kind, heads))
    assert got[0] == want[0]
    w, g = np.asarray(want[1].detach().numpy()), np.asarray(got[1].detach().numpy())
    np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)  # NaN where torch has NaN
    if not training and no_grad and batch_first and heads == 2 and mask_kind != "none":
        assert want[0][0][0]  # the case really is on the fused path


@pytest.mark.parametrize("mask_kind", ["float", "bool", "none", "allpad"])
@pytest.mark.parametrize("heads,no_grad,training,need_weights",
                         list(itertools.product([1, 2], [False, True], [False, True],
                                                [False, True])))
def test_mha_fully_masked_rows_like_torch(mask_kind, heads, no_grad, training, need_weights):
    """MultiheadAttention's own fused path (self-attention, inference, no grad, even heads,
    batch_first, bool or no masks, need_weights=False) gives NaN rows where every key is
    masked; a float mask, need_weights or training keeps the composite path's finite
    rows."""
    def run(L):
        L.manual_seed(0)
        m = L.nn.MultiheadAttention(8, heads, batch_first=True)
        m.train(training)
        x = L.randn(2, 4, 8)
        causal = L.nn.Transformer.generate_square_subsequent_mask(4)
        pad = L.tensor([[True, True, False, False], [False] * 4])
        if mask_kind == "bool":
            causal = causal != 0
        if mask_kind in ("none", "allpad"):
            causal = None
        if mask_kind == "allpad":
            pad = L.tensor([[True] * 4, [False] * 4])
        with (L.no_grad() if no_grad else L.enable_grad()):
            y, w = m(x, x, x, key_padding_mask=pad, attn_mask=causal,
                     need_weights=need_weights)
        return _nan_rows(y), None if w is None else _nan_rows(w), y
    want, got = run_both(run)
    assert got[:2] == want[:2]
    np.testing.assert_allclose(np.asarray(got[2].detach().numpy()),
                               np.asarray(want[2].detach().numpy()), rtol=1e-5, atol=1e-6)


def test_encoder_hook_or_grad_keeps_finite_rows():
    """Grad recording (parameters requiring grad outside no_grad) or a forward hook on a
    submodule keeps PyTorch off the fused path: the fully masked rows stay finite there."""
    def run(L):
        L.manual_seed(0)
        layer = L.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True)
        layer.eval()
        x = L.randn(1, 3, 8)
        mask = L.nn.Transformer.generate_square_subsequent_mask(3)
        pad = L.tensor([[True, False, False]])
        with L.no_grad():
            out = [_nan_rows(layer(x, src_mask=mask, src_key_padding_mask=pad))]
        out.append(_nan_rows(layer(x, src_mask=mask, src_key_padding_mask=pad)))
        layer.linear1.register_forward_hook(lambda *a: None)
        with L.no_grad():
            out.append(_nan_rows(layer(x, src_mask=mask, src_key_padding_mask=pad)))
        return out
    want, got = run_both(run)
    assert got == want
    assert want == [[[True, False, False]], [[False, False, False]], [[False, False, False]]]


def test_decision_transformer_eval_padding_is_nan_on_both():
    """The Decision Transformer's get_action shape on a TransformerEncoder without the
    diagonal kept visible: left padding and a causal mask at evaluation give NaN actions in
    PyTorch, and now in ember."""
    def run(L):
        L.manual_seed(0)
        enc = L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(
            8, 2, 16, 0.0, batch_first=True), 2, enable_nested_tensor=False).eval()
        x = L.randn(1, 6, 8)
        mask = L.cat([L.zeros(2), L.ones(4)]).to(dtype=L.long).reshape(1, -1)
        with L.no_grad():
            y = enc(x, mask=L.nn.Transformer.generate_square_subsequent_mask(6),
                    src_key_padding_mask=(mask == 0))
        return _nan_rows(y)
    want, got = run_both(run)
    assert got == want == [[True] * 6]
