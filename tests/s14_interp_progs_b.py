"""Session 14, interpretability tutorials (second part): DeepDream-style ascent, feature
visualization with jitter, per-layer activation statistics, gradient-norm tables, the
vanishing-gradient demo, autograd.functional.jacobian, and the mistakes learners make."""

from s14_interp_progs import cnn


def deepdream(L):
    m = cnn(L); m.eval()
    for p in m.parameters():
        p.requires_grad_(False)
    acts = {}
    h = m[3].register_forward_hook(lambda mod, i, o: acts.__setitem__("a", o))
    L.manual_seed(1)
    img = L.rand(1, 3, 8, 8, requires_grad=True)
    for step in range(3):
        m(img)
        loss = acts["a"].norm()
        loss.backward()
        img.data += 0.1 * img.grad / img.grad.abs().mean()
        img.grad.data.zero_()
        img.data.clamp_(0, 1)
        print(step, f"{loss.item():.4f}", img.grad.sum().item())
    print(img[0, 0, 0])
    h.remove()
    img = L.rand(1, 3, 8, 8, requires_grad=True)
    opt = L.optim.Adam([img], lr=0.05)
    for step in range(3):  # jitter: roll the image a pixel or so each step
        x = L.roll(img, shifts=((step % 3) - 1, 1 - (step % 2)), dims=(2, 3))
        opt.zero_grad()
        loss = -m(x)[0, 2]
        loss.backward()
        opt.step()
        print(step, f"{loss.item():.5f}", img.grad.shape)
    a = L.arange(6).view(2, 3)
    print(L.roll(a, 1), L.roll(a, -1, 0), L.roll(a, shifts=(1, 2), dims=(0, 1)))
    try:
        img += 1
    except RuntimeError as e:
        print(str(e).splitlines()[0])


def activation_stats(L):
    m = cnn(L)
    stats, handles = [], []
    for name, mod in m.named_modules():
        print(repr(name), type(mod).__name__)
        if name == "":
            continue

        def hook(mod, inp, out, name=name):
            stats.append((name, tuple(out.shape), f"{out.mean().item():.5f}",
                          f"{out.std().item():.5f}", f"{(out == 0).float().mean().item():.3f}"))
        handles.append(mod.register_forward_hook(hook))
    x = L.randn(4, 3, 8, 8)
    with L.no_grad():
        m(x)
    for s in stats:
        print(s)
    for hd in handles:
        hd.remove()
    m(x)
    print(len(stats))
    m[0].register_forward_pre_hook(lambda mod, inp: print("pre", type(inp).__name__,
                                                          inp[0].shape))
    m[0].register_forward_hook(lambda mod, args, kwargs, out: print("kw", kwargs, out.shape),
                               with_kwargs=True)
    m(x)
    h = m[1].register_forward_hook(lambda mod, i, o: o * 0)  # a hook replacing the output
    print(m(x)[0])
    h.remove()


def grad_norms(L):
    m = cnn(L)
    x = L.randn(4, 3, 8, 8)
    loss = L.nn.functional.cross_entropy(m(x), L.tensor([0, 1, 2, 3]))
    loss.backward()
    print(f"{'name':<12}{'shape':<20}{'norm':>10}")
    for n, p in m.named_parameters():
        print(f"{n:<12}{str(tuple(p.shape)):<20}{p.grad.norm().item():>10.6f}",
              p.grad.norm(2).dtype, p.grad.abs().max())
    print(L.norm(L.stack([p.grad.norm(2) for p in m.parameters()]), 2))
    print(L.nn.utils.clip_grad_norm_(m.parameters(), 0.1))
    print({n: round(p.grad.norm().item(), 4) for n, p in m.named_parameters()})
    print(p.grad.norm(), p.grad.norm(p='fro'), p.grad.norm(float('inf')), p.grad.norm(1))
    m.zero_grad()
    print([p.grad for p in m.parameters()][:1])


def vanishing(L):
    nn = L.nn
    L.manual_seed(0)
    layers = []
    for i in range(8):
        layers += [nn.Linear(5, 5), nn.Sigmoid()]
    m = nn.Sequential(*layers, nn.Linear(5, 1))
    m(L.randn(16, 5)).pow(2).mean().backward()
    for i, lay in enumerate(m):
        if isinstance(lay, nn.Linear):
            print(i, f"{lay.weight.grad.norm().item():.3e}",
                  f"{lay.weight.grad.abs().mean():.3e}")
    print(m[0].weight.grad)


def jacobian(L, values):
    L.manual_seed(0)
    m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2))
    x = L.randn(3)
    J = L.autograd.functional.jacobian(m, x)
    J2 = L.autograd.functional.jacobian(m, L.randn(5, 3))
    print(J.shape, J2.shape, L.allclose(J, L.autograd.functional.jacobian(m, x, vectorize=True)))
    J3 = L.autograd.functional.jacobian(lambda a, b: (a * b).sum(0),
                                        (L.ones(2, 2), L.arange(4.).view(2, 2)))
    print(type(J3).__name__, len(J3), J3[0].shape, J3[1])
    print(L.autograd.functional.jacobian(m, x, create_graph=True).requires_grad)
    H = L.autograd.functional.hessian(lambda v: (m(v) ** 2).sum(), x)
    print(H.shape)
    try:
        L.autograd.functional.jacobian(m, x, strategy="forward-mode")
    except ValueError as e:
        print(str(e).splitlines()[0])
    values += [J, J2, H, L.autograd.functional.vjp(m, x, L.ones(2))[1],
               L.autograd.functional.jvp(m, x, L.ones(3))[1]]


def mistakes(L):
    F = L.nn.functional
    m = cnn(L)

    def t(fn):
        try:
            print("ok", fn())
        except Exception as e:  # noqa: BLE001 - compared across libraries
            print(type(e).__name__, str(e).splitlines()[0])
    x = L.rand(1, 3, 8, 8, requires_grad=True) * 2  # not a leaf: no .grad
    m(x).sum().backward()
    t(lambda: x.grad)
    t(lambda: x.is_leaf)
    x2 = L.rand(1, 3, 8, 8, requires_grad=True)
    t(lambda: x2.numpy())
    t(lambda: x2.add_(1))
    t(lambda: x2.grad.abs())
    r = L.rand(1, 3, 4, 4)
    t(lambda: F.interpolate(L.rand(3, 4, 4), size=(8, 8), mode='bilinear'))
    t(lambda: F.interpolate(r, size=8, mode='linear'))
    t(lambda: F.interpolate(r, size=(8, 8), mode='nearest', align_corners=False))
    t(lambda: F.interpolate(r, mode='bilinear'))
    t(lambda: F.interpolate(r, size=8, scale_factor=2))
    t(lambda: F.interpolate(r, size=(8, 8, 8), mode='bilinear'))
    t(lambda: F.interpolate(r, size=(4 / 2, 8), mode='bilinear'))
    t(lambda: F.interpolate(r, size=(8, 8), mode='cubic'))
    t(lambda: F.interpolate(r, scale_factor=1.5, mode='bilinear',
                            recompute_scale_factor=True).shape)
    t(lambda: F.interpolate(r.long(), size=8, mode='bilinear'))
    t(lambda: F.interpolate(r, size=(8, 8), mode='area')[0, 0, 0])
    t(lambda: F.upsample_bilinear(L.arange(4.).view(1, 1, 2, 2), scale_factor=2)[0, 0, 1])
    t(lambda: L.nn.Upsample(scale_factor=2, mode='bilinear'))
    t(lambda: L.autograd.grad(m(x2).sum(), [x2, L.rand(2, requires_grad=True)]))
    t(lambda: L.autograd.grad(m(x2).sum(), [x2, L.rand(2, requires_grad=True)],
                              allow_unused=True)[1])
    t(lambda: L.autograd.grad(m(x2).sum(), [x2, L.rand(2, requires_grad=True)],
                              allow_unused=True, materialize_grads=True)[1])
    t(lambda: L.autograd.grad(m(x2), x2))
    t(lambda: L.autograd.grad(m(x2), x2, grad_outputs=L.ones(3)))
    t(lambda: L.autograd.grad(m(x2), x2, grad_outputs=L.ones(1, 5, dtype=L.float64))[0].dtype)
    t(lambda: L.autograd.grad(m(x2.detach()).sum(), x2))
    t(lambda: (x2 * 2).requires_grad_(False))
    t(lambda: L.linspace(0, 1, 5))
    t(lambda: L.linspace(0, 1))
    t(lambda: L.linspace(0, 1, steps=4, dtype=L.int64))
    t(lambda: L.linspace(L.zeros(2), L.ones(2), 3))
    t(lambda: L.linspace(0., 1., 7)[1:] - L.linspace(0., 1., 7)[:-1])
    t(lambda: L.cumulative_trapezoid(L.tensor([1., 2., 3.]), dx=0.5))
    a = L.rand(2, 4, 3, 3)
    t(lambda: a.mean(dim=(2, 3), keepdim=True).shape)
    t(lambda: a.mean((2, 2)))
    t(lambda: a.amax(dim=(1, 2, 3), keepdim=True).flatten())
    t(lambda: a.view(2, -1).max(dim=1, keepdim=True)[0].shape)
    t(lambda: (a - a.min()) / (a.max() - a.min()))


def more_hooks(L):
    """prepend, a pre-hook replacing the input, a global hook, retain_grad, post-accumulate
    hooks, a gradient penalty (create_graph), a leaf hook, an LSTM's full backward hook."""
    nn = L.nn
    m = cnn(L)
    calls = []
    m[0].register_forward_hook(lambda *a: calls.append("a"))
    m[0].register_forward_hook(lambda *a: calls.append("b"), prepend=True)
    m[0].register_forward_pre_hook(lambda mod, inp: (inp[0] * 2,))
    g = nn.modules.module.register_module_forward_hook(
        lambda mod, i, o: calls.append(type(mod).__name__))
    x = L.randn(1, 3, 8, 8, requires_grad=True)
    m(x)
    g.remove()
    print(calls)
    a1 = m[1](m[0](x)); a1.retain_grad()
    m[2:](a1)[0, 0].backward()
    print(a1.grad.shape, a1.is_leaf, a1.grad.abs().sum() > 0, a1.retains_grad)
    shapes = []
    hs = [p.register_post_accumulate_grad_hook(lambda p: shapes.append(tuple(p.grad.shape)))
          for p in m.parameters()]
    m.zero_grad()
    m(x).sum().backward()
    print(sorted(shapes))  # (sorted: ember fires Linear's weight before its bias, PyTorch after)
    for h in hs:
        h.remove()
    x = L.randn(2, 3, 8, 8, requires_grad=True)
    gx, = L.autograd.grad(m(x).logsumexp(1).sum(), x, create_graph=True)
    gx.pow(2).sum().backward()
    print(gx.requires_grad, gx.grad_fn is not None, m[0].weight.grad.shape)
    w = L.ones(3, requires_grad=True)
    h = w.register_hook(lambda g: g * 10)
    (w * L.arange(3.)).sum().backward()
    print(w.grad)
    h.remove()
    (w * 1).sum().backward()
    print(w.grad)
    for f in (lambda: L.ones(3).register_hook(lambda g: g),
              lambda: (m[0].register_full_backward_hook(lambda *a: None),
                       m[0].register_backward_hook(lambda *a: None))):
        try:
            f()
        except RuntimeError as e:
            print(str(e).splitlines()[0])
    L.manual_seed(0)
    lstm = nn.LSTM(3, 4, batch_first=True)
    lstm.register_full_backward_hook(lambda mod, gi, go: print(
        "lstm", len(gi), len(go), [None if t is None else tuple(t.shape) for t in go]))
    lstm.register_forward_hook(lambda mod, i, o: print("lstm fwd", type(o).__name__,
                                                       type(o[1]).__name__))
    seq = L.randn(2, 5, 3, requires_grad=True)
    o, (hn, cn) = lstm(seq)
    o[:, -1].sum().backward()
    print(seq.grad.shape)


def occlusion_and_display(L):
    m = cnn(L); m.eval()
    x = L.randn(1, 3, 8, 8)
    with L.no_grad():
        base = m(x)[0, 2]
        heat = L.zeros(4, 4)
        for i in range(4):
            for j in range(4):
                xo = x.clone()
                xo[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = 0
                heat[i, j] = base - m(xo)[0, 2]
    print(heat.argmax(), L.unravel_index(heat.argmax(), heat.shape))
    print(L.nn.functional.unfold(x, kernel_size=2, stride=2).shape,
          x.unfold(2, 2, 2).unfold(3, 2, 2).shape)
    mean = L.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = L.tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    back = ((x - mean) / std) * std + mean
    img = back[0].permute(1, 2, 0).clamp(0, 1).mul(255).byte()
    print(img.dtype, img.shape, img[0, 0])
    h = L.rand(4, 4)
    hm = (h - h.min()) / (h.max() - h.min() + 1e-8)
    print(hm.min(), hm.max(), (hm * 255).to(L.uint8)[0])
    print(L.quantile(h, 0.99), h.flatten().kthvalue(3))


def batched_grads(L):
    L.manual_seed(0)
    m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2))
    x = L.randn(3, requires_grad=True)
    y = m(x)
    J, = L.autograd.grad(y, x, grad_outputs=L.eye(2), is_grads_batched=True)
    print(J.shape, L.allclose(J, L.func.jacrev(m)(x.detach())))
    print(L.vmap(L.func.jacrev(m))(L.randn(4, 3)).shape)
    try:
        L.autograd.grad(y, x, grad_outputs=L.eye(2))
    except RuntimeError as e:
        print(str(e).splitlines()[0])
