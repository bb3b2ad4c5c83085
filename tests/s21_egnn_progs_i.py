"""egnn/models.py's EGNN_dynamics_QM9 and equivariant_diffusion/utils.py's mean removal on the
layers of tests/s21_egnn_progs_h.py, trained a few steps as the diffusion model's noise
predictor; see there."""

import numpy as np
from s16_yunjey_progs import Out
from s21_egnn_progs_h import egnn_new


def dynamics(torch):
    nn = torch.nn
    EGNN, GNN, SinusoidsEmbeddingNew = egnn_new(torch)

    def remove_mean(x):
        mean = torch.mean(x, dim=1, keepdim=True)
        x = x - mean
        return x

    def remove_mean_with_mask(x, node_mask):
        masked_max_abs_value = (x * (1 - node_mask)).abs().sum().item()
        assert masked_max_abs_value < 1e-5, f'Error {masked_max_abs_value} too high'
        N = node_mask.sum(1, keepdims=True)
        mean = torch.sum(x, dim=1, keepdim=True) / N
        x = x - mean * node_mask
        return x

    class EGNN_dynamics_QM9(nn.Module):
        def __init__(self, in_node_nf, context_node_nf, n_dims, hidden_nf=64, device='cpu', act_fn=torch.nn.SiLU(),
                     n_layers=4, attention=False, condition_time=True, tanh=False, mode='egnn_dynamics',
                     norm_constant=0, inv_sublayers=2, sin_embedding=False, normalization_factor=100,
                     aggregation_method='sum', use_checkpointing=False):
            super().__init__()
            self.mode = mode
            if mode == 'egnn_dynamics':
                self.egnn = EGNN(in_node_nf=in_node_nf + context_node_nf, in_edge_nf=1, hidden_nf=hidden_nf,
                                 device=device, act_fn=act_fn, n_layers=n_layers, attention=attention, tanh=tanh,
                                 norm_constant=norm_constant, inv_sublayers=inv_sublayers,
                                 sin_embedding=sin_embedding, normalization_factor=normalization_factor,
                                 aggregation_method=aggregation_method, use_checkpointing=use_checkpointing)
                self.in_node_nf = in_node_nf
            elif mode == 'gnn_dynamics':
                self.gnn = GNN(in_node_nf=in_node_nf + context_node_nf + 3, in_edge_nf=0, hidden_nf=hidden_nf,
                               out_node_nf=3 + in_node_nf, device=device, act_fn=act_fn, n_layers=n_layers,
                               attention=attention, normalization_factor=normalization_factor,
                               aggregation_method=aggregation_method)
            self.context_node_nf = context_node_nf
            self.device = device
            self.n_dims = n_dims
            self._edges_dict = {}
            self.condition_time = condition_time

        def _forward(self, t, xh, node_mask, edge_mask, context):
            bs, n_nodes, dims = xh.shape
            h_dims = dims - self.n_dims
            edges = self.get_adj_matrix(n_nodes, bs, self.device)
            edges = [x.to(self.device) for x in edges]
            node_mask = node_mask.view(bs*n_nodes, 1)
            edge_mask = edge_mask.view(bs*n_nodes*n_nodes, 1)
            xh = xh.view(bs*n_nodes, -1).clone() * node_mask
            x = xh[:, 0:self.n_dims].clone()
            if h_dims == 0:
                h = torch.ones(bs*n_nodes, 1).to(self.device)
            else:
                h = xh[:, self.n_dims:].clone()
            if self.condition_time:
                if np.prod(t.size()) == 1:
                    h_time = torch.empty_like(h[:, 0:1]).fill_(t.item())
                else:
                    h_time = t.view(bs, 1).repeat(1, n_nodes)
                    h_time = h_time.view(bs * n_nodes, 1)
                h = torch.cat([h, h_time], dim=1)
            if context is not None:
                context = context.view(bs*n_nodes, self.context_node_nf)
                h = torch.cat([h, context], dim=1)
            if self.mode == 'egnn_dynamics':
                h_final, x_final = self.egnn(h, x, edges, node_mask=node_mask, edge_mask=edge_mask)
                vel = (x_final - x) * node_mask  # This masking operation is redundant but just in case
            elif self.mode == 'gnn_dynamics':
                xh = torch.cat([x, h], dim=1)
                output = self.gnn(xh, edges, node_mask=node_mask)
                vel = output[:, 0:3] * node_mask
                h_final = output[:, 3:]
            if context is not None:
                h_final = h_final[:, :-self.context_node_nf]
            if self.condition_time:
                h_final = h_final[:, :-1]
            vel = vel.view(bs, n_nodes, -1)
            if torch.any(torch.isnan(vel)):
                vel = torch.zeros_like(vel)
            if node_mask is None:
                vel = remove_mean(vel)
            else:
                vel = remove_mean_with_mask(vel, node_mask.view(bs, n_nodes, 1))
            if h_dims == 0:
                return vel
            else:
                h_final = h_final.view(bs, n_nodes, -1)
                return torch.cat([vel, h_final], dim=2)

        def get_adj_matrix(self, n_nodes, batch_size, device):
            if n_nodes in self._edges_dict:
                edges_dic_b = self._edges_dict[n_nodes]
                if batch_size in edges_dic_b:
                    return edges_dic_b[batch_size]
                else:
                    rows, cols = [], []
                    for batch_idx in range(batch_size):
                        for i in range(n_nodes):
                            for j in range(n_nodes):
                                rows.append(i + batch_idx * n_nodes)
                                cols.append(j + batch_idx * n_nodes)
                    edges = [torch.LongTensor(rows).to(device), torch.LongTensor(cols).to(device)]
                    edges_dic_b[batch_size] = edges
                    return edges
            else:
                self._edges_dict[n_nodes] = {}
                return self.get_adj_matrix(n_nodes, batch_size, device)

    o = Out()
    with o:
        torch.manual_seed(0)
        bs, n_nodes, n_dims, in_node_nf, ctx_nf = 2, 5, 3, 4, 1
        node_mask = torch.ones(bs, n_nodes, 1)
        node_mask[1, 4] = 0
        edge_mask = node_mask.squeeze(2).unsqueeze(1) * node_mask
        diag_mask = ~torch.eye(n_nodes, dtype=torch.bool).unsqueeze(0)
        edge_mask = edge_mask * diag_mask
        x = remove_mean_with_mask(torch.randn(bs, n_nodes, n_dims) * node_mask, node_mask)
        h = torch.randn(bs, n_nodes, in_node_nf) * node_mask
        xh = torch.cat([x, h], dim=2)
        context = torch.randn(bs, n_nodes, ctx_nf) * node_mask
        emb = SinusoidsEmbeddingNew()
        o.print(emb.n_frequencies, emb.dim, emb.frequencies.dtype, emb(torch.tensor([[0.5], [2.0]])).shape)
        q = np.linalg.qr(np.random.RandomState(5).standard_normal((3, 3)))[0].astype(np.float32)
        Q = torch.from_numpy(q)
        for kw in [dict(mode='egnn_dynamics', sin_embedding=True, attention=True, tanh=True,
                        aggregation_method='sum', use_checkpointing=True),
                   dict(mode='egnn_dynamics', aggregation_method='mean', norm_constant=1),
                   dict(mode='gnn_dynamics', aggregation_method='sum', normalization_factor=1)]:
            net = EGNN_dynamics_QM9(in_node_nf=in_node_nf + 1, context_node_nf=ctx_nf, n_dims=n_dims, hidden_nf=16,
                                    n_layers=2, inv_sublayers=1, **kw)
            if kw.get('use_checkpointing'):
                o.print(net)
            t = torch.rand(bs, 1)
            net.eval()
            out1 = net._forward(t, xh, node_mask, edge_mask, context)
            xh_rot = torch.cat([x @ Q, h], dim=2)
            out2 = net._forward(t, xh_rot, node_mask, edge_mask, context)
            o.print(kw['mode'], kw['aggregation_method'], tuple(out1.shape),
                    "vel equivariant", torch.allclose(out1[..., :3] @ Q, out2[..., :3], atol=1e-5),
                    "h invariant", torch.allclose(out1[..., 3:], out2[..., 3:], atol=1e-5),
                    "mean zero", bool((out1[..., :3].sum(1) / node_mask.sum(1)).abs().max() < 1e-5))
            o.vals += [out1]
            out_s = net._forward(torch.tensor([0.3]), xh, node_mask, edge_mask, context)
            o.vals += [out_s]
            net.train()
            opt = torch.optim.AdamW(net.parameters(), lr=1e-3, amsgrad=True, weight_decay=1e-12)
            for step in range(3):
                eps = torch.randn(bs, n_nodes, n_dims + in_node_nf) * node_mask
                eps = torch.cat([remove_mean_with_mask(eps[..., :3], node_mask), eps[..., 3:]], dim=2)
                opt.zero_grad()
                pred = net._forward(t, xh + 0.1 * eps, node_mask, edge_mask, context)
                loss = ((pred - eps[..., :pred.size(2)]) ** 2).sum() / node_mask.sum()
                loss.backward()
                gn = torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=1e3, norm_type=2.0)
                o.print("step %d loss %.4f grad norm %.4f" % (step, loss.item(), gn.item()))
                opt.step()
            o.vals += [loss, gn]
        o.print(sorted(net._edges_dict), sorted(net._edges_dict[5]), net._edges_dict[5][2][0].shape)
        try:
            remove_mean_with_mask(torch.ones(bs, n_nodes, 3), node_mask)
        except AssertionError as e:
            o.print("AssertionError", e)
    return o.lines, o.vals
