"""tinkoff-ai/CORL's other single-file offline RL programs as users type them, scaled down:
algorithms/offline/dt.py (a Decision Transformer on hand-written blocks around
nn.MultiheadAttention with a registered bool causal mask and a bool key-padding mask,
SequenceDataset as an IterableDataset under DataLoader, right padding with np.pad,
eval_rollout under @torch.no_grad() in eval mode, i.e. on PyTorch's fused attention path)
and algorithms/offline/edac.py (VectorizedLinear ensembles, VectorizedCritic, the tanh
Gaussian Actor, the ensemble-diversity loss through torch.autograd.grad(create_graph=True)).
D4RL data and Gym environments are NumPy-seeded stand-ins. ``prog(L) -> (printed, values)``
for tests/test_programs_s20_marl.py."""

import math
import random

import numpy as np
from s16_yunjey_progs import Out


def pad_along_axis(arr, pad_to, axis=0, fill_value=0.0):
    pad_size = pad_to - arr.shape[axis]
    if pad_size <= 0:
        return arr
    npad = [(0, 0)] * arr.ndim
    npad[axis] = (0, pad_size)
    return np.pad(arr, pad_width=npad, mode="constant", constant_values=fill_value)


def dt_corl(L):
    """CORL dt.py: TransformerBlock (pre-norm, MultiheadAttention with attn_mask=bool causal
    buffer slice, key_padding_mask, need_weights=False), DecisionTransformer with
    self.apply(_init_weights), the DataLoader over an IterableDataset (float64 mask makes a
    float64 loss), AdamW + LambdaLR warm-up, and eval_rollout (no padding, fused path)."""
    torch, nn, F = L, L.nn, L.nn.functional
    IterableDataset, DataLoader = L.utils.data.IterableDataset, L.utils.data.DataLoader
    with Out() as o:
        np.random.seed(0); random.seed(0); torch.manual_seed(0)
        rng = np.random.RandomState(5)
        state_dim, action_dim, seq_len, episode_len = 3, 2, 4, 12
        trajs = []
        for _ in range(4):
            n = int(rng.randint(2, 8))
            rewards = rng.rand(n).astype(np.float32)
            trajs.append({"observations": rng.randn(n, state_dim).astype(np.float32),
                          "actions": np.tanh(rng.randn(n, action_dim)).astype(np.float32),
                          "rewards": rewards,
                          "returns": np.cumsum(rewards[::-1])[::-1].astype(np.float32)})
        obs = np.concatenate([t["observations"] for t in trajs])
        info = {"obs_mean": obs.mean(0, keepdims=True), "obs_std": obs.std(0, keepdims=True) + 1e-6,
                "traj_lens": np.array([t["rewards"].shape[0] for t in trajs])}

        class SequenceDataset(IterableDataset):
            def __init__(self, seq_len=10, reward_scale=1.0):
                self.dataset = trajs
                self.reward_scale, self.seq_len = reward_scale, seq_len
                self.state_mean, self.state_std = info["obs_mean"], info["obs_std"]
                self.sample_prob = info["traj_lens"] / info["traj_lens"].sum()

            def __prepare_sample(self, traj_idx, start_idx):
                traj = self.dataset[traj_idx]
                states = traj["observations"][start_idx: start_idx + self.seq_len]
                actions = traj["actions"][start_idx: start_idx + self.seq_len]
                returns = traj["returns"][start_idx: start_idx + self.seq_len]
                time_steps = np.arange(start_idx, start_idx + self.seq_len)
                states = (states - self.state_mean) / self.state_std
                returns = returns * self.reward_scale
                mask = np.hstack([np.ones(states.shape[0]),
                                  np.zeros(self.seq_len - states.shape[0])])
                if states.shape[0] < self.seq_len:
                    states = pad_along_axis(states, pad_to=self.seq_len)
                    actions = pad_along_axis(actions, pad_to=self.seq_len)
                    returns = pad_along_axis(returns, pad_to=self.seq_len)
                return states, actions, returns, time_steps, mask

            def __iter__(self):
                while True:
                    traj_idx = np.random.choice(len(self.dataset), p=self.sample_prob)
                    start_idx = random.randint(0, self.dataset[traj_idx]["rewards"].shape[0] - 1)
                    yield self.__prepare_sample(traj_idx, start_idx)

        class TransformerBlock(nn.Module):
            def __init__(self, seq_len, embedding_dim, num_heads, attention_dropout,
                         residual_dropout):
                super().__init__()
                self.norm1 = nn.LayerNorm(embedding_dim)
                self.norm2 = nn.LayerNorm(embedding_dim)
                self.drop = nn.Dropout(residual_dropout)
                self.attention = nn.MultiheadAttention(embedding_dim, num_heads,
                                                       attention_dropout, batch_first=True)
                self.mlp = nn.Sequential(nn.Linear(embedding_dim, 4 * embedding_dim), nn.GELU(),
                                         nn.Linear(4 * embedding_dim, embedding_dim),
                                         nn.Dropout(residual_dropout))
                self.register_buffer("causal_mask",
                                     ~torch.tril(torch.ones(seq_len, seq_len)).to(bool))
                self.seq_len = seq_len

            def forward(self, x, padding_mask=None):
                causal_mask = self.causal_mask[: x.shape[1], : x.shape[1]]
                norm_x = self.norm1(x)
                attention_out = self.attention(query=norm_x, key=norm_x, value=norm_x,
                                               attn_mask=causal_mask,
                                               key_padding_mask=padding_mask,
                                               need_weights=False)[0]
                x = x + self.drop(attention_out)
                x = x + self.mlp(self.norm2(x))
                return x

        class DecisionTransformer(nn.Module):
            def __init__(self, state_dim, action_dim, seq_len=10, episode_len=1000,
                         embedding_dim=128, num_layers=4, num_heads=8, attention_dropout=0.0,
                         residual_dropout=0.0, embedding_dropout=0.0, max_action=1.0):
                super().__init__()
                self.emb_drop = nn.Dropout(embedding_dropout)
                self.emb_norm = nn.LayerNorm(embedding_dim)
                self.out_norm = nn.LayerNorm(embedding_dim)
                self.timestep_emb = nn.Embedding(episode_len + seq_len, embedding_dim)
                self.state_emb = nn.Linear(state_dim, embedding_dim)
                self.action_emb = nn.Linear(action_dim, embedding_dim)
                self.return_emb = nn.Linear(1, embedding_dim)
                self.blocks = nn.ModuleList([
                    TransformerBlock(seq_len=3 * seq_len, embedding_dim=embedding_dim,
                                     num_heads=num_heads, attention_dropout=attention_dropout,
                                     residual_dropout=residual_dropout)
                    for _ in range(num_layers)])
                self.action_head = nn.Sequential(nn.Linear(embedding_dim, action_dim), nn.Tanh())
                self.seq_len, self.embedding_dim = seq_len, embedding_dim
                self.state_dim, self.action_dim = state_dim, action_dim
                self.episode_len, self.max_action = episode_len, max_action
                self.apply(self._init_weights)

            @staticmethod
            def _init_weights(module):
                if isinstance(module, (nn.Linear, nn.Embedding)):
                    torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                    if isinstance(module, nn.Linear) and module.bias is not None:
                        torch.nn.init.zeros_(module.bias)
                elif isinstance(module, nn.LayerNorm):
                    torch.nn.init.zeros_(module.bias)
                    torch.nn.init.ones_(module.weight)

            def forward(self, states, actions, returns_to_go, time_steps, padding_mask=None):
                batch_size, seq_len = states.shape[0], states.shape[1]
                time_emb = self.timestep_emb(time_steps)
                state_emb = self.state_emb(states) + time_emb
                act_emb = self.action_emb(actions) + time_emb
                returns_emb = self.return_emb(returns_to_go.unsqueeze(-1)) + time_emb
                sequence = (torch.stack([returns_emb, state_emb, act_emb], dim=1)
                            .permute(0, 2, 1, 3).reshape(batch_size, 3 * seq_len,
                                                         self.embedding_dim))
                if padding_mask is not None:
                    padding_mask = (torch.stack([padding_mask, padding_mask, padding_mask],
                                                dim=1).permute(0, 2, 1)
                                    .reshape(batch_size, 3 * seq_len))
                out = self.emb_norm(sequence)
                out = self.emb_drop(out)
                for block in self.blocks:
                    out = block(out, padding_mask=padding_mask)
                out = self.out_norm(out)
                out = self.action_head(out[:, 1::3]) * self.max_action
                return out

        @torch.no_grad()
        def eval_rollout(model, env_rng, target_return, device="cpu"):
            states = torch.zeros(1, model.episode_len + 1, model.state_dim, dtype=torch.float,
                                 device=device)
            actions = torch.zeros(1, model.episode_len, model.action_dim, dtype=torch.float,
                                  device=device)
            returns = torch.zeros(1, model.episode_len + 1, dtype=torch.float, device=device)
            time_steps = torch.arange(model.episode_len, dtype=torch.long, device=device)
            time_steps = time_steps.view(1, -1)
            states[:, 0] = torch.as_tensor(env_rng.randn(state_dim), device=device)
            returns[:, 0] = torch.as_tensor(target_return, device=device)
            episode_return, episode_len = 0.0, 0.0
            for step in range(6):
                predicted_actions = model(
                    states[:, : step + 1][:, -model.seq_len:],
                    actions[:, : step + 1][:, -model.seq_len:],
                    returns[:, : step + 1][:, -model.seq_len:],
                    time_steps[:, : step + 1][:, -model.seq_len:])
                predicted_action = predicted_actions[0, -1].cpu().numpy()
                next_state = env_rng.randn(state_dim) + predicted_action.sum()
                reward = float(np.cos(predicted_action).sum())
                actions[:, step] = torch.as_tensor(predicted_action)
                states[:, step + 1] = torch.as_tensor(next_state)
                returns[:, step + 1] = torch.as_tensor(returns[:, step] - reward)
                episode_return += reward
                episode_len += 1
            return episode_return, episode_len, predicted_actions

        dataset = SequenceDataset(seq_len=seq_len, reward_scale=0.1)
        trainloader = DataLoader(dataset, batch_size=3, pin_memory=True, num_workers=0)
        model = DecisionTransformer(state_dim=state_dim, action_dim=action_dim,
                                    embedding_dim=16, seq_len=seq_len, episode_len=episode_len,
                                    num_layers=2, num_heads=2, attention_dropout=0.1,
                                    residual_dropout=0.1, embedding_dropout=0.1)
        optim = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4,
                                  betas=(0.9, 0.999))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optim, lambda steps: min((steps + 1) / 2, 1))
        o.print(f"Total parameters: {sum(p.numel() for p in model.parameters())}")
        trainloader_iter = iter(trainloader)
        for step in range(4):
            batch = next(trainloader_iter)
            states, actions, returns, time_steps, mask = [b.to("cpu") for b in batch]
            if step == 0:
                o.print([(b.dtype, tuple(b.shape)) for b in batch])
            padding_mask = ~mask.to(torch.bool)
            predicted_actions = model(states=states, actions=actions, returns_to_go=returns,
                                      time_steps=time_steps, padding_mask=padding_mask)
            loss = F.mse_loss(predicted_actions, actions.detach(), reduction="none")
            loss = (loss * mask.unsqueeze(-1)).mean()
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            optim.step()
            scheduler.step()
            o.print({"train_loss": round(loss.item(), 4), "dtype": str(loss.dtype),
                     "learning_rate": scheduler.get_last_lr()[0]})
            o.vals += [loss, predicted_actions]
        model.eval()
        ret, length, last = eval_rollout(model, np.random.RandomState(9), 2.0 * 0.1)
        o.print(f"{ret:.4f}", length, last.shape)
        o.vals += [last] + list(model.parameters())
    return o.done()


def edac(L):
    """CORL edac.py: VectorizedLinear (x @ weight + bias over an ensemble axis, per-member
    kaiming_uniform_ on weight[layer], _calculate_fan_in_and_fan_out), VectorizedCritic with
    repeat_interleave, the Actor's clipped log-sigma and tanh change of variables, the
    critic-diversity loss via autograd.grad(create_graph=True), alpha tuning on a leaf
    tensor, soft target updates."""
    torch, nn = L, L.nn
    Normal = L.distributions.Normal
    with Out() as o:
        torch.manual_seed(3)
        rng = np.random.RandomState(3)

        class VectorizedLinear(nn.Module):
            def __init__(self, in_features, out_features, ensemble_size):
                super().__init__()
                self.in_features, self.out_features = in_features, out_features
                self.ensemble_size = ensemble_size
                self.weight = nn.Parameter(torch.empty(ensemble_size, in_features, out_features))
                self.bias = nn.Parameter(torch.empty(ensemble_size, 1, out_features))
                self.reset_parameters()

            def reset_parameters(self):
                for layer in range(self.ensemble_size):
                    nn.init.kaiming_uniform_(self.weight[layer], a=math.sqrt(5))
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.weight[0])
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                nn.init.uniform_(self.bias, -bound, bound)

            def forward(self, x):
                return x @ self.weight + self.bias

        class VectorizedCritic(nn.Module):
            def __init__(self, state_dim, action_dim, hidden_dim, num_critics):
                super().__init__()
                self.critic = nn.Sequential(
                    VectorizedLinear(state_dim + action_dim, hidden_dim, num_critics), nn.ReLU(),
                    VectorizedLinear(hidden_dim, hidden_dim, num_critics), nn.ReLU(),
                    VectorizedLinear(hidden_dim, 1, num_critics))
                for layer in self.critic[::2]:
                    torch.nn.init.constant_(layer.bias, 0.1)
                torch.nn.init.uniform_(self.critic[-1].weight, -3e-3, 3e-3)
                torch.nn.init.uniform_(self.critic[-1].bias, -3e-3, 3e-3)
                self.num_critics = num_critics

            def forward(self, state, action):
                state_action = torch.cat([state, action], dim=-1)
                if state_action.dim() != 3:
                    assert state_action.dim() == 2
                    state_action = state_action.unsqueeze(0).repeat_interleave(
                        self.num_critics, dim=0)
                assert state_action.dim() == 3
                assert state_action.shape[0] == self.num_critics
                return self.critic(state_action).squeeze(-1)

        class Actor(nn.Module):
            def __init__(self, state_dim, action_dim, hidden_dim, max_action=1.0):
                super().__init__()
                self.trunk = nn.Sequential(nn.Linear(state_dim, hidden_dim), nn.ReLU(),
                                           nn.Linear(hidden_dim, hidden_dim), nn.ReLU())
                self.mu = nn.Linear(hidden_dim, action_dim)
                self.log_sigma = nn.Linear(hidden_dim, action_dim)
                for layer in self.trunk[::2]:
                    torch.nn.init.constant_(layer.bias, 0.1)
                torch.nn.init.uniform_(self.mu.weight, -1e-3, 1e-3)
                torch.nn.init.uniform_(self.mu.bias, -1e-3, 1e-3)
                torch.nn.init.uniform_(self.log_sigma.weight, -1e-3, 1e-3)
                torch.nn.init.uniform_(self.log_sigma.bias, -1e-3, 1e-3)
                self.action_dim, self.max_action = action_dim, max_action

            def forward(self, state, deterministic=False, need_log_prob=False):
                hidden = self.trunk(state)
                mu, log_sigma = self.mu(hidden), self.log_sigma(hidden)
                log_sigma = torch.clip(log_sigma, -5, 2)
                policy_dist = Normal(mu, torch.exp(log_sigma))
                action = mu if deterministic else policy_dist.rsample()
                tanh_action, log_prob = torch.tanh(action), None
                if need_log_prob:
                    log_prob = policy_dist.log_prob(action).sum(axis=-1)
                    log_prob = log_prob - torch.log(1 - tanh_action.pow(2) + 1e-6).sum(axis=-1)
                return tanh_action * self.max_action, log_prob

        state_dim, action_dim, num_critics, gamma, tau, eta, eps = 4, 2, 3, 0.99, 5e-3, 1.0, 1e-6
        actor = Actor(state_dim, action_dim, 16)
        critic = VectorizedCritic(state_dim, action_dim, 16, num_critics)
        import copy
        target_critic = copy.deepcopy(critic)
        actor_optimizer = torch.optim.Adam(actor.parameters(), lr=3e-4)
        critic_optimizer = torch.optim.Adam(critic.parameters(), lr=3e-4)
        target_entropy = -float(action_dim)
        log_alpha = torch.tensor([0.0], dtype=torch.float32, device="cpu", requires_grad=True)
        alpha_optimizer = torch.optim.Adam([log_alpha], lr=3e-4)
        alpha = log_alpha.exp().detach()
        o.print(critic)
        for it in range(3):
            state = torch.tensor(rng.randn(5, state_dim), dtype=torch.float32)
            action = torch.tensor(np.tanh(rng.randn(5, action_dim)), dtype=torch.float32)
            reward = torch.tensor(rng.rand(5, 1), dtype=torch.float32)
            next_state = torch.tensor(rng.randn(5, state_dim), dtype=torch.float32)
            done = torch.tensor((rng.rand(5, 1) < 0.2), dtype=torch.float32)
            # alpha
            with torch.no_grad():
                a, action_log_prob = actor(state, need_log_prob=True)
            alpha_loss = (-log_alpha * (action_log_prob + target_entropy)).mean()
            alpha_optimizer.zero_grad(); alpha_loss.backward(); alpha_optimizer.step()
            alpha = log_alpha.exp().detach()
            # actor
            pi, pi_log_prob = actor(state, need_log_prob=True)
            q_value_dist = critic(state, pi)
            q_value_min = q_value_dist.min(0).values
            q_value_std = q_value_dist.std(0).mean().item()
            assert pi_log_prob.shape == q_value_min.shape
            actor_loss = (alpha * pi_log_prob - q_value_min).mean()
            actor_optimizer.zero_grad(); actor_loss.backward(); actor_optimizer.step()
            # critic
            with torch.no_grad():
                next_action, next_action_log_prob = actor(next_state, need_log_prob=True)
                q_next = target_critic(next_state, next_action).min(0).values
                q_next = q_next - alpha * next_action_log_prob
                assert q_next.unsqueeze(-1).shape == done.shape == reward.shape
                q_target = reward + gamma * (1 - done) * q_next.unsqueeze(-1)
            q_values = critic(state, action)
            critic_loss = ((q_values - q_target.view(1, -1)) ** 2).mean(dim=1).sum(dim=0)
            st = state.unsqueeze(0).repeat_interleave(num_critics, dim=0)
            ac = action.unsqueeze(0).repeat_interleave(num_critics, dim=0).requires_grad_(True)
            q_ensemble = critic(st, ac)
            q_action_grad = torch.autograd.grad(q_ensemble.sum(), ac, retain_graph=True,
                                                create_graph=True)[0]
            q_action_grad = q_action_grad / (torch.norm(q_action_grad, p=2, dim=2).unsqueeze(-1) + eps)
            q_action_grad = q_action_grad.transpose(0, 1)
            masks = torch.eye(num_critics).unsqueeze(dim=0).repeat(q_action_grad.shape[0], 1, 1)
            q_action_grad = q_action_grad @ q_action_grad.permute(0, 2, 1)
            q_action_grad = (1 - masks) * q_action_grad
            diversity_loss = q_action_grad.sum(dim=(1, 2)).mean() / (num_critics - 1)
            loss = critic_loss + eta * diversity_loss
            critic_optimizer.zero_grad(); loss.backward(); critic_optimizer.step()
            with torch.no_grad():
                for target_param, source_param in zip(target_critic.parameters(),
                                                      critic.parameters()):
                    target_param.data.copy_((1 - tau) * target_param.data + tau * source_param.data)
            o.print(f"it {it}: alpha_loss {alpha_loss.item():.4f} actor_loss {actor_loss.item():.4f}"
                    f" critic_loss {critic_loss.item():.4f} diversity {diversity_loss.item():.4f}"
                    f" q_std {q_value_std:.4f} alpha {alpha.item():.4f}")
            o.vals += [alpha_loss, actor_loss, critic_loss, diversity_loss, q_target]
        o.vals += list(critic.parameters()) + list(actor.parameters()) + [log_alpha]
        o.tryit(lambda: critic(torch.zeros(3, 2, state_dim), torch.zeros(2, 2, action_dim)))
        o.tryit(lambda: VectorizedLinear(3, 2, 2)(torch.zeros(3, 4, 3)))
    return o.done()
