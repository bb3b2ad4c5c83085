"""The enhanced Informer2020 fork's choices (exp/exp_informer.py _select_optimizer and
_select_criterion, utils/criter.py's losses, utils/tools.py's commented MinMaxScaler, main
args such as activation 'ReLU' and lradj 'type2'), each trained a few steps on a small
Informer; topk(sorted=False) as _prob_QK uses it; print(model) and utils/tools.py's
StandardScaler with args.inverse. See tests/test_programs_s21_informer.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_informer_progs_b import models


def criterions(L):
    """utils/criter.py as written."""
    torch, nn = L, L.nn

    class WeightedMeanAbsolutePercentageError(nn.Module):
        def __init__(self):
            super(WeightedMeanAbsolutePercentageError, self).__init__()

        def forward(self, y_pred, y_true):
            absolute_percentage_errors = torch.abs((y_true - y_pred) / (y_true + 1e-8))
            weighted_errors = absolute_percentage_errors * (torch.abs(y_true) + 1e-8)
            return torch.mean(weighted_errors)

    class SymmetricMeanAbsolutePercentageError(nn.Module):
        def __init__(self):
            super(SymmetricMeanAbsolutePercentageError, self).__init__()

        def forward(self, y_pred, y_true):
            absolute_percentage_errors = torch.abs((y_true - y_pred) / ((torch.abs(y_true) + torch.abs(y_pred)) / 2 + 1e-8))
            return torch.mean(absolute_percentage_errors)

    class RMSELoss(nn.Module):
        def __init__(self):
            super(RMSELoss, self).__init__()

        def forward(self, y_pred, y_true):
            return torch.sqrt(torch.mean((y_pred - y_true) ** 2))

    class QuantileLoss(nn.Module):
        def __init__(self, quantile=0.5):
            super(QuantileLoss, self).__init__()
            self.quantile = quantile

        def forward(self, y_pred, y_true):
            errors = y_true - y_pred
            quantile_loss = torch.max((self.quantile - 1) * errors, self.quantile * errors)
            return torch.mean(quantile_loss)

    class HuberLoss(nn.Module):
        def __init__(self, delta=1.0):
            super(HuberLoss, self).__init__()
            self.delta = delta

        def forward(self, y_pred, y_true):
            errors = torch.abs(y_pred - y_true)
            quadratic = torch.min(errors, self.delta)
            linear = errors - quadratic
            return torch.mean(0.5 * quadratic ** 2 + self.delta * linear)

    class PinballLoss(nn.Module):
        def __init__(self, tau=0.5):
            super(PinballLoss, self).__init__()
            self.tau = tau

        def forward(self, y_pred, y_true):
            delta = y_pred - y_true
            loss = torch.max((self.tau - 1) * delta, self.tau * delta)
            return torch.mean(loss)

    return {'wmape': WeightedMeanAbsolutePercentageError, 'smape': SymmetricMeanAbsolutePercentageError,
            'mae': nn.L1Loss, 'rmse': RMSELoss, 'quantileloss': QuantileLoss,
            'huberloss': HuberLoss, 'pinballloss': PinballLoss, 'mse': nn.MSELoss}


def _batch(L, rng):
    x = L.tensor(rng.uniform(0, 1, (2, 16, 6)).astype(np.float32))
    xm = L.tensor(rng.uniform(-0.5, 0.5, (2, 16, 3)).astype(np.float32))
    y = L.tensor(rng.uniform(0, 1, (2, 12, 6)).astype(np.float32))
    ym = L.tensor(rng.uniform(-0.5, 0.5, (2, 12, 3)).astype(np.float32))
    return x, xm, y, ym


def optimizers_and_losses(L):
    """Each kind_of_optim with the criterion next to it, features 'MS', freq 'b', MinMax data."""
    torch, optim = L, L.optim
    Informer, _ = models(L)
    crits = criterions(L)
    rng = np.random.RandomState(7)
    kinds = ['AdamW', 'SparseAdam', 'SGD', 'RMSprop', 'RAdam', 'NAdam', 'LBFGS', 'Adamax', 'ASGD',
             'Adadelta', 'Adagrad', 'Adam']
    names = list(crits)
    with Out() as o:
        for j, kind in enumerate(kinds):
            torch.manual_seed(j)
            model = Informer(6, 6, 1, 16, 1, 1, 1, 16, 2, 1, 1, 16, 0.0, 'full', 'timeF', 'b',
                             'ReLU', False, False, True, torch.device('cpu')).float()
            params, lr = model.parameters(), 5e-3
            model_optim = {
                'AdamW': optim.AdamW, 'SparseAdam': optim.SparseAdam, 'SGD': optim.SGD,
                'RMSprop': optim.RMSprop, 'RAdam': optim.RAdam, 'NAdam': optim.NAdam,
                'LBFGS': optim.LBFGS, 'Adamax': optim.Adamax, 'ASGD': optim.ASGD,
                'Adadelta': optim.Adadelta, 'Adagrad': optim.Adagrad, 'Adam': optim.Adam}[kind](params, lr=lr)
            criterion = crits[names[j % len(names)]]()
            losses = []
            for step in range(3):
                batch_x, batch_x_mark, batch_y, batch_y_mark = _batch(torch, rng)
                # MinMaxScaler(feature_range=(0, 1)) on the target column
                mn, mx = batch_y.min(), batch_y.max()
                dec_inp = torch.zeros([batch_y.shape[0], 1, batch_y.shape[-1]]).float()
                dec_inp = torch.cat([batch_y[:, :1, :], dec_inp], dim=1).float()
                model_optim.zero_grad()
                outputs = model(batch_x, batch_x_mark, dec_inp, batch_y_mark[:, -2:])
                true = (batch_y[:, -1:, -1:] - mn) / (mx - mn)
                try:
                    loss = criterion(outputs, true)
                    loss.backward()
                    model_optim.step()
                except Exception as e:  # noqa: BLE001 - compared across libraries
                    o.print(kind, type(e).__name__, str(e).splitlines()[0])
                    break
                losses.append(loss.item())
            o.print(kind, type(criterion).__name__, " ".join(f"{v:.4f}" for v in losses))
            with torch.no_grad():
                o.vals.append(model(batch_x, batch_x_mark, dec_inp, batch_y_mark[:, -2:]))
            # lradj 'type2'
            lr_adjust = {2: 5e-5, 4: 1e-5, 6: 5e-6, 8: 1e-6, 10: 5e-7, 15: 1e-7, 20: 5e-8}
            if j + 1 in lr_adjust.keys():
                for param_group in model_optim.param_groups:
                    param_group['lr'] = lr_adjust[j + 1]
                o.print('Updating learning rate to {}'.format(lr_adjust[j + 1]))
    return o.lines, o.vals


def topk_unsorted(L):
    """_prob_QK's ``M.topk(n_top, sorted=False)[1]``: users print the selected queries."""
    torch = L
    torch.manual_seed(3)
    with Out() as o:
        M = torch.randn(2, 2, 16)
        for k in (1, 3, 6, 15, 16):
            v, i = M.topk(k, sorted=False)
            o.print(k, i.tolist())
            o.vals += [v, i]
        x = torch.randn(40)
        o.print(x.topk(7, sorted=False)[1].tolist(), x.topk(7, largest=False, sorted=False)[1].tolist())
    return o.lines, o.vals


def model_repr_and_inverse(L):
    """print(model) as main_informer.py's users do, and _process_one_batch with
    args.inverse: utils/tools.py's StandardScaler on tensors."""
    torch = L
    Informer, InformerStack = models(L)
    torch.manual_seed(5)

    class StandardScaler():
        def __init__(self):
            self.mean = 0.
            self.std = 1.

        def fit(self, data):
            self.mean = data.mean(0)
            self.std = data.std(0)

        def transform(self, data):
            mean = torch.from_numpy(self.mean).type_as(data).to(data.device) if torch.is_tensor(data) else self.mean
            std = torch.from_numpy(self.std).type_as(data).to(data.device) if torch.is_tensor(data) else self.std
            return (data - mean) / std

        def inverse_transform(self, data):
            mean = torch.from_numpy(self.mean).type_as(data).to(data.device) if torch.is_tensor(data) else self.mean
            std = torch.from_numpy(self.std).type_as(data).to(data.device) if torch.is_tensor(data) else self.std
            if data.shape[-1] != mean.shape[-1]:
                mean = mean[-1:]
                std = std[-1:]
            return (data * std) + mean

    with Out() as o:
        model = Informer(7, 7, 1, 16, 8, 4, 2, 16, 2, 2, 1, 32, 0.05, 'prob', 'timeF', 'h',
                         'gelu', False, True, True, torch.device('cpu'))
        for line in str(model).splitlines():
            o.print(line)
        stack = InformerStack(7, 7, 7, 16, 8, 4, d_model=16, n_heads=2, e_layers=[2, 1],
                              d_layers=1, d_ff=16, embed='fixed')
        o.print(len(str(stack).splitlines()), len(list(stack.named_modules())))
        rng = np.random.RandomState(5)
        raw = rng.standard_normal((30, 7)) * 3 + 2
        scaler = StandardScaler()
        scaler.fit(raw)
        data = scaler.transform(raw)
        o.print(type(data).__name__, data.dtype)
        x = torch.tensor(data[:16][None]).float()
        xm = torch.tensor(rng.uniform(-0.5, 0.5, (1, 16, 4))).float()
        y = torch.tensor(data[8:20][None]).float()
        ym = torch.tensor(rng.uniform(-0.5, 0.5, (1, 12, 4))).float()
        dec_inp = torch.cat([y[:, :8, :], torch.zeros([1, 4, 7]).float()], dim=1)
        model.eval()
        with torch.no_grad():
            out = model(x, xm, dec_inp, ym)
        inv = scaler.inverse_transform(out)
        o.print(out.shape, inv.shape, inv.dtype, scaler.inverse_transform(y).dtype)
        o.vals += [out, inv, scaler.transform(y)]
    return o.lines, o.vals
