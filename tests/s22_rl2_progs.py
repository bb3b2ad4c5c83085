"""marlbenchmark/on-policy (MAPPO) as users type it, scaled down: onpolicy/utils/util.py
(get_gard_norm, update_linear_schedule, huber_loss, mse_loss), utils/valuenorm.py
(ValueNorm), algorithms/utils/{util,mlp,rnn,distributions,act,popart}.py (init, MLPBase,
RNNLayer's GRU with masks, FixedCategorical / FixedNormal wrappers, ACTLayer, PopArt),
r_mappo/algorithm/{r_actor_critic,rMAPPOPolicy}.py and r_mappo/r_mappo.py (R_MAPPO's
cal_value_loss and ppo_update). The library is built here per backend ``L``; the programs
that drive it are in tests/s22_rl2_progs_b.py."""

import copy
import math
from types import SimpleNamespace

import numpy as np


def _mappo(L):
    torch, nn, F = L, L.nn, L.nn.functional

    # onpolicy/utils/util.py
    def check(input):
        output = torch.from_numpy(input) if type(input) == np.ndarray else input
        return output

    def get_gard_norm(it):
        sum_grad = 0
        for x in it:
            if x.grad is None:
                continue
            sum_grad += x.grad.norm() ** 2
        return math.sqrt(sum_grad)

    def update_linear_schedule(optimizer, epoch, total_num_epochs, initial_lr):
        lr = initial_lr - (initial_lr * (epoch / float(total_num_epochs)))
        for param_group in optimizer.param_groups:
            param_group['lr'] = lr

    def huber_loss(e, d):
        a = (abs(e) <= d).float()
        b = (e > d).float()
        return a * e ** 2 / 2 + b * d * (abs(e) - d / 2)

    def mse_loss(e):
        return e ** 2 / 2

    # onpolicy/utils/valuenorm.py
    class ValueNorm(nn.Module):
        def __init__(self, input_shape, norm_axes=1, beta=0.99999, per_element_update=False,
                     epsilon=1e-5, device=torch.device("cpu")):
            super(ValueNorm, self).__init__()
            self.input_shape = input_shape
            self.norm_axes = norm_axes
            self.epsilon = epsilon
            self.beta = beta
            self.per_element_update = per_element_update
            self.tpdv = dict(dtype=torch.float32, device=device)
            self.running_mean = nn.Parameter(torch.zeros(input_shape), requires_grad=False).to(**self.tpdv)
            self.running_mean_sq = nn.Parameter(torch.zeros(input_shape), requires_grad=False).to(**self.tpdv)
            self.debiasing_term = nn.Parameter(torch.tensor(0.0), requires_grad=False).to(**self.tpdv)
            self.reset_parameters()

        def reset_parameters(self):
            self.running_mean.zero_()
            self.running_mean_sq.zero_()
            self.debiasing_term.zero_()

        def running_mean_var(self):
            debiased_mean = self.running_mean / self.debiasing_term.clamp(min=self.epsilon)
            debiased_mean_sq = self.running_mean_sq / self.debiasing_term.clamp(min=self.epsilon)
            debiased_var = (debiased_mean_sq - debiased_mean ** 2).clamp(min=1e-2)
            return debiased_mean, debiased_var

        @torch.no_grad()
        def update(self, input_vector):
            if type(input_vector) == np.ndarray:
                input_vector = torch.from_numpy(input_vector)
            input_vector = input_vector.to(**self.tpdv)
            batch_mean = input_vector.mean(dim=tuple(range(self.norm_axes)))
            batch_sq_mean = (input_vector ** 2).mean(dim=tuple(range(self.norm_axes)))
            if self.per_element_update:
                batch_size = np.prod(input_vector.size()[:self.norm_axes])
                weight = self.beta ** batch_size
            else:
                weight = self.beta
            self.running_mean.mul_(weight).add_(batch_mean * (1.0 - weight))
            self.running_mean_sq.mul_(weight).add_(batch_sq_mean * (1.0 - weight))
            self.debiasing_term.mul_(weight).add_(1.0 * (1.0 - weight))

        def normalize(self, input_vector):
            if type(input_vector) == np.ndarray:
                input_vector = torch.from_numpy(input_vector)
            input_vector = input_vector.to(**self.tpdv)
            mean, var = self.running_mean_var()
            out = (input_vector - mean[(None,) * self.norm_axes]) / torch.sqrt(var)[(None,) * self.norm_axes]
            return out

        def denormalize(self, input_vector):
            if type(input_vector) == np.ndarray:
                input_vector = torch.from_numpy(input_vector)
            input_vector = input_vector.to(**self.tpdv)
            mean, var = self.running_mean_var()
            out = input_vector * torch.sqrt(var)[(None,) * self.norm_axes] + mean[(None,) * self.norm_axes]
            out = out.cpu().numpy()
            return out

    # onpolicy/algorithms/utils/popart.py
    class PopArt(torch.nn.Module):
        def __init__(self, input_shape, output_shape, norm_axes=1, beta=0.99999, epsilon=1e-5,
                     device=torch.device("cpu")):
            super(PopArt, self).__init__()
            self.beta = beta
            self.epsilon = epsilon
            self.norm_axes = norm_axes
            self.tpdv = dict(dtype=torch.float32, device=device)
            self.input_shape = input_shape
            self.output_shape = output_shape
            self.weight = nn.Parameter(torch.Tensor(output_shape, input_shape)).to(**self.tpdv)
            self.bias = nn.Parameter(torch.Tensor(output_shape)).to(**self.tpdv)
            self.stddev = nn.Parameter(torch.ones(output_shape), requires_grad=False).to(**self.tpdv)
            self.mean = nn.Parameter(torch.zeros(output_shape), requires_grad=False).to(**self.tpdv)
            self.mean_sq = nn.Parameter(torch.zeros(output_shape), requires_grad=False).to(**self.tpdv)
            self.debiasing_term = nn.Parameter(torch.tensor(0.0), requires_grad=False).to(**self.tpdv)
            self.reset_parameters()

        def reset_parameters(self):
            torch.nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            if self.bias is not None:
                fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(self.weight)
                bound = 1 / math.sqrt(fan_in)
                torch.nn.init.uniform_(self.bias, -bound, bound)
            self.mean.zero_()
            self.mean_sq.zero_()
            self.debiasing_term.zero_()

        def forward(self, input_vector):
            if type(input_vector) == np.ndarray:
                input_vector = torch.from_numpy(input_vector)
            input_vector = input_vector.to(**self.tpdv)
            return F.linear(input_vector, self.weight, self.bias)

        @torch.no_grad()
        def update(self, input_vector):
            if type(input_vector) == np.ndarray:
                input_vector = torch.from_numpy(input_vector)
            input_vector = input_vector.to(**self.tpdv)
            old_mean, old_var = self.debiased_mean_var()
            old_stddev = torch.sqrt(old_var)
            batch_mean = input_vector.mean(dim=tuple(range(self.norm_axes)))
            batch_sq_mean = (input_vector ** 2).mean(dim=tuple(range(self.norm_axes)))
            self.mean.mul_(self.beta).add_(batch_mean * (1.0 - self.beta))
            self.mean_sq.mul_(self.beta).add_(batch_sq_mean * (1.0 - self.beta))
            self.debiasing_term.mul_(self.beta).add_(1.0 * (1.0 - self.beta))
            self.stddev = (self.mean_sq - self.mean ** 2).sqrt().clamp(min=1e-4)
            new_mean, new_var = self.debiased_mean_var()
            new_stddev = torch.sqrt(new_var)
            self.weight = self.weight * old_stddev / new_stddev
            self.bias = (old_stddev * self.bias + old_mean - new_mean) / new_stddev

        def debiased_mean_var(self):
            debiased_mean = self.mean / self.debiasing_term.clamp(min=self.epsilon)
            debiased_mean_sq = self.mean_sq / self.debiasing_term.clamp(min=self.epsilon)
            debiased_var = (debiased_mean_sq - debiased_mean ** 2).clamp(min=1e-2)
            return debiased_mean, debiased_var

        def normalize(self, input_vector):
            if type(input_vector) == np.ndarray:
                input_vector = torch.from_numpy(input_vector)
            input_vector = input_vector.to(**self.tpdv)
            mean, var = self.debiased_mean_var()
            out = (input_vector - mean[(None,) * self.norm_axes]) / torch.sqrt(var)[(None,) * self.norm_axes]
            return out

        def denormalize(self, input_vector):
            if type(input_vector) == np.ndarray:
                input_vector = torch.from_numpy(input_vector)
            input_vector = input_vector.to(**self.tpdv)
            mean, var = self.debiased_mean_var()
            out = input_vector * torch.sqrt(var)[(None,) * self.norm_axes] + mean[(None,) * self.norm_axes]
            out = out.cpu().numpy()
            return out

    # onpolicy/algorithms/utils/util.py
    def init(module, weight_init, bias_init, gain=1):
        weight_init(module.weight.data, gain=gain)
        bias_init(module.bias.data)
        return module

    def get_clones(module, N):
        return nn.ModuleList([copy.deepcopy(module) for i in range(N)])

    # onpolicy/algorithms/utils/mlp.py
    class MLPLayer(nn.Module):
        def __init__(self, input_dim, hidden_size, layer_N, use_orthogonal, use_ReLU):
            super(MLPLayer, self).__init__()
            self._layer_N = layer_N
            active_func = [nn.Tanh(), nn.ReLU()][use_ReLU]
            init_method = [nn.init.xavier_uniform_, nn.init.orthogonal_][use_orthogonal]
            gain = nn.init.calculate_gain(['tanh', 'relu'][use_ReLU])

            def init_(m):
                return init(m, init_method, lambda x: nn.init.constant_(x, 0), gain=gain)

            self.fc1 = nn.Sequential(
                init_(nn.Linear(input_dim, hidden_size)), active_func, nn.LayerNorm(hidden_size))
            self.fc_h = nn.Sequential(init_(
                nn.Linear(hidden_size, hidden_size)), active_func, nn.LayerNorm(hidden_size))
            self.fc2 = get_clones(self.fc_h, self._layer_N)

        def forward(self, x):
            x = self.fc1(x)
            for i in range(self._layer_N):
                x = self.fc2[i](x)
            return x

    class MLPBase(nn.Module):
        def __init__(self, args, obs_shape, cat_self=True, attn_internal=False):
            super(MLPBase, self).__init__()
            self._use_feature_normalization = args.use_feature_normalization
            self._use_orthogonal = args.use_orthogonal
            self._use_ReLU = args.use_ReLU
            self._stacked_frames = args.stacked_frames
            self._layer_N = args.layer_N
            self.hidden_size = args.hidden_size
            obs_dim = obs_shape[0]
            if self._use_feature_normalization:
                self.feature_norm = nn.LayerNorm(obs_dim)
            self.mlp = MLPLayer(obs_dim, self.hidden_size,
                                self._layer_N, self._use_orthogonal, self._use_ReLU)

        def forward(self, x):
            if self._use_feature_normalization:
                x = self.feature_norm(x)
            x = self.mlp(x)
            return x

    # onpolicy/algorithms/utils/rnn.py
    class RNNLayer(nn.Module):
        def __init__(self, inputs_dim, outputs_dim, recurrent_N, use_orthogonal):
            super(RNNLayer, self).__init__()
            self._recurrent_N = recurrent_N
            self._use_orthogonal = use_orthogonal
            self.rnn = nn.GRU(inputs_dim, outputs_dim, num_layers=self._recurrent_N)
            for name, param in self.rnn.named_parameters():
                if 'bias' in name:
                    nn.init.constant_(param, 0)
                elif 'weight' in name:
                    if self._use_orthogonal:
                        nn.init.orthogonal_(param)
                    else:
                        nn.init.xavier_uniform_(param)
            self.norm = nn.LayerNorm(outputs_dim)

        def forward(self, x, hxs, masks):
            if x.size(0) == hxs.size(0):
                x, hxs = self.rnn(x.unsqueeze(0), (hxs * masks.repeat(1, self._recurrent_N).unsqueeze(-1)).transpose(0, 1).contiguous())
                x = x.squeeze(0)
                hxs = hxs.transpose(0, 1)
            else:
                N = hxs.size(0)
                T = int(x.size(0) / N)
                x = x.view(T, N, x.size(1))
                masks = masks.view(T, N)
                has_zeros = ((masks[1:] == 0.0)
                             .any(dim=-1)
                             .nonzero()
                             .squeeze()
                             .cpu())
                if has_zeros.dim() == 0:
                    has_zeros = [has_zeros.item() + 1]
                else:
                    has_zeros = (has_zeros + 1).numpy().tolist()
                has_zeros = [0] + has_zeros + [T]
                hxs = hxs.transpose(0, 1)
                outputs = []
                for i in range(len(has_zeros) - 1):
                    start_idx = has_zeros[i]
                    end_idx = has_zeros[i + 1]
                    temp = (hxs * masks[start_idx].view(1, -1, 1).repeat(self._recurrent_N, 1, 1)).contiguous()
                    rnn_scores, hxs = self.rnn(x[start_idx:end_idx], temp)
                    outputs.append(rnn_scores)
                x = torch.cat(outputs, dim=0)
                x = x.reshape(T * N, -1)
                hxs = hxs.transpose(0, 1)
            x = self.norm(x)
            return x, hxs

    # onpolicy/algorithms/utils/distributions.py
    class FixedCategorical(torch.distributions.Categorical):
        def sample(self):
            return super().sample().unsqueeze(-1)

        def log_probs(self, actions):
            return (
                super()
                .log_prob(actions.squeeze(-1))
                .view(actions.size(0), -1)
                .sum(-1)
                .unsqueeze(-1)
            )

        def mode(self):
            return self.probs.argmax(dim=-1, keepdim=True)

    class FixedNormal(torch.distributions.Normal):
        def log_probs(self, actions):
            return super().log_prob(actions).sum(-1, keepdim=True)

        def entrop(self):
            return super.entropy().sum(-1)

        def mode(self):
            return self.mean

    class Categorical(nn.Module):
        def __init__(self, num_inputs, num_outputs, use_orthogonal=True, gain=0.01):
            super(Categorical, self).__init__()
            init_method = [nn.init.xavier_uniform_, nn.init.orthogonal_][use_orthogonal]

            def init_(m):
                return init(m, init_method, lambda x: nn.init.constant_(x, 0), gain)

            self.linear = init_(nn.Linear(num_inputs, num_outputs))

        def forward(self, x, available_actions=None):
            x = self.linear(x)
            if available_actions is not None:
                x[available_actions == 0] = -1e10
            return FixedCategorical(logits=x)

    class AddBias(nn.Module):
        def __init__(self, bias):
            super(AddBias, self).__init__()
            self._bias = nn.Parameter(bias.unsqueeze(1))

        def forward(self, x):
            if x.dim() == 2:
                bias = self._bias.t().view(1, -1)
            else:
                bias = self._bias.t().view(1, -1, 1, 1)
            return x + bias

    class DiagGaussian(nn.Module):
        def __init__(self, num_inputs, num_outputs, use_orthogonal=True, gain=0.01):
            super(DiagGaussian, self).__init__()
            init_method = [nn.init.xavier_uniform_, nn.init.orthogonal_][use_orthogonal]

            def init_(m):
                return init(m, init_method, lambda x: nn.init.constant_(x, 0), gain)

            self.fc_mean = init_(nn.Linear(num_inputs, num_outputs))
            self.logstd = AddBias(torch.zeros(num_outputs))

        def forward(self, x):
            action_mean = self.fc_mean(x)
            zeros = torch.zeros(action_mean.size())
            if x.is_cuda:
                zeros = zeros.cuda()
            action_logstd = self.logstd(zeros)
            return FixedNormal(action_mean, action_logstd.exp())

    return SimpleNamespace(**{k: v for k, v in locals().items() if k[0].isupper() or callable(v)})
