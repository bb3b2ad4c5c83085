"""Session 17: Stanford CS224n's PyTorch assignments as solved in public repositories
(tests/s17_cs224n_progs*.py: the a3 dependency parser, the a4 NMT model, the a5 character
pieces, minBERT / GPT-2 project parts with the from-scratch AdamW), run on ember and on
torch 2.13 and compared live: printed lines, reprs, dtypes, shapes, warnings and errors (type
and first line) exactly; values to rtol 1e-5 / atol 1e-6 (OpenBLAS vs MKL last bits)."""

import numpy as np
import pytest
import s17_cs224n_progs as A
import s17_cs224n_progs_b as B
import s17_cs224n_progs_c as C
import s17_cs224n_progs_d as D
import s17_cs224n_progs_e as E
import s17_cs224n_progs_f as G
from torch_compare import check_program, run_both, same_error_case

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.parser_2019, A.parser_2024, A.parser_transitions, B.nmt, B.nmt_2019_masks,
         B.nmt_unsorted, C.char_cnn_highway, C.char_decoder, C.post_embed_cnn,
         D.optimizer_test, D.sentiment_classifier, D.sentiment_pretrain,
         E.mingpt_vanilla, E.gpt2_layer_lora, G.sonnet_generate, G.paraphrase_head,
         G.nmt_save_load, G.minbert_save_model,
         G.multitask_heads, G.mingpt_loader]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


def test_optimizer_state_types_print_as_pytorchs():
    """A from-scratch optimizer (minBERT's AdamW) printing type(self.state) /
    type(self.state[p]): PyTorch's are collections.defaultdict and dict."""
    def case(L):
        w = L.nn.Parameter(L.ones(2))
        opt = L.optim.SGD([w], lr=0.1, momentum=0.9)
        w.grad = L.ones(2)
        opt.step()
        st = opt.state
        return [repr(type(st)), type(st).__name__, type(st).__qualname__, type(st).__module__,
                repr(type(st[w])), type(st[w]).__name__, type(st[w]).__module__,
                isinstance(st, dict), isinstance(st[w], dict), st.default_factory.__name__]
    want, got = run_both(case)
    assert got == want


def test_mingpt_with_rope_stops_at_view_as_complex():
    """ember has no complex tensors (README, known gaps): the RoPE model builds the same
    (cache, parameters) and its forward pass stops with ember's no-complex TypeError."""
    want, got = run_both(E.mingpt_rope_refused)
    assert want[0] == got[0]
    for w, g in zip(want[1][:2], got[1][:2]):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=RTOL, atol=ATOL)
    assert want[1][2].item() == 1 and got[1][2].item() == 0


@pytest.mark.parametrize("case", [
    lambda L: L.view_as_complex(L.randn(2, 3)),
    lambda L: L.view_as_complex(L.randn(3, 2).t()),
    lambda L: L.view_as_complex(L.arange(4).view(2, 2)),
    lambda L: L.view_as_complex(L.ones(2, 2, dtype=L.bool)),
    lambda L: L.view_as_complex(L.randn(())),
    lambda L: L.view_as_complex(L.randn(4)[::2].unsqueeze(0).expand(2, 2)),
    lambda L: L.view_as_complex(L.randn(4, 4)[:, 1:3]),
    lambda L: L.view_as_complex(L.randn(5)[1:3]),
    lambda L: L.view_as_complex(L.randn(3, 6)[:, ::3].unsqueeze(-1).expand(3, 2, 2)),
    lambda L: L.view_as_complex([1., 2.]),
    lambda L: L.view_as_real(L.randn(2)),
    lambda L: L.view_as_real(L.arange(2)),
    lambda L: L.view_as_real((1, 2)),
])
def test_view_as_complex_and_real_refuse_as_pytorch(case):
    """RoPE's view_as_complex / view_as_real: the inputs PyTorch refuses get its error (type
    and first line), checked in its order (dtype, dims, last size 2, last stride 1, even
    strides, even storage offset); a real tensor to view_as_real is always refused."""
    same_error_case(case)


def test_view_as_complex_of_a_valid_input_says_ember_has_no_complex():
    """Where PyTorch makes a complex64 / complex32 / complex128 view, ember (no complex
    storage) raises its TypeError naming that dtype, never a wrong real result."""
    import ember
    import torch
    for dt in ("float32", "float16", "float64"):
        x = torch.zeros(3, 2, dtype=getattr(torch, dt))
        want = torch.view_as_complex(x).dtype
        with pytest.raises(TypeError, match=r"ember has no complex tensors \(" + str(want)):
            ember.view_as_complex(ember.zeros(3, 2, dtype=getattr(ember, dt)))


@pytest.mark.parametrize("case", [
    # a3: float64 NumPy embeddings wrapped as a Parameter, then float32 weights
    lambda L: L.nn.Linear(8, 3)(L.nn.Embedding.from_pretrained(L.tensor(
        np.random.default_rng(0).normal(size=(5, 4))))(L.tensor([[1, 2]])).view(1, -1)),
    lambda L: L.flatten(L.nn.Parameter(L.tensor(np.ones((5, 4))))[L.tensor([[1, 2]])],
                        start_dim=1) @ L.nn.Parameter(L.empty(8, 3)),
    lambda L: L.nn.functional.relu_(L.tensor([-1., 2.], requires_grad=True)),
    lambda L: L.nn.Embedding(5, 2)(L.tensor([1., 2.])),
    lambda L: L.ones(5, 2)[L.tensor([1., 2.])],
    lambda L: L.nn.init.xavier_uniform_(L.empty(5)),
    # a4: shapes into bmm / LSTMCell, lengths, beam search's topk and index
    lambda L: L.bmm(L.ones(2, 3, 4), L.ones(2, 3, 1)),
    lambda L: L.nn.LSTMCell(4, 3)(L.ones(2, 5)),
    lambda L: L.nn.LSTMCell(4, 3)(L.ones(2, 4), (L.ones(2, 3), L.ones(3, 3))),
    lambda L: L.nn.utils.rnn.pack_padded_sequence(L.ones(3, 2, 4), [3, 0]),
    lambda L: L.topk(L.ones(3), k=5),
    lambda L: [1, 2][L.tensor(1.0)],
    lambda L: L.multinomial(L.tensor([[0.5, -0.1]]), 1),
    lambda L: L.optim.Adam((p for p in [L.nn.Parameter(L.ones(1))]), lr=-1),
])
def test_cs224n_mistakes_raise_as_pytorch(case):
    """The slips these assignments invite, each with PyTorch's error (or its result)."""
    same_error_case(case)


def test_cs224n_int32_gather_index_and_bool_scatter_of_an_int():
    """Both run in PyTorch: gather with an int32 index, scatter_ of the value 1 into a bool
    mask (the nucleus filter's shape); same values and dtypes."""
    def case(L):
        a = L.gather(L.arange(24.).view(3, 2, 4), index=L.ones(2, 2, 1, dtype=L.int32), dim=-1)
        b = L.zeros(2, 3, dtype=L.bool).scatter_(-1, L.tensor([[0], [1]]), 1)
        return [(repr(t), str(t.dtype), tuple(t.shape)) for t in (a, b)]
    want, got = run_both(case)
    assert got == want
