"""vincentherrmann/pytorch-wavenet's wavenet_model.py (WaveNetModel) and wavenet_training.py's
step as users type them, on the modules of tests/s21_autoreg_progs_b.py: forward on the
receptive field, a few training steps, generate (with the repository's bugs as PyTorch 2
answers them, then the one-line fix) and generate_fast with the dilated queues and NumPy
sampling. See tests/test_programs_s21_autoreg.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_autoreg_progs_b import _modules, mu_law_expansion, quantize_data


def _model(L):
    torch, nn, F = L, L.nn, L.nn.functional
    Variable = L.autograd.Variable
    ConstantPad1d, constant_pad_1d, dilate, DilatedQueue = _modules(L)

    class WaveNetModel(nn.Module):
        def __init__(self, layers=10, blocks=4, dilation_channels=32, residual_channels=32,
                     skip_channels=256, end_channels=256, classes=256, output_length=32,
                     kernel_size=2, dtype=torch.FloatTensor, bias=False):
            super(WaveNetModel, self).__init__()
            self.layers = layers
            self.blocks = blocks
            self.dilation_channels = dilation_channels
            self.residual_channels = residual_channels
            self.skip_channels = skip_channels
            self.classes = classes
            self.kernel_size = kernel_size
            self.dtype = dtype
            receptive_field = 1
            init_dilation = 1
            self.dilations = []
            self.dilated_queues = []
            self.filter_convs = nn.ModuleList()
            self.gate_convs = nn.ModuleList()
            self.residual_convs = nn.ModuleList()
            self.skip_convs = nn.ModuleList()
            self.start_conv = nn.Conv1d(in_channels=1, out_channels=residual_channels,
                                        kernel_size=1, bias=bias)
            for b in range(blocks):
                additional_scope = kernel_size - 1
                new_dilation = 1
                for i in range(layers):
                    self.dilations.append((new_dilation, init_dilation))
                    self.dilated_queues.append(DilatedQueue(max_length=(kernel_size - 1) * new_dilation + 1,
                                                            num_channels=residual_channels,
                                                            dilation=new_dilation,
                                                            dtype=dtype))
                    self.filter_convs.append(nn.Conv1d(in_channels=residual_channels,
                                                       out_channels=dilation_channels,
                                                       kernel_size=kernel_size, bias=bias))
                    self.gate_convs.append(nn.Conv1d(in_channels=residual_channels,
                                                     out_channels=dilation_channels,
                                                     kernel_size=kernel_size, bias=bias))
                    self.residual_convs.append(nn.Conv1d(in_channels=dilation_channels,
                                                         out_channels=residual_channels,
                                                         kernel_size=1, bias=bias))
                    self.skip_convs.append(nn.Conv1d(in_channels=dilation_channels,
                                                     out_channels=skip_channels,
                                                     kernel_size=1, bias=bias))
                    receptive_field += additional_scope
                    additional_scope *= 2
                    init_dilation = new_dilation
                    new_dilation *= 2
            self.end_conv_1 = nn.Conv1d(in_channels=skip_channels, out_channels=end_channels,
                                        kernel_size=1, bias=True)
            self.end_conv_2 = nn.Conv1d(in_channels=end_channels, out_channels=classes,
                                        kernel_size=1, bias=True)
            self.output_length = output_length
            self.fix = False
            self.receptive_field = receptive_field

        def wavenet(self, input, dilation_func):
            x = self.start_conv(input)
            skip = 0
            for i in range(self.blocks * self.layers):
                (dilation, init_dilation) = self.dilations[i]
                residual = dilation_func(x, dilation, init_dilation, i)
                filter = self.filter_convs[i](residual)
                filter = F.tanh(filter)
                gate = self.gate_convs[i](residual)
                gate = F.sigmoid(gate)
                x = filter * gate
                s = x
                if x.size(2) != 1:
                    s = dilate(x, 1, init_dilation=dilation)
                s = self.skip_convs[i](s)
                try:
                    skip = skip[:, :, -s.size(2):]
                except:  # noqa: E722 - as the repository has it
                    skip = 0
                skip = s + skip
                x = self.residual_convs[i](x)
                x = x + residual[:, :, (self.kernel_size - 1):]
            x = F.relu(skip)
            x = F.relu(self.end_conv_1(x))
            x = self.end_conv_2(x)
            return x

        def wavenet_dilate(self, input, dilation, init_dilation, i):
            x = dilate(input, dilation, init_dilation)
            return x

        def queue_dilate(self, input, dilation, init_dilation, i):
            queue = self.dilated_queues[i]
            # PyTorch 2 does not broadcast (C, 1) into the queue's (C,) column: users squeeze
            queue.enqueue(input.data[0].squeeze(-1) if self.fix else input.data[0])
            x = queue.dequeue(num_deq=self.kernel_size, dilation=dilation)
            x = x.unsqueeze(0)
            return x

        def forward(self, input):
            x = self.wavenet(input, dilation_func=self.wavenet_dilate)
            [n, c, l] = x.size()
            l = self.output_length
            x = x[:, :, -l:]
            x = x.transpose(1, 2).contiguous()
            x = x.view(n * l, c)
            return x

        def generate(self, num_samples, first_samples=None, temperature=1., fix=False):
            self.eval()
            if first_samples is None:
                first_samples = self.dtype(1).zero_()
            generated = Variable(first_samples, volatile=True)
            num_pad = self.receptive_field - generated.size(0)
            if num_pad > 0:
                generated = constant_pad_1d(generated, self.scope, pad_start=True)
                print("pad zero")
            for i in range(num_samples):
                input = generated[-self.receptive_field:].view(1, 1, -1)
                x = self.wavenet(input, dilation_func=self.wavenet_dilate)[-1, :].squeeze()
                max = torch.max(x, 0)[1].float()
                s = (max / self.classes) * 2. - 1  # new sample
                if fix:
                    s = s.view(1)
                generated = torch.cat((generated, s), 0)
            self.train()
            return generated.data.tolist()

        def generate_fast(self, num_samples, first_samples=None, temperature=1., regularize=0.):
            self.eval()
            if first_samples is None:
                first_samples = self.dtype(1).zero_()
            first_samples = Variable(first_samples, volatile=True)
            for queue in self.dilated_queues:
                queue.reset()
            num_given_samples = first_samples.size(0)
            input = first_samples[0:1].view(1, 1, 1)
            for i in range(num_given_samples - 1):
                x = self.wavenet(input, dilation_func=self.queue_dilate)
                input = first_samples[i + 1:i + 2].view(1, 1, 1)
            generated = np.array([])
            regularizer = torch.pow(Variable(torch.arange(self.classes)) - self.classes / 2., 2)
            regularizer = regularizer.squeeze() * regularize
            for i in range(num_samples):
                x = self.wavenet(input, dilation_func=self.queue_dilate).squeeze()
                x -= regularizer
                if temperature > 0:
                    x /= temperature
                    prob = F.softmax(x, dim=0)
                    prob = prob.cpu()
                    np_prob = prob.data.numpy()
                    x = np.random.choice(self.classes, p=np_prob)
                    x = np.array([x])
                else:
                    x = torch.max(x, 0)[1][0]
                    x = x.cpu()
                    x = x.data.numpy()
                o = (x / self.classes) * 2. - 1
                generated = np.append(generated, o)
                input = Variable(self.dtype([[o]]), volatile=True)
            self.train()
            mu_gen = mu_law_expansion(generated, self.classes)
            return mu_gen

        def parameter_count(self):
            par = list(self.parameters())
            s = sum([np.prod(list(d.size())) for d in par])
            return s

    return WaveNetModel


def wavenet(L):
    torch, F, optim = L, L.nn.functional, L.optim
    o = Out()
    WaveNetModel = _model(L)
    torch.manual_seed(0)
    np.random.seed(0)
    with o:
        model = WaveNetModel(layers=2, blocks=2, dilation_channels=4, residual_channels=4,
                             skip_channels=8, end_channels=8, classes=8, output_length=4)
        o.print(model.receptive_field, model.dilations, model.parameter_count())
        o.print(model.end_conv_2, len(list(model.named_parameters())))
        t = np.arange(64) / 16000.
        sig = 0.6 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1250 * t)
        data = quantize_data(sig, 8).astype(np.uint8)
        item_length = model.receptive_field + model.output_length - 1
        examples, targets = [], []
        for idx in range(6):
            sample = data[idx * 4: idx * 4 + item_length + 1]
            example = torch.from_numpy(sample[:item_length]).type(torch.FloatTensor).unsqueeze(0)
            examples.append(2. * example / 8 - 1.)
            targets.append(torch.from_numpy(sample[-4:]).type(torch.LongTensor).unsqueeze(0))
        ds = torch.utils.data.TensorDataset(torch.stack(examples), torch.stack(targets))
        loader = torch.utils.data.DataLoader(ds, batch_size=2, shuffle=True)
        optimizer = optim.Adam(params=model.parameters(), lr=0.01, weight_decay=0)
        for epoch in range(2):
            for (x, target) in iter(loader):
                x = torch.autograd.Variable(x.type(torch.FloatTensor))
                target = torch.autograd.Variable(target.view(-1).type(torch.LongTensor))
                output = model(x)
                loss = F.cross_entropy(output.squeeze(), target.squeeze())
                optimizer.zero_grad()
                loss.backward()
                o.tryit(lambda: loss.data[0])
                loss = loss.item()
                torch.nn.utils.clip_grad_norm(model.parameters(), 1.0)
                optimizer.step()
                o.print(epoch, output.shape, '%.4f' % loss)
        o.vals += [output, model.end_conv_2.weight, model.filter_convs[3].weight]
        first = torch.from_numpy(data[:10].astype(np.float32) / 4 - 1)
        o.tryit(lambda: model.generate(3, first_samples=first[:4]))
        o.tryit(lambda: model.generate(3, first_samples=first, temperature=0))
        gen = model.generate(3, first_samples=first, temperature=0, fix=True)
        o.print(np.round(gen, 4).tolist(), model.training)
        o.tryit(lambda: model.generate_fast(2, first_samples=first, temperature=0))
        model.fix = True
        o.tryit(lambda: model.generate_fast(2, first_samples=first, temperature=0))
        fast = model.generate_fast(5, first_samples=first, temperature=1.)
        o.print(np.round(fast, 4).tolist(), fast.dtype)
        fast2 = model.generate_fast(3, temperature=0.5, regularize=0.01)
        o.print(np.round(fast2, 4).tolist(), model.dilated_queues[3].data.shape)
        o.vals += [fast, fast2, model.dilated_queues[3].data]
    return o.done()
