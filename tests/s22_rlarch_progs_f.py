"""torchbeast/polybeast_learner.py's learn() as tests/polybeast_learn_function_test.py drives
it: a mocked learner queue and flags, a uint8 ``done`` (so ``~done`` is 255 and the episode
returns are picked by a uint8 mask), SGD + StepLR, the actor model copied by load_state_dict;
then the LSTM variant of polybeast's Net on the same batch. Definitions in
tests/s22_rlarch_progs_e.py. ``prog(L) -> (printed, values)``."""

import collections
import copy
import threading
from unittest import mock

import numpy as np
from s16_yunjey_progs import Out
from s22_rlarch_progs import _beast, _vtrace
from s22_rlarch_progs_e import _polybeast

EnvOutput = collections.namedtuple("EnvOutput",
                                   "frame rewards done episode_step episode_return")
AgentOutput = collections.namedtuple("AgentOutput", "action policy_logits baseline")


def _learn(L, M, V, nest, flags, learner_queue, model, actor_model, optimizer, scheduler,
           stats, plogger, lock=threading.Lock()):  # noqa: B008
    torch, nn = L, L.nn
    for tensors in learner_queue:
        tensors = nest.map(lambda t: t.to(flags.learner_device), tensors)
        batch, initial_agent_state = tensors
        env_outputs, actor_outputs = batch
        frame, reward, done, *_ = env_outputs
        lock.acquire()
        learner_outputs, unused_state = model(dict(frame=frame, reward=reward, done=done),
                                              initial_agent_state)
        learner_outputs = AgentOutput._make(learner_outputs)
        bootstrap_value = learner_outputs.baseline[-1]
        batch = nest.map(lambda t: t[1:], batch)
        learner_outputs = nest.map(lambda t: t[:-1], learner_outputs)
        env_outputs, actor_outputs = batch
        env_outputs = EnvOutput._make(env_outputs)
        actor_outputs = AgentOutput._make(actor_outputs)
        learner_outputs = AgentOutput._make(learner_outputs)
        if flags.reward_clipping == "abs_one":
            clipped_rewards = torch.clamp(env_outputs.rewards, -1, 1)
        elif flags.reward_clipping == "none":
            clipped_rewards = env_outputs.rewards
        discounts = (~env_outputs.done).float() * flags.discounting
        vtrace_returns = V.from_logits(
            behavior_policy_logits=actor_outputs.policy_logits,
            target_policy_logits=learner_outputs.policy_logits,
            actions=actor_outputs.action, discounts=discounts, rewards=clipped_rewards,
            values=learner_outputs.baseline, bootstrap_value=bootstrap_value)
        pg_loss = M.compute_policy_gradient_loss(learner_outputs.policy_logits,
                                                 actor_outputs.action,
                                                 vtrace_returns.pg_advantages)
        baseline_loss = flags.baseline_cost * M.compute_baseline_loss(
            vtrace_returns.vs - learner_outputs.baseline)
        entropy_loss = flags.entropy_cost * M.compute_entropy_loss(
            learner_outputs.policy_logits)
        total_loss = pg_loss + baseline_loss + entropy_loss
        optimizer.zero_grad()
        total_loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), flags.grad_norm_clipping)
        optimizer.step()
        scheduler.step()
        actor_model.load_state_dict(model.state_dict())
        episode_returns = env_outputs.episode_return[env_outputs.done]
        stats["step"] = stats.get("step", 0) + flags.unroll_length * flags.batch_size
        stats["episode_returns"] = tuple(episode_returns.cpu().numpy())
        stats["mean_episode_return"] = torch.mean(episode_returns).item()
        stats["mean_episode_step"] = torch.mean(env_outputs.episode_step.float()).item()
        stats["total_loss"] = total_loss.item()
        stats["pg_loss"] = pg_loss.item()
        stats["baseline_loss"] = baseline_loss.item()
        stats["entropy_loss"] = entropy_loss.item()
        stats["learner_queue_size"] = learner_queue.size()
        plogger.log(stats)
        if not len(episode_returns):
            stats["mean_episode_return"] = None
        lock.release()


def _state_dict_to_numpy(state_dict):
    return {key: value.numpy() for key, value in state_dict.items()}


def polybeast_learn(L):
    torch = L
    M, V, P = _beast(L), _vtrace(L), _polybeast(L)
    unroll_length, batch_size, frame_dimension, num_actions, num_channels = 2, 2, 84, 6, 4
    lr, total_steps = 0.1, 100000
    torch.manual_seed(0)
    with Out() as o:
        for use_lstm, done_at in ((False, None), (True, (1, 0))):
            model = P.Net(num_actions=num_actions, use_lstm=use_lstm)
            actor_model = P.Net(num_actions=num_actions, use_lstm=use_lstm)
            initial_model_dict = copy.deepcopy(model.state_dict())
            optimizer = torch.optim.SGD(model.parameters(), lr=lr)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=total_steps // 10)
            stats = {}
            plogger = mock.Mock()
            plogger.log = mock.Mock()
            mock_flags = mock.Mock()
            mock_flags.learner_device = torch.device("cpu")
            mock_flags.reward_clipping = "abs_one"
            mock_flags.discounting = 0.99
            mock_flags.baseline_cost = 0.5
            mock_flags.entropy_cost = 0.0006
            mock_flags.unroll_length = unroll_length
            mock_flags.batch_size = batch_size
            mock_flags.grad_norm_clipping = 40
            frame = torch.ones(unroll_length, batch_size, num_channels, frame_dimension,
                               frame_dimension)
            rewards = torch.ones(unroll_length, batch_size)
            done = torch.zeros(unroll_length, batch_size, dtype=torch.uint8)
            if done_at is not None:
                done[done_at] = 1
            episode_step = torch.ones(unroll_length, batch_size)
            episode_return = torch.ones(unroll_length, batch_size)
            env_outputs = (frame, rewards, done, episode_step, episode_return)
            actor_outputs = (
                torch.randint(low=0, high=num_actions, size=(unroll_length, batch_size)),
                torch.randn(unroll_length, batch_size, num_actions),
                torch.rand(unroll_length, batch_size))
            initial_agent_state = model.initial_state(batch_size)
            tensors = ((env_outputs, actor_outputs), initial_agent_state)
            mock_learner_queue = mock.MagicMock()
            mock_learner_queue.__iter__.return_value = iter([tensors])
            _learn(L, M, V, P.nest, mock_flags, mock_learner_queue, model, actor_model,
                   optimizer, scheduler, stats, plogger)
            o.print({k: (float(f"{v:.6g}") if isinstance(v, float) else v) for k, v in stats.items()
                     if k not in ("learner_queue_size",)})
            o.print(plogger.log.call_count, scheduler.get_last_lr())
            np.testing.assert_equal(_state_dict_to_numpy(actor_model.state_dict()),
                                    _state_dict_to_numpy(model.state_dict()))
            model_state_dict = model.state_dict(keep_vars=True)
            actor_sd = actor_model.state_dict(keep_vars=True)
            zero_grads = []
            for key, initial_tensor in initial_model_dict.items():
                model_tensor = model_state_dict[key]
                if not torch.norm(model_tensor.grad) > 0.0:
                    zero_grads.append(key)
                assert actor_sd[key].grad is None
                expected = initial_tensor.detach().numpy() - lr * model_tensor.grad.numpy()
                # the test's assert_almost_equal (7 decimals) is one float32 ulp at |p| ~ 2:
                # the step is one fused multiply-add in PyTorch, NumPy rounds twice
                np.testing.assert_allclose(model_tensor.detach().numpy(), expected,
                                           rtol=2.4e-7, atol=1e-7)
            o.print("zero grads:", zero_grads)
            o.vals += [model.policy.weight.grad, model.fc.bias.grad,
                       model.feat_convs[0][0].weight.grad, stats["total_loss"]]
    return o.lines, o.vals
