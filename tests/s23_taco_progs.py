"""NVIDIA/tacotron2 as users type it (tag: taco). This file: layers.py (LinearNorm / ConvNorm
with xavier_uniform_ and calculate_gain), utils.py (get_mask_from_lengths with arange(out=)),
model.py (LocationLayer, Attention with the -inf memory mask and bmm context, Prenet with
dropout always on, Postnet, Encoder with pack_padded_sequence through a bidirectional LSTM,
Decoder with LSTMCells, teacher forcing and inference, Tacotron2 with parse_batch /
parse_output), data_utils.py's TextMelCollate and loss_function.py's Tacotron2Loss, built
for a given library. Tiny hparams (n_mel 8, embedding 16, batch 2, 6 decoder steps); no GPU
(to_gpu keeps the tensor on the CPU)."""

from math import sqrt
from types import SimpleNamespace


def hparams():
    return SimpleNamespace(
        mask_padding=True, fp16_run=False, n_mel_channels=8, n_symbols=12,
        symbols_embedding_dim=16, encoder_kernel_size=5, encoder_n_convolutions=2,
        encoder_embedding_dim=16, n_frames_per_step=1, decoder_rnn_dim=16, prenet_dim=8,
        max_decoder_steps=6, gate_threshold=0.5, p_attention_dropout=0.1,
        p_decoder_dropout=0.1, attention_rnn_dim=16, attention_dim=8,
        attention_location_n_filters=4, attention_location_kernel_size=5,
        postnet_embedding_dim=8, postnet_kernel_size=5, postnet_n_convolutions=3,
        learning_rate=1e-3, weight_decay=1e-6, grad_clip_thresh=1.0)


def build(torch):
    """The repository's modules, written against ``torch`` (either library)."""
    nn, F = torch.nn, torch.nn.functional  # from torch import nn; ... functional as F

    class LinearNorm(torch.nn.Module):
        def __init__(self, in_dim, out_dim, bias=True, w_init_gain='linear'):
            super(LinearNorm, self).__init__()
            self.linear_layer = torch.nn.Linear(in_dim, out_dim, bias=bias)

            torch.nn.init.xavier_uniform_(
                self.linear_layer.weight,
                gain=torch.nn.init.calculate_gain(w_init_gain))

        def forward(self, x):
            return self.linear_layer(x)

    class ConvNorm(torch.nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size=1, stride=1,
                     padding=None, dilation=1, bias=True, w_init_gain='linear'):
            super(ConvNorm, self).__init__()
            if padding is None:
                assert(kernel_size % 2 == 1)
                padding = int(dilation * (kernel_size - 1) / 2)

            self.conv = torch.nn.Conv1d(in_channels, out_channels,
                                        kernel_size=kernel_size, stride=stride,
                                        padding=padding, dilation=dilation,
                                        bias=bias)

            torch.nn.init.xavier_uniform_(
                self.conv.weight, gain=torch.nn.init.calculate_gain(w_init_gain))

        def forward(self, signal):
            conv_signal = self.conv(signal)
            return conv_signal

    def get_mask_from_lengths(lengths):
        max_len = torch.max(lengths).item()
        ids = torch.arange(0, max_len, out=torch.LongTensor(max_len))
        mask = (ids < lengths.unsqueeze(1)).bool()
        return mask

    def to_gpu(x):
        x = x.contiguous()
        return torch.autograd.Variable(x)

    class LocationLayer(nn.Module):
        def __init__(self, attention_n_filters, attention_kernel_size,
                     attention_dim):
            super(LocationLayer, self).__init__()
            padding = int((attention_kernel_size - 1) / 2)
            self.location_conv = ConvNorm(2, attention_n_filters,
                                          kernel_size=attention_kernel_size,
                                          padding=padding, bias=False, stride=1,
                                          dilation=1)
            self.location_dense = LinearNorm(attention_n_filters, attention_dim,
                                             bias=False, w_init_gain='tanh')

        def forward(self, attention_weights_cat):
            processed_attention = self.location_conv(attention_weights_cat)
            processed_attention = processed_attention.transpose(1, 2)
            processed_attention = self.location_dense(processed_attention)
            return processed_attention

    class Attention(nn.Module):
        def __init__(self, attention_rnn_dim, embedding_dim, attention_dim,
                     attention_location_n_filters, attention_location_kernel_size):
            super(Attention, self).__init__()
            self.query_layer = LinearNorm(attention_rnn_dim, attention_dim,
                                          bias=False, w_init_gain='tanh')
            self.memory_layer = LinearNorm(embedding_dim, attention_dim, bias=False,
                                           w_init_gain='tanh')
            self.v = LinearNorm(attention_dim, 1, bias=False)
            self.location_layer = LocationLayer(attention_location_n_filters,
                                                attention_location_kernel_size,
                                                attention_dim)
            self.score_mask_value = -float("inf")

        def get_alignment_energies(self, query, processed_memory,
                                   attention_weights_cat):
            processed_query = self.query_layer(query.unsqueeze(1))
            processed_attention_weights = self.location_layer(attention_weights_cat)
            energies = self.v(torch.tanh(
                processed_query + processed_attention_weights + processed_memory))

            energies = energies.squeeze(-1)
            return energies

        def forward(self, attention_hidden_state, memory, processed_memory,
                    attention_weights_cat, mask):
            alignment = self.get_alignment_energies(
                attention_hidden_state, processed_memory, attention_weights_cat)

            if mask is not None:
                alignment.data.masked_fill_(mask, self.score_mask_value)

            attention_weights = F.softmax(alignment, dim=1)
            attention_context = torch.bmm(attention_weights.unsqueeze(1), memory)
            attention_context = attention_context.squeeze(1)

            return attention_context, attention_weights

    class Prenet(nn.Module):
        def __init__(self, in_dim, sizes):
            super(Prenet, self).__init__()
            in_sizes = [in_dim] + sizes[:-1]
            self.layers = nn.ModuleList(
                [LinearNorm(in_size, out_size, bias=False)
                 for (in_size, out_size) in zip(in_sizes, sizes)])

        def forward(self, x):
            for linear in self.layers:
                x = F.dropout(F.relu(linear(x)), p=0.5, training=True)
            return x

    class Postnet(nn.Module):
        def __init__(self, hparams):
            super(Postnet, self).__init__()
            self.convolutions = nn.ModuleList()
            k = hparams.postnet_kernel_size
            self.convolutions.append(
                nn.Sequential(
                    ConvNorm(hparams.n_mel_channels, hparams.postnet_embedding_dim,
                             kernel_size=k, stride=1, padding=int((k - 1) / 2),
                             dilation=1, w_init_gain='tanh'),
                    nn.BatchNorm1d(hparams.postnet_embedding_dim))
            )
            for i in range(1, hparams.postnet_n_convolutions - 1):
                self.convolutions.append(
                    nn.Sequential(
                        ConvNorm(hparams.postnet_embedding_dim,
                                 hparams.postnet_embedding_dim,
                                 kernel_size=k, stride=1, padding=int((k - 1) / 2),
                                 dilation=1, w_init_gain='tanh'),
                        nn.BatchNorm1d(hparams.postnet_embedding_dim))
                )
            self.convolutions.append(
                nn.Sequential(
                    ConvNorm(hparams.postnet_embedding_dim, hparams.n_mel_channels,
                             kernel_size=k, stride=1, padding=int((k - 1) / 2),
                             dilation=1, w_init_gain='linear'),
                    nn.BatchNorm1d(hparams.n_mel_channels))
            )

        def forward(self, x):
            for i in range(len(self.convolutions) - 1):
                x = F.dropout(torch.tanh(self.convolutions[i](x)), 0.5, self.training)
            x = F.dropout(self.convolutions[-1](x), 0.5, self.training)
            return x

    class Encoder(nn.Module):
        def __init__(self, hparams):
            super(Encoder, self).__init__()
            convolutions = []
            for _ in range(hparams.encoder_n_convolutions):
                conv_layer = nn.Sequential(
                    ConvNorm(hparams.encoder_embedding_dim,
                             hparams.encoder_embedding_dim,
                             kernel_size=hparams.encoder_kernel_size, stride=1,
                             padding=int((hparams.encoder_kernel_size - 1) / 2),
                             dilation=1, w_init_gain='relu'),
                    nn.BatchNorm1d(hparams.encoder_embedding_dim))
                convolutions.append(conv_layer)
            self.convolutions = nn.ModuleList(convolutions)

            self.lstm = nn.LSTM(hparams.encoder_embedding_dim,
                                int(hparams.encoder_embedding_dim / 2), 1,
                                batch_first=True, bidirectional=True)

        def forward(self, x, input_lengths):
            for conv in self.convolutions:
                x = F.dropout(F.relu(conv(x)), 0.5, self.training)

            x = x.transpose(1, 2)

            # pytorch tensor are not reversible, hence the conversion
            input_lengths = input_lengths.cpu().numpy()
            x = nn.utils.rnn.pack_padded_sequence(
                x, input_lengths, batch_first=True)

            self.lstm.flatten_parameters()
            outputs, _ = self.lstm(x)

            outputs, _ = nn.utils.rnn.pad_packed_sequence(
                outputs, batch_first=True)

            return outputs

        def inference(self, x):
            for conv in self.convolutions:
                x = F.dropout(F.relu(conv(x)), 0.5, self.training)

            x = x.transpose(1, 2)

            self.lstm.flatten_parameters()
            outputs, _ = self.lstm(x)

            return outputs

    from s23_taco_progs_b import decoder_class
    Decoder = decoder_class(torch, LinearNorm, Prenet, Attention, get_mask_from_lengths)

    class Tacotron2(nn.Module):
        def __init__(self, hparams):
            super(Tacotron2, self).__init__()
            self.mask_padding = hparams.mask_padding
            self.fp16_run = hparams.fp16_run
            self.n_mel_channels = hparams.n_mel_channels
            self.n_frames_per_step = hparams.n_frames_per_step
            self.embedding = nn.Embedding(
                hparams.n_symbols, hparams.symbols_embedding_dim)
            std = sqrt(2.0 / (hparams.n_symbols + hparams.symbols_embedding_dim))
            val = sqrt(3.0) * std  # uniform bounds for std
            self.embedding.weight.data.uniform_(-val, val)
            self.encoder = Encoder(hparams)
            self.decoder = Decoder(hparams)
            self.postnet = Postnet(hparams)

        def parse_batch(self, batch):
            text_padded, input_lengths, mel_padded, gate_padded, \
                output_lengths = batch
            text_padded = to_gpu(text_padded).long()
            input_lengths = to_gpu(input_lengths).long()
            max_len = torch.max(input_lengths.data).item()
            mel_padded = to_gpu(mel_padded).float()
            gate_padded = to_gpu(gate_padded).float()
            output_lengths = to_gpu(output_lengths).long()

            return (
                (text_padded, input_lengths, mel_padded, max_len, output_lengths),
                (mel_padded, gate_padded))

        def parse_output(self, outputs, output_lengths=None):
            if self.mask_padding and output_lengths is not None:
                mask = ~get_mask_from_lengths(output_lengths)
                mask = mask.expand(self.n_mel_channels, mask.size(0), mask.size(1))
                mask = mask.permute(1, 0, 2)

                outputs[0].data.masked_fill_(mask, 0.0)
                outputs[1].data.masked_fill_(mask, 0.0)
                outputs[2].data.masked_fill_(mask[:, 0, :], 1e3)  # gate energies

            return outputs

        def forward(self, inputs):
            text_inputs, text_lengths, mels, max_len, output_lengths = inputs
            text_lengths, output_lengths = text_lengths.data, output_lengths.data

            embedded_inputs = self.embedding(text_inputs).transpose(1, 2)

            encoder_outputs = self.encoder(embedded_inputs, text_lengths)

            mel_outputs, gate_outputs, alignments = self.decoder(
                encoder_outputs, mels, memory_lengths=text_lengths)

            mel_outputs_postnet = self.postnet(mel_outputs)
            mel_outputs_postnet = mel_outputs + mel_outputs_postnet

            return self.parse_output(
                [mel_outputs, mel_outputs_postnet, gate_outputs, alignments],
                output_lengths)

        def inference(self, inputs):
            embedded_inputs = self.embedding(inputs).transpose(1, 2)
            encoder_outputs = self.encoder.inference(embedded_inputs)
            mel_outputs, gate_outputs, alignments = self.decoder.inference(
                encoder_outputs)

            mel_outputs_postnet = self.postnet(mel_outputs)
            mel_outputs_postnet = mel_outputs + mel_outputs_postnet

            outputs = self.parse_output(
                [mel_outputs, mel_outputs_postnet, gate_outputs, alignments])

            return outputs

    class TextMelCollate():
        """ Zero-pads model inputs and targets based on number of frames per setep
        """
        def __init__(self, n_frames_per_step):
            self.n_frames_per_step = n_frames_per_step

        def __call__(self, batch):
            # Right zero-pad all one-hot text sequences to max input length
            input_lengths, ids_sorted_decreasing = torch.sort(
                torch.LongTensor([len(x[0]) for x in batch]),
                dim=0, descending=True)
            max_input_len = input_lengths[0]

            text_padded = torch.LongTensor(len(batch), max_input_len)
            text_padded.zero_()
            for i in range(len(ids_sorted_decreasing)):
                text = batch[ids_sorted_decreasing[i]][0]
                text_padded[i, :text.size(0)] = text

            # Right zero-pad mel-spec
            num_mels = batch[0][1].size(0)
            max_target_len = max([x[1].size(1) for x in batch])
            if max_target_len % self.n_frames_per_step != 0:
                max_target_len += self.n_frames_per_step - max_target_len % self.n_frames_per_step
                assert max_target_len % self.n_frames_per_step == 0

            # include mel padded and gate padded
            mel_padded = torch.FloatTensor(len(batch), num_mels, max_target_len)
            mel_padded.zero_()
            gate_padded = torch.FloatTensor(len(batch), max_target_len)
            gate_padded.zero_()
            output_lengths = torch.LongTensor(len(batch))
            for i in range(len(ids_sorted_decreasing)):
                mel = batch[ids_sorted_decreasing[i]][1]
                mel_padded[i, :, :mel.size(1)] = mel
                gate_padded[i, mel.size(1)-1:] = 1
                output_lengths[i] = mel.size(1)

            return text_padded, input_lengths, mel_padded, gate_padded, \
                output_lengths

    class Tacotron2Loss(nn.Module):
        def __init__(self):
            super(Tacotron2Loss, self).__init__()

        def forward(self, model_output, targets):
            mel_target, gate_target = targets[0], targets[1]
            mel_target.requires_grad = False
            gate_target.requires_grad = False
            gate_target = gate_target.view(-1, 1)

            mel_out, mel_out_postnet, gate_out, _ = model_output
            gate_out = gate_out.view(-1, 1)
            mel_loss = nn.MSELoss()(mel_out, mel_target) + \
                nn.MSELoss()(mel_out_postnet, mel_target)
            gate_loss = nn.BCEWithLogitsLoss()(gate_out, gate_target)
            return mel_loss + gate_loss

    return SimpleNamespace(
        LinearNorm=LinearNorm, ConvNorm=ConvNorm, get_mask_from_lengths=get_mask_from_lengths,
        Attention=Attention, Prenet=Prenet, Postnet=Postnet, Encoder=Encoder,
        Decoder=Decoder, Tacotron2=Tacotron2, TextMelCollate=TextMelCollate,
        Tacotron2Loss=Tacotron2Loss)
