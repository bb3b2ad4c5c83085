"""Aladdin Persson's Machine-Learning-Collection (aladdinpersson/Machine-Learning-Collection,
ML/Pytorch/Basics) as users type them, scaled down: MNIST and torchvision replaced by small
seeded random tensors of the same layout, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_aladdin.py. This file: pytorch_tensorbasics.py (whole),
pytorch_init_weights.py and pytorch_rnn_gru_lstm.py (the scheduler and load/save ones are in
s20_aladdin_progs_h.py)."""

import numpy as np
from s16_yunjey_progs import Out


def tensorbasics(L):
    """pytorch_tensorbasics.py, whole: initialisation, dtype conversions, NumPy round trip,
    math and comparison (add with out=, true_divide, in-place, matrix_power, bmm,
    broadcasting, max/min/argmax/sort/clamp/any/all), indexing and reshaping."""
    torch = L
    with Out() as o:
        print = o.print
        torch.manual_seed(0)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        my_tensor = torch.tensor(
            [[1, 2, 3], [4, 5, 6]], dtype=torch.float32, device=device, requires_grad=True
        )
        print(f"Information about tensor: {my_tensor}")
        print("Type of Tensor {my_tensor.dtype}")
        print(f"Device Tensor is on {my_tensor.device}")
        print(f"Shape of tensor {my_tensor.shape}")
        print(f"Requires gradient: {my_tensor.requires_grad}")

        x = torch.empty(size=(3, 3))
        x = torch.zeros((3, 3))
        x = torch.rand((3, 3))
        o.vals.append(x)
        x = torch.ones((3, 3))
        x = torch.eye(5, 5)
        o.vals.append(x)
        x = torch.arange(start=0, end=5, step=1)
        o.vals.append(x)
        x = torch.linspace(start=0.1, end=1, steps=10)
        o.vals.append(x)
        x = torch.empty(size=(1, 5)).normal_(mean=0, std=1)
        o.vals.append(x)
        x = torch.empty(size=(1, 5)).uniform_(0, 1)
        o.vals.append(x)
        x = torch.diag(torch.ones(3))
        o.vals.append(x)

        tensor = torch.arange(4)
        print(f"Converted Boolean: {tensor.bool()}")
        print(f"Converted int16 {tensor.short()}")
        print(f"Converted int64 {tensor.long()}")
        print(f"Converted float16 {tensor.half()}")
        print(f"Converted float32 {tensor.float()}")
        print(f"Converted float64 {tensor.double()}")

        np_array = np.zeros((5, 5))
        tensor = torch.from_numpy(np_array)
        np_array_again = tensor.numpy()
        print(np_array_again.dtype, tensor.dtype)

        x = torch.tensor([1, 2, 3])
        y = torch.tensor([9, 8, 7])
        z1 = torch.empty(3)
        torch.add(x, y, out=z1)
        z2 = torch.add(x, y)
        z = x + y
        print(z1, z2, z)
        z = x - y
        z = torch.true_divide(x, y)
        print(z)
        t = torch.zeros(3)
        t.add_(x)
        t += x
        print(t)
        z = x.pow(2)
        z = x**2
        print(z)
        z = x > 0
        print(z)
        z = x < 0
        print(z)

        x1 = torch.rand((2, 5))
        x2 = torch.rand((5, 3))
        x3 = torch.mm(x1, x2)
        x3 = x1.mm(x2)
        o.vals.append(x3)
        matrix_exp = torch.rand(5, 5)
        o.vals.append(matrix_exp.matrix_power(3))
        z = x * y
        print(z)
        z = torch.dot(x, y)
        print(z)

        batch, n, m, p = 4, 3, 5, 2
        tensor1 = torch.rand((batch, n, m))
        tensor2 = torch.rand((batch, m, p))
        out_bmm = torch.bmm(tensor1, tensor2)
        o.vals.append(out_bmm)

        x1 = torch.rand((5, 5))
        x2 = torch.ones((1, 5))
        z = x1 - x2
        z = x1**x2
        o.vals.append(z)

        sum_x = torch.sum(x, dim=0)
        print(sum_x)
        values, indices = torch.max(x, dim=0)
        print(values, indices)
        values, indices = torch.min(x, dim=0)
        print(values, indices)
        abs_x = torch.abs(x)
        z = torch.argmax(x, dim=0)
        print(abs_x, z)
        z = torch.argmin(x, dim=0)
        print(z)
        mean_x = torch.mean(x.float(), dim=0)
        print(mean_x)
        z = torch.eq(x, y)
        print(z)
        sorted_y, indices = torch.sort(y, dim=0, descending=False)
        print(sorted_y, indices)
        z = torch.clamp(x, min=0)
        print(z)
        o.tryit(lambda: torch.mean(x, dim=0))

        x = torch.tensor([1, 0, 1, 1, 1], dtype=torch.bool)
        z = torch.any(x)
        print(z)
        z = torch.all(x)
        print(z)

        batch_size = 10
        features = 25
        x = torch.rand((batch_size, features))
        print(x[0].shape)
        print(x[:, 0].shape)
        print(x[2, 0:10].shape)
        x[0, 0] = 100
        o.vals.append(x)

        x = torch.arange(10)
        indices = [2, 5, 8]
        print(x[indices])
        x = torch.rand((3, 5))
        rows = torch.tensor([1, 0])
        cols = torch.tensor([4, 0])
        print(x[rows, cols])
        x = torch.arange(10)
        print(x[(x < 2) | (x > 8)])
        print(x[x.remainder(2) == 0])
        print(torch.where(x > 5, x, x * 2))
        x = torch.tensor([0, 0, 1, 2, 2, 3, 4]).unique()
        print(x)
        print(x.ndimension())
        x = torch.arange(10)
        print(x.numel())

        x = torch.arange(9)
        x_3x3 = x.view(3, 3)
        x_3x3 = x.reshape(3, 3)
        y = x_3x3.t()
        print(y.is_contiguous())
        o.tryit(lambda: y.view(9))
        print(y.contiguous().view(9))

        x1 = torch.rand(2, 5)
        x2 = torch.rand(2, 5)
        print(torch.cat((x1, x2), dim=0).shape)
        print(torch.cat((x1, x2), dim=1).shape)
        z = x1.view(-1)
        batch = 64
        x = torch.rand((batch, 2, 5))
        z = x.view(batch, -1)
        print(z.shape)
        z = x.permute(0, 2, 1)
        print(z.shape, z.is_contiguous(), z.stride())
        z = torch.chunk(x, chunks=2, dim=1)
        print(z[0].shape)
        print(z[1].shape)
        z = torch.chunk(x, chunks=2, dim=2)
        print([c.shape for c in z])
        x = torch.arange(10)
        print(x.unsqueeze(0).shape)
        print(x.unsqueeze(1).shape)
        x = torch.arange(10).unsqueeze(0).unsqueeze(1)
        z = x.squeeze(1)
        print(z.shape, x.squeeze(0).shape)
    return o.done()


def init_weights(L):
    """pytorch_init_weights.py: a CNN whose initialize_weights() walks self.modules() with
    kaiming_uniform_ / constant_, its parameters printed."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(0)

        class CNN(nn.Module):
            def __init__(self, in_channels, num_classes):
                super(CNN, self).__init__()
                self.conv1 = nn.Conv2d(in_channels=in_channels, out_channels=6, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                self.pool = nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2))
                self.conv2 = nn.Conv2d(in_channels=6, out_channels=16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                self.fc1 = nn.Linear(16 * 7 * 7, num_classes)
                self.initialize_weights()

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = self.pool(x)
                x = F.relu(self.conv2(x))
                x = self.pool(x)
                x = x.reshape(x.shape[0], -1)
                x = self.fc1(x)
                return x

            def initialize_weights(self):
                for m in self.modules():
                    if isinstance(m, nn.Conv2d):
                        nn.init.kaiming_uniform_(m.weight)
                        if m.bias is not None:
                            nn.init.constant_(m.bias, 0)
                    elif isinstance(m, nn.BatchNorm2d):
                        nn.init.constant_(m.weight, 1)
                        nn.init.constant_(m.bias, 0)
                    elif isinstance(m, nn.Linear):
                        nn.init.kaiming_uniform_(m.weight)
                        nn.init.constant_(m.bias, 0)

        model = CNN(in_channels=3, num_classes=10)
        o.print(model)
        for param in model.parameters():
            o.print(param.shape, param.requires_grad)
            o.vals.append(param)
        o.print(str(model.conv1.bias))
        out = model(L.randn(2, 3, 28, 28))
        o.vals.append(out)
    return o.done()


def _check_accuracy(L, o, loader, model, squeeze=False):
    num_correct = 0
    num_samples = 0
    model.eval()
    with L.no_grad():
        for x, y in loader:
            if squeeze:
                x = x.squeeze(1)
            else:
                x = x.reshape(x.shape[0], -1)
            scores = model(x)
            _, predictions = scores.max(1)
            num_correct += (predictions == y).sum()
            num_samples += predictions.size(0)
        o.print(f"Got {num_correct} / {num_samples} with accuracy "
                f"{float(num_correct)/float(num_samples)*100:.2f}")
        o.print(type(num_correct).__name__, num_correct.dtype, type(num_samples).__name__)
    model.train()


def rnn_gru_lstm(L):
    """pytorch_rnn_gru_lstm.py: RNN, GRU and LSTM many-to-one classifiers (all time steps
    flattened into the Linear), Adam, CrossEntropyLoss; MNIST replaced by 1x8x8 images."""
    nn, optim = L.nn, L.optim
    from_data = L.utils.data
    device = L.device("cuda" if L.cuda.is_available() else "cpu")
    input_size, hidden_size, num_layers, num_classes = 8, 12, 2, 10
    sequence_length, learning_rate, batch_size, num_epochs = 8, 0.005, 16, 2
    with Out() as o:
        L.manual_seed(0)
        X = L.rand(48, 1, 8, 8)
        Y = L.randint(0, 10, (48,))
        train_dataset = from_data.TensorDataset(X, Y)

        class RNN(nn.Module):
            def __init__(self, input_size, hidden_size, num_layers, num_classes):
                super(RNN, self).__init__()
                self.hidden_size = hidden_size
                self.num_layers = num_layers
                self.rnn = nn.RNN(input_size, hidden_size, num_layers, batch_first=True)
                self.fc = nn.Linear(hidden_size * sequence_length, num_classes)

            def forward(self, x):
                h0 = L.zeros(self.num_layers, x.size(0), self.hidden_size).to(device)
                out, _ = self.rnn(x, h0)
                out = out.reshape(out.shape[0], -1)
                out = self.fc(out)
                return out

        class RNN_GRU(nn.Module):
            def __init__(self, input_size, hidden_size, num_layers, num_classes):
                super(RNN_GRU, self).__init__()
                self.hidden_size = hidden_size
                self.num_layers = num_layers
                self.gru = nn.GRU(input_size, hidden_size, num_layers, batch_first=True)
                self.fc = nn.Linear(hidden_size * sequence_length, num_classes)

            def forward(self, x):
                h0 = L.zeros(self.num_layers, x.size(0), self.hidden_size).to(device)
                out, _ = self.gru(x, h0)
                out = out.reshape(out.shape[0], -1)
                out = self.fc(out)
                return out

        class RNN_LSTM(nn.Module):
            def __init__(self, input_size, hidden_size, num_layers, num_classes):
                super(RNN_LSTM, self).__init__()
                self.hidden_size = hidden_size
                self.num_layers = num_layers
                self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
                self.fc = nn.Linear(hidden_size * sequence_length, num_classes)

            def forward(self, x):
                h0 = L.zeros(self.num_layers, x.size(0), self.hidden_size).to(device)
                c0 = L.zeros(self.num_layers, x.size(0), self.hidden_size).to(device)
                out, _ = self.lstm(x, (h0, c0))
                out = out.reshape(out.shape[0], -1)
                out = self.fc(out)
                return out

        for cls in (RNN, RNN_GRU, RNN_LSTM):
            train_loader = from_data.DataLoader(dataset=train_dataset, batch_size=batch_size, shuffle=True)
            model = cls(input_size, hidden_size, num_layers, num_classes).to(device)
            o.print(model)
            criterion = nn.CrossEntropyLoss()
            optimizer = optim.Adam(model.parameters(), lr=learning_rate)
            for epoch in range(num_epochs):
                for batch_idx, (data, targets) in enumerate(train_loader):
                    data = data.to(device=device).squeeze(1)
                    targets = targets.to(device=device)
                    scores = model(data)
                    loss = criterion(scores, targets)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                o.print(f"{cls.__name__} epoch {epoch} loss {loss.item():.4f}")
            o.vals.append(loss.detach())
            _check_accuracy(L, o, train_loader, model, squeeze=True)
    return o.done()
