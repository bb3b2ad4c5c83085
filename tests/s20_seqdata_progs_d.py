"""Time-series forecasting tutorials as users type them, scaled down on a NumPy-seeded
series, as ``prog(L) -> (printed, values)`` for tests/test_programs_s20_seqdata.py: the
LSTM airline-passengers tutorial (sliding_windows, MinMax scaling, Variable, h_0/c_0 zeros,
h_out.view), a GRU stock-price many-to-one model (out[:, -1, :], hidden .requires_grad_()
and .detach()), an encoder/decoder (LSTM + LSTMCell) seq2seq forecaster with teacher
forcing, and the "Transformer for time series" (TransAm: sinusoidal PositionalEncoding as a
buffer, a float causal mask from triu, TransformerEncoder, StepLR with get_lr()), plus a
batch_first encoder with nn.Transformer.generate_square_subsequent_mask and is_causal."""

import math
import random

import numpy as np
from s16_yunjey_progs import Out


def _series(n=60, seed=0):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return (100 + 2 * t + 20 * np.sin(2 * np.pi * t / 12) + 5 * rng.randn(n)).reshape(-1, 1)


class MinMaxScaler:
    """sklearn.preprocessing.MinMaxScaler's fit_transform / inverse_transform (float64)."""

    def fit_transform(self, X):
        self.min_, self.max_ = X.min(axis=0), X.max(axis=0)
        return (X - self.min_) / (self.max_ - self.min_)

    def inverse_transform(self, X):
        return X * (self.max_ - self.min_) + self.min_


def lstm_airline(L):
    """The airline-passengers LSTM: sliding_windows over MinMax-scaled data, Variable(torch.
    Tensor(np.array(x))), nn.LSTM(batch_first=True) with explicit zero states, h_out.view(-1,
    hidden), MSELoss, Adam, '%1.5f' losses, predictions back through inverse_transform."""
    torch, nn = L, L.nn
    Variable = L.autograd.Variable
    with Out() as o:
        torch.manual_seed(0)
        training_set = _series()
        sc = MinMaxScaler()
        training_data = sc.fit_transform(training_set)

        def sliding_windows(data, seq_length):
            x = []
            y = []
            for i in range(len(data) - seq_length - 1):
                _x = data[i:(i + seq_length)]
                _y = data[i + seq_length]
                x.append(_x)
                y.append(_y)
            return np.array(x), np.array(y)

        seq_length = 4
        x, y = sliding_windows(training_data, seq_length)
        train_size = int(len(y) * 0.67)
        dataX = Variable(torch.Tensor(np.array(x)))
        dataY = Variable(torch.Tensor(np.array(y)))
        trainX = Variable(torch.Tensor(np.array(x[0:train_size])))
        trainY = Variable(torch.Tensor(np.array(y[0:train_size])))
        o.print(dataX.shape, trainY.shape, dataX.dtype, type(trainX).__name__)

        class LSTM(nn.Module):
            def __init__(self, num_classes, input_size, hidden_size, num_layers):
                super(LSTM, self).__init__()
                self.num_classes = num_classes
                self.num_layers = num_layers
                self.input_size = input_size
                self.hidden_size = hidden_size
                self.seq_length = seq_length
                self.lstm = nn.LSTM(input_size=input_size, hidden_size=hidden_size,
                                    num_layers=num_layers, batch_first=True)
                self.fc = nn.Linear(hidden_size, num_classes)

            def forward(self, x):
                h_0 = Variable(torch.zeros(self.num_layers, x.size(0), self.hidden_size))
                c_0 = Variable(torch.zeros(self.num_layers, x.size(0), self.hidden_size))
                ula, (h_out, _) = self.lstm(x, (h_0, c_0))
                h_out = h_out.view(-1, self.hidden_size)
                out = self.fc(h_out)
                return out

        num_epochs, learning_rate = 30, 0.01
        lstm = LSTM(1, 1, 6, 1)
        criterion = torch.nn.MSELoss()
        optimizer = torch.optim.Adam(lstm.parameters(), lr=learning_rate)
        for epoch in range(num_epochs):
            outputs = lstm(trainX)
            optimizer.zero_grad()
            loss = criterion(outputs, trainY)
            loss.backward()
            optimizer.step()
            if epoch % 10 == 0:
                o.print("Epoch: %d, loss: %1.5f" % (epoch, loss.item()))
        lstm.eval()
        train_predict = lstm(dataX)
        data_predict = train_predict.data.numpy()
        dataY_plot = dataY.data.numpy()
        data_predict = sc.inverse_transform(data_predict)
        dataY_plot = sc.inverse_transform(dataY_plot)
        o.print(data_predict.dtype, data_predict.shape, dataY_plot.dtype)
        o.vals += [data_predict, lstm.lstm.weight_hh_l0, lstm.fc.weight]
        o.tryit(lambda: lstm(dataX[0]))  # unbatched 2-d input with 3-d states
    return o.done()


def gru_stock(L):
    """Stock-price GRU/LSTM: split_data into (N, lookback-1, 1) windows, torch.from_numpy(
    ...).type(torch.Tensor), zero states made with .requires_grad_(), h0.detach(),
    out[:, -1, :], MSELoss(reduction='mean'), per-epoch 'MSE' prints and an RMSE."""
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(0)
        price = _series(50, 1)
        sc = MinMaxScaler()
        price = sc.fit_transform(price)

        def split_data(stock, lookback):
            data_raw = stock
            data = []
            for index in range(len(data_raw) - lookback):
                data.append(data_raw[index: index + lookback])
            data = np.array(data)
            test_set_size = int(np.round(0.2 * data.shape[0]))
            train_set_size = data.shape[0] - (test_set_size)
            x_train = data[:train_set_size, :-1, :]
            y_train = data[:train_set_size, -1, :]
            x_test = data[train_set_size:, :-1]
            y_test = data[train_set_size:, -1, :]
            return [x_train, y_train, x_test, y_test]

        x_train, y_train, x_test, y_test = split_data(price, 6)
        x_train = torch.from_numpy(x_train).type(torch.Tensor)
        x_test = torch.from_numpy(x_test).type(torch.Tensor)
        y_train_gru = torch.from_numpy(y_train).type(torch.Tensor)
        y_test_gru = torch.from_numpy(y_test).type(torch.Tensor)
        o.print('x_train.shape = ', x_train.shape, x_train.type())

        class GRU(nn.Module):
            def __init__(self, input_dim, hidden_dim, num_layers, output_dim):
                super(GRU, self).__init__()
                self.hidden_dim = hidden_dim
                self.num_layers = num_layers
                self.gru = nn.GRU(input_dim, hidden_dim, num_layers, batch_first=True)
                self.fc = nn.Linear(hidden_dim, output_dim)

            def forward(self, x):
                h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_dim).requires_grad_()
                out, (hn) = self.gru(x, (h0.detach()))
                out = self.fc(out[:, -1, :])
                return out

        class LSTM(nn.Module):
            def __init__(self, input_dim, hidden_dim, num_layers, output_dim):
                super(LSTM, self).__init__()
                self.hidden_dim = hidden_dim
                self.num_layers = num_layers
                self.lstm = nn.LSTM(input_dim, hidden_dim, num_layers, batch_first=True)
                self.fc = nn.Linear(hidden_dim, output_dim)

            def forward(self, x):
                h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_dim).requires_grad_()
                c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_dim).requires_grad_()
                out, (hn, cn) = self.lstm(x, (h0.detach(), c0.detach()))
                out = self.fc(out[:, -1, :])
                return out

        for cls in (GRU, LSTM):
            model = cls(input_dim=1, hidden_dim=8, output_dim=1, num_layers=2)
            criterion = torch.nn.MSELoss(reduction='mean')
            optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
            hist = np.zeros(8)
            for t in range(8):
                y_train_pred = model(x_train)
                loss = criterion(y_train_pred, y_train_gru)
                hist[t] = loss.item()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            o.print("Epoch ", t, "MSE: ", round(float(hist[-1]), 5))
            y_test_pred = model(x_test)
            y_test_pred = sc.inverse_transform(y_test_pred.detach().numpy())
            y_test_ = sc.inverse_transform(y_test_gru.detach().numpy())
            testScore = math.sqrt(np.mean((y_test_[:, 0] - y_test_pred[:, 0]) ** 2))
            o.print('Test Score: %.2f RMSE' % (testScore))
            o.print(model)
            o.vals += [y_test_pred, hist]
    return o.done()


def seq2seq_forecast(L):
    """Encoder LSTM over the input window, LSTMCell decoder stepping target_len times from
    the last observation, teacher forcing drawn with random.random(), outputs written into
    a zeros tensor by index, multi-step windows built with NumPy."""
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(2); random.seed(2)
        series = MinMaxScaler().fit_transform(_series(40, 2)).astype(np.float32)
        iw, ow = 6, 3
        X = np.stack([series[i:i + iw] for i in range(len(series) - iw - ow)])
        Y = np.stack([series[i + iw:i + iw + ow] for i in range(len(series) - iw - ow)])
        X, Y = torch.from_numpy(X), torch.from_numpy(Y)

        class Encoder(nn.Module):
            def __init__(self, input_size, hidden_size, num_layers=1):
                super().__init__()
                self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)

            def forward(self, x):
                lstm_out, self.hidden = self.lstm(x.view(x.shape[0], x.shape[1], -1))
                return lstm_out, self.hidden

        class Decoder(nn.Module):
            def __init__(self, input_size, hidden_size):
                super().__init__()
                self.cell = nn.LSTMCell(input_size, hidden_size)
                self.linear = nn.Linear(hidden_size, input_size)

            def forward(self, x_input, hidden):
                h, c = self.cell(x_input, hidden)
                return self.linear(h), (h, c)

        class Seq2Seq(nn.Module):
            def __init__(self, hidden_size):
                super().__init__()
                self.encoder = Encoder(1, hidden_size)
                self.decoder = Decoder(1, hidden_size)

            def forward(self, x, target_len, target=None, teacher_forcing_ratio=0.5):
                outputs = torch.zeros(x.shape[0], target_len, x.shape[2])
                _, (h, c) = self.encoder(x)
                hidden = (h[-1], c[-1])
                decoder_input = x[:, -1, :]
                for t in range(target_len):
                    out, hidden = self.decoder(decoder_input, hidden)
                    outputs[:, t, :] = out
                    if target is not None and random.random() < teacher_forcing_ratio:
                        decoder_input = target[:, t, :]
                    else:
                        decoder_input = out
                return outputs

        model = Seq2Seq(8)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        criterion = nn.MSELoss()
        for it in range(6):
            batch_loss = 0.
            for b in range(0, X.shape[0], 10):
                optimizer.zero_grad()
                outputs = model(X[b:b + 10], ow, Y[b:b + 10], teacher_forcing_ratio=0.6)
                loss = criterion(outputs, Y[b:b + 10])
                batch_loss += loss.item()
                loss.backward()
                optimizer.step()
            if it % 2 == 0:
                o.print('loss: {:.4f}'.format(batch_loss / 4))
        model.eval()
        with torch.no_grad():
            pred = model(X[:4], ow)
        o.print(pred.shape, pred.requires_grad, outputs.grad_fn is not None)
        o.vals += [pred, model.decoder.cell.weight_ih]
    return o.done()
