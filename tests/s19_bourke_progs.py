# ruff: noqa: E501 - the notebooks' f-strings, as users type them
"""mrdbourke/pytorch-deep-learning (00_pytorch_fundamentals.ipynb, 01_pytorch_workflow.ipynb)
as users type the notebooks' code cells, scaled down (small tensors, few epochs), as
``prog(L) -> (printed, values)`` for tests/test_programs_s19_bourke.py. Notebook cells that
only show a value are printed here with print(); cells that raise are run with ``o.tryit``
(the exception's type and first line)."""

import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out


def fundamentals(L):
    with Out() as o:
        p = o.print
        scalar = L.tensor(7)
        p(scalar, scalar.ndim, scalar.item(), type(scalar.item()).__name__)
        vector = L.tensor([7, 7])
        p(vector, vector.ndim, vector.shape)
        MATRIX = L.tensor([[7, 8], [9, 10]])
        p(MATRIX, MATRIX.ndim, MATRIX[1], MATRIX.shape)
        TENSOR = L.tensor([[[1, 2, 3], [3, 6, 9], [2, 4, 5]]])
        p(TENSOR, TENSOR.ndim, TENSOR.shape, TENSOR[0])
        L.manual_seed(0)
        random_tensor = L.rand(size=(3, 4))
        p(random_tensor, random_tensor.dtype)
        random_image_size_tensor = L.rand(size=(8, 8, 3))
        p(random_image_size_tensor.shape, random_image_size_tensor.ndim)
        zeros = L.zeros(size=(3, 4))
        p(zeros, zeros.dtype)
        ones = L.ones(size=(3, 4))
        p(ones, ones.dtype)
        zero_to_ten_deprecated = L.range(0, 10)
        p(zero_to_ten_deprecated)
        zero_to_ten = L.arange(start=0, end=10, step=1)
        p(zero_to_ten)
        ten_zeros = L.zeros_like(input=zero_to_ten)
        p(ten_zeros)
        float_32_tensor = L.tensor([3.0, 6.0, 9.0], dtype=None, device=None, requires_grad=False)
        p(float_32_tensor.shape, float_32_tensor.dtype, float_32_tensor.device)
        float_16_tensor = L.tensor([3.0, 6.0, 9.0], dtype=L.float16)
        p(float_16_tensor.dtype, float_16_tensor)
        p(float_16_tensor * float_32_tensor, (float_16_tensor * float_32_tensor).dtype)
        some_tensor = L.rand(3, 4)
        p(some_tensor)
        p(f"Shape of tensor: {some_tensor.shape}")
        p(f"Datatype of tensor: {some_tensor.dtype}")
        p(f"Device tensor is stored on: {some_tensor.device}")
        tensor = L.tensor([1, 2, 3])
        p(tensor + 10, tensor * 10, tensor, tensor - 10)
        tensor = tensor - 10
        tensor = tensor + 10
        p(tensor, L.multiply(tensor, 10), tensor)
        p(tensor, "*", tensor)
        p("Equals:", tensor * tensor)
        p(L.matmul(tensor, tensor), tensor @ tensor)
        value = 0
        for i in range(len(tensor)):
            value += tensor[i] * tensor[i]
        p(value)
        tensor_A = L.tensor([[1, 2], [3, 4], [5, 6]], dtype=L.float32)
        tensor_B = L.tensor([[7, 10], [8, 11], [9, 12]], dtype=L.float32)
        o.tryit(lambda: L.matmul(tensor_A, tensor_B))
        o.tryit(lambda: L.mm(tensor_A, tensor_B))
        p(tensor_A, tensor_B, tensor_B.T)
        p(f"Original shapes: tensor_A = {tensor_A.shape}, tensor_B = {tensor_B.shape}\n")
        p(f"New shapes: tensor_A = {tensor_A.shape} (same as above), tensor_B.T = {tensor_B.T.shape}\n")
        p(f"Multiplying: {tensor_A.shape} * {tensor_B.T.shape} <- inner dimensions match\n")
        output = L.matmul(tensor_A, tensor_B.T)
        p(output)
        p(f"\nOutput shape: {output.shape}")
        p(L.mm(tensor_A, tensor_B.T))
        L.manual_seed(42)
        linear = L.nn.Linear(in_features=2, out_features=6)
        x = tensor_A
        output = linear(x)
        p(f"Input shape: {x.shape}\n")
        p(f"Output:\n{output}\n\nOutput shape: {output.shape}")
        o.vals.append(output)
        x = L.arange(0, 100, 10)
        p(x)
        p(f"Minimum: {x.min()}")
        p(f"Maximum: {x.max()}")
        o.tryit(lambda: x.mean())
        p(f"Mean: {x.type(L.float32).mean()}")
        p(f"Sum: {x.sum()}")
        p(L.max(x), L.min(x), L.mean(x.type(L.float32)), L.sum(x))
        tensor = L.arange(10, 100, 10)
        p(f"Tensor: {tensor}")
        p(f"Index where max value occurs: {tensor.argmax()}")
        p(f"Index where min value occurs: {tensor.argmin()}")
        p(tensor.dtype)
        tensor_float16 = tensor.type(L.float16)
        p(tensor_float16)
        tensor_int8 = tensor.type(L.int8)
        p(tensor_int8)
        x = L.arange(1., 8.)
        p(x, x.shape)
        x_reshaped = x.reshape(1, 7)
        p(x_reshaped, x_reshaped.shape)
        o.tryit(lambda: x.reshape(1, 8))
        z = x.view(1, 7)
        p(z, z.shape)
        z[:, 0] = 5
        p(z, x)
        x_stacked = L.stack([x, x, x, x], dim=0)
        p(x_stacked)
        p(L.stack([x, x, x, x], dim=1), L.hstack([x, x]), L.vstack([x, x]))
        p(f"Previous tensor: {x_reshaped}")
        p(f"Previous shape: {x_reshaped.shape}")
        x_squeezed = x_reshaped.squeeze()
        p(f"\nNew tensor: {x_squeezed}")
        p(f"New shape: {x_squeezed.shape}")
        x_unsqueezed = x_squeezed.unsqueeze(dim=0)
        p(f"\nNew tensor: {x_unsqueezed}")
        p(f"New shape: {x_unsqueezed.shape}")
        x_original = L.rand(size=(6, 5, 3))
        x_permuted = x_original.permute(2, 0, 1)
        p(f"Previous shape: {x_original.shape}")
        p(f"New shape: {x_permuted.shape}")
        x_original[0, 0, 0] = 728218
        p(x_original[0, 0, 0], x_permuted[0, 0, 0])
        x = L.arange(1, 10).reshape(1, 3, 3)
        p(x, x.shape)
        p(f"First square bracket:\n{x[0]}")
        p(f"Second square bracket: {x[0][0]}")
        p(f"Third square bracket: {x[0][0][0]}")
        p(x[:, 0], x[:, :, 1], x[:, 1, 1], x[0, 0, :], x[0][2][2], x[:, :, 2])
        o.tryit(lambda: x[1])
        array = np.arange(1.0, 8.0)
        tensor = L.from_numpy(array)
        p(array, tensor)
        p(tensor.dtype, L.from_numpy(array).type(L.float32).dtype)
        array = array + 1
        p(array, tensor)
        tensor = L.ones(7)
        numpy_tensor = tensor.numpy()
        p(tensor, numpy_tensor, numpy_tensor.dtype)
        tensor = tensor + 1
        p(tensor, numpy_tensor)
        random_tensor_A = L.rand(3, 4)
        random_tensor_B = L.rand(3, 4)
        p(f"Tensor A:\n{random_tensor_A}\n")
        p(f"Tensor B:\n{random_tensor_B}\n")
        p("Does Tensor A equal Tensor B? (anywhere)")
        p(random_tensor_A == random_tensor_B)
        RANDOM_SEED = 42
        L.manual_seed(seed=RANDOM_SEED)
        random_tensor_C = L.rand(3, 4)
        L.random.manual_seed(seed=RANDOM_SEED)
        random_tensor_D = L.rand(3, 4)
        p(f"Tensor C:\n{random_tensor_C}\n")
        p(f"Tensor D:\n{random_tensor_D}\n")
        p(random_tensor_C == random_tensor_D)
        p(L.cuda.is_available(), L.cuda.device_count())
        device = "cuda" if L.cuda.is_available() else "cpu"
        p(device)
        tensor = L.tensor([1, 2, 3])
        p(tensor, tensor.device)
        tensor_on_gpu = tensor.to(device)
        p(tensor_on_gpu)
        tensor_back_on_cpu = tensor_on_gpu.cpu().numpy()
        p(tensor_back_on_cpu)
        p(tensor_on_gpu)
        # exercises
        L.manual_seed(0)
        rt = L.rand(7, 7)
        rt2 = L.rand(1, 7)
        p(L.matmul(rt, rt2.T))
        o.tryit(lambda: L.matmul(rt, rt2))
        L.manual_seed(7)
        t1 = L.rand(2, 3).to(device)
        t2 = L.rand(2, 3).to(device)
        out = L.matmul(t1, t2.T)
        p(out, out.max(), out.min(), out.argmax(), out.argmin())
        L.manual_seed(7)
        t = L.rand(1, 1, 1, 10)
        t_sq = t.squeeze()
        p(t, t.shape, t_sq, t_sq.shape)
        o.vals += [random_tensor_C, out, t_sq, x_stacked, L.from_numpy(array)]
    return o.done()


def workflow(L):
    nn = L.nn
    with Out() as o:
        p = o.print
        weight = 0.7
        bias = 0.3
        start, end, step = 0, 1, 0.02
        X = L.arange(start, end, step).unsqueeze(dim=1)
        y = weight * X + bias
        p(X[:10], y[:10], X.dtype, len(X), len(y))
        train_split = int(0.8 * len(X))
        X_train, y_train = X[:train_split], y[:train_split]
        X_test, y_test = X[train_split:], y[train_split:]
        p(len(X_train), len(y_train), len(X_test), len(y_test))

        class LinearRegressionModel(nn.Module):
            def __init__(self):
                super().__init__()
                self.weights = nn.Parameter(L.randn(1, dtype=L.float), requires_grad=True)
                self.bias = nn.Parameter(L.randn(1, dtype=L.float), requires_grad=True)

            def forward(self, x: L.Tensor) -> L.Tensor:
                return self.weights * x + self.bias

        L.manual_seed(42)
        model_0 = LinearRegressionModel()
        p(list(model_0.parameters()))
        p(model_0.state_dict())
        p(model_0)
        with L.inference_mode():
            y_preds = model_0(X_test)
        p(f"Number of testing samples: {len(X_test)}")
        p(f"Number of predictions made: {len(y_preds)}")
        p(f"Predicted values:\n{y_preds}")
        p(y_test - y_preds, y_preds.requires_grad, y_preds.is_inference())
        o.tryit(lambda: y_preds.requires_grad_())
        loss_fn = nn.L1Loss()
        optimizer = L.optim.SGD(params=model_0.parameters(), lr=0.01)
        p(loss_fn, optimizer)
        L.manual_seed(42)
        epochs = 100
        train_loss_values, test_loss_values, epoch_count = [], [], []
        for epoch in range(epochs):
            model_0.train()
            y_pred = model_0(X_train)
            loss = loss_fn(y_pred, y_train)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            model_0.eval()
            with L.inference_mode():
                test_pred = model_0(X_test)
                test_loss = loss_fn(test_pred, y_test.type(L.float))
                if epoch % 10 == 0:
                    epoch_count.append(epoch)
                    train_loss_values.append(loss.detach().numpy())
                    test_loss_values.append(test_loss.detach().numpy())
                    p(f"Epoch: {epoch} | MAE Train Loss: {loss:.4f} | MAE Test Loss: {test_loss:.4f} ")
        p(np.array(train_loss_values).dtype)
        o.tryit(lambda: L.tensor(train_loss_values))
        p("The model learned the following values for weights and bias:")
        p(model_0.state_dict())
        p("\nAnd the original values for weights and bias are:")
        p(f"weights: {weight}, bias: {bias}")
        model_0.eval()
        with L.inference_mode():
            y_preds = model_0(X_test)
        with tempfile.TemporaryDirectory() as d:
            MODEL_PATH = os.path.join(d, "models")
            os.makedirs(MODEL_PATH, exist_ok=True)
            MODEL_NAME = "01_pytorch_workflow_model_0.pth"
            MODEL_SAVE_PATH = os.path.join(MODEL_PATH, MODEL_NAME)
            p(f"Saving model to: {MODEL_NAME}")
            L.save(obj=model_0.state_dict(), f=MODEL_SAVE_PATH)
            loaded_model_0 = LinearRegressionModel()
            r = loaded_model_0.load_state_dict(L.load(f=MODEL_SAVE_PATH))
            p(r)
            loaded_model_0.eval()
            with L.inference_mode():
                loaded_model_preds = loaded_model_0(X_test)
            p(y_preds == loaded_model_preds)
            o.tryit(lambda: loaded_model_0.load_state_dict({"weights": L.zeros(2)}))
            o.tryit(lambda: loaded_model_0.load_state_dict({"weights": L.zeros(1)}))
        # 6. putting it together: nn.Linear version
        device = "cuda" if L.cuda.is_available() else "cpu"
        p(f"Using device: {device}")

        class LinearRegressionModelV2(nn.Module):
            def __init__(self):
                super().__init__()
                self.linear_layer = nn.Linear(in_features=1, out_features=1)

            def forward(self, x: L.Tensor) -> L.Tensor:
                return self.linear_layer(x)

        L.manual_seed(42)
        model_1 = LinearRegressionModelV2()
        p(model_1, model_1.state_dict())
        p(next(model_1.parameters()).device)
        model_1.to(device)
        loss_fn = nn.L1Loss()
        optimizer = L.optim.SGD(params=model_1.parameters(), lr=0.01)
        L.manual_seed(42)
        X_train, y_train = X_train.to(device), y_train.to(device)
        for epoch in range(100):
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
            if epoch % 50 == 0:
                p(f"Epoch: {epoch} | Train loss: {loss:.4f} | Test loss: {test_loss:.4f}")
        from pprint import pformat
        p("The model learned the following values for weights and bias:")
        p(pformat(model_1.state_dict()))
        with L.inference_mode():
            y_preds = model_1(X_test)
        p(y_preds.cpu().numpy().shape)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "01_pytorch_workflow_model_1.pth")
            L.save(obj=model_1.state_dict(), f=path)
            loaded_model_1 = LinearRegressionModelV2()
            loaded_model_1.load_state_dict(L.load(path))
            loaded_model_1.to(device)
            p(f"Loaded model:\n{loaded_model_1}")
            p(f"Model on device:\n{next(loaded_model_1.parameters()).device}")
            loaded_model_1.eval()
            with L.inference_mode():
                loaded_model_1_preds = loaded_model_1(X_test)
            p(y_preds == loaded_model_1_preds)
        o.vals += [model_0.weights, model_0.bias, y_preds, model_1.linear_layer.weight,
                   L.tensor(np.array(test_loss_values))]
    return o.done()
