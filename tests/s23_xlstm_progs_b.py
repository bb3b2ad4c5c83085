"""Recurrent architectures in pure PyTorch (tag: xlstm). This file: NX-AI/xlstm's mLSTM layer
(xlstm/blocks/mlstm/layer.py, cell.py) with its components (xlstm/components/conv.py
CausalConv1d and conv1d_step, linear_headwise.py LinearHeadwiseExpand with its einsum,
ln.py LayerNorm / MultiHeadLayerNorm through F.group_norm, init.py small_init / wang_init /
bias_linspace_init_), a pre-norm residual block stack, the parallel forward checked against
the step-by-step recurrent form as the repository's tests do, and a few AdamW steps on a
next-token task. Tiny sizes (embedding 16, 2 heads, context 8, batch 2)."""

import math
from dataclasses import dataclass, field

import numpy as np
from s16_yunjey_progs import Out
from s23_xlstm_progs import _backends


def _components(L):
    torch, nn, F = L, L.nn, L.nn.functional

    def bias_linspace_init_(param, start=3.4, end=6.0):
        assert param.dim() == 1, f"param must be 1-dimensional (typically a bias), got {param.dim()}"
        n_dims = param.shape[0]
        init_vals = torch.linspace(start, end, n_dims)
        with torch.no_grad():
            param.copy_(init_vals)
        return param

    def small_init_init_(param, dim):
        std = math.sqrt(2 / (5 * dim))
        torch.nn.init.normal_(param, mean=0.0, std=std)
        return param

    def wang_init_(param, dim, num_blocks):
        std = 2 / num_blocks / math.sqrt(dim)
        torch.nn.init.normal_(param, mean=0.0, std=std)
        return param

    @dataclass
    class CausalConv1dConfig:
        feature_dim: int = None  # F
        kernel_size: int = 4
        causal_conv_bias: bool = True
        channel_mixing: bool = False
        conv1d_kwargs: dict = field(default_factory=dict)

    def conv1d_step(x, conv_state, conv1d_weight, conv1d_bias=None):
        assert x.shape[0] == conv_state.shape[0]
        assert x.shape[2] == conv_state.shape[2]
        assert x.shape[1] == 1, f"x has sequence length {x.shape[1]} but it should be 1"
        conv_state.copy_(torch.roll(conv_state, shifts=-1, dims=1))
        conv_state[:, -1:, :] = x
        y = torch.sum(conv_state * conv1d_weight, dim=1, keepdim=True)
        if conv1d_bias is not None:
            y += conv1d_bias
        return y, conv_state

    class CausalConv1d(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            self.groups = self.config.feature_dim
            if self.config.channel_mixing:
                self.groups = 1
            self.pad = self.config.kernel_size - 1  # padding of this size assures temporal causality.
            self.conv = nn.Conv1d(
                in_channels=self.config.feature_dim,
                out_channels=self.config.feature_dim,
                kernel_size=self.config.kernel_size,
                padding=self.pad,
                groups=self.groups,
                bias=self.config.causal_conv_bias,
                **self.config.conv1d_kwargs,
            )
            self.reset_parameters()

        def reset_parameters(self, **kwargs):
            self.conv.reset_parameters()

        def forward(self, x, conv_state=None, return_last_state=False):
            if conv_state is not None:
                x = torch.cat([conv_state, x], dim=1)
            y = x.transpose(2, 1)  # (B,F,T) tensor - now in the right shape for conv layer.
            y = self.conv(y)  # (B,F,T+pad) tensor
            if conv_state is not None:
                y = y[:, :, conv_state.shape[1]:]
            if return_last_state:
                return y[:, :, : -self.pad].transpose(2, 1), x[:, -self.pad:]
            return y[:, :, : -self.pad].transpose(2, 1)

        def step(self, x, conv_state=None):
            B, S, D = x.shape
            if conv_state is None:
                conv_state = (torch.zeros(size=(B, self.config.kernel_size, D), device=self.conv.weight.device,
                                          dtype=self.conv.weight.dtype),)
            y, conv_state = conv1d_step(x, conv_state[0], self.conv.weight[:, 0, :].transpose(0, 1),
                                        conv1d_bias=self.conv.bias if self.config.causal_conv_bias else None)
            return y, (conv_state,)

    @dataclass
    class LinearHeadwiseExpandConfig:
        in_features: int = 0
        num_heads: int = -1
        expand_factor_up: float = 1
        _out_features: int = -1
        bias: bool = True
        trainable_weight: bool = True
        trainable_bias: bool = True

        def __post_init__(self):
            assert self.num_heads > 0, "num_heads must be set"
            assert self.in_features % self.num_heads == 0, "in_features must be a multiple of num_heads"
            if self._out_features < 0:
                self._out_features = round(self.expand_factor_up * self.in_features)

    class LinearHeadwiseExpand(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            in_features = self.config.in_features
            num_heads = self.config.num_heads
            out_features_per_head = config._out_features // num_heads
            self.weight = nn.Parameter(torch.empty(num_heads, out_features_per_head, in_features // num_heads),
                                       requires_grad=config.trainable_weight)
            if config.bias:
                self.bias = nn.Parameter(torch.empty(config._out_features), requires_grad=config.trainable_bias)
            else:
                self.bias = None
            self.reset_parameters()

        def reset_parameters(self, **kwargs):
            nn.init.normal_(self.weight.data, mean=0.0, std=math.sqrt(2 / 5 / self.weight.shape[-1]))
            if self.bias is not None:
                nn.init.zeros_(self.bias.data)

        def forward(self, x):
            shape = x.shape
            x = x.view(*shape[:-1], self.config.num_heads, -1)
            x = torch.einsum("...hd,hod->...ho", x, self.weight)
            x = x.reshape(*shape[:-1], -1)
            if self.bias is not None:
                x = x + self.bias
            return x

        def extra_repr(self):
            return (f"in_features={self.config.in_features}, num_heads={self.config.num_heads}, "
                    f"expand_factor_up={self.config.expand_factor_up}, bias={self.config.bias}, ")

    class LayerNorm(nn.Module):
        def __init__(self, ndim=-1, weight=True, bias=False, eps=1e-5, residual_weight=True):
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(ndim)) if weight else None
            self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None
            self.eps = eps
            self.residual_weight = residual_weight
            self.ndim = ndim
            self.reset_parameters()

        @property
        def weight_proxy(self):
            if self.weight is None:
                return None
            if self.residual_weight:
                return 1.0 + self.weight
            return self.weight

        def forward(self, input):
            return F.layer_norm(input, normalized_shape=(self.ndim,), weight=self.weight_proxy,
                                bias=self.bias, eps=self.eps)

        def reset_parameters(self):
            if self.weight_proxy is not None:
                if self.residual_weight:
                    nn.init.zeros_(self.weight)
                else:
                    nn.init.ones_(self.weight)
            if self.bias is not None:
                nn.init.zeros_(self.bias)

    class MultiHeadLayerNorm(LayerNorm):
        def forward(self, input):
            assert input.dim() == 4, "Input must be 4D tensor (B, NH, S, DH)"
            B, NH, S, DH = input.shape
            gn_in_1 = input.transpose(1, 2)  # (B, S, NH, DH)
            gn_in_2 = gn_in_1.reshape(B * S, NH * DH)  # (B * S, NH * DH)
            out = F.group_norm(gn_in_2, num_groups=NH, weight=self.weight_proxy, bias=self.bias, eps=self.eps)
            out = out.view(B, S, NH, DH).transpose(1, 2)
            return out

    return (bias_linspace_init_, small_init_init_, wang_init_, CausalConv1dConfig, CausalConv1d,
            LinearHeadwiseExpandConfig, LinearHeadwiseExpand, LayerNorm, MultiHeadLayerNorm)


def _mlstm_layer(L):
    torch, nn = L, L.nn
    (bias_linspace_init_, small_init_init_, wang_init_, CausalConv1dConfig, CausalConv1d,
     LinearHeadwiseExpandConfig, LinearHeadwiseExpand, LayerNorm, MultiHeadLayerNorm) = _components(L)
    parallel_stabilized_simple, recurrent_step_stabilized_simple, _ = _backends(L)

    class mLSTMCell(nn.Module):
        def __init__(self, context_length, embedding_dim, num_heads):
            super().__init__()
            self.num_heads = num_heads
            self.igate = nn.Linear(3 * embedding_dim, num_heads)
            self.fgate = nn.Linear(3 * embedding_dim, num_heads)
            self.outnorm = MultiHeadLayerNorm(ndim=embedding_dim, weight=True, bias=False)
            self.register_buffer("causal_mask",
                                 torch.tril(torch.ones(context_length, context_length, dtype=torch.bool)),
                                 persistent=False)
            self.reset_parameters()

        def _gates(self, q, k, v):
            B, S, _ = q.shape
            if_gate_input = torch.cat([q, k, v], dim=-1)
            q, k, v = (t.view(B, S, self.num_heads, -1).transpose(1, 2) for t in (q, k, v))
            igate_preact = self.igate(if_gate_input).transpose(-1, -2).unsqueeze(-1)  # (B, NH, S, 1)
            fgate_preact = self.fgate(if_gate_input).transpose(-1, -2).unsqueeze(-1)  # (B, NH, S, 1)
            return q, k, v, igate_preact, fgate_preact

        def forward(self, q, k, v, **kwargs):
            B, S, _ = q.shape
            q, k, v, igate_preact, fgate_preact = self._gates(q, k, v)
            h_state = parallel_stabilized_simple(queries=q, keys=k, values=v, igate_preact=igate_preact,
                                                 fgate_preact=fgate_preact,
                                                 lower_triangular_matrix=self.causal_mask)
            h_state_norm = self.outnorm(h_state)
            return h_state_norm.transpose(1, 2).reshape(B, S, -1)

        def step(self, q, k, v, mlstm_state=None, **kwargs):
            B, S, _ = q.shape
            assert S == 1, f"mLSTMCell.step only supports sequence length S=1, but got S={S}."
            q, k, v, igate_preact, fgate_preact = self._gates(q, k, v)
            _, NH, _, DH = q.shape
            if mlstm_state is None:
                c_state = torch.zeros(size=(B, NH, DH, DH), device=q.device, dtype=q.dtype)
                n_state = torch.zeros(size=(B, NH, DH, 1), device=q.device, dtype=q.dtype)
                m_state = torch.zeros(size=(B, NH, 1, 1), device=q.device, dtype=q.dtype)
            else:
                c_state, n_state, m_state = mlstm_state
                c_state = c_state.to(device=q.device, dtype=q.dtype)
            h_state, mlstm_state = recurrent_step_stabilized_simple(
                c_state=c_state, n_state=n_state, m_state=m_state, q=q, k=k, v=v,
                igate_preact=igate_preact, fgate_preact=fgate_preact)
            h_state_norm = self.outnorm(h_state)
            return h_state_norm.transpose(1, 2).reshape(B, S, -1), mlstm_state

        def reset_parameters(self):
            self.outnorm.reset_parameters()
            torch.nn.init.zeros_(self.fgate.weight)
            bias_linspace_init_(self.fgate.bias, start=3.0, end=6.0)
            torch.nn.init.zeros_(self.igate.weight)
            torch.nn.init.normal_(self.igate.bias, mean=0.0, std=0.1)

    class mLSTMLayer(nn.Module):
        def __init__(self, embedding_dim, num_heads, context_length, proj_factor=2.0, conv1d_kernel_size=4,
                     qkv_proj_blocksize=4, num_blocks=1, bias=False):
            super().__init__()
            self.embedding_dim = embedding_dim
            self.inner = inner = round(proj_factor * embedding_dim)
            self.num_blocks = num_blocks
            self.proj_up = nn.Linear(embedding_dim, 2 * inner, bias=bias)
            num_proj_heads = round(inner // qkv_proj_blocksize)
            mk = lambda: LinearHeadwiseExpand(LinearHeadwiseExpandConfig(in_features=inner,
                                                                         num_heads=num_proj_heads, bias=bias))
            self.q_proj, self.k_proj, self.v_proj = mk(), mk(), mk()
            self.conv1d = CausalConv1d(CausalConv1dConfig(feature_dim=inner, kernel_size=conv1d_kernel_size))
            self.conv_act_fn = nn.SiLU()
            self.mlstm_cell = mLSTMCell(context_length, inner, num_heads)
            self.ogate_act_fn = nn.SiLU()
            self.learnable_skip = nn.Parameter(torch.ones(inner, requires_grad=True))
            self.proj_down = nn.Linear(inner, embedding_dim, bias=bias)
            self.dropout = nn.Dropout(0.0)
            self.reset_parameters()

        def forward(self, x, **kwargs):
            x_inner = self.proj_up(x)
            x_mlstm, z = torch.split(x_inner, split_size_or_sections=self.inner, dim=-1)
            x_mlstm_conv_act = self.conv_act_fn(self.conv1d(x_mlstm))
            q = self.q_proj(x_mlstm_conv_act)
            k = self.k_proj(x_mlstm_conv_act)
            v = self.v_proj(x_mlstm)
            h_tilde_state = self.mlstm_cell(q=q, k=k, v=v)
            h_tilde_state_skip = h_tilde_state + (self.learnable_skip * x_mlstm_conv_act)
            h_state = h_tilde_state_skip * self.ogate_act_fn(z)
            return self.dropout(self.proj_down(h_state))

        def step(self, x, mlstm_state=None, conv_state=None):
            x_inner = self.proj_up(x)
            x_mlstm, z = torch.split(x_inner, split_size_or_sections=self.inner, dim=-1)
            x_mlstm_conv, conv_state = self.conv1d.step(x_mlstm, conv_state=conv_state)
            x_mlstm_conv_act = self.conv_act_fn(x_mlstm_conv)
            q = self.q_proj(x_mlstm_conv_act)
            k = self.k_proj(x_mlstm_conv_act)
            v = self.v_proj(x_mlstm)
            h_tilde_state, mlstm_state = self.mlstm_cell.step(q=q, k=k, v=v, mlstm_state=mlstm_state)
            h_tilde_state_skip = h_tilde_state + (self.learnable_skip * x_mlstm_conv_act)
            h_state = h_tilde_state_skip * self.ogate_act_fn(z)
            y = self.dropout(self.proj_down(h_state))
            return y, {"mlstm_state": mlstm_state, "conv_state": conv_state}

        def reset_parameters(self):
            small_init_init_(self.proj_up.weight, dim=self.embedding_dim)
            wang_init_(self.proj_down.weight, dim=self.embedding_dim, num_blocks=self.num_blocks)
            nn.init.ones_(self.learnable_skip)
            for p in (self.q_proj, self.k_proj, self.v_proj):
                small_init_init_(p.weight, dim=self.embedding_dim)
            self.mlstm_cell.reset_parameters()

    class mLSTMBlock(nn.Module):
        def __init__(self, embedding_dim, num_heads, context_length, num_blocks):
            super().__init__()
            self.xlstm_norm = LayerNorm(ndim=embedding_dim, weight=True, bias=False)
            self.xlstm = mLSTMLayer(embedding_dim, num_heads, context_length, num_blocks=num_blocks)

        def forward(self, x, **kwargs):
            return x + self.xlstm(self.xlstm_norm(x), **kwargs)

        def step(self, x, **kwargs):
            x_xlstm, xlstm_state = self.xlstm.step(self.xlstm_norm(x), **kwargs)
            return x + x_xlstm, xlstm_state

    class xLSTMBlockStack(nn.Module):
        def __init__(self, embedding_dim, num_heads, context_length, num_blocks):
            super().__init__()
            self.blocks = nn.ModuleList([mLSTMBlock(embedding_dim, num_heads, context_length, num_blocks)
                                         for _ in range(num_blocks)])
            self.post_blocks_norm = LayerNorm(ndim=embedding_dim)

        def forward(self, x, **kwargs):
            for block in self.blocks:
                x = block(x, **kwargs)
            return self.post_blocks_norm(x)

        def step(self, x, state=None):
            if state is None:
                state = {}
            for block_idx, block in enumerate(self.blocks):
                x, state[f"block_{block_idx}"] = block.step(x, **state.get(f"block_{block_idx}", {}))
            return self.post_blocks_norm(x), state

    return mLSTMLayer, xLSTMBlockStack


def mlstm_layer_stack(L):
    """An xLSTM LM on mLSTM blocks: forward, step-by-step equivalence, AdamW steps."""
    torch, nn = L, L.nn
    mLSTMLayer, xLSTMBlockStack = _mlstm_layer(L)
    with Out() as o:
        torch.manual_seed(0)
        E, NH, S, B, V = 16, 2, 8, 2, 11
        layer = mLSTMLayer(E, NH, S)
        o.print(layer.q_proj)
        o.print([(n, tuple(p.shape)) for n, p in layer.named_parameters()])
        x = torch.randn(B, S, E)
        y = layer(x)
        o.print(y.shape, y.dtype)
        with torch.no_grad():
            state, conv_state, ys = None, None, []
            for t in range(S):
                yt, st = layer.step(x[:, t:t + 1], mlstm_state=state, conv_state=conv_state)
                state, conv_state = st["mlstm_state"], st["conv_state"]
                ys.append(yt)
            y_rec = torch.cat(ys, dim=1)
        o.print("layer parallel vs recurrent:", torch.allclose(y, y_rec, atol=1e-5, rtol=1e-4))

        emb = nn.Embedding(V, E)
        stack = xLSTMBlockStack(E, NH, S, num_blocks=2)
        head = nn.Linear(E, V, bias=False)
        params = list(emb.parameters()) + list(stack.parameters()) + list(head.parameters())
        opt = torch.optim.AdamW(params, lr=3e-3, weight_decay=0.1)
        rng = np.random.default_rng(0)
        ids = torch.from_numpy(rng.integers(0, V, (B, S + 1)))
        for it in range(3):
            logits = head(stack(emb(ids[:, :-1])))
            loss = nn.functional.cross_entropy(logits.view(-1, V), ids[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            o.print(f"step {it} loss {loss.item():.4f} grad norm {gn.item():.4f}")
        with torch.no_grad():
            out_par = stack(emb(ids[:, :-1]))
            st, outs = None, []
            for t in range(S):
                ot, st = stack.step(emb(ids[:, t:t + 1]), st)
                outs.append(ot)
            out_rec = torch.cat(outs, dim=1)
        o.print("stack parallel vs recurrent:", torch.allclose(out_par, out_rec, atol=1e-4, rtol=1e-3))
        o.print(sorted(st.keys()), st["block_0"]["mlstm_state"][0].shape, st["block_1"]["conv_state"][0].shape)
        o.vals += [y.detach(), y_rec, out_par, out_rec, layer.q_proj.weight, stack.blocks[0].xlstm.conv1d.conv.weight,
                   loss.detach(), gn]
    return o.done()
