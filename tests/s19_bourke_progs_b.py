# ruff: noqa: E501 - the notebooks' f-strings, as users type them
"""mrdbourke/pytorch-deep-learning: 02_pytorch_classification.ipynb (circles made with NumPy
in place of sklearn's make_circles/make_blobs, helper_functions.plot_decision_boundary's
grid prediction without the plot), 03_pytorch_computer_vision.ipynb (FashionMNIST models
V0/V1/V2 on random 28x28 "images", the train_step/test_step/eval_model functions) and
05_pytorch_going_modular (engine.py train_step/test_step/train, utils.save_model, TinyVGG
from model_builder.py on random 64x64 images) as users type them, scaled down."""

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from s16_yunjey_progs import Out


def _circles(n, noise, seed):
    """make_circles(n, noise=.., random_state=..)'s shape: two rings (outer 1, inner 0.8)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, n // 2, endpoint=False)
    X = np.vstack([np.c_[np.cos(t), np.sin(t)], 0.8 * np.c_[np.cos(t), np.sin(t)]])
    y = np.hstack([np.zeros(n // 2, np.int64), np.ones(n // 2, np.int64)])
    X = X + rng.normal(scale=noise, size=X.shape)
    idx = rng.permutation(n)
    return X[idx], y[idx]


def _blobs(n, features, centers, std, seed):
    rng = np.random.default_rng(seed)
    c = rng.uniform(-10, 10, (centers, features))
    y = rng.integers(0, centers, n)
    return c[y] + rng.normal(scale=std, size=(n, features)), y


def accuracy_fn(L):
    def accuracy_fn(y_true, y_pred):
        correct = L.eq(y_true, y_pred).sum().item()
        acc = (correct / len(y_pred)) * 100
        return acc
    return accuracy_fn


def classification(L):
    nn = L.nn
    acc_fn = accuracy_fn(L)
    with Out() as o:
        p = o.print
        X, y = _circles(200, noise=0.03, seed=42)
        p(f"First 5 X features:\n{X[:5]}")
        p(X.shape, y.shape, X.dtype)
        X = L.from_numpy(X).type(L.float)
        y = L.from_numpy(y).type(L.float)
        p(X[:5], y[:5], X.dtype, y.dtype)
        X_sample, y_sample = X[0], y[0]
        p(f"Values for one sample of X: {X_sample} and the same for y: {y_sample}")
        p(f"Shapes for one sample of X: {X_sample.shape} and the same for y: {y_sample.shape}")
        n_train = int(0.8 * len(X))
        X_train, X_test, y_train, y_test = X[:n_train], X[n_train:], y[:n_train], y[n_train:]
        p(len(X_train), len(X_test), len(y_train), len(y_test))
        device = "cuda" if L.cuda.is_available() else "cpu"

        class CircleModelV0(nn.Module):
            def __init__(self):
                super().__init__()
                self.layer_1 = nn.Linear(in_features=2, out_features=5)
                self.layer_2 = nn.Linear(in_features=5, out_features=1)

            def forward(self, x):
                return self.layer_2(self.layer_1(x))

        L.manual_seed(42)
        model_0 = CircleModelV0().to(device)
        p(model_0)
        model_0 = nn.Sequential(nn.Linear(in_features=2, out_features=5),
                                nn.Linear(in_features=5, out_features=1)).to(device)
        p(model_0, model_0.state_dict())
        with L.inference_mode():
            untrained_preds = model_0(X_test.to(device))
        p(f"Length of predictions: {len(untrained_preds)}, Shape: {untrained_preds.shape}")
        p(f"Length of test samples: {len(y_test)}, Shape: {y_test.shape}")
        p(f"\nFirst 10 predictions:\n{untrained_preds[:10]}")
        p(f"\nFirst 10 test labels:\n{y_test[:10]}")
        loss_fn = nn.BCEWithLogitsLoss()
        optimizer = L.optim.SGD(params=model_0.parameters(), lr=0.1)
        model_0.eval()
        with L.inference_mode():
            y_logits = model_0(X_test.to(device))[:5]
        p(y_logits)
        y_pred_probs = L.sigmoid(y_logits)
        p(y_pred_probs)
        y_preds = L.round(y_pred_probs)
        y_pred_labels = L.round(L.sigmoid(model_0(X_test.to(device))[:5]))
        p(L.eq(y_preds.squeeze(), y_pred_labels.squeeze()))
        p(y_preds.squeeze(), y_pred_labels)
        o.tryit(lambda: loss_fn(model_0(X_train), y_train))
        L.manual_seed(42)
        epochs = 30
        X_train, y_train = X_train.to(device), y_train.to(device)
        X_test, y_test = X_test.to(device), y_test.to(device)
        for epoch in range(epochs):
            model_0.train()
            y_logits = model_0(X_train).squeeze()
            y_pred = L.round(L.sigmoid(y_logits))
            loss = loss_fn(y_logits, y_train)
            acc = acc_fn(y_true=y_train, y_pred=y_pred)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            model_0.eval()
            with L.inference_mode():
                test_logits = model_0(X_test).squeeze()
                test_pred = L.round(L.sigmoid(test_logits))
                test_loss = loss_fn(test_logits, y_test)
                test_acc = acc_fn(y_true=y_test, y_pred=test_pred)
            if epoch % 10 == 0:
                p(f"Epoch: {epoch} | Loss: {loss:.4f}, Accuracy: {acc:.2f}% | Test loss: {test_loss:.4f}, Test acc: {test_acc:.2f}%")

        class CircleModelV2(nn.Module):
            def __init__(self):
                super().__init__()
                self.layer_1 = nn.Linear(in_features=2, out_features=10)
                self.layer_2 = nn.Linear(in_features=10, out_features=10)
                self.layer_3 = nn.Linear(in_features=10, out_features=1)
                self.relu = nn.ReLU()

            def forward(self, x):
                return self.layer_3(self.relu(self.layer_2(self.relu(self.layer_1(x)))))

        L.manual_seed(42)
        model_3 = CircleModelV2().to(device)
        p(model_3)
        loss_fn = nn.BCEWithLogitsLoss()
        optimizer = L.optim.SGD(model_3.parameters(), lr=0.1)
        for epoch in range(30):
            y_logits = model_3(X_train).squeeze()
            y_pred = L.round(L.sigmoid(y_logits))
            loss = loss_fn(y_logits, y_train)
            acc = acc_fn(y_true=y_train, y_pred=y_pred)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            model_3.eval()
            with L.inference_mode():
                test_logits = model_3(X_test).squeeze()
                test_pred = L.round(L.sigmoid(test_logits))
                test_loss = loss_fn(test_logits, y_test)
                test_acc = acc_fn(y_true=y_test, y_pred=test_pred)
            if epoch % 10 == 0:
                p(f"Epoch: {epoch} | Loss: {loss:.4f}, Accuracy: {acc:.2f}% | Test Loss: {test_loss:.4f}, Test Accuracy: {test_acc:.2f}%")
        model_3.eval()
        with L.inference_mode():
            y_preds = L.round(L.sigmoid(model_3(X_test))).squeeze()
        p(y_preds[:10], y[:10])
        # helper_functions.plot_decision_boundary, without the plot
        model_3.to("cpu")
        x_min, x_max = X[:, 0].min() - 0.1, X[:, 0].max() + 0.1
        y_min, y_max = X[:, 1].min() - 0.1, X[:, 1].max() + 0.1
        with warnings.catch_warnings():  # NumPy 2 on torch's old __array_wrap__ signature
            warnings.simplefilter("ignore", DeprecationWarning)
            p(type(np.linspace(x_min, x_max, 11)).__name__, np.linspace(x_min, x_max, 3))
            xx, yy = np.meshgrid(np.linspace(x_min, x_max, 11), np.linspace(y_min, y_max, 11))
        X_to_pred_on = L.from_numpy(np.column_stack((xx.ravel(), yy.ravel()))).float()
        model_3.eval()
        with L.inference_mode():
            y_logits = model_3(X_to_pred_on)
        if len(L.unique(y)) > 2:
            y_pred = L.softmax(y_logits, dim=1).argmax(dim=1)
        else:
            y_pred = L.round(L.sigmoid(y_logits))
        y_pred = y_pred.reshape(xx.shape).detach().numpy()
        p(xx.dtype, y_pred.dtype, y_pred.shape, L.unique(y))
        # activation functions by hand
        A = L.arange(-10, 10, 1, dtype=L.float32)
        p(A)

        def relu(x):
            return L.maximum(L.tensor(0), x)

        def sigmoid(x):
            return 1 / (1 + L.exp(-x))
        p(relu(A), L.relu(A), sigmoid(A))
        o.vals += [model_0[0].weight, model_3.layer_3.weight, L.from_numpy(y_pred),
                   sigmoid(A), L.sigmoid(A)]
        # multi-class: blobs
        NUM_CLASSES, NUM_FEATURES, RANDOM_SEED = 4, 2, 42
        X_blob, y_blob = _blobs(200, NUM_FEATURES, NUM_CLASSES, 1.5, RANDOM_SEED)
        X_blob = L.from_numpy(X_blob).type(L.float)
        y_blob = L.from_numpy(y_blob).type(L.LongTensor)
        p(X_blob[:5], y_blob[:5], y_blob.dtype)
        X_blob_train, X_blob_test = X_blob[:160], X_blob[160:]
        y_blob_train, y_blob_test = y_blob[:160], y_blob[160:]

        class BlobModel(nn.Module):
            def __init__(self, input_features, output_features, hidden_units=8):
                super().__init__()
                self.linear_layer_stack = nn.Sequential(
                    nn.Linear(in_features=input_features, out_features=hidden_units),
                    nn.Linear(in_features=hidden_units, out_features=hidden_units),
                    nn.Linear(in_features=hidden_units, out_features=output_features),
                )

            def forward(self, x):
                return self.linear_layer_stack(x)

        L.manual_seed(42)
        model_4 = BlobModel(input_features=NUM_FEATURES, output_features=NUM_CLASSES,
                            hidden_units=8).to(device)
        p(model_4)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = L.optim.SGD(model_4.parameters(), lr=0.1)
        p(model_4(X_blob_train.to(device))[:5], model_4(X_blob_train.to(device))[0].shape, NUM_CLASSES)
        y_logits = model_4(X_blob_test.to(device))
        y_pred_probs = L.softmax(y_logits, dim=1)
        p(y_logits[:5])
        p(y_pred_probs[:5])
        p(L.sum(y_pred_probs[0]), L.argmax(y_pred_probs[0]), y_pred_probs[0])
        o.tryit(lambda: loss_fn(y_logits, y_blob_test.float()))
        o.tryit(lambda: loss_fn(y_logits, y_blob_test.type(L.int32)))
        o.tryit(lambda: loss_fn(y_logits[:, 0], y_blob_test))
        L.manual_seed(42)
        for epoch in range(30):
            model_4.train()
            y_logits = model_4(X_blob_train)
            y_pred = L.softmax(y_logits, dim=1).argmax(dim=1)
            loss = loss_fn(y_logits, y_blob_train)
            acc = acc_fn(y_true=y_blob_train, y_pred=y_pred)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            model_4.eval()
            with L.inference_mode():
                test_logits = model_4(X_blob_test)
                test_pred = L.softmax(test_logits, dim=1).argmax(dim=1)
                test_loss = loss_fn(test_logits, y_blob_test)
                test_acc = acc_fn(y_true=y_blob_test, y_pred=test_pred)
            if epoch % 10 == 0:
                p(f"Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}% | Test Loss: {test_loss:.4f}, Test Acc: {test_acc:.2f}%")
        model_4.eval()
        with L.inference_mode():
            y_logits = model_4(X_blob_test)
        y_pred_probs = L.softmax(y_logits, dim=1)
        y_preds = y_pred_probs.argmax(dim=1)
        p(f"Predictions: {y_preds[:10]}\nLabels: {y_blob_test[:10]}")
        p(f"Test accuracy: {acc_fn(y_blob_test, y_preds)}%")
        o.vals += [y_logits, model_4.linear_layer_stack[2].bias]
    return o.done()


def engine(L):
    """05_going_modular: going_modular/engine.py, model_builder.py, utils.py and train.py."""
    nn = L.nn
    from typing import Dict, List, Tuple

    def train_step(model: nn.Module, dataloader, loss_fn: nn.Module, optimizer,
                   device) -> Tuple[float, float]:
        model.train()
        train_loss, train_acc = 0, 0
        for batch, (X, y) in enumerate(dataloader):
            X, y = X.to(device), y.to(device)
            y_pred = model(X)
            loss = loss_fn(y_pred, y)
            train_loss += loss.item()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            y_pred_class = L.argmax(L.softmax(y_pred, dim=1), dim=1)
            train_acc += (y_pred_class == y).sum().item() / len(y_pred)
        train_loss = train_loss / len(dataloader)
        train_acc = train_acc / len(dataloader)
        return train_loss, train_acc

    def test_step(model, dataloader, loss_fn, device) -> Tuple[float, float]:
        model.eval()
        test_loss, test_acc = 0, 0
        with L.inference_mode():
            for batch, (X, y) in enumerate(dataloader):
                X, y = X.to(device), y.to(device)
                test_pred_logits = model(X)
                loss = loss_fn(test_pred_logits, y)
                test_loss += loss.item()
                test_pred_labels = test_pred_logits.argmax(dim=1)
                test_acc += ((test_pred_labels == y).sum().item() / len(test_pred_labels))
        return test_loss / len(dataloader), test_acc / len(dataloader)

    def train(model, train_dataloader, test_dataloader, optimizer, loss_fn, epochs,
              device, p) -> Dict[str, List]:
        results = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
        for epoch in range(epochs):
            train_loss, train_acc = train_step(model=model, dataloader=train_dataloader,
                                               loss_fn=loss_fn, optimizer=optimizer,
                                               device=device)
            test_loss, test_acc = test_step(model=model, dataloader=test_dataloader,
                                            loss_fn=loss_fn, device=device)
            p(f"Epoch: {epoch+1} | train_loss: {train_loss:.4f} | train_acc: {train_acc:.4f} | "
              f"test_loss: {test_loss:.4f} | test_acc: {test_acc:.4f}")
            results["train_loss"].append(train_loss)
            results["train_acc"].append(train_acc)
            results["test_loss"].append(test_loss)
            results["test_acc"].append(test_acc)
        return results

    class TinyVGG(nn.Module):
        def __init__(self, input_shape: int, hidden_units: int, output_shape: int) -> None:
            super().__init__()
            self.conv_block_1 = nn.Sequential(
                nn.Conv2d(in_channels=input_shape, out_channels=hidden_units, kernel_size=3,
                          stride=1, padding=0),
                nn.ReLU(),
                nn.Conv2d(in_channels=hidden_units, out_channels=hidden_units, kernel_size=3,
                          stride=1, padding=0),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=2, stride=2))
            self.conv_block_2 = nn.Sequential(
                nn.Conv2d(hidden_units, hidden_units, kernel_size=3, padding=0),
                nn.ReLU(),
                nn.Conv2d(hidden_units, hidden_units, kernel_size=3, padding=0),
                nn.ReLU(),
                nn.MaxPool2d(2))
            self.classifier = nn.Sequential(
                nn.Flatten(),
                nn.Linear(in_features=hidden_units * 13 * 13, out_features=output_shape))

        def forward(self, x: L.Tensor):
            return self.classifier(self.conv_block_2(self.conv_block_1(x)))

    def save_model(model, target_dir: str, model_name: str, p):
        target_dir_path = Path(target_dir)
        target_dir_path.mkdir(parents=True, exist_ok=True)
        assert model_name.endswith(".pth") or model_name.endswith(".pt"), \
            "model_name should end with '.pt' or '.pth'"
        model_save_path = target_dir_path / model_name
        p(f"[INFO] Saving model to: {model_save_path.name}")
        L.save(obj=model.state_dict(), f=model_save_path)

    with Out() as o:
        p = o.print
        rng = np.random.default_rng(5)
        Xtr = L.from_numpy(rng.random((12, 3, 64, 64), dtype=np.float32))
        ytr = L.from_numpy(rng.integers(0, 3, 12))
        Xte = L.from_numpy(rng.random((6, 3, 64, 64), dtype=np.float32))
        yte = L.from_numpy(rng.integers(0, 3, 6))
        train_data = L.utils.data.TensorDataset(Xtr, ytr)
        test_data = L.utils.data.TensorDataset(Xte, yte)
        class_names = ["pizza", "steak", "sushi"]
        L.manual_seed(42)
        train_dataloader = L.utils.data.DataLoader(train_data, batch_size=4, shuffle=True,
                                                   num_workers=0, pin_memory=True)
        test_dataloader = L.utils.data.DataLoader(test_data, batch_size=4, shuffle=False,
                                                  num_workers=0, pin_memory=True)
        p(len(train_dataloader), len(test_dataloader), len(train_dataloader.dataset))
        img, label = next(iter(train_dataloader))
        p(f"Image shape: {img.shape} -> [batch_size, color_channels, height, width]")
        p(f"Label shape: {label.shape}")
        device = "cuda" if L.cuda.is_available() else "cpu"
        L.manual_seed(42)
        model = TinyVGG(input_shape=3, hidden_units=4, output_shape=len(class_names)).to(device)
        p(model)
        img_single, label_single = img[0].unsqueeze(dim=0), label[0]
        model.eval()
        with L.inference_mode():
            pred = model(img_single.to(device))
        p(f"Single image shape: {img_single.shape}\n")
        p(f"Output logits shape:\n{pred.shape}\n")  # (values below: near-0 logits' last bits)
        o.vals.append(pred)
        p(f"Output prediction probabilities:\n{L.softmax(pred, dim=1)}\n")
        p(f"Output prediction label:\n{L.argmax(L.softmax(pred, dim=1), dim=1)}\n")
        p(f"Actual label:\n{label_single}")
        o.tryit(lambda: model(L.rand(1, 3, 32, 32)))
        loss_fn = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        results = train(model=model, train_dataloader=train_dataloader,
                        test_dataloader=test_dataloader, loss_fn=loss_fn, optimizer=optimizer,
                        epochs=3, device=device, p=p)
        with tempfile.TemporaryDirectory() as d:
            save_model(model=model, target_dir=os.path.join(d, "models"),
                       model_name="05_going_modular_script_mode_tinyvgg_model.pth", p=p)
            o.tryit(lambda: save_model(model, d, "model.bin", p))
            loaded = TinyVGG(input_shape=3, hidden_units=4, output_shape=3)
            loaded.load_state_dict(L.load(os.path.join(
                d, "models", "05_going_modular_script_mode_tinyvgg_model.pth")))
        o.vals += [L.tensor(results["train_loss"]), L.tensor(results["test_loss"]),
                   loaded.classifier[1].weight, model.conv_block_1[0].weight]
    return o.done()
