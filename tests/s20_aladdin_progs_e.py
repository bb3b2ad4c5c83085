"""aladdinpersson/Machine-Learning-Collection, ML/Pytorch/Basics as users type them (part
two): pytorch_simple_fullynet.py, pytorch_bidirectional_lstm.py,
set_deterministic_behavior/pytorch_set_seeds.py with pytorch_mixed_precision_example.py run
with the scaler and autocast disabled (no GPU), Imbalanced_classes/main.py
(WeightedRandomSampler) and pytorch_std_mean.py, MNIST / CIFAR10 / ImageFolder replaced by
seeded random tensors. For tests/test_programs_s20_aladdin.py."""

import os
import random

import numpy as np
from s16_yunjey_progs import Out


def simple_fullynet(L):
    """pytorch_simple_fullynet.py: the mps/cuda/cpu device pick, NN(784 -> 50 -> 10) with
    F.relu, Adam, check_accuracy returning num_correct / num_samples (a 0-d tensor) that the
    f-string formats with :.2f after *100."""
    torch, nn, optim, F = L, L.nn, L.optim, L.nn.functional
    with Out() as o:
        torch.manual_seed(0)

        class NN(nn.Module):
            def __init__(self, input_size, num_classes):
                super(NN, self).__init__()
                self.fc1 = nn.Linear(input_size, 50)
                self.fc2 = nn.Linear(50, num_classes)

            def forward(self, x):
                x = F.relu(self.fc1(x))
                x = self.fc2(x)
                return x

        device = "mps" if torch.backends.mps.is_available() else "cuda" if torch.cuda.is_available() else "cpu"
        input_size, num_classes, learning_rate, batch_size, num_epochs = 784, 10, 0.001, 16, 2
        train_dataset = torch.utils.data.TensorDataset(torch.rand(40, 1, 28, 28), torch.randint(0, 10, (40,)))
        test_dataset = torch.utils.data.TensorDataset(torch.rand(20, 1, 28, 28), torch.randint(0, 10, (20,)))
        train_loader = torch.utils.data.DataLoader(dataset=train_dataset, batch_size=batch_size, shuffle=True)
        test_loader = torch.utils.data.DataLoader(dataset=test_dataset, batch_size=batch_size, shuffle=True)
        model = NN(input_size=input_size, num_classes=num_classes).to(device)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=learning_rate)
        o.print(len(train_loader), len(test_loader), device)
        for epoch in range(num_epochs):
            for batch_idx, (data, targets) in enumerate(train_loader):
                data = data.to(device=device)
                targets = targets.to(device=device)
                data = data.reshape(data.shape[0], -1)
                scores = model(data)
                loss = criterion(scores, targets)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print(f"epoch {epoch} loss {loss:.4f}")

        def check_accuracy(loader, model):
            num_correct = 0
            num_samples = 0
            model.eval()
            with torch.no_grad():
                for x, y in loader:
                    x = x.to(device=device)
                    y = y.to(device=device)
                    x = x.reshape(x.shape[0], -1)
                    scores = model(x)
                    _, predictions = scores.max(1)
                    num_correct += (predictions == y).sum()
                    num_samples += predictions.size(0)
            model.train()
            return num_correct / num_samples

        acc = check_accuracy(train_loader, model)
        o.print(f"Accuracy on training set: {check_accuracy(train_loader, model)*100:.2f}")
        o.print(f"Accuracy on test set: {check_accuracy(test_loader, model)*100:.2f}")
        o.print(acc.dtype, acc.shape, repr(acc * 100), f"{acc}", f"{acc:.3f}")
        o.vals += [loss.detach(), acc]
    return o.done()


def bidirectional_lstm(L):
    """pytorch_bidirectional_lstm.py: BRNN with h0/c0 of num_layers * 2, out[:, -1, :]
    through Linear(hidden_size * 2), check_accuracy printing "Got {num_correct} / ..."."""
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        input_size, sequence_length, num_layers, hidden_size = 8, 8, 2, 12
        num_classes, learning_rate, batch_size, num_epochs = 10, 0.001, 8, 2

        class BRNN(nn.Module):
            def __init__(self, input_size, hidden_size, num_layers, num_classes):
                super(BRNN, self).__init__()
                self.hidden_size = hidden_size
                self.num_layers = num_layers
                self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, bidirectional=True)
                self.fc = nn.Linear(hidden_size * 2, num_classes)

            def forward(self, x):
                h0 = torch.zeros(self.num_layers * 2, x.size(0), self.hidden_size).to(device)
                c0 = torch.zeros(self.num_layers * 2, x.size(0), self.hidden_size).to(device)
                out, _ = self.lstm(x, (h0, c0))
                out = self.fc(out[:, -1, :])
                return out

        train_dataset = torch.utils.data.TensorDataset(torch.rand(24, 1, 8, 8), torch.randint(0, 10, (24,)))
        train_loader = torch.utils.data.DataLoader(dataset=train_dataset, batch_size=batch_size, shuffle=True)
        model = BRNN(input_size, hidden_size, num_layers, num_classes).to(device)
        o.print(model)
        o.print([(n, tuple(p.shape)) for n, p in model.lstm.named_parameters()][:5])
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
        num_correct = 0
        num_samples = 0
        model.eval()
        with torch.no_grad():
            for x, y in train_loader:
                x = x.to(device=device).squeeze(1)
                scores = model(x)
                _, predictions = scores.max(1)
                num_correct += (predictions == y).sum()
                num_samples += predictions.size(0)
            o.print(f"Got {num_correct} / {num_samples} with accuracy  \
              {float(num_correct)/float(num_samples)*100:.2f}")
        model.train()
        o.vals += [loss.detach(), model.lstm.weight_hh_l1_reverse]
    return o.done()


def seeds_and_mixed_precision(L):
    """pytorch_set_seeds.py's seed_everything (cudnn flags included) twice gives the same
    draws; then pytorch_mixed_precision_example.py's loop as written but with
    GradScaler(enabled=False) and autocast(enabled=False), as on a machine without CUDA."""
    torch, nn, optim, F = L, L.nn, L.optim, L.nn.functional
    with Out() as o:
        def seed_everything(seed=42):
            os.environ["PYTHONHASHSEED"] = str(seed)
            random.seed(seed)
            np.random.seed(seed)
            torch.manual_seed(seed)
            torch.cuda.manual_seed(seed)
            torch.cuda.manual_seed_all(seed)
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False

        seed_everything()
        a = (random.random(), np.random.rand(), torch.rand(3))
        seed_everything()
        b = (random.random(), np.random.rand(), torch.rand(3))
        o.print(a[0] == b[0], a[1] == b[1], torch.equal(a[2], b[2]), torch.backends.cudnn.deterministic)

        class CNN(nn.Module):
            def __init__(self, in_channels=1, num_classes=10):
                super(CNN, self).__init__()
                self.conv1 = nn.Conv2d(in_channels=1, out_channels=4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                self.pool = nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2))
                self.conv2 = nn.Conv2d(in_channels=4, out_channels=6, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                self.fc1 = nn.Linear(6 * 7 * 7, num_classes)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = self.pool(x)
                x = F.relu(self.conv2(x))
                x = self.pool(x)
                x = x.reshape(x.shape[0], -1)
                x = self.fc1(x)
                return x

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        o.print(device == "cuda", device == "cpu", device.type)
        model = CNN().to(device)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=3e-4)
        scaler = torch.amp.GradScaler("cuda", enabled=False)
        o.print(scaler.is_enabled(), scaler.get_scale())
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.rand(12, 1, 28, 28), torch.randint(0, 10, (12,))),
            batch_size=4, shuffle=True)
        for epoch in range(2):
            for batch_idx, (data, targets) in enumerate(loader):
                data = data.to(device=device)
                targets = targets.to(device=device)
                with torch.autocast(device_type="cuda", enabled=False):
                    scores = model(data)
                    loss = criterion(scores, targets)
                optimizer.zero_grad()
                scaled = scaler.scale(loss)
                scaled.backward()
                scaler.step(optimizer)
                scaler.update()
            o.print(f"epoch {epoch} loss {loss.item():.4f} {scaled is loss} {scores.dtype}")
        o.vals += [loss.detach(), model.fc1.bias]
    return o.done()


def imbalanced_classes(L):
    """Imbalanced_classes/main.py: class weights 1 / len(files), per-sample weights set in a
    loop over the dataset, WeightedRandomSampler(sample_weights, num_samples=len, replacement
    =True) in a DataLoader, label counts via torch.sum(labels == 0) accumulated over epochs."""
    torch = L
    from_data = L.utils.data
    with Out() as o:
        torch.manual_seed(0)
        labels = torch.tensor([0] * 18 + [1] * 2)
        dataset = from_data.TensorDataset(torch.rand(20, 3, 4, 4), labels)
        files_per_class = [18, 2]
        class_weights = []
        for n in files_per_class:
            class_weights.append(1 / n)
        sample_weights = [0] * len(dataset)
        for idx, (data, label) in enumerate(dataset):
            class_weight = class_weights[label]
            sample_weights[idx] = class_weight
        sampler = from_data.WeightedRandomSampler(sample_weights, num_samples=len(sample_weights), replacement=True)
        loader = from_data.DataLoader(dataset, batch_size=8, sampler=sampler)
        num_retrievers = 0
        num_elkhounds = 0
        for epoch in range(10):
            for data, labels in loader:
                num_retrievers += torch.sum(labels == 0)
                num_elkhounds += torch.sum(labels == 1)
        o.print(num_retrievers.item())
        o.print(num_elkhounds.item())
        o.print(len(loader), len(sampler), list(sampler)[:6])
        o.tryit(lambda: from_data.WeightedRandomSampler(sample_weights, num_samples=0))
        o.tryit(lambda: list(from_data.WeightedRandomSampler([1.0, -1.0], num_samples=2)))
        o.tryit(lambda: list(from_data.WeightedRandomSampler([[1.0, 1.0]], num_samples=2)))
        o.tryit(lambda: list(from_data.WeightedRandomSampler(torch.tensor([0.0, 0.0]), 3)))
        o.tryit(lambda: list(from_data.WeightedRandomSampler([1.0, 2.0], num_samples=4, replacement=False)))
        # class weighting, the file's second method
        loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 50.0]))
        logits = torch.randn(6, 2, requires_grad=True)
        loss = loss_fn(logits, torch.tensor([0, 0, 1, 0, 1, 0]))
        loss.backward()
        o.vals += [loss.detach(), logits.grad]
    return o.done()


def std_mean(L):
    """pytorch_std_mean.py: per-channel mean and std over a loader, torch.mean(data,
    dim=[0, 2, 3]) summed into Python-int accumulators, then (E[x^2] - E[x]^2) ** 0.5."""
    torch = L
    with Out() as o:
        torch.manual_seed(0)
        train_set = torch.utils.data.TensorDataset(torch.rand(40, 3, 8, 8), torch.zeros(40))
        train_loader = torch.utils.data.DataLoader(dataset=train_set, batch_size=8, shuffle=True)

        def get_mean_std(loader):
            channels_sum, channels_sqrd_sum, num_batches = 0, 0, 0
            for data, _ in loader:
                channels_sum += torch.mean(data, dim=[0, 2, 3])
                channels_sqrd_sum += torch.mean(data ** 2, dim=[0, 2, 3])
                num_batches += 1
            mean = channels_sum / num_batches
            std = (channels_sqrd_sum / num_batches - mean ** 2) ** 0.5
            return mean, std

        mean, std = get_mean_std(train_loader)
        o.print(mean)
        o.print(std)
        data = train_set.tensors[0]
        o.print(torch.std_mean(data, dim=(0, 2, 3)))
        o.print(torch.var_mean(data, dim=[0, 2, 3], unbiased=False)[0].shape)
        o.print(data.std(dim=[0, 2, 3], keepdim=True).shape)
        o.vals += [mean, std, data.std(dim=(0, 2, 3), correction=0)]
    return o.done()
