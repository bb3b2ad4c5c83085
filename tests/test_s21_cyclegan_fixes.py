"""Session 21 fixes found by the junyanz/pytorch-CycleGAN-and-pix2pix sweep: an input
gradient taken with create_graph=True (cal_gradient_penalty's torch.autograd.grad) is
contiguous in PyTorch, so `gradients[0].view(batch, -1)` works; ember returned a strided view
of its padded work buffer after reflect / replicate / circular padding, a strided convolution
with padding and avg_pool with padding, and .view raised. Each case is compared live."""

import pytest
from torch_compare import same


def _grad_layout(make):
    """(strides, view result) of d(sum f(x))/dx taken with create_graph=True."""
    def run(L):
        L.manual_seed(0)
        f = make(L)
        x = L.rand(2, 3, 8, 8, requires_grad=True)
        y = f(x)
        g, = L.autograd.grad(y, x, L.ones(y.size()), create_graph=True)
        flat = g.view(2, -1)
        return g.stride(), g.is_contiguous(), tuple(flat.shape), [round(v, 4) for v in flat.sum(1).tolist()]
    return run


CASES = {
    "reflection_pad": lambda L: L.nn.ReflectionPad2d(3),
    "replication_pad": lambda L: L.nn.ReplicationPad2d(1),
    "circular_pad": lambda L: (lambda x: L.nn.functional.pad(x, (1, 2, 1, 0), mode="circular")),
    "reflect_pad_1d": lambda L: (lambda x: L.nn.functional.pad(x.flatten(2), (2, 2), mode="reflect")),
    "pad_then_conv": lambda L: L.nn.Sequential(L.nn.ReflectionPad2d(1), L.nn.Conv2d(3, 4, 3)),
    "conv_stride2_pad1": lambda L: L.nn.Conv2d(3, 4, 3, stride=2, padding=1),
    "conv_k4_stride2_pad1": lambda L: L.nn.Conv2d(3, 4, 4, stride=2, padding=1),
    "conv1d_stride2": lambda L: (lambda x: L.nn.functional.conv1d(x.flatten(2), L.ones(2, 3, 3),
                                                                   stride=2, padding=1)),
    "avg_pool_pad": lambda L: L.nn.AvgPool2d(3, 2, 1),
    "avg_pool3d_pad": lambda L: (lambda x: L.nn.functional.avg_pool3d(x.unsqueeze(1), 3, 2, 1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_create_graph_input_grad_is_contiguous(name):
    same(_grad_layout(CASES[name]))


def test_gradient_penalty_through_padded_critic():
    """cal_gradient_penalty (type='mixed') on a critic that opens with ReflectionPad2d and a
    strided convolution: the view, the penalty and the critic's gradients."""
    def run(L):
        L.manual_seed(1)
        netD = L.nn.Sequential(L.nn.ReflectionPad2d(1), L.nn.Conv2d(3, 4, 3, stride=2, padding=1),
                               L.nn.LeakyReLU(0.2, True), L.nn.Conv2d(4, 1, 3))
        real, fake = L.rand(2, 3, 8, 8), L.rand(2, 3, 8, 8)
        alpha = L.rand(real.shape[0], 1)
        alpha = alpha.expand(real.shape[0], real.nelement() // real.shape[0]).contiguous().view(*real.shape)
        inter = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        out = netD(inter)
        grads = L.autograd.grad(outputs=out, inputs=inter, grad_outputs=L.ones(out.size()),
                                create_graph=True, retain_graph=True, only_inputs=True)
        grads = grads[0].view(real.size(0), -1)
        gp = (((grads + 1e-16).norm(2, dim=1) - 1.0) ** 2).mean() * 10.0
        gp.backward()
        return round(gp.item(), 4), [round(p.grad.abs().sum().item(), 3) for p in netD.parameters()]
    same(run)
