"""msurtsukov/neural-ode, "Neural ODEs.ipynb", continued: the generative latent-ODE section
(random clockwise / counter-clockwise spirals made by LinearODEF from
torch.distributions.Normal samples and Tensor([[W11[i], W12[i]], ...]) of 0-d tensors,
gen_batch with npr.multinomial, RNNEncoder (GRU over the reversed, time-differenced
sequence), NeuralODEDecoder, ODEVAE trained on the ELBO, generate_with_seed and the latent
homotopy with float64 times) and the ODE-Net MNIST classifier (ConvODEF with add_time and
BatchNorm inside the dynamics, ContinuousNeuralMNISTClassifier), on tiny random data: fewer
spirals, points, hidden units and channels; MNIST replaced by random uint8 images."""

import numpy as np
import numpy.random as npr
from s16_yunjey_progs import Out, _images
from s21_neuralode_progs import notebook


def latent_vae(torch):
    """RNNEncoder / NeuralODEDecoder / ODEVAE on a handful of spirals, two epochs."""
    torch.manual_seed(3)
    np.random.seed(3)
    nn, Tensor, Variable = torch.nn, torch.Tensor, torch.autograd.Variable
    nb = notebook(torch)
    LinearODEF, NeuralODE, NNODEF, to_np = nb.LinearODEF, nb.NeuralODE, nb.NNODEF, nb.to_np

    class RNNEncoder(nn.Module):
        def __init__(self, input_dim, hidden_dim, latent_dim):
            super(RNNEncoder, self).__init__()
            self.input_dim = input_dim
            self.hidden_dim = hidden_dim
            self.latent_dim = latent_dim

            self.rnn = nn.GRU(input_dim+1, hidden_dim)
            self.hid2lat = nn.Linear(hidden_dim, 2*latent_dim)

        def forward(self, x, t):
            # Concatenate time to input
            t = t.clone()
            t[1:] = t[:-1] - t[1:]
            t[0] = 0.
            xt = torch.cat((x, t), dim=-1)

            _, h0 = self.rnn(xt.flip((0,)))  # Reversed
            # Compute latent dimension
            z0 = self.hid2lat(h0[0])
            z0_mean = z0[:, :self.latent_dim]
            z0_log_var = z0[:, self.latent_dim:]
            return z0_mean, z0_log_var

    class NeuralODEDecoder(nn.Module):
        def __init__(self, output_dim, hidden_dim, latent_dim):
            super(NeuralODEDecoder, self).__init__()
            self.output_dim = output_dim
            self.hidden_dim = hidden_dim
            self.latent_dim = latent_dim

            func = NNODEF(latent_dim, hidden_dim, time_invariant=True)
            self.ode = NeuralODE(func)
            self.l2h = nn.Linear(latent_dim, hidden_dim)
            self.h2o = nn.Linear(hidden_dim, output_dim)

        def forward(self, z0, t):
            zs = self.ode(z0, t, return_whole_sequence=True)

            hs = self.l2h(zs)
            xs = self.h2o(hs)
            return xs

    class ODEVAE(nn.Module):
        def __init__(self, output_dim, hidden_dim, latent_dim):
            super(ODEVAE, self).__init__()
            self.output_dim = output_dim
            self.hidden_dim = hidden_dim
            self.latent_dim = latent_dim

            self.encoder = RNNEncoder(output_dim, hidden_dim, latent_dim)
            self.decoder = NeuralODEDecoder(output_dim, hidden_dim, latent_dim)

        def forward(self, x, t, MAP=False):
            z_mean, z_log_var = self.encoder(x, t)
            if MAP:
                z = z_mean
            else:
                z = z_mean + torch.randn_like(z_mean) * torch.exp(0.5 * z_log_var)
            x_p = self.decoder(z, t)
            return x_p, z, z_mean, z_log_var

        def generate_with_seed(self, seed_x, t):
            seed_t_len = seed_x.shape[0]
            z_mean, z_log_var = self.encoder(seed_x, t[:seed_t_len])
            x_p = self.decoder(z_mean, t)
            return x_p

    with Out() as o:
        t_max = 6.29 * 0.5
        n_points = 16
        noise_std = 0.02

        num_spirals = 6

        index_np = np.arange(0, n_points, 1, dtype=np.int64)
        index_np = np.hstack([index_np[:, None]])
        times_np = np.linspace(0, t_max, num=n_points)
        times_np = np.hstack([times_np[:, None]] * num_spirals)
        times = torch.from_numpy(times_np[:, :, None]).to(torch.float32)

        # Generate random spirals parameters
        normal01 = torch.distributions.Normal(0, 1.0)

        x0 = Variable(normal01.sample((num_spirals, 2))) * 2.0

        W11 = -0.1 * normal01.sample((num_spirals,)).abs() - 0.05
        W22 = -0.1 * normal01.sample((num_spirals,)).abs() - 0.05
        W21 = -1.0 * normal01.sample((num_spirals,)).abs()
        W12 = 1.0 * normal01.sample((num_spirals,)).abs()

        xs_list = []
        for i in range(num_spirals):
            if i % 2 == 1:  # Make it counter-clockwise
                W21, W12 = W12, W21

            func = LinearODEF(Tensor([[W11[i], W12[i]], [W21[i], W22[i]]]))
            ode = NeuralODE(func)

            xs = ode(x0[i:i+1], times[:, i:i+1], return_whole_sequence=True)
            xs_list.append(xs)

        orig_trajs = torch.cat(xs_list, dim=1).detach()
        samp_trajs = orig_trajs + torch.randn_like(orig_trajs) * noise_std
        samp_ts = times
        o.print(func.lin.weight, tuple(samp_trajs.shape), samp_trajs.dtype)
        o.vals += [orig_trajs, samp_trajs]

        def gen_batch(batch_size, n_sample=10):
            n_batches = samp_trajs.shape[1] // batch_size
            time_len = samp_trajs.shape[0]
            n_sample = min(n_sample, time_len)
            for i in range(n_batches):
                if n_sample > 0:
                    t0_idx = npr.multinomial(
                        1, [1. / (time_len - n_sample)] * (time_len - n_sample))
                    t0_idx = np.argmax(t0_idx)
                    tM_idx = t0_idx + n_sample
                else:
                    t0_idx = 0
                    tM_idx = time_len

                frm, to = batch_size*i, batch_size*(i+1)
                yield samp_trajs[t0_idx:tM_idx, frm:to], samp_ts[t0_idx:tM_idx, frm:to]

        vae = ODEVAE(2, 8, 3)
        optim = torch.optim.Adam(vae.parameters(), betas=(0.9, 0.999), lr=0.001)

        n_epochs = 2
        batch_size = 3
        for epoch_idx in range(n_epochs):
            losses = []
            train_iter = gen_batch(batch_size)
            for x, t in train_iter:
                optim.zero_grad()

                max_len = np.random.choice([4, 6, 10])
                permutation = np.random.permutation(t.shape[0])
                np.random.shuffle(permutation)
                permutation = np.sort(permutation[:max_len])

                x, t = x[permutation], t[permutation]

                x_p, z, z_mean, z_log_var = vae(x, t)
                kl_loss = -0.5 * torch.sum(1 + z_log_var - z_mean**2 - torch.exp(z_log_var), -1)
                loss = 0.5 * ((x-x_p)**2).sum(-1).sum(0) / noise_std**2 + kl_loss
                loss = torch.mean(loss)
                loss /= max_len
                loss.backward()
                optim.step()
                losses.append(loss.item())
                o.print(tuple(x_p.shape), type(loss.grad_fn).__name__,
                        '%.5g' % vae.encoder.rnn.weight_hh_l0.grad.norm().item(),
                        '%.5g' % vae.decoder.ode.func.lin1.weight.grad.norm().item())

            o.print(f"Epoch {epoch_idx}")

            frm, to, to_seed = 0, 16, 5
            seed_trajs = samp_trajs[frm:to_seed]
            ts = samp_ts[frm:to]

            samp_trajs_p = to_np(vae.generate_with_seed(seed_trajs, ts))
            o.print(type(samp_trajs_p).__name__, samp_trajs_p.dtype, samp_trajs_p.shape,
                    ' '.join('%.4f' % v for v in samp_trajs_p[::5, 0, 0]))
            o.vals.append(samp_trajs_p)

            o.print('%.6g %.6g' % (np.mean(losses), np.median(losses)))

        spiral_0_idx = 3
        spiral_1_idx = 4

        homotopy_p = Tensor(np.linspace(0., 1., 10)[:, None])

        spiral_0 = orig_trajs[:, spiral_0_idx:spiral_0_idx+1, :]
        spiral_1 = orig_trajs[:, spiral_1_idx:spiral_1_idx+1, :]
        ts_0 = samp_ts[:, spiral_0_idx:spiral_0_idx+1, :]
        ts_1 = samp_ts[:, spiral_1_idx:spiral_1_idx+1, :]

        z_cw, _ = vae.encoder(spiral_0, ts_0)
        z_cc, _ = vae.encoder(spiral_1, ts_1)

        homotopy_z = z_cw * (1 - homotopy_p) + z_cc * homotopy_p

        t = torch.from_numpy(np.linspace(0, 1*np.pi, 12))
        t = t[:, None].expand(12, 10)[:, :, None]
        hom_gen_trajs = vae.decoder(homotopy_z, t)
        o.print(homotopy_p.dtype, t.dtype, tuple(hom_gen_trajs.shape), hom_gen_trajs.dtype,
                '%.4f' % to_np(hom_gen_trajs[:, 9, 0]).sum())
        o.vals += [hom_gen_trajs.detach()] + [p.detach() for p in vae.parameters()]
    return o.done()


def ode_mnist(torch):
    """ConvODEF in ContinuousNeuralMNISTClassifier: two train steps and a test pass."""
    torch.manual_seed(4)
    np.random.seed(4)
    nn = torch.nn
    nb = notebook(torch)
    ODEF, NeuralODE = nb.ODEF, nb.NeuralODE

    def norm(dim):
        return nn.BatchNorm2d(dim)

    def conv3x3(in_feats, out_feats, stride=1):
        return nn.Conv2d(in_feats, out_feats, kernel_size=3, stride=stride, padding=1, bias=False)

    def add_time(in_tensor, t):
        bs, c, w, h = in_tensor.shape
        return torch.cat((in_tensor, t.expand(bs, 1, w, h)), dim=1)

    class ConvODEF(ODEF):
        def __init__(self, dim):
            super(ConvODEF, self).__init__()
            self.conv1 = conv3x3(dim + 1, dim)
            self.norm1 = norm(dim)
            self.conv2 = conv3x3(dim + 1, dim)
            self.norm2 = norm(dim)

        def forward(self, x, t):
            xt = add_time(x, t)
            h = self.norm1(torch.relu(self.conv1(xt)))
            ht = add_time(h, t)
            dxdt = self.norm2(torch.relu(self.conv2(ht)))
            return dxdt

    C = 4

    class ContinuousNeuralMNISTClassifier(nn.Module):
        def __init__(self, ode):
            super(ContinuousNeuralMNISTClassifier, self).__init__()
            self.downsampling = nn.Sequential(
                nn.Conv2d(1, C, 3, 1),
                norm(C),
                nn.ReLU(inplace=True),
                nn.Conv2d(C, C, 4, 2, 1),
                norm(C),
                nn.ReLU(inplace=True),
                nn.Conv2d(C, C, 4, 2, 1),
            )
            self.feature = ode
            self.norm = norm(C)
            self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(C, 10)

        def forward(self, x):
            x = self.downsampling(x)
            x = self.feature(x)
            x = self.norm(x)
            x = self.avg_pool(x)
            shape = torch.prod(torch.tensor(x.shape[1:])).item()
            x = x.view(-1, shape)
            out = self.fc(x)
            return out

    with Out() as o:
        func = ConvODEF(C)
        ode = NeuralODE(func)
        model = ContinuousNeuralMNISTClassifier(ode)
        optimizer = torch.optim.Adam(model.parameters())
        x, y = _images(torch, 6, 1, 10, 10, 4)
        model.eval()
        with torch.no_grad():
            o.vals.append(model(x))
        train_loader = [(x[:3], y[:3]), (x[3:], y[3:])]

        model.train()
        criterion = nn.CrossEntropyLoss()
        train_losses = []
        o.print("Training Epoch 1...")
        for batch_idx, (data, target) in enumerate(train_loader):
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            o.print('%.4f' % func.conv1.weight.grad.norm().item(),
                    '%.4f' % model.downsampling[0].weight.grad.norm().item(),
                    func.norm1.num_batches_tracked.item(),
                    # a conv bias right before a train-mode BatchNorm gets a rounding-noise
                    # gradient, whose sign Adam turns into a full lr step
                    model.downsampling[0].bias.grad.abs().max().item() < 1e-6,
                    model.downsampling[3].bias.grad.abs().max().item() < 1e-6)
            optimizer.step()
            train_losses += [loss.item()]
        o.print('Train loss: {:.4f}'.format(np.mean(train_losses)))
        o.vals += [func.norm1.running_mean, func.norm2.running_var]

        accuracy, num_items = 0.0, 0
        model.eval()
        with torch.no_grad():
            output = model(x)
            accuracy += torch.sum(torch.argmax(output, dim=1) == y).item()
            num_items += x.shape[0]
        accuracy = accuracy * 100 / num_items
        o.print("Test Accuracy: {:.3f}%".format(accuracy), output.requires_grad)
        # the eval logits and the two pre-BatchNorm conv biases carry Adam's sign-of-noise
        # steps (see above): compared through the accuracy only
        o.vals += [p.detach() for n, p in model.named_parameters()
                   if n not in ('downsampling.0.bias', 'downsampling.3.bias')]
    return o.done()
