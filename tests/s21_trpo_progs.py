"""ikostrikov/pytorch-trpo as users run it: models.py (Policy with an action_log_std
nn.Parameter, Value), utils.py (normal_log_density, get_flat_params_from, set_flat_params_to,
get_flat_grad_from), trpo.py (conjugate_gradients, linesearch, trpo_step with Fisher-vector
products from autograd.grad(create_graph=True)), running_state.py (ZFilter), replay_memory.py
(Memory) and main.py's loop under torch.set_default_tensor_type('torch.DoubleTensor').
Reacher is replaced by a seeded NumPy stand-in; scipy's fmin_l_bfgs_b (no scipy here) by
torch.optim.LBFGS on the same loss, after one call of main.py's get_value_loss(flat_params).
Full-precision prints of float64 losses are shown to 8 decimals (last-bit BLAS differences)."""

import math
import random
from collections import namedtuple
from itertools import count

import numpy as np
from s16_yunjey_progs import Out
from s21_trpo_progs_e import Memory, ReacherStandIn, ZFilter


def _utils(torch):
    def normal_entropy(std):
        var = std.pow(2)
        entropy = 0.5 + 0.5 * torch.log(2 * var * math.pi)
        return entropy.sum(1, keepdim=True)

    def normal_log_density(x, mean, log_std, std):
        var = std.pow(2)
        log_density = -(x - mean).pow(2) / (
            2 * var) - 0.5 * math.log(2 * math.pi) - log_std
        return log_density.sum(1, keepdim=True)

    def get_flat_params_from(model):
        params = []
        for param in model.parameters():
            params.append(param.data.view(-1))
        flat_params = torch.cat(params)
        return flat_params

    def set_flat_params_to(model, flat_params):
        prev_ind = 0
        for param in model.parameters():
            flat_size = int(np.prod(list(param.size())))
            param.data.copy_(
                flat_params[prev_ind:prev_ind + flat_size].view(param.size()))
            prev_ind += flat_size

    def get_flat_grad_from(net, grad_grad=False):
        grads = []
        for param in net.parameters():
            if grad_grad:
                grads.append(param.grad.grad.view(-1))
            else:
                grads.append(param.grad.view(-1))
        flat_grad = torch.cat(grads)
        return flat_grad

    return (normal_entropy, normal_log_density, get_flat_params_from, set_flat_params_to,
            get_flat_grad_from)


def _trpo(torch, out, set_flat_params_to, get_flat_params_from):
    Variable = torch.autograd.Variable
    print = out.print

    def conjugate_gradients(Avp, b, nsteps, residual_tol=1e-10):
        x = torch.zeros(b.size())
        r = b.clone()
        p = b.clone()
        rdotr = torch.dot(r, r)
        for i in range(nsteps):
            _Avp = Avp(p)
            alpha = rdotr / torch.dot(p, _Avp)
            x += alpha * p
            r -= alpha * _Avp
            new_rdotr = torch.dot(r, r)
            betta = new_rdotr / rdotr
            p = r + betta * p
            rdotr = new_rdotr
            if rdotr < residual_tol:
                break
        return x

    def linesearch(model, f, x, fullstep, expected_improve_rate, max_backtracks=10,
                   accept_ratio=.1):
        fval = f(True).data
        print("fval before", f"{round(fval.item(), 8) + 0.0:.8f}")  # ~0: sign of rounding noise
        for (_n_backtracks, stepfrac) in enumerate(.5**np.arange(max_backtracks)):
            xnew = x + stepfrac * fullstep
            set_flat_params_to(model, xnew)
            newfval = f(True).data
            actual_improve = fval - newfval
            expected_improve = expected_improve_rate * stepfrac
            ratio = actual_improve / expected_improve
            print("a/e/r", f"{actual_improve.item():.8f}", f"{expected_improve.item():.8f}",
                  f"{ratio.item():.6f}")
            if ratio.item() > accept_ratio and actual_improve.item() > 0:
                print("fval after", f"{newfval.item():.8f}")
                return True, xnew
        return False, x

    def trpo_step(model, get_loss, get_kl, max_kl, damping):
        loss = get_loss()
        grads = torch.autograd.grad(loss, model.parameters())
        loss_grad = torch.cat([grad.view(-1) for grad in grads]).data

        def Fvp(v):
            kl = get_kl()
            kl = kl.mean()
            grads = torch.autograd.grad(kl, model.parameters(), create_graph=True)
            flat_grad_kl = torch.cat([grad.view(-1) for grad in grads])
            kl_v = (flat_grad_kl * Variable(v)).sum()
            grads = torch.autograd.grad(kl_v, model.parameters())
            flat_grad_grad_kl = torch.cat([grad.contiguous().view(-1) for grad in grads]).data
            return flat_grad_grad_kl + v * damping

        stepdir = conjugate_gradients(Fvp, -loss_grad, 10)
        shs = 0.5 * (stepdir * Fvp(stepdir)).sum(0, keepdim=True)
        lm = torch.sqrt(shs / max_kl)
        fullstep = stepdir / lm[0]
        neggdotstepdir = (-loss_grad * stepdir).sum(0, keepdim=True)
        print(("lagrange multiplier:", lm[0], "grad_norm:", loss_grad.norm()))
        prev_params = get_flat_params_from(model)
        success, new_params = linesearch(model, get_loss, prev_params, fullstep,
                                         neggdotstepdir / lm[0])
        set_flat_params_to(model, new_params)
        return loss, shs, lm, stepdir

    return trpo_step


def pytorch_trpo(torch):
    """main.py with models.py, utils.py, trpo.py, running_state.py, replay_memory.py."""
    nn, F = torch.nn, torch.nn.functional
    Variable = torch.autograd.Variable
    Args = namedtuple('Args', 'gamma tau l2_reg max_kl damping seed batch_size log_interval')
    args = Args(0.995, 0.97, 1e-3, 1e-2, 1e-1, 543, 30, 1)
    out = Out()
    print = out.print
    with out:
        torch.utils.backcompat.broadcast_warning.enabled = True
        torch.utils.backcompat.keepdim_warning.enabled = True
        torch.set_default_tensor_type('torch.DoubleTensor')
        try:
            _main(torch, nn, F, Variable, args, out, print)
        finally:
            torch.set_default_dtype(torch.float32)
            torch.utils.backcompat.broadcast_warning.enabled = False
            torch.utils.backcompat.keepdim_warning.enabled = False
    return out.done()


def _main(torch, nn, F, Variable, args, out, print):
    (normal_entropy, normal_log_density, get_flat_params_from, set_flat_params_to,
     get_flat_grad_from) = _utils(torch)
    trpo_step = _trpo(torch, out, set_flat_params_to, get_flat_params_from)

    class Policy(nn.Module):
        def __init__(self, num_inputs, num_outputs):
            super(Policy, self).__init__()
            self.affine1 = nn.Linear(num_inputs, 64)
            self.affine2 = nn.Linear(64, 64)
            self.action_mean = nn.Linear(64, num_outputs)
            self.action_mean.weight.data.mul_(0.1)
            self.action_mean.bias.data.mul_(0.0)
            self.action_log_std = nn.Parameter(torch.zeros(1, num_outputs))
            self.saved_actions = []
            self.rewards = []
            self.final_value = 0

        def forward(self, x):
            x = F.tanh(self.affine1(x))
            x = F.tanh(self.affine2(x))
            action_mean = self.action_mean(x)
            action_log_std = self.action_log_std.expand_as(action_mean)
            action_std = torch.exp(action_log_std)
            return action_mean, action_log_std, action_std

    class Value(nn.Module):
        def __init__(self, num_inputs):
            super(Value, self).__init__()
            self.affine1 = nn.Linear(num_inputs, 64)
            self.affine2 = nn.Linear(64, 64)
            self.value_head = nn.Linear(64, 1)
            self.value_head.weight.data.mul_(0.1)
            self.value_head.bias.data.mul_(0.0)

        def forward(self, x):
            x = F.tanh(self.affine1(x))
            x = F.tanh(self.affine2(x))
            state_values = self.value_head(x)
            return state_values

    env = ReacherStandIn(args.seed)
    num_inputs = env.obs_dim
    num_actions = env.act_dim
    torch.manual_seed(args.seed)
    random.seed(args.seed)

    policy_net = Policy(num_inputs, num_actions)
    value_net = Value(num_inputs)
    print(policy_net.action_log_std.dtype, torch.Tensor(2, 1).dtype, torch.tensor([1.5]).dtype)

    def select_action(state):
        state = torch.from_numpy(state).unsqueeze(0)
        action_mean, _, action_std = policy_net(Variable(state))
        action = torch.normal(action_mean, action_std)
        return action

    def update_params(batch):
        rewards = torch.Tensor(batch.reward)
        masks = torch.Tensor(batch.mask)
        actions = torch.Tensor(np.concatenate(batch.action, 0))
        states = torch.Tensor(batch.state)
        values = value_net(Variable(states))

        returns = torch.Tensor(actions.size(0), 1)
        deltas = torch.Tensor(actions.size(0), 1)
        advantages = torch.Tensor(actions.size(0), 1)

        prev_return = 0
        prev_value = 0
        prev_advantage = 0
        for i in reversed(range(rewards.size(0))):
            returns[i] = rewards[i] + args.gamma * prev_return * masks[i]
            deltas[i] = rewards[i] + args.gamma * prev_value * masks[i] - values.data[i]
            advantages[i] = deltas[i] + args.gamma * args.tau * prev_advantage * masks[i]
            prev_return = returns[i, 0]
            prev_value = values.data[i, 0]
            prev_advantage = advantages[i, 0]

        targets = Variable(returns)

        def get_value_loss(flat_params):
            set_flat_params_to(value_net, torch.Tensor(flat_params))
            for param in value_net.parameters():
                if param.grad is not None:
                    param.grad.data.fill_(0)
            values_ = value_net(Variable(states))
            value_loss = (values_ - targets).pow(2).mean()
            # weight decay
            for param in value_net.parameters():
                value_loss += param.pow(2).sum() * args.l2_reg
            value_loss.backward()
            return (value_loss.data.double().numpy(),
                    get_flat_grad_from(value_net).data.double().numpy())

        f0, g0 = get_value_loss(get_flat_params_from(value_net).double().numpy())
        print("value loss", type(f0).__name__, f0.shape, f0.dtype, f"{float(f0):.6f}",
              g0.shape, g0.dtype)
        out.vals += [f0, g0]

        # scipy.optimize.fmin_l_bfgs_b(get_value_loss, ..., maxiter=25) in the original
        optimizer = torch.optim.LBFGS(value_net.parameters(), max_iter=25)

        def closure():
            optimizer.zero_grad()
            values_ = value_net(Variable(states))
            value_loss = (values_ - targets).pow(2).mean()
            for param in value_net.parameters():
                value_loss += param.pow(2).sum() * args.l2_reg
            value_loss.backward()
            return value_loss

        first = optimizer.step(closure)
        print("lbfgs", f"{first.item():.6f}", f"{closure().item():.6f}",
              optimizer.state[optimizer._params[0]]['n_iter'])

        advantages = (advantages - advantages.mean()) / advantages.std()

        action_means, action_log_stds, action_stds = policy_net(Variable(states))
        fixed_log_prob = normal_log_density(Variable(actions), action_means, action_log_stds,
                                            action_stds).data.clone()

        def get_loss(volatile=False):
            if volatile:
                with torch.no_grad():
                    action_means, action_log_stds, action_stds = policy_net(Variable(states))
            else:
                action_means, action_log_stds, action_stds = policy_net(Variable(states))
            log_prob = normal_log_density(Variable(actions), action_means, action_log_stds,
                                          action_stds)
            action_loss = -Variable(advantages) * torch.exp(log_prob - Variable(fixed_log_prob))
            return action_loss.mean()

        def get_kl():
            mean1, log_std1, std1 = policy_net(Variable(states))
            mean0 = Variable(mean1.data)
            log_std0 = Variable(log_std1.data)
            std0 = Variable(std1.data)
            kl = log_std1 - log_std0 + (std0.pow(2) + (mean0 - mean1).pow(2)) / (2.0 * std1.pow(2)) - 0.5
            return kl.sum(1, keepdim=True)

        loss, shs, lm, stepdir = trpo_step(policy_net, get_loss, get_kl, args.max_kl,
                                           args.damping)
        print("loss", loss.dtype, loss.shape, loss.requires_grad, shs.shape, lm.shape)
        ent = normal_entropy(policy_net(Variable(states))[2])
        out.vals += [returns, advantages, fixed_log_prob, shs, lm, stepdir, ent,
                     get_flat_params_from(policy_net), get_flat_params_from(value_net)]

    running_state = ZFilter((num_inputs,), clip=5)

    for i_episode in count(1):
        memory = Memory()
        num_steps = 0
        reward_batch = 0
        num_episodes = 0
        while num_steps < args.batch_size:
            state = env.reset()
            state = running_state(state)
            reward_sum = 0
            for t in range(10000):  # Don't infinite loop while learning
                action = select_action(state)
                action = action.data[0].numpy()
                next_state, reward, done, _ = env.step(action)
                reward_sum += reward
                next_state = running_state(next_state)
                mask = 1
                if done:
                    mask = 0
                memory.push(state, np.array([action]), mask, next_state, reward)
                if done:
                    break
                state = next_state
            num_steps += (t - 1)
            num_episodes += 1
            reward_batch += reward_sum

        reward_batch /= num_episodes
        batch = memory.sample()
        update_params(batch)

        if i_episode % args.log_interval == 0:
            print('Episode {}\tLast reward: {:.4f}\tAverage reward {:.2f}'.format(
                i_episode, reward_sum, reward_batch))
        if i_episode == 3:
            break
    print("norm", f"{get_flat_params_from(policy_net).norm().item():.6f}")
    vec = torch.nn.utils.parameters_to_vector(policy_net.parameters())
    print("p2v", vec.shape, vec.dtype, vec.requires_grad,
          bool((vec == get_flat_params_from(policy_net)).all()))
    torch.nn.utils.vector_to_parameters(vec * 0.5, policy_net.parameters())
    print([type(p).__name__ for p in policy_net.parameters()][-1], policy_net.action_log_std)
    out.vals.append(get_flat_params_from(policy_net))
