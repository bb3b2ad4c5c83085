"""NeuromatchAcademy/course-content-dl: W1D3_MultiLayerPerceptrons (Tutorial1: Net built with
add_module and eval('nn.%s' % actv), create_spiral_dataset, shuffle_and_split_data,
cross_entropy_loss by hand, approximate_function with ReLUs, train_test_classification over
DataLoaders with a seeded Generator and seed_worker; Tutorial2: run_depth_optimizer's
count_parameters), W1D5_Optimization (MLP with log_softmax and F.nll_loss, zero_grad /
print_params, gradient_update, momentum_update, rmsprop_update, sample_minibatch) and
W2D1_Regularization (l1_reg, l2_reg, calculate_frobenius_norm, dropout Net, early stopping
on a deepcopy of the state_dict), with MNIST replaced by seeded tensors."""

import copy
import random

import numpy as np
from s16_yunjey_progs import Out
from s21_nma_progs import set_seed


def make_net(L):
    nn = L.nn

    class Net(nn.Module):
        def __init__(self, actv, input_feature_num, hidden_unit_nums, output_feature_num):
            super(Net, self).__init__()
            self.input_feature_num = input_feature_num
            self.mlp = nn.Sequential()
            in_num = input_feature_num
            for i in range(len(hidden_unit_nums)):
                out_num = hidden_unit_nums[i]
                layer = nn.Linear(in_num, out_num)
                in_num = out_num
                self.mlp.add_module('Linear_%d' % i, layer)
                actv_layer = eval('nn.%s' % actv)
                self.mlp.add_module('Activation_%d' % i, actv_layer)
            out_layer = nn.Linear(in_num, output_feature_num)
            self.mlp.add_module('Output_Linear', out_layer)

        def forward(self, x):
            x = x.view(-1, self.input_feature_num)
            logits = self.mlp(x)
            return logits
    return Net


def w1d3_mlp(L):
    torch, nn = L, L.nn
    from importlib import import_module
    data = import_module(L.__name__ + ".utils.data")
    DataLoader, TensorDataset = data.DataLoader, data.TensorDataset
    Net = make_net(L)
    with Out() as o:
        def seed_worker(worker_id):
            worker_seed = torch.initial_seed() % 2 ** 32
            np.random.seed(worker_seed)
            random.seed(worker_seed)
        SEED = 2021
        set_seed(L, seed=SEED)
        net = Net('LeakyReLU(0.1)', 10, [20, 20], 3)
        o.print(net)
        o.print(net(torch.randn(4, 2, 5)).shape)

        def relu(x):
            return torch.max(x, torch.zeros_like(x))
        x = torch.linspace(-3, 3, 7)
        o.print(relu(x), torch.relu(x), nn.LeakyReLU(0.1)(x))

        def cross_entropy_loss(x, labels):
            x_of_labels = torch.zeros(len(labels))
            for i, label in enumerate(labels):
                x_of_labels[i] = x[i, label]
            losses = -x_of_labels + torch.log(torch.sum(torch.exp(x), axis=1))
            avg_loss = losses.mean()
            return avg_loss
        labels = torch.tensor([0, 1])
        x = torch.tensor([[10.0, 1.0, -1.0, -20.0],
                          [10.0, 10.0, 2.0, -10.0]])
        CE = nn.CrossEntropyLoss()
        pytorch_loss = CE(x, labels).item()
        our_loss = cross_entropy_loss(x, labels).item()
        o.print(f'Our CE loss: {our_loss:0.8f}, Pytorch CE loss: {pytorch_loss:0.8f}')
        o.print(f'Difference: {np.abs(our_loss - pytorch_loss):0.8f}')

        def approximate_function(x_train, y_train):
            n_relus = x_train.shape[0] - 1
            x = torch.linspace(torch.min(x_train), torch.max(x_train), 50)
            b = -x_train[:-1]
            relu_acts = torch.zeros((x.shape[0], n_relus))
            for i_relu in range(n_relus):
                relu_acts[:, i_relu] = torch.relu(x + b[i_relu])
            combination_weights = torch.zeros((n_relus, ))
            prev_slope = 0
            for i in range(n_relus):
                delta_x = x_train[i + 1] - x_train[i]
                slope = (y_train[i + 1] - y_train[i]) / delta_x
                combination_weights[i] = slope - prev_slope
                prev_slope = slope
            y_hat = combination_weights @ relu_acts.T
            return y_hat, relu_acts, x
        x_train = torch.linspace(0, 2 * np.pi, 10).view(-1, 1)
        y_train = torch.sin(x_train)
        y_hat, relu_acts, x = approximate_function(x_train, y_train)
        o.print(y_hat.shape, relu_acts.shape, x.shape)
        o.vals += [y_hat, relu_acts]

        def create_spiral_dataset(K, sigma, N):
            t = torch.linspace(0, 1, N)
            X = torch.zeros(K * N, 2)
            y = torch.zeros(K * N)
            for k in range(K):
                X[k * N:(k + 1) * N, 0] = t * (torch.sin(2 * np.pi / K * (2 * t + k))
                                               + sigma * torch.randn(N))
                X[k * N:(k + 1) * N, 1] = t * (torch.cos(2 * np.pi / K * (2 * t + k))
                                               + sigma * torch.randn(N))
                y[k * N:(k + 1) * N] = k
            return X, y
        K, sigma, N = 4, 0.16, 50
        X, y = create_spiral_dataset(K, sigma, N)

        def shuffle_and_split_data(X, y, seed):
            torch.manual_seed(seed)
            N = X.shape[0]
            shuffled_indices = torch.randperm(N)
            X = X[shuffled_indices]
            y = y[shuffled_indices]
            test_size = int(0.2 * N)
            X_test = X[:test_size]
            y_test = y[:test_size]
            X_train = X[test_size:]
            y_train = y[test_size:]
            return X_test, y_test, X_train, y_train
        X_test, y_test, X_train, y_train = shuffle_and_split_data(X, y, seed=SEED)
        o.print(X_test.shape, y_test.dtype, y_train[:8])
        g_seed = torch.Generator()
        g_seed.manual_seed(SEED)
        batch_size = 32
        test_data = TensorDataset(X_test, y_test)
        test_loader = DataLoader(test_data, batch_size=batch_size, shuffle=False,
                                 num_workers=0, worker_init_fn=seed_worker,
                                 generator=g_seed)
        train_data = TensorDataset(X_train, y_train)
        train_loader = DataLoader(train_data, batch_size=batch_size, drop_last=True,
                                  shuffle=True, worker_init_fn=seed_worker,
                                  generator=g_seed)

        def train_test_classification(net, criterion, optimizer, train_loader, test_loader,
                                      num_epochs=1, verbose=True, device='cpu'):
            net.train()
            training_losses = []
            for epoch in range(num_epochs):
                running_loss = 0.0
                for (i, data) in enumerate(train_loader, 0):
                    inputs, labels = data
                    inputs = inputs.to(device).float()
                    labels = labels.to(device).long()
                    optimizer.zero_grad()
                    outputs = net(inputs)
                    loss = criterion(outputs, labels)
                    loss.backward()
                    optimizer.step()
                    if verbose:
                        training_losses += [loss.item()]
            net.eval()

            def test(data_loader):
                correct = 0
                total = 0
                for data in data_loader:
                    inputs, labels = data
                    inputs = inputs.to(device).float()
                    labels = labels.to(device).long()
                    outputs = net(inputs)
                    _, predicted = torch.max(outputs, 1)
                    total += labels.size(0)
                    correct += (predicted == labels).sum().item()
                acc = 100 * correct / total
                return total, acc
            train_total, train_acc = test(train_loader)
            test_total, test_acc = test(test_loader)
            if verbose:
                o.print(f"Accuracy on the {train_total} training samples: {train_acc:0.2f}")
                o.print(f"Accuracy on the {test_total} testing samples: {test_acc:0.2f}")
            return train_acc, test_acc, training_losses
        set_seed(L, seed=SEED)
        net = Net('ReLU()', X_train.shape[1], [32], K).to('cpu')
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        _, _, losses = train_test_classification(net, criterion, optimizer, train_loader,
                                                 test_loader, num_epochs=8)
        o.vals.append(torch.tensor(losses))

        def count_parameters(model):
            par_count = 0
            for p in model.parameters():
                if p.requires_grad:
                    par_count += p.numel()
            return par_count
        hidden_units = np.ones(3, dtype=int)
        wide_net = Net('ReLU()', X_train.shape[1], hidden_units, K)
        par_count = count_parameters(wide_net)
        while par_count < 100:
            hidden_units += 1
            wide_net = Net('ReLU()', X_train.shape[1], hidden_units, K)
            par_count = count_parameters(wide_net)
        o.print(hidden_units, par_count, wide_net.mlp.Linear_1)
    return o.done()


def w1d5_optim(L):
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        class MLP(nn.Module):
            def __init__(self, in_dim=784, out_dim=10, hidden_dims=[], use_bias=True):
                super(MLP, self).__init__()
                self.in_dim = in_dim
                self.out_dim = out_dim
                if len(hidden_dims) == 0:
                    layers = [nn.Linear(in_dim, out_dim, bias=use_bias)]
                else:
                    layers = [nn.Linear(in_dim, hidden_dims[0], bias=use_bias), nn.ReLU()]
                    for i, hidden_dim in enumerate(hidden_dims[:-1]):
                        layers += [nn.Linear(hidden_dim, hidden_dims[i + 1], bias=use_bias),
                                   nn.ReLU()]
                    layers += [nn.Linear(hidden_dims[-1], out_dim, bias=use_bias)]
                self.main = nn.Sequential(*layers)

            def forward(self, x):
                transformed_x = x.view(-1, self.in_dim)
                hidden_output = self.main(transformed_x)
                output = F.log_softmax(hidden_output, dim=1)
                return output
        SEED = 2021
        set_seed(L, seed=SEED)
        rng = np.random.default_rng(1)
        X = torch.tensor(rng.random((256, 1, 4, 4)), dtype=torch.float32)
        y = torch.tensor(rng.integers(0, 3, 256))
        X = (X - 0.1307) / 0.3081
        loss_fn = F.nll_loss

        def zero_grad(params):
            for par in params:
                if not (par.grad is None):
                    par.grad.data.zero_()

        def print_params(model):
            for name, param in model.named_parameters():
                if param.requires_grad:
                    o.print(name, param.data)

        def gradient_update(loss, params, lr=1e-3):
            zero_grad(params)
            loss.backward()
            with torch.no_grad():
                for par in params:
                    par.data -= lr * par.grad.data

        def momentum_update(loss, params, grad_vel, lr=1e-3, beta=0.8):
            zero_grad(params)
            loss.backward()
            with torch.no_grad():
                for (par, vel) in zip(params, grad_vel):
                    vel.data = -lr * par.grad.data + beta * vel.data
                    par.data += vel.data

        def rmsprop_update(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
            zero_grad(params)
            loss.backward()
            with torch.no_grad():
                for (par, gsq) in zip(params, grad_sq):
                    gsq.data = alpha * gsq.data + (1 - alpha) * par.grad ** 2
                    par.data -= lr * (par.grad / (epsilon + gsq.data) ** 0.5)
        set_seed(L, seed=SEED)
        model1 = MLP(in_dim=16, out_dim=3, hidden_dims=[])
        o.print('\n The model1 parameters before the update are: \n')
        print_params(model1)
        loss = loss_fn(model1(X), y)
        gradient_update(loss, list(model1.parameters()), lr=1e-1)
        o.print('\n The model1 parameters after the update are: \n')
        print_params(model1)
        set_seed(L, seed=SEED)
        model2 = MLP(in_dim=16, out_dim=3, hidden_dims=[])
        loss = loss_fn(model2(X), y)
        initial_vel = [torch.randn_like(p) for p in model2.parameters()]
        momentum_update(loss, list(model2.parameters()), grad_vel=initial_vel, lr=1e-1,
                        beta=0.9)
        print_params(model2)
        set_seed(L, seed=SEED)
        model3 = MLP(in_dim=16, out_dim=3, hidden_dims=[])
        loss = loss_fn(model3(X), y)
        grad_sq = [1e-6 * i for i in list(model3.parameters())]
        rmsprop_update(loss, list(model3.parameters()), grad_sq=grad_sq, lr=1e-3)
        print_params(model3)
        o.print(grad_sq[0].requires_grad, grad_sq[0].grad_fn is None)

        def sample_minibatch(input_data, target_data, num_points=100):
            batch_indices = np.random.choice(len(input_data), num_points)
            batch_inputs = input_data[batch_indices, :]
            batch_targets = target_data[batch_indices]
            return batch_inputs, batch_targets
        x_batch, y_batch = sample_minibatch(X, y, num_points=100)
        o.print(f"The input shape is {x_batch.shape} and the target shape is: {y_batch.shape}")
        # the mini-batch SGD / Adam training of the benchmark section
        set_seed(L, seed=SEED)
        model = MLP(in_dim=16, out_dim=3, hidden_dims=[12, 12])
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        for i in range(20):
            x_b, y_b = sample_minibatch(X, y, num_points=32)
            optimizer.zero_grad()
            loss = loss_fn(model(x_b), y_b)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            output = model(X)
            acc = (torch.argmax(output, dim=1) == y).float().mean()
        o.print(f"loss {loss.item():.4f} acc {acc.item():.4f}", acc.dtype)
        o.vals += [model1.main[0].weight, model2.main[0].bias, model3.main[0].weight,
                   output, grad_sq[1]]
    return o.done()


def w2d1_regularization(L):
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        def l1_reg(model):
            l1 = 0.0
            for param in model.parameters():
                l1 += torch.sum(torch.abs(param))
            return l1

        def l2_reg(model):
            l2 = 0.0
            for param in model.parameters():
                l2 += torch.sum(torch.abs(param) ** 2)
            return l2

        def calculate_frobenius_norm(model):
            norm = 0.0
            for name, param in model.named_parameters():
                norm += torch.sum(param ** 2)
            norm = norm ** 0.5
            return norm

        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.fc1 = nn.Linear(16, 32)
                self.dropout1 = nn.Dropout(p=0.5)
                self.fc2 = nn.Linear(32, 3)

            def forward(self, x):
                x = torch.flatten(x, 1)
                x = self.fc1(x)
                x = F.leaky_relu(x)
                x = self.dropout1(x)
                output = self.fc2(x)
                return output
        set_seed(L, seed=2021)
        net = Net()
        o.print(f'Frobenius norm of Single Linear Layer: {calculate_frobenius_norm(net):.4f}')
        rng = np.random.default_rng(2)
        X = torch.tensor(rng.random((64, 1, 4, 4)), dtype=torch.float32)
        y = torch.tensor(rng.integers(0, 3, 64))
        Xv, yv = X[:16], y[:16]
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        args = {'lambda': 1e-3, 'lambda1': 1e-3, 'lambda2': 1e-3}
        best_acc, best_epoch, wait, patience = 0.0, 0, 0, 3
        best_model = copy.deepcopy(net.state_dict())
        for epoch in range(10):
            net.train()
            for i in range(0, 64, 16):
                data, target = X[i:i + 16], y[i:i + 16]
                optimizer.zero_grad()
                output = net(data)
                loss = (criterion(output, target) + args['lambda1'] * l1_reg(net)
                        + args['lambda2'] * l2_reg(net))
                loss.backward()
                optimizer.step()
            net.eval()
            with torch.no_grad():
                pred = net(Xv).argmax(dim=1, keepdim=True)
                correct = pred.eq(yv.view_as(pred)).sum().item()
                val_acc = 100. * correct / len(yv)
            o.print(f"epoch {epoch} loss {loss.item():.4f} val {val_acc:.2f}")
            if val_acc > best_acc:
                best_acc, best_epoch, wait = val_acc, epoch, 0
                best_model = copy.deepcopy(net.state_dict())
            else:
                wait += 1
            if wait > patience:
                o.print(f'early stopped on epoch: {epoch}')
                break
        o.print(net.load_state_dict(best_model))
        o.print(list(best_model.keys()), best_epoch)
        o.print(f'{calculate_frobenius_norm(net).item():.4f}')
        # weight decay (the "L2 via SGD" aside)
        net2 = Net()
        opt2 = torch.optim.SGD(net2.parameters(), lr=0.05, weight_decay=5e-4)
        opt2.zero_grad()
        criterion(net2(X), y).backward()
        opt2.step()
        o.print(opt2.state_dict()['param_groups'][0]['weight_decay'])
        o.vals += [net.fc1.weight, net.fc2.bias, net2.fc2.weight, l1_reg(net).detach()]
    return o.done()
