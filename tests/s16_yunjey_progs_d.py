"""MorvanZhou/PyTorch-Tutorial (tutorial-contents 401-406): CNN, RNN classifier and
regressor, autoencoder, DQN and GAN, Variable-era idioms included, on random MNIST-like data
and the tutorials' own synthetic curves; for tests/test_programs_s16_yunjey.py."""

import numpy as np
from s16_yunjey_progs import Out


def _mnist(L, n, seed):
    rng = np.random.default_rng(seed)
    return (L.from_numpy(rng.integers(0, 256, (n, 8, 8), dtype=np.uint8)),
            L.from_numpy(rng.integers(0, 10, n)))


def cnn(L):
    nn = L.nn
    Variable = L.autograd.Variable
    Data = L.utils.data
    with Out() as o:
        L.manual_seed(1)
        data, labels = _mnist(L, 24, 10)
        o.print(data.size(), labels.size(), '%i' % labels[0])
        train_x = L.unsqueeze(data, dim=1).type(L.FloatTensor) / 255.
        train_loader = Data.DataLoader(dataset=Data.TensorDataset(train_x, labels),
                                       batch_size=8, shuffle=True)
        test_x = Variable(L.unsqueeze(data, dim=1), volatile=True).type(L.FloatTensor)[:10] / 255.
        test_y = labels[:10]

        class CNN(nn.Module):
            def __init__(self):
                super(CNN, self).__init__()
                self.conv1 = nn.Sequential(
                    nn.Conv2d(in_channels=1, out_channels=4, kernel_size=5, stride=1,
                              padding=2),
                    nn.ReLU(),
                    nn.MaxPool2d(kernel_size=2))
                self.conv2 = nn.Sequential(nn.Conv2d(4, 8, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
                self.out = nn.Linear(8 * 2 * 2, 10)

            def forward(self, x):
                x = self.conv1(x)
                x = self.conv2(x)
                x = x.view(x.size(0), -1)
                output = self.out(x)
                return output, x
        cnn = CNN()
        o.print(cnn)
        optimizer = L.optim.Adam(cnn.parameters(), lr=0.001)
        loss_func = nn.CrossEntropyLoss()
        for epoch in range(2):
            for step, (x, y) in enumerate(train_loader):
                b_x = Variable(x)
                b_y = Variable(y)
                output = cnn(b_x)[0]
                loss = loss_func(output, b_y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if step % 2 == 0:
                    test_output, last_layer = cnn(test_x)
                    pred_y = L.max(test_output, 1)[1].data.squeeze()
                    accuracy = sum(pred_y == test_y) / float(test_y.size(0))
                    o.print('Epoch: ', epoch, '| train loss: %.3f' % loss.data.numpy(),
                            '| test accuracy: %.2f' % accuracy, type(accuracy).__name__)
                    o.tryit(lambda: '| train loss: %.4f' % loss.data[0])
                    o.vals.append(loss.item())
        test_output, _ = cnn(test_x[:10])
        pred_y = L.max(test_output, 1)[1].data.numpy().squeeze()
        o.print(pred_y.dtype, pred_y.shape, 'prediction number')
        o.print(test_y[:10].numpy(), 'real number')
        o.vals += [test_output, last_layer]
        o.tryit(lambda: accuracy.item())
        o.tryit(lambda: sum(pred_y == test_y.numpy()) / float(test_y.size(0)))
        o.tryit(lambda: last_layer.data.numpy()[:2, :].shape)
        o.tryit(lambda: cnn(data[:2].unsqueeze(1)))
        o.tryit(lambda: cnn(train_x[0]))
        o.tryit(lambda: nn.Conv2d(1, 4, 5, padding='same')(train_x[:1]).shape)
        o.tryit(lambda: nn.Conv2d(1, 4, 5, stride=2, padding='same'))
        o.tryit(lambda: nn.Conv2d(1, 4, 9)(train_x[:1]))
        o.tryit(lambda: nn.MaxPool2d(2)(L.ones(1, 1, 1, 1)))
        o.tryit(lambda: nn.Conv2d(2, 4, 3)(train_x[:1]))
    return o.done()


def rnn_classifier(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(1)
        TIME_STEP, INPUT_SIZE = 8, 8
        data, labels = _mnist(L, 16, 11)
        train_x = data.type(L.FloatTensor) / 255.

        class RNN(nn.Module):
            def __init__(self):
                super(RNN, self).__init__()
                self.rnn = nn.LSTM(input_size=INPUT_SIZE, hidden_size=12, num_layers=1,
                                   batch_first=True)
                self.out = nn.Linear(12, 10)

            def forward(self, x):
                r_out, (h_n, h_c) = self.rnn(x, None)
                out = self.out(r_out[:, -1, :])
                return out
        rnn = RNN()
        o.print(rnn)
        optimizer = L.optim.Adam(rnn.parameters(), lr=0.01)
        loss_func = nn.CrossEntropyLoss()
        for step in range(4):
            b_x = train_x[step * 4:(step + 1) * 4].view(-1, TIME_STEP, INPUT_SIZE)
            b_y = labels[step * 4:(step + 1) * 4]
            output = rnn(b_x)
            loss = loss_func(output, b_y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            test_output = rnn(train_x)
            pred_y = L.max(test_output, 1)[1].data.numpy()
            accuracy = float((pred_y == labels.numpy()).astype(int).sum()) / float(
                labels.size(0))
            o.print('Epoch: ', 0, '| train loss: %.3f' % loss.data.numpy(),
                    '| test accuracy: %.2f' % accuracy)
            o.vals.append(loss.item())
        test_output = rnn(train_x[:10].view(-1, 8, 8))
        pred_y = L.max(test_output, 1)[1].data.numpy()
        o.print(pred_y.shape, 'prediction number')
        o.vals.append(test_output)
        o.tryit(lambda: rnn(train_x[0]))
        o.tryit(lambda: rnn(train_x.view(-1, 64)))
        o.tryit(lambda: rnn.rnn(train_x, (L.zeros(1, 16, 12),)))
        o.tryit(lambda: rnn.rnn(train_x, L.zeros(1, 16, 12)))
        o.tryit(lambda: nn.RNN(8, 12)(train_x, (L.zeros(1, 8, 12), L.zeros(1, 8, 12))))
        o.tryit(lambda: nn.GRU(8, 12, batch_first=True)(train_x)[1].shape)
        o.tryit(lambda: nn.LSTM(8, 12, batch_first=True)(train_x.long()))
    return o.done()


def rnn_regressor(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(1)
        TIME_STEP, INPUT_SIZE = 10, 1

        class RNN(nn.Module):
            def __init__(self):
                super(RNN, self).__init__()
                self.rnn = nn.RNN(input_size=INPUT_SIZE, hidden_size=32, num_layers=1,
                                  batch_first=True)
                self.out = nn.Linear(32, 1)

            def forward(self, x, h_state):
                r_out, h_state = self.rnn(x, h_state)
                outs = []
                for time_step in range(r_out.size(1)):
                    outs.append(self.out(r_out[:, time_step, :]))
                return L.stack(outs, dim=1), h_state
        rnn = RNN()
        o.print(rnn)
        optimizer = L.optim.Adam(rnn.parameters(), lr=0.02)
        loss_func = nn.MSELoss()
        h_state = None
        for step in range(6):
            start, end = step * np.pi, (step + 1) * np.pi
            steps = np.linspace(start, end, TIME_STEP, dtype=np.float32)
            x_np = np.sin(steps)
            y_np = np.cos(steps)
            x = L.from_numpy(x_np[np.newaxis, :, np.newaxis])
            y = L.from_numpy(y_np[np.newaxis, :, np.newaxis])
            prediction, h_state = rnn(x, h_state)
            h_state = h_state.data
            loss = loss_func(prediction, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.vals.append(loss.item())
        o.print(prediction.data.numpy().flatten().shape, h_state.shape, h_state.requires_grad)
        o.vals += [prediction, h_state]
        prediction, h2 = rnn(x, h_state.requires_grad_())
        o.print(h2.requires_grad, type(h2.grad_fn).__name__)
        # forgetting to repack the hidden state
        h = None
        for step in range(2):
            p, h = rnn(x, h)
            loss = loss_func(p, y)
            optimizer.zero_grad()
            o.tryit(lambda: loss.backward())
        o.tryit(lambda: rnn(x, L.zeros(1, 32)))
        o.tryit(lambda: rnn(x, L.zeros(2, 1, 32)))
        o.tryit(lambda: rnn(x[0], None)[0].shape)
        o.tryit(lambda: rnn(L.from_numpy(np.sin(steps)), None))
        o.tryit(lambda: rnn(L.from_numpy(np.sin(steps.astype(np.float64)))[None, :, None], None))
    return o.done()


def autoencoder(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(1)

        class AutoEncoder(nn.Module):
            def __init__(self):
                super(AutoEncoder, self).__init__()
                self.encoder = nn.Sequential(nn.Linear(8 * 8, 16), nn.Tanh(), nn.Linear(16, 8),
                                             nn.Tanh(), nn.Linear(8, 3))
                self.decoder = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 16),
                                             nn.Tanh(), nn.Linear(16, 8 * 8), nn.Sigmoid())

            def forward(self, x):
                encoded = self.encoder(x)
                decoded = self.decoder(encoded)
                return encoded, decoded
        autoencoder = AutoEncoder()
        o.print(autoencoder)
        optimizer = L.optim.Adam(autoencoder.parameters(), lr=0.005)
        loss_func = nn.MSELoss()
        data, labels = _mnist(L, 12, 12)
        train = data.type(L.FloatTensor) / 255.
        for step in range(3):
            x = train[step * 4:(step + 1) * 4]
            b_x = x.view(-1, 8 * 8)
            b_y = x.view(-1, 8 * 8)
            encoded, decoded = autoencoder(b_x)
            loss = loss_func(decoded, b_y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print('Epoch: ', 0, '| train loss: %.3f' % loss.data.numpy())
            o.vals.append(loss.item())
        view_data = data[:5].view(-1, 8 * 8).type(L.FloatTensor) / 255.
        encoded_data, _ = autoencoder(view_data)
        X, Y, Z = (encoded_data.data[:, 0].numpy(), encoded_data.data[:, 1].numpy(),
                   encoded_data.data[:, 2].numpy())
        o.print(X.shape, X.dtype, Z.flags['C_CONTIGUOUS'], X.flags['OWNDATA'])
        o.vals += [X, Y, Z, encoded_data]
        o.tryit(lambda: autoencoder(data[:5].view(-1, 64)))
        o.tryit(lambda: data[:5].view(-1, 64).type(L.FloatTensor).requires_grad)
        o.tryit(lambda: loss_func(decoded, data[:4].view(-1, 64)))
    return o.done()


def dqn(L):
    nn = L.nn
    F = nn.functional
    Variable = L.autograd.Variable
    with Out() as o:
        BATCH_SIZE, LR, EPSILON, GAMMA, TARGET_REPLACE_ITER = 8, 0.01, 0.9, 0.9, 3
        MEMORY_CAPACITY, N_ACTIONS, N_STATES = 20, 2, 4
        rs = np.random.RandomState(0)

        class Net(nn.Module):
            def __init__(self, ):
                super(Net, self).__init__()
                self.fc1 = nn.Linear(N_STATES, 10)
                self.fc1.weight.data.normal_(0, 0.1)
                self.out = nn.Linear(10, N_ACTIONS)
                self.out.weight.data.normal_(0, 0.1)

            def forward(self, x):
                x = self.fc1(x)
                x = F.relu(x)
                actions_value = self.out(x)
                return actions_value

        class DQN(object):
            def __init__(self):
                self.eval_net, self.target_net = Net(), Net()
                self.learn_step_counter = 0
                self.memory_counter = 0
                self.memory = np.zeros((MEMORY_CAPACITY, N_STATES * 2 + 2))
                self.optimizer = L.optim.Adam(self.eval_net.parameters(), lr=LR)
                self.loss_func = nn.MSELoss()

            def choose_action(self, x):
                x = Variable(L.unsqueeze(L.FloatTensor(x), 0))
                if rs.uniform() < EPSILON:
                    actions_value = self.eval_net.forward(x)
                    action = L.max(actions_value, 1)[1].data.numpy()[0]
                else:
                    action = rs.randint(0, N_ACTIONS)
                return action

            def store_transition(self, s, a, r, s_):
                transition = np.hstack((s, [a, r], s_))
                index = self.memory_counter % MEMORY_CAPACITY
                self.memory[index, :] = transition
                self.memory_counter += 1

            def learn(self):
                if self.learn_step_counter % TARGET_REPLACE_ITER == 0:
                    self.target_net.load_state_dict(self.eval_net.state_dict())
                self.learn_step_counter += 1
                sample_index = rs.choice(MEMORY_CAPACITY, BATCH_SIZE)
                b_memory = self.memory[sample_index, :]
                b_s = Variable(L.FloatTensor(b_memory[:, :N_STATES]))
                b_a = Variable(L.LongTensor(b_memory[:, N_STATES:N_STATES + 1].astype(int)))
                b_r = Variable(L.FloatTensor(b_memory[:, N_STATES + 1:N_STATES + 2]))
                b_s_ = Variable(L.FloatTensor(b_memory[:, -N_STATES:]))
                q_eval = self.eval_net(b_s).gather(1, b_a)
                q_next = self.target_net(b_s_).detach()
                q_target = b_r + GAMMA * q_next.max(1)[0].view(BATCH_SIZE, 1)
                loss = self.loss_func(q_eval, q_target)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                return loss, q_eval, b_a
        L.manual_seed(0)
        dqn = DQN()
        o.print(dqn.eval_net)
        o.print('\nCollecting experience...')
        s = rs.standard_normal(N_STATES)
        actions = []
        for i in range(30):
            a = dqn.choose_action(s)
            actions.append(type(a).__name__)
            s_ = rs.standard_normal(N_STATES)
            dqn.store_transition(s, a, float(rs.standard_normal()), s_)
            if dqn.memory_counter > MEMORY_CAPACITY:
                loss, q_eval, b_a = dqn.learn()
                o.vals.append(loss.item())
            s = s_
        o.print(sorted(set(actions)), 'Ep: ', 0, '| Ep_r: ', round(1.23456, 2))
        o.print(q_eval.shape, b_a.dtype, type(loss.grad_fn).__name__)
        o.vals += [q_eval, dqn.eval_net.out.weight]
        x = L.unsqueeze(L.FloatTensor(s), 0)
        o.tryit(lambda: L.FloatTensor(s).dtype)
        o.tryit(lambda: L.FloatTensor(np.float32(s)).dtype)
        o.tryit(lambda: L.LongTensor(np.array([[1.0], [0.0]])))
        o.tryit(lambda: L.LongTensor(np.array([[1], [0]])).dtype)
        o.tryit(lambda: dqn.eval_net(x).gather(1, L.FloatTensor([[1.0]])))
        o.tryit(lambda: dqn.eval_net(x).gather(1, L.LongTensor([1])))
        o.tryit(lambda: dqn.eval_net(x).gather(1, L.LongTensor([[2]])))
        o.tryit(lambda: dqn.eval_net(L.FloatTensor(s)))
        o.tryit(lambda: dqn.eval_net(L.tensor(s)))
        o.tryit(lambda: dqn.eval_net(L.from_numpy(s)))
        o.tryit(lambda: L.max(dqn.eval_net(x), 1)[1].data.numpy()[0])
        o.tryit(lambda: L.max(dqn.eval_net(x), 1)[1].item())
        o.tryit(lambda: dqn.eval_net(x).max(1)[1].view(1, 1))
        o.tryit(lambda: dqn.eval_net(x).argmax().numpy())
        o.tryit(lambda: np.hstack((s, [L.tensor(1), 0.5], s)).dtype)
    return o.done()


def gan(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(1)
        rs = np.random.RandomState(1)
        BATCH_SIZE, LR_G, LR_D, N_IDEAS, ART_COMPONENTS = 8, 0.0001, 0.0001, 5, 15
        PAINT_POINTS = np.vstack([np.linspace(-1, 1, ART_COMPONENTS) for _ in range(BATCH_SIZE)])

        def artist_works():
            a = rs.uniform(1, 2, size=BATCH_SIZE)[:, np.newaxis]
            paintings = a * np.power(PAINT_POINTS, 2) + (a - 1)
            paintings = L.from_numpy(paintings).float()
            return paintings
        G = nn.Sequential(nn.Linear(N_IDEAS, 16), nn.ReLU(), nn.Linear(16, ART_COMPONENTS))
        D = nn.Sequential(nn.Linear(ART_COMPONENTS, 16), nn.ReLU(), nn.Linear(16, 1),
                          nn.Sigmoid())
        opt_D = L.optim.Adam(D.parameters(), lr=LR_D)
        opt_G = L.optim.Adam(G.parameters(), lr=LR_G)
        for step in range(4):
            artist_paintings = artist_works()
            G_ideas = L.randn(BATCH_SIZE, N_IDEAS, requires_grad=True)
            G_paintings = G(G_ideas)
            prob_artist1 = D(G_paintings)
            G_loss = L.mean(L.log(1. - prob_artist1))
            opt_G.zero_grad()
            G_loss.backward()
            opt_G.step()
            prob_artist0 = D(artist_paintings)
            prob_artist1 = D(G_paintings.detach())
            D_loss = - L.mean(L.log(prob_artist0) + L.log(1. - prob_artist1))
            opt_D.zero_grad()
            D_loss.backward(retain_graph=True)
            opt_D.step()
            o.print('D accuracy=%.2f (0.5 for D to converge)' % prob_artist0.data.numpy().mean())
            o.print('D score= %.2f (-1.38 for G to converge)' % -D_loss.data.numpy())
            o.vals += [G_loss.item(), D_loss.item()]
        o.vals += [G_paintings.data.numpy()[0], G_ideas.grad]
        o.tryit(lambda: type(-D_loss.data.numpy()).__name__)
        o.tryit(lambda: D_loss.backward())
        o.tryit(lambda: G_loss.backward())
        # the original ordering: D steps first, then G's loss reuses D's modified weights
        G_paintings = G(L.randn(BATCH_SIZE, N_IDEAS))
        prob_artist1 = D(G_paintings)
        D_loss = - L.mean(L.log(D(artist_works())) + L.log(1. - prob_artist1))
        G_loss = L.mean(L.log(1. - prob_artist1))
        opt_D.zero_grad()
        D_loss.backward(retain_graph=True)
        opt_D.step()
        opt_G.zero_grad()
        o.tryit(lambda: G_loss.backward())
    return o.done()
