"""Custom optimizers (see tests/s20_optim2_progs.py), this file: hand-written Adam and
RMSprop checked against torch.optim's (the usual "implement Adam from scratch" exercise), an
SGD with ``lr=required`` from torch.optim.optimizer (as older research code copies it), and a
custom optimizer driven by torch.optim.lr_scheduler, saved and restored through state_dict."""

import math

from s16_yunjey_progs import Out


def adam_rmsprop_from_scratch(L):
    """MyAdam / MyRMSprop subclassing Optimizer next to torch.optim.Adam / RMSprop on twin
    models: the losses and the largest parameter gap printed, states compared."""
    torch, nn, F = L, L.nn, L.nn.functional
    Optimizer = torch.optim.Optimizer
    with Out() as o:

        class MyAdam(Optimizer):
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
                if not 0.0 <= lr:
                    raise ValueError(f"Invalid learning rate: {lr}")
                defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
                super().__init__(params, defaults)

            @torch.no_grad()
            def step(self, closure=None):
                loss = None
                if closure is not None:
                    with torch.enable_grad():
                        loss = closure()
                for group in self.param_groups:
                    beta1, beta2 = group['betas']
                    for p in group['params']:
                        if p.grad is None:
                            continue
                        grad = p.grad
                        if group['weight_decay'] != 0:
                            grad = grad.add(p, alpha=group['weight_decay'])
                        state = self.state[p]
                        if len(state) == 0:
                            state['step'] = 0
                            state['exp_avg'] = torch.zeros_like(p, memory_format=torch.preserve_format)
                            state['exp_avg_sq'] = torch.zeros_like(p, memory_format=torch.preserve_format)
                        exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
                        state['step'] += 1
                        bias_correction1 = 1 - beta1 ** state['step']
                        bias_correction2 = 1 - beta2 ** state['step']
                        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                        denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(group['eps'])
                        step_size = group['lr'] / bias_correction1
                        p.addcdiv_(exp_avg, denom, value=-step_size)
                return loss

        class MyRMSprop(Optimizer):
            def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0, centered=False):
                defaults = dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, centered=centered)
                super(MyRMSprop, self).__init__(params, defaults)

            @torch.no_grad()
            def step(self):
                for group in self.param_groups:
                    for p in group['params']:
                        if p.grad is None:
                            continue
                        grad = p.grad
                        state = self.state[p]
                        if not state:
                            state['step'] = 0
                            state['square_avg'] = torch.zeros_like(p)
                            if group['momentum'] > 0:
                                state['momentum_buffer'] = torch.zeros_like(p)
                            if group['centered']:
                                state['grad_avg'] = torch.zeros_like(p)
                        square_avg = state['square_avg']
                        alpha = group['alpha']
                        state['step'] += 1
                        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
                        if group['centered']:
                            grad_avg = state['grad_avg']
                            grad_avg.lerp_(grad, 1 - alpha)
                            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_().add_(group['eps'])
                        else:
                            avg = square_avg.sqrt().add_(group['eps'])
                        if group['momentum'] > 0:
                            buf = state['momentum_buffer']
                            buf.mul_(group['momentum']).addcdiv_(grad, avg)
                            p.add_(buf, alpha=-group['lr'])
                        else:
                            p.addcdiv_(grad, avg, value=-group['lr'])

        x, y = torch.randn(16, 3, generator=torch.Generator().manual_seed(0)), None
        y = (x ** 2).sum(1, keepdim=True)
        pairs = [(MyAdam, torch.optim.Adam, dict(lr=1e-2, weight_decay=1e-3)),
                 (MyRMSprop, torch.optim.RMSprop, dict(lr=1e-2, momentum=0.9, centered=True)),
                 (MyRMSprop, torch.optim.RMSprop, dict(lr=1e-3))]
        for mine_cls, ref_cls, kw in pairs:
            torch.manual_seed(8)
            net_a = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
            net_b = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
            net_b.load_state_dict(net_a.state_dict())
            mine, ref = mine_cls(net_a.parameters(), **kw), ref_cls(net_b.parameters(), **kw)
            for it in range(6):
                for net, opt in ((net_a, mine), (net_b, ref)):
                    opt.zero_grad()
                    loss = F.mse_loss(net(x), y)
                    loss.backward()
                    opt.step()
            gap = max((a - b).abs().max().item()
                      for a, b in zip(net_a.parameters(), net_b.parameters()))
            o.print(mine_cls.__name__, f"{loss.item():.4f}", gap < 1e-5)
            sa, sb = mine.state[net_a[0].weight], ref.state[net_b[0].weight]
            o.print(sorted(sa), sorted(sb), type(sb['step']).__name__, sb['step'])
            o.vals += [p.detach().clone() for p in net_a.parameters()]
            o.vals += [p.detach().clone() for p in net_b.parameters()]
    return o.lines, o.vals


def sgd_required_and_schedulers(L):
    """An SGD copied with ``lr=required`` (torch.optim.optimizer.required): the missing lr
    refused; then a custom optimizer under StepLR, LambdaLR and ReduceLROnPlateau (initial_lr
    and last_epoch in its groups, get_last_lr), its state_dict / load_state_dict into a fresh
    instance, zero_grad(set_to_none=False), and Optimizer's errors (a parameter twice, an
    empty list, a lone tensor, a group without a required hyperparameter)."""
    torch, nn, F = L, L.nn, L.nn.functional
    from importlib import import_module
    required = import_module(torch.__name__ + ".optim.optimizer").required
    Optimizer = torch.optim.Optimizer
    with Out() as o:
        torch.manual_seed(9)

        class SGD(Optimizer):
            def __init__(self, params, lr=required, momentum=0, dampening=0,
                         weight_decay=0, nesterov=False):
                if lr is not required and lr < 0.0:
                    raise ValueError("Invalid learning rate: {}".format(lr))
                defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                                weight_decay=weight_decay, nesterov=nesterov)
                if nesterov and (momentum <= 0 or dampening != 0):
                    raise ValueError("Nesterov momentum requires a momentum and zero dampening")
                super(SGD, self).__init__(params, defaults)

            def __setstate__(self, state):
                super(SGD, self).__setstate__(state)
                for group in self.param_groups:
                    group.setdefault('nesterov', False)

            @torch.no_grad()
            def step(self, closure=None):
                loss = None
                if closure is not None:
                    with torch.enable_grad():
                        loss = closure()
                for group in self.param_groups:
                    weight_decay = group['weight_decay']
                    momentum = group['momentum']
                    dampening = group['dampening']
                    nesterov = group['nesterov']
                    for p in group['params']:
                        if p.grad is None:
                            continue
                        d_p = p.grad
                        if weight_decay != 0:
                            d_p = d_p.add(p, alpha=weight_decay)
                        if momentum != 0:
                            param_state = self.state[p]
                            if 'momentum_buffer' not in param_state:
                                buf = param_state['momentum_buffer'] = torch.clone(d_p).detach()
                            else:
                                buf = param_state['momentum_buffer']
                                buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
                            if nesterov:
                                d_p = d_p.add(buf, alpha=momentum)
                            else:
                                d_p = buf
                        p.add_(d_p, alpha=-group['lr'])
                return loss

        o.print(repr(required))
        model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
        o.print(o.tryit(lambda: SGD(model.parameters())))
        o.print(o.tryit(lambda: SGD(model.parameters(), lr=-1)))
        o.print(o.tryit(lambda: SGD(model.parameters(), lr=0.1, nesterov=True)))
        o.print(o.tryit(lambda: SGD([])))
        o.print(o.tryit(lambda: SGD(model[0].weight, lr=0.1)))
        o.print(o.tryit(lambda: SGD([model[0].weight, model[0].weight], lr=0.1)))
        o.print(o.tryit(lambda: SGD([{"params": model[0].parameters(), "lr": 0.1},
                                     {"params": model[0].bias, "lr": 0.1}])))
        opt = SGD([{"params": model[0].parameters(), "lr": 0.1},
                   {"params": model[2].parameters()}], lr=0.05, momentum=0.9, nesterov=True)
        o.print(opt)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        lam = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=[lambda e: 0.9 ** e,
                                                                lambda e: 1.0 / (e + 1)])
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, 'min', factor=0.5, patience=0)
        x, y = torch.randn(8, 4), torch.randn(8, 2)
        for epoch in range(5):
            opt.zero_grad(set_to_none=False)
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            lam.step()
            plateau.step(1.0)
            o.print(epoch, f"{loss.item():.4f}", [f"{g['lr']:.5f}" for g in opt.param_groups],
                    [f"{v:.5f}" for v in sched.get_last_lr()], sched.last_epoch)
        o.print(sorted(opt.param_groups[0]))
        sd = opt.state_dict()
        o.print(sd["param_groups"][1]["params"], sorted(sd["state"]),
                sorted(sd["state"][0]), sd["param_groups"][0]["initial_lr"])
        fresh = SGD(model.parameters(), lr=1.0)
        o.print(o.tryit(lambda: fresh.load_state_dict(sd)))
        fresh2 = SGD([{"params": model[0].parameters()}, {"params": model[2].parameters()}],
                     lr=1.0)
        fresh2.load_state_dict(sd)
        o.print(fresh2.param_groups[1]["lr"], torch.equal(
            fresh2.state[model[2].bias]["momentum_buffer"],
            opt.state[model[2].bias]["momentum_buffer"]))
        opt.zero_grad()
        o.print(model[0].weight.grad)
        o.vals += [p.detach().clone() for p in model.parameters()]
        o.vals += [fresh2.state[model[0].weight]["momentum_buffer"]]
    return o.lines, o.vals
