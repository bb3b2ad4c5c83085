"""dreamquark-ai/tabnet as users type it: pytorch_tabnet/sparsemax.py (SparsemaxFunction,
Entmax15Function, Entmoid15: custom autograd.Functions with their own backward, and the
Sparsemax / Entmax15 modules); tab_network.py is in s21_tabmdn_progs_b.py. Small random
inputs (NumPy-seeded) instead of a data set. Each program is ``prog(torch) -> (printed lines,
values)``; see tests/test_programs_s21_tabmdn.py."""

import numpy as np
from s16_yunjey_progs import Out


def sparsemax_module(torch):
    """sparsemax.py, transcribed; the Function classes built per library."""
    nn, Function, F = torch.nn, torch.autograd.Function, torch.nn.functional

    def _make_ix_like(input, dim=0):
        d = input.size(dim)
        rho = torch.arange(1, d + 1, device=input.device, dtype=input.dtype)
        view = [1] * input.dim()
        view[0] = -1
        return rho.view(view).transpose(0, dim)

    class SparsemaxFunction(Function):
        @staticmethod
        def forward(ctx, input, dim=-1):
            ctx.dim = dim
            max_val, _ = input.max(dim=dim, keepdim=True)
            input -= max_val  # same numerical stability trick as for softmax
            tau, supp_size = SparsemaxFunction._threshold_and_support(input, dim=dim)
            output = torch.clamp(input - tau, min=0)
            ctx.save_for_backward(supp_size, output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            supp_size, output = ctx.saved_tensors
            dim = ctx.dim
            grad_input = grad_output.clone()
            grad_input[output == 0] = 0

            v_hat = grad_input.sum(dim=dim) / supp_size.to(output.dtype).squeeze()
            v_hat = v_hat.unsqueeze(dim)
            grad_input = torch.where(output != 0, grad_input - v_hat, grad_input)
            return grad_input, None

        @staticmethod
        def _threshold_and_support(input, dim=-1):
            input_srt, _ = torch.sort(input, descending=True, dim=dim)
            input_cumsum = input_srt.cumsum(dim) - 1
            rhos = _make_ix_like(input, dim)
            support = rhos * input_srt > input_cumsum

            support_size = support.sum(dim=dim).unsqueeze(dim)
            tau = input_cumsum.gather(dim, support_size - 1)
            tau /= support_size.to(input.dtype)
            return tau, support_size

    sparsemax = SparsemaxFunction.apply

    class Sparsemax(nn.Module):
        def __init__(self, dim=-1):
            self.dim = dim
            super(Sparsemax, self).__init__()

        def forward(self, input):
            return sparsemax(input, self.dim)

    class Entmax15Function(Function):
        @staticmethod
        def forward(ctx, input, dim=-1):
            ctx.dim = dim

            max_val, _ = input.max(dim=dim, keepdim=True)
            input = input - max_val  # same numerical stability trick as for softmax
            input = input / 2  # divide by 2 to solve actual Entmax

            tau_star, _ = Entmax15Function._threshold_and_support(input, dim)
            output = torch.clamp(input - tau_star, min=0) ** 2
            ctx.save_for_backward(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            Y, = ctx.saved_tensors
            gppr = Y.sqrt()  # = 1 / g'' (Y)
            dX = grad_output * gppr
            q = dX.sum(ctx.dim) / gppr.sum(ctx.dim)
            q = q.unsqueeze(ctx.dim)
            dX -= q * gppr
            return dX, None

        @staticmethod
        def _threshold_and_support(input, dim=-1):
            Xsrt, _ = torch.sort(input, descending=True, dim=dim)

            rho = _make_ix_like(input, dim)
            mean = Xsrt.cumsum(dim) / rho
            mean_sq = (Xsrt ** 2).cumsum(dim) / rho
            ss = rho * (mean_sq - mean ** 2)
            delta = (1 - ss) / rho

            delta_nz = torch.clamp(delta, 0)
            tau = mean - torch.sqrt(delta_nz)

            support_size = (tau <= Xsrt).sum(dim).unsqueeze(dim)
            tau_star = tau.gather(dim, support_size - 1)
            return tau_star, support_size

    class Entmoid15(Function):
        """ A highly optimized equivalent of labda x: Entmax15([x, 0]) """

        @staticmethod
        def forward(ctx, input):
            output = Entmoid15._forward(input)
            ctx.save_for_backward(output)
            return output

        @staticmethod
        def _forward(input):
            input, is_pos = abs(input), input >= 0
            tau = (input + torch.sqrt(F.relu(8 - input ** 2))) / 2
            tau.masked_fill_(tau <= input, 2.0)
            y_neg = 0.25 * F.relu(tau - input, inplace=True) ** 2
            return torch.where(is_pos, 1 - y_neg, y_neg)

        @staticmethod
        def backward(ctx, grad_output):
            return Entmoid15._backward(ctx.saved_tensors[0], grad_output)

        @staticmethod
        def _backward(output, grad_output):
            gppr0, gppr1 = output.sqrt(), (1 - output).sqrt()
            grad_input = grad_output * gppr0
            q = grad_input / (gppr0 + gppr1)
            grad_input -= q * gppr0
            return grad_input

    entmax15 = Entmax15Function.apply
    entmoid15 = Entmoid15.apply

    class Entmax15(nn.Module):
        def __init__(self, dim=-1):
            self.dim = dim
            super(Entmax15, self).__init__()

        def forward(self, input):
            return entmax15(input, self.dim)

    return dict(sparsemax=sparsemax, Sparsemax=Sparsemax, entmax15=entmax15,
                Entmax15=Entmax15, entmoid15=entmoid15)


def sparse_functions(torch):
    """Sparsemax / Entmax15 / Entmoid15 forward and backward on a (16, 6) batch, both dims."""
    S = sparsemax_module(torch)
    rng = np.random.RandomState(0)
    with Out() as o:
        x = torch.from_numpy(rng.randn(16, 6).astype(np.float32) * 2)
        for name in ("Sparsemax", "Entmax15"):
            for dim in (-1, 0, 1):
                inp = x.clone().requires_grad_()
                h = inp * 1.5  # non-leaf: the forward subtracts in place
                out = S[name](dim=dim)(h)
                o.print(name, dim, tuple(out.shape), out.dtype, out.grad_fn is not None)
                o.print("sums", [round(v, 4) for v in out.sum(dim=dim).tolist()][:6])
                o.print("nonzero", int((out > 0).sum()), "h changed", bool((h != inp * 1.5).any()))
                w = torch.linspace(-1, 1, out.numel()).view(out.shape)
                (out * w).sum().backward()
                o.vals += [out, inp.grad]
        e = torch.from_numpy(rng.randn(5, 4).astype(np.float32) * 3).requires_grad_()
        y = S["entmoid15"](e)
        o.print("entmoid15", tuple(y.shape), round(float(y.min()), 4), round(float(y.max()), 4))
        y.pow(2).sum().backward()
        o.vals += [y, e.grad]
        # sparsemax of a 3-d tensor along the middle dim (the view/transpose in _make_ix_like)
        z = torch.from_numpy(rng.randn(2, 5, 3).astype(np.float32)).requires_grad_()
        sm = S["sparsemax"](z * 1.0, 1)
        sm.sum(dim=(0, 2)).pow(2).sum().backward()
        o.print("3d", tuple(sm.shape), [round(v, 4) for v in sm.sum(1).flatten().tolist()])
        o.vals += [sm, z.grad]
        # ties and a constant row
        t = torch.tensor([[1.0, 1.0, 1.0, 1.0], [3.0, 0.0, 0.0, -1.0], [0.5, 0.5, -2.0, 0.0]])
        o.print(S["sparsemax"](t.clone(), -1))
        o.print(S["entmax15"](t.clone(), -1))
        o.vals += [S["sparsemax"](t.clone(), -1), S["entmax15"](t.clone(), -1)]
        # a gradcheck of the hand-written backward in double precision
        d = torch.from_numpy(rng.randn(3, 5)).requires_grad_()
        o.print("gradcheck sparsemax",
                torch.autograd.gradcheck(lambda a: S["sparsemax"](a * 1.0, -1), (d,)))
        o.print("gradcheck entmax15",
                torch.autograd.gradcheck(lambda a: S["entmax15"](a, -1), (d,)))
    return o.done()
