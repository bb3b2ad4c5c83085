"""vsitzmann/siren explore_siren.ipynb as users type its cells: get_mgrid (meshgrid without
indexing), SineLayer / Siren with the sine initialisation, the differential operators
(gradient, divergence, laplace through autograd.grad(create_graph=True)), the image-fitting,
audio-fitting and Poisson cells and the activation-distribution cell
(forward_with_activations with retain_grad). The cameraman image and the bach wav are
replaced by seeded NumPy arrays (scipy's sobel / laplace by NumPy differences), 256x256 by
16x16, 256 hidden features by 32, hundreds of steps by a few. Each program is
``prog(torch) -> (printed lines, values)``; see tests/test_programs_s21_fields.py."""

from collections import OrderedDict

import numpy as np
from s16_yunjey_progs import Out


def make_siren(L, o):
    """The notebook's first cells: get_mgrid, SineLayer, Siren and the operators."""
    torch, nn = L, L.nn

    def get_mgrid(sidelen, dim=2):
        '''Generates a flattened grid of (x,y,...) coordinates in a range of -1 to 1.'''
        tensors = tuple(dim * [torch.linspace(-1, 1, steps=sidelen)])
        mgrid = torch.stack(torch.meshgrid(*tensors), dim=-1)
        mgrid = mgrid.reshape(-1, dim)
        return mgrid

    class SineLayer(nn.Module):
        def __init__(self, in_features, out_features, bias=True,
                     is_first=False, omega_0=30):
            super().__init__()
            self.omega_0 = omega_0
            self.is_first = is_first
            self.in_features = in_features
            self.linear = nn.Linear(in_features, out_features, bias=bias)
            self.init_weights()

        def init_weights(self):
            with torch.no_grad():
                if self.is_first:
                    self.linear.weight.uniform_(-1 / self.in_features,
                                                1 / self.in_features)
                else:
                    self.linear.weight.uniform_(-np.sqrt(6 / self.in_features) / self.omega_0,
                                                np.sqrt(6 / self.in_features) / self.omega_0)

        def forward(self, input):
            return torch.sin(self.omega_0 * self.linear(input))

        def forward_with_intermediate(self, input):
            intermediate = self.omega_0 * self.linear(input)
            return torch.sin(intermediate), intermediate

    class Siren(nn.Module):
        def __init__(self, in_features, hidden_features, hidden_layers, out_features,
                     outermost_linear=False, first_omega_0=30, hidden_omega_0=30.):
            super().__init__()
            self.net = []
            self.net.append(SineLayer(in_features, hidden_features,
                                      is_first=True, omega_0=first_omega_0))
            for i in range(hidden_layers):
                self.net.append(SineLayer(hidden_features, hidden_features,
                                          is_first=False, omega_0=hidden_omega_0))
            if outermost_linear:
                final_linear = nn.Linear(hidden_features, out_features)
                with torch.no_grad():
                    final_linear.weight.uniform_(-np.sqrt(6 / hidden_features) / hidden_omega_0,
                                                 np.sqrt(6 / hidden_features) / hidden_omega_0)
                self.net.append(final_linear)
            else:
                self.net.append(SineLayer(hidden_features, out_features,
                                          is_first=False, omega_0=hidden_omega_0))
            self.net = nn.Sequential(*self.net)

        def forward(self, coords):
            coords = coords.clone().detach().requires_grad_(True)
            output = self.net(coords)
            return output, coords

        def forward_with_activations(self, coords, retain_grad=False):
            activations = OrderedDict()
            activation_count = 0
            x = coords.clone().detach().requires_grad_(True)
            activations['input'] = x
            for i, layer in enumerate(self.net):
                if isinstance(layer, SineLayer):
                    x, intermed = layer.forward_with_intermediate(x)
                    if retain_grad:
                        x.retain_grad()
                        intermed.retain_grad()
                    activations['_'.join((str(layer.__class__.__name__), "%d" % activation_count))] = intermed
                    activation_count += 1
                else:
                    x = layer(x)
                    if retain_grad:
                        x.retain_grad()
                activations['_'.join((str(layer.__class__.__name__), "%d" % activation_count))] = x
                activation_count += 1
            return activations

    def laplace(y, x):
        grad = gradient(y, x)
        return divergence(grad, x)

    def divergence(y, x):
        div = 0.
        for i in range(y.shape[-1]):
            div += torch.autograd.grad(y[..., i], x, torch.ones_like(y[..., i]), create_graph=True)[0][..., i:i+1]
        return div

    def gradient(y, x, grad_outputs=None):
        if grad_outputs is None:
            grad_outputs = torch.ones_like(y)
        grad = torch.autograd.grad(y, [x], grad_outputs=grad_outputs, create_graph=True)[0]
        return grad

    return get_mgrid, SineLayer, Siren, gradient, divergence, laplace


def _unit(a):
    """A field over its largest magnitude: the gradient and laplacian of a Siren carry
    omega_0 (30) and omega_0 ** 2 times the float32 rounding of its forward (order of BLAS
    sums), so they are compared relative to their own scale."""
    a = np.asarray(a)
    return a / np.abs(a).max()


def _cameraman(L, sidelength, seed=0):
    """get_cameraman_tensor: a (1, s, s) image normalised to [-1, 1] as Normalize(0.5, 0.5)."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (sidelength, sidelength), dtype=np.uint8)
    x = L.from_numpy(img).float().div(255).unsqueeze(0)
    return (x - L.Tensor([0.5]).view(-1, 1, 1)) / L.Tensor([0.5]).view(-1, 1, 1)


def image_fitting(L):
    """'Fitting an image': ImageFitting dataset, DataLoader, Adam, the summary cell."""
    torch, o = L, Out()
    Dataset, DataLoader = L.utils.data.Dataset, L.utils.data.DataLoader
    torch.manual_seed(0)
    with o:
        get_mgrid, SineLayer, Siren, gradient, divergence, laplace = make_siren(L, o)
        side = 16

        class ImageFitting(Dataset):
            def __init__(self, sidelength):
                super().__init__()
                img = _cameraman(L, sidelength)
                self.pixels = img.permute(1, 2, 0).view(-1, 1)
                self.coords = get_mgrid(sidelength, 2)

            def __len__(self):
                return 1

            def __getitem__(self, idx):
                if idx > 0: raise IndexError
                return self.coords, self.pixels

        cameraman = ImageFitting(side)
        dataloader = DataLoader(cameraman, batch_size=1, pin_memory=True, num_workers=0)
        img_siren = Siren(in_features=2, out_features=1, hidden_features=32,
                          hidden_layers=2, outermost_linear=True)
        o.print(img_siren)
        total_steps = 6
        steps_til_summary = 2
        optim = torch.optim.Adam(lr=1e-4, params=img_siren.parameters())
        model_input, ground_truth = next(iter(dataloader))
        o.print(model_input.shape, ground_truth.shape, model_input.dtype)
        for step in range(total_steps):
            model_output, coords = img_siren(model_input)
            loss = ((model_output - ground_truth)**2).mean()
            if not step % steps_til_summary:
                o.print("Step %d, Total loss %0.4f" % (step, loss))
                img_grad = gradient(model_output, coords)
                img_laplacian = laplace(model_output, coords)
                o.print(img_grad.shape, img_laplacian.shape, img_laplacian.requires_grad)
                a = model_output.cpu().view(side, side).detach().numpy()
                b = img_grad.norm(dim=-1).cpu().view(side, side).detach().numpy()
                c = img_laplacian.cpu().view(side, side).detach().numpy()
                o.vals += [a.copy(), _unit(b), _unit(c)]
            optim.zero_grad()
            loss.backward()
            optim.step()
        with torch.no_grad():
            coords = get_mgrid(2**6, 1) * 5 * np.pi
            sin_1 = torch.sin(coords)
            sin_2 = torch.sin(coords * np.pi)
            sum = sin_1 + sin_2
            o.print(sum.shape, sum.dtype)
            out_of_range_coords = get_mgrid(8, 2) * 50
            model_out, _ = img_siren(out_of_range_coords)
            o.print(model_out.requires_grad, _.requires_grad)
            o.vals += [sum, model_out.view(8, 8).numpy()]
    return o.done()


def audio_fitting(L):
    """'Fitting an audio signal': AudioFile, first_omega_0=3000, F.mse_loss."""
    torch, o, F = L, Out(), L.nn.functional
    DataLoader = L.utils.data.DataLoader
    torch.manual_seed(1)
    with o:
        get_mgrid, SineLayer, Siren, gradient, divergence, laplace = make_siren(L, o)

        class AudioFile(torch.utils.data.Dataset):
            def __init__(self, rate, data):
                self.rate, self.data = rate, data
                self.data = self.data.astype(np.float32)
                self.timepoints = get_mgrid(len(self.data), 1)

            def get_num_samples(self):
                return self.timepoints.shape[0]

            def __len__(self):
                return 1

            def __getitem__(self, idx):
                amplitude = self.data
                scale = np.max(np.abs(amplitude))
                amplitude = (amplitude / scale)
                amplitude = torch.Tensor(amplitude).view(-1, 1)
                return self.timepoints, amplitude

        wav = (np.sin(np.linspace(0, 40, 200)) * 8000
               + np.random.RandomState(3).randint(-500, 500, 200)).astype(np.int16)
        bach_audio = AudioFile(44100, wav)
        o.print(bach_audio.get_num_samples())
        dataloader = DataLoader(bach_audio, shuffle=True, batch_size=1, pin_memory=True,
                                num_workers=0)
        audio_siren = Siren(in_features=1, out_features=1, hidden_features=32,
                            hidden_layers=2, first_omega_0=3000, outermost_linear=True)
        model_input, ground_truth = next(iter(dataloader))
        o.print(ground_truth.squeeze().numpy().dtype, ground_truth.shape)
        total_steps = 5
        steps_til_summary = 2
        optim = torch.optim.Adam(lr=1e-4, params=audio_siren.parameters())
        model_input, ground_truth = next(iter(dataloader))
        for step in range(total_steps):
            model_output, coords = audio_siren(model_input)
            loss = F.mse_loss(model_output, ground_truth)
            if not step % steps_til_summary:
                o.print("Step %d, Total loss %0.4f" % (step, loss))
                o.vals.append(model_output.squeeze().detach().cpu().numpy())
            optim.zero_grad()
            loss.backward()
            optim.step()
        final_model_output, coords = audio_siren(model_input)
        o.vals += [final_model_output.cpu().detach().squeeze().numpy(), coords.squeeze()]
    return o.done()


def _sobel(a, axis):
    """scipy.ndimage.sobel stand-in: a central difference with edge padding."""
    p = np.pad(a, [(0, 0)] + [(1, 1) if i + 1 == axis else (0, 0) for i in range(2)],
               mode='edge')
    sl = [slice(None)] * 3
    hi, lo = list(sl), list(sl)
    hi[axis], lo[axis] = slice(2, None), slice(None, -2)
    return (p[tuple(hi)] - p[tuple(lo)]).astype(np.float32)


def poisson(L):
    """'Solving Poisson's equation': PoissonEqn, gradients_mse, the laplacian summary."""
    torch, o = L, Out()
    Dataset, DataLoader = L.utils.data.Dataset, L.utils.data.DataLoader
    torch.manual_seed(2)
    with o:
        get_mgrid, SineLayer, Siren, gradient, divergence, laplace = make_siren(L, o)
        side = 12

        class PoissonEqn(Dataset):
            def __init__(self, sidelength):
                super().__init__()
                img = _cameraman(L, sidelength, seed=5)
                grads_x = _sobel(img.numpy(), axis=1).squeeze(0)[..., None]
                grads_y = _sobel(img.numpy(), axis=2).squeeze(0)[..., None]
                grads_x, grads_y = torch.from_numpy(grads_x), torch.from_numpy(grads_y)
                self.grads = torch.stack((grads_x, grads_y), dim=-1).view(-1, 2)
                self.laplace = (_sobel(_sobel(img.numpy(), 1), 1)
                                + _sobel(_sobel(img.numpy(), 2), 2)).squeeze(0)[..., None]
                self.laplace = torch.from_numpy(self.laplace)
                self.pixels = img.permute(1, 2, 0).view(-1, 1)
                self.coords = get_mgrid(sidelength, 2)

            def __len__(self):
                return 1

            def __getitem__(self, idx):
                return self.coords, {'pixels': self.pixels, 'grads': self.grads,
                                     'laplace': self.laplace}

        cameraman_poisson = PoissonEqn(side)
        dataloader = DataLoader(cameraman_poisson, batch_size=1, pin_memory=True, num_workers=0)
        poisson_siren = Siren(in_features=2, out_features=1, hidden_features=24,
                              hidden_layers=2, outermost_linear=True)

        def gradients_mse(model_output, coords, gt_gradients):
            gradients = gradient(model_output, coords)
            gradients_loss = torch.mean((gradients - gt_gradients).pow(2).sum(-1))
            return gradients_loss

        total_steps = 5
        steps_til_summary = 2
        optim = torch.optim.Adam(lr=1e-4, params=poisson_siren.parameters())
        model_input, gt = next(iter(dataloader))
        o.print(sorted((k, tuple(v.shape)) for k, v in gt.items()))
        gt = {key: value for key, value in gt.items()}
        for step in range(total_steps):
            model_output, coords = poisson_siren(model_input)
            train_loss = gradients_mse(model_output, coords, gt['grads'])
            if not step % steps_til_summary:
                o.print("Step %d, Total loss %0.4f" % (step, train_loss))
                img_grad = gradient(model_output, coords)
                img_laplacian = laplace(model_output, coords)
                o.vals += [_unit(img_grad.cpu().norm(dim=-1).view(side, side).detach().numpy()),
                           _unit(img_laplacian.cpu().view(side, side).detach().numpy())]
            optim.zero_grad()
            train_loss.backward()
            optim.step()
        o.vals += [p.detach().clone() for p in poisson_siren.parameters()]
    return o.done()


def activations(L):
    """'Initialization scheme & distribution of activations': forward_with_activations with
    retain_grad, output.mean().backward(), each activation's .grad and its spectrum."""
    torch, o = L, Out()
    torch.manual_seed(3)
    with o:
        get_mgrid, SineLayer, Siren, gradient, divergence, laplace = make_siren(L, o)
        model = Siren(in_features=1, hidden_features=32,
                      hidden_layers=3, out_features=1, outermost_linear=True)
        input_signal = torch.linspace(-1, 1, 256).view(1, 256, 1)
        acts = model.forward_with_activations(input_signal, retain_grad=True)
        output = acts[next(reversed(acts))]
        output.mean().backward()
        o.print(list(acts.keys()))

        def get_spectrum(activations):
            n = activations.shape[0]
            spectrum = np.fft.fft(activations.numpy().astype(np.double).sum(axis=-1), axis=0)[:n // 2]
            spectrum = np.abs(spectrum)
            max_freq = 100
            freq = np.fft.fftfreq(n, 2. / n)[:n // 2]
            return freq[:max_freq], spectrum[:max_freq]

        for idx, (key, value) in enumerate(acts.items()):
            if value.grad is None:
                o.print(key, 'no grad', value.is_leaf)
                continue
            grad_value = value.grad.cpu().detach().squeeze(0)
            flat_grad = grad_value.view(-1)
            value = value.cpu().detach().squeeze(0)
            flat_value = value.view(-1)
            o.print(key, tuple(value.shape), flat_grad.shape, flat_value.dtype)
            hist, _ = np.histogram(flat_value.numpy(), bins=8, range=(-3, 3))
            o.print(hist.tolist())
            o.vals += [_unit(get_spectrum(value)[1]), _unit(get_spectrum(grad_value)[1]),
                       _unit(flat_grad.numpy())]
    return o.done()
