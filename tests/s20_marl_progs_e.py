"""kzl/decision-transformer (gym/decision_transformer/models/decision_transformer.py,
training/seq_trainer.py, evaluation/evaluate_episodes.py and experiment.py's get_batch /
discount_cumsum) as users type it, scaled down (hidden 16, context K=4). transformers'
GPT2Model is replaced as users do when they drop the dependency: by nn.TransformerEncoder
with a causal mask and a key-padding mask, or by a hand-written GPT-2 block (causal tril
buffer, GPT-2's additive (1 - mask) * -10000 attention mask, gelu_new). The D4RL
trajectories and the Gym env are NumPy-seeded stand-ins. ``prog(L) -> (printed, values)``
for tests/test_programs_s20_marl.py."""

import math
import random

import numpy as np
from s16_yunjey_progs import Out

H, K, MAX_EP_LEN = 16, 4, 20


def _dt(L, transformer_factory):
    torch, nn = L, L.nn

    class DecisionTransformer(nn.Module):
        def __init__(self, state_dim, act_dim, hidden_size, max_length=None,
                     max_ep_len=4096, action_tanh=True):
            super().__init__()
            self.state_dim, self.act_dim, self.max_length = state_dim, act_dim, max_length
            self.hidden_size = hidden_size
            self.transformer = transformer_factory(hidden_size)
            self.embed_timestep = nn.Embedding(max_ep_len, hidden_size)
            self.embed_return = torch.nn.Linear(1, hidden_size)
            self.embed_state = torch.nn.Linear(self.state_dim, hidden_size)
            self.embed_action = torch.nn.Linear(self.act_dim, hidden_size)
            self.embed_ln = nn.LayerNorm(hidden_size)
            self.predict_state = torch.nn.Linear(hidden_size, self.state_dim)
            self.predict_action = nn.Sequential(
                *([nn.Linear(hidden_size, self.act_dim)] + ([nn.Tanh()] if action_tanh else [])))
            self.predict_return = torch.nn.Linear(hidden_size, 1)

        def forward(self, states, actions, rewards, returns_to_go, timesteps,
                    attention_mask=None):
            batch_size, seq_length = states.shape[0], states.shape[1]
            if attention_mask is None:
                attention_mask = torch.ones((batch_size, seq_length), dtype=torch.long)
            state_embeddings = self.embed_state(states)
            action_embeddings = self.embed_action(actions)
            returns_embeddings = self.embed_return(returns_to_go)
            time_embeddings = self.embed_timestep(timesteps)
            state_embeddings = state_embeddings + time_embeddings
            action_embeddings = action_embeddings + time_embeddings
            returns_embeddings = returns_embeddings + time_embeddings
            stacked_inputs = torch.stack(
                (returns_embeddings, state_embeddings, action_embeddings), dim=1
            ).permute(0, 2, 1, 3).reshape(batch_size, 3 * seq_length, self.hidden_size)
            stacked_inputs = self.embed_ln(stacked_inputs)
            stacked_attention_mask = torch.stack(
                (attention_mask, attention_mask, attention_mask), dim=1
            ).permute(0, 2, 1).reshape(batch_size, 3 * seq_length)
            x = self.transformer(stacked_inputs, stacked_attention_mask)
            x = x.reshape(batch_size, seq_length, 3, self.hidden_size).permute(0, 2, 1, 3)
            return_preds = self.predict_return(x[:, 2])
            state_preds = self.predict_state(x[:, 2])
            action_preds = self.predict_action(x[:, 1])
            return state_preds, action_preds, return_preds

        def get_action(self, states, actions, rewards, returns_to_go, timesteps):
            states = states.reshape(1, -1, self.state_dim)
            actions = actions.reshape(1, -1, self.act_dim)
            returns_to_go = returns_to_go.reshape(1, -1, 1)
            timesteps = timesteps.reshape(1, -1)
            states = states[:, -self.max_length:]
            actions = actions[:, -self.max_length:]
            returns_to_go = returns_to_go[:, -self.max_length:]
            timesteps = timesteps[:, -self.max_length:]
            attention_mask = torch.cat([torch.zeros(self.max_length - states.shape[1]),
                                        torch.ones(states.shape[1])])
            attention_mask = attention_mask.to(dtype=torch.long,
                                               device=states.device).reshape(1, -1)
            states = torch.cat(
                [torch.zeros((states.shape[0], self.max_length - states.shape[1],
                              self.state_dim), device=states.device), states],
                dim=1).to(dtype=torch.float32)
            actions = torch.cat(
                [torch.zeros((actions.shape[0], self.max_length - actions.shape[1],
                              self.act_dim), device=actions.device), actions],
                dim=1).to(dtype=torch.float32)
            returns_to_go = torch.cat(
                [torch.zeros((returns_to_go.shape[0], self.max_length - returns_to_go.shape[1],
                              1), device=returns_to_go.device), returns_to_go],
                dim=1).to(dtype=torch.float32)
            timesteps = torch.cat(
                [torch.zeros((timesteps.shape[0], self.max_length - timesteps.shape[1]),
                             device=timesteps.device), timesteps], dim=1).to(dtype=torch.long)
            _, action_preds, return_preds = self.forward(
                states, actions, None, returns_to_go, timesteps, attention_mask=attention_mask)
            return action_preds[0, -1]

    return DecisionTransformer


def discount_cumsum(x, gamma):
    discount_cumsum = np.zeros_like(x)
    discount_cumsum[-1] = x[-1]
    for t in reversed(range(x.shape[0] - 1)):
        discount_cumsum[t] = x[t] + gamma * discount_cumsum[t + 1]
    return discount_cumsum


def _experiment(L, o, DecisionTransformer, seed, steps):
    """experiment.py: trajectories, get_batch with left padding, the SequenceTrainer's
    train_step (masked action MSE, AdamW, LambdaLR warm-up, clip_grad_norm_ .25), then
    evaluate_episode_rtg on a stand-in env."""
    torch = L
    np.random.seed(seed); random.seed(seed); torch.manual_seed(seed)
    rng = np.random.RandomState(seed + 7)
    state_dim, act_dim, scale = 3, 2, 10.0
    trajectories = []
    for _ in range(5):
        n = int(rng.randint(2, 9))
        trajectories.append({"observations": rng.randn(n, state_dim).astype(np.float32),
                             "actions": np.tanh(rng.randn(n, act_dim)).astype(np.float32),
                             "rewards": rng.rand(n).astype(np.float32),
                             "terminals": np.zeros(n, dtype=bool)})
    states, traj_lens, returns = [], [], []
    for path in trajectories:
        states.append(path["observations"])
        traj_lens.append(len(path["observations"]))
        returns.append(path["rewards"].sum())
    traj_lens, returns = np.array(traj_lens), np.array(returns)
    states = np.concatenate(states, axis=0)
    state_mean, state_std = np.mean(states, axis=0), np.std(states, axis=0) + 1e-6
    num_timesteps = sum(traj_lens)
    o.print(f"Average return: {np.mean(returns):.2f}, std: {np.std(returns):.2f}")
    sorted_inds = np.argsort(returns)
    num_trajectories = len(trajectories)
    p_sample = traj_lens[sorted_inds] / sum(traj_lens[sorted_inds])
    max_len = K

    def get_batch(batch_size=256, max_len=K):
        batch_inds = np.random.choice(np.arange(num_trajectories), size=batch_size,
                                      replace=True, p=p_sample)
        s, a, r, d, rtg, timesteps, mask = [], [], [], [], [], [], []
        for i in range(batch_size):
            traj = trajectories[int(sorted_inds[batch_inds[i]])]
            si = random.randint(0, traj['rewards'].shape[0] - 1)
            s.append(traj['observations'][si:si + max_len].reshape(1, -1, state_dim))
            a.append(traj['actions'][si:si + max_len].reshape(1, -1, act_dim))
            r.append(traj['rewards'][si:si + max_len].reshape(1, -1, 1))
            d.append(traj['terminals'][si:si + max_len].reshape(1, -1))
            timesteps.append(np.arange(si, si + s[-1].shape[1]).reshape(1, -1))
            timesteps[-1][timesteps[-1] >= MAX_EP_LEN] = MAX_EP_LEN - 1  # padding cutoff
            rtg.append(discount_cumsum(traj['rewards'][si:], gamma=1.)[
                :s[-1].shape[1] + 1].reshape(1, -1, 1))
            if rtg[-1].shape[1] <= s[-1].shape[1]:
                rtg[-1] = np.concatenate([rtg[-1], np.zeros((1, 1, 1))], axis=1)
            tlen = s[-1].shape[1]
            s[-1] = np.concatenate([np.zeros((1, max_len - tlen, state_dim)), s[-1]], axis=1)
            s[-1] = (s[-1] - state_mean) / state_std
            a[-1] = np.concatenate([np.ones((1, max_len - tlen, act_dim)) * -10., a[-1]],
                                   axis=1)
            r[-1] = np.concatenate([np.zeros((1, max_len - tlen, 1)), r[-1]], axis=1)
            d[-1] = np.concatenate([np.ones((1, max_len - tlen)) * 2, d[-1]], axis=1)
            rtg[-1] = np.concatenate([np.zeros((1, max_len - tlen, 1)), rtg[-1]],
                                     axis=1) / scale
            timesteps[-1] = np.concatenate([np.zeros((1, max_len - tlen)), timesteps[-1]],
                                           axis=1)
            mask.append(np.concatenate([np.zeros((1, max_len - tlen)), np.ones((1, tlen))],
                                       axis=1))
        s = torch.from_numpy(np.concatenate(s, axis=0)).to(dtype=torch.float32)
        a = torch.from_numpy(np.concatenate(a, axis=0)).to(dtype=torch.float32)
        r = torch.from_numpy(np.concatenate(r, axis=0)).to(dtype=torch.float32)
        d = torch.from_numpy(np.concatenate(d, axis=0)).to(dtype=torch.long)
        rtg = torch.from_numpy(np.concatenate(rtg, axis=0)).to(dtype=torch.float32)
        timesteps = torch.from_numpy(np.concatenate(timesteps, axis=0)).to(dtype=torch.long)
        mask = torch.from_numpy(np.concatenate(mask, axis=0)).to(device="cpu")
        return s, a, r, d, rtg, timesteps, mask

    model = DecisionTransformer(state_dim=state_dim, act_dim=act_dim, max_length=K,
                                max_ep_len=MAX_EP_LEN, hidden_size=H)
    warmup_steps = 3
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda steps: min((steps + 1) / warmup_steps, 1))
    loss_fn = lambda s_hat, a_hat, r_hat, s, a, r: torch.mean((a_hat - a)**2)  # noqa: E731
    for it in range(steps):
        model.train()
        states_b, actions, rewards, dones, rtg, timesteps, attention_mask = get_batch(4)
        if it == 0:
            o.print(states_b.dtype, dones.dtype, timesteps.dtype, attention_mask.dtype,
                    rtg.shape, attention_mask.sum().item())
        action_target = torch.clone(actions)
        state_preds, action_preds, reward_preds = model.forward(
            states_b, actions, rewards, rtg[:, :-1], timesteps, attention_mask=attention_mask)
        act_dim = action_preds.shape[2]
        action_preds = action_preds.reshape(-1, act_dim)[attention_mask.reshape(-1) > 0]
        action_target = action_target.reshape(-1, act_dim)[attention_mask.reshape(-1) > 0]
        loss = loss_fn(None, action_preds, None, None, action_target, None)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), .25)
        optimizer.step()
        scheduler.step()
        with torch.no_grad():
            action_error = torch.mean((action_preds - action_target)**2).detach().cpu().item()
        o.print(f"step {it}: loss {loss.detach().cpu().item():.4f} "
                f"action_error {action_error:.4f} lr {scheduler.get_last_lr()[0]:.6f}")
        o.vals += [loss, action_preds]

    # evaluate_episode_rtg
    model.eval()
    state_mean_t = torch.from_numpy(state_mean).to(device="cpu")
    state_std_t = torch.from_numpy(state_std).to(device="cpu")
    env_rng = np.random.RandomState(seed + 1)
    state = env_rng.randn(state_dim).astype(np.float32)
    states_e = torch.from_numpy(state).reshape(1, state_dim).to(device="cpu",
                                                                dtype=torch.float32)
    actions_e = torch.zeros((0, act_dim), device="cpu", dtype=torch.float32)
    rewards_e = torch.zeros(0, device="cpu", dtype=torch.float32)
    ep_return = 3.0 / scale
    target_return = torch.tensor(ep_return, device="cpu", dtype=torch.float32).reshape(1, 1)
    timesteps_e = torch.tensor(0, device="cpu", dtype=torch.long).reshape(1, 1)
    episode_return = 0
    for t in range(6):
        actions_e = torch.cat([actions_e, torch.zeros((1, act_dim), device="cpu")], dim=0)
        rewards_e = torch.cat([rewards_e, torch.zeros(1, device="cpu")])
        action = model.get_action((states_e.to(dtype=torch.float32) - state_mean_t) / state_std_t,
                                  actions_e.to(dtype=torch.float32),
                                  rewards_e.to(dtype=torch.float32),
                                  target_return.to(dtype=torch.float32),
                                  timesteps_e.to(dtype=torch.long))
        actions_e[-1] = action
        action = action.detach().cpu().numpy()
        state = (env_rng.randn(state_dim) + 0.1 * action.sum()).astype(np.float32)
        reward = float(np.tanh(action).sum())
        cur_state = torch.from_numpy(state).to(device="cpu").reshape(1, state_dim)
        states_e = torch.cat([states_e, cur_state], dim=0)
        rewards_e[-1] = reward
        episode_return += reward
        pred_return = target_return[0, -1] - (reward / scale)
        target_return = torch.cat([target_return, pred_return.reshape(1, 1)], dim=1)
        timesteps_e = torch.cat(
            [timesteps_e, torch.ones((1, 1), device="cpu", dtype=torch.long) * (t + 1)], dim=1)
    o.print(f"episode_return {episode_return:.4f}", target_return.dtype, timesteps_e.tolist())
    o.vals += [actions_e, rewards_e, target_return]
    # the key bias of attention has a zero gradient in exact arithmetic (softmax ignores a
    # shift of all scores), so Adam turns rounding noise into +-lr steps: left out
    o.vals += [p for n, p in model.named_parameters()
               if not n.endswith(("in_proj_bias", "c_attn.bias"))]
    return model


def dt_torch_encoder(L):
    """The Decision Transformer on nn.TransformerEncoder (pre-norm GELU layers, batch_first,
    enable_nested_tensor's warning), a float causal mask from
    generate_square_subsequent_mask and a bool key-padding mask from the long / float64
    attention mask."""
    nn = L.nn

    class Encoder(nn.Module):
        def __init__(self, hidden):
            super().__init__()
            layer = nn.TransformerEncoderLayer(d_model=hidden, nhead=2,
                                               dim_feedforward=4 * hidden, dropout=0.0,
                                               activation="gelu", batch_first=True,
                                               norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=2)
            self.ln_f = nn.LayerNorm(hidden)

        def forward(self, x, attention_mask):
            T = x.shape[1]
            causal = nn.Transformer.generate_square_subsequent_mask(T)
            # key padding: only pad keys are masked; keep the causal diagonal visible
            pad = (attention_mask == 0)
            pad = pad & ~L.eye(T, dtype=L.bool)[-1].expand_as(pad)
            return self.ln_f(self.encoder(x, mask=causal, src_key_padding_mask=pad))

    with Out() as o:
        model = _experiment(L, o, _dt(L, Encoder), seed=0, steps=4)
        o.print(model.transformer.encoder.layers[0])
    return o.done()


def dt_gpt_block(L):
    """The Decision Transformer on a hand-written GPT-2 block: a registered causal tril
    buffer, masked_fill(-inf), GPT-2's extended attention mask (1 - mask) * -10000 built
    from a long mask, gelu_new with torch.pow, attention dropout, tied positional-free
    inputs (the timestep embedding carries position)."""
    torch, nn, F = L, L.nn, L.nn.functional

    class NewGELU(nn.Module):
        def forward(self, x):
            return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) *
                                               (x + 0.044715 * torch.pow(x, 3.0))))

    class CausalSelfAttention(nn.Module):
        def __init__(self, n_embd, n_head, block_size, attn_pdrop=0.1):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)
            self.attn_dropout = nn.Dropout(attn_pdrop)
            self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size))
                                 .view(1, 1, block_size, block_size))
            self.n_head, self.n_embd = n_head, n_embd

        def forward(self, x, ext_mask):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))
            att = att + ext_mask
            att = F.softmax(att, dim=-1)
            att = self.attn_dropout(att)
            y = att @ v
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class Block(nn.Module):
        def __init__(self, n_embd, n_head, block_size):
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention(n_embd, n_head, block_size)
            self.ln_2 = nn.LayerNorm(n_embd)
            self.mlp = nn.ModuleDict(dict(c_fc=nn.Linear(n_embd, 4 * n_embd),
                                          c_proj=nn.Linear(4 * n_embd, n_embd),
                                          act=NewGELU(), dropout=nn.Dropout(0.1)))
            m = self.mlp
            self.mlpf = lambda x: m.dropout(m.c_proj(m.act(m.c_fc(x))))  # noqa: E731

        def forward(self, x, ext_mask):
            x = x + self.attn(self.ln_1(x), ext_mask)
            x = x + self.mlpf(self.ln_2(x))
            return x

    class GPT(nn.Module):
        def __init__(self, hidden):
            super().__init__()
            self.drop = nn.Dropout(0.1)
            self.h = nn.ModuleList([Block(hidden, 2, 3 * K) for _ in range(2)])
            self.ln_f = nn.LayerNorm(hidden)

        def forward(self, x, attention_mask):
            ext = attention_mask[:, None, None, :]
            ext = ext.to(dtype=x.dtype)  # fp16 compatibility
            ext = (1.0 - ext) * -10000.0
            x = self.drop(x)
            for block in self.h:
                x = block(x, ext)
            return self.ln_f(x)

    with Out() as o:
        model = _experiment(L, o, _dt(L, GPT), seed=1, steps=4)
        o.print(sum(p.numel() for p in model.parameters()), model.transformer.h[0].attn.bias.shape)
        o.print(list(model.state_dict().keys())[:4])
    return o.done()
