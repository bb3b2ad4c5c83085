"""ronghuaiyang/arcface-pytorch as users copy it: models/metrics.py (ArcMarginProduct with
easy_margin both ways, AddMarginProduct (CosFace), SphereProduct with its deprecated
nn.init.xavier_uniform), models/focal_loss.py, models/resnet.py's face ResNet (1-channel
input, no max-pool, fc5 over the flattened map; here with narrow layers and 16x16 faces),
train.py's loop (SGD over two param groups, StepLR stepped first, DataParallel on CPU,
np.argmax accuracy) and test.py's cosine-similarity threshold search. device='cuda' in
the heads' one-hot zeros becomes the CPU, as users without a GPU edit it."""

import math

import numpy as np
from s16_yunjey_progs import Out


def _heads(L):
    torch, nn, F = L, L.nn, L.nn.functional
    Parameter = nn.Parameter

    class ArcMarginProduct(nn.Module):
        def __init__(self, in_features, out_features, s=30.0, m=0.50, easy_margin=False):
            super(ArcMarginProduct, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.s = s
            self.m = m
            self.weight = Parameter(torch.FloatTensor(out_features, in_features))
            nn.init.xavier_uniform_(self.weight)

            self.easy_margin = easy_margin
            self.cos_m = math.cos(m)
            self.sin_m = math.sin(m)
            self.th = math.cos(math.pi - m)
            self.mm = math.sin(math.pi - m) * m

        def forward(self, input, label):
            cosine = F.linear(F.normalize(input), F.normalize(self.weight))
            sine = torch.sqrt(1.0 - torch.pow(cosine, 2))
            phi = cosine * self.cos_m - sine * self.sin_m
            if self.easy_margin:
                phi = torch.where(cosine > 0, phi, cosine)
            else:
                phi = torch.where(cosine > self.th, phi, cosine - self.mm)
            one_hot = torch.zeros(cosine.size(), device='cpu')
            one_hot.scatter_(1, label.view(-1, 1).long(), 1)
            output = (one_hot * phi) + ((1.0 - one_hot) * cosine)
            output *= self.s
            return output

    class AddMarginProduct(nn.Module):
        def __init__(self, in_features, out_features, s=30.0, m=0.40):
            super(AddMarginProduct, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.s = s
            self.m = m
            self.weight = Parameter(torch.FloatTensor(out_features, in_features))
            nn.init.xavier_uniform_(self.weight)

        def forward(self, input, label):
            cosine = F.linear(F.normalize(input), F.normalize(self.weight))
            phi = cosine - self.m
            one_hot = torch.zeros(cosine.size(), device='cpu')
            one_hot.scatter_(1, label.view(-1, 1).long(), 1)
            output = (one_hot * phi) + ((1.0 - one_hot) * cosine)
            output *= self.s
            return output

        def __repr__(self):
            return self.__class__.__name__ + '(' \
                + 'in_features=' + str(self.in_features) \
                + ', out_features=' + str(self.out_features) \
                + ', s=' + str(self.s) \
                + ', m=' + str(self.m) + ')'

    class SphereProduct(nn.Module):
        def __init__(self, in_features, out_features, m=4):
            super(SphereProduct, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.m = m
            self.base = 1000.0
            self.gamma = 0.12
            self.power = 1
            self.LambdaMin = 5.0
            self.iter = 0
            self.weight = Parameter(torch.FloatTensor(out_features, in_features))
            nn.init.xavier_uniform(self.weight)
            self.mlambda = [
                lambda x: x ** 0,
                lambda x: x ** 1,
                lambda x: 2 * x ** 2 - 1,
                lambda x: 4 * x ** 3 - 3 * x,
                lambda x: 8 * x ** 4 - 8 * x ** 2 + 1,
                lambda x: 16 * x ** 5 - 20 * x ** 3 + 5 * x
            ]

        def forward(self, input, label):
            self.iter += 1
            self.lamb = max(self.LambdaMin,
                            self.base * (1 + self.gamma * self.iter) ** (-1 * self.power))
            cos_theta = F.linear(F.normalize(input), F.normalize(self.weight))
            cos_theta = cos_theta.clamp(-1, 1)
            cos_m_theta = self.mlambda[self.m](cos_theta)
            theta = cos_theta.data.acos()
            k = (self.m * theta / 3.14159265).floor()
            phi_theta = ((-1.0) ** k) * cos_m_theta - 2 * k
            NormOfFeature = torch.norm(input, 2, 1)
            one_hot = torch.zeros(cos_theta.size())
            one_hot = one_hot.cuda() if cos_theta.is_cuda else one_hot
            one_hot.scatter_(1, label.view(-1, 1), 1)
            output = (one_hot * (phi_theta - cos_theta) / (1 + self.lamb)) + cos_theta
            output *= NormOfFeature.view(-1, 1)
            return output

        def __repr__(self):
            return self.__class__.__name__ + '(' \
                + 'in_features=' + str(self.in_features) \
                + ', out_features=' + str(self.out_features) \
                + ', m=' + str(self.m) + ')'

    class FocalLoss(nn.Module):
        def __init__(self, gamma=0, eps=1e-7):
            super(FocalLoss, self).__init__()
            self.gamma = gamma
            self.eps = eps
            self.ce = torch.nn.CrossEntropyLoss()

        def forward(self, input, target):
            logp = self.ce(input, target)
            p = torch.exp(-logp)
            loss = (1 - p) ** self.gamma * logp
            return loss.mean()

    return ArcMarginProduct, AddMarginProduct, SphereProduct, FocalLoss


def margin_heads(L):
    """Each head on 12 random 8-d embeddings of 4 classes: logits, CrossEntropy and
    FocalLoss(gamma=2), gradients into the embeddings and the head's weight; the ArcFace
    head with easy_margin False and True (cosines both sides of 0 and of cos(pi - m))."""
    torch = L
    Arc, Add, Sphere, FocalLoss = _heads(L)
    rng = np.random.default_rng(0)
    with Out() as o:
        torch.manual_seed(0)
        heads = [Arc(8, 4, s=30.0, m=0.5, easy_margin=False),
                 Arc(8, 4, s=30.0, m=0.5, easy_margin=True),
                 Add(8, 4, s=30, m=0.35), Sphere(8, 4, m=4)]
        o.print(heads[2])
        o.print(heads[3])
        criterion = torch.nn.CrossEntropyLoss()
        focal = FocalLoss(gamma=2)
        for head in heads:
            x = torch.from_numpy(rng.standard_normal((12, 8)).astype(np.float32))
            x.requires_grad_()
            label = torch.from_numpy(np.arange(12) % 4)
            for _ in range(2):
                out = head(x, label)
                loss = criterion(out, label) + focal(out, label)
                head.zero_grad()
                x.grad = None
                loss.backward()
                o.print(type(head).__name__, tuple(out.shape), out.dtype, out.requires_grad,
                        'loss %.4f' % loss.item(),
                        'gx %.4f' % x.grad.norm().item(),
                        'gw %.4f' % head.weight.grad.norm().item())
            o.vals += [out.detach(), x.grad, head.weight.grad]
        o.print('lamb', heads[3].lamb, 'iter', heads[3].iter)
        # cosines right at the ArcFace threshold, +-1 (sqrt(1 - cos^2) at 0)
        w = heads[0].weight.detach()
        x = torch.cat([w[:2], -w[2:3], w[3:] * 0.5]).clone().requires_grad_()
        out = heads[0](x, torch.tensor([0, 1, 2, 3]))
        out.sum().backward()
        o.print('edge', out.detach().isnan().any().item(), x.grad.isnan().any().item())
        o.vals += [out.detach()]
        o.tryit(lambda: heads[0](torch.zeros(2, 8), torch.tensor([0, 5])))
        o.tryit(lambda: heads[2](torch.zeros(2, 7), torch.tensor([0, 1])))
        o.tryit(lambda: torch.zeros((2, 4), device='cuda'))
    return o.done()


def _resnet_face(L):
    nn = L.nn

    def conv3x3(in_planes, out_planes, stride=1):
        return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride,
                         padding=1, bias=False)

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super(BasicBlock, self).__init__()
            self.conv1 = conv3x3(inplanes, planes, stride)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = conv3x3(planes, planes)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample
            self.stride = stride

        def forward(self, x):
            residual = x
            out = self.conv1(x)
            out = self.bn1(out)
            out = self.relu(out)
            out = self.conv2(out)
            out = self.bn2(out)
            if self.downsample is not None:
                residual = self.downsample(x)
            out += residual
            out = self.relu(out)
            return out

    class ResNet(nn.Module):
        def __init__(self, block, layers, widths=(8, 16, 32, 64), side=16, emb=32):
            self.inplanes = widths[0]
            super(ResNet, self).__init__()
            self.conv1 = nn.Conv2d(1, widths[0], kernel_size=3, stride=1, padding=1,
                                   bias=False)
            self.bn1 = nn.BatchNorm2d(widths[0])
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = self._make_layer(block, widths[0], layers[0], stride=2)
            self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
            self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
            self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
            self.fc5 = nn.Linear(widths[3] * (side // 16) * (side // 16), emb)

            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

        def _make_layer(self, block, planes, blocks, stride=1):
            downsample = None
            if stride != 1 or self.inplanes != planes * block.expansion:
                downsample = nn.Sequential(
                    nn.Conv2d(self.inplanes, planes * block.expansion,
                              kernel_size=1, stride=stride, bias=False),
                    nn.BatchNorm2d(planes * block.expansion),
                )
            layers = []
            layers.append(block(self.inplanes, planes, stride, downsample))
            self.inplanes = planes * block.expansion
            for i in range(1, blocks):
                layers.append(block(self.inplanes, planes))
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.conv1(x)
            x = self.bn1(x)
            x = self.relu(x)
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.layer3(x)
            x = self.layer4(x)
            x = x.view(x.size(0), -1)
            x = self.fc5(x)
            return x

    def resnet_face18(**kwargs):
        return ResNet(BasicBlock, [2, 1, 1, 1], **kwargs)
    return resnet_face18


def _cosin_metric(x1, x2):
    return np.dot(x1, x2) / (np.linalg.norm(x1) * np.linalg.norm(x2))


def _cal_accuracy(y_score, y_true):
    y_score = np.asarray(y_score)
    y_true = np.asarray(y_true)
    best_acc = 0
    best_th = 0
    for i in range(len(y_score)):
        th = y_score[i]
        y_test = (y_score >= th)
        acc = np.mean((y_test == y_true).astype(int))
        if acc > best_acc:
            best_acc = acc
            best_th = th
    return (best_acc, best_th)


def arcface_train(L):
    """train.py with metric 'arc_margin' (then 'add_margin' for the focal-loss run): the
    face ResNet and the head each in DataParallel, SGD over [{'params': model...},
    {'params': metric_fc...}] with weight_decay, StepLR stepped at each epoch's start, the
    'train epoch .. iter .. loss .. acc ..' line (time fields left out), then test.py's
    flipped-image features, np.hstack'ed, and the LFW-style threshold accuracy."""
    torch, nn = L, L.nn
    from_np = torch.from_numpy
    DataParallel = nn.DataParallel
    StepLR = torch.optim.lr_scheduler.StepLR
    Arc, Add, _, FocalLoss = _heads(L)
    resnet_face18 = _resnet_face(L)
    rng = np.random.default_rng(1)
    faces = rng.standard_normal((24, 1, 16, 16)).astype(np.float32)
    labels = np.arange(24) % 4
    device = torch.device("cpu")
    with Out() as o:
        torch.manual_seed(1)
        data = torch.utils.data.TensorDataset(from_np(faces), from_np(labels))
        trainloader = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True,
                                                  num_workers=0)
        o.print('{} train iters per epoch:'.format(len(trainloader)))
        for metric, crit in (('arc_margin', torch.nn.CrossEntropyLoss()),
                             ('add_margin', FocalLoss(gamma=2))):
            criterion = crit
            model = resnet_face18()
            if metric == 'add_margin':
                metric_fc = Add(32, 4, s=30, m=0.35)
            else:
                metric_fc = Arc(32, 4, s=30, m=0.5, easy_margin=False)
            if metric == 'arc_margin':
                o.print(model)
            model.to(device)
            model = DataParallel(model)
            metric_fc.to(device)
            metric_fc = DataParallel(metric_fc)
            optimizer = torch.optim.SGD([{'params': model.parameters()},
                                         {'params': metric_fc.parameters()}],
                                        lr=0.01, weight_decay=5e-4)
            scheduler = StepLR(optimizer, step_size=1, gamma=0.1)
            for i in range(2):
                scheduler.step()
                model.train()
                for ii, data in enumerate(trainloader):
                    data_input, label = data
                    data_input = data_input.to(device)
                    label = label.to(device).long()
                    feature = model(data_input)
                    output = metric_fc(feature, label)
                    loss = criterion(output, label)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    iters = i * len(trainloader) + ii
                    if iters % 2 == 0:
                        output = output.data.cpu().numpy()
                        output = np.argmax(output, axis=1)
                        label = label.data.cpu().numpy()
                        acc = np.mean((output == label).astype(int))
                        o.vals += [output, label]  # (the nine convolutions' sums round
                        # differently in MKL-DNN: features agree to ~3e-7 relative only)
                        o.print('train epoch {} iter {} loss {:.4f} acc {}'.format(
                            i, ii, loss.item(), acc))
                o.print('lr', [g['lr'] for g in optimizer.param_groups])
            model.eval()
            images = np.concatenate([faces[:6], faces[:6, :, :, ::-1]], axis=0)
            images = np.ascontiguousarray(images.reshape(2, 6, 1, 16, 16).transpose(1, 0, 2, 3, 4)
                                          .reshape(12, 1, 16, 16))
            out = model(torch.from_numpy(images)).data.cpu().numpy()
            features = np.hstack((out[::2], out[1::2]))
            sims = [_cosin_metric(features[a], features[b]) for a, b in
                    ((0, 1), (0, 4), (1, 5), (2, 3), (2, 0), (3, 1))]
            acc, th = _cal_accuracy(sims, [0, 1, 1, 0, 0, 1])
            o.print('features', features.shape, features.dtype,
                    'lfw acc %.4f' % acc, 'th %.4f' % th)
            o.print('fc5 %.4f' % model.module.fc5.weight.norm().item())
    return o.done()


def save_and_load_model(L):
    """train.py's save_model (the DataParallel model's state_dict, 'module.' keys) and
    test.py's load_model (keys filtered by the plain model's, update, load_state_dict),
    then a strict load of the prefixed keys (its error) and the prefix stripped."""
    import io
    torch, nn = L, L.nn
    resnet_face18 = _resnet_face(L)
    with Out() as o:
        torch.manual_seed(0)
        model = nn.DataParallel(resnet_face18())
        save_name = io.BytesIO()
        torch.save(model.state_dict(), save_name)

        def load_model(model, model_path):
            model_path.seek(0)
            model_dict = model.state_dict()
            pretrained_dict = torch.load(model_path)
            o.print(list(pretrained_dict)[:3], len(pretrained_dict))
            pretrained_dict = {k: v for k, v in pretrained_dict.items() if k in model_dict}
            model_dict.update(pretrained_dict)
            o.print(len(pretrained_dict), model.load_state_dict(model_dict))

        plain = resnet_face18()
        load_model(plain, save_name)
        o.print(torch.equal(plain.fc5.weight, model.module.fc5.weight))
        save_name.seek(0)
        sd = torch.load(save_name)
        o.tryit(lambda: plain.load_state_dict(sd))
        o.print(plain.load_state_dict({k[len('module.'):]: v for k, v in sd.items()}))
        o.print(torch.equal(plain.fc5.weight, model.module.fc5.weight),
                plain.bn1.num_batches_tracked)
        o.vals += [plain.conv1.weight.detach(), plain.fc5.bias.detach()]
    return o.done()
