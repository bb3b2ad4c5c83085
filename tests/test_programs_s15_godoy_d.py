"""Session 15, Godoy's "Deep Learning with PyTorch Step-by-Step" as learners type it.
Vol I ch6-7: the schedulers (StepLR, MultiStepLR, ReduceLROnPlateau, CyclicLR, OneCycleLR,
CosineAnnealingWarmRestarts; state_dicts, get_last_lr) in StepByStep; gradient clipping by
value, by norm and with tensor hooks; Dropout and BatchNorm examined; residual blocks.
Each program prints; the test runs it on torch and on ember and compares the printouts
(object addresses left out). Where ember's known last-bit gaps show (LSTM/GRU steps: NumPy's
float32 tanh; BatchNorm's statistics), the program prints what the book checks, rounded."""

import warnings

import numpy as np
from s15_godoy_sbs import make_sbs, same_printout


def prog_sched(torch):
    nn = torch.nn; optim = torch.optim
    S = torch.optim.lr_scheduler
    def mk(lr=0.01, **kw):
        torch.manual_seed(0)
        return optim.SGD(nn.Linear(1, 1).parameters(), lr=lr, **kw)
    def trace(sched, n, metric=None):
        out = []
        for i in range(n):
            sched.optimizer.step()
            if metric is None:
                sched.step()
            else:
                sched.step(metric[i])
            out.append(sched.get_last_lr()[0])
        return np.round(out, 10).tolist()
    sched = S.StepLR(mk(), step_size=2, gamma=0.1)
    print(type(sched).__name__)
    print(trace(sched, 6)); print(sched.state_dict())
    sched = S.MultiStepLR(mk(), milestones=[2, 5], gamma=0.5)
    print(trace(sched, 7)); print(sched.state_dict())
    opt = mk()
    sched = S.ReduceLROnPlateau(opt, mode='min', patience=2, factor=0.5, threshold=0.1)
    print(trace(sched, 8, metric=[1.0, 0.95, 0.94, 0.93, 0.92, 0.5, 0.5, 0.5]))
    sd = sched.state_dict(); print(sorted(sd.keys()))
    print({k: sd[k] for k in ['best', 'num_bad_epochs', 'last_epoch', 'cooldown_counter',
                              'patience', 'factor', 'mode', 'threshold', 'threshold_mode',
                              'min_lrs', 'eps', '_last_lr']})
    sched = S.CyclicLR(mk(momentum=0.9), base_lr=1e-4, max_lr=1e-3, step_size_up=2,
                       mode='triangular')
    print(trace(sched, 8))
    print(np.round([g['momentum'] for g in sched.optimizer.param_groups], 6).tolist())
    sd = sched.state_dict(); print(sorted(sd.keys()), sd['base_lrs'], sd['max_lrs'],
            sd['last_epoch'], sd['scale_mode'],
            sd['_scale_fn_ref'] if '_scale_fn_ref' in sd else None)
    sched = S.CyclicLR(mk(momentum=0.9), base_lr=1e-4, max_lr=1e-3, step_size_up=2,
                       mode='triangular2')
    print(trace(sched, 10))
    sched = S.CyclicLR(mk(momentum=0.9), base_lr=1e-4, max_lr=1e-3, step_size_up=2,
                       mode='exp_range', gamma=np.sqrt(.5))
    print(trace(sched, 10))
    try:
        S.CyclicLR(mk(), base_lr=1e-4, max_lr=1e-3)
        S.CyclicLR(optim.Adam(nn.Linear(1, 1).parameters()), base_lr=1e-4, max_lr=1e-3)
    except Exception as e:
        print(type(e).__name__, e)
    sched = S.CyclicLR(optim.Adam(nn.Linear(1, 1).parameters()), base_lr=1e-4, max_lr=1e-3,
                       cycle_momentum=False, step_size_up=3)
    print(trace(sched, 7))
    opt = mk(momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=0.01, total_steps=10)
    print(trace(sched, 9))
    print(np.round([g['momentum'] for g in opt.param_groups], 6).tolist())
    print(sorted(opt.param_groups[0].keys()))
    try:
        opt.step(); sched.step(); opt.step(); sched.step()
    except Exception as e:
        print(type(e).__name__, e)
    opt = optim.Adam(nn.Linear(1, 1).parameters(), lr=0.01)
    sched = S.OneCycleLR(opt, max_lr=0.01, epochs=2, steps_per_epoch=4, anneal_strategy='linear',
                         three_phase=True)
    print(trace(sched, 7), np.round(opt.param_groups[0]['betas'], 6).tolist())
    sched = S.CosineAnnealingWarmRestarts(mk(), T_0=3, T_mult=2, eta_min=1e-4)
    out = []
    for e in range(2):
        for i in range(4):
            sched.optimizer.step(); sched.step(e + i / 4); out.append(sched.get_last_lr()[0])
    print(np.round(out, 10).tolist())
    sched = S.CosineAnnealingLR(mk(), T_max=4)
    print(trace(sched, 6))
    sched = S.ExponentialLR(mk(), gamma=0.9)
    print(trace(sched, 3), sched.state_dict())
    # scheduler step before optimizer step warning
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        opt = mk(); sched = S.StepLR(opt, 1)
        sched.step()
        print([str(x.message)[:80] for x in w])
    # load state dict
    opt = mk(); sched = S.StepLR(opt, step_size=2, gamma=0.1)
    trace(sched, 3)
    opt2 = mk(); sched2 = S.StepLR(opt2, step_size=2, gamma=0.1)
    sched2.load_state_dict(sched.state_dict())
    print(sched2.last_epoch, sched2.get_last_lr(), opt2.param_groups[0]['lr'])
    # SBS with scheduler
    SBS = make_sbs(torch)
    np.random.seed(42)
    x = np.random.rand(32, 1).astype(np.float32)
    y = (1 + 2 * x).astype(np.float32)
    ds = torch.utils.data.TensorDataset(torch.as_tensor(x), torch.as_tensor(y))
    torch.manual_seed(0)
    tl = torch.utils.data.DataLoader(ds, batch_size=8, shuffle=True)
    for kind in ['step', 'plateau', 'cyclic']:
        torch.manual_seed(42)
        model = nn.Sequential(nn.Linear(1, 1))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        if kind == 'step':
            sc = S.StepLR(opt, step_size=2, gamma=0.5)
        elif kind == 'plateau':
            sc = S.ReduceLROnPlateau(opt, patience=0, factor=0.5)
        else:
            sc = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3)
        s = SBS(model, nn.MSELoss(), opt)
        s.set_loaders(tl, tl)
        s.set_lr_scheduler(sc)
        s.train(4)
        print(kind, s.is_batch_lr_scheduler, np.round(s.learning_rates, 8).tolist()[:6],
              model.state_dict())
    for bad in [lambda: S.StepLR(mk(), step_size=2, gamma=0.1, last_epoch=3),
                lambda: S.MultiStepLR(mk(), milestones=[5, 2]).milestones,
                lambda: S.ReduceLROnPlateau(mk(), mode='mn'),
                lambda: S.ReduceLROnPlateau(mk(), factor=1.0),
                lambda: S.OneCycleLR(mk(), max_lr=0.1),
                lambda: S.LambdaLR(mk(), lr_lambda=[lambda e: 1, lambda e: 2]),
                lambda: S.StepLR(nn.Linear(1, 1), 1),
                lambda: S.ReduceLROnPlateau(mk()).step(),
                lambda: S.CyclicLR(mk(momentum=0.9), base_lr=0.1, max_lr=1, mode='bad'),
                ]:
        try:
            print(bad())
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])


def prog_clip(torch):
    nn = torch.nn; optim = torch.optim
    torch.manual_seed(11)
    parm = nn.Parameter(torch.randn(2, 1))
    fake_grads = torch.tensor([[2.5], [.8]])
    parm.grad = fake_grads.clone()
    print(nn.utils.clip_grad_value_(parm, clip_value=1.0))
    print(parm.grad.view(-1,))
    parm.grad = fake_grads.clone()
    print(nn.utils.clip_grad_norm_(parm, max_norm=1.0, norm_type=2))
    print(fake_grads.norm(), parm.grad.view(-1,), parm.grad.norm())
    parm.grad = fake_grads.clone()
    print(nn.utils.clip_grad_norm_([parm], max_norm=1.0, norm_type='inf'))
    print(parm.grad)
    parm.grad = fake_grads.clone()
    print(nn.utils.clip_grad_norm_(parm, max_norm=10.0), parm.grad)
    parm.grad = fake_grads.clone()
    print(nn.utils.clip_grad_norm_(parm, max_norm=1.0, norm_type=1), parm.grad)
    parm.grad = None
    print(nn.utils.clip_grad_norm_(parm, max_norm=1.0))
    pass
    parm.grad = torch.tensor([[float('nan')], [1.]])
    try:
        print(nn.utils.clip_grad_norm_(parm, 1.0, error_if_nonfinite=True))
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    parm.grad = torch.tensor([[float('nan')], [1.]])
    print(nn.utils.clip_grad_norm_(parm, 1.0), parm.grad)
    parm.grad = torch.tensor([[float('inf')], [1.]])
    print(nn.utils.clip_grad_norm_(parm, 1.0), parm.grad)
    print(nn.utils.get_total_norm([torch.tensor([3., 4.]), torch.tensor([12.])]))
    g = [torch.tensor([3., 4.]), torch.tensor([12.])]
    nn.utils.clip_grads_with_norm_([nn.Parameter(torch.zeros(1))], 1.0, torch.tensor(13.))
    # clipping with hooks
    torch.manual_seed(42)
    np.random.seed(42)
    x = np.random.rand(32, 10).astype(np.float32)
    y = (x.sum(1, keepdims=True) * 10).astype(np.float32)
    ds = torch.utils.data.TensorDataset(torch.as_tensor(x), torch.as_tensor(y))
    torch.manual_seed(0)
    tl = torch.utils.data.DataLoader(ds, batch_size=8, shuffle=True)
    SBS = make_sbs(torch)
    for mode in ['value', 'norm', 'hook']:
        torch.manual_seed(42)
        model = nn.Sequential(nn.Linear(10, 15), nn.ReLU(), nn.Linear(15, 1))
        with torch.no_grad():
            for m in model:
                if isinstance(m, nn.Linear):
                    nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
                    m.bias.zero_()
        opt = optim.SGD(model.parameters(), lr=0.01)
        s = SBS(model, nn.MSELoss(), opt)
        s.set_loaders(tl, tl)
        if mode == 'value':
            s.set_clip_grad_value(1.0)
        elif mode == 'norm':
            s.set_clip_grad_norm(1.0)
        else:
            s.set_clip_backprop(1.0)
        s.capture_gradients(['2'])
        s.train(2)
        s.remove_clip(); s.remove_hooks()
        gr = np.array(s._gradients['2']['weight'])
        print(mode, gr.shape, np.abs(gr).max().round(5), [round(l, 4) for l in s.losses])
        print(model[2].weight.data)
    # register_hook behaviours
    w = torch.tensor([1., 2., 3.], requires_grad=True)
    h = w.register_hook(lambda g: g * 2)
    print(type(h).__name__)
    (w * w).sum().backward()
    print(w.grad)
    h.remove(); w.grad = None
    (w * w).sum().backward(); print(w.grad)
    h2 = w.register_hook(lambda g: print('grad:', g))
    w.grad = None
    (w ** 3).sum().backward(); print(w.grad)
    h2.remove()
    try:
        torch.tensor([1., 2.]).register_hook(lambda g: g)
    except Exception as e:
        print(type(e).__name__, e)
    y2 = w * 2
    y2.register_hook(lambda g: torch.clamp(g, -0.5, 0.5))
    w.grad = None
    y2.sum().backward(); print(w.grad)
    try:
        w.register_hook(lambda g: g.sum())
        w.grad = None
        (w * 1).sum().backward()
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    # model.register_full_backward_hook
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: print('bw', type(m).__name__,
            [None if g is None else tuple(g.shape) for g in gi], [tuple(g.shape) for g in go]))
    lin(torch.randn(4, 3, requires_grad=True)).sum().backward()
    lin(torch.randn(4, 3)).sum().backward()


def prog_bn(torch):
    nn = torch.nn; F = torch.nn.functional
    torch.manual_seed(44)
    dropping_model = nn.Sequential(nn.Dropout(p=0.5))
    spaced_points = torch.linspace(.1, 1.1, 11)
    print(spaced_points)
    dropping_model.train()
    output_train = dropping_model(spaced_points)
    print(output_train)
    print(output_train / spaced_points)
    print(F.linear(output_train, weight=torch.ones(11), bias=torch.tensor(0)))
    dropping_model.eval()
    output_eval = dropping_model(spaced_points)
    print(output_eval)
    torch.manual_seed(17)
    p = 0.5
    distrib_outputs = torch.tensor([F.linear(F.dropout(spaced_points, p=p), weight=torch.ones(11),
                                             bias=torch.tensor(0)) for _ in range(20)])
    print(distrib_outputs)
    print(F.dropout(spaced_points, p=0.3, training=False))
    print(nn.Dropout(0.3), nn.Dropout2d(p=0.25), nn.Dropout(0.3, inplace=True))
    torch.manual_seed(0)
    x = torch.ones(2, 4, 3, 3)
    print(nn.Dropout2d(0.5)(x)[:, :, 0, 0])
    print(F.dropout2d(x, 0.5, training=True)[:, :, 0, 0])
    for f in [lambda: nn.Dropout(p=1.5), lambda: F.dropout(spaced_points, p=-0.1),
              lambda: nn.Dropout2d(0.5)(torch.ones(3)),
              lambda: nn.Dropout2d(0.5)(torch.ones(3, 4)).shape]:
        try:
            print(f())
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
    # BatchNorm
    torch.manual_seed(23)
    dummy_points = torch.randn((200, 2)) + torch.rand((200, 2)) * 2
    dummy_labels = torch.randint(2, (200, 1))
    dummy_dataset = torch.utils.data.TensorDataset(dummy_points, dummy_labels)
    dummy_loader = torch.utils.data.DataLoader(dummy_dataset, batch_size=64, shuffle=True)
    iterator = iter(dummy_loader)
    batch1 = next(iterator); batch2 = next(iterator); batch3 = next(iterator)
    print(batch1[0].mean(axis=0), batch2[0].mean(axis=0), batch3[0].mean(axis=0))
    print(batch1[0].std(axis=0))
    batch_normalizer = nn.BatchNorm1d(num_features=2, affine=False, momentum=None)
    print(batch_normalizer, batch_normalizer.state_dict())
    normed1 = batch_normalizer(batch1[0])
    print(batch_normalizer.state_dict())
    print(normed1.mean(axis=0).abs().max() < 1e-6, normed1.var(axis=0), normed1.var(axis=0,
                                                                                    unbiased=False))
    normed2 = batch_normalizer(batch2[0])
    print(batch_normalizer.state_dict())
    batch_normalizer.eval()
    normed3 = batch_normalizer(batch3[0])
    print(normed3.mean(axis=0), normed3.std(axis=0, unbiased=False))
    batch_normalizer_mom = nn.BatchNorm1d(num_features=2, affine=False, momentum=0.1)
    print(batch_normalizer_mom.state_dict())
    normed1_mom = batch_normalizer_mom(batch1[0])
    print(batch_normalizer_mom.state_dict())
    running_mean = torch.zeros((1, 2))
    running_mean = .1 * batch1[0].mean(axis=0) + (1 - .1) * running_mean
    print(running_mean)
    bn_aff = nn.BatchNorm1d(2)
    print(bn_aff, bn_aff.state_dict().keys(), list(bn_aff.named_buffers()))
    print(bn_aff.weight, bn_aff.bias, bn_aff.num_batches_tracked)
    torch.manual_seed(39)
    dummy_images = torch.rand((200, 3, 10, 10))
    dummy_labels = torch.randint(2, (200, 1))
    dummy_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(dummy_images,
            dummy_labels), batch_size=64, shuffle=True)
    iterator = iter(dummy_loader)
    batch1 = next(iterator)
    print(batch1[0].shape)
    batch_normalizer = nn.BatchNorm2d(num_features=3, affine=False, momentum=None)
    normed1 = batch_normalizer(batch1[0])
    print(normed1.mean(axis=[0, 2, 3]).abs().max() < 1e-6, normed1.std(axis=[0, 2, 3],
                                                                       unbiased=False))
    print(batch_normalizer.state_dict())
    for f in [lambda: nn.BatchNorm1d(2)(torch.randn(1, 2)),
              lambda: nn.BatchNorm1d(3)(torch.randn(4, 2)),
              lambda: nn.BatchNorm2d(3)(torch.randn(4, 3)),
              lambda: nn.BatchNorm1d(2)(torch.randn(4, 2, 5)).shape,
              lambda: nn.BatchNorm1d(2).eval()(torch.randn(1, 2)),
              lambda: nn.BatchNorm1d(2)(torch.randn(2, 2, 1))]:
        try:
            print(f())
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
    # residual
    class DummyResidual(nn.Module):
        def __init__(self):
            super(DummyResidual, self).__init__()
            self.linear = nn.Linear(1, 1)
            self.activation = nn.ReLU()
        def forward(self, x):
            identity = x
            out = self.linear(x)
            out = self.activation(out)
            out = out + identity
            return out
    torch.manual_seed(0)
    m = DummyResidual()
    print(m(torch.tensor([[-1.], [2.]])))
    class ResidualBlock(nn.Module):
        def __init__(self, in_channels, out_channels, stride=1):
            super(ResidualBlock, self).__init__()
            self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1,
                                   stride=stride, bias=False)
            self.bn1 = nn.BatchNorm2d(out_channels)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(out_channels)
            self.downsample = None
            if out_channels != in_channels:
                self.downsample = nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride)
        def forward(self, x):
            identity = x
            out = self.conv1(x); out = self.bn1(out); out = self.relu(out)
            out = self.conv2(out); out = self.bn2(out)
            if self.downsample is not None:
                identity = self.downsample(identity)
            out += identity
            out = self.relu(out)
            return out
    torch.manual_seed(0)
    rb = ResidualBlock(3, 4, stride=2)
    print(rb)
    out = rb(dummy_images[:4])
    print(out.shape, out.grad_fn)
    out.mean().backward()
    print(rb.bn1.weight.grad.shape, rb.bn1.running_mean, rb.bn1.num_batches_tracked)
    rb.eval()
    print(rb(dummy_images[:2]).sum())
    # Note: track_running_stats False
    bn = nn.BatchNorm1d(2, track_running_stats=False)
    print(bn, bn.state_dict())
    print(nn.BatchNorm1d(2, momentum=None).state_dict()['num_batches_tracked'].dtype)


def test_sched():
    same_printout(prog_sched)


def test_clip():
    same_printout(prog_clip)


def test_bn():
    same_printout(prog_bn)
