"""Recurrent architectures in pure PyTorch (tag: xlstm). This file: NX-AI/xlstm's sLSTM layer
on the vanilla backend (xlstm/blocks/slstm/cell.py: sLSTMCellConfig, sLSTMCellBase with the
ParameterProxy of xlstm/components/util.py, which writes the external view of the
recurrent kernel and bias back into the internal parameter through .data, the
powerlaw_blockdependent forget-gate bias init, sLSTMCell.__new__ choosing the backend,
sLSTMCell_vanilla's int/ext permutations; xlstm/blocks/slstm/layer.py sLSTMLayer with
CausalConv1d, four LinearHeadwiseExpand gates and MultiHeadLayerNorm), the GatedFeedForward
of xlstm/components/feedforward.py in a post-up-projection block, and a few AdamW steps.
Tiny sizes (embedding 16, 2 heads, context 8, batch 2)."""

from dataclasses import dataclass, field
from math import sqrt

import numpy as np
from s16_yunjey_progs import Out
from s23_xlstm_progs import _slstm
from s23_xlstm_progs_b import _components


def _slstm_classes(L):
    torch, nn = L, L.nn
    (bias_linspace_init_, small_init_init_, wang_init_, CausalConv1dConfig, CausalConv1d,
     LinearHeadwiseExpandConfig, LinearHeadwiseExpand, LayerNorm, MultiHeadLayerNorm) = _components(L)
    pointwise, slstm_forward = _slstm(L)

    class ParameterProxy:
        def __init__(self, module, parameter_name, internal_to_external, external_to_internal):
            self.module = module
            self.parameter_name = parameter_name
            self.internal_to_external = internal_to_external
            self.external_to_internal = external_to_internal

        def __getitem__(self, key):
            external_param = self.internal_to_external(getattr(self.module, self.parameter_name)).detach()
            return external_param[key]

        def __setitem__(self, key, value):
            with torch.no_grad():
                external_param = self.internal_to_external(getattr(self.module, self.parameter_name))
                external_param[key] = value
                getattr(self.module, self.parameter_name).data = self.external_to_internal(external_param).contiguous()

        def clone(self):
            return self.internal_to_external(getattr(self.module, self.parameter_name)).clone()

        @property
        def shape(self):
            return self.internal_to_external(getattr(self.module, self.parameter_name)).shape

        @property
        def grad(self):
            return self.internal_to_external(getattr(self.module, self.parameter_name).grad)

        def __getattr__(self, name):
            return getattr(getattr(self.module, self.parameter_name), name)

    @dataclass
    class sLSTMCellConfig:
        hidden_size: int = -1
        num_heads: int = 4
        num_states: int = 4
        backend: str = "cuda"
        function: str = "slstm"
        bias_init: str = "powerlaw_blockdependent"
        recurrent_weight_init: str = "zeros"
        _block_idx: int = 0
        _num_blocks: int = 1
        num_gates: int = 4
        input_shape: str = "BSGNH"
        internal_input_shape: str = "SBNGH"
        output_shape: str = "BNSH"
        constants: dict = field(default_factory=dict)

        @property
        def head_dim(self):
            return self.hidden_size // self.num_heads

    class sLSTMCellBase(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            head_dim = self.config.hidden_size // self.config.num_heads
            self._recurrent_kernel_ = nn.Parameter(torch.empty(self.config.num_heads, head_dim,
                                                               self.config.num_gates, head_dim))
            self.recurrent_kernel = ParameterProxy(self, "_recurrent_kernel", self._recurrent_kernel_int2ext,
                                                   self._recurrent_kernel_ext2int)
            self._recurrent_kernel_ = nn.Parameter(self._recurrent_kernel_ext2int(self._recurrent_kernel_.data))
            self._bias_ = nn.Parameter(torch.empty(self.config.num_heads, self.config.num_gates, head_dim))
            self.bias = ParameterProxy(self, "_bias", self._bias_int2ext, self._bias_ext2int)
            self._bias_ = nn.Parameter(self._bias_ext2int(self._bias_.data))
            self.reset_parameters()

        def __repr__(self):
            return (f"{self.__class__.__name__}(function={self.config.function}, "
                    f"hidden_size={self.config.hidden_size}, num_heads={self.config.num_heads})")

        @property
        def _recurrent_kernel(self):
            return self._recurrent_kernel_

        @property
        def _bias(self):
            return self._bias_

        def _permute_input(self, x):
            y = x.view(x.shape[0], x.shape[1], self.config.num_gates, self.config.num_heads, -1).permute(1, 0, 2, 3, 4)
            if self.config.internal_input_shape == "SBGNH":
                return y.view(y.shape[0], y.shape[1], -1)
            return y.permute(0, 1, 3, 2, 4).reshape(y.shape[0], y.shape[1], -1)

        def _permute_output(self, x):
            return x.view((x.shape[0], x.shape[1], self.config.num_heads, self.config.head_dim)).permute(1, 2, 0, 3)

        def reset_parameters(self):
            for h in range(self.config.num_heads):
                for i, gate in enumerate(["i", "f", "z", "o"]):
                    if self.config.recurrent_weight_init == "zeros":
                        self.recurrent_kernel[h, :, i, :] = nn.init.zeros_(self.recurrent_kernel[h, :, i, :])
                    elif self.config.recurrent_weight_init == "standard":
                        self.recurrent_kernel[h, :, i, :] = nn.init.uniform_(
                            self.recurrent_kernel[h, :, i, :], -1.0 / sqrt(self.config.hidden_size),
                            1.0 / sqrt(self.config.hidden_size))
            for h in range(self.config.num_heads):
                for i, gate in enumerate(["i", "f", "z", "o"]):
                    if self.config.bias_init == "powerlaw_blockdependent":
                        if gate == "f":
                            ratio_0_to_1 = (self.config._block_idx / (self.config._num_blocks - 1)
                                            if self.config._num_blocks > 1 else 0.0)
                            init_values = -(-5.0 + 12.0 * (torch.arange(self.config.head_dim)
                                                           / (self.config.head_dim - 1)) ** (0.3 + 1.3 * ratio_0_to_1))
                            with torch.no_grad():
                                self.bias[h, i, :] = init_values
                        else:
                            self.bias[h, i] = nn.init.zeros_(self.bias[h, i])
                    elif self.config.bias_init == "small_init":
                        if gate == "f":
                            self.bias[h, i] = bias_linspace_init_(self.bias[h, i], start=3.0, end=6.0)
                        else:
                            self.bias[h, i] = nn.init.zeros_(self.bias[h, i])

        def _get_state(self, input, state=None):
            if state is None:
                state = torch.zeros((self.config.num_states, input.shape[1], self.config.hidden_size),
                                    dtype=input.dtype, device=input.device)
            return state

        def forward(self, input, state=None, lengths=None):
            assert self.config.hidden_size * self.config.num_gates == input.size(-1)
            input = self._permute_input(input)
            states = self._get_state(input, state)
            all_states = self._impl(self.training, input, states)
            state = all_states[:, -1]
            output = self._permute_output(all_states[0][1:])
            if torch.is_autocast_enabled():
                return output, state
            return output.to(input.dtype), state.to(input.dtype)

    class sLSTMCell_vanilla(sLSTMCellBase):
        def __init__(self, config, skip_backend_init=False):
            super().__init__(config)
            self.pointwise = pointwise
            self.config.internal_input_shape = "SBGNH"

        def _recurrent_kernel_ext2int(self, k):
            c = self.config
            return k.reshape(c.num_heads, c.head_dim, c.num_gates, c.head_dim).permute(0, 2, 3, 1).reshape(
                c.num_heads, c.num_gates * c.head_dim, c.head_dim)

        def _recurrent_kernel_int2ext(self, k):
            c = self.config
            return k.reshape(c.num_heads, c.num_gates, c.head_dim, c.head_dim).permute(0, 3, 1, 2)

        def _bias_ext2int(self, b):
            c = self.config
            return b.reshape(c.num_heads, c.num_gates, c.head_dim).permute(1, 0, 2).reshape(-1)

        def _bias_int2ext(self, b):
            c = self.config
            return b.reshape(c.num_gates, c.num_heads, c.head_dim).permute(1, 0, 2)

        def _impl(self, training, input, state):
            return slstm_forward(input, state, self._recurrent_kernel, self._bias, self.pointwise,
                                 constants=self.config.constants)[0]

    class sLSTMCell(sLSTMCellBase):
        def __new__(cls, config, skip_backend_init=False):
            if config.backend == "vanilla":
                return sLSTMCell_vanilla(config)
            raise RuntimeError(f'sLSTMCell unknown backend {config.backend}, choose from ["cuda", "vanilla"]')

    class sLSTMLayer(nn.Module):
        def __init__(self, embedding_dim, num_heads, conv1d_kernel_size=4, **cell_kw):
            super().__init__()
            self.embedding_dim, self.num_heads = embedding_dim, num_heads
            self.conv1d = CausalConv1d(CausalConv1dConfig(feature_dim=embedding_dim, kernel_size=conv1d_kernel_size))
            self.conv_act_fn = nn.SiLU()
            mk = lambda: LinearHeadwiseExpand(LinearHeadwiseExpandConfig(in_features=embedding_dim,
                                                                         num_heads=num_heads, bias=False))
            self.fgate, self.igate, self.zgate, self.ogate = mk(), mk(), mk(), mk()
            self.slstm_cell = sLSTMCell(sLSTMCellConfig(hidden_size=embedding_dim, num_heads=num_heads,
                                                        backend="vanilla", **cell_kw))
            self.group_norm = MultiHeadLayerNorm(ndim=embedding_dim, weight=True)
            self.dropout = nn.Dropout(0.0)

        def forward(self, x, conv_state=None, slstm_state=None, return_last_state=False, **kwargs):
            B, S, _ = x.shape
            if return_last_state:
                x_conv, conv_state = self.conv1d(x, conv_state, return_last_state=return_last_state)
            else:
                x_conv = self.conv1d(x, conv_state, return_last_state=return_last_state)
            x_conv = self.conv_act_fn(x_conv)
            i, f, z, o = (self.fgate(x_conv), self.igate(x_conv), self.zgate(x), self.ogate(x))
            y, slstm_state = self.slstm_cell(torch.cat([i, f, z, o], dim=-1), state=slstm_state)
            y = self.dropout(y)
            out = self.group_norm(y).transpose(1, 2).view(B, S, -1)
            if return_last_state:
                return out, {"conv_state": conv_state, "slstm_state": slstm_state}
            return out

    class GatedFeedForward(nn.Module):
        def __init__(self, embedding_dim, proj_factor=1.3, act_fn="gelu"):
            super().__init__()
            self._proj_up_dim = 64 * ((int(proj_factor * embedding_dim) + 63) // 64) if embedding_dim > 64 \
                else round(proj_factor * embedding_dim)
            self.proj_up = nn.Linear(embedding_dim, 2 * self._proj_up_dim, bias=False)
            self.proj_down = nn.Linear(self._proj_up_dim, embedding_dim, bias=False)
            self.act_fn = {"gelu": nn.functional.gelu, "swish": nn.functional.silu,
                           "relu^2": lambda x: torch.square(nn.functional.relu(x))}[act_fn]
            self.dropout = nn.Dropout(0.0)
            small_init_init_(self.proj_up.weight, dim=embedding_dim)
            wang_init_(self.proj_down.weight, dim=embedding_dim, num_blocks=1)

        def forward(self, x, **kwargs):
            gate_preact, up_proj = self.proj_up(x).split(self._proj_up_dim, dim=-1)
            return self.dropout(self.proj_down(self.act_fn(gate_preact) * up_proj))

    class sLSTMBlock(nn.Module):
        def __init__(self, embedding_dim, num_heads, **cell_kw):
            super().__init__()
            self.xlstm_norm = LayerNorm(ndim=embedding_dim, weight=True, bias=False)
            self.xlstm = sLSTMLayer(embedding_dim, num_heads, **cell_kw)
            self.ffn_norm = LayerNorm(ndim=embedding_dim, weight=True, bias=False)
            self.ffn = GatedFeedForward(embedding_dim)

        def forward(self, x, **kwargs):
            x = x + self.xlstm(self.xlstm_norm(x), **kwargs)
            return x + self.ffn(self.ffn_norm(x), **kwargs)

    return sLSTMCellConfig, sLSTMCell, sLSTMLayer, sLSTMBlock


def slstm_layer_block(L):
    """The vanilla sLSTM cell behind its parameter proxies, the layer and a block; AdamW."""
    torch, nn = L, L.nn
    sLSTMCellConfig, sLSTMCell, sLSTMLayer, sLSTMBlock = _slstm_classes(L)
    with Out() as o:
        torch.manual_seed(0)
        E, NH, S, B = 16, 2, 8, 2
        cell = sLSTMCell(sLSTMCellConfig(hidden_size=E, num_heads=NH, backend="vanilla",
                                         recurrent_weight_init="standard", _block_idx=1, _num_blocks=3))
        o.print(cell)
        o.print(cell.recurrent_kernel.shape, cell._recurrent_kernel_.shape, cell.bias.shape, cell._bias_.shape)
        o.print(cell.bias[0, 1].numpy().round(4).tolist())
        o.print(cell.bias.requires_grad, cell.bias.dtype)
        o.tryit(lambda: sLSTMCell(sLSTMCellConfig(hidden_size=E, num_heads=NH, backend="triton")))
        x = torch.randn(B, S, 4 * E)
        out, state = cell(x)
        o.print(out.shape, state.shape)
        out.sum().backward()
        o.print(cell.recurrent_kernel.grad.shape, cell._bias_.grad.shape)
        o.vals += [out.detach(), state.detach(), cell._recurrent_kernel_.grad, cell._bias_.grad,
                   cell.recurrent_kernel.clone()]

        layer = sLSTMLayer(E, NH, bias_init="small_init")
        y, st = layer(torch.randn(B, S, E), return_last_state=True)
        o.print(y.shape, st["conv_state"].shape, st["slstm_state"].shape)
        o.vals += [y.detach(), st["slstm_state"].detach()]

        blocks = nn.Sequential(sLSTMBlock(E, NH), sLSTMBlock(E, NH, bias_init="small_init"))
        head = nn.Linear(E, 3)
        params = list(blocks.parameters()) + list(head.parameters())
        o.print(sum(p.numel() for p in params), len(params))
        opt = torch.optim.AdamW(params, lr=1e-2)
        rng = np.random.default_rng(1)
        xs = torch.from_numpy(rng.standard_normal((B, S, E)).astype(np.float32))
        ys = torch.from_numpy(rng.integers(0, 3, (B,)))
        for it in range(3):
            logits = head(blocks(xs)[:, -1])
            loss = nn.functional.cross_entropy(logits, ys)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f"epoch {it} loss {loss.item():.4f}")
        # the input-gate biases (the first E) are left out: their gradient is zero up to
        # rounding (a shift of every i cancels in c / n), which AdamW blows up to full steps
        o.vals += [logits.detach(), blocks[0].xlstm.slstm_cell._bias_.detach()[E:]]
    return o.done()
