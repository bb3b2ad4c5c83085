"""bentrevett/pytorch-seq2seq tutorials 4-6 (packed padded sequences with masking and
inference, convolutional seq2seq, the Transformer) as users type them, scaled down on random
token ids (pad 1, <sos> 2, <eos> 3), as ``prog(L) -> (printed, values)``."""

import math
import random

import numpy as np
from s16_yunjey_progs import Out
from s17_bentrevett_progs import EOS, PAD, SEED, SOS, count_parameters


def padded(L, rng, vocab, lengths, sos=True):
    """[max len, batch] ids: <sos> w... <eos> then <pad>, one column per length."""
    x = np.full((max(lengths), len(lengths)), PAD)
    for b, n in enumerate(lengths):
        x[:n, b] = rng.integers(4, vocab, n)
        if sos:
            x[0, b] = SOS
        x[n - 1, b] = EOS
    return L.from_numpy(x)


def packed_attention(L):
    """4 - Packed Padded Sequences, Masking, Inference and BLEU."""
    nn, F = L.nn, L.nn.functional

    class Encoder(nn.Module):
        def __init__(self, input_dim, emb_dim, enc_hid_dim, dec_hid_dim, dropout):
            super().__init__()
            self.embedding = nn.Embedding(input_dim, emb_dim)
            self.rnn = nn.GRU(emb_dim, enc_hid_dim, bidirectional=True)
            self.fc = nn.Linear(enc_hid_dim * 2, dec_hid_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, src, src_len):
            embedded = self.dropout(self.embedding(src))
            packed_embedded = nn.utils.rnn.pack_padded_sequence(embedded, src_len.to('cpu'))
            packed_outputs, hidden = self.rnn(packed_embedded)
            outputs, _ = nn.utils.rnn.pad_packed_sequence(packed_outputs)
            hidden = L.tanh(self.fc(L.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)))
            return outputs, hidden

    class Attention(nn.Module):
        def __init__(self, enc_hid_dim, dec_hid_dim):
            super().__init__()
            self.attn = nn.Linear((enc_hid_dim * 2) + dec_hid_dim, dec_hid_dim)
            self.v = nn.Linear(dec_hid_dim, 1, bias=False)

        def forward(self, hidden, encoder_outputs, mask):
            src_len = encoder_outputs.shape[0]
            hidden = hidden.unsqueeze(1).repeat(1, src_len, 1)
            encoder_outputs = encoder_outputs.permute(1, 0, 2)
            energy = L.tanh(self.attn(L.cat((hidden, encoder_outputs), dim=2)))
            attention = self.v(energy).squeeze(2)
            attention = attention.masked_fill(mask == 0, -1e10)
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

        def forward(self, input, hidden, encoder_outputs, mask):
            input = input.unsqueeze(0)
            embedded = self.dropout(self.embedding(input))
            a = self.attention(hidden, encoder_outputs, mask)
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
            return prediction, hidden.squeeze(0), a.squeeze(1)

    class Seq2Seq(nn.Module):
        def __init__(self, encoder, decoder, src_pad_idx, device):
            super().__init__()
            self.encoder = encoder
            self.decoder = decoder
            self.src_pad_idx = src_pad_idx
            self.device = device

        def create_mask(self, src):
            mask = (src != self.src_pad_idx).permute(1, 0)
            return mask

        def forward(self, src, src_len, trg, teacher_forcing_ratio=0.5):
            batch_size = src.shape[1]
            trg_len = trg.shape[0]
            trg_vocab_size = self.decoder.output_dim
            outputs = L.zeros(trg_len, batch_size, trg_vocab_size).to(self.device)
            encoder_outputs, hidden = self.encoder(src, src_len)
            input = trg[0, :]
            mask = self.create_mask(src)
            for t in range(1, trg_len):
                output, hidden, _ = self.decoder(input, hidden, encoder_outputs, mask)
                outputs[t] = output
                teacher_force = random.random() < teacher_forcing_ratio
                top1 = output.argmax(1)
                input = trg[t] if teacher_force else top1
            return outputs

    def translate_sentence(src_indexes, model, device, max_len=50):
        model.eval()
        src_tensor = L.LongTensor(src_indexes).unsqueeze(1).to(device)
        src_len = L.LongTensor([len(src_indexes)])
        with L.no_grad():
            encoder_outputs, hidden = model.encoder(src_tensor, src_len)
        mask = model.create_mask(src_tensor)
        trg_indexes = [SOS]
        attentions = L.zeros(max_len, 1, len(src_indexes)).to(device)
        for i in range(max_len):
            trg_tensor = L.LongTensor([trg_indexes[-1]]).to(device)
            with L.no_grad():
                output, hidden, attention = model.decoder(trg_tensor, hidden, encoder_outputs,
                                                          mask)
            attentions[i] = attention
            pred_token = output.argmax(1).item()
            trg_indexes.append(pred_token)
            if pred_token == EOS:
                break
        return trg_indexes[1:], attentions[:len(trg_indexes) - 1]

    with Out() as o:
        random.seed(SEED)
        L.manual_seed(SEED)
        device = L.device('cpu')
        attn = Attention(8, 9)
        enc = Encoder(17, 6, 8, 9, 0.5)
        dec = Decoder(19, 6, 8, 9, 0.5, attn)
        model = Seq2Seq(enc, dec, PAD, device).to(device)

        def init_weights(m):
            for name, param in m.named_parameters():
                if 'weight' in name:
                    nn.init.normal_(param.data, mean=0, std=0.01)
                else:
                    nn.init.constant_(param.data, 0)

        o.print(model.apply(init_weights))
        o.print(f'The model has {count_parameters(model):,} trainable parameters')
        optimizer = L.optim.Adam(model.parameters())
        criterion = nn.CrossEntropyLoss(ignore_index=PAD)
        rng = np.random.default_rng(4)
        model.train()
        for step in range(2):
            lens = sorted(rng.integers(3, 8, 4).tolist(), reverse=True)  # sort_within_batch
            src, src_len = padded(L, rng, 17, lens), L.tensor(lens)
            trg = padded(L, rng, 19, rng.integers(3, 7, 4).tolist())
            optimizer.zero_grad()
            output = model(src, src_len, trg)
            output_dim = output.shape[-1]
            loss = criterion(output[1:].view(-1, output_dim), trg[1:].view(-1))
            loss.backward()
            L.nn.utils.clip_grad_norm_(model.parameters(), 1)
            optimizer.step()
            o.print(f'step {step} loss {loss.item():.4f} PPL {math.exp(loss.item()):7.3f}')
            o.vals += [loss.item()] + list(model.parameters())
        o.tryit(lambda: model(padded(L, rng, 17, [3, 5]), L.tensor([3, 5]), trg[:, :2]))
        translation, attention = translate_sentence([2, 5, 9, 11, 3], model, device, max_len=6)
        o.print(f'predicted trg = {translation}')
        o.print(attention.shape)
        o.vals.append(attention)
    return o.done()


def conv_seq2seq(L):
    """5 - Convolutional Sequence to Sequence Learning."""
    nn, F = L.nn, L.nn.functional

    class Encoder(nn.Module):
        def __init__(self, input_dim, emb_dim, hid_dim, n_layers, kernel_size, dropout, device,
                     max_length=100):
            super().__init__()
            assert kernel_size % 2 == 1, "Kernel size must be odd!"
            self.device = device
            self.scale = L.sqrt(L.FloatTensor([0.5])).to(device)
            self.tok_embedding = nn.Embedding(input_dim, emb_dim)
            self.pos_embedding = nn.Embedding(max_length, emb_dim)
            self.emb2hid = nn.Linear(emb_dim, hid_dim)
            self.hid2emb = nn.Linear(hid_dim, emb_dim)
            self.convs = nn.ModuleList([nn.Conv1d(in_channels=hid_dim,
                                                  out_channels=2 * hid_dim,
                                                  kernel_size=kernel_size,
                                                  padding=(kernel_size - 1) // 2)
                                        for _ in range(n_layers)])
            self.dropout = nn.Dropout(dropout)

        def forward(self, src):
            batch_size = src.shape[0]
            src_len = src.shape[1]
            pos = L.arange(0, src_len).unsqueeze(0).repeat(batch_size, 1).to(self.device)
            tok_embedded = self.tok_embedding(src)
            pos_embedded = self.pos_embedding(pos)
            embedded = self.dropout(tok_embedded + pos_embedded)
            conv_input = self.emb2hid(embedded)
            conv_input = conv_input.permute(0, 2, 1)
            for i, conv in enumerate(self.convs):
                conved = conv(self.dropout(conv_input))
                conved = F.glu(conved, dim=1)
                conved = (conved + conv_input) * self.scale
                conv_input = conved
            conved = self.hid2emb(conved.permute(0, 2, 1))
            combined = (conved + embedded) * self.scale
            return conved, combined

    class Decoder(nn.Module):
        def __init__(self, output_dim, emb_dim, hid_dim, n_layers, kernel_size, dropout,
                     trg_pad_idx, device, max_length=100):
            super().__init__()
            self.kernel_size = kernel_size
            self.trg_pad_idx = trg_pad_idx
            self.device = device
            self.scale = L.sqrt(L.FloatTensor([0.5])).to(device)
            self.tok_embedding = nn.Embedding(output_dim, emb_dim)
            self.pos_embedding = nn.Embedding(max_length, emb_dim)
            self.emb2hid = nn.Linear(emb_dim, hid_dim)
            self.hid2emb = nn.Linear(hid_dim, emb_dim)
            self.attn_hid2emb = nn.Linear(hid_dim, emb_dim)
            self.attn_emb2hid = nn.Linear(emb_dim, hid_dim)
            self.fc_out = nn.Linear(emb_dim, output_dim)
            self.convs = nn.ModuleList([nn.Conv1d(in_channels=hid_dim,
                                                  out_channels=2 * hid_dim,
                                                  kernel_size=kernel_size)
                                        for _ in range(n_layers)])
            self.dropout = nn.Dropout(dropout)

        def calculate_attention(self, embedded, conved, encoder_conved, encoder_combined):
            conved_emb = self.attn_hid2emb(conved.permute(0, 2, 1))
            combined = (conved_emb + embedded) * self.scale
            energy = L.matmul(combined, encoder_conved.permute(0, 2, 1))
            attention = F.softmax(energy, dim=2)
            attended_encoding = L.matmul(attention, encoder_combined)
            attended_encoding = self.attn_emb2hid(attended_encoding)
            attended_combined = (conved + attended_encoding.permute(0, 2, 1)) * self.scale
            return attention, attended_combined

        def forward(self, trg, encoder_conved, encoder_combined):
            batch_size = trg.shape[0]
            trg_len = trg.shape[1]
            pos = L.arange(0, trg_len).unsqueeze(0).repeat(batch_size, 1).to(self.device)
            tok_embedded = self.tok_embedding(trg)
            pos_embedded = self.pos_embedding(pos)
            embedded = self.dropout(tok_embedded + pos_embedded)
            conv_input = self.emb2hid(embedded)
            conv_input = conv_input.permute(0, 2, 1)
            batch_size = conv_input.shape[0]
            hid_dim = conv_input.shape[1]
            for i, conv in enumerate(self.convs):
                conv_input = self.dropout(conv_input)
                padding = L.zeros(batch_size, hid_dim, self.kernel_size - 1).fill_(
                    self.trg_pad_idx).to(self.device)
                padded_conv_input = L.cat((padding, conv_input), dim=2)
                conved = conv(padded_conv_input)
                conved = F.glu(conved, dim=1)
                attention, conved = self.calculate_attention(embedded, conved, encoder_conved,
                                                             encoder_combined)
                conved = (conved + conv_input) * self.scale
                conv_input = conved
            conved = self.hid2emb(conved.permute(0, 2, 1))
            output = self.fc_out(self.dropout(conved))
            return output, attention

    class Seq2Seq(nn.Module):
        def __init__(self, encoder, decoder):
            super().__init__()
            self.encoder = encoder
            self.decoder = decoder

        def forward(self, src, trg):
            encoder_conved, encoder_combined = self.encoder(src)
            output, attention = self.decoder(trg, encoder_conved, encoder_combined)
            return output, attention

    with Out() as o:
        L.manual_seed(SEED)
        device = L.device('cpu')
        enc = Encoder(17, 6, 8, 2, 3, 0.25, device)
        dec = Decoder(19, 6, 8, 2, 3, 0.25, PAD, device)
        model = Seq2Seq(enc, dec).to(device)
        o.print(model)
        o.print(f'The model has {count_parameters(model):,} trainable parameters')
        optimizer = L.optim.Adam(model.parameters())
        criterion = nn.CrossEntropyLoss(ignore_index=PAD)
        rng = np.random.default_rng(5)
        for step in range(2):
            model.train()
            src = padded(L, rng, 17, [7, 5, 6]).T  # batch_first=True
            trg = padded(L, rng, 19, [6, 4, 5]).T
            optimizer.zero_grad()
            output, _ = model(src, trg[:, :-1])
            output_dim = output.shape[-1]
            output = output.contiguous().view(-1, output_dim)
            trg = trg[:, 1:].contiguous().view(-1)
            loss = criterion(output, trg)
            loss.backward()
            L.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            o.print(f'step {step} loss {loss.item():.4f} PPL {math.exp(loss.item()):7.3f}')
            o.vals += [loss.item()] + list(model.parameters())
        model.eval()
        src_tensor = L.LongTensor([2, 5, 9, 11, 3]).unsqueeze(0)
        with L.no_grad():
            encoder_conved, encoder_combined = model.encoder(src_tensor)
        trg_indexes = [SOS]
        for i in range(6):
            trg_tensor = L.LongTensor(trg_indexes).unsqueeze(0)
            with L.no_grad():
                output, attention = model.decoder(trg_tensor, encoder_conved, encoder_combined)
            pred_token = output.argmax(2)[:, -1].item()
            trg_indexes.append(pred_token)
            if pred_token == EOS:
                break
        o.print(f'predicted trg = {trg_indexes[1:]}', attention.shape)
        o.vals.append(attention)
    return o.done()
