"""Hand-written message-passing layers without torch_geometric, as users copy them:
zengkaipeng/UAlign GINConv.py (MyGINConv: index_select messages, scatter_add_ reduce, LayerNorm
MLP, learnable eps), a GMC model/gcn_layer.py GCNLayer (index_add_ and a bincount degree), a
NormalizedGCNConv (self loops, D^-1/2 A D^-1/2 through index_add_) and acpl/policy/gnn/gat.py's
multi-head GATConv (segment softmax by argsort + index_reduce_ amax / sum, include_self=False,
graph norm with clamp_min_, PReLU / GELU / ReLU(inplace) blocks, residuals). The last three
files' repositories are not named by the code index. Two fully connected 5-node graphs; node
classification and a graph readout, permutation checks and gradient norms."""

import math
from dataclasses import dataclass



def layers(torch):
    nn, F = torch.nn, torch.nn.functional

    class MyGINConv(torch.nn.Module):
        def __init__(self, embedding_dim: int = 64):
            super(MyGINConv, self).__init__()
            self.mlp = torch.nn.Sequential(
                torch.nn.Linear(embedding_dim, 2 * embedding_dim),
                torch.nn.LayerNorm(2 * embedding_dim),
                torch.nn.ReLU(),
                torch.nn.Linear(2 * embedding_dim, embedding_dim)
            )
            self.eps = torch.nn.Parameter(torch.Tensor([0]))

        def forward(self, node_feats, edge_feats, edge_index, num_nodes: int):
            message_node = torch.index_select(input=node_feats, dim=0, index=edge_index[1])
            message = torch.relu(message_node + edge_feats)
            dim = message.shape[-1]
            message_reduce = torch.zeros(num_nodes, dim).to(message)
            index = edge_index[0].unsqueeze(-1).repeat(1, dim)
            message_reduce.scatter_add_(dim=0, index=index, src=message)
            return self.mlp((1 + self.eps) * node_feats + message_reduce)

    class GCNLayer(nn.Module):
        def __init__(self, in_features, out_features):
            super(GCNLayer, self).__init__()
            self.linear = nn.Linear(in_features, out_features)

        def forward(self, x, edge_index):
            N = x.size(0)
            out = torch.zeros_like(x)
            src, dst = edge_index
            messages = self.linear(x[src])
            out.index_add_(0, dst, messages)
            deg = torch.bincount(dst, minlength=N).clamp(min=1).float().unsqueeze(1)
            out = out / deg
            return F.relu(out)

    class NormalizedGCNConv(nn.Module):
        def __init__(self, in_dim: int, out_dim: int):
            super().__init__()
            self.lin = nn.Linear(in_dim, out_dim, bias=False)
            self.bias = nn.Parameter(torch.zeros(out_dim))

        def forward(self, x, edge_index):
            h = self.lin(x)
            n = h.size(0)
            if edge_index.numel() == 0:
                src = torch.arange(n, device=x.device, dtype=torch.long)
                dst = src
            else:
                src = edge_index[0]
                dst = edge_index[1]
                self_loop = torch.arange(n, device=x.device, dtype=torch.long)
                src = torch.cat([src, self_loop], dim=0)
                dst = torch.cat([dst, self_loop], dim=0)
            deg = torch.zeros(n, device=x.device, dtype=h.dtype)
            deg.index_add_(0, dst, torch.ones(dst.size(0), device=x.device, dtype=h.dtype))
            deg_inv_sqrt = deg.clamp(min=1.0).pow(-0.5)
            norm = deg_inv_sqrt[src] * deg_inv_sqrt[dst]
            out = torch.zeros_like(h)
            out.index_add_(0, dst, h[src] * norm.unsqueeze(1))
            return out + self.bias

    return MyGINConv, GCNLayer, NormalizedGCNConv


def gat_module(torch):
    """acpl/policy/gnn/gat.py (segment_sum, from its .segment module, written with index_add_).
    The file's ``denom.index_reduce_(0, ids, exps, reduce="sum", include_self=False)`` raises in
    PyTorch (index_reduce has no "sum"): gat() prints that error, and the layer here uses the
    fix users make, index_add_; its graph norm divides (N, C) by a per-graph (B, C) variance,
    a size error gat() prints too, fixed here with ``var[batch]``."""
    nn, F = torch.nn, torch.nn.functional

    def segment_sum(src, index, num_segments):
        out = torch.zeros((num_segments,) + tuple(src.shape[1:]), dtype=src.dtype, device=src.device)
        return out.index_add(0, index, src)

    def _add_self_loops(edge_index, num_nodes):
        device = edge_index.device
        self_loops = torch.arange(num_nodes, device=device, dtype=edge_index.dtype)
        self_loops = self_loops.unsqueeze(0).repeat(2, 1)  # [[0..N-1],[0..N-1]]
        return torch.cat([edge_index, self_loops], dim=1)

    def _segment_softmax(values, seg_ids):
        order = torch.argsort(seg_ids)
        seg_ids_sorted = seg_ids[order]
        vals_sorted = values[order]
        if vals_sorted.dim() == 1:
            max_buf = torch.full_like(vals_sorted, -float("inf"))
            max_buf.index_reduce_(0, seg_ids_sorted, vals_sorted, reduce="amax", include_self=False)
            seg_max = max_buf[seg_ids_sorted]
            exps = torch.exp(vals_sorted - seg_max)
            denom = torch.zeros_like(vals_sorted)
            denom.index_add_(0, seg_ids_sorted, exps)  # the file: index_reduce_(..., reduce="sum")
            denom = denom[seg_ids_sorted]
            out_sorted = exps / (denom + 1e-12)
        else:
            E, H = vals_sorted.shape
            max_buf = torch.full((seg_ids_sorted.max().item() + 1, H), -float("inf"),
                                 device=vals_sorted.device, dtype=vals_sorted.dtype)
            max_buf.index_reduce_(0, seg_ids_sorted, vals_sorted, reduce="amax", include_self=False)
            seg_max = max_buf[seg_ids_sorted]
            exps = torch.exp(vals_sorted - seg_max)
            denom = torch.zeros_like(max_buf)
            denom.index_add_(0, seg_ids_sorted, exps)  # the file: index_reduce_(..., reduce="sum")
            denom = denom[seg_ids_sorted]
            out_sorted = exps / (denom + 1e-12)
        inv_order = torch.empty_like(order)
        inv_order[order] = torch.arange(order.numel(), device=order.device)
        return out_sorted[inv_order]

    def _maybe_graph_norm(x, batch):
        if batch is None:
            mean = x.mean(dim=0, keepdim=True)
            var = x.var(dim=0, unbiased=False, keepdim=True)
            return (x - mean) / torch.sqrt(var + 1e-5)
        B = int(batch.max().item()) + 1 if batch.numel() > 0 else 1
        C = x.size(1)
        device, dtype = x.device, x.dtype
        sum_buf = torch.zeros(B, C, device=device, dtype=dtype)
        sum_buf.index_add_(0, batch, x)
        count = torch.zeros(B, 1, device=device, dtype=dtype)
        count.index_add_(0, batch, torch.ones_like(x[:, :1]))
        mean = sum_buf / (count.clamp_min_(1.0))
        xc = x - mean[batch]
        var_buf = torch.zeros(B, C, device=device, dtype=dtype)
        var_buf.index_add_(0, batch, xc * xc)
        var = var_buf / (count.clamp_min_(1.0))
        return xc / torch.sqrt(var[batch] + 1e-5)  # the file: var, (B, C) against (N, C)

    def _activation(name, dim=None):
        n = name.lower()
        if n == "relu":
            return nn.ReLU(inplace=True)
        if n == "gelu":
            return nn.GELU()
        if n == "prelu":
            return nn.PReLU(num_parameters=dim or 1, init=0.25)
        raise ValueError(f"Unsupported activation: {name}")

    class GATConv(nn.Module):
        def __init__(self, in_dim, out_dim, *, heads=4, edge_dim=None, concat=True, negative_slope=0.2,
                     dropout_attn=0.0, add_self_loops=True, bias=True):
            super().__init__()
            self.in_dim, self.out_dim, self.heads = int(in_dim), int(out_dim), int(heads)
            self.edge_dim = edge_dim
            self.concat = bool(concat)
            self.negative_slope = float(negative_slope)
            self.dropout_attn = float(dropout_attn)
            self.add_self_loops = bool(add_self_loops)
            self.lin = nn.Linear(in_dim, heads * out_dim, bias=False)
            self.att_src = nn.Parameter(torch.empty(heads, out_dim))
            self.att_dst = nn.Parameter(torch.empty(heads, out_dim))
            if edge_dim is not None and edge_dim > 0:
                self.lin_edge = nn.Linear(edge_dim, heads * out_dim, bias=False)
                self.att_edge = nn.Parameter(torch.empty(heads, out_dim))
            else:
                self.lin_edge = None
                self.att_edge = None
            self.attn_drop = nn.Dropout(dropout_attn) if dropout_attn > 0 else nn.Identity()
            if bias:
                if self.concat:
                    self.bias = nn.Parameter(torch.zeros(heads * out_dim))
                else:
                    self.bias = nn.Parameter(torch.zeros(out_dim))
            else:
                self.register_parameter("bias", None)
            self.reset_parameters()

        def reset_parameters(self):
            nn.init.xavier_uniform_(self.lin.weight, gain=math.sqrt(2))
            nn.init.xavier_uniform_(self.att_src, gain=math.sqrt(2))
            nn.init.xavier_uniform_(self.att_dst, gain=math.sqrt(2))
            if self.lin_edge is not None:
                nn.init.xavier_uniform_(self.lin_edge.weight, gain=math.sqrt(2))
            if self.att_edge is not None:
                nn.init.xavier_uniform_(self.att_edge, gain=math.sqrt(2))
            if self.bias is not None:
                nn.init.zeros_(self.bias)

        def forward(self, x, edge_index, edge_attr=None):
            N = x.size(0)
            if self.add_self_loops:
                edge_index = _add_self_loops(edge_index, N)
                if edge_attr is not None and self.lin_edge is not None:
                    E = edge_index.size(1)
                    old_E = edge_attr.size(0)
                    pad = E - old_E
                    if pad > 0:
                        zeros = torch.zeros(pad, edge_attr.size(1), device=edge_attr.device, dtype=edge_attr.dtype)
                        edge_attr = torch.cat([edge_attr, zeros], dim=0)
            src, dst = edge_index[0], edge_index[1]
            x_proj = self.lin(x).view(N, self.heads, self.out_dim)  # [N, H, D]
            x_src = x_proj[src]  # [E, H, D]
            x_dst = x_proj[dst]  # [E, H, D]
            att = (x_src * self.att_src).sum(-1) + (x_dst * self.att_dst).sum(-1)  # [E, H]
            if self.lin_edge is not None and edge_attr is not None:
                e_proj = self.lin_edge(edge_attr).view(-1, self.heads, self.out_dim)  # [E, H, D]
                att = att + (e_proj * self.att_edge).sum(-1)  # [E, H]
            att = F.leaky_relu(att, negative_slope=self.negative_slope)
            alpha = _segment_softmax(att, dst)  # [E, H]
            alpha = self.attn_drop(alpha)
            m = x_src * alpha.unsqueeze(-1)  # [E, H, D]
            out = torch.zeros_like(x_proj)
            out = segment_sum(m, dst, N)
            if self.concat:
                out = out.reshape(N, self.heads * self.out_dim)  # [N, H*D]
            else:
                out = out.mean(dim=1)  # [N, D]
            if self.bias is not None:
                out = out + self.bias
            return out

    class _Norm(nn.Module):
        def __init__(self, dim, kind):
            super().__init__()
            k = kind.lower()
            self.kind = k
            if k == "layer":
                self.norm = nn.LayerNorm(dim)
            elif k in ("graph", "none"):
                self.norm = None
            else:
                raise ValueError(f"Unknown norm kind: {kind}")

        def forward(self, x, batch):
            if self.kind == "layer":
                return self.norm(x)
            if self.kind == "graph":
                return _maybe_graph_norm(x, batch)
            return x  # "none"

    class GATBlock(nn.Module):
        def __init__(self, in_dim, out_dim, *, heads, edge_dim, concat, act, norm, dropout, residual,
                     add_self_loops, attention_dropout):
            super().__init__()
            self.gat = GATConv(in_dim=in_dim, out_dim=out_dim, heads=heads, edge_dim=edge_dim, concat=concat,
                               dropout_attn=attention_dropout, add_self_loops=add_self_loops, bias=True)
            self.concat = concat
            self.out_dim = out_dim * heads if concat else out_dim
            self.act = _activation(act, dim=self.out_dim)
            self.norm = _Norm(self.out_dim, norm)
            self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
            self.use_res = bool(residual)
            if self.use_res:
                if in_dim != self.out_dim:
                    self.res_proj = nn.Linear(in_dim, self.out_dim, bias=False)
                else:
                    self.res_proj = nn.Identity()

        def forward(self, x, edge_index, edge_attr, batch):
            y = self.gat(x, edge_index, edge_attr)  # [N, C_out]
            if self.use_res:
                x = self.res_proj(x) + y
            else:
                x = y
            x = self.norm(x, batch)
            x = self.act(x)
            x = self.drop(x)
            return x

    @dataclass
    class GATConfig:
        in_dim: int
        out_dim: int
        hidden_dim: int = 128
        num_layers: int = 2
        heads: int = 4
        edge_dim: int = None
        norm: str = "layer"
        dropout: float = 0.1
        attention_dropout: float = 0.0
        act: str = "gelu"
        residual: bool = True
        add_self_loops: bool = True
        concat: bool = True
        final_concat: bool = False

    class GAT(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.cfg = cfg
            layers = []
            in_dim = cfg.in_dim
            for li in range(cfg.num_layers):
                is_last = li == (cfg.num_layers - 1)
                out_dim = cfg.out_dim if is_last else cfg.hidden_dim
                concat = cfg.concat if not is_last else cfg.final_concat
                block = GATBlock(in_dim=in_dim, out_dim=out_dim, heads=cfg.heads, edge_dim=cfg.edge_dim,
                                 concat=concat, act=cfg.act, norm=cfg.norm,
                                 dropout=cfg.dropout if not is_last else 0.0, residual=cfg.residual,
                                 add_self_loops=cfg.add_self_loops, attention_dropout=cfg.attention_dropout)
                layers.append(block)
                in_dim = block.out_dim
            self.layers = nn.ModuleList(layers)

        def forward(self, x, edge_index, edge_attr=None, batch=None):
            for layer in self.layers:
                x = layer(x, edge_index, edge_attr, batch)
            return x

    return GATConfig, GAT, _segment_softmax
