"""nnzhan/Graph-WaveNet as users type it: model.py (nconv via einsum, linear, gcn over the
supports and the adaptive adjacency softmax(relu(nodevec1 @ nodevec2)), gwnet's gated dilated
TCN (its Conv1d layers fed 4-D input are Conv2d here: PyTorch 2.13's conv1d rejects 4-D input,
which gwnet_pieces checks), skip connections, BatchNorm2d, the aptinit path through
torch.svd), util.py (DataLoader with padding, StandardScaler, sym_adj / asym_adj with
scipy.sparse replaced by the same NumPy, masked_mae / masked_mse / masked_rmse / masked_mape,
metric) and engine.py's trainer / train.py's loop and test evaluation. METR-LA is replaced by
a seeded random 8-sensor series (12 steps in, 12 out, 2 features), nhid 8.
Each program is ``prog(torch) -> (printed lines, values)``; see
tests/test_programs_s22_graphts.py."""

import numpy as np
from s16_yunjey_progs import Out

N_NODES, SEQ = 8, 12


def _util(torch):
    class DataLoader(object):
        def __init__(self, xs, ys, batch_size, pad_with_last_sample=True):
            self.batch_size = batch_size
            self.current_ind = 0
            if pad_with_last_sample:
                num_padding = (batch_size - (len(xs) % batch_size)) % batch_size
                x_padding = np.repeat(xs[-1:], num_padding, axis=0)
                y_padding = np.repeat(ys[-1:], num_padding, axis=0)
                xs = np.concatenate([xs, x_padding], axis=0)
                ys = np.concatenate([ys, y_padding], axis=0)
            self.size = len(xs)
            self.num_batch = int(self.size // self.batch_size)
            self.xs = xs
            self.ys = ys

        def shuffle(self):
            permutation = np.random.permutation(self.size)
            xs, ys = self.xs[permutation], self.ys[permutation]
            self.xs = xs
            self.ys = ys

        def get_iterator(self):
            self.current_ind = 0

            def _wrapper():
                while self.current_ind < self.num_batch:
                    start_ind = self.batch_size * self.current_ind
                    end_ind = min(self.size, self.batch_size * (self.current_ind + 1))
                    x_i = self.xs[start_ind: end_ind, ...]
                    y_i = self.ys[start_ind: end_ind, ...]
                    yield (x_i, y_i)
                    self.current_ind += 1

            return _wrapper()

    class StandardScaler():
        def __init__(self, mean, std):
            self.mean = mean
            self.std = std

        def transform(self, data):
            return (data - self.mean) / self.std

        def inverse_transform(self, data):
            return (data * self.std) + self.mean

    def masked_mse(preds, labels, null_val=np.nan):
        if np.isnan(null_val):
            mask = ~torch.isnan(labels)
        else:
            mask = (labels != null_val)
        mask = mask.float()
        mask /= torch.mean((mask))
        mask = torch.where(torch.isnan(mask), torch.zeros_like(mask), mask)
        loss = (preds-labels)**2
        loss = loss * mask
        loss = torch.where(torch.isnan(loss), torch.zeros_like(loss), loss)
        return torch.mean(loss)

    def masked_rmse(preds, labels, null_val=np.nan):
        return torch.sqrt(masked_mse(preds=preds, labels=labels, null_val=null_val))

    def masked_mae(preds, labels, null_val=np.nan):
        if np.isnan(null_val):
            mask = ~torch.isnan(labels)
        else:
            mask = (labels != null_val)
        mask = mask.float()
        mask /= torch.mean((mask))
        mask = torch.where(torch.isnan(mask), torch.zeros_like(mask), mask)
        loss = torch.abs(preds-labels)
        loss = loss * mask
        loss = torch.where(torch.isnan(loss), torch.zeros_like(loss), loss)
        return torch.mean(loss)

    def masked_mape(preds, labels, null_val=np.nan):
        if np.isnan(null_val):
            mask = ~torch.isnan(labels)
        else:
            mask = (labels != null_val)
        mask = mask.float()
        mask /= torch.mean((mask))
        mask = torch.where(torch.isnan(mask), torch.zeros_like(mask), mask)
        loss = torch.abs(preds-labels)/labels
        loss = loss * mask
        loss = torch.where(torch.isnan(loss), torch.zeros_like(loss), loss)
        return torch.mean(loss)

    def metric(pred, real):
        mae = masked_mae(pred, real, 0.0).item()
        mape = masked_mape(pred, real, 0.0).item()
        rmse = masked_rmse(pred, real, 0.0).item()
        return mae, mape, rmse

    return DataLoader, StandardScaler, masked_mae, masked_mape, masked_rmse, metric


def sym_adj(adj):
    """Symmetrically normalize adjacency matrix."""
    rowsum = np.array(adj.sum(1))
    with np.errstate(divide='ignore'):
        d_inv_sqrt = np.power(rowsum, -0.5).flatten()
    d_inv_sqrt[np.isinf(d_inv_sqrt)] = 0.
    d_mat_inv_sqrt = np.diag(d_inv_sqrt)
    return adj.dot(d_mat_inv_sqrt).transpose().dot(d_mat_inv_sqrt).astype(np.float32)


def asym_adj(adj):
    rowsum = np.array(adj.sum(1)).flatten()
    with np.errstate(divide='ignore'):
        d_inv = np.power(rowsum, -1).flatten()
    d_inv[np.isinf(d_inv)] = 0.
    d_mat = np.diag(d_inv)
    return d_mat.dot(adj).astype(np.float32)


def _model(torch):
    nn, F = torch.nn, torch.nn.functional

    class nconv(nn.Module):
        def __init__(self):
            super(nconv, self).__init__()

        def forward(self, x, A):
            x = torch.einsum('ncvl,vw->ncwl', (x, A))
            return x.contiguous()

    class linear(nn.Module):
        def __init__(self, c_in, c_out):
            super(linear, self).__init__()
            self.mlp = torch.nn.Conv2d(c_in, c_out, kernel_size=(1, 1), padding=(0, 0),
                                       stride=(1, 1), bias=True)

        def forward(self, x):
            return self.mlp(x)

    class gcn(nn.Module):
        def __init__(self, c_in, c_out, dropout, support_len=3, order=2):
            super(gcn, self).__init__()
            self.nconv = nconv()
            c_in = (order*support_len+1)*c_in
            self.mlp = linear(c_in, c_out)
            self.dropout = dropout
            self.order = order

        def forward(self, x, support):
            out = [x]
            for a in support:
                x1 = self.nconv(x, a)
                out.append(x1)
                for k in range(2, self.order + 1):
                    x2 = self.nconv(x1, a)
                    out.append(x2)
                    x1 = x2

            h = torch.cat(out, dim=1)
            h = self.mlp(h)
            h = F.dropout(h, self.dropout, training=self.training)
            return h

    class gwnet(nn.Module):
        def __init__(self, device, num_nodes, dropout=0.3, supports=None, gcn_bool=True,
                     addaptadj=True, aptinit=None, in_dim=2, out_dim=12, residual_channels=32,
                     dilation_channels=32, skip_channels=256, end_channels=512, kernel_size=2,
                     blocks=4, layers=2):
            super(gwnet, self).__init__()
            self.dropout = dropout
            self.blocks = blocks
            self.layers = layers
            self.gcn_bool = gcn_bool
            self.addaptadj = addaptadj

            self.filter_convs = nn.ModuleList()
            self.gate_convs = nn.ModuleList()
            self.residual_convs = nn.ModuleList()
            self.skip_convs = nn.ModuleList()
            self.bn = nn.ModuleList()
            self.gconv = nn.ModuleList()

            self.start_conv = nn.Conv2d(in_channels=in_dim,
                                        out_channels=residual_channels,
                                        kernel_size=(1, 1))
            self.supports = supports

            receptive_field = 1

            self.supports_len = 0
            if supports is not None:
                self.supports_len += len(supports)

            if gcn_bool and addaptadj:
                if aptinit is None:
                    if supports is None:
                        self.supports = []
                    self.nodevec1 = nn.Parameter(torch.randn(num_nodes, 10).to(device),
                                                 requires_grad=True).to(device)
                    self.nodevec2 = nn.Parameter(torch.randn(10, num_nodes).to(device),
                                                 requires_grad=True).to(device)
                    self.supports_len += 1
                else:
                    if supports is None:
                        self.supports = []
                    m, p, n = torch.svd(aptinit)
                    initemb1 = torch.mm(m[:, :10], torch.diag(p[:10] ** 0.5))
                    initemb2 = torch.mm(torch.diag(p[:10] ** 0.5), n[:, :10].t())
                    self.nodevec1 = nn.Parameter(initemb1, requires_grad=True).to(device)
                    self.nodevec2 = nn.Parameter(initemb2, requires_grad=True).to(device)
                    self.supports_len += 1

            for b in range(blocks):
                additional_scope = kernel_size - 1
                new_dilation = 1
                for i in range(layers):
                    # dilated convolutions
                    self.filter_convs.append(nn.Conv2d(in_channels=residual_channels,
                                                       out_channels=dilation_channels,
                                                       kernel_size=(1, kernel_size),
                                                       dilation=new_dilation))

                    self.gate_convs.append(nn.Conv2d(in_channels=residual_channels,
                                                     out_channels=dilation_channels,
                                                     kernel_size=(1, kernel_size),
                                                     dilation=new_dilation))

                    # 1x1 convolution for residual connection
                    self.residual_convs.append(nn.Conv2d(in_channels=dilation_channels,
                                                         out_channels=residual_channels,
                                                         kernel_size=(1, 1)))

                    # 1x1 convolution for skip connection
                    self.skip_convs.append(nn.Conv2d(in_channels=dilation_channels,
                                                     out_channels=skip_channels,
                                                     kernel_size=(1, 1)))
                    self.bn.append(nn.BatchNorm2d(residual_channels))
                    new_dilation *= 2
                    receptive_field += additional_scope
                    additional_scope *= 2
                    if self.gcn_bool:
                        self.gconv.append(gcn(dilation_channels, residual_channels, dropout,
                                              support_len=self.supports_len))

            self.end_conv_1 = nn.Conv2d(in_channels=skip_channels,
                                        out_channels=end_channels,
                                        kernel_size=(1, 1),
                                        bias=True)

            self.end_conv_2 = nn.Conv2d(in_channels=end_channels,
                                        out_channels=out_dim,
                                        kernel_size=(1, 1),
                                        bias=True)

            self.receptive_field = receptive_field

        def forward(self, input):
            in_len = input.size(3)
            if in_len < self.receptive_field:
                x = nn.functional.pad(input, (self.receptive_field-in_len, 0, 0, 0))
            else:
                x = input
            x = self.start_conv(x)
            skip = 0

            # calculate the current adaptive adj matrix once per iteration
            new_supports = None
            if self.gcn_bool and self.addaptadj and self.supports is not None:
                adp = F.softmax(F.relu(torch.mm(self.nodevec1, self.nodevec2)), dim=1)
                new_supports = self.supports + [adp]

            # WaveNet layers
            for i in range(self.blocks * self.layers):
                residual = x
                # dilated convolution
                filter = self.filter_convs[i](residual)
                filter = torch.tanh(filter)
                gate = self.gate_convs[i](residual)
                gate = torch.sigmoid(gate)
                x = filter * gate

                # parametrized skip connection
                s = x
                s = self.skip_convs[i](s)
                try:
                    skip = skip[:, :, :, -s.size(3):]
                except:  # noqa: E722 - the repository's code
                    skip = 0
                skip = s + skip

                if self.gcn_bool and self.supports is not None:
                    if self.addaptadj:
                        x = self.gconv[i](x, new_supports)
                    else:
                        x = self.gconv[i](x, self.supports)
                else:
                    x = self.residual_convs[i](x)

                x = x + residual[:, :, :, -x.size(3):]

                x = self.bn[i](x)

            x = F.relu(skip)
            x = F.relu(self.end_conv_1(x))
            x = self.end_conv_2(x)
            return x

    return gwnet


def _metr_like(seed, n):
    """x, y of shape (n, 12, 8, 2): speed (some zeros, METR-LA's missing readings) and
    time-of-day."""
    rng = np.random.default_rng(seed)
    speed = rng.uniform(20., 70., (n + 2 * SEQ, N_NODES))
    speed[rng.random(speed.shape) < 0.1] = 0.
    tod = (np.arange(n + 2 * SEQ) % 288 / 288.)[:, None].repeat(N_NODES, 1)
    data = np.stack([speed, tod], -1)
    x = np.stack([data[i:i + SEQ] for i in range(n)])
    y = np.stack([data[i + SEQ:i + 2 * SEQ] for i in range(n)])
    return x, y


def _run(torch, out, adjtype, randomadj, aptonly, addaptadj=True, gcn_bool=True, epochs=2):
    nn = torch.nn
    DataLoader, StandardScaler, masked_mae, masked_mape, masked_rmse, metric = _util(torch)
    gwnet = _model(torch)

    class trainer():
        def __init__(self, scaler, in_dim, seq_length, num_nodes, nhid, dropout, lrate, wdecay,
                     device, supports, gcn_bool, addaptadj, aptinit):
            self.model = gwnet(device, num_nodes, dropout, supports=supports, gcn_bool=gcn_bool,
                               addaptadj=addaptadj, aptinit=aptinit, in_dim=in_dim,
                               out_dim=seq_length, residual_channels=nhid,
                               dilation_channels=nhid, skip_channels=nhid * 8,
                               end_channels=nhid * 16)
            self.model.to(device)
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lrate,
                                              weight_decay=wdecay)
            self.loss = masked_mae
            self.scaler = scaler
            self.clip = 5

        def train(self, input, real_val):
            self.model.train()
            self.optimizer.zero_grad()
            input = nn.functional.pad(input, (1, 0, 0, 0))
            output = self.model(input)
            output = output.transpose(1, 3)
            real = torch.unsqueeze(real_val, dim=1)
            predict = self.scaler.inverse_transform(output)
            loss = self.loss(predict, real, 0.0)
            loss.backward()
            if self.clip is not None:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
            self.optimizer.step()
            mape = masked_mape(predict, real, 0.0).item()
            rmse = masked_rmse(predict, real, 0.0).item()
            return loss.item(), mape, rmse

    np.random.seed(0)
    data = {}
    for cat, seed, n in (('train', 1, 10), ('val', 2, 4), ('test', 3, 5)):
        data['x_' + cat], data['y_' + cat] = _metr_like(seed, n)
    scaler = StandardScaler(mean=data['x_train'][..., 0].mean(),
                            std=data['x_train'][..., 0].std())
    for category in ['train', 'val', 'test']:
        data['x_' + category][..., 0] = scaler.transform(data['x_' + category][..., 0])
    data['train_loader'] = DataLoader(data['x_train'], data['y_train'], 4)
    data['test_loader'] = DataLoader(data['x_test'], data['y_test'], 4)

    rng = np.random.default_rng(7)
    adj_mx = np.where(rng.random((N_NODES, N_NODES)) < 0.4,
                      np.exp(-rng.random((N_NODES, N_NODES))), 0.)
    np.fill_diagonal(adj_mx, 1.)
    if adjtype == "doubletransition":
        adj = [asym_adj(adj_mx), asym_adj(np.transpose(adj_mx))]
    else:
        adj = [sym_adj(adj_mx)]
    device = torch.device('cpu')
    supports = [torch.tensor(i).to(device) for i in adj]
    out.print([(s.dtype, s.shape) for s in supports])
    adjinit = None if randomadj else supports[0]
    if aptonly:
        supports = None
    engine = trainer(scaler, 2, SEQ, N_NODES, 8, 0.3, 0.001, 0.0001, device, supports,
                     gcn_bool, addaptadj, adjinit)
    n_params = sum(p.nelement() for p in engine.model.parameters())
    out.print('params', n_params, engine.model.receptive_field, len(engine.model.gconv))
    out.print(type(engine.model.nodevec1).__name__ if addaptadj else None)

    for i in range(1, epochs + 1):
        train_loss, train_mape, train_rmse = [], [], []
        dataloader = data
        dataloader['train_loader'].shuffle()
        for iter, (x, y) in enumerate(dataloader['train_loader'].get_iterator()):
            trainx = torch.Tensor(x).to(device)
            trainx = trainx.transpose(1, 3)
            trainy = torch.Tensor(y).to(device)
            trainy = trainy.transpose(1, 3)
            metrics = engine.train(trainx, trainy[:, 0, :, :])
            train_loss.append(metrics[0])
            train_mape.append(metrics[1])
            train_rmse.append(metrics[2])
            if not out.vals:
                out.vals.append(np.array(metrics))  # the first step's metrics
            log = 'Iter: {:03d}, Train Loss: {:.3f}, Train MAPE: {:.3f}, Train RMSE: {:.3f}'
            out.print(log.format(iter, train_loss[-1], train_mape[-1], train_rmse[-1]))
        out.print('Epoch: {:03d}, Train Loss: {:.3f}'.format(i, np.mean(train_loss)))

    outputs = []
    realy = torch.Tensor(dataloader['y_test']).to(device)
    realy = realy.transpose(1, 3)[:, 0, :, :]
    engine.model.eval()
    for iter, (x, y) in enumerate(dataloader['test_loader'].get_iterator()):
        testx = torch.Tensor(x).to(device)
        testx = testx.transpose(1, 3)
        with torch.no_grad():
            preds = engine.model(testx).transpose(1, 3)
        outputs.append(preds.squeeze())
    yhat = torch.cat(outputs, dim=0)
    yhat = yhat[:realy.size(0), ...]
    out.print(yhat.shape, realy.shape, yhat.requires_grad)
    amae = []
    for i in range(0, 12, 4):
        pred = scaler.inverse_transform(yhat[:, :, i])
        real = realy[:, :, i]
        metrics = metric(pred, real)
        log = 'Evaluate best model on test data for horizon {:d}, Test MAE: {:.2f}, Test MAPE: {:.3f}'
        out.print(log.format(i + 1, metrics[0], metrics[1]))
        amae.append(metrics[0])
    out.print(type(amae[0]).__name__, pred.dtype)


def gwnet_doubletransition(torch):
    """train.py --gcn_bool --addaptadj --randomadj --adjtype doubletransition (the README's)."""
    with Out() as out:
        torch.manual_seed(0)
        _run(torch, out, "doubletransition", True, False)
    return out.lines, out.vals


def gwnet_aptonly(torch):
    """--gcn_bool --adjtype symnadj --addaptadj --aptonly: only the learned adjacency, its
    node embeddings from torch.svd of the symmetric adjacency."""
    with Out() as out:
        torch.manual_seed(0)
        _run(torch, out, "symnadj", False, True, epochs=1)
    return out.lines, out.vals


def gwnet_no_gcn(torch):
    """The WaveNet-only baseline: no --gcn_bool (the residual 1x1 convolutions)."""
    with Out() as out:
        torch.manual_seed(0)
        _run(torch, out, "doubletransition", True, False, addaptadj=False, gcn_bool=False,
             epochs=1)
    return out.lines, out.vals


def gwnet_pieces(torch):
    """util's metrics on hand-made tensors, the Conv1d with a (1, k) kernel the model builds,
    nconv's einsum, and bad inputs."""
    with Out() as out:
        DataLoader, StandardScaler, masked_mae, masked_mape, masked_rmse, metric = _util(torch)
        torch.manual_seed(0)
        preds = torch.randn(3, 1, 4, 5) * 10 + 50
        labels = torch.randn(3, 1, 4, 5) * 10 + 50
        labels[0, 0, :2] = 0.
        labels[1, 0, 1, 1] = float('nan')
        for nv in (0.0, np.nan):
            for f in (masked_mae, masked_mape, masked_rmse):
                r = f(preds, labels, nv)
                out.print(f.__name__, '%.4f' % r.item(), r.dtype)
                out.vals.append(r)
        conv = torch.nn.Conv1d(4, 6, kernel_size=(1, 2), dilation=2)
        out.print(conv, conv.weight.shape, conv.dilation, conv.padding)
        x = torch.randn(2, 4, 3, 7)
        out.tryit(lambda: conv(x))
        out.tryit(lambda: conv(torch.randn(4, 7)).shape)
        A = torch.softmax(torch.relu(torch.randn(3, 2) @ torch.randn(2, 3)), dim=1)
        z = torch.einsum('ncvl,vw->ncwl', (x, torch.randn(3, 3)))
        out.print(z.shape, z.is_contiguous(), A.sum(1).shape)
        out.tryit(lambda: torch.einsum('ncvl,vw->ncwl', (x, torch.randn(4, 3))))
        out.tryit(lambda: torch.einsum('ncvl,vw->ncwl', x))
        out.vals.append(z)
    return out.lines, out.vals
