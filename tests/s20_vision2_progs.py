"""Vision models beyond plain CNN classifiers, as popular repositories write them, scaled down
(few points / pixels, random tensors instead of ShapeNet / MNIST / BSDS), as ``prog(L) ->
(printed, values)`` for tests/test_programs_s20_vision2.py. This file: fxia22/pointnet.pytorch
(pointnet/model.py: STN3d, STNkd, PointNetfeat, PointNetCls, PointNetDenseCls,
feature_transform_regularizer; utils/train_classification.py and train_segmentation.py)."""

import numpy as np
from s16_yunjey_progs import Out


def _pointnet(L, width):
    """pointnet/model.py as written (``Variable``, the identity from np.eye / a numpy array,
    torch.bmm, max over points); ``width`` stands for the 1024 global features (smaller here:
    sums of 1024 float32 products through five BatchNorms differ from MKL's in the 6th digit)."""
    torch, nn, F = L, L.nn, L.nn.functional
    Variable = L.autograd.Variable
    W = width

    class STN3d(nn.Module):
        def __init__(self):
            super(STN3d, self).__init__()
            self.conv1 = torch.nn.Conv1d(3, 64, 1)
            self.conv2 = torch.nn.Conv1d(64, 128, 1)
            self.conv3 = torch.nn.Conv1d(128, W, 1)
            self.fc1 = nn.Linear(W, 512)
            self.fc2 = nn.Linear(512, 256)
            self.fc3 = nn.Linear(256, 9)
            self.relu = nn.ReLU()

            self.bn1 = nn.BatchNorm1d(64)
            self.bn2 = nn.BatchNorm1d(128)
            self.bn3 = nn.BatchNorm1d(W)
            self.bn4 = nn.BatchNorm1d(512)
            self.bn5 = nn.BatchNorm1d(256)

        def forward(self, x):
            batchsize = x.size()[0]
            x = F.relu(self.bn1(self.conv1(x)))
            x = F.relu(self.bn2(self.conv2(x)))
            x = F.relu(self.bn3(self.conv3(x)))
            x = torch.max(x, 2, keepdim=True)[0]
            x = x.view(-1, W)

            x = F.relu(self.bn4(self.fc1(x)))
            x = F.relu(self.bn5(self.fc2(x)))
            x = self.fc3(x)

            iden = Variable(torch.from_numpy(np.array([1, 0, 0, 0, 1, 0, 0, 0, 1]).astype(
                np.float32))).view(1, 9).repeat(batchsize, 1)
            if x.is_cuda:
                iden = iden.cuda()
            x = x + iden
            x = x.view(-1, 3, 3)
            return x

    class STNkd(nn.Module):
        def __init__(self, k=64):
            super(STNkd, self).__init__()
            self.conv1 = torch.nn.Conv1d(k, 64, 1)
            self.conv2 = torch.nn.Conv1d(64, 128, 1)
            self.conv3 = torch.nn.Conv1d(128, W, 1)
            self.fc1 = nn.Linear(W, 512)
            self.fc2 = nn.Linear(512, 256)
            self.fc3 = nn.Linear(256, k * k)
            self.relu = nn.ReLU()

            self.bn1 = nn.BatchNorm1d(64)
            self.bn2 = nn.BatchNorm1d(128)
            self.bn3 = nn.BatchNorm1d(W)
            self.bn4 = nn.BatchNorm1d(512)
            self.bn5 = nn.BatchNorm1d(256)

            self.k = k

        def forward(self, x):
            batchsize = x.size()[0]
            x = F.relu(self.bn1(self.conv1(x)))
            x = F.relu(self.bn2(self.conv2(x)))
            x = F.relu(self.bn3(self.conv3(x)))
            x = torch.max(x, 2, keepdim=True)[0]
            x = x.view(-1, W)

            x = F.relu(self.bn4(self.fc1(x)))
            x = F.relu(self.bn5(self.fc2(x)))
            x = self.fc3(x)

            iden = Variable(torch.from_numpy(np.eye(self.k).flatten().astype(np.float32))).view(
                1, self.k * self.k).repeat(batchsize, 1)
            if x.is_cuda:
                iden = iden.cuda()
            x = x + iden
            x = x.view(-1, self.k, self.k)
            return x

    class PointNetfeat(nn.Module):
        def __init__(self, global_feat=True, feature_transform=False):
            super(PointNetfeat, self).__init__()
            self.stn = STN3d()
            self.conv1 = torch.nn.Conv1d(3, 64, 1)
            self.conv2 = torch.nn.Conv1d(64, 128, 1)
            self.conv3 = torch.nn.Conv1d(128, W, 1)
            self.bn1 = nn.BatchNorm1d(64)
            self.bn2 = nn.BatchNorm1d(128)
            self.bn3 = nn.BatchNorm1d(W)
            self.global_feat = global_feat
            self.feature_transform = feature_transform
            if self.feature_transform:
                self.fstn = STNkd(k=64)

        def forward(self, x):
            n_pts = x.size()[2]
            trans = self.stn(x)
            x = x.transpose(2, 1)
            x = torch.bmm(x, trans)
            x = x.transpose(2, 1)
            x = F.relu(self.bn1(self.conv1(x)))

            if self.feature_transform:
                trans_feat = self.fstn(x)
                x = x.transpose(2, 1)
                x = torch.bmm(x, trans_feat)
                x = x.transpose(2, 1)
            else:
                trans_feat = None

            pointfeat = x
            x = F.relu(self.bn2(self.conv2(x)))
            x = self.bn3(self.conv3(x))
            x = torch.max(x, 2, keepdim=True)[0]
            x = x.view(-1, W)
            if self.global_feat:
                return x, trans, trans_feat
            else:
                x = x.view(-1, W, 1).repeat(1, 1, n_pts)
                return torch.cat([x, pointfeat], 1), trans, trans_feat

    class PointNetCls(nn.Module):
        def __init__(self, k=2, feature_transform=False):
            super(PointNetCls, self).__init__()
            self.feature_transform = feature_transform
            self.feat = PointNetfeat(global_feat=True, feature_transform=feature_transform)
            self.fc1 = nn.Linear(W, 512)
            self.fc2 = nn.Linear(512, 256)
            self.fc3 = nn.Linear(256, k)
            self.dropout = nn.Dropout(p=0.3)
            self.bn1 = nn.BatchNorm1d(512)
            self.bn2 = nn.BatchNorm1d(256)
            self.relu = nn.ReLU()

        def forward(self, x):
            x, trans, trans_feat = self.feat(x)
            x = F.relu(self.bn1(self.fc1(x)))
            x = F.relu(self.bn2(self.dropout(self.fc2(x))))
            x = self.fc3(x)
            return F.log_softmax(x, dim=1), trans, trans_feat

    class PointNetDenseCls(nn.Module):
        def __init__(self, k=2, feature_transform=False):
            super(PointNetDenseCls, self).__init__()
            self.k = k
            self.feature_transform = feature_transform
            self.feat = PointNetfeat(global_feat=False, feature_transform=feature_transform)
            self.conv1 = torch.nn.Conv1d(W + 64, 512, 1)
            self.conv2 = torch.nn.Conv1d(512, 256, 1)
            self.conv3 = torch.nn.Conv1d(256, 128, 1)
            self.conv4 = torch.nn.Conv1d(128, self.k, 1)
            self.bn1 = nn.BatchNorm1d(512)
            self.bn2 = nn.BatchNorm1d(256)
            self.bn3 = nn.BatchNorm1d(128)

        def forward(self, x):
            batchsize = x.size()[0]
            n_pts = x.size()[2]
            x, trans, trans_feat = self.feat(x)
            x = F.relu(self.bn1(self.conv1(x)))
            x = F.relu(self.bn2(self.conv2(x)))
            x = F.relu(self.bn3(self.conv3(x)))
            x = self.conv4(x)
            x = x.transpose(2, 1).contiguous()
            x = F.log_softmax(x.view(-1, self.k), dim=-1)
            x = x.view(batchsize, n_pts, self.k)
            return x, trans, trans_feat

    def feature_transform_regularizer(trans):
        d = trans.size()[1]
        batchsize = trans.size()[0]
        I = torch.eye(d)[None, :, :]
        if trans.is_cuda:
            I = I.cuda()
        loss = torch.mean(torch.norm(torch.bmm(trans, trans.transpose(2, 1)) - I, dim=(1, 2)))
        return loss

    return (STN3d, STNkd, PointNetfeat, PointNetCls, PointNetDenseCls,
            feature_transform_regularizer)


def pointnet_main(L):
    """model.py's __main__ block (32 clouds of 2500 points become 16 of 24): each module's
    output size and the regularizer on the STN outputs, plus the model's repr."""
    torch, Variable = L, L.autograd.Variable
    with Out() as o:
        L.manual_seed(0)
        STN3d, STNkd, PointNetfeat, PointNetCls, PointNetDenseCls, reg = _pointnet(L, 128)
        sim_data = Variable(torch.rand(16, 3, 24))
        trans = STN3d()
        out = trans(sim_data)
        o.print('stn', out.size())
        o.print('loss', reg(out).item() > 0, reg(out).shape)
        o.print('%.4f' % reg(out).item())
        o.vals += [reg(out)]

        sim_data_64d = Variable(torch.rand(16, 64, 24))
        trans = STNkd(k=64)
        out = trans(sim_data_64d)
        o.print('stn64d', out.size())
        o.print('%.4f' % reg(out).item())
        o.vals += [reg(out)]

        pointfeat = PointNetfeat(global_feat=True)
        out, _, _ = pointfeat(sim_data)
        o.print('global feat', out.size())

        pointfeat = PointNetfeat(global_feat=False)
        out, _, _ = pointfeat(sim_data)
        o.print('point feat', out.size())

        cls = PointNetCls(k=5)
        out, _, _ = cls(sim_data)
        o.print('class', out.size())

        seg = PointNetDenseCls(k=3)
        out, _, _ = seg(sim_data)
        o.print('seg', out.size())
        # values from inference (BatchNorm on its running statistics): in training mode five
        # BatchNorms over 16 clouds carry the 7th-digit differences of MKL's sums to the 5th
        for m in (pointfeat, cls, seg):
            m.eval()
            with torch.no_grad():
                o.vals += list(m(sim_data)[:2])
        o.print(seg.feat.stn)
        o.print(sum(p.numel() for p in seg.parameters()))
        o.vals.append(out)
        o.tryit(lambda: trans(sim_data))  # a 3-channel cloud into the 64-channel STN
        o.tryit(lambda: torch.bmm(sim_data, out[0]))
        o.vals.append(torch.bmm(sim_data.transpose(2, 1), out.transpose(2, 1)))
    return o.done()


def pointnet_train_cls(L):
    """utils/train_classification.py: Adam(betas), StepLR, points.transpose(2, 1),
    target[:, 0], nll_loss plus 0.001 * the regularizer, pred.data.max(1)[1], eq(...).cpu().sum(),
    the '[%d: %d/%d] train loss: %f accuracy: %f' line (2 decimals here), then a test batch
    under classifier.eval(). Two steps an epoch and the values of the first step only: the
    biases before each BatchNorm get a gradient that is zero but for rounding, which Adam's
    first step turns into +-lr by its sign, so later values follow float noise (on PyTorch
    too: MKL against OpenBLAS)."""
    torch, F, optim = L, L.nn.functional, L.optim
    blue = lambda x: '\033[94m' + x + '\033[0m'
    with Out() as o:
        L.manual_seed(1); np.random.seed(1)
        _, _, _, PointNetCls, _, feature_transform_regularizer = _pointnet(L, 64)
        num_classes, batchSize, npoints = 4, 6, 16
        rng = np.random.RandomState(1)
        data = [(torch.from_numpy(rng.randn(batchSize, npoints, 3).astype(np.float32)),
                 torch.from_numpy(rng.randint(0, num_classes, (batchSize, 1))))
                for _ in range(2)]
        classifier = PointNetCls(k=num_classes, feature_transform=True)
        optimizer = optim.Adam(classifier.parameters(), lr=0.001, betas=(0.9, 0.999))
        scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        num_batch = len(data)
        for epoch in range(1):
            for i, batch in enumerate(data, 0):
                points, target = batch
                target = target[:, 0]
                points = points.transpose(2, 1)
                optimizer.zero_grad()
                classifier = classifier.train()
                pred, trans, trans_feat = classifier(points)
                loss = F.nll_loss(pred, target)
                loss += feature_transform_regularizer(trans_feat) * 0.001
                loss.backward()
                optimizer.step()
                pred_choice = pred.data.max(1)[1]
                correct = pred_choice.eq(target.data).cpu().sum()
                o.print('[%d: %d/%d] train loss: %.2f accuracy: %f' % (
                    epoch, i, num_batch, loss.item(), correct.item() / float(batchSize)))
                if epoch == 0 and i == 0:
                    o.vals += [loss, pred]
            scheduler.step()
            o.print(scheduler.get_last_lr())
            points, target = data[0]
            target = target[:, 0]
            points = points.transpose(2, 1)
            classifier = classifier.eval()
            pred, _, _ = classifier(points)
            loss = F.nll_loss(pred, target)
            pred_choice = pred.data.max(1)[1]
            correct = pred_choice.eq(target.data).cpu().sum()
            o.print('[%d: %d/%d] %s loss: %.2f accuracy: %f' % (
                epoch, i, num_batch, blue('test'), loss.item(), correct.item() / float(batchSize)))
            o.print(correct.dtype, correct.shape, pred_choice.dtype)
        o.tryit(lambda: F.nll_loss(pred, target.float()))
    return o.done()


def pointnet_train_seg(L):
    """utils/train_segmentation.py: PointNetDenseCls, pred.view(-1, num_classes),
    target.view(-1, 1)[:, 0] - 1, the per-shape mIOU with np.sum over boolean arrays (values of
    the first step only, as in pointnet_train_cls)."""
    torch, F, optim = L, L.nn.functional, L.optim
    with Out() as o:
        L.manual_seed(2); np.random.seed(2)
        _, _, _, _, PointNetDenseCls, _ = _pointnet(L, 64)
        num_classes, batchSize, npoints = 3, 4, 12
        rng = np.random.RandomState(2)
        data = [(torch.from_numpy(rng.randn(batchSize, npoints, 3).astype(np.float32)),
                 torch.from_numpy(rng.randint(1, num_classes + 1, (batchSize, npoints))))
                for _ in range(2)]
        classifier = PointNetDenseCls(k=num_classes, feature_transform=False)
        optimizer = optim.Adam(classifier.parameters(), lr=0.001, betas=(0.9, 0.999))
        for epoch in range(2):
            for i, (points, target) in enumerate(data):
                points = points.transpose(2, 1)
                optimizer.zero_grad()
                classifier = classifier.train()
                pred, trans, trans_feat = classifier(points)
                pred = pred.view(-1, num_classes)
                target = target.view(-1, 1)[:, 0] - 1
                loss = F.nll_loss(pred, target)
                loss.backward()
                optimizer.step()
                pred_choice = pred.data.max(1)[1]
                correct = pred_choice.eq(target.data).cpu().sum()
                o.print('[%d: %d] train loss: %.2f accuracy: %f' % (
                    epoch, i, loss.item(), correct.item() / float(batchSize * npoints)))
                if epoch == 0 and i == 0:
                    o.vals += [loss, pred]
        shape_ious = []
        for points, target in data:
            points = points.transpose(2, 1)
            classifier = classifier.eval()
            pred, _, _ = classifier(points)
            pred_choice = pred.data.max(2)[1]
            pred_np = pred_choice.cpu().data.numpy()
            target_np = target.cpu().data.numpy() - 1
            for shape_idx in range(target_np.shape[0]):
                parts = range(num_classes)
                part_ious = []
                for part in parts:
                    I = np.sum(np.logical_and(pred_np[shape_idx] == part, target_np[shape_idx] == part))
                    U = np.sum(np.logical_or(pred_np[shape_idx] == part, target_np[shape_idx] == part))
                    if U == 0:
                        iou = 1
                    else:
                        iou = I / float(U)
                    part_ious.append(iou)
                shape_ious.append(np.mean(part_ious))
            o.print(pred_np.dtype, pred_np.shape, target_np.dtype)
        o.print("mIOU for class {}: {:.4f}".format('Chair', np.mean(shape_ious)))
    return o.done()
