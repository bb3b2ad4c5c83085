"""SeanNaren/deepspeech.pytorch as users copy it: deepspeech_pytorch/model.py (SequenceWise,
MaskConv, InferenceBatchSoftmax, BatchRNN with pack_padded_sequence, Lookahead, DeepSpeech
with get_seq_lens and the conv / rnn stack), loader/data_loader.py (_collate_fn),
decoder.py (GreedyDecoder), utils.py (check_loss) and the training step (log_softmax,
nn.CTCLoss(blank, reduction='sum', zero_infinity=True), clip_grad_norm_, SGD nesterov,
ExponentialLR). Tiny spectrograms (batch 2, 1x16x20), a five-symbol alphabet, the
PyTorch-Lightning wrapper replaced by a plain nn.Module. Each program is
``prog(torch) -> (printed lines, values)``; see tests/test_programs_s21_speech.py."""

import math

import numpy as np
from s16_yunjey_progs import Out

LABELS = ["_", "'", "A", "B", " "]


def deepspeech_modules(torch):
    """The model.py classes, as the repository defines them."""
    nn, F = torch.nn, torch.nn.functional

    class SequenceWise(nn.Module):
        def __init__(self, module):
            super(SequenceWise, self).__init__()
            self.module = module

        def forward(self, x):
            t, n = x.size(0), x.size(1)
            x = x.view(t * n, -1)
            x = self.module(x)
            x = x.view(t, n, -1)
            return x

        def __repr__(self):
            tmpstr = self.__class__.__name__ + ' (\n'
            tmpstr += self.module.__repr__()
            tmpstr += ')'
            return tmpstr

    class MaskConv(nn.Module):
        def __init__(self, seq_module):
            super(MaskConv, self).__init__()
            self.seq_module = seq_module

        def forward(self, x, lengths):
            for module in self.seq_module:
                x = module(x)
                mask = torch.BoolTensor(x.size()).fill_(0)
                if x.is_cuda:
                    mask = mask.cuda()
                for i, length in enumerate(lengths):
                    length = length.item()
                    if (mask[i].size(2) - length) > 0:
                        mask[i].narrow(2, length, mask[i].size(2) - length).fill_(1)
                x = x.masked_fill(mask, 0)
            return x, lengths

    class InferenceBatchSoftmax(nn.Module):
        def forward(self, input_):
            if not self.training:
                return F.softmax(input_, dim=-1)
            else:
                return input_

    class BatchRNN(nn.Module):
        def __init__(self, input_size, hidden_size, rnn_type=nn.LSTM, bidirectional=False,
                     batch_norm=True):
            super(BatchRNN, self).__init__()
            self.input_size = input_size
            self.hidden_size = hidden_size
            self.bidirectional = bidirectional
            self.batch_norm = SequenceWise(nn.BatchNorm1d(input_size)) if batch_norm else None
            self.rnn = rnn_type(input_size=input_size, hidden_size=hidden_size,
                                bidirectional=bidirectional, bias=True)
            self.num_directions = 2 if bidirectional else 1

        def flatten_parameters(self):
            self.rnn.flatten_parameters()

        def forward(self, x, output_lengths):
            if self.batch_norm is not None:
                x = self.batch_norm(x)
            x = nn.utils.rnn.pack_padded_sequence(x, output_lengths)
            x, h = self.rnn(x)
            x, _ = nn.utils.rnn.pad_packed_sequence(x)
            if self.bidirectional:
                x = x.view(x.size(0), x.size(1), 2, -1).sum(2).view(x.size(0), x.size(1), -1)
            return x

    class Lookahead(nn.Module):
        def __init__(self, n_features, context):
            super(Lookahead, self).__init__()
            assert context > 0
            self.context = context
            self.n_features = n_features
            self.pad = (0, self.context - 1)
            self.conv = nn.Conv1d(self.n_features, self.n_features, kernel_size=self.context,
                                  stride=1, groups=self.n_features, padding=0, bias=False)

        def forward(self, x):
            x = x.transpose(0, 1).transpose(1, 2)
            x = F.pad(x, pad=self.pad, value=0)
            x = self.conv(x)
            x = x.transpose(1, 2).transpose(0, 1).contiguous()
            return x

        def __repr__(self):
            return self.__class__.__name__ + '(' \
                + 'n_features=' + str(self.n_features) \
                + ', context=' + str(self.context) + ')'

    class DeepSpeech(nn.Module):
        def __init__(self, labels, rnn_type, hidden_size, hidden_layers, bidirectional,
                     sample_rate=1500, window_size=0.02, lookahead_context=3):
            super(DeepSpeech, self).__init__()
            self.bidirectional = bidirectional
            self.labels = labels
            num_classes = len(self.labels)
            self.conv = MaskConv(nn.Sequential(
                nn.Conv2d(1, 8, kernel_size=(41, 11), stride=(2, 2), padding=(20, 5)),
                nn.BatchNorm2d(8),
                nn.Hardtanh(0, 20, inplace=True),
                nn.Conv2d(8, 8, kernel_size=(21, 11), stride=(2, 1), padding=(10, 5)),
                nn.BatchNorm2d(8),
                nn.Hardtanh(0, 20, inplace=True)
            ))
            rnn_input_size = int(math.floor((sample_rate * window_size) / 2) + 1)
            rnn_input_size = int(math.floor(rnn_input_size + 2 * 20 - 41) / 2 + 1)
            rnn_input_size = int(math.floor(rnn_input_size + 2 * 10 - 21) / 2 + 1)
            rnn_input_size *= 8
            self.rnns = nn.Sequential(
                BatchRNN(input_size=rnn_input_size, hidden_size=hidden_size,
                         rnn_type=rnn_type, bidirectional=self.bidirectional,
                         batch_norm=False),
                *(BatchRNN(input_size=hidden_size, hidden_size=hidden_size,
                           rnn_type=rnn_type, bidirectional=self.bidirectional)
                  for x in range(hidden_layers - 1))
            )
            self.lookahead = nn.Sequential(
                Lookahead(hidden_size, context=lookahead_context),
                nn.Hardtanh(0, 20, inplace=True)
            ) if not self.bidirectional else None
            fully_connected = nn.Sequential(
                nn.BatchNorm1d(hidden_size),
                nn.Linear(hidden_size, num_classes, bias=False)
            )
            self.fc = nn.Sequential(SequenceWise(fully_connected))
            self.inference_softmax = InferenceBatchSoftmax()
            self.criterion = nn.CTCLoss(blank=self.labels.index('_'), reduction='sum',
                                        zero_infinity=True)

        def forward(self, x, lengths):
            lengths = lengths.cpu().int()
            output_lengths = self.get_seq_lens(lengths)
            x, _ = self.conv(x, output_lengths)
            sizes = x.size()
            x = x.view(sizes[0], sizes[1] * sizes[2], sizes[3])
            x = x.transpose(1, 2).transpose(0, 1).contiguous()
            for rnn in self.rnns:
                x = rnn(x, output_lengths)
            if not self.bidirectional:
                x = self.lookahead(x)
            x = self.fc(x)
            x = x.transpose(0, 1)
            x = self.inference_softmax(x)
            return x, output_lengths

        def training_step(self, batch, batch_idx):
            inputs, targets, input_percentages, target_sizes = batch
            input_sizes = input_percentages.mul_(int(inputs.size(3))).int()
            out, output_sizes = self(inputs, input_sizes)
            out = out.transpose(0, 1)
            out = out.log_softmax(-1)
            loss = self.criterion(out, targets, output_sizes, target_sizes)
            return loss

        def get_seq_lens(self, input_length):
            seq_len = input_length
            for m in self.conv.modules():
                if type(m) == nn.modules.conv.Conv2d:
                    seq_len = ((seq_len + 2 * m.padding[1] - m.dilation[1]
                                * (m.kernel_size[1] - 1) - 1) // m.stride[1] + 1)
            return seq_len.int()

    return DeepSpeech, SequenceWise, Lookahead


def greedy_decoder(torch):
    """decoder.py: Decoder and GreedyDecoder (xrange as range)."""

    class Decoder(object):
        def __init__(self, labels, blank_index=0):
            self.labels = labels
            self.int_to_char = dict([(i, c) for (i, c) in enumerate(labels)])
            self.blank_index = blank_index
            space_index = len(labels)
            if ' ' in labels:
                space_index = labels.index(' ')
            self.space_index = space_index

    class GreedyDecoder(Decoder):
        def __init__(self, labels, blank_index=0):
            super(GreedyDecoder, self).__init__(labels, blank_index)

        def convert_to_strings(self, sequences, sizes=None, remove_repetitions=False,
                               return_offsets=False):
            strings = []
            offsets = [] if return_offsets else None
            for x in range(len(sequences)):
                seq_len = sizes[x] if sizes is not None else len(sequences[x])
                string, string_offsets = self.process_string(sequences[x], seq_len,
                                                             remove_repetitions)
                strings.append([string])
                if return_offsets:
                    offsets.append([string_offsets])
            if return_offsets:
                return strings, offsets
            else:
                return strings

        def process_string(self, sequence, size, remove_repetitions=False):
            string = ''
            offsets = []
            for i in range(size):
                char = self.int_to_char[sequence[i].item()]
                if char != self.int_to_char[self.blank_index]:
                    if remove_repetitions and i != 0 and \
                            char == self.int_to_char[sequence[i - 1].item()]:
                        pass
                    elif char == self.labels[self.space_index]:
                        string += ' '
                        offsets.append(i)
                    else:
                        string = string + char
                        offsets.append(i)
            return string, torch.tensor(offsets, dtype=torch.int)

        def decode(self, probs, sizes=None):
            _, max_probs = torch.max(probs, 2)
            strings, offsets = self.convert_to_strings(
                max_probs.view(max_probs.size(0), max_probs.size(1)), sizes,
                remove_repetitions=True, return_offsets=True)
            return strings, offsets

    return GreedyDecoder


def check_loss(torch):
    """utils.py: check_loss."""

    def check_loss(loss, loss_value):
        loss_valid = True
        error = ''
        if loss_value == float("inf") or loss_value == float("-inf"):
            loss_valid = False
            error = "WARNING: received an inf loss"
        elif torch.isnan(loss).sum() > 0:
            loss_valid = False
            error = 'WARNING: received a nan loss, setting loss value to 0'
        elif loss_value < 0:
            loss_valid = False
            error = "WARNING: received a negative loss"
        return loss_valid, error

    return check_loss


def collate_fn(torch):
    """loader/data_loader.py: _collate_fn."""

    def _collate_fn(batch):
        def func(p):
            return p[0].size(1)

        batch = sorted(batch, key=lambda sample: sample[0].size(1), reverse=True)
        longest_sample = max(batch, key=func)[0]
        freq_size = longest_sample.size(0)
        minibatch_size = len(batch)
        max_seqlength = longest_sample.size(1)
        inputs = torch.zeros(minibatch_size, 1, freq_size, max_seqlength)
        input_percentages = torch.FloatTensor(minibatch_size)
        target_sizes = torch.IntTensor(minibatch_size)
        targets = []
        for x in range(minibatch_size):
            sample = batch[x]
            tensor = sample[0]
            target = sample[1]
            seq_length = tensor.size(1)
            inputs[x][0].narrow(1, 0, seq_length).copy_(tensor)
            input_percentages[x] = seq_length / float(max_seqlength)
            target_sizes[x] = len(target)
            targets.extend(target)
        targets = torch.tensor(targets, dtype=torch.long)
        return inputs, targets, input_percentages, target_sizes

    return _collate_fn


def spectrogram_batches(torch, n_batches=2, seed=0):
    """AudioDataset stand-in: (spect 16 x T, transcript ids) pairs, collated."""
    rng = np.random.RandomState(seed)
    labels_map = dict([(LABELS[i], i) for i in range(len(LABELS))])
    texts = ["AB A", "BA'", "A B", "ABBA", "B'A", "AA B"]
    batches = []
    for b in range(n_batches):
        samples = []
        for j, t in enumerate((20, 16)):
            spect = rng.standard_normal((16, t)).astype(np.float32)
            spect = torch.FloatTensor(spect)
            mean, std = spect.mean(), spect.std()
            spect.add_(-mean)
            spect.div_(std)
            transcript = texts[(2 * b + j) % len(texts)]
            samples.append((spect, list(filter(None, [labels_map.get(x)
                                                      for x in list(transcript)]))))
        batches.append(collate_fn(torch)(samples))
    return batches


def _train(torch, o, model, batches, optimizer, scheduler, max_norm=400):
    check = check_loss(torch)
    for i, batch in enumerate(batches):
        loss = model.training_step(batch, i)
        loss_value = loss.item()
        valid_loss, error = check(loss, loss_value)
        if valid_loss:
            optimizer.zero_grad()
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(parameters=model.parameters(),
                                                  max_norm=max_norm)
            optimizer.step()
            o.print('Epoch: [{0}][{1}/{2}]\tLoss {3:.4f}'.format(
                1, i + 1, len(batches), loss_value))
            o.vals += [loss.detach(), norm]
        else:
            o.print(error)
        scheduler.step()
    o.print('lr', ['%.6f' % g['lr'] for g in optimizer.param_groups])


def deepspeech_bidirectional(torch):
    """BiDirectionalConfig (LSTM), SGD with nesterov, eval with GreedyDecoder."""
    torch.manual_seed(0)
    DeepSpeech, SequenceWise, Lookahead = deepspeech_modules(torch)
    GreedyDecoder = greedy_decoder(torch)
    with Out() as o:
        model = DeepSpeech(LABELS, torch.nn.LSTM, hidden_size=12, hidden_layers=2,
                           bidirectional=True)
        o.print(model.rnns[1].batch_norm)
        o.print(model.fc)
        o.print(sum(p.numel() for p in model.parameters()))
        batches = spectrogram_batches(torch)
        valid = spectrogram_batches(torch, n_batches=1, seed=5)
        inputs, targets, input_percentages, target_sizes = batches[0]
        o.print(inputs.shape, targets, input_percentages, target_sizes)
        optimizer = torch.optim.SGD(params=model.parameters(), lr=3e-4, momentum=0.9,
                                    nesterov=True, weight_decay=1e-5)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer=optimizer, gamma=0.99)
        model.train()
        _train(torch, o, model, batches, optimizer, scheduler)
        for name, p in model.named_parameters():
            if p.grad is not None and ('rnn' in name or 'fc' in name):
                o.print(name, tuple(p.grad.shape))
                o.vals.append(p.grad.norm())
        model.eval()
        decoder = GreedyDecoder(LABELS, blank_index=LABELS.index('_'))
        with torch.no_grad():
            inputs, targets, input_percentages, target_sizes = valid[0]
            input_sizes = input_percentages.mul_(int(inputs.size(3))).int()
            out, output_sizes = model(inputs, input_sizes)
            decoded_output, offsets = decoder.decode(out, output_sizes)
        o.print(out.shape, out.dtype, output_sizes, output_sizes.dtype)
        o.print(decoded_output)
        o.print(offsets)
        o.print(out.sum(-1)[0])
        o.vals += [out, model.fc[0].module[0].running_mean, model.fc[0].module[0].running_var]
    return o.lines, o.vals
