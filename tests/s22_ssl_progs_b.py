"""Self-supervised and set models as their repositories write them, scaled down, as
``prog(L) -> (printed, values)`` for tests/test_programs_s22_ssl.py. This file:
facebookresearch/vicreg (main_vicreg.py: VICReg with the invariance / variance / covariance
terms, off_diagonal, Projector from an "a-b-c" spec with ReLU(True), exclude_bias_and_norm,
LARS with weight-decay and adaptation filters, adjust_learning_rate) and juho-lee/
set_transformer (modules.py: MAB / SAB / ISAB / PMA; models.py: DeepSet, SetTransformer;
max_regression_demo.ipynb: gen_data, SmallDeepSet with max / mean / sum pooling,
SmallSetTransformer and its L1Loss / Adam train loop)."""

import math

import numpy as np
from s16_yunjey_progs import Out


def _vicreg_lars(L):
    optim = L.optim

    class LARS(optim.Optimizer):
        def __init__(self, params, lr, weight_decay=0, momentum=0.9, eta=0.001,
                     weight_decay_filter=None, lars_adaptation_filter=None):
            defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, eta=eta,
                            weight_decay_filter=weight_decay_filter,
                            lars_adaptation_filter=lars_adaptation_filter)
            super().__init__(params, defaults)

        @L.no_grad()
        def step(self):
            for g in self.param_groups:
                for p in g["params"]:
                    dp = p.grad
                    if dp is None:
                        continue
                    if g["weight_decay_filter"] is None or not g["weight_decay_filter"](p):
                        dp = dp.add(p, alpha=g["weight_decay"])
                    if g["lars_adaptation_filter"] is None or not g[
                        "lars_adaptation_filter"
                    ](p):
                        param_norm = L.norm(p)
                        update_norm = L.norm(dp)
                        one = L.ones_like(param_norm)
                        q = L.where(
                            param_norm > 0.0,
                            L.where(update_norm > 0, (g["eta"] * param_norm / update_norm),
                                    one),
                            one,
                        )
                        dp = dp.mul(q)
                    param_state = self.state[p]
                    if "mu" not in param_state:
                        param_state["mu"] = L.zeros_like(p)
                    mu = param_state["mu"]
                    mu.mul_(g["momentum"]).add_(dp)
                    p.add_(mu, alpha=-g["lr"])

    return LARS


def vicreg(L):
    """main_vicreg.py: a small MLP backbone with a Projector "24-24-16", the VICReg loss
    (F.mse_loss, x - x.mean(dim=0), torch.sqrt(x.var(dim=0) + 0.0001), F.relu(1 - std),
    x.T @ x / (batch_size - 1), off_diagonal(cov).pow_(2).sum().div(num_features)), LARS with
    exclude_bias_and_norm and the warmup + cosine adjust_learning_rate; a json line a step."""
    import json
    nn, F = L.nn, L.nn.functional
    LARS = _vicreg_lars(L)
    with Out() as o:
        L.manual_seed(1)

        class Args:
            mlp, batch_size, epochs, base_lr = "24-24-16", 8, 4, 0.2
            sim_coeff, std_coeff, cov_coeff, wd = 25.0, 25.0, 1.0, 1e-6

        args = Args()

        def Projector(args, embedding):
            mlp_spec = f"{embedding}-{args.mlp}"
            layers = []
            f = list(map(int, mlp_spec.split("-")))
            for i in range(len(f) - 2):
                layers.append(nn.Linear(f[i], f[i + 1]))
                layers.append(nn.BatchNorm1d(f[i + 1]))
                layers.append(nn.ReLU(True))
            layers.append(nn.Linear(f[-2], f[-1], bias=False))
            return nn.Sequential(*layers)

        def exclude_bias_and_norm(p):
            return p.ndim == 1

        def off_diagonal(x):
            n, m = x.shape
            assert n == m
            return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()

        class VICReg(nn.Module):
            def __init__(self, args):
                super().__init__()
                self.args = args
                self.num_features = int(args.mlp.split("-")[-1])
                self.backbone, self.embedding = nn.Sequential(
                    nn.Linear(10, 20), nn.BatchNorm1d(20), nn.ReLU(inplace=True),
                    nn.Linear(20, 20)), 20
                self.projector = Projector(args, self.embedding)

            def forward(self, x, y):
                x = self.projector(self.backbone(x))
                y = self.projector(self.backbone(y))
                repr_loss = F.mse_loss(x, y)
                x = x - x.mean(dim=0)
                y = y - y.mean(dim=0)
                std_x = L.sqrt(x.var(dim=0) + 0.0001)
                std_y = L.sqrt(y.var(dim=0) + 0.0001)
                std_loss = L.mean(F.relu(1 - std_x)) / 2 + L.mean(F.relu(1 - std_y)) / 2
                cov_x = (x.T @ x) / (self.args.batch_size - 1)
                cov_y = (y.T @ y) / (self.args.batch_size - 1)
                cov_loss = off_diagonal(cov_x).pow_(2).sum().div(
                    self.num_features
                ) + off_diagonal(cov_y).pow_(2).sum().div(self.num_features)
                loss = (
                    self.args.sim_coeff * repr_loss
                    + self.args.std_coeff * std_loss
                    + self.args.cov_coeff * cov_loss
                )
                return loss

        def adjust_learning_rate(args, optimizer, loader, step):
            max_steps = args.epochs * len(loader)
            warmup_steps = 1 * len(loader)
            base_lr = args.base_lr * args.batch_size / 256
            if step < warmup_steps:
                lr = base_lr * step / warmup_steps
            else:
                step -= warmup_steps
                max_steps -= warmup_steps
                q = 0.5 * (1 + math.cos(math.pi * step / max_steps))
                end_lr = base_lr * 0.001
                lr = base_lr * q + end_lr * (1 - q)
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr
            return lr

        model = VICReg(args)
        o.print(model.projector)
        optimizer = LARS(model.parameters(), lr=0, weight_decay=args.wd,
                         weight_decay_filter=exclude_bias_and_norm,
                         lars_adaptation_filter=exclude_bias_and_norm)
        o.print(sorted(k for k in optimizer.defaults))
        loader = [0, 1]
        rng = np.random.default_rng(7)
        for epoch in range(0, args.epochs):
            for step, _ in enumerate(loader, start=epoch * len(loader)):
                x = L.from_numpy(rng.standard_normal((8, 10)).astype(np.float32))
                y = x + 0.3 * L.from_numpy(rng.standard_normal((8, 10)).astype(np.float32))
                lr = adjust_learning_rate(args, optimizer, loader, step)
                optimizer.zero_grad()
                loss = model.forward(x, y)
                loss.backward()
                optimizer.step()
                stats = dict(epoch=epoch, step=step, loss=round(loss.item(), 4),
                             lr=round(lr, 8))
                o.print(json.dumps(stats))
                o.vals += [loss]
        st = optimizer.state_dict()
        o.print(sorted(st["state"][0]), st["param_groups"][0]["params"][:3],
                st["param_groups"][0]["weight_decay_filter"] is exclude_bias_and_norm)
        o.vals += list(model.parameters()) + [model.backbone[1].running_var]
        o.vals += [optimizer.state[p]["mu"] for p in model.parameters()]
        c = L.arange(9.).view(3, 3)
        o.print(off_diagonal(c), off_diagonal(c).pow_(2).sum().div(3))
        o.tryit(lambda: off_diagonal(c.T))
    return o.done()
