"""The last of the beginner collections' programs, as learners type them:
L1aoXingyu/pytorch-beginner 11-backward/backward.py (gradients of a scalar, of a
non-scalar output built by index assignment, a Jacobian by two backward calls) and
07-Language Model/language model.py, and chenyuntc/pytorch-book chapter11-语音识别(LSTM-CTC)
model.py. Old calls that fail on PyTorch 2.13 (``out.data[0]``, ``retain_variables``) go
through ``o.tryit`` so the error is compared too."""

from collections import OrderedDict
import numpy as np
from s16_yunjey_progs import Out


def backward_demo(L):
    """11-backward/backward.py: gradients of a scalar, of a non-scalar output built by
    index assignment, and a Jacobian by two backward calls (retain_variables is gone)."""
    t, v = L, L.autograd.Variable
    with Out() as o:
        a = v(t.FloatTensor([2, 3]), requires_grad=True)
        b = a + 3
        c = b * b * 3
        out = c.mean()
        out.backward()
        o.print('*' * 10)
        o.print('=====simple gradient======')
        o.print('input')
        o.print(a.data)
        o.print('compute result is')
        o.tryit(lambda: out.data[0])
        o.print(out.data)
        o.print('input gradients are')
        o.print(a.grad.data)

        m = v(t.FloatTensor([[2, 3]]), requires_grad=True)
        n = v(t.zeros(1, 2))
        n[0, 0] = m[0, 0] ** 2
        n[0, 1] = m[0, 1] ** 3
        o.print(n)
        n.backward(t.FloatTensor([[1, 1]]))
        o.print('*' * 10)
        o.print('=====non scalar output======')
        o.print('input')
        o.print(m.data)
        o.print('input gradients are')
        o.print(m.grad.data)

        j = t.zeros(2, 2)
        k = v(t.zeros(1, 2))
        m.grad.data.zero_()
        k[0, 0] = m[0, 0] ** 2 + 3 * m[0, 1]
        k[0, 1] = m[0, 1] ** 2 + 2 * m[0, 0]
        o.tryit(lambda: k.backward(t.FloatTensor([[1, 0]]), retain_variables=True))
        k.backward(t.FloatTensor([[1, 0]]), retain_graph=True)
        j[:, 0] = m.grad.data
        m.grad.data.zero_()
        k.backward(t.FloatTensor([[0, 1]]))
        j[:, 1] = m.grad.data
        o.print('jacobian matrix is')
        o.print(j)
        o.tryit(lambda: k.backward(t.FloatTensor([[0, 1]])))

        x = t.FloatTensor([2, 1]).view(1, 2)
        x = v(x, requires_grad=True)
        y = v(t.FloatTensor([[1, 2], [3, 4]]))
        z = t.mm(x, y)
        jacobian = t.zeros((2, 2))
        z.backward(t.FloatTensor([[1, 0]]), retain_graph=True)
        jacobian[:, 0] = x.grad.data
        x.grad.data.zero_()
        z.backward(t.FloatTensor([[0, 1]]))
        jacobian[:, 1] = x.grad.data
        o.print('=========jacobian========')
        o.print('x')
        o.print(x.data)
        o.print('y')
        o.print(y.data)
        o.print('compute result')
        o.print(z.data)
        o.print('jacobian matrix is')
        o.print(jacobian)
        o.vals += [j, jacobian, m.grad]
    return o.done()


def language_model(L):
    """07-Language Model/language model.py: embedding + LSTM, states detached each step
    through Variable(state.data), clip_grad_norm (the deprecated name)."""
    torch, nn, optim, Variable = L, L.nn, L.optim, L.autograd.Variable
    torch.manual_seed(10)
    seq_length, vocab_size = 5, 17
    train_id = torch.from_numpy(np.random.default_rng(10).integers(0, vocab_size, (3, 23)))
    num_batches = train_id.size(1) // seq_length

    class languagemodel(nn.Module):
        def __init__(self, vocab_size, embed_dim, hidden_size, num_layers):
            super(languagemodel, self).__init__()
            self.embed = nn.Embedding(vocab_size, embed_dim)
            self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers, batch_first=True)
            self.linear = nn.Linear(hidden_size, vocab_size)

        def forward(self, x, h):
            x = self.embed(x)
            x, hi = self.lstm(x, h)
            b, s, h = x.size()
            x = x.contiguous().view(b * s, h)
            x = self.linear(x)
            return x, hi

    def detach(states):
        return [Variable(state.data) for state in states]

    with Out() as o:
        model = languagemodel(vocab_size, 8, 12, 1)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
        for epoch in range(2):
            o.print('epoch {}'.format(epoch + 1))
            running_loss = 0
            states = (Variable(torch.zeros(1, 3, 12)), Variable(torch.zeros(1, 3, 12)))
            for i in range(0, train_id.size(1) - 2 * seq_length, seq_length):
                input_x = train_id[:, i:(i + seq_length)]
                label = train_id[:, (i + seq_length):(i + 2 * seq_length)]
                input_x = Variable(input_x)
                label = Variable(label)
                if i == 0 and epoch == 0:  # the column slice is not viewable
                    o.tryit(lambda: train_id[:, 5:10].view(15, 1))
                label = label.contiguous().view(label.size(0) * label.size(1), 1)
                states = detach(states)
                out, states = model(input_x, states)
                loss = criterion(out, label.view(-1))
                running_loss += loss.data
                optimizer.zero_grad()
                loss.backward()
                norm = torch.nn.utils.clip_grad_norm(model.parameters(), 0.5)
                optimizer.step()
                step = (i + 1) // seq_length
                o.print('Epoch [{}/{}], Step[{}/{}], Loss: {:.4f}, norm {:.4f}'
                        .format(epoch + 1, 2, step, num_batches, loss.data, norm))
            o.print('Loss: {:.4f}'.format(running_loss))
        o.print(type(states).__name__, states[0].shape, states[0].grad_fn is not None)
        o.vals += [out, model.lstm.weight_hh_l0]
    return o.done()


def lstm_ctc(L):
    """chapter11-语音识别(LSTM-CTC) model.py: CTC_Model of BatchRNNs over a PackedSequence
    (train.py's CTC loss on the padded output; eval's BatchSoftmax)."""
    torch, nn, F = L, L.nn, L.nn.functional
    torch.manual_seed(17)

    class SequenceWise(nn.Module):
        def __init__(self, module):
            super(SequenceWise, self).__init__()
            self.module = module

        def forward(self, x):
            x, batch_size_len = x.data, x.batch_sizes
            x = self.module(x)
            return nn.utils.rnn.PackedSequence(x, batch_size_len)

        def __repr__(self):
            return self.__class__.__name__ + ' (\n' + self.module.__repr__() + ')'

    class BatchSoftmax(nn.Module):
        def forward(self, x):
            if not self.training:
                seq_len = x.size()[0]
                return torch.stack([F.softmax(x[i], dim=1) for i in range(seq_len)], 0)
            return x

    class BatchRNN(nn.Module):
        def __init__(self, input_size, hidden_size, rnn_type=nn.LSTM, bidirectional=False,
                     batch_norm=True, dropout=0.1):
            super(BatchRNN, self).__init__()
            self.batch_norm = SequenceWise(nn.BatchNorm1d(input_size)) if batch_norm else None
            self.rnn = rnn_type(input_size=input_size, hidden_size=hidden_size,
                                bidirectional=bidirectional, dropout=dropout, bias=False)

        def forward(self, x):
            if self.batch_norm is not None:
                x = self.batch_norm(x)
            x, _ = self.rnn(x)
            return x

    class CTC_Model(nn.Module):
        def __init__(self, rnn_param=None, num_class=48, drop_out=0.1):
            super(CTC_Model, self).__init__()
            if rnn_param is None or type(rnn_param) != dict:
                raise ValueError("rnn_param need to be a dict to contain all params of rnn!")
            self.num_directions = 2 if rnn_param["bidirectional"] else 1
            h, nd = rnn_param["rnn_hidden_size"], self.num_directions
            rnns = [('0', BatchRNN(rnn_param["rnn_input_size"], h, rnn_param["rnn_type"],
                                   rnn_param["bidirectional"], False, drop_out))]
            for i in range(rnn_param["rnn_layers"] - 1):
                rnns.append(('%d' % (i + 1), BatchRNN(nd * h, h, rnn_param["rnn_type"],
                                                      rnn_param["bidirectional"],
                                                      rnn_param["batch_norm"], drop_out)))
            self.rnns = nn.Sequential(OrderedDict(rnns))
            fc = nn.Sequential(nn.BatchNorm1d(nd * h), nn.Linear(nd * h, num_class + 1, bias=False))
            self.fc = SequenceWise(fc)
            self.inference_softmax = BatchSoftmax()

        def forward(self, x, dev=False):
            x = self.rnns(x)
            x = self.fc(x)
            x, batch_seq = nn.utils.rnn.pad_packed_sequence(x, batch_first=False)
            out = self.inference_softmax(x)
            if dev:
                return x, out
            return out

    rng = np.random.default_rng(17)
    feats = torch.from_numpy(rng.standard_normal((9, 3, 6)).astype(np.float32))
    lengths = [9, 7, 5]
    targets = torch.from_numpy(rng.integers(1, 6, (3, 3)))
    with Out() as o:
        o.tryit(lambda: CTC_Model(rnn_param=[1], num_class=5))
        param = {"rnn_input_size": 6, "rnn_hidden_size": 5, "rnn_layers": 2,
                 "rnn_type": nn.LSTM, "bidirectional": True, "batch_norm": True}
        model = CTC_Model(rnn_param=param, num_class=5, drop_out=0.1)
        o.print(model.fc)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        ctc = nn.CTCLoss(blank=0, reduction='sum')
        for ii in range(2):
            packed = nn.utils.rnn.pack_padded_sequence(feats, lengths)
            out = model(packed)
            log_probs = F.log_softmax(out, dim=2)
            loss = ctc(log_probs, targets, torch.tensor(lengths), torch.tensor([3, 3, 2]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print('loss {:.4f}'.format(loss.item() / 3), out.shape)
        model.eval()
        x, probs = model(nn.utils.rnn.pack_padded_sequence(feats, lengths), dev=True)
        o.print(probs.shape, probs.sum(2)[:2])
        o.vals += [x, probs, model.rnns[1].rnn.weight_hh_l0_reverse]
    return o.done()


def conv_gan(L):
    """L1aoXingyu/pytorch-beginner 09-Generative Adversarial network/conv_gan.py: conv
    discriminator with AvgPool, generator from a fc to a 1x56x56 map through BatchNorm2d(1)
    and a stride-2 conv; BCELoss on (N, 1) scores against (N,) labels is PyTorch's
    ValueError, so the labels are made (N, 1) after it."""
    torch, nn, Variable = L, L.nn, L.autograd.Variable
    torch.manual_seed(22)
    rng = np.random.default_rng(22)
    imgs = torch.from_numpy(rng.uniform(-1, 1, (4, 1, 28, 28)).astype(np.float32))
    dataloader = L.utils.data.DataLoader(L.utils.data.TensorDataset(imgs, torch.zeros(4)),
                                         batch_size=2, shuffle=True)
    z_dimension = 6

    class discriminator(nn.Module):
        def __init__(self):
            super(discriminator, self).__init__()
            self.conv1 = nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.LeakyReLU(0.2, True),
                                       nn.AvgPool2d(2, stride=2))
            self.conv2 = nn.Sequential(nn.Conv2d(4, 8, 5, padding=2), nn.LeakyReLU(0.2, True),
                                       nn.AvgPool2d(2, stride=2))
            self.fc = nn.Sequential(nn.Linear(8 * 7 * 7, 16), nn.LeakyReLU(0.2, True),
                                    nn.Linear(16, 1), nn.Sigmoid())

        def forward(self, x):
            x = self.conv1(x)
            x = self.conv2(x)
            x = x.view(x.size(0), -1)
            return self.fc(x)

    class generator(nn.Module):
        def __init__(self, input_size, num_feature):
            super(generator, self).__init__()
            self.fc = nn.Linear(input_size, num_feature)
            self.br = nn.Sequential(nn.BatchNorm2d(1), nn.ReLU(True))
            self.downsample1 = nn.Sequential(nn.Conv2d(1, 5, 3, stride=1, padding=1),
                                             nn.BatchNorm2d(5), nn.ReLU(True))
            self.downsample2 = nn.Sequential(nn.Conv2d(5, 3, 3, stride=1, padding=1),
                                             nn.BatchNorm2d(3), nn.ReLU(True))
            self.downsample3 = nn.Sequential(nn.Conv2d(3, 1, 2, stride=2), nn.Tanh())

        def forward(self, x):
            x = self.fc(x)
            x = x.view(x.size(0), 1, 56, 56)
            x = self.br(x)
            x = self.downsample1(x)
            x = self.downsample2(x)
            return self.downsample3(x)

    with Out() as o:
        D, G = discriminator(), generator(z_dimension, 3136)
        criterion = nn.BCELoss()
        d_optimizer = torch.optim.Adam(D.parameters(), lr=0.0003)
        g_optimizer = torch.optim.Adam(G.parameters(), lr=0.0003)
        for epoch in range(2):
            for i, (img, _) in enumerate(dataloader):
                num_img = img.size(0)
                real_img = Variable(img)
                real_label = Variable(torch.ones(num_img))
                fake_label = Variable(torch.zeros(num_img))
                real_out = D(real_img)
                if epoch == 0 and i == 0:
                    o.tryit(lambda: criterion(real_out, real_label))
                real_label, fake_label = real_label.unsqueeze(1), fake_label.unsqueeze(1)
                d_loss_real = criterion(real_out, real_label)
                real_scores = real_out
                z = Variable(torch.randn(num_img, z_dimension))
                fake_img = G(z)
                fake_out = D(fake_img)
                d_loss_fake = criterion(fake_out, fake_label)
                fake_scores = fake_out
                d_loss = d_loss_real + d_loss_fake
                d_optimizer.zero_grad()
                d_loss.backward()
                d_optimizer.step()
                z = Variable(torch.randn(num_img, z_dimension))
                fake_img = G(z)
                output = D(fake_img)
                g_loss = criterion(output, real_label)
                g_optimizer.zero_grad()
                g_loss.backward()
                g_optimizer.step()
                o.print('Epoch [{}/{}], d_loss: {:.4f}, g_loss: {:.4f} D real: {:.4f}, '
                        'D fake: {:.4f}'.format(epoch, 2, d_loss.item(), g_loss.item(),
                                                real_scores.data.mean(), fake_scores.data.mean()))
        out = 0.5 * (fake_img.cpu().data + 1)
        out = out.clamp(0, 1).view(-1, 1, 28, 28)
        o.vals += [out, G.br[0].running_var, D.fc[0].weight]
    return o.done()


def alexnet(L):
    """chenyuntc/pytorch-book chapter6-实战指南/models/AlexNet.py (channels shrunk) with a
    main.py-style training step and val() in eval mode under no_grad."""
    t, nn = L, L.nn
    t.manual_seed(23)

    class AlexNet(nn.Module):
        def __init__(self, num_classes=2):
            super(AlexNet, self).__init__()
            self.model_name = 'alexnet'
            self.features = nn.Sequential(
                nn.Conv2d(3, 4, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(4, 6, kernel_size=5, padding=2), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(6, 8, kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(8, 8, kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(8, 8, kernel_size=3, padding=1), nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2))
            self.classifier = nn.Sequential(
                nn.Dropout(), nn.Linear(8 * 6 * 6, 16), nn.ReLU(inplace=True),
                nn.Dropout(), nn.Linear(16, 16), nn.ReLU(inplace=True),
                nn.Linear(16, num_classes))

        def forward(self, x):
            x = self.features(x)
            x = x.view(x.size(0), 8 * 6 * 6)
            return self.classifier(x)

    rng = np.random.default_rng(23)
    data = t.from_numpy(rng.standard_normal((3, 3, 224, 224)).astype(np.float32))
    label = t.tensor([0, 1, 1])
    with Out() as o:
        model = AlexNet()
        criterion = t.nn.CrossEntropyLoss()
        lr = 0.01
        optimizer = t.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
        previous_loss = 1e100
        for epoch in range(3):
            optimizer.zero_grad()
            score = model(data)
            loss = criterion(score, label)
            loss.backward()
            optimizer.step()
            o.print('loss {:.4f}'.format(loss.item()))
            if loss.item() > previous_loss:
                lr = lr * 0.5
                for param_group in optimizer.param_groups:
                    param_group['lr'] = lr
            previous_loss = loss.item()
        model.eval()
        with t.no_grad():
            score = model(data)
        probability = t.nn.functional.softmax(score, dim=1)[:, 0].detach().tolist()
        o.print(['{:.4f}'.format(p) for p in probability], optimizer.param_groups[0]['lr'])
        o.vals += [score, model.features[0].weight]
    return o.done()
