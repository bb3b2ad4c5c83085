"""Diego999/pyGAT as users copy it: layers.py (GraphAttentionLayer; SpecialSpmmFunction, the
custom autograd.Function building a sparse COO tensor from edge indices and differentiable
values; SpGraphAttentionLayer), models.py (GAT, SpGAT) and train.py's loop, on the seeded
12-node graph of tests/s21_gnn_progs.py (utils.py's normalize_adj in NumPy)."""

import time

import numpy as np
from s16_yunjey_progs import Out
from s21_gnn_progs import _adjacency, _cora_like, accuracy, encode_onehot, normalize


def normalize_adj(mx):
    """Symmetrically normalize matrix (utils.py's D^-1/2 A D^-1/2, in NumPy)"""
    rowsum = np.array(mx.sum(1))
    r_inv_sqrt = np.power(rowsum, -0.5).flatten()
    r_inv_sqrt[np.isinf(r_inv_sqrt)] = 0.
    return ((mx * r_inv_sqrt[None, :]).T * r_inv_sqrt[None, :]).astype(np.float32)


def _layers(L):
    torch, nn, F = L, L.nn, L.nn.functional

    class GraphAttentionLayer(nn.Module):
        def __init__(self, in_features, out_features, dropout, alpha, concat=True):
            super(GraphAttentionLayer, self).__init__()
            self.dropout = dropout
            self.in_features = in_features
            self.out_features = out_features
            self.alpha = alpha
            self.concat = concat
            self.W = nn.Parameter(torch.zeros(size=(in_features, out_features)))
            nn.init.xavier_uniform_(self.W.data, gain=1.414)
            self.a = nn.Parameter(torch.zeros(size=(2 * out_features, 1)))
            nn.init.xavier_uniform_(self.a.data, gain=1.414)
            self.leakyrelu = nn.LeakyReLU(self.alpha)

        def forward(self, input, adj):
            h = torch.mm(input, self.W)
            N = h.size()[0]
            a_input = torch.cat([h.repeat(1, N).view(N * N, -1), h.repeat(N, 1)],
                                dim=1).view(N, -1, 2 * self.out_features)
            e = self.leakyrelu(torch.matmul(a_input, self.a).squeeze(2))
            zero_vec = -9e15 * torch.ones_like(e)
            attention = torch.where(adj > 0, e, zero_vec)
            attention = F.softmax(attention, dim=1)
            attention = F.dropout(attention, self.dropout, training=self.training)
            h_prime = torch.matmul(attention, h)
            if self.concat:
                return F.elu(h_prime)
            else:
                return h_prime

        def __repr__(self):
            return self.__class__.__name__ + ' (' + str(self.in_features) + ' -> ' + \
                str(self.out_features) + ')'

    class SpecialSpmmFunction(torch.autograd.Function):
        """Special function for only sparse region backpropataion layer."""
        @staticmethod
        def forward(ctx, indices, values, shape, b):
            assert indices.requires_grad == False  # noqa: E712 (as written)
            a = torch.sparse_coo_tensor(indices, values, shape)
            ctx.save_for_backward(a, b)
            ctx.N = shape[0]
            return torch.matmul(a, b)

        @staticmethod
        def backward(ctx, grad_output):
            a, b = ctx.saved_tensors
            grad_values = grad_b = None
            if ctx.needs_input_grad[1]:
                grad_a_dense = grad_output.matmul(b.t())
                edge_idx = a._indices()[0, :] * ctx.N + a._indices()[1, :]
                grad_values = grad_a_dense.view(-1)[edge_idx]
            if ctx.needs_input_grad[3]:
                grad_b = a.t().matmul(grad_output)
            return None, grad_values, None, grad_b

    class SpecialSpmm(nn.Module):
        def forward(self, indices, values, shape, b):
            return SpecialSpmmFunction.apply(indices, values, shape, b)

    class SpGraphAttentionLayer(nn.Module):
        def __init__(self, in_features, out_features, dropout, alpha, concat=True):
            super(SpGraphAttentionLayer, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.alpha = alpha
            self.concat = concat
            self.W = nn.Parameter(torch.zeros(size=(in_features, out_features)))
            nn.init.xavier_normal_(self.W.data, gain=1.414)
            self.a = nn.Parameter(torch.zeros(size=(1, 2 * out_features)))
            nn.init.xavier_normal_(self.a.data, gain=1.414)
            self.dropout = nn.Dropout(dropout)
            self.leakyrelu = nn.LeakyReLU(self.alpha)
            self.special_spmm = SpecialSpmm()

        def forward(self, input, adj):
            dv = 'cuda' if input.is_cuda else 'cpu'
            N = input.size()[0]
            edge = adj.nonzero().t()
            h = torch.mm(input, self.W)
            assert not torch.isnan(h).any()
            edge_h = torch.cat((h[edge[0, :], :], h[edge[1, :], :]), dim=1).t()
            edge_e = torch.exp(-self.leakyrelu(self.a.mm(edge_h).squeeze()))
            assert not torch.isnan(edge_e).any()
            e_rowsum = self.special_spmm(edge, edge_e, torch.Size([N, N]),
                                         torch.ones(size=(N, 1), device=dv))
            edge_e = self.dropout(edge_e)
            h_prime = self.special_spmm(edge, edge_e, torch.Size([N, N]), h)
            assert not torch.isnan(h_prime).any()
            h_prime = h_prime.div(e_rowsum)
            assert not torch.isnan(h_prime).any()
            if self.concat:
                return F.elu(h_prime)
            else:
                return h_prime

        def __repr__(self):
            return self.__class__.__name__ + ' (' + str(self.in_features) + ' -> ' + \
                str(self.out_features) + ')'

    return GraphAttentionLayer, SpGraphAttentionLayer, SpecialSpmmFunction


def _gat(L, sparse):
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    GraphAttentionLayer, SpGraphAttentionLayer, _ = _layers(L)

    class GAT(nn.Module):
        def __init__(self, nfeat, nhid, nclass, dropout, alpha, nheads):
            """Dense version of GAT."""
            super(GAT, self).__init__()
            self.dropout = dropout
            self.attentions = [GraphAttentionLayer(nfeat, nhid, dropout=dropout, alpha=alpha,
                                                   concat=True) for _ in range(nheads)]
            for i, attention in enumerate(self.attentions):
                self.add_module('attention_{}'.format(i), attention)
            self.out_att = GraphAttentionLayer(nhid * nheads, nclass, dropout=dropout,
                                               alpha=alpha, concat=False)

        def forward(self, x, adj):
            x = F.dropout(x, self.dropout, training=self.training)
            x = torch.cat([att(x, adj) for att in self.attentions], dim=1)
            x = F.dropout(x, self.dropout, training=self.training)
            x = F.elu(self.out_att(x, adj))
            return F.log_softmax(x, dim=1)

    class SpGAT(GAT):
        def __init__(self, nfeat, nhid, nclass, dropout, alpha, nheads):
            """Sparse version of GAT."""
            nn.Module.__init__(self)
            self.dropout = dropout
            self.attentions = [SpGraphAttentionLayer(nfeat, nhid, dropout=dropout,
                                                     alpha=alpha, concat=True)
                               for _ in range(nheads)]
            for i, attention in enumerate(self.attentions):
                self.add_module('attention_{}'.format(i), attention)
            self.out_att = SpGraphAttentionLayer(nhid * nheads, nclass, dropout=dropout,
                                                 alpha=alpha, concat=False)

    o = Out()
    with o:
        np.random.seed(72)
        torch.manual_seed(72)
        o.print('Loading {} dataset...'.format("cora"))
        feats, raw_labels, edges = _cora_like(1)
        labels = encode_onehot(raw_labels)
        adj = _adjacency(edges)
        features = normalize(feats)
        adj = normalize_adj(adj + np.eye(adj.shape[0], dtype=np.float32))
        adj = torch.FloatTensor(np.array(adj))
        features = torch.FloatTensor(np.array(features))
        labels = torch.LongTensor(np.where(labels)[1])
        idx_train, idx_val = torch.LongTensor(range(6)), torch.LongTensor(range(6, 9))
        idx_test = torch.LongTensor(range(9, 12))
        Model = SpGAT if sparse else GAT
        model = Model(nfeat=features.shape[1], nhid=4, nclass=int(labels.max()) + 1,
                      dropout=0.6, nheads=3, alpha=0.2)
        o.print(model)
        optimizer = optim.Adam(model.parameters(), lr=0.005, weight_decay=5e-4)
        features, adj, labels = (torch.autograd.Variable(features),
                                 torch.autograd.Variable(adj),
                                 torch.autograd.Variable(labels))

        def train(epoch):
            t = time.time()
            model.train()
            optimizer.zero_grad()
            output = model(features, adj)
            loss_train = F.nll_loss(output[idx_train], labels[idx_train])
            acc_train = accuracy(output[idx_train], labels[idx_train])
            loss_train.backward()
            optimizer.step()
            model.eval()
            output = model(features, adj)
            loss_val = F.nll_loss(output[idx_val], labels[idx_val])
            acc_val = accuracy(output[idx_val], labels[idx_val])
            o.print('Epoch: {:04d}'.format(epoch + 1),
                    'loss_train: {:.4f}'.format(loss_train.data.item()),
                    'acc_train: {:.4f}'.format(acc_train.data.item()),
                    'loss_val: {:.4f}'.format(loss_val.data.item()),
                    'acc_val: {:.4f}'.format(acc_val.data.item()),
                    'time: {:.4f}s'.format(time.time() - t)[:6])
            return loss_val.data.item()

        loss_values = []
        for epoch in range(6):
            loss_values.append(train(epoch))
        o.print("Optimization Finished!")
        model.eval()
        output = model(features, adj)
        loss_test = F.nll_loss(output[idx_test], labels[idx_test])
        acc_test = accuracy(output[idx_test], labels[idx_test])
        o.print("Test set results:", "loss= {:.4f}".format(loss_test.data.item()),
                "accuracy= {:.4f}".format(acc_test.data.item()))
        o.vals += [output, model.out_att.W.grad, model.attentions[0].a.grad, loss_values]
    return o.done()


def gat(L):
    return _gat(L, False)


def spgat(L):
    return _gat(L, True)


def special_spmm(L):
    """SpecialSpmmFunction alone: forward, both gradients, and the sparse tensor it saves."""
    _, _, SpecialSpmmFunction = _layers(L)
    o = Out()
    with o:
        rng = np.random.default_rng(5)
        edge = L.from_numpy(np.array([[0, 0, 1, 2, 3, 3], [1, 3, 2, 0, 0, 3]]))
        values = L.from_numpy(rng.random(6).astype(np.float32)).requires_grad_()
        b = L.from_numpy(rng.standard_normal((4, 2)).astype(np.float32)).requires_grad_()
        out = SpecialSpmmFunction.apply(edge, values, L.Size([4, 4]), b)
        o.print(out)
        (out * L.arange(8.).view(4, 2)).sum().backward()
        o.print(values.grad)
        o.print(b.grad)
        a = L.sparse_coo_tensor(edge, values.detach(), (4, 4))
        o.print(a)
        o.print(a.t())
        o.print(a.to_dense())
        o.vals += [out, values.grad, b.grad]
    return o.done()
