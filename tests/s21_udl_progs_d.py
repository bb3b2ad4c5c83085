"""udlbook copies and companions: udlbook/udlbook Notebooks/Chap20/20_1_Random_Data.ipynb
(five-layer MLP trained on true data, randomised inputs and permuted labels),
ullizen/udlbook-example-network 7_8_two_layer_network.py (the book's figure 7.8 listing) and
ThanhL/udlbook-learn Notebooks/Chap17/vae_pytorch_learn.ipynb (a Mish VAE with the
reparameterisation trick and a KL term kept on the module, losses summed as tensors).
MNIST / MNIST-1D made with NumPy; sizes shrunk."""

import numpy as np
from s16_yunjey_progs import Out
from s21_udl_progs import mnist1d_data


def random_data(torch):
    """Notebook 20.1 (TODOs filled in: inputs resampled with the data's mean and std,
    labels permuted)."""
    nn = torch.nn
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    StepLR = torch.optim.lr_scheduler.StepLR
    torch.manual_seed(9)
    np.random.seed(9)
    data = mnist1d_data(200, 10, seed=9)
    with Out() as o:
        D_i, D_k, D_o = 40, 60, 10
        model = nn.Sequential(nn.Linear(D_i, D_k), nn.ReLU(), nn.Linear(D_k, D_k), nn.ReLU(),
                              nn.Linear(D_k, D_k), nn.ReLU(), nn.Linear(D_k, D_k), nn.ReLU(),
                              nn.Linear(D_k, D_o))

        def weights_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_uniform_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)

        def train_model(train_data_x, train_data_y, n_epoch):
            loss_function = nn.CrossEntropyLoss()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
            scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
            x_train = torch.tensor(train_data_x.transpose().astype('float32'))
            y_train = torch.tensor(train_data_y.astype('long'))
            data_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=100,
                                     shuffle=True, worker_init_fn=np.random.seed(1))
            model.apply(weights_init)
            losses_train = np.zeros((n_epoch))
            for epoch in range(n_epoch):
                for i, data in enumerate(data_loader):
                    x_batch, y_batch = data
                    optimizer.zero_grad()
                    pred = model(x_batch)
                    loss = loss_function(pred, y_batch)
                    loss.backward()
                    optimizer.step()
                pred_train = model(x_train)
                _, predicted_train_class = torch.max(pred_train.data, 1)
                losses_train[epoch] = loss_function(pred_train, y_train).item()
                if epoch % 2 == 0:
                    o.print("Epoch %d, train loss %3.3f" % (epoch, losses_train[epoch]))
                scheduler.step()
            return losses_train
        train_data_x = data['x'].transpose()
        train_data_y = data['y']
        o.print("Train data: %d examples (columns), each of which has %d dimensions (rows)" % ((train_data_x.shape[1], train_data_x.shape[0])))
        n_epoch = 5
        loss_true_labels = train_model(train_data_x, train_data_y, n_epoch)
        train_data_x_randomized = np.random.normal(np.mean(train_data_x), np.std(train_data_x),
                                                   train_data_x.shape)
        loss_randomized_data = train_model(train_data_x_randomized, train_data_y, n_epoch)
        train_data_y_permuted = np.random.permutation(train_data_y)
        loss_permuted_labels = train_model(train_data_x, train_data_y_permuted, n_epoch)
        o.vals += [loss_true_labels, loss_randomized_data, loss_permuted_labels]
    return o.done()


def two_layer_network(torch):
    """7_8_two_layer_network.py: the book's figure 7.8, MSE on random data, StepLR."""
    nn = torch.nn
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    StepLR = torch.optim.lr_scheduler.StepLR
    torch.manual_seed(10)
    with Out() as o:
        D_i, D_k, D_o = 10, 40, 5
        model = nn.Sequential(
            nn.Linear(D_i, D_k),
            nn.ReLU(),
            nn.Linear(D_k, D_k),
            nn.ReLU(),
            nn.Linear(D_k, D_o)
        )

        def weight_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_normal_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)
        model.apply(weight_init)
        criterion = nn.MSELoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
        x = torch.randn(100, D_i)
        y = torch.randn(100, D_o)
        data_loader = DataLoader(TensorDataset(x, y), batch_size=10)
        for epoch in range(25):
            epoch_loss = 0.0
            for i, data in enumerate(data_loader):
                x_batch, y_batch = data
                optimizer.zero_grad()
                pred = model(x_batch)
                loss = criterion(pred, y_batch)
                loss.backward()
                optimizer.step()
                epoch_loss += loss.item()
            o.print(f'Epoch {epoch:5d}, loss {epoch_loss:.3f}')
            scheduler.step()
        o.print(scheduler.state_dict())
        o.vals += [x, y, *model.parameters()]
    return o.done()


def vae_learn(torch):
    """vae_pytorch_learn.ipynb: Encoder / Decoder / VAE with nn.Mish, KL on the encoder."""
    nn = torch.nn
    torch.manual_seed(0)
    rng = np.random.RandomState(11)
    pix = rng.randint(0, 256, (96, 1, 28, 28)).astype(np.uint8)
    with Out() as o:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
        ds = torch.utils.data.TensorDataset(torch.from_numpy(pix).float() / 255,
                                            torch.from_numpy(rng.randint(0, 10, 96)))
        data = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=True)
        x, y = next(iter(data))
        x_sample = torch.permute(x[0], (2, 1, 0))
        o.print(f"x_shape: {x.shape}")
        o.print(f"min: {torch.min(x_sample)} max: {torch.max(x_sample)}")
        o.print(f"mean: {torch.mean(x):.6f}, var: {torch.var(x):.6f}")

        class Decoder(nn.Module):
            def __init__(self, latent_dim):
                super().__init__()
                self.decoder_ff = nn.Sequential(
                    nn.Linear(latent_dim, 64),
                    nn.Mish(),
                    nn.Linear(64, 28 * 28),
                    nn.Sigmoid(),
                )

            def forward(self, x):
                decoder_out = self.decoder_ff(x)
                return decoder_out.view((-1, 1, 28, 28))

        class Encoder(nn.Module):
            def __init__(self, latent_dim):
                super().__init__()
                self.encoder_ff = nn.Sequential(
                    nn.Linear(28 * 28, 64),
                    nn.Mish(),
                )
                self.mean_linear = nn.Linear(64, latent_dim)
                self.logstd_linear = nn.Linear(64, latent_dim)
                self.kl = 0

            def forward(self, x):
                x = torch.flatten(x, start_dim=1)
                x = self.encoder_ff(x)
                mu = self.mean_linear(x)
                sigma = torch.exp(self.logstd_linear(x))
                z = mu + sigma * torch.randn(mu.shape).to(x.device)
                self.kl = (sigma**2 + mu**2 - torch.log(sigma) - 1/2).sum()
                return z

        class VAE(nn.Module):
            def __init__(self, latent_dim):
                super().__init__()
                self.encoder = Encoder(latent_dim=latent_dim)
                self.decoder = Decoder(latent_dim=latent_dim)

            def forward(self, x):
                z = self.encoder(x)
                return self.decoder(z)
        latent_dim = 5
        batch_size = 32
        encoder = Encoder(latent_dim=latent_dim).to(device)
        decoder = Decoder(latent_dim=latent_dim).to(device)
        x_sample = torch.randn((batch_size, 1, 28, 28)).to(device)
        encoder_out = encoder(x_sample.flatten(start_dim=1))
        o.print(f"x_sample: {x_sample.shape}", encoder_out.shape, decoder(encoder_out).shape)
        vae = VAE(latent_dim=latent_dim).to(device)
        x_sample = torch.randn((batch_size, 1, 28, 28)).to(device)
        xhat = vae(x_sample)
        o.print(f"xhat: {xhat.shape}")
        o.print(type(vae.encoder.kl).__name__, vae.encoder.kl.grad_fn.name(),
                f"{vae.encoder.kl.item():.3f}")
        NUM_EPOCHS = 3
        LATENT_DIM = 2
        epoch_losses = []
        vae = VAE(latent_dim=LATENT_DIM).to(device)
        opt = torch.optim.Adam(vae.parameters())
        for epoch in range(NUM_EPOCHS):
            epoch_loss = 0
            for x, y in data:
                x = x.to(device)
                opt.zero_grad()
                x_hat = vae(x)
                loss = ((x - x_hat)**2).sum() + vae.encoder.kl
                loss.backward()
                epoch_loss += loss
                opt.step()
            o.print(f"epoch {epoch}, epoch loss: {epoch_loss.item():.2f}",
                    epoch_loss.requires_grad, type(epoch_loss.grad_fn).__name__)
            epoch_losses.append(epoch_loss.item())
        o.print(vae)
        o.vals += [epoch_losses, *vae.parameters()]
    return o.done()
