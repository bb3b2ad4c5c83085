"""udlbook/udlbook notebooks, continued: Chap10 10_5_Convolution_For_MNIST (2-D conv net
with Dropout2d, log_softmax without dim, nll_loss(size_average=False)), Chap20
20_4_Adversarial_Attacks (the same net, then the fast gradient sign attack on inputs that
require grad) and 20_3_Lottery_Tickets (SparseLinear layers whose parameters are re-pointed
with ``param.data = vec[...].reshape(...)``, magnitude pruning, mnist1d's train_model with
Adam and deep-copied checkpoints). MNIST / MNIST-1D made with NumPy (torchvision's
ToTensor + Normalize((0.1307,), (0.3081,)) applied by hand); sizes shrunk."""

import copy
import random

import numpy as np
from s16_yunjey_progs import Out
from s21_udl_progs import mnist1d_data


def _mnist_loaders(torch, n_train, n_test, bs_train, bs_test, seed):
    rng = np.random.RandomState(seed)

    def ds(n):
        pix = rng.randint(0, 256, (n, 1, 28, 28)).astype(np.uint8)
        x = (torch.from_numpy(pix).float() / 255 - 0.1307) / 0.3081
        return torch.utils.data.TensorDataset(x, torch.from_numpy(rng.randint(0, 10, n)))
    train_loader = torch.utils.data.DataLoader(ds(n_train), batch_size=bs_train, shuffle=True)
    test_loader = torch.utils.data.DataLoader(ds(n_test), batch_size=bs_test, shuffle=True)
    return train_loader, test_loader


def _net(torch):
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.max_pool2d(x, 2)
            x = F.relu(x)
            x = self.conv2(x)
            x = self.drop(x)
            x = F.max_pool2d(x, 2)
            x = F.relu(x)
            x = x.flatten(1)
            x = F.relu(self.fc1(x))
            x = self.fc2(x)
            x = F.log_softmax(x)
            return x
    return Net


def _train_test(torch, o, model, optimizer, train_loader, test_loader, device):
    F = torch.nn.functional

    def train(epoch):
        model.train()
        for batch_idx, (data, target) in enumerate(train_loader):
            data = data.to(device)
            target = target.to(device)
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            if batch_idx % 2 == 0:
                o.print('Train Epoch: {} [{}/{}]\tLoss: {:.4f}'.format(
                    epoch, batch_idx * len(data), len(train_loader.dataset), loss.item()))

    def test():
        model.eval()
        test_loss = 0
        correct = 0
        with torch.no_grad():
            for data, target in test_loader:
                data = data.to(device)
                target = target.to(device)
                output = model(data)
                test_loss += F.nll_loss(output, target, size_average=False).item()
                pred = output.data.max(1, keepdim=True)[1]
                correct += pred.eq(target.data.view_as(pred)).sum()
        test_loss /= len(test_loader.dataset)
        o.print('\nTest set: Avg. loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
            test_loss, correct, len(test_loader.dataset),
            100. * correct / len(test_loader.dataset)))
        o.vals.append(test_loss)
    test()
    n_epochs = 2
    for epoch in range(1, n_epochs + 1):
        train(epoch)
        test()


def conv_mnist(torch):
    """Notebook 10.5 (the filled-in network: conv 5x5 1->10, pool, relu, conv 10->20,
    Dropout2d, pool, relu, flatten, 320->50, relu, 50->10, log_softmax)."""
    nn, optim = torch.nn, torch.optim
    torch.manual_seed(0)
    with Out() as o:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        o.print(repr(device))
        train_loader, test_loader = _mnist_loaders(torch, 96, 64, 16, 32, 0)
        examples = enumerate(test_loader)
        batch_idx, (example_data, example_targets) = next(examples)
        o.print(example_data.shape, example_targets.dtype)
        o.print(["Ground Truth: {}".format(example_targets[i]) for i in range(6)])
        model = _net(torch)().to(device)

        def weights_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_uniform_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)
        o.print(model.apply(weights_init))
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
        _train_test(torch, o, model, optimizer, train_loader, test_loader, device)
        output = model(example_data)
        o.print(["Prediction: {}".format(output.data.max(1, keepdim=True)[1][i].item())
                 for i in range(10)])
        o.vals += [output, *model.parameters()]
    return o.done()


def adversarial_attacks(torch):
    """Notebook 20.4: train the 10.5 network, then FGSM on three test images."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    torch.manual_seed(1)
    with Out() as o:
        train_loader, test_loader = _mnist_loaders(torch, 64, 32, 16, 32, 1)
        examples = enumerate(test_loader)
        batch_idx, (example_data, example_targets) = next(examples)
        model = _net(torch)()

        def weights_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_uniform_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)
        model.apply(weights_init)
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
        _train_test(torch, o, model, optimizer, train_loader, test_loader, 'cpu')

        def fgsm_attack(x, epsilon, dLdx):
            sign_data_grad = dLdx.sign()
            x_modified = x + epsilon * sign_data_grad
            return x_modified
        no_examples = 3
        epsilon = 0.5
        for i in range(no_examples):
            optimizer.zero_grad()
            x = example_data[i, :, :, :]
            x = x[None, :, :, :]
            x.requires_grad = True
            y = torch.ones(1, dtype=torch.long) * example_targets[i]
            output = model(x)
            loss = F.nll_loss(output, y)
            loss.backward()
            dLdx = x.grad.data
            x_prime = fgsm_attack(x, epsilon, dLdx)
            output_prime = model(x_prime)
            o.print(y, x.is_leaf, x_prime.requires_grad, type(x_prime.grad_fn).__name__)
            x = x.detach().numpy()
            o.print(x.shape, x.dtype, x_prime[0][0].detach().numpy().shape)
            o.print("Original Prediction: {}".format(output.data.max(1, keepdim=True)[1][0].item()))
            o.print("Perturbed Prediction: {}".format(output_prime.data.max(1, keepdim=True)[1][0].item()))
            o.vals += [dLdx, output, output_prime]
        # the iterative version the last TODO asks for
        x = example_data[:1].clone().requires_grad_(True)
        y = example_targets[:1]
        for it in range(3):
            loss = F.nll_loss(model(x), y)
            dLdx, = torch.autograd.grad(loss, x)
            x = fgsm_attack(x, 0.1, dLdx).detach().requires_grad_(True)
            o.print(it, "%.4f" % loss.item())
        o.vals.append(x)
    return o.done()


class ObjectView(object):
    """mnist1d.utils.ObjectView: a dict's keys as attributes."""

    def __init__(self, d):
        self.__dict__ = d


def lottery_tickets(torch):
    """Notebook 20.3 with mnist1d's set_seed / get_model_args / train_model inlined."""
    nn, optim = torch.nn, torch.optim
    data = mnist1d_data(200, 100, seed=5)

    def set_seed(seed):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        torch.cuda.manual_seed_all(seed)

    def accuracy(model, inputs, targets):
        preds = model(inputs).argmax(-1).cpu().numpy()
        targets = targets.cpu().numpy().astype(np.float32)
        return 100 * sum(preds == targets) / len(targets)

    def train_model(dataset, model, args):
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), args.learning_rate, weight_decay=args.weight_decay)
        x_train, x_test = torch.Tensor(dataset['x']), torch.Tensor(dataset['x_test'])
        y_train, y_test = torch.LongTensor(dataset['y']), torch.LongTensor(dataset['y_test'])
        model = model.to(args.device)
        x_train, x_test, y_train, y_test = [v.to(args.device) for v in [x_train, x_test, y_train, y_test]]
        results = {'checkpoints': [], 'train_losses': [], 'test_losses': [], 'train_acc': [], 'test_acc': []}
        for step in range(args.total_steps + 1):
            bix = (step * args.batch_size) % len(x_train)
            x, y = x_train[bix:bix + args.batch_size], y_train[bix:bix + args.batch_size]
            loss = criterion(model(x), y)
            results['train_losses'].append(loss.item())
            loss.backward(); optimizer.step(); optimizer.zero_grad()
            if args.eval_every > 0 and step % args.eval_every == 0:
                test_loss = criterion(model(x_test), y_test)
                results['test_losses'].append(test_loss.item())
                results['train_acc'].append(accuracy(model, x_train, y_train))
                results['test_acc'].append(accuracy(model, x_test, y_test))
            if args.checkpoint_every > 0 and step % args.checkpoint_every == 0:
                model.step = step
                results['checkpoints'].append(copy.deepcopy(model))
        return results

    class SparseLinear(torch.nn.Module):
        def __init__(self, x_size, y_size):
            super(SparseLinear, self).__init__()
            self.linear = torch.nn.Linear(x_size, y_size)
            param_vec = torch.cat([p.flatten() for p in self.parameters()])
            self.mask = torch.ones_like(param_vec)

        def forward(self, x, apply_mask=True):
            if apply_mask:
                self.apply_mask()
            return self.linear(x)

        def update_mask(self, new_mask):
            self.mask = new_mask
            self.apply_mask()

        def apply_mask(self):
            self.vec2param(self.param2vec())

        def param2vec(self):
            vec = torch.cat([p.flatten() for p in self.parameters()])
            return self.mask * vec

        def vec2param(self, vec):
            pointer = 0
            for param in self.parameters():
                param_len = np.cumprod(param.shape)[-1]
                new_param = vec[pointer:pointer + param_len].reshape(param.shape)
                param.data = new_param.data
                pointer += param_len

    class SparseMLP(torch.nn.Module):
        def __init__(self, input_size, output_size, hidden_size=100):
            super(SparseMLP, self).__init__()
            self.linear1 = SparseLinear(input_size, hidden_size)
            self.linear2 = SparseLinear(hidden_size, hidden_size)
            self.linear3 = SparseLinear(hidden_size, output_size)
            self.layers = [self.linear1, self.linear2, self.linear3]

        def forward(self, x):
            h = torch.relu(self.linear1(x))
            h = h + torch.relu(self.linear2(h))
            h = self.linear3(h)
            return h

        def get_layer_masks(self):
            return [l.mask for l in self.layers]

        def set_layer_masks(self, new_masks):
            for i, l in enumerate(self.layers):
                l.update_mask(new_masks[i])

        def get_layer_vecs(self):
            return [l.param2vec() for l in self.layers]

        def set_layer_vecs(self, vecs):
            for i, l in enumerate(self.layers):
                l.vec2param(vecs[i])

    def get_mask(scores, percent_sparse):
        n_prune = int(percent_sparse * scores.shape[0])
        order = torch.argsort(scores)
        mask = torch.ones_like(scores)
        mask[order[:n_prune]] = 0
        return mask

    with Out() as o:
        def find_lottery_ticket(model, dataset, args, sparsity_schedule, criteria_fn=None, **kwargs):
            criteria_fn = lambda init_params, final_params: final_params.abs()
            init_params = model.get_layer_vecs()
            stats = {'train_losses': [], 'test_losses': [], 'train_accs': [], 'test_accs': []}
            models = []
            for i, percent_sparse in enumerate(sparsity_schedule):
                final_params = model.get_layer_vecs()
                scores = [criteria_fn(ip, fp) for ip, fp in zip(init_params, final_params)]
                masks = [get_mask(s, percent_sparse) for s in scores]
                model.set_layer_vecs(init_params)
                model.set_layer_masks(masks)
                results = train_model(dataset, model, args)
                model = results['checkpoints'][-1]
                stats['train_losses'].append(results['train_losses'])
                stats['test_losses'].append(results['test_losses'])
                stats['train_accs'].append(results['train_acc'])
                stats['test_accs'].append(results['test_acc'])
                if (i + 1) % 1 == 0:
                    o.print('\tretrain #{}, sparsity {:.2f}, final_train_loss {:.3e}, max_acc {:.1f}, last_acc {:.1f}, mean_acc {:.1f}'
                            .format(i + 1, percent_sparse, results['train_losses'][-1], np.max(results['test_acc']),
                                    results['test_acc'][-1], np.mean(results['test_acc'])))
                    models.append(copy.deepcopy(model))
            stats = {k: np.stack(v) for k, v in stats.items()}
            return models, stats

        model_args = ObjectView({'input_size': 40, 'output_size': 10, 'hidden_size': 256,
                                 'learning_rate': 1e-2, 'weight_decay': 0, 'batch_size': 100,
                                 'total_steps': 8000, 'print_every': 1000, 'eval_every': 250,
                                 'checkpoint_every': 1000, 'device': 'cpu', 'seed': 42})
        model_args.total_steps = 12
        model_args.hidden_size = 50
        model_args.print_every = 5000
        model_args.eval_every = 4
        model_args.checkpoint_every = 4
        model_args.learning_rate = 2e-2
        model_args.device = str('cpu')
        num_retrains = 4
        sparsity_schedule = np.linspace(0, 1., num_retrains)
        o.print("Magnitude pruning")
        set_seed(model_args.seed)
        model = SparseMLP(model_args.input_size, model_args.output_size, hidden_size=model_args.hidden_size)
        criteria_fn = lambda init_params, final_params: final_params.abs()
        lott_models, lott_stats = find_lottery_ticket(model, data, model_args, sparsity_schedule,
                                                      criteria_fn=criteria_fn, prune_print_every=1)
        test_losses = lott_stats['test_losses'][:, -1]
        test_accs = lott_stats['test_accs'][:, -1]
        o.print(test_accs.dtype, lott_stats['train_losses'].shape)
        o.print([float(m.sum()) for m in lott_models[2].get_layer_masks()])
        o.print(lott_models[-1].linear1.linear.weight.abs().sum().item(), lott_models[-1].step)
        o.vals += [test_losses, test_accs, lott_stats['train_losses']]
        o.vals += [p for p in lott_models[1].parameters()]
    return o.done()
