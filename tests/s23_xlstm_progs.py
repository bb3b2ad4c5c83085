"""Recurrent architectures of the last two years in pure PyTorch (tag: xlstm). This file:
NX-AI/xlstm's pure-PyTorch mLSTM backends (xlstm/blocks/mlstm/backends.py:
parallel_stabilized_simple with the log-sigmoid forget-gate cumsum, the D matrix and the
max-stabilisation; recurrent_step_stabilized_simple; chunkwise_simple), checked against each
other as the repository's tests do, and the sLSTM vanilla backend
(xlstm/blocks/slstm/src/vanilla/: slstm_forward_pointwise with exponential gating and the
stabiliser state, the slstm_forward loop over a headwise recurrent matrix), with a backward
pass and a couple of SGD steps. Tiny sizes (batch 2, 2 heads, context 8)."""

import math

import numpy as np
from s16_yunjey_progs import Out


def _backends(L):
    torch = L

    def parallel_stabilized_simple(queries, keys, values, igate_preact, fgate_preact,
                                   lower_triangular_matrix=None, stabilize_rowwise=True,
                                   eps=1e-6, **kwargs):
        B, NH, S, DH = queries.shape
        _dtype, _device = queries.dtype, queries.device

        # forget gate matrix
        log_fgates = torch.nn.functional.logsigmoid(fgate_preact)  # (B, NH, S, 1)
        if lower_triangular_matrix is None or S < lower_triangular_matrix.size(-1):
            ltr = torch.tril(torch.ones((S, S), dtype=torch.bool, device=_device))
        else:
            ltr = lower_triangular_matrix
        assert ltr.dtype == torch.bool, f"lower_triangular_matrix must be of dtype bool, got {ltr.dtype}"

        log_fgates_cumsum = torch.cat(
            [
                torch.zeros((B, NH, 1, 1), dtype=_dtype, device=_device),
                torch.cumsum(log_fgates, dim=-2),
            ],
            dim=-2,
        )  # (B, NH, S+1, 1)
        rep_log_fgates_cumsum = log_fgates_cumsum.repeat(1, 1, 1, S + 1)  # (B, NH, S+1, S+1)
        _log_fg_matrix = rep_log_fgates_cumsum - rep_log_fgates_cumsum.transpose(-2, -1)
        log_fg_matrix = torch.where(ltr, _log_fg_matrix[:, :, 1:, 1:], -float("inf"))

        # gate decay matrix D (combination of forget gate and input gate)
        log_D_matrix = log_fg_matrix + igate_preact.transpose(-2, -1)  # (B, NH, S, S)
        # D matrix stabilization
        if stabilize_rowwise:
            max_log_D, _ = torch.max(log_D_matrix, dim=-1, keepdim=True)  # (B, NH, S, 1)
        else:
            max_log_D = torch.max(log_D_matrix.view(B, NH, -1), dim=-1, keepdim=True)[0].unsqueeze(-1)
        log_D_matrix_stabilized = log_D_matrix - max_log_D  # (B, NH, S, S)
        D_matrix = torch.exp(log_D_matrix_stabilized)  # (B, NH, S, S)

        keys_scaled = keys / math.sqrt(DH)

        # combination matrix C
        qk_matrix = queries @ keys_scaled.transpose(-2, -1)  # (B, NH, S, S)
        C_matrix = qk_matrix * D_matrix  # (B, NH, S, S)
        normalizer = torch.maximum(C_matrix.sum(dim=-1, keepdim=True).abs(), torch.exp(-max_log_D))
        C_matrix_normalized = C_matrix / (normalizer + eps)

        # retrieved values
        h_tilde_state = C_matrix_normalized @ values  # (B, NH, S, DH)
        return h_tilde_state

    def recurrent_step_stabilized_simple(c_state, n_state, m_state, q, k, v, igate_preact,
                                         fgate_preact, eps=1e-6, **kwargs):
        B, NH, S, DH = q.shape
        # projections
        q, k, v = q.squeeze_(2).unsqueeze(-1), k.squeeze_(2).unsqueeze(-1), v.squeeze_(2).unsqueeze(-1)

        # gates
        log_fg_act = torch.nn.functional.logsigmoid(fgate_preact)  # (B, NH, 1, 1)

        # update rule
        m_state_new = torch.max(log_fg_act + m_state, igate_preact)  # (B, NH, 1, 1)

        fg_act = torch.exp(log_fg_act + m_state - m_state_new)  # (B, NH, 1, 1)
        ig_act = torch.exp(igate_preact - m_state_new)  # (B, NH, 1, 1)

        k_scaled = k / math.sqrt(DH)

        c_state_new = fg_act * c_state + ig_act * (k_scaled @ v.transpose(-1, -2))
        n_state_new = fg_act * n_state + ig_act * k_scaled  # (B, NH, DH, 1)

        h_num = q.transpose(-1, -2) @ c_state_new  # (B, NH, 1, DH)

        qn_dotproduct = q.transpose(-1, -2) @ n_state_new  # (B, NH, 1, 1)
        max_val = torch.exp(-m_state_new)  # (B, NH, 1, 1)
        h_denom = torch.maximum(qn_dotproduct.abs(), max_val) + eps
        h = h_num / h_denom  # (B, NH, 1, DH) / (B, NH, 1, 1) = (B, NH, 1, DH)

        return h, (c_state_new, n_state_new, m_state_new)

    def chunkwise_simple(queries, keys, values, igate_preact, fgate_preact, initial_C=None,
                         initial_n=None, initial_m=None, chunk_size=64,
                         return_last_state=False, eps=1e-6, **kwargs):
        B, NH, S, DH = queries.shape
        NS, CS = S // chunk_size, chunk_size

        # form chunks
        q = queries.view(B, NH, NS, CS, DH) / math.sqrt(DH)
        k = keys.view(B, NH, NS, CS, DH)
        v = values.view(B, NH, NS, CS, DH)

        # forget gates
        log_fgates = torch.nn.functional.logsigmoid(fgate_preact).view(B, NH, NS, CS)
        log_fgates_acc = log_fgates.cumsum(dim=3)
        igate_preact = igate_preact.view(B, NH, NS, CS)

        loggates = (igate_preact - log_fgates_acc)[:, :, :, :, None]
        m_loc, _ = torch.max(loggates + log_fgates_acc[:, :, :, -1, None, None], dim=3, keepdim=True)
        loggates = loggates + log_fgates_acc[:, :, :, -1, None, None] - m_loc

        kv = k.transpose(-1, -2) @ (v * (loggates).exp())
        ksum = (k * (loggates).exp()).sum(dim=-2)
        C = torch.zeros((B, NH, NS + 1, DH, DH), device=kv.device, dtype=kv.dtype)
        n = torch.zeros((B, NH, NS + 1, DH), device=kv.device, dtype=kv.dtype)
        if initial_C is not None:
            C[:, :, 0] = initial_C
        if initial_n is not None:
            n[:, :, 0] = initial_n

        m = torch.zeros((B, NH, NS + 1, 1, 1), device=kv.device, dtype=kv.dtype)
        if initial_m is not None:
            m[:, :, 0] = initial_m[:, :, None, None]

        for i in range(1, NS + 1):
            m[:, :, i] = torch.maximum(
                log_fgates_acc[:, :, i - 1, -1, None, None] + m[:, :, i - 1],
                m_loc[:, :, i - 1],
            )
            C[:, :, i] = (
                C[:, :, i - 1].clone()
                * (log_fgates_acc[:, :, i - 1, -1, None, None] + m[:, :, i - 1] - m[:, :, i]).exp()
                + kv[:, :, i - 1] * (m_loc[:, :, i - 1] - m[:, :, i]).exp()
            )
            n[:, :, i] = (
                n[:, :, i - 1].clone()
                * (log_fgates_acc[:, :, i - 1, -1, None] + m[:, :, i - 1, 0] - m[:, :, i, 0]).exp()
                + ksum[:, :, i - 1] * (m_loc[:, :, i - 1, 0] - m[:, :, i, 0]).exp()
            )

        log_fgates_rep = log_fgates_acc[:, :, :, :, None].repeat(1, 1, 1, 1, CS)
        log_fg_matrix = (
            log_fgates_rep
            - log_fgates_rep.transpose(-1, -2)
            - torch.triu(float("inf") * torch.ones([1, 1, 1, CS, CS]).to(q), diagonal=1)
        )

        log_D_matrix = log_fg_matrix + igate_preact[:, :, :, :, None].transpose(-2, -1)
        D_max, _ = torch.max(log_D_matrix, dim=-1, keepdim=True)

        stab = torch.maximum(D_max, m[:, :, :-1, :] + log_fgates_acc[:, :, :, :, None])
        inter_C = (q * (m[:, :, :-1, :] + log_fgates_acc[:, :, :, :, None] - stab).exp()) @ C[:, :, :-1]
        inter_n = (q * (m[:, :, :-1, :] + log_fgates_acc[:, :, :, :, None] - stab).exp()) @ n[:, :, :-1, :, None]

        log_D_matrix_stabilized = log_D_matrix - stab
        D_matrix = torch.exp(log_D_matrix_stabilized)

        qk_matrix = q @ k.transpose(-2, -1)
        E_matrix = qk_matrix * D_matrix

        normalizer = torch.maximum((E_matrix.sum(dim=-1, keepdim=True) + inter_n).abs(), torch.exp(-stab))

        E_matrix_normalized = E_matrix / (normalizer + eps)

        intra = E_matrix_normalized @ v
        inter = inter_C / (normalizer + eps)

        if return_last_state:
            return (intra + inter).view((B, NH, S, DH)), (C[:, :, -1], n[:, :, -1], m[:, :, -1])
        else:
            return (intra + inter).view((B, NH, S, DH))

    return parallel_stabilized_simple, recurrent_step_stabilized_simple, chunkwise_simple


def _qkvif(L, B, NH, S, DH, seed):
    rng = np.random.default_rng(seed)
    f = lambda *s: L.from_numpy(rng.standard_normal(s).astype(np.float32))
    return f(B, NH, S, DH), f(B, NH, S, DH), f(B, NH, S, DH), f(B, NH, S, 1), f(B, NH, S, 1) + 3.0


def mlstm_backends(L):
    """parallel vs recurrent vs chunkwise mLSTM, as tests/ of the xlstm repo compare them."""
    torch = L
    parallel, step, chunkwise = _backends(L)
    with Out() as o:
        B, NH, S, DH = 2, 2, 8, 8
        q, k, v, ig, fg = _qkvif(L, B, NH, S, DH, 0)
        h_par = parallel(q, k, v, ig, fg)
        o.print(h_par.shape, h_par.dtype)
        h_glob = parallel(q, k, v, ig, fg, stabilize_rowwise=False)
        c = torch.zeros((B, NH, DH, DH)); n = torch.zeros((B, NH, DH, 1)); m = torch.zeros((B, NH, 1, 1))
        hs = []
        for t in range(S):
            h, (c, n, m) = step(c, n, m, q[:, :, t:t + 1].clone(), k[:, :, t:t + 1].clone(),
                                v[:, :, t:t + 1].clone(), ig[:, :, t:t + 1], fg[:, :, t:t + 1])
            hs.append(h)
        h_rec = torch.cat(hs, dim=-2)
        o.print(h_rec.shape, c.shape, n.shape, m.shape)
        o.print("par vs rec close:", torch.allclose(h_par, h_rec, atol=1e-4, rtol=1e-3))
        o.print("rowwise vs global close:", torch.allclose(h_par, h_glob, atol=1e-4, rtol=1e-3))
        h_chunk, (C, N, M) = chunkwise(q, k, v, ig.squeeze(-1), fg.squeeze(-1), chunk_size=4,
                                       return_last_state=True)
        o.print(h_chunk.shape, C.shape, N.shape, M.shape)
        o.print("chunk vs par close:", torch.allclose(h_chunk, h_par, atol=1e-4, rtol=1e-3))
        # gradients through the parallel form
        qg = q.clone().requires_grad_(); ig2 = ig.clone().requires_grad_(); fg2 = fg.clone().requires_grad_()
        out = parallel(qg, k, v, ig2, fg2)
        out.pow(2).mean().backward()
        o.print(qg.grad.shape, ig2.grad.shape, fg2.grad.dtype)
        o.vals += [h_par, h_glob, h_rec, c, n, m, h_chunk, C, N, M, qg.grad, ig2.grad, fg2.grad]
    return o.done()


def _slstm(L):
    torch = L
    logsigmoid = L.nn.functional.logsigmoid

    def slstm_forward_pointwise(Wx, Ry, b, states, constants):
        _ = constants
        raw = Wx + Ry + b
        y, c, n, m = torch.unbind(states.view(4, states.shape[1], -1), dim=0)
        iraw, fraw, zraw, oraw = torch.unbind(raw.view(raw.shape[0], 4, -1), dim=1)
        logfplusm = m + logsigmoid(fraw)
        if torch.all(n == 0.0):
            mnew = iraw
        else:
            mnew = torch.max(iraw, logfplusm)
        ogate = torch.sigmoid(oraw)
        igate = torch.exp(iraw - mnew)
        fgate = torch.exp(logfplusm - mnew)
        cnew = fgate * c + igate * torch.tanh(zraw)
        nnew = fgate * n + igate
        ynew = ogate * cnew / nnew
        return torch.stack((ynew, cnew, nnew, mnew), dim=0), torch.stack((igate, fgate, zraw, ogate), dim=0)

    def slstm_forward(x, states, R, b, pointwise_forward, constants={}):
        num_states = states.shape[0]
        sequence_dim = x.shape[0]
        num_gates_r = R.shape[1] // R.shape[2]
        hidden_dim = R.shape[2] * R.shape[0]
        num_gates_t = b.shape[0] // hidden_dim
        batch_dim = x.shape[1]
        num_heads = R.shape[0]
        head_dim = R.shape[2]

        assert batch_dim == states.shape[1]
        assert hidden_dim == states.shape[2]

        g = torch.zeros([sequence_dim + 1, num_gates_t, batch_dim, hidden_dim], device=x.device, dtype=x.dtype)
        states_all = torch.zeros([num_states, sequence_dim + 1, batch_dim, hidden_dim], device=x.device, dtype=x.dtype)
        states_all[:, 0] = states
        for i, Wx_t in enumerate(x.unbind(dim=0)):
            Ry = (
                states[0]
                .reshape(batch_dim, num_heads, 1, -1)
                .matmul(R.transpose(1, 2).reshape(1, num_heads, head_dim, num_gates_r * head_dim))
                .reshape(batch_dim, num_heads, num_gates_r, -1)
                .transpose(1, 2)
                .reshape(batch_dim, -1)
            )
            sdtype = states.dtype
            states, gates = pointwise_forward(Wx_t, Ry, b, states, constants=constants)
            states = states.to(dtype=sdtype)
            g[i] = gates
            states_all[:, i + 1] = states
        return states_all, states, g

    return slstm_forward_pointwise, slstm_forward


def slstm_vanilla(L):
    """The vanilla sLSTM: Wx from a Linear, headwise R, the stabiliser m; Adam on a target."""
    torch, nn = L, L.nn
    pointwise, slstm_forward = _slstm(L)
    with Out() as o:
        torch.manual_seed(0)
        S, B, H, NH, I = 8, 2, 16, 2, 16
        DH = H // NH
        Wlin = nn.Linear(I, 4 * H, bias=False)
        R = nn.Parameter(torch.randn(NH, 4 * DH, DH) / math.sqrt(DH))
        b = nn.Parameter(torch.zeros(4 * H))
        with torch.no_grad():
            b[H:2 * H] = torch.linspace(3.0, 6.0, H)  # forget-gate bias
        x = torch.randn(S, B, I)
        target = torch.randn(S, B, H)
        # SGD, not Adam: the input-gate bias's gradient is zero up to rounding (the ratio c / n
        # cancels the gate's scale), which Adam's normalisation would blow up to full steps
        opt = torch.optim.SGD(list(Wlin.parameters()) + [R, b], lr=0.5, momentum=0.9)
        for it in range(3):
            states0 = torch.zeros(4, B, H)
            states_all, last, g = slstm_forward(Wlin(x), states0, R, b, pointwise)
            y = states_all[0, 1:]
            loss = nn.functional.mse_loss(y, target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f"iter {it} loss {loss.item():.4f}")
        o.print(states_all.shape, last.shape, g.shape, g.requires_grad)
        o.print("m max %.4f" % states_all[3].max().item(), "n min %.4f" % states_all[2, 1:].min().item())
        # step by step with a nonzero initial state takes the max() branch
        st = torch.zeros(4, B, H); st[2] = 1.0; st[3] = 0.5
        with torch.no_grad():
            sa2, last2, g2 = slstm_forward(Wlin(x[:2]), st, R, b, pointwise)
        o.print(sa2.shape, torch.isfinite(sa2).all())
        o.vals += [states_all.detach(), last.detach(), g.detach(), R.grad, b.grad,
                   Wlin.weight.grad, sa2, g2, loss.detach()]
    return o.done()
