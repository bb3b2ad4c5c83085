"""Custom optimizers (see tests/s20_optim2_progs.py), this file: alecwangcq/KFAC-Pytorch
(optimizers/kfac.py with utils/kfac_utils.py: forward-pre and backward hooks collecting
activations and output gradients, update_running_stat, the eigendecomposition (torch.symeig
there, torch.linalg.eigh in PyTorch 2), the preconditioned update, kl_clip, the legacy
``add_(scalar, tensor)`` calls and trainer.py's sampled-Fisher pass)."""

import math

from s16_yunjey_progs import Out


def _kfac(torch, Out_print):
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    def try_contiguous(x):
        if not x.is_contiguous():
            x = x.contiguous()

        return x

    def _extract_patches(x, kernel_size, stride, padding):
        if padding[0] + padding[1] > 0:
            x = F.pad(x, (padding[1], padding[1], padding[0],
                          padding[0])).data  # Actually check dims
        x = x.unfold(2, kernel_size[0], stride[0])
        x = x.unfold(3, kernel_size[1], stride[1])
        x = x.transpose_(1, 2).transpose_(2, 3).contiguous()
        x = x.view(
            x.size(0), x.size(1), x.size(2),
            x.size(3) * x.size(4) * x.size(5))
        return x

    def update_running_stat(aa, m_aa, stat_decay):
        # using inplace operation to save memory!
        m_aa *= stat_decay / (1 - stat_decay)
        m_aa += aa
        m_aa *= (1 - stat_decay)

    class ComputeCovA:

        @classmethod
        def compute_cov_a(cls, a, layer):
            return cls.__call__(a, layer)

        @classmethod
        def __call__(cls, a, layer):
            if isinstance(layer, nn.Linear):
                cov_a = cls.linear(a, layer)
            elif isinstance(layer, nn.Conv2d):
                cov_a = cls.conv2d(a, layer)
            else:
                cov_a = None

            return cov_a

        @staticmethod
        def conv2d(a, layer):
            batch_size = a.size(0)
            a = _extract_patches(a, layer.kernel_size, layer.stride, layer.padding)
            spatial_size = a.size(1) * a.size(2)
            a = a.view(-1, a.size(-1))
            if layer.bias is not None:
                a = torch.cat([a, a.new(a.size(0), 1).fill_(1)], 1)
            a = a/spatial_size
            return a.t() @ (a / batch_size)

        @staticmethod
        def linear(a, layer):
            # a: batch_size * in_dim
            batch_size = a.size(0)
            if layer.bias is not None:
                a = torch.cat([a, a.new(a.size(0), 1).fill_(1)], 1)
            return a.t() @ (a / batch_size)

    class ComputeCovG:

        @classmethod
        def compute_cov_g(cls, g, layer, batch_averaged=False):
            return cls.__call__(g, layer, batch_averaged)

        @classmethod
        def __call__(cls, g, layer, batch_averaged):
            if isinstance(layer, nn.Conv2d):
                cov_g = cls.conv2d(g, layer, batch_averaged)
            elif isinstance(layer, nn.Linear):
                cov_g = cls.linear(g, layer, batch_averaged)
            else:
                cov_g = None

            return cov_g

        @staticmethod
        def conv2d(g, layer, batch_averaged):
            spatial_size = g.size(2) * g.size(3)
            batch_size = g.shape[0]
            g = g.transpose(1, 2).transpose(2, 3)
            g = try_contiguous(g)
            g = g.view(-1, g.size(-1))

            if batch_averaged:
                g = g * batch_size
            g = g * spatial_size
            cov_g = g.t() @ (g / g.size(0))

            return cov_g

        @staticmethod
        def linear(g, layer, batch_averaged):
            batch_size = g.size(0)

            if batch_averaged:
                cov_g = g.t() @ (g * batch_size)
            else:
                cov_g = g.t() @ (g / batch_size)
            return cov_g

    class KFACOptimizer(optim.Optimizer):
        def __init__(self,
                     model,
                     lr=0.001,
                     momentum=0.9,
                     stat_decay=0.95,
                     damping=0.001,
                     kl_clip=0.001,
                     weight_decay=0,
                     TCov=10,
                     TInv=100,
                     batch_averaged=True):
            if lr < 0.0:
                raise ValueError("Invalid learning rate: {}".format(lr))
            if momentum < 0.0:
                raise ValueError("Invalid momentum value: {}".format(momentum))
            if weight_decay < 0.0:
                raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
            defaults = dict(lr=lr, momentum=momentum, damping=damping,
                            weight_decay=weight_decay)
            super(KFACOptimizer, self).__init__(model.parameters(), defaults)
            self.CovAHandler = ComputeCovA()
            self.CovGHandler = ComputeCovG()
            self.batch_averaged = batch_averaged

            self.known_modules = {'Linear', 'Conv2d'}

            self.modules = []
            self.grad_outputs = {}

            self.model = model
            self._prepare_model()

            self.steps = 0

            self.m_aa, self.m_gg = {}, {}
            self.Q_a, self.Q_g = {}, {}
            self.d_a, self.d_g = {}, {}
            self.stat_decay = stat_decay

            self.kl_clip = kl_clip
            self.TCov = TCov
            self.TInv = TInv

        def _save_input(self, module, input):
            if torch.is_grad_enabled() and self.steps % self.TCov == 0:
                aa = self.CovAHandler(input[0].data, module)
                # Initialize buffers
                if self.steps == 0:
                    self.m_aa[module] = torch.diag(aa.new(aa.size(0)).fill_(1))
                update_running_stat(aa, self.m_aa[module], self.stat_decay)

        def _save_grad_output(self, module, grad_input, grad_output):
            # Accumulate statistics for Fisher matrices
            if self.acc_stats and self.steps % self.TCov == 0:
                gg = self.CovGHandler(grad_output[0].data, module, self.batch_averaged)
                # Initialize buffers
                if self.steps == 0:
                    self.m_gg[module] = torch.diag(gg.new(gg.size(0)).fill_(1))
                update_running_stat(gg, self.m_gg[module], self.stat_decay)

        def _prepare_model(self):
            count = 0
            Out_print(self.model)
            Out_print("=> We keep following layers in KFAC. ")
            for module in self.model.modules():
                classname = module.__class__.__name__
                if classname in self.known_modules:
                    self.modules.append(module)
                    module.register_forward_pre_hook(self._save_input)
                    module.register_backward_hook(self._save_grad_output)
                    Out_print('(%s): %s' % (count, module))
                    count += 1

        def _update_inv(self, m):
            eps = 1e-10  # for numerical stability
            self.d_a[m], self.Q_a[m] = torch.linalg.eigh(self.m_aa[m])
            self.d_g[m], self.Q_g[m] = torch.linalg.eigh(self.m_gg[m])

            self.d_a[m].mul_((self.d_a[m] > eps).float())
            self.d_g[m].mul_((self.d_g[m] > eps).float())

        @staticmethod
        def _get_matrix_form_grad(m, classname):
            if classname == 'Conv2d':
                p_grad_mat = m.weight.grad.data.view(m.weight.grad.data.size(0), -1)  # n_filters * (in_c * kw * kh)
            else:
                p_grad_mat = m.weight.grad.data
            if m.bias is not None:
                p_grad_mat = torch.cat([p_grad_mat, m.bias.grad.data.view(-1, 1)], 1)
            return p_grad_mat

        def _get_natural_grad(self, m, p_grad_mat, damping):
            v1 = self.Q_g[m].t() @ p_grad_mat @ self.Q_a[m]
            v2 = v1 / (self.d_g[m].unsqueeze(1) * self.d_a[m].unsqueeze(0) + damping)
            v = self.Q_g[m] @ v2 @ self.Q_a[m].t()
            if m.bias is not None:
                # we always put gradient w.r.t weight in [0]
                # and w.r.t bias in [1]
                v = [v[:, :-1], v[:, -1:]]
                v[0] = v[0].view(m.weight.grad.data.size())
                v[1] = v[1].view(m.bias.grad.data.size())
            else:
                v = [v.view(m.weight.grad.data.size())]

            return v

        def _kl_clip_and_update_grad(self, updates, lr):
            # do kl clip
            vg_sum = 0
            for m in self.modules:
                v = updates[m]
                vg_sum += (v[0] * m.weight.grad.data * lr ** 2).sum().item()
                if m.bias is not None:
                    vg_sum += (v[1] * m.bias.grad.data * lr ** 2).sum().item()
            nu = min(1.0, math.sqrt(self.kl_clip / vg_sum))

            for m in self.modules:
                v = updates[m]
                m.weight.grad.data.copy_(v[0])
                m.weight.grad.data.mul_(nu)
                if m.bias is not None:
                    m.bias.grad.data.copy_(v[1])
                    m.bias.grad.data.mul_(nu)

        def _step(self, closure):
            for group in self.param_groups:
                weight_decay = group['weight_decay']
                momentum = group['momentum']

                for p in group['params']:
                    if p.grad is None:
                        continue
                    d_p = p.grad.data
                    if weight_decay != 0 and self.steps >= 20 * self.TCov:
                        d_p.add_(weight_decay, p.data)
                    if momentum != 0:
                        param_state = self.state[p]
                        if 'momentum_buffer' not in param_state:
                            buf = param_state['momentum_buffer'] = torch.zeros_like(p.data)
                            buf.mul_(momentum).add_(d_p)
                        else:
                            buf = param_state['momentum_buffer']
                            buf.mul_(momentum).add_(1, d_p)
                        d_p = buf

                    p.data.add_(-group['lr'], d_p)

        def step(self, closure=None):
            group = self.param_groups[0]
            lr = group['lr']
            damping = group['damping']
            updates = {}
            for m in self.modules:
                classname = m.__class__.__name__
                if self.steps % self.TInv == 0:
                    self._update_inv(m)
                p_grad_mat = self._get_matrix_form_grad(m, classname)
                v = self._get_natural_grad(m, p_grad_mat, damping)
                updates[m] = v
            self._kl_clip_and_update_grad(updates, lr)

            self._step(closure)
            self.steps += 1

    return KFACOptimizer


def _kfac_train(L, o, net, inputs, targets, epochs, **kw):
    """trainer.py's train loop: the sampled-Fisher backward every TCov steps."""
    torch = L
    optimizer = _kfac(torch, o.print)(net, **kw)
    criterion = torch.nn.CrossEntropyLoss()
    optim_name = 'kfac'
    for step in range(epochs):
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        if optim_name in ['kfac', 'ekfac'] and optimizer.steps % optimizer.TCov == 0:
            # compute true fisher
            optimizer.acc_stats = True
            with torch.no_grad():
                sampled_y = torch.multinomial(torch.nn.functional.softmax(outputs.cpu().data, dim=1),
                                              1).squeeze()
            loss_sample = criterion(outputs, sampled_y)
            loss_sample.backward(retain_graph=True)
            optimizer.acc_stats = False
            optimizer.zero_grad()  # clear the gradient for computing true-fisher.
        loss.backward()
        optimizer.step()
        _, predicted = outputs.max(1)
        correct = predicted.eq(targets).sum().item()
        o.print(f"step {step} loss {loss.item():.4f} correct {correct}")
    return optimizer


def kfac_mlp(L):
    """KFAC on a Linear-ReLU-Linear classifier: TCov=2, TInv=3, momentum, kl_clip."""
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
        inputs, targets = torch.randn(12, 5), torch.randint(0, 3, (12,))
        opt = _kfac_train(L, o, net, inputs, targets, 5, lr=0.05, TCov=2, TInv=3,
                          kl_clip=0.01, damping=0.01)
        m = opt.modules[0]
        o.print(opt.steps, opt.m_aa[m].shape, opt.m_gg[m].shape, opt.d_a[m].dtype)
        o.print(sorted(opt.state[net[0].weight]), len(opt.state))
        o.vals += [p.detach().clone() for p in net.parameters()]
        o.vals += [opt.m_aa[m], opt.m_gg[m], opt.d_g[m]]
    return o.lines, o.vals


def kfac_conv(L):
    """KFAC with a Conv2d (padding 1, _extract_patches through F.pad(...).data, unfold and
    transpose_) and a bias-free Linear, weight decay after 20 * TCov steps."""
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(3)
        net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Flatten(),
                            nn.Linear(3 * 4 * 4, 4, bias=False))
        inputs, targets = torch.randn(5, 2, 4, 4), torch.randint(0, 4, (5,))
        opt = _kfac_train(L, o, net, inputs, targets, 4, lr=0.02, TCov=1, TInv=2,
                          weight_decay=1e-3, momentum=0.5)
        m = opt.modules[0]
        o.print(opt.m_aa[m].shape, opt.m_gg[m].shape, opt.Q_a[opt.modules[1]].shape)
        o.vals += [p.detach().clone() for p in net.parameters()]
        o.vals += [opt.m_aa[m], opt.m_gg[m]]
    return o.lines, o.vals
