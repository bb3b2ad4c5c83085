"""Sequence-model programs (char-RNN classification, seq2seq, padded LSTM batches, EmbeddingBag
text classification): the pieces where ember differed from live PyTorch: grad_fn names of the
packing utilities (printed with a PackedSequence or a padded LSTM output), and the errors for
learner mistakes (a state of the wrong dtype, (h, c) as one tensor, float offsets)."""

import pytest

from torch_compare import run_both, same_error_case, seeded


def _fn(t) -> str:
    """grad_fn as repr shows it (PyTorch's name() differs for CopySlices)."""
    return repr(t.grad_fn).split(" object")[0].lstrip("<")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_and_pad_grad_fns_and_gradients(batch_first, enforce_sorted):
    lens = [4, 3, 2] if enforce_sorted else [2, 4, 3]
    shape = (3, 4, 2) if batch_first else (4, 3, 2)

    def run(lib):
        x = seeded(lib, shape, grad=True)
        rnn = lib.nn.utils.rnn
        p = rnn.pack_padded_sequence(x, lens, batch_first=batch_first,
                                     enforce_sorted=enforce_sorted)
        padded, out_lens = rnn.pad_packed_sequence(p, batch_first=batch_first,
                                                   padding_value=-1.0)
        (padded * seeded(lib, padded.shape, seed=1)).sum().backward()
        return (repr(p), _fn(p.data), _fn(padded), padded.is_contiguous(), out_lens.tolist(),
                padded.detach().numpy().tolist(), x.grad.numpy().tolist())

    want, got = run_both(run)
    assert got == want


def test_pad_sequence_and_unpad_sequence_grad_fns():
    def run(lib):
        rnn = lib.nn.utils.rnn
        seqs = [seeded(lib, (n, 2), seed=n, grad=True) for n in (3, 1, 2)]
        out = [rnn.pad_sequence(seqs), rnn.pad_sequence(seqs, batch_first=True),
               rnn.pad_sequence(seqs, padding_side="left")]
        un = rnn.unpad_sequence(out[0], lib.tensor([3, 1, 2]))
        unpacked = rnn.unpack_sequence(rnn.pack_sequence(seqs, enforce_sorted=False))
        # unpad_sequence transposes a time-major batch in place (TransposeBackward1)
        return [_fn(t) for t in out + un + unpacked], repr(out[1]), tuple(out[0].shape)

    want, got = run_both(run)
    assert got == want


def test_print_packed_embeddings_of_a_padded_batch():
    # the learner's print(packed) after an Embedding: grad_fn and the line wrap it causes
    def run(lib):
        lib.manual_seed(0)
        emb = lib.nn.Embedding(10, 4, padding_idx=0)
        padded = lib.tensor([[3, 4, 5, 6], [7, 8, 0, 0], [1, 2, 9, 0]])
        return repr(lib.nn.utils.rnn.pack_padded_sequence(
            emb(padded), lib.tensor([4, 2, 3]), batch_first=True, enforce_sorted=False))

    want, got = run_both(run)
    assert got == want


@pytest.mark.parametrize("lengths", ["list2d", "tensor2d", "tensor0d"])
def test_pack_padded_sequence_lengths_must_be_1d(lengths):
    def case(lib):
        lens = {"list2d": [[5, 4, 3]], "tensor2d": lib.tensor([[5, 4, 3]]),
                "tensor0d": lib.tensor(5)}[lengths]
        return lib.nn.utils.rnn.pack_padded_sequence(lib.zeros(5, 3, 2), lens)

    same_error_case(case)


def test_lstm_cell_given_one_tensor_for_h_and_c():
    same_error_case(lambda lib: lib.nn.LSTMCell(4, 6)(lib.zeros(3, 4), lib.zeros(3, 6)))
    same_error_case(lambda lib: lib.nn.LSTMCell(4, 6)(lib.zeros(3, 4), lib.zeros(1, 3, 6)))


_STATE_DTYPES = [("RNN", "float64", None), ("RNN", "int64", None), ("GRU", "float16", None),
                 ("GRU", "float64", None), ("LSTM", "float64", "float32"),
                 ("LSTM", "int64", "float32"), ("LSTM", "float16", "float32"),
                 ("LSTM", "float32", "float64"), ("LSTM", "float64", "float64")]


@pytest.mark.parametrize("cls,h_dtype,c_dtype", _STATE_DTYPES)
@pytest.mark.parametrize("batched", [True, False])
def test_rnn_layer_state_of_another_dtype(cls, h_dtype, c_dtype, batched):
    def case(lib):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(4, 6, bidirectional=True)
        lead = (2, 3) if batched else (2,)
        h = lib.zeros(*lead, 6, dtype=getattr(lib, h_dtype))
        hx = (h, lib.zeros(*lead, 6, dtype=getattr(lib, c_dtype))) if c_dtype else h
        x = lib.zeros(5, 3, 4) if batched else lib.zeros(5, 4)
        out = m(x, hx)
        return str(out[0].dtype)  # reached only where both libraries accept the states

    want, got = run_both(case)
    assert got == want


@pytest.mark.parametrize("mode", ["double_model", "packed", "proj"])
def test_lstm_state_dtype_off_the_onednn_path(mode):
    def case(lib):
        lib.manual_seed(0)
        m = lib.nn.LSTM(4, 6, proj_size=2 if mode == "proj" else 0)
        x = lib.zeros(5, 2, 4)
        real = 2 if mode == "proj" else 6
        h, c = lib.zeros(1, 2, real, dtype=lib.float64), lib.zeros(1, 2, 6)
        if mode == "double_model":
            m, x = m.double(), x.double()
            h, c = h.float(), c.double()
        if mode == "packed":
            x = lib.nn.utils.rnn.pack_padded_sequence(x, [5, 3])
        return m(x, (h, c))

    same_error_case(case)


@pytest.mark.parametrize("cls", ["RNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_rnn_cell_state_of_another_dtype(cls, dtype):
    def case(lib):
        h = lib.zeros(3, 6, dtype=getattr(lib, dtype))
        return getattr(lib.nn, cls)(4, 6)(lib.zeros(3, 4), (h, h.float()) if cls == "LSTMCell"
                                          else h)

    same_error_case(case)


@pytest.mark.parametrize("offsets", ["float32", "float64"])
def test_embedding_bag_float_offsets(offsets):
    same_error_case(lambda lib: lib.nn.EmbeddingBag(10, 3)(
        lib.tensor([1, 2, 4, 5]), lib.tensor([1, 2], dtype=getattr(lib, offsets))))


@pytest.mark.parametrize("kinds", [("int16", "int64"), ("uint8", "int64"), ("int8", "int32")])
def test_embedding_bag_promotes_indices_with_offsets(kinds):
    def run(lib):
        w = seeded(lib, (10, 3))
        y = lib.nn.functional.embedding_bag(
            lib.tensor([1, 2, 4, 5], dtype=getattr(lib, kinds[0])), w,
            lib.tensor([0, 2], dtype=getattr(lib, kinds[1])))
        return y.numpy().tolist()

    want, got = run_both(run)
    assert got == want
    same_error_case(lambda lib: lib.nn.functional.embedding_bag(
        lib.tensor([1, 2], dtype=lib.int16), lib.zeros(10, 3), lib.tensor([0], dtype=lib.int8)))
