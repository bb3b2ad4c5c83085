"""bentrevett/pytorch-seq2seq tutorial 6 (Attention is All You Need) as users type it, scaled
down on random token ids (pad 1, <sos> 2, <eos> 3), as ``prog(L) -> (printed, values)``."""

import math

import numpy as np
from s16_yunjey_progs import Out
from s17_bentrevett_progs import EOS, PAD, SEED, SOS, count_parameters
from s17_bentrevett_progs_b import padded


def transformer(L):
    nn = L.nn

    class MultiHeadAttentionLayer(nn.Module):
        def __init__(self, hid_dim, n_heads, dropout, device):
            super().__init__()
            assert hid_dim % n_heads == 0
            self.hid_dim = hid_dim
            self.n_heads = n_heads
            self.head_dim = hid_dim // n_heads
            self.fc_q = nn.Linear(hid_dim, hid_dim)
            self.fc_k = nn.Linear(hid_dim, hid_dim)
            self.fc_v = nn.Linear(hid_dim, hid_dim)
            self.fc_o = nn.Linear(hid_dim, hid_dim)
            self.dropout = nn.Dropout(dropout)
            self.scale = L.sqrt(L.FloatTensor([self.head_dim])).to(device)

        def forward(self, query, key, value, mask=None):
            batch_size = query.shape[0]
            Q = self.fc_q(query)
            K = self.fc_k(key)
            V = self.fc_v(value)
            Q = Q.view(batch_size, -1, self.n_heads, self.head_dim).permute(0, 2, 1, 3)
            K = K.view(batch_size, -1, self.n_heads, self.head_dim).permute(0, 2, 1, 3)
            V = V.view(batch_size, -1, self.n_heads, self.head_dim).permute(0, 2, 1, 3)
            energy = L.matmul(Q, K.permute(0, 1, 3, 2)) / self.scale
            if mask is not None:
                energy = energy.masked_fill(mask == 0, -1e10)
            attention = L.softmax(energy, dim=-1)
            x = L.matmul(self.dropout(attention), V)
            x = x.permute(0, 2, 1, 3).contiguous()
            x = x.view(batch_size, -1, self.hid_dim)
            x = self.fc_o(x)
            return x, attention

    class PositionwiseFeedforwardLayer(nn.Module):
        def __init__(self, hid_dim, pf_dim, dropout):
            super().__init__()
            self.fc_1 = nn.Linear(hid_dim, pf_dim)
            self.fc_2 = nn.Linear(pf_dim, hid_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            x = self.dropout(L.relu(self.fc_1(x)))
            x = self.fc_2(x)
            return x

    class EncoderLayer(nn.Module):
        def __init__(self, hid_dim, n_heads, pf_dim, dropout, device):
            super().__init__()
            self.self_attn_layer_norm = nn.LayerNorm(hid_dim)
            self.ff_layer_norm = nn.LayerNorm(hid_dim)
            self.self_attention = MultiHeadAttentionLayer(hid_dim, n_heads, dropout, device)
            self.positionwise_feedforward = PositionwiseFeedforwardLayer(hid_dim, pf_dim,
                                                                         dropout)
            self.dropout = nn.Dropout(dropout)

        def forward(self, src, src_mask):
            _src, _ = self.self_attention(src, src, src, src_mask)
            src = self.self_attn_layer_norm(src + self.dropout(_src))
            _src = self.positionwise_feedforward(src)
            src = self.ff_layer_norm(src + self.dropout(_src))
            return src

    class Encoder(nn.Module):
        def __init__(self, input_dim, hid_dim, n_layers, n_heads, pf_dim, dropout, device,
                     max_length=100):
            super().__init__()
            self.device = device
            self.tok_embedding = nn.Embedding(input_dim, hid_dim)
            self.pos_embedding = nn.Embedding(max_length, hid_dim)
            self.layers = nn.ModuleList([EncoderLayer(hid_dim, n_heads, pf_dim, dropout,
                                                      device) for _ in range(n_layers)])
            self.dropout = nn.Dropout(dropout)
            self.scale = L.sqrt(L.FloatTensor([hid_dim])).to(device)

        def forward(self, src, src_mask):
            batch_size = src.shape[0]
            src_len = src.shape[1]
            pos = L.arange(0, src_len).unsqueeze(0).repeat(batch_size, 1).to(self.device)
            src = self.dropout((self.tok_embedding(src) * self.scale)
                               + self.pos_embedding(pos))
            for layer in self.layers:
                src = layer(src, src_mask)
            return src

    class DecoderLayer(nn.Module):
        def __init__(self, hid_dim, n_heads, pf_dim, dropout, device):
            super().__init__()
            self.self_attn_layer_norm = nn.LayerNorm(hid_dim)
            self.enc_attn_layer_norm = nn.LayerNorm(hid_dim)
            self.ff_layer_norm = nn.LayerNorm(hid_dim)
            self.self_attention = MultiHeadAttentionLayer(hid_dim, n_heads, dropout, device)
            self.encoder_attention = MultiHeadAttentionLayer(hid_dim, n_heads, dropout, device)
            self.positionwise_feedforward = PositionwiseFeedforwardLayer(hid_dim, pf_dim,
                                                                         dropout)
            self.dropout = nn.Dropout(dropout)

        def forward(self, trg, enc_src, trg_mask, src_mask):
            _trg, _ = self.self_attention(trg, trg, trg, trg_mask)
            trg = self.self_attn_layer_norm(trg + self.dropout(_trg))
            _trg, attention = self.encoder_attention(trg, enc_src, enc_src, src_mask)
            trg = self.enc_attn_layer_norm(trg + self.dropout(_trg))
            _trg = self.positionwise_feedforward(trg)
            trg = self.ff_layer_norm(trg + self.dropout(_trg))
            return trg, attention

    class Decoder(nn.Module):
        def __init__(self, output_dim, hid_dim, n_layers, n_heads, pf_dim, dropout, device,
                     max_length=100):
            super().__init__()
            self.device = device
            self.tok_embedding = nn.Embedding(output_dim, hid_dim)
            self.pos_embedding = nn.Embedding(max_length, hid_dim)
            self.layers = nn.ModuleList([DecoderLayer(hid_dim, n_heads, pf_dim, dropout,
                                                      device) for _ in range(n_layers)])
            self.fc_out = nn.Linear(hid_dim, output_dim)
            self.dropout = nn.Dropout(dropout)
            self.scale = L.sqrt(L.FloatTensor([hid_dim])).to(device)

        def forward(self, trg, enc_src, trg_mask, src_mask):
            batch_size = trg.shape[0]
            trg_len = trg.shape[1]
            pos = L.arange(0, trg_len).unsqueeze(0).repeat(batch_size, 1).to(self.device)
            trg = self.dropout((self.tok_embedding(trg) * self.scale)
                               + self.pos_embedding(pos))
            for layer in self.layers:
                trg, attention = layer(trg, enc_src, trg_mask, src_mask)
            output = self.fc_out(trg)
            return output, attention

    class Seq2Seq(nn.Module):
        def __init__(self, encoder, decoder, src_pad_idx, trg_pad_idx, device):
            super().__init__()
            self.encoder = encoder
            self.decoder = decoder
            self.src_pad_idx = src_pad_idx
            self.trg_pad_idx = trg_pad_idx
            self.device = device

        def make_src_mask(self, src):
            src_mask = (src != self.src_pad_idx).unsqueeze(1).unsqueeze(2)
            return src_mask

        def make_trg_mask(self, trg):
            trg_pad_mask = (trg != self.trg_pad_idx).unsqueeze(1).unsqueeze(2)
            trg_len = trg.shape[1]
            trg_sub_mask = L.tril(L.ones((trg_len, trg_len), device=self.device)).bool()
            trg_mask = trg_pad_mask & trg_sub_mask
            return trg_mask

        def forward(self, src, trg):
            src_mask = self.make_src_mask(src)
            trg_mask = self.make_trg_mask(trg)
            enc_src = self.encoder(src, src_mask)
            output, attention = self.decoder(trg, enc_src, trg_mask, src_mask)
            return output, attention

    with Out() as o:
        L.manual_seed(SEED)
        device = L.device('cpu')
        enc = Encoder(17, 8, 2, 2, 16, 0.1, device)
        dec = Decoder(19, 8, 2, 2, 16, 0.1, device)
        model = Seq2Seq(enc, dec, PAD, PAD, device).to(device)
        o.print(f'The model has {count_parameters(model):,} trainable parameters')

        def initialize_weights(m):
            if hasattr(m, 'weight') and m.weight.dim() > 1:
                nn.init.xavier_uniform_(m.weight.data)

        o.print(model.apply(initialize_weights))
        LEARNING_RATE = 0.0005
        optimizer = L.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        criterion = nn.CrossEntropyLoss(ignore_index=PAD)
        rng = np.random.default_rng(6)
        for step in range(2):
            model.train()
            src = padded(L, rng, 17, [7, 5, 6]).T
            trg = padded(L, rng, 19, [6, 4, 5]).T
            optimizer.zero_grad()
            output, _ = model(src, trg[:, :-1])
            output_dim = output.shape[-1]
            output = output.contiguous().view(-1, output_dim)
            trg = trg[:, 1:].contiguous().view(-1)
            loss = criterion(output, trg)
            loss.backward()
            L.nn.utils.clip_grad_norm_(model.parameters(), 1)
            optimizer.step()
            o.print(f'step {step} loss {loss.item():.4f} PPL {math.exp(loss.item()):7.3f}')
            # fc_k.bias cancels in the softmax (q.b is the same for every key): its gradient
            # is rounding noise, which Adam scales up to +-lr, so it is left out of the values
            o.vals += [loss.item()] + [p for n, p in model.named_parameters()
                                       if not n.endswith('fc_k.bias')]
        o.print(model.make_trg_mask(trg.view(3, -1)).int())
        model.eval()
        src_tensor = L.LongTensor([2, 5, 9, 11, 3]).unsqueeze(0).to(device)
        src_mask = model.make_src_mask(src_tensor)
        with L.no_grad():
            enc_src = model.encoder(src_tensor, src_mask)
        trg_indexes = [SOS]
        for i in range(6):
            trg_tensor = L.LongTensor(trg_indexes).unsqueeze(0).to(device)
            trg_mask = model.make_trg_mask(trg_tensor)
            with L.no_grad():
                output, attention = model.decoder(trg_tensor, enc_src, trg_mask, src_mask)
            pred_token = output.argmax(2)[:, -1].item()
            trg_indexes.append(pred_token)
            if pred_token == EOS:
                break
        o.print(f'predicted trg = {trg_indexes[1:]}', attention.shape)
        o.vals.append(attention)
    return o.done()
