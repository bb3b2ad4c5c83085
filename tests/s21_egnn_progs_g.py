"""vgsatorras/egnn's graph autoencoders: models/ae.py (AE_parent.decode_from_x, AE with GCL
layers and a learnable decoder, AE_rf on GCL_rf, AE_EGNN on E_GCL with ``coords -= reg *
coords``, their ``nn.Parameter(...).to(device)`` decoder weights), losess.py (vae_loss,
adj_bce), eval.py (adjacency_error, tp_fp_fn) and main_ae.py's train() / test() with
``lr_scheduler.step(epoch)``. The community graphs are seeded NumPy stand-ins (6 nodes) with
graph.py's get_dense_graph written for them. See tests/test_programs_s21_egnn.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_egnn_progs_b import gcl_module


class Graph:
    """A dense graph: get_dense_graph as graph.py returns it (nodes of ones, all i != j
    edges, the adjacency at those edges as edge_attr, the adjacency)."""

    def __init__(self, torch, adj):
        self.torch, self.adj = torch, adj

    def get_num_nodes(self):
        return self.adj.shape[0]

    def get_dense_graph(self, store=True, loops=False):
        torch, n = self.torch, self.adj.shape[0]
        rows, cols = [], []
        for i in range(n):
            for j in range(n):
                if i != j or loops:
                    rows.append(i)
                    cols.append(j)
        adj = torch.from_numpy(self.adj)
        edges = [torch.LongTensor(rows), torch.LongTensor(cols)]
        edge_attr = adj[edges[0], edges[1]].unsqueeze(1)
        return torch.ones(n, 1), edges, edge_attr, adj


def graphs(torch, seed, count, n=6):
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(count):
        a = (rng.uniform(size=(n, n)) < 0.4).astype(np.float32)
        a = np.triu(a, 1)
        out.append([Graph(torch, a + a.T)])
    return out


def main_ae(torch, model_name):
    nn, optim, F = torch.nn, torch.optim, torch.nn.functional
    g = gcl_module(torch)
    GCL, GCL_rf, E_GCL = g["GCL"], g["GCL_rf"], g["E_GCL"]

    class AE_parent(nn.Module):
        def __init__(self):
            super(AE_parent, self).__init__()

        def decode_from_x(self, x, linear_layer=None, C=10, b=-1, remove_diagonal=True):
            n_nodes = x.size(0)
            x_a = x.unsqueeze(0)
            x_b = torch.transpose(x_a, 0, 1)
            X = (x_a - x_b) ** 2
            X = X.view(n_nodes ** 2, -1)
            if linear_layer is not None:
                X = torch.sigmoid(linear_layer(X))
            else:
                X = torch.sigmoid(C*torch.sum(X, dim=1) + b)
            adj_pred = X.view(n_nodes, n_nodes)
            if remove_diagonal:
                adj_pred = adj_pred * (1 - torch.eye(n_nodes).to(self.device))
            return adj_pred

        def forward(self, nodes, edges, edge_attr=None):
            x = self.encode(nodes, edges, edge_attr)
            adj_pred = self.decode(x)
            return adj_pred, x

    class AE(AE_parent):
        def __init__(self, hidden_nf, embedding_nf=32, noise_dim=1, device='cpu', act_fn=nn.SiLU(), learnable_dec=1,
                     n_layers=4, attention=0):
            super(AE, self).__init__()
            self.hidden_nf = hidden_nf
            self.embedding_nf = embedding_nf
            self.noise_dim = noise_dim
            self.device = device
            self.n_layers = n_layers
            self.add_module("gcl_0", GCL(max(1, self.noise_dim), self.hidden_nf, self.hidden_nf, edges_in_nf=1,
                                         act_fn=act_fn, attention=attention, recurrent=False))
            for i in range(1, n_layers):
                self.add_module("gcl_%d" % i, GCL(self.hidden_nf, self.hidden_nf, self.hidden_nf, edges_in_nf=1,
                                                  act_fn=act_fn, attention=attention))
            self.fc_emb = nn.Linear(self.hidden_nf, self.embedding_nf)
            self.fc_dec = None
            if learnable_dec:
                self.fc_dec = nn.Linear(self.embedding_nf, 1)
            self.to(self.device)

        def decode(self, x):
            return self.decode_from_x(x, linear_layer=self.fc_dec)

        def encode(self, nodes, edges, edge_attr=None):
            if self.noise_dim:
                nodes = torch.randn(nodes.size(0), self.noise_dim).to(self.device)
            h, _ = self._modules["gcl_0"](nodes, edges, edge_attr=edge_attr)
            for i in range(1, self.n_layers):
                h, _ = self._modules["gcl_%d" % i](h, edges, edge_attr=edge_attr)
            return self.fc_emb(h)

    class AE_rf(AE_parent):
        def __init__(self, embedding_nf=32, nf=64, device='cpu', n_layers=4, act_fn=nn.SiLU(), reg=1e-3, clamp=False):
            super(AE_rf, self).__init__()
            self.embedding_nf = embedding_nf
            self.device = device
            self.n_layers = n_layers
            self.gcl = GCL_rf(nf, reg=reg)
            for i in range(n_layers):
                self.add_module("gcl_%d" % i, GCL_rf(nf, act_fn=act_fn, reg=reg, edge_attr_nf=1, clamp=clamp))
            self.w = nn.Parameter(-0.1 * torch.ones(1)).to(device)
            self.b = nn.Parameter(torch.ones(1)).to(device)
            self.to(self.device)

        def decode(self, x):
            return self.decode_from_x(x, C=self.w, b=self.b)

        def encode(self, nodes, edges, edge_attr=None):
            x = torch.randn(nodes.size(0), self.embedding_nf).to(self.device)
            for i in range(0, self.n_layers):
                x, _ = self._modules["gcl_%d" % i](x, edges, edge_attr=edge_attr)
            return x

    class AE_EGNN(AE_parent):
        def __init__(self, hidden_nf, K=8, device='cpu', act_fn=nn.SiLU(), n_layers=4, reg=1e-3, clamp=False):
            super(AE_EGNN, self).__init__()
            self.hidden_nf = hidden_nf
            self.K = K
            self.device = device
            self.n_layers = n_layers
            self.reg = reg
            self.add_module("gcl_0", E_GCL(1, self.hidden_nf, self.hidden_nf, edges_in_d=1, act_fn=act_fn,
                                           recurrent=False, clamp=clamp))
            for i in range(1, n_layers):
                self.add_module("gcl_%d" % i, E_GCL(self.hidden_nf, self.hidden_nf, self.hidden_nf, edges_in_d=1,
                                                    act_fn=act_fn, recurrent=True, clamp=clamp))
            self.w = nn.Parameter(-0.1*torch.ones(1)).to(device)
            self.b = nn.Parameter(torch.ones(1)).to(device)
            self.to(self.device)

        def decode(self, x):
            return self.decode_from_x(x, C=self.w, b=self.b)

        def encode(self, h, edges, edge_attr=None):
            coords = torch.randn(h.size(0), self.K).to(self.device)
            for i in range(0, self.n_layers):
                h, coords, _ = self._modules["gcl_%d" % i](h, edges, coords, edge_attr=edge_attr)
                coords -= self.reg * coords
            return coords

    def vae_loss(adj_rec, adj_gt, mu, logvar, reduce='sum'):
        BCE = adj_bce(adj_rec, adj_gt, reduce)
        if mu is None:
            KLD = torch.zeros(1)
        else:
            KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE, KLD

    def adj_bce(pred, gt, reduce='mean', weight=None):
        return F.binary_cross_entropy(pred.view(-1, 1), gt.view(-1, 1), reduction=reduce, weight=weight)

    def adjacency_error(adj_pred, adj_gt):
        n_nodes = adj_gt.size(0)
        adj_pred = (adj_pred > 0.5).type(torch.float32)
        adj_errors = torch.abs(adj_pred - adj_gt)
        wrong_edges = torch.sum(adj_errors)
        adj_error = wrong_edges / (n_nodes ** 2 - n_nodes)
        return wrong_edges.item(), adj_error.item()

    def tp_fp_fn(adj_pred, adj_gt):
        adj_pred = (adj_pred > 0.5).type(torch.float32)
        tp = torch.sum(adj_pred*adj_gt).item()
        fp = torch.sum(adj_pred * (1 - adj_gt)).item()
        fn = torch.sum((1-adj_pred)*adj_gt).item()
        return tp, fp, fn

    o = Out()
    with o:
        torch.manual_seed(1)
        device = torch.device("cpu")
        train_loader, val_loader = graphs(torch, 0, 3), graphs(torch, 1, 2)
        if model_name == 'ae':
            model = AE(hidden_nf=16, embedding_nf=8, noise_dim=1, act_fn=nn.SiLU(), learnable_dec=1, device=device,
                       attention=1, n_layers=2)
        elif model_name == 'ae_rf':
            model = AE_rf(embedding_nf=8, nf=16, device=device, n_layers=2, reg=1e-3, act_fn=nn.SiLU(), clamp=1)
        else:
            model = AE_EGNN(hidden_nf=16, K=8, act_fn=nn.SiLU(), device=device, n_layers=2, reg=1e-3, clamp=1)
        o.print(model)
        o.print([n for n, _ in model.named_parameters()][-3:], type(getattr(model, 'w', None)).__name__)
        optimizer = optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-16)
        lr_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, 3)

        def train(epoch, loader):
            lr_scheduler.step(epoch)
            model.train()
            res = {'loss': 0, 'counter': 0, 'wrong_edges': 0, 'possible_edges': 0, 'adj_err': 0}
            for batch_idx, data in enumerate(loader):
                graph = data[0]
                nodes, edges, edge_attr, adj_gt = graph.get_dense_graph(store=True, loops=False)
                nodes, edges, edge_attr, adj_gt = (nodes.to(device), [edges[0].to(device), edges[1].to(device)],
                                                   edge_attr.to(device), adj_gt.to(device).detach())
                n_nodes = nodes.size(0)
                optimizer.zero_grad()
                adj_pred, z = model(nodes, edges, edge_attr)
                bce, kl = vae_loss(adj_pred, adj_gt, None, None)
                loss = bce
                loss.backward()
                optimizer.step()
                res['loss'] += loss.item()
                wrong_edges, adj_err = adjacency_error(adj_pred, adj_gt)
                res['adj_err'] += adj_err
                res['counter'] += 1
                res['wrong_edges'] += wrong_edges
                res['possible_edges'] += n_nodes ** 2 - n_nodes
                o.print('===> Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.4f} lr {:.6f}'.format(
                    epoch, batch_idx * len(data), len(loader), 100. * batch_idx / len(loader),
                    loss.item() / len(data), optimizer.param_groups[0]['lr']))
            o.print('Train avg bce: %.4f \t Adj_err %.4f \t Wrong edges %d' % (
                res['loss'] / res['counter'], res['adj_err'] / res['counter'], res['wrong_edges']))

        def test(epoch, loader):
            model.eval()
            res = {'bce': 0, 'counter': 0, 'tp': 0, 'fp': 0, 'fn': 0}
            with torch.no_grad():
                for idx, data in enumerate(loader):
                    graph = data[0]
                    nodes, edges, edge_attr, adj_gt = graph.get_dense_graph(store=True, loops=False)
                    adj_pred, mu = model(nodes, edges, edge_attr)
                    bce, kl = vae_loss(adj_pred, adj_gt, None, None)
                    res['bce'] += bce.item()
                    tp, fp, fn = tp_fp_fn(adj_pred, adj_gt)
                    res['tp'] += tp
                    res['fp'] += fp
                    res['fn'] += fn
                    res['counter'] += 1
            f1_score = 1.0*res['tp'] / (res['tp'] + 0.5*(res['fp'] + res['fn']))
            o.print('Test bce: %.4f \t TP: %d \t FP: %d \t FN: %d \t F1-score: %.4f' % (
                res['bce'] / res['counter'], res['tp'], res['fp'], res['fn'], f1_score))
            return res

        for epoch in range(0, 3):
            train(epoch, train_loader)
            if epoch % 2 == 0:
                test(epoch, val_loader)
        # the decoders' parameters: the decoder sees differences of node embeddings, so a shift
        # shared by all nodes (fc_emb.bias, the last node_mlp bias) has a zero gradient up to
        # rounding, which Adam's normalised step turns into +-lr moves
        o.vals += [p.detach().clone() for n, p in model.named_parameters()
                   if n in ('fc_dec.weight', 'fc_dec.bias', 'w', 'b')]
    return o.lines, o.vals


def ae(torch):
    return main_ae(torch, 'ae')


def ae_rf(torch):
    return main_ae(torch, 'ae_rf')


def ae_egnn(torch):
    return main_ae(torch, 'ae_egnn')
