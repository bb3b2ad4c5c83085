"""jzbontar/pixelcnn-pytorch (main.py) as users type it: MaskedConv2d (a Conv2d subclass with
a registered 'mask' buffer, types A and B, applied through ``self.weight.data *= self.mask``),
the Sequential network of masked convolutions with nn.ReLU(True), training with
F.cross_entropy over the pixel levels and SGD with Nesterov momentum, then sampling pixel by
pixel with torch.multinomial on F.softmax. MNIST replaced by seeded NumPy images of a few
levels, 8x8 pixels, fm channels and epochs shrunk. Each program is
``prog(torch) -> (printed lines, values)``; see tests/test_programs_s21_autoreg.py."""

import numpy as np
from s16_yunjey_progs import Out


def _levels(L, n, h, w, levels, seed):
    """Images of ``levels`` grey levels scaled to [0, 1] like ToTensor() (float32, N,1,H,W)."""
    rng = np.random.default_rng(seed)
    q = rng.integers(0, levels, (n, 1, h, w))
    return L.from_numpy((q / (levels - 1)).astype(np.float32))


def _masked_conv(L):
    nn = L.nn

    class MaskedConv2d(nn.Conv2d):
        def __init__(self, mask_type, *args, **kwargs):
            super(MaskedConv2d, self).__init__(*args, **kwargs)
            assert mask_type in {'A', 'B'}, 'mask_type must be A or B'
            self.register_buffer('mask', self.weight.data.clone())
            _, _, kH, kW = self.weight.size()
            self.mask.fill_(1)
            self.mask[:, :, kH // 2, kW // 2 + (mask_type == 'B'):] = 0
            self.mask[:, :, kH // 2 + 1:] = 0

        def forward(self, x):
            self.weight.data *= self.mask
            return super(MaskedConv2d, self).forward(x)

    return MaskedConv2d


def masks(L):
    """The two mask types, the buffer in state_dict / buffers(), the layer's repr."""
    o = Out()
    MaskedConv2d = _masked_conv(L)
    L.manual_seed(0)
    with o:
        a = MaskedConv2d('A', 1, 2, 5, 1, 2)
        b = MaskedConv2d('B', 2, 2, 5, 1, 2, bias=False)
        o.print(a)
        o.print(b)
        o.print(a.mask[0, 0])
        o.print(b.mask[1, 1])
        o.print(list(a.state_dict().keys()), list(b.state_dict().keys()))
        o.print([n for n, _ in a.named_buffers()], a.mask.dtype, a.mask.requires_grad)
        o.print(sum(p.numel() for p in a.parameters()), a.mask.sum().item())
        x = _levels(L, 2, 6, 6, 4, 1)
        y = b(a(x))
        o.print(y.shape, y.requires_grad, y.grad_fn is not None)
        o.vals += [a.mask, b.mask, a.weight, b.weight, y]
        # the receptive field: an output pixel does not depend on itself or later pixels
        xg = x.clone().requires_grad_()
        out = b(L.relu(a(xg)))
        out[0, :, 3, 3].sum().backward()
        g = xg.grad[0, 0]
        o.print((g[3, 3] == 0).item(), (g[4:] == 0).all().item(), (g[3, 4:] == 0).all().item())
        o.vals += [g, a.weight.grad, b.weight.grad]
        assert_a = o.tryit(lambda: MaskedConv2d('C', 1, 2, 3))
        o.print(assert_a)
    return o.done()


def train_and_sample(L):
    """main.py: the network, an epoch of training, the pixel-by-pixel sampling."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    from_data = L.utils.data
    o = Out()
    MaskedConv2d = _masked_conv(L)
    torch.manual_seed(0)
    levels, fm, H = 4, 4, 8
    with o:
        net = nn.Sequential(
            MaskedConv2d('A', 1, fm, 5, 1, 2), nn.ReLU(True),
            MaskedConv2d('B', fm, fm, 5, 1, 2), nn.ReLU(True),
            MaskedConv2d('B', fm, levels, 5, 1, 2))
        o.print(net)
        ds = from_data.TensorDataset(_levels(L, 12, H, H, levels, 2), torch.zeros(12).long())
        tr = from_data.DataLoader(ds, batch_size=4, shuffle=True)
        sample = torch.Tensor(3, 1, H, H)
        o.print(sample.shape, sample.dtype)
        optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True)
        for epoch in range(2):
            err = []
            for input, _ in tr:
                target = (input.data[:, 0] * (levels - 1)).long()
                loss = F.cross_entropy(net(input), target)
                o.tryit(lambda: loss.data[0])
                err.append(loss.item())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.vals.append(net[0].weight.data.clone())
            sample.fill_(0)
            with torch.no_grad():
                for i in range(H):
                    for j in range(H):
                        out = net(sample)
                        probs = F.softmax(out[:, :, i, j]).data
                        sample[:, :, i, j] = torch.multinomial(probs, 1).float() / (levels - 1)
            o.print(epoch, '%.4f' % np.mean(err), err[-1].__class__.__name__)
            o.print((sample * (levels - 1)).round().long()[:, 0].tolist())
            o.vals.append(sample.clone())
        o.print(net[2].mask[0, 0, 2].tolist(), net[0].weight[0, 0, 2].tolist().count(0.0))
    return o.done()


def variable_and_sample_grid(L):
    """The 2017 spellings users still paste: Variable(..., volatile=True), probs of a
    Variable, multinomial with replacement / without, a grid of samples by index."""
    torch, F = L, L.nn.functional
    from_autograd = L.autograd
    o = Out()
    torch.manual_seed(3)
    with o:
        x = torch.randn(5, 4)
        v = from_autograd.Variable(x, volatile=True)
        o.print(v.requires_grad, v.volatile if hasattr(v, 'volatile') else None)
        probs = F.softmax(v, dim=1).data
        s1 = torch.multinomial(probs, 1)
        s2 = torch.multinomial(probs, 3, replacement=True)
        s3 = torch.multinomial(probs, 4)
        o.print(s1.view(-1).tolist(), s2.tolist(), s3.tolist(), s1.dtype)
        o.tryit(lambda: torch.multinomial(probs, 5))
        o.tryit(lambda: torch.multinomial(probs[0] * 0, 1))
        o.tryit(lambda: torch.multinomial(-probs, 1))
        o.vals += [probs, s1, s2, s3]
        grid = torch.zeros(2, 1, 3, 3)
        for i in range(3):
            for j in range(3):
                p = F.softmax(torch.randn(2, 3), 1)
                grid[:, :, i, j] = torch.multinomial(p, 1).float() / 2.
        o.print(grid.tolist())
        o.vals.append(grid)
    return o.done()
