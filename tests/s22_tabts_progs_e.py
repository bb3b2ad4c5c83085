"""zhykoties/TimeSeries (DeepAR) as users type it: model/net.py (Net: the series-id Embedding,
the LSTM with its forget-gate biases set through _all_weights, distribution_mu / presigma with
Softplus, init_hidden / init_cell, test() with and without ancestral sampling through
torch.distributions.Normal; loss_fn with Normal.log_prob over the non-zero labels; the
accuracy_ND / RMSE / ROU metrics and their NumPy twins), dataloader.py (TrainDataset,
TestDataset, WeightedSampler over torch.multinomial), utils.py's metric bookkeeping
(init_metrics / update_metrics / get_metrics / final_metrics) and train.py / evaluate.py's
loops. The .npy windows are small seeded NumPy arrays with a few missing (zero) values;
num_workers, tqdm, logging and the plots are left out."""

import json
import math
from types import SimpleNamespace

import numpy as np


class Params:
    def __init__(self, text):
        self.__dict__.update(json.loads(text))


PARAMS = json.dumps({
    "learning_rate": 1e-2, "batch_size": 4, "lstm_layers": 2, "num_epochs": 2,
    "train_window": 6, "test_window": 6, "predict_start": 4, "test_predict_start": 4,
    "predict_steps": 2, "num_class": 3, "cov_dim": 2, "lstm_hidden_dim": 5,
    "embedding_dim": 4, "sample_times": 5, "lstm_dropout": 0.1, "predict_batch": 3})


def build(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self, params):
            super(Net, self).__init__()
            self.params = params
            self.embedding = nn.Embedding(params.num_class, params.embedding_dim)

            self.lstm = nn.LSTM(input_size=1+params.cov_dim+params.embedding_dim,
                                hidden_size=params.lstm_hidden_dim,
                                num_layers=params.lstm_layers,
                                bias=True,
                                batch_first=False,
                                dropout=params.lstm_dropout)
            # initialize LSTM forget gate bias to be 1
            for names in self.lstm._all_weights:
                for name in filter(lambda n: "bias" in n, names):
                    bias = getattr(self.lstm, name)
                    n = bias.size(0)
                    start, end = n // 4, n // 2
                    bias.data[start:end].fill_(1.)

            self.relu = nn.ReLU()
            self.distribution_mu = nn.Linear(params.lstm_hidden_dim * params.lstm_layers, 1)
            self.distribution_presigma = nn.Linear(params.lstm_hidden_dim * params.lstm_layers, 1)
            self.distribution_sigma = nn.Softplus()

        def forward(self, x, idx, hidden, cell):
            onehot_embed = self.embedding(idx)
            lstm_input = torch.cat((x, onehot_embed), dim=2)
            output, (hidden, cell) = self.lstm(lstm_input, (hidden, cell))
            # use h from all three layers to calculate mu and sigma
            hidden_permute = hidden.permute(1, 2, 0).contiguous().view(hidden.shape[1], -1)
            pre_sigma = self.distribution_presigma(hidden_permute)
            mu = self.distribution_mu(hidden_permute)
            sigma = self.distribution_sigma(pre_sigma)  # softplus: standard deviation > 0
            return torch.squeeze(mu), torch.squeeze(sigma), hidden, cell

        def init_hidden(self, input_size):
            return torch.zeros(self.params.lstm_layers, input_size, self.params.lstm_hidden_dim, device=self.params.device)

        def init_cell(self, input_size):
            return torch.zeros(self.params.lstm_layers, input_size, self.params.lstm_hidden_dim, device=self.params.device)

        def test(self, x, v_batch, id_batch, hidden, cell, sampling=False):
            batch_size = x.shape[1]
            if sampling:
                samples = torch.zeros(self.params.sample_times, batch_size, self.params.predict_steps,
                                      device=self.params.device)
                for j in range(self.params.sample_times):
                    decoder_hidden = hidden
                    decoder_cell = cell
                    for t in range(self.params.predict_steps):
                        mu_de, sigma_de, decoder_hidden, decoder_cell = self(x[self.params.predict_start + t].unsqueeze(0),
                                                                             id_batch, decoder_hidden, decoder_cell)
                        gaussian = torch.distributions.normal.Normal(mu_de, sigma_de)
                        pred = gaussian.sample()  # not scaled
                        samples[j, :, t] = pred * v_batch[:, 0] + v_batch[:, 1]
                        if t < (self.params.predict_steps - 1):
                            x[self.params.predict_start + t + 1, :, 0] = mu_de

                sample_mu = torch.median(samples, dim=0)[0]
                sample_sigma = samples.std(dim=0)
                return samples, sample_mu, sample_sigma

            else:
                decoder_hidden = hidden
                decoder_cell = cell
                sample_mu = torch.zeros(batch_size, self.params.predict_steps, device=self.params.device)
                sample_sigma = torch.zeros(batch_size, self.params.predict_steps, device=self.params.device)
                for t in range(self.params.predict_steps):
                    mu_de, sigma_de, decoder_hidden, decoder_cell = self(x[self.params.predict_start + t].unsqueeze(0),
                                                                         id_batch, decoder_hidden, decoder_cell)
                    sample_mu[:, t] = mu_de * v_batch[:, 0] + v_batch[:, 1]
                    sample_sigma[:, t] = sigma_de * v_batch[:, 0]
                    if t < (self.params.predict_steps - 1):
                        x[self.params.predict_start + t + 1, :, 0] = mu_de
                return sample_mu, sample_sigma

    def loss_fn(mu, sigma, labels):
        zero_index = (labels != 0)
        distribution = torch.distributions.normal.Normal(mu[zero_index], sigma[zero_index])
        likelihood = distribution.log_prob(labels[zero_index])
        return -torch.mean(likelihood)

    def accuracy_ND(mu, labels, relative=False):
        zero_index = (labels != 0)
        if relative:
            diff = torch.mean(torch.abs(mu[zero_index] - labels[zero_index])).item()
            return [diff, 1]
        else:
            diff = torch.sum(torch.abs(mu[zero_index] - labels[zero_index])).item()
            summation = torch.sum(torch.abs(labels[zero_index])).item()
            return [diff, summation]

    def accuracy_RMSE(mu, labels, relative=False):
        zero_index = (labels != 0)
        diff = torch.sum(torch.mul((mu[zero_index] - labels[zero_index]), (mu[zero_index] - labels[zero_index]))).item()
        if relative:
            return [diff, torch.sum(zero_index).item(), torch.sum(zero_index).item()]
        else:
            summation = torch.sum(torch.abs(labels[zero_index])).item()
            return [diff, summation, torch.sum(zero_index).item()]

    def accuracy_ROU(rou, samples, labels, relative=False):
        numerator = 0
        denominator = 0
        pred_samples = samples.shape[0]
        for t in range(labels.shape[1]):
            zero_index = (labels[:, t] != 0)
            if zero_index.numel() > 0:
                rou_th = math.ceil(pred_samples * (1 - rou))
                rou_pred = torch.topk(samples[:, zero_index, t], dim=0, k=rou_th)[0][-1, :]
                abs_diff = labels[:, t][zero_index] - rou_pred
                numerator += 2 * (torch.sum(rou * abs_diff[labels[:, t][zero_index] > rou_pred]) - torch.sum(
                    (1 - rou) * abs_diff[labels[:, t][zero_index] <= rou_pred])).item()
                denominator += torch.sum(labels[:, t][zero_index]).item()
        if relative:
            return [numerator, torch.sum(labels != 0).item()]
        else:
            return [numerator, denominator]

    def accuracy_ND_(mu, labels, relative=False):
        mu = mu.cpu().detach().numpy()
        labels = labels.cpu().detach().numpy()

        mu[labels == 0] = 0.

        diff = np.sum(np.abs(mu - labels), axis=1)
        summation = np.sum(np.abs(labels), axis=1)
        mask = (summation == 0)
        summation[mask] = 1
        result = diff / summation
        result[mask] = -1
        return result

    def accuracy_RMSE_(mu, labels, relative=False):
        mu = mu.cpu().detach().numpy()
        labels = labels.cpu().detach().numpy()

        mask = labels == 0
        mu[mask] = 0.

        diff = np.sum((mu - labels) ** 2, axis=1)
        summation = np.sum(np.abs(labels), axis=1)
        mask2 = (summation == 0)
        summation[mask2] = 1
        result = (np.sqrt(diff) / summation) * np.sqrt(np.sum(~mask, axis=1))
        result[mask2] = -1
        return result

    def accuracy_ROU_(rou, samples, labels, relative=False):
        samples = samples.cpu().detach().numpy()
        labels = labels.cpu().detach().numpy()

        mask = labels == 0
        samples[:, mask] = 0.

        pred_samples = samples.shape[0]
        rou_th = math.floor(pred_samples * rou)

        samples = np.sort(samples, axis=0)
        rou_pred = samples[rou_th]

        abs_diff = np.abs(labels - rou_pred)
        abs_diff_1 = abs_diff.copy()
        abs_diff_1[labels < rou_pred] = 0.
        abs_diff_2 = abs_diff.copy()
        abs_diff_2[labels >= rou_pred] = 0.

        numerator = 2 * (rou * np.sum(abs_diff_1, axis=1) + (1 - rou) * np.sum(abs_diff_2, axis=1))
        denominator = np.sum(labels, axis=1)

        mask2 = (denominator == 0)
        denominator[mask2] = 1
        result = numerator / denominator
        result[mask2] = -1
        return result

    net = SimpleNamespace(**{k: v for k, v in locals().items() if k not in ("torch", "nn")})
    return net
