"""ildoonet/pytorch-gradual-warmup-lr: warmup_scheduler/scheduler.py (GradualWarmupScheduler,
a subclass of _LRScheduler reading _get_lr_called_within_step, chaining an after_scheduler:
CosineAnnealingLR, StepLR, ReduceLROnPlateau) with run.py and the README's loop that passes
the epoch to step() (PyTorch's deprecation warnings included), as users copy them."""

import importlib

import numpy as np
from s16_yunjey_progs import Out


def _gradual_warmup(L):
    """warmup_scheduler/scheduler.py on library L."""
    import warnings
    _LRScheduler = L.optim.lr_scheduler._LRScheduler
    ReduceLROnPlateau = L.optim.lr_scheduler.ReduceLROnPlateau

    class GradualWarmupScheduler(_LRScheduler):
        def __init__(self, optimizer, multiplier, total_epoch, after_scheduler=None):
            self.multiplier = multiplier
            if self.multiplier < 1.:
                raise ValueError('multiplier should be greater thant or equal to 1.')
            self.total_epoch = total_epoch
            self.after_scheduler = after_scheduler
            self.finished = False
            super(GradualWarmupScheduler, self).__init__(optimizer)

        def get_lr(self):
            if not self._get_lr_called_within_step:
                warnings.warn("To get the last learning rate computed by the scheduler, "
                              "please use `get_last_lr()`.")
            if self.last_epoch > self.total_epoch:
                if self.after_scheduler:
                    if not self.finished:
                        self.after_scheduler.base_lrs = [base_lr * self.multiplier
                                                         for base_lr in self.base_lrs]
                        self.finished = True
                    return self.after_scheduler.get_last_lr()
                return [base_lr * self.multiplier for base_lr in self.base_lrs]
            if self.multiplier == 1.0:
                return [base_lr * (float(self.last_epoch) / self.total_epoch)
                        for base_lr in self.base_lrs]
            return [base_lr * ((self.multiplier - 1.) * self.last_epoch / self.total_epoch + 1.)
                    for base_lr in self.base_lrs]

        def step_ReduceLROnPlateau(self, metrics, epoch=None):
            if epoch is None:
                epoch = self.last_epoch + 1
            self.last_epoch = epoch if epoch != 0 else 1
            if self.last_epoch <= self.total_epoch:
                warmup_lr = [base_lr * ((self.multiplier - 1.) * self.last_epoch
                                        / self.total_epoch + 1.) for base_lr in self.base_lrs]
                for param_group, lr in zip(self.optimizer.param_groups, warmup_lr):
                    param_group['lr'] = lr
            else:
                if epoch is None:
                    self.after_scheduler.step(metrics, None)
                else:
                    self.after_scheduler.step(metrics, epoch - self.total_epoch)

        def step(self, epoch=None, metrics=None):
            if type(self.after_scheduler) != ReduceLROnPlateau:
                if self.finished and self.after_scheduler:
                    if epoch is None:
                        self.after_scheduler.step(None)
                    else:
                        self.after_scheduler.step(epoch - self.total_epoch)
                    self._last_lr = self.after_scheduler.get_last_lr()
                else:
                    return super(GradualWarmupScheduler, self).step(epoch)
            else:
                self.step_ReduceLROnPlateau(metrics, epoch)

    return GradualWarmupScheduler


def warmup_run(L):
    """run.py: SGD on one parameter, CosineAnnealingLR after a 5-epoch warmup (multiplier 1)."""
    torch = L
    CosineAnnealingLR = L.optim.lr_scheduler.CosineAnnealingLR
    SGD = importlib.import_module(L.__name__ + ".optim.sgd").SGD  # from torch.optim.sgd import SGD
    GradualWarmupScheduler = _gradual_warmup(L)
    torch.manual_seed(0)
    with Out() as o:
        model = [torch.nn.Parameter(torch.randn(2, 2, requires_grad=True))]
        optim = SGD(model, 0.1)
        epochs = 20
        lr_schduler = CosineAnnealingLR(optim, T_max=epochs - 5, eta_min=0.02)
        scheduler_warmup = GradualWarmupScheduler(optim, multiplier=1, total_epoch=5,
                                                  after_scheduler=lr_schduler)
        optim.zero_grad()
        optim.step()
        scheduler_warmup.step()
        lr_list = list()
        for epoch in range(epochs):
            current_lr = optim.param_groups[0]['lr']
            optim.step()
            scheduler_warmup.step()
            o.print(epoch + 1, "%.10f" % current_lr)
            lr_list.append(current_lr)
        o.print(["%.6f" % v for v in scheduler_warmup.get_last_lr()],
                ["%.6f" % v for v in lr_schduler.get_last_lr()], lr_schduler.last_epoch)
        o.print(sorted(k for k in scheduler_warmup.state_dict() if k != 'after_scheduler'))
        o.print(scheduler_warmup.get_lr())  # warns: outside step()
        o.vals.append(np.array(lr_list))
    return o.done()


def warmup_steplr(L):
    """README: StepLR after an 8x warmup, step(epoch) with the epoch passed (deprecated)."""
    torch = L
    StepLR = L.optim.lr_scheduler.StepLR
    GradualWarmupScheduler = _gradual_warmup(L)
    torch.manual_seed(1)
    with Out() as o:
        net = torch.nn.Linear(3, 2)
        optim = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        scheduler_steplr = StepLR(optim, step_size=3, gamma=0.5)
        scheduler_warmup = GradualWarmupScheduler(optim, multiplier=8, total_epoch=4,
                                                  after_scheduler=scheduler_steplr)
        optim.zero_grad()
        optim.step()
        x, y = torch.randn(6, 3), torch.randn(6, 2)
        for epoch in range(1, 14):
            scheduler_warmup.step(epoch)
            o.print(epoch, "%.8f" % optim.param_groups[0]['lr'])
            optim.zero_grad()
            loss = torch.nn.functional.mse_loss(net(x), y)
            loss.backward()
            optim.step()
            o.print("loss %.4f" % loss.item())
        o.vals += [p.detach() for p in net.parameters()]
    return o.done()


def warmup_plateau(L):
    """ReduceLROnPlateau after the warmup: step(epoch, metrics) with a validation loss."""
    torch = L
    ReduceLROnPlateau = L.optim.lr_scheduler.ReduceLROnPlateau
    GradualWarmupScheduler = _gradual_warmup(L)
    torch.manual_seed(2)
    with Out() as o:
        net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        optim = torch.optim.Adam(net.parameters(), lr=1e-3)
        plateau = ReduceLROnPlateau(optim, mode='min', factor=0.5, patience=1)
        scheduler = GradualWarmupScheduler(optim, multiplier=4, total_epoch=3,
                                           after_scheduler=plateau)
        x, y = torch.randn(16, 4), torch.randn(16, 1)
        xv, yv = torch.randn(8, 4), torch.randn(8, 1)
        for epoch in range(12):
            optim.zero_grad()
            loss = torch.nn.functional.mse_loss(net(x), y)
            loss.backward()
            optim.step()
            with torch.no_grad():
                val = torch.nn.functional.mse_loss(net(xv), yv).item() + (0.1 if epoch > 5 else 0)
            scheduler.step(metrics=val)
            o.print(epoch, "%.4f %.4f" % (loss.item(), val),
                    "%.6e" % optim.param_groups[0]['lr'], scheduler.last_epoch,
                    plateau.num_bad_epochs, plateau.last_epoch)
        o.print(["%.6e" % v for v in plateau.get_last_lr()])
        o.tryit(lambda: GradualWarmupScheduler(optim, multiplier=0.5, total_epoch=3))
        o.vals += [p.detach() for p in net.parameters()]
    return o.done()
