"""Session 14: interpretability tutorials' code (what learners write to see gradients),
scaled down to small random CNNs/MLPs and synthetic images: saliency, gradient x input,
SmoothGrad, Integrated Gradients by hand, Grad-CAM (module hooks and tensor hooks), Guided
Backprop, DeepDream-style ascent, feature visualization with jitter, activation statistics,
gradient-norm tables, a vanishing-gradient demo and autograd.functional.jacobian. Each
``prog(L)`` prints; tests/test_programs_s14_interp.py runs it on torch and on ember."""


def cnn(L):
    nn = L.nn
    L.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(6, 5))


def saliency(L, values):
    m = cnn(L); m.eval()
    x = L.randn(2, 3, 8, 8, requires_grad=True)
    out = m(x)
    print(out)
    idx = out.argmax(dim=1)
    score = out.gather(1, idx.unsqueeze(1)).squeeze()
    print(score)
    score.sum().backward()
    sal, _ = x.grad.abs().max(dim=1)
    print(sal.shape, sal.dtype)
    r = x.grad.data.abs().max(dim=1)
    print(type(r).__name__, r.indices.dtype, r.values.shape)
    gxi = (x.grad * x).sum(dim=1)
    values += [sal, r.indices, gxi, x.grad.norm(), x.grad.abs().mean()]


def smoothgrad(L):
    m = cnn(L); m.eval()
    x = L.randn(1, 3, 8, 8)
    total = L.zeros_like(x)
    for i in range(5):
        noisy = (x + 0.1 * L.randn_like(x)).requires_grad_(True)
        o = m(noisy)[0, 2]
        o.backward()
        total += noisy.grad
    sg = total / 5
    print(sg.abs().amax(dim=1)[0, 0])
    print(sg.sum(), sg.std())


def integrated_gradients(L):
    m = cnn(L); m.eval()
    x = L.randn(1, 3, 8, 8)
    base = L.zeros_like(x)
    alphas = L.linspace(0, 1, steps=11)
    print(alphas)
    path = base + alphas.view(-1, 1, 1, 1) * (x - base)
    path.requires_grad_()
    out = m(path)[:, 3]
    g, = L.autograd.grad(out, path, grad_outputs=L.ones_like(out))
    print(g.shape)
    avg = (g[:-1] + g[1:]).mean(dim=0) / 2
    attr = (x - base) * avg
    print(attr.sum(), (m(x)[0, 3] - m(base)[0, 3]))  # completeness
    print(L.trapezoid(g, alphas, dim=0).shape)
    try:  # the graph is freed: a second grad call fails
        L.autograd.grad(out.sum(), path)
    except RuntimeError as e:
        print(str(e).splitlines()[0][:60])


def gradcam(L):
    F = L.nn.functional
    m = cnn(L); m.eval()
    acts, grads, log = {}, {}, []

    def fwd(mod, inp, out):
        log.append(("fwd", type(mod).__name__, type(inp).__name__, len(inp), tuple(out.shape)))
        acts["v"] = out.detach()

    def bwd(mod, gin, gout):
        log.append(("bwd", type(mod).__name__, type(gin).__name__, len(gin),
                    [None if g is None else tuple(g.shape) for g in gin],
                    [tuple(g.shape) for g in gout]))
        grads["v"] = gout[0].detach()
    h1 = m[3].register_forward_hook(fwd)
    h2 = m[3].register_full_backward_hook(bwd)
    print(type(h1).__name__)
    x = L.randn(2, 3, 8, 8)
    out = m(x)
    out[:, 1].sum().backward()
    for entry in log:
        print(entry)
    a, g = acts["v"], grads["v"]
    w = g.mean(dim=(2, 3), keepdim=True)
    print(w.shape)
    cam = F.relu((w * a).sum(1))
    print(cam.shape, cam[0])
    cam = F.interpolate(cam.unsqueeze(1), size=(8, 8), mode='bilinear', align_corners=False)
    cam = cam - cam.amin(dim=(2, 3), keepdim=True)
    cam = cam / (cam.amax(dim=(2, 3), keepdim=True) + 1e-8)
    print(cam.shape, cam[1, 0, :2])
    print(F.interpolate(cam, scale_factor=2, mode='bilinear')[0, 0, 0, :4])
    print(F.interpolate(cam, size=16, mode='nearest')[0, 0, 1, :4])
    print(F.interpolate(cam, size=(5, 7), mode='bicubic', align_corners=True)[0, 0, 1])
    h1.remove(); h2.remove(); h2.remove()
    m(x).sum().backward()
    print(len(log), len(m[3]._forward_hooks), len(m[3]._backward_hooks))


def gradcam_tensor_hook(L):
    """The 'self.gradients = grad' Grad-CAM: a tensor hook set inside forward."""
    nn, F = L.nn, L.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
            self.head = nn.Linear(4, 3)
            self.gradients = None

        def activations_hook(self, grad):
            self.gradients = grad

        def forward(self, x):
            x = self.features(x)
            if x.requires_grad:
                x.register_hook(self.activations_hook)
            return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))

    L.manual_seed(0)
    m = Net(); m.eval()
    img = L.rand(1, 3, 6, 6)
    pred = m(img)
    print(pred.argmax(dim=1))
    pred[:, pred.argmax(dim=1)].backward()
    grads = m.gradients
    pooled = L.mean(grads, dim=[0, 2, 3])
    acts = m.features(img).detach()
    for i in range(4):
        acts[:, i, :, :] *= pooled[i]
    heatmap = F.relu(L.mean(acts, dim=1).squeeze())
    heatmap /= L.max(heatmap)
    print(heatmap, heatmap.numpy().dtype)
    try:
        pred[:, pred.argmax(dim=1)].backward()
    except RuntimeError as e:
        print(str(e).splitlines()[0][:60])
    with L.no_grad():
        print(m(img).requires_grad, m.gradients is grads)
    L.autograd.backward(m(img)[0, 0])
    print(L.equal(m.gradients, grads))


def guided_backprop(L):
    nn = L.nn
    L.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.ReLU(),
                      nn.Flatten(), nn.Linear(4 * 16, 3))
    order = []

    def hook(mod, gin, gout):
        order.append(id(mod))
        return (L.clamp(gin[0], min=0.0),)
    hs = [mm.register_full_backward_hook(hook) for mm in m.modules() if isinstance(mm, nn.ReLU)]
    x = L.randn(1, 3, 8, 8, requires_grad=True)
    m(x)[0, 1].backward()
    print([order.index(id(mm)) for mm in m if isinstance(mm, nn.ReLU)])
    print(x.grad[0, 0, 0], (x.grad > 0).sum())
    for h in hs:
        h.remove()
    for bad in (lambda mod, gin, gout: gin[0],  # a bare Tensor, not a tuple
                lambda mod, gin, gout: (gin[0], gin[0])):
        h = m[1].register_full_backward_hook(bad)
        try:
            m(x)[0, 1].backward()
            print("ok")
        except RuntimeError as e:
            print(str(e).splitlines()[0])
        h.remove()

    def old(mod, gin, gout):
        print("old", len(gin), [None if g is None else tuple(g.shape) for g in gin], len(gout))
    for i in (0, 5):
        h = m[i].register_backward_hook(old)
        m(x)[0, 1].backward()
        h.remove()
    m[0].register_full_backward_pre_hook(lambda mod, go: print("pre", len(go), go[0].shape))
    m(x)[0, 1].backward()
    m(L.randn(1, 3, 8, 8))[0, 1].backward()  # no input needs grad: PyTorch warns


def relu_inplace_full_hook(L):
    nn = L.nn
    L.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(inplace=True), nn.Flatten(),
                      nn.Linear(4 * 36, 2))
    for name, mod in m.named_modules():
        if isinstance(mod, nn.ReLU):
            mod.register_full_backward_hook(lambda mod, gi, go: None)
    x = L.randn(1, 3, 8, 8, requires_grad=True)
    m(x).sum().backward()
