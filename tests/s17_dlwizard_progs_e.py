""""Deep Learning with PyTorch: Zero to GANs" notebooks 03-06 (aakashns / jovian: MNIST logistic
regression with training_step / validation_step methods and random_split, the feedforward
net with DeviceDataLoader, the CIFAR10 CNN, ResNet9 with fit_one_cycle and the anime DCGAN)
as users type them, on tiny random images in place of the torchvision datasets, a couple of
steps, as ``prog(L) -> (printed, values)`` for tests/test_programs_s17_dlwizard.py."""

import numpy as np
from s16_yunjey_progs import Out


def _images(L, n, c, side, seed, classes=10):
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.integers(0, 256, (n, c, side, side), dtype=np.uint8)).float() / 255
    return L.utils.data.TensorDataset(x, L.from_numpy(rng.integers(0, classes, n)))


def _base(L):
    """The notebooks' ImageClassificationBase (MnistModel methods) and fit / evaluate."""
    torch, nn, F = L, L.nn, L.nn.functional

    def accuracy(outputs, labels):
        _, preds = torch.max(outputs, dim=1)
        return torch.tensor(torch.sum(preds == labels).item() / len(preds))

    class ImageClassificationBase(nn.Module):
        def training_step(self, batch):
            images, labels = batch
            out = self(images)                  # Generate predictions
            loss = F.cross_entropy(out, labels)  # Calculate loss
            return loss

        def validation_step(self, batch):
            images, labels = batch
            out = self(images)
            loss = F.cross_entropy(out, labels)
            acc = accuracy(out, labels)
            return {'val_loss': loss.detach(), 'val_acc': acc}

        def validation_epoch_end(self, outputs):
            batch_losses = [x['val_loss'] for x in outputs]
            epoch_loss = torch.stack(batch_losses).mean()   # Combine losses
            batch_accs = [x['val_acc'] for x in outputs]
            epoch_acc = torch.stack(batch_accs).mean()      # Combine accuracies
            return {'val_loss': epoch_loss.item(), 'val_acc': epoch_acc.item()}

    @torch.no_grad()
    def evaluate(model, val_loader):
        model.eval()
        outputs = [model.validation_step(batch) for batch in val_loader]
        return model.validation_epoch_end(outputs)

    return accuracy, ImageClassificationBase, evaluate


def gans_logistic(L):
    torch, nn, F = L, L.nn, L.nn.functional
    random_split, DataLoader = L.utils.data.random_split, L.utils.data.DataLoader
    with Out() as o:
        torch.manual_seed(0)
        dataset = _images(L, 30, 1, 28, 0)
        o.print(len(dataset))
        image, label = dataset[0]
        o.print(image.shape, label)
        o.print(repr(image[0, 10:12, 10:13]), torch.max(image), torch.min(image))
        train_ds, val_ds = random_split(dataset, [20, 10])
        o.print(len(train_ds), len(val_ds), list(train_ds.indices)[:5])
        o.tryit(lambda: random_split(dataset, [20, 11]))
        o.print([len(s) for s in random_split(dataset, [0.5, 0.3, 0.2])])
        batch_size = 8
        train_loader = DataLoader(train_ds, batch_size, shuffle=True)
        val_loader = DataLoader(val_ds, batch_size)
        input_size = 28 * 28
        num_classes = 10
        accuracy, Base, evaluate = _base(L)

        class MnistModel(Base):
            def __init__(self):
                super().__init__()
                self.linear = nn.Linear(input_size, num_classes)

            def forward(self, xb):
                xb = xb.reshape(-1, 784)
                out = self.linear(xb)
                return out

            def epoch_end(self, epoch, result):
                o.print("Epoch [{}], val_loss: {:.4f}, val_acc: {:.4f}".format(
                    epoch, result['val_loss'], result['val_acc']))

        model = MnistModel()
        o.print(model.linear.weight.shape, model.linear.bias.shape)
        o.print(len(list(model.parameters())))
        for images, labels in train_loader:
            o.print(images.shape)
            outputs = model(images)
            break
        o.print('outputs.shape : ', outputs.shape)
        probs = F.softmax(outputs, dim=1)
        o.print("Sum: {:.4f}".format(torch.sum(probs[0]).item()))
        max_probs, preds = torch.max(probs, dim=1)
        o.print(preds)
        o.print(repr(accuracy(outputs, labels)))
        loss_fn = F.cross_entropy
        loss = loss_fn(outputs, labels)
        o.print('{:.4f}'.format(loss.item()))

        def fit(epochs, lr, model, train_loader, val_loader, opt_func=torch.optim.SGD):
            optimizer = opt_func(model.parameters(), lr)
            history = []  # for recording epoch-wise results
            for epoch in range(epochs):
                model.train()
                for batch in train_loader:
                    loss = model.training_step(batch)
                    loss.backward()
                    optimizer.step()
                    optimizer.zero_grad()
                result = evaluate(model, val_loader)
                model.epoch_end(epoch, result)
                history.append(result)
            return history

        result0 = evaluate(model, val_loader)
        o.print(sorted(result0))
        history = [result0] + fit(2, 0.001, model, train_loader, val_loader)
        accuracies = [result['val_acc'] for result in history]
        o.vals += [[r['val_loss'] for r in history], accuracies]

        def predict_image(img, model):
            xb = img.unsqueeze(0)
            yb = model(xb)
            _, preds = torch.max(yb, dim=1)
            return preds[0].item()

        img, label = val_ds[0]
        o.print('Label:', label, ', Predicted:', predict_image(img, model))
        o.print(list(model.state_dict()))
        import io
        buf = io.BytesIO()
        torch.save(model.state_dict(), buf)
        buf.seek(0)
        model2 = MnistModel()
        o.print(model2.load_state_dict(torch.load(buf)))
        o.print(sorted(evaluate(model2, val_loader)) == sorted(history[-1]))
        o.vals += list(model2.parameters())
    return o.done()


def gans_feedforward(L):
    torch, nn, F = L, L.nn, L.nn.functional
    DataLoader = L.utils.data.DataLoader
    with Out() as o:
        torch.manual_seed(1)
        train_ds, val_ds = L.utils.data.random_split(_images(L, 30, 1, 28, 1), [20, 10])
        batch_size = 8
        train_loader = DataLoader(train_ds, batch_size, shuffle=True, num_workers=0,
                                  pin_memory=False)
        val_loader = DataLoader(val_ds, batch_size * 2, num_workers=0, pin_memory=False)
        for images, _ in train_loader:
            o.print('images.shape:', images.shape)
            break
        accuracy, Base, evaluate = _base(L)

        class MnistModel(Base):
            """Feedfoward neural network with 1 hidden layer"""
            def __init__(self, in_size, hidden_size, out_size):
                super().__init__()
                self.linear1 = nn.Linear(in_size, hidden_size)
                self.linear2 = nn.Linear(hidden_size, out_size)

            def forward(self, xb):
                xb = xb.view(xb.size(0), -1)
                out = self.linear1(xb)
                out = F.relu(out)
                out = self.linear2(out)
                return out

            def epoch_end(self, epoch, result):
                o.print("Epoch [{}], val_loss: {:.4f}, val_acc: {:.4f}".format(
                    epoch, result['val_loss'], result['val_acc']))

        def get_default_device():
            """Pick GPU if available, else CPU"""
            if torch.cuda.is_available():
                return torch.device('cuda')
            else:
                return torch.device('cpu')

        def to_device(data, device):
            """Move tensor(s) to chosen device"""
            if isinstance(data, (list, tuple)):
                return [to_device(x, device) for x in data]
            return data.to(device, non_blocking=True)

        class DeviceDataLoader():
            """Wrap a dataloader to move data to a device"""
            def __init__(self, dl, device):
                self.dl = dl
                self.device = device

            def __iter__(self):
                """Yield a batch of data after moving it to device"""
                for b in self.dl:
                    yield to_device(b, self.device)

            def __len__(self):
                """Number of batches"""
                return len(self.dl)

        device = get_default_device()
        o.print(device)
        for images, labels in train_loader:
            o.print(images.shape)
            images = to_device(images, device)
            o.print(images.device)
            break
        train_loader = DeviceDataLoader(train_loader, device)
        val_loader = DeviceDataLoader(val_loader, device)
        for xb, yb in val_loader:
            o.print('xb.device:', xb.device)
            o.print('yb:', yb)
            break
        model = MnistModel(784, hidden_size=32, out_size=10)
        to_device(model, device)
        for t in model.parameters():
            o.print(t.shape)
        for images, labels in train_loader:
            outputs = model(images)
            loss = F.cross_entropy(outputs, labels)
            o.print('Loss: {:.4f}'.format(loss.item()))
            break
        o.print('outputs.shape : ', outputs.shape)
        o.print('Sample outputs :\n', outputs[:2].data.shape)
        history = [evaluate(model, val_loader)]
        optimizer = torch.optim.SGD(model.parameters(), 0.5)
        for epoch in range(2):
            model.train()
            for batch in train_loader:
                loss = model.training_step(batch)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
            result = evaluate(model, val_loader)
            model.epoch_end(epoch, result)
            history.append(result)
        o.print(model.training)
        o.vals += [[r['val_loss'] for r in history], [r['val_acc'] for r in history]]
        o.vals += list(model.parameters())
    return o.done()
