# ruff: noqa: E501 - the notebooks' f-strings, as users type them
"""mrdbourke/pytorch-deep-learning: 04_pytorch_custom_datasets.ipynb (a Dataset subclass in
ImageFolderCustom's shape over random images, TinyVGG trained with the train/test step
functions, the results dict), 06_pytorch_transfer_learning.ipynb (freezing a feature extractor
and replacing the classifier with Dropout(p=0.2, inplace=True) + Linear; a tiny conv base in
place of EfficientNet) and extras/solutions/02 (the spiral data with Adam, tanh by hand), as
users type them, at small sizes."""

import numpy as np
from s16_yunjey_progs import Out


def custom_datasets(L):
    nn = L.nn
    from typing import List, Tuple

    class ImageFolderCustom(L.utils.data.Dataset):
        def __init__(self, images: np.ndarray, targets: List[int], transform=None) -> None:
            self.images = images
            self.classes, self.class_to_idx = ["pizza", "steak", "sushi"], \
                {"pizza": 0, "steak": 1, "sushi": 2}
            self.targets = targets
            self.transform = transform

        def load_image(self, index: int):
            return self.images[index]

        def __len__(self) -> int:
            return len(self.images)

        def __getitem__(self, index: int) -> Tuple[L.Tensor, int]:
            img = self.load_image(index)
            class_idx = self.targets[index]
            if self.transform:
                return self.transform(img), class_idx
            return L.from_numpy(img), class_idx

    def to_tensor(img):
        return L.from_numpy(img).permute(2, 0, 1).float() / 255

    rng = np.random.default_rng(4)
    train_imgs = rng.integers(0, 256, (9, 16, 16, 3), dtype=np.uint8)
    test_imgs = rng.integers(0, 256, (6, 16, 16, 3), dtype=np.uint8)
    with Out() as o:
        p = o.print
        train_data_custom = ImageFolderCustom(train_imgs, [int(i) for i in rng.integers(0, 3, 9)],
                                              transform=to_tensor)
        test_data_custom = ImageFolderCustom(test_imgs, [int(i) for i in rng.integers(0, 3, 6)],
                                             transform=to_tensor)
        p(len(train_data_custom), len(test_data_custom), train_data_custom.classes,
          train_data_custom.class_to_idx)
        img, label = train_data_custom[0]
        p(f"Image tensor:\n{img[:, :2, :2]}")
        p(f"Image shape: {img.shape}")
        p(f"Image datatype: {img.dtype}")
        p(f"Image label: {label}")
        p(f"Label datatype: {type(label)}")
        img_permute = img.permute(1, 2, 0)
        p(f"Original shape: {img.shape} -> [color_channels, height, width]")
        p(f"Image permute shape: {img_permute.shape} -> [height, width, color_channels]")
        raw, _ = ImageFolderCustom(train_imgs, [0] * 9)[0]
        p(raw.dtype, raw.shape)
        L.manual_seed(42)
        train_dataloader_custom = L.utils.data.DataLoader(dataset=train_data_custom,
                                                          batch_size=3, num_workers=0,
                                                          shuffle=True)
        test_dataloader_custom = L.utils.data.DataLoader(dataset=test_data_custom,
                                                         batch_size=3, num_workers=0,
                                                         shuffle=False)
        img_custom, label_custom = next(iter(train_dataloader_custom))
        p(f"Image shape: {img_custom.shape} -> [batch_size, color_channels, height, width]")
        p(f"Label shape: {label_custom.shape}", label_custom.dtype, label_custom)

        class TinyVGG(nn.Module):
            def __init__(self, input_shape: int, hidden_units: int, output_shape: int) -> None:
                super().__init__()
                self.conv_block_1 = nn.Sequential(
                    nn.Conv2d(input_shape, hidden_units, kernel_size=3, stride=1, padding=1),
                    nn.ReLU(),
                    nn.Conv2d(hidden_units, hidden_units, kernel_size=3, stride=1, padding=1),
                    nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=2))
                self.conv_block_2 = nn.Sequential(
                    nn.Conv2d(hidden_units, hidden_units, kernel_size=3, padding=1), nn.ReLU(),
                    nn.Conv2d(hidden_units, hidden_units, kernel_size=3, padding=1), nn.ReLU(),
                    nn.MaxPool2d(2))
                self.classifier = nn.Sequential(
                    nn.Flatten(), nn.Linear(in_features=hidden_units * 4 * 4,
                                            out_features=output_shape))

            def forward(self, x: L.Tensor):
                return self.classifier(self.conv_block_2(self.conv_block_1(x)))

        L.manual_seed(42)
        model_0 = TinyVGG(input_shape=3, hidden_units=5,
                          output_shape=len(train_data_custom.classes))
        p(model_0)
        img_batch, label_batch = next(iter(train_dataloader_custom))
        img_single, label_single = img_batch[0].unsqueeze(dim=0), label_batch[0]
        model_0.eval()
        with L.inference_mode():
            pred = model_0(img_single)
        p(f"Output prediction probabilities:\n{L.softmax(pred, dim=1)}\n")
        p(f"Output prediction label:\n{L.argmax(L.softmax(pred, dim=1), dim=1)}\n")
        p(f"Actual label:\n{label_single}")

        def train_step(model, dataloader, loss_fn, optimizer):
            model.train()
            train_loss, train_acc = 0, 0
            for batch, (X, y) in enumerate(dataloader):
                y_pred = model(X)
                loss = loss_fn(y_pred, y)
                train_loss += loss.item()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                y_pred_class = L.argmax(L.softmax(y_pred, dim=1), dim=1)
                train_acc += (y_pred_class == y).sum().item() / len(y_pred)
            return train_loss / len(dataloader), train_acc / len(dataloader)

        def test_step(model, dataloader, loss_fn):
            model.eval()
            test_loss, test_acc = 0, 0
            with L.inference_mode():
                for batch, (X, y) in enumerate(dataloader):
                    test_pred_logits = model(X)
                    loss = loss_fn(test_pred_logits, y)
                    test_loss += loss.item()
                    test_pred_labels = test_pred_logits.argmax(dim=1)
                    test_acc += ((test_pred_labels == y).sum().item() / len(test_pred_labels))
            return test_loss / len(dataloader), test_acc / len(dataloader)

        def train(model, train_dataloader, test_dataloader, optimizer,
                  loss_fn=nn.CrossEntropyLoss(), epochs: int = 5):
            results = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
            for epoch in range(epochs):
                train_loss, train_acc = train_step(model=model, dataloader=train_dataloader,
                                                   loss_fn=loss_fn, optimizer=optimizer)
                test_loss, test_acc = test_step(model=model, dataloader=test_dataloader,
                                                loss_fn=loss_fn)
                p(f"Epoch: {epoch+1} | train_loss: {train_loss:.4f} | train_acc: {train_acc:.4f} | test_loss: {test_loss:.4f} | test_acc: {test_acc:.4f}")
                results["train_loss"].append(train_loss.item() if isinstance(train_loss, L.Tensor) else train_loss)
                results["train_acc"].append(train_acc)
                results["test_loss"].append(test_loss)
                results["test_acc"].append(test_acc)
            return results

        L.manual_seed(42)
        model_0 = TinyVGG(input_shape=3, hidden_units=5, output_shape=3)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(params=model_0.parameters(), lr=0.001)
        model_0_results = train(model=model_0, train_dataloader=train_dataloader_custom,
                                test_dataloader=test_dataloader_custom, optimizer=optimizer,
                                loss_fn=loss_fn, epochs=3)
        p(list(model_0_results.keys()), range(len(model_0_results["train_loss"])))
        o.vals += [L.tensor(model_0_results["train_loss"]), model_0.classifier[1].weight]
        # 06: transfer learning's freeze and new head
        L.manual_seed(42)
        model = nn.Sequential()
        model.features = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.SiLU(),
                                       nn.BatchNorm2d(8))
        model.avgpool = nn.AdaptiveAvgPool2d(output_size=1)
        model.flatten = nn.Flatten()
        model.classifier = nn.Sequential(nn.Dropout(p=0.2, inplace=True),
                                         nn.Linear(in_features=8, out_features=1000))
        for param in model.features.parameters():
            param.requires_grad = False
        L.manual_seed(42)
        output_shape = len(train_data_custom.classes)
        model.classifier = nn.Sequential(
            nn.Dropout(p=0.2, inplace=True),
            nn.Linear(in_features=8, out_features=output_shape, bias=True))
        p(model)
        p([(n, p_.requires_grad) for n, p_ in model.named_parameters()])
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        results = train(model=model, train_dataloader=train_dataloader_custom,
                        test_dataloader=test_dataloader_custom, optimizer=optimizer,
                        loss_fn=loss_fn, epochs=2)
        p(model.features[2].running_mean.shape, model.features[2].num_batches_tracked)
        o.vals += [model.classifier[1].weight, model.features[2].running_var,
                   L.tensor(results["test_loss"])]
    return o.done()


def spiral(L):
    nn = L.nn
    with Out() as o:
        p = o.print
        N, D, K = 20, 2, 3
        rng = np.random.default_rng(0)
        X = np.zeros((N * K, D))
        y = np.zeros(N * K, dtype="uint8")
        for j in range(K):
            ix = range(N * j, N * (j + 1))
            r = np.linspace(0.0, 1, N)
            t = np.linspace(j * 4, (j + 1) * 4, N) + rng.standard_normal(N) * 0.2
            X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
            y[ix] = j
        X = L.from_numpy(X).type(L.float)
        y = L.from_numpy(y).type(L.LongTensor)
        p(X[:3], y[:5], y.dtype)
        A = L.arange(-10, 10, 1, dtype=L.float32)

        def tanh(z):
            return (L.exp(z) - L.exp(-z)) / (L.exp(z) + L.exp(-z))
        p(tanh(A), L.tanh(A))
        o.vals += [tanh(A), L.tanh(A)]

        class SpiralModel(nn.Module):
            def __init__(self):
                super().__init__()
                self.linear1 = nn.Linear(in_features=2, out_features=10)
                self.linear2 = nn.Linear(in_features=10, out_features=10)
                self.linear3 = nn.Linear(in_features=10, out_features=3)
                self.relu = nn.ReLU()

            def forward(self, x):
                return self.linear3(self.relu(self.linear2(self.relu(self.linear1(x)))))

        L.manual_seed(42)
        model_1 = SpiralModel()
        p(model_1)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model_1.parameters(), lr=0.02)
        # 20 epochs: at step 25 a dead ReLU unit wakes at 1e-5, a cancellation whose last
        # bits (OpenBLAS against MKL) Adam's first step on it scales up to 1e-4
        for epoch in range(20):
            model_1.train()
            y_logits = model_1(X)
            y_pred = L.softmax(y_logits, dim=1).argmax(dim=1)
            loss = loss_fn(y_logits, y)
            acc = (y_pred == y).sum().item() / len(y) * 100
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if epoch % 10 == 0:
                p(f"Epoch: {epoch} | Loss: {loss:.4f}, Acc: {acc:.2f}")
        o.vals += [model_1.linear3.weight, loss]
    return o.done()
