"""bentrevett/pytorch-seq2seq tutorials 1-3 (LSTM encoder-decoder, GRU phrase model, Bahdanau
attention) as users type them, scaled down: random token-id batches in place of the torchtext
Multi30k iterators ([len, batch] tensors whose first row is <sos>, pad index 1), tiny dims, two
training steps and one evaluation, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s17_bentrevett.py."""

import math
import random

import numpy as np
from s16_yunjey_progs import Out

SEED = 1234
PAD, SOS, EOS = 1, 2, 3


def batches(L, n, src_vocab, trg_vocab, src_len, trg_len, batch, seed=0):
    """(src, trg) pairs of [len, batch] int64 ids: <sos> first, <eos> then <pad> at the end."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        pair = []
        for vocab, ln in ((src_vocab, src_len), (trg_vocab, trg_len)):
            x = rng.integers(4, vocab, (ln, batch))
            x[0] = SOS
            for b in range(batch):
                end = ln - 1 - b % 2
                x[end] = EOS
                x[end + 1:, b] = PAD
            pair.append(L.from_numpy(x))
        out.append(tuple(pair))
    return out


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def train(L, model, iterator, optimizer, criterion, clip, o):
    model.train()
    epoch_loss = 0
    for i, (src, trg) in enumerate(iterator):
        optimizer.zero_grad()
        output = model(src, trg)
        output_dim = output.shape[-1]
        output = output[1:].view(-1, output_dim)
        trg = trg[1:].view(-1)
        loss = criterion(output, trg)
        loss.backward()
        norm = L.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        epoch_loss += loss.item()
        o.print(f'step {i} loss {loss.item():.4f} norm {norm.item():.4f}')
        o.vals += [loss.item(), norm]
    return epoch_loss / len(iterator)


def evaluate(L, model, iterator, criterion):
    model.eval()
    epoch_loss = 0
    with L.no_grad():
        for i, (src, trg) in enumerate(iterator):
            output = model(src, trg, 0)  # turn off teacher forcing
            output_dim = output.shape[-1]
            output = output[1:].view(-1, output_dim)
            trg = trg[1:].view(-1)
            loss = criterion(output, trg)
            epoch_loss += loss.item()
    return epoch_loss / len(iterator)


def fit(L, model, o, data, clip=1, lr=None):
    optimizer = L.optim.Adam(model.parameters()) if lr is None else \
        L.optim.Adam(model.parameters(), lr=lr)
    criterion = L.nn.CrossEntropyLoss(ignore_index=PAD)
    train_loss = train(L, model, data[:2], optimizer, criterion, clip, o)
    valid_loss = evaluate(L, model, data[2:], criterion)
    o.print(f'| Epoch: {1:02} | Train Loss: {train_loss:.4f} | Train PPL: '
            f'{math.exp(train_loss):7.3f} | Val. Loss: {valid_loss:.4f} | Val. PPL: '
            f'{math.exp(valid_loss):7.3f} |')
    o.vals += [train_loss, valid_loss]
    o.vals += list(model.parameters())


def lstm_seq2seq(L):
    """1 - Sequence to Sequence Learning with Neural Networks."""
    nn = L.nn

    class Encoder(nn.Module):
        def __init__(self, input_dim, emb_dim, hid_dim, n_layers, dropout):
            super().__init__()
            self.hid_dim = hid_dim
            self.n_layers = n_layers
            self.embedding = nn.Embedding(input_dim, emb_dim)
            self.rnn = nn.LSTM(emb_dim, hid_dim, n_layers, dropout=dropout)
            self.dropout = nn.Dropout(dropout)

        def forward(self, src):
            embedded = self.dropout(self.embedding(src))
            outputs, (hidden, cell) = self.rnn(embedded)
            return hidden, cell

    class Decoder(nn.Module):
        def __init__(self, output_dim, emb_dim, hid_dim, n_layers, dropout):
            super().__init__()
            self.output_dim = output_dim
            self.hid_dim = hid_dim
            self.n_layers = n_layers
            self.embedding = nn.Embedding(output_dim, emb_dim)
            self.rnn = nn.LSTM(emb_dim, hid_dim, n_layers, dropout=dropout)
            self.fc_out = nn.Linear(hid_dim, output_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, input, hidden, cell):
            input = input.unsqueeze(0)
            embedded = self.dropout(self.embedding(input))
            output, (hidden, cell) = self.rnn(embedded, (hidden, cell))
            prediction = self.fc_out(output.squeeze(0))
            return prediction, hidden, cell

    class Seq2Seq(nn.Module):
        def __init__(self, encoder, decoder, device):
            super().__init__()
            self.encoder = encoder
            self.decoder = decoder
            self.device = device
            assert encoder.hid_dim == decoder.hid_dim, \
                "Hidden dimensions of encoder and decoder must be equal!"
            assert encoder.n_layers == decoder.n_layers, \
                "Encoder and decoder must have equal number of layers!"

        def forward(self, src, trg, teacher_forcing_ratio=0.5):
            batch_size = trg.shape[1]
            trg_len = trg.shape[0]
            trg_vocab_size = self.decoder.output_dim
            outputs = L.zeros(trg_len, batch_size, trg_vocab_size).to(self.device)
            hidden, cell = self.encoder(src)
            input = trg[0, :]
            for t in range(1, trg_len):
                output, hidden, cell = self.decoder(input, hidden, cell)
                outputs[t] = output
                teacher_force = random.random() < teacher_forcing_ratio
                top1 = output.argmax(1)
                input = trg[t] if teacher_force else top1
            return outputs

    with Out() as o:
        random.seed(SEED)
        L.manual_seed(SEED)
        L.backends.cudnn.deterministic = True
        device = L.device('cuda' if L.cuda.is_available() else 'cpu')
        INPUT_DIM, OUTPUT_DIM = 17, 19
        enc = Encoder(INPUT_DIM, 6, 8, 2, 0.5)
        dec = Decoder(OUTPUT_DIM, 6, 8, 2, 0.5)
        model = Seq2Seq(enc, dec, device).to(device)

        def init_weights(m):
            for name, param in m.named_parameters():
                nn.init.uniform_(param.data, -0.08, 0.08)

        o.print(model.apply(init_weights))
        o.print(f'The model has {count_parameters(model):,} trainable parameters')
        data = batches(L, 3, INPUT_DIM, OUTPUT_DIM, 7, 6, 4)
        fit(L, model, o, data, clip=1)
        out = model(*data[2], 0)
        o.print(out.shape, out.argmax(-1)[1:].T.tolist())
    return o.done()


def gru_phrase(L):
    """2 - Learning Phrase Representations using RNN Encoder-Decoder."""
    nn = L.nn

    class Encoder(nn.Module):
        def __init__(self, input_dim, emb_dim, hid_dim, dropout):
            super().__init__()
            self.hid_dim = hid_dim
            self.embedding = nn.Embedding(input_dim, emb_dim)
            self.rnn = nn.GRU(emb_dim, hid_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, src):
            embedded = self.dropout(self.embedding(src))
            outputs, hidden = self.rnn(embedded)
            return hidden

    class Decoder(nn.Module):
        def __init__(self, output_dim, emb_dim, hid_dim, dropout):
            super().__init__()
            self.hid_dim = hid_dim
            self.output_dim = output_dim
            self.embedding = nn.Embedding(output_dim, emb_dim)
            self.rnn = nn.GRU(emb_dim + hid_dim, hid_dim)
            self.fc_out = nn.Linear(emb_dim + hid_dim * 2, output_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, input, hidden, context):
            input = input.unsqueeze(0)
            embedded = self.dropout(self.embedding(input))
            emb_con = L.cat((embedded, context), dim=2)
            output, hidden = self.rnn(emb_con, hidden)
            output = L.cat((embedded.squeeze(0), hidden.squeeze(0), context.squeeze(0)),
                           dim=1)
            prediction = self.fc_out(output)
            return prediction, hidden

    class Seq2Seq(nn.Module):
        def __init__(self, encoder, decoder, device):
            super().__init__()
            self.encoder = encoder
            self.decoder = decoder
            self.device = device
            assert encoder.hid_dim == decoder.hid_dim

        def forward(self, src, trg, teacher_forcing_ratio=0.5):
            batch_size = trg.shape[1]
            trg_len = trg.shape[0]
            trg_vocab_size = self.decoder.output_dim
            outputs = L.zeros(trg_len, batch_size, trg_vocab_size).to(self.device)
            context = self.encoder(src)
            hidden = context
            input = trg[0, :]
            for t in range(1, trg_len):
                output, hidden = self.decoder(input, hidden, context)
                outputs[t] = output
                teacher_force = random.random() < teacher_forcing_ratio
                top1 = output.argmax(1)
                input = trg[t] if teacher_force else top1
            return outputs

    with Out() as o:
        random.seed(SEED)
        L.manual_seed(SEED)
        device = L.device('cpu')
        enc = Encoder(17, 6, 8, 0.5)
        dec = Decoder(19, 6, 8, 0.5)
        model = Seq2Seq(enc, dec, device).to(device)

        def init_weights(m):
            for name, param in m.named_parameters():
                nn.init.normal_(param.data, mean=0, std=0.01)

        o.print(model.apply(init_weights))
        o.print(f'The model has {count_parameters(model):,} trainable parameters')
        data = batches(L, 3, 17, 19, 6, 7, 3, seed=1)
        fit(L, model, o, data)
    return o.done()


def bahdanau(L):
    """3 - Neural Machine Translation by Jointly Learning to Align and Translate."""
    nn, F = L.nn, L.nn.functional

    class Encoder(nn.Module):
        def __init__(self, input_dim, emb_dim, enc_hid_dim, dec_hid_dim, dropout):
            super().__init__()
            self.embedding = nn.Embedding(input_dim, emb_dim)
            self.rnn = nn.GRU(emb_dim, enc_hid_dim, bidirectional=True)
            self.fc = nn.Linear(enc_hid_dim * 2, dec_hid_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, src):
            embedded = self.dropout(self.embedding(src))
            outputs, hidden = self.rnn(embedded)
            hidden = L.tanh(self.fc(L.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)))
            return outputs, hidden

    class Attention(nn.Module):
        def __init__(self, enc_hid_dim, dec_hid_dim):
            super().__init__()
            self.attn = nn.Linear((enc_hid_dim * 2) + dec_hid_dim, dec_hid_dim)
            self.v = nn.Linear(dec_hid_dim, 1, bias=False)

        def forward(self, hidden, encoder_outputs):
            batch_size = encoder_outputs.shape[1]
            src_len = encoder_outputs.shape[0]
            hidden = hidden.unsqueeze(1).repeat(1, src_len, 1)
            encoder_outputs = encoder_outputs.permute(1, 0, 2)
            energy = L.tanh(self.attn(L.cat((hidden, encoder_outputs), dim=2)))
            attention = self.v(energy).squeeze(2)
            return F.softmax(attention, dim=1)

    class Decoder(nn.Module):
        def __init__(self, output_dim, emb_dim, enc_hid_dim, dec_hid_dim, dropout, attention):
            super().__init__()
            self.output_dim = output_dim
            self.attention = attention
            self.embedding = nn.Embedding(output_dim, emb_dim)
            self.rnn = nn.GRU((enc_hid_dim * 2) + emb_dim, dec_hid_dim)
            self.fc_out = nn.Linear((enc_hid_dim * 2) + dec_hid_dim + emb_dim, output_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, input, hidden, encoder_outputs):
            input = input.unsqueeze(0)
            embedded = self.dropout(self.embedding(input))
            a = self.attention(hidden, encoder_outputs)
            a = a.unsqueeze(1)
            encoder_outputs = encoder_outputs.permute(1, 0, 2)
            weighted = L.bmm(a, encoder_outputs)
            weighted = weighted.permute(1, 0, 2)
            rnn_input = L.cat((embedded, weighted), dim=2)
            output, hidden = self.rnn(rnn_input, hidden.unsqueeze(0))
            assert (output == hidden).all()
            embedded = embedded.squeeze(0)
            output = output.squeeze(0)
            weighted = weighted.squeeze(0)
            prediction = self.fc_out(L.cat((output, weighted, embedded), dim=1))
            return prediction, hidden.squeeze(0)

    class Seq2Seq(nn.Module):
        def __init__(self, encoder, decoder, device):
            super().__init__()
            self.encoder = encoder
            self.decoder = decoder
            self.device = device

        def forward(self, src, trg, teacher_forcing_ratio=0.5):
            batch_size = src.shape[1]
            trg_len = trg.shape[0]
            trg_vocab_size = self.decoder.output_dim
            outputs = L.zeros(trg_len, batch_size, trg_vocab_size).to(self.device)
            encoder_outputs, hidden = self.encoder(src)
            input = trg[0, :]
            for t in range(1, trg_len):
                output, hidden = self.decoder(input, hidden, encoder_outputs)
                outputs[t] = output
                teacher_force = random.random() < teacher_forcing_ratio
                top1 = output.argmax(1)
                input = trg[t] if teacher_force else top1
            return outputs

    with Out() as o:
        random.seed(SEED)
        L.manual_seed(SEED)
        device = L.device('cpu')
        attn = Attention(8, 9)
        enc = Encoder(17, 6, 8, 9, 0.5)
        dec = Decoder(19, 6, 8, 9, 0.5, attn)
        model = Seq2Seq(enc, dec, device).to(device)

        def init_weights(m):
            for name, param in m.named_parameters():
                if 'weight' in name:
                    nn.init.normal_(param.data, mean=0, std=0.01)
                else:
                    nn.init.constant_(param.data, 0)

        o.print(model.apply(init_weights))
        o.print(f'The model has {count_parameters(model):,} trainable parameters')
        data = batches(L, 3, 17, 19, 7, 6, 3, seed=2)
        fit(L, model, o, data)
        a = attn(L.zeros(3, 9), model.encoder(data[0][0])[0])
        o.print(a.shape, a.sum(1))
        o.vals.append(a)
    return o.done()
