"""facebookresearch/torchbeast's own tests as users run them: tests/vtrace_test.py (NumPy
ground truth, clip thresholds passed through torch.tensor, the rank error of torch.cat),
tests/polybeast_loss_functions_test.py (float64 losses and their gradients) and
tests/polybeast_learn_function_test.py (polybeast_learner.Net, the IMPALA ResNet with
``x += res_input``, learn() on a mocked queue with a uint8 ``done``; nest.map written out in
Python). ``prog(L) -> (printed, values)``."""

from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out
from s22_rlarch_progs import _beast, _vtrace


def _shaped_arange(*shape):
    return np.arange(np.prod(shape), dtype=np.float32).reshape(*shape)


def _softmax(logits):
    return np.exp(logits) / np.sum(np.exp(logits), axis=-1, keepdims=True)


def _ground_truth_calculation(discounts, log_rhos, rewards, values, bootstrap_value,
                              clip_rho_threshold, clip_pg_rho_threshold):
    vs = []
    seq_len = len(discounts)
    rhos = np.exp(log_rhos)
    cs = np.minimum(rhos, 1.0)
    clipped_rhos = rhos
    if clip_rho_threshold:
        clipped_rhos = np.minimum(rhos, clip_rho_threshold)
    clipped_pg_rhos = rhos
    if clip_pg_rho_threshold:
        clipped_pg_rhos = np.minimum(rhos, clip_pg_rho_threshold)
    values_t_plus_1 = np.concatenate([values, bootstrap_value[None, :]], axis=0)
    for s in range(seq_len):
        v_s = np.copy(values[s])
        for t in range(s, seq_len):
            v_s += (np.prod(discounts[s:t], axis=0) * np.prod(cs[s:t], axis=0)
                    * clipped_rhos[t]
                    * (rewards[t] + discounts[t] * values_t_plus_1[t + 1] - values[t]))
        vs.append(v_s)
    vs = np.stack(vs, axis=0)
    pg_advantages = clipped_pg_rhos * (
        rewards + discounts * np.concatenate([vs[1:], bootstrap_value[None, :]], axis=0)
        - values)
    return vs, pg_advantages


def vtrace_tests(L):
    torch, vtrace = L, _vtrace(L)
    np.random.seed(0)
    with Out() as o:
        for batch_size in (2, 1):  # test_action_log_probs
            seq_len, num_actions = 7, 3
            policy_logits = _shaped_arange(seq_len, batch_size, num_actions) + 10
            actions = np.random.randint(0, num_actions, size=(seq_len, batch_size),
                                        dtype=np.int64)
            t = vtrace.action_log_probs(torch.from_numpy(policy_logits),
                                        torch.from_numpy(actions))
            mask = actions[..., None] == np.arange(num_actions)
            gt = np.log(_softmax(policy_logits))[mask].reshape(seq_len, batch_size)
            np.testing.assert_allclose(gt, t, rtol=1e-06, atol=1e-05)
            o.vals.append(t)
        for batch_size in (5, 1):  # test_vtrace
            seq_len = 5
            log_rhos = _shaped_arange(seq_len, batch_size) / (batch_size * seq_len)
            log_rhos = 5 * (log_rhos - 0.5)
            values = {
                "log_rhos": log_rhos,
                "discounts": np.array([[0.9 / (b + 1) for b in range(batch_size)]
                                       for _ in range(seq_len)], dtype=np.float32),
                "rewards": _shaped_arange(seq_len, batch_size),
                "values": _shaped_arange(seq_len, batch_size) / batch_size,
                "bootstrap_value": _shaped_arange(batch_size) + 1.0,
                "clip_rho_threshold": 3.7,
                "clip_pg_rho_threshold": 2.2,
            }
            ground_truth = _ground_truth_calculation(**values)
            values = {key: torch.tensor(value) for key, value in values.items()}
            o.print({k: (str(v.dtype), tuple(v.shape)) for k, v in values.items()})
            output = vtrace.from_importance_weights(**values)
            for a, b in zip(ground_truth, output):
                np.testing.assert_allclose(a, b, rtol=1e-06, atol=1e-05)
            o.vals += list(output)
        for batch_size in (2, 1):  # test_vtrace_from_logits
            seq_len, num_actions = 5, 3
            values = {
                "behavior_policy_logits": _shaped_arange(seq_len, batch_size, num_actions),
                "target_policy_logits": _shaped_arange(seq_len, batch_size, num_actions),
                "actions": np.random.randint(0, num_actions - 1, size=(seq_len, batch_size)),
                "discounts": np.array([[0.9 / (b + 1) for b in range(batch_size)]
                                       for _ in range(seq_len)], dtype=np.float32),
                "rewards": _shaped_arange(seq_len, batch_size),
                "values": _shaped_arange(seq_len, batch_size) / batch_size,
                "bootstrap_value": _shaped_arange(batch_size) + 1.0,
            }
            values = {k: torch.from_numpy(v) for k, v in values.items()}
            out = vtrace.from_logits(clip_rho_threshold=None, clip_pg_rho_threshold=None,
                                     **values)
            o.print(values["actions"].dtype, out.log_rhos.abs().max().item())
            o.vals += [out.vs, out.pg_advantages]
        values = {"log_rhos": torch.zeros(3, 2, 1), "discounts": torch.zeros(3, 2, 1),
                  "rewards": torch.zeros(3, 2, 42), "values": torch.zeros(3, 2, 42),
                  "bootstrap_value": torch.zeros(2, 42)}
        o.print(tuple(vtrace.from_importance_weights(**values).vs.shape))
        values["bootstrap_value"] = torch.zeros(2)
        o.tryit(lambda: vtrace.from_importance_weights(**values))
    return o.lines, o.vals


def polybeast_loss_tests(L):
    torch, F, M = L, L.nn.functional, _beast(L)
    with Out() as o:
        advantages = np.array([1.4, 3.43, 5.2, 0.33])
        v = M.compute_baseline_loss(torch.from_numpy(advantages))
        np.testing.assert_allclose(0.5 * np.sum(advantages ** 2), v, rtol=1e-06, atol=1e-05)
        t = torch.from_numpy(advantages)
        t.requires_grad_()
        M.compute_baseline_loss(t).backward()
        o.print(v.dtype, t.grad)
        logits = np.array([0.0012, 0.321, 0.523, 0.109, 0.416])
        lt = torch.from_numpy(logits)
        lt.requires_grad_()
        e = M.compute_entropy_loss(lt)
        e.backward()
        o.print(e, lt.grad.dtype)
        o.vals += [e.detach(), lt.grad]
        logits = np.array([[[0.206, 0.738, 0.125, 0.484, 0.332],
                            [0.168, 0.504, 0.523, 0.496, 0.626],
                            [0.236, 0.186, 0.627, 0.441, 0.533]],
                           [[0.015, 0.904, 0.583, 0.651, 0.855],
                            [0.811, 0.292, 0.061, 0.597, 0.590],
                            [0.999, 0.504, 0.464, 0.077, 0.143]]])
        actions = np.array([[3, 0, 1], [4, 2, 2]])
        adv = np.array([[1.4, 0.31, 0.75], [2.1, 1.5, 0.03]])
        T, B, N = logits.shape
        labels = F.one_hot(torch.from_numpy(actions), num_classes=N).numpy()
        gt = np.sum(-labels * np.log(_softmax(logits)) * adv.reshape(T, B, 1))
        lt = torch.from_numpy(logits)
        lt.requires_grad_()
        at = torch.from_numpy(adv)
        at.requires_grad_()
        pg = M.compute_policy_gradient_loss(lt, torch.from_numpy(actions), at)
        np.testing.assert_allclose(gt, pg.item(), rtol=1e-06, atol=1e-05)
        o.print(labels.dtype, list(pg.shape), pg.shape == [], pg.dtype)
        pg.backward()
        o.print(at.grad is None, lt.grad.dtype)
        o.vals += [pg.detach(), lt.grad]
    return o.lines, o.vals


def _nest_map(f, n):
    if isinstance(n, tuple) and hasattr(n, "_fields"):
        return type(n)(*(_nest_map(f, x) for x in n))
    if isinstance(n, (tuple, list)):
        return type(n)(_nest_map(f, x) for x in n)
    if isinstance(n, dict):
        return {k: _nest_map(f, v) for k, v in n.items()}
    return f(n)


def _polybeast(L):
    torch, nn, F = L, L.nn, L.nn.functional
    nest = SimpleNamespace(map=_nest_map)

    class Net(nn.Module):
        def __init__(self, num_actions, use_lstm=False):
            super(Net, self).__init__()
            self.num_actions = num_actions
            self.use_lstm = use_lstm
            self.feat_convs = []
            self.resnet1 = []
            self.resnet2 = []
            self.convs = []
            input_channels = 4
            for num_ch in [16, 32, 32]:
                feats_convs = []
                feats_convs.append(nn.Conv2d(in_channels=input_channels, out_channels=num_ch,
                                             kernel_size=3, stride=1, padding=1))
                feats_convs.append(nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
                self.feat_convs.append(nn.Sequential(*feats_convs))
                input_channels = num_ch
                for i in range(2):
                    resnet_block = []
                    resnet_block.append(nn.ReLU())
                    resnet_block.append(nn.Conv2d(in_channels=input_channels,
                                                  out_channels=num_ch, kernel_size=3,
                                                  stride=1, padding=1))
                    resnet_block.append(nn.ReLU())
                    resnet_block.append(nn.Conv2d(in_channels=input_channels,
                                                  out_channels=num_ch, kernel_size=3,
                                                  stride=1, padding=1))
                    if i == 0:
                        self.resnet1.append(nn.Sequential(*resnet_block))
                    else:
                        self.resnet2.append(nn.Sequential(*resnet_block))
            self.feat_convs = nn.ModuleList(self.feat_convs)
            self.resnet1 = nn.ModuleList(self.resnet1)
            self.resnet2 = nn.ModuleList(self.resnet2)
            self.fc = nn.Linear(3872, 256)
            core_output_size = self.fc.out_features + 1
            if use_lstm:
                self.core = nn.LSTM(core_output_size, 256, num_layers=1)
                core_output_size = 256
            self.policy = nn.Linear(core_output_size, self.num_actions)
            self.baseline = nn.Linear(core_output_size, 1)

        def initial_state(self, batch_size=1):
            if not self.use_lstm:
                return tuple()
            return tuple(torch.zeros(self.core.num_layers, batch_size, self.core.hidden_size)
                         for _ in range(2))

        def forward(self, inputs, core_state):
            x = inputs["frame"]
            T, B, *_ = x.shape
            x = torch.flatten(x, 0, 1)
            x = x.float() / 255.0
            res_input = None
            for i, fconv in enumerate(self.feat_convs):
                x = fconv(x)
                res_input = x
                x = self.resnet1[i](x)
                x += res_input
                res_input = x
                x = self.resnet2[i](x)
                x += res_input
            x = F.relu(x)
            x = x.view(T * B, -1)
            x = F.relu(self.fc(x))
            clipped_reward = torch.clamp(inputs["reward"], -1, 1).view(T * B, 1)
            core_input = torch.cat([x, clipped_reward], dim=-1)
            if self.use_lstm:
                core_input = core_input.view(T, B, -1)
                core_output_list = []
                notdone = (~inputs["done"]).float()
                for input, nd in zip(core_input.unbind(), notdone.unbind()):
                    nd = nd.view(1, -1, 1)
                    core_state = nest.map(nd.mul, core_state)
                    output, core_state = self.core(input.unsqueeze(0), core_state)
                    core_output_list.append(output)
                core_output = torch.flatten(torch.cat(core_output_list), 0, 1)
            else:
                core_output = core_input
            policy_logits = self.policy(core_output)
            baseline = self.baseline(core_output)
            if self.training:
                action = torch.multinomial(F.softmax(policy_logits, dim=1), num_samples=1)
            else:
                action = torch.argmax(policy_logits, dim=1)
            policy_logits = policy_logits.view(T, B, self.num_actions)
            baseline = baseline.view(T, B)
            action = action.view(T, B)
            return (action, policy_logits, baseline), core_state

    return SimpleNamespace(Net=Net, nest=nest)
