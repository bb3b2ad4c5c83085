"""sam2's position_encoding.py (PositionEmbeddingSine, init_t_xy, the axial RoPE kept real:
see s23_sam_progs_f's docstring) and sam/transformer.py's Attention / RoPEAttention, plus the
programs: a Hiera forward / backward with drop path, the sine embeddings, and RoPE attention
with rope_k_repeat and num_k_exclude_rope (the memory-attention call pattern)."""

import math
from functools import partial

import numpy as np

from s23_sam_progs_f import sam2_modules


def sam2_pos_modules(L):
    torch, nn, F = L, L.nn, L.nn.functional

    class PositionEmbeddingSine(nn.Module):
        def __init__(self, num_pos_feats, temperature=10000, normalize=True, scale=None):
            super().__init__()
            assert num_pos_feats % 2 == 0, "Expecting even model width"
            self.num_pos_feats = num_pos_feats // 2
            self.temperature = temperature
            self.normalize = normalize
            if scale is not None and normalize is False:
                raise ValueError("normalize should be True if scale is passed")
            if scale is None:
                scale = 2 * math.pi
            self.scale = scale
            self.cache = {}

        def _encode_xy(self, x, y):
            assert len(x) == len(y) and x.ndim == y.ndim == 1
            x_embed = x * self.scale
            y_embed = y * self.scale
            dim_t = torch.arange(self.num_pos_feats, dtype=torch.float32, device=x.device)
            dim_t = self.temperature ** (2 * (dim_t // 2) / self.num_pos_feats)
            pos_x = x_embed[:, None] / dim_t
            pos_y = y_embed[:, None] / dim_t
            pos_x = torch.stack((pos_x[:, 0::2].sin(), pos_x[:, 1::2].cos()), dim=2).flatten(1)
            pos_y = torch.stack((pos_y[:, 0::2].sin(), pos_y[:, 1::2].cos()), dim=2).flatten(1)
            return pos_x, pos_y

        @torch.no_grad()
        def encode_boxes(self, x, y, w, h):
            pos_x, pos_y = self._encode_xy(x, y)
            pos = torch.cat((pos_y, pos_x, h[:, None], w[:, None]), dim=1)
            return pos

        encode = encode_boxes

        @torch.no_grad()
        def encode_points(self, x, y, labels):
            (bx, nx), (by, ny), (bl, nl) = x.shape, y.shape, labels.shape
            assert bx == by and nx == ny and bx == bl and nx == nl
            pos_x, pos_y = self._encode_xy(x.flatten(), y.flatten())
            pos_x, pos_y = pos_x.reshape(bx, nx, -1), pos_y.reshape(by, ny, -1)
            pos = torch.cat((pos_y, pos_x, labels[:, :, None]), dim=2)
            return pos

        @torch.no_grad()
        def forward(self, x):
            cache_key = (x.shape[-2], x.shape[-1])
            if cache_key in self.cache:
                return self.cache[cache_key][None].repeat(x.shape[0], 1, 1, 1)
            y_embed = (torch.arange(1, x.shape[-2] + 1, dtype=torch.float32, device=x.device)
                       .view(1, -1, 1).repeat(x.shape[0], 1, x.shape[-1]))
            x_embed = (torch.arange(1, x.shape[-1] + 1, dtype=torch.float32, device=x.device)
                       .view(1, 1, -1).repeat(x.shape[0], x.shape[-2], 1))
            if self.normalize:
                eps = 1e-6
                y_embed = y_embed / (y_embed[:, -1:, :] + eps) * self.scale
                x_embed = x_embed / (x_embed[:, :, -1:] + eps) * self.scale
            dim_t = torch.arange(self.num_pos_feats, dtype=torch.float32, device=x.device)
            dim_t = self.temperature ** (2 * (dim_t // 2) / self.num_pos_feats)
            pos_x = x_embed[:, :, :, None] / dim_t
            pos_y = y_embed[:, :, :, None] / dim_t
            pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
            pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
            pos = torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)
            self.cache[cache_key] = pos[0]
            return pos

    def init_t_xy(end_x, end_y):
        t = torch.arange(end_x * end_y, dtype=torch.float32)
        t_x = (t % end_x).float()
        t_y = torch.div(t, end_x, rounding_mode="floor").float()
        return t_x, t_y

    def compute_axial_cis(dim, end_x, end_y, theta=10000.0):
        # real form of the original: torch.polar(ones, freqs) kept as (cos, sin) on a last axis
        freqs_x = 1.0 / (theta ** (torch.arange(0, dim, 4)[: (dim // 4)].float() / dim))
        freqs_y = 1.0 / (theta ** (torch.arange(0, dim, 4)[: (dim // 4)].float() / dim))
        t_x, t_y = init_t_xy(end_x, end_y)
        freqs_x = torch.outer(t_x, freqs_x)
        freqs_y = torch.outer(t_y, freqs_y)
        freqs = torch.cat([freqs_x, freqs_y], dim=-1)
        return torch.stack([torch.cos(freqs), torch.sin(freqs)], dim=-1)

    def reshape_for_broadcast(freqs_cis, x):
        ndim = x.ndim
        assert 0 <= 1 < ndim
        assert freqs_cis.shape == (x.shape[-3], x.shape[-2], 2)
        shape = [d if i >= ndim - 3 else 1 for i, d in enumerate(x.shape)]
        return freqs_cis.view(*shape)

    def _rotate(x_, f):
        a, b = x_[..., 0], x_[..., 1]
        c, s = f[..., 0], f[..., 1]
        return torch.stack([a * c - b * s, a * s + b * c], dim=-1)

    def apply_rotary_enc(xq, xk, freqs_cis, repeat_freqs_k=False):
        xq_ = xq.float().reshape(*xq.shape[:-1], -1, 2)
        xk_ = xk.float().reshape(*xk.shape[:-1], -1, 2) if xk.shape[-2] != 0 else None
        freqs_cis = reshape_for_broadcast(freqs_cis, xq_)
        xq_out = _rotate(xq_, freqs_cis).flatten(3)
        if xk_ is None:
            return xq_out.type_as(xq).to(xq.device), xk
        if repeat_freqs_k:
            r = xk_.shape[-3] // xq_.shape[-3]
            freqs_cis = freqs_cis.repeat(*([1] * (freqs_cis.ndim - 3)), r, 1, 1)
        xk_out = _rotate(xk_, freqs_cis).flatten(3)
        return xq_out.type_as(xq).to(xq.device), xk_out.type_as(xk).to(xk.device)

    class Attention(nn.Module):
        def __init__(self, embedding_dim, num_heads, downsample_rate=1, dropout=0.0, kv_in_dim=None):
            super().__init__()
            self.embedding_dim = embedding_dim
            self.kv_in_dim = kv_in_dim if kv_in_dim is not None else embedding_dim
            self.internal_dim = embedding_dim // downsample_rate
            self.num_heads = num_heads
            assert self.internal_dim % num_heads == 0, "num_heads must divide embedding_dim."
            self.q_proj = nn.Linear(embedding_dim, self.internal_dim)
            self.k_proj = nn.Linear(self.kv_in_dim, self.internal_dim)
            self.v_proj = nn.Linear(self.kv_in_dim, self.internal_dim)
            self.out_proj = nn.Linear(self.internal_dim, embedding_dim)
            self.dropout_p = dropout

        def _separate_heads(self, x, num_heads):
            b, n, c = x.shape
            x = x.reshape(b, n, num_heads, c // num_heads)
            return x.transpose(1, 2)

        def _recombine_heads(self, x):
            b, n_heads, n_tokens, c_per_head = x.shape
            x = x.transpose(1, 2)
            return x.reshape(b, n_tokens, n_heads * c_per_head)

    class RoPEAttention(Attention):
        def __init__(self, *args, rope_theta=10000.0, rope_k_repeat=False, feat_sizes=(32, 32),
                     **kwargs):
            super().__init__(*args, **kwargs)
            self.compute_cis = partial(compute_axial_cis, dim=self.internal_dim // self.num_heads,
                                       theta=rope_theta)
            freqs_cis = self.compute_cis(end_x=feat_sizes[0], end_y=feat_sizes[1])
            self.freqs_cis = freqs_cis
            self.rope_k_repeat = rope_k_repeat

        def forward(self, q, k, v, num_k_exclude_rope=0):
            q = self.q_proj(q)
            k = self.k_proj(k)
            v = self.v_proj(v)
            q = self._separate_heads(q, self.num_heads)
            k = self._separate_heads(k, self.num_heads)
            v = self._separate_heads(v, self.num_heads)
            w = h = math.sqrt(q.shape[-2])
            self.freqs_cis = self.freqs_cis.to(q.device)
            if self.freqs_cis.shape[0] != q.shape[-2]:
                self.freqs_cis = self.compute_cis(end_x=w, end_y=h).to(q.device)
            if q.shape[-2] != k.shape[-2]:
                assert self.rope_k_repeat
            num_k_rope = k.size(-2) - num_k_exclude_rope
            q, k[:, :, :num_k_rope] = apply_rotary_enc(q, k[:, :, :num_k_rope],
                                                       freqs_cis=self.freqs_cis,
                                                       repeat_freqs_k=self.rope_k_repeat)
            dropout_p = self.dropout_p if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
            out = self._recombine_heads(out)
            out = self.out_proj(out)
            return out

    return dict(PositionEmbeddingSine=PositionEmbeddingSine, init_t_xy=init_t_xy,
                compute_axial_cis=compute_axial_cis, apply_rotary_enc=apply_rotary_enc,
                RoPEAttention=RoPEAttention)


def hiera(torch):
    H = sam2_modules(torch)
    out, vals = [], []
    torch.manual_seed(0)
    net = H["Hiera"](embed_dim=8, num_heads=1, drop_path_rate=0.2, q_pool=2, stages=(1, 2, 2),
                     window_pos_embed_bkg_spatial_size=(3, 3), window_spec=(4, 2, 2),
                     global_att_blocks=(4,))
    with torch.no_grad():
        torch.nn.init.normal_(net.pos_embed, std=0.5)
        torch.nn.init.normal_(net.pos_embed_window, std=0.5)
    out.append(f"stage_ends {net.stage_ends} q_pool_blocks {net.q_pool_blocks} channels {net.channel_list}")
    out.append(str([(b.dim, b.dim_out, b.window_size, b.q_stride, type(b.drop_path).__name__)
                    for b in net.blocks]))
    rng = np.random.default_rng(7)
    x = torch.from_numpy(rng.standard_normal((2, 3, 32, 32)).astype(np.float32))
    pe = net._get_pos_embed((8, 8))
    out.append(f"pos_embed {tuple(pe.shape)}")
    vals.append(pe)
    net.eval()
    feats = net(x)
    out.append(str([tuple(f.shape) for f in feats]))
    vals += [f.detach() for f in feats]
    net.train()
    torch.manual_seed(3)
    feats = net(x)
    loss = sum(f.pow(2).mean() for f in feats)
    loss.backward()
    out.append(f"train loss {loss.item():.4f}")
    vals += [loss, net.pos_embed.grad, net.pos_embed_window.grad, net.blocks[1].proj.weight.grad]
    return out, vals


def sam2_position(torch):
    P = sam2_pos_modules(torch)
    out, vals = [], []
    pe = P["PositionEmbeddingSine"](16)
    x = torch.zeros(2, 8, 3, 5)
    pos = pe(x)
    out.append(f"pos {tuple(pos.shape)} {pos.dtype} cache {list(pe.cache)} {pos.requires_grad}")
    pos2 = pe(torch.zeros(3, 8, 3, 5))
    out.append(f"cached {tuple(pos2.shape)} {torch.equal(pos2[0], pos[0])}")
    vals += [pos, pos2]
    xs = torch.tensor([[0.1, 0.5], [0.9, 0.25]])
    ys = torch.tensor([[0.3, 0.0], [1.0, 0.75]])
    labels = torch.tensor([[1, 0], [2, 3]])
    pts = pe.encode_points(xs, ys, labels)
    out.append(f"points {tuple(pts.shape)} {pts.dtype}")
    boxes = pe.encode_boxes(xs[0], ys[0], torch.tensor([0.2, 0.4]), torch.tensor([0.5, 0.1]))
    out.append(f"boxes {tuple(boxes.shape)}")
    vals += [pts, boxes]
    try:
        P["PositionEmbeddingSine"](16, normalize=False, scale=2.0)
    except ValueError as e:
        out.append(f"ValueError {e}")
    t_x, t_y = P["init_t_xy"](3, 2)
    out.append(f"t {t_x.tolist()} {t_y.tolist()} {t_x.dtype}")
    cis = P["compute_axial_cis"](8, 4, 4)
    out.append(f"cis {tuple(cis.shape)}")
    vals.append(cis)
    return out, vals


def rope_attention(torch):
    P = sam2_pos_modules(torch)
    out, vals = [], []
    torch.manual_seed(0)
    self_attn = P["RoPEAttention"](16, 1, downsample_rate=1, dropout=0.1, rope_theta=10000.0,
                                   feat_sizes=(4, 4))
    cross_attn = P["RoPEAttention"](16, 1, downsample_rate=1, dropout=0.1, kv_in_dim=8,
                                    rope_k_repeat=True, feat_sizes=(4, 4))
    rng = np.random.default_rng(8)
    tgt = torch.from_numpy(rng.standard_normal((2, 16, 16)).astype(np.float32)).requires_grad_()
    memory = torch.from_numpy(rng.standard_normal((2, 2 * 16 + 4, 8)).astype(np.float32))
    self_attn.eval()
    cross_attn.eval()
    y = self_attn(tgt, tgt, tgt)
    out.append(f"self {tuple(y.shape)} freqs {tuple(self_attn.freqs_cis.shape)}")
    z = cross_attn(q=y, k=memory, v=memory, num_k_exclude_rope=4)
    out.append(f"cross {tuple(z.shape)}")
    (z.pow(2).sum() + y.sum()).backward()
    vals += [y, z, tgt.grad, cross_attn.k_proj.weight.grad]
    tgt9 = torch.from_numpy(rng.standard_normal((1, 9, 16)).astype(np.float32))
    y9 = self_attn(tgt9, tgt9, tgt9)
    out.append(f"recomputed freqs {tuple(self_attn.freqs_cis.shape)} {tuple(y9.shape)}")
    vals.append(y9)
    try:
        self_attn(tgt9, memory[:, :, :0].new_zeros(1, 5, 16), memory.new_zeros(1, 5, 16))
    except AssertionError as e:
        out.append(f"AssertionError {e!r}")
    return out, vals
