# ruff: noqa: E501 - the notebooks' f-strings, as users type them
"""mrdbourke/pytorch-deep-learning: 03_pytorch_computer_vision.ipynb (FashionMNISTModelV0/V1/V2
on random 28x28 "images", the train_step/test_step/eval_model/make_predictions functions, the
conv and max-pool layer experiments on random tensors) as users type them, scaled down."""

import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out
from s19_bourke_progs_b import accuracy_fn


def computer_vision(L):
    nn = L.nn
    acc_fn = accuracy_fn(L)
    with Out() as o:
        p = o.print
        rng = np.random.default_rng(3)
        Xtr = L.from_numpy(rng.integers(0, 256, (24, 1, 28, 28), dtype=np.uint8)).float() / 255
        ytr = L.from_numpy(rng.integers(0, 10, 24))
        Xte = L.from_numpy(rng.integers(0, 256, (10, 1, 28, 28), dtype=np.uint8)).float() / 255
        yte = L.from_numpy(rng.integers(0, 10, 10))
        train_data = L.utils.data.TensorDataset(Xtr, ytr)
        test_data = L.utils.data.TensorDataset(Xte, yte)
        class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                       "Sneaker", "Bag", "Ankle boot"]
        image, label = train_data[0]
        p(image.shape, label, class_names[label], image.dtype)
        p(f"Image shape: {image.shape}", len(train_data), len(test_data))
        BATCH_SIZE = 8
        L.manual_seed(42)
        train_dataloader = L.utils.data.DataLoader(train_data, batch_size=BATCH_SIZE, shuffle=True)
        test_dataloader = L.utils.data.DataLoader(test_data, batch_size=BATCH_SIZE, shuffle=False)
        p(f"Dataloaders: {(type(train_dataloader).__name__, type(test_dataloader).__name__)}")
        p(f"Length of train dataloader: {len(train_dataloader)} batches of {BATCH_SIZE}")
        p(f"Length of test dataloader: {len(test_dataloader)} batches of {BATCH_SIZE}")
        train_features_batch, train_labels_batch = next(iter(train_dataloader))
        p(train_features_batch.shape, train_labels_batch.shape)
        L.manual_seed(42)
        random_idx = L.randint(0, len(train_features_batch), size=[1]).item()
        img, label = train_features_batch[random_idx], train_labels_batch[random_idx]
        p(f"Image size: {img.shape}")
        p(f"Label: {label}, label size: {label.shape}")
        flatten_model = nn.Flatten()
        x = train_features_batch[0]
        output = flatten_model(x)
        p(f"Shape before flattening: {x.shape} -> [color_channels, height, width]")
        p(f"Shape after flattening: {output.shape} -> [color_channels, height*width]")

        class FashionMNISTModelV0(nn.Module):
            def __init__(self, input_shape: int, hidden_units: int, output_shape: int):
                super().__init__()
                self.layer_stack = nn.Sequential(
                    nn.Flatten(),
                    nn.Linear(in_features=input_shape, out_features=hidden_units),
                    nn.Linear(in_features=hidden_units, out_features=output_shape))

            def forward(self, x):
                return self.layer_stack(x)

        L.manual_seed(42)
        model_0 = FashionMNISTModelV0(input_shape=784, hidden_units=10,
                                      output_shape=len(class_names))
        model_0.to("cpu")
        p(model_0)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = L.optim.SGD(params=model_0.parameters(), lr=0.1)
        L.manual_seed(42)
        epochs = 2
        for epoch in range(epochs):
            p(f"Epoch: {epoch}\n-------")
            train_loss = 0
            for batch, (X, y) in enumerate(train_dataloader):
                model_0.train()
                y_pred = model_0(X)
                loss = loss_fn(y_pred, y)
                train_loss += loss
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if batch % 2 == 0:
                    p(f"Looked at {batch * len(X)}/{len(train_dataloader.dataset)} samples")
            train_loss /= len(train_dataloader)
            p(train_loss.requires_grad, train_loss.grad_fn is not None)
            test_loss, test_acc = 0, 0
            model_0.eval()
            with L.inference_mode():
                for X, y in test_dataloader:
                    test_pred = model_0(X)
                    test_loss += loss_fn(test_pred, y)
                    test_acc += acc_fn(y_true=y, y_pred=test_pred.argmax(dim=1))
                test_loss /= len(test_dataloader)
                test_acc /= len(test_dataloader)
            p(f"\nTrain loss: {train_loss:.4f} | Test loss: {test_loss:.4f}, Test acc: {test_acc:.2f}%\n")

        def eval_model(model, data_loader, loss_fn, accuracy_fn):
            loss, acc = 0, 0
            model.eval()
            with L.inference_mode():
                for X, y in data_loader:
                    y_pred = model(X)
                    loss += loss_fn(y_pred, y)
                    acc += accuracy_fn(y_true=y, y_pred=y_pred.argmax(dim=1))
                loss /= len(data_loader)
                acc /= len(data_loader)
            return {"model_name": model.__class__.__name__, "model_loss": loss.item(),
                    "model_acc": acc}

        model_0_results = eval_model(model=model_0, data_loader=test_dataloader,
                                     loss_fn=loss_fn, accuracy_fn=acc_fn)
        p(model_0_results["model_name"], f"{model_0_results['model_loss']:.4f}",
          model_0_results["model_acc"])
        device = "cuda" if L.cuda.is_available() else "cpu"

        class FashionMNISTModelV1(nn.Module):
            def __init__(self, input_shape: int, hidden_units: int, output_shape: int):
                super().__init__()
                self.layer_stack = nn.Sequential(
                    nn.Flatten(), nn.Linear(in_features=input_shape, out_features=hidden_units),
                    nn.ReLU(), nn.Linear(in_features=hidden_units, out_features=output_shape),
                    nn.ReLU())

            def forward(self, x: L.Tensor):
                return self.layer_stack(x)

        def train_step(model, data_loader, loss_fn, optimizer, accuracy_fn, device=device):
            train_loss, train_acc = 0, 0
            model.to(device)
            for batch, (X, y) in enumerate(data_loader):
                X, y = X.to(device), y.to(device)
                y_pred = model(X)
                loss = loss_fn(y_pred, y)
                train_loss += loss
                train_acc += accuracy_fn(y_true=y, y_pred=y_pred.argmax(dim=1))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            train_loss /= len(data_loader)
            train_acc /= len(data_loader)
            p(f"Train loss: {train_loss:.4f} | Train accuracy: {train_acc:.2f}%")

        def test_step(data_loader, model, loss_fn, accuracy_fn, device=device):
            test_loss, test_acc = 0, 0
            model.to(device)
            model.eval()
            with L.inference_mode():
                for X, y in data_loader:
                    X, y = X.to(device), y.to(device)
                    test_pred = model(X)
                    test_loss += loss_fn(test_pred, y)
                    test_acc += accuracy_fn(y_true=y, y_pred=test_pred.argmax(dim=1))
                test_loss /= len(data_loader)
                test_acc /= len(data_loader)
                p(f"Test loss: {test_loss:.4f} | Test accuracy: {test_acc:.2f}%\n")

        L.manual_seed(42)
        model_1 = FashionMNISTModelV1(input_shape=784, hidden_units=10,
                                      output_shape=len(class_names)).to(device)
        p(next(model_1.parameters()).device)
        optimizer = L.optim.SGD(params=model_1.parameters(), lr=0.1)
        for epoch in range(2):
            p(f"Epoch: {epoch}\n---------")
            train_step(data_loader=train_dataloader, model=model_1, loss_fn=loss_fn,
                       optimizer=optimizer, accuracy_fn=acc_fn)
            test_step(data_loader=test_dataloader, model=model_1, loss_fn=loss_fn,
                      accuracy_fn=acc_fn)

        class FashionMNISTModelV2(nn.Module):
            def __init__(self, input_shape: int, hidden_units: int, output_shape: int):
                super().__init__()
                self.block_1 = nn.Sequential(
                    nn.Conv2d(in_channels=input_shape, out_channels=hidden_units, kernel_size=3,
                              stride=1, padding=1),
                    nn.ReLU(),
                    nn.Conv2d(in_channels=hidden_units, out_channels=hidden_units, kernel_size=3,
                              stride=1, padding=1),
                    nn.ReLU(),
                    nn.MaxPool2d(kernel_size=2, stride=2))
                self.block_2 = nn.Sequential(
                    nn.Conv2d(hidden_units, hidden_units, 3, padding=1), nn.ReLU(),
                    nn.Conv2d(hidden_units, hidden_units, 3, padding=1), nn.ReLU(),
                    nn.MaxPool2d(2))
                self.classifier = nn.Sequential(
                    nn.Flatten(),
                    nn.Linear(in_features=hidden_units * 7 * 7, out_features=output_shape))

            def forward(self, x: L.Tensor):
                x = self.block_1(x)
                x = self.block_2(x)
                x = self.classifier(x)
                return x

        L.manual_seed(42)
        model_2 = FashionMNISTModelV2(input_shape=1, hidden_units=4,
                                      output_shape=len(class_names)).to(device)
        p(model_2)
        L.manual_seed(42)
        images = L.randn(size=(4, 3, 16, 16))
        test_image = images[0]
        p(f"Image batch shape: {images.shape} -> [batch_size, color_channels, height, width]")
        p(f"Single image shape: {test_image.shape} -> [color_channels, height, width]")
        L.manual_seed(42)
        conv_layer = nn.Conv2d(in_channels=3, out_channels=10, kernel_size=3, stride=1, padding=0)
        out = conv_layer(test_image)
        p(out.shape)
        p(conv_layer(test_image.unsqueeze(dim=0)).shape)
        L.manual_seed(42)
        conv_layer_2 = nn.Conv2d(in_channels=3, out_channels=10, kernel_size=(5, 5), stride=2,
                                 padding=0)
        p(conv_layer_2(test_image.unsqueeze(dim=0)).shape)
        p(f"conv_layer_2 weight shape: \n{conv_layer_2.weight.shape} -> [out_channels=10, in_channels=3, kernel_size=5, kernel_size=5]")
        p(f"\nconv_layer_2 bias shape: \n{conv_layer_2.bias.shape} -> [out_channels=10]")
        p(list(conv_layer_2.state_dict().keys()))
        o.tryit(lambda: conv_layer(L.randn(2, 1, 16, 16)))
        o.tryit(lambda: conv_layer(L.randn(3, 2, 2)))
        p(f"Test image original shape: {test_image.shape}")
        p(f"Test image with unsqueezed dimension: {test_image.unsqueeze(dim=0).shape}")
        max_pool_layer = nn.MaxPool2d(kernel_size=2)
        test_image_through_conv = conv_layer(test_image.unsqueeze(dim=0))
        p(f"Shape after going through conv_layer(): {test_image_through_conv.shape}")
        test_image_through_conv_and_max_pool = max_pool_layer(test_image_through_conv)
        p(f"Shape after going through conv_layer() and max_pool_layer(): {test_image_through_conv_and_max_pool.shape}")
        L.manual_seed(42)
        random_tensor = L.randn(size=(1, 1, 2, 2))
        p(f"Random tensor:\n{random_tensor}")
        p(f"Random tensor shape: {random_tensor.shape}")
        max_pool_tensor = max_pool_layer(random_tensor)
        p(f"\nMax pool tensor:\n{max_pool_tensor} <- this is the maximum value from random_tensor")
        p(f"Max pool tensor shape: {max_pool_tensor.shape}")
        o.tryit(lambda: model_2.classifier(L.randn(1, 10)))
        rand_image_tensor = L.randn(size=(1, 28, 28))
        p(model_2(rand_image_tensor.unsqueeze(0)).shape)
        o.vals += [out, test_image_through_conv_and_max_pool, max_pool_tensor]
        L.manual_seed(42)
        optimizer = L.optim.SGD(params=model_2.parameters(), lr=0.1)
        for epoch in range(2):
            p(f"Epoch: {epoch}\n---------")
            train_step(data_loader=train_dataloader, model=model_2, loss_fn=loss_fn,
                       optimizer=optimizer, accuracy_fn=acc_fn, device=device)
            test_step(data_loader=test_dataloader, model=model_2, loss_fn=loss_fn,
                      accuracy_fn=acc_fn, device=device)
        model_2_results = eval_model(model=model_2, data_loader=test_dataloader,
                                     loss_fn=loss_fn, accuracy_fn=acc_fn)

        def make_predictions(model, data: list, device=device):
            pred_probs = []
            model.eval()
            with L.inference_mode():
                for sample in data:
                    sample = L.unsqueeze(sample, dim=0).to(device)
                    pred_logit = model(sample)
                    pred_prob = L.softmax(pred_logit.squeeze(), dim=0)
                    pred_probs.append(pred_prob.cpu())
            return L.stack(pred_probs)

        import random
        random.seed(42)
        test_samples, test_labels = [], []
        for sample, label in random.sample(list(test_data), k=4):
            test_samples.append(sample)
            test_labels.append(label)
        p(f"Test sample image shape: {test_samples[0].shape}\nTest sample label: {test_labels[0]} ({class_names[test_labels[0]]})")
        pred_probs = make_predictions(model=model_2, data=test_samples)
        pred_classes = pred_probs.argmax(dim=1)
        p(pred_probs.shape, pred_classes, test_labels)
        y_preds = []
        model_2.eval()
        with L.inference_mode():
            for X, y in test_dataloader:
                X, y = X.to(device), y.to(device)
                y_logit = model_2(X)
                y_pred = L.softmax(y_logit, dim=1).argmax(dim=1)
                y_preds.append(y_pred.cpu())
        y_pred_tensor = L.cat(y_preds)
        p(y_pred_tensor, y_pred_tensor.dtype)
        with tempfile.TemporaryDirectory() as d:
            MODEL_SAVE_PATH = os.path.join(d, "03_pytorch_computer_vision_model_2.pth")
            L.save(obj=model_2.state_dict(), f=MODEL_SAVE_PATH)
            loaded_model_2 = FashionMNISTModelV2(input_shape=1, hidden_units=4,
                                                 output_shape=10)
            loaded_model_2.load_state_dict(L.load(f=MODEL_SAVE_PATH))
            loaded_model_2 = loaded_model_2.to(device)
        L.manual_seed(42)
        loaded_model_2_results = eval_model(model=loaded_model_2, data_loader=test_dataloader,
                                            loss_fn=loss_fn, accuracy_fn=acc_fn)
        p(L.isclose(L.tensor(model_2_results["model_loss"]),
                    L.tensor(loaded_model_2_results["model_loss"]), atol=1e-08, rtol=0.0001))
        o.vals += [pred_probs, L.tensor(model_2_results["model_loss"]),
                   model_2.classifier[1].weight, model_1.layer_stack[1].weight]
    return o.done()
