"""rl-starter-files' scripts/train.py loop (collect_experiences, update_parameters, the
"U {} | F {:06} | ..." log line with utils.synthesize, the status dict saved with
torch.save) and scripts/evaluate.py with utils/agent.py (Agent.get_actions, argmax,
analyze_feedbacks) on the stand-ins of tests/s20_torchac_progs.py."""

import io
import time

import numpy
import numpy as np
from s16_yunjey_progs import Out
from s20_torchac_progs import envs_and_model, synthesize
from s20_torchac_progs_b import _algos


def _train(L, o, algo_name, mem, text, frames, updates, seed, keep=99, **kw):
    """train.py's loop; ``keep``: the updates whose values are compared (RMSprop's division
    by sqrt(v) + eps scales float32 noise in near-zero gradients by up to lr / eps, so later
    updates are compared through the printed 3-decimal log line only)."""
    numpy.random.seed(seed)
    lib, envs, obs_space, preprocess_obss, acmodel = envs_and_model(L, seed, 2, mem, text)
    BaseAlgo, A2CAlgo, PPOAlgo = _algos(L, lib)
    o.print("Model loaded\n")
    if algo_name == "a2c":
        algo = A2CAlgo(envs, acmodel, frames, preprocess_obss=preprocess_obss, **kw)
    else:
        algo = PPOAlgo(envs, acmodel, frames, preprocess_obss=preprocess_obss, **kw)
    o.print("Optimizer loaded\n")
    num_frames = 0
    update = 0
    start_time = time.time()
    while update < updates:
        update_start_time = time.time()
        exps, logs1 = algo.collect_experiences()
        logs2 = algo.update_parameters(exps)
        logs = {**logs1, **logs2}
        update_end_time = time.time()
        num_frames += logs["num_frames"]
        update += 1
        duration = int(time.time() - start_time) * 0
        return_per_episode = synthesize(logs["return_per_episode"])
        rreturn_per_episode = synthesize(logs["reshaped_return_per_episode"])
        num_frames_per_episode = synthesize(logs["num_frames_per_episode"])
        header = ["update", "frames", "FPS", "duration"]
        data = [update, num_frames, 0.0 * (update_end_time - update_start_time), duration]
        header += ["rreturn_" + key for key in rreturn_per_episode.keys()]
        data += rreturn_per_episode.values()
        header += ["num_frames_" + key for key in num_frames_per_episode.keys()]
        data += num_frames_per_episode.values()
        header += ["entropy", "value", "policy_loss", "value_loss", "grad_norm"]
        data += [logs["entropy"], logs["value"], logs["policy_loss"], logs["value_loss"],
                 logs["grad_norm"]]
        o.print("U {} | F {:06} | FPS {:04.0f} | D {} | rR:μσmM {:.2f} {:.2f} {:.2f} {:.2f} | "
                "F:μσmM {:.1f} {:.1f} {} {} | H {:.3f} | V {:.3f} | pL {:.3f} | vL {:.3f} | "
                "∇ {:.3f}".format(*data))
        header += ["return_" + key for key in return_per_episode.keys()]
        data += return_per_episode.values()
        o.print(header[-4:], [type(d).__name__ for d in data])
        if update <= keep:
            o.vals += [logs["entropy"], logs["value"], logs["policy_loss"], logs["value_loss"]]
    if updates <= keep:
        o.vals += [p for p in acmodel.parameters()]
    return lib, algo, acmodel, exps


def a2c_collect(L):
    """collect_experiences once: the shapes and dtypes of every experience field, the GAE
    advantages, the episode-return logs."""
    with Out() as o:
        numpy.random.seed(0)
        lib, envs, obs_space, pre, acmodel = envs_and_model(L, 7, 3)
        BaseAlgo, A2CAlgo, PPOAlgo = _algos(L, lib)
        algo = A2CAlgo(envs, acmodel, 6, recurrence=1, preprocess_obss=pre)
        exps, logs = algo.collect_experiences()
        for k, v in exps.items():
            if k == "obs":
                o.print(k, {kk: (tuple(vv.shape), str(vv.dtype)) for kk, vv in v.items()})
            else:
                o.print(k, tuple(v.shape), v.dtype)
        o.print(logs)
        o.print(algo.mask, algo.log_episode_num_frames, algo.actions.dtype)
        o.vals += [exps.memory, exps.mask, exps.action, exps.value, exps.reward,
                   exps.advantage, exps.returnn, exps.log_prob, algo.log_episode_return]
    return o.done()


def a2c_train(L):
    """train.py --algo a2c (no memory): three updates, the log line, grad_norm a tensor."""
    with Out() as o:
        lib, algo, acmodel, exps = _train(L, o, "a2c", False, False, 4, 2, 11, keep=1,
                                          recurrence=1)
    return o.done()


def a2c_memory(L):
    """train.py --algo a2c --recurrence 4 (LSTMCell memory): memories carried over masks."""
    with Out() as o:
        lib, algo, acmodel, exps = _train(L, o, "a2c", True, False, 8, 2, 12, keep=1,
                                          recurrence=4)
        o.vals += [algo.masks, exps.mask]
    return o.done()


def a2c_text_reshape(L):
    """a2c with --text (Embedding + GRU) and a reshape_reward function (0-d tensor actions)."""
    with Out() as o:
        def reshape_reward(obs_, action_, reward_, done_):
            return 20 * reward_ - 0.1 * float(action_ == 5)
        lib, algo, acmodel, exps = _train(L, o, "a2c", False, True, 4, 2, 13, recurrence=1,
                                          reshape_reward=reshape_reward)
        o.vals += [algo.rewards, algo.log_episode_reshaped_return]
    return o.done()


def ppo_train(L):
    """train.py --algo ppo (no memory): epochs of shuffled batches, clipped losses."""
    with Out() as o:
        lib, algo, acmodel, exps = _train(L, o, "ppo", False, False, 8, 2, 14, recurrence=1,
                                          epochs=2, batch_size=4)
    return o.done()


def ppo_memory(L):
    """train.py --algo ppo --recurrence 2 --text: shifted batch indexes every other call,
    exps.memory rewritten with the detached memories."""
    with Out() as o:
        lib, algo, acmodel, exps = _train(L, o, "ppo", True, True, 4, 2, 15, recurrence=2,
                                          epochs=2, batch_size=4)
        o.vals += [exps.memory, algo.memory]
    return o.done()


def save_and_evaluate(L):
    """utils/storage.py's status (torch.save of model and optimizer state), then
    scripts/evaluate.py: an Agent loading it, argmax actions, memories reset on done."""
    with Out() as o:
        lib, algo, acmodel, exps = _train(L, o, "a2c", True, False, 4, 1, 16, recurrence=2)
        status = {"num_frames": 8, "update": 1, "model_state": acmodel.state_dict(),
                  "optimizer_state": algo.optimizer.state_dict(),
                  "vocab": algo.preprocess_obss.vocab.vocab}
        buf = io.BytesIO()
        L.save(status, buf)
        buf.seek(0)
        status = L.load(buf)
        o.print(sorted(status.keys()), list(status["model_state"].keys())[:4])
        o.print(status["optimizer_state"]["param_groups"][0]["alpha"])

        class Agent:
            def __init__(self, obs_space, action_space, argmax=False, num_envs=1,
                         use_memory=False, use_text=False):
                obs_space, self.preprocess_obss = lib.get_obss_preprocessor(obs_space)
                self.acmodel = lib.ACModel(obs_space, action_space, use_memory=use_memory,
                                           use_text=use_text)
                self.argmax = argmax
                self.num_envs = num_envs
                if self.acmodel.recurrent:
                    self.memories = L.zeros(self.num_envs, self.acmodel.memory_size)
                self.acmodel.load_state_dict(status["model_state"])
                self.acmodel.to("cpu")
                self.acmodel.eval()
                if hasattr(self.preprocess_obss, "vocab"):
                    self.preprocess_obss.vocab.load_vocab(status["vocab"])

            def get_actions(self, obss):
                preprocessed_obss = self.preprocess_obss(obss)
                with L.no_grad():
                    if self.acmodel.recurrent:
                        dist, _, self.memories = self.acmodel(preprocessed_obss, self.memories)
                    else:
                        dist, _ = self.acmodel(preprocessed_obss)
                if self.argmax:
                    actions = dist.probs.max(1, keepdim=True)[1]
                else:
                    actions = dist.sample()
                return actions.cpu().numpy()

            def analyze_feedbacks(self, rewards, dones):
                if self.acmodel.recurrent:
                    masks = 1 - L.tensor(dones, dtype=L.float).unsqueeze(1)
                    self.memories *= masks

        envs = algo.env.envs
        for argmax in (True, False):
            agent = Agent(envs[0].observation_space, envs[0].action_space, argmax=argmax,
                          num_envs=2, use_memory=True)
            env = lib.ParallelEnv(envs)
            obss = env.reset()
            log_done_counter = 0
            log_episode_return = L.zeros(2)
            logs = {"num_frames_per_episode": [], "return_per_episode": []}
            for _ in range(6):
                actions = agent.get_actions(obss)
                obss, rewards, dones, _ = env.step(actions)
                agent.analyze_feedbacks(rewards, dones)
                log_episode_return += L.tensor(rewards, dtype=L.float)
                for i, done in enumerate(dones):
                    if done:
                        log_done_counter += 1
                        logs["return_per_episode"].append(log_episode_return[i].item())
                mask = 1 - L.tensor(dones, dtype=L.float)
                log_episode_return *= mask
                o.print(actions.tolist(), actions.dtype, dones)
            o.print(log_done_counter, logs)
            o.vals += [agent.memories, log_episode_return]
    return o.done()


def user_errors(L):
    """Mistakes users make with these scripts: channels-first images into the conv, memory of
    the wrong width, the int action buffer given a float, an observation list of dicts to the
    default preprocessor."""
    with Out() as o:
        lib, envs, obs_space, pre, acmodel = envs_and_model(L, 21, 2, True, False)
        obs = pre([env.reset() for env in envs])
        o.tryit(lambda: acmodel(obs, L.zeros(2, 10)))
        bad = lib.DictList({"image": obs.image.transpose(1, 3), "text": obs.text})
        o.tryit(lambda: acmodel(bad, L.zeros(2, acmodel.memory_size))[1])
        o.tryit(lambda: acmodel(lib.DictList({"image": obs.image[0]}), None))
        actions = L.zeros(3, 2, dtype=L.int)
        actions[0] = L.tensor([1.7, 2.2])
        o.print(actions)
        o.tryit(lambda: L.tensor([env.reset() for env in envs]))
        o.tryit(lambda: L.tensor(obs.image.numpy().astype(np.uint8), dtype=L.float).dtype)
    return o.done()
