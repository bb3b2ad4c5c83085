"""NeuromatchAcademy/course-content-dl as students type it: W1D1_BasicsAndPytorch
(W1D1_Tutorial1.ipynb and its solutions: tensor_creation, simple_operations, dot_product,
functionA/B/C, simpleFun, the NaiveNet on a tiny "circles" set) and W1D2_LinearDeepLearning
Tutorial1 (SimpleGraph, sq_loss, WideNet trained with SGD and the train() solution), with
torchvision data replaced by small seeded tensors. See tests/test_programs_s21_nma.py."""

import random

import numpy as np
from s16_yunjey_progs import Out


def set_seed(L, seed=None, seed_torch=True):
    """The course's helper (every notebook's first cell)."""
    if seed is None:
        seed = np.random.choice(2 ** 32)
    random.seed(seed)
    np.random.seed(seed)
    if seed_torch:
        L.manual_seed(seed)
        L.cuda.manual_seed_all(seed)
        L.cuda.manual_seed(seed)
        L.backends.cudnn.benchmark = False
        L.backends.cudnn.deterministic = True


def w1d1_tensors(L):
    torch = L
    with Out() as o:
        set_seed(L, 2021)
        # Section 2.1: creating tensors
        a = torch.tensor([0, 1, 2])
        tuple_ = (1, 2, 3)
        list_ = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
        a = torch.tensor(tuple_)
        b = torch.Tensor(list_)
        c = torch.tensor(np.ones((2, 3)))
        o.print(f"Tensor a: {a}")
        o.print(f"Tensor b: {b}")
        o.print(f"Tensor c: {c}")
        x = torch.ones(5, 3)
        y = torch.zeros(2)
        z = torch.empty(1, 1, 5)
        o.print(f"Tensor x: {x}")
        o.print(f"Tensor y: {y}")
        o.print(f"Tensor z shape: {z.shape}")
        a = torch.rand(1, 3)
        b = torch.randn(3, 4)
        c = torch.zeros_like(a)
        d = torch.rand_like(c)
        o.print(f"Tensor a: {a}")
        o.print(f"Tensor b: {b}")
        o.print(f"Tensor c: {c}")
        o.print(f"Tensor d: {d}")
        torch.manual_seed(0)
        o.print('Random numbers from torch.rand:', torch.rand(2))
        np.random.seed(0)
        o.print(np.random.rand(2))
        a = torch.arange(0, 10, step=1)
        b = np.arange(0, 10, step=1)
        c = torch.linspace(0, 5, steps=11)
        d = np.linspace(0, 5, num=11)
        o.print(f"Tensor a: {a}\n")
        o.print(f"Numpy array b: {b}\n")
        o.print(f"Tensor c: {c}\n")
        o.print(f"Numpy array d: {d}\n")
        # Exercise 2.1 solution
        Z = np.vander([1, 2, 3], 4)
        A = torch.ones(20, 21)
        B = torch.tensor(Z)
        C = torch.rand_like(A)
        D = torch.arange(4, 41, step=2)
        o.print(A.shape, B, B.dtype, C.shape, D)
        # Section 2.2: operations
        a = torch.ones(5, 3)
        b = torch.rand(5, 3)
        c = torch.empty(5, 3)
        d = torch.empty(5, 3)
        torch.add(a, b, out=c)
        torch.multiply(a, b, out=d)
        o.print(c)
        o.print(d)
        x = torch.tensor([1, 2, 4, 8])
        y = torch.tensor([1, 2, 3, 4])
        o.print(x + y, x - y, x * y, x / y, x ** y, sep='\n')
        x = torch.tensor([1.0, 2, 4, 8])
        o.print(x.exp())
        x = torch.rand(3, 3)
        o.print(x)
        o.print("\n")
        o.print(f"Sum of every element of x: {x.sum()}")
        o.print(f"Sum of the columns of x: {x.sum(axis=0)}")
        o.print(f"Sum of the rows of x: {x.sum(axis=1)}")
        o.print("\n")
        o.print(f"Mean value of all elements of x {x.mean()}")
        o.print(f"Mean values of the columns of x {x.mean(axis=0)}")
        o.print(f"Mean values of the rows of x {x.mean(axis=1)}")
        # Coding exercise 2.2
        a1 = torch.tensor([[2, 4], [5, 7]])
        a2 = torch.tensor([[1, 1], [2, 3]])
        a3 = torch.tensor([[10, 10], [12, 1]])
        A = a1 @ a2 + a3
        o.print(A)
        b1 = torch.tensor([3, 5, 7])
        b2 = torch.tensor([2, 4, 8])
        o.print(torch.dot(b1, b2))
        # Section 2.3: manipulating tensors
        x = torch.arange(0, 10)
        o.print(x)
        o.print(x[-1])
        o.print(x[1:3])
        o.print(x[:-2])
        x = torch.rand(1, 2, 3)
        o.print(x)
        o.print(x[0])
        o.print(x[:, :, 0])
        z = torch.arange(12).reshape(6, 2)
        o.print(f"Original z: \n {z}")
        z = z.view(2, 6)
        o.print(f"Modified z: \n {z}")
        z = z.view(-1, 2)
        o.print(f"Modified z: \n {z}")
        x = torch.randn(1, 10)
        o.print(f"x[0]: {x[0]}")
        o.print(f"Shape of x: {x.shape}")
        x = x.squeeze(0)
        o.print(f"Squeezed x: {x}, shape {x.shape}")
        x = torch.rand(5)
        o.print(f"Shape of x: {x.shape}")
        x = x.unsqueeze(0)
        o.print(f"Shape of x: {x.shape}")
        x = torch.rand(3, 48, 64)
        x = x.permute(1, 2, 0)
        o.print(x.shape)
        x = torch.arange(12, dtype=torch.float32).reshape((3, 4))
        y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
        cat_rows = torch.cat((x, y), dim=0)
        cat_cols = torch.cat((x, y), dim=1)
        o.print('Concatenated by rows: shape{} \n'.format(list(cat_rows.shape)), cat_rows)
        o.print('\n Concatenated by colums: shape{}  \n'.format(list(cat_cols.shape)), cat_cols)
        x = torch.randn(5)
        o.print(f"x: {x}  |  x type:  {x.type()}")
        y = x.numpy()
        o.print(f"y: {y}  |  y type:  {type(y)}")
        z = torch.tensor(y)
        o.print(f"z: {z}  |  z type:  {z.type()}")
        a = torch.tensor([3.5])
        o.print(a, a.item(), float(a), int(a))
        # Coding exercise 2.3 solutions (functionA / B / C)
        def functionA(my_tensor1, my_tensor2):
            return my_tensor1.sum(axis=0) * my_tensor2.sum()

        def functionB(my_tensor):
            my_tensor = my_tensor.flatten()
            idx_tensor = torch.arange(0, len(my_tensor))
            return torch.cat([idx_tensor.unsqueeze(1), my_tensor.unsqueeze(1)], axis=1)

        def functionC(my_tensor1, my_tensor2):
            if torch.numel(my_tensor1) == torch.numel(my_tensor2):
                my_tensor2 = my_tensor2.reshape(my_tensor1.shape)
                output = my_tensor1 + my_tensor2
            else:
                my_tensor1 = my_tensor1.reshape(1, -1)
                my_tensor2 = my_tensor2.reshape(1, -1)
                output = torch.cat([my_tensor1, my_tensor2], axis=1).squeeze()
            return output
        o.print(functionA(torch.tensor([[1, 1], [1, 1]]), torch.tensor([[1, 2, 3], [1, 2, 3]])))
        o.print(functionB(torch.tensor([[2, 3], [-1, 10]])))
        o.print(functionC(torch.tensor([[1, -1], [-1, 3]]), torch.tensor([[2, 3, 0, 2]])))
        o.print(functionC(torch.tensor([[1, -1], [-1, 3]]), torch.tensor([[2, 3, 0]])))
        # Section 2.4: GPUs (CPU here)
        o.print(torch.cuda.is_available())
        DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
        x = torch.randn(2, 2, device=DEVICE)
        o.print(x.device, x.dtype)
        x = torch.tensor([0, 1, 2], device=DEVICE)
        y = torch.tensor([3, 4, 5], device="cpu")
        o.print(x + y)
        x = x.to("cpu")
        o.print(x.device)

        def simpleFun(dim, device):
            x = torch.rand(dim, dim).to(device)
            y = torch.rand_like(x).to(device)
            z = 2 * torch.ones(dim, dim).to(device)
            x = x * y
            x = x @ z
            o.vals.append(x)
            del x
            del y
            del z
        simpleFun(8, DEVICE)
        o.tryit(lambda: torch.tensor([1, 2]) @ torch.tensor([[1.0, 2.0]]))
        o.tryit(lambda: torch.dot(torch.tensor([1, 2]), torch.tensor([1.0, 2.0])))
        o.tryit(lambda: torch.ones(2, 3).view(4, 2))
    return o.done()


def w1d1_naivenet(L):
    """Section 3: the NaiveNet classifier (make_moons replaced by seeded points)."""
    torch, nn = L, L.nn
    with Out() as o:
        set_seed(L, 2021)
        rng = np.random.default_rng(0)
        X_np = rng.standard_normal((64, 2)).astype(np.float32)
        y_np = (X_np[:, 0] * X_np[:, 1] > 0).astype(np.int64)
        X = torch.from_numpy(X_np).to("cpu")
        y = torch.from_numpy(y_np).to("cpu")
        o.print(f"Size X:{X.shape}")
        o.print(f"Size y:{y.shape}")

        class NaiveNet(nn.Module):
            def __init__(self):
                super(NaiveNet, self).__init__()
                self.layers = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))

            def forward(self, x):
                return self.layers(x)

            def predict(self, x):
                output = self.forward(x)
                return output.argmax(1)

        model = NaiveNet().to("cpu")
        o.print(model)
        input = torch.tensor([[1.0, 1.0]], device="cpu")
        output = model(input)
        o.print(f"Network output: {output.detach()}")
        o.print(f"Predicted label: {model.predict(input)}")

        def train(model, X, y):
            loss_function = nn.CrossEntropyLoss()
            learning_rate = 1e-2
            optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
            epochs = 15
            losses = []
            for i in range(epochs):
                y_logits = model(X)
                loss = loss_function(y_logits, y)
                if i % 5 == 0:
                    o.print(f"Epoch {i} loss is {loss.item():.4f}")
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            return losses
        losses = train(model, X, y)
        o.vals += [torch.tensor(losses), model.predict(X)]
        # Interactive demo 3.1: classify a grid with meshgrid
        x_min, x_max = X[:, 0].min() - 0.5, X[:, 0].max() + 0.5
        xx, yy = torch.meshgrid(torch.linspace(float(x_min), float(x_max), 5),
                                torch.linspace(-1, 1, 4))
        grid = torch.stack([xx.flatten(), yy.flatten()], dim=1)
        with torch.no_grad():
            Z = model.predict(grid).reshape(xx.shape)
        o.print(Z.shape, Z.dtype, xx.shape)
        o.vals.append(Z)
    return o.done()


def w1d2_autograd(L):
    """Tutorial 1: SimpleGraph, sq_loss, backward by hand and with autograd."""
    torch, nn = L, L.nn
    with Out() as o:
        class SimpleGraph:
            def __init__(self, w, b):
                assert isinstance(w, float)
                assert isinstance(b, float)
                self.w = torch.tensor([w], requires_grad=True)
                self.b = torch.tensor([b], requires_grad=True)

            def forward(self, x):
                assert isinstance(x, torch.Tensor)
                prediction = torch.tanh(x * self.w + self.b)
                return prediction

        def sq_loss(y_true, y_prediction):
            loss = (y_true - y_prediction) ** 2
            return loss
        feature = torch.tensor([1])
        target = torch.tensor([7])
        simple_graph = SimpleGraph(-0.5, 0.5)
        o.print(f"initial weight = {simple_graph.w.item()}, "
                f"\ninitial bias = {simple_graph.b.item()}")
        prediction = simple_graph.forward(feature)
        square_loss = sq_loss(target, prediction)
        o.print(f"for x={feature.item()} and y={target.item()}, "
                f"prediction={prediction.item()}, and L2 Loss = {square_loss.item()}")
        o.print(prediction, square_loss)
        square_loss.backward()
        o.print(simple_graph.w.grad, simple_graph.b.grad)
        o.print(type(prediction.grad_fn).__name__,
                square_loss.grad_fn.next_functions[0][0].__class__.__name__)
        # the analytical gradient check of the notebook
        pred = prediction.detach()
        dloss_dw = -2 * (target - pred) * (1 - pred ** 2) * feature
        o.print(dloss_dw, torch.allclose(dloss_dw, simple_graph.w.grad))
        o.tryit(lambda: prediction.numpy())
        o.tryit(lambda: square_loss.backward())

        class WideNet(nn.Module):
            def __init__(self):
                n_cells = 64
                super().__init__()
                self.layers = nn.Sequential(nn.Linear(1, n_cells), nn.Tanh(),
                                            nn.Linear(n_cells, 1))

            def forward(self, x):
                return self.layers(x)
        set_seed(L, 2021)
        n_samples = 32
        inputs = torch.linspace(-1.0, 1.0, n_samples).reshape(n_samples, 1)
        noise = torch.randn(n_samples, 1) / 4
        targets = torch.sin(np.pi * inputs) + noise
        wide_net = WideNet()
        o.print(wide_net)
        loss_function = nn.MSELoss()
        lr = 0.003
        sgd_optimizer = torch.optim.SGD(wide_net.parameters(), lr=lr)
        o.print(sgd_optimizer)
        # one step by hand (Section 3)
        sgd_optimizer.zero_grad()
        prediction = wide_net(inputs)
        loss = loss_function(prediction, targets)
        o.print(f'Loss: {loss.item():.4f}')
        loss.backward()
        o.print(wide_net.layers[0].weight.grad.shape)
        sgd_optimizer.step()

        def train(features, labels, model, loss_fun, optimizer, n_epochs):
            loss_record = []
            for i in range(n_epochs):
                optimizer.zero_grad()
                predictions = model(features)
                loss = loss_fun(predictions, labels)
                loss.backward()
                optimizer.step()
                loss_record.append(loss.item())
            return loss_record
        set_seed(L, seed=2021)
        losses = train(inputs, targets, wide_net, loss_function, sgd_optimizer, 40)
        o.print(f"final loss {losses[-1]:.4f}")
        o.vals += [torch.tensor(losses), wide_net(inputs).detach(),
                   wide_net.layers[2].weight.detach()]
    return o.done()
