"""Session 15: Harvard NLP's "The Annotated Transformer" (2022) pieces and the mistakes learners
make with them, run on ember and on torch 2.13 and compared live (printed reprs, dtypes,
errors' type and first line)."""

import math

from torch_compare import run_both, same


def _subsequent_mask(L, size):
    m = L.triu(L.ones((1, size, size)), diagonal=1).type(L.uint8)
    return m == 0


def test_subsequent_mask_and_batch_masks():
    def prog(L):
        src = L.tensor([[1, 3, 4, 2, 2]])
        src_mask = (src != 2).unsqueeze(-2)
        tgt = src[:, :-1]
        tgt_mask = (tgt != 2).unsqueeze(-2) & _subsequent_mask(L, tgt.size(-1)).type_as(src_mask)
        ntok = (src[:, 1:] != 2).data.sum()
        return [repr(_subsequent_mask(L, 4)), repr(src_mask), repr(tgt_mask), repr(ntok),
                "%6.2f | %7.1f" % (L.tensor(3.0) / ntok, ntok / 1.5)]
    same(prog)


def test_label_smoothing_index_fill_with_one_pad():
    """LabelSmoothing's index_fill_ with mask.squeeze(): a 0-d index when one target is pad."""
    def prog(L):
        x = L.tensor([[0, 0.2, 0.7, 0.1, 0]] * 5).log()
        target = L.tensor([2, 1, 0, 3, 3])
        td = x.data.clone()
        td.fill_(0.4 / 3)
        td.scatter_(1, target.data.unsqueeze(1), 0.6)
        td[:, 0] = 0
        mask = L.nonzero(target.data == 0)
        td.index_fill_(0, mask.squeeze(), 0.0)
        return repr(td), repr(L.nn.KLDivLoss(reduction="sum")(x, td.clone().detach()))
    same(prog)


def test_index_fill_2d_index_error():
    """A (k, 1) nonzero() result not squeezed: PyTorch's RuntimeError, after the value check."""
    same(lambda L: L.ones(3, 2).index_fill_(0, L.tensor([[1]]), 0.0))
    same(lambda L: L.ones(3, 2).index_fill(0, L.tensor([[1], [2]]), 0.0))
    same(lambda L: L.index_fill(L.ones(3, 2), 0, L.tensor([[[1]]]), L.tensor(0.0)))
    same(lambda L: L.ones(3, 2).index_fill_(0, L.tensor([[1]]), L.tensor([0.0])))
    same(lambda L: L.ones(3, 2).index_fill_(0, L.tensor([[1]], dtype=L.int32), 0.0))


def test_attention_mask_mistakes():
    def case(mask_of):
        def prog(L):
            sc = L.zeros(2, 4, 5, 5)
            return repr(sc.masked_fill(mask_of(L), -1e9).softmax(-1)[0, 0])
        return prog
    same(case(lambda L: L.ones(1, 5, 5, dtype=L.uint8)))
    same(case(lambda L: L.ones(2, 5, 5) == 0))
    same(case(lambda L: L.ones(1, 5, 5, dtype=L.int64) == 0))
    same(lambda L: L.ones(2, 1, 5) & _subsequent_mask(L, 5))
    same(lambda L: L.zeros(2, 5, 32).view(2, -1, 4, 8).transpose(1, 2).view(2, -1, 32))


def test_positional_encoding_and_embedding_mistakes():
    def pe(L, d_model, max_len):
        pe = L.zeros(max_len, d_model)
        position = L.arange(0, max_len).unsqueeze(1)
        div = L.exp(L.arange(0, d_model, 2) * -(math.log(10000.0) / d_model))
        pe[:, 0::2] = L.sin(position * div)
        pe[:, 1::2] = L.cos(position * div)
        return repr((pe.shape, pe.dtype, div.dtype))
    same(lambda L: pe(L, 8, 10))
    same(lambda L: pe(L, 11, 10))
    same(lambda L: L.nn.Embedding(11, 8)(L.tensor([[1.0, 2.0]])))
    same(lambda L: L.nn.Embedding(11, 8)(L.tensor([[1, 11]])))
    same(lambda L: L.nn.init.xavier_uniform_(L.empty(3)))
