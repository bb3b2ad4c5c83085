"""Custom optimizers as research repositories write them (subclasses of torch.optim.Optimizer
with defaults, param_groups, self.state and a @torch.no_grad() step), as users type them,
scaled down to tiny models and random data, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_optim2.py. This file: davda54/sam (sam.py: SAM's first_step /
second_step, the closure form, adaptive SAM, example/utility's smooth_crossentropy and the
BatchNorm running-stats switch)."""

from s16_yunjey_progs import Out


def _sam_v1(torch):
    class SAM(torch.optim.Optimizer):
        def __init__(self, params, base_optimizer, rho=0.05, **kwargs):
            assert rho >= 0.0, f"Invalid rho, should be non-negative: {rho}"

            defaults = dict(rho=rho, **kwargs)
            super(SAM, self).__init__(params, defaults)

            self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
            self.param_groups = self.base_optimizer.param_groups

        @torch.no_grad()
        def first_step(self, zero_grad=False):
            grad_norm = self._grad_norm()
            for group in self.param_groups:
                scale = group["rho"] / (grad_norm + 1e-12)

                for p in group["params"]:
                    if p.grad is None: continue
                    e_w = p.grad * scale.to(p)
                    p.add_(e_w)  # climb to the local maximum "w + e(w)"
                    self.state[p]["e_w"] = e_w

            if zero_grad: self.zero_grad()

        @torch.no_grad()
        def second_step(self, zero_grad=False):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None: continue
                    p.sub_(self.state[p]["e_w"])  # get back to "w" from "w + e(w)"

            self.base_optimizer.step()  # do the actual "sharpness-aware" update

            if zero_grad: self.zero_grad()

        def step(self, closure=None):
            raise NotImplementedError("SAM doesn't work like the other optimizers, you should first call `first_step` and the `second_step`; see the documentation for more info.")

        def _grad_norm(self):
            shared_device = self.param_groups[0]["params"][0].device  # put everything on the same device, in case of model parallelism
            norm = torch.norm(
                        torch.stack([
                            p.grad.norm(p=2).to(shared_device)
                            for group in self.param_groups for p in group["params"]
                            if p.grad is not None
                        ]),
                        p=2
                   )
            return norm
    return SAM


def sam_two_steps(L):
    """sam.py (first version): SGD with momentum wrapped, first_step(zero_grad=True) /
    second_step(zero_grad=True) around two forward-backward passes, step() refused."""
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(0)
        SAM = _sam_v1(torch)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
        base_optimizer = torch.optim.SGD
        optimizer = SAM(model.parameters(), base_optimizer, lr=0.1, momentum=0.9)
        o.print(optimizer)
        o.print(sorted(optimizer.defaults.items()))
        o.print(optimizer.param_groups is optimizer.base_optimizer.param_groups)
        x = torch.randn(10, 6)
        y = torch.randint(0, 3, (10,))
        for step in range(4):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.first_step(zero_grad=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.second_step(zero_grad=True)
            o.print(f"step {step} loss {loss.item():.4f}")
        o.print(len(optimizer.state), sorted(optimizer.state[model[0].weight].keys()))
        o.print(sorted(optimizer.base_optimizer.state[model[0].weight].keys()))
        o.print(o.tryit(lambda: optimizer.step()))
        o.print(model[0].weight.grad)
        o.vals += [p.detach().clone() for p in model.parameters()]
    return o.lines, o.vals


def sam_closure_adaptive(L):
    """sam.py (current): adaptive SAM, old_p saved and restored through p.data, step(closure)
    with torch.enable_grad()(closure), defaults updated from the base optimizer,
    smooth_crossentropy from example/utility, and the BatchNorm momentum switch
    (enable_running_stats / disable_running_stats) around the second pass."""
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(1)

        class SAM(torch.optim.Optimizer):
            def __init__(self, params, base_optimizer, rho=0.05, adaptive=False, **kwargs):
                assert rho >= 0.0, f"Invalid rho, should be non-negative: {rho}"

                defaults = dict(rho=rho, adaptive=adaptive, **kwargs)
                super(SAM, self).__init__(params, defaults)

                self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
                self.param_groups = self.base_optimizer.param_groups
                self.defaults.update(self.base_optimizer.defaults)

            @torch.no_grad()
            def first_step(self, zero_grad=False):
                grad_norm = self._grad_norm()
                for group in self.param_groups:
                    scale = group["rho"] / (grad_norm + 1e-12)

                    for p in group["params"]:
                        if p.grad is None: continue
                        self.state[p]["old_p"] = p.data.clone()
                        e_w = (torch.pow(p, 2) if group["adaptive"] else 1.0) * p.grad * scale.to(p)
                        p.add_(e_w)  # climb to the local maximum "w + e(w)"

                if zero_grad: self.zero_grad()

            @torch.no_grad()
            def second_step(self, zero_grad=False):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None: continue
                        p.data = self.state[p]["old_p"]  # get back to "w" from "w + e(w)"

                self.base_optimizer.step()  # do the actual "sharpness-aware" update

                if zero_grad: self.zero_grad()

            @torch.no_grad()
            def step(self, closure=None):
                assert closure is not None, "Sharpness Aware Minimization requires closure, but it was not provided"
                closure = torch.enable_grad()(closure)  # the closure should do a full forward-backward pass

                self.first_step(zero_grad=True)
                closure()
                self.second_step()

            def _grad_norm(self):
                shared_device = self.param_groups[0]["params"][0].device  # put everything on the same device, in case of model parallelism
                norm = torch.norm(
                            torch.stack([
                                ((torch.abs(p) if group["adaptive"] else 1.0) * p.grad).norm(p=2).to(shared_device)
                                for group in self.param_groups for p in group["params"]
                                if p.grad is not None
                            ]),
                            p=2
                       )
                return norm

            def load_state_dict(self, state_dict):
                super().load_state_dict(state_dict)
                self.base_optimizer.param_groups = self.param_groups

        def smooth_crossentropy(pred, gold, smoothing=0.1):
            n_class = pred.size(1)

            one_hot = torch.full_like(pred, fill_value=smoothing / (n_class - 1))
            one_hot.scatter_(dim=1, index=gold.unsqueeze(1), value=1.0 - smoothing)
            log_prob = F.log_softmax(pred, dim=1)

            return F.kl_div(input=log_prob, target=one_hot, reduction='none').sum(-1)

        def disable_running_stats(model):
            def _disable(module):
                if isinstance(module, nn.BatchNorm2d):
                    module.backup_momentum = module.momentum
                    module.momentum = 0

            model.apply(_disable)

        def enable_running_stats(model):
            def _enable(module):
                if isinstance(module, nn.BatchNorm2d) and hasattr(module, "backup_momentum"):
                    module.momentum = module.backup_momentum

            model.apply(_enable)

        model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
        optimizer = SAM(model.parameters(), torch.optim.SGD, rho=2.0, adaptive=True, lr=0.1,
                        momentum=0.9, weight_decay=5e-4)
        o.print(optimizer)
        o.print(sorted(optimizer.defaults))
        inputs = torch.randn(6, 2, 5, 5)
        targets = torch.randint(0, 3, (6,))
        for epoch in range(3):
            model.train()
            # first forward-backward step
            enable_running_stats(model)
            predictions = model(inputs)
            loss = smooth_crossentropy(predictions, targets, smoothing=0.1)
            loss.mean().backward()
            optimizer.first_step(zero_grad=True)

            # second forward-backward step
            disable_running_stats(model)
            smooth_crossentropy(model(inputs), targets, smoothing=0.1).mean().backward()
            optimizer.second_step(zero_grad=True)

            with torch.no_grad():
                correct = torch.argmax(predictions.data, 1) == targets
                o.print(epoch, f"{loss.mean().item():.4f}", correct.cpu().sum().item(),
                        model[1].momentum)
        o.print(model[1].running_mean.shape, model[1].num_batches_tracked)

        def closure():
            loss = smooth_crossentropy(model(inputs), targets)
            loss.mean().backward()
            return loss

        loss = smooth_crossentropy(model(inputs), targets)
        loss.mean().backward()
        o.print(optimizer.step(closure))
        o.print(o.tryit(lambda: optimizer.step()))
        sd = optimizer.state_dict()
        o.print(sorted(sd["state"][0].keys()), len(sd["param_groups"]),
                sorted(sd["param_groups"][0].keys()))
        optimizer.load_state_dict(sd)
        o.print(optimizer.base_optimizer.param_groups is optimizer.param_groups)
        o.vals += [p.detach().clone() for p in model.parameters()]
        o.vals += [model[1].running_mean, model[1].running_var]
    return o.lines, o.vals
