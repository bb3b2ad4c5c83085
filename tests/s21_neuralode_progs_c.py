"""Continuous normalizing flows written by hand, as users copy them:
kmohan321/ImageGenFromScratch continuous_norm_flows (model.py VelocityModel with the exact
Jacobian trace from a loop of torch.autograd.grad(create_graph=True), train.py's loop over a
TensorDataset DataLoader with pin_memory=True) and rtqichen/torchdiffeq examples/cnf.py (CNF
with its HyperNetwork, trace_df_dz, the MultivariateNormal base, RunningAverageMeter, the
RBF_CNF / RBFN_CNF alternative with einsum). torchdiffeq itself is not installed: its odeint
is stood in for by a fixed-grid solver written here (euler / rk4 over a tuple state, as
torchdiffeq's fixed-grid methods step); sklearn's make_moons / make_circles by NumPy draws."""

import numpy as np
from s16_yunjey_progs import Out


def odeint(func, y0, t, method='euler', **unused):
    """Fixed-grid stand-in for torchdiffeq.odeint: y0 a tensor or a tuple of tensors,
    solutions stacked along a new first dimension (one per time in t)."""
    is_tuple = isinstance(y0, tuple)
    ys = [tuple(y0) if is_tuple else (y0,)]
    f = func if is_tuple else (lambda tt, y: (func(tt, y[0]),))
    for i in range(len(t) - 1):
        t0, dt, y = t[i], t[i + 1] - t[i], ys[-1]
        if method == 'euler':
            y1 = tuple(a + dt * b for a, b in zip(y, f(t0, y)))
        else:  # classic rk4
            k1 = f(t0, y)
            k2 = f(t0 + dt / 2, tuple(a + dt / 2 * k for a, k in zip(y, k1)))
            k3 = f(t0 + dt / 2, tuple(a + dt / 2 * k for a, k in zip(y, k2)))
            k4 = f(t0 + dt, tuple(a + dt * k for a, k in zip(y, k3)))
            y1 = tuple(a + dt / 6 * (p + 2 * q + 2 * r + s)
                       for a, p, q, r, s in zip(y, k1, k2, k3, k4))
        ys.append(y1)
    import importlib
    torch = importlib.import_module(type(ys[0][0]).__module__.split('.')[0])
    out = tuple(torch.stack([y[j] for y in ys]) for j in range(len(ys[0])))
    return out if is_tuple else out[0]


def _moons(n, noise, rng):
    """make_moons stand-in: two interleaved half circles plus Gaussian noise (float64)."""
    a = rng.uniform(0, np.pi, n)
    half = np.arange(n) % 2
    x = np.stack([np.where(half, 1 - np.cos(a), np.cos(a)),
                  np.where(half, 0.5 - np.sin(a), np.sin(a))], 1)
    return x + rng.normal(0, noise, x.shape)


def cnf_moons(torch):
    """kmohan321 continuous_norm_flows: VelocityModel on moons, euler grid, Adam."""
    nn, optim = torch.nn, torch.optim
    from_data = torch.utils.data
    torch.manual_seed(5)
    rng = np.random.default_rng(5)

    class VelocityModel(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim):
            super().__init__()
            self.model = nn.Sequential(
                nn.Linear(input_dim + 1, hidden_dim),
                nn.Tanh(),
                nn.Linear(hidden_dim, hidden_dim),
                nn.Tanh(),
                nn.Linear(hidden_dim, output_dim)
            )

        def ode_solver(self, t, state):
            z_t, _ = state
            t = torch.ones(z_t.shape[0], 1, device=z_t.device) * t
            z_t_c = torch.cat([z_t, t], dim=1)

            dz_dt = self.model(z_t_c)

            trace = torch.zeros(z_t.shape[0], device=z_t.device)
            for i in range(z_t.shape[1]):
                grad = torch.autograd.grad(dz_dt[:, i].sum(), z_t, create_graph=True)
                grads = grad[0][:, i]
                trace += grads

            return dz_dt, -trace

        def forward(self, z, t_start=0, t_end=1, ode_steps=50):

            z = z.requires_grad_()
            grid = torch.linspace(t_start, t_end, ode_steps, device=z.device)
            logp_0 = torch.zeros(z.shape[0], device=z.device)
            state = (z, logp_0)

            z_t, delta_logp_t = odeint(self.ode_solver, state, grid, method='euler')
            z_0 = z_t[-1]
            log_z_0 = (-0.5 * (z_0**2).sum(dim=1)
                       - 0.5 * torch.log(torch.tensor(2 * torch.pi)) * z_t.shape[1])
            log_px = log_z_0 - delta_logp_t[-1]
            return z_t, log_px

    with Out() as o:
        X = _moons(24, 0.08, rng)
        X = X * 1.5
        train_dataset = from_data.TensorDataset(torch.tensor(X, dtype=torch.float32))
        train_dataloader = from_data.DataLoader(train_dataset, batch_size=8, shuffle=True,
                                                pin_memory=True)

        model = VelocityModel(2, 8, 2)
        optimizer = optim.Adam(model.parameters(), lr=1e-2)
        epochs = 2
        for epoch in range(epochs):
            running_loss = 0
            for batch in train_dataloader:
                optimizer.zero_grad()
                batch = batch[0]
                z_t, log_px = model(batch, ode_steps=6)
                loss = -log_px.mean()
                loss.backward()
                optimizer.step()
                running_loss += loss.item()
                o.print(f"{epoch}/{epochs}", tuple(z_t.shape), log_px.dtype,
                        {"loss": f"{running_loss/len(train_dataloader):.4f}"},
                        batch.requires_grad, batch.grad is None)
        o.vals += [z_t.detach(), log_px.detach()] + [p.detach() for p in model.parameters()]
        with torch.no_grad():
            o.tryit(lambda: model(torch.zeros(2, 2), ode_steps=3))
    return o.done()


def cnf_hyper(torch):
    """torchdiffeq examples/cnf.py: CNF + HyperNetwork + trace_df_dz on circles; RBFN_CNF."""
    nn, optim = torch.nn, torch.optim
    torch.manual_seed(42)
    np.random.seed(42)
    rng = np.random.default_rng(42)
    device = torch.device('cpu')

    def trace_df_dz(f, z):
        """Calculates the trace of the Jacobian df/dz."""
        sum_diag = 0.
        for i in range(z.shape[1]):
            sum_diag += torch.autograd.grad(f[:, i].sum(), z,
                                            create_graph=True)[0].contiguous()[:, i].contiguous()

        return sum_diag.contiguous()

    class HyperNetwork(nn.Module):
        def __init__(self, in_out_dim, hidden_dim, width):
            super().__init__()

            blocksize = width * in_out_dim

            self.fc1 = nn.Linear(1, hidden_dim)
            self.fc2 = nn.Linear(hidden_dim, hidden_dim)
            self.fc3 = nn.Linear(hidden_dim, 3 * blocksize + width)

            self.in_out_dim = in_out_dim
            self.hidden_dim = hidden_dim
            self.width = width
            self.blocksize = blocksize

        def forward(self, t):
            # predict params
            params = t.reshape(1, 1)
            params = torch.tanh(self.fc1(params))
            params = torch.tanh(self.fc2(params))
            params = self.fc3(params)

            # restructure
            params = params.reshape(-1)
            W = params[:self.blocksize].reshape(self.width, self.in_out_dim, 1)

            U = params[self.blocksize:2 * self.blocksize].reshape(self.width, 1, self.in_out_dim)

            G = params[2 * self.blocksize:3 * self.blocksize].reshape(
                self.width, 1, self.in_out_dim)
            U = U * torch.sigmoid(G)

            B = params[3 * self.blocksize:].reshape(self.width, 1, 1)
            return [W, B, U]

    class CNF(nn.Module):
        def __init__(self, in_out_dim, hidden_dim, width):
            super().__init__()
            self.in_out_dim = in_out_dim
            self.hidden_dim = hidden_dim
            self.width = width
            self.hyper_net = HyperNetwork(in_out_dim, hidden_dim, width)

        def forward(self, t, states):
            z = states[0]
            logp_z = states[1]  # noqa: F841 (as written)

            batchsize = z.shape[0]

            with torch.set_grad_enabled(True):
                z.requires_grad_(True)

                W, B, U = self.hyper_net(t)

                Z = torch.unsqueeze(z, 0).repeat(self.width, 1, 1)

                h = torch.tanh(torch.matmul(Z, W) + B)
                dz_dt = torch.matmul(h, U).mean(0)

                dlogp_z_dt = -trace_df_dz(dz_dt, z).view(batchsize, 1)

            return (dz_dt, dlogp_z_dt)

    class RBF_CNF(nn.Module):
        def __init__(self, in_features, n_centres, basis_func, device):
            super(RBF_CNF, self).__init__()
            self.in_features = in_features
            self.n_centers = n_centres
            self.centres = nn.Parameter(torch.Tensor(n_centres, in_features).to(device))
            self.log_sigmas = nn.Parameter(torch.Tensor(n_centres).to(device))
            self.basis_func = basis_func
            self.reset_parameters()

        def reset_parameters(self):
            nn.init.normal_(self.centres, mean=0, std=1)
            nn.init.constant_(self.log_sigmas, val=0)

        def forward(self, input):
            size = (input.size(0), self.n_centers, self.in_features)
            x = input.unsqueeze(1).expand(size)
            c = self.centres.unsqueeze(0).expand(size)
            distances = (x - c).pow(2).sum(-1).pow(0.5) / torch.exp(self.log_sigmas).unsqueeze(0)
            return self.basis_func(distances)

    def gaussian(alpha):
        phi = torch.exp(-1 * alpha.pow(2))
        return phi

    class RBFN_CNF(torch.nn.Module):
        def __init__(self, in_dim, out_dim, n_centres_t, n_centres_z, basis_fn_str, device):
            super().__init__()
            self.basis_fn_str = basis_fn_str
            self.out_dim = out_dim
            self.in_dim = in_dim
            basis_fn = {"gaussian": gaussian}[basis_fn_str]
            self.n_centres_t = n_centres_t
            self.n_centres_z = n_centres_z
            self.rbf_module_z = RBF_CNF(in_features=in_dim, n_centres=self.n_centres_z,
                                        basis_func=basis_fn, device=device)
            self.rbf_module_t = RBF_CNF(in_features=1, n_centres=self.n_centres_t,
                                        basis_func=basis_fn, device=device)
            self.W = torch.nn.Parameter(
                torch.empty(out_dim, self.n_centres_t, self.n_centres_z + 1)).to(device)
            torch.nn.init.normal_(self.W, mean=0, std=0.01)
            self.numel_learnable = 0
            param_list = list(self.named_parameters())
            for name, param in param_list:
                self.numel_learnable += torch.numel(param)

        def forward(self, t: float, states):
            z = states[0]
            logp_z = states[1]  # noqa: F841 (as written)
            with torch.set_grad_enabled(True):
                z.requires_grad_(True)
                batchsize = z.shape[0]
                t_tensor = torch.tensor(t).view(1, 1).to(device)
                Phi_t = self.rbf_module_t(t_tensor).flatten()
                W_t = torch.einsum('dij,i->dj', self.W, Phi_t)
                Phi_z = self.rbf_module_z(z)
                Phi_z = torch.cat([Phi_z, torch.ones(batchsize, 1).to(device)], dim=1)
                dz_dt = torch.einsum('dj,bj->bd', W_t, Phi_z)

                dlogp_z_dt = -trace_df_dz(dz_dt, z).view(batchsize, 1)

            return (dz_dt, dlogp_z_dt)

    class RunningAverageMeter(object):
        """Computes and stores the average and current value"""

        def __init__(self, momentum=0.99):
            self.momentum = momentum
            self.reset()

        def reset(self):
            self.val = None
            self.avg = 0

        def update(self, val):
            if self.val is None:
                self.avg = val
            else:
                self.avg = self.avg * self.momentum + val * (1 - self.momentum)
            self.val = val

    def get_batch(num_samples):
        a = rng.uniform(0, 2 * np.pi, num_samples)
        r = np.where(np.arange(num_samples) % 2, 1.0, 0.001)
        points = np.stack([r * np.cos(a), r * np.sin(a)], 1) + rng.normal(0, 0.06, (num_samples, 2))
        x = torch.tensor(points).type(torch.float32).to(device)
        logp_diff_t1 = torch.zeros(num_samples, 1).type(torch.float32).to(device)

        return (x, logp_diff_t1)

    with Out() as o:
        t0, t1 = 0, 2
        for func in [CNF(in_out_dim=2, hidden_dim=8, width=6).to(device),
                     RBFN_CNF(in_dim=2, out_dim=2, n_centres_z=5, n_centres_t=4,
                              basis_fn_str="gaussian", device=device)]:
            n_scalars = 0
            for param in list(func.parameters()):
                n_scalars += param.numel()
            o.print(f'func = {type(func).__name__}\n'
                    f'n_scalars = {n_scalars}', getattr(func, 'numel_learnable', None))
            optimizer = optim.Adam(func.parameters(), lr=1e-1)
            p_z0 = torch.distributions.MultivariateNormal(
                loc=torch.tensor([0.0, 0.0]).to(device),
                covariance_matrix=torch.tensor([[0.1, 0.0], [0.0, 0.1]]).to(device)
            )
            loss_meter = RunningAverageMeter()
            for itr in range(1, 4):
                optimizer.zero_grad()

                x, logp_diff_t1 = get_batch(10)

                z_t, logp_diff_t = odeint(
                    func,
                    (x, logp_diff_t1),
                    torch.linspace(t1, t0, 5).type(torch.float32).to(device),
                    atol=1e-5,
                    rtol=1e-5,
                    method='rk4',
                )

                z_t0, logp_diff_t0 = z_t[-1], logp_diff_t[-1]
                logp_x = p_z0.log_prob(z_t0).to(device) - logp_diff_t0.view(-1)
                loss = -logp_x.mean(0)
                loss.backward()
                optimizer.step()

                loss_meter.update(loss.item())

                o.print('Iter: {}, running avg loss: {:.4f}'.format(itr, loss_meter.avg))
            o.print('Training complete after {} iters.'.format(itr))
            o.vals += [z_t.detach(), logp_x.detach()] + [p.detach() for p in func.parameters()]

            with torch.no_grad():
                z_t0 = p_z0.sample([6]).to(device)
                logp_diff_t0 = torch.zeros(6, 1).type(torch.float32).to(device)
                z_t_samples, _ = odeint(func, (z_t0, logp_diff_t0),
                                        torch.tensor(np.linspace(t0, t1, 3)).float().to(device),
                                        method='rk4')
                o.print(tuple(z_t_samples.shape), z_t_samples.requires_grad)
                o.vals.append(z_t_samples)
        o.tryit(lambda: func.rbf_module_t(torch.tensor([[0.5]], dtype=torch.float64)).dtype)
        o.tryit(lambda: CNF(2, 8, 6).hyper_net(torch.tensor(0.5, dtype=torch.float64)))
    return o.done()
