"""Session 14, pytorch/examples (continued): reinforcement_learning's reinforce and
actor_critic on CartPole, word_language_model (RNN/LSTM/GRU with tied weights, the
Transformer with PositionalEncoding, generate.py), mnist_forward_forward,
time_sequence_prediction (LSTMCell in double with LBFGS); fast_neural_style is in _c.
Printed text, dtypes, shapes and reprs equal; values to the rounding ``check`` states."""

import io
import math

import gymnasium as gym
import numpy as np
from s14_pyexamples_util import check, shown
from torch_compare import run_both

def _cartpole_episodes(L, actor_critic):
    from collections import namedtuple
    nn, F = L.nn, L.nn.functional
    SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])

    class Policy(nn.Module):
        def __init__(self):
            super().__init__()
            self.affine1, self.dropout = nn.Linear(4, 32), nn.Dropout(p=0.6)
            self.action_head, self.value_head = nn.Linear(32, 2), nn.Linear(32, 1)

        def forward(self, x):
            if actor_critic:
                x = F.relu(self.affine1(x))
                return F.softmax(self.action_head(x), dim=-1), self.value_head(x)
            return F.softmax(self.action_head(F.relu(self.dropout(self.affine1(x)))), dim=1)

    env = gym.make('CartPole-v1')
    env.reset(seed=543)
    L.manual_seed(543)
    policy = Policy()
    optimizer = L.optim.Adam(policy.parameters(), lr=3e-2 if actor_critic else 1e-2)
    eps = np.finfo(np.float32).eps.item()
    out, running_reward = [], 10
    for i_episode in range(1, 5):
        state, _ = env.reset()
        saved, rewards = [], []
        for _ in range(1, 10000):
            if actor_critic:
                probs, value = policy(L.from_numpy(state).float())
            else:
                probs, value = policy(L.from_numpy(state).float().unsqueeze(0)), None
            m = L.distributions.Categorical(probs)
            action = m.sample()
            saved.append(SavedAction(m.log_prob(action), value))
            state, reward, done, _, _ = env.step(action.item())
            rewards.append(reward)
            if done:
                break
        running_reward = 0.05 * sum(rewards) + (1 - 0.05) * running_reward
        R, returns = 0, []
        for r in rewards[::-1]:
            R = r + 0.99 * R
            returns.insert(0, R)
        returns = L.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        optimizer.zero_grad()
        if actor_critic:
            policy_losses, value_losses = [], []
            for (log_prob, value), R in zip(saved, returns):
                policy_losses.append(-log_prob * (R - value.item()))
                value_losses.append(F.smooth_l1_loss(value, L.tensor([R])))
            loss = L.stack(policy_losses).sum() + L.stack(value_losses).sum()
        else:
            loss = L.cat([-s.log_prob * R for s, R in zip(saved, returns)]).sum()
        loss.backward()
        optimizer.step()
        out += ['Episode {}\tLast reward: {:.2f}\tAverage reward: {:.2f}'.format(
            i_episode, sum(rewards), running_reward), loss]
    return shown(out) + [type(eps).__name__]


def test_reinforce_cartpole_episodes_match():
    check(*run_both(lambda L: _cartpole_episodes(L, False)))


def test_actor_critic_saved_actions_smooth_l1_stack_sum_match():
    check(*run_both(lambda L: _cartpole_episodes(L, True)))


def test_word_language_model_generate_loop_and_state_dict_round_trip():
    def run(L):
        nn, F = L.nn, L.nn.functional
        L.manual_seed(1111)

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder, self.rnn = nn.Embedding(20, 8), nn.LSTM(8, 8, 2, dropout=0.3)
                self.decoder = nn.Linear(8, 20)
                self.decoder.weight = self.encoder.weight

            def forward(self, x, h):
                o, h = self.rnn(self.encoder(x), h)
                return F.log_softmax(self.decoder(o).view(-1, 20), dim=1), h

        model = M()
        buf = io.BytesIO()
        L.save(model.state_dict(), buf)
        buf.seek(0)
        out = [list(dict(model.named_parameters())), list(model.state_dict()),
               str(M().load_state_dict(L.load(buf)))]
        model.rnn.flatten_parameters()
        model.eval()
        hidden = (L.zeros(2, 1, 8), L.zeros(2, 1, 8))
        input = L.randint(20, (1, 1), dtype=L.long)
        words = []
        with L.no_grad():
            for _ in range(12):
                output, hidden = model(input, hidden)
                word_weights = output.squeeze().div(0.8).exp().cpu()
                word_idx = L.multinomial(word_weights, 1)[0]
                input.fill_(word_idx)
                words.append(word_idx.item())
        return shown(out + [words, input, word_weights, model.rnn._flat_weights_names])
    check(*run_both(run))


def _word_lm(L, kind):
    """main.py of word_language_model: batchify, get_batch, repackage_hidden, clipping and
    the manual SGD step, the log lines with perplexity."""
    nn, F = L.nn, L.nn.functional
    ntokens = 30

    class RNNModel(nn.Module):
        def __init__(self, rnn_type, ninp, nhid, nlayers, dropout, tie_weights):
            super().__init__()
            self.drop, self.encoder = nn.Dropout(dropout), nn.Embedding(ntokens, ninp)
            if rnn_type in ('LSTM', 'GRU'):
                self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
            else:
                self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity='tanh', dropout=dropout)
            self.decoder = nn.Linear(nhid, ntokens)
            if tie_weights:
                self.decoder.weight = self.encoder.weight
            nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
            self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

        def forward(self, input, hidden):
            output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
            decoded = self.decoder(self.drop(output)).view(-1, ntokens)
            return F.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            if self.rnn_type == 'LSTM':
                return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                        weight.new_zeros(self.nlayers, bsz, self.nhid))
            return weight.new_zeros(self.nlayers, bsz, self.nhid)

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, dropout=0.1, max_len=5000):
            super().__init__()
            self.dropout = nn.Dropout(p=dropout)
            pe = L.zeros(max_len, d_model)
            position = L.arange(0, max_len, dtype=L.float).unsqueeze(1)
            div_term = L.exp(L.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = L.sin(position * div_term)
            pe[:, 1::2] = L.cos(position * div_term)
            self.register_buffer('pe', pe.unsqueeze(0).transpose(0, 1))

        def forward(self, x):
            return self.dropout(x + self.pe[:x.size(0), :])

    class TransformerModel(nn.Transformer):
        def __init__(self, ninp, nhead, nhid, nlayers, dropout):
            super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                             num_encoder_layers=nlayers)
            self.src_mask, self.ninp = None, ninp
            self.pos_encoder = PositionalEncoding(ninp, dropout)
            self.input_emb, self.decoder = nn.Embedding(ntokens, ninp), nn.Linear(ninp, ntokens)
            nn.init.uniform_(self.input_emb.weight, -0.1, 0.1)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

        def forward(self, src):
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                self.src_mask = L.log(L.tril(L.ones(len(src), len(src))))
            src = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
            return F.log_softmax(self.decoder(self.encoder(src, mask=self.src_mask)), dim=-1)

    def repackage_hidden(h):
        return h.detach() if isinstance(h, L.Tensor) else tuple(repackage_hidden(v) for v in h)

    L.manual_seed(1111)
    data = L.randint(0, ntokens, (90,))
    train_data = data.narrow(0, 0, (90 // 4) * 4).view(4, -1).t().contiguous()
    if kind == 'Transformer':
        model = TransformerModel(16, 2, 32, 2, 0.2)
    else:
        model = RNNModel(kind, 16, 16, 2, 0.2, kind != 'GRU')
        hidden = model.init_hidden(4)
    criterion, lr, total_loss = nn.NLLLoss(), 20.0, 0.
    out = [str(model), train_data.shape]
    model.train()
    for batch, i in enumerate(range(0, train_data.size(0) - 1, 5)):
        seq_len = min(5, len(train_data) - 1 - i)
        x, targets = train_data[i:i + seq_len], train_data[i + 1:i + 1 + seq_len].view(-1)
        model.zero_grad()
        if kind == 'Transformer':
            output = model(x).view(-1, ntokens)
        else:
            hidden = repackage_hidden(hidden)
            output, hidden = model(x, hidden)
        loss = criterion(output, targets)
        loss.backward()
        norm = L.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total_loss += loss.item()
        if batch % 2 == 0 and batch > 0:
            cur_loss = total_loss / 2
            out.append('| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | loss {:5.2f} | '
                       'ppl {:8.2f}'.format(1, batch, len(train_data) // 5, lr, cur_loss,
                                            math.exp(cur_loss)))
            total_loss = 0
        out += [loss, norm]
    return shown(out + [model.src_mask if kind == 'Transformer' else hidden[0]])


# lr = 20 (the example's) multiplies float32 tanh/sigmoid/exp last-bit differences (Sleef
# against NumPy, README Differences): after four steps the O(1) states agree to ~2e-6
_LM_ATOL = 1e-5


def test_word_language_model_lstm_tied_weights_trains_as_pytorch():
    check(*run_both(lambda L: _word_lm(L, 'LSTM')), atol=_LM_ATOL)


def test_word_language_model_gru_untied_trains_as_pytorch():
    check(*run_both(lambda L: _word_lm(L, 'GRU')), atol=_LM_ATOL)


def test_word_language_model_rnn_tanh_trains_as_pytorch():
    check(*run_both(lambda L: _word_lm(L, 'RNN_TANH')), atol=_LM_ATOL)


def test_word_language_model_transformer_with_log_tril_mask_trains_as_pytorch():
    check(*run_both(lambda L: _word_lm(L, 'Transformer')), atol=_LM_ATOL)


def test_forward_forward_layers_train_on_goodness_as_pytorch():
    def run(L):
        nn = L.nn

        class Layer(nn.Linear):
            def __init__(self, in_features, out_features):
                super().__init__(in_features, out_features)
                self.relu, self.opt = nn.ReLU(), L.optim.Adam(self.parameters(), lr=0.03)

            def forward(self, x):
                x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
                return self.relu(L.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

            def train(self, x_pos, x_neg):
                losses = []
                for _ in range(10):
                    g_pos = self.forward(x_pos).pow(2).mean(1)
                    g_neg = self.forward(x_neg).pow(2).mean(1)
                    loss = L.log(1 + L.exp(L.cat([-g_pos + 2.0, g_neg - 2.0]))).mean()
                    self.opt.zero_grad()
                    loss.backward()
                    self.opt.step()
                    losses.append(loss)
                return self.forward(x_pos).detach(), self.forward(x_neg).detach(), losses

        def overlay_y_on_x(x, y):
            x_ = x.clone()
            x_[:, :10] *= 0.0
            x_[range(x.shape[0]), y] = x.max()
            return x_

        L.manual_seed(1234)
        x, y = L.rand(50, 40), L.randint(0, 10, (50,))
        layers = [Layer(40, 30), Layer(30, 30)]
        x_pos, x_neg = overlay_y_on_x(x, y), overlay_y_on_x(x, y[L.randperm(50)])
        h_pos, h_neg, out = x_pos, x_neg, [x_pos[:3, :12], str(layers[0])]
        for layer in layers:
            h_pos, h_neg, losses = layer.train(h_pos, h_neg)
            out += losses
        goodness_per_label = []
        for label in range(10):
            h, goodness = overlay_y_on_x(x, label), []
            for layer in layers:
                h = layer(h)
                goodness += [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        pred = L.cat(goodness_per_label, 1).argmax(1)
        return shown(out + [pred, 1.0 - pred.eq(y).float().mean().item()])
    # h.pow(2).mean(1) sums along a dim in NumPy's order (README Differences): last bits
    check(*run_both(run))


def test_time_sequence_prediction_lstmcells_double_lbfgs_closure_as_pytorch():
    def run(L):
        nn = L.nn

        class Sequence(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm1, self.lstm2 = nn.LSTMCell(1, 12), nn.LSTMCell(12, 12)
                self.linear = nn.Linear(12, 1)

            def forward(self, input, future=0):
                outputs = []
                h_t, c_t, h_t2, c_t2 = (L.zeros(input.size(0), 12, dtype=L.double)
                                        for _ in range(4))
                for input_t in input.split(1, dim=1):
                    h_t, c_t = self.lstm1(input_t, (h_t, c_t))
                    h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                    output = self.linear(h_t2)
                    outputs += [output]
                for _ in range(future):
                    h_t, c_t = self.lstm1(output, (h_t, c_t))
                    h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                    output = self.linear(h_t2)
                    outputs += [output]
                return L.cat(outputs, dim=1)

        rng = np.random.RandomState(2)
        x = np.array(range(30)) + rng.randint(-80, 80, 8).reshape(8, 1)
        data = np.sin(x / 1.0 / 20).astype('float64')
        L.manual_seed(0)
        input, target = L.from_numpy(data[3:, :-1]), L.from_numpy(data[3:, 1:])
        seq = Sequence()
        seq.double()
        criterion = nn.MSELoss()
        optimizer = L.optim.LBFGS(seq.parameters(), lr=0.8, max_iter=6)
        out = [str(seq)]
        for i in range(2):
            out.append('STEP: %d' % i)

            def closure():
                optimizer.zero_grad()
                loss = criterion(seq(input), target)
                out.append('loss: %.8f' % loss.item())
                loss.backward()
                return loss

            out.append(optimizer.step(closure))
            with L.no_grad():
                pred = seq(L.from_numpy(data[:3, :-1]), future=5)
                loss = criterion(pred[:, :-5], L.from_numpy(data[:3, 1:]))
                out.append('test loss: %.8f' % loss.item())
        return shown(out + [pred[:, -3:], pred.requires_grad])
    # float64 sigmoid/tanh are NumPy's (PyTorch's vectorised ones differ in the last bit)
    check(*run_both(run), rtol=1e-9, atol=1e-12)
