"""torchbeast/monobeast.py's actor loop (act), get_batch and learn() run inline on a seeded
NumPy stand-in for Atari (tests/s22_rlarch_progs.py has the definitions), with and without
the LSTM core, a few learner steps. ``prog(L) -> (printed, values)``."""

import threading

from s16_yunjey_progs import Out
from s22_rlarch_progs import FakeAtari, _beast, _flags, _vtrace


def _act(L, M, flags, actor_index, indices, model, buffers, initial_agent_state_buffers,
         state):
    """monobeast.act for the rollouts in ``indices`` (the free_queue's order)."""
    torch = L
    if state is None:
        env = M.Environment(FakeAtari(10 + actor_index))
        env_output = env.initial()
        agent_state = model.initial_state(batch_size=1)
        agent_output, unused_state = model(env_output, agent_state)
        state = [env, env_output, agent_state, agent_output]
    env, env_output, agent_state, agent_output = state
    for index in indices:
        for key in env_output:
            buffers[key][index][0, ...] = env_output[key]
        for key in agent_output:
            buffers[key][index][0, ...] = agent_output[key]
        for i, tensor in enumerate(agent_state):
            initial_agent_state_buffers[index][i][...] = tensor
        for t in range(flags.unroll_length):
            with torch.no_grad():
                agent_output, agent_state = model(env_output, agent_state)
            env_output = env.step(agent_output["action"])
            for key in env_output:
                buffers[key][index][t + 1, ...] = env_output[key]
            for key in agent_output:
                buffers[key][index][t + 1, ...] = agent_output[key]
    state[:] = [env, env_output, agent_state, agent_output]
    return state


def get_batch(L, flags, indices, buffers, initial_agent_state_buffers):
    torch = L
    batch = {key: torch.stack([buffers[key][m] for m in indices], dim=1) for key in buffers}
    initial_agent_state = tuple(
        torch.cat(ts, dim=1) for ts in zip(*[initial_agent_state_buffers[m] for m in indices]))
    batch = {k: t.to(device=flags.device, non_blocking=True) for k, t in batch.items()}
    initial_agent_state = tuple(t.to(device=flags.device, non_blocking=True)
                                for t in initial_agent_state)
    return batch, initial_agent_state


def learn(L, M, V, flags, actor_model, model, batch, initial_agent_state, optimizer,
          scheduler, lock=threading.Lock()):  # noqa: B008
    """Performs a learning (optimization) step."""
    torch, nn = L, L.nn
    with lock:
        learner_outputs, unused_state = model(batch, initial_agent_state)
        bootstrap_value = learner_outputs["baseline"][-1]
        batch = {key: tensor[1:] for key, tensor in batch.items()}
        learner_outputs = {key: tensor[:-1] for key, tensor in learner_outputs.items()}
        rewards = batch["reward"]
        if flags.reward_clipping == "abs_one":
            clipped_rewards = torch.clamp(rewards, -1, 1)
        elif flags.reward_clipping == "none":
            clipped_rewards = rewards
        discounts = (~batch["done"]).float() * flags.discounting
        vtrace_returns = V.from_logits(
            behavior_policy_logits=batch["policy_logits"],
            target_policy_logits=learner_outputs["policy_logits"],
            actions=batch["action"], discounts=discounts, rewards=clipped_rewards,
            values=learner_outputs["baseline"], bootstrap_value=bootstrap_value)
        pg_loss = M.compute_policy_gradient_loss(learner_outputs["policy_logits"],
                                                 batch["action"],
                                                 vtrace_returns.pg_advantages)
        baseline_loss = flags.baseline_cost * M.compute_baseline_loss(
            vtrace_returns.vs - learner_outputs["baseline"])
        entropy_loss = flags.entropy_cost * M.compute_entropy_loss(
            learner_outputs["policy_logits"])
        total_loss = pg_loss + baseline_loss + entropy_loss
        episode_returns = batch["episode_return"][batch["done"]]
        stats = {
            "episode_returns": tuple(episode_returns.cpu().numpy()),
            "mean_episode_return": torch.mean(episode_returns).item(),
            "total_loss": total_loss.item(),
            "pg_loss": pg_loss.item(),
            "baseline_loss": baseline_loss.item(),
            "entropy_loss": entropy_loss.item(),
        }
        optimizer.zero_grad()
        total_loss.backward()
        stats["grad_norm"] = nn.utils.clip_grad_norm_(model.parameters(),
                                                      flags.grad_norm_clipping).item()
        optimizer.step()
        scheduler.step()
        actor_model.load_state_dict(model.state_dict())
        return stats


def _train(L, o, use_lstm, steps):
    torch = L
    M, V = _beast(L), _vtrace(L)
    torch.manual_seed(0)
    flags = _flags(use_lstm=use_lstm)
    flags.device = torch.device("cpu")
    T, B = flags.unroll_length, flags.batch_size
    model = M.AtariNet((4, 84, 84), 3, flags.use_lstm)
    buffers = M.create_buffers(flags, (4, 84, 84), model.num_actions)
    model.share_memory()
    initial_agent_state_buffers = []
    for _ in range(flags.num_buffers):
        state = model.initial_state(batch_size=1)
        for t in state:
            t.share_memory_()
        initial_agent_state_buffers.append(state)
    learner_model = M.AtariNet((4, 84, 84), 3, flags.use_lstm).to(device=flags.device)
    optimizer = torch.optim.RMSprop(learner_model.parameters(), lr=flags.learning_rate,
                                    momentum=flags.momentum, eps=flags.epsilon,
                                    alpha=flags.alpha)

    def lr_lambda(epoch):
        return 1 - min(epoch * T * B, flags.total_steps) / flags.total_steps

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    o.print({k: (tuple(v[0].shape), v[0].dtype, len(v)) for k, v in buffers.items()})
    o.print([tuple(t.shape) for t in initial_agent_state_buffers[0]])
    actors = [None] * flags.num_actors
    step = 0
    for it in range(steps):
        indices = [(2 * it) % flags.num_buffers, (2 * it + 1) % flags.num_buffers]
        for a, m in enumerate(indices):
            actors[a] = _act(L, M, flags, a, [m], model, buffers,
                             initial_agent_state_buffers, actors[a])
        batch, agent_state = get_batch(L, flags, indices, buffers,
                                       initial_agent_state_buffers)
        if it == 0:
            o.print({k: (tuple(v.shape), str(v.dtype)) for k, v in batch.items()})
            o.print([tuple(s.shape) for s in agent_state])
            o.vals += [batch["action"], batch["done"], batch["episode_step"],
                       batch["policy_logits"], batch["baseline"]]
        stats = learn(L, M, V, flags, model, learner_model, batch, agent_state, optimizer,
                      scheduler)
        step += T * B
        o.print(f"step {step} total {stats['total_loss']:.4f} pg {stats['pg_loss']:.4f} "
                f"baseline {stats['baseline_loss']:.4f} entropy {stats['entropy_loss']:.5f} "
                f"return {stats['mean_episode_return']:.4f} "
                f"n_ep {len(stats['episode_returns'])} gnorm {stats['grad_norm']:.4f}")
        o.print(f"lr {scheduler.get_last_lr()[0]:.3e}", optimizer.param_groups[0]["lr"])
        o.vals += [stats["total_loss"], stats["baseline_loss"], stats["grad_norm"]]
    o.vals += [p.detach() for p in list(learner_model.parameters())[-4:]]
    o.vals.append(optimizer.state_dict()["state"][0]["square_avg"])
    return M, model, learner_model


def monobeast_lstm(L):
    with Out() as o:
        _train(L, o, True, 2)
    return o.lines, o.vals


def monobeast_feedforward(L):
    with Out() as o:
        M, model, learner = _train(L, o, False, 2)
        # test(): eval mode takes the argmax, initial() done is uint8 (so ~done is 254)
        model.eval()
        env = M.Environment(FakeAtari(7))
        observation = env.initial()
        o.print(observation["done"].dtype, (~observation["done"]).float().item())
        hidden_state = model.initial_state(batch_size=1)
        returns = []
        while len(returns) < 2:
            agent_outputs, hidden_state = model(observation, hidden_state)
            observation = env.step(agent_outputs["action"])
            if observation["done"].item():
                returns.append(observation["episode_return"].item())
                o.print("Episode ended after %d steps. Return: %.1f" % (
                    observation["episode_step"].item(), observation["episode_return"].item()))
        o.print(agent_outputs["action"], agent_outputs["action"].dtype, hidden_state)
    return o.lines, o.vals


def monobeast_lstm_net(L):
    """AtariNet with the LSTM core on a T=3, B=2 unroll; done resets the core state."""
    torch, M = L, _beast(L)
    torch.manual_seed(1)
    rng = __import__("numpy").random.default_rng(4)
    with Out() as o:
        net = M.AtariNet((4, 84, 84), 3, use_lstm=True)
        inputs = dict(
            frame=torch.from_numpy(rng.integers(0, 256, (3, 2, 4, 84, 84)).astype("uint8")),
            reward=torch.tensor([[0.5, -3.0], [2.0, 0.0], [0.1, 1.0]]),
            done=torch.tensor([[True, False], [False, True], [False, False]]),
            last_action=torch.tensor([[0, 2], [1, 1], [2, 0]]))
        state = net.initial_state(2)
        state = tuple(s + 0.5 for s in state)
        out, core_state = net(inputs, state)
        o.print({k: (tuple(v.shape), v.dtype) for k, v in out.items()})
        o.print([tuple(s.shape) for s in core_state], net.core)
        o.vals += [out["policy_logits"], out["baseline"], out["action"], *core_state]
        (out["baseline"].sum() + core_state[1].sum()).backward()
        o.print(f"{net.core.weight_hh_l1.grad.norm():.4f} {net.conv1.weight.grad.norm():.4f}")
        o.vals += [net.core.weight_hh_l0.grad, net.fc.bias.grad]
        net.eval()
        with torch.no_grad():
            out2, _ = net(inputs, state)
        o.vals.append(out2["action"])
        o.print(out2["action"].dtype, tuple(out2["action"].shape))
    return o.lines, o.vals
