"""ShangtongZhang/DeepRL: the mistakes users make when they adapt its agents (wrong state
sizes, frames of the wrong size for NatureConvBody, float or int32 actions as indices, a
forgotten unsqueeze(-1) before F.mse_loss, soft updates without detach_(), a target net of
another size, bad probabilities), each printed as the error's type and first line or the
warning; see s19_deeprl_progs.py."""

import numpy as np
from s16_yunjey_progs import Out
from s19_deeprl_progs import deeprl


def mistakes(L):
    d = deeprl(L)
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        d.random_seed(15)
        net = d.VanillaNet(3, d.FCBody(4, hidden_units=(8,)))
        o.tryit(lambda: net(np.random.randn(5, 3)))
        conv = d.VanillaNet(2, d.NatureConvBody())
        o.tryit(lambda: conv(np.random.rand(2, 4, 64, 64)).shape)
        o.tryit(lambda: conv(np.random.rand(2, 3, 84, 84)).shape)
        q = net(np.random.randn(5, 4))['q']
        idx = d.range_tensor(5)
        o.tryit(lambda: q[idx, d.tensor([0, 1, 2, 0, 1])])
        i32 = torch.tensor([[0], [1], [2], [0], [1]], dtype=torch.int32)
        o.vals.append(o.tryit(lambda: q.gather(1, i32)).detach())
        o.tryit(lambda: q.gather(1, d.tensor([0, 1, 2, 0, 1]).long()))
        o.tryit(lambda: q.gather(1, d.tensor([0, 1, 2, 0, 1]).long().unsqueeze(-1)).shape)
        tp = torch.zeros(5, 7)
        o.tryit(lambda: tp[0].index_add_(0, d.tensor([1, 2]), d.tensor([0.5, 0.5])))
        o.tryit(lambda: tp[0].index_add_(0, d.tensor([1, 9]).long(), d.tensor([0.5, 0.5])))
        target = d.tensor(np.random.randn(5))
        o.tryit(lambda: F.mse_loss(q[:, :1], target).shape)
        o.tryit(lambda: F.mse_loss(q[:, :1], target.unsqueeze(-1)).shape)
        q_next = d.tensor(np.random.randn(5))
        o.tryit(lambda: q_next.add_(d.tensor(np.random.randn(5, 1))))
        o.tryit(lambda: (q[:, 0] - d.tensor(np.random.randn(5, 1))).shape)
        net2 = d.VanillaNet(3, d.FCBody(4, hidden_units=(8,)))
        for tparam, param in zip(net2.parameters(), net.parameters()):
            o.tryit(lambda: tparam.copy_(tparam * 0.99 + param * 0.01))
            break
        for tparam, param in zip(net2.parameters(), net.parameters()):
            tparam.data.copy_(tparam.data * 0.99 + param.data * 0.01)
        o.print(net2.fc_head.weight.requires_grad, net2.fc_head.weight.is_leaf)
        big = d.VanillaNet(3, d.FCBody(4, hidden_units=(16,)))
        o.tryit(lambda: big.load_state_dict(net.state_dict()))
        o.tryit(lambda: big.load_state_dict({'fc_head.weight': net.fc_head.weight}, strict=True))
        o.tryit(lambda: torch.distributions.Categorical(probs=d.tensor([[0.5, -0.1, 0.6]])))
        o.tryit(lambda: torch.distributions.Normal(d.tensor([0.0]), d.tensor([0.0])))
        dist = torch.distributions.Categorical(logits=q)
        o.tryit(lambda: dist.log_prob(d.tensor([0, 1, 2, 0, 1])))
        o.tryit(lambda: dist.log_prob(d.tensor([0, 1, 2, 0, 4]).long()))
        o.tryit(lambda: dist.log_prob(d.tensor([[0, 1]]).long()))
        o.tryit(lambda: torch.where(d.tensor([1.0, 0.0]), d.tensor([1.0, 2.0]),
                                    d.tensor([3.0, 4.0])))
        x = d.tensor(np.random.randn(3, 4)).t()
        o.tryit(lambda: x.view(-1))
        o.tryit(lambda: d.batch_trace(d.tensor(np.random.randn(3, 4))))
        o.tryit(lambda: nn.utils.clip_grad_norm_(net.parameters(), 5))
        o.tryit(lambda: (d.to_np(q).dtype, d.to_np(q).shape))
        o.tryit(lambda: q.numpy())
        o.tryit(lambda: torch.optim.RMSprop(net.parameters(), lr=-0.1))
        o.tryit(lambda: torch.optim.Adam(net.parameters(), lr=1e-3, eps=-1))
        o.tryit(lambda: d.tensor(np.array(['a'])))
        o.vals += [q, net2.fc_head.weight.detach()]
    return o.done()
