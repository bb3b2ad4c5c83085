"""ritchieng/deep-learning-wizard's logistic regression from scratch (boosting_models_pytorch)
and the "Deep Learning with PyTorch: Zero to GANs" notebooks 01-02 (aakashns / jovian:
tensors and gradients, linear regression from scratch and with nn.Linear, TensorDataset,
DataLoader, F.mse_loss) as users type them, on small random data, as
``prog(L) -> (printed, values)`` for tests/test_programs_s17_dlwizard.py."""

from collections import Counter

import numpy as np
from s16_yunjey_progs import Out


def fromscratch_logreg(L):
    torch = L
    with Out() as o:
        rng = np.random.default_rng(3)
        X = np.concatenate([rng.normal(-1, 1, (12, 2)), rng.normal(1, 1, (13, 2))])
        X = (X - X.mean(0)) / X.std(0)
        y = np.array([0] * 12 + [1] * 13)
        o.print(Counter(y.tolist()))
        o.print(X.shape)
        X_train, y_train = X[:20], y[:20]
        X_test, y_test = X[20:], y[20:]
        o.print(f'X train size: {X_train.shape}')
        num_epochs = 5
        learning_rate = 0.1
        num_features = X.shape[1]
        weights = torch.zeros(num_features, 1, dtype=torch.float32)
        bias = torch.zeros(1, dtype=torch.float32)
        X_train = torch.from_numpy(X_train).type(torch.float32)
        y_train = torch.from_numpy(y_train).type(torch.float32)
        for epoch in range(num_epochs):
            # 1a. Affine Transformation: z = ax + b
            z = torch.add(torch.mm(X_train, weights), bias)
            # 2a. Sigmoid/Logistic Function: y_hat = 1 / (1 + e^{-z})
            y_hat = 1. / (1. + torch.exp(-z))
            # binary cross entropy
            l = torch.mm(-y_train.view(1, -1), torch.log(y_hat)) - torch.mm(
                (1 - y_train).view(1, -1), torch.log(1 - y_hat))
            dl_dz = y_train - y_hat.view(-1)
            grad = torch.mm(X_train.transpose(0, 1), dl_dz.view(-1, 1))
            weights += learning_rate * grad
            bias += learning_rate * torch.sum(dl_dz)
            total = y_hat.shape[0]
            predicted = (y_hat > 0.5).float().squeeze()
            correct = (predicted == y_train).sum()
            acc = 100 * correct / total
            o.print(f'Epoch: {epoch} | Accuracy: {acc.item() :.4f} | Cost: {l.item() :.4f}')
        o.print(f'Weights \n {weights.data}')
        o.print(f'Bias \n {bias.data}')
        X_test = torch.from_numpy(X_test).type(torch.float32)
        y_test = torch.from_numpy(y_test).type(torch.float32)
        z = torch.add(torch.mm(X_test, weights), bias)
        y_hat = 1. / (1. + torch.exp(-z))
        total = y_test.shape[0]
        predicted = (y_hat > 0.5).float().squeeze()
        correct = (predicted == y_test).sum()
        acc = 100 * correct / total
        o.print(f'Validation Accuracy: {acc.item() :.4f}')
        o.print(repr(acc), repr(correct), f'{acc:.2f}', f'{correct}')
        o.vals += [weights, bias, y_hat]
    return o.done()


def gans_basics(L):
    torch = L
    with Out() as o:
        t1 = torch.tensor(4.)
        o.print(repr(t1), t1.dtype)
        t2 = torch.tensor([1., 2, 3, 4])
        o.print(repr(t2))
        t3 = torch.tensor([[5., 6], [7, 8], [9, 10]])
        o.print(repr(t3))
        t4 = torch.tensor([[[11, 12, 13], [13, 14, 15]], [[15, 16, 17], [17, 18, 19.]]])
        o.print(repr(t4))
        for t in (t1, t2, t3, t4):
            o.print(t.shape)
        o.tryit(lambda: torch.tensor([[5., 6, 11], [7, 8], [9, 10]]))
        x = torch.tensor(3.)
        w = torch.tensor(4., requires_grad=True)
        b = torch.tensor(5., requires_grad=True)
        y = w * x + b
        o.print(repr(y))
        y.backward()
        o.print('dy/dx:', x.grad)
        o.print('dy/dw:', w.grad)
        o.print('dy/db:', b.grad)
        t6 = torch.full((3, 2), 42)
        o.print(repr(t6))
        t7 = torch.cat((t3, t6))
        o.print(repr(t7))
        t8 = torch.sin(t7)
        o.print(repr(t8))
        t9 = t8.reshape(3, 2, 2)
        o.print(repr(t9))
        o.tryit(lambda: t8.reshape(4, 4))
        o.tryit(lambda: torch.cat((t3, t4)))
        o.tryit(lambda: t3 @ t3)
        o.tryit(lambda: torch.full((2,), 1.5, dtype=torch.long))
        x = np.array([[1, 2], [3, 4.]])
        y = torch.from_numpy(x)
        o.print(repr(y))
        o.print(x.dtype, y.dtype)
        z = y.numpy()
        o.print(repr(z))
        o.print(repr(torch.tensor(x)), repr(torch.as_tensor(x)))
        # one of the "5 functions" of assignment 1
        o.print(repr(torch.linspace(0, 1, 5)), repr(torch.arange(0, 10, 3)))
        o.print(repr(torch.eye(3, 2)), repr(torch.zeros_like(t3, dtype=torch.int32)))
        o.tryit(lambda: torch.linspace(0, 1))
        o.print(repr(torch.tensor([[1, 2], [3, 4]]).T), repr(t3.flatten()))
        o.tryit(lambda: torch.tensor([1, 2]) + torch.tensor([1, 2, 3]))
        o.print(repr(torch.randint(0, 10, (2, 3), generator=torch.Generator().manual_seed(1))))
        o.vals += [t8, t9]
    return o.done()


def _inputs_targets(L):
    # Input (temp, rainfall, humidity)
    inputs = np.array([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37],
                       [69, 96, 70]], dtype='float32')
    # Targets (apples, oranges)
    targets = np.array([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]],
                       dtype='float32')
    return L.from_numpy(inputs), L.from_numpy(targets)


def gans_linreg_scratch(L):
    torch = L
    with Out() as o:
        torch.manual_seed(42)
        inputs, targets = _inputs_targets(L)
        o.print(inputs)
        o.print(targets)
        w = torch.randn(2, 3, requires_grad=True)
        b = torch.randn(2, requires_grad=True)
        o.print(w)
        o.print(b)

        def model(x):
            return x @ w.t() + b

        preds = model(inputs)
        o.print(preds)

        def mse(t1, t2):
            diff = t1 - t2
            return torch.sum(diff * diff) / diff.numel()

        loss = mse(preds, targets)
        o.print(loss)
        loss.backward()
        o.print(w.grad)
        o.print(b.grad)
        w.grad.zero_()
        b.grad.zero_()
        o.print(w.grad, b.grad)
        for i in range(5):
            preds = model(inputs)
            loss = mse(preds, targets)
            loss.backward()
            with torch.no_grad():
                w -= w.grad * 1e-5
                b -= b.grad * 1e-5
                w.grad.zero_()
                b.grad.zero_()
        preds = model(inputs)
        loss = mse(preds, targets)
        o.print('{:.3f}'.format(loss.item()))
        o.print(w.requires_grad, w.is_leaf, w.grad_fn)
        o.tryit(lambda: exec("w -= w.grad * 1e-5", {}, {"w": w}))
        o.vals += [w, b, preds, loss]
    return o.done()


def gans_linreg_builtins(L):
    torch, nn = L, L.nn
    F = L.nn.functional
    from_mod = L.utils.data
    with Out() as o:
        torch.manual_seed(0)
        inputs, targets = _inputs_targets(L)
        inputs = torch.cat([inputs, inputs + 1, inputs - 1])
        targets = torch.cat([targets, targets + 1, targets - 1])
        train_ds = from_mod.TensorDataset(inputs, targets)
        o.print(train_ds[0:3])
        o.tryit(lambda: from_mod.TensorDataset(inputs, targets[:3]))
        batch_size = 5
        train_dl = from_mod.DataLoader(train_ds, batch_size, shuffle=True)
        for xb, yb in train_dl:
            o.print(xb)
            o.print(yb)
            break
        model = nn.Linear(3, 2)
        o.print(model.weight)
        o.print(model.bias)
        o.print(list(model.parameters()))
        preds = model(inputs)
        loss_fn = F.mse_loss
        loss = loss_fn(model(inputs), targets)
        o.print('{:.2f}'.format(loss.item()))
        opt = torch.optim.SGD(model.parameters(), lr=1e-5)

        def fit(num_epochs, model, loss_fn, opt, train_dl):
            for epoch in range(num_epochs):
                for xb, yb in train_dl:
                    pred = model(xb)
                    loss = loss_fn(pred, yb)
                    loss.backward()
                    opt.step()
                    opt.zero_grad()
                if (epoch + 1) % 2 == 0:
                    o.print('Epoch [{}/{}], Loss: {:.4f}'.format(epoch + 1, num_epochs,
                                                                 loss.item()))
                    o.vals.append(loss.item())

        fit(4, model, loss_fn, opt, train_dl)
        preds = model(inputs)
        o.print(preds.shape, preds.grad_fn.name())
        o.print(model(torch.tensor([[75, 63, 44.]])))
        o.tryit(lambda: model(torch.tensor([[75, 63, 44]])))
        o.tryit(lambda: '{:.2f}'.format(loss_fn(preds, targets[:, :1]).item()))  # BLAS bits
        o.tryit(lambda: loss_fn(preds, targets.long()))
        o.vals += [preds, model.weight, model.bias]
    return o.done()
