"""zhykoties/TimeSeries (DeepAR) continued: dataloader.py's TrainDataset / TestDataset /
WeightedSampler, utils.py's metric bookkeeping and train.py / evaluate.py's loops, run on the
Net of s22_tabts_progs_e.py with seeded NumPy windows (series id in the last column, z_0 = 0,
a few missing values) instead of the electricity .npy files."""

from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out
import s22_tabts_progs_e as E


def _windows(p, n, seed, test=False):
    rng = np.random.default_rng(seed)
    w = p.test_window if test else p.train_window
    z = np.abs(rng.standard_normal((n, w + 1))).astype(np.float32) + 0.5
    z[rng.random((n, w + 1)) < 0.1] = 0.          # missing values
    data = np.zeros((n, w, 1 + p.cov_dim + 1), dtype=np.float32)
    data[:, :, 0] = z[:, :-1]
    data[:, 0, 0] = 0.                            # z_0 = 0
    data[:, :, 1:1 + p.cov_dim] = rng.standard_normal((n, w, p.cov_dim))
    data[:, :, -1] = rng.integers(0, p.num_class, n)[:, None]
    label = z[:, 1:].copy()
    v = np.stack([rng.random(n) + 0.5, np.zeros(n)], 1).astype(np.float32)
    return data, label, v


def build(torch):
    net = E.build(torch)
    Dataset, Sampler = torch.utils.data.Dataset, torch.utils.data.Sampler

    class TrainDataset(Dataset):
        def __init__(self, data, label):
            self.data = data
            self.label = label
            self.train_len = self.data.shape[0]

        def __len__(self):
            return self.train_len

        def __getitem__(self, index):
            return (self.data[index, :, :-1], int(self.data[index, 0, -1]), self.label[index])

    class TestDataset(Dataset):
        def __init__(self, data, v, label):
            self.data = data
            self.v = v
            self.label = label
            self.test_len = self.data.shape[0]

        def __len__(self):
            return self.test_len

        def __getitem__(self, index):
            return (self.data[index, :, :-1], int(self.data[index, 0, -1]), self.v[index], self.label[index])

    class WeightedSampler(Sampler):
        def __init__(self, v, replacement=True):
            self.weights = torch.as_tensor(np.abs(v[:, 0])/np.sum(np.abs(v[:, 0])), dtype=torch.double)
            self.num_samples = self.weights.shape[0]
            self.replacement = replacement

        def __iter__(self):
            return iter(torch.multinomial(self.weights, self.num_samples, self.replacement).tolist())

        def __len__(self):
            return self.num_samples

    def init_metrics(sample=True):
        metrics = {
            'ND': np.zeros(2),  # numerator, denominator
            'RMSE': np.zeros(3),  # numerator, denominator, time step count
            'test_loss': np.zeros(2),
        }
        if sample:
            metrics['rou90'] = np.zeros(2)
            metrics['rou50'] = np.zeros(2)
        return metrics

    def get_metrics(sample_mu, labels, predict_start, samples=None, relative=False):
        metric = dict()
        metric['ND'] = net.accuracy_ND_(sample_mu, labels[:, predict_start:], relative=relative)
        metric['RMSE'] = net.accuracy_RMSE_(sample_mu, labels[:, predict_start:], relative=relative)
        if samples is not None:
            metric['rou90'] = net.accuracy_ROU_(0.9, samples, labels[:, predict_start:], relative=relative)
            metric['rou50'] = net.accuracy_ROU_(0.5, samples, labels[:, predict_start:], relative=relative)
        return metric

    def update_metrics(raw_metrics, input_mu, input_sigma, sample_mu, labels, predict_start, samples=None, relative=False):
        raw_metrics['ND'] = raw_metrics['ND'] + net.accuracy_ND(sample_mu, labels[:, predict_start:], relative=relative)
        raw_metrics['RMSE'] = raw_metrics['RMSE'] + net.accuracy_RMSE(sample_mu, labels[:, predict_start:], relative=relative)
        input_time_steps = input_mu.numel()
        raw_metrics['test_loss'] = raw_metrics['test_loss'] + [
            net.loss_fn(input_mu, input_sigma, labels[:, :predict_start]) * input_time_steps, input_time_steps]
        if samples is not None:
            raw_metrics['rou90'] = raw_metrics['rou90'] + net.accuracy_ROU(0.9, samples, labels[:, predict_start:], relative=relative)
            raw_metrics['rou50'] = raw_metrics['rou50'] + net.accuracy_ROU(0.5, samples, labels[:, predict_start:], relative=relative)
        return raw_metrics

    def final_metrics(raw_metrics, sampling=False):
        summary_metric = {}
        summary_metric['ND'] = raw_metrics['ND'][0] / raw_metrics['ND'][1]
        summary_metric['RMSE'] = np.sqrt(raw_metrics['RMSE'][0] / raw_metrics['RMSE'][2]) / (
                    raw_metrics['RMSE'][1] / raw_metrics['RMSE'][2])
        summary_metric['test_loss'] = (raw_metrics['test_loss'][0] / raw_metrics['test_loss'][1]).item()
        if sampling:
            summary_metric['rou90'] = raw_metrics['rou90'][0] / raw_metrics['rou90'][1]
            summary_metric['rou50'] = raw_metrics['rou50'][0] / raw_metrics['rou50'][1]
        return summary_metric

    def train(model, optimizer, loss_fn, train_loader, params, epoch, o):
        model.train()
        loss_epoch = np.zeros(len(train_loader))
        for i, (train_batch, idx, labels_batch) in enumerate(train_loader):
            optimizer.zero_grad()
            batch_size = train_batch.shape[0]

            train_batch = train_batch.permute(1, 0, 2).to(torch.float32).to(params.device)  # not scaled
            labels_batch = labels_batch.permute(1, 0).to(torch.float32).to(params.device)  # not scaled
            idx = idx.unsqueeze(0).to(params.device)

            loss = torch.zeros(1, device=params.device)
            hidden = model.init_hidden(batch_size)
            cell = model.init_cell(batch_size)

            for t in range(params.train_window):
                # if z_t is missing, replace it by output mu from the last time step
                zero_index = (train_batch[t, :, 0] == 0)
                if t > 0 and torch.sum(zero_index) > 0:
                    train_batch[t, zero_index, 0] = mu[zero_index]
                mu, sigma, hidden, cell = model(train_batch[t].unsqueeze_(0).clone(), idx, hidden, cell)
                loss += loss_fn(mu, sigma, labels_batch[t])

            loss.backward()
            optimizer.step()
            loss = loss.item() / params.train_window  # loss per timestep
            loss_epoch[i] = loss
            o.print(f'train_loss: {loss:.4f}')
        return loss_epoch

    def evaluate(model, loss_fn, test_loader, params, plot_num, sample=True):
        model.eval()
        with torch.no_grad():
            summary_metric = {}
            raw_metrics = init_metrics(sample=sample)
            for i, (test_batch, id_batch, v, labels) in enumerate(test_loader):
                test_batch = test_batch.permute(1, 0, 2).to(torch.float32).to(params.device)
                id_batch = id_batch.unsqueeze(0).to(params.device)
                v_batch = v.to(torch.float32).to(params.device)
                labels = labels.to(torch.float32).to(params.device)
                batch_size = test_batch.shape[1]
                input_mu = torch.zeros(batch_size, params.test_predict_start, device=params.device)  # scaled
                input_sigma = torch.zeros(batch_size, params.test_predict_start, device=params.device)  # scaled
                hidden = model.init_hidden(batch_size)
                cell = model.init_cell(batch_size)

                for t in range(params.test_predict_start):
                    zero_index = (test_batch[t, :, 0] == 0)
                    if t > 0 and torch.sum(zero_index) > 0:
                        test_batch[t, zero_index, 0] = mu[zero_index]

                    mu, sigma, hidden, cell = model(test_batch[t].unsqueeze(0), id_batch, hidden, cell)
                    input_mu[:, t] = v_batch[:, 0] * mu + v_batch[:, 1]
                    input_sigma[:, t] = v_batch[:, 0] * sigma

                if sample:
                    samples, sample_mu, sample_sigma = model.test(test_batch, v_batch, id_batch, hidden, cell, sampling=True)
                    raw_metrics = update_metrics(raw_metrics, input_mu, input_sigma, sample_mu, labels, params.test_predict_start, samples, relative=params.relative_metrics)
                    sample_metrics = get_metrics(sample_mu, labels, params.test_predict_start, samples, relative=params.relative_metrics)
                else:
                    sample_mu, sample_sigma = model.test(test_batch, v_batch, id_batch, hidden, cell)
                    raw_metrics = update_metrics(raw_metrics, input_mu, input_sigma, sample_mu, labels, params.test_predict_start, relative=params.relative_metrics)
                    sample_metrics = get_metrics(sample_mu, labels, params.test_predict_start, relative=params.relative_metrics)
                top_10_nd_sample = (-sample_metrics['ND']).argsort()[:batch_size // 10]

            summary_metric = final_metrics(raw_metrics, sampling=sample)
            metrics_string = '; '.join('{}: {:05.3f}'.format(k, v) for k, v in summary_metric.items())
        return summary_metric, metrics_string, sample_mu, sample_sigma, top_10_nd_sample

    return SimpleNamespace(net=net, TrainDataset=TrainDataset, TestDataset=TestDataset,
                           WeightedSampler=WeightedSampler, train=train, evaluate=evaluate,
                           final_metrics=final_metrics)


def deepar_train_evaluate(torch):
    lib = build(torch)
    DataLoader, RandomSampler = torch.utils.data.DataLoader, torch.utils.data.RandomSampler
    with Out() as o:
        params = E.Params(E.PARAMS)
        params.relative_metrics = False
        params.device = torch.device('cpu')
        torch.manual_seed(230)
        model = lib.net.Net(params)
        o.print('model: ', model)
        o.print(model.lstm._all_weights)
        o.vals += [model.lstm.bias_ih_l0.detach().clone(), model.lstm.bias_hh_l1.detach().clone()]
        data, label, v = _windows(params, 8, 0)
        tdata, tlabel, tv = _windows(params, 6, 1, test=True)
        train_set = lib.TrainDataset(data, label)
        test_set = lib.TestDataset(tdata, tv, tlabel)
        sampler = lib.WeightedSampler(v)
        o.print(sampler.weights.dtype, len(sampler), list(iter(sampler)))
        train_loader = DataLoader(train_set, batch_size=params.batch_size, sampler=sampler, num_workers=0)
        test_loader = DataLoader(test_set, batch_size=params.predict_batch, sampler=RandomSampler(test_set), num_workers=0)
        optimizer = torch.optim.Adam(model.parameters(), lr=params.learning_rate)
        loss_fn = lib.net.loss_fn
        for epoch in range(params.num_epochs):
            o.print('Epoch {}/{}'.format(epoch + 1, params.num_epochs))
            loss_epoch = lib.train(model, optimizer, loss_fn, train_loader, params, epoch, o)
            o.vals.append(loss_epoch)
            for sample in (False, True):
                metrics, text, sample_mu, sample_sigma, top = lib.evaluate(
                    model, loss_fn, test_loader, params, epoch, sample=sample)
                o.print('- Full test metrics: ' + text)
                o.print(sorted(metrics), type(metrics['test_loss']).__name__, top.dtype)
                o.vals += [sample_mu, sample_sigma, np.array(list(metrics.values()))]
        o.vals += [p.detach().clone() for p in model.parameters()]
    return o.done()


def deepar_loss_and_metrics(torch):
    """loss_fn, the metrics and test()'s sampling on hand-made tensors."""
    lib = build(torch)
    net = lib.net
    with Out() as o:
        torch.manual_seed(0)
        mu = torch.randn(6, requires_grad=True)
        sigma = torch.rand(6) + 0.5
        labels = torch.tensor([0.5, 0., 1.5, -0.2, 0., 2.])
        loss = net.loss_fn(mu, sigma, labels)
        loss.backward()
        o.print(f'{loss.item():.5f}', mu.grad)
        o.print(net.accuracy_ND(mu.detach(), labels), net.accuracy_ND(mu.detach(), labels, True))
        o.print([round(x, 4) for x in net.accuracy_RMSE(mu.detach(), labels)])
        samples = torch.randn(5, 3, 2)
        lab = torch.tensor([[1., 0.], [0.5, 2.], [0., 0.]])
        o.print([round(x, 4) for x in net.accuracy_ROU(0.9, samples, lab)])
        o.print([round(x, 4) for x in net.accuracy_ROU(0.5, samples, lab, relative=True)])
        o.vals += [net.accuracy_ND_(samples[0], lab), net.accuracy_RMSE_(samples[1], lab),
                   net.accuracy_ROU_(0.5, samples, lab)]
        n = torch.distributions.normal.Normal(torch.zeros(3), torch.ones(3))
        o.print(n, n.sample().shape, n.batch_shape, n.event_shape)
        o.tryit(lambda: torch.distributions.normal.Normal(torch.zeros(2), -torch.ones(2)))
        o.tryit(lambda: net.loss_fn(mu, sigma, torch.zeros(6)).item())
        o.tryit(lambda: np.zeros(2) + [loss * 6, 6])
        with torch.no_grad():
            raw = np.zeros(2) + [net.loss_fn(mu, sigma, labels) * 6, 6]
        o.print(raw.dtype, raw.shape)
        o.vals.append(raw)
    return o.done()
