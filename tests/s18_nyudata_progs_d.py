"""dataflowr/notebooks (Marc Lelarge's course) transcribed as users type the code cells,
on small random data (no torchvision, no plotting), as ``prog(L) -> (printed, values)`` for
tests/test_programs_s18_nyudata.py: Module2/02a_basics, Module14/14a_dropout_intro,
Module16/16_batchnorm_simple; and Atcold/NYU-DLSP20 13-bayesian_nn (MC dropout)."""

import numpy as np
from s16_yunjey_progs import Out


def basics(L):
    """Module2/02a_basics.ipynb: tensors, the NumPy bridge, dtypes, broadcasting, in-place
    ops, shared memory, CUDA cells on a CPU build, narrow, and autograd on
    l = (exp(wx+b) - y*)^2 with its errors (int tensor requires_grad, second backward)."""
    torch = L
    with Out() as o:
        torch.manual_seed(0)
        x = torch.empty(3, 5)
        o.print(x.dtype)
        x = torch.randn(3, 5)
        o.print(x)
        o.print(x.size())
        o.tryit(lambda: x.size()[1])
        o.tryit(lambda: x.size() == (3, 5))
        y = x.numpy()
        o.print(y)
        a = np.ones(5)
        b = torch.from_numpy(a)
        o.print(a.dtype)
        o.print(b)
        c = b.long()
        o.print(c.dtype, c)
        o.print(b.dtype, b)
        xr = torch.randn(3, 5)
        o.print(xr.dtype, xr)
        resb = xr + b
        o.tryit(lambda: resb)
        resc = xr + c
        o.tryit(lambda: resc)
        o.tryit(lambda: resb == resc)
        torch.set_printoptions(precision=10)
        try:
            o.tryit(lambda: resb[0, 1])
            o.tryit(lambda: resc[0, 1])
            o.tryit(lambda: resc[0, 1].dtype)
            o.tryit(lambda: xr[0, 1])
        finally:
            torch.set_printoptions(precision=4)
        A = torch.tensor([[1.], [2.], [3.], [4.]])
        o.print(A.size())
        B = torch.tensor([[5., -5., 5., -5., 5.]])
        o.print(B.size())
        C = A + B
        o.tryit(lambda: C)
        o.tryit(lambda: x)
        o.tryit(lambda: xr)
        o.print(x + xr)
        x.add_(xr)
        o.print(x)
        o.print(x.t())
        x.t_()
        o.print(x)
        a = np.ones(5)
        b = torch.from_numpy(a)
        o.print(b)
        a[2] = 0
        o.print(b)
        b[3] = 5
        o.print(a)
        o.tryit(lambda: torch.cuda.is_available())
        device = torch.device('cuda')
        o.tryit(lambda: x.device)
        if torch.cuda.is_available():
            pass
        x = torch.randn(1)
        o.tryit(lambda: x.to(device))
        o.tryit(lambda: x.device)
        x = x.data
        o.print(x)
        o.print(x.item())
        o.print(x.cpu().numpy())
        rng = np.random.default_rng(0)
        cifar_data = rng.integers(0, 256, (60, 8, 8, 3), dtype=np.uint8)
        x = torch.from_numpy(cifar_data).permute(0, 3, 1, 2).float()
        x = x / 255
        o.print(x.type(), x.size(), x.min().item(), x.max().item())
        x = torch.narrow(x, 0, 0, 48)
        o.tryit(lambda: x.shape)
        x.narrow(1, 1, 2).fill_(0)
        o.vals.append(x)
        w = np.array([0.5])
        b = np.array([2])
        xx = np.array([0.5])
        xx_t = torch.from_numpy(xx)
        w_t = torch.from_numpy(w)
        b_t = torch.from_numpy(b)
        o.tryit(lambda: w_t.requires_grad)
        o.tryit(lambda: w_t.requires_grad_(True))
        o.tryit(lambda: b_t.requires_grad_(True))
        dtype = torch.float64
        b_t = b_t.type(dtype)
        o.tryit(lambda: b_t.requires_grad_(True))

        def fun(x, ystar):
            y = torch.exp(w_t * x + b_t)
            o.print(y)
            return torch.sum((y - ystar) ** 2)
        ystar_t = torch.randn_like(xx_t)
        l_t = fun(xx_t, ystar_t)
        o.tryit(lambda: l_t)
        o.tryit(lambda: l_t.requires_grad)
        o.print(w_t.grad)
        l_t.backward()
        o.print(w_t.grad)
        o.print(b_t.grad)
        yy_t = torch.exp(w_t * xx_t + b_t)
        o.print(torch.sum(2 * (yy_t - ystar_t) * yy_t * xx_t))
        o.print(torch.sum(2 * (yy_t - ystar_t) * yy_t))
        l_t = fun(xx_t, ystar_t)
        l_t.backward()
        o.print(w_t.grad)
        o.print(b_t.grad)
        o.tryit(lambda: l_t.backward())
        w_t.grad.data.zero_()
        b_t.grad.data.zero_()
        l_t = fun(xx_t, ystar_t)
        l_t.backward(retain_graph=True)
        l_t.backward()
        o.print(w_t.grad)
        o.print(b_t.grad)
        o.vals += [w_t.grad, b_t.grad, resb, resc]
    return o.done()


def dropout_intro(L):
    """Module14/14a_dropout_intro.ipynb (exercises filled in): dropout from scratch, then an
    overfitting MLP against the same MLP with Dropout(0.5), eval/train switches."""
    torch = L
    with Out() as o:
        torch.manual_seed(0)

        def dropout(X, drop_prob):
            assert 0 <= drop_prob <= 1
            if drop_prob == 1:
                return torch.zeros_like(X)
            mask = torch.rand(X.shape).uniform_() > drop_prob
            return mask.float() * X / (1.0 - drop_prob)
        X = torch.arange(16).view(2, 8).float()
        o.print(X)
        o.print(dropout(X, 0))
        o.print(dropout(X, 0.5))
        o.print(dropout(X, 1))
        N_SAMPLES = 20
        N_HIDDEN = 30
        x = torch.unsqueeze(torch.linspace(-1, 1, N_SAMPLES), 1)
        y = x + 0.3 * torch.normal(torch.zeros(N_SAMPLES, 1), torch.ones(N_SAMPLES, 1))
        test_x = torch.unsqueeze(torch.linspace(-1, 1, N_SAMPLES), 1)
        test_y = test_x + 0.3 * torch.normal(torch.zeros(N_SAMPLES, 1), torch.ones(N_SAMPLES, 1))
        net_simple = torch.nn.Sequential(
            torch.nn.Linear(1, N_HIDDEN),
            torch.nn.ReLU(),
            torch.nn.Linear(N_HIDDEN, N_HIDDEN),
            torch.nn.ReLU(),
            torch.nn.Linear(N_HIDDEN, 1),
        )
        o.print(net_simple)
        net_dropout = torch.nn.Sequential(
            torch.nn.Linear(1, N_HIDDEN),
            torch.nn.Dropout(0.5),
            torch.nn.ReLU(),
            torch.nn.Linear(N_HIDDEN, N_HIDDEN),
            torch.nn.Dropout(0.5),
            torch.nn.ReLU(),
            torch.nn.Linear(N_HIDDEN, 1),
        )
        o.print(net_dropout)
        optimizer_simple = torch.optim.Adam(net_simple.parameters(), lr=0.01)
        optimizer_dropout = torch.optim.Adam(net_dropout.parameters(), lr=0.01)
        loss_fn = torch.nn.MSELoss()
        for epoch in range(30):
            pred_simple = net_simple(x)
            pred_drop = net_dropout(x)
            loss_simple = loss_fn(pred_simple, y)
            loss_dropout = loss_fn(pred_drop, y)
            optimizer_simple.zero_grad()
            optimizer_dropout.zero_grad()
            loss_simple.backward()
            loss_dropout.backward()
            optimizer_simple.step()
            optimizer_dropout.step()
            if epoch % 10 == 0:
                net_simple.eval()
                net_dropout.eval()
                test_pred_simple = net_simple(test_x)
                test_pred_dropout = net_dropout(test_x)
                o.print('overfitting test loss=%.4f' % loss_fn(test_pred_simple, test_y).data.item())
                o.print('dropout test loss=%.4f' % loss_fn(test_pred_dropout, test_y).data.item())
                o.vals += [test_pred_simple.data.numpy(), test_pred_dropout.data.numpy()]
                net_simple.train()
                net_dropout.train()
        o.vals += list(net_dropout.parameters())
    return o.done()


def batchnorm_simple(L):
    """Module16/16_batchnorm_simple.ipynb (after MorvanZhou's 504_batch_normalization): a
    tanh / relu MLP with and without BatchNorm1d(momentum=0.5) on a noisy parabola (the
    DataLoader with workers), bad bias init; the layer inputs and test losses in eval mode.
    Scaled for a stable comparison: float64 (set_default_dtype, .double() data), three hidden
    layers instead of eight, and SGD in place of Adam. The Linear biases just before a
    BatchNorm (and bn_input's bias) have a gradient of exactly 0 in exact arithmetic, so
    the rounding noise is all there is; Adam normalises it into steps of ~lr (measured: the
    fc biases end 1e-5 apart between PyTorch and ember, in float64), and the eval-mode
    outputs see them through the running mean's lag. In float32 the gradients reaching the
    first layers are ~1e-6 and mostly noise too (PyTorch's values are as far from the
    float64 ones as ember's)."""
    torch = L
    with Out() as o:
        torch.manual_seed(42)
        rs = np.random.RandomState(42)
        torch.set_default_dtype(torch.float64)
        try:
            _batchnorm_body(L, o, rs)
        finally:
            torch.set_default_dtype(torch.float32)
    return o.done()


def _batchnorm_body(L, o, rs):
    torch, nn = L, L.nn
    Data = L.utils.data
    if True:
        class ExperimentParams():
            def __init__(self):
                self.num_samples = 256
                self.batch_size = 64
                self.lr = 3e-2
                self.n_hidden = 3  # 8 in the notebook: see the docstring
                self.num_epochs = 2
                self.num_workers = 2
                self.device = 'cuda' if torch.cuda.is_available() else 'cpu'
        args = ExperimentParams()
        x = np.linspace(-7, 10, args.num_samples)[:, np.newaxis]
        noise = rs.normal(0, 2, x.shape)
        y = np.square(x) - 5 + noise
        test_x = np.linspace(-7, 10, 200)[:, np.newaxis]
        noise = rs.normal(0, 2, test_x.shape)
        test_y = np.square(test_x) - 5 + noise
        train_x, train_y = torch.from_numpy(x).double(), torch.from_numpy(y).double()
        test_x, test_y = torch.from_numpy(test_x).double(), torch.from_numpy(test_y).double()
        train_dataset = Data.TensorDataset(train_x, train_y)
        train_loader = Data.DataLoader(dataset=train_dataset, batch_size=args.batch_size,
                                       shuffle=True, num_workers=args.num_workers,)

        class Net(nn.Module):
            def __init__(self, n_hidden, act_func, batch_normalization=False):
                super(Net, self).__init__()
                self.do_bn = batch_normalization
                self.fcs = []
                self.bns = []
                self.bn_input = nn.BatchNorm1d(1, momentum=0.5)
                self.act_func = act_func
                self.n_hidden = n_hidden
                for i in range(n_hidden):
                    input_size = 1 if i == 0 else 10
                    fc = nn.Linear(input_size, 10)
                    setattr(self, "fc%i" % i, fc)
                    self._set_init(fc)
                    self.fcs.append(fc)
                    if self.do_bn:
                        bn = nn.BatchNorm1d(10, momentum=0.5)
                        setattr(self, "bn%i" % i, bn)
                        self.bns.append(bn)
                self.predict = nn.Linear(10, 1)
                self._set_init(self.predict)

            def _set_init(self, layer):
                nn.init.normal_(layer.weight, mean=0., std=.1)
                nn.init.constant_(layer.bias, -0.2)

            def forward(self, x):
                pre_activation = [x]
                if self.do_bn:
                    x = self.bn_input(x)
                layer_input = [x]
                for i in range(self.n_hidden):
                    x = self.fcs[i](x)
                    pre_activation.append(x)
                    if self.do_bn:
                        x = self.bns[i](x)
                    x = self.act_func(x)
                    layer_input.append(x)
                out = self.predict(x)
                return out, layer_input, pre_activation

        for act in (torch.tanh, torch.relu):
            nets = [Net(args.n_hidden, act, batch_normalization=False),
                    Net(args.n_hidden, act, batch_normalization=True)]
            o.print(*nets)
            opts = [torch.optim.SGD(net.parameters(), lr=args.lr) for net in nets]
            loss_func = torch.nn.MSELoss()
            losses = [[], []]
            for epoch in range(args.num_epochs):
                o.print('Epoch: ', epoch)
                layer_inputs, pre_acts = [], []
                for net, l in zip(nets, losses):
                    net.eval()
                    pred, layer_input, pre_act = net(test_x)
                    l.append(loss_func(pred, test_y).data.item())
                    layer_inputs.append(layer_input)
                    pre_acts.append(pre_act)
                    net.train()
                o.vals += [t.data for t in layer_inputs[1]]  # (pre_acts: the note below)
                for step, (b_x, b_y) in enumerate(train_loader):
                    for net, opt in zip(nets, opts):
                        pred, _, _ = net(b_x)
                        loss = loss_func(pred, b_y)
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
            o.print(['%.3f' % v for v in losses[0]], ['%.3f' % v for v in losses[1]])
            o.vals += [nets[1].bn_input.running_mean, nets[1].bn_input.running_var,
                       nets[1].bn2.running_var, nets[1].bn2.num_batches_tracked]
            nets[1].eval()
            o.vals.append(nets[1](test_x)[0])
            o.vals += [p.data for p in nets[1].parameters()]



def bayesian_nn(L):
    """Atcold/NYU-DLSP20 13-bayesian_nn.ipynb: an MLP with Dropout(p=0.05) fitted to
    x sin x with SGD + weight decay, evaluated in eval mode, then MC dropout (train mode,
    100 runs under no_grad) for the mean and std over a dense input range."""
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)
        m = 20
        x = (torch.rand(m) - 0.5) * 12
        y = x * torch.sin(x)
        for non_linear in (nn.Tanh, nn.ReLU):
            net = nn.Sequential(
                nn.Dropout(p=0.05),
                nn.Linear(1, 20),
                non_linear(),
                nn.Dropout(p=0.05),
                nn.Linear(20, 20),
                non_linear(),
                nn.Linear(20, 1)
            )
            criterion = nn.MSELoss()
            optimiser = optim.SGD(net.parameters(), lr=0.01, weight_decay=0.00001)
            for epoch in range(60):
                y_hat = net(x.view(-1, 1))
                loss = criterion(y_hat, y.view(-1, 1))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                if epoch % 20 == 0:
                    o.print('%.4f' % loss.item())
            xx = torch.linspace(-15, 15, 100)
            net.eval()
            with torch.no_grad():
                o.vals.append(net(xx.view(-1, 1)).squeeze().numpy())
            net.train()
            y_hat = list()
            with torch.no_grad():
                for t in range(20):
                    y_hat.append(net(xx.view(-1, 1)).squeeze())
            y_hat = torch.stack(y_hat)
            mean = y_hat.mean(0)
            std = y_hat.std(0)
            o.vals += [mean, std, (mean + std).numpy(), (mean - std).numpy()]
        o.print(net)
    return o.done()
