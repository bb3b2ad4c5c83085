"""yunjey/pytorch-tutorial, second part: the language model (Embedding + LSTM, truncated
backprop with detached states, clip_grad_norm_, multinomial sampling), the GAN and VAE on
MNIST-sized random data, neural style transfer's content / Gram-matrix style losses on a tiny
conv net standing in for VGG-19, and the image-captioning decoder (embedding, LSTM over a
pack_padded_sequence, greedy sampling); for tests/test_programs_s16_yunjey.py."""

import numpy as np
from s16_yunjey_progs import Out


def language_model(L):
    nn = L.nn
    clip_grad_norm_ = nn.utils.clip_grad_norm_
    with Out() as o:
        embed_size, hidden_size, num_layers = 8, 16, 1
        batch_size, seq_length, vocab_size = 4, 5, 11
        rng = np.random.default_rng(5)
        ids = L.from_numpy(rng.integers(0, vocab_size, (batch_size, 21)))
        num_batches = ids.size(1) // seq_length

        class RNNLM(nn.Module):
            def __init__(self, vocab_size, embed_size, hidden_size, num_layers):
                super(RNNLM, self).__init__()
                self.embed = nn.Embedding(vocab_size, embed_size)
                self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
                self.linear = nn.Linear(hidden_size, vocab_size)

            def forward(self, x, h):
                x = self.embed(x)
                out, (h, c) = self.lstm(x, h)
                out = out.reshape(out.size(0) * out.size(1), out.size(2))
                out = self.linear(out)
                return out, (h, c)
        L.manual_seed(0)
        model = RNNLM(vocab_size, embed_size, hidden_size, num_layers)
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.002)

        def detach(states):
            return [state.detach() for state in states]
        num_epochs = 2
        for epoch in range(num_epochs):
            states = (L.zeros(num_layers, batch_size, hidden_size),
                      L.zeros(num_layers, batch_size, hidden_size))
            for i in range(0, ids.size(1) - seq_length, seq_length):
                inputs = ids[:, i:i + seq_length]
                targets = ids[:, (i + 1):(i + 1) + seq_length]
                states = detach(states)
                outputs, states = model(inputs, states)
                loss = criterion(outputs, targets.reshape(-1))
                optimizer.zero_grad()
                loss.backward()
                norm = clip_grad_norm_(model.parameters(), 0.5)
                optimizer.step()
                step = (i + 1) // seq_length
                o.print('Epoch [{}/{}], Step[{}/{}], Loss: {:.3f}, Perplexity: {:5.2f}'
                        .format(epoch + 1, num_epochs, step, num_batches, loss.item(),
                                np.exp(loss.item())))
                o.vals += [loss.item(), norm]
        o.print(type(states), len(states), states[0].requires_grad, type(norm).__name__)
        o.tryit(lambda: criterion(outputs, targets))
        o.tryit(lambda: model(inputs, states[0]))
        o.tryit(lambda: model(inputs.float(), states))
        o.tryit(lambda: model.embed(L.tensor([vocab_size])))
        o.tryit(lambda: model.embed(L.tensor([-1])))
        # sampling
        L.manual_seed(1)
        with L.no_grad():
            state = (L.zeros(num_layers, 1, hidden_size), L.zeros(num_layers, 1, hidden_size))
            prob = L.ones(vocab_size)
            input = L.multinomial(prob, num_samples=1).unsqueeze(1)
            o.print(input, input.dtype)
            words = []
            for i in range(12):
                output, state = model(input, state)
                prob = output.exp()
                word_id = L.multinomial(prob, num_samples=1).item()
                input.fill_(word_id)
                words.append(word_id)
                if (i + 1) % 6 == 0:
                    o.print('Sampled [{}/{}] words and save to {}'.format(i + 1, 12,
                                                                         'sample.txt'))
            o.print(words, prob.shape)
            o.tryit(lambda: L.multinomial(L.zeros(3), 1))
            o.tryit(lambda: L.multinomial(L.tensor([-1.0, 2.0]), 1))
            o.tryit(lambda: L.multinomial(L.ones(3), 4))
            o.tryit(lambda: L.multinomial(L.ones(3), 2, replacement=True).shape)
            o.tryit(lambda: L.multinomial(L.ones(2, 3, 4), 1))
        o.vals.append(output)
    return o.done()


def gan(L):
    nn = L.nn
    with Out() as o:
        latent_size, hidden_size, image_size, batch_size = 8, 16, 36, 6
        L.manual_seed(0)
        D = nn.Sequential(
            nn.Linear(image_size, hidden_size), nn.LeakyReLU(0.2),
            nn.Linear(hidden_size, hidden_size), nn.LeakyReLU(0.2),
            nn.Linear(hidden_size, 1), nn.Sigmoid())
        G = nn.Sequential(
            nn.Linear(latent_size, hidden_size), nn.ReLU(),
            nn.Linear(hidden_size, hidden_size), nn.ReLU(),
            nn.Linear(hidden_size, image_size), nn.Tanh())
        o.print(D); o.print(G)
        criterion = nn.BCELoss()
        d_optimizer = L.optim.Adam(D.parameters(), lr=0.0002)
        g_optimizer = L.optim.Adam(G.parameters(), lr=0.0002)

        def denorm(x):
            out = (x + 1) / 2
            return out.clamp(0, 1)

        def reset_grad():
            d_optimizer.zero_grad()
            g_optimizer.zero_grad()
        rng = np.random.default_rng(6)
        for i in range(4):
            images = L.from_numpy(rng.random((batch_size, 1, 6, 6), dtype=np.float32))
            images = (images - 0.5) / 0.5
            images = images.reshape(batch_size, -1)
            real_labels = L.ones(batch_size, 1)
            fake_labels = L.zeros(batch_size, 1)
            outputs = D(images)
            d_loss_real = criterion(outputs, real_labels)
            real_score = outputs
            z = L.randn(batch_size, latent_size)
            fake_images = G(z)
            outputs = D(fake_images)
            d_loss_fake = criterion(outputs, fake_labels)
            fake_score = outputs
            d_loss = d_loss_real + d_loss_fake
            reset_grad()
            d_loss.backward()
            d_optimizer.step()
            z = L.randn(batch_size, latent_size)
            fake_images = G(z)
            outputs = D(fake_images)
            g_loss = criterion(outputs, real_labels)
            reset_grad()
            g_loss.backward()
            g_optimizer.step()
            o.print('Epoch [{}/{}], Step [{}/{}], d_loss: {:.4f}, g_loss: {:.4f}, D(x): {:.2f}, '
                    'D(G(z)): {:.2f}'.format(0, 1, i + 1, 4, d_loss.item(), g_loss.item(),
                                             real_score.mean().item(),
                                             fake_score.mean().item()))
            o.vals += [d_loss.item(), g_loss.item()]
        fake_images = fake_images.reshape(fake_images.size(0), 1, 6, 6)
        o.vals.append(denorm(fake_images))
        o.tryit(lambda: criterion(outputs, L.ones(batch_size)))
        o.tryit(lambda: criterion(outputs.squeeze(), real_labels))
        o.tryit(lambda: criterion(fake_images.view(batch_size, -1), real_labels))
        o.tryit(lambda: criterion(outputs, L.ones(batch_size, 1, dtype=L.long)))
        o.tryit(lambda: criterion(outputs * 2, real_labels))
        o.tryit(lambda: nn.BCEWithLogitsLoss()(outputs, L.ones(batch_size)))
        o.tryit(lambda: nn.functional.binary_cross_entropy(L.tensor([0.0, 1.0]),
                                                           L.tensor([1.0, 0.0])))
        o.tryit(lambda: d_loss.backward())
    return o.done()


def vae(L):
    nn = L.nn
    F = nn.functional
    with Out() as o:
        class VAE(nn.Module):
            def __init__(self, image_size=784, h_dim=400, z_dim=20):
                super(VAE, self).__init__()
                self.fc1 = nn.Linear(image_size, h_dim)
                self.fc2 = nn.Linear(h_dim, z_dim)
                self.fc3 = nn.Linear(h_dim, z_dim)
                self.fc4 = nn.Linear(z_dim, h_dim)
                self.fc5 = nn.Linear(h_dim, image_size)

            def encode(self, x):
                h = F.relu(self.fc1(x))
                return self.fc2(h), self.fc3(h)

            def reparameterize(self, mu, log_var):
                std = L.exp(log_var / 2)
                eps = L.randn_like(std)
                return mu + eps * std

            def decode(self, z):
                h = F.relu(self.fc4(z))
                return F.sigmoid(self.fc5(h))

            def forward(self, x):
                mu, log_var = self.encode(x)
                z = self.reparameterize(mu, log_var)
                x_reconst = self.decode(z)
                return x_reconst, mu, log_var
        image_size = 36
        L.manual_seed(0)
        model = VAE(image_size, 12, 3)
        o.print(model)
        optimizer = L.optim.Adam(model.parameters(), lr=1e-3)
        rng = np.random.default_rng(7)
        for i in range(3):
            x = L.from_numpy(rng.random((5, 1, 6, 6), dtype=np.float32)).view(-1, image_size)
            x_reconst, mu, log_var = model(x)
            reconst_loss = F.binary_cross_entropy(x_reconst, x, size_average=False)
            kl_div = - 0.5 * L.sum(1 + log_var - mu.pow(2) - log_var.exp())
            loss = reconst_loss + kl_div
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print("Epoch[{}/{}], Step [{}/{}], Reconst Loss: {:.3f}, KL Div: {:.4f}"
                    .format(1, 1, i + 1, 3, reconst_loss.item(), kl_div.item()))
            o.vals += [reconst_loss.item(), kl_div.item()]
        o.tryit(lambda: F.binary_cross_entropy(x_reconst, x, reduction='sum').item() > 0)
        o.tryit(lambda: F.binary_cross_entropy(x_reconst, x, size_average=True, reduce=False)
                .shape)
        o.tryit(lambda: F.binary_cross_entropy(x_reconst, x, reduce=False).shape)
        o.tryit(lambda: nn.BCELoss(size_average=False))
        o.tryit(lambda: nn.MSELoss(reduction='elementwise_mean'))
        o.tryit(lambda: F.binary_cross_entropy(x_reconst, x * 2))
        o.tryit(lambda: F.binary_cross_entropy(x_reconst, x.view(5, 1, 6, 6)))
        o.tryit(lambda: type(F.tanh(x).grad_fn).__name__)
        with L.no_grad():
            z = L.randn(5, 3)
            out = model.decode(z).view(-1, 1, 6, 6)
            out2, _, _ = model(x)
            x_concat = L.cat([x.view(-1, 1, 6, 6), out2.view(-1, 1, 6, 6)], dim=3)
        o.print(x_concat.shape, out.requires_grad)
        o.vals += [out, x_concat]
    return o.done()


def style_transfer(L):
    nn = L.nn
    with Out() as o:
        class VGGNet(nn.Module):
            def __init__(self):
                super(VGGNet, self).__init__()
                self.select = ['0', '2', '5']
                self.vgg = nn.Sequential(
                    nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True),
                    nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(inplace=True),
                    nn.MaxPool2d(2, 2),
                    nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(inplace=True))

            def forward(self, x):
                features = []
                for name, layer in self.vgg._modules.items():
                    x = layer(x)
                    if name in self.select:
                        features.append(x)
                return features
        L.manual_seed(0)
        rng = np.random.default_rng(8)
        mean = L.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = L.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        content = (L.from_numpy(rng.random((1, 3, 8, 8), dtype=np.float32)) - mean) / std
        style = (L.from_numpy(rng.random((1, 3, 8, 8), dtype=np.float32)) - mean) / std
        target = content.clone().requires_grad_(True)
        optimizer = L.optim.Adam([target], lr=0.003, betas=[0.5, 0.999])
        o.print(optimizer)
        vgg = VGGNet().eval()
        o.print(vgg, vgg.training, vgg.vgg._modules.keys())
        for step in range(3):
            target_features = vgg(target)
            content_features = vgg(content)
            style_features = vgg(style)
            style_loss = 0
            content_loss = 0
            for f1, f2, f3 in zip(target_features, content_features, style_features):
                content_loss += L.mean((f1 - f2) ** 2)
                _, c, h, w = f1.size()
                f1 = f1.view(c, h * w)
                f3 = f3.view(c, h * w)
                f1 = L.mm(f1, f1.t())
                f3 = L.mm(f3, f3.t())
                style_loss += L.mean((f1 - f3) ** 2) / (c * h * w)
            loss = content_loss + 100 * style_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print('Step [{}/{}], Content Loss: {:.4f}, Style Loss: {:.2f}'
                    .format(step + 1, 3, content_loss.item(), style_loss.item()))
            o.vals += [content_loss.item(), style_loss.item()]
        o.print(type(content_loss.grad_fn).__name__, target.grad.shape)
        img = target.clone().squeeze()
        o.print(img.shape, img.requires_grad, type(img.grad_fn).__name__)
        img = (img * std.view(3, 1, 1) + mean.view(3, 1, 1)).clamp_(0, 1)
        o.vals.append(img)
        o.tryit(lambda: target.clone().squeeze().numpy())
        o.tryit(lambda: target_features[0].view(4, -1).shape)
        o.tryit(lambda: target_features[0].permute(0, 2, 3, 1).view(-1, 4))
        o.tryit(lambda: L.mm(target_features[0], target_features[0]))
        o.tryit(lambda: content.requires_grad_(True).requires_grad)
        o.tryit(lambda: target_features[0].requires_grad_(False))
        o.tryit(lambda: L.optim.Adam([target.detach() * 2], lr=0.1))
        o.tryit(lambda: L.optim.Adam(target, lr=0.1))
    return o.done()


def captioning(L):
    nn = L.nn
    pack_padded_sequence = nn.utils.rnn.pack_padded_sequence
    with Out() as o:
        class DecoderRNN(nn.Module):
            def __init__(self, embed_size, hidden_size, vocab_size, num_layers,
                         max_seq_length=20):
                super(DecoderRNN, self).__init__()
                self.embed = nn.Embedding(vocab_size, embed_size)
                self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
                self.linear = nn.Linear(hidden_size, vocab_size)
                self.max_seg_length = max_seq_length

            def forward(self, features, captions, lengths):
                embeddings = self.embed(captions)
                embeddings = L.cat((features.unsqueeze(1), embeddings), 1)
                packed = pack_padded_sequence(embeddings, lengths, batch_first=True)
                hiddens, _ = self.lstm(packed)
                outputs = self.linear(hiddens[0])
                return outputs

            def sample(self, features, states=None):
                sampled_ids = []
                inputs = features.unsqueeze(1)
                for i in range(self.max_seg_length):
                    hiddens, states = self.lstm(inputs, states)
                    outputs = self.linear(hiddens.squeeze(1))
                    _, predicted = outputs.max(1)
                    sampled_ids.append(predicted)
                    inputs = self.embed(predicted)
                    inputs = inputs.unsqueeze(1)
                sampled_ids = L.stack(sampled_ids, 1)
                return sampled_ids
        L.manual_seed(0)
        embed_size, vocab_size = 6, 9
        linear = nn.Linear(10, embed_size)
        bn = nn.BatchNorm1d(embed_size, momentum=0.01)
        decoder = DecoderRNN(embed_size, 8, vocab_size, 1, max_seq_length=5)
        o.print(bn, decoder)
        params = list(decoder.parameters()) + list(linear.parameters()) + list(bn.parameters())
        optimizer = L.optim.Adam(params, lr=0.001)
        criterion = nn.CrossEntropyLoss()
        # collate_fn: captions sorted by length, padded with 0
        caps = [[1, 4, 5, 6, 2], [1, 3, 2], [1, 7, 8, 2], [1, 2]]
        caps.sort(key=len, reverse=True)
        lengths = [len(cap) for cap in caps]
        targets_pad = L.zeros(len(caps), max(lengths)).long()
        for i, cap in enumerate(caps):
            end = lengths[i]
            targets_pad[i, :end] = L.tensor(cap)[:end]
        o.print(targets_pad, lengths)
        pooled = L.randn(4, 10)
        for step in range(3):
            features = bn(linear(pooled))
            outputs = decoder(features, targets_pad, lengths)
            targets = pack_padded_sequence(targets_pad, lengths, batch_first=True)[0]
            loss = criterion(outputs, targets)
            decoder.zero_grad(); linear.zero_grad(); bn.zero_grad()
            loss.backward()
            optimizer.step()
            o.print('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}, Perplexity: {:5.4f}'
                    .format(1, 1, step, 3, loss.item(), np.exp(loss.item())))
            o.vals += [loss.item()]
        packed = pack_padded_sequence(targets_pad, lengths, batch_first=True)
        o.print(packed)
        o.print(packed.batch_sizes, packed.sorted_indices, outputs.shape, targets.shape)
        bn.eval()
        sampled = decoder.sample(bn(linear(pooled)))
        o.print(sampled.shape, sampled.dtype)
        o.vals += [sampled, outputs]
        o.tryit(lambda: pack_padded_sequence(targets_pad, [2, 3, 4, 5], batch_first=True))
        o.tryit(lambda: pack_padded_sequence(targets_pad, [5, 4, 3, 2]).data.shape)
        o.tryit(lambda: pack_padded_sequence(targets_pad, [5, 4, 3, 0], batch_first=True))
        o.tryit(lambda: pack_padded_sequence(targets_pad, L.tensor([5, 4, 3, 2]),
                                             batch_first=True).batch_sizes)
        o.tryit(lambda: pack_padded_sequence(targets_pad, [2, 3, 4, 5], batch_first=True,
                                             enforce_sorted=False).sorted_indices)
        o.tryit(lambda: nn.utils.rnn.pad_packed_sequence(
            decoder.lstm(pack_padded_sequence(decoder.embed(targets_pad), lengths,
                                              batch_first=True))[0], batch_first=True)[1])
    return o.done()
