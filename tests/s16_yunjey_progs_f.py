"""MorvanZhou/PyTorch-Tutorial: 306 optimizer (SGD / momentum / RMSprop / Adam over one
DataLoader), 503 dropout and 504 batch normalization (BatchNorm1d layers set with setattr,
init.normal_ / init.constant_), on the tutorials' synthetic curves scaled down; for
tests/test_programs_s16_yunjey.py."""

import numpy as np
from s16_yunjey_progs import Out



def optimizers(L):
    Data = L.utils.data
    F = L.nn.functional
    with Out() as o:
        L.manual_seed(1)
        LR, BATCH_SIZE, EPOCH = 0.01, 8, 2
        x = L.unsqueeze(L.linspace(-1, 1, 24), dim=1)
        y = x.pow(2) + 0.1 * L.normal(L.zeros(*x.size()))
        loader = Data.DataLoader(dataset=Data.TensorDataset(x, y), batch_size=BATCH_SIZE,
                                 shuffle=True)

        class Net(L.nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.hidden = L.nn.Linear(1, 20)
                self.predict = L.nn.Linear(20, 1)

            def forward(self, x):
                x = F.relu(self.hidden(x))
                x = self.predict(x)
                return x
        nets = [Net() for _ in range(4)]
        opts = [L.optim.SGD(nets[0].parameters(), lr=LR),
                L.optim.SGD(nets[1].parameters(), lr=LR, momentum=0.8),
                L.optim.RMSprop(nets[2].parameters(), lr=LR, alpha=0.9),
                L.optim.Adam(nets[3].parameters(), lr=LR, betas=(0.9, 0.99))]
        for opt in opts:
            o.print(opt)
        loss_func = L.nn.MSELoss()
        losses_his = [[], [], [], []]
        for epoch in range(EPOCH):
            o.print('Epoch: ', epoch)
            for step, (b_x, b_y) in enumerate(loader):
                for net, opt, l_his in zip(nets, opts, losses_his):
                    output = net(b_x)
                    loss = loss_func(output, b_y)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    l_his.append(loss.data.numpy())
        o.print([type(v).__name__ for v in losses_his[0][:1]], losses_his[0][0].shape,
                losses_his[0][0].dtype)
        o.vals += [np.array(h) for h in losses_his]
        o.vals += [y]
        o.tryit(lambda: L.normal(L.zeros(*x.size())).shape)
        o.tryit(lambda: L.normal(L.zeros(2), std=L.ones(2)).shape)
        o.tryit(lambda: L.normal(mean=0.0, std=L.ones(2)).shape)
        o.tryit(lambda: L.normal(0.0, 1.0))
        o.tryit(lambda: L.optim.SGD(nets[0].parameters(), lr=-1))
        o.tryit(lambda: L.optim.SGD(nets[0].parameters(), lr=0.1, momentum=-1))
        o.tryit(lambda: L.optim.SGD(nets[0].parameters(), lr=0.1, nesterov=True))
        o.tryit(lambda: L.optim.SGD(nets[0].parameters()).defaults['lr'])
        o.tryit(lambda: L.optim.RMSprop(nets[0].parameters(), lr=LR, alpha=-0.9))
        o.tryit(lambda: L.optim.Adam(nets[0].parameters(), lr=LR, betas=(0.9, 1.0)))
        o.tryit(lambda: L.optim.Adam(nets[0].parameters(), lr=LR, betas=0.9))
        o.tryit(lambda: L.optim.Adam([], lr=LR))
        o.tryit(lambda: L.optim.Adam([L.ones(2)], lr=LR))
        o.tryit(lambda: L.optim.Adam([{'params': nets[0].hidden.parameters()},
                                      {'params': nets[0].hidden.parameters()}]))
        o.tryit(lambda: L.optim.Adagrad(nets[0].parameters(), lr=LR))
        o.tryit(lambda: L.optim.Adam(nets[0].parameters(), lr=LR, weight_decay=1e-4,
                                     amsgrad=True))
        o.tryit(lambda: opts[2].state_dict()['param_groups'])
        o.tryit(lambda: sorted(opts[1].state_dict()['state'][0].keys()))
    return o.done()



def dropout(L):
    with Out() as o:
        L.manual_seed(1)
        N_SAMPLES, N_HIDDEN = 10, 30
        x = L.unsqueeze(L.linspace(-1, 1, N_SAMPLES), 1)
        y = x + 0.3 * L.normal(L.zeros(N_SAMPLES, 1), L.ones(N_SAMPLES, 1))
        test_x = L.unsqueeze(L.linspace(-1, 1, N_SAMPLES), 1)
        test_y = test_x + 0.3 * L.normal(L.zeros(N_SAMPLES, 1), L.ones(N_SAMPLES, 1))
        net_overfitting = L.nn.Sequential(
            L.nn.Linear(1, N_HIDDEN), L.nn.ReLU(),
            L.nn.Linear(N_HIDDEN, N_HIDDEN), L.nn.ReLU(),
            L.nn.Linear(N_HIDDEN, 1))
        net_dropped = L.nn.Sequential(
            L.nn.Linear(1, N_HIDDEN), L.nn.Dropout(0.5), L.nn.ReLU(),
            L.nn.Linear(N_HIDDEN, N_HIDDEN), L.nn.Dropout(0.5), L.nn.ReLU(),
            L.nn.Linear(N_HIDDEN, 1))
        o.print(net_overfitting)
        o.print(net_dropped)
        optimizer_ofit = L.optim.Adam(net_overfitting.parameters(), lr=0.01)
        optimizer_drop = L.optim.Adam(net_dropped.parameters(), lr=0.01)
        loss_func = L.nn.MSELoss()
        for t in range(6):
            pred_ofit = net_overfitting(x)
            pred_drop = net_dropped(x)
            loss_ofit = loss_func(pred_ofit, y)
            loss_drop = loss_func(pred_drop, y)
            optimizer_ofit.zero_grad()
            optimizer_drop.zero_grad()
            loss_ofit.backward()
            loss_drop.backward()
            optimizer_ofit.step()
            optimizer_drop.step()
            if t % 3 == 0:
                net_overfitting.eval()
                net_dropped.eval()
                test_pred_ofit = net_overfitting(test_x)
                test_pred_drop = net_dropped(test_x)
                o.print('overfitting loss=%.3f' % loss_func(test_pred_ofit, test_y).data.numpy())
                o.print('dropout loss=%.3f' % loss_func(test_pred_drop, test_y).data.numpy())
                o.vals += [test_pred_ofit, test_pred_drop]
                net_overfitting.train()
                net_dropped.train()
        o.vals += [pred_drop, y, test_y]
        o.tryit(lambda: L.nn.Dropout(1.5))
        o.tryit(lambda: L.nn.Dropout(p=0.2, inplace=True))
        o.tryit(lambda: L.nn.functional.dropout(x, 0.5, training=False).equal(x))
        o.tryit(lambda: L.nn.functional.dropout(L.arange(4), 0.5))
        o.tryit(lambda: net_dropped.training)
        o.tryit(lambda: net_dropped.eval().training)
        o.tryit(lambda: net_dropped.train(False)[1].training)
    return o.done()


def batch_norm(L):
    nn = L.nn
    init = nn.init
    Data = L.utils.data
    with Out() as o:
        L.manual_seed(1)
        rs = np.random.RandomState(1)
        N_SAMPLES, BATCH_SIZE, LR, N_HIDDEN, B_INIT = 40, 16, 0.03, 3, -0.2
        ACTIVATION = L.tanh
        x = np.linspace(-7, 10, N_SAMPLES)[:, np.newaxis]
        y = np.square(x) - 5 + rs.normal(0, 2, x.shape)
        test_x = np.linspace(-7, 10, 10)[:, np.newaxis]
        test_y = np.square(test_x) - 5 + rs.normal(0, 2, test_x.shape)
        train_x, train_y = L.from_numpy(x).float(), L.from_numpy(y).float()
        test_x = L.from_numpy(test_x).float()
        test_y = L.from_numpy(test_y).float()
        train_loader = Data.DataLoader(dataset=Data.TensorDataset(train_x, train_y),
                                       batch_size=BATCH_SIZE, shuffle=True)

        class Net(nn.Module):
            def __init__(self, batch_normalization=False):
                super(Net, self).__init__()
                self.do_bn = batch_normalization
                self.fcs = []
                self.bns = []
                self.bn_input = nn.BatchNorm1d(1, momentum=0.5)
                for i in range(N_HIDDEN):
                    input_size = 1 if i == 0 else 10
                    fc = nn.Linear(input_size, 10)
                    setattr(self, 'fc%i' % i, fc)
                    self._set_init(fc)
                    self.fcs.append(fc)
                    if self.do_bn:
                        bn = nn.BatchNorm1d(10, momentum=0.5)
                        setattr(self, 'bn%i' % i, bn)
                        self.bns.append(bn)
                self.predict = nn.Linear(10, 1)
                self._set_init(self.predict)

            def _set_init(self, layer):
                init.normal_(layer.weight, mean=0., std=.1)
                init.constant_(layer.bias, B_INIT)

            def forward(self, x):
                pre_activation = [x]
                if self.do_bn:
                    x = self.bn_input(x)
                layer_input = [x]
                for i in range(N_HIDDEN):
                    x = self.fcs[i](x)
                    pre_activation.append(x)
                    if self.do_bn:
                        x = self.bns[i](x)
                    x = ACTIVATION(x)
                    layer_input.append(x)
                out = self.predict(x)
                return out, layer_input, pre_activation
        nets = [Net(batch_normalization=False), Net(batch_normalization=True)]
        o.print(*nets)
        opts = [L.optim.Adam(net.parameters(), lr=LR) for net in nets]
        loss_func = L.nn.MSELoss()
        losses = [[], []]
        for epoch in range(2):
            o.print('Epoch: ', epoch)
            for net, l in zip(nets, losses):
                net.eval()
                pred, layer_input, pre_act = net(test_x)
                l.append(loss_func(pred, test_y).data.item())
                net.train()
            for step, (b_x, b_y) in enumerate(train_loader):
                for net, opt in zip(nets, opts):
                    pred, _, _ = net(b_x)
                    loss = loss_func(pred, b_y)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        # The Linear biases before BatchNorm get a gradient of rounding noise only, which
        # Adam scales up to +-lr: the BN net's training carries that noise, so its eval mode
        # is compared on a fresh net after train-mode passes (running stats, momentum 0.5).
        o.vals += [np.array(losses[0])]
        [net.eval() for net in nets]
        preds = [net(test_x)[0] for net in nets]
        o.vals += [preds[0], nets[1].bn_input.running_var]
        L.manual_seed(2)
        fresh = Net(batch_normalization=True)
        fresh(train_x[:20]); fresh(train_x[20:])
        fresh.eval()
        out, layer_input, pre_act = fresh(test_x)
        o.vals += [out, fresh.bn0.running_mean, fresh.bn2.running_var] + layer_input
        o.print([n for n, _ in nets[1].named_children()])
        o.print(pre_act[1].data.numpy().ravel().shape, len(layer_input))
        o.tryit(lambda: nn.BatchNorm1d(10)(L.ones(1, 10)))
        o.tryit(lambda: nn.BatchNorm1d(10).eval()(L.ones(1, 10)).shape)
        o.tryit(lambda: nn.BatchNorm1d(10)(L.ones(4, 5)))
        o.tryit(lambda: nn.BatchNorm1d(10)(L.ones(4)))
        o.tryit(lambda: nn.BatchNorm2d(10)(L.ones(4, 10)))
        o.tryit(lambda: nn.BatchNorm1d(10, momentum=None))
        o.tryit(lambda: init.normal_(L.ones(2), mean=0., std=-1))
        o.tryit(lambda: init.constant_(nets[0].predict.bias, L.tensor(1.0)))
        o.tryit(lambda: init.normal(L.ones(2)).shape)
        o.tryit(lambda: init.xavier_uniform_(L.ones(2)))
        o.tryit(lambda: init.kaiming_normal_(L.ones(3, 2), nonlinearity='tanhh'))
    return o.done()
