"""Training runs of the hand-written layers in tests/s21_egnn_progs_e.py (see there)."""

from s16_yunjey_progs import Out
from s21_egnn_progs_e import gat_module, layers


def graph_batch(torch, n_nodes=5, batch_size=2):
    """Two fully connected graphs as one edge_index (2, E) and their batch vector."""
    rows, cols = [], []
    for b in range(batch_size):
        for i in range(n_nodes):
            for j in range(n_nodes):
                if i != j:
                    rows.append(i + b * n_nodes)
                    cols.append(j + b * n_nodes)
    edge_index = torch.tensor([rows, cols], dtype=torch.long)
    batch = torch.arange(batch_size).repeat_interleave(n_nodes)
    return edge_index, batch


def gnn_layers(torch):
    """MyGINConv, GCNLayer and NormalizedGCNConv stacked for node classification, with a
    graph readout by index_add_, a permutation-equivariance check and clipped gradients."""
    nn, F = torch.nn, torch.nn.functional
    MyGINConv, GCNLayer, NormalizedGCNConv = layers(torch)
    o = Out()
    with o:
        torch.manual_seed(0)
        edge_index, batch = graph_batch(torch)
        x = torch.randn(10, 8)
        edge_feats = torch.randn(edge_index.size(1), 8)
        y = torch.randint(0, 3, (10,))
        g_y = torch.tensor([0.5, -1.0])

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.gin = MyGINConv(8)
                self.gcn = GCNLayer(8, 8)
                self.ngcn = NormalizedGCNConv(8, 6)
                self.head = nn.Linear(6, 3)
                self.readout = nn.Linear(6, 1)

            def forward(self, x, edge_feats, edge_index, batch):
                h = self.gin(x, edge_feats, edge_index, x.size(0))
                h = self.gcn(h, edge_index)
                h = F.relu(self.ngcn(h, edge_index))
                pooled = torch.zeros(int(batch.max()) + 1, h.size(1)).index_add_(0, batch, h)
                return self.head(h), self.readout(pooled).squeeze(-1)

        net = Net()
        o.print(net)
        o.print(net.gin.eps, net.gin.eps.dtype)
        perm = torch.randperm(10)
        inv = torch.empty_like(perm)
        inv[perm] = torch.arange(10)
        out1, g1 = net(x, edge_feats, edge_index, batch)
        e_perm = inv[edge_index]
        out2, g2 = net(x[perm], edge_feats, e_perm, batch[perm])
        o.print("node equivariant:", torch.allclose(out1[perm], out2, atol=1e-5),
                "graph invariant:", torch.allclose(g1, g2, atol=1e-5))
        o.vals += [out1, g1]
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        for step in range(5):
            opt.zero_grad()
            logits, g = net(x, edge_feats, edge_index, batch)
            loss = F.cross_entropy(logits, y) + F.mse_loss(g, g_y)
            loss.backward()
            total = nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            acc = (logits.argmax(1) == y).float().mean()
            o.print("step %d loss %.4f grad norm %.4f acc %.2f" % (step, loss.item(), total.item(), acc.item()))
            opt.step()
        o.vals += [loss, net.gin.eps.grad, net.ngcn.bias, total]
        empty = NormalizedGCNConv(8, 4)(x, torch.zeros(2, 0, dtype=torch.long))
        o.print(empty.shape, torch.bincount(edge_index[1], minlength=12).tolist())
        o.vals += [empty]
    return o.lines, o.vals


def gat(torch):
    """acpl's GAT encoder: layer / graph / no norm, GELU / PReLU / ReLU(inplace), edge features,
    attention and feature dropout in train mode; the segment softmax alone."""
    F = torch.nn.functional
    GATConfig, GAT, _segment_softmax = gat_module(torch)
    o = Out()
    with o:
        torch.manual_seed(0)
        edge_index, batch = graph_batch(torch)
        x = torch.randn(10, 6)
        edge_attr = torch.randn(edge_index.size(1), 2)
        target = torch.randn(10, 4)
        o.tryit(lambda: torch.zeros(5).index_reduce_(0, torch.tensor([0, 0, 2]), torch.ones(3), reduce="sum",
                                                      include_self=False))
        o.tryit(lambda: torch.zeros(5).index_reduce_(0, torch.tensor([0, 0, 2]), torch.ones(3), "mean"))
        o.tryit(lambda: torch.randn(10, 5) / torch.sqrt(torch.ones(2, 5) + 1e-5))
        for norm, act, edge_dim, adrop in [("layer", "prelu", 2, 0.2), ("graph", "gelu", None, 0.0),
                                           ("none", "relu", 2, 0.0)]:
            cfg = GATConfig(in_dim=6, out_dim=4, hidden_dim=5, num_layers=2, heads=3, edge_dim=edge_dim,
                            norm=norm, act=act, attention_dropout=adrop)
            model = GAT(cfg)
            if norm == "layer":
                o.print(model)
            o.print(cfg)
            opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            for step in range(3):
                model.train()
                opt.zero_grad()
                out = model(x, edge_index, edge_attr if edge_dim else None, batch)
                loss = F.mse_loss(out, target)
                # graph norm: count.clamp_min_ again after the division that saved count
                if o.tryit(loss.backward) is not None or norm == "graph":
                    o.print("%s step %d loss %.4f" % (norm, step, loss.item()))
                    continue
                gn = torch.norm(torch.stack([p.grad.norm() for p in model.parameters() if p.grad is not None]))
                o.print("%s step %d loss %.4f grad norm %.4f" % (norm, step, loss.item(), gn.item()))
                opt.step()
            model.eval()
            with torch.no_grad():
                ev = model(x, edge_index, edge_attr if edge_dim else None, batch)
            o.print(ev.shape, ev.requires_grad)
            o.vals += [ev] + ([model.layers[0].gat.att_src.grad] if norm != "graph" else [])
        vals = torch.randn(12, requires_grad=True)
        seg = torch.tensor([3, 0, 0, 1, 3, 3, 1, 0, 4, 4, 1, 0])
        sm = _segment_softmax(vals, seg)
        sums = torch.zeros(5).index_add_(0, seg, sm.detach())
        o.print([round(s, 4) for s in sums.tolist()])
        (sm * torch.arange(12.)).sum().backward()
        o.vals += [sm, vals.grad]
    return o.lines, o.vals
