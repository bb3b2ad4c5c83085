"""orobix/Prototypical-Networks-for-Few-shot-Learning-PyTorch as users type it: src/protonet.py
(conv-bn-relu-pool blocks), src/prototypical_loss.py (prototypes by torch.unique / eq /
nonzero, euclidean_dist by unsqueeze/expand, log_softmax, gather), src/prototypical_batch_sampler.py
(the NaN-filled index matrix built with np.unique / np.argwhere / np.isnan on tensors,
torch.LongTensor(n), randperm of a 0-dim tensor) and src/train.py (DataLoader with
batch_sampler, Adam, StepLR, train / val / test loops). The Omniglot dataset is a seeded NumPy
stand-in (6 classes of 1x16x16 images); losses and accuracies printed with 4 decimals. The
learning rate is shrunk to 1e-5: parameters whose true gradient is zero (see the end) take
+-lr Adam steps on rounding noise, and in eval mode those show through the running stats."""

import numpy as np
from s16_yunjey_progs import Out


def protonet_train(L):
    torch, nn, F = L, L.nn, L.nn.functional

    def conv_block(in_channels, out_channels):
        '''returns a block conv-bn-relu-pool'''
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.MaxPool2d(2)
        )

    class ProtoNet(nn.Module):
        def __init__(self, x_dim=3, hid_dim=84, z_dim=64):
            super(ProtoNet, self).__init__()
            self.encoder = nn.Sequential(
                conv_block(x_dim, hid_dim),
                conv_block(hid_dim, hid_dim),
                conv_block(hid_dim, hid_dim),
                conv_block(hid_dim, z_dim),
            )

        def forward(self, x):
            x = self.encoder(x)
            return x.view(x.size(0), -1)

    def euclidean_dist(x, y):
        # x: N x D, y: M x D
        n = x.size(0)
        m = y.size(0)
        d = x.size(1)
        if d != y.size(1):
            raise Exception
        x = x.unsqueeze(1).expand(n, m, d)
        y = y.unsqueeze(0).expand(n, m, d)
        return torch.pow(x - y, 2).sum(2)

    def prototypical_loss(input, target, n_support):
        target_cpu = target.to('cpu')
        input_cpu = input.to('cpu')

        def supp_idxs(c):
            return target_cpu.eq(c).nonzero()[:n_support].squeeze(1)

        classes = torch.unique(target_cpu)
        n_classes = len(classes)
        n_query = target_cpu.eq(classes[0].item()).sum().item() - n_support
        support_idxs = list(map(supp_idxs, classes))
        prototypes = torch.stack([input_cpu[idx_list].mean(0) for idx_list in support_idxs])
        query_idxs = torch.stack(list(map(lambda c: target_cpu.eq(c).nonzero()[n_support:],
                                          classes))).view(-1)
        query_samples = input.to('cpu')[query_idxs]
        dists = euclidean_dist(query_samples, prototypes)
        log_p_y = F.log_softmax(-dists, dim=1).view(n_classes, n_query, -1)
        target_inds = torch.arange(0, n_classes)
        target_inds = target_inds.view(n_classes, 1, 1)
        target_inds = target_inds.expand(n_classes, n_query, 1).long()
        loss_val = -log_p_y.gather(2, target_inds).squeeze().view(-1).mean()
        _, y_hat = log_p_y.max(2)
        acc_val = y_hat.eq(target_inds.squeeze()).float().mean()
        return loss_val, acc_val

    class PrototypicalBatchSampler(object):
        def __init__(self, labels, classes_per_it, num_samples, iterations):
            super(PrototypicalBatchSampler, self).__init__()
            self.labels = labels
            self.classes_per_it = classes_per_it
            self.sample_per_class = num_samples
            self.iterations = iterations
            self.classes, self.counts = np.unique(self.labels, return_counts=True)
            self.classes = torch.LongTensor(self.classes)
            self.idxs = range(len(self.labels))
            self.indexes = np.empty((len(self.classes), max(self.counts)), dtype=int) * np.nan
            self.indexes = torch.Tensor(self.indexes)
            self.numel_per_class = torch.zeros_like(self.classes)
            for idx, label in enumerate(self.labels):
                label_idx = np.argwhere(self.classes == label).item()
                self.indexes[label_idx, np.where(np.isnan(self.indexes[label_idx]))[0][0]] = idx
                self.numel_per_class[label_idx] += 1

        def __iter__(self):
            spc = self.sample_per_class
            cpi = self.classes_per_it
            for it in range(self.iterations):
                batch_size = spc * cpi
                batch = torch.LongTensor(batch_size)
                c_idxs = torch.randperm(len(self.classes))[:cpi]
                for i, c in enumerate(self.classes[c_idxs]):
                    s = slice(i * spc, (i + 1) * spc)
                    label_idx = torch.arange(len(self.classes)).long()[self.classes == c].item()
                    sample_idxs = torch.randperm(self.numel_per_class[label_idx])[:spc]
                    batch[s] = self.indexes[label_idx][sample_idxs]
                batch = batch[torch.randperm(len(batch))]
                yield batch

        def __len__(self):
            return self.iterations

    class OmniglotDataset(torch.utils.data.Dataset):
        """stand-in: seeded 1x16x16 float32 images, int labels in a list (dataset.y)."""

        def __init__(self, mode, seed):
            rng = np.random.RandomState(seed)
            self.y = [int(c) for c in rng.permutation(np.repeat(np.arange(6), 5))]
            self.x = rng.rand(len(self.y), 1, 16, 16).astype(np.float32)
            self.x += np.array(self.y, dtype=np.float32)[:, None, None, None] * 0.1

        def __getitem__(self, idx):
            return torch.from_numpy(self.x[idx]), self.y[idx]

        def __len__(self):
            return len(self.y)

    class Opt:
        manual_seed, cuda, epochs, iterations, learning_rate = 7, False, 2, 2, 1e-5
        lr_scheduler_gamma, lr_scheduler_step = 0.5, 1
        classes_per_it_tr, num_support_tr, num_query_tr = 3, 2, 2
        classes_per_it_val, num_support_val, num_query_val = 3, 1, 3

    o = Out()
    with o:
        opt = Opt()
        torch.cuda.cudnn_enabled = False
        np.random.seed(opt.manual_seed)
        torch.manual_seed(opt.manual_seed)
        torch.cuda.manual_seed(opt.manual_seed)

        def init_dataloader(opt, mode, seed):
            dataset = OmniglotDataset(mode=mode, seed=seed)
            if 'train' in mode:
                classes_per_it = opt.classes_per_it_tr
                num_samples = opt.num_support_tr + opt.num_query_tr
            else:
                classes_per_it = opt.classes_per_it_val
                num_samples = opt.num_support_val + opt.num_query_val
            sampler = PrototypicalBatchSampler(labels=dataset.y, classes_per_it=classes_per_it,
                                               num_samples=num_samples,
                                               iterations=opt.iterations)
            return torch.utils.data.DataLoader(dataset, batch_sampler=sampler)

        tr_dataloader = init_dataloader(opt, 'train', 0)
        val_dataloader = init_dataloader(opt, 'val', 1)
        test_dataloader = init_dataloader(opt, 'test', 2)
        device = 'cuda:0' if torch.cuda.is_available() and opt.cuda else 'cpu'
        model = ProtoNet(x_dim=1, hid_dim=8, z_dim=8).to(device)
        optim = torch.optim.Adam(params=model.parameters(), lr=opt.learning_rate)
        lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer=optim,
                                                       gamma=opt.lr_scheduler_gamma,
                                                       step_size=opt.lr_scheduler_step)
        o.print(tr_dataloader.batch_sampler.indexes)
        o.print(tr_dataloader.batch_sampler.numel_per_class, len(tr_dataloader))
        train_loss, train_acc, val_loss, val_acc = [], [], [], []
        best_acc, best_state = 0, None
        for epoch in range(opt.epochs):
            o.print('=== Epoch: {} ==='.format(epoch))
            tr_iter = iter(tr_dataloader)
            model.train()
            for batch in tr_iter:
                optim.zero_grad()
                x, y = batch
                x, y = x.to(device), y.to(device)
                model_output = model(x)
                loss, acc = prototypical_loss(model_output, target=y,
                                              n_support=opt.num_support_tr)
                loss.backward()
                optim.step()
                train_loss.append(loss.item())
                train_acc.append(acc.item())
                o.vals += [loss.detach(), acc]
                o.print(y, acc)
            avg_loss = np.mean(train_loss[-opt.iterations:])
            avg_acc = np.mean(train_acc[-opt.iterations:])
            o.print('Avg Train Loss: {:.4f}, Avg Train Acc: {:.4f}'.format(avg_loss, avg_acc))
            lr_scheduler.step()
            val_iter = iter(val_dataloader)
            model.eval()
            for batch in val_iter:
                x, y = batch
                x, y = x.to(device), y.to(device)
                model_output = model(x)
                loss, acc = prototypical_loss(model_output, target=y,
                                              n_support=opt.num_support_val)
                val_loss.append(loss.item())
                val_acc.append(acc.item())
            avg_loss = np.mean(val_loss[-opt.iterations:])
            avg_acc = np.mean(val_acc[-opt.iterations:])
            postfix = ' (Best)' if avg_acc >= best_acc else ' (Best: {})'.format(best_acc)
            o.print('Avg Val Loss: {:.4f}, Avg Val Acc: {:.4f}{}'.format(avg_loss, avg_acc,
                                                                         postfix))
            if avg_acc >= best_acc:
                best_acc = avg_acc
                best_state = model.state_dict()
        avg_acc = list()
        for epoch in range(2):
            for batch in iter(test_dataloader):
                x, y = batch
                model_output = model(x.to(device))
                _, acc = prototypical_loss(model_output, target=y.to(device),
                                           n_support=opt.num_support_val)
                avg_acc.append(acc.item())
        o.print('Test Acc: {:.4f}'.format(np.mean(avg_acc)))
        model.load_state_dict(best_state)
        o.print(lr_scheduler.get_last_lr(), sorted(best_state)[:3])
        # the conv biases (BatchNorm removes them) and the last BatchNorm's bias (the loss is
        # translation-invariant) have zero true gradient: Adam moves them by +-lr on rounding
        # noise in either library, so only the weights are compared
        o.vals += [p.detach() for n, p in model.named_parameters() if n.endswith('weight')]
    return o.done()
