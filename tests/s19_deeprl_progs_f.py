"""ShangtongZhang/DeepRL's Atari configurations (examples.py: dqn_pixel with centered
RMSprop, a2c_pixel with RMSprop(alpha=0.99, eps=1e-5), quantile / option-critic heads over
NatureConvBody) on a couple of random 84x84 uint8 frame stacks, with ImageNormalizer and
SignNormalizer as deep_rl/utils/normalizer.py writes them; see s19_deeprl_progs.py."""

import numpy as np
from s16_yunjey_progs import Out
from s19_deeprl_progs import deeprl


class ImageNormalizer:
    def __call__(self, x):
        return np.asarray(x) / 255.0


class SignNormalizer:
    def __call__(self, x):
        return np.sign(x)


def _frames(n, seed):
    rng = np.random.RandomState(seed)
    return [rng.randint(0, 256, (4, 84, 84)).astype(np.uint8) for _ in range(n)]


def dqn_pixel(L):
    """DQN on frames: VanillaNet(NatureConvBody()), RMSprop(lr=0.00025, alpha=0.95, eps=0.01,
    centered=True), double Q, the 0.5 * squared TD error and clip_grad_norm_(..., 5). The
    gradient norm is printed from p.grad.norm() (to the bit: ATen's 8-lane order over the
    1.6M-entry fc4 gradient); clip_grad_norm_'s total with 3 decimals (ember's
    clip_grad.py sums squares with BLAS dot: 6.3419 against PyTorch's 6.3418)."""
    d = deeprl(L)
    torch, nn = L, L.nn
    state_normalizer, reward_normalizer = ImageNormalizer(), SignNormalizer()
    with Out() as o:
        d.random_seed(12)
        network = d.VanillaNet(4, d.NatureConvBody(in_channels=4))
        target_network = d.VanillaNet(4, d.NatureConvBody(in_channels=4))
        target_network.load_state_dict(network.state_dict())
        optimizer = torch.optim.RMSprop(network.parameters(), lr=0.00025, alpha=0.95, eps=0.01,
                                        centered=True)
        frames = _frames(6, 0)
        batch_indices = d.range_tensor(2)
        for step in range(2):
            idx = np.random.randint(0, 5, size=2)
            states = state_normalizer(np.stack([frames[i] for i in idx]))
            next_states = state_normalizer(np.stack([frames[i + 1] for i in idx]))
            rewards = reward_normalizer(np.random.randn(2))
            masks = d.tensor((np.random.rand(2) > 0.2).astype(np.float32))
            actions = d.tensor(np.random.randint(0, 4, size=2)).long()
            with torch.no_grad():
                q_next = target_network(next_states)['q'].detach()
                best_actions = torch.argmax(network(next_states)['q'], dim=-1)
                q_next = q_next[batch_indices, best_actions]
            q_target = d.tensor(rewards) + 0.99 * q_next * masks
            q = network(states)['q']
            q = q[batch_indices, actions]
            loss = (q_target - q).pow(2).mul(0.5).mean()
            optimizer.zero_grad()
            loss.backward()
            grad_norm = torch.stack([p.grad.norm() for p in network.parameters()]).norm()
            norm = nn.utils.clip_grad_norm_(network.parameters(), 5)
            optimizer.step()
            o.print('step %d loss %.4f grad norm %.4f clipped from %.3f' % (
                step, loss.item(), grad_norm.item(), norm.item()))
            o.vals.append(grad_norm)
        o.print(sorted(optimizer.state[network.fc_head.weight].keys()))
        o.vals += [q_next, q, loss, network.fc_head.weight, network.body.conv1.weight[:2],
                   optimizer.state[network.fc_head.weight]['grad_avg']]
    return o.done()


def a2c_pixel(L):
    """A2C on frames: CategoricalActorCriticNet(phi_body=NatureConvBody()), RMSprop(lr=1e-4,
    alpha=0.99, eps=1e-5), one two-step rollout of two workers, entropy and value losses."""
    d = deeprl(L)
    torch, nn = L, L.nn
    state_normalizer = ImageNormalizer()
    with Out() as o:
        d.random_seed(13)
        network = d.CategoricalActorCriticNet(None, 6, d.NatureConvBody())
        optimizer = torch.optim.RMSprop(network.parameters(), lr=1e-4, alpha=0.99, eps=1e-5)
        frames = _frames(6, 1)
        log_pi, vs, ents, rs, ms = [], [], [], [], []
        for t in range(2):
            prediction = network(state_normalizer(np.stack(frames[2 * t:2 * t + 2])))
            log_pi.append(prediction['log_pi_a']), vs.append(prediction['v'])
            ents.append(prediction['entropy'])
            rs.append(d.tensor(np.random.rand(2)).unsqueeze(-1))
            ms.append(d.tensor(1 - (np.random.rand(2) < 0.2)).unsqueeze(-1))
        ret = network(state_normalizer(np.stack(frames[4:6])))['v'].detach()
        rets = [None, None]
        for i in reversed(range(2)):
            ret = rs[i] + 0.99 * ms[i] * ret
            rets[i] = ret
        log_prob, value, returns, entropy = (torch.cat(x, dim=0) for x in (log_pi, vs, rets, ents))
        advantages = (returns - value).detach()
        policy_loss = -(log_prob * advantages).mean()
        value_loss = 0.5 * (returns - value).pow(2).mean()
        entropy_loss = entropy.mean()
        optimizer.zero_grad()
        (policy_loss - 0.01 * entropy_loss + 1.0 * value_loss).backward()
        norm = nn.utils.clip_grad_norm_(network.parameters(), 5)
        optimizer.step()
        o.print('policy %.4f value %.4f entropy %.4f norm %.4f' % (
            policy_loss.item(), value_loss.item(), entropy_loss.item(), norm.item()))
        o.vals += [log_prob, value, returns, network.fc_action.weight, network.fc_critic.bias]
    return o.done()


def distributional_pixel_heads(L):
    """QuantileNet and OptionCriticNet over NatureConvBody on frames: shapes, greedy actions
    from (quantiles * weight).sum(-1) and options from q.argmax, the betas."""
    d = deeprl(L)
    with Out() as o:
        d.random_seed(14)
        x = ImageNormalizer()(np.stack(_frames(2, 2)))
        qr = d.QuantileNet(4, 5, d.NatureConvBody())
        oc = d.OptionCriticNet(d.NatureConvBody(), 4, num_options=3)
        quantiles = qr(x)['quantile']
        a = d.to_np((quantiles * (1.0 / 5)).sum(-1)).argmax(-1)
        pred = oc(x)
        options = pred['q'].argmax(dim=-1)
        o.print(quantiles.shape, a, options, pred['beta'].shape, pred['pi'].sum(-1))
        o.vals += [quantiles, pred['q'], pred['beta'], pred['pi'], pred['log_pi']]
    return o.done()
