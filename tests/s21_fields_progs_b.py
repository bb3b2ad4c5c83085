"""vsitzmann/siren's library files as users copy them: modules.py (BatchLinear, Sine, FCBlock
with the sine / relu / tanh / selu / elu initialisations, SingleBVPNet in 'mlp' and 'nerf'
modes with PosEncodingNeRF, RBFLayer, the complex helpers compl_mul / compl_div /
compl_conj), diff_operators.py (gradient, divergence, laplace, jacobian, hessian by
autograd.grad(create_graph=True)) and loss_functions.py (image_mse, image_l1,
gradients_mse, laplace_mse, sdf, wave_pml's jacobians). torchmeta's MetaModule /
MetaSequential / get_subdict are replaced by the few lines they amount to here (a plain
module that passes ``params`` on). Small sizes; a few Adam steps."""

import math
from collections import OrderedDict

import numpy as np
from s16_yunjey_progs import Out


def make_modules(L):
    torch, nn = L, L.nn

    class MetaModule(nn.Module):
        pass

    def get_subdict(dictionary, key=None):
        if dictionary is None:
            return None
        if (key is None) or (key == ''):
            return dictionary
        return OrderedDict((k[len(key) + 1:], v) for (k, v) in dictionary.items()
                           if k.startswith(key + '.'))

    class MetaSequential(nn.Sequential, MetaModule):
        def forward(self, input, params=None):
            for name, module in self._modules.items():
                if isinstance(module, MetaModule):
                    input = module(input, params=get_subdict(params, name))
                else:
                    input = module(input)
            return input

    class BatchLinear(nn.Linear, MetaModule):
        __doc__ = nn.Linear.__doc__

        def forward(self, input, params=None):
            if params is None:
                params = OrderedDict(self.named_parameters())
            bias = params.get('bias', None)
            weight = params['weight']
            output = input.matmul(weight.permute(*[i for i in range(len(weight.shape) - 2)], -1, -2))
            output += bias.unsqueeze(-2)
            return output

    class Sine(nn.Module):
        def __init(self):
            super().__init__()

        def forward(self, input):
            return torch.sin(30 * input)

    def init_weights_normal(m):
        if type(m) == BatchLinear or type(m) == nn.Linear:
            if hasattr(m, 'weight'):
                nn.init.kaiming_normal_(m.weight, a=0.0, nonlinearity='relu', mode='fan_in')

    def init_weights_selu(m):
        if type(m) == BatchLinear or type(m) == nn.Linear:
            if hasattr(m, 'weight'):
                num_input = m.weight.size(-1)
                nn.init.normal_(m.weight, std=1 / math.sqrt(num_input))

    def init_weights_elu(m):
        if type(m) == BatchLinear or type(m) == nn.Linear:
            if hasattr(m, 'weight'):
                num_input = m.weight.size(-1)
                nn.init.normal_(m.weight, std=math.sqrt(1.5505188080679277) / math.sqrt(num_input))

    def init_weights_xavier(m):
        if type(m) == BatchLinear or type(m) == nn.Linear:
            if hasattr(m, 'weight'):
                nn.init.xavier_normal_(m.weight)

    def sine_init(m):
        with torch.no_grad():
            if hasattr(m, 'weight'):
                num_input = m.weight.size(-1)
                m.weight.uniform_(-np.sqrt(6 / num_input) / 30, np.sqrt(6 / num_input) / 30)

    def first_layer_sine_init(m):
        with torch.no_grad():
            if hasattr(m, 'weight'):
                num_input = m.weight.size(-1)
                m.weight.uniform_(-1 / num_input, 1 / num_input)

    class FCBlock(MetaModule):
        def __init__(self, in_features, out_features, num_hidden_layers, hidden_features,
                     outermost_linear=False, nonlinearity='relu', weight_init=None):
            super().__init__()
            self.first_layer_init = None
            nls_and_inits = {'sine': (Sine(), sine_init, first_layer_sine_init),
                             'relu': (nn.ReLU(inplace=True), init_weights_normal, None),
                             'sigmoid': (nn.Sigmoid(), init_weights_xavier, None),
                             'tanh': (nn.Tanh(), init_weights_xavier, None),
                             'selu': (nn.SELU(inplace=True), init_weights_selu, None),
                             'softplus': (nn.Softplus(), init_weights_normal, None),
                             'elu': (nn.ELU(inplace=True), init_weights_elu, None)}
            nl, nl_weight_init, first_layer_init = nls_and_inits[nonlinearity]
            if weight_init is not None:
                self.weight_init = weight_init
            else:
                self.weight_init = nl_weight_init
            self.net = []
            self.net.append(MetaSequential(BatchLinear(in_features, hidden_features), nl))
            for i in range(num_hidden_layers):
                self.net.append(MetaSequential(BatchLinear(hidden_features, hidden_features), nl))
            if outermost_linear:
                self.net.append(MetaSequential(BatchLinear(hidden_features, out_features)))
            else:
                self.net.append(MetaSequential(BatchLinear(hidden_features, out_features), nl))
            self.net = MetaSequential(*self.net)
            if self.weight_init is not None:
                self.net.apply(self.weight_init)
            if first_layer_init is not None:
                self.net[0].apply(first_layer_init)

        def forward(self, coords, params=None, **kwargs):
            if params is None:
                params = OrderedDict(self.named_parameters())
            output = self.net(coords, params=get_subdict(params, 'net'))
            return output

    class PosEncodingNeRF(nn.Module):
        def __init__(self, in_features, sidelength=None, fn_samples=None, use_nyquist=True):
            super().__init__()
            self.in_features = in_features
            if self.in_features == 3:
                self.num_frequencies = 10
            elif self.in_features == 2:
                assert sidelength is not None
                if isinstance(sidelength, int):
                    sidelength = (sidelength, sidelength)
                self.num_frequencies = 4
                if use_nyquist:
                    self.num_frequencies = self.get_num_frequencies_nyquist(min(sidelength[0], sidelength[1]))
            elif self.in_features == 1:
                assert fn_samples is not None
                self.num_frequencies = 4
                if use_nyquist:
                    self.num_frequencies = self.get_num_frequencies_nyquist(fn_samples)
            self.out_dim = in_features + 2 * in_features * self.num_frequencies

        def get_num_frequencies_nyquist(self, samples):
            nyquist_rate = 1 / (2 * (2 * 1 / samples))
            return int(math.floor(math.log(nyquist_rate, 2)))

        def forward(self, coords):
            coords = coords.view(coords.shape[0], -1, self.in_features)
            coords_pos_enc = coords
            for i in range(self.num_frequencies):
                for j in range(self.in_features):
                    c = coords[..., j]
                    sin = torch.unsqueeze(torch.sin((2 ** i) * np.pi * c), -1)
                    cos = torch.unsqueeze(torch.cos((2 ** i) * np.pi * c), -1)
                    coords_pos_enc = torch.cat((coords_pos_enc, sin, cos), axis=-1)
            return coords_pos_enc.reshape(coords.shape[0], -1, self.out_dim)

    class RBFLayer(nn.Module):
        def __init__(self, in_features, out_features):
            super().__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.centres = nn.Parameter(torch.Tensor(out_features, in_features))
            self.sigmas = nn.Parameter(torch.Tensor(out_features))
            self.reset_parameters()
            self.freq = nn.Parameter(np.pi * torch.ones((1, self.out_features)))

        def reset_parameters(self):
            nn.init.uniform_(self.centres, -1, 1)
            nn.init.constant_(self.sigmas, 10)

        def forward(self, input):
            input = input[0, ...]
            size = (input.size(0), self.out_features, self.in_features)
            x = input.unsqueeze(1).expand(size)
            c = self.centres.unsqueeze(0).expand(size)
            distances = (x - c).pow(2).sum(-1) * self.sigmas.unsqueeze(0)
            return self.gaussian(distances).unsqueeze(0)

        def gaussian(self, alpha):
            phi = torch.exp(-1 * alpha.pow(2))
            return phi

    class SingleBVPNet(MetaModule):
        def __init__(self, out_features=1, type='sine', in_features=2,
                     mode='mlp', hidden_features=256, num_hidden_layers=3, **kwargs):
            super().__init__()
            self.mode = mode
            if self.mode == 'rbf':
                self.rbf_layer = RBFLayer(in_features=in_features, out_features=kwargs.get('rbf_centers', 1024))
                in_features = kwargs.get('rbf_centers', 1024)
            elif self.mode == 'nerf':
                self.positional_encoding = PosEncodingNeRF(in_features=in_features,
                                                           sidelength=kwargs.get('sidelength', None),
                                                           fn_samples=kwargs.get('fn_samples', None),
                                                           use_nyquist=kwargs.get('use_nyquist', True))
                in_features = self.positional_encoding.out_dim
            self.net = FCBlock(in_features=in_features, out_features=out_features, num_hidden_layers=num_hidden_layers,
                               hidden_features=hidden_features, outermost_linear=True, nonlinearity=type)

        def forward(self, model_input, params=None):
            if params is None:
                params = OrderedDict(self.named_parameters())
            coords_org = model_input['coords'].clone().detach().requires_grad_(True)
            coords = coords_org
            if self.mode == 'rbf':
                coords = self.rbf_layer(coords)
            elif self.mode == 'nerf':
                coords = self.positional_encoding(coords)
            output = self.net(coords, get_subdict(params, 'net'))
            return {'model_in': coords_org, 'model_out': output}

    def compl_conj(x):
        y = x.clone()
        y[..., 1::2] = -1 * y[..., 1::2]
        return y

    def compl_div(x, y):
        a, b, c, d = x[..., ::2], x[..., 1::2], y[..., ::2], y[..., 1::2]
        outr = (a * c + b * d) / (c ** 2 + d ** 2)
        outi = (b * c - a * d) / (c ** 2 + d ** 2)
        out = torch.zeros_like(x)
        out[..., ::2] = outr
        out[..., 1::2] = outi
        return out

    def compl_mul(x, y):
        a, b, c, d = x[..., ::2], x[..., 1::2], y[..., ::2], y[..., 1::2]
        outr = a * c - b * d
        outi = (a + b) * (c + d) - a * c - b * d
        out = torch.zeros_like(x)
        out[..., ::2] = outr
        out[..., 1::2] = outi
        return out

    return dict(FCBlock=FCBlock, SingleBVPNet=SingleBVPNet, RBFLayer=RBFLayer,
                PosEncodingNeRF=PosEncodingNeRF, BatchLinear=BatchLinear,
                compl_conj=compl_conj, compl_div=compl_div, compl_mul=compl_mul)


def make_diff_operators(L):
    torch = L
    grad = L.autograd.grad

    def hessian(y, x):
        meta_batch_size, num_observations = y.shape[:2]
        grad_y = torch.ones_like(y[..., 0]).to(y.device)
        h = torch.zeros(meta_batch_size, num_observations, y.shape[-1], x.shape[-1], x.shape[-1]).to(y.device)
        for i in range(y.shape[-1]):
            dydx = grad(y[..., i], x, grad_y, create_graph=True)[0]
            for j in range(x.shape[-1]):
                h[..., i, j, :] = grad(dydx[..., j], x, grad_y, create_graph=True)[0][..., :]
        status = 0
        if torch.any(torch.isnan(h)):
            status = -1
        return h, status

    # gradient / divergence / laplace: the same text as the notebook's (s21_fields_progs)
    from s21_fields_progs import make_siren

    laplace, divergence, gradient = [make_siren(L, None)[i] for i in (5, 4, 3)]

    def jacobian(y, x):
        meta_batch_size, num_observations = y.shape[:2]
        jac = torch.zeros(meta_batch_size, num_observations, y.shape[-1], x.shape[-1]).to(y.device)
        for i in range(y.shape[-1]):
            y_flat = y[..., i].view(-1, 1)
            jac[:, :, i, :] = grad(y_flat, x, torch.ones_like(y_flat), create_graph=True)[0]
        status = 0
        if torch.any(torch.isnan(jac)):
            status = -1
        return jac, status

    return hessian, laplace, divergence, gradient, jacobian


def _coords(L, n, dim=2, seed=0):
    rng = np.random.default_rng(seed)
    return L.from_numpy(rng.uniform(-1, 1, (1, n, dim)).astype(np.float32))


def fcblock_inits(L):
    """FCBlock with each nonlinearity and its initialisation; params passed explicitly."""
    torch, o = L, Out()
    torch.manual_seed(0)
    with o:
        M = make_modules(L)
        x = _coords(L, 10)
        for nl in ['sine', 'relu', 'tanh', 'selu', 'elu', 'softplus', 'sigmoid']:
            net = M['FCBlock'](2, 1, 1, 8, outermost_linear=(nl != 'sigmoid'), nonlinearity=nl)
            y = net(x)
            o.print(nl, tuple(y.shape), y.grad_fn is not None, len(list(net.parameters())))
            params = OrderedDict(net.named_parameters())
            y2 = net(x, params=OrderedDict((k, v * 0.5) for k, v in params.items()))
            o.vals += [y, y2, net.net[0][0].weight]
        o.print(net)
        o.print(list(params.keys())[:3])
    return o.done()


def bvp_train(L):
    """SingleBVPNet (sine, relu+nerf, rbf) trained a few steps on image_mse, with
    gradients_mse, laplace_mse and the hessian / jacobian of the output."""
    torch, o = L, Out()
    torch.manual_seed(1)
    with o:
        M = make_modules(L)
        hessian, laplace, divergence, gradient, jacobian = make_diff_operators(L)

        def image_mse(mask, model_output, gt):
            if mask is None:
                return {'img_loss': ((model_output['model_out'] - gt['img']) ** 2).mean()}
            else:
                return {'img_loss': (mask * (model_output['model_out'] - gt['img']) ** 2).mean()}

        def image_l1(mask, model_output, gt):
            return {'img_loss': (mask * torch.abs(model_output['model_out'] - gt['img'])).mean()}

        def gradients_mse(model_output, gt):
            gradients = gradient(model_output['model_out'], model_output['model_in'])
            gradients_loss = torch.mean((gradients - gt['gradients']).pow(2).sum(-1))
            return {'gradients_loss': gradients_loss}

        def laplace_mse(model_output, gt):
            lap = laplace(model_output['model_out'], model_output['model_in'])
            laplace_loss = torch.mean((lap - gt['laplace']) ** 2)
            return {'laplace_loss': laplace_loss}

        rng = np.random.default_rng(2)
        n = 16
        gt = {'img': L.from_numpy(rng.standard_normal((1, n, 1)).astype(np.float32)),
              'gradients': L.from_numpy(rng.standard_normal((1, n, 2)).astype(np.float32)),
              'laplace': L.from_numpy(rng.standard_normal((1, n, 1)).astype(np.float32))}
        mask = L.from_numpy((rng.random((1, n, 1)) > 0.3).astype(np.float32))
        model_input = {'coords': _coords(L, n, seed=3)}
        for kind, kw in [('sine', {}), ('relu', {'mode': 'nerf', 'sidelength': 16}),
                         ('tanh', {'mode': 'rbf', 'rbf_centers': 6})]:
            model = M['SingleBVPNet'](type=kind, in_features=2, hidden_features=12,
                                      num_hidden_layers=1, **kw)
            if kind == 'relu':
                o.print(model.positional_encoding.num_frequencies, model.positional_encoding.out_dim)
            optim = torch.optim.Adam(lr=1e-4, params=model.parameters())
            for step in range(3):
                model_output = model(model_input)
                losses = image_mse(None, model_output, gt)
                losses.update(image_l1(mask, model_output, gt))
                if kind != 'relu':
                    losses.update(gradients_mse(model_output, gt))
                    losses.update(laplace_mse(model_output, gt))
                train_loss = 0.
                for loss_name, loss in losses.items():
                    single_loss = loss.mean()
                    train_loss += single_loss
                o.print(kind, step, {k: round(v.item(), 4) for k, v in sorted(losses.items())})
                optim.zero_grad()
                train_loss.backward()
                optim.step()
            out = model(model_input)
            h, status = hessian(out['model_out'], out['model_in'])
            jac, status2 = jacobian(out['model_out'], out['model_in'])
            o.print(kind, tuple(h.shape), status, tuple(jac.shape), status2, h.requires_grad)
            scale = max(float(h.abs().max()), 1e-30)
            o.vals += [out['model_out'], (h / scale).detach(), jac.detach()]
    return o.done()


def complex_ops(L):
    """compl_mul / compl_div / compl_conj and wave_pml's jacobian-of-jacobian."""
    torch, o = L, Out()
    torch.manual_seed(4)
    with o:
        M = make_modules(L)
        hessian, laplace, divergence, gradient, jacobian = make_diff_operators(L)
        x = torch.randn(2, 5, 4)
        y = torch.randn(2, 5, 4) + 2
        o.vals += [M['compl_mul'](x, y), M['compl_div'](x, y), M['compl_conj'](x)]
        net = M['FCBlock'](3, 2, 1, 10, outermost_linear=True, nonlinearity='tanh')
        xin = torch.rand(1, 6, 3).requires_grad_(True)
        yout = net(xin)
        du, status = jacobian(yout, xin)
        dudt = du[..., 0]
        hess, status = jacobian(du[..., 0, :], xin)
        lap = hess[..., 1, 1, None] + hess[..., 2, 2, None]
        dudt2 = hess[..., 0, 0, None]
        diff_constraint_hom = dudt2 - 1 / 2.0 * lap
        o.print(tuple(du.shape), tuple(hess.shape), du.grad_fn is not None)
        dirichlet_mask = xin[..., :1] > 0.5
        dirichlet = yout[..., :1][dirichlet_mask] - 0.1
        neumann = dudt[..., :1][dirichlet_mask]
        losses = {'dirichlet': torch.abs(dirichlet).sum() * 6 / 1e1,
                  'neumann': torch.abs(neumann).sum() * 6 / 1e2,
                  'diff_constraint_hom': torch.abs(diff_constraint_hom).sum()}
        total = sum(losses.values())
        total.backward()
        o.print({k: round(v.item(), 4) for k, v in losses.items()})
        o.vals += [du.detach(), hess.detach(), net.net[0][0].weight.grad]
    return o.done()
