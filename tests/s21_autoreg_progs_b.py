"""vincentherrmann/pytorch-wavenet as users type it: wavenet_modules.py (dilate, DilatedQueue,
ConstantPad1d as an autograd Function: the repository's legacy instance-style one, which
PyTorch 2 refuses, and the static-method port users write), wavenet_model.py (WaveNetModel:
start conv, dilated causal convs with tanh/sigmoid gates, skip and residual 1x1 convs, end
convs; forward, generate, generate_fast with the dilated queues), wavenet_training.py's step
(cross_entropy, clip_grad_norm, Adam) and audio_data.py's mu-law encoding and quantisation in
NumPy on a synthetic signal in place of the audio files. 3 bits (8 classes), 2 blocks of 2
layers, 64-sample audio. Each program is ``prog(torch) -> (printed lines, values)``."""

import math

import numpy as np
from s16_yunjey_progs import Out


def mu_law_encoding(data, mu):
    mu_x = np.sign(data) * np.log(1 + mu * np.abs(data)) / np.log(mu + 1)
    return mu_x


def mu_law_expansion(data, mu):
    s = np.sign(data) * (np.exp(np.abs(data) * np.log(mu + 1)) - 1) / mu
    return s


def quantize_data(data, classes):
    mu_x = mu_law_encoding(data, classes)
    bins = np.linspace(-1, 1, classes)
    quantized = np.digitize(mu_x, bins) - 1
    return quantized


def _modules(L):
    """wavenet_modules.py, with ConstantPad1d ported to a static-method Function."""
    torch = L
    Function = L.autograd.Function
    Variable = L.autograd.Variable

    class ConstantPad1d(Function):
        @staticmethod
        def forward(ctx, input, target_size, dimension=0, value=0, pad_start=False):
            ctx.num_pad = target_size - input.size(dimension)
            assert ctx.num_pad >= 0, 'target size has to be greater than input size'
            ctx.input_size = input.size()
            ctx.dimension, ctx.pad_start = dimension, pad_start
            size = list(input.size())
            size[dimension] = target_size
            output = input.new(*tuple(size)).fill_(value)
            c_output = output
            if pad_start:
                c_output = c_output.narrow(dimension, ctx.num_pad, c_output.size(dimension) - ctx.num_pad)
            else:
                c_output = c_output.narrow(dimension, 0, c_output.size(dimension) - ctx.num_pad)
            c_output.copy_(input)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            grad_input = grad_output.new(*ctx.input_size).zero_()
            cg_output = grad_output
            d = ctx.dimension
            if ctx.pad_start:
                cg_output = cg_output.narrow(d, ctx.num_pad, cg_output.size(d) - ctx.num_pad)
            else:
                cg_output = cg_output.narrow(d, 0, cg_output.size(d) - ctx.num_pad)
            grad_input.copy_(cg_output)
            return grad_input, None, None, None, None

    def constant_pad_1d(input, target_size, dimension=0, value=0, pad_start=False):
        return ConstantPad1d.apply(input, target_size, dimension, value, pad_start)

    def dilate(x, dilation, init_dilation=1, pad_start=True):
        [n, c, l] = x.size()
        dilation_factor = dilation / init_dilation
        if dilation_factor == 1:
            return x
        new_l = int(np.ceil(l / dilation_factor) * dilation_factor)
        if new_l != l:
            l = new_l
            x = constant_pad_1d(x, new_l, dimension=2, pad_start=pad_start)
        l = math.ceil(l * init_dilation / dilation)
        n = math.ceil(n * dilation / init_dilation)
        x = x.permute(1, 2, 0).contiguous()  # (n, c, l) -> (c, l, n)
        x = x.view(c, l, n)
        x = x.permute(2, 0, 1).contiguous()  # (c, l, n) -> (n, c, l)
        return x

    class DilatedQueue:
        def __init__(self, max_length, data=None, dilation=1, num_deq=1, num_channels=1,
                     dtype=torch.FloatTensor):
            self.in_pos = 0
            self.out_pos = 0
            self.num_deq = num_deq
            self.num_channels = num_channels
            self.dilation = dilation
            self.max_length = max_length
            self.data = data
            self.dtype = dtype
            if data == None:  # noqa: E711 - as the repository has it
                self.data = Variable(dtype(num_channels, max_length).zero_())

        def enqueue(self, input):
            self.data[:, self.in_pos] = input
            self.in_pos = (self.in_pos + 1) % self.max_length

        def dequeue(self, num_deq=1, dilation=1):
            start = self.out_pos - ((num_deq - 1) * dilation)
            if start < 0:
                t1 = self.data[:, start::dilation]
                t2 = self.data[:, self.out_pos % dilation:self.out_pos + 1:dilation]
                t = torch.cat((t1, t2), 1)
            else:
                t = self.data[:, start:self.out_pos + 1:dilation]
            self.out_pos = (self.out_pos + 1) % self.max_length
            return t

        def reset(self):
            self.data = Variable(self.dtype(self.num_channels, self.max_length).zero_())
            self.in_pos = 0
            self.out_pos = 0

    return ConstantPad1d, constant_pad_1d, dilate, DilatedQueue


def modules(L):
    """dilate / constant_pad_1d (forward and backward through the Function), the queue, and
    the repository's own legacy Function as PyTorch 2 answers it."""
    torch = L
    o = Out()
    ConstantPad1d, constant_pad_1d, dilate, DilatedQueue = _modules(L)

    class LegacyPad(L.autograd.Function):
        def __init__(self, target_size, dimension=0, value=0, pad_start=False):
            super(LegacyPad, self).__init__()
            self.target_size = target_size

        def forward(self, input):
            return input

    with o:
        x = torch.arange(2 * 3 * 5, dtype=torch.float32).view(2, 3, 5).requires_grad_()
        y = dilate(x, 2, 1)
        o.print(y.shape, y[:, 0].tolist())
        z = dilate(y, 1, init_dilation=2)
        o.print(z.shape, z[0, 1].tolist())
        p = constant_pad_1d(x, 7, dimension=2, pad_start=True)
        q = constant_pad_1d(x, 6, dimension=1, value=-1.)
        o.print(p[0, 0].tolist(), q[1, :, 0].tolist(), p.grad_fn.__class__.__name__)
        w = torch.linspace(-1, 1, 2 * 6 * 5).view(2, 6, 5)
        (dilate(x, 4, 1) ** 2).sum().backward(retain_graph=False)
        g1 = x.grad.clone()
        x.grad = None
        (q * w).sum().backward()
        o.print(g1[0, 0].tolist(), x.grad[1, 2].tolist())
        o.vals += [y, z, p, q, g1, x.grad]
        o.tryit(lambda: constant_pad_1d(x, 3, dimension=2))
        o.tryit(lambda: LegacyPad(7, 2)(x))
        o.tryit(lambda: L.autograd.gradcheck(
            lambda t: constant_pad_1d(t, 5, 1, 0., True),
            (torch.randn(2, 3, 2, dtype=torch.float64, requires_grad=True),)))
        queue = DilatedQueue(max_length=5, num_channels=2, dilation=2)
        outs = []
        for k in range(7):
            queue.enqueue(torch.FloatTensor([k, -k]))
            outs.append(queue.dequeue(num_deq=2, dilation=2).tolist())
        o.print(outs, queue.data.dtype, queue.in_pos, queue.out_pos)
        queue.reset()
        o.print(queue.data.tolist(), queue.data.requires_grad)
    return o.done()


def audio(L):
    """audio_data.py: mu-law quantisation of a synthetic signal, the dataset's items."""
    torch = L
    o = Out()
    with o:
        t = np.arange(64) / 16000.
        sig = 0.6 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1250 * t)
        quantized = quantize_data(sig, 8).astype(np.uint8)
        o.print(quantized.tolist())
        example = torch.from_numpy(quantized[:10]).type(torch.FloatTensor).unsqueeze(0)
        example = 2. * example / 8 - 1.
        target = torch.from_numpy(quantized[-4:]).type(torch.LongTensor).unsqueeze(0)
        o.print(example.dtype, example.shape, target.dtype, target.shape, target.tolist())
        back = mu_law_expansion(example.numpy(), 8)
        o.print(back.dtype, np.round(back, 4).tolist())
        o.vals += [example, target, back]
    return o.done()
