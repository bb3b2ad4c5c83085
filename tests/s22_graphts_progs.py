"""WangYueFt/dgcnn (pytorch/model.py's knn via topk of pairwise distances, get_graph_feature,
PointNet and DGCNN; pytorch/util.py's cal_loss with label smoothing; pytorch/main.py's train /
test loop with SGD + CosineAnnealingLR) as users type them. ModelNet40 is replaced by seeded
random point clouds (4 clouds a batch, 16 points, 5 classes), emb_dims 32, k 4, 2 epochs;
get_graph_feature's hard-coded device('cuda') by the input's device (the CPU edit users make),
sklearn's accuracy_score / balanced_accuracy_score by the same NumPy sums.
Each program is ``prog(torch) -> (printed lines, values)``; see
tests/test_programs_s22_graphts.py."""

import argparse

import numpy as np
from s16_yunjey_progs import Out

N_POINTS, N_CLASS, BATCH = 16, 5, 4


def _modelnet_like(seed, n):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((n, N_POINTS, 3)).astype(np.float32)
    label = rng.integers(0, N_CLASS, (n, 1)).astype(np.int64)
    return data, label


def _accuracy_score(y, p):
    return float(np.mean(y == p))


def _balanced_accuracy_score(y, p):
    classes = np.unique(y)
    return float(np.mean([np.mean(p[y == c] == c) for c in classes]))


def _defs(torch):
    nn, F = torch.nn, torch.nn.functional

    def knn(x, k):
        inner = -2*torch.matmul(x.transpose(2, 1), x)
        xx = torch.sum(x**2, dim=1, keepdim=True)
        pairwise_distance = -xx - inner - xx.transpose(2, 1)

        idx = pairwise_distance.topk(k=k, dim=-1)[1]   # (batch_size, num_points, k)
        return idx

    def get_graph_feature(x, k=20, idx=None):
        batch_size = x.size(0)
        num_points = x.size(2)
        x = x.view(batch_size, -1, num_points)
        if idx is None:
            idx = knn(x, k=k)   # (batch_size, num_points, k)
        device = x.device

        idx_base = torch.arange(0, batch_size, device=device).view(-1, 1, 1)*num_points

        idx = idx + idx_base

        idx = idx.view(-1)

        _, num_dims, _ = x.size()

        x = x.transpose(2, 1).contiguous()
        feature = x.view(batch_size*num_points, -1)[idx, :]
        feature = feature.view(batch_size, num_points, k, num_dims)
        x = x.view(batch_size, num_points, 1, num_dims).repeat(1, 1, k, 1)

        feature = torch.cat((feature-x, x), dim=3).permute(0, 3, 1, 2).contiguous()

        return feature

    class PointNet(nn.Module):
        def __init__(self, args, output_channels=40):
            super(PointNet, self).__init__()
            self.args = args
            self.conv1 = nn.Conv1d(3, 64, kernel_size=1, bias=False)
            self.conv2 = nn.Conv1d(64, 64, kernel_size=1, bias=False)
            self.conv3 = nn.Conv1d(64, 64, kernel_size=1, bias=False)
            self.conv4 = nn.Conv1d(64, 128, kernel_size=1, bias=False)
            self.conv5 = nn.Conv1d(128, args.emb_dims, kernel_size=1, bias=False)
            self.bn1 = nn.BatchNorm1d(64)
            self.bn2 = nn.BatchNorm1d(64)
            self.bn3 = nn.BatchNorm1d(64)
            self.bn4 = nn.BatchNorm1d(128)
            self.bn5 = nn.BatchNorm1d(args.emb_dims)
            self.linear1 = nn.Linear(args.emb_dims, 512, bias=False)
            self.bn6 = nn.BatchNorm1d(512)
            self.dp1 = nn.Dropout()
            self.linear2 = nn.Linear(512, output_channels)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)))
            x = F.relu(self.bn2(self.conv2(x)))
            x = F.relu(self.bn3(self.conv3(x)))
            x = F.relu(self.bn4(self.conv4(x)))
            x = F.relu(self.bn5(self.conv5(x)))
            x = F.adaptive_max_pool1d(x, 1).squeeze()
            x = F.relu(self.bn6(self.linear1(x)))
            x = self.dp1(x)
            x = self.linear2(x)
            return x

    class DGCNN(nn.Module):
        def __init__(self, args, output_channels=40):
            super(DGCNN, self).__init__()
            self.args = args
            self.k = args.k

            self.bn1 = nn.BatchNorm2d(64)
            self.bn2 = nn.BatchNorm2d(64)
            self.bn3 = nn.BatchNorm2d(128)
            self.bn4 = nn.BatchNorm2d(256)
            self.bn5 = nn.BatchNorm1d(args.emb_dims)

            self.conv1 = nn.Sequential(nn.Conv2d(6, 64, kernel_size=1, bias=False),
                                       self.bn1,
                                       nn.LeakyReLU(negative_slope=0.2))
            self.conv2 = nn.Sequential(nn.Conv2d(64*2, 64, kernel_size=1, bias=False),
                                       self.bn2,
                                       nn.LeakyReLU(negative_slope=0.2))
            self.conv3 = nn.Sequential(nn.Conv2d(64*2, 128, kernel_size=1, bias=False),
                                       self.bn3,
                                       nn.LeakyReLU(negative_slope=0.2))
            self.conv4 = nn.Sequential(nn.Conv2d(128*2, 256, kernel_size=1, bias=False),
                                       self.bn4,
                                       nn.LeakyReLU(negative_slope=0.2))
            self.conv5 = nn.Sequential(nn.Conv1d(512, args.emb_dims, kernel_size=1, bias=False),
                                       self.bn5,
                                       nn.LeakyReLU(negative_slope=0.2))
            self.linear1 = nn.Linear(args.emb_dims*2, 512, bias=False)
            self.bn6 = nn.BatchNorm1d(512)
            self.dp1 = nn.Dropout(p=args.dropout)
            self.linear2 = nn.Linear(512, 256)
            self.bn7 = nn.BatchNorm1d(256)
            self.dp2 = nn.Dropout(p=args.dropout)
            self.linear3 = nn.Linear(256, output_channels)

        def forward(self, x):
            batch_size = x.size(0)
            x = get_graph_feature(x, k=self.k)
            x = self.conv1(x)
            x1 = x.max(dim=-1, keepdim=False)[0]

            x = get_graph_feature(x1, k=self.k)
            x = self.conv2(x)
            x2 = x.max(dim=-1, keepdim=False)[0]

            x = get_graph_feature(x2, k=self.k)
            x = self.conv3(x)
            x3 = x.max(dim=-1, keepdim=False)[0]

            x = get_graph_feature(x3, k=self.k)
            x = self.conv4(x)
            x4 = x.max(dim=-1, keepdim=False)[0]

            x = torch.cat((x1, x2, x3, x4), dim=1)

            x = self.conv5(x)
            x1 = F.adaptive_max_pool1d(x, 1).view(batch_size, -1)
            x2 = F.adaptive_avg_pool1d(x, 1).view(batch_size, -1)
            x = torch.cat((x1, x2), 1)

            x = F.leaky_relu(self.bn6(self.linear1(x)), negative_slope=0.2)
            x = self.dp1(x)
            x = F.leaky_relu(self.bn7(self.linear2(x)), negative_slope=0.2)
            x = self.dp2(x)
            x = self.linear3(x)
            return x

    def cal_loss(pred, gold, smoothing=True):
        ''' Calculate cross entropy loss, apply label smoothing if needed. '''

        gold = gold.contiguous().view(-1)

        if smoothing:
            eps = 0.2
            n_class = pred.size(1)

            one_hot = torch.zeros_like(pred).scatter(1, gold.view(-1, 1), 1)
            one_hot = one_hot * (1 - eps) + (1 - one_hot) * eps / (n_class - 1)
            log_prb = F.log_softmax(pred, dim=1)

            loss = -(one_hot * log_prb).sum(dim=1).mean()
        else:
            loss = F.cross_entropy(pred, gold, reduction='mean')

        return loss

    return knn, get_graph_feature, PointNet, DGCNN, cal_loss


def _args(model, use_sgd):
    return argparse.Namespace(exp_name='exp', model=model, batch_size=BATCH, test_batch_size=3,
                              epochs=2, use_sgd=use_sgd, lr=0.001, momentum=0.9, no_cuda=True,
                              seed=1, eval=False, num_points=N_POINTS, dropout=0.5,
                              emb_dims=32, k=4, model_path='', cuda=False)


def _train(torch, args, out):
    """main.py's train(): DataLoader over the point clouds, SGD or Adam, CosineAnnealingLR,
    cal_loss, the Train / Test lines with accuracies."""
    nn, optim = torch.nn, torch.optim
    CosineAnnealingLR = torch.optim.lr_scheduler.CosineAnnealingLR
    knn, get_graph_feature, PointNet, DGCNN, cal_loss = _defs(torch)
    tr_x, tr_y = _modelnet_like(1, 10)
    te_x, te_y = _modelnet_like(2, 5)
    ds = torch.utils.data.TensorDataset
    train_loader = torch.utils.data.DataLoader(ds(torch.from_numpy(tr_x), torch.from_numpy(tr_y)),
                                               batch_size=args.batch_size, shuffle=True,
                                               drop_last=True)
    test_loader = torch.utils.data.DataLoader(ds(torch.from_numpy(te_x), torch.from_numpy(te_y)),
                                              batch_size=args.test_batch_size, shuffle=True,
                                              drop_last=False)
    device = torch.device("cuda" if args.cuda else "cpu")
    if args.model == 'pointnet':
        model = PointNet(args, output_channels=N_CLASS).to(device)
    else:
        model = DGCNN(args, output_channels=N_CLASS).to(device)
    out.print(str(model).splitlines()[:4])
    model = nn.DataParallel(model)
    out.print("Let's use", torch.cuda.device_count(), "GPUs!")
    if args.use_sgd:
        out.print("Use SGD")
        opt = optim.SGD(model.parameters(), lr=args.lr*100, momentum=args.momentum,
                        weight_decay=1e-4)
    else:
        out.print("Use Adam")
        opt = optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = CosineAnnealingLR(opt, args.epochs, eta_min=args.lr)
    criterion = cal_loss
    best_test_acc = 0
    for epoch in range(args.epochs):
        scheduler.step()
        train_loss = 0.0
        count = 0.0
        model.train()
        train_pred = []
        train_true = []
        for data, label in train_loader:
            data, label = data.to(device), label.to(device).squeeze()
            data = data.permute(0, 2, 1)
            batch_size = data.size()[0]
            opt.zero_grad()
            logits = model(data)
            loss = criterion(logits, label)
            if not out.vals:  # the first batch's loss, before any step (later steps, and
                out.vals.append(loss)  # PointNet's 5 batch norms, carry BLAS last bits)
            loss.backward()
            opt.step()
            preds = logits.max(dim=1)[1]
            count += batch_size
            train_loss += loss.item() * batch_size
            train_true.append(label.cpu().numpy())
            train_pred.append(preds.detach().cpu().numpy())
        train_true = np.concatenate(train_true)
        train_pred = np.concatenate(train_pred)
        out.print('Train %d, loss: %.3f, train acc: %.6f, train avg acc: %.6f' % (
            epoch, train_loss*1.0/count, _accuracy_score(train_true, train_pred),
            _balanced_accuracy_score(train_true, train_pred)))
        out.print('lr', ['%.6f' % g['lr'] for g in opt.param_groups])
        test_loss = 0.0
        count = 0.0
        model.eval()
        test_pred = []
        test_true = []
        for data, label in test_loader:
            data, label = data.to(device), label.to(device).squeeze()
            data = data.permute(0, 2, 1)
            batch_size = data.size()[0]
            logits = model(data)
            loss = criterion(logits, label)
            preds = logits.max(dim=1)[1]
            count += batch_size
            test_loss += loss.item() * batch_size
            test_true.append(label.cpu().numpy())
            test_pred.append(preds.detach().cpu().numpy())
        test_true = np.concatenate(test_true)
        test_pred = np.concatenate(test_pred)
        test_acc = _accuracy_score(test_true, test_pred)
        avg_per_class_acc = _balanced_accuracy_score(test_true, test_pred)
        out.print('Test %d, loss: %.3f, test acc: %.6f, test avg acc: %.6f' % (
            epoch, test_loss*1.0/count, test_acc, avg_per_class_acc))
        out.print('acc', test_acc, 'avg', avg_per_class_acc, test_pred.dtype, test_true.dtype)
        if test_acc >= best_test_acc:
            best_test_acc = test_acc
            state = model.state_dict()
            out.print(list(state)[:3], len(state))
    return model


def dgcnn_train(torch):
    """main.py with --model dgcnn (SGD, lr*100, CosineAnnealingLR stepped first)."""
    with Out() as out:
        torch.manual_seed(1)
        _train(torch, _args('dgcnn', True), out)
    return out.lines, out.vals


def pointnet_train(torch):
    """main.py with --model pointnet (SGD, main.py's default; with Adam, last-bit noise in
    bn5.bias's near-zero gradient becomes lr-sized steps)."""
    with Out() as out:
        torch.manual_seed(1)
        _train(torch, _args('pointnet', True), out)
    return out.lines, out.vals


def dgcnn_pieces(torch):
    """knn / get_graph_feature / cal_loss on their own, as users check shapes."""
    with Out() as out:
        torch.manual_seed(0)
        knn, get_graph_feature, PointNet, DGCNN, cal_loss = _defs(torch)
        x = torch.randn(2, 3, 10)
        idx = knn(x, k=3)
        out.print(idx.shape, idx.dtype, idx[0, :4].tolist())
        f = get_graph_feature(x, k=3)
        out.print(f.shape, f.is_contiguous(), f.stride())
        pred = torch.randn(6, 4, requires_grad=True)
        gold = torch.tensor([[0], [3], [1], [2], [2], [0]])
        for sm in (True, False):
            loss = cal_loss(pred, gold, smoothing=sm)
            loss.backward()
            out.print('%.4f' % loss.item(), loss.grad_fn.name())
            out.vals += [loss, pred.grad.clone()]
            pred.grad = None
        out.vals += [idx, f]
        out.tryit(lambda: knn(x, k=11))
        out.tryit(lambda: cal_loss(pred, torch.tensor([[0], [4], [1], [2], [2], [0]])))
    return out.lines, out.vals
