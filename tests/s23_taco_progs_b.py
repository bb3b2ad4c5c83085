"""NVIDIA/tacotron2 as users type it (tag: taco). This file: model.py's Decoder (LSTMCell
attention_rnn / decoder_rnn, get_go_frame, initialize_decoder_states, parse_decoder_inputs /
parse_decoder_outputs, decode, teacher-forced forward, inference stopping on the gate
sigmoid or max_decoder_steps) and the programs: train.py's loop (TextMelCollate, parse_batch,
Tacotron2Loss, clip_grad_norm_, Adam) for a few steps on random text ids and mel frames,
then inference.py's model.inference on one sequence."""

import contextlib
import io

import numpy as np
from s16_yunjey_progs import Out


def decoder_class(torch, LinearNorm, Prenet, Attention, get_mask_from_lengths):
    nn, F = torch.nn, torch.nn.functional  # from torch import nn; ... functional as F
    Variable = torch.autograd.Variable

    class Decoder(nn.Module):
        def __init__(self, hparams):
            super(Decoder, self).__init__()
            self.n_mel_channels = hparams.n_mel_channels
            self.n_frames_per_step = hparams.n_frames_per_step
            self.encoder_embedding_dim = hparams.encoder_embedding_dim
            self.attention_rnn_dim = hparams.attention_rnn_dim
            self.decoder_rnn_dim = hparams.decoder_rnn_dim
            self.prenet_dim = hparams.prenet_dim
            self.max_decoder_steps = hparams.max_decoder_steps
            self.gate_threshold = hparams.gate_threshold
            self.p_attention_dropout = hparams.p_attention_dropout
            self.p_decoder_dropout = hparams.p_decoder_dropout

            self.prenet = Prenet(
                hparams.n_mel_channels * hparams.n_frames_per_step,
                [hparams.prenet_dim, hparams.prenet_dim])

            self.attention_rnn = nn.LSTMCell(
                hparams.prenet_dim + hparams.encoder_embedding_dim,
                hparams.attention_rnn_dim)

            self.attention_layer = Attention(
                hparams.attention_rnn_dim, hparams.encoder_embedding_dim,
                hparams.attention_dim, hparams.attention_location_n_filters,
                hparams.attention_location_kernel_size)

            self.decoder_rnn = nn.LSTMCell(
                hparams.attention_rnn_dim + hparams.encoder_embedding_dim,
                hparams.decoder_rnn_dim, 1)

            self.linear_projection = LinearNorm(
                hparams.decoder_rnn_dim + hparams.encoder_embedding_dim,
                hparams.n_mel_channels * hparams.n_frames_per_step)

            self.gate_layer = LinearNorm(
                hparams.decoder_rnn_dim + hparams.encoder_embedding_dim, 1,
                bias=True, w_init_gain='sigmoid')

        def get_go_frame(self, memory):
            B = memory.size(0)
            decoder_input = Variable(memory.data.new(
                B, self.n_mel_channels * self.n_frames_per_step).zero_())
            return decoder_input

        def initialize_decoder_states(self, memory, mask):
            B = memory.size(0)
            MAX_TIME = memory.size(1)

            self.attention_hidden = Variable(memory.data.new(
                B, self.attention_rnn_dim).zero_())
            self.attention_cell = Variable(memory.data.new(
                B, self.attention_rnn_dim).zero_())

            self.decoder_hidden = Variable(memory.data.new(
                B, self.decoder_rnn_dim).zero_())
            self.decoder_cell = Variable(memory.data.new(
                B, self.decoder_rnn_dim).zero_())

            self.attention_weights = Variable(memory.data.new(
                B, MAX_TIME).zero_())
            self.attention_weights_cum = Variable(memory.data.new(
                B, MAX_TIME).zero_())
            self.attention_context = Variable(memory.data.new(
                B, self.encoder_embedding_dim).zero_())

            self.memory = memory
            self.processed_memory = self.attention_layer.memory_layer(memory)
            self.mask = mask

        def parse_decoder_inputs(self, decoder_inputs):
            # (B, n_mel_channels, T_out) -> (B, T_out, n_mel_channels)
            decoder_inputs = decoder_inputs.transpose(1, 2)
            decoder_inputs = decoder_inputs.view(
                decoder_inputs.size(0),
                int(decoder_inputs.size(1)/self.n_frames_per_step), -1)
            # (B, T_out/n_frames_ps, n_mel_channels*n_frames_ps) -> (T_out/n_frames_ps, B, n_mel_channels*n_frames_ps)
            decoder_inputs = decoder_inputs.transpose(0, 1)
            return decoder_inputs

        def parse_decoder_outputs(self, mel_outputs, gate_outputs, alignments):
            # (T_out, B) -> (B, T_out)
            alignments = torch.stack(alignments).transpose(0, 1)
            # (T_out, B) -> (B, T_out)
            gate_outputs = torch.stack(gate_outputs).transpose(0, 1)
            gate_outputs = gate_outputs.contiguous()
            # (T_out, B, n_mel_channels) -> (B, T_out, n_mel_channels)
            mel_outputs = torch.stack(mel_outputs).transpose(0, 1).contiguous()
            # decouple frames per step
            mel_outputs = mel_outputs.view(
                mel_outputs.size(0), -1, self.n_mel_channels)
            # (B, T_out, n_mel_channels) -> (B, n_mel_channels, T_out)
            mel_outputs = mel_outputs.transpose(1, 2)

            return mel_outputs, gate_outputs, alignments

        def decode(self, decoder_input):
            cell_input = torch.cat((decoder_input, self.attention_context), -1)
            self.attention_hidden, self.attention_cell = self.attention_rnn(
                cell_input, (self.attention_hidden, self.attention_cell))
            self.attention_hidden = F.dropout(
                self.attention_hidden, self.p_attention_dropout, self.training)

            attention_weights_cat = torch.cat(
                (self.attention_weights.unsqueeze(1),
                 self.attention_weights_cum.unsqueeze(1)), dim=1)
            self.attention_context, self.attention_weights = self.attention_layer(
                self.attention_hidden, self.memory, self.processed_memory,
                attention_weights_cat, self.mask)

            self.attention_weights_cum += self.attention_weights
            decoder_input = torch.cat(
                (self.attention_hidden, self.attention_context), -1)
            self.decoder_hidden, self.decoder_cell = self.decoder_rnn(
                decoder_input, (self.decoder_hidden, self.decoder_cell))
            self.decoder_hidden = F.dropout(
                self.decoder_hidden, self.p_decoder_dropout, self.training)

            decoder_hidden_attention_context = torch.cat(
                (self.decoder_hidden, self.attention_context), dim=1)
            decoder_output = self.linear_projection(
                decoder_hidden_attention_context)

            gate_prediction = self.gate_layer(decoder_hidden_attention_context)
            return decoder_output, gate_prediction, self.attention_weights

        def forward(self, memory, decoder_inputs, memory_lengths):
            decoder_input = self.get_go_frame(memory).unsqueeze(0)
            decoder_inputs = self.parse_decoder_inputs(decoder_inputs)
            decoder_inputs = torch.cat((decoder_input, decoder_inputs), dim=0)
            decoder_inputs = self.prenet(decoder_inputs)

            self.initialize_decoder_states(
                memory, mask=~get_mask_from_lengths(memory_lengths))

            mel_outputs, gate_outputs, alignments = [], [], []
            while len(mel_outputs) < decoder_inputs.size(0) - 1:
                decoder_input = decoder_inputs[len(mel_outputs)]
                mel_output, gate_output, attention_weights = self.decode(
                    decoder_input)
                mel_outputs += [mel_output.squeeze(1)]
                gate_outputs += [gate_output.squeeze(1)]
                alignments += [attention_weights]

            mel_outputs, gate_outputs, alignments = self.parse_decoder_outputs(
                mel_outputs, gate_outputs, alignments)

            return mel_outputs, gate_outputs, alignments

        def inference(self, memory):
            decoder_input = self.get_go_frame(memory)

            self.initialize_decoder_states(memory, mask=None)

            mel_outputs, gate_outputs, alignments = [], [], []
            while True:
                decoder_input = self.prenet(decoder_input)
                mel_output, gate_output, alignment = self.decode(decoder_input)

                mel_outputs += [mel_output.squeeze(1)]
                gate_outputs += [gate_output]
                alignments += [alignment]

                if torch.sigmoid(gate_output.data) > self.gate_threshold:
                    break
                elif len(mel_outputs) == self.max_decoder_steps:
                    print("Warning! Reached max decoder steps")
                    break

                decoder_input = mel_output

            mel_outputs, gate_outputs, alignments = self.parse_decoder_outputs(
                mel_outputs, gate_outputs, alignments)

            return mel_outputs, gate_outputs, alignments

    return Decoder


def _batch(torch, hp, rng):
    """Text-id / mel pairs of different lengths, as TextMelLoader's __getitem__ gives."""
    out = []
    for n_text, n_frames in ((5, 4), (7, 6)):
        text = torch.IntTensor(rng.integers(1, hp.n_symbols, n_text).tolist())
        mel = torch.from_numpy(rng.standard_normal((hp.n_mel_channels, n_frames))
                               .astype(np.float32))
        out.append((text, mel))
    return out


def tacotron2_train(torch):
    """train.py's loop for three steps, then inference.py's model.inference."""
    import s23_taco_progs as M
    o = Out()
    with o:
        torch.manual_seed(1234)
        rng = np.random.default_rng(0)
        hp = M.hparams()
        T = M.build(torch)
        model = T.Tacotron2(hp)
        o.print(T.get_mask_from_lengths(torch.LongTensor([3, 1, 2])))
        learning_rate = hp.learning_rate
        optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate,
                                     weight_decay=hp.weight_decay)
        criterion = T.Tacotron2Loss()
        collate_fn = T.TextMelCollate(hp.n_frames_per_step)
        batch = collate_fn(_batch(torch, hp, rng))
        o.print(batch[0].dtype, batch[1], batch[2].shape, batch[3], batch[4])
        model.train()
        for iteration in range(3):
            for param_group in optimizer.param_groups:
                param_group['lr'] = learning_rate
            model.zero_grad()
            x, y = model.parse_batch(batch)
            y_pred = model(x)

            loss = criterion(y_pred, y)
            reduced_loss = loss.item()
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(
                model.parameters(), hp.grad_clip_thresh)
            optimizer.step()
            o.print("Train loss {} {:.4f} Grad Norm {:.4f}".format(
                iteration, reduced_loss, grad_norm))
        o.vals += [y_pred[0], y_pred[1], y_pred[2], y_pred[3], grad_norm]
        o.print(y_pred[1].shape, y_pred[2].shape, y_pred[3].shape)
        o.print(y_pred[2][0, -2:], y_pred[3].sum(-1))
        # (a conv bias right before a training-mode BatchNorm gets a gradient that is zero
        # but for rounding; Adam scales that noise up to lr, so those are left out)
        o.vals += [p.detach().clone() for n, p in model.named_parameters()
                   if not (n.endswith('conv.bias') and 'convolutions' in n)]

        # inference.py: a checkpoint's state_dict into a fresh model (the trained model's
        # BatchNorm running means carry the rounding noise of the conv biases above)
        checkpoint = io.BytesIO()
        torch.save({'iteration': 3, 'state_dict': T.Tacotron2(hp).state_dict()}, checkpoint)
        checkpoint.seek(0)
        model = T.Tacotron2(hp)
        model.load_state_dict(torch.load(checkpoint)['state_dict'])
        _ = model.eval()
        sequence = np.array([3, 5, 7, 2, 9])[None, :]
        sequence = torch.autograd.Variable(torch.from_numpy(sequence)).long()
        buf = io.StringIO()
        with torch.no_grad(), contextlib.redirect_stdout(buf):
            mel_outputs, mel_outputs_postnet, _, alignments = model.inference(sequence)
        o.lines += buf.getvalue().splitlines()
        o.print(mel_outputs.shape, mel_outputs_postnet.shape, alignments.shape)
        o.vals += [mel_outputs, mel_outputs_postnet, alignments]
        o.print(alignments.data.cpu().numpy()[0].T.shape)
    return o.done()


def tacotron2_modules(torch):
    """The building blocks alone: LocationLayer / Attention with a memory mask, Prenet's
    dropout that stays on in eval(), Encoder with packing vs inference without, and
    calculate_gain for each w_init_gain."""
    import s23_taco_progs as M
    o = Out()
    with o:
        torch.manual_seed(0)
        T = M.build(torch)
        for g in ('linear', 'relu', 'tanh', 'sigmoid'):
            o.print(g, torch.nn.init.calculate_gain(g))
        att = T.Attention(6, 10, 4, 3, 5)
        memory = torch.randn(2, 7, 10)
        processed = att.memory_layer(memory)
        mask = ~T.get_mask_from_lengths(torch.tensor([7, 4]))
        cat = torch.zeros(2, 2, 7)
        ctx, w = att(torch.randn(2, 6), memory, processed, cat, mask)
        o.print(ctx.shape, w.shape, (w[1, 4:] == 0).all())
        o.vals += [ctx, w]
        pre = T.Prenet(8, [8, 8])
        pre.eval()
        y = pre(torch.ones(3, 8))
        o.print((y == 0).sum().item())
        o.vals += [y]
        hp = M.hparams()
        enc = T.Encoder(hp)
        enc.eval()
        x = torch.randn(2, hp.encoder_embedding_dim, 6)
        out = enc(x, torch.tensor([6, 3]))
        inf = enc.inference(x)
        o.print(out.shape, inf.shape, out[1, 3:].abs().sum().item())
        o.vals += [out, inf, (out[0] - inf[0]).abs().max()]
    return o.done()

