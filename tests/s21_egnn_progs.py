"""vgsatorras/egnn as users type it: models/egnn_clean/egnn_clean.py (E_GCL with coord2radial,
edge / node / coord models, unsorted_segment_sum / unsorted_segment_mean through scatter_add_,
get_edges_batch, EGNN) and its __main__, grown into a short training run with equivariance
checks (rotate and translate the input coordinates, compare the outputs) and gradient norms.
Small graphs: 5 nodes, fully connected, batch 2, 3-d coordinates. Each program is
``prog(torch) -> (printed lines, values)``; see tests/test_programs_s21_egnn.py."""

import numpy as np
from s16_yunjey_progs import Out


def rotation(seed):
    """A seeded random rotation (det +1) and translation, float32 NumPy."""
    rng = np.random.RandomState(seed)
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q.astype(np.float32), rng.standard_normal((1, 3)).astype(np.float32)


def egnn_clean_module(torch):
    """models/egnn_clean/egnn_clean.py, as in the file."""
    nn = torch.nn

    class E_GCL(nn.Module):
        """
        E(n) Equivariant Convolutional Layer
        re
        """

        def __init__(self, input_nf, output_nf, hidden_nf, edges_in_d=0, act_fn=nn.SiLU(), residual=True,
                     attention=False, normalize=False, coords_agg='mean', tanh=False):
            super(E_GCL, self).__init__()
            input_edge = input_nf * 2
            self.residual = residual
            self.attention = attention
            self.normalize = normalize
            self.coords_agg = coords_agg
            self.tanh = tanh
            self.epsilon = 1e-8
            edge_coords_nf = 1

            self.edge_mlp = nn.Sequential(
                nn.Linear(input_edge + edge_coords_nf + edges_in_d, hidden_nf),
                act_fn,
                nn.Linear(hidden_nf, hidden_nf),
                act_fn)

            self.node_mlp = nn.Sequential(
                nn.Linear(hidden_nf + input_nf, hidden_nf),
                act_fn,
                nn.Linear(hidden_nf, output_nf))

            layer = nn.Linear(hidden_nf, 1, bias=False)
            torch.nn.init.xavier_uniform_(layer.weight, gain=0.001)

            coord_mlp = []
            coord_mlp.append(nn.Linear(hidden_nf, hidden_nf))
            coord_mlp.append(act_fn)
            coord_mlp.append(layer)
            if self.tanh:
                coord_mlp.append(nn.Tanh())
            self.coord_mlp = nn.Sequential(*coord_mlp)

            if self.attention:
                self.att_mlp = nn.Sequential(
                    nn.Linear(hidden_nf, 1),
                    nn.Sigmoid())

        def edge_model(self, source, target, radial, edge_attr):
            if edge_attr is None:  # Unused.
                out = torch.cat([source, target, radial], dim=1)
            else:
                out = torch.cat([source, target, radial, edge_attr], dim=1)
            out = self.edge_mlp(out)
            if self.attention:
                att_val = self.att_mlp(out)
                out = out * att_val
            return out

        def node_model(self, x, edge_index, edge_attr, node_attr):
            row, col = edge_index
            agg = unsorted_segment_sum(edge_attr, row, num_segments=x.size(0))
            if node_attr is not None:
                agg = torch.cat([x, agg, node_attr], dim=1)
            else:
                agg = torch.cat([x, agg], dim=1)
            out = self.node_mlp(agg)
            if self.residual:
                out = x + out
            return out, agg

        def coord_model(self, coord, edge_index, coord_diff, edge_feat):
            row, col = edge_index
            trans = coord_diff * self.coord_mlp(edge_feat)
            if self.coords_agg == 'sum':
                agg = unsorted_segment_sum(trans, row, num_segments=coord.size(0))
            elif self.coords_agg == 'mean':
                agg = unsorted_segment_mean(trans, row, num_segments=coord.size(0))
            else:
                raise Exception('Wrong coords_agg parameter' % self.coords_agg)
            coord = coord + agg
            return coord

        def coord2radial(self, edge_index, coord):
            row, col = edge_index
            coord_diff = coord[row] - coord[col]
            radial = torch.sum(coord_diff**2, 1).unsqueeze(1)

            if self.normalize:
                norm = torch.sqrt(radial).detach() + self.epsilon
                coord_diff = coord_diff / norm

            return radial, coord_diff

        def forward(self, h, edge_index, coord, edge_attr=None, node_attr=None):
            row, col = edge_index
            radial, coord_diff = self.coord2radial(edge_index, coord)

            edge_feat = self.edge_model(h[row], h[col], radial, edge_attr)
            coord = self.coord_model(coord, edge_index, coord_diff, edge_feat)
            h, agg = self.node_model(h, edge_index, edge_feat, node_attr)

            return h, coord, edge_attr

    class EGNN(nn.Module):
        def __init__(self, in_node_nf, hidden_nf, out_node_nf, in_edge_nf=0, device='cpu', act_fn=nn.SiLU(),
                     n_layers=4, residual=True, attention=False, normalize=False, tanh=False):
            super(EGNN, self).__init__()
            self.hidden_nf = hidden_nf
            self.device = device
            self.n_layers = n_layers
            self.embedding_in = nn.Linear(in_node_nf, self.hidden_nf)
            self.embedding_out = nn.Linear(self.hidden_nf, out_node_nf)
            for i in range(0, n_layers):
                self.add_module("gcl_%d" % i, E_GCL(self.hidden_nf, self.hidden_nf, self.hidden_nf,
                                                    edges_in_d=in_edge_nf, act_fn=act_fn, residual=residual,
                                                    attention=attention, normalize=normalize, tanh=tanh))
            self.to(self.device)

        def forward(self, h, x, edges, edge_attr):
            h = self.embedding_in(h)
            for i in range(0, self.n_layers):
                h, x, _ = self._modules["gcl_%d" % i](h, edges, x, edge_attr=edge_attr)
            h = self.embedding_out(h)
            return h, x

    def unsorted_segment_sum(data, segment_ids, num_segments):
        result_shape = (num_segments, data.size(1))
        result = data.new_full(result_shape, 0)  # Init empty result tensor.
        segment_ids = segment_ids.unsqueeze(-1).expand(-1, data.size(1))
        result.scatter_add_(0, segment_ids, data)
        return result

    def unsorted_segment_mean(data, segment_ids, num_segments):
        result_shape = (num_segments, data.size(1))
        segment_ids = segment_ids.unsqueeze(-1).expand(-1, data.size(1))
        result = data.new_full(result_shape, 0)  # Init empty result tensor.
        count = data.new_full(result_shape, 0)
        result.scatter_add_(0, segment_ids, data)
        count.scatter_add_(0, segment_ids, torch.ones_like(data))
        return result / count.clamp(min=1)

    def get_edges(n_nodes):
        rows, cols = [], []
        for i in range(n_nodes):
            for j in range(n_nodes):
                if i != j:
                    rows.append(i)
                    cols.append(j)

        edges = [rows, cols]
        return edges

    def get_edges_batch(n_nodes, batch_size):
        edges = get_edges(n_nodes)
        edge_attr = torch.ones(len(edges[0]) * batch_size, 1)
        edges = [torch.LongTensor(edges[0]), torch.LongTensor(edges[1])]
        if batch_size == 1:
            return edges, edge_attr
        elif batch_size > 1:
            rows, cols = [], []
            for i in range(batch_size):
                rows.append(edges[0] + n_nodes * i)
                cols.append(edges[1] + n_nodes * i)
            edges = [torch.cat(rows), torch.cat(cols)]
        return edges, edge_attr

    return dict(E_GCL=E_GCL, EGNN=EGNN, unsorted_segment_sum=unsorted_segment_sum,
                unsorted_segment_mean=unsorted_segment_mean, get_edges=get_edges,
                get_edges_batch=get_edges_batch)


def egnn_clean_main(torch):
    """The file's __main__ (dummy h, x and fully connected edges through EGNN), then a check
    that the model is E(3)-equivariant and a few Adam steps on a coordinate regression."""
    torch.manual_seed(0)
    m = egnn_clean_module(torch)
    o = Out()
    with o:
        # Dummy parameters
        batch_size = 2
        n_nodes = 5
        n_feat = 1
        x_dim = 3

        # Dummy variables h, x and fully connected edges
        h = torch.ones(batch_size * n_nodes, n_feat)
        x = torch.ones(batch_size * n_nodes, x_dim)
        edges, edge_attr = m["get_edges_batch"](n_nodes, batch_size)
        o.print(edges[0].dtype, edges[0].shape, edge_attr.shape, edges[1][:8].tolist())

        # Initialize EGNN
        egnn = m["EGNN"](in_node_nf=n_feat, hidden_nf=16, out_node_nf=1, in_edge_nf=1)
        o.print(egnn)
        o.print(sum(p.numel() for p in egnn.parameters()))

        # Run EGNN
        h_out, x_out = egnn(h, x, edges, edge_attr)
        o.print(h_out.shape, x_out.shape, h_out.dtype)
        o.vals += [h_out, x_out]

        # random inputs and an E(3) check
        h = torch.randn(batch_size * n_nodes, n_feat)
        x = torch.randn(batch_size * n_nodes, x_dim)
        Q, t = rotation(0)
        Q, t = torch.from_numpy(Q), torch.from_numpy(t)
        h1, x1 = egnn(h, x, edges, edge_attr)
        h2, x2 = egnn(h, x @ Q + t, edges, edge_attr)
        o.print("h invariant:", torch.allclose(h1, h2, atol=1e-4))
        o.print("x equivariant:", torch.allclose(x1 @ Q + t, x2, atol=1e-4))
        o.vals += [h1, x1, h2, x2]

        optimizer = torch.optim.Adam(egnn.parameters(), lr=1e-3)
        target = x + 0.1 * torch.randn(batch_size * n_nodes, x_dim)
        for step in range(4):
            optimizer.zero_grad()
            h_pred, x_pred = egnn(h, x, edges, edge_attr)
            loss = torch.nn.functional.mse_loss(x_pred, target) + h_pred.pow(2).mean()
            loss.backward()
            gn = torch.norm(torch.stack([p.grad.norm() for p in egnn.parameters()]))
            o.print("step %d loss %.4f grad norm %.4f" % (step, loss.item(), gn.item()))
            optimizer.step()
        o.vals += [loss, egnn.gcl_0.coord_mlp[2].weight.grad, egnn.embedding_in.weight.grad]
    return o.lines, o.vals


def egnn_clean_variants(torch):
    """egnn_clean's options: attention, normalize, tanh, coords_agg='sum' and a bad coords_agg,
    an E_GCL called alone with node_attr left out and with edge_attr, and the segment helpers
    on an uneven segment_ids (a node with no edges)."""
    torch.manual_seed(1)
    m = egnn_clean_module(torch)
    o = Out()
    with o:
        edges, edge_attr = m["get_edges_batch"](5, 2)
        h = torch.randn(10, 2)
        x = torch.randn(10, 3)
        Q, t = rotation(1)
        Q, t = torch.from_numpy(Q), torch.from_numpy(t)
        for kw in [dict(attention=True), dict(normalize=True), dict(tanh=True),
                   dict(attention=True, normalize=True, tanh=True, residual=True)]:
            egnn = m["EGNN"](in_node_nf=2, hidden_nf=8, out_node_nf=3, in_edge_nf=1, n_layers=2,
                             act_fn=torch.nn.ReLU(), **kw)
            h1, x1 = egnn(h, x, edges, edge_attr)
            h2, x2 = egnn(h, x @ Q + t, edges, edge_attr)
            (h1.sum() + (x1 ** 2).sum()).backward()
            o.print(sorted(kw), torch.allclose(h1, h2, atol=1e-4),
                    torch.allclose(x1 @ Q + t, x2, atol=1e-4),
                    "%.4f" % egnn.gcl_1.edge_mlp[0].weight.grad.norm().item())
            o.vals += [h1, x1, egnn.gcl_0.coord_mlp[0].weight.grad]
        gcl = m["E_GCL"](2, 2, 6, edges_in_d=1, coords_agg='sum')
        o.print(gcl)
        hh, xx, ea = gcl(h, edges, x, edge_attr=edge_attr)
        o.print(hh.shape, xx.shape, ea is edge_attr)
        o.vals += [hh, xx]
        bad = m["E_GCL"](2, 2, 6, coords_agg='max')
        try:
            bad(h, edges, x)
        except Exception as e:
            o.print(type(e).__name__, e)
        # segments: node 3 gets nothing
        seg = torch.tensor([0, 0, 1, 2, 2, 2, 4])
        data = torch.arange(14.).view(7, 2).requires_grad_()
        s = m["unsorted_segment_sum"](data, seg, 5)
        mn = m["unsorted_segment_mean"](data, seg, 5)
        o.print(s)
        o.print(mn)
        (s * torch.arange(10.).view(5, 2)).sum().backward()
        o.print(data.grad)
        data.grad = None
        mn.pow(2).sum().backward()
        o.vals += [s, mn, data.grad]
        # a double input keeps its dtype through new_full and scatter_add_
        s64 = m["unsorted_segment_mean"](data.detach().double(), seg, 5)
        o.print(s64.dtype, s64[3].tolist())
    return o.lines, o.vals
