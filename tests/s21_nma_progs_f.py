"""NeuromatchAcademy/course-content-dl: W1D2_LinearDeepLearning Tutorial2 (the shallow narrow
net of ShallowNarrowExercise trained with autograd) and Tutorial3 (LNNet, net_rsm; the deep linear
network's train() logging losses, singular values from ex_net_svd (torch.svd of the product of
the weights), the RSM of the hidden layer and the "illusory correlation" prediction into NumPy
arrays each epoch) and W1D5_Optimization (eval_model averaging 1. * (preds.argmax(dim=1) ==
labels), loss_2d setting one input pixel's weights through a mask and weight.data, the
benchmark loop over SGD / momentum / Adam / RMSprop with a DataLoader, and the random
hyperparameter search), on seeded tensors instead of MNIST."""

import numpy as np
from s16_yunjey_progs import Out
from s21_nma_progs import set_seed


def w1d2_linear_nets(L):
    """Tutorial 2 (ShallowNarrow, numpy and autograd) and Tutorial 3 (LNNet, RSM)."""
    torch, nn = L, L.nn
    with Out() as o:
        set_seed(L, 1943)

        def gen_samples(n, a, sigma):
            assert n > 0
            assert sigma >= 0
            if sigma > 0:
                x = np.random.rand(n)
                noise = np.random.normal(scale=sigma, size=(n))
                y = a * x + noise
            else:
                x = np.linspace(0.0, 1.0, n, endpoint=True)
                y = a * x
            return x, y
        x_train, y_train = gen_samples(n=73, a=2.0, sigma=0.2)
        # the same model with autograd
        w1 = torch.tensor(1.4, requires_grad=True)
        w2 = torch.tensor(-1.6, requires_grad=True)
        x = torch.tensor(x_train)
        y = torch.tensor(y_train)
        for i in range(30):
            loss = ((y - x * w1 * w2) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w1 -= 0.02 * w1.grad
                w2 -= 0.02 * w2.grad
                w1.grad.zero_()
                w2.grad.zero_()
        o.print(loss.dtype, w1, w2)
        o.vals += [loss.detach(), w1.detach(), w2.detach()]

        class LNNet(nn.Module):
            def __init__(self, in_dim, hid_dim, out_dim):
                super().__init__()
                self.in_hid = nn.Linear(in_dim, hid_dim, bias=False)
                self.hid_out = nn.Linear(hid_dim, out_dim, bias=False)

            def forward(self, x):
                hid = self.in_hid(x)
                out = self.hid_out(hid)
                return out, hid

        def initializer_(model, gamma=1e-12):
            for weight in model.parameters():
                n_out, n_in = weight.shape
                sigma = gamma / np.sqrt(n_in + n_out)
                nn.init.normal_(weight, mean=0.0, std=sigma)

        def ex_net_rsm(h):
            return h @ h.T
        dim_input, dim_hidden, dim_output = 8, 6, 10
        items = torch.eye(dim_input)
        labels = (torch.rand(dim_input, dim_output) > 0.5).float()
        model = LNNet(dim_input, dim_hidden, dim_output)
        initializer_(model, gamma=1e-2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        criterion = nn.MSELoss(reduction="sum")
        losses = []
        for i in range(25):
            optimizer.zero_grad()
            predictions, hiddens = model(items)
            loss = criterion(predictions, labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            _, h = model(items)
            rsm = ex_net_rsm(h)
            svd = torch.svd(model.hid_out.weight @ model.in_hid.weight)
        o.print(rsm.shape, svd.S.shape, svd[0].shape)
        o.print(labels.dtype, predictions.requires_grad, hiddens.grad_fn is not None)
        o.vals += [torch.tensor(losses), rsm, svd.S]
    return o.done()


def w1d2_deep_linear(L):
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        class LNNet(nn.Module):
            def __init__(self, in_dim, hid_dim, out_dim):
                super().__init__()
                self.in_hid = nn.Linear(in_dim, hid_dim, bias=False)
                self.hid_out = nn.Linear(hid_dim, out_dim, bias=False)

            def forward(self, x):
                hid = self.in_hid(x)
                out = self.hid_out(hid)
                return out, hid

        def initializer_(model, gamma=1e-12):
            for weight in model.parameters():
                n_out, n_in = weight.shape
                sigma = gamma / np.sqrt(n_in + n_out)
                nn.init.normal_(weight, mean=0.0, std=sigma)

        def net_svd(model, in_dim):
            W_tot = torch.eye(in_dim)
            for weight in model.parameters():
                W_tot = weight.detach() @ W_tot
            U, SIGMA, V = torch.svd(W_tot)
            return U, SIGMA, V

        def net_rsm(h):
            rsm = h @ h.T
            return rsm

        def train(model, inputs, targets, n_epochs, lr, illusory_i=0):
            in_dim = inputs.size(1)
            losses = np.zeros(n_epochs)
            modes = np.zeros((n_epochs, in_dim))
            rs_mats = []
            illusions = np.zeros(n_epochs)
            optimizer = optim.SGD(model.parameters(), lr=lr)
            criterion = nn.MSELoss()
            for i in range(n_epochs):
                optimizer.zero_grad()
                predictions, hiddens = model(inputs)
                loss = criterion(predictions, targets)
                loss.backward()
                optimizer.step()
                U, Σ, V = net_svd(model, in_dim)
                RSM = net_rsm(hiddens.detach())
                pred_ij = predictions.detach()[illusory_i, -1]
                losses[i] = loss.item()
                modes[i] = Σ.detach().numpy()
                rs_mats.append(RSM.numpy())
                illusions[i] = pred_ij.numpy()
            return losses, modes, np.array(rs_mats), illusions
        set_seed(L, seed=2021)
        label_tensor = (torch.rand(8, 12) > 0.5).float()
        label_tensor[:, -1] = torch.tensor([1., 0., 0., 0., 1., 0., 0., 0.])
        feature_tensor = torch.eye(8)
        dim_input, dim_hidden, dim_output = 8, 10, 12
        dlnn_model = LNNet(dim_input, dim_hidden, dim_output)
        initializer_(dlnn_model, gamma=1e-3)
        losses, modes, rsms, illusions = train(dlnn_model, feature_tensor, label_tensor,
                                               n_epochs=40, lr=10.0, illusory_i=4)
        o.print(losses.dtype, modes.shape, rsms.shape, rsms.dtype, illusions.shape)
        o.print(f"final loss {losses[-1]:.4f}")
        o.vals += [losses, modes, rsms[-1], illusions]
    return o.done()


def w1d5_benchmark(L):
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    from importlib import import_module
    data = import_module(L.__name__ + ".utils.data")
    with Out() as o:
        class MLP(nn.Module):
            def __init__(self, in_dim=784, out_dim=10, hidden_dims=[], use_bias=True):
                super(MLP, self).__init__()
                self.in_dim = in_dim
                self.out_dim = out_dim
                if len(hidden_dims) == 0:
                    layers = [nn.Linear(in_dim, out_dim, bias=use_bias)]
                else:
                    layers = [nn.Linear(in_dim, hidden_dims[0], bias=use_bias), nn.ReLU()]
                    for i, hidden_dim in enumerate(hidden_dims[:-1]):
                        layers += [nn.Linear(hidden_dim, hidden_dims[i + 1], bias=use_bias),
                                   nn.ReLU()]
                    layers += [nn.Linear(hidden_dims[-1], out_dim, bias=use_bias)]
                self.main = nn.Sequential(*layers)

            def forward(self, x):
                transformed_x = x.view(-1, self.in_dim)
                hidden_output = self.main(transformed_x)
                output = F.log_softmax(hidden_output, dim=1)
                return output
        loss_fn = F.nll_loss
        SEED = 2021
        set_seed(L, seed=SEED)
        rng = np.random.default_rng(3)
        X = torch.from_numpy(rng.random((96, 1, 5, 5)).astype(np.float32))
        y = torch.from_numpy(rng.integers(0, 4, 96))
        g_seed = torch.Generator()
        g_seed.manual_seed(SEED)
        train_loader = data.DataLoader(data.TensorDataset(X[:64], y[:64]), batch_size=16,
                                       shuffle=True, generator=g_seed)
        test_loader = data.DataLoader(data.TensorDataset(X[64:], y[64:]), batch_size=16)

        def eval_model(model, data_loader, num_batches=np.inf, device='cpu'):
            loss_log, acc_log = [], []
            model.to(device=device)
            with torch.no_grad():
                for batch_id, batch in enumerate(data_loader):
                    if batch_id > num_batches:
                        break
                    data, labels = batch[0].to(device), batch[1].to(device)
                    preds = model(data)
                    loss_log.append(loss_fn(preds, labels).item())
                    acc_log.append(torch.mean(1. * (preds.argmax(dim=1) == labels)).item())
            return np.mean(loss_log), np.mean(acc_log)

        def loss_2d(model, u, v, mask_idx=(0, 7), bias_id=3):
            mask = torch.zeros_like(model.main[0].weight)
            mask[bias_id, mask_idx[0]] = 1.
            mask[bias_id, mask_idx[1]] = 1.
            masked_weights = model.main[0].weight.detach() * (1 - mask)
            model.main[0].weight.data = masked_weights
            model.main[0].weight.data[bias_id, mask_idx[0]] = u
            model.main[0].weight.data[bias_id, mask_idx[1]] = v
            with torch.no_grad():
                return loss_fn(model(X[:64]), y[:64]).item()
        set_seed(L, seed=SEED)
        model = MLP(in_dim=25, out_dim=4, hidden_dims=[])
        grid = np.linspace(-2, 2, 3)
        surface = np.array([[loss_2d(model, u, v) for u in grid] for v in grid])
        o.print(surface.shape, f"{surface.min():.4f}")
        o.vals.append(surface)
        results = {}
        for name, make in [('SGD', lambda p: optim.SGD(p, lr=1e-1)),
                           ('Momentum', lambda p: optim.SGD(p, lr=1e-1, momentum=0.9)),
                           ('Adam', lambda p: optim.Adam(p, lr=1e-2)),
                           ('RMSprop', lambda p: optim.RMSprop(p, lr=1e-3, alpha=0.99))]:
            set_seed(L, seed=SEED)
            model = MLP(in_dim=25, out_dim=4, hidden_dims=[16, 8])
            optimizer = make(model.parameters())
            train_losses = []
            for epoch in range(2):
                model.train()
                for data_b, labels_b in train_loader:
                    optimizer.zero_grad()
                    loss = loss_fn(model(data_b), labels_b)
                    loss.backward()
                    optimizer.step()
                    train_losses.append(loss.item())
            model.eval()
            test_loss, test_acc = eval_model(model, test_loader, num_batches=1)
            results[name] = (test_loss, test_acc)
            o.print(f"{name}: test loss {test_loss:.4f}, acc {test_acc:.4f}", type(test_acc))
            o.vals += [np.array(train_losses), model.main[-1].weight]
        # random hyperparameter search
        set_seed(L, seed=SEED)
        best = None
        for trial in range(3):
            lr = 10 ** np.random.uniform(-3, -1)
            width = int(np.random.choice([4, 8, 16]))
            model = MLP(in_dim=25, out_dim=4, hidden_dims=[width])
            optimizer = optim.Adam(model.parameters(), lr=lr)
            for data_b, labels_b in train_loader:
                optimizer.zero_grad()
                loss_fn(model(data_b), labels_b).backward()
                optimizer.step()
            val = eval_model(model, test_loader)
            o.print(f"trial {trial}: lr={lr:.5f} width={width} loss={val[0]:.4f}")
            if best is None or val[0] < best[0]:
                best = (val[0], lr, width)
        o.print(f"best width {best[2]}")
    return o.done()
