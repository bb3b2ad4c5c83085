"""rainbow-is-all-you-need 09_rainbow_iqn.py: the IQN network (cosine embedding of sampled
taus, Hadamard product with the state features, NoisyLinear head with an eval-mode mean
path) and its quantile Huber loss with double-DQN targets, a few updates on fixed replay
samples (the agent's loop is 08's). See tests/s20_rainbowall_progs.py."""

import math

import numpy as np
from s16_yunjey_progs import Out
from s20_rainbowall_progs import seed_all


def iqn(torch):
    nn, F = torch.nn, torch.nn.functional
    clip_grad_norm_ = torch.nn.utils.clip_grad_norm_

    class NoisyLinear(nn.Module):
        def __init__(self, in_features, out_features, std_init=0.5):
            super(NoisyLinear, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.std_init = std_init
            self.weight_mu = nn.Parameter(torch.Tensor(out_features, in_features))
            self.weight_sigma = nn.Parameter(torch.Tensor(out_features, in_features))
            self.register_buffer("weight_epsilon", torch.Tensor(out_features, in_features))
            self.bias_mu = nn.Parameter(torch.Tensor(out_features))
            self.bias_sigma = nn.Parameter(torch.Tensor(out_features))
            self.register_buffer("bias_epsilon", torch.Tensor(out_features))
            self.reset_parameters()
            self.reset_noise()

        def reset_parameters(self):
            mu_range = 1 / math.sqrt(self.in_features)
            self.weight_mu.data.uniform_(-mu_range, mu_range)
            self.weight_sigma.data.fill_(self.std_init / math.sqrt(self.in_features))
            self.bias_mu.data.uniform_(-mu_range, mu_range)
            self.bias_sigma.data.fill_(self.std_init / math.sqrt(self.out_features))

        def reset_noise(self):
            epsilon_in = self.scale_noise(self.in_features)
            epsilon_out = self.scale_noise(self.out_features)
            self.weight_epsilon.copy_(epsilon_out.ger(epsilon_in))
            self.bias_epsilon.copy_(epsilon_out)

        def forward(self, x):
            if self.training:
                return F.linear(x, self.weight_mu + self.weight_sigma * self.weight_epsilon,
                                self.bias_mu + self.bias_sigma * self.bias_epsilon)
            return F.linear(x, self.weight_mu, self.bias_mu)

        @staticmethod
        def scale_noise(size):
            x = torch.randn(size)
            return x.sign().mul(x.abs().sqrt())

    class Network(nn.Module):
        def __init__(self, in_dim, out_dim, quantile_embedding_dim=64):
            super(Network, self).__init__()
            self.out_dim = out_dim
            self.quantile_embedding_dim = quantile_embedding_dim
            self.feature_layer = nn.Sequential(nn.Linear(in_dim, 128), nn.ReLU())
            self.cos_embedding_layer = nn.Linear(quantile_embedding_dim, 128)
            self.register_buffer(
                "i_pi", torch.pi * torch.arange(1, quantile_embedding_dim + 1,
                                                dtype=torch.float32))
            self.fc_hidden_layer = NoisyLinear(128, 128)
            self.fc_layer = NoisyLinear(128, out_dim)

        def forward(self, x, n_tau_samples=32):
            if x.dim() == 1:
                x = x.unsqueeze(0)
            batch_size = x.size(0)
            taus = torch.rand(batch_size, n_tau_samples, device=x.device)
            quantile_values = self.quantile_forward(x, taus)
            q = quantile_values.mean(dim=1)
            return q

        def quantile_forward(self, x, taus):
            batch_size = x.size(0)
            n_tau = taus.size(1)
            features = self.feature_layer(x)
            cos_input = taus.unsqueeze(2) * self.i_pi.unsqueeze(0).unsqueeze(0)
            cos_embed = torch.cos(cos_input)
            tau_features = F.relu(
                self.cos_embedding_layer(cos_embed.view(batch_size * n_tau, -1)))
            features_expanded = features.unsqueeze(1).expand(-1, n_tau, -1).reshape(
                batch_size * n_tau, -1)
            combined = features_expanded * tau_features
            hidden = F.relu(self.fc_hidden_layer(combined))
            q = self.fc_layer(hidden)
            q = q.view(batch_size, n_tau, self.out_dim)
            return q

        def reset_noise(self):
            self.fc_hidden_layer.reset_noise()
            self.fc_layer.reset_noise()

    with Out() as out:
        seed_all(torch)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        dqn = Network(4, 2).to(device)
        dqn_target = Network(4, 2).to(device)
        dqn_target.load_state_dict(dqn.state_dict())
        dqn_target.eval()
        out.print(dqn)
        out.print([n for n, _ in dqn.named_buffers()])
        optimizer = torch.optim.Adam(dqn.parameters())
        rng = np.random.RandomState(3)
        n_tau_samples = n_tau_prime_samples = n_quantile_samples = 8
        kappa, gamma, batch_size = 1.0, 0.99 ** 3, 6
        samples = dict(obs=rng.randn(batch_size, 4).astype(np.float32),
                       next_obs=rng.randn(batch_size, 4).astype(np.float32),
                       acts=rng.randint(0, 2, batch_size).astype(np.float32),
                       rews=np.ones(batch_size, np.float32),
                       terminated=(rng.rand(batch_size) < 0.3).astype(np.float32))
        weights = torch.FloatTensor(rng.rand(batch_size).reshape(-1, 1))
        for it in range(4):
            state = torch.FloatTensor(samples["obs"]).to(device)
            next_state = torch.FloatTensor(samples["next_obs"]).to(device)
            action = torch.LongTensor(samples["acts"]).to(device)
            reward = torch.FloatTensor(samples["rews"]).to(device)
            terminated = torch.FloatTensor(samples["terminated"]).to(device)
            taus = torch.rand(batch_size, n_tau_samples, device=device)
            current_quantile_values = dqn.quantile_forward(state, taus)
            current_quantile_values = current_quantile_values.gather(
                2, action.unsqueeze(1).unsqueeze(2).expand(-1, n_tau_samples, 1)).squeeze(2)
            with torch.no_grad():
                tau_primes = torch.rand(batch_size, n_tau_prime_samples, device=device)
                next_action = dqn(next_state, n_quantile_samples).argmax(1)
                next_quantile_values = dqn_target.quantile_forward(next_state, tau_primes)
                next_quantile_values = next_quantile_values.gather(
                    2, next_action.unsqueeze(1).unsqueeze(2).expand(
                        -1, n_tau_prime_samples, 1)).squeeze(2)
                target_quantile_values = reward.unsqueeze(1) + (
                    1.0 - terminated.unsqueeze(1)) * gamma * next_quantile_values
            td_errors = target_quantile_values.unsqueeze(1) - current_quantile_values.unsqueeze(2)
            huber_loss = F.smooth_l1_loss(
                current_quantile_values.unsqueeze(2).expand_as(td_errors),
                target_quantile_values.unsqueeze(1).expand_as(td_errors), reduction="none")
            quantile_weights = torch.abs(taus.unsqueeze(2) - (td_errors < 0).float())
            quantile_huber_loss = (quantile_weights * huber_loss / kappa)
            elementwise_loss = quantile_huber_loss.mean(dim=2).sum(dim=1)
            loss = torch.mean(elementwise_loss * weights)
            optimizer.zero_grad()
            loss.backward()
            norm = clip_grad_norm_(dqn.parameters(), 10.0)
            optimizer.step()
            dqn.reset_noise()
            dqn_target.reset_noise()
            out.print("it %d loss %.4f norm %.4f" % (it, loss.item(), norm))
            out.vals += [elementwise_loss.detach(), td_errors.detach(), huber_loss.detach()]
        dqn.eval()
        q = dqn(torch.FloatTensor(samples["obs"][0]).to(device), n_quantile_samples)
        out.print(q.shape, q.argmax().item(), dqn.training, dqn.fc_layer.training)
        dqn.train()
        out.vals += [q] + [p.detach() for p in dqn.parameters()]
    return out.done()
