"""rasbt/deeplearning-models, pytorch_ipynb/ (basic-ml: perceptron, Adaline, logistic and
softmax regression; helper_evaluate.py / helper_train.py) as users type them, scaled down:
random "MNIST" tensors in TensorDatasets instead of torchvision, 2 training steps, as
``prog(L) -> (printed, values)`` for tests/test_programs_s17_rasbtdlm.py (timing lines left
out: they print wall-clock minutes)."""

import numpy as np
from s16_yunjey_progs import Out


def mnist_like(L, n=24, side=28, channels=1, classes=10, seed=0):
    """A TensorDataset of [channels, side, side] float images in [0, 1] and int64 labels."""
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.integers(0, 256, (n, channels, side, side), dtype=np.uint8)).float() / 255
    y = L.from_numpy(rng.integers(0, classes, n))
    return L.utils.data.TensorDataset(x, y)


# helper_evaluate.py / helper_train.py, as the notebooks import them
def compute_accuracy(torch, model, data_loader, device):
    model.eval()
    with torch.no_grad():
        correct_pred, num_examples = 0, 0
        for i, (features, targets) in enumerate(data_loader):
            features = features.to(device)
            targets = targets.to(device)
            logits = model(features)
            if isinstance(logits, torch.distributed.rpc.api.RRef):
                logits = logits.local_value()
            _, predicted_labels = torch.max(logits, 1)
            num_examples += targets.size(0)
            correct_pred += (predicted_labels == targets).sum()
    return correct_pred.float() / num_examples * 100


def compute_epoch_loss(torch, model, data_loader, device):
    F = torch.nn.functional
    model.eval()
    curr_loss, num_examples = 0., 0
    with torch.no_grad():
        for features, targets in data_loader:
            features = features.to(device)
            targets = targets.to(device)
            logits = model(features)
            if isinstance(logits, torch.distributed.rpc.api.RRef):
                logits = logits.local_value()
            loss = F.cross_entropy(logits, targets, reduction='sum')
            num_examples += targets.size(0)
            curr_loss += loss
        curr_loss = curr_loss / num_examples
        return curr_loss


def train_classifier_simple_v1(torch, o, num_epochs, model, optimizer, device, train_loader,
                               valid_loader=None, loss_fn=None, logging_interval=100,
                               skip_epoch_stats=False):
    F = torch.nn.functional
    log_dict = {'train_loss_per_batch': [], 'train_acc_per_epoch': [],
                'train_loss_per_epoch': [], 'valid_acc_per_epoch': [],
                'valid_loss_per_epoch': []}
    if loss_fn is None:
        loss_fn = F.cross_entropy
    for epoch in range(num_epochs):
        model.train()
        for batch_idx, (features, targets) in enumerate(train_loader):
            features = features.to(device)
            targets = targets.to(device)
            logits = model(features)
            if isinstance(logits, torch.distributed.rpc.api.RRef):
                logits = logits.local_value()
            loss = loss_fn(logits, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            log_dict['train_loss_per_batch'].append(loss.item())
            if not batch_idx % logging_interval:
                o.print('Epoch: %03d/%03d | Batch %04d/%04d | Loss: %.4f'
                        % (epoch+1, num_epochs, batch_idx, len(train_loader), loss))
        if not skip_epoch_stats:
            model.eval()
            with torch.set_grad_enabled(False):
                train_acc = compute_accuracy(torch, model, train_loader, device)
                train_loss = compute_epoch_loss(torch, model, train_loader, device)
                o.print('***Epoch: %03d/%03d | Train. Acc.: %.3f%% | Loss: %.3f' % (
                    epoch+1, num_epochs, train_acc, train_loss))
                log_dict['train_loss_per_epoch'].append(train_loss.item())
                log_dict['train_acc_per_epoch'].append(train_acc.item())
                if valid_loader is not None:
                    valid_acc = compute_accuracy(torch, model, valid_loader, device)
                    valid_loss = compute_epoch_loss(torch, model, valid_loader, device)
                    o.print('***Epoch: %03d/%03d | Valid. Acc.: %.3f%% | Loss: %.3f' % (
                        epoch+1, num_epochs, valid_acc, valid_loss))
                    log_dict['valid_loss_per_epoch'].append(valid_loss.item())
                    log_dict['valid_acc_per_epoch'].append(valid_acc.item())
    return log_dict


def _toy(n=30, seed=1):
    """perceptron_toydata.txt stand-in: two Gaussian blobs, labels 0/1."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(-1, 1, (n // 2, 2)), rng.normal(1.5, 1, (n - n // 2, 2))])
    y = np.array([0] * (n // 2) + [1] * (n - n // 2))
    idx = rng.permutation(n)
    X, y = X[idx], y[idx]
    X_train, X_test = X[:20], X[20:]
    y_train, y_test = y[:20], y[20:]
    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mu) / sigma, (X_test - mu) / sigma, y_train, y_test


def perceptron(torch):
    X_train, X_test, y_train, y_test = _toy()
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

    def custom_where(cond, x_1, x_2):
        return (cond * x_1) + ((1-cond) * x_2)

    class Perceptron():
        def __init__(self, num_features):
            self.num_features = num_features
            self.weights = torch.zeros(num_features, 1, dtype=torch.float32, device=device)
            self.bias = torch.zeros(1, dtype=torch.float32, device=device)

        def forward(self, x):
            linear = torch.add(torch.mm(x, self.weights), self.bias)
            predictions = custom_where((linear > 0.).float(), 1, 0)
            return predictions

        def backward(self, x, y):
            predictions = self.forward(x)
            errors = y - predictions
            return errors

        def train(self, x, y, epochs):
            for e in range(epochs):
                for i in range(y.size()[0]):
                    errors = self.backward(x[i].view(1, self.num_features), y[i]).view(-1)
                    self.weights += (errors * x[i]).view(self.num_features, 1)
                    self.bias += errors

        def evaluate(self, x, y):
            predictions = self.forward(x).view(-1)
            accuracy = torch.sum(predictions == y).float() / y.size()[0]
            return accuracy

    with Out() as o:
        ppn = Perceptron(num_features=2)
        X_train_tensor = torch.tensor(X_train, dtype=torch.float32, device=device)
        y_train_tensor = torch.tensor(y_train, dtype=torch.float32, device=device)
        ppn.train(X_train_tensor, y_train_tensor, epochs=2)
        o.print('Model parameters:')
        o.print('  Weights: %s' % ppn.weights)
        o.print('  Bias: %s' % ppn.bias)
        X_test_tensor = torch.tensor(X_test, dtype=torch.float32, device=device)
        y_test_tensor = torch.tensor(y_test, dtype=torch.float32, device=device)
        test_acc = ppn.evaluate(X_test_tensor, y_test_tensor)
        o.print('Test set accuracy: %.2f%%' % (test_acc*100))
        o.tryit(lambda: custom_where(torch.tensor([True, False]), 1, 0))  # the notebook's bool
        o.tryit(lambda: custom_where(torch.tensor([1., 0.]), 1, 0))
        o.vals += [ppn.weights, ppn.bias, test_acc]
    return o.done()


def adaline(torch):
    X_train, X_test, y_train, y_test = _toy()
    X_train = torch.tensor(X_train, dtype=torch.float)
    y_train = torch.tensor(y_train, dtype=torch.float)
    X_test = torch.tensor(X_test, dtype=torch.float)

    class Adaline1():
        def __init__(self, num_features):
            self.num_features = num_features
            self.weights = torch.zeros(num_features, 1, dtype=torch.float)
            self.bias = torch.zeros(1, dtype=torch.float)

        def forward(self, x):
            netinputs = torch.add(torch.mm(x, self.weights), self.bias)
            activations = netinputs
            return activations.view(-1)

        def backward(self, x, yhat, y):
            grad_loss_yhat = 2*(yhat - y)
            grad_yhat_weights = x
            grad_yhat_bias = 1.
            grad_loss_weights = torch.mm(grad_yhat_weights.t(),
                                         grad_loss_yhat.view(-1, 1)) / y.size(0)
            grad_loss_bias = torch.sum(grad_yhat_bias*grad_loss_yhat) / y.size(0)
            return (-1)*grad_loss_weights, (-1)*grad_loss_bias

    def loss(yhat, y):
        return torch.mean((yhat - y)**2)

    def train(model, x, y, num_epochs, learning_rate=0.01, seed=123, minibatch_size=10):
        cost = []
        torch.manual_seed(seed)
        for e in range(num_epochs):
            shuffle_idx = torch.randperm(y.size(0), dtype=torch.long)
            minibatches = torch.split(shuffle_idx, minibatch_size)
            for minibatch_idx in minibatches:
                yhat = model.forward(x[minibatch_idx])
                negative_grad_w, negative_grad_b = model.backward(
                    x[minibatch_idx], yhat, y[minibatch_idx])
                model.weights += learning_rate * negative_grad_w
                model.bias += learning_rate * negative_grad_b
                minibatch_loss = loss(yhat, y[minibatch_idx])
                o.print('    Minibatch MSE: %.3f' % minibatch_loss)
            yhat = model.forward(x)
            curr_loss = loss(yhat, y)
            o.print('Epoch: %03d' % (e+1), end="")
            o.print(' | MSE: %.5f' % curr_loss)
            cost.append(curr_loss)
        return cost

    with Out() as o:
        model = Adaline1(num_features=X_train.size(1))
        cost = train(model, X_train, y_train, num_epochs=2, learning_rate=0.1, seed=123,
                     minibatch_size=10)
        o.print('Weights', model.weights)
        o.print('Bias', model.bias)
        ones = torch.ones(y_train.size())
        zeros = torch.zeros(y_train.size())
        train_pred = model.forward(X_train)
        train_acc = torch.mean((torch.where(train_pred > 0.5, ones, zeros).int() ==
                                y_train.int()).float())
        o.print('Training Accuracy: %.2f' % (train_acc*100))
        o.print(type(cost[0]).__name__, cost[0].dtype)
        o.vals += [model.weights, model.bias, train_pred, torch.stack(cost)]
    return o.done()


def logistic_regression(torch):
    F = torch.nn.functional
    X_train, X_test, y_train, y_test = _toy()
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

    class LogisticRegression1():
        def __init__(self, num_features):
            self.num_features = num_features
            self.weights = torch.zeros(num_features, 1, dtype=torch.float32, device=device)
            self.bias = torch.zeros(1, dtype=torch.float32, device=device)

        def forward(self, x):
            linear = torch.add(torch.mm(x, self.weights), self.bias)
            probas = self._sigmoid(linear)
            return probas

        def backward(self, probas, y):
            errors = y - probas.view(-1)
            return errors

        def predict_labels(self, x):
            probas = self.forward(x)
            labels = torch.where(probas >= .5, 1, 0)
            return labels

        def evaluate(self, x, y):
            labels = self.predict_labels(x).float()
            accuracy = torch.sum(labels.view(-1) == y).float() / y.size()[0]
            return accuracy

        def _sigmoid(self, z):
            return 1. / (1. + torch.exp(-z))

        def _logit_cost(self, y, proba):
            tmp1 = torch.mm(-y.view(1, -1), torch.log(proba))
            tmp2 = torch.mm((1 - y).view(1, -1), torch.log(1 - proba))
            return tmp1 - tmp2

        def train(self, x, y, num_epochs, learning_rate=0.01):
            for e in range(num_epochs):
                probas = self.forward(x)
                errors = self.backward(probas, y)
                neg_grad = torch.mm(x.transpose(0, 1), errors.view(-1, 1))
                self.weights += learning_rate * neg_grad
                self.bias += learning_rate * torch.sum(errors)
                o.print('Epoch: %03d' % (e+1), end="")
                o.print(' | Train ACC: %.3f' % self.evaluate(x, y), end="")
                o.print(' | Cost: %.3f' % self._logit_cost(y, self.forward(x)))

    class LogisticRegression2(torch.nn.Module):
        def __init__(self, num_features):
            super(LogisticRegression2, self).__init__()
            self.linear = torch.nn.Linear(num_features, 1)
            self.linear.weight.detach().zero_()
            self.linear.bias.detach().zero_()

        def forward(self, x):
            logits = self.linear(x)
            probas = torch.sigmoid(logits)
            return probas

    def comp_accuracy(label_var, pred_probas):
        pred_labels = torch.where((pred_probas > 0.5), 1, 0).view(-1)
        acc = torch.sum(pred_labels == label_var.view(-1)).float() / label_var.size(0)
        return acc

    with Out() as o:
        X_train_tensor = torch.tensor(X_train, dtype=torch.float32, device=device)
        y_train_tensor = torch.tensor(y_train, dtype=torch.float32, device=device)
        logr = LogisticRegression1(num_features=2)
        logr.train(X_train_tensor, y_train_tensor, num_epochs=2, learning_rate=0.1)
        o.print('\nModel parameters:')
        o.print('  Weights: %s' % logr.weights)
        o.print('  Bias: %s' % logr.bias)
        X_test_tensor = torch.tensor(X_test, dtype=torch.float32, device=device)
        y_test_tensor = torch.tensor(y_test, dtype=torch.float32, device=device)
        test_acc = logr.evaluate(X_test_tensor, y_test_tensor)
        o.print('Test set accuracy: %.2f%%' % (test_acc*100))

        model = LogisticRegression2(num_features=2).to(device)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        y_train_tensor = torch.tensor(y_train, dtype=torch.float32, device=device).view(-1, 1)
        for epoch in range(2):
            out = model(X_train_tensor)
            cost = F.binary_cross_entropy(out, y_train_tensor, reduction='sum')
            optimizer.zero_grad()
            cost.backward()
            optimizer.step()
            pred_probas = model(X_train_tensor)
            acc = comp_accuracy(y_train_tensor, pred_probas)
            o.print('Epoch: %03d' % (epoch + 1), end="")
            o.print(' | Train ACC: %.3f' % acc, end="")
            o.print(' | Cost: %.3f' % F.binary_cross_entropy(pred_probas, y_train_tensor))
        o.print('\nModel parameters:')
        o.print('  Weights: %s' % model.linear.weight)
        o.print('  Bias: %s' % model.linear.bias)
        o.print(model)
        o.vals += [logr.weights, logr.bias, model.linear.weight, model.linear.bias,
                   pred_probas]
    return o.done()


def softmax_regression(torch):
    F = torch.nn.functional
    DataLoader = torch.utils.data.DataLoader
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    random_seed = 123
    learning_rate = 0.1
    num_epochs = 2
    batch_size = 12
    num_features = 784
    num_classes = 10
    train_dataset = mnist_like(torch, 24)
    test_dataset = mnist_like(torch, 12, seed=1)
    train_loader = DataLoader(dataset=train_dataset, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(dataset=test_dataset, batch_size=batch_size, shuffle=False)

    class SoftmaxRegression(torch.nn.Module):
        def __init__(self, num_features, num_classes):
            super(SoftmaxRegression, self).__init__()
            self.linear = torch.nn.Linear(num_features, num_classes)
            self.linear.weight.detach().zero_()
            self.linear.bias.detach().zero_()

        def forward(self, x):
            logits = self.linear(x)
            probas = F.softmax(logits, dim=1)
            return logits, probas

    def compute_accuracy(model, data_loader):
        correct_pred, num_examples = 0, 0
        for features, targets in data_loader:
            features = features.view(-1, 28*28).to(device)
            targets = targets.to(device)
            logits, probas = model(features)
            _, predicted_labels = torch.max(probas, 1)
            num_examples += targets.size(0)
            correct_pred += (predicted_labels == targets).sum()
        return correct_pred.float() / num_examples * 100

    with Out() as o:
        for images, labels in train_loader:
            o.print('Image batch dimensions:', images.shape)
            o.print('Image label dimensions:', labels.shape)
            break
        model = SoftmaxRegression(num_features=num_features, num_classes=num_classes)
        model.to(device)
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        torch.manual_seed(random_seed)
        for epoch in range(num_epochs):
            for batch_idx, (features, targets) in enumerate(train_loader):
                features = features.view(-1, 28*28).to(device)
                targets = targets.to(device)
                logits, probas = model(features)
                cost = F.cross_entropy(logits, targets)
                optimizer.zero_grad()
                cost.backward()
                optimizer.step()
                if not batch_idx % 1:
                    o.print('Epoch: %03d/%03d | Batch %03d/%03d | Cost: %.4f'
                            % (epoch+1, num_epochs, batch_idx, len(train_dataset)//batch_size,
                               cost))
            with torch.set_grad_enabled(False):
                o.print('Epoch: %03d/%03d training accuracy: %.2f%%' % (
                    epoch+1, num_epochs, compute_accuracy(model, train_loader)))
        o.print('Test accuracy: %.2f%%' % (compute_accuracy(model, test_loader)))
        o.vals += [model.linear.weight, model.linear.bias, probas]
    return o.done()

