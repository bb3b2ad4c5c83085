"""philipperemy/n-beats (nbeats_pytorch/model.py: NBeatsNet with trend, seasonality and
generic blocks, its ParameterList of block parameters registered as ``parameters``,
compile/fit/predict) as users type them, scaled down on NumPy-seeded sine windows, as
``prog(L) -> (printed, values)`` for tests/test_programs_s20_seqdata.py. The blocks' __str__
leaves out the original's ``at @{id(self)}`` (an address, different in every run)."""

import random

import numpy as np
from s16_yunjey_progs import Out


def _nbeats_classes(L, o):
    torch, nn, F = L, L.nn, L.nn.functional

    def squeeze_last_dim(tensor):
        if len(tensor.shape) == 3 and tensor.shape[-1] == 1:
            return tensor[..., 0]
        return tensor

    def seasonality_model(thetas, t, device):
        p = thetas.size()[-1]
        assert p <= thetas.shape[1], 'thetas_dim is too big.'
        p1, p2 = (p // 2, p // 2) if p % 2 == 0 else (p // 2, p // 2 + 1)
        s1 = torch.tensor([np.cos(2 * np.pi * i * t) for i in range(p1)]).float()
        s2 = torch.tensor([np.sin(2 * np.pi * i * t) for i in range(p2)]).float()
        S = torch.cat([s1, s2])
        return thetas.mm(S.to(device))

    def trend_model(thetas, t, device):
        p = thetas.size()[-1]
        assert p <= 4, 'thetas_dim is too big.'
        T = torch.tensor([t ** i for i in range(p)]).float()
        return thetas.mm(T.to(device))

    def linear_space(backcast_length, forecast_length):
        ls = np.arange(-backcast_length, forecast_length, 1) / forecast_length
        b_ls = ls[:backcast_length]
        f_ls = ls[backcast_length:]
        return b_ls, f_ls

    class Block(nn.Module):
        def __init__(self, units, thetas_dim, device, backcast_length=10, forecast_length=5,
                     share_thetas=False, nb_harmonics=None):
            super(Block, self).__init__()
            self.units = units
            self.thetas_dim = thetas_dim
            self.backcast_length = backcast_length
            self.forecast_length = forecast_length
            self.share_thetas = share_thetas
            self.fc1 = nn.Linear(backcast_length, units)
            self.fc2 = nn.Linear(units, units)
            self.fc3 = nn.Linear(units, units)
            self.fc4 = nn.Linear(units, units)
            self.device = device
            self.backcast_linspace, self.forecast_linspace = linear_space(
                backcast_length, forecast_length)
            if share_thetas:
                self.theta_f_fc = self.theta_b_fc = nn.Linear(units, thetas_dim, bias=False)
            else:
                self.theta_b_fc = nn.Linear(units, thetas_dim, bias=False)
                self.theta_f_fc = nn.Linear(units, thetas_dim, bias=False)

        def forward(self, x):
            x = squeeze_last_dim(x)
            x = F.relu(self.fc1(x.to(self.device)))
            x = F.relu(self.fc2(x))
            x = F.relu(self.fc3(x))
            x = F.relu(self.fc4(x))
            return x

        def __str__(self):
            block_type = type(self).__name__
            return f'{block_type}(units={self.units}, thetas_dim={self.thetas_dim}, ' \
                   f'backcast_length={self.backcast_length}, ' \
                   f'forecast_length={self.forecast_length}, ' \
                   f'share_thetas={self.share_thetas})'

    class SeasonalityBlock(Block):
        def __init__(self, units, thetas_dim, device, backcast_length=10, forecast_length=5,
                     nb_harmonics=None):
            if nb_harmonics:
                super(SeasonalityBlock, self).__init__(units, nb_harmonics, device,
                                                       backcast_length, forecast_length,
                                                       share_thetas=True)
            else:
                super(SeasonalityBlock, self).__init__(units, forecast_length, device,
                                                       backcast_length, forecast_length,
                                                       share_thetas=True)

        def forward(self, x):
            x = super(SeasonalityBlock, self).forward(x)
            backcast = seasonality_model(self.theta_b_fc(x), self.backcast_linspace,
                                         self.device)
            forecast = seasonality_model(self.theta_f_fc(x), self.forecast_linspace,
                                         self.device)
            return backcast, forecast

    class TrendBlock(Block):
        def __init__(self, units, thetas_dim, device, backcast_length=10, forecast_length=5,
                     nb_harmonics=None):
            super(TrendBlock, self).__init__(units, thetas_dim, device, backcast_length,
                                             forecast_length, share_thetas=True)

        def forward(self, x):
            x = super(TrendBlock, self).forward(x)
            backcast = trend_model(self.theta_b_fc(x), self.backcast_linspace, self.device)
            forecast = trend_model(self.theta_f_fc(x), self.forecast_linspace, self.device)
            return backcast, forecast

    class GenericBlock(Block):
        def __init__(self, units, thetas_dim, device, backcast_length=10, forecast_length=5,
                     nb_harmonics=None):
            super(GenericBlock, self).__init__(units, thetas_dim, device, backcast_length,
                                               forecast_length)
            self.backcast_fc = nn.Linear(thetas_dim, backcast_length)
            self.forecast_fc = nn.Linear(thetas_dim, forecast_length)

        def forward(self, x):
            x = super(GenericBlock, self).forward(x)
            theta_b = self.theta_b_fc(x)
            theta_f = self.theta_f_fc(x)
            backcast = self.backcast_fc(theta_b)
            forecast = self.forecast_fc(theta_f)
            return backcast, forecast

    class NBeatsNet(nn.Module):
        SEASONALITY_BLOCK = 'seasonality'
        TREND_BLOCK = 'trend'
        GENERIC_BLOCK = 'generic'

        def __init__(self, device=torch.device('cpu'),
                     stack_types=(TREND_BLOCK, SEASONALITY_BLOCK), nb_blocks_per_stack=3,
                     forecast_length=5, backcast_length=10, thetas_dim=(4, 8),
                     share_weights_in_stack=False, hidden_layer_units=256,
                     nb_harmonics=None):
            super(NBeatsNet, self).__init__()
            self.forecast_length = forecast_length
            self.backcast_length = backcast_length
            self.hidden_layer_units = hidden_layer_units
            self.nb_blocks_per_stack = nb_blocks_per_stack
            self.share_weights_in_stack = share_weights_in_stack
            self.nb_harmonics = nb_harmonics
            self.stack_types = stack_types
            self.stacks = []
            self.thetas_dim = thetas_dim
            self.parameters = []
            self.device = device
            o.print('| N-Beats')
            for stack_id in range(len(self.stack_types)):
                self.stacks.append(self.create_stack(stack_id))
            self.parameters = nn.ParameterList(self.parameters)
            self.to(self.device)
            self._loss = None
            self._opt = None

        def create_stack(self, stack_id):
            stack_type = self.stack_types[stack_id]
            o.print(f'| --  Stack {stack_type.title()} (#{stack_id}) '
                    f'(share_weights_in_stack={self.share_weights_in_stack})')
            blocks = []
            for block_id in range(self.nb_blocks_per_stack):
                block_init = NBeatsNet.select_block(stack_type)
                if self.share_weights_in_stack and block_id != 0:
                    block = blocks[-1]
                else:
                    block = block_init(self.hidden_layer_units, self.thetas_dim[stack_id],
                                       self.device, self.backcast_length,
                                       self.forecast_length, self.nb_harmonics)
                    self.parameters.extend(block.parameters())
                o.print(f'     | -- {block}')
                blocks.append(block)
            return blocks

        @staticmethod
        def select_block(block_type):
            if block_type == NBeatsNet.SEASONALITY_BLOCK:
                return SeasonalityBlock
            elif block_type == NBeatsNet.TREND_BLOCK:
                return TrendBlock
            else:
                return GenericBlock

        def compile(self, loss, optimizer):
            loss_ = {'mae': F.l1_loss, 'mse': F.mse_loss}[loss]
            if isinstance(optimizer, str):
                opt_ = {'adam': torch.optim.Adam, 'sgd': torch.optim.SGD,
                        'rmsprop': torch.optim.RMSprop}[optimizer]
                opt_ = opt_(lr=1e-3, params=self.parameters())
            else:
                opt_ = optimizer
            self._opt = opt_
            self._loss = loss_

        def fit(self, x_train, y_train, validation_data=None, epochs=10, batch_size=32):
            def split(arr, size):
                arrays = []
                while len(arr) > size:
                    slice_ = arr[:size]
                    arrays.append(slice_)
                    arr = arr[size:]
                arrays.append(arr)
                return arrays

            for epoch in range(epochs):
                x_train_list = split(x_train, batch_size)
                y_train_list = split(y_train, batch_size)
                assert len(x_train_list) == len(y_train_list)
                shuffled_indices = list(range(len(x_train_list)))
                random.shuffle(shuffled_indices)
                self.train()
                train_loss = []
                for batch_id in shuffled_indices:
                    batch_x, batch_y = x_train_list[batch_id], y_train_list[batch_id]
                    self._opt.zero_grad()
                    _, forecast = self(torch.tensor(batch_x, dtype=torch.float).to(
                        self.device))
                    loss = self._loss(forecast, squeeze_last_dim(
                        torch.tensor(batch_y, dtype=torch.float).to(self.device)))
                    train_loss.append(loss.item())
                    loss.backward()
                    self._opt.step()
                train_loss = np.mean(train_loss)
                test_loss = '[undefined]'
                if validation_data is not None:
                    x_test, y_test = validation_data
                    self.eval()
                    _, forecast = self(torch.tensor(x_test, dtype=torch.float).to(
                        self.device))
                    test_loss = self._loss(forecast, squeeze_last_dim(
                        torch.tensor(y_test, dtype=torch.float))).item()
                num_samples = len(x_train_list)
                o.print(f'Epoch {str(epoch + 1).zfill(len(str(epochs)))}/{epochs}')
                o.print(f'{num_samples}/{num_samples} [==============================] - '
                        f'loss: {train_loss:.4f} - val_loss: {test_loss:.4f}')

        def predict(self, x, return_backcast=False):
            self.eval()
            b, f = self(torch.tensor(x, dtype=torch.float).to(self.device))
            b, f = b.detach().numpy(), f.detach().numpy()
            if len(x.shape) == 3:
                b = np.expand_dims(b, axis=-1)
                f = np.expand_dims(f, axis=-1)
            if return_backcast:
                return b
            return f

        def forward(self, backcast):
            backcast = squeeze_last_dim(backcast)
            forecast = torch.zeros(size=(backcast.size()[0], self.forecast_length,))
            for stack_id in range(len(self.stacks)):
                for block_id in range(len(self.stacks[stack_id])):
                    b, f = self.stacks[stack_id][block_id](backcast)
                    backcast = backcast.to(self.device) - b
                    forecast = forecast.to(self.device) + f
            return backcast, forecast

    return NBeatsNet


def _sine_windows(n, backcast_length, forecast_length, seed):
    rng = np.random.RandomState(seed)
    x, y = [], []
    for _ in range(n):
        phase, amp = rng.uniform(0, 2 * np.pi), rng.uniform(0.5, 1.5)
        t = np.arange(backcast_length + forecast_length)
        s = amp * np.sin(2 * np.pi * t / 7 + phase) + 0.05 * t + 0.1 * rng.randn(len(t))
        x.append(s[:backcast_length])
        y.append(s[backcast_length:])
    return np.array(x)[..., None], np.array(y)[..., None]


def nbeats_trend_seasonality(L):
    """The README example: NBeatsNet(stack_types=(TREND, SEASONALITY)), compile('mae',
    'adam'), fit with validation_data, predict; float64 NumPy windows of shape (N, T, 1)."""
    with Out() as o:
        L.manual_seed(0); np.random.seed(0); random.seed(0)
        NBeatsNet = _nbeats_classes(L, o)
        x, y = _sine_windows(20, 10, 5, 0)
        net = NBeatsNet(stack_types=(NBeatsNet.TREND_BLOCK, NBeatsNet.SEASONALITY_BLOCK),
                        forecast_length=5, backcast_length=10, hidden_layer_units=16,
                        nb_blocks_per_stack=2, thetas_dim=(4, 4))
        net.compile(loss='mae', optimizer='adam')
        net.fit(x[:16], y[:16], validation_data=(x[16:], y[16:]), epochs=3, batch_size=6)
        f = net.predict(x[16:])
        b = net.predict(x[16:], return_backcast=True)
        o.print(f.shape, f.dtype, b.shape)
        o.print(type(net.parameters).__name__, len(list(net.parameters())))
        o.print([type(m).__name__ for m in net.children()])
        o.vals += [f, b, list(net.parameters())[0]]
    return o.done()


def nbeats_generic_shared(L):
    """Generic stacks sharing weights in a stack, mse and a user-made SGD optimiser, the
    model repr (a ParameterList registered as 'parameters') and its state_dict keys."""
    with Out() as o:
        L.manual_seed(3); np.random.seed(3); random.seed(3)
        NBeatsNet = _nbeats_classes(L, o)
        x, y = _sine_windows(12, 6, 3, 1)
        net = NBeatsNet(stack_types=(NBeatsNet.GENERIC_BLOCK, NBeatsNet.GENERIC_BLOCK),
                        forecast_length=3, backcast_length=6, hidden_layer_units=8,
                        nb_blocks_per_stack=2, thetas_dim=(3, 3),
                        share_weights_in_stack=True)
        net.compile(loss='mse', optimizer=L.optim.SGD(net.parameters(), lr=0.05))
        net.fit(x[:10, :, 0], y[:10, :, 0], validation_data=(x[10:, :, 0], y[10:, :, 0]),
                epochs=2, batch_size=5)
        o.print(net)
        o.print(list(net.state_dict().keys())[:3])
        o.vals += [L.tensor(net.predict(x[:4, :, 0])), list(net.parameters())[1]]
    return o.done()
