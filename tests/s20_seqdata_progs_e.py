"""The "Transformer for time series" tutorial (TransAm, oliverguhr/transformer-time-series-
prediction style) and a batch_first causal encoder forecaster, as users type them, scaled
down, as ``prog(L) -> (printed, values)`` for tests/test_programs_s20_seqdata.py."""

import math

import numpy as np
from s16_yunjey_progs import Out


def _pe_class(L):
    torch, nn = L, L.nn

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, max_len=5000):
            super(PositionalEncoding, self).__init__()
            pe = torch.zeros(max_len, d_model)
            position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2).float() *
                                 (-math.log(10000.0) / d_model))
            pe[:, 0::2] = torch.sin(position * div_term)
            pe[:, 1::2] = torch.cos(position * div_term)
            pe = pe.unsqueeze(0).transpose(0, 1)
            self.register_buffer('pe', pe)

        def forward(self, x):
            return x + self.pe[:x.size(0), :]

    return PositionalEncoding


def transam(L):
    """TransAm: PositionalEncoding buffer, TransformerEncoderLayer (seq-first, its nested-
    tensor warning), a float -inf/0 causal mask from triu(...).transpose, create_inout_
    sequences / get_batch with torch.stack of chunk, SGD + StepLR(gamma=0.98) with
    get_lr() (its warning), clip_grad_norm_(0.7), evaluate under no_grad."""
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)
        PositionalEncoding = _pe_class(L)
        input_window, output_window, batch_size = 8, 1, 4
        device = torch.device("cpu")

        class TransAm(nn.Module):
            def __init__(self, feature_size=250, num_layers=1, dropout=0.1):
                super(TransAm, self).__init__()
                self.model_type = 'Transformer'
                self.src_mask = None
                self.pos_encoder = PositionalEncoding(feature_size, max_len=64)
                self.encoder_layer = nn.TransformerEncoderLayer(
                    d_model=feature_size, nhead=2, dim_feedforward=16, dropout=dropout)
                self.transformer_encoder = nn.TransformerEncoder(self.encoder_layer,
                                                                 num_layers=num_layers)
                self.decoder = nn.Linear(feature_size, 1)
                self.init_weights()

            def init_weights(self):
                initrange = 0.1
                self.decoder.bias.data.zero_()
                self.decoder.weight.data.uniform_(-initrange, initrange)

            def forward(self, src):
                if self.src_mask is None or self.src_mask.size(0) != len(src):
                    device = src.device
                    mask = self._generate_square_subsequent_mask(len(src)).to(device)
                    self.src_mask = mask
                src = self.pos_encoder(src)
                output = self.transformer_encoder(src, self.src_mask)
                output = self.decoder(output)
                return output

            def _generate_square_subsequent_mask(self, sz):
                mask = (torch.triu(torch.ones(sz, sz)) == 1).transpose(0, 1)
                mask = mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(
                    mask == 1, float(0.0))
                return mask

        def create_inout_sequences(input_data, tw):
            inout_seq = []
            L_ = len(input_data)
            for i in range(L_ - tw):
                train_seq = np.append(input_data[i:i + tw][:-output_window],
                                      output_window * [0])
                train_label = input_data[i:i + tw]
                inout_seq.append((train_seq, train_label))
            return torch.FloatTensor(inout_seq)

        def get_data():
            time = np.arange(0, 40, 0.5)
            amplitude = np.sin(time) + np.sin(time * 0.05) + np.sin(time * 0.12) * \
                np.random.normal(-0.2, 0.2, len(time))
            amplitude = (amplitude - amplitude.min()) / (amplitude.max() - amplitude.min())
            amplitude = amplitude * 2 - 1
            samples = 60
            train_data = amplitude[:samples]
            test_data = amplitude[samples:]
            train_sequence = create_inout_sequences(train_data, input_window)
            train_sequence = train_sequence[:-output_window]
            test_data = create_inout_sequences(test_data, input_window)
            test_data = test_data[:-output_window]
            return train_sequence.to(device), test_data.to(device)

        def get_batch(source, i, batch_size):
            seq_len = min(batch_size, len(source) - 1 - i)
            data = source[i:i + seq_len]
            input = torch.stack(torch.stack([item[0] for item in data]).chunk(
                input_window, 1))
            target = torch.stack(torch.stack([item[1] for item in data]).chunk(
                input_window, 1))
            return input, target

        train_data, val_data = get_data()
        o.print(train_data.shape, val_data.shape)
        model = TransAm(feature_size=4).to(device)
        criterion = nn.MSELoss()
        lr = 0.005
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.98)

        def train(train_data, epoch):
            model.train()
            total_loss = 0.
            for batch, i in enumerate(range(0, len(train_data) - 1, batch_size)):
                data, targets = get_batch(train_data, i, batch_size)
                optimizer.zero_grad()
                output = model(data)
                loss = criterion(output, targets)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 0.7)
                optimizer.step()
                total_loss += loss.item()
            o.print('| epoch {:3d} | lr {:02.6f} | loss {:5.5f}'.format(
                epoch, scheduler.get_lr()[0], total_loss / (batch + 1)))

        def evaluate(eval_model, data_source):
            eval_model.eval()
            total_loss = 0.
            eval_batch_size = 4
            with torch.no_grad():
                for i in range(0, len(data_source) - 1, eval_batch_size):
                    data, targets = get_batch(data_source, i, eval_batch_size)
                    output = eval_model(data)
                    total_loss += len(data[0]) * criterion(output, targets).cpu().item()
            return total_loss / len(data_source)

        for epoch in range(1, 3):
            train(train_data, epoch)
            val_loss = evaluate(model, val_data)
            o.print('| end of epoch {:3d} | valid loss {:5.5f}'.format(epoch, val_loss))
            scheduler.step()
        o.print(model.src_mask)
        o.print(scheduler.get_last_lr())
        o.vals += [model.decoder.weight, model.pos_encoder.pe[:5], val_loss]
    return o.done()


def causal_encoder_forecaster(L):
    """batch_first encoder: Linear input projection, PositionalEncoding on (B, T, D) via
    pe[:, :T] of a (1, max_len, d) buffer, nn.Transformer.generate_square_subsequent_mask,
    TransformerEncoder(mask=..., is_causal=True), a bool causal mask on a second call, the
    last step's output to a Linear head, AdamW, lr warmup via LambdaLR."""
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(0)
        x = torch.from_numpy(np.sin(np.linspace(0, 12, 90)).astype(np.float32))
        T = 10
        X = torch.stack([x[i:i + T] for i in range(0, 70, 3)]).unsqueeze(-1)
        Y = torch.stack([x[i + T] for i in range(0, 70, 3)]).unsqueeze(-1)

        class PosEnc(nn.Module):
            def __init__(self, d_model, max_len=100, dropout=0.1):
                super().__init__()
                self.dropout = nn.Dropout(p=dropout)
                position = torch.arange(max_len).unsqueeze(1)
                div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) /
                                                                      d_model))
                pe = torch.zeros(1, max_len, d_model)
                pe[0, :, 0::2] = torch.sin(position * div_term)
                pe[0, :, 1::2] = torch.cos(position * div_term)
                self.register_buffer('pe', pe)

            def forward(self, x):
                x = x + self.pe[:, :x.size(1)]
                return self.dropout(x)

        class Forecaster(nn.Module):
            def __init__(self, d_model=8, nhead=2, num_layers=2):
                super().__init__()
                self.input_proj = nn.Linear(1, d_model)
                self.pos = PosEnc(d_model)
                layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=16,
                                                   dropout=0.1, batch_first=True)
                self.encoder = nn.TransformerEncoder(layer, num_layers)
                self.head = nn.Linear(d_model, 1)

            def forward(self, src):
                mask = nn.Transformer.generate_square_subsequent_mask(src.size(1))
                h = self.encoder(self.pos(self.input_proj(src)), mask=mask, is_causal=True)
                return self.head(h[:, -1])

        model = Forecaster()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 3))
        for step in range(5):
            model.train()
            pred = model(X)
            loss = nn.functional.mse_loss(pred, Y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            o.print('step {} lr {:.5f} loss {:.4f}'.format(step, sched.get_last_lr()[0],
                                                          loss.item()))
        model.eval()
        with torch.no_grad():
            out = model(X[:3])
            bool_mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
            h = model.encoder(model.pos(model.input_proj(X[:3])), mask=bool_mask)
        o.print(nn.Transformer.generate_square_subsequent_mask(3))
        o.print(out.shape, h.shape)
        o.vals += [out, h, model.head.weight]
    return o.done()
