"""rtqichen/torchdiffeq examples/ode_demo.py as users copy it (the spiral y' = (y**3) A learnt
by ODEFunc, get_batch with np.random.choice, RMSprop, RunningAverageMeter, the test pass under
no_grad and the learnt vector field on an np.mgrid), sizes shrunk; torchdiffeq's odeint
(dopri5) stood in for by the fixed-grid rk4 of tests/s21_neuralode_progs_c.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_neuralode_progs_c import odeint


def ode_demo(torch):
    """examples/ode_demo.py: 12 iterations on 40 points, test every 4."""
    nn, optim = torch.nn, torch.optim
    import random
    SEED = 42
    torch.manual_seed(SEED)
    random.seed(SEED)
    np.random.seed(SEED)
    data_size, batch_time, batch_size, niters, test_freq = 40, 5, 6, 12, 4
    device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')

    true_y0 = torch.tensor([[2., 0.]]).to(device)
    t = torch.linspace(0., 4., data_size).to(device)
    true_A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]]).to(device)

    class Lambda(nn.Module):

        def forward(self, t, y):
            return torch.mm(y ** 3, true_A)

    with torch.no_grad():
        true_y = odeint(Lambda(), true_y0, t, method='rk4')

    def get_batch():
        s = torch.from_numpy(
            np.random.choice(np.arange(data_size - batch_time, dtype=np.int64), batch_size,
                             replace=False))
        batch_y0 = true_y[s]  # (M, D)
        batch_t = t[:batch_time]  # (T)
        batch_y = torch.stack([true_y[s + i] for i in range(batch_time)], dim=0)  # (T, M, D)
        return batch_y0.to(device), batch_t.to(device), batch_y.to(device)

    class ODEFunc(nn.Module):

        def __init__(self):
            super(ODEFunc, self).__init__()

            self.net = nn.Sequential(
                nn.Linear(2, 50),
                nn.Tanh(),
                nn.Linear(50, 2),
            )

            for m in self.net.modules():
                if isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, mean=0, std=0.1)
                    nn.init.constant_(m.bias, val=0)

        def forward(self, t, y):
            return self.net(y ** 3)

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

    with Out() as o:
        o.print(tuple(true_y.shape), true_y.dtype, true_y.requires_grad)
        func = ODEFunc().to(device)

        optimizer = optim.RMSprop(func.parameters(), lr=1e-3)
        loss_meter = RunningAverageMeter(0.97)
        o.print(f'running with niters (epochs) = {niters}')
        for itr in range(1, niters + 1):
            optimizer.zero_grad()
            batch_y0, batch_t, batch_y = get_batch()
            pred_y = odeint(func, batch_y0, batch_t, method='rk4').to(device)
            loss = torch.mean(torch.abs(pred_y - batch_y))
            loss.backward()
            optimizer.step()

            loss_meter.update(loss.item())

            if itr % test_freq == 0:
                with torch.no_grad():
                    pred_y = odeint(func, true_y0, t, method='rk4')
                    loss = torch.mean(torch.abs(pred_y - true_y))
                    o.print('Iter {:04d} | Total Loss {:.6f}'.format(itr, loss.item()),
                            '{:.4f}'.format(loss_meter.avg), tuple(pred_y.shape),
                            pred_y.requires_grad)
                    o.vals.append(pred_y)

        y, x = np.mgrid[-2:2:5j, -2:2:5j]
        dydt = func(0, torch.Tensor(np.stack([x, y], -1).reshape(5 * 5, 2)).to(device)) \
            .cpu().detach().numpy()
        mag = np.sqrt(dydt[:, 0] ** 2 + dydt[:, 1] ** 2).reshape(-1, 1)
        dydt = (dydt / mag)
        dydt = dydt.reshape(5, 5, 2)
        o.print(dydt.dtype, dydt.shape, '%.4f' % dydt[2, 3, 0])
        o.vals += [dydt] + [p.detach() for p in func.parameters()]
        o.tryit(lambda: func(0, torch.zeros(3, 3)))
        o.tryit(lambda: Lambda()(0, torch.zeros(2)))
    return o.done()
