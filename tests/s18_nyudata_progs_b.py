"""Atcold/NYU-DLSP20 08-seq_classification (SimpleRNN, and the LSTM of
1_1_temporal_order_classification_experiments) and 11-VAE as users type the code cells,
scaled down, as ``prog(L) -> (printed, values)`` for tests/test_programs_s18_nyudata.py.
The notebooks' ``sequential_tasks.TemporalOrderExp6aSequence`` generator is replaced by a
small NumPy one of the same shape (one-hot symbols, zero-padded, one-hot classes)."""

import numpy as np
from s16_yunjey_progs import Out


class _TemporalOrder:
    """A stand-in for TemporalOrderExp6aSequence (EASY): sequences 'B ... E' over
    {a, b, c, d} with X/Y at two positions; the class is the order of X and Y."""
    symbols = ['a', 'b', 'c', 'd', 'B', 'E', 'X', 'Y']
    classes = ['Q', 'R', 'S', 'U']
    n_symbols, n_classes = 8, 4

    def __init__(self, batch_size, n_batches, seed):
        self.batch_size, self.n_batches = batch_size, n_batches
        self.rng = np.random.default_rng(seed)
        self.batches = [self._batch() for _ in range(n_batches)]

    def _batch(self):
        lengths = self.rng.integers(7, 10, self.batch_size)
        x = np.zeros((self.batch_size, lengths.max(), 8), np.float32)
        y = np.zeros((self.batch_size, 4), np.float32)
        for i, n in enumerate(lengths):
            seq = list(self.rng.integers(0, 4, n))
            seq[0], seq[-1] = 4, 5
            xy = self.rng.integers(6, 8, 2)
            seq[2], seq[n - 3] = xy
            x[i, np.arange(n), seq] = 1
            y[i, 2 * (xy[0] - 6) + (xy[1] - 6)] = 1
        return x, y

    def __len__(self):
        return self.n_batches

    def __getitem__(self, i):
        return self.batches[i]

    def decode_x(self, x):
        x = x[np.sum(x, axis=1) > 0]
        return ''.join(self.symbols[k] for k in np.argmax(x, axis=1))

    def decode_y(self, y):
        return self.classes[int(np.argmax(y))]

    def decode_x_batch(self, xs):
        return [self.decode_x(x) for x in xs]


def seq_classification(L):
    """08-seq_classification.ipynb: SimpleRNN (relu, batch_first) trained with RMSprop,
    the last step of each sequence picked by fancy indexing; then a SimpleLSTM."""
    torch, nn = L, L.nn
    with Out() as o:
        example_generator = _TemporalOrder(batch_size=4, n_batches=1, seed=0)
        example_batch = example_generator[0]
        o.print(f'The return type is a {type(example_batch)} with length {len(example_batch)}.')
        o.print(f'The first item in the tuple is the batch of sequences with shape {example_batch[0].shape}.')
        sequence_decoded = example_generator.decode_x(example_batch[0][0, :, :])
        o.print(f'The sequence is: {sequence_decoded}')
        o.print(f'The class label is: {example_generator.decode_y(example_batch[1][0])}')
        torch.manual_seed(1)

        class SimpleRNN(nn.Module):
            def __init__(self, input_size, hidden_size, output_size):
                super().__init__()
                self.rnn = torch.nn.RNN(input_size, hidden_size, nonlinearity='relu', batch_first=True)
                self.linear = torch.nn.Linear(hidden_size, output_size)

            def forward(self, x):
                x, _ = self.rnn(x)
                x = self.linear(x)
                return x

        class SimpleLSTM(nn.Module):
            def __init__(self, input_size, hidden_size, output_size):
                super().__init__()
                self.lstm = torch.nn.LSTM(input_size, hidden_size, batch_first=True)
                self.linear = torch.nn.Linear(hidden_size, output_size)

            def forward(self, x):
                h = self.lstm(x)[0]
                x = self.linear(h)
                return x

            def get_states_across_time(self, x):
                h_c = None
                h_list, c_list = list(), list()
                with torch.no_grad():
                    for t in range(x.size(1)):
                        h_c = self.lstm(x[:, [t], :], h_c)[1]
                        h_list.append(h_c[0])
                        c_list.append(h_c[1])
                    h = torch.cat(h_list)
                    c = torch.cat(c_list)
                return h, c

        def train(model, train_data_gen, criterion, optimizer, device):
            model.train()
            num_correct = 0
            for batch_idx in range(len(train_data_gen)):
                optimizer.zero_grad()
                data, target = train_data_gen[batch_idx]
                data, target = torch.from_numpy(data).float().to(device), torch.from_numpy(target).long().to(device)
                output = model(data)
                data_decoded = train_data_gen.decode_x_batch(data.numpy())
                sequence_end = torch.tensor([len(sequence) for sequence in data_decoded]) - 1
                output = output[torch.arange(data.shape[0]).long(), sequence_end, :]
                target = target.argmax(dim=1)
                loss = criterion(output, target)
                loss.backward()
                optimizer.step()
                y_pred = output.argmax(dim=1)
                num_correct += (y_pred == target).sum().item()
            return num_correct, loss.item()

        def test(model, test_data_gen, criterion, device):
            model.eval()
            num_correct = 0
            with torch.no_grad():
                for batch_idx in range(len(test_data_gen)):
                    data, target = test_data_gen[batch_idx]
                    data, target = torch.from_numpy(data).float().to(device), torch.from_numpy(target).long().to(device)
                    output = model(data)
                    data_decoded = test_data_gen.decode_x_batch(data.numpy())
                    sequence_end = torch.tensor([len(sequence) for sequence in data_decoded]) - 1
                    output = output[torch.arange(data.shape[0]).long(), sequence_end, :]
                    target = target.argmax(dim=1)
                    loss = criterion(output, target)
                    y_pred = output.argmax(dim=1)
                    num_correct += (y_pred == target).sum().item()
            return num_correct, loss.item()

        def train_and_test(model, train_data_gen, test_data_gen, criterion, optimizer, max_epochs, verbose=True):
            device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')
            history_train = {'loss': [], 'acc': []}
            history_test = {'loss': [], 'acc': []}
            for epoch in range(max_epochs):
                num_correct, loss = train(model, train_data_gen, criterion, optimizer, device)
                accuracy = float(num_correct) / (len(train_data_gen) * train_data_gen.batch_size) * 100
                history_train['loss'].append(loss)
                history_train['acc'].append(accuracy)
                num_correct, loss = test(model, test_data_gen, criterion, device)
                accuracy = float(num_correct) / (len(test_data_gen) * test_data_gen.batch_size) * 100
                history_test['loss'].append(loss)
                history_test['acc'].append(accuracy)
                if verbose or epoch + 1 == max_epochs:
                    o.print(f'[Epoch {epoch + 1}/{max_epochs}]'
                            f" loss: {history_train['loss'][-1]:.4f}, acc: {history_train['acc'][-1]:2.2f}%"
                            f" - test_loss: {history_test['loss'][-1]:.4f}, test_acc: {history_test['acc'][-1]:2.2f}%")
            return model

        batch_size = 8
        train_data_gen = _TemporalOrder(batch_size, 4, seed=1)
        test_data_gen = _TemporalOrder(batch_size, 2, seed=2)
        input_size = train_data_gen.n_symbols
        hidden_size = 4
        output_size = train_data_gen.n_classes
        model = SimpleRNN(input_size, hidden_size, output_size)
        criterion = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.RMSprop(model.parameters(), lr=0.001)
        model = train_and_test(model, train_data_gen, test_data_gen, criterion, optimizer, 3)
        o.print(model)
        o.vals += list(model.parameters())
        model = SimpleLSTM(input_size, hidden_size, output_size)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=0.001)
        model = train_and_test(model, train_data_gen, test_data_gen, criterion, optimizer, 3,
                               verbose=False)
        o.print(model)
        data = torch.from_numpy(test_data_gen[0][0]).float()
        h, c = model.get_states_across_time(data)
        o.vals += list(model.parameters()) + [h, c]
    return o.done()


def vae(L):
    """11-VAE.ipynb: the MLP VAE on (random) MNIST-shaped data with a DataLoader using a
    worker and pin_memory, BCE + KLD, samples, and the latent interpolation."""
    torch, nn = L, L.nn
    DataLoader = L.utils.data.DataLoader
    with Out() as o:
        torch.manual_seed(1)
        torch.cuda.manual_seed(1)
        batch_size = 16
        rng = np.random.default_rng(0)
        train_x = torch.from_numpy(rng.integers(0, 256, (48, 1, 28, 28), dtype=np.uint8)).float() / 255
        test_x = torch.from_numpy(rng.integers(0, 256, (16, 1, 28, 28), dtype=np.uint8)).float() / 255
        ys = torch.zeros(48, dtype=torch.long)
        kwargs = {'num_workers': 1, 'pin_memory': True}
        train_loader = DataLoader(torch.utils.data.TensorDataset(train_x, ys),
                                  batch_size=batch_size, shuffle=True, **kwargs)
        test_loader = DataLoader(torch.utils.data.TensorDataset(test_x, ys[:16]),
                                 batch_size=batch_size, shuffle=True, **kwargs)
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        d = 20

        class VAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(
                    nn.Linear(784, d ** 2),
                    nn.ReLU(),
                    nn.Linear(d ** 2, d * 2)
                )
                self.decoder = nn.Sequential(
                    nn.Linear(d, d ** 2),
                    nn.ReLU(),
                    nn.Linear(d ** 2, 784),
                    nn.Sigmoid(),
                )

            def reparameterise(self, mu, logvar):
                if self.training:
                    std = logvar.mul(0.5).exp_()
                    eps = std.data.new(std.size()).normal_()
                    return eps.mul(std).add_(mu)
                else:
                    return mu

            def forward(self, x):
                mu_logvar = self.encoder(x.view(-1, 784)).view(-1, 2, d)
                mu = mu_logvar[:, 0, :]
                logvar = mu_logvar[:, 1, :]
                z = self.reparameterise(mu, logvar)
                return self.decoder(z), mu, logvar

        model = VAE().to(device)
        learning_rate = 1e-3
        optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

        def loss_function(x_hat, x, mu, logvar):
            BCE = nn.functional.binary_cross_entropy(x_hat, x.view(-1, 784), reduction='sum')
            KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            return BCE + KLD

        epochs = 2
        for epoch in range(1, epochs + 1):
            model.train()
            train_loss = 0
            for x, _ in train_loader:
                x = x.to(device)
                x_hat, mu, logvar = model(x)
                loss = loss_function(x_hat, x, mu, logvar)
                train_loss += loss.item()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print(f'====> Epoch: {epoch} Average loss: {train_loss / len(train_loader.dataset):.3f}')
            with torch.no_grad():
                model.eval()
                test_loss = 0
                for x, _ in test_loader:
                    x = x.to(device)
                    x_hat, mu, logvar = model(x)
                    test_loss += loss_function(x_hat, x, mu, logvar).item()
            test_loss /= len(test_loader.dataset)
            o.print(f'====> Test set loss: {test_loss:.3f}')
            o.vals += [x_hat.data.cpu().view(-1, 28, 28)]
        N = 16
        sample = torch.randn((N, d)).to(device)
        sample = model.decoder(sample)
        o.vals += [sample]
        A, B = 3, 8
        sample = model.decoder(torch.stack((mu[A].data, mu[B].data), 0))
        pics = torch.stack(((x[A].data.view(-1), x[B].data.view(-1), sample.data[0],
                             sample.data[1])), 0)
        o.vals += [pics]
        N = 16
        code = torch.Tensor(N, 20).to(device)
        for i in range(N):
            code[i] = i / (N - 1) * mu[B].data + (1 - i / (N - 1)) * mu[A].data
        sample = model.decoder(code)
        o.vals += [code, sample]
    return o.done()


def autoencoder(L):
    """10-autoencoder.ipynb (NYU-DLSP21): the standard AE (d = 30) and the denoising AE
    (d = 500, noise from nn.Dropout applied to ones) on (random) Normalize((0.5,), (0.5,))
    images, to_img on outputs and encoder kernels, the byte() images and masks prepared
    for OpenCV's inpainting (cv2 itself left out), the mean of two images decoded. The
    outputs are compared as the notebook shows them, to_img(output) in [0, 1]: after Adam's
    steps through the 784 x 500 layers the raw outputs near 0 carry OpenBLAS-vs-MKL
    rounding of ~2e-6, above the 1e-6 absolute tolerance."""
    torch, nn = L, L.nn
    DataLoader = L.utils.data.DataLoader
    with Out() as o:
        torch.manual_seed(0)

        def to_img(y):
            y = 0.5 * (y + 1)
            y = y.view(y.size(0), 28, 28)
            return y
        batch_size = 16
        rng = np.random.default_rng(3)
        imgs = torch.from_numpy(rng.integers(0, 256, (48, 1, 28, 28), dtype=np.uint8)).float() / 255
        imgs = (imgs - 0.5) / 0.5
        dataset = torch.utils.data.TensorDataset(imgs, torch.zeros(48, dtype=torch.long))
        dataloader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        for d, denoising in ((30, False), (500, True)):
            class Autoencoder(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.encoder = nn.Sequential(
                        nn.Linear(28 * 28, d),
                        nn.Tanh(),
                    )
                    self.decoder = nn.Sequential(
                        nn.Linear(d, 28 * 28),
                        nn.Tanh(),
                    )

                def forward(self, y):
                    h = self.encoder(y)
                    ỹ = self.decoder(h)
                    return ỹ
            model = Autoencoder().to(device)
            criterion = nn.MSELoss()
            learning_rate = 1e-3
            optimizer = torch.optim.Adam(
                model.parameters(),
                lr=learning_rate,
            )
            num_epochs = 2
            do = nn.Dropout()
            for epoch in range(num_epochs):
                for data in dataloader:
                    img, _ = data
                    img = img.to(device)
                    img = img.view(img.size(0), -1)
                    noise = do(torch.ones(img.shape)).to(device)
                    img_bad = (img * noise).to(device)
                    output = model(img_bad if denoising else img)
                    loss = criterion(output, img.data)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                o.print(f'epoch [{epoch + 1}/{num_epochs}], loss:{loss.item():.4f}')
                o.vals.append(to_img(output.cpu().data))
            o.vals.append(to_img(model.encoder[0].weight.cpu().data)[:5])
        corrupted, masks = [], []
        for i in range(0, 5):
            corrupted_img = ((img_bad.data.cpu()[i].view(28, 28) / 4 + 0.5) * 255).byte().numpy()
            mask = 2 - noise.cpu()[i].view(28, 28).byte().numpy()
            corrupted.append(corrupted_img)
            masks.append(mask)
        TELEA = torch.stack([torch.from_numpy(c) for c in corrupted]).float()
        o.print(TELEA.dtype, TELEA.shape, masks[0].dtype, np.unique(masks[0]))
        o.vals += [TELEA, np.stack(masks)]
        with torch.no_grad():
            o.vals += [noise[0:5], img_bad[0:5], img[0:5]]  # output: as to_img(output) above
        y = (img[1:2] + img[15:16]) / 2
        with torch.no_grad():
            ỹ = model(y)
        o.vals += [to_img(y).squeeze(), to_img(ỹ).squeeze()]
    return o.done()
