"""adambielski/siamese-triplet's training side as users copy it: networks.py (EmbeddingNet
with PReLU, EmbeddingNetL2's in-place division, ClassificationNet, SiameseNet,
TripletNet), datasets.py (SiameseMNIST / TripletMNIST pairing and BalancedBatchSampler,
over random 28x28 uint8 images in place of MNIST and without PIL), metrics.py
(AccumulatedAccuracyMetric, AverageNonzeroTripletsMetric) and trainer.py's fit /
train_epoch / test_epoch (StepLR stepped at each epoch's start, as it is there)."""

import numpy as np
from s16_yunjey_progs import Out
from s21_metric_progs_b import _lib


def _networks(L):
    nn, F = L.nn, L.nn.functional

    class EmbeddingNet(nn.Module):
        def __init__(self):
            super(EmbeddingNet, self).__init__()
            self.convnet = nn.Sequential(nn.Conv2d(1, 8, 5), nn.PReLU(),
                                         nn.MaxPool2d(2, stride=2),
                                         nn.Conv2d(8, 16, 5), nn.PReLU(),
                                         nn.MaxPool2d(2, stride=2))
            self.fc = nn.Sequential(nn.Linear(16 * 4 * 4, 32),
                                    nn.PReLU(),
                                    nn.Linear(32, 32),
                                    nn.PReLU(),
                                    nn.Linear(32, 2))

        def forward(self, x):
            output = self.convnet(x)
            output = output.view(output.size()[0], -1)
            output = self.fc(output)
            return output

        def get_embedding(self, x):
            return self.forward(x)

    class EmbeddingNetL2(EmbeddingNet):
        def __init__(self):
            super(EmbeddingNetL2, self).__init__()

        def forward(self, x):
            output = super(EmbeddingNetL2, self).forward(x)
            output /= output.pow(2).sum(1, keepdim=True).sqrt()
            return output

    class ClassificationNet(nn.Module):
        def __init__(self, embedding_net, n_classes):
            super(ClassificationNet, self).__init__()
            self.embedding_net = embedding_net
            self.n_classes = n_classes
            self.nonlinear = nn.PReLU()
            self.fc1 = nn.Linear(2, n_classes)

        def forward(self, x):
            output = self.embedding_net(x)
            output = self.nonlinear(output)
            scores = F.log_softmax(self.fc1(output), dim=-1)
            return scores

        def get_embedding(self, x):
            return self.nonlinear(self.embedding_net(x))

    class SiameseNet(nn.Module):
        def __init__(self, embedding_net):
            super(SiameseNet, self).__init__()
            self.embedding_net = embedding_net

        def forward(self, x1, x2):
            return self.embedding_net(x1), self.embedding_net(x2)

        def get_embedding(self, x):
            return self.embedding_net(x)

    class TripletNet(nn.Module):
        def __init__(self, embedding_net):
            super(TripletNet, self).__init__()
            self.embedding_net = embedding_net

        def forward(self, x1, x2, x3):
            return self.embedding_net(x1), self.embedding_net(x2), self.embedding_net(x3)

        def get_embedding(self, x):
            return self.embedding_net(x)

    return EmbeddingNet, EmbeddingNetL2, ClassificationNet, SiameseNet, TripletNet


class AccumulatedAccuracyMetric:
    def __init__(self):
        self.correct = 0
        self.total = 0

    def __call__(self, outputs, target, loss):
        pred = outputs[0].data.max(1, keepdim=True)[1]
        self.correct += pred.eq(target[0].data.view_as(pred)).cpu().sum()
        self.total += target[0].size(0)
        return self.value()

    def reset(self):
        self.correct = 0
        self.total = 0

    def value(self):
        return 100 * float(self.correct) / self.total

    def name(self):
        return 'Accuracy'


class AverageNonzeroTripletsMetric:
    def __init__(self):
        self.values = []

    def __call__(self, outputs, target, loss):
        self.values.append(loss[1])
        return self.value()

    def reset(self):
        self.values = []

    def value(self):
        return np.mean(self.values)

    def name(self):
        return 'Average nonzero triplets'


def _trainer(L, o):
    torch = L

    def fit(train_loader, val_loader, model, loss_fn, optimizer, scheduler, n_epochs, cuda,
            log_interval, metrics=[], start_epoch=0):
        for epoch in range(0, start_epoch):
            scheduler.step()
        for epoch in range(start_epoch, n_epochs):
            scheduler.step()
            train_loss, metrics = train_epoch(train_loader, model, loss_fn, optimizer, cuda,
                                              log_interval, metrics)
            message = 'Epoch: {}/{}. Train set: Average loss: {:.4f}'.format(epoch + 1, n_epochs, train_loss)
            for metric in metrics:
                message += '\t{}: {}'.format(metric.name(), metric.value())
            val_loss, metrics = test_epoch(val_loader, model, loss_fn, cuda, metrics)
            val_loss /= len(val_loader)
            message += '\nEpoch: {}/{}. Validation set: Average loss: {:.4f}'.format(epoch + 1, n_epochs,
                                                                                     val_loss)
            for metric in metrics:
                message += '\t{}: {}'.format(metric.name(), metric.value())
            o.print(message)

    def train_epoch(train_loader, model, loss_fn, optimizer, cuda, log_interval, metrics):
        for metric in metrics:
            metric.reset()
        model.train()
        losses = []
        total_loss = 0
        for batch_idx, (data, target) in enumerate(train_loader):
            target = target if len(target) > 0 else None
            if not type(data) in (tuple, list):
                data = (data,)
            optimizer.zero_grad()
            outputs = model(*data)
            if type(outputs) not in (tuple, list):
                outputs = (outputs,)
            loss_inputs = outputs
            if target is not None:
                target = (target,)
                loss_inputs += target
            loss_outputs = loss_fn(*loss_inputs)
            loss = loss_outputs[0] if type(loss_outputs) in (tuple, list) else loss_outputs
            losses.append(loss.item())
            total_loss += loss.item()
            loss.backward()
            optimizer.step()
            for metric in metrics:
                metric(outputs, target, loss_outputs)
            if batch_idx % log_interval == 0:
                message = 'Train: [{}/{} ({:.0f}%)]\tLoss: {:.4f}'.format(
                    batch_idx * len(data[0]), len(train_loader.dataset),
                    100. * batch_idx / len(train_loader), np.mean(losses))
                for metric in metrics:
                    message += '\t{}: {}'.format(metric.name(), metric.value())
                o.print(message)
                losses = []
        total_loss /= (batch_idx + 1)
        return total_loss, metrics

    def test_epoch(val_loader, model, loss_fn, cuda, metrics):
        with torch.no_grad():
            for metric in metrics:
                metric.reset()
            model.eval()
            val_loss = 0
            for batch_idx, (data, target) in enumerate(val_loader):
                target = target if len(target) > 0 else None
                if not type(data) in (tuple, list):
                    data = (data,)
                outputs = model(*data)
                if type(outputs) not in (tuple, list):
                    outputs = (outputs,)
                loss_inputs = outputs
                if target is not None:
                    target = (target,)
                    loss_inputs += target
                loss_outputs = loss_fn(*loss_inputs)
                loss = loss_outputs[0] if type(loss_outputs) in (tuple, list) else loss_outputs
                val_loss += loss.item()
                for metric in metrics:
                    metric(outputs, target, loss_outputs)
        return val_loss, metrics

    return fit


def _datasets(L):
    Dataset = L.utils.data.Dataset
    BatchSampler = L.utils.data.BatchSampler

    class FakeMNIST(Dataset):
        def __init__(self, n, train, seed):
            rng = np.random.default_rng(seed)
            self.train = train
            self.data = L.from_numpy(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
            self.targets = L.from_numpy(np.arange(n) % 4)
            self.train_labels = self.test_labels = self.targets
            self.train_data = self.test_data = self.data

        def transform(self, img):  # ToTensor + Normalize((0.1307,), (0.3081,))
            return ((img.float() / 255) - 0.1307).div(0.3081).unsqueeze(0)

        def __getitem__(self, index):
            return self.transform(self.data[index]), self.targets[index].item()

        def __len__(self):
            return len(self.data)

    class SiameseMNIST(Dataset):
        def __init__(self, mnist_dataset):
            self.mnist_dataset = mnist_dataset
            self.train = self.mnist_dataset.train
            self.transform = self.mnist_dataset.transform
            self.train_labels = self.mnist_dataset.train_labels
            self.train_data = self.mnist_dataset.train_data
            self.labels_set = set(self.train_labels.numpy())
            self.label_to_indices = {label: np.where(self.train_labels.numpy() == label)[0]
                                     for label in self.labels_set}

        def __getitem__(self, index):
            target = np.random.randint(0, 2)
            img1, label1 = self.train_data[index], self.train_labels[index].item()
            if target == 1:
                siamese_index = index
                while siamese_index == index:
                    siamese_index = np.random.choice(self.label_to_indices[label1])
            else:
                siamese_label = np.random.choice(list(self.labels_set - set([label1])))
                siamese_index = np.random.choice(self.label_to_indices[siamese_label])
            img2 = self.train_data[siamese_index]
            return (self.transform(img1), self.transform(img2)), target

        def __len__(self):
            return len(self.mnist_dataset)

    class TripletMNIST(SiameseMNIST):
        def __getitem__(self, index):
            img1, label1 = self.train_data[index], self.train_labels[index].item()
            positive_index = index
            while positive_index == index:
                positive_index = np.random.choice(self.label_to_indices[label1])
            negative_label = np.random.choice(list(self.labels_set - set([label1])))
            negative_index = np.random.choice(self.label_to_indices[negative_label])
            img2 = self.train_data[positive_index]
            img3 = self.train_data[negative_index]
            return (self.transform(img1), self.transform(img2), self.transform(img3)), []

    class BalancedBatchSampler(BatchSampler):
        def __init__(self, dataset, n_classes, n_samples):
            self.labels = dataset.train_labels if dataset.train else dataset.test_labels
            self.labels_set = list(set(self.labels.numpy()))
            self.label_to_indices = {label: np.where(self.labels.numpy() == label)[0]
                                     for label in self.labels_set}
            for l in self.labels_set:
                np.random.shuffle(self.label_to_indices[l])
            self.used_label_indices_count = {label: 0 for label in self.labels_set}
            self.count = 0
            self.n_classes = n_classes
            self.n_samples = n_samples
            self.dataset = dataset
            self.batch_size = self.n_samples * self.n_classes

        def __iter__(self):
            self.count = 0
            while self.count + self.batch_size < len(self.dataset):
                classes = np.random.choice(self.labels_set, self.n_classes, replace=False)
                indices = []
                for class_ in classes:
                    indices.extend(self.label_to_indices[class_][
                                   self.used_label_indices_count[class_]:self.used_label_indices_count[
                                                                             class_] + self.n_samples])
                    self.used_label_indices_count[class_] += self.n_samples
                    if self.used_label_indices_count[class_] + self.n_samples > len(self.label_to_indices[class_]):
                        np.random.shuffle(self.label_to_indices[class_])
                        self.used_label_indices_count[class_] = 0
                yield indices
                self.count += self.n_classes * self.n_samples

        def __len__(self):
            return len(self.dataset) // self.batch_size

    return FakeMNIST, SiameseMNIST, TripletMNIST, BalancedBatchSampler


def fit_all(L):
    """The notebook's four experiments, one epoch or two each on 24 images: softmax
    (ClassificationNet + NLLLoss + accuracy), Siamese (ContrastiveLoss), triplet
    (TripletLoss) and online triplet mining (BalancedBatchSampler, OnlineTripletLoss
    with the semihard selector, AverageNonzeroTripletsMetric), Adam + StepLR."""
    torch, optim = L, L.optim
    lr_scheduler = optim.lr_scheduler
    DataLoader = torch.utils.data.DataLoader
    U = _lib(L)
    EmbeddingNet, EmbeddingNetL2, ClassificationNet, SiameseNet, TripletNet = _networks(L)
    FakeMNIST, SiameseMNIST, TripletMNIST, BalancedBatchSampler = _datasets(L)
    with Out() as o:
        torch.manual_seed(2)
        np.random.seed(2)
        fit = _trainer(L, o)

        def extract_embeddings(dataloader, model):
            with torch.no_grad():
                model.eval()
                embeddings = np.zeros((len(dataloader.dataset), 2))
                labels = np.zeros(len(dataloader.dataset))
                k = 0
                for images, target in dataloader:
                    if cuda:
                        images = images.cuda()
                    embeddings[k:k+len(images)] = model.get_embedding(images).data.cpu().numpy()
                    labels[k:k+len(images)] = target.numpy()
                    k += len(images)
            return embeddings, labels
        train_dataset, test_dataset = FakeMNIST(24, True, 0), FakeMNIST(12, False, 1)
        kwargs = {}
        cuda = False
        for exp in ('softmax', 'siamese', 'triplet', 'online'):
            if exp == 'softmax':
                train_loader = DataLoader(train_dataset, batch_size=8, shuffle=True, **kwargs)
                test_loader = DataLoader(test_dataset, batch_size=8, shuffle=False, **kwargs)
                model = ClassificationNet(EmbeddingNet(), n_classes=4)
                loss_fn, metrics = torch.nn.NLLLoss(), [AccumulatedAccuracyMetric()]
            elif exp in ('siamese', 'triplet'):
                Wrap = SiameseMNIST if exp == 'siamese' else TripletMNIST
                train_loader = DataLoader(Wrap(train_dataset), batch_size=8, shuffle=True, **kwargs)
                test_loader = DataLoader(Wrap(test_dataset), batch_size=8, shuffle=False, **kwargs)
                if exp == 'siamese':
                    model, loss_fn = SiameseNet(EmbeddingNet()), U['ContrastiveLoss'](1.)
                else:
                    model, loss_fn = TripletNet(EmbeddingNet()), U['TripletLoss'](1.)
                    l2 = TripletNet(EmbeddingNetL2())  # its in-place division: autograd refuses
                    x3 = [train_dataset[i][0].unsqueeze(0) for i in (0, 4, 1)]
                    o.tryit(lambda: loss_fn(*l2(*x3)).backward())
                    with torch.no_grad():
                        o.print(l2.embedding_net(x3[0]).norm(dim=1))
                metrics = []
            else:
                train_batch_sampler = BalancedBatchSampler(train_dataset, n_classes=3, n_samples=3)
                test_batch_sampler = BalancedBatchSampler(test_dataset, n_classes=2, n_samples=2)
                train_loader = DataLoader(train_dataset, batch_sampler=train_batch_sampler,
                                          **kwargs)
                test_loader = DataLoader(test_dataset, batch_sampler=test_batch_sampler, **kwargs)
                model = EmbeddingNet()
                loss_fn = U['OnlineTripletLoss'](1., U['Semihard'](1.))
                metrics = [AverageNonzeroTripletsMetric()]
            optimizer = optim.Adam(model.parameters(), lr=1e-3)
            scheduler = lr_scheduler.StepLR(optimizer, 8, gamma=0.1, last_epoch=-1)
            o.print(exp)
            fit(train_loader, test_loader, model, loss_fn, optimizer, scheduler, 2, cuda, 1,
                metrics=metrics)
            if exp == 'softmax':
                o.print(model)
            plain_loader = DataLoader(test_dataset, batch_size=5, shuffle=False, **kwargs)
            val_embeddings, val_labels = extract_embeddings(plain_loader, model)
            o.print(val_embeddings.shape, val_embeddings.dtype, val_labels[:6])
            # the pair and triplet losses see only differences of embeddings: the last
            # Linear's bias gets a gradient of rounding noise (~1e-9, a sum that cancels),
            # which Adam turns into lr-sized steps of either sign. Compared: the class means'
            # distances (4 decimals), which that shift leaves alone; other near-zero gradients
            # (embeddings of ~1e-2) leave 2e-6 differences after Adam's steps, so only the
            # softmax model's embeddings are compared as values.
            means = np.stack([val_embeddings[np.where(val_labels == i)[0]].mean(0)
                              for i in range(4)])
            o.print(np.round(np.linalg.norm(means[:, None] - means[None], axis=-1), 4).tolist())
            if exp == 'softmax':
                o.vals += [val_embeddings]
    return o.done()
