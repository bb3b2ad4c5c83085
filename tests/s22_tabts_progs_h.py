"""ServiceNow (ElementAI) N-BEATS as users type it: models/nbeats.py (NBeatsBlock, NBeats with
the flipped residuals and input mask, GenericBasis, TrendBasis, SeasonalityBasis over einsum
'bp,pt->bt' and requires_grad=False Parameters), experiments/model.py's interpretable (one
trend block and one seasonality block, each repeated in the ModuleList) and generic builders,
common/torch/ops.py's divide_no_nan and to_tensor, common/torch/losses.py's MAPE / sMAPE /
MASE losses, common/sampler.py's TimeseriesSampler and experiments/trainer.py's loop
(clip_grad_norm_, the lr halving). np.float, gone from NumPy, is written np.float64; gin and the
snapshot manager are left out; the series are seeded NumPy sine waves of varied lengths."""

import numpy as np
from s16_yunjey_progs import Out


def build(t):
    class NBeatsBlock(t.nn.Module):
        def __init__(self, input_size, theta_size, basis_function, layers, layer_size):
            super().__init__()
            self.layers = t.nn.ModuleList([t.nn.Linear(in_features=input_size, out_features=layer_size)] +
                                          [t.nn.Linear(in_features=layer_size, out_features=layer_size)
                                           for _ in range(layers - 1)])
            self.basis_parameters = t.nn.Linear(in_features=layer_size, out_features=theta_size)
            self.basis_function = basis_function

        def forward(self, x):
            block_input = x
            for layer in self.layers:
                block_input = t.relu(layer(block_input))
            basis_parameters = self.basis_parameters(block_input)
            return self.basis_function(basis_parameters)

    class NBeats(t.nn.Module):
        def __init__(self, blocks):
            super().__init__()
            self.blocks = blocks

        def forward(self, x, input_mask):
            residuals = x.flip(dims=(1,))
            input_mask = input_mask.flip(dims=(1,))
            forecast = x[:, -1:]
            for i, block in enumerate(self.blocks):
                backcast, block_forecast = block(residuals)
                residuals = (residuals - backcast) * input_mask
                forecast = forecast + block_forecast
            return forecast

    class GenericBasis(t.nn.Module):
        def __init__(self, backcast_size, forecast_size):
            super().__init__()
            self.backcast_size = backcast_size
            self.forecast_size = forecast_size

        def forward(self, theta):
            return theta[:, :self.backcast_size], theta[:, -self.forecast_size:]

    class TrendBasis(t.nn.Module):
        def __init__(self, degree_of_polynomial, backcast_size, forecast_size):
            super().__init__()
            self.polynomial_size = degree_of_polynomial + 1
            self.backcast_time = t.nn.Parameter(
                t.tensor(np.concatenate([np.power(np.arange(backcast_size, dtype=np.float64) / backcast_size, i)[None, :]
                                         for i in range(self.polynomial_size)]), dtype=t.float32),
                requires_grad=False)
            self.forecast_time = t.nn.Parameter(
                t.tensor(np.concatenate([np.power(np.arange(forecast_size, dtype=np.float64) / forecast_size, i)[None, :]
                                         for i in range(self.polynomial_size)]), dtype=t.float32), requires_grad=False)

        def forward(self, theta):
            backcast = t.einsum('bp,pt->bt', theta[:, self.polynomial_size:], self.backcast_time)
            forecast = t.einsum('bp,pt->bt', theta[:, :self.polynomial_size], self.forecast_time)
            return backcast, forecast

    class SeasonalityBasis(t.nn.Module):
        def __init__(self, harmonics, backcast_size, forecast_size):
            super().__init__()
            self.frequency = np.append(np.zeros(1, dtype=np.float32),
                                       np.arange(harmonics, harmonics / 2 * forecast_size,
                                                 dtype=np.float32) / harmonics)[None, :]
            backcast_grid = -2 * np.pi * (
                    np.arange(backcast_size, dtype=np.float32)[:, None] / forecast_size) * self.frequency
            forecast_grid = 2 * np.pi * (
                    np.arange(forecast_size, dtype=np.float32)[:, None] / forecast_size) * self.frequency
            self.backcast_cos_template = t.nn.Parameter(t.tensor(np.transpose(np.cos(backcast_grid)), dtype=t.float32),
                                                        requires_grad=False)
            self.backcast_sin_template = t.nn.Parameter(t.tensor(np.transpose(np.sin(backcast_grid)), dtype=t.float32),
                                                        requires_grad=False)
            self.forecast_cos_template = t.nn.Parameter(t.tensor(np.transpose(np.cos(forecast_grid)), dtype=t.float32),
                                                        requires_grad=False)
            self.forecast_sin_template = t.nn.Parameter(t.tensor(np.transpose(np.sin(forecast_grid)), dtype=t.float32),
                                                        requires_grad=False)

        def forward(self, theta):
            params_per_harmonic = theta.shape[1] // 4
            backcast_harmonics_cos = t.einsum('bp,pt->bt', theta[:, 2 * params_per_harmonic:3 * params_per_harmonic],
                                              self.backcast_cos_template)
            backcast_harmonics_sin = t.einsum('bp,pt->bt', theta[:, 3 * params_per_harmonic:], self.backcast_sin_template)
            backcast = backcast_harmonics_sin + backcast_harmonics_cos
            forecast_harmonics_cos = t.einsum('bp,pt->bt',
                                              theta[:, :params_per_harmonic], self.forecast_cos_template)
            forecast_harmonics_sin = t.einsum('bp,pt->bt', theta[:, params_per_harmonic:2 * params_per_harmonic],
                                              self.forecast_sin_template)
            forecast = forecast_harmonics_sin + forecast_harmonics_cos
            return backcast, forecast

    def interpretable(input_size, output_size, trend_blocks, trend_layers, trend_layer_size,
                      degree_of_polynomial, seasonality_blocks, seasonality_layers,
                      seasonality_layer_size, num_of_harmonics):
        trend_block = NBeatsBlock(input_size=input_size,
                                  theta_size=2 * (degree_of_polynomial + 1),
                                  basis_function=TrendBasis(degree_of_polynomial=degree_of_polynomial,
                                                            backcast_size=input_size,
                                                            forecast_size=output_size),
                                  layers=trend_layers,
                                  layer_size=trend_layer_size)
        seasonality_block = NBeatsBlock(input_size=input_size,
                                        theta_size=4 * int(
                                            np.ceil(num_of_harmonics / 2 * output_size) - (num_of_harmonics - 1)),
                                        basis_function=SeasonalityBasis(harmonics=num_of_harmonics,
                                                                        backcast_size=input_size,
                                                                        forecast_size=output_size),
                                        layers=seasonality_layers,
                                        layer_size=seasonality_layer_size)
        return NBeats(t.nn.ModuleList(
            [trend_block for _ in range(trend_blocks)] + [seasonality_block for _ in range(seasonality_blocks)]))

    def generic(input_size, output_size, stacks, layers, layer_size):
        return NBeats(t.nn.ModuleList([NBeatsBlock(input_size=input_size,
                                                   theta_size=input_size + output_size,
                                                   basis_function=GenericBasis(backcast_size=input_size,
                                                                               forecast_size=output_size),
                                                   layers=layers,
                                                   layer_size=layer_size)
                                       for _ in range(stacks)]))

    def divide_no_nan(a, b):
        result = a / b
        result[result != result] = .0
        result[result == np.inf] = .0
        return result

    def to_tensor(array):
        return t.tensor(array, dtype=t.float32)

    def mape_loss(forecast, target, mask):
        weights = divide_no_nan(mask, target)
        return t.mean(t.abs((forecast - target) * weights))

    def smape_2_loss(forecast, target, mask):
        return 200 * t.mean(divide_no_nan(t.abs(forecast - target),
                                          t.abs(forecast.data) + t.abs(target.data)) * mask)

    def mase_loss(insample, freq, forecast, target, mask):
        masep = t.mean(t.abs(insample[:, freq:] - insample[:, :-freq]), dim=1)
        masked_masep_inv = divide_no_nan(mask, masep[:, None])
        return t.mean(t.abs(target - forecast) * masked_masep_inv)

    def loss_fn(loss_name):
        def loss(x, freq, forecast, target, target_mask):
            if loss_name == 'MAPE':
                return mape_loss(forecast, target, target_mask)
            elif loss_name == 'MASE':
                return mase_loss(x, freq, forecast, target, target_mask)
            elif loss_name == 'SMAPE':
                return smape_2_loss(forecast, target, target_mask)
            else:
                raise Exception(f'Unknown loss function: {loss_name}')
        return loss

    return interpretable, generic, to_tensor, loss_fn, divide_no_nan


class TimeseriesSampler:
    def __init__(self, timeseries, insample_size, outsample_size, window_sampling_limit,
                 batch_size=1024, seed=0):
        self.timeseries = [ts for ts in timeseries]
        self.window_sampling_limit = window_sampling_limit
        self.batch_size = batch_size
        self.insample_size = insample_size
        self.outsample_size = outsample_size
        self.rng = np.random.RandomState(seed)   # np.random, seeded per library run

    def __iter__(self):
        while True:
            insample = np.zeros((self.batch_size, self.insample_size))
            insample_mask = np.zeros((self.batch_size, self.insample_size))
            outsample = np.zeros((self.batch_size, self.outsample_size))
            outsample_mask = np.zeros((self.batch_size, self.outsample_size))
            sampled_ts_indices = self.rng.randint(len(self.timeseries), size=self.batch_size)
            for i, sampled_index in enumerate(sampled_ts_indices):
                sampled_timeseries = self.timeseries[sampled_index]
                cut_point = self.rng.randint(low=max(1, len(sampled_timeseries) - self.window_sampling_limit),
                                             high=len(sampled_timeseries),
                                             size=1)[0]
                insample_window = sampled_timeseries[max(0, cut_point - self.insample_size):cut_point]
                insample[i, -len(insample_window):] = insample_window
                insample_mask[i, -len(insample_window):] = 1.0
                outsample_window = sampled_timeseries[
                                   cut_point:min(len(sampled_timeseries), cut_point + self.outsample_size)]
                outsample[i, :len(outsample_window)] = outsample_window
                outsample_mask[i, :len(outsample_window)] = 1.0
            yield insample, insample_mask, outsample, outsample_mask


def _series(seed=0):
    rng = np.random.default_rng(seed)
    return [10 + np.sin(np.arange(n) / 2.0) * 3 + rng.standard_normal(n) * 0.3
            for n in (14, 20, 9, 25, 17)]


def nbeats_trainer(t):
    interpretable, generic, to_tensor, loss_fn, divide_no_nan = build(t)
    with Out() as o:
        for name, make, loss_name in (
                ('interpretable', lambda: interpretable(
                    input_size=8, output_size=4, trend_blocks=2, trend_layers=2,
                    trend_layer_size=16, degree_of_polynomial=2, seasonality_blocks=2,
                    seasonality_layers=2, seasonality_layer_size=16, num_of_harmonics=1),
                 'SMAPE'),
                ('generic', lambda: generic(input_size=8, output_size=4, stacks=3, layers=2,
                                            layer_size=16), 'MASE'),
                ('generic_mape', lambda: generic(input_size=8, output_size=4, stacks=2,
                                                 layers=1, layer_size=8), 'MAPE')):
            t.manual_seed(0)
            model = make()
            o.print(name, len(model.blocks), len(list(model.parameters())),
                    sum(p.numel() for p in model.parameters() if p.requires_grad))
            training_set = iter(TimeseriesSampler(_series(), insample_size=8, outsample_size=4,
                                                  window_sampling_limit=12, batch_size=6))
            learning_rate, iterations = 0.01, 6
            optimizer = t.optim.Adam(model.parameters(), lr=learning_rate)
            training_loss_fn = loss_fn(loss_name)
            lr_decay_step = iterations // 3
            for i in range(1, iterations + 1):
                model.train()
                x, x_mask, y, y_mask = map(to_tensor, next(training_set))
                optimizer.zero_grad()
                forecast = model(x, x_mask)
                training_loss = training_loss_fn(x, 1, forecast, y, y_mask)
                if np.isnan(float(training_loss)):
                    break
                training_loss.backward()
                norm = t.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                for param_group in optimizer.param_groups:
                    param_group["lr"] = learning_rate * 0.5 ** (i // lr_decay_step)
                o.print(f'{i} loss {float(training_loss):.4f} norm {norm.item():.4f} '
                        f'lr {optimizer.param_groups[0]["lr"]:.5f}')
            o.vals += [forecast.detach(), *[p.detach().clone() for p in model.parameters()]]
        a = t.tensor([1., 0., -2., 0.])
        b = t.tensor([0., 0., 4., 2.])
        o.print(divide_no_nan(a, b), divide_no_nan(-a, b))
        o.tryit(lambda: loss_fn('RMSE')(None, 1, None, None, None))
    return o.done()
