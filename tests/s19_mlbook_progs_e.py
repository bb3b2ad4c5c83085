"""rasbt/machine-learning-book ch17/ch17_part2.py (DCGAN with BatchNorm and BCELoss, then the
InstanceNorm WGAN-GP with torch.autograd.grad's gradient penalty; random "MNIST" batches in
[-1, 1] instead of torchvision's MNIST, fewer filters), ch17_part1.py's MMD score (distance()
with resize_ / expand / copy_, without .cuda()) and ch18/ch18_part1.py (NodeNetwork: the
BasicGraphConvolutionLayer, global_sum_pool, the block-diagonal collate; networkx's adjacency
matrices written out), as users type them, for tests/test_programs_s19_mlbook.py."""

import math
from importlib import import_module

import numpy as np
from s16_yunjey_progs import Out


def _mnist(L, n=8):
    rng = np.random.default_rng(170)
    x = L.from_numpy(rng.integers(0, 256, (n, 1, 28, 28), dtype=np.uint8)).float() / 255
    return (x - 0.5) / 0.5, L.from_numpy(rng.integers(0, 10, n))


def ch17_dcgan_wgan(L):
    nn = L.nn
    data = import_module(L.__name__ + ".utils.data")
    torch_grad = import_module(L.__name__ + ".autograd").grad
    with Out() as o:
        device = "cpu"
        batch_size = 4
        L.manual_seed(1)
        np.random.seed(1)
        images, labels = _mnist(L)
        mnist_dl = data.DataLoader(data.TensorDataset(images, labels), batch_size=batch_size,
                                   shuffle=True, drop_last=True)

        def make_generator_network(input_size, n_filters, norm=nn.BatchNorm2d):
            return nn.Sequential(
                nn.ConvTranspose2d(input_size, n_filters * 4, 4, 1, 0, bias=False),
                norm(n_filters * 4), nn.LeakyReLU(0.2),
                nn.ConvTranspose2d(n_filters * 4, n_filters * 2, 3, 2, 1, bias=False),
                norm(n_filters * 2), nn.LeakyReLU(0.2),
                nn.ConvTranspose2d(n_filters * 2, n_filters, 4, 2, 1, bias=False),
                norm(n_filters), nn.LeakyReLU(0.2),
                nn.ConvTranspose2d(n_filters, 1, 4, 2, 1, bias=False),
                nn.Tanh())

        class Discriminator(nn.Module):
            def __init__(self, n_filters, norm=nn.BatchNorm2d):
                super(Discriminator, self).__init__()
                self.network = nn.Sequential(
                    nn.Conv2d(1, n_filters, 4, 2, 1, bias=False),
                    nn.LeakyReLU(0.2),
                    nn.Conv2d(n_filters, n_filters * 2, 4, 2, 1, bias=False),
                    norm(n_filters * 2), nn.LeakyReLU(0.2),
                    nn.Conv2d(n_filters * 2, n_filters * 4, 3, 2, 1, bias=False),
                    norm(n_filters * 4), nn.LeakyReLU(0.2),
                    nn.Conv2d(n_filters * 4, 1, 4, 1, 0, bias=False),
                    nn.Sigmoid())

            def forward(self, input):
                output = self.network(input)
                return output.view(-1, 1).squeeze(0)

        z_size = 8
        image_size = (28, 28)
        n_filters = 4
        gen_model = make_generator_network(z_size, n_filters).to(device)
        o.print(gen_model)
        disc_model = Discriminator(n_filters).to(device)
        o.print(disc_model)
        loss_fn = nn.BCELoss()
        g_optimizer = L.optim.Adam(gen_model.parameters(), 0.0003)
        d_optimizer = L.optim.Adam(disc_model.parameters(), 0.0002)

        def create_noise(batch_size, z_size, mode_z):
            if mode_z == 'uniform':
                input_z = L.rand(batch_size, z_size, 1, 1) * 2 - 1
            elif mode_z == 'normal':
                input_z = L.randn(batch_size, z_size, 1, 1)
            return input_z

        def d_train(x):
            disc_model.zero_grad()
            batch_size = x.size(0)
            x = x.to(device)
            d_labels_real = L.ones(batch_size, 1, device=device)
            d_proba_real = disc_model(x)
            d_loss_real = loss_fn(d_proba_real, d_labels_real)
            input_z = create_noise(batch_size, z_size, mode_z).to(device)
            g_output = gen_model(input_z)
            d_proba_fake = disc_model(g_output)
            d_labels_fake = L.zeros(batch_size, 1, device=device)
            d_loss_fake = loss_fn(d_proba_fake, d_labels_fake)
            d_loss = d_loss_real + d_loss_fake
            d_loss.backward()
            d_optimizer.step()
            return d_loss.data.item(), d_proba_real.detach(), d_proba_fake.detach()

        def g_train(x):
            gen_model.zero_grad()
            batch_size = x.size(0)
            input_z = create_noise(batch_size, z_size, mode_z).to(device)
            g_labels_real = L.ones((batch_size, 1), device=device)
            g_output = gen_model(input_z)
            d_proba_fake = disc_model(g_output)
            g_loss = loss_fn(d_proba_fake, g_labels_real)
            g_loss.backward()
            g_optimizer.step()
            return g_loss.data.item()

        mode_z = 'uniform'
        fixed_z = create_noise(batch_size, z_size, mode_z).to(device)

        def create_samples(g_model, input_z):
            g_output = g_model(input_z)
            images = L.reshape(g_output, (batch_size, *image_size))
            return (images + 1) / 2.0

        epoch_samples = []
        L.manual_seed(1)
        for epoch in range(1, 3):
            gen_model.train()
            d_losses, g_losses = [], []
            for i, (x, _) in enumerate(mnist_dl):
                d_loss, d_proba_real, d_proba_fake = d_train(x)
                d_losses.append(d_loss)
                g_losses.append(g_train(x))
            o.print(f'Epoch {epoch:03d} | Avg Losses >>'
                    f' G/D {L.FloatTensor(g_losses).mean():.4f}'
                    f'/{L.FloatTensor(d_losses).mean():.4f}')
            gen_model.eval()
            epoch_samples.append(create_samples(gen_model, fixed_z).detach().cpu().numpy())
        o.vals += [*epoch_samples, d_proba_real, d_proba_fake]

        gen_model = make_generator_network(z_size, n_filters, nn.InstanceNorm2d).to(device)
        disc_model = Discriminator(n_filters, nn.InstanceNorm2d).to(device)
        o.print(gen_model)
        g_optimizer = L.optim.Adam(gen_model.parameters(), 0.0002)
        d_optimizer = L.optim.Adam(disc_model.parameters(), 0.0002)

        def gradient_penalty(real_data, generated_data):
            batch_size = real_data.size(0)
            alpha = L.rand(real_data.shape[0], 1, 1, 1, requires_grad=True, device=device)
            interpolated = alpha * real_data + (1 - alpha) * generated_data
            proba_interpolated = disc_model(interpolated)
            gradients = torch_grad(outputs=proba_interpolated, inputs=interpolated,
                                   grad_outputs=L.ones(proba_interpolated.size(), device=device),
                                   create_graph=True, retain_graph=True)[0]
            gradients = gradients.view(batch_size, -1)
            gradients_norm = gradients.norm(2, dim=1)
            return lambda_gp * ((gradients_norm - 1)**2).mean()

        def d_train_wgan(x):
            disc_model.zero_grad()
            batch_size = x.size(0)
            x = x.to(device)
            d_real = disc_model(x)
            input_z = create_noise(batch_size, z_size, mode_z).to(device)
            g_output = gen_model(input_z)
            d_generated = disc_model(g_output)
            d_loss = d_generated.mean() - d_real.mean() + gradient_penalty(x.data, g_output.data)
            d_loss.backward()
            d_optimizer.step()
            return d_loss.data.item()

        def g_train_wgan(x):
            gen_model.zero_grad()
            batch_size = x.size(0)
            input_z = create_noise(batch_size, z_size, mode_z).to(device)
            g_output = gen_model(input_z)
            d_generated = disc_model(g_output)
            g_loss = -d_generated.mean()
            g_loss.backward()
            g_optimizer.step()
            return g_loss.data.item()

        epoch_samples_wgan = []
        lambda_gp = 10.0
        L.manual_seed(1)
        critic_iterations = 2
        for epoch in range(1, 3):
            gen_model.train()
            d_losses, g_losses = [], []
            for i, (x, _) in enumerate(mnist_dl):
                for _ in range(critic_iterations):
                    d_loss = d_train_wgan(x)
                d_losses.append(d_loss)
                g_losses.append(g_train_wgan(x))
            o.print(f'Epoch {epoch:03d} | D Loss >>'
                    f' {L.FloatTensor(d_losses).mean():.4f}'
                    f' G Loss {L.FloatTensor(g_losses).mean():.4f}')
            gen_model.eval()
            epoch_samples_wgan.append(create_samples(gen_model, fixed_z).detach().cpu().numpy())
        o.vals += [*epoch_samples_wgan, disc_model.network[0].weight]

        def distance(X, Y, sqrt):
            nX = X.size(0)
            nY = Y.size(0)
            X = X.view(nX, -1)
            X2 = (X * X).sum(1).resize_(nX, 1)
            Y = Y.view(nY, -1)
            Y2 = (Y * Y).sum(1).resize_(nY, 1)
            M = L.zeros(nX, nY)
            M.copy_(X2.expand(nX, nY) + Y2.expand(nY, nX).transpose(0, 1)
                    - 2 * L.mm(X, Y.transpose(0, 1)))
            del X, X2, Y, Y2
            if sqrt:
                M = ((M + M.abs()) / 2).sqrt()
            return M

        def mmd(Mxx, Mxy, Myy, sigma):
            scale = Mxx.mean()
            Mxx = L.exp(-Mxx / (scale * 2 * sigma * sigma))
            Mxy = L.exp(-Mxy / (scale * 2 * sigma * sigma))
            Myy = L.exp(-Myy / (scale * 2 * sigma * sigma))
            a = Mxx.mean() + Myy.mean() - 2 * Mxy.mean()
            return math.sqrt(max(a, 0))

        real_image = images[:4]
        fake = L.from_numpy(epoch_samples[-1])
        Mxx = distance(real_image, real_image, False)
        Mxy = distance(real_image, fake, False)
        Myy = distance(fake, fake, True)
        o.print(f'{mmd(Mxx, Mxy, Myy, 1):.4f}')
        o.vals += [Mxy]  # Mxx / Myy's diagonals are X2 + X2 - 2 X.X: BLAS's last bits
    return o.done()


_BLUE, _ORANGE, _GREEN = "#1f77b4", "#ff7f0e", "#2ca02c"
_GRAPHS = [  # (node colours, edges between nodes 1..n) of G1..G4
    ([_BLUE, _ORANGE, _BLUE, _GREEN], [(1, 2), (2, 3), (1, 3), (3, 4)]),
    ([_GREEN, _GREEN, _ORANGE, _ORANGE, _BLUE], [(2, 3), (3, 4), (3, 1), (5, 1)]),
    ([_ORANGE, _ORANGE, _GREEN, _GREEN, _BLUE, _ORANGE],
     [(2, 3), (3, 4), (3, 1), (5, 1), (2, 5), (6, 1)]),
    ([_BLUE, _BLUE, _GREEN], [(1, 2), (2, 3)]),
]


def _adjacency(n, edges):
    A = np.zeros((n, n), dtype=np.int64)  # nx.adjacency_matrix(G).todense()
    for i, j in edges:
        A[i - 1, j - 1] = A[j - 1, i - 1] = 1
    return A


def ch18_gnn(L):
    F = L.nn.functional
    Parameter = import_module(L.__name__ + ".nn.parameter").Parameter
    data = import_module(L.__name__ + ".utils.data")
    with Out() as o:
        mapping_dict = {_GREEN: 0, _BLUE: 1, _ORANGE: 2}

        def build_graph_color_label_representation(colors, mapping_dict):
            one_hot_idxs = np.array([mapping_dict[v] for v in colors])
            one_hot_encoding = np.zeros((one_hot_idxs.size, len(mapping_dict)))
            one_hot_encoding[np.arange(one_hot_idxs.size), one_hot_idxs] = 1
            return one_hot_encoding

        class BasicGraphConvolutionLayer(L.nn.Module):
            def __init__(self, in_channels, out_channels):
                super().__init__()
                self.in_channels = in_channels
                self.out_channels = out_channels
                self.W2 = Parameter(L.rand((in_channels, out_channels), dtype=L.float32))
                self.W1 = Parameter(L.rand((in_channels, out_channels), dtype=L.float32))
                self.bias = Parameter(L.zeros(out_channels, dtype=L.float32))

            def forward(self, X, A):
                potential_msgs = L.mm(X, self.W2)
                propagated_msgs = L.mm(A, potential_msgs)
                root_update = L.mm(X, self.W1)
                output = propagated_msgs + root_update + self.bias
                return output

        def global_sum_pool(X, batch_mat):
            if batch_mat is None or batch_mat.dim() == 1:
                return L.sum(X, dim=0).unsqueeze(0)
            else:
                return L.mm(batch_mat, X)

        class NodeNetwork(L.nn.Module):
            def __init__(self, input_features):
                super().__init__()
                self.conv_1 = BasicGraphConvolutionLayer(input_features, 32)
                self.conv_2 = BasicGraphConvolutionLayer(32, 32)
                self.fc_1 = L.nn.Linear(32, 16)
                self.out_layer = L.nn.Linear(16, 2)

            def forward(self, X, A, batch_mat):
                x = self.conv_1(X, A).clamp(0)
                x = self.conv_2(x, A).clamp(0)
                output = global_sum_pool(x, batch_mat)
                output = self.fc_1(output)
                output = self.out_layer(output)
                return F.softmax(output, dim=1)

        def get_batch_tensor(graph_sizes):
            starts = [sum(graph_sizes[:idx]) for idx in range(len(graph_sizes))]
            stops = [starts[idx] + graph_sizes[idx] for idx in range(len(graph_sizes))]
            tot_len = sum(graph_sizes)
            batch_size = len(graph_sizes)
            batch_mat = L.zeros([batch_size, tot_len]).float()
            for idx, starts_and_stops in enumerate(zip(starts, stops)):
                start = starts_and_stops[0]
                stop = starts_and_stops[1]
                batch_mat[idx, start:stop] = 1
            return batch_mat

        def collate_graphs(batch):
            adj_mats = [graph['A'] for graph in batch]
            sizes = [A.size(0) for A in adj_mats]
            tot_size = sum(sizes)
            batch_mat = get_batch_tensor(sizes)
            feat_mats = L.cat([graph['X'] for graph in batch], dim=0)
            labels = L.cat([graph['y'] for graph in batch], dim=0)
            batch_adj = L.zeros([tot_size, tot_size], dtype=L.float32)
            accum = 0
            for adj in adj_mats:
                g_size = adj.shape[0]
                batch_adj[accum:accum + g_size, accum:accum + g_size] = adj
                accum = accum + g_size
            return {'A': batch_adj, 'X': feat_mats, 'y': labels, 'batch': batch_mat}

        def get_graph_dict(G, mapping_dict):
            colors, edges = G
            A = L.from_numpy(np.asarray(_adjacency(len(colors), edges))).float()
            X = L.from_numpy(build_graph_color_label_representation(colors, mapping_dict)).float()
            y = L.tensor([[1, 0]]).float()
            return {'A': A, 'X': X, 'y': y, 'batch': None}

        A = _adjacency(4, _GRAPHS[0][1])
        X = build_graph_color_label_representation(_GRAPHS[0][0], mapping_dict)
        o.print(A)
        o.print(X)
        graph_list = [get_graph_dict(graph, mapping_dict) for graph in _GRAPHS]

        class ExampleDataset(data.Dataset):
            def __init__(self, graph_list):
                self.graphs = graph_list

            def __len__(self):
                return len(self.graphs)

            def __getitem__(self, idx):
                return self.graphs[idx]

        dset = ExampleDataset(graph_list)
        loader = data.DataLoader(dset, batch_size=2, shuffle=False, collate_fn=collate_graphs)
        L.manual_seed(123)
        node_features = 3
        net = NodeNetwork(node_features)
        o.print(net)
        batch_results = []
        for b in loader:
            o.print(b['A'].shape, b['X'].shape, b['y'].shape, b['batch'])
            batch_results.append(net(b['X'], b['A'], b['batch']).detach())
        G1_rep = dset[1]
        G1_single = net(G1_rep['X'], G1_rep['A'], G1_rep['batch']).detach()
        G1_batch = batch_results[0][1]
        o.print(L.all(L.isclose(G1_single, G1_batch)))
        o.vals += [*batch_results, G1_single]
    return o.done()
