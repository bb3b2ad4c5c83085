"""Recurrent architectures in pure PyTorch (tag: xlstm). This file: state-spaces/mamba's
reference selective scan (mamba_ssm/ops/selective_scan_interface.py selective_scan_ref: the
real-A path (the complex one, through torch.view_as_complex, is transcribed but not driven:
ember has no complex tensors), input-independent and variable B / C,
grouped B / C repeated over the channels, D skip, z gate with F.silu, delta_bias and
softplus, return_last_state), as the repository's tests/ops/test_selective_scan.py drives it
(random inputs, gradients of the output through every argument), with einops' rearrange /
repeat written as the torch calls they stand for (no einops here), checked against a
step-by-step recurrence. Tiny sizes (batch 2, dim 4, state 4, length 8)."""

import numpy as np
from s16_yunjey_progs import Out


def _scan(L):
    torch, F = L, L.nn.functional

    def selective_scan_ref(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False,
                           return_last_state=False):
        dtype_in = u.dtype
        u = u.float()
        delta = delta.float()
        if delta_bias is not None:
            delta = delta + delta_bias[..., None].float()
        if delta_softplus:
            delta = F.softplus(delta)
        batch, dim, dstate = u.shape[0], A.shape[0], A.shape[1]
        is_variable_B = B.dim() >= 3
        is_variable_C = C.dim() >= 3
        if A.is_complex():
            if is_variable_B:  # rearrange(B.float(), "... (L two) -> ... L two", two=2)
                B = torch.view_as_complex(B.float().unflatten(-1, (-1, 2)))
            if is_variable_C:
                C = torch.view_as_complex(C.float().unflatten(-1, (-1, 2)))
        else:
            B = B.float()
            C = C.float()
        x = A.new_zeros((batch, dim, dstate))
        ys = []
        deltaA = torch.exp(torch.einsum('bdl,dn->bdln', delta, A))
        if not is_variable_B:
            deltaB_u = torch.einsum('bdl,dn,bdl->bdln', delta, B, u)
        else:
            if B.dim() == 3:
                deltaB_u = torch.einsum('bdl,bnl,bdl->bdln', delta, B, u)
            else:  # repeat(B, "B G N L -> B (G H) N L", H=dim // B.shape[1])
                B = B.repeat_interleave(dim // B.shape[1], dim=1)
                deltaB_u = torch.einsum('bdl,bdnl,bdl->bdln', delta, B, u)
        if is_variable_C and C.dim() == 4:
            C = C.repeat_interleave(dim // C.shape[1], dim=1)
        last_state = None
        for i in range(u.shape[2]):
            x = deltaA[:, :, i] * x + deltaB_u[:, :, i]
            if not is_variable_C:
                y = torch.einsum('bdn,dn->bd', x, C)
            else:
                if C.dim() == 3:
                    y = torch.einsum('bdn,bn->bd', x, C[:, :, i])
                else:
                    y = torch.einsum('bdn,bdn->bd', x, C[:, :, :, i])
            if i == u.shape[2] - 1:
                last_state = x
            if y.is_complex():
                y = y.real * 2
            ys.append(y)
        y = torch.stack(ys, dim=2)  # (batch dim L)
        out = y if D is None else y + u * D.unsqueeze(-1)  # rearrange(D, "d -> d 1")
        if z is not None:
            out = out * F.silu(z)
        out = out.to(dtype=dtype_in)
        return out if not return_last_state else (out, last_state)

    return selective_scan_ref


def _inputs(L, is_variable_B, is_variable_C, wtype, varBC_groups, seed):
    """test_selective_scan's inputs, drawn with NumPy's generator so both libraries agree."""
    torch = L
    rng = np.random.default_rng(seed)
    f = lambda *s: torch.from_numpy(rng.standard_normal(s).astype(np.float32))
    batch_size, dim, dstate, seqlen = 2, 4, 4, 8
    is_complex = wtype == torch.complex64
    A = (-0.5 * torch.from_numpy(rng.random((dim, dstate)).astype(np.float32)))
    if is_complex:
        A = torch.complex(A, f(dim, dstate))
    A.requires_grad_()
    if not is_variable_B:
        B_shape = (dim, dstate)
    elif varBC_groups == 1:
        B_shape = (batch_size, dstate, seqlen if not is_complex else seqlen * 2)
    else:
        B_shape = (batch_size, varBC_groups, dstate, seqlen if not is_complex else seqlen * 2)
    B = f(*B_shape)
    if not is_variable_B and is_complex:
        B = torch.complex(B, f(*B_shape))
    B.requires_grad_()
    C = f(*B_shape)
    if not is_variable_C and is_complex:
        C = torch.complex(C, f(*B_shape))
    C.requires_grad_()
    D = f(dim).requires_grad_()
    z = f(batch_size, dim, seqlen).requires_grad_()
    delta_bias = (0.5 * torch.from_numpy(rng.random(dim).astype(np.float32))).requires_grad_()
    u = f(batch_size, dim, seqlen).requires_grad_()
    delta = (0.5 * torch.from_numpy(rng.random((batch_size, dim, seqlen)).astype(np.float32))).requires_grad_()
    return u, delta, A, B, C, D, z, delta_bias


def selective_scan_cases(L):
    """selective_scan_ref over the test matrix's corners: real / complex, fixed / variable,
    grouped B and C; outputs, last states and every input's gradient."""
    torch = L
    scan = _scan(L)
    with Out() as o:
        # the complex-A rows of the test matrix are left out: ember has no complex tensors
        cases = [(False, False, torch.float32, 1), (True, True, torch.float32, 1),
                 (True, True, torch.float32, 2), (True, False, torch.float32, 1),
                 (False, True, torch.float32, 1), (True, True, torch.float32, 4)]
        for k, (vb, vc, wtype, groups) in enumerate(cases):
            u, delta, A, B, C, D, z, delta_bias = _inputs(L, vb, vc, wtype, groups, k)
            out, state = scan(u, delta, A, B, C, D, z=z, delta_bias=delta_bias, delta_softplus=True,
                              return_last_state=True)
            o.print(k, out.shape, out.dtype, state.shape, state.dtype)
            g = torch.from_numpy(np.random.default_rng(10 + k).standard_normal(out.shape).astype(np.float32))
            out.backward(g)
            for name, t in zip("u delta A B C D z delta_bias".split(), (u, delta, A, B, C, D, z, delta_bias)):
                o.vals.append(t.grad)
            o.print([tuple(t.grad.shape) for t in (A, B, C)], A.grad.dtype, B.grad.dtype)
            o.vals += [out.detach(), state.detach()]
        # without D / z / delta_bias / softplus, and the state-only recurrence by hand
        u, delta, A, B, C, D, z, delta_bias = _inputs(L, True, True, torch.float32, 1, 7)
        with torch.no_grad():
            out = scan(u, delta, A, B, C)
            x = torch.zeros(2, 4, 4)
            ys = []
            for i in range(u.shape[2]):
                dA = torch.exp(delta[:, :, i, None] * A)
                dBu = delta[:, :, i, None] * B[:, None, :, i] * u[:, :, i, None]
                x = dA * x + dBu
                ys.append((x * C[:, None, :, i]).sum(-1))
            y = torch.stack(ys, dim=-1)
        o.print("ref vs loop:", torch.allclose(out, y, atol=1e-5, rtol=1e-4), out.requires_grad)
        o.vals += [out, y]
    return o.done()


def mamba_tiny_train(L):
    """Mamba-style mixer on the reference scan (x_proj / dt_proj / A_log / D, causal
    depthwise Conv1d), a few Adam steps on a regression target."""
    torch, nn, F = L, L.nn, L.nn.functional
    scan = _scan(L)
    with Out() as o:
        torch.manual_seed(0)
        d_model, d_inner, d_state, dt_rank, d_conv, Bsz, Lseq = 8, 16, 4, 2, 4, 2, 8
        in_proj = nn.Linear(d_model, 2 * d_inner, bias=False)
        conv1d = nn.Conv1d(d_inner, d_inner, d_conv, groups=d_inner, padding=d_conv - 1)
        x_proj = nn.Linear(d_inner, dt_rank + 2 * d_state, bias=False)
        dt_proj = nn.Linear(dt_rank, d_inner, bias=True)
        A = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(d_inner, 1).contiguous()
        A_log = nn.Parameter(torch.log(A))
        Dp = nn.Parameter(torch.ones(d_inner))
        out_proj = nn.Linear(d_inner, d_model, bias=False)
        mods = nn.ModuleList([in_proj, conv1d, x_proj, dt_proj, out_proj])
        params = list(mods.parameters()) + [A_log, Dp]
        opt = torch.optim.Adam(params, lr=1e-2)
        hs = torch.randn(Bsz, Lseq, d_model)
        target = torch.randn(Bsz, Lseq, d_model)
        for it in range(3):
            xz = in_proj(hs).transpose(1, 2)  # rearrange(..., "b l d -> b d l")
            x, z = xz.chunk(2, dim=1)
            x = F.silu(conv1d(x)[..., :Lseq])
            x_dbl = x_proj(x.transpose(1, 2).reshape(Bsz * Lseq, d_inner))
            dt, Bm, Cm = torch.split(x_dbl, [dt_rank, d_state, d_state], dim=-1)
            dt = dt_proj.weight @ dt.t()
            dt = dt.view(d_inner, Bsz, Lseq).permute(1, 0, 2)  # "d (b l) -> b d l"
            Bm = Bm.view(Bsz, Lseq, d_state).transpose(1, 2).contiguous()
            Cm = Cm.view(Bsz, Lseq, d_state).transpose(1, 2).contiguous()
            y = scan(x, dt, -torch.exp(A_log.float()), Bm, Cm, Dp.float(), z=z,
                     delta_bias=dt_proj.bias.float(), delta_softplus=True)
            out = out_proj(y.transpose(1, 2))
            loss = F.mse_loss(out, target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f"it {it} loss {loss.item():.4f}")
        o.print(out.shape, A_log.grad.shape, Dp.grad.abs().sum() > 0)
        o.vals += [out.detach(), A_log.grad, Dp.grad, conv1d.weight.grad, dt_proj.bias.grad]
    return o.done()
