"""Custom optimizers (see tests/s20_optim2_progs.py), this file: Ranger
(lessw2020/Ranger-Deep-Learning-Optimizer ranger/ranger.py: RAdam + Lookahead slow buffer in
the state + gradient centralization, written with the legacy ``addcmul_(value, t1, t2)``,
``add_(value, t)`` and ``addcdiv_(value, t1, t2)`` overloads) and AdamP (clovaai/AdamP
adamp/adamp.py: the projection through F.cosine_similarity on channel and layer views)."""

import math

from s16_yunjey_progs import Out


def ranger(L):
    """Ranger on a conv + linear model: GC on both (and on conv only), a few steps past k so
    the lookahead fires, N_sma below and above the threshold, weight decay."""
    torch, nn, F = L, L.nn, L.nn.functional
    Optimizer = torch.optim.Optimizer
    with Out() as o:

        class Ranger(Optimizer):

            def __init__(self, params, lr=1e-3, alpha=0.5, k=6, N_sma_threshhold=5,
                         betas=(.95, 0.999), eps=1e-5, weight_decay=0,
                         use_gc=True, gc_conv_only=False):
                if not 0.0 <= alpha <= 1.0:
                    raise ValueError(f'Invalid slow update rate: {alpha}')
                if not 1 <= k:
                    raise ValueError(f'Invalid lookahead steps: {k}')
                if not lr > 0:
                    raise ValueError(f'Invalid Learning Rate: {lr}')
                if not eps > 0:
                    raise ValueError(f'Invalid eps: {eps}')
                defaults = dict(lr=lr, alpha=alpha, k=k, step_counter=0, betas=betas, N_sma_threshhold=N_sma_threshhold, eps=eps, weight_decay=weight_decay)
                super().__init__(params, defaults)
                self.N_sma_threshhold = N_sma_threshhold
                self.alpha = alpha
                self.k = k
                self.radam_buffer = [[None, None, None] for ind in range(10)]
                self.use_gc = use_gc
                self.gc_gradient_threshold = 3 if gc_conv_only else 1
                o.print(f"Ranger optimizer loaded. \nGradient Centralization usage = {self.use_gc}")
                if (self.use_gc and self.gc_gradient_threshold == 1):
                    o.print(f"GC applied to both conv and fc layers")
                elif (self.use_gc and self.gc_gradient_threshold == 3):
                    o.print(f"GC applied to conv layers only")

            def __setstate__(self, state):
                o.print("set state called")
                super(Ranger, self).__setstate__(state)

            def step(self, closure=None):
                loss = None
                for group in self.param_groups:
                    for p in group['params']:
                        if p.grad is None:
                            continue
                        grad = p.grad.data.float()
                        if grad.is_sparse:
                            raise RuntimeError('Ranger optimizer does not support sparse gradients')
                        p_data_fp32 = p.data.float()
                        state = self.state[p]
                        if len(state) == 0:
                            state['step'] = 0
                            state['exp_avg'] = torch.zeros_like(p_data_fp32)
                            state['exp_avg_sq'] = torch.zeros_like(p_data_fp32)
                            state['slow_buffer'] = torch.empty_like(p.data)
                            state['slow_buffer'].copy_(p.data)
                        else:
                            state['exp_avg'] = state['exp_avg'].type_as(p_data_fp32)
                            state['exp_avg_sq'] = state['exp_avg_sq'].type_as(p_data_fp32)
                        exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
                        beta1, beta2 = group['betas']
                        if grad.dim() > self.gc_gradient_threshold:
                            grad.add_(-grad.mean(dim=tuple(range(1, grad.dim())), keepdim=True))
                        state['step'] += 1
                        exp_avg_sq.mul_(beta2).addcmul_(1 - beta2, grad, grad)
                        exp_avg.mul_(beta1).add_(1 - beta1, grad)
                        buffered = self.radam_buffer[int(state['step'] % 10)]
                        if state['step'] == buffered[0]:
                            N_sma, step_size = buffered[1], buffered[2]
                        else:
                            buffered[0] = state['step']
                            beta2_t = beta2 ** state['step']
                            N_sma_max = 2 / (1 - beta2) - 1
                            N_sma = N_sma_max - 2 * state['step'] * beta2_t / (1 - beta2_t)
                            buffered[1] = N_sma
                            if N_sma > self.N_sma_threshhold:
                                step_size = math.sqrt((1 - beta2_t) * (N_sma - 4) / (N_sma_max - 4) * (N_sma - 2) / N_sma * N_sma_max / (N_sma_max - 2)) / (1 - beta1 ** state['step'])
                            else:
                                step_size = 1.0 / (1 - beta1 ** state['step'])
                            buffered[2] = step_size
                        if group['weight_decay'] != 0:
                            p_data_fp32.add_(-group['weight_decay'] * group['lr'], p_data_fp32)
                        if N_sma > self.N_sma_threshhold:
                            denom = exp_avg_sq.sqrt().add_(group['eps'])
                            p_data_fp32.addcdiv_(-step_size * group['lr'], exp_avg, denom)
                        else:
                            p_data_fp32.add_(-step_size * group['lr'], exp_avg)
                        p.data.copy_(p_data_fp32)
                        if state['step'] % group['k'] == 0:
                            slow_p = state['slow_buffer']
                            slow_p.add_(self.alpha, p.data - slow_p)
                            p.data.copy_(slow_p)
                return loss

        x, y = None, None
        for gc_conv_only in (False, True):
            torch.manual_seed(10)
            model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))
            if x is None:
                x, y = torch.randn(6, 1, 4, 4), torch.randint(0, 2, (6,))
            opt = Ranger(model.parameters(), lr=1e-2, k=3, betas=(0.9, 0.6),
                         weight_decay=1e-3, gc_conv_only=gc_conv_only)
            for it in range(7):
                opt.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                o.print(it, f"{loss.item():.4f}")
            o.print(sorted(opt.state[model[0].weight]), opt.radam_buffer[7][0])
            o.vals += [p.detach().clone() for p in model.parameters()]
            o.vals += [opt.state[model[3].weight]["slow_buffer"]]
        opt.load_state_dict(opt.state_dict())
    return o.lines, o.vals


def adamp(L):
    """AdamP on a conv + BatchNorm net (scale-invariant conv weights): the projection
    (delta chosen so it fires), nesterov, the decoupled weight decay scaled by wd_ratio."""
    torch, nn, F = L, L.nn, L.nn.functional
    Optimizer = torch.optim.Optimizer
    with Out() as o:

        class AdamP(Optimizer):
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                         weight_decay=0, delta=0.1, wd_ratio=0.1, nesterov=False):
                defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                delta=delta, wd_ratio=wd_ratio, nesterov=nesterov)
                super(AdamP, self).__init__(params, defaults)

            def _channel_view(self, x):
                return x.view(x.size(0), -1)

            def _layer_view(self, x):
                return x.view(1, -1)

            def _cosine_similarity(self, x, y, eps, view_func):
                x = view_func(x)
                y = view_func(y)

                return F.cosine_similarity(x, y, dim=1, eps=eps).abs_()

            def _projection(self, p, grad, perturb, delta, wd_ratio, eps):
                wd = 1
                expand_size = [-1] + [1] * (len(p.shape) - 1)
                for view_func in [self._channel_view, self._layer_view]:

                    cosine_sim = self._cosine_similarity(grad, p.data, eps, view_func)

                    if cosine_sim.max() < delta / math.sqrt(view_func(p.data).size(1)):
                        p_n = p.data / view_func(p.data).norm(dim=1).view(expand_size).add_(eps)
                        perturb -= p_n * view_func(p_n * perturb).sum(dim=1).view(expand_size)
                        wd = wd_ratio

                        return perturb, wd

                return perturb, wd

            def step(self, closure=None):
                loss = None
                if closure is not None:
                    loss = closure()

                for group in self.param_groups:
                    for p in group['params']:
                        if p.grad is None:
                            continue

                        grad = p.grad.data
                        beta1, beta2 = group['betas']
                        nesterov = group['nesterov']

                        state = self.state[p]

                        if len(state) == 0:
                            state['step'] = 0
                            state['exp_avg'] = torch.zeros_like(p.data)
                            state['exp_avg_sq'] = torch.zeros_like(p.data)

                        exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']

                        state['step'] += 1
                        bias_correction1 = 1 - beta1 ** state['step']
                        bias_correction2 = 1 - beta2 ** state['step']

                        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

                        denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(group['eps'])
                        step_size = group['lr'] / bias_correction1

                        if nesterov:
                            perturb = (beta1 * exp_avg + (1 - beta1) * grad) / denom
                        else:
                            perturb = exp_avg / denom

                        wd_ratio = 1
                        if len(p.shape) > 1:
                            perturb, wd_ratio = self._projection(p, grad, perturb, group['delta'], group['wd_ratio'], group['eps'])

                        if group['weight_decay'] > 0:
                            p.data.mul_(1 - group['lr'] * group['weight_decay'] * wd_ratio)

                        p.data.add_(perturb, alpha=-step_size)

                return loss

        torch.manual_seed(11)
        model = nn.Sequential(nn.Conv2d(2, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                              nn.Flatten(), nn.Linear(16, 3))
        opt = AdamP(model.parameters(), lr=1e-2, betas=(0.9, 0.999), weight_decay=1e-2,
                    delta=1.0, nesterov=True)
        x, y = torch.randn(5, 2, 4, 4), torch.randint(0, 3, (5,))
        for it in range(5):
            def closure():
                opt.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                return loss
            loss = opt.step(closure)
            w = model[0].weight
            o.print(it, f"{loss.item():.4f}", f"{w.norm().item():.4f}")
        o.vals += [p.detach().clone() for p in model.parameters()]
    return o.lines, o.vals
