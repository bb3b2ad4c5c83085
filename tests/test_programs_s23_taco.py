"""Session 23: text-to-speech and neural-process programs as users type them: NVIDIA/tacotron2
(layers.py LinearNorm / ConvNorm with xavier_uniform_ and calculate_gain, utils.py
get_mask_from_lengths, model.py LocationLayer / Attention with the -inf memory mask, Prenet
with dropout always on, Postnet, Encoder with pack_padded_sequence through a bidirectional
LSTM, the LSTMCell Decoder teacher-forced and in inference, Tacotron2's parse_batch /
parse_output masks, data_utils.py TextMelCollate, loss_function.py Tacotron2Loss, train.py's
loop) and EmilienDupont/neural-processes (Encoder / MuSigmaEncoder / Decoder, NeuralProcess
with Normal rsample, NeuralProcessImg with byte masks, NeuralProcessTrainer with the
kl_divergence of two Normals, SineData, inpaint), in tests/s23_taco_progs*.py, with tiny
sizes and random data. Each runs on ember and on torch 2.13 and is compared live: printed
lines (losses with 4 decimals, reprs, shapes, warnings) exactly, values to rtol 1e-5 / atol
1e-6."""

import pytest
import s23_taco_progs_b as B
import s23_taco_progs_d as D
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.tacotron2_train, B.tacotron2_modules, D.np_sine, D.np_image]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
