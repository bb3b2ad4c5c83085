"""vincentherrmann/pytorch-wavenet, the rest as users type it: wavenet_modules.py's
discretized mixture-of-logistics loss (log_sum_exp, log_prob_from_logits, to_one_hot) and its
sampler, wavenet_training.py's mixture_loss, WavenetTrainer.validate's loss / accuracy sums
(with the repository's ``.data[0]`` as PyTorch 2 answers it and the ``.item()`` users switch
to) and a snapshot saved with torch.save and loaded back. See
tests/test_programs_s21_autoreg.py."""

import io

import numpy as np
from s16_yunjey_progs import Out


def _mixture(L):
    torch, F = L, L.nn.functional
    Variable = L.autograd.Variable

    def log_sum_exp(x):
        axis = len(x.size()) - 1
        m, _ = torch.max(x, dim=axis)
        m2, _ = torch.max(x, dim=axis, keepdim=True)
        return m + torch.log(torch.sum(torch.exp(x - m2), dim=axis))

    def log_prob_from_logits(x):
        axis = len(x.size()) - 1
        m, _ = torch.max(x, dim=axis, keepdim=True)
        return x - m - torch.log(torch.sum(torch.exp(x - m), dim=axis, keepdim=True))

    def to_one_hot(tensor, n, fill_with=1.):
        one_hot = torch.FloatTensor(tensor.size() + (n,)).zero_()
        if tensor.is_cuda:
            one_hot = one_hot.cuda()
        one_hot.scatter_(len(tensor.size()), tensor.unsqueeze(-1), fill_with)
        return Variable(one_hot)

    def discretized_mix_logistic_loss(input, target, bin_count=256, reduce=True):
        target.unsqueeze_(1)
        nr_mix = input.size()[-1] // 3
        weights = input[:, :nr_mix]
        means = input[:, nr_mix:2 * nr_mix]
        log_scales = torch.clamp(input[:, 2 * nr_mix:], min=-7.)
        distances_to_target = target - means
        inv_scales = torch.exp(-log_scales)
        pos_in = inv_scales * (distances_to_target + 1. / float(bin_count))
        neg_in = inv_scales * (distances_to_target - 1. / float(bin_count))
        pos_cdf = F.sigmoid(pos_in)
        neg_cdf = F.sigmoid(neg_in)
        cdf_delta = pos_cdf - neg_cdf
        mid_in = inv_scales * distances_to_target
        log_pdf_mid = mid_in - log_scales - 2. * F.softplus(mid_in)
        log_one_minus_cdf_neg = -F.softplus(neg_in)
        log_cdf_pos = pos_in - F.softplus(pos_in)
        condition_1 = (cdf_delta > 1e-5).float()
        out_1 = condition_1 * torch.log(torch.clamp(cdf_delta, min=1e-12)) \
            + (1. - condition_1) * (log_pdf_mid - np.log((bin_count - 1) / 2.))
        condition_2 = (target > 0.999).float()
        out_2 = condition_2 * log_one_minus_cdf_neg + (1. - condition_2) * out_1
        condition_3 = (target < -0.999).float()
        out_3 = condition_3 * log_cdf_pos + (1. - condition_3) * out_2
        log_probabilities = out_3 + log_prob_from_logits(weights)
        combined_log_probabilities = log_sum_exp(log_probabilities)
        if reduce:
            return -torch.sum(combined_log_probabilities)
        else:
            return -combined_log_probabilities

    def sample_from_discretized_mix_logistic(parameters):
        nr_mix = parameters.size()[-1] // 3
        weights = parameters[:, :nr_mix]
        means = parameters[:, nr_mix:2 * nr_mix]
        log_scales = torch.clamp(parameters[:, 2 * nr_mix:], min=-7.)
        temp = torch.FloatTensor(weights.size())
        if parameters.is_cuda:
            temp = temp.cuda()
        temp.uniform_(1e-5, 1. - 1e-5)
        temp = weights.data - torch.log(-torch.log(temp))
        _, argmax = temp.max(dim=1)
        selection = Variable(argmax, volatile=True).unsqueeze(1)
        means = torch.gather(means, dim=1, index=selection)
        log_scales = torch.gather(log_scales, dim=1, index=selection)
        u = torch.FloatTensor(means.size())
        if parameters.is_cuda:
            u = u.cuda()
        u.uniform_(1e-5, 1. - 1e-5)
        u = Variable(u)
        x = means + torch.exp(log_scales) * (torch.log(u) - torch.log(1. - u))
        x = torch.clamp(torch.clamp(x, min=-1.), max=1.)
        return x

    def mixture_loss(input, target):
        target = target.float()
        target = (target / 256.) * 2. - 1.
        loss = discretized_mix_logistic_loss(input, target, bin_count=256, reduce=True)
        return loss

    return (log_sum_exp, log_prob_from_logits, to_one_hot, discretized_mix_logistic_loss,
            sample_from_discretized_mix_logistic, mixture_loss)


def mixture(L):
    """A linear 'model' giving 3 logistics' weights, means and log scales per sample, trained
    a few steps on the mixture loss; samples drawn from it; the one-hot helper."""
    torch, nn, optim = L, L.nn, L.optim
    (log_sum_exp, log_prob_from_logits, to_one_hot, discretized_mix_logistic_loss,
     sample_from_discretized_mix_logistic, mixture_loss) = _mixture(L)
    o = Out()
    torch.manual_seed(0)
    with o:
        x = torch.randn(6, 4)
        p = torch.randn(6, 9)
        o.print(log_sum_exp(p).shape)
        o.vals += [log_sum_exp(p), log_prob_from_logits(p).exp().sum(1)]
        o.print(to_one_hot(torch.tensor([[1, 2], [0, 2]]), 3).tolist())
        # 3-bit audio: bin_count=8 (with 256 bins, cdf_delta = sigmoid(a) - sigmoid(b)
        # cancels in float32 and a last-bit sigmoid difference shows at 1e-5 relative)
        targets = torch.tensor([0, 1, 3, 5, 7, 7])
        net = nn.Linear(4, 9)
        opt = optim.Adam(params=net.parameters(), lr=0.01, weight_decay=0)
        for step in range(3):
            out = net(x)
            t = (targets.float() / 8.) * 2. - 1.
            loss = discretized_mix_logistic_loss(out, t, bin_count=8, reduce=True)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(step, '%.4f' % loss.item(), loss.grad_fn.name(), t.shape)
        o.print(mixture_loss(net(x), targets * 32).shape)
        t = (targets.float() / 8.) * 2. - 1.
        per = discretized_mix_logistic_loss(net(x), t.clone(), bin_count=8, reduce=False)
        wide = discretized_mix_logistic_loss(net(x), t.view(2, 3), 8, reduce=False)  # broadcasts
        o.print(per.shape, t.shape, wide.shape)
        o.tryit(lambda: discretized_mix_logistic_loss(net(x), t.view(3, 2)))
        o.vals += [out, per, wide, net.weight, net.weight.grad]
        s = sample_from_discretized_mix_logistic(net(x))
        o.print(s.shape, s.requires_grad)
        o.vals.append(s)
    return o.done()


def validate_and_snapshot(L):
    """WavenetTrainer.validate's sums over a loader, and torch.save(model) / torch.load."""
    torch, nn, F = L, L.nn, L.nn.functional
    o = Out()
    torch.manual_seed(1)
    with o:
        model = nn.Sequential(nn.Conv1d(1, 4, 2), nn.ReLU(), nn.Conv1d(4, 8, 1))
        xs = torch.rand(6, 1, 5) * 2 - 1
        ts = torch.randint(0, 8, (6, 1, 4))
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xs, ts),
                                             batch_size=4)
        model.eval()
        total_loss = 0
        accurate_classifications = 0
        for batch in iter(loader):
            x, target = batch
            x = torch.autograd.Variable(x.type(torch.FloatTensor))
            target = torch.autograd.Variable(target.type(torch.LongTensor))
            output = model(x).transpose(1, 2).contiguous().view(-1, 8)
            target = target.view(-1)
            loss = F.cross_entropy(output.squeeze(), target.squeeze())
            o.tryit(lambda: loss.data[0])
            total_loss += loss.item()
            predictions = torch.max(output, 1)[1].view(-1)
            correct_pred = torch.eq(target, predictions)
            o.tryit(lambda: torch.sum(correct_pred).data[0])
            accurate_classifications += torch.sum(correct_pred)
        avg_loss = total_loss / len(loader)
        avg_accuracy = accurate_classifications / (len(loader.dataset) * 4)
        model.train()
        o.print('%.4f' % avg_loss, repr(avg_accuracy), type(accurate_classifications).__name__)
        o.vals += [avg_accuracy, accurate_classifications]
        buf = io.BytesIO()
        torch.save(model, buf)
        buf.seek(0)
        o.tryit(lambda: type(torch.load(buf)).__name__)
        buf.seek(0)
        m2 = torch.load(buf, weights_only=False)
        o.print(m2)
        o.print(all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                       m2.state_dict().values())))
        buf = io.BytesIO()
        torch.save({'model': model.state_dict(), 'step': 12}, buf)
        buf.seek(0)
        ck = torch.load(buf)
        o.print(sorted(ck), ck['step'], list(ck['model'].keys()))
        samples = np.stack([np.zeros(3), np.ones(3)], axis=0)
        o.print(samples.shape)
    return o.done()


def early_model_data(L):
    """The repository's first model.py: WavenetData (quantised inputs and int targets, with a
    0-dim tensor from torch.randperm used as the NumPy index and pad width) and Optimizer.train
    (Adam, cross_entropy, an average loss every avg_length steps, stop under a threshold),
    on a stack of dilated Conv1d in place of its ConvDilated blocks."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    o = Out()

    class WavenetData:
        def __init__(self, data, input_length, target_length, num_classes):
            max = np.maximum(np.max(data), -np.min(data))
            data = np.float32(data) / max
            bins = np.linspace(-1, 1, num_classes)
            inputs = np.digitize(data[0:-1], bins, right=False) - 1
            inputs = bins[inputs]
            targets = (np.digitize(data[1::], bins, right=False) - 1)
            self.inputs = inputs
            self.targets = targets
            self.data_length = data.size
            self.input_length = input_length
            self.target_length = target_length
            self.num_classes = num_classes

        def get_minibatch(self, indices):
            this_input = []
            this_target = []
            for i in indices:
                if i < self.input_length:
                    this_input = np.pad(self.inputs[0:i], pad_width=(self.input_length - i, 0),
                                        mode='constant')
                    this_input = this_input[None, None, :]
                else:
                    this_input = self.inputs[i - self.input_length:i][None, None, :]
                num_pad = self.target_length - i
                if num_pad > 0:
                    pad = np.zeros(num_pad) + self.num_classes - 1
                    this_target = np.concatenate((pad, self.targets[0:i]))
                else:
                    this_target = self.targets[i - self.target_length:i]
            return torch.from_numpy(this_input).float(), torch.from_numpy(this_target).long()

    torch.manual_seed(0)
    with o:
        main = nn.Sequential()
        o.tryit(lambda: main.add_module('b0-l0.conv_dilation1', nn.Conv1d(1, 4, 2)))
        dilation = 1
        for i in range(3):
            main.add_module('b0-l{}_conv_dilation{}'.format(i, dilation),
                            nn.Conv1d(1 if i == 0 else 4, 4, kernel_size=2, dilation=dilation))
            main.add_module('b0-l{}_tanh'.format(i), nn.Tanh())
            dilation *= 2
        main.add_module('final', nn.Conv1d(4, 8, 1))
        o.print(main)
        scope, target_length = 8 + 3, 4
        t = np.arange(48)
        wav = (3000 * np.sin(2 * np.pi * t / 12.) + 500 * np.cos(t)).astype(np.int16)
        data = WavenetData(wav, scope, target_length, 8)
        o.print(data.inputs.dtype, data.targets[:10].tolist(), data.data_length)
        optimizer = optim.Adam(main.parameters(), lr=0.01)
        i = 0
        avg_loss = 0
        losses = []
        indices = torch.randperm(data.data_length)
        while True:
            i += 1
            index = indices[i % indices.size(0)]
            optimizer.zero_grad()
            inputs, targets = data.get_minibatch([index])
            output = main(torch.autograd.Variable(inputs))
            o.print(int(index), tuple(inputs.shape), targets.tolist())
            loss = F.cross_entropy(output.squeeze().t(), torch.autograd.Variable(targets))
            loss.backward()
            optimizer.step()
            avg_loss += loss.item()
            if i % 3 == 0:
                avg_loss = avg_loss / 3
                losses.append(avg_loss)
                if avg_loss < 1.7 or i >= 12:
                    o.print('stop', i)
                    break
                avg_loss = 0
        o.print(['%.4f' % v for v in losses])
        o.vals += [output, main.final.weight]
    return o.done()
