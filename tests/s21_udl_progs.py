"""udlbook/udlbook (Simon Prince, "Understanding Deep Learning") notebooks that use PyTorch,
their code cells as students run them (the TODO cells filled in as the book asks): Chap08
8_1_MNIST_1D_Performance, Chap09 9_5_Augmentation, Chap10 10_2_Convolution_for_MNIST_1D,
Chap11 11_2_Residual_Networks and 11_3_Batch_Normalization. The MNIST-1D data (mnist1d's
get_dataset: float64 inputs of length 40, int64 labels) is made with NumPy instead of
downloaded; sizes and epochs shrunk. Each is ``prog(torch) -> (printed lines, values)``;
see tests/test_programs_s21_udl.py."""

import random

import numpy as np
from s16_yunjey_progs import Out


def mnist1d_data(n_train=400, n_test=200, seed=0):
    """A stand-in for mnist1d.data.get_dataset: 10 templates of length 40, shifted, scaled
    and noised; x / x_test float64 (N, 40), y / y_test int64 (N,), as the pickle holds."""
    rng = np.random.RandomState(seed)
    templates = rng.standard_normal((10, 40))

    def make(n):
        y = rng.randint(0, 10, n)
        x = np.stack([np.roll(templates[k], rng.randint(-5, 6)) * rng.uniform(0.8, 1.2)
                      for k in y]) + 0.5 * rng.standard_normal((n, 40))
        return x, y.astype(np.int64)

    x, y = make(n_train)
    x_test, y_test = make(n_test)
    return {'x': x, 'y': y, 'x_test': x_test, 'y_test': y_test,
            'templates': {'x': templates, 'y': np.arange(10)}}


def _mlp_loop(torch, o, model, data_loader, x_train, y_train, x_test, y_test, n_epoch,
              scheduler, optimizer, loss_function, reshape=lambda t: t, with_loss=True):
    """The notebooks' shared epoch loop (8_1, 9_5, 10_2, 11_2)."""
    losses_train = np.zeros((n_epoch))
    errors_train = np.zeros((n_epoch))
    losses_test = np.zeros((n_epoch))
    errors_test = np.zeros((n_epoch))
    for epoch in range(n_epoch):
        for i, batch in enumerate(data_loader):
            x_batch, y_batch = batch
            optimizer.zero_grad()
            pred = model(reshape(x_batch))
            loss = loss_function(pred, y_batch)
            loss.backward()
            optimizer.step()
        pred_train = model(reshape(x_train))
        pred_test = model(reshape(x_test))
        _, predicted_train_class = torch.max(pred_train.data, 1)
        _, predicted_test_class = torch.max(pred_test.data, 1)
        errors_train[epoch] = 100 - 100 * (predicted_train_class == y_train).float().sum() / len(y_train)
        errors_test[epoch] = 100 - 100 * (predicted_test_class == y_test).float().sum() / len(y_test)
        losses_train[epoch] = loss_function(pred_train, y_train).item()
        losses_test[epoch] = loss_function(pred_test, y_test).item()
        if with_loss:
            o.print(f'Epoch {epoch:5d}, train loss {losses_train[epoch]:.4f}, train error {errors_train[epoch]:3.2f},  test loss {losses_test[epoch]:.4f}, test error {errors_test[epoch]:3.2f}')
        else:
            o.print(f'Epoch {epoch:5d}, train error {errors_train[epoch]:3.2f}, test error {errors_test[epoch]:3.2f}')
        if scheduler is not None:
            scheduler.step()
    o.vals += [losses_train, errors_train, losses_test, errors_test]
    return errors_train, errors_test


def mnist1d_performance(torch):
    """Notebook 8.1: two hidden layers of 100, He init, SGD+momentum, StepLR, DataLoader."""
    nn = torch.nn
    from_utils = torch.utils.data
    TensorDataset, DataLoader = from_utils.TensorDataset, from_utils.DataLoader
    StepLR = torch.optim.lr_scheduler.StepLR
    torch.manual_seed(0)
    data = mnist1d_data()
    with Out() as o:
        o.print("Examples in training set: {}".format(len(data['y'])))
        o.print("Examples in test set: {}".format(len(data['y_test'])))
        o.print("Length of each example: {}".format(data['x'].shape[-1]))
        D_i, D_k, D_o = 40, 100, 10
        # the cell as given first: one linear layer, a stub initialiser
        model = torch.nn.Sequential(torch.nn.Linear(D_i, D_o));

        def weights_init_stub(layer_in):
            o.print("Initializing layer")
        o.print(model.apply(weights_init_stub))
        # the cell filled in
        model = torch.nn.Sequential(torch.nn.Linear(D_i, D_k), torch.nn.ReLU(),
                                    torch.nn.Linear(D_k, D_k), torch.nn.ReLU(),
                                    torch.nn.Linear(D_k, D_o))

        def weights_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_normal_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)
        o.print(model.apply(weights_init))
        loss_function = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
        x_train = torch.tensor(data['x'].astype('float32'))
        y_train = torch.tensor(data['y'].transpose().astype('long'))
        x_test = torch.tensor(data['x_test'].astype('float32'))
        y_test = torch.tensor(data['y_test'].astype('long'))
        data_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=100, shuffle=True,
                                 worker_init_fn=np.random.seed(1))
        model.apply(weights_init)
        errors_train, errors_test = _mlp_loop(torch, o, model, data_loader, x_train, y_train,
                                              x_test, y_test, 4, scheduler, optimizer,
                                              loss_function)
        o.print('TrainError %3.2f, Test Error %3.2f' % (errors_train[-1], errors_test[-1]))
        o.print(scheduler.get_last_lr(), optimizer.param_groups[0]['lr'])
        o.print(x_train.dtype, y_train.dtype, x_train.shape, len(data_loader))
        o.vals += [p for p in model.parameters()]
    return o.done()


def augmentation(torch):
    """Notebook 9.5: the same MLP on the data, then on data augmented by random circular
    shifts and scaling (np.roll, np.random.uniform), labels through a float64 array."""
    nn = torch.nn
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    StepLR = torch.optim.lr_scheduler.StepLR
    torch.manual_seed(1)
    random.seed(0)
    np.random.seed(0)
    data = mnist1d_data(300, 100, seed=1)
    with Out() as o:
        D_i, D_k, D_o = 40, 200, 10
        model = nn.Sequential(nn.Linear(D_i, D_k), nn.ReLU(), nn.Linear(D_k, D_k), nn.ReLU(),
                              nn.Linear(D_k, D_o))

        def weights_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_uniform_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)
        o.print(model.apply(weights_init))

        def run(x_np, y_np):
            loss_function = torch.nn.CrossEntropyLoss()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
            scheduler = StepLR(optimizer, step_size=10, gamma=0.5)
            x_train = torch.tensor(x_np.astype('float32'))
            y_train = torch.tensor(y_np.transpose().astype('long'))
            x_test = torch.tensor(data['x_test'].astype('float32'))
            y_test = torch.tensor(data['y_test'].astype('long'))
            data_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=100,
                                     shuffle=True, worker_init_fn=np.random.seed(1))
            model.apply(weights_init)
            return _mlp_loop(torch, o, model, data_loader, x_train, y_train, x_test, y_test,
                             3, scheduler, optimizer, loss_function, with_loss=False)
        run(data['x'], data['y'])

        def augment(data_in):
            data_out = np.zeros_like(data_in)
            offset = np.random.randint(0, data_in.shape[0])
            data_out = np.roll(data_in, offset)
            data_out = np.array(data_out) * np.random.uniform(0.8, 1.2)
            return data_out
        n_data_orig = data['x'].shape[0]
        n_data_augment = n_data_orig + 200
        augmented_x = np.zeros((n_data_augment, D_i))
        augmented_y = np.zeros(n_data_augment)
        augmented_x[0:n_data_orig, :] = data['x']
        augmented_y[0:n_data_orig] = data['y']
        for c_augment in range(n_data_orig, n_data_augment):
            random_data_index = random.randint(0, n_data_orig - 1)
            augmented_x[c_augment, :] = augment(data['x'][random_data_index, :])
            augmented_y[c_augment] = data['y'][random_data_index]
        tr, te = run(augmented_x, augmented_y)
        o.print('TrainError %3.2f, Test Error %3.2f' % (tr[-1], te[-1]))
    return o.done()


def conv1d_mnist1d(torch):
    """Notebook 10.2: three Conv1d(k=3, stride 2, padding="valid") + ReLU, Flatten, Linear."""
    nn = torch.nn
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    StepLR = torch.optim.lr_scheduler.StepLR
    torch.manual_seed(2)
    data = mnist1d_data(300, 100, seed=2)
    with Out() as o:
        train_data_x = data['x'].transpose()
        train_data_y = data['y']
        val_data_x = data['x_test'].transpose()
        val_data_y = data['y_test']
        o.print("Train data: %d examples (columns), each of which has %d dimensions (rows)" % ((train_data_x.shape[1], train_data_x.shape[0])))
        o.print("Validation data: %d examples (columns), each of which has %d dimensions (rows)" % ((val_data_x.shape[1], val_data_x.shape[0])))
        model = nn.Sequential(
            nn.Conv1d(1, 15, kernel_size=3, stride=2, padding="valid"),
            nn.ReLU(),
            nn.Conv1d(15, 15, kernel_size=3, stride=2, padding="valid"),
            nn.ReLU(),
            nn.Conv1d(15, 15, kernel_size=3, stride=2, padding="valid"),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(60, 10))
        o.print(model)

        def weights_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_uniform_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)
        loss_function = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        scheduler = StepLR(optimizer, step_size=20, gamma=0.5)
        x_train = torch.tensor(train_data_x.transpose().astype('float32'))
        y_train = torch.tensor(train_data_y.astype('long'))
        x_val = torch.tensor(val_data_x.transpose().astype('float32'))
        y_val = torch.tensor(val_data_y.astype('long'))
        o.print(x_train[:, None, :].shape, x_train[:, None, :].is_contiguous())
        data_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=100, shuffle=True,
                                 worker_init_fn=np.random.seed(1))
        model.apply(weights_init)
        _mlp_loop(torch, o, model, data_loader, x_train, y_train, x_val, y_val, 3, scheduler,
                  optimizer, loss_function, reshape=lambda t: t[:, None, :])
        o.print([tuple(m(torch.zeros(2, 1, 40)).shape) for m in (model[:2], model[:4], model[:6])])
    return o.done()


def residual_networks(torch):
    """Notebook 11.2: the MNIST-1D MLP as a Module with residual connections."""
    nn = torch.nn
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    StepLR = torch.optim.lr_scheduler.StepLR
    torch.manual_seed(3)
    data = mnist1d_data(300, 100, seed=3)
    with Out() as o:
        class ResidualNetwork(torch.nn.Module):
            def __init__(self, input_size, output_size, hidden_size=100):
                super(ResidualNetwork, self).__init__()
                self.linear1 = nn.Linear(input_size, hidden_size)
                self.linear2 = nn.Linear(hidden_size, hidden_size)
                self.linear3 = nn.Linear(hidden_size, hidden_size)
                self.linear4 = nn.Linear(hidden_size, output_size)
                o.print("Initialized MLPBase model with {} parameters".format(self.count_params()))

            def count_params(self):
                return sum([p.view(-1).shape[0] for p in self.parameters()])

            def forward(self, x):
                h1 = self.linear1(x)
                h2 = h1 + self.linear2(h1.relu())
                h3 = h2 + self.linear3(h2.relu())
                return self.linear4(h3)

        def weights_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_uniform_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)
        model = ResidualNetwork(40, 10)
        loss_function = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
        x_train = torch.tensor(data['x'].astype('float32'))
        y_train = torch.tensor(data['y'].astype('long'))
        x_val = torch.tensor(data['x_test'].astype('float32'))
        y_val = torch.tensor(data['y_test'].astype('long'))
        data_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=100, shuffle=True,
                                 worker_init_fn=np.random.seed(1))
        model.apply(weights_init)
        _mlp_loop(torch, o, model, data_loader, x_train, y_train, x_val, y_val, 3, scheduler,
                  optimizer, loss_function)
        o.print(model, model.count_params())
        o.print(optimizer.state_dict()['param_groups'])
    return o.done()


def batch_normalization(torch):
    """Notebook 11.3: variances through five residual branches, one SGD step, without and
    with nn.BatchNorm1d before each residual branch."""
    nn = torch.nn
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    torch.manual_seed(4)
    data = mnist1d_data(400, 10, seed=4)
    with Out() as o:
        def print_variance(name, data):
            np_data = data.detach().numpy()
            neuron_variance = np.mean(np.var(np_data, axis=0))
            o.print("%s variance=%.4f" % (name, neuron_variance))

        def weights_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_uniform_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)

        def run_one_step_of_model(model, x_train, y_train):
            loss_function = nn.CrossEntropyLoss()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
            data_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=200,
                                     shuffle=True, worker_init_fn=np.random.seed(1))
            model.apply(weights_init)
            for i, data in enumerate(data_loader):
                x_batch, y_batch = data
                optimizer.zero_grad()
                pred = model(x_batch)
                loss = loss_function(pred, y_batch)
                loss.backward()
                optimizer.step()
                o.print("loss %.4f" % loss.item())
                break
        x_train = torch.tensor(data['x'].transpose().transpose().astype('float32'))
        y_train = torch.tensor(data['y'].astype('long'))

        class ResidualNetwork(torch.nn.Module):
            def __init__(self, input_size, output_size, hidden_size=100, bn=False):
                super(ResidualNetwork, self).__init__()
                self.linear1 = nn.Linear(input_size, hidden_size)
                self.linear2 = nn.Linear(hidden_size, hidden_size)
                self.linear3 = nn.Linear(hidden_size, hidden_size)
                self.linear4 = nn.Linear(hidden_size, hidden_size)
                self.linear5 = nn.Linear(hidden_size, hidden_size)
                self.linear6 = nn.Linear(hidden_size, output_size)
                if bn:
                    self.bn1 = nn.BatchNorm1d(hidden_size)
                    self.bn2 = nn.BatchNorm1d(hidden_size)
                    self.bn3 = nn.BatchNorm1d(hidden_size)
                    self.bn4 = nn.BatchNorm1d(hidden_size)
                    self.bn5 = nn.BatchNorm1d(hidden_size)
                else:
                    self.bn1 = self.bn2 = self.bn3 = self.bn4 = self.bn5 = lambda t: t

            def count_params(self):
                return sum([p.view(-1).shape[0] for p in self.parameters()])

            def forward(self, x):
                print_variance("Input", x)
                f = self.linear1(x)
                print_variance("First preactivation", f)
                res1 = f + self.linear2(self.bn1(f).relu())
                print_variance("After first residual connection", res1)
                res2 = res1 + self.linear3(self.bn2(res1).relu())
                print_variance("After second residual connection", res2)
                res3 = res2 + self.linear4(self.bn3(res2).relu())
                print_variance("After third residual connection", res3)
                res4 = res3 + self.linear4(self.bn4(res3).relu())
                print_variance("After fourth residual connection", res4)
                res5 = res4 + self.linear4(self.bn5(res4).relu())
                print_variance("After fifth residual connection", res5)
                return self.linear6(res5)
        for bn in (False, True):
            model = ResidualNetwork(40, 10, 100, bn=bn)
            run_one_step_of_model(model, x_train, y_train)
            o.print(model.count_params())
            o.vals += [p for p in model.parameters()]
        o.print(model.bn1.running_mean[:4], model.bn1.running_var[:4],
                model.bn1.num_batches_tracked)
        o.print(model.bn1)
        o.vals += [b for b in model.buffers()]
    return o.done()
