"""Self-supervised learning and training tricks as popular code writes them, scaled down, as
``prog(L) -> (printed, values)`` for tests/test_programs_s20_ssl.py. This file:
facebookresearch/barlowtwins (main.py: off_diagonal, BarlowTwins with BatchNorm1d(affine=
False), the LARS optimizer and adjust_learning_rate), SimSiam (facebookresearch/simsiam:
negative cosine similarity with stop-gradient), knowledge distillation (Hinton loss with
KLDivLoss(reduction='batchmean') of log_softmax / softmax at a temperature), mixup
(facebookresearch/mixup-cifar10: np.random.beta, torch.randperm, mixup_criterion)."""

import math

import numpy as np
from s16_yunjey_progs import Out


def _batch(L, n, d, seed, classes=5):
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.standard_normal((n, d)).astype(np.float32))
    y = L.from_numpy(rng.integers(0, classes, n))
    return x, y


def barlow_twins(L):
    """facebookresearch/barlowtwins main.py: off_diagonal (flatten()[:-1].view(n - 1, n + 1)
    [:, 1:].flatten()), projector of Linear(bias=False)/BatchNorm1d/ReLU(inplace=True),
    self.bn = BatchNorm1d(affine=False), c = bn(z1).T @ bn(z2), c.div_, torch.diagonal(c)
    .add_(-1).pow_(2).sum(), LARS (torch.where on norms, state 'mu') with param groups split
    by p.ndim, adjust_learning_rate with warmup and a cosine."""
    nn, optim = L.nn, L.optim
    with Out() as o:
        L.manual_seed(4)

        class Args:
            batch_size, lambd, projector, epochs = 8, 0.0051, "16-16-16", 3
            learning_rate_weights, learning_rate_biases = 0.2, 0.0048

        args = Args()

        def off_diagonal(x):
            # return a flattened view of the off-diagonal elements of a square matrix
            n, m = x.shape
            assert n == m
            return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()

        class BarlowTwins(nn.Module):
            def __init__(self, args):
                super().__init__()
                self.args = args
                self.backbone = nn.Sequential(nn.Linear(10, 12), nn.ReLU(), nn.Linear(12, 12))
                self.backbone[-1] = nn.Identity()
                # projector
                sizes = [12] + list(map(int, args.projector.split('-')))
                layers = []
                for i in range(len(sizes) - 2):
                    layers.append(nn.Linear(sizes[i], sizes[i + 1], bias=False))
                    layers.append(nn.BatchNorm1d(sizes[i + 1]))
                    layers.append(nn.ReLU(inplace=True))
                layers.append(nn.Linear(sizes[-2], sizes[-1], bias=False))
                self.projector = nn.Sequential(*layers)
                # normalization layer for the representations z1 and z2
                self.bn = nn.BatchNorm1d(sizes[-1], affine=False)

            def forward(self, y1, y2):
                z1 = self.projector(self.backbone(y1))
                z2 = self.projector(self.backbone(y2))
                # empirical cross-correlation matrix
                c = self.bn(z1).T @ self.bn(z2)
                c.div_(self.args.batch_size)
                on_diag = L.diagonal(c).add_(-1).pow_(2).sum()
                off_diag = off_diagonal(c).pow_(2).sum()
                loss = on_diag + self.args.lambd * off_diag
                return loss

        class LARS(optim.Optimizer):
            def __init__(self, params, lr, weight_decay=0, momentum=0.9, eta=0.001,
                         weight_decay_filter=None, lars_adaptation_filter=None):
                defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                eta=eta, weight_decay_filter=weight_decay_filter,
                                lars_adaptation_filter=lars_adaptation_filter)
                super().__init__(params, defaults)

            @L.no_grad()
            def step(self):
                for g in self.param_groups:
                    for p in g['params']:
                        dp = p.grad
                        if dp is None:
                            continue
                        if g['weight_decay_filter'] is None or not g['weight_decay_filter'](p):
                            dp = dp.add(p, alpha=g['weight_decay'])
                        if (g['lars_adaptation_filter'] is None
                                or not g['lars_adaptation_filter'](p)):
                            param_norm = L.norm(p)
                            update_norm = L.norm(dp)
                            one = L.ones_like(param_norm)
                            q = L.where(param_norm > 0.,
                                        L.where(update_norm > 0,
                                                (g['eta'] * param_norm / update_norm), one), one)
                            dp = dp.mul(q)
                        param_state = self.state[p]
                        if 'mu' not in param_state:
                            param_state['mu'] = L.zeros_like(p)
                        mu = param_state['mu']
                        mu.mul_(g['momentum']).add_(dp)
                        p.add_(mu, alpha=-g['lr'])

        def exclude_bias_and_norm(p):
            return p.ndim == 1

        def adjust_learning_rate(args, optimizer, loader, step):
            max_steps = args.epochs * len(loader)
            warmup_steps = 1 * len(loader)
            base_lr = args.batch_size / 256
            if step < warmup_steps:
                lr = base_lr * step / warmup_steps
            else:
                step -= warmup_steps
                max_steps -= warmup_steps
                q = 0.5 * (1 + math.cos(math.pi * step / max_steps))
                end_lr = base_lr * 0.001
                lr = base_lr * q + end_lr * (1 - q)
            optimizer.param_groups[0]['lr'] = lr * args.learning_rate_weights
            optimizer.param_groups[1]['lr'] = lr * args.learning_rate_biases

        model = BarlowTwins(args)
        o.print(model)
        param_weights = []
        param_biases = []
        for param in model.parameters():
            if param.ndim == 1:
                param_biases.append(param)
            else:
                param_weights.append(param)
        parameters = [{'params': param_weights}, {'params': param_biases}]
        optimizer = LARS(parameters, lr=0, weight_decay=1e-6,
                         weight_decay_filter=exclude_bias_and_norm,
                         lars_adaptation_filter=exclude_bias_and_norm)
        loader = [None, None]
        for epoch in range(args.epochs):
            for step, _ in enumerate(loader, start=epoch * len(loader)):
                y1, _ = _batch(L, 8, 10, 2 * step)
                y2 = y1 + 0.1 * _batch(L, 8, 10, 2 * step + 1)[0]
                adjust_learning_rate(args, optimizer, loader, step)
                optimizer.zero_grad()
                loss = model.forward(y1, y2)
                loss.backward()
                optimizer.step()
                stats = dict(epoch=epoch, step=step,
                             lr_weights=round(optimizer.param_groups[0]['lr'], 8),
                             lr_biases=round(optimizer.param_groups[1]['lr'], 8),
                             loss=round(loss.item(), 4))
                o.print(stats)
                o.vals += [loss]
        c = L.arange(16.).view(4, 4)
        o.print(off_diagonal(c))
        o.tryit(lambda: L.arange(12.).view(3, 4).flatten()[:-1].view(2, 4))
        o.tryit(lambda: L.diagonal(L.arange(12.).view(3, 4)).add_(-1))
        o.print(model.bn.weight, model.bn.running_var.shape, model.bn)
        o.vals += list(model.parameters()) + [model.bn.running_mean, model.bn.running_var]
        o.vals += [optimizer.state[p]['mu'] for p in param_weights]
    return o.done()


def simsiam(L):
    """facebookresearch/simsiam: projector ending in BatchNorm1d(affine=False) whose
    previous Linear has requires_grad = False on its bias, the predictor, criterion =
    nn.CosineSimilarity(dim=1), loss = -(criterion(p1, z2).mean() + criterion(p2, z1)
    .mean()) * 0.5 with z.detach(), SGD on [{'params', 'fix_lr': False}, {..True}] and
    adjust_learning_rate over param_groups (cosine)."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(5)
        dim, pred_dim = 8, 4

        class SimSiam(nn.Module):
            def __init__(self, dim=8, pred_dim=4):
                super(SimSiam, self).__init__()
                self.encoder = nn.Sequential(nn.Linear(10, dim))
                prev_dim = self.encoder[0].weight.shape[1]
                self.encoder = nn.Sequential(nn.Linear(10, prev_dim, bias=False),
                                             nn.BatchNorm1d(prev_dim),
                                             nn.ReLU(inplace=True),  # first layer
                                             nn.Linear(prev_dim, dim),
                                             nn.BatchNorm1d(dim, affine=False))  # output layer
                # hack: not use bias as it is followed by BN
                self.encoder[3].bias.requires_grad = False
                self.predictor = nn.Sequential(nn.Linear(dim, pred_dim, bias=False),
                                               nn.BatchNorm1d(pred_dim),
                                               nn.ReLU(inplace=True),  # hidden layer
                                               nn.Linear(pred_dim, dim))  # output layer

            def forward(self, x1, x2):
                z1 = self.encoder(x1)  # NxC
                z2 = self.encoder(x2)  # NxC
                p1 = self.predictor(z1)  # NxC
                p2 = self.predictor(z2)  # NxC
                return p1, p2, z1.detach(), z2.detach()

        def adjust_learning_rate(optimizer, init_lr, epoch, epochs):
            cur_lr = init_lr * 0.5 * (1. + math.cos(math.pi * epoch / epochs))
            for param_group in optimizer.param_groups:
                if 'fix_lr' in param_group and param_group['fix_lr']:
                    param_group['lr'] = init_lr
                else:
                    param_group['lr'] = cur_lr

        model = SimSiam(dim, pred_dim)
        o.print(model)
        criterion = nn.CosineSimilarity(dim=1)
        optim_params = [{'params': model.encoder.parameters(), 'fix_lr': False},
                        {'params': model.predictor.parameters(), 'fix_lr': True}]
        init_lr = 0.05 * 8 / 256
        optimizer = L.optim.SGD(optim_params, init_lr, momentum=0.9, weight_decay=1e-4)
        o.print([len(g['params']) for g in optimizer.param_groups],
                sorted(optimizer.param_groups[1]))
        epochs = 3
        for epoch in range(epochs):
            adjust_learning_rate(optimizer, init_lr, epoch, epochs)
            x, _ = _batch(L, 8, 10, 30 + epoch)
            images = [x + 0.1 * L.randn_like(x), x + 0.1 * L.randn_like(x)]
            p1, p2, z1, z2 = model(x1=images[0], x2=images[1])
            loss = -(criterion(p1, z2).mean() + criterion(p2, z1).mean()) * 0.5
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print(f"Epoch [{epoch}] Loss {loss.item():.4f}",
                    [round(g['lr'], 6) for g in optimizer.param_groups],
                    model.encoder[3].bias.grad)
            o.vals += [loss, p1, z2]
        o.vals += [p for p in model.parameters() if p.requires_grad]
    return o.done()


def distillation(L):
    """Knowledge distillation as common code writes it: a frozen teacher in eval(), a small
    student, loss = KLDivLoss(reduction='batchmean')(log_softmax(s / T), softmax(t / T)) *
    T * T * alpha + CE * (1 - alpha); F.kl_div with reduction='batchmean' and 'mean' (the
    latter's warning), accuracy by argmax == labels."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(6)
        teacher = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 5))
        student = nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 5))
        o.print(sum(p.numel() for p in teacher.parameters()),
                sum(p.numel() for p in student.parameters()))
        teacher.eval()
        T, soft_target_loss_weight, ce_loss_weight = 2, 0.25, 0.75
        ce_loss = nn.CrossEntropyLoss()
        kl = nn.KLDivLoss(reduction="batchmean")
        optimizer = L.optim.Adam(student.parameters(), lr=0.01)
        student.train()
        for epoch in range(3):
            running_loss = 0.0
            for b in range(2):
                inputs, labels = _batch(L, 6, 10, 40 + 2 * epoch + b)
                optimizer.zero_grad()
                with L.no_grad():
                    teacher_logits = teacher(inputs)
                student_logits = student(inputs)
                soft_targets = nn.functional.softmax(teacher_logits / T, dim=-1)
                soft_prob = nn.functional.log_softmax(student_logits / T, dim=-1)
                soft_targets_loss = (L.sum(soft_targets * (soft_targets.log() - soft_prob))
                                     / soft_prob.size()[0] * (T ** 2))
                kd = kl(soft_prob, soft_targets) * T * T
                label_loss = ce_loss(student_logits, labels)
                loss = soft_target_loss_weight * soft_targets_loss + ce_loss_weight * label_loss
                loss.backward()
                optimizer.step()
                running_loss += loss.item()
                o.vals += [loss, kd, soft_targets_loss]
            o.print(f"Epoch {epoch + 1}/3, Loss: {running_loss / 2:.4f}")
        with L.no_grad():
            inputs, labels = _batch(L, 12, 10, 99)
            outputs = student(inputs)
            _, predicted = L.max(outputs.data, 1)
            correct = (predicted == labels).sum().item()
            o.print(f"Test Accuracy: {100 * correct / labels.size(0):.2f}%", predicted.dtype)
            t = F.softmax(teacher(inputs) / T, dim=1)
            s = F.log_softmax(outputs / T, dim=1)
            o.vals += [F.kl_div(s, t, reduction='batchmean'), F.kl_div(s, t, reduction='sum'),
                       F.kl_div(s, t.log(), reduction='batchmean', log_target=True),
                       F.kl_div(s, t, reduction='none')]
            o.vals += [F.kl_div(s, t, reduction='mean')]  # the 'mean' warning
            o.vals += [F.kl_div(s[0], t[0], reduction='batchmean')]
        o.tryit(lambda: F.kl_div(s, t[:3], reduction='batchmean'))
        o.tryit(lambda: F.kl_div(s, t, reduction='avg'))
        o.vals += list(student.parameters())
    return o.done()


def mixup(L):
    """facebookresearch/mixup-cifar10 train.py: mixup_data (np.random.beta(alpha, alpha),
    torch.randperm(batch_size), lam * x + (1 - lam) * x[index, :]), mixup_criterion, the
    accuracy line with predicted.eq(targets_a.data).cpu().sum().float()."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(7); np.random.seed(7)

        def mixup_data(x, y, alpha=1.0, use_cuda=False):
            '''Returns mixed inputs, pairs of targets, and lambda'''
            if alpha > 0:
                lam = np.random.beta(alpha, alpha)
            else:
                lam = 1
            batch_size = x.size()[0]
            index = L.randperm(batch_size)
            mixed_x = lam * x + (1 - lam) * x[index, :]
            y_a, y_b = y, y[index]
            return mixed_x, y_a, y_b, lam

        def mixup_criterion(criterion, pred, y_a, y_b, lam):
            return lam * criterion(pred, y_a) + (1 - lam) * criterion(pred, y_b)

        net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        net.train()
        train_loss = 0
        reg_loss = 0
        correct = 0
        total = 0
        rng = np.random.default_rng(7)
        for batch_idx in range(3):
            inputs = L.from_numpy(rng.random((6, 3, 6, 6), dtype=np.float32))
            targets = L.from_numpy(rng.integers(0, 5, 6))
            inputs, targets_a, targets_b, lam = mixup_data(inputs, targets, 1.0, False)
            inputs, targets_a, targets_b = map(L.autograd.Variable, (inputs, targets_a,
                                                                     targets_b))
            outputs = net(inputs)
            loss = mixup_criterion(criterion, outputs, targets_a, targets_b, lam)
            train_loss += loss.item()
            _, predicted = L.max(outputs.data, 1)
            total += targets.size(0)
            correct += (lam * predicted.eq(targets_a.data).cpu().sum().float()
                        + (1 - lam) * predicted.eq(targets_b.data).cpu().sum().float())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print('Loss: %.3f | Reg: %.5f | Acc: %.3f%% (%d/%d)'
                    % (train_loss / (batch_idx + 1), reg_loss / (batch_idx + 1),
                       100. * correct / total, correct, total))
            o.print(type(lam).__name__, type(correct).__name__, correct.dtype)
            o.vals += [loss, inputs, correct]
        o.vals += list(net.parameters())
    return o.done()
