"""Graph neural networks from scratch as users copy them: tkipf/pygcn (pygcn/utils.py's
encode_onehot, normalize, sparse_mx_to_torch_sparse_tensor and accuracy, pygcn/layers.py's
GraphConvolution with torch.spmm over a sparse adjacency, pygcn/models.py's GCN, train.py's
loop) and Diego999/pyGAT (layers.py's GraphAttentionLayer, SpecialSpmmFunction and
SpGraphAttentionLayer, models.py's GAT / SpGAT, train.py's loop). The Cora files are replaced
by a seeded random graph of 12 nodes with 5 features and 3 classes, and scipy.sparse by the
same row normalisation in NumPy (a COO triple from np.nonzero)."""

import math
import time

import numpy as np
from s16_yunjey_progs import Out

N_NODES, N_FEAT, N_CLASS = 12, 5, 3


def _cora_like(seed=0):
    """The pieces load_data reads from cora.content / cora.cites: word-count features,
    string labels and an edge list (some edges repeated, as the .cites file has)."""
    rng = np.random.default_rng(seed)
    feats = (rng.random((N_NODES, N_FEAT)) < 0.5).astype(np.float32)
    feats[3] = 0.  # a paper with no words: normalize's r_inv[np.isinf(r_inv)] = 0.
    names = np.array(["Neural_Networks", "Theory", "Rule_Learning"])
    labels = names[rng.integers(0, N_CLASS, N_NODES)]
    edges = rng.integers(0, N_NODES, (20, 2)).astype(np.int32)
    return feats, labels, edges


def encode_onehot(labels):
    classes = sorted(set(labels))  # (set order is per process; sorted for the comparison)
    classes_dict = {c: np.identity(len(classes))[i, :] for i, c in
                    enumerate(classes)}
    labels_onehot = np.array(list(map(classes_dict.get, labels)),
                             dtype=np.int32)
    return labels_onehot


def normalize(mx):
    """Row-normalize matrix (scipy.sparse's diags(r_inv).dot(mx) in NumPy)"""
    rowsum = np.array(mx.sum(1))
    with np.errstate(divide="ignore"):
        r_inv = np.power(rowsum, -1).flatten()
    r_inv[np.isinf(r_inv)] = 0.
    return (r_inv[:, None] * mx).astype(np.float32)


def _adjacency(edges):
    adj = np.zeros((N_NODES, N_NODES), dtype=np.float32)
    np.add.at(adj, (edges[:, 0], edges[:, 1]), 1.)
    adj = np.minimum(adj, 1.)
    # build symmetric adjacency matrix
    adj = adj + adj.T * (adj.T > adj) - adj * (adj.T > adj)
    return adj


def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    correct = preds.eq(labels).double()
    correct = correct.sum()
    return correct / len(labels)


def pygcn(L):
    """tkipf/pygcn: load_data with a sparse adjacency, GCN, train() / test()."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    Parameter, Module = L.nn.parameter.Parameter, L.nn.modules.module.Module
    o = Out()

    def sparse_mx_to_torch_sparse_tensor(sparse_mx):
        """Convert a COO (row, col, data) triple to a torch sparse tensor."""
        row, col = np.nonzero(sparse_mx)
        indices = torch.from_numpy(np.vstack((row, col))).long()
        values = torch.from_numpy(sparse_mx[row, col].astype(np.float32))
        shape = torch.Size(sparse_mx.shape)
        return torch.sparse.FloatTensor(indices, values, shape)

    def load_data():
        o.print('Loading {} dataset...'.format("cora"))
        feats, raw_labels, edges = _cora_like(0)
        labels = encode_onehot(raw_labels)
        adj = _adjacency(edges)
        features = normalize(feats)
        adj = normalize(adj + np.eye(adj.shape[0], dtype=np.float32))
        idx_train, idx_val, idx_test = range(6), range(6, 9), range(9, 12)
        features = torch.FloatTensor(np.array(features))
        labels = torch.LongTensor(np.where(labels)[1])
        adj = sparse_mx_to_torch_sparse_tensor(adj)
        idx_train = torch.LongTensor(idx_train)
        idx_val = torch.LongTensor(idx_val)
        idx_test = torch.LongTensor(idx_test)
        return adj, features, labels, idx_train, idx_val, idx_test

    class GraphConvolution(Module):
        def __init__(self, in_features, out_features, bias=True):
            super(GraphConvolution, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.weight = Parameter(torch.FloatTensor(in_features, out_features))
            if bias:
                self.bias = Parameter(torch.FloatTensor(out_features))
            else:
                self.register_parameter('bias', None)
            self.reset_parameters()

        def reset_parameters(self):
            stdv = 1. / math.sqrt(self.weight.size(1))
            self.weight.data.uniform_(-stdv, stdv)
            if self.bias is not None:
                self.bias.data.uniform_(-stdv, stdv)

        def forward(self, input, adj):
            support = torch.mm(input, self.weight)
            output = torch.spmm(adj, support)
            if self.bias is not None:
                return output + self.bias
            else:
                return output

        def __repr__(self):
            return self.__class__.__name__ + ' (' \
                   + str(self.in_features) + ' -> ' \
                   + str(self.out_features) + ')'

    class GCN(nn.Module):
        def __init__(self, nfeat, nhid, nclass, dropout):
            super(GCN, self).__init__()
            self.gc1 = GraphConvolution(nfeat, nhid)
            self.gc2 = GraphConvolution(nhid, nclass)
            self.dropout = dropout

        def forward(self, x, adj):
            x = F.relu(self.gc1(x, adj))
            x = F.dropout(x, self.dropout, training=self.training)
            x = self.gc2(x, adj)
            return F.log_softmax(x, dim=1)

    with o:
        np.random.seed(42)
        torch.manual_seed(42)
        adj, features, labels, idx_train, idx_val, idx_test = load_data()
        o.print(adj)
        o.print(adj.is_sparse, adj.layout, adj.dtype, adj.shape, adj._nnz())
        model = GCN(nfeat=features.shape[1], nhid=16,
                    nclass=labels.max().item() + 1, dropout=0.5)
        o.print(model)
        optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)

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
                    'loss_train: {:.4f}'.format(loss_train.item()),
                    'acc_train: {:.4f}'.format(acc_train.item()),
                    'loss_val: {:.4f}'.format(loss_val.item()),
                    'acc_val: {:.4f}'.format(acc_val.item()),
                    'time: {:.4f}s'.format(time.time() - t)[:6])

        def test():
            model.eval()
            output = model(features, adj)
            loss_test = F.nll_loss(output[idx_test], labels[idx_test])
            acc_test = accuracy(output[idx_test], labels[idx_test])
            o.print("Test set results:",
                    "loss= {:.4f}".format(loss_test.item()),
                    "accuracy= {:.4f}".format(acc_test.item()))
            return output

        for epoch in range(8):
            train(epoch)
        o.print("Optimization Finished!")
        out = test()
        o.vals += [out, model.gc1.weight.grad, model.gc2.bias.grad, adj.to_dense(),
                   adj._indices(), adj._values()]
    return o.done()


def pygcn_legacy_sparsemm(L):
    """The first pygcn/layers.py: SparseMM, an old-style (instantiated, non-static) Function
    called as SparseMM()(adj, support); PyTorch 2.13 warns and refuses it."""
    torch = L
    o = Out()

    class SparseMM(torch.autograd.Function):
        def forward(self, matrix1, matrix2):
            self.save_for_backward(matrix1, matrix2)
            return torch.mm(matrix1, matrix2)

        def backward(self, grad_output):
            matrix1, matrix2 = self.saved_tensors
            grad_matrix1 = grad_matrix2 = None
            if self.needs_input_grad[0]:
                grad_matrix1 = torch.mm(grad_output, matrix2.t())
            if self.needs_input_grad[1]:
                grad_matrix2 = torch.mm(matrix1.t(), grad_output)
            return grad_matrix1, grad_matrix2

    with o:
        torch.manual_seed(0)
        adj = torch.rand(4, 4)
        support = torch.mm(torch.rand(4, 3), torch.rand(3, 2).requires_grad_())
        o.tryit(lambda: SparseMM()(adj, support))
        o.vals.append(support)
    return o.done()
