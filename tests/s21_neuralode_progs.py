"""msurtsukov/neural-ode, "Neural ODEs.ipynb", as learners copy it: the Euler ode_solve, ODEF
with forward_with_grad (torch.autograd.grad(..., allow_unused=True)) and flatten_parameters,
the ODEAdjoint autograd.Function solving the augmented dynamics backwards, the NeuralODE
module, and the proof-of-concept experiments (SpiralFunctionExample learnt by
RandomLinearODEF, TestODEF learnt by NNODEF) with conduct_experiment's random sub-spans; sizes
shrunk (shorter time span, fewer points and steps), plots replaced by printed values.
`np.int` (gone from NumPy) is written np.int64."""

import math
import types

import numpy as np
from s16_yunjey_progs import Out


def notebook(torch):
    """The notebook's implementation cells, run against library ``torch``."""
    nn, F, Tensor = torch.nn, torch.nn.functional, torch.Tensor
    Variable = torch.autograd.Variable

    def ode_solve(z0, t0, t1, f):
        """
        Simplest Euler ODE initial value solver
        """
        h_max = 0.05
        n_steps = math.ceil((abs(t1 - t0)/h_max).max().item())

        h = (t1 - t0)/n_steps
        t = t0
        z = z0

        for i_step in range(n_steps):
            z = z + h * f(z, t)
            t = t + h
        return z

    class ODEF(nn.Module):
        def forward_with_grad(self, z, t, grad_outputs):
            """Compute f and a df/dz, a df/dp, a df/dt"""
            batch_size = z.shape[0]

            out = self.forward(z, t)

            a = grad_outputs
            adfdz, adfdt, *adfdp = torch.autograd.grad(
                (out,), (z, t) + tuple(self.parameters()), grad_outputs=(a),
                allow_unused=True, retain_graph=True
            )
            # grad method automatically sums gradients for batch items, we have to expand them back
            if adfdp is not None:
                adfdp = torch.cat([p_grad.flatten() for p_grad in adfdp]).unsqueeze(0)
                adfdp = adfdp.expand(batch_size, -1) / batch_size
            if adfdt is not None:
                adfdt = adfdt.expand(batch_size, 1) / batch_size
            return out, adfdz, adfdt, adfdp

        def flatten_parameters(self):
            p_shapes = []
            flat_parameters = []
            for p in self.parameters():
                p_shapes.append(p.size())
                flat_parameters.append(p.flatten())
            return torch.cat(flat_parameters)

    class ODEAdjoint(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z0, t, flat_parameters, func):
            assert isinstance(func, ODEF)
            bs, *z_shape = z0.size()
            time_len = t.size(0)

            with torch.no_grad():
                z = torch.zeros(time_len, bs, *z_shape).to(z0)
                z[0] = z0
                for i_t in range(time_len - 1):
                    z0 = ode_solve(z0, t[i_t], t[i_t+1], func)
                    z[i_t+1] = z0

            ctx.func = func
            ctx.save_for_backward(t, z.clone(), flat_parameters)
            return z

        @staticmethod
        def backward(ctx, dLdz):
            """
            dLdz shape: time_len, batch_size, *z_shape
            """
            func = ctx.func
            t, z, flat_parameters = ctx.saved_tensors
            time_len, bs, *z_shape = z.size()
            n_dim = np.prod(z_shape)
            n_params = flat_parameters.size(0)

            # Dynamics of augmented system to be calculated backwards in time
            def augmented_dynamics(aug_z_i, t_i):
                """
                tensors here are temporal slices
                t_i - is tensor with size: bs, 1
                aug_z_i - is tensor with size: bs, n_dim*2 + n_params + 1
                """
                z_i, a = aug_z_i[:, :n_dim], aug_z_i[:, n_dim:2*n_dim]  # ignore parameters and time

                # Unflatten z and a
                z_i = z_i.view(bs, *z_shape)
                a = a.view(bs, *z_shape)
                with torch.set_grad_enabled(True):
                    t_i = t_i.detach().requires_grad_(True)
                    z_i = z_i.detach().requires_grad_(True)
                    func_eval, adfdz, adfdt, adfdp = func.forward_with_grad(
                        z_i, t_i, grad_outputs=a)  # bs, *z_shape
                    adfdz = adfdz.to(z_i) if adfdz is not None else \
                        torch.zeros(bs, *z_shape).to(z_i)
                    adfdp = adfdp.to(z_i) if adfdp is not None else \
                        torch.zeros(bs, n_params).to(z_i)
                    adfdt = adfdt.to(z_i) if adfdt is not None else torch.zeros(bs, 1).to(z_i)

                # Flatten f and adfdz
                func_eval = func_eval.view(bs, n_dim)
                adfdz = adfdz.view(bs, n_dim)
                return torch.cat((func_eval, -adfdz, -adfdp, -adfdt), dim=1)

            dLdz = dLdz.view(time_len, bs, n_dim)  # flatten dLdz for convenience
            with torch.no_grad():
                ## Create placeholders for output gradients
                # Prev computed backwards adjoints to be adjusted by direct gradients
                adj_z = torch.zeros(bs, n_dim).to(dLdz)
                adj_p = torch.zeros(bs, n_params).to(dLdz)
                # In contrast to z and p we need to return gradients for all times
                adj_t = torch.zeros(time_len, bs, 1).to(dLdz)

                for i_t in range(time_len-1, 0, -1):
                    z_i = z[i_t]
                    t_i = t[i_t]
                    f_i = func(z_i, t_i).view(bs, n_dim)

                    # Compute direct gradients
                    dLdz_i = dLdz[i_t]
                    dLdt_i = torch.bmm(torch.transpose(dLdz_i.unsqueeze(-1), 1, 2),
                                       f_i.unsqueeze(-1))[:, 0]

                    # Adjusting adjoints with direct gradients
                    adj_z += dLdz_i
                    adj_t[i_t] = adj_t[i_t] - dLdt_i

                    # Pack augmented variable
                    aug_z = torch.cat((z_i.view(bs, n_dim), adj_z, torch.zeros(bs, n_params).to(z),
                                       adj_t[i_t]), dim=-1)

                    # Solve augmented system backwards
                    aug_ans = ode_solve(aug_z, t_i, t[i_t-1], augmented_dynamics)

                    # Unpack solved backwards augmented system
                    adj_z[:] = aug_ans[:, n_dim:2*n_dim]
                    adj_p[:] += aug_ans[:, 2*n_dim:2*n_dim + n_params]
                    adj_t[i_t-1] = aug_ans[:, 2*n_dim + n_params:]

                    del aug_z, aug_ans

                ## Adjust 0 time adjoint with direct gradients
                # Compute direct gradients
                dLdz_0 = dLdz[0]
                dLdt_0 = torch.bmm(torch.transpose(dLdz_0.unsqueeze(-1), 1, 2),
                                   f_i.unsqueeze(-1))[:, 0]

                # Adjust adjoints
                adj_z += dLdz_0
                adj_t[0] = adj_t[0] - dLdt_0
            return adj_z.view(bs, *z_shape), adj_t, adj_p, None

    class NeuralODE(nn.Module):
        def __init__(self, func):
            super(NeuralODE, self).__init__()
            assert isinstance(func, ODEF)
            self.func = func

        def forward(self, z0, t=Tensor([0., 1.]), return_whole_sequence=False):
            t = t.to(z0)
            z = ODEAdjoint.apply(z0, t, self.func.flatten_parameters(), self.func)
            if return_whole_sequence:
                return z
            else:
                return z[-1]

    class LinearODEF(ODEF):
        def __init__(self, W):
            super(LinearODEF, self).__init__()
            self.lin = nn.Linear(2, 2, bias=False)
            self.lin.weight = nn.Parameter(W)

        def forward(self, x, t):
            return self.lin(x)

    class SpiralFunctionExample(LinearODEF):
        def __init__(self):
            super(SpiralFunctionExample, self).__init__(Tensor([[-0.1, -1.], [1., -0.1]]))

    class RandomLinearODEF(LinearODEF):
        def __init__(self):
            super(RandomLinearODEF, self).__init__(torch.randn(2, 2)/2.)

    class TestODEF(ODEF):
        def __init__(self, A, B, x0):
            super(TestODEF, self).__init__()
            self.A = nn.Linear(2, 2, bias=False)
            self.A.weight = nn.Parameter(A)
            self.B = nn.Linear(2, 2, bias=False)
            self.B.weight = nn.Parameter(B)
            self.x0 = nn.Parameter(x0)

        def forward(self, x, t):
            xTx0 = torch.sum(x*self.x0, dim=1)
            dxdt = torch.sigmoid(xTx0) * self.A(x - self.x0) + \
                torch.sigmoid(-xTx0) * self.B(x + self.x0)
            return dxdt

    class NNODEF(ODEF):
        def __init__(self, in_dim, hid_dim, time_invariant=False):
            super(NNODEF, self).__init__()
            self.time_invariant = time_invariant

            if time_invariant:
                self.lin1 = nn.Linear(in_dim, hid_dim)
            else:
                self.lin1 = nn.Linear(in_dim+1, hid_dim)
            self.lin2 = nn.Linear(hid_dim, hid_dim)
            self.lin3 = nn.Linear(hid_dim, in_dim)
            self.elu = nn.ELU(inplace=True)

        def forward(self, x, t):
            if not self.time_invariant:
                x = torch.cat((x, t), dim=-1)

            h = self.elu(self.lin1(x))
            h = self.elu(self.lin2(h))
            out = self.lin3(h)
            return out

    def to_np(x):
        return x.detach().cpu().numpy()

    return types.SimpleNamespace(**{k: v for k, v in locals().items()
                                    if not k.startswith("_")})


def _conduct_experiment(torch, o, nb, ode_true, ode_trained, n_steps, name, plot_freq=10,
                        t_max=6.29, n_points=40, min_delta_time=1.0, max_delta_time=2.0,
                        max_points_num=8):
    """conduct_experiment: data from ode_true, Adam on random sub-spans, z_p printed."""
    F, Variable = torch.nn.functional, torch.autograd.Variable
    # Create data
    z0 = Variable(torch.Tensor([[0.6, 0.3]]))

    index_np = np.arange(0, n_points, 1, dtype=np.int64)
    index_np = np.hstack([index_np[:, None]])
    times_np = np.linspace(0, t_max, num=n_points)
    times_np = np.hstack([times_np[:, None]])

    times = torch.from_numpy(times_np[:, :, None]).to(z0)
    obs = ode_true(z0, times, return_whole_sequence=True).detach()
    obs = obs + torch.randn_like(obs) * 0.01
    o.print(name, 'obs', tuple(obs.shape), obs.dtype, obs.requires_grad,
            '%.4f %.4f' % (obs[-1, 0, 0].item(), obs[-1, 0, 1].item()))

    def create_batch():
        t0 = np.random.uniform(0, t_max - max_delta_time)
        t1 = t0 + np.random.uniform(min_delta_time, max_delta_time)

        idx = sorted(np.random.permutation(
            index_np[(times_np > t0) & (times_np < t1)])[:max_points_num])

        obs_ = obs[idx]
        ts_ = times[idx]
        return obs_, ts_

    # Train Neural ODE
    optimizer = torch.optim.Adam(ode_trained.parameters(), lr=0.01)
    for i in range(n_steps):
        obs_, ts_ = create_batch()

        z_ = ode_trained(obs_[0], ts_, return_whole_sequence=True)
        loss = F.mse_loss(z_, obs_.detach())

        optimizer.zero_grad()
        loss.backward(retain_graph=True)
        gn = [p.grad.norm().item() for p in ode_trained.parameters()]
        optimizer.step()
        o.print(name, i, tuple(ts_.shape), 'loss %.4f' % loss.item(),
                'gnorm ' + ' '.join('%.4f' % g for g in gn))

        if i % plot_freq == 0:
            z_p = ode_trained(z0, times, return_whole_sequence=True)
            o.print(name, 'z_p', tuple(z_p.shape), z_p.requires_grad, type(z_p.grad_fn).__name__,
                    ' '.join('%.4f' % v for v in nb.to_np(z_p[::10, 0, 0])))
            o.vals.append(z_p.detach())
    o.vals += [p.detach().clone() for p in ode_trained.parameters()]


def linear_spiral(torch):
    """SpiralFunctionExample learnt by RandomLinearODEF (conduct_experiment 'linear')."""
    torch.manual_seed(0)
    np.random.seed(0)
    with Out() as o:
        nb = notebook(torch)
        ode_true = nb.NeuralODE(nb.SpiralFunctionExample())
        ode_trained = nb.NeuralODE(nb.RandomLinearODEF())
        o.print(ode_trained)
        o.print(nb.ode_solve(torch.Tensor([[1., 0.]]), torch.tensor(0.), torch.tensor(0.12),
                             lambda z, t: -z))
        _conduct_experiment(torch, o, nb, ode_true, ode_trained, 6, "linear", plot_freq=3)
        o.vals.append(ode_trained.func.flatten_parameters().detach())
    return o.done()


def comp_mlp(torch):
    """TestODEF learnt by NNODEF(2, 16, time_invariant=True) (conduct_experiment 'comp')."""
    torch.manual_seed(1)
    np.random.seed(1)
    Tensor = torch.Tensor
    with Out() as o:
        nb = notebook(torch)
        func = nb.TestODEF(Tensor([[-0.1, -0.5], [0.5, -0.1]]), Tensor([[0.2, 1.], [-1, 0.2]]),
                           Tensor([[-1., 0.]]))
        ode_true = nb.NeuralODE(func)

        func = nb.NNODEF(2, 16, time_invariant=True)
        ode_trained = nb.NeuralODE(func)
        o.print(ode_trained)
        _conduct_experiment(torch, o, nb, ode_true, ode_trained, 5, "comp", plot_freq=4)
    return o.done()


def time_variant_adjoint(torch):
    """NNODEF with time input (adfdt path): the adjoint's gradients for z0, t and parameters
    beside direct backpropagation through the Euler steps."""
    torch.manual_seed(2)
    with Out() as o:
        nb = notebook(torch)
        func = nb.NNODEF(2, 8, time_invariant=False)
        ode = nb.NeuralODE(func)
        z0 = torch.randn(3, 2, requires_grad=True)
        t = torch.linspace(0, 0.3, 4)[:, None, None].expand(4, 3, 1).clone().requires_grad_(True)
        z = ode(z0, t, return_whole_sequence=True)
        o.print(tuple(z.shape), type(z.grad_fn).__name__, z.requires_grad)
        loss = (z ** 2).sum()
        loss.backward()
        o.print('loss %.4f' % loss.item(), 'z0.grad %.4f' % z0.grad.norm().item(),
                't.grad %.4f' % t.grad.norm().item(), tuple(t.grad.shape))
        for n, p in func.named_parameters():
            o.print(n, tuple(p.grad.shape), '%.4f' % p.grad.norm().item())
        o.vals += [z.detach(), z0.grad, t.grad] + [p.grad for p in func.parameters()]
        # direct backprop through the solver, same steps
        func.zero_grad()
        z0b = z0.detach().clone().requires_grad_(True)
        zs = [z0b]
        for i in range(3):
            zs.append(nb.ode_solve(zs[-1], t[i].detach(), t[i + 1].detach(), func))
        direct = torch.stack(zs)
        (direct ** 2).sum().backward()
        o.print('direct %.4f' % (direct - z).abs().max().item(),
                '%.4f' % z0b.grad.norm().item())
        o.vals += [direct.detach(), z0b.grad] + [p.grad for p in func.parameters()]
        # the default t=Tensor([0., 1.]) gives 0-d times: cat((x, t)) refuses them
        o.tryit(lambda: ode(z0))
        o.tryit(lambda: func(z0, t[0, :2]))
        try:
            nb.NeuralODE(torch.nn.Linear(2, 2))
        except AssertionError as e:
            o.print('AssertionError', repr(str(e)))
    return o.done()
