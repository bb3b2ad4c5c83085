"""Session 14, Patrick Loeber's 17-part "PyTorch Tutorial" (tensor basics to save/load) and
Aladdin Persson's PyTorch basics videos (tensor initialisation, math, indexing, reshaping),
rewritten small with synthetic data and run on ember and torch 2.13 live: every printed
line compared. Found: torch.where with a value forgotten (``torch.where(x > 5, x)``), None
or a list was a RuntimeError about dtype inference; matrix_power and randint truncated a
float exponent or bound (2.5 -> 2) where PyTorch raises; int-argument errors and from_numpy
named a NumPy scalar's type without its module (``numpy.float64``)."""

import math

import numpy as np
from torch_compare import run_both, same_error_case


def _printer():
    """A print that records each line, as the tutorial's console shows it."""
    lines = []
    return lines, lambda *a: lines.append(" ".join(str(v) for v in a))


# ---- the differences found ------------------------------------------------------------------

def test_where_with_a_forgotten_or_missing_value_is_pytorchs_type_error():
    def mk(call):
        return lambda L: call(L, L.arange(10))
    for call in (lambda L, x: L.where(x > 5, x),               # the learner's slip
                 lambda L, x: L.where(x > 5, 0.5),
                 lambda L, x: L.where(x > 5, other=x),
                 lambda L, x: L.where(x > 5, input=x),
                 lambda L, x: L.where(x > 5, x, None),
                 lambda L, x: L.where(x > 5, None, x),
                 lambda L, x: L.where(x > 5, x, other=None),
                 lambda L, x: L.where(x > 5, "a", x),
                 lambda L, x: L.where(x > 5, [1] * 10, x),
                 lambda L, x: L.where([1, 0] * 5, x, x),
                 lambda L, x: L.where(),
                 lambda L, x: L.where(x > 5, x, x, other=x)):
        same_error_case(mk(call))


def test_where_forms_pytorch_takes_still_select():
    def run(L):
        x = L.arange(10)
        out = L.empty(10, dtype=L.long)
        L.where(x > 5, x, x * 2, out=out)
        res = [L.where(x > 5, x, x * 2), L.where(x > 5, x, 0.5), L.where(x > 5, 1.0, 0.0),
               L.where(x > 5, True, x), L.where(condition=x > 5, input=x, other=x * 3),
               L.where(x > 5, x, other=2), L.where(x > 5, np.float32(1.5), x), out,
               *L.where(x > 5), *L.where(condition=x.view(2, 5) > 5)]
        return [(str(r.dtype), r.tolist()) for r in res]
    want, got = run_both(run)
    assert got == want


def test_from_numpy_of_a_numpy_scalar_names_its_module():
    for v in (np.float64(5.0), np.int64(3), np.float32(1.0), [1, 2], 3):
        same_error_case(lambda L, v=v: L.from_numpy(v))
    same_error_case(lambda L: L.from_numpy(L.ones(2)))


def test_matrix_power_takes_only_an_int_exponent():
    """Aladdin's ``matrix_exp.matrix_power(3)``; a float exponent was truncated (2.5 -> 2)."""
    for n in (2.5, 2.0, True, None, "2", np.float64(2)):
        for call in (lambda L, n: L.matrix_power(L.eye(2), n),
                     lambda L, n: L.eye(2).matrix_power(n),
                     lambda L, n: L.linalg.matrix_power(L.eye(2), n),
                     lambda L, n: L.linalg.matrix_power(L.eye(2), n=n),
                     lambda L, n: L.eye(2).matrix_power(n=n)):
            same_error_case(lambda L, call=call, n=n: call(L, n))
    same_error_case(lambda L: L.eye(2).matrix_power(L.tensor([2])))
    want, got = run_both(lambda L: [L.tensor([[1., 2], [3, 4]]).matrix_power(n).tolist()
                                    for n in (np.int64(3), L.tensor(2), 0)])
    assert got == want


def test_randint_with_a_float_bound_or_size_is_pytorchs_type_error():
    for call in (lambda L: L.randint(0, 10 / 2, (2,)), lambda L: L.randint(5.5, (2,)),
                 lambda L: L.randint(0.0, 5, (2,)), lambda L: L.randint(True, (2,)),
                 lambda L: L.randint(0, np.float64(5), (2,)),
                 lambda L: L.randint(L.tensor(5.0), (2,)), lambda L: L.randint(10, (5 / 2,)),
                 lambda L: L.randint(0, 10, (2.0,)), lambda L: L.randint(high=5.0, size=(2,))):
        same_error_case(call)

    def run(L):
        L.manual_seed(0)  # the int forms still draw PyTorch's numbers
        return [L.randint(0, np.int64(5), (3,)).tolist(),
                L.randint(0, L.tensor(5), (2,)).tolist(),
                L.randint(np.int32(3), (np.int64(2),)).tolist(),
                L.randint(3, 10, size=(3,)).tolist()]
    want, got = run_both(run)
    assert got == want


def test_int_argument_errors_name_numpy_scalar_types_with_their_module():
    """``n = np.sqrt(16)`` is a numpy.float64: PyTorch's parser names it so."""
    for call in (lambda L: L.ones(4, 4).view(np.float64(2), 8),
                 lambda L: L.ones(4, 4).sum(dim=np.float32(1)),
                 lambda L: L.ones(4, 4).unsqueeze(np.float64(1)),
                 lambda L: L.ones(np.float64(2)), lambda L: L.zeros(2, np.float32(2)),
                 lambda L: L.ones(4, 4).transpose(np.float64(0), 1),
                 lambda L: L.ones(4, 4).topk(np.float64(2))):
        same_error_case(call)


# ---- Loeber: tensors, autograd, gradient descent, the training pipeline ----------------------

def test_tensor_basics_and_numpy_memory_sharing():
    def run(L):
        lines, P = _printer()
        L.manual_seed(1)
        x, y = L.rand(2, 2), L.rand(2, 2)
        y.add_(x)
        P(x + y, L.sub(x, y), x * y, L.div(x, y), y, x[1, 1].item(), x.view(-1, 4).size())
        a = L.ones(5)
        b = a.numpy()
        a.add_(1)
        P(a, b, type(b))
        a = np.ones(5)
        b = L.from_numpy(a)
        a += 1
        P(a, b)
        P(L.ones(2, 2, dtype=L.int), L.ones(2, dtype=L.float16), L.tensor([2.5, 0.1]))
        return lines
    want, got = run_both(run)
    assert got == want
    same_error_case(lambda L: L.ones(5, requires_grad=True).numpy())


def test_autograd_vector_backward_zero_grad_and_no_grad():
    def run(L):
        lines, P = _printer()
        L.manual_seed(0)
        x = L.randn(3, requires_grad=True)
        y = x * 2
        for _ in range(10):
            y = y * 2
        y.backward(L.tensor([0.1, 1.0, 0.0001], dtype=L.float32))
        P(y, x.grad)
        weights = L.ones(4, requires_grad=True)
        for _ in range(3):
            (weights * 3).sum().backward()
            P(weights.grad)
            weights.grad.zero_()
        with L.no_grad():
            P((x ** 2).requires_grad, x.detach())
        return lines
    want, got = run_both(run)
    assert got == want
    same_error_case(lambda L: (L.randn(3, requires_grad=True) * 2).backward())


def test_gradient_descent_with_autograd_then_nn_linear():
    def run(L):
        lines, P = _printer()
        X = L.tensor([1, 2, 3, 4], dtype=L.float32)
        Y = L.tensor([2, 4, 6, 8], dtype=L.float32)
        w = L.tensor(0.0, dtype=L.float32, requires_grad=True)
        for epoch in range(30):
            l = ((w * X - Y) ** 2).mean()
            l.backward()
            with L.no_grad():
                w -= 0.01 * w.grad
            w.grad.zero_()
            if epoch % 10 == 0:
                P(f'epoch {epoch+1}: w = {w:.3f}, loss = {l:.8f}')
        X, Y = X.view(4, 1), Y.view(4, 1)
        L.manual_seed(42)
        model = L.nn.Linear(1, 1)
        loss = L.nn.MSELoss()
        optimizer = L.optim.SGD(model.parameters(), lr=0.01)
        for epoch in range(50):
            l = loss(Y, model(X))
            l.backward()
            optimizer.step()
            optimizer.zero_grad()
            if epoch % 10 == 0:
                [w, b] = model.parameters()
                P(f'epoch {epoch+1}: w = {w[0][0].item():.3f}, loss = {l:.8f}', l)
        P(f'Prediction after training: f(5) = {model(L.tensor([5.0])).item():.3f}')
        P(model.state_dict(), optimizer)
        return lines
    want, got = run_both(run)
    assert got == want
    same_error_case(lambda L: L.nn.Linear(1, 1)(L.tensor([5])))


def test_logistic_regression_scaled_by_hand_with_bce_and_round_accuracy():
    def run(L):
        lines, P = _printer()
        rng = np.random.default_rng(0)
        X = rng.standard_normal((120, 5))
        y = (X[:, 0] + X[:, 1] * 0.5 > 0).astype(np.float32)
        mean, std = X[:90].mean(0), X[:90].std(0)
        X_train = L.from_numpy(((X[:90] - mean) / std).astype(np.float32))
        X_test = L.from_numpy(((X[90:] - mean) / std).astype(np.float32))
        y_train, y_test = L.from_numpy(y[:90]).view(-1, 1), L.from_numpy(y[90:]).view(-1, 1)
        L.manual_seed(1)
        lin = L.nn.Linear(5, 1)
        crit = L.nn.BCELoss()
        opt = L.optim.SGD(lin.parameters(), lr=0.1)
        for epoch in range(40):
            loss = crit(L.sigmoid(lin(X_train)), y_train)
            loss.backward()
            opt.step()
            opt.zero_grad()
            if (epoch + 1) % 10 == 0:
                P(f'epoch: {epoch+1}, loss = {loss.item():.4f}')
        with L.no_grad():
            cls = L.sigmoid(lin(X_test)).round()
            acc = cls.eq(y_test).sum() / float(y_test.shape[0])
            P(cls[:5].flatten(), acc, f'accuracy: {acc.item():.4f}', cls.eq(y_test).sum())
        return lines
    want, got = run_both(run)
    assert got == want
    same_error_case(lambda L: L.nn.BCELoss()(L.tensor([[0.5]]), L.tensor([1])))


def test_custom_dataset_dataloader_and_callable_transforms():
    xy = np.concatenate([np.arange(18, dtype=np.float32).reshape(18, 1) % 3 + 1,
                         np.random.default_rng(0).standard_normal((18, 4)).astype(np.float32)], 1)

    def run(L):
        lines, P = _printer()

        class Wine(L.utils.data.Dataset):
            def __init__(self, transform=None):
                self.x, self.y, self.transform = xy[:, 1:], xy[:, [0]], transform

            def __getitem__(self, i):
                s = self.x[i].copy(), self.y[i].copy()
                return self.transform(s) if self.transform else s

            def __len__(self):
                return len(self.x)

        class ToTensor:
            def __call__(self, s):
                return L.from_numpy(s[0]), L.from_numpy(s[1])

        class MulTransform:
            def __init__(self, f):
                self.f = f

            def __call__(self, s):
                s[0].mul_(self.f) if isinstance(s[0], L.Tensor) else None
                return s

        ds = Wine(transform=lambda s: MulTransform(4)(ToTensor()(s)))
        P(*ds[1], type(ds[0][0]).__name__)
        L.manual_seed(0)
        loader = L.utils.data.DataLoader(Wine(ToTensor()), batch_size=4, shuffle=True)
        n_iter = math.ceil(len(ds) / 4)
        for epoch in range(2):
            for i, (inputs, labels) in enumerate(loader):
                if (i + 1) % 2 == 0:
                    P(f'Epoch: {epoch+1}/2, Step {i+1}/{n_iter}| Inputs {inputs.shape} | '
                      f'Labels {labels.shape}', labels.flatten())
        P(next(iter(L.utils.data.DataLoader(Wine(), batch_size=3))), len(loader))
        return lines
    want, got = run_both(run)
    assert got == want


def test_where_method_forms_and_a_missing_other():
    """x.where(condition, y) keeps x where condition holds; PyTorch's parser error when y is
    missing or None (the method was bound as a lambda with another error)."""
    for call in (lambda L, x: x.where(x > 1, 0.0), lambda L, x: x.where(x > 1, L.zeros(4)),
                 lambda L, x: x.where(condition=x > 1, other=-1.0),
                 lambda L, x: x.where(x > 1), lambda L, x: x.where(x > 1, None)):
        want, got = run_both(lambda L: str(call(L, L.arange(4.0))))
        assert got == want
