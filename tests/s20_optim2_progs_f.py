"""Custom optimizers (see tests/s20_optim2_progs.py), this file: moskomule/shampoo.pytorch
(shampoo.py: matrix powers through torch.svd, the legacy add_(scalar, tensor)) and Shampoo's
inverse root through torch.linalg.eigh / torch.linalg.svd (as its ports write it for
PyTorch 2), Spijkervet/SimCLR's modules/lars.py (the trust ratio through torch.where
and .item(), its ``.to(g_norm.get_device())`` refused on CPU), and weight averaging with
torch.optim.swa_utils (AveragedModel with an EMA, SWALR, update_bn)."""

from s16_yunjey_progs import Out


def shampoo_eigh(L):
    """Shampoo with _matrix_power by eigh (eigenvalues clamped) and by linalg.svd (U, S, Vh),
    checked against each other, on a Linear + bias model with the closure."""
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(12)

        def _matrix_power_eigh(matrix, power, eps=1e-6):
            eigvals, eigvecs = torch.linalg.eigh(matrix)
            eigvals = eigvals.clamp(min=eps)
            return eigvecs @ torch.diag(eigvals.pow(power)) @ eigvecs.T

        def _matrix_power_svd(matrix, power):
            U, S, Vh = torch.linalg.svd(matrix, full_matrices=False)
            return U @ torch.diag_embed(S ** power) @ Vh

        class Shampoo(torch.optim.Optimizer):
            def __init__(self, params, lr=1e-1, epsilon=1e-4, use_svd=False):
                super().__init__(params, dict(lr=lr, epsilon=epsilon))
                self.power_fn = _matrix_power_svd if use_svd else _matrix_power_eigh

            @torch.no_grad()
            def step(self, closure=None):
                loss = None
                if closure is not None:
                    with torch.enable_grad():
                        loss = closure()
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        grad = p.grad.clone()
                        order = grad.ndim
                        original_size = grad.size()
                        state = self.state[p]
                        if len(state) == 0:
                            state["step"] = 0
                            for dim_id, dim in enumerate(grad.size()):
                                state[f"precond_{dim_id}"] = group["epsilon"] * torch.eye(dim, dtype=grad.dtype)
                        for dim_id, dim in enumerate(grad.size()):
                            precond = state[f"precond_{dim_id}"]
                            grad = grad.transpose(0, dim_id).contiguous()
                            transposed_size = grad.size()
                            grad = grad.view(dim, -1)
                            precond.add_(grad @ grad.T)
                            inv = self.power_fn(precond, -1 / order)
                            if dim_id == order - 1:
                                grad = (grad.T @ inv).view(original_size)
                            else:
                                grad = (inv @ grad).view(transposed_size)
                        state["step"] += 1
                        p.add_(grad, alpha=-group["lr"])
                return loss

        x, y = torch.randn(12, 4), torch.randn(12, 3)
        finals = []
        for use_svd in (False, True):
            torch.manual_seed(13)
            model = nn.Linear(4, 3)
            opt = Shampoo(model.parameters(), lr=0.05, epsilon=0.5, use_svd=use_svd)
            for it in range(4):
                def closure():
                    opt.zero_grad()
                    loss = F.mse_loss(model(x), y)
                    loss.backward()
                    return loss
                loss = opt.step(closure)
                o.print(use_svd, it, f"{loss.item():.4f}")
            finals.append(model.weight.detach().clone())
            o.vals += [p.detach().clone() for p in model.parameters()]
            o.vals += [opt.state[model.weight]["precond_1"]]
        o.print(torch.allclose(finals[0], finals[1], atol=1e-4))
    return o.lines, o.vals


def simclr_lars(L):
    """Spijkervet/SimCLR modules/lars.py: step(epoch=None, closure=None), weight decay added
    into the gradient, trust ratio by nested torch.where over torch.Tensor([1.0]) and .item(),
    the legacy next_v.add_(scaled_lr, grad); as written (.to(g_norm.get_device())) it stops
    on CPU, so the user's CPU edit uses .to(g_norm.device)."""
    torch, nn, F = L, L.nn, L.nn.functional
    Optimizer = torch.optim.Optimizer
    EETA_DEFAULT = 0.001
    with Out() as o:
        torch.manual_seed(14)

        class LARS(Optimizer):
            def __init__(self, params, lr=0.1, momentum=0.9, use_nesterov=False,
                         weight_decay=0.0, exclude_from_weight_decay=None,
                         exclude_from_layer_adaptation=None, classic_momentum=True,
                         eeta=EETA_DEFAULT, cpu_fix=False):
                self.epoch = 0
                defaults = dict(lr=lr, momentum=momentum, use_nesterov=use_nesterov,
                                weight_decay=weight_decay,
                                exclude_from_weight_decay=exclude_from_weight_decay,
                                exclude_from_layer_adaptation=exclude_from_layer_adaptation,
                                classic_momentum=classic_momentum, eeta=eeta)
                super(LARS, self).__init__(params, defaults)
                self.lr = lr
                self.momentum = momentum
                self.weight_decay = weight_decay
                self.use_nesterov = use_nesterov
                self.classic_momentum = classic_momentum
                self.eeta = eeta
                self.cpu_fix = cpu_fix

            def step(self, epoch=None, closure=None):
                loss = None
                if closure is not None:
                    loss = closure()
                if epoch is None:
                    epoch = self.epoch
                    self.epoch += 1
                for group in self.param_groups:
                    momentum = group["momentum"]
                    lr = group["lr"]
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        param = p.data
                        grad = p.grad.data
                        param_state = self.state[p]
                        grad += self.weight_decay * param
                        if self.classic_momentum:
                            trust_ratio = 1.0
                            w_norm = torch.norm(param)
                            g_norm = torch.norm(grad)
                            device = g_norm.device if self.cpu_fix else g_norm.get_device()
                            trust_ratio = torch.where(
                                w_norm.ge(0),
                                torch.where(g_norm.ge(0), (self.eeta * w_norm / g_norm),
                                            torch.Tensor([1.0]).to(device)),
                                torch.Tensor([1.0]).to(device),
                            ).item()
                            scaled_lr = lr * trust_ratio
                            if "momentum_buffer" not in param_state:
                                next_v = param_state["momentum_buffer"] = torch.zeros_like(p.data)
                            else:
                                next_v = param_state["momentum_buffer"]
                            next_v.mul_(momentum).add_(scaled_lr, grad)
                            if self.use_nesterov:
                                update = (self.momentum * next_v) + (scaled_lr * grad)
                            else:
                                update = next_v
                            p.data.add_(-update)
                        else:
                            raise NotImplementedError
                return loss

        model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 4))
        x = torch.randn(8, 5)
        opt = LARS(model.parameters(), lr=0.3, weight_decay=1e-6)
        F.mse_loss(model(x), x[:, :4]).backward()
        o.print(o.tryit(lambda: opt.step()))
        for use_nesterov in (False, True):
            opt = LARS(model.parameters(), lr=0.3, weight_decay=1e-6,
                       use_nesterov=use_nesterov, cpu_fix=True)
            for epoch in range(4):
                opt.zero_grad()
                h = model(x)
                loss = F.mse_loss(h, x[:, :4])
                loss.backward()
                opt.step()
                o.print(use_nesterov, epoch, f"{loss.item():.4f}", opt.epoch)
        o.vals += [p.detach().clone() for p in model.parameters()]
    return o.lines, o.vals


def swa_ema(L):
    """torch.optim.swa_utils: an EMA AveragedModel (get_ema_multi_avg_fn), a plain SWA one
    under SWALR after a CosineAnnealingLR phase, update_bn over a list of batches."""
    torch, nn, F = L, L.nn, L.nn.functional
    swa_utils = torch.optim.swa_utils
    with Out() as o:
        torch.manual_seed(15)
        model = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 1))
        ema_model = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9))
        swa_model = swa_utils.AveragedModel(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
        swa_scheduler = swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=2)
        swa_start = 3
        loader = [(torch.randn(6, 3), torch.randn(6, 1)) for _ in range(3)]
        for epoch in range(6):
            for xb, yb in loader:
                optimizer.zero_grad()
                loss = F.mse_loss(model(xb), yb)
                loss.backward()
                optimizer.step()
                ema_model.update_parameters(model)
            if epoch > swa_start:
                swa_model.update_parameters(model)
                swa_scheduler.step()
            else:
                scheduler.step()
            o.print(epoch, f"{loss.item():.4f}", f"{optimizer.param_groups[0]['lr']:.5f}",
                    int(swa_model.n_averaged), int(ema_model.n_averaged))
        swa_utils.update_bn(loader, swa_model)
        o.print(swa_model.module[1].momentum, swa_model.module[1].num_batches_tracked)
        with torch.no_grad():
            o.vals += [swa_model(loader[0][0]), ema_model(loader[0][0])]
        o.vals += [p.detach().clone() for p in swa_model.parameters()]
        o.vals += [p.detach().clone() for p in ema_model.parameters()]
        o.vals += [swa_model.module[1].running_mean, swa_model.module[1].running_var]
    return o.lines, o.vals


def shampoo(L):
    """shampoo.py: per-dimension preconditioners (torch.eye(dim, out=grad.new(dim, dim))),
    _matrix_power through torch.svd, momentum through the legacy add_(scalar, tensor),
    transpose_ of the gradient itself, the closure's loss returned."""
    torch, nn, F = L, L.nn, L.nn.functional
    Optimizer = torch.optim.Optimizer
    with Out() as o:
        torch.manual_seed(4)

        def _matrix_power(matrix, power):
            u, s, v = torch.svd(matrix)
            return u @ s.pow_(power).diag() @ v.t()

        class Shampoo(Optimizer):

            def __init__(self, params, lr=1e-1, momentum=0, weight_decay=0, epsilon=1e-4, update_freq=1):
                defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, epsilon=epsilon, update_freq=update_freq)
                super(Shampoo, self).__init__(params, defaults)

            def step(self, closure=None):
                loss = None
                if closure is not None:
                    loss = closure()

                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        grad = p.grad.data
                        order = grad.ndimension()
                        original_size = grad.size()
                        state = self.state[p]
                        momentum = group["momentum"]
                        weight_decay = group["weight_decay"]

                        if len(state) == 0:
                            state["step"] = 0
                            if momentum > 0:
                                state["momentum_buffer"] = grad.clone()
                            for dim_id, dim in enumerate(grad.size()):
                                # precondition matrices
                                state[f"precond_{dim_id}"] = group["epsilon"] * torch.eye(dim, out=grad.new(dim, dim))
                                state[f"inv_precond_{dim_id}"] = grad.new(dim, dim).zero_()

                        if momentum > 0:
                            grad.mul_(1 - momentum).add_(momentum, state["momentum_buffer"])

                        if weight_decay > 0:
                            grad.add_(group["weight_decay"], p.data)

                        # See Algorithm 2 for detail
                        for dim_id, dim in enumerate(grad.size()):
                            precond = state[f"precond_{dim_id}"]
                            inv_precond = state[f"inv_precond_{dim_id}"]

                            # mat_{dim_id}(grad)
                            grad = grad.transpose_(0, dim_id).contiguous()
                            transposed_size = grad.size()
                            grad = grad.view(dim, -1)

                            grad_t = grad.t()
                            precond.add_(grad @ grad_t)
                            if state["step"] % group["update_freq"] == 0:
                                inv_precond.copy_(_matrix_power(precond, -1 / order))

                            if dim_id == order - 1:
                                # finally
                                grad = grad_t @ inv_precond
                                # grad: (-1, last_dim)
                                grad = grad.view(original_size)
                            else:
                                # if not final
                                grad = inv_precond @ grad
                                # grad (dim, -1)
                                grad = grad.view(transposed_size)

                        state["step"] += 1
                        state["momentum_buffer"] = grad
                        p.data.add_(-group["lr"], grad)

                return loss

        model = nn.Sequential(nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(2 * 2 * 2, 2))
        optimizer = Shampoo(model.parameters(), lr=0.01, momentum=0.5, weight_decay=1e-3,
                            epsilon=0.1, update_freq=2)
        o.print(optimizer)
        x, y = torch.randn(4, 1, 3, 3), torch.randn(4, 2)
        for i in range(4):
            def closure():
                optimizer.zero_grad()
                loss = F.mse_loss(model(x), y)
                loss.backward()
                return loss
            loss = optimizer.step(closure)
            o.print(i, f"{loss.item():.4f}")
        st = optimizer.state[model[0].weight]
        o.print(sorted(st), st["step"], model[0].weight.grad.shape,
                model[0].weight.grad.is_contiguous())
        o.vals += [p.detach().clone() for p in model.parameters()]
        o.vals += [st["precond_0"], st["inv_precond_3"], st["momentum_buffer"]]
    return o.lines, o.vals
