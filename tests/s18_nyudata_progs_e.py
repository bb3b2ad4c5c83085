"""dataflowr/notebooks Module2/02b_linear_reg.ipynb and Module11/11_RNN.ipynb as users type
the code cells. 11_RNN: parenthesis-language sequences, an Elman RecNet, a gated
RecNetGating and a 4-layer LSTMNet trained with Adam one sequence at a time, accuracies on the test sets, and the notebook's
running_mean over the list of loss tensors. Fewer steps and shorter sequences; the global
``random`` / ``np.random`` calls go to seeded local generators. For
tests/test_programs_s18_nyudata.py."""

import math
import random as _random
from collections import OrderedDict

import numpy as np
from s16_yunjey_progs import Out


def rnn_parenthesis(L):
    torch, nn, F = L, L.nn, L.nn.functional
    random = _random.Random(0)
    nprandom = np.random.RandomState(0)
    with Out() as o:
        torch.manual_seed(0)

        def running_mean(x, N):
            cumsum = np.cumsum(np.insert(x, 0, 0))
            return (cumsum[N:] - cumsum[:-N]) / float(N)

        def Catalan(k):  # scipy.special.binom in the notebook (no SciPy here)
            return math.comb(2 * k, k) / (k + 1)
        use_gpu = torch.cuda.is_available()

        def gpu(tensor, gpu=use_gpu):
            if gpu:
                return tensor.cuda()
            else:
                return tensor
        seq_max_len = 8
        seq_min_len = 4
        res = []

        def all_parent(n, a, k=-1):
            if k == n - 1 and sum(a) == 0:
                res.append(a.copy())
            elif k == n - 1:
                pass
            else:
                k += 1
                if sum(a) > 0:
                    a[k] = 1
                    all_parent(n, a, k)
                    a[k] = -1
                    all_parent(n, a, k)
                    a[k] = 0
                else:
                    a[k] = 1
                    all_parent(n, a, k)
                    a[k] = 0

        def all_parent_mistake(n, a, k=-1):
            if k == n - 1 and sum(a) >= -1 and sum(a) <= 1 and min(np.cumsum(a)) < 0:
                res.append(a.copy())
            elif sum(a) > n - k:
                pass
            elif k == n - 1:
                pass
            else:
                k += 1
                if sum(a) >= -1 and k != 0:
                    a[k] = 1
                    all_parent_mistake(n, a, k)
                    a[k] = -1
                    all_parent_mistake(n, a, k)
                    a[k] = 0
                else:
                    a[k] = 1
                    all_parent_mistake(n, a, k)
                    a[k] = 0

        def reading_par(l, n):
            res = [0] * len(l)
            s = []
            n_plus = -1
            n_moins = n + 1
            c = 0
            for i in l:
                if i == 1:
                    n_plus += 1
                    s.append(n_plus)
                    res[c] = n_plus
                    c += 1
                else:
                    try:
                        res[c] = n - s.pop()
                    except IndexError:
                        res[c] = n_moins
                        n_moins += 1
                    c += 1
            return res
        all_par = OrderedDict()
        for n in range(seq_min_len, seq_max_len + 1, 2):
            a = [0] * n
            res.clear()
            all_parent(n=n, a=a, k=-1)
            all_par[n] = [reading_par(k, n) for k in res]
        all_par_mist = OrderedDict()
        for n in range(seq_min_len, seq_max_len + 1, 2):
            a = [0] * n
            res.clear()
            all_parent_mistake(n=n, a=a, k=-1)
            all_par_mist[n] = [reading_par(k, n) for k in res]
        o.print(all_par[6])
        long_mist = {i: len(l) for (i, l) in zip(all_par_mist.keys(), all_par_mist.values())}
        Catalan_num = {i: len(l) for (i, l) in zip(all_par.keys(), all_par.values())}
        o.print(long_mist, Catalan_num)
        o.print([(2 * i, Catalan(i)) for i in range(2, int(seq_max_len / 2) + 1)])

        class SequenceGenerator():
            def __init__(self, nb_symbol=10, seq_min_len=4, seq_max_len=10):
                self.nb_symbol = nb_symbol
                self.seq_min_len = seq_min_len
                self.seq_max_len = seq_max_len
                self.population = [i for i in range(int(nb_symbol / 2))]

            def generate_pattern_parenthesis(self, len_r=None):
                if len_r is None:
                    len_r = int(2 * random.randint(self.seq_min_len / 2, self.seq_max_len / 2))
                pattern = nprandom.choice(self.population, size=int(len_r / 2), replace=True)
                ind_r = random.randint(0, Catalan_num[len_r] - 1)
                res = [pattern[i] if i <= len_r / 2 else self.nb_symbol - 1 - pattern[len_r - i] for i in all_par[len_r][ind_r]]
                return res

            def generate_parenthesis_false(self):
                len_r = int(2 * random.randint(self.seq_min_len / 2, self.seq_max_len / 2))
                pattern = nprandom.choice(self.population, size=int(len_r / 2), replace=True)
                ind_r = random.randint(0, long_mist[len_r] - 1)
                res = [pattern[i] if i <= len_r / 2
                       else self.nb_symbol - 1 - pattern[len_r - i] if i <= len_r
                       else self.nb_symbol - 1 - pattern[i - len_r] for i in all_par_mist[len_r][ind_r]]
                return res

            def generate_false(self):
                popu = [i for i in range(nb_symbol)]
                len = random.randint(self.seq_min_len // 2, self.seq_max_len // 2)
                return random.choices(popu, k=len) + random.choices(popu, k=len)

            def generate_label_parenthesis(self, x):
                s = []
                label = 1
                for i in x:
                    if s == [] and i < self.nb_symbol / 2:
                        s.append(i)
                    elif s == [] and i >= self.nb_symbol / 2:
                        label = 0
                        break
                    elif i == self.nb_symbol - 1 - s[-1]:
                        s.pop()
                    else:
                        s.append(i)
                if s != []:
                    label = 0
                return label

            def one_hot(self, seq):
                one_hot_seq = []
                for s in seq:
                    one_hot = [0 for _ in range(self.nb_symbol)]
                    one_hot[s] = 1
                    one_hot_seq.append(one_hot)
                return one_hot_seq

            def generate_input(self, len_r=None, true_parent=False, hard_false=True):
                if true_parent:
                    seq = self.generate_pattern_parenthesis(len_r)
                elif bool(random.getrandbits(1)):
                    seq = self.generate_pattern_parenthesis(len_r)
                else:
                    if hard_false:
                        seq = self.generate_parenthesis_false()
                    else:
                        seq = self.generate_false()
                return (gpu(torch.from_numpy(np.array(self.one_hot(seq))).type(torch.FloatTensor)),
                        gpu(torch.from_numpy(np.array([self.generate_label_parenthesis(seq)]))))

        nb_symbol = 10
        generator = SequenceGenerator(nb_symbol=nb_symbol, seq_min_len=seq_min_len, seq_max_len=seq_max_len)
        o.print(generator.generate_pattern_parenthesis())
        x = generator.generate_parenthesis_false()
        o.print(generator.generate_label_parenthesis(x))
        o.print(generator.generate_input())

        class RecNet(nn.Module):
            def __init__(self, dim_input=10, dim_recurrent=50, dim_output=2):
                super(RecNet, self).__init__()
                self.fc_x2h = nn.Linear(dim_input, dim_recurrent)
                self.fc_h2h = nn.Linear(dim_recurrent, dim_recurrent, bias=False)
                self.fc_h2y = nn.Linear(dim_recurrent, dim_output)

            def forward(self, x):
                h = x.new_zeros(1, self.fc_h2y.weight.size(1))
                for t in range(x.size(0)):
                    h = torch.relu(self.fc_x2h(x[t, :]) + self.fc_h2h(h))
                return self.fc_h2y(h)

        class RecNetGating(nn.Module):
            def __init__(self, dim_input=10, dim_recurrent=50, dim_output=2):
                super(RecNetGating, self).__init__()
                self.fc_x2h = nn.Linear(dim_input, dim_recurrent)
                self.fc_h2h = nn.Linear(dim_recurrent, dim_recurrent, bias=False)
                self.fc_x2z = nn.Linear(dim_input, dim_recurrent)
                self.fc_h2z = nn.Linear(dim_recurrent, dim_recurrent, bias=False)
                self.fc_h2y = nn.Linear(dim_recurrent, dim_output)

            def forward(self, x):
                h = x.new_zeros(1, self.fc_h2y.weight.size(1))
                for t in range(x.size(0)):
                    z = torch.sigmoid(self.fc_x2z(x[t, :]) + self.fc_h2z(h))
                    hb = torch.relu(self.fc_x2h(x[t, :]) + self.fc_h2h(h))
                    h = z * h + (1 - z) * hb
                return self.fc_h2y(h)

        class LSTMNet(nn.Module):
            def __init__(self, dim_input=10, dim_recurrent=50, num_layers=4, dim_output=2):
                super(LSTMNet, self).__init__()
                self.lstm = nn.LSTM(input_size=dim_input,
                                    hidden_size=dim_recurrent,
                                    num_layers=num_layers)
                self.fc_o2y = nn.Linear(dim_recurrent, dim_output)

            def forward(self, x):
                x = x.unsqueeze(1)
                output, _ = self.lstm(x)
                output = output.squeeze(1)
                output = output.narrow(0, output.size(0) - 1, 1)
                return self.fc_o2y(F.relu(output))

        cross_entropy = nn.CrossEntropyLoss()
        nb_train, nb_test = 25, 10
        for Net in (RecNet, RecNetGating, LSTMNet):
            model = gpu(Net(dim_input=nb_symbol))
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
            loss_t, corrects, labels = [], [], []
            for k in range(nb_train):
                x, l = generator.generate_input(hard_false=False)
                y = model(x)
                loss = cross_entropy(y, l)
                _, preds = torch.max(y.data, 1)
                corrects.append(preds.item() == l.data.item())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                loss_t.append(loss)
                labels.append(l.item())
            o.tryit(lambda: running_mean(loss_t, 5))  # tensors that require grad: an error
            o.print(np.round(running_mean([t.item() for t in loss_t], 5), 4))
            o.print(running_mean(corrects, 5), labels)
            for kw in (dict(len_r=seq_max_len, true_parent=True), dict(len_r=seq_max_len, hard_false=True)):
                corrects_test = []
                for k in range(nb_test):
                    x, l = generator.generate_input(**kw)
                    y = model(x)
                    _, preds = torch.max(y.data, 1)
                    corrects_test.append(preds.item() == l.data.item())
                o.print(np.sum(corrects_test) / nb_test)
            o.vals += [y, x, l] + list(model.parameters())
    return o.done()


def linear_reg(L):
    """Module2/02b_linear_reg.ipynb: y = 2x1 - 3x2 + 1 fitted by hand-written gradients in
    NumPy, then with tensors (mm, t), with autograd under no_grad, with nn.Linear whose
    .data is replaced, with optim.SGD; the removed torch.lstsq and torch.linalg.lstsq."""
    torch = L
    with Out() as o:
        rs = np.random.RandomState(0)
        random = rs.random_sample
        x = random((30, 2))
        y = np.dot(x, [2., -3.]) + 1.
        w_init = random(2)
        b_init = random(1)
        w = w_init
        b = b_init
        learning_rate = 1e-2
        dtype = torch.FloatTensor
        x_t = torch.from_numpy(x).type(dtype)
        y_t = torch.from_numpy(y).type(dtype).unsqueeze(1)
        w_init_t = torch.from_numpy(w_init).type(dtype)
        b_init_t = torch.from_numpy(b_init).type(dtype)
        w_t = w_init_t.clone()
        w_t.unsqueeze_(1)
        b_t = b_init_t.clone()
        b_t.unsqueeze_(1)
        o.print("initial values of the parameters:", w_t, b_t)

        def forward_t(x):
            return x.mm(w_t) + b_t

        def loss_t(x, y):
            y_pred = forward_t(x)
            return (y_pred - y).pow(2).sum()

        def gradient_t(x, y):
            return 2 * torch.mm(torch.t(x), x.mm(w_t) + b_t - y), 2 * (x.mm(w_t) + b_t - y).sum()
        for epoch in range(10):
            l_t = loss_t(x_t, y_t)
            grad_w, grad_b = gradient_t(x_t, y_t)
            w_t = w_t - learning_rate * grad_w
            b_t = b_t - learning_rate * grad_b
            o.print("progress:", "epoch:", epoch, "loss", l_t)
        o.print("estimation of the parameters:", w_t, b_t)
        o.vals += [w_t, b_t]
        w_v = w_init_t.clone().unsqueeze(1)
        w_v.requires_grad_(True)
        b_v = b_init_t.clone().unsqueeze(1)
        b_v.requires_grad_(True)
        o.print("initial values of the parameters:", w_v.data, b_v.data)
        for epoch in range(10):
            y_pred = x_t.mm(w_v) + b_v
            loss = (y_pred - y_t).pow(2).sum()
            loss.backward()
            with torch.no_grad():
                w_v -= learning_rate * w_v.grad
                b_v -= learning_rate * b_v.grad
            w_v.grad.zero_()
            b_v.grad.zero_()
            o.print("progress:", "epoch:", epoch, "loss", "%.4f" % loss.data.item())
        o.print("estimation of the parameters:", w_v.data, b_v.data.t())
        o.vals += [w_v, b_v]
        model = torch.nn.Sequential(
            torch.nn.Linear(2, 1),
        )
        for m in model.children():
            m.weight.data = w_init_t.clone().unsqueeze(0)
            m.bias.data = b_init_t.clone()
        loss_fn = torch.nn.MSELoss(reduction='sum')
        model.train()
        for epoch in range(10):
            y_pred = model(x_t)
            loss = loss_fn(y_pred, y_t)
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param.data -= learning_rate * param.grad
            o.print("progress:", "epoch:", epoch, "loss", "%.4f" % loss.data.item())
        o.print("estimation of the parameters:")
        for param in model.parameters():
            o.print(param)
        for n in (30, 300):
            if n == 300:
                x = random((300, 2))
                y = np.dot(x, [2., -3.]) + 1.
                x_t = torch.from_numpy(x).type(dtype)
                y_t = torch.from_numpy(y).type(dtype).unsqueeze(1)
            model = torch.nn.Sequential(
                torch.nn.Linear(2, 1),
            )
            for m in model.children():
                m.weight.data = w_init_t.clone().unsqueeze(0)
                m.bias.data = b_init_t.clone()
            loss_fn = torch.nn.MSELoss(reduction='sum')
            model.train()
            optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
            for epoch in range(10):
                y_pred = model(x_t)
                loss = loss_fn(y_pred, y_t)
                o.print("progress:", "epoch:", epoch, "loss", "%.4e" % loss.item())  # diverges at n=300
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print("estimation of the parameters:")
            for param in model.parameters():
                o.print(param)
            o.vals += list(model.parameters())
            xb_t = torch.cat((x_t, torch.ones(n).unsqueeze(1)), 1)
            o.tryit(lambda: torch.lstsq(y_t, xb_t))
            sol = torch.linalg.lstsq(xb_t, y_t).solution
            o.vals.append(sol[:3])
    return o.done()
