"""dragen1860/MAML-Pytorch as users type it: learner.py (the Learner with its own
``nn.ParameterList`` of variables and a functional ``forward(x, vars, bn_training)`` through
F.conv2d / F.conv_transpose2d / F.linear / F.batch_norm with explicit weights), meta.py (Meta:
the inner loop with torch.autograd.grad and fast weights, the outer Adam step, finetunning on
a deepcopy) and the omniglot_train.py / miniimagenet_train.py drivers. Omniglot batches are
seeded NumPy stand-ins (5-way 1-shot, 1x14x14 images), the nets shrunk to 8 channels, a couple
of meta-steps (update_lr 0.1: the original's 0.4 over three inner steps with BatchNorm over five
images amplifies float32 rounding past the comparison, in either library against float64).
Meta.forward also returns the meta loss, printed with 4 decimals. Each program is
``prog(torch) -> (printed lines, values)``; see tests/test_programs_s21_meta.py."""

from copy import deepcopy

import numpy as np
from s16_yunjey_progs import Out


def _learner_cls(L):
    """learner.py's Learner for library L (``name is 'conv2d'`` spelled with ==)."""
    torch, nn, F = L, L.nn, L.nn.functional

    class Learner(nn.Module):
        def __init__(self, config, imgc, imgsz):
            super(Learner, self).__init__()
            self.config = config
            # this dict contains all tensors needed to be optimized
            self.vars = nn.ParameterList()
            # running_mean and running_var
            self.vars_bn = nn.ParameterList()
            for i, (name, param) in enumerate(self.config):
                if name == 'conv2d':
                    w = nn.Parameter(torch.ones(*param[:4]))
                    torch.nn.init.kaiming_normal_(w)
                    self.vars.append(w)
                    self.vars.append(nn.Parameter(torch.zeros(param[0])))
                elif name == 'convt2d':
                    w = nn.Parameter(torch.ones(*param[:4]))
                    torch.nn.init.kaiming_normal_(w)
                    self.vars.append(w)
                    self.vars.append(nn.Parameter(torch.zeros(param[1])))
                elif name == 'linear':
                    w = nn.Parameter(torch.ones(*param))
                    torch.nn.init.kaiming_normal_(w)
                    self.vars.append(w)
                    self.vars.append(nn.Parameter(torch.zeros(param[0])))
                elif name == 'bn':
                    w = nn.Parameter(torch.ones(param[0]))
                    self.vars.append(w)
                    self.vars.append(nn.Parameter(torch.zeros(param[0])))
                    # must set requires_grad=False
                    running_mean = nn.Parameter(torch.zeros(param[0]), requires_grad=False)
                    running_var = nn.Parameter(torch.ones(param[0]), requires_grad=False)
                    self.vars_bn.extend([running_mean, running_var])
                elif name in ['tanh', 'relu', 'upsample', 'avg_pool2d', 'max_pool2d',
                              'flatten', 'reshape', 'leakyrelu', 'sigmoid']:
                    continue
                else:
                    raise NotImplementedError

        def extra_repr(self):
            info = ''
            for name, param in self.config:
                if name == 'conv2d':
                    tmp = 'conv2d:(ch_in:%d, ch_out:%d, k:%dx%d, stride:%d, padding:%d)'\
                          % (param[1], param[0], param[2], param[3], param[4], param[5],)
                    info += tmp + '\n'
                elif name == 'convt2d':
                    tmp = 'convTranspose2d:(ch_in:%d, ch_out:%d, k:%dx%d, stride:%d, padding:%d)'\
                          % (param[0], param[1], param[2], param[3], param[4], param[5],)
                    info += tmp + '\n'
                elif name == 'linear':
                    tmp = 'linear:(in:%d, out:%d)' % (param[1], param[0])
                    info += tmp + '\n'
                elif name == 'leakyrelu':
                    tmp = 'leakyrelu:(slope:%f)' % (param[0])
                    info += tmp + '\n'
                elif name == 'avg_pool2d':
                    tmp = 'avg_pool2d:(k:%d, stride:%d, padding:%d)' % (param[0], param[1], param[2])
                    info += tmp + '\n'
                elif name == 'max_pool2d':
                    tmp = 'max_pool2d:(k:%d, stride:%d, padding:%d)' % (param[0], param[1], param[2])
                    info += tmp + '\n'
                elif name in ['flatten', 'tanh', 'relu', 'upsample', 'reshape', 'sigmoid',
                              'use_logits', 'bn']:
                    tmp = name + ':' + str(tuple(param))
                    info += tmp + '\n'
                else:
                    raise NotImplementedError
            return info

        def forward(self, x, vars=None, bn_training=True):
            if vars is None:
                vars = self.vars
            idx = 0
            bn_idx = 0
            for name, param in self.config:
                if name == 'conv2d':
                    w, b = vars[idx], vars[idx + 1]
                    x = F.conv2d(x, w, b, stride=param[4], padding=param[5])
                    idx += 2
                elif name == 'convt2d':
                    w, b = vars[idx], vars[idx + 1]
                    x = F.conv_transpose2d(x, w, b, stride=param[4], padding=param[5])
                    idx += 2
                elif name == 'linear':
                    w, b = vars[idx], vars[idx + 1]
                    x = F.linear(x, w, b)
                    idx += 2
                elif name == 'bn':
                    w, b = vars[idx], vars[idx + 1]
                    running_mean, running_var = self.vars_bn[bn_idx], self.vars_bn[bn_idx + 1]
                    x = F.batch_norm(x, running_mean, running_var, weight=w, bias=b,
                                     training=bn_training)
                    idx += 2
                    bn_idx += 2
                elif name == 'flatten':
                    x = x.view(x.size(0), -1)
                elif name == 'reshape':
                    x = x.view(x.size(0), *param)
                elif name == 'relu':
                    x = F.relu(x, inplace=param[0])
                elif name == 'leakyrelu':
                    x = F.leaky_relu(x, negative_slope=param[0], inplace=param[1])
                elif name == 'tanh':
                    x = F.tanh(x)
                elif name == 'sigmoid':
                    x = torch.sigmoid(x)
                elif name == 'upsample':
                    x = F.upsample_nearest(x, scale_factor=param[0])
                elif name == 'max_pool2d':
                    x = F.max_pool2d(x, param[0], param[1], param[2])
                elif name == 'avg_pool2d':
                    x = F.avg_pool2d(x, param[0], param[1], param[2])
                else:
                    raise NotImplementedError
            # make sure variable is used properly
            assert idx == len(vars)
            assert bn_idx == len(self.vars_bn)
            return x

        def zero_grad(self, vars=None):
            with torch.no_grad():
                if vars is None:
                    for p in self.vars:
                        if p.grad is not None:
                            p.grad.zero_()
                else:
                    for p in vars:
                        if p.grad is not None:
                            p.grad.zero_()

        def parameters(self):
            """override this function since initial parameters will return with a generator."""
            return self.vars

    return Learner


def _meta_cls(L):
    """meta.py's Meta for library L."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    Learner = _learner_cls(L)

    class Meta(nn.Module):
        def __init__(self, args, config):
            super(Meta, self).__init__()
            self.update_lr = args.update_lr
            self.meta_lr = args.meta_lr
            self.n_way = args.n_way
            self.k_spt = args.k_spt
            self.k_qry = args.k_qry
            self.task_num = args.task_num
            self.update_step = args.update_step
            self.update_step_test = args.update_step_test
            self.net = Learner(config, args.imgc, args.imgsz)
            self.meta_optim = optim.Adam(self.net.parameters(), lr=self.meta_lr)

        def clip_grad_by_norm_(self, grad, max_norm):
            total_norm = 0
            counter = 0
            for g in grad:
                param_norm = g.data.norm(2)
                total_norm += param_norm.item() ** 2
                counter += 1
            total_norm = total_norm ** (1. / 2)
            clip_coef = max_norm / (total_norm + 1e-6)
            if clip_coef < 1:
                for g in grad:
                    g.data.mul_(clip_coef)
            return total_norm / counter

        def forward(self, x_spt, y_spt, x_qry, y_qry):
            task_num, setsz, c_, h, w = x_spt.size()
            querysz = x_qry.size(1)
            losses_q = [0 for _ in range(self.update_step + 1)]  # losses_q[i], i is tasks idx
            corrects = [0 for _ in range(self.update_step + 1)]
            for i in range(task_num):
                # 1. run the i-th task and compute loss for k=0
                logits = self.net(x_spt[i], vars=None, bn_training=True)
                loss = F.cross_entropy(logits, y_spt[i])
                grad = torch.autograd.grad(loss, self.net.parameters())
                fast_weights = list(map(lambda p: p[1] - self.update_lr * p[0],
                                        zip(grad, self.net.parameters())))
                # this is the loss and accuracy before first update
                with torch.no_grad():
                    logits_q = self.net(x_qry[i], self.net.parameters(), bn_training=True)
                    loss_q = F.cross_entropy(logits_q, y_qry[i])
                    losses_q[0] += loss_q
                    pred_q = F.softmax(logits_q, dim=1).argmax(dim=1)
                    correct = torch.eq(pred_q, y_qry[i]).sum().item()
                    corrects[0] = corrects[0] + correct
                # this is the loss and accuracy after the first update
                with torch.no_grad():
                    logits_q = self.net(x_qry[i], fast_weights, bn_training=True)
                    loss_q = F.cross_entropy(logits_q, y_qry[i])
                    losses_q[1] += loss_q
                    pred_q = F.softmax(logits_q, dim=1).argmax(dim=1)
                    correct = torch.eq(pred_q, y_qry[i]).sum().item()
                    corrects[1] = corrects[1] + correct
                for k in range(1, self.update_step):
                    logits = self.net(x_spt[i], fast_weights, bn_training=True)
                    loss = F.cross_entropy(logits, y_spt[i])
                    grad = torch.autograd.grad(loss, fast_weights)
                    fast_weights = list(map(lambda p: p[1] - self.update_lr * p[0],
                                            zip(grad, fast_weights)))
                    logits_q = self.net(x_qry[i], fast_weights, bn_training=True)
                    loss_q = F.cross_entropy(logits_q, y_qry[i])
                    losses_q[k + 1] += loss_q
                    with torch.no_grad():
                        pred_q = F.softmax(logits_q, dim=1).argmax(dim=1)
                        correct = torch.eq(pred_q, y_qry[i]).sum().item()  # convert to numpy
                        corrects[k + 1] = corrects[k + 1] + correct
            # end of all tasks: sum over all losses on query set across all tasks
            loss_q = losses_q[-1] / task_num
            # optimize theta parameters
            self.meta_optim.zero_grad()
            loss_q.backward()
            self.meta_optim.step()
            accs = np.array(corrects) / (querysz * task_num)
            return accs, loss_q

        def finetunning(self, x_spt, y_spt, x_qry, y_qry):
            assert len(x_spt.shape) == 4
            querysz = x_qry.size(0)
            corrects = [0 for _ in range(self.update_step_test + 1)]
            # we finetunning on the copied model instead of self.net
            net = deepcopy(self.net)
            logits = net(x_spt)
            loss = F.cross_entropy(logits, y_spt)
            grad = torch.autograd.grad(loss, net.parameters())
            fast_weights = list(map(lambda p: p[1] - self.update_lr * p[0],
                                    zip(grad, net.parameters())))
            with torch.no_grad():
                logits_q = net(x_qry, net.parameters(), bn_training=True)
                pred_q = F.softmax(logits_q, dim=1).argmax(dim=1)
                correct = torch.eq(pred_q, y_qry).sum().item()
                corrects[0] = corrects[0] + correct
            with torch.no_grad():
                logits_q = net(x_qry, fast_weights, bn_training=True)
                pred_q = F.softmax(logits_q, dim=1).argmax(dim=1)
                correct = torch.eq(pred_q, y_qry).sum().item()
                corrects[1] = corrects[1] + correct
            for k in range(1, self.update_step_test):
                logits = net(x_spt, fast_weights, bn_training=True)
                loss = F.cross_entropy(logits, y_spt)
                grad = torch.autograd.grad(loss, fast_weights)
                fast_weights = list(map(lambda p: p[1] - self.update_lr * p[0],
                                        zip(grad, fast_weights)))
                logits_q = net(x_qry, fast_weights, bn_training=True)
                loss_q = F.cross_entropy(logits_q, y_qry)
                with torch.no_grad():
                    pred_q = F.softmax(logits_q, dim=1).argmax(dim=1)
                    correct = torch.eq(pred_q, y_qry).sum().item()  # convert to numpy
                    corrects[k + 1] = corrects[k + 1] + correct
            del net
            accs = np.array(corrects) / querysz
            return accs

    return Meta


class Args:
    """argparse's Namespace as the drivers build it (sizes shrunk)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __repr__(self):
        return "Namespace(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"


class OmniglotNShot:
    """omniglotNShot.py's batches: float32 images [b, setsz, 1, sz, sz], int64 labels."""

    def __init__(self, batchsz, n_way, k_shot, k_query, imgsz, seed):
        self.rng = np.random.RandomState(seed)
        self.b, self.n, self.k, self.q, self.sz = batchsz, n_way, k_shot, k_query, imgsz

    def next(self, mode='train'):
        b, n, sz = self.b, self.n, self.sz
        out = []
        for k in (self.k, self.q):
            x = self.rng.rand(b, n * k, 1, sz, sz).astype(np.float32)
            y = np.stack([self.rng.permutation(np.repeat(np.arange(n), k))
                          for _ in range(b)]).astype(np.int64)
            out += [x, y]
        return out[0], out[1], out[2], out[3]


def omniglot_train(L):
    """omniglot_train.py: print(args), print(maml), the parameter count, meta-steps, the
    'Test acc' of finetunning on a deepcopy."""
    torch = L
    Meta = _meta_cls(L)
    o = Out()
    with o:
        args = Args(n_way=5, k_spt=1, k_qry=5, imgsz=14, imgc=1, task_num=2, meta_lr=1e-3,
                    update_lr=0.1, update_step=2, update_step_test=3)
        torch.manual_seed(222)
        torch.cuda.manual_seed_all(222)
        np.random.seed(222)
        o.print(args)
        config = [
            ('conv2d', [8, 1, 3, 3, 2, 0]),
            ('relu', [True]),
            ('bn', [8]),
            ('conv2d', [8, 8, 3, 3, 2, 0]),
            ('relu', [True]),
            ('bn', [8]),
            ('conv2d', [8, 8, 2, 2, 1, 0]),
            ('relu', [True]),
            ('bn', [8]),
            ('flatten', []),
            ('linear', [args.n_way, 8])
        ]
        device = torch.device('cpu')
        maml = Meta(args, config).to(device)
        tmp = filter(lambda x: x.requires_grad, maml.parameters())
        num = sum(map(lambda x: np.prod(x.shape), tmp))
        o.print(maml)
        o.print('Total trainable tensors:', num)
        db_train = OmniglotNShot(batchsz=args.task_num, n_way=args.n_way, k_shot=args.k_spt,
                                 k_query=args.k_qry, imgsz=args.imgsz, seed=0)
        for step in range(3):
            x_spt, y_spt, x_qry, y_qry = db_train.next()
            x_spt, y_spt, x_qry, y_qry = torch.from_numpy(x_spt).to(device), \
                torch.from_numpy(y_spt).to(device), torch.from_numpy(x_qry).to(device), \
                torch.from_numpy(y_qry).to(device)
            accs, loss_q = maml(x_spt, y_spt, x_qry, y_qry)
            o.print('step:', step, '\ttraining acc:', accs, 'loss: %.4f' % loss_q.item())
            o.vals.append(loss_q.detach())
            if step % 2 == 0:
                accs = []
                for _ in range(1):
                    x_spt, y_spt, x_qry, y_qry = db_train.next('test')
                    x_spt, y_spt, x_qry, y_qry = torch.from_numpy(x_spt).to(device), \
                        torch.from_numpy(y_spt).to(device), torch.from_numpy(x_qry).to(device), \
                        torch.from_numpy(y_qry).to(device)
                    for x_spt_one, y_spt_one, x_qry_one, y_qry_one in zip(x_spt, y_spt, x_qry,
                                                                          y_qry):
                        test_acc = maml.finetunning(x_spt_one, y_spt_one, x_qry_one, y_qry_one)
                        accs.append(test_acc)
                accs = np.array(accs).mean(axis=0).astype(np.float16)
                o.print('Test acc:', accs)
        o.vals += [p.detach() for p in maml.net.vars] + [p for p in maml.net.vars_bn]
        o.print(maml.net.vars_bn[0].requires_grad, maml.net.vars_bn[0].grad)
    return o.done()

