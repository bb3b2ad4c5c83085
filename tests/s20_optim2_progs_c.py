"""Custom optimizers (see tests/s20_optim2_progs.py), this file: AdaBelief
(juntang-zhuang/Adabelief-Optimizer, adabelief_pytorch 0.2.0 AdaBelief.py: rectified and
plain updates, decoupled and fixed weight decay, amsgrad), LARS as the SimCLR / Barlow Twins
code writes it (trust ratio with torch.where, exclude_bias_and_norm), and Lion
(lucidrains/lion-pytorch: lion_pytorch.py's update_fn and foreach.py's torch._foreach_*)."""

import math

from s16_yunjey_progs import Out


def _adabelief(torch, Out_print):
    Optimizer = torch.optim.Optimizer
    version_higher = (torch.__version__ >= "1.5.0")

    class AdaBelief(Optimizer):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-16,
                     weight_decay=0, amsgrad=False, weight_decouple=True, fixed_decay=False, rectify=True,
                     degenerated_to_sgd=True, print_change_log=True):
            if not 0.0 <= lr:
                raise ValueError("Invalid learning rate: {}".format(lr))
            if not 0.0 <= eps:
                raise ValueError("Invalid epsilon value: {}".format(eps))
            if not 0.0 <= betas[0] < 1.0:
                raise ValueError("Invalid beta parameter at index 0: {}".format(betas[0]))
            if not 0.0 <= betas[1] < 1.0:
                raise ValueError("Invalid beta parameter at index 1: {}".format(betas[1]))

            self.degenerated_to_sgd = degenerated_to_sgd
            if isinstance(params, (list, tuple)) and len(params) > 0 and isinstance(params[0], dict):
                for param in params:
                    if 'betas' in param and (param['betas'][0] != betas[0] or param['betas'][1] != betas[1]):
                        param['buffer'] = [[None, None, None] for _ in range(10)]

            defaults = dict(lr=lr, betas=betas, eps=eps,
                            weight_decay=weight_decay, amsgrad=amsgrad, buffer=[[None, None, None] for _ in range(10)])
            super(AdaBelief, self).__init__(params, defaults)

            self.degenerated_to_sgd = degenerated_to_sgd
            self.weight_decouple = weight_decouple
            self.rectify = rectify
            self.fixed_decay = fixed_decay
            if self.weight_decouple:
                Out_print('Weight decoupling enabled in AdaBelief')
                if self.fixed_decay:
                    Out_print('Weight decay fixed')
            if self.rectify:
                Out_print('Rectification enabled in AdaBelief')
            if amsgrad:
                Out_print('AMSGrad enabled in AdaBelief')

        def __setstate__(self, state):
            super(AdaBelief, self).__setstate__(state)
            for group in self.param_groups:
                group.setdefault('amsgrad', False)

        def step(self, closure=None):
            loss = None
            if closure is not None:
                loss = closure()

            for group in self.param_groups:
                for p in group['params']:
                    if p.grad is None:
                        continue
                    grad = p.grad.data
                    if grad.is_sparse:
                        raise RuntimeError(
                            'AdaBelief does not support sparse gradients, please consider SparseAdam instead')
                    amsgrad = group['amsgrad']

                    state = self.state[p]

                    beta1, beta2 = group['betas']

                    # State initialization
                    if len(state) == 0:
                        state['step'] = 0
                        state['exp_avg'] = torch.zeros_like(p.data, memory_format=torch.preserve_format) \
                            if version_higher else torch.zeros_like(p.data)
                        state['exp_avg_var'] = torch.zeros_like(p.data, memory_format=torch.preserve_format) \
                            if version_higher else torch.zeros_like(p.data)
                        if amsgrad:
                            state['max_exp_avg_var'] = torch.zeros_like(p.data, memory_format=torch.preserve_format) \
                                if version_higher else torch.zeros_like(p.data)

                    # perform weight decay, check if decoupled weight decay
                    if self.weight_decouple:
                        if not self.fixed_decay:
                            p.data.mul_(1.0 - group['lr'] * group['weight_decay'])
                        else:
                            p.data.mul_(1.0 - group['weight_decay'])
                    else:
                        if group['weight_decay'] != 0:
                            grad.add_(p.data, alpha=group['weight_decay'])

                    exp_avg, exp_avg_var = state['exp_avg'], state['exp_avg_var']

                    state['step'] += 1
                    bias_correction1 = 1 - beta1 ** state['step']
                    bias_correction2 = 1 - beta2 ** state['step']

                    exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                    grad_residual = grad - exp_avg
                    exp_avg_var.mul_(beta2).addcmul_(grad_residual, grad_residual, value=1 - beta2)

                    if amsgrad:
                        max_exp_avg_var = state['max_exp_avg_var']
                        torch.max(max_exp_avg_var, exp_avg_var.add_(group['eps']), out=max_exp_avg_var)
                        denom = (max_exp_avg_var.sqrt() / math.sqrt(bias_correction2)).add_(group['eps'])
                    else:
                        denom = (exp_avg_var.add_(group['eps']).sqrt() / math.sqrt(bias_correction2)).add_(group['eps'])

                    if not self.rectify:
                        step_size = group['lr'] / bias_correction1
                        p.data.addcdiv_(exp_avg, denom, value=-step_size)

                    else:  # Rectified update, forked from RAdam
                        buffered = group['buffer'][int(state['step'] % 10)]
                        if state['step'] == buffered[0]:
                            N_sma, step_size = buffered[1], buffered[2]
                        else:
                            buffered[0] = state['step']
                            beta2_t = beta2 ** state['step']
                            N_sma_max = 2 / (1 - beta2) - 1
                            N_sma = N_sma_max - 2 * state['step'] * beta2_t / (1 - beta2_t)
                            buffered[1] = N_sma

                            if N_sma >= 5:
                                step_size = math.sqrt(
                                    (1 - beta2_t) * (N_sma - 4) / (N_sma_max - 4) * (N_sma - 2) / N_sma * N_sma_max / (
                                            N_sma_max - 2)) / (1 - beta1 ** state['step'])
                            elif self.degenerated_to_sgd:
                                step_size = 1.0 / (1 - beta1 ** state['step'])
                            else:
                                step_size = -1
                            buffered[2] = step_size

                        if N_sma >= 5:
                            denom = exp_avg_var.sqrt().add_(group['eps'])
                            p.data.addcdiv_(exp_avg, denom, value=-step_size * group['lr'])
                        elif step_size > 0:
                            p.data.add_(exp_avg, alpha=-step_size * group['lr'])

            return loss
    return AdaBelief


def adabelief(L):
    """AdaBelief three ways on one tiny regression: rectified (betas chosen so N_sma passes
    5 after a few steps), plain with amsgrad and coupled L2 decay, fixed decay with two
    parameter groups of their own betas; the optimizer's repr (the buffer list printed)."""
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        AdaBelief = _adabelief(torch, o.print)
        x, y = None, None
        for case in range(3):
            torch.manual_seed(5)
            model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
            if x is None:
                x, y = torch.randn(20, 3), torch.randn(20, 1)
            if case == 0:
                opt = AdaBelief(model.parameters(), lr=1e-2, betas=(0.9, 0.6), eps=1e-16,
                                weight_decay=1e-2, print_change_log=False)
            elif case == 1:
                opt = AdaBelief(model.parameters(), lr=1e-2, eps=1e-8, weight_decay=1e-3,
                                weight_decouple=False, rectify=False, amsgrad=True,
                                print_change_log=False)
            else:
                opt = AdaBelief([{"params": model[0].parameters(), "betas": (0.8, 0.5)},
                                 {"params": model[2].parameters()}], lr=1e-2,
                                weight_decay=1e-3, fixed_decay=True, print_change_log=False)
            for it in range(8):
                opt.zero_grad()
                loss = F.mse_loss(model(x), y)
                loss.backward()
                opt.step()
            o.print(case, f"{loss.item():.4f}", opt.param_groups[0]["buffer"][8][0],
                    sorted(opt.state[model[0].bias]))
            o.vals += [p.detach().clone() for p in model.parameters()]
        o.print(str(opt).splitlines()[:4])
    return o.lines, o.vals


def lars(L):
    """LARS from facebookresearch/barlowtwins main.py (used by SimCLR / BYOL ports):
    weight_decay_filter and lars_adaptation_filter via exclude_bias_and_norm, the trust
    ratio with nested torch.where over 0-d tensors, 'mu' state, two parameter groups
    (weights and biases) as the training script builds them, an lr schedule set by hand."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    with Out() as o:
        torch.manual_seed(6)

        class LARS(optim.Optimizer):
            def __init__(self, params, lr, weight_decay=0, momentum=0.9, eta=0.001,
                         weight_decay_filter=False, lars_adaptation_filter=False):
                defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                eta=eta, weight_decay_filter=weight_decay_filter,
                                lars_adaptation_filter=lars_adaptation_filter)
                super().__init__(params, defaults)

            def exclude_bias_and_norm(self, p):
                return p.ndim == 1

            @torch.no_grad()
            def step(self):
                for g in self.param_groups:
                    for p in g['params']:
                        dp = p.grad

                        if dp is None:
                            continue

                        if not g['weight_decay_filter'] or not self.exclude_bias_and_norm(p):
                            dp = dp.add(p, alpha=g['weight_decay'])

                        if not g['lars_adaptation_filter'] or not self.exclude_bias_and_norm(p):
                            param_norm = torch.norm(p)
                            update_norm = torch.norm(dp)
                            one = torch.ones_like(param_norm)
                            q = torch.where(param_norm > 0.,
                                            torch.where(update_norm > 0,
                                                        (g['eta'] * param_norm / update_norm), one), one)
                            dp = dp.mul(q)

                        param_state = self.state[p]
                        if 'mu' not in param_state:
                            param_state['mu'] = torch.zeros_like(p)
                        mu = param_state['mu']
                        mu.mul_(g['momentum']).add_(dp)

                        p.add_(mu, alpha=-g['lr'])

        def adjust_learning_rate(optimizer, step, steps=6, warmup_steps=2, batch_size=8):
            max_steps = steps
            base_lr = batch_size / 256
            if step < warmup_steps:
                lr = base_lr * step / warmup_steps
            else:
                step -= warmup_steps
                max_steps -= warmup_steps
                q = 0.5 * (1 + math.cos(math.pi * step / max_steps))
                end_lr = base_lr * 0.001
                lr = base_lr * q + end_lr * (1 - q)
            optimizer.param_groups[0]['lr'] = lr * 0.2
            optimizer.param_groups[1]['lr'] = lr * 0.0048

        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 4))
        with torch.no_grad():
            model[3].bias.zero_()
        param_weights = []
        param_biases = []
        for param in model.parameters():
            if param.ndim == 1:
                param_biases.append(param)
            else:
                param_weights.append(param)
        parameters = [{'params': param_weights}, {'params': param_biases}]
        optimizer = LARS(parameters, lr=0, weight_decay=1e-6,
                         weight_decay_filter=True,
                         lars_adaptation_filter=True)
        o.print(optimizer)
        y1, y2 = torch.randn(8, 4), torch.randn(8, 4)
        for step in range(6):
            adjust_learning_rate(optimizer, step)
            optimizer.zero_grad()
            z1, z2 = model(y1), model(y2)
            loss = (1 - F.cosine_similarity(z1, z2.detach(), dim=-1)).mean()
            loss.backward()
            optimizer.step()
            o.print(step, f"{loss.item():.4f}", f"{optimizer.param_groups[0]['lr']:.6f}")
        o.print([list(v["mu"].shape) for v in optimizer.state.values()])
        o.vals += [p.detach().clone() for p in model.parameters()]
    return o.lines, o.vals


def lion(L):
    """lion_pytorch.py (update_fn with exp_avg.clone().mul_(beta1).add(grad, ...).sign_(),
    decoupled weight decay) and foreach.py (torch._foreach_mul_ / _foreach_lerp_ /
    _foreach_sign_ / _foreach_add_ over the group's lists), the closure under enable_grad."""
    torch, nn, F = L, L.nn, L.nn.functional
    Optimizer = torch.optim.Optimizer

    def exists(val):
        return val is not None

    def update_fn(p, grad, exp_avg, lr, wd, beta1, beta2):
        p.data.mul_(1. - lr * wd)
        update = exp_avg.clone().mul_(beta1).add(grad, alpha=1. - beta1).sign_()
        p.add_(update, alpha=-lr)
        exp_avg.mul_(beta2).add_(grad, alpha=1. - beta2)

    class Lion(Optimizer):
        def __init__(self, params, lr: float = 1e-4, betas=(0.9, 0.99), weight_decay: float = 0.0,
                     use_triton: bool = False, decoupled_weight_decay: bool = False):
            assert lr > 0.
            assert all([0. <= beta <= 1. for beta in betas])
            self._init_lr = lr
            self.decoupled_wd = decoupled_weight_decay
            defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay)
            super().__init__(params, defaults)
            self.update_fn = update_fn

        @torch.no_grad()
        def step(self, closure=None):
            loss = None
            if exists(closure):
                with torch.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in filter(lambda p: exists(p.grad), group['params']):
                    grad, lr, wd, beta1, beta2, state, decoupled_wd, init_lr = p.grad, group['lr'], group['weight_decay'], *group['betas'], self.state[p], self.decoupled_wd, self._init_lr
                    if decoupled_wd:
                        wd /= init_lr
                    if len(state) == 0:
                        state['exp_avg'] = torch.zeros_like(p)
                    exp_avg = state['exp_avg']
                    self.update_fn(p, grad, exp_avg, lr, wd, beta1, beta2)
            return loss

    class LionForeach(Optimizer):
        def __init__(self, params, lr: float = 1e-4, betas=(0.9, 0.99), weight_decay: float = 0.0,
                     decoupled_weight_decay: bool = False):
            assert lr > 0.
            assert all([0. <= beta <= 1. for beta in betas])
            assert all([hasattr(torch, attr) for attr in ('_foreach_mul_', '_foreach_add_', '_foreach_sign_', '_foreach_lerp_')]), 'this version of torch does not have the prerequisite foreach functions'
            self._init_lr = lr
            self.decoupled_wd = decoupled_weight_decay
            defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay)
            super().__init__(params, defaults)

        @torch.no_grad()
        def step(self, closure=None):
            loss = None
            if exists(closure):
                with torch.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                lr, wd, beta1, beta2, decoupled_wd, init_lr = group['lr'], group['weight_decay'], *group['betas'], self.decoupled_wd, self._init_lr
                if decoupled_wd:
                    wd /= init_lr
                params = []
                grads = []
                exp_avgs = []
                for p in filter(lambda p: exists(p.grad), group['params']):
                    grad, state = p.grad, self.state[p]
                    if len(state) == 0:
                        state['exp_avg'] = torch.zeros_like(p)
                    exp_avg = state['exp_avg']
                    params.append(p)
                    grads.append(grad)
                    exp_avgs.append(exp_avg)
                torch._foreach_mul_(params, 1. - lr * wd)
                updates = [t.clone() for t in exp_avgs]
                torch._foreach_lerp_(updates, grads, 1. - beta1)
                torch._foreach_sign_(updates)
                torch._foreach_add_(params, updates)
                torch._foreach_lerp_(exp_avgs, grads, 1. - beta2)
            return loss

    with Out() as o:
        for cls, kw in ((Lion, dict(lr=1e-3, weight_decay=1e-2)),
                        (Lion, dict(lr=1e-3, weight_decay=1e-5, decoupled_weight_decay=True)),
                        (LionForeach, dict(lr=1e-3, weight_decay=1e-2))):
            torch.manual_seed(7)
            model = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 2))
            model[2].bias.requires_grad_(False)
            opt = cls(model.parameters(), **kw)
            x, y = torch.randn(10, 3), torch.randn(10, 2)
            for it in range(5):
                def closure():
                    opt.zero_grad()
                    loss = F.smooth_l1_loss(model(x), y)
                    loss.backward()
                    return loss
                loss = opt.step(closure)
                o.print(cls.__name__, it, f"{loss.item():.4f}", loss.requires_grad)
            o.print(len(opt.state), opt.defaults)
            o.vals += [p.detach().clone() for p in model.parameters()]
            o.vals += [opt.state[model[0].weight]['exp_avg']]
    return o.lines, o.vals
