"""Jackson-Kang/Pytorch-VAE-tutorial as users type it: 01_Variational_AutoEncoder.ipynb (MLP
Gaussian encoder / sigmoid decoder, binary_cross_entropy with reduction='sum' plus the KL
term, Adam, the epoch's average loss, decoding noise) and
02_Vector_Quantized_Variational_AutoEncoder.ipynb (strided-conv encoder with residual adds,
VQEmbeddingEMA: addmm distances with alpha=-2, argmin, one_hot, F.embedding, EMA buffers
re-assigned as plain attributes, perplexity; conv-transpose decoder; random codebook
samples). MNIST / CIFAR10 are replaced by seeded NumPy batches of the same layout, sizes
shrunk (8x8 images, 8 hidden channels, 16 codes)."""

import numpy as np
from s16_yunjey_progs import Out


def jk_vae(L):
    L.manual_seed(51)
    nn = L.nn
    DEVICE = L.device("cuda" if False else "cpu")
    batch_size, x_dim, hidden_dim, latent_dim, lr, epochs = 4, 36, 16, 8, 1e-3, 2

    class Encoder(nn.Module):
        def __init__(self, input_dim, hidden_dim, latent_dim):
            super(Encoder, self).__init__()
            self.FC_input = nn.Linear(input_dim, hidden_dim)
            self.FC_input2 = nn.Linear(hidden_dim, hidden_dim)
            self.FC_mean = nn.Linear(hidden_dim, latent_dim)
            self.FC_var = nn.Linear(hidden_dim, latent_dim)
            self.LeakyReLU = nn.LeakyReLU(0.2)
            self.training = True

        def forward(self, x):
            h_ = self.LeakyReLU(self.FC_input(x))
            h_ = self.LeakyReLU(self.FC_input2(h_))
            mean = self.FC_mean(h_)
            log_var = self.FC_var(h_)
            return mean, log_var

    class Decoder(nn.Module):
        def __init__(self, latent_dim, hidden_dim, output_dim):
            super(Decoder, self).__init__()
            self.FC_hidden = nn.Linear(latent_dim, hidden_dim)
            self.FC_hidden2 = nn.Linear(hidden_dim, hidden_dim)
            self.FC_output = nn.Linear(hidden_dim, output_dim)
            self.LeakyReLU = nn.LeakyReLU(0.2)

        def forward(self, x):
            h = self.LeakyReLU(self.FC_hidden(x))
            h = self.LeakyReLU(self.FC_hidden2(h))
            x_hat = L.sigmoid(self.FC_output(h))
            return x_hat

    class Model(nn.Module):
        def __init__(self, Encoder, Decoder):
            super(Model, self).__init__()
            self.Encoder = Encoder
            self.Decoder = Decoder

        def reparameterization(self, mean, var):
            epsilon = L.randn_like(var).to(DEVICE)
            z = mean + var * epsilon
            return z

        def forward(self, x):
            mean, log_var = self.Encoder(x)
            z = self.reparameterization(mean, L.exp(0.5 * log_var))
            x_hat = self.Decoder(z)
            return x_hat, mean, log_var

    rng = np.random.default_rng(5)
    train_loader = [(L.from_numpy(rng.random((batch_size, 1, 6, 6), dtype=np.float32)),
                     L.from_numpy(rng.integers(0, 10, batch_size))) for _ in range(3)]
    with Out() as o:
        encoder = Encoder(input_dim=x_dim, hidden_dim=hidden_dim, latent_dim=latent_dim)
        decoder = Decoder(latent_dim=latent_dim, hidden_dim=hidden_dim, output_dim=x_dim)
        model = Model(Encoder=encoder, Decoder=decoder).to(DEVICE)
        BCE_loss = nn.BCELoss()

        def loss_function(x, x_hat, mean, log_var):
            reproduction_loss = nn.functional.binary_cross_entropy(x_hat, x, reduction='sum')
            KLD = - 0.5 * L.sum(1 + log_var - mean.pow(2) - log_var.exp())
            return reproduction_loss + KLD

        optimizer = L.optim.Adam(model.parameters(), lr=lr)
        o.print("Start training VAE...")
        model.train()
        for epoch in range(epochs):
            overall_loss = 0
            for batch_idx, (x, _) in enumerate(train_loader):
                x = x.view(batch_size, x_dim)
                x = x.to(DEVICE)
                optimizer.zero_grad()
                x_hat, mean, log_var = model(x)
                loss = loss_function(x, x_hat, mean, log_var)
                overall_loss += loss.item()
                loss.backward()
                optimizer.step()
            o.print("\tEpoch", epoch + 1, "complete!", "\tAverage Loss: ",
                    round(overall_loss / (batch_idx * batch_size), 4))
        o.print("Finish!!", encoder.training, model.training)
        model.eval()
        o.print(encoder.training, decoder.training)
        with L.no_grad():
            for batch_idx, (x, _) in enumerate(train_loader):
                x = x.view(batch_size, x_dim)
                x_hat, _, _ = model(x)
                break
            noise = L.randn(batch_size, latent_dim).to(DEVICE)
            generated_images = decoder(noise)
        o.print(x_hat.view(batch_size, 6, 6)[0].shape,
                generated_images.view(batch_size, 1, 6, 6).shape)
        o.print(round(BCE_loss(x_hat, x).item(), 4))
        o.tryit(lambda: x_hat.view(batch_size, 1, 28, 28))
        o.vals += [x_hat, generated_images]
    return o.lines, o.vals


def jk_vqvae(L):
    L.manual_seed(52)
    nn, F = L.nn, L.nn.functional
    DEVICE = L.device("cpu")
    batch_size, input_dim, hidden_dim, n_embeddings, output_dim = 4, 3, 8, 16, 3
    lr, epochs, print_step = 2e-4, 2, 2

    class Encoder(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim, kernel_size=(4, 4, 3, 1), stride=2):
            super(Encoder, self).__init__()
            kernel_1, kernel_2, kernel_3, kernel_4 = kernel_size
            self.strided_conv_1 = nn.Conv2d(input_dim, hidden_dim, kernel_1, stride, padding=1)
            self.strided_conv_2 = nn.Conv2d(hidden_dim, hidden_dim, kernel_2, stride, padding=1)
            self.residual_conv_1 = nn.Conv2d(hidden_dim, hidden_dim, kernel_3, padding=1)
            self.residual_conv_2 = nn.Conv2d(hidden_dim, output_dim, kernel_4, padding=0)

        def forward(self, x):
            x = self.strided_conv_1(x)
            x = self.strided_conv_2(x)
            x = F.relu(x)
            y = self.residual_conv_1(x)
            y = y + x
            x = F.relu(y)
            y = self.residual_conv_2(x)
            y = y + x
            return y

    class VQEmbeddingEMA(nn.Module):
        def __init__(self, n_embeddings, embedding_dim, commitment_cost=0.25, decay=0.999,
                     epsilon=1e-5):
            super(VQEmbeddingEMA, self).__init__()
            self.commitment_cost = commitment_cost
            self.decay = decay
            self.epsilon = epsilon
            init_bound = 1 / n_embeddings
            embedding = L.Tensor(n_embeddings, embedding_dim)
            embedding.uniform_(-init_bound, init_bound)
            self.register_buffer("embedding", embedding)
            self.register_buffer("ema_count", L.zeros(n_embeddings))
            self.register_buffer("ema_weight", self.embedding.clone())

        def encode(self, x):
            M, D = self.embedding.size()
            x_flat = x.detach().reshape(-1, D)
            distances = L.addmm(L.sum(self.embedding ** 2, dim=1) +
                                L.sum(x_flat ** 2, dim=1, keepdim=True),
                                x_flat, self.embedding.t(),
                                alpha=-2.0, beta=1.0)
            indices = L.argmin(distances.float(), dim=-1)
            quantized = F.embedding(indices, self.embedding)
            quantized = quantized.view_as(x)
            return quantized, indices.view(x.size(0), x.size(1))

        def retrieve_random_codebook(self, random_indices):
            quantized = F.embedding(random_indices, self.embedding)
            quantized = quantized.transpose(1, 3)
            return quantized

        def forward(self, x):
            M, D = self.embedding.size()
            x_flat = x.detach().reshape(-1, D)
            distances = L.addmm(L.sum(self.embedding ** 2, dim=1) +
                                L.sum(x_flat ** 2, dim=1, keepdim=True),
                                x_flat, self.embedding.t(),
                                alpha=-2.0, beta=1.0)
            indices = L.argmin(distances.float(), dim=-1)
            encodings = F.one_hot(indices, M).float()
            quantized = F.embedding(indices, self.embedding)
            quantized = quantized.view_as(x)
            if self.training:
                self.ema_count = self.decay * self.ema_count + \
                    (1 - self.decay) * L.sum(encodings, dim=0)
                n = L.sum(self.ema_count)
                self.ema_count = (self.ema_count + self.epsilon) / (n + M * self.epsilon) * n
                dw = L.matmul(encodings.t(), x_flat)
                self.ema_weight = self.decay * self.ema_weight + (1 - self.decay) * dw
                self.embedding = self.ema_weight / self.ema_count.unsqueeze(-1)
            codebook_loss = F.mse_loss(x.detach(), quantized)
            e_latent_loss = F.mse_loss(x, quantized.detach())
            commitment_loss = self.commitment_cost * e_latent_loss
            quantized = x + (quantized - x).detach()
            avg_probs = L.mean(encodings, dim=0)
            perplexity = L.exp(-L.sum(avg_probs * L.log(avg_probs + 1e-10)))
            return quantized, commitment_loss, codebook_loss, perplexity

    class Decoder(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim, kernel_sizes=(1, 3, 2, 2), stride=2):
            super(Decoder, self).__init__()
            kernel_1, kernel_2, kernel_3, kernel_4 = kernel_sizes
            self.residual_conv_1 = nn.Conv2d(input_dim, hidden_dim, kernel_1, padding=0)
            self.residual_conv_2 = nn.Conv2d(hidden_dim, hidden_dim, kernel_2, padding=1)
            self.strided_t_conv_1 = nn.ConvTranspose2d(hidden_dim, hidden_dim, kernel_3, stride,
                                                       padding=0)
            self.strided_t_conv_2 = nn.ConvTranspose2d(hidden_dim, output_dim, kernel_4, stride,
                                                       padding=0)

        def forward(self, x):
            y = self.residual_conv_1(x)
            y = y + x
            x = F.relu(y)
            y = self.residual_conv_2(x)
            y = y + x
            y = F.relu(y)
            y = self.strided_t_conv_1(y)
            y = self.strided_t_conv_2(y)
            return y

    class Model(nn.Module):
        def __init__(self, Encoder, Codebook, Decoder):
            super(Model, self).__init__()
            self.encoder = Encoder
            self.codebook = Codebook
            self.decoder = Decoder

        def forward(self, x):
            z = self.encoder(x)
            z_quantized, commitment_loss, codebook_loss, perplexity = self.codebook(z)
            x_hat = self.decoder(z_quantized)
            return x_hat, commitment_loss, codebook_loss, perplexity

    rng = np.random.default_rng(6)
    train_loader = [(L.from_numpy(rng.random((batch_size, 3, 8, 8), dtype=np.float32)),
                     L.from_numpy(rng.integers(0, 10, batch_size))) for _ in range(3)]
    with Out() as o:
        encoder = Encoder(input_dim=input_dim, hidden_dim=hidden_dim, output_dim=hidden_dim)
        codebook = VQEmbeddingEMA(n_embeddings=n_embeddings, embedding_dim=hidden_dim)
        decoder = Decoder(input_dim=hidden_dim, hidden_dim=hidden_dim, output_dim=output_dim)
        model = Model(Encoder=encoder, Codebook=codebook, Decoder=decoder).to(DEVICE)
        mse_loss = nn.MSELoss()
        optimizer = L.optim.Adam(model.parameters(), lr=lr)
        o.print(list(codebook.state_dict().keys()), len(list(model.parameters())))
        o.print("Start training VQ-VAE...")
        model.train()
        for epoch in range(epochs):
            for batch_idx, (x, _) in enumerate(train_loader):
                x = x.to(DEVICE)
                optimizer.zero_grad()
                x_hat, commitment_loss, codebook_loss, perplexity = model(x)
                recon_loss = mse_loss(x_hat, x)
                loss = recon_loss + commitment_loss + codebook_loss
                loss.backward()
                optimizer.step()
                if batch_idx % print_step == 0:
                    o.print("epoch:", epoch + 1, "  step:", batch_idx + 1, "  recon_loss:",
                            round(recon_loss.item(), 4), "  perplexity: ",
                            round(perplexity.item(), 4), "\n\t\tcommit_loss: ",
                            round(commitment_loss.item(), 4), "  codebook loss: ",
                            round(codebook_loss.item(), 4), "  total_loss: ",
                            round(loss.item(), 4))
        o.print("Finish!!")
        o.print(type(codebook.embedding).__name__, codebook.embedding.requires_grad,
                'embedding' in dict(codebook.named_buffers()), codebook.ema_count.shape)
        model.eval()
        with L.no_grad():
            for batch_idx, (x, _) in enumerate(train_loader):
                x = x.to(DEVICE)
                x_hat, commitment_loss, codebook_loss, perplexity = model(x)
                break
            o.tryit(lambda: codebook.encode(encoder(x)))
            o.tryit(lambda: codebook.encode(encoder(x)[:, :, :1, :1]))
            q, idx = codebook.encode(encoder(x)[:1].repeat(1, 1, 1, 2))
            o.print(q.shape, idx.shape, idx.dtype)
            random_indices = L.floor(L.rand((batch_size, 2, 2)) * n_embeddings).long().to(DEVICE)
            codes = codebook.retrieve_random_codebook(random_indices)
            x_hat_random = decoder(codes.to(DEVICE))
        o.print(x_hat.shape, codes.shape, codes.is_contiguous(), x_hat_random.shape)
        o.vals += [codebook.embedding, codebook.ema_count, x_hat]  # codes of ~1e2: not x_hat_random
    return o.lines, o.vals
