"""rasbt/machine-learning-book (Raschka, Liu, Mirjalili: "Machine Learning with PyTorch and
Scikit-Learn"), ch12/ch12_part1.py, ch12/ch12_part2.py and ch13/ch13_part1.py as users type
them, on small seeded data (random Iris-shaped features instead of sklearn's load_iris, the
XOR points from np.random as in the book, fewer epochs), as ``prog(L) -> (printed, values)``
for tests/test_programs_s19_mlbook.py."""

import io
import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out


def ch12_tensors(L):
    """ch12_part1: creating, reshaping, math, split/stack/cat of tensors."""
    with Out() as o:
        a = [1, 2, 3]
        b = np.array([4, 5, 6], dtype=np.int32)
        t_a = L.tensor(a)
        t_b = L.from_numpy(b)
        o.print(t_a)
        o.print(t_b)
        o.print(L.is_tensor(a), L.is_tensor(t_a))
        t_ones = L.ones(2, 3)
        o.print(t_ones.shape)
        o.print(t_ones)
        L.manual_seed(0)
        rand_tensor = L.rand(2, 3)
        o.print(rand_tensor)
        t_a_new = t_a.to(L.int64)
        o.print(t_a_new.dtype)
        t = L.rand(3, 5)
        t_tr = L.transpose(t, 0, 1)
        o.print(t.shape, ' --> ', t_tr.shape)
        t = L.zeros(30)
        t_reshape = t.reshape(5, 6)
        o.print(t_reshape.shape)
        t = L.zeros(1, 2, 1, 4, 1)
        t_sqz = L.squeeze(t, 2)
        o.print(t.shape, ' --> ', t_sqz.shape)
        L.manual_seed(1)
        t1 = 2 * L.rand(5, 2) - 1
        t2 = L.normal(mean=0, std=1, size=(5, 2))
        t3 = L.multiply(t1, t2)
        o.print(t3)
        t4 = L.mean(t1, axis=0)
        o.print(t4)
        t5 = L.matmul(t1, L.transpose(t2, 0, 1))
        o.print(t5)
        t6 = L.matmul(L.transpose(t1, 0, 1), t2)
        o.print(t6)
        norm_t1 = L.linalg.norm(t1, ord=2, dim=1)
        o.print(norm_t1)
        o.print(np.sqrt(np.sum(np.square(t1.numpy()), axis=1)))
        L.manual_seed(1)
        t = L.rand(6)
        o.print(t)
        t_splits = L.chunk(t, 3)
        o.print([item.numpy() for item in t_splits])
        L.manual_seed(1)
        t = L.rand(5)
        o.print(t)
        t_splits = L.split(t, split_size_or_sections=[3, 2])
        o.print([item.numpy() for item in t_splits])
        A = L.ones(3)
        B = L.zeros(2)
        C = L.cat([A, B], axis=0)
        o.print(C)
        A = L.ones(3)
        B = L.zeros(3)
        S = L.stack([A, B], axis=1)
        o.print(S)
        o.vals += [t1, t2, t3, t4, t5, t6, norm_t1, S]
    return o.done()


def ch12_dataloader(L):
    """ch12_part1: DataLoader over a tensor, a JointDataset / TensorDataset, shuffling."""
    from importlib import import_module
    data = import_module(L.__name__ + ".utils.data")
    DataLoader, Dataset, TensorDataset = data.DataLoader, data.Dataset, data.TensorDataset
    with Out() as o:
        t = L.arange(6, dtype=L.float32)
        data_loader = DataLoader(t)
        for item in data_loader:
            o.print(item)
        data_loader = DataLoader(t, batch_size=3, drop_last=False)
        for i, batch in enumerate(data_loader, 1):
            o.print(f'batch {i}:', batch)

        class JointDataset(Dataset):
            def __init__(self, x, y):
                self.x = x
                self.y = y

            def __len__(self):
                return len(self.x)

            def __getitem__(self, idx):
                return self.x[idx], self.y[idx]

        L.manual_seed(1)
        t_x = L.rand([4, 3], dtype=L.float32)
        t_y = L.arange(4)
        joint_dataset = JointDataset(t_x, t_y)
        for example in joint_dataset:
            o.print('  x: ', example[0], '  y: ', example[1])
        joint_dataset = TensorDataset(t_x, t_y)
        for example in joint_dataset:
            o.print('  x: ', example[0], '  y: ', example[1])
        L.manual_seed(1)
        data_loader = DataLoader(dataset=joint_dataset, batch_size=2, shuffle=True)
        for i, batch in enumerate(data_loader, 1):
            o.print(f'batch {i}:', 'x:', batch[0], '\n         y:', batch[1])
        for epoch in range(2):
            o.print(f'epoch {epoch+1}')
            for i, batch in enumerate(data_loader, 1):
                o.print(f'batch {i}:', 'x:', batch[0], '\n         y:', batch[1])
        file_list = ['cat-01.jpg', 'cat-02.jpg', 'dog-01.jpg']

        class ImageDataset(Dataset):
            def __init__(self, file_list, labels):
                self.file_list = file_list
                self.labels = labels

            def __getitem__(self, index):
                return self.file_list[index], self.labels[index]

            def __len__(self):
                return len(self.labels)

        labels = [1 if 'dog' in os.path.basename(f) else 0 for f in file_list]
        for file, label in ImageDataset(file_list, labels):
            o.print(file, label)
        for batch in DataLoader(ImageDataset(file_list, labels), batch_size=2):
            o.print(batch)
        o.vals += [t_x]
    return o.done()


def ch12_linreg(L):
    """ch12_part2: linear regression by hand with autograd, then nn.Linear + SGD."""
    from importlib import import_module
    data = import_module(L.__name__ + ".utils.data")
    nn = L.nn
    with Out() as o:
        X_train = np.arange(10, dtype='float32').reshape((10, 1))
        y_train = np.array([1.0, 1.3, 3.1, 2.0, 5.0, 6.3, 6.6, 7.4, 8.0, 9.0], dtype='float32')
        X_train_norm = (X_train - np.mean(X_train)) / np.std(X_train)
        X_train_norm = L.from_numpy(X_train_norm)
        y_train = L.from_numpy(y_train).float()
        train_ds = data.TensorDataset(X_train_norm, y_train)
        batch_size = 1
        train_dl = data.DataLoader(train_ds, batch_size, shuffle=True)
        L.manual_seed(1)
        weight = L.randn(1)
        weight.requires_grad_()
        bias = L.zeros(1, requires_grad=True)

        def loss_fn(input, target):
            return (input - target).pow(2).mean()

        def model(xb):
            return xb @ weight + bias

        learning_rate = 0.001
        num_epochs = 30
        log_epochs = 10
        for epoch in range(num_epochs):
            for x_batch, y_batch in train_dl:
                pred = model(x_batch)
                loss = loss_fn(pred, y_batch)
                loss.backward()
                with L.no_grad():
                    weight -= weight.grad * learning_rate
                    bias -= bias.grad * learning_rate
                    weight.grad.zero_()
                    bias.grad.zero_()
            if epoch % log_epochs == 0:
                o.print(f'Epoch {epoch}  Loss {loss.item():.4f}')
        o.print('Final Parameters:', round(weight.item(), 5), round(bias.item(), 5))
        X_test = np.linspace(0, 9, num=100, dtype='float32').reshape(-1, 1)
        X_test_norm = (X_test - np.mean(X_train)) / np.std(X_train)
        X_test_norm = L.from_numpy(X_test_norm)
        y_pred = model(X_test_norm).detach().numpy()
        o.vals += [weight, bias, y_pred]

        L.manual_seed(1)
        model = nn.Linear(1, 1)
        loss_fn = nn.MSELoss(reduction='mean')
        optimizer = L.optim.SGD(model.parameters(), lr=learning_rate)
        for epoch in range(num_epochs):
            for x_batch, y_batch in train_dl:
                pred = model(x_batch)[:, 0]
                loss = loss_fn(pred, y_batch)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
            if epoch % log_epochs == 0:
                o.print(f'Epoch {epoch}  Loss {loss.item():.4f}')
        o.print('Final Parameters:', round(model.weight.item(), 5), round(model.bias.item(), 5))
        y_pred = model(X_test_norm).detach().numpy()
        o.vals += [model.weight, model.bias, y_pred]
    return o.done()


def ch12_iris(L):
    """ch12_part2: the Iris MLP (Sigmoid, Softmax, CrossEntropyLoss, Adam), evaluation,
    torch.save / torch.load of the model and of its state_dict, activations."""
    from importlib import import_module
    data = import_module(L.__name__ + ".utils.data")
    nn = L.nn
    rng = np.random.default_rng(3)
    X_train = rng.normal(5.0, 1.5, (20, 4))
    y_train = rng.integers(0, 3, 20)
    X_test = rng.normal(5.0, 1.5, (10, 4))
    y_test = rng.integers(0, 3, 10)
    with Out() as o:
        X_train_norm = (X_train - np.mean(X_train)) / np.std(X_train)
        X_train_norm = L.from_numpy(X_train_norm).float()
        y_train = L.from_numpy(y_train)
        train_ds = data.TensorDataset(X_train_norm, y_train)
        L.manual_seed(1)
        batch_size = 2
        train_dl = data.DataLoader(train_ds, batch_size, shuffle=True)

        class Model(nn.Module):
            def __init__(self, input_size, hidden_size, output_size):
                super().__init__()
                self.layer1 = nn.Linear(input_size, hidden_size)
                self.layer2 = nn.Linear(hidden_size, output_size)

            def forward(self, x):
                x = self.layer1(x)
                x = nn.Sigmoid()(x)
                x = self.layer2(x)
                x = nn.Softmax(dim=1)(x)
                return x

        input_size = X_train_norm.shape[1]
        hidden_size = 16
        output_size = 3
        model = Model(input_size, hidden_size, output_size)
        o.print(model)
        learning_rate = 0.001
        loss_fn = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=learning_rate)
        num_epochs = 10
        loss_hist = [0] * num_epochs
        accuracy_hist = [0] * num_epochs
        for epoch in range(num_epochs):
            for x_batch, y_batch in train_dl:
                pred = model(x_batch)
                loss = loss_fn(pred, y_batch.long())
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                loss_hist[epoch] += loss.item() * y_batch.size(0)
                is_correct = (L.argmax(pred, dim=1) == y_batch).float()
                accuracy_hist[epoch] += is_correct.sum()
            loss_hist[epoch] /= len(train_dl.dataset)
            accuracy_hist[epoch] /= len(train_dl.dataset)
        o.print([round(v, 4) for v in loss_hist])
        o.print(accuracy_hist)
        o.print(type(accuracy_hist[0]).__name__, accuracy_hist[0].dtype)
        X_test_norm = (X_test - np.mean(X_train)) / np.std(X_train)
        X_test_norm = L.from_numpy(X_test_norm).float()
        y_test = L.from_numpy(y_test)
        pred_test = model(X_test_norm)
        correct = (L.argmax(pred_test, dim=1) == y_test).float()
        accuracy = correct.mean()
        o.print(f'Test Acc.: {accuracy:.4f}')
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'iris_classifier.pt')
            o.tryit(lambda: L.save(model, path))  # a class local to this function
            seq = nn.Sequential(model.layer1, nn.Sigmoid(), model.layer2, nn.Softmax(dim=1))
            L.save(seq, path)
            o.tryit(lambda: type(L.load(path)).__name__)
            model_new = L.load(path, weights_only=False)
            o.print(model_new.eval())
            pred_test = model_new(X_test_norm)
            correct = (L.argmax(pred_test, dim=1) == y_test).float()
            o.print(f'Test Acc.: {correct.mean():.4f}')
            path = os.path.join(d, 'iris_classifier_state.pt')
            L.save(model.state_dict(), path)
            model_new = Model(input_size, hidden_size, output_size)
            o.print(model_new.load_state_dict(L.load(path)))
            o.vals += [model_new(X_test_norm)]
        buf = io.BytesIO()
        L.save(model.state_dict(), buf)
        buf.seek(0)
        sd = L.load(buf)
        o.print(list(sd.keys()), [v.shape for v in sd.values()])
        Z = np.dot(np.array([[1.1, 1.2, 0.8, 0.4], [0.2, 0.4, 1.0, 0.2],
                             [0.6, 1.5, 1.2, 0.7]]), np.array([1, 0.1, 0.4, 0.6]))
        o.print(L.softmax(L.from_numpy(Z), dim=0))
        z = np.arange(-5, 5, 0.5)
        o.print(L.tanh(L.from_numpy(z)))
        o.print(L.sigmoid(L.from_numpy(z)))
        o.print(L.relu(L.from_numpy(z)))
        o.vals += [pred_test, L.tanh(L.from_numpy(z)), L.sigmoid(L.from_numpy(z))]
    return o.done()
