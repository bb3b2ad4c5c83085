"""Recurrent architectures in pure PyTorch (tag: xlstm). This file: muditbhargava66/PyxLSTM
(xLSTM/slstm.py sLSTM / sLSTMCell with exponential gates through F.linear and chunk,
xLSTM/mlstm.py mLSTM over nn.LSTMCell with its matrix memory built by matmul of unsqueezed
keys and values, xLSTM/block.py xLSTMBlock with GELU / LayerNorm / residual, xLSTM/model.py
the xLSTM language model) as its README example and training script drive it: a forward
pass, the shapes, a few Adam steps with clip_grad_norm_ on a random token stream; the mLSTM
variant as users hit it (its 2-D @ 3-D matmul broadcasts over the batch, and its zip with
num_layers - 1 dropouts skips the last layer). Tiny sizes."""

import numpy as np
from s16_yunjey_progs import Out


def _pyxlstm(L):
    torch, nn, F = L, L.nn, L.nn.functional

    class sLSTMCell(nn.Module):
        def __init__(self, input_size, hidden_size):
            super(sLSTMCell, self).__init__()
            self.input_size = input_size
            self.hidden_size = hidden_size
            self.weight_ih = nn.Parameter(torch.randn(4 * hidden_size, input_size))
            self.weight_hh = nn.Parameter(torch.randn(4 * hidden_size, hidden_size))
            self.bias = nn.Parameter(torch.randn(4 * hidden_size))
            self.reset_parameters()

        def reset_parameters(self):
            nn.init.xavier_uniform_(self.weight_ih)
            nn.init.xavier_uniform_(self.weight_hh)
            nn.init.zeros_(self.bias)

        def forward(self, input, hx):
            h, c = hx
            gates = F.linear(input, self.weight_ih, self.bias) + F.linear(h, self.weight_hh)
            i, f, g, o = gates.chunk(4, 1)
            i = torch.exp(i)  # Exponential input gate
            f = torch.exp(f)  # Exponential forget gate
            g = torch.tanh(g)
            o = torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            return h, c

    class sLSTM(nn.Module):
        def __init__(self, input_size, hidden_size, num_layers, dropout=0.0):
            super(sLSTM, self).__init__()
            self.hidden_size = hidden_size
            self.num_layers = num_layers
            self.layers = nn.ModuleList([sLSTMCell(input_size if i == 0 else hidden_size, hidden_size)
                                         for i in range(num_layers)])
            self.dropout_layer = nn.Dropout(dropout)

        def forward(self, input_seq, hidden_state=None):
            batch_size, seq_length, _ = input_seq.size()
            if hidden_state is None:
                hidden_state = self.init_hidden(batch_size)
            outputs = []
            for t in range(seq_length):
                x = input_seq[:, t, :]
                for layer_idx, layer in enumerate(self.layers):
                    h, c = hidden_state[layer_idx]
                    h, c = layer(x, (h, c))
                    hidden_state[layer_idx] = (h, c)
                    x = self.dropout_layer(h) if layer_idx < self.num_layers - 1 else h
                outputs.append(x)
            return torch.stack(outputs, dim=1), hidden_state

        def init_hidden(self, batch_size):
            return [(torch.zeros(batch_size, self.hidden_size, device=self.layers[0].weight_ih.device),
                     torch.zeros(batch_size, self.hidden_size, device=self.layers[0].weight_ih.device))
                    for _ in range(self.num_layers)]

    class mLSTM(nn.Module):
        def __init__(self, input_size, hidden_size, num_layers, dropout=0.0):
            super(mLSTM, self).__init__()
            self.hidden_size = hidden_size
            self.num_layers = num_layers
            self.lstms = nn.ModuleList([nn.LSTMCell(input_size, hidden_size) for _ in range(num_layers)])
            self.dropout_layers = nn.ModuleList([nn.Dropout(dropout) for _ in range(num_layers - 1)])
            self.W_q = nn.Linear(input_size, hidden_size)
            self.W_k = nn.Linear(input_size, hidden_size)
            self.W_v = nn.Linear(input_size, hidden_size)
            self.exp_input_gates = nn.ModuleList([nn.Linear(input_size, hidden_size) for _ in range(num_layers)])
            self.exp_forget_gates = nn.ModuleList([nn.Linear(input_size, hidden_size) for _ in range(num_layers)])
            self.output_gates = nn.ModuleList([nn.Linear(hidden_size, hidden_size) for _ in range(num_layers)])
            self.reset_parameters()

        def reset_parameters(self):
            for lstm in self.lstms:
                nn.init.xavier_uniform_(lstm.weight_ih)
                nn.init.xavier_uniform_(lstm.weight_hh)
                nn.init.zeros_(lstm.bias_ih)
                nn.init.zeros_(lstm.bias_hh)
            nn.init.xavier_uniform_(self.W_q.weight)
            nn.init.xavier_uniform_(self.W_k.weight)
            nn.init.xavier_uniform_(self.W_v.weight)
            nn.init.zeros_(self.W_q.bias)
            nn.init.zeros_(self.W_k.bias)
            nn.init.zeros_(self.W_v.bias)
            for gate in self.exp_input_gates + self.exp_forget_gates + self.output_gates:
                nn.init.xavier_uniform_(gate.weight)
                nn.init.zeros_(gate.bias)

        def forward(self, input_seq, hidden_state=None):
            batch_size = input_seq.size(0)
            seq_length = input_seq.size(1)
            if hidden_state is None:
                hidden_state = self.init_hidden(batch_size)
            output_seq = []
            for t in range(seq_length):
                x = input_seq[:, t, :]
                queries = self.W_q(x)
                keys = self.W_k(x)
                values = self.W_v(x)
                new_hidden_state = []
                for _ind_i, (lstm, dropout, i_gate, f_gate, o_gate) in enumerate(zip(
                        self.lstms, self.dropout_layers, self.exp_input_gates, self.exp_forget_gates,
                        self.output_gates)):
                    if hidden_state[_ind_i][0] is None:
                        h, C = lstm(x)
                    else:
                        h, C = hidden_state[_ind_i]
                    i = torch.exp(i_gate(x))
                    f = torch.exp(f_gate(x))
                    C_t = f * C + i * torch.matmul(values.unsqueeze(2), keys.unsqueeze(1)).squeeze(1)
                    attn_output = torch.matmul(queries, C_t).squeeze(2)
                    o = torch.sigmoid(o_gate(h))
                    h = o * attn_output
                    new_hidden_state.append((h, C_t))
                    if _ind_i < self.num_layers - 1:
                        x = dropout(h)
                    else:
                        x = h
                hidden_state = new_hidden_state
                output_seq.append(x)
            output_seq = torch.stack(output_seq, dim=1)
            return output_seq, hidden_state

        def init_hidden(self, batch_size):
            hidden_state = []
            for lstm in self.lstms:
                h = torch.zeros(batch_size, self.hidden_size, device=lstm.weight_ih.device)
                C = torch.zeros(batch_size, self.hidden_size, self.hidden_size, device=lstm.weight_ih.device)
                hidden_state.append((h, C))
            return hidden_state

    class xLSTMBlock(nn.Module):
        def __init__(self, input_size, hidden_size, num_layers, dropout=0.0, lstm_type="slstm"):
            super(xLSTMBlock, self).__init__()
            if lstm_type == "slstm":
                self.lstm = sLSTM(input_size, hidden_size, num_layers, dropout)
            elif lstm_type == "mlstm":
                self.lstm = mLSTM(input_size, hidden_size, num_layers, dropout)
            else:
                raise ValueError(f"Invalid LSTM type: {lstm_type}")
            self.norm = nn.LayerNorm(hidden_size)
            self.activation = nn.GELU()
            self.dropout_layer = nn.Dropout(dropout)
            self.proj = nn.Linear(hidden_size, input_size)

        def forward(self, input_seq, hidden_state=None):
            lstm_output, hidden_state = self.lstm(input_seq, hidden_state)
            output = self.activation(lstm_output)
            output = self.norm(output)
            output = self.proj(output)
            output = self.dropout_layer(output + input_seq)  # Residual connection
            return output, hidden_state

    class xLSTM(nn.Module):
        def __init__(self, vocab_size, embedding_size, hidden_size, num_layers, num_blocks,
                     dropout=0.0, lstm_type="slstm"):
            super(xLSTM, self).__init__()
            self.num_blocks = num_blocks
            self.embedding = nn.Embedding(vocab_size, embedding_size)
            self.blocks = nn.ModuleList([xLSTMBlock(embedding_size, hidden_size, num_layers, dropout, lstm_type)
                                         for _ in range(num_blocks)])
            self.output_layer = nn.Linear(embedding_size, vocab_size)

        def forward(self, input_seq, hidden_states=None):
            embedded_seq = self.embedding(input_seq)
            if hidden_states is None:
                hidden_states = [None] * self.num_blocks
            output_seq = embedded_seq
            for i, block in enumerate(self.blocks):
                output_seq, hidden_states[i] = block(output_seq, hidden_states[i])
            output_seq = self.output_layer(output_seq)
            return output_seq, hidden_states

    return xLSTM, xLSTMBlock, mLSTM


def pyxlstm_train(L):
    """PyxLSTM's xLSTM LM (sLSTM blocks): forward, a few Adam steps, then mLSTM blocks."""
    torch, nn = L, L.nn
    xLSTM, xLSTMBlock, mLSTM = _pyxlstm(L)
    with Out() as o:
        torch.manual_seed(0)
        V, E, H, S, B = 13, 16, 16, 8, 2
        model = xLSTM(V, E, H, num_layers=2, num_blocks=2, dropout=0.1, lstm_type="slstm")
        o.print(model)
        rng = np.random.default_rng(0)
        ids = torch.from_numpy(rng.integers(0, V, (B, S + 1)))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        crit = nn.CrossEntropyLoss()
        model.train()
        for step in range(3):
            opt.zero_grad()
            out, hidden = model(ids[:, :-1])
            loss = crit(out.view(-1, V), ids[:, 1:].reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            o.print(f"Step {step}, Loss: {loss.item():.4f}")
        o.print(out.shape, len(hidden), len(hidden[0]), hidden[0][1][0].shape)
        model.eval()
        with torch.no_grad():
            out2, _ = model(ids[:, :-1])
        o.vals += [out.detach(), out2, loss.detach(), model.blocks[0].lstm.layers[0].weight_hh.grad]

        o.tryit(lambda: xLSTMBlock(E, H, 1, lstm_type="gru"))
        # mLSTM blocks as users run them: batch 1, two layers (the zip stops after one)
        torch.manual_seed(1)
        m = mLSTM(E, H, num_layers=2)
        xs = torch.randn(1, 3, E)
        ys, hs = m(xs)
        o.print(ys.shape, len(hs), hs[0][0].shape, hs[0][1].shape)
        ys.sum().backward()
        o.print(m.W_q.weight.grad.shape, m.lstms[1].weight_ih.grad)
        # exp gates without a stabiliser: outputs and gradients reach ~25, where float32
        # rounding (either library's, against a float64 run) is ~1e-5: compared to 2 decimals
        o.print(f"{ys.abs().sum().item():.2f} {m.W_k.weight.grad.abs().sum().item():.2f}")
        o.tryit(lambda: mLSTM(E, H, num_layers=2)(torch.randn(2, 3, E))[0].shape)
        lm = xLSTM(V, E, H, num_layers=2, num_blocks=1, lstm_type="mlstm")
        o.tryit(lambda: lm(ids[:1, :3])[0].shape)
    return o.done()
