"""ShangtongZhang/DeepRL deep_rl/network/network_heads.py transcribed for library L (the
heads of s19_deeprl_progs.deeprl: VanillaNet, DuelingNet, CategoricalNet, QuantileNet,
OptionCriticNet, DeterministicActorCriticNet, GaussianActorCriticNet,
CategoricalActorCriticNet, TD3Net)."""


def heads(L, d):
    """The head classes over the bodies and utilities in namespace d."""
    torch, nn, F = L, L.nn, L.nn.functional
    Config, BaseNet, layer_init, tensor, DummyBody = d.Config, d.BaseNet, d.layer_init, d.tensor, d.DummyBody

    class VanillaNet(nn.Module, BaseNet):
        def __init__(self, output_dim, body):
            super(VanillaNet, self).__init__()
            self.fc_head = layer_init(nn.Linear(body.feature_dim, output_dim))
            self.body = body
            self.to(Config.DEVICE)

        def forward(self, x):
            phi = self.body(tensor(x))
            q = self.fc_head(phi)
            return dict(q=q)

    class DuelingNet(nn.Module, BaseNet):
        def __init__(self, action_dim, body):
            super(DuelingNet, self).__init__()
            self.fc_value = layer_init(nn.Linear(body.feature_dim, 1))
            self.fc_advantage = layer_init(nn.Linear(body.feature_dim, action_dim))
            self.body = body
            self.to(Config.DEVICE)

        def forward(self, x, to_numpy=False):
            phi = self.body(tensor(x))
            value = self.fc_value(phi)
            advantange = self.fc_advantage(phi)
            q = value.expand_as(advantange) + (advantange - advantange.mean(1, keepdim=True).expand_as(advantange))
            return dict(q=q)

    class CategoricalNet(nn.Module, BaseNet):
        def __init__(self, action_dim, num_atoms, body):
            super(CategoricalNet, self).__init__()
            self.fc_categorical = layer_init(nn.Linear(body.feature_dim, action_dim * num_atoms))
            self.action_dim = action_dim
            self.num_atoms = num_atoms
            self.body = body
            self.to(Config.DEVICE)

        def forward(self, x):
            phi = self.body(tensor(x))
            pre_prob = self.fc_categorical(phi).view((-1, self.action_dim, self.num_atoms))
            prob = F.softmax(pre_prob, dim=-1)
            log_prob = F.log_softmax(pre_prob, dim=-1)
            return dict(prob=prob, log_prob=log_prob)

    class QuantileNet(nn.Module, BaseNet):
        def __init__(self, action_dim, num_quantiles, body):
            super(QuantileNet, self).__init__()
            self.fc_quantiles = layer_init(nn.Linear(body.feature_dim, action_dim * num_quantiles))
            self.action_dim = action_dim
            self.num_quantiles = num_quantiles
            self.body = body
            self.to(Config.DEVICE)

        def forward(self, x):
            phi = self.body(tensor(x))
            quantiles = self.fc_quantiles(phi)
            quantiles = quantiles.view((-1, self.action_dim, self.num_quantiles))
            return dict(quantile=quantiles)

    class OptionCriticNet(nn.Module, BaseNet):
        def __init__(self, body, action_dim, num_options):
            super(OptionCriticNet, self).__init__()
            self.fc_q = layer_init(nn.Linear(body.feature_dim, num_options))
            self.fc_pi = layer_init(nn.Linear(body.feature_dim, num_options * action_dim))
            self.fc_beta = layer_init(nn.Linear(body.feature_dim, num_options))
            self.num_options = num_options
            self.action_dim = action_dim
            self.body = body
            self.to(Config.DEVICE)

        def forward(self, x):
            phi = self.body(tensor(x))
            q = self.fc_q(phi)
            pi = self.fc_pi(phi)
            beta = F.sigmoid(self.fc_beta(phi))
            pi = pi.view(-1, self.num_options, self.action_dim)
            log_pi = F.log_softmax(pi, dim=-1)
            pi = F.softmax(pi, dim=-1)
            return {'q': q,
                    'beta': beta,
                    'log_pi': log_pi,
                    'pi': pi}

    class DeterministicActorCriticNet(nn.Module, BaseNet):
        def __init__(self, state_dim, action_dim, actor_opt_fn, critic_opt_fn,
                     phi_body=None, actor_body=None, critic_body=None):
            super(DeterministicActorCriticNet, self).__init__()
            if phi_body is None: phi_body = DummyBody(state_dim)
            if actor_body is None: actor_body = DummyBody(phi_body.feature_dim)
            if critic_body is None: critic_body = DummyBody(phi_body.feature_dim)
            self.phi_body = phi_body
            self.actor_body = actor_body
            self.critic_body = critic_body
            self.fc_action = layer_init(nn.Linear(actor_body.feature_dim, action_dim), 1e-3)
            self.fc_critic = layer_init(nn.Linear(critic_body.feature_dim, 1), 1e-3)

            self.actor_params = list(self.actor_body.parameters()) + list(self.fc_action.parameters())
            self.critic_params = list(self.critic_body.parameters()) + list(self.fc_critic.parameters())
            self.phi_params = list(self.phi_body.parameters())

            self.actor_opt = actor_opt_fn(self.actor_params + self.phi_params)
            self.critic_opt = critic_opt_fn(self.critic_params + self.phi_params)
            self.to(Config.DEVICE)

        def forward(self, obs):
            phi = self.feature(obs)
            action = self.actor(phi)
            return action

        def feature(self, obs):
            obs = tensor(obs)
            return self.phi_body(obs)

        def actor(self, phi):
            return torch.tanh(self.fc_action(self.actor_body(phi)))

        def critic(self, phi, a):
            return self.fc_critic(self.critic_body(phi, a))

    class GaussianActorCriticNet(nn.Module, BaseNet):
        def __init__(self, state_dim, action_dim, phi_body=None, actor_body=None, critic_body=None):
            super(GaussianActorCriticNet, self).__init__()
            if phi_body is None: phi_body = DummyBody(state_dim)
            if actor_body is None: actor_body = DummyBody(phi_body.feature_dim)
            if critic_body is None: critic_body = DummyBody(phi_body.feature_dim)
            self.phi_body = phi_body
            self.actor_body = actor_body
            self.critic_body = critic_body
            self.fc_action = layer_init(nn.Linear(actor_body.feature_dim, action_dim), 1e-3)
            self.fc_critic = layer_init(nn.Linear(critic_body.feature_dim, 1), 1e-3)

            self.actor_params = list(self.actor_body.parameters()) + list(self.fc_action.parameters())
            self.critic_params = list(self.critic_body.parameters()) + list(self.fc_critic.parameters())
            self.phi_params = list(self.phi_body.parameters())

            self.std = nn.Parameter(torch.zeros(action_dim))
            self.to(Config.DEVICE)

        def forward(self, obs, action=None):
            obs = tensor(obs)
            phi = self.phi_body(obs)
            phi_a = self.actor_body(phi)
            phi_v = self.critic_body(phi)
            mean = torch.tanh(self.fc_action(phi_a))
            v = self.fc_critic(phi_v)
            dist = torch.distributions.Normal(mean, F.softplus(self.std))
            if action is None:
                action = dist.sample()
            log_prob = dist.log_prob(action).sum(-1).unsqueeze(-1)
            entropy = dist.entropy().sum(-1).unsqueeze(-1)
            return {'action': action,
                    'log_pi_a': log_prob,
                    'entropy': entropy,
                    'mean': mean,
                    'v': v}

    class CategoricalActorCriticNet(nn.Module, BaseNet):
        def __init__(self, state_dim, action_dim, phi_body=None, actor_body=None, critic_body=None):
            super(CategoricalActorCriticNet, self).__init__()
            if phi_body is None: phi_body = DummyBody(state_dim)
            if actor_body is None: actor_body = DummyBody(phi_body.feature_dim)
            if critic_body is None: critic_body = DummyBody(phi_body.feature_dim)
            self.phi_body = phi_body
            self.actor_body = actor_body
            self.critic_body = critic_body
            self.fc_action = layer_init(nn.Linear(actor_body.feature_dim, action_dim), 1e-3)
            self.fc_critic = layer_init(nn.Linear(critic_body.feature_dim, 1), 1e-3)

            self.actor_params = list(self.actor_body.parameters()) + list(self.fc_action.parameters())
            self.critic_params = list(self.critic_body.parameters()) + list(self.fc_critic.parameters())
            self.phi_params = list(self.phi_body.parameters())

            self.to(Config.DEVICE)

        def forward(self, obs, action=None):
            obs = tensor(obs)
            phi = self.phi_body(obs)
            phi_a = self.actor_body(phi)
            phi_v = self.critic_body(phi)
            logits = self.fc_action(phi_a)
            v = self.fc_critic(phi_v)
            dist = torch.distributions.Categorical(logits=logits)
            if action is None:
                action = dist.sample()
            log_prob = dist.log_prob(action).unsqueeze(-1)
            entropy = dist.entropy().unsqueeze(-1)
            return {'action': action,
                    'log_pi_a': log_prob,
                    'entropy': entropy,
                    'v': v}

    class TD3Net(nn.Module, BaseNet):
        def __init__(self, action_dim, actor_body_fn, critic_body_fn, actor_opt_fn, critic_opt_fn):
            super(TD3Net, self).__init__()
            self.actor_body = actor_body_fn()
            self.critic_body_1 = critic_body_fn()
            self.critic_body_2 = critic_body_fn()

            self.fc_action = layer_init(nn.Linear(self.actor_body.feature_dim, action_dim), 1e-3)
            self.fc_critic_1 = layer_init(nn.Linear(self.critic_body_1.feature_dim, 1), 1e-3)
            self.fc_critic_2 = layer_init(nn.Linear(self.critic_body_2.feature_dim, 1), 1e-3)

            self.actor_params = list(self.actor_body.parameters()) + list(self.fc_action.parameters())
            self.critic_params = list(self.critic_body_1.parameters()) + list(self.fc_critic_1.parameters()) + \
                list(self.critic_body_2.parameters()) + list(self.fc_critic_2.parameters())

            self.actor_opt = actor_opt_fn(self.actor_params)
            self.critic_opt = critic_opt_fn(self.critic_params)
            self.to(Config.DEVICE)

        def forward(self, obs):
            obs = tensor(obs)
            return torch.tanh(self.fc_action(self.actor_body(obs)))

        def q(self, obs, a):
            obs = tensor(obs)
            a = tensor(a)
            x = torch.cat([obs, a], dim=1)
            q_1 = self.fc_critic_1(self.critic_body_1(x))
            q_2 = self.fc_critic_2(self.critic_body_2(x))
            return q_1, q_2

    return {k: v for k, v in locals().items() if k not in ("L", "d", "torch", "nn", "F")}
