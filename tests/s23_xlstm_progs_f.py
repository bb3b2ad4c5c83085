"""Recurrent architectures in pure PyTorch (tag: xlstm). This file: state-spaces/mamba's
mamba_ssm/modules/mamba_simple.py Mamba on its slow path (no causal_conv1d / triton kernels:
nn.Conv1d then selective_scan_ref from s23_xlstm_progs_c), with the dt_proj bias set to the
inverse softplus of a log-uniform dt, the S4D-real A_log, the _no_reinit / _no_weight_decay
marks; decoding with mamba_ssm/utils/generation.py's InferenceParams (prefill with F.pad's
negative padding into the conv state, then step() one token at a time through torch.roll /
copy_ / einsum) checked against the full forward, as the repository's generation test does;
and a few AdamW steps with the no-weight-decay parameters in their own group. einops'
rearrange / repeat written as the torch calls they stand for. Tiny sizes."""

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from s16_yunjey_progs import Out
from s23_xlstm_progs_c import _scan


def _mamba(L):
    torch, nn, F = L, L.nn, L.nn.functional
    selective_scan_fn = _scan(L)

    @dataclass
    class InferenceParams:
        max_seqlen: int
        max_batch_size: int
        seqlen_offset: int = 0
        batch_size_offset: int = 0
        key_value_memory_dict: dict = field(default_factory=dict)
        lengths_per_sample: Optional[object] = None

    class Mamba(nn.Module):
        def __init__(self, d_model, d_state=16, d_conv=4, expand=2, dt_rank="auto", dt_min=0.001,
                     dt_max=0.1, dt_init="random", dt_scale=1.0, dt_init_floor=1e-4, conv_bias=True,
                     bias=False, use_fast_path=True, layer_idx=None, device=None, dtype=None):
            factory_kwargs = {"device": device, "dtype": dtype}
            super().__init__()
            self.d_model = d_model
            self.d_state = d_state
            self.d_conv = d_conv
            self.expand = expand
            self.d_inner = int(self.expand * self.d_model)
            self.dt_rank = math.ceil(self.d_model / 16) if dt_rank == "auto" else dt_rank
            self.use_fast_path = use_fast_path
            self.layer_idx = layer_idx
            self.in_proj = nn.Linear(self.d_model, self.d_inner * 2, bias=bias, **factory_kwargs)
            self.conv1d = nn.Conv1d(in_channels=self.d_inner, out_channels=self.d_inner, bias=conv_bias,
                                    kernel_size=d_conv, groups=self.d_inner, padding=d_conv - 1,
                                    **factory_kwargs)
            self.activation = "silu"
            self.act = nn.SiLU()
            self.x_proj = nn.Linear(self.d_inner, self.dt_rank + self.d_state * 2, bias=False, **factory_kwargs)
            self.dt_proj = nn.Linear(self.dt_rank, self.d_inner, bias=True, **factory_kwargs)

            dt_init_std = self.dt_rank**-0.5 * dt_scale
            if dt_init == "constant":
                nn.init.constant_(self.dt_proj.weight, dt_init_std)
            elif dt_init == "random":
                nn.init.uniform_(self.dt_proj.weight, -dt_init_std, dt_init_std)
            else:
                raise NotImplementedError

            dt = torch.exp(
                torch.rand(self.d_inner, **factory_kwargs) * (math.log(dt_max) - math.log(dt_min))
                + math.log(dt_min)
            ).clamp(min=dt_init_floor)
            # Inverse of softplus: https://github.com/pytorch/pytorch/issues/72759
            inv_dt = dt + torch.log(-torch.expm1(-dt))
            with torch.no_grad():
                self.dt_proj.bias.copy_(inv_dt)
            self.dt_proj.bias._no_reinit = True

            # S4D real initialization; repeat(arange, "n -> d n", d=d_inner)
            A = torch.arange(1, self.d_state + 1, dtype=torch.float32, device=device).expand(
                self.d_inner, -1).contiguous()
            A_log = torch.log(A)  # Keep A_log in fp32
            self.A_log = nn.Parameter(A_log)
            self.A_log._no_weight_decay = True
            self.D = nn.Parameter(torch.ones(self.d_inner, device=device))  # Keep in fp32
            self.D._no_weight_decay = True
            self.out_proj = nn.Linear(self.d_inner, self.d_model, bias=bias, **factory_kwargs)

        def forward(self, hidden_states, inference_params=None):
            batch, seqlen, dim = hidden_states.shape
            conv_state, ssm_state = None, None
            if inference_params is not None:
                conv_state, ssm_state = self._get_states_from_cache(inference_params, batch)
                if inference_params.seqlen_offset > 0:
                    out, _, _ = self.step(hidden_states, conv_state, ssm_state)
                    return out
            # rearrange(W @ rearrange(h, "b l d -> d (b l)"), "d (b l) -> b d l", l=seqlen)
            xz = (self.in_proj.weight @ hidden_states.reshape(batch * seqlen, dim).t()).view(
                -1, batch, seqlen).transpose(0, 1)
            if self.in_proj.bias is not None:
                xz = xz + self.in_proj.bias.to(dtype=xz.dtype)[:, None]
            A = -torch.exp(self.A_log.float())  # (d_inner, d_state)
            x, z = xz.chunk(2, dim=1)
            if conv_state is not None:
                conv_state.copy_(F.pad(x, (self.d_conv - x.shape[-1], 0)))  # Update state (B D W)
            x = self.act(self.conv1d(x)[..., :seqlen])
            x_dbl = self.x_proj(x.transpose(1, 2).reshape(batch * seqlen, -1))  # (bl d)
            dt, B, C = torch.split(x_dbl, [self.dt_rank, self.d_state, self.d_state], dim=-1)
            dt = self.dt_proj.weight @ dt.t()
            dt = dt.view(-1, batch, seqlen).transpose(0, 1)
            B = B.view(batch, seqlen, -1).transpose(1, 2).contiguous()
            C = C.view(batch, seqlen, -1).transpose(1, 2).contiguous()
            y = selective_scan_fn(x, dt, A, B, C, self.D.float(), z=z, delta_bias=self.dt_proj.bias.float(),
                                  delta_softplus=True, return_last_state=ssm_state is not None)
            if ssm_state is not None:
                y, last_state = y
                ssm_state.copy_(last_state)
            y = y.transpose(1, 2)
            return self.out_proj(y)

        def step(self, hidden_states, conv_state, ssm_state):
            dtype = hidden_states.dtype
            assert hidden_states.shape[1] == 1, "Only support decoding with 1 token at a time for now"
            xz = self.in_proj(hidden_states.squeeze(1))  # (B 2D)
            x, z = xz.chunk(2, dim=-1)  # (B D)
            conv_state.copy_(torch.roll(conv_state, shifts=-1, dims=-1))  # Update state (B D W)
            conv_state[:, :, -1] = x
            x = torch.sum(conv_state * self.conv1d.weight.squeeze(1), dim=-1)  # (B D)
            if self.conv1d.bias is not None:
                x = x + self.conv1d.bias
            x = self.act(x).to(dtype=dtype)
            x_db = self.x_proj(x)  # (B dt_rank+2*d_state)
            dt, B, C = torch.split(x_db, [self.dt_rank, self.d_state, self.d_state], dim=-1)
            dt = F.linear(dt, self.dt_proj.weight)  # (B d_inner)
            A = -torch.exp(self.A_log.float())  # (d_inner, d_state)
            dt = F.softplus(dt + self.dt_proj.bias.to(dtype=dt.dtype))
            dA = torch.exp(torch.einsum("bd,dn->bdn", dt, A))
            dB = torch.einsum("bd,bn->bdn", dt, B)
            ssm_state.copy_(ssm_state * dA + x.unsqueeze(-1) * dB)
            y = torch.einsum("bdn,bn->bd", ssm_state.to(dtype), C)
            y = y + self.D.to(dtype) * x
            y = y * self.act(z)  # (B D)
            out = self.out_proj(y)
            return out.unsqueeze(1), conv_state, ssm_state

        def _get_states_from_cache(self, inference_params, batch_size, initialize_states=False):
            assert self.layer_idx is not None
            if self.layer_idx not in inference_params.key_value_memory_dict:
                conv_state = torch.zeros(batch_size, self.d_model * self.expand, self.d_conv,
                                         device=self.conv1d.weight.device, dtype=self.conv1d.weight.dtype)
                ssm_state = torch.zeros(batch_size, self.d_model * self.expand, self.d_state,
                                        device=self.dt_proj.weight.device, dtype=self.dt_proj.weight.dtype)
                inference_params.key_value_memory_dict[self.layer_idx] = (conv_state, ssm_state)
            else:
                conv_state, ssm_state = inference_params.key_value_memory_dict[self.layer_idx]
                if initialize_states:
                    conv_state.zero_()
                    ssm_state.zero_()
            return conv_state, ssm_state

    return Mamba, InferenceParams


def mamba_simple_decode(L):
    """mamba_simple.Mamba: full forward vs prefill + step decoding, then AdamW steps."""
    torch, nn = L, L.nn
    Mamba, InferenceParams = _mamba(L)
    with Out() as o:
        torch.manual_seed(0)
        B, S, D = 2, 8, 16
        m = Mamba(d_model=D, d_state=4, d_conv=4, expand=2, layer_idx=0)
        o.print(m)
        o.print(m.dt_rank, m.dt_proj.bias._no_reinit, [n for n, p in m.named_parameters()
                                                       if getattr(p, "_no_weight_decay", False)])
        o.print(nn.functional.softplus(m.dt_proj.bias).min().item() >= 1e-4)
        x = torch.randn(B, S, D)
        with torch.no_grad():
            y_full = m(x)
            params = InferenceParams(max_seqlen=S, max_batch_size=B)
            prompt = 5
            outs = [m(x[:, :prompt], inference_params=params)]
            params.seqlen_offset += prompt
            for t in range(prompt, S):
                outs.append(m(x[:, t:t + 1], inference_params=params))
                params.seqlen_offset += 1
            y_dec = torch.cat(outs, dim=1)
        conv_state, ssm_state = params.key_value_memory_dict[0]
        o.print(y_full.shape, y_dec.shape, conv_state.shape, ssm_state.shape)
        o.print("decode matches forward:", torch.allclose(y_full, y_dec, atol=1e-5, rtol=1e-4))
        # a short prompt: F.pad pads the conv state on the left instead of cutting
        with torch.no_grad():
            p2 = InferenceParams(max_seqlen=S, max_batch_size=B)
            m(x[:, :2], inference_params=p2)
        o.print(p2.key_value_memory_dict[0][0][0, :2])
        m._get_states_from_cache(p2, B, initialize_states=True)
        o.print(p2.key_value_memory_dict[0][1].abs().sum().item())
        o.vals += [y_full, y_dec, conv_state, ssm_state, m.dt_proj.bias.detach(), m.A_log.detach()]

        decay = [p for p in m.parameters() if not getattr(p, "_no_weight_decay", False)]
        no_decay = [p for p in m.parameters() if getattr(p, "_no_weight_decay", False)]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=1e-2)
        target = torch.from_numpy(np.random.default_rng(0).standard_normal((B, S, D)).astype(np.float32))
        for it in range(3):
            loss = nn.functional.mse_loss(m(x), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f"iter {it} loss {loss.item():.4f}")
        o.vals += [m.A_log.detach(), m.D.detach(), m.conv1d.weight.detach(), loss.detach()]
    return o.done()
