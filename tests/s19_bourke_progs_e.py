"""mrdbourke/pytorch-deep-learning extras that are plain PyTorch: extras/pytorch_cheatsheet.ipynb
(layer constructors, device-agnostic code, the end-to-end workflow),
extras/pytorch_most_common_errors.ipynb (shape errors in matmul and in a FashionMNIST net, the
nn.LazyLinear fix, the missing batch dimension, datatype errors) and
extras/00/quickstart_tutorial.ipynb (NeuralNetwork with nn.Flatten and linear_relu_stack), as
users type them, at small sizes with random "images"."""

import numpy as np
from s16_yunjey_progs import Out


def cheatsheet(L):
    nn = L.nn
    with Out() as o:
        p = o.print
        this_is_a_module = nn.Linear(in_features=1, out_features=1)
        p(type(this_is_a_module).__name__, type(this_is_a_module).__module__.split(".", 1)[1])
        if L.cuda.is_available():
            device = "cuda"
        elif L.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
        p(f"Using device: {device}")
        x = L.tensor([1, 2, 3])
        p(x.device)
        x = x.to(device)
        p(x.device)
        L.manual_seed(42)
        random_tensor_A = L.rand(3, 4)
        L.manual_seed(42)
        random_tensor_B = L.rand(3, 4)
        p(f"Tensor A:\n{random_tensor_A}\n")
        p(random_tensor_A == random_tensor_B)
        L.cuda.manual_seed(42)
        linear_layer = nn.Linear(in_features=10, out_features=10)
        identity_layer = nn.Identity()
        conv1d = nn.Conv1d(in_channels=1, out_channels=10, kernel_size=3)
        conv2d = nn.Conv2d(in_channels=3, out_channels=10, kernel_size=3)
        conv3d = nn.Conv3d(in_channels=3, out_channels=10, kernel_size=3)
        p(linear_layer, identity_layer, conv1d, conv2d, conv3d)
        p(conv1d(L.randn(2, 1, 8)).shape, conv3d(L.randn(1, 3, 4, 4, 4)).shape,
          identity_layer(L.ones(2)))
        transformer_model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1,
                                           num_decoder_layers=1, dim_feedforward=32)
        p(transformer_model)
        transformer_encoder = nn.TransformerEncoderLayer(d_model=16, nhead=4)
        transformer_encoder_stack = nn.TransformerEncoder(encoder_layer=transformer_encoder,
                                                          num_layers=2)
        transformer_decoder = nn.TransformerDecoderLayer(d_model=16, nhead=4)
        transformer_decoder_stack = nn.TransformerDecoder(decoder_layer=transformer_decoder,
                                                          num_layers=2)
        p(transformer_encoder_stack.num_layers, len(transformer_decoder_stack.layers))
        lstm_cell = nn.LSTMCell(input_size=10, hidden_size=10)
        lstm_stack = nn.LSTM(input_size=10, hidden_size=10, num_layers=3)
        gru_cell = nn.GRUCell(input_size=10, hidden_size=10)
        gru_stack = nn.GRU(input_size=10, hidden_size=10, num_layers=3)
        p(lstm_cell, lstm_stack, gru_cell, gru_stack)
        out, (h, c) = lstm_stack(L.randn(4, 2, 10))
        p(out.shape, h.shape, c.shape)
        o.vals += [out, h]
        relu = nn.ReLU()
        sigmoid = nn.Sigmoid()
        softmax = nn.Softmax()
        p(relu, sigmoid, softmax)
        sm = softmax(L.tensor([[1.0, 2.0, 3.0]]))
        p(sm)
        loss_fn = nn.L1Loss()
        loss_fn = nn.MSELoss()
        loss_fn = nn.BCEWithLogitsLoss()
        loss_fn = nn.CrossEntropyLoss()
        p(loss_fn, loss_fn.reduction, loss_fn.ignore_index, loss_fn.label_smoothing)
        model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
                               dim_feedforward=32)
        optimizer = L.optim.SGD(lr=0.1, params=model.parameters())
        p(optimizer)
        optimizer = L.optim.Adam(lr=0.001, params=model.parameters())
        p(optimizer)
        o.tryit(lambda: L.optim.SGD(params=model.parameters()))
        weight, bias = 0.7, 0.3
        X = L.arange(0, 1, 0.02).unsqueeze(dim=1)
        y = weight * X + bias
        train_split = int(0.8 * len(X))
        X_train, y_train = X[:train_split], y[:train_split]
        X_test, y_test = X[train_split:], y[train_split:]

        class LinearRegressionModel(nn.Module):
            def __init__(self):
                super().__init__()
                self.weights = nn.Parameter(L.randn(1, requires_grad=True, dtype=L.float))
                self.bias = nn.Parameter(L.randn(1, requires_grad=True, dtype=L.float))

            def forward(self, x: L.Tensor) -> L.Tensor:
                return self.weights * x + self.bias

        L.manual_seed(42)
        model_0 = LinearRegressionModel()
        p(model_0, list(model_0.parameters()))
        model_1 = nn.Sequential(nn.Linear(in_features=1, out_features=1))
        p(model_1, model_1.state_dict())
        model_1 = model_1.to(device)
        loss_fn = nn.L1Loss()
        optimizer = L.optim.SGD(params=model_1.parameters(), lr=0.01)
        L.manual_seed(42)
        X_train, y_train = X_train.to(device), y_train.to(device)
        X_test, y_test = X_test.to(device), y_test.to(device)
        for epoch in range(300):
            model_1.train()
            y_pred = model_1(X_train)
            loss = loss_fn(y_pred, y_train)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            model_1.eval()
            with L.inference_mode():
                test_pred = model_1(X_test)
                test_loss = loss_fn(test_pred, y_test)
            if epoch % 100 == 0:
                p(f"Epoch: {epoch} | Train loss: {loss:.4f} | Test loss: {test_loss:.4f}")
        o.vals += [model_1[0].weight, model_1[0].bias, sm]
    return o.done()


def common_errors(L):
    nn = L.nn
    with Out() as o:
        p = o.print
        L.manual_seed(0)
        tensor_1 = L.rand(3, 4)
        tensor_2 = L.rand(3, 4)
        p(tensor_1.shape)
        tensor_3 = tensor_1 * tensor_2
        tensor_4 = L.mul(tensor_1, tensor_2)
        p(tensor_3 == tensor_4)
        o.tryit(lambda: tensor_1 @ tensor_2)
        o.tryit(lambda: L.matmul(tensor_1, tensor_2))
        tensor_6 = tensor_1.T @ tensor_2
        p(f"Shape of input tensors: {tensor_1.T.shape} and {tensor_2.shape}")
        p(f"Shape of output tensor: {tensor_6.shape}")
        tensor_7 = tensor_1 @ tensor_2.T
        p(f"Shape of output tensor: {tensor_7.shape}")
        rng = np.random.default_rng(1)
        train_data = L.utils.data.TensorDataset(
            L.from_numpy(rng.random((16, 1, 28, 28), dtype=np.float32)),
            L.from_numpy(rng.integers(0, 10, 16)))
        train_dataloader = L.utils.data.DataLoader(train_data, batch_size=8, shuffle=True)
        img_batch, label_batch = next(iter(train_dataloader))
        p(f"Image batch shape: {img_batch.shape} -> [batch_size, color_channels, height, width]")
        p(f"Label batch shape: {label_batch.shape} -> [batch_size]")
        L.manual_seed(42)
        model = nn.Sequential(nn.Linear(in_features=10, out_features=10), nn.ReLU(),
                              nn.Linear(in_features=10, out_features=10))
        o.tryit(lambda: model(img_batch))
        model = nn.Sequential(nn.Flatten(), nn.Linear(in_features=10, out_features=10),
                              nn.ReLU(), nn.Linear(in_features=10, out_features=10))
        o.tryit(lambda: model(img_batch))
        model = nn.Sequential(nn.Flatten(), nn.Linear(in_features=784, out_features=10),
                              nn.ReLU(), nn.Linear(in_features=10, out_features=10))
        p(model(img_batch).shape)
        model_lazy = nn.Sequential(nn.Flatten(), nn.LazyLinear(out_features=10), nn.ReLU(),
                                   nn.Linear(in_features=10, out_features=10))
        p(model_lazy)
        p(model_lazy(img_batch).shape)
        p(model_lazy)
        p(model_lazy[1].weight.shape, model_lazy[1].in_features)
        single_image = img_batch[0]
        p(single_image.shape)
        o.tryit(lambda: model(single_image).shape)
        model_no_flatten = nn.Sequential(nn.Linear(784, 10))
        o.tryit(lambda: model_no_flatten(single_image))
        p(model(single_image.unsqueeze(dim=0)).shape)
        # datatype errors
        tensor_int = L.tensor([1, 2, 3])
        tensor_float = L.rand(3)
        p(tensor_int.dtype, tensor_float.dtype, (tensor_int * tensor_float).dtype)
        o.tryit(lambda: model(img_batch.type(L.float64)))
        o.tryit(lambda: model(img_batch.type(L.uint8)))
        o.tryit(lambda: nn.Linear(3, 2)(tensor_int))
        logits = model(img_batch)
        o.tryit(lambda: nn.CrossEntropyLoss()(logits, label_batch.type(L.float32)))
        o.tryit(lambda: nn.BCEWithLogitsLoss()(logits[:, 0], label_batch))
        o.tryit(lambda: L.nn.functional.one_hot(label_batch.float(), 10))
        o.tryit(lambda: nn.Embedding(10, 3)(tensor_float))
        o.tryit(lambda: tensor_float.type(L.long) @ tensor_float)
        p(L.nn.functional.one_hot(label_batch, num_classes=10).dtype)
        o.vals += [logits, tensor_7]
    return o.done()


def quickstart(L):
    nn = L.nn
    with Out() as o:
        p = o.print
        rng = np.random.default_rng(2)
        training_data = L.utils.data.TensorDataset(
            L.from_numpy(rng.random((20, 1, 28, 28), dtype=np.float32)),
            L.from_numpy(rng.integers(0, 10, 20)))
        test_data = L.utils.data.TensorDataset(
            L.from_numpy(rng.random((10, 1, 28, 28), dtype=np.float32)),
            L.from_numpy(rng.integers(0, 10, 10)))
        batch_size = 8
        train_dataloader = L.utils.data.DataLoader(training_data, batch_size=batch_size)
        test_dataloader = L.utils.data.DataLoader(test_data, batch_size=batch_size)
        for X, y in test_dataloader:
            p(f"Shape of X [N, C, H, W]: {X.shape}")
            p(f"Shape of y: {y.shape} {y.dtype}")
            break
        device = "cuda" if L.cuda.is_available() else "cpu"
        p(f"Using {device} device")

        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(28 * 28, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                    nn.Linear(32, 10))

            def forward(self, x):
                x = self.flatten(x)
                logits = self.linear_relu_stack(x)
                return logits

        L.manual_seed(0)
        model = NeuralNetwork().to(device)
        p(model)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = L.optim.SGD(model.parameters(), lr=1e-3)

        def train(dataloader, model, loss_fn, optimizer):
            size = len(dataloader.dataset)
            model.train()
            for batch, (X, y) in enumerate(dataloader):
                X, y = X.to(device), y.to(device)
                pred = model(X)
                loss = loss_fn(pred, y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                if batch % 2 == 0:
                    loss, current = loss.item(), (batch + 1) * len(X)
                    p(f"loss: {loss:>7.4f}  [{current:>5d}/{size:>5d}]")

        def test(dataloader, model, loss_fn):
            size = len(dataloader.dataset)
            num_batches = len(dataloader)
            model.eval()
            test_loss, correct = 0, 0
            with L.no_grad():
                for X, y in dataloader:
                    X, y = X.to(device), y.to(device)
                    pred = model(X)
                    test_loss += loss_fn(pred, y).item()
                    correct += (pred.argmax(1) == y).type(L.float).sum().item()
            test_loss /= num_batches
            correct /= size
            p(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8.4f} \n")

        epochs = 3
        for t in range(epochs):
            p(f"Epoch {t+1}\n-------------------------------")
            train(train_dataloader, model, loss_fn, optimizer)
            test(test_dataloader, model, loss_fn)
        p("Done!")
        import io
        buf = io.BytesIO()
        L.save(model.state_dict(), buf)
        p("Saved PyTorch Model State to model.pth")
        buf.seek(0)
        model = NeuralNetwork().to(device)
        p(model.load_state_dict(L.load(buf, weights_only=True)))
        classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
        model.eval()
        x, y = test_data[0][0], test_data[0][1]
        with L.no_grad():
            x = x.to(device)
            pred = model(x)
            predicted, actual = classes[pred[0].argmax(0)], classes[y]
            p(f'Predicted: "{predicted}", Actual: "{actual}"')
        o.vals += [pred, model.linear_relu_stack[4].weight]
    return o.done()
