"""gabrielhuang/reptile-pytorch as users type it (ported to Python 3: print(), range,
next(it)): models.py (OmniglotModel: conv-bn-relu blocks, LogSoftmax classifier, clone() by
load_state_dict, point_grad_to() setting p.grad = Variable(torch.zeros(p.size())) and
p.grad.data.add_) and train_omniglot.py (the Reptile loop: a cloned fast net trained by Adam
with betas=(0, 0.999) whose state is carried between tasks by state_dict / load_state_dict, the
meta SGD step with a decaying lr set through param_groups, meta-evaluation, a checkpoint dict
to torch.save / torch.load). MetaOmniglotFolder is a seeded NumPy stand-in (3-way tasks of
28x28 images), the net shrunk to 8 channels. The base lr is 1e-5: the conv biases before
BatchNorm have zero true gradient and Adam moves them by +-lr on rounding noise."""

import io

import numpy as np
from s16_yunjey_progs import Out


def reptile_omniglot(L):
    torch, nn = L, L.nn
    Variable = L.autograd.Variable
    DataLoader, TensorDataset = L.utils.data.DataLoader, L.utils.data.TensorDataset

    class OmniglotModel(nn.Module):
        """A model for Omniglot classification."""

        def __init__(self, num_classes):
            nn.Module.__init__(self)
            self.num_classes = num_classes
            self.conv = nn.Sequential(
                nn.Conv2d(1, 8, 3, 2, 1),
                nn.BatchNorm2d(8),
                nn.ReLU(True),
                nn.Conv2d(8, 8, 3, 2, 1),
                nn.BatchNorm2d(8),
                nn.ReLU(True),
                nn.Conv2d(8, 8, 3, 2, 1),
                nn.BatchNorm2d(8),
                nn.ReLU(True),
                nn.Conv2d(8, 8, 3, 2, 1),
                nn.BatchNorm2d(8),
                nn.ReLU(True),
            )
            self.classifier = nn.Sequential(
                nn.Linear(32, num_classes),
                nn.LogSoftmax(1)
            )

        def forward(self, x):
            out = x.view(-1, 1, 28, 28)
            out = self.conv(out)
            out = out.view(len(out), -1)
            out = self.classifier(out)
            return out

        def clone(self):
            clone = OmniglotModel(self.num_classes)
            clone.load_state_dict(self.state_dict())
            return clone

        def point_grad_to(self, target):
            '''Set .grad attribute of each parameter to be proportional to the difference
            between self and target'''
            is_cuda = next(self.parameters()).is_cuda
            for p, target_p in zip(self.parameters(), target.parameters()):
                if p.grad is None:
                    if is_cuda:
                        p.grad = Variable(torch.zeros(p.size())).cuda()
                    else:
                        p.grad = Variable(torch.zeros(p.size()))
                p.grad.data.add_(p.data - target_p.data)

    class MetaOmniglot:
        """stand-in: characters as seeded prototypes, samples as noisy copies."""

        def __init__(self, n_chars, seed):
            self.rng = np.random.RandomState(seed)
            self.protos = self.rng.rand(n_chars, 28 * 28).astype(np.float32)

        def __len__(self):
            return len(self.protos)

        def _samples(self, chars, k):
            x = np.concatenate([self.protos[c] + 0.3 * self.rng.rand(k, 28 * 28).astype(
                np.float32) for c in chars])
            y = np.repeat(np.arange(len(chars)), k)
            return TensorDataset(torch.from_numpy(x), torch.from_numpy(y))

        def get_random_task(self, classes, shots):
            return self._samples(self.rng.choice(len(self), classes, replace=False), shots)

        def get_random_task_split(self, classes, train_K, test_K):
            chars = self.rng.choice(len(self), classes, replace=False)
            return self._samples(chars, train_K), self._samples(chars, test_K)

    class Args:
        classes, shots, train_shots, meta_iterations, start_meta_iteration = 3, 2, 4, 3, 0
        iterations, test_iterations, batch, meta_lr, lr = 2, 3, 4, 1., 1e-5
        validate_every, cuda, check_every = 2, 0, 2

    args = Args()
    o = Out()
    with o:
        torch.manual_seed(0)

        def make_infinite(dataloader):
            while True:
                for x in dataloader:
                    yield x

        def Variable_(tensor, *args_, **kwargs):
            if type(tensor) in (list, tuple):
                return [Variable_(t, *args_, **kwargs) for t in tensor]
            if isinstance(tensor, dict):
                return {key: Variable_(v, *args_, **kwargs) for key, v in tensor.items()}
            variable = Variable(tensor, *args_, **kwargs)
            if args.cuda:
                variable = variable.cuda()
            return variable

        meta_train, meta_test = MetaOmniglot(8, 0), MetaOmniglot(4, 1)
        o.print('Meta-Train characters', len(meta_train))
        o.print('Meta-Test characters', len(meta_test))
        cross_entropy = nn.CrossEntropyLoss()

        def get_loss(prediction, labels):
            return cross_entropy(prediction, labels)

        def do_learning(net, optimizer, train_iter, iterations):
            net.train()
            for iteration in range(iterations):
                data, labels = Variable_(next(train_iter))
                prediction = net(data)
                loss = get_loss(prediction, labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.tryit(lambda: loss.data[0])  # the Python 2 original's loss.data[0]
            return loss.item()

        def do_evaluation(net, test_iter, iterations):
            losses = []
            accuracies = []
            net.eval()
            for iteration in range(iterations):
                data, labels = Variable_(next(test_iter))
                prediction = net(data)
                loss = get_loss(prediction, labels)
                o.tryit(lambda: net.predict(prediction))  # (models.py has no predict)
                argmax = prediction.argmax(1)
                accuracy = (argmax == labels).float().mean()
                losses.append(loss.item())
                accuracies.append(accuracy.item())
            return np.mean(losses), np.mean(accuracies)

        def get_optimizer(net, state=None):
            # the original's betas=(0, 0.999): PyTorch 2.13 raises "betas must be either both
            # floats or both Tensors" (see test_adam_betas_int_error); users write 0.
            optimizer = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0., 0.999))
            if state is not None:
                optimizer.load_state_dict(state)
            return optimizer

        def set_learning_rate(optimizer, lr):
            for param_group in optimizer.param_groups:
                param_group['lr'] = lr

        meta_net = OmniglotModel(args.classes)
        meta_optimizer = torch.optim.SGD(meta_net.parameters(), lr=args.meta_lr)
        info = {}
        state = None
        for meta_iteration in range(args.start_meta_iteration, args.meta_iterations):
            meta_lr = args.meta_lr * (1. - meta_iteration / args.meta_iterations)
            set_learning_rate(meta_optimizer, meta_lr)
            net = meta_net.clone()
            optimizer = get_optimizer(net, state)
            train = meta_train.get_random_task(args.classes, args.train_shots)
            train_iter = make_infinite(DataLoader(train, args.batch, shuffle=True))
            loss = do_learning(net, optimizer, train_iter, args.iterations)
            state = optimizer.state_dict()  # save optimizer state
            o.print('loss {:.4f}'.format(loss), sorted(state['state'])[:3],
                    state['state'][0]['step'], state['param_groups'][0]['betas'])
            meta_net.point_grad_to(net)
            meta_optimizer.step()
            if meta_iteration % args.validate_every == 0:
                for (meta_dataset, mode) in [(meta_train, 'train'), (meta_test, 'val')]:
                    train, test = meta_dataset.get_random_task_split(
                        args.classes, train_K=args.shots, test_K=2)
                    train_iter = make_infinite(DataLoader(train, args.batch, shuffle=True))
                    test_iter = make_infinite(DataLoader(test, args.batch, shuffle=True))
                    net = meta_net.clone()
                    optimizer = get_optimizer(net, state)
                    loss = do_learning(net, optimizer, train_iter, args.test_iterations)
                    meta_loss, meta_accuracy = do_evaluation(net, test_iter, 1)
                    loss_ = '{}_loss'.format(mode)
                    accuracy_ = '{}_accuracy'.format(mode)
                    meta_lr_ = 'meta_lr'
                    info.setdefault(loss_, {})
                    info.setdefault(accuracy_, {})
                    info.setdefault(meta_lr_, {})
                    info[loss_][meta_iteration] = meta_loss
                    info[accuracy_][meta_iteration] = meta_accuracy
                    info[meta_lr_][meta_iteration] = meta_lr
                    o.print('\nMeta-{}'.format(mode))
                    o.print('average metaloss {:.4f}'.format(np.mean(list(info[loss_].values()))))
                    o.print('average accuracy', np.mean(list(info[accuracy_].values())))
            if meta_iteration % args.check_every == 0:
                checkpoint = {
                    'meta_net': meta_net.state_dict(),
                    'meta_optimizer': meta_optimizer.state_dict(),
                    'optimizer': state,
                    'meta_iteration': meta_iteration,
                    'info': info
                }
                buf = io.BytesIO()
                torch.save(checkpoint, buf)
                buf.seek(0)
                o.tryit(lambda: torch.load(buf))  # weights_only=True: NumPy floats in info
                buf.seek(0)
                checkpoint = torch.load(buf, weights_only=False)
                o.print('Saved checkpoint', sorted(checkpoint),
                        checkpoint['meta_optimizer']['param_groups'][0]['lr'])
                meta_net.load_state_dict(checkpoint['meta_net'])
        o.print(meta_net.conv[1].num_batches_tracked, meta_net.conv[1].running_mean.shape)
        o.vals += [p.detach() for n, p in meta_net.named_parameters() if 'weight' in n]
    return o.done()
