"""Session 20: graykode/nlp-tutorial once more, as learners type the current and the older
("-Torch.py", Variable-era) versions of its scripts: NNLM (nn.Embedding, and the one-hot
torch.mm version), Word2Vec skip-gram (Linear and nn.Parameter(..).type(dtype) versions),
TextCNN (ModuleList of Conv2d, and the version that indexes a Parameter and makes a fresh
Conv2d in each forward), TextRNN, TextLSTM, Bi-LSTM, Seq2Seq, Seq2Seq(Attention) (autograd
through setitem into torch.empty / torch.zeros), Bi-LSTM(Attention), the Transformer with its
greedy decoder and BERT (masked LM + next sentence), in tests/s20_graykode_progs*.py, scaled
down. Each runs on ember and on torch 2.13 and is compared live: printed lines (model reprs,
'{:.4f}'.format(loss) on a tensor, predictions, warnings: the one-layer RNN dropout warning,
softmax's implicit dim, the list-of-ndarrays warning) exactly, values to rtol 1e-5 / atol
1e-6. Parameters whose gradient is zero up to rounding (an attention bias that the softmax
cancels) are left out of the values: Adam turns that rounding noise into +-lr steps on
either library."""

import pytest
import s20_graykode_progs as A
import s20_graykode_progs_b as B
import s20_graykode_progs_c as C
import s20_graykode_progs_d as D
import s20_graykode_progs_e as E
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.nnlm, A.nnlm_legacy, A.word2vec_skipgram, A.word2vec_legacy, A.textcnn,
         B.textrnn, B.textlstm, B.bilstm, B.seq2seq, C.seq2seq_attention, C.bilstm_attention,
         C.textcnn_legacy, D.transformer_greedy, E.bert]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
