"""udlbook/udlbook notebooks, continued: Chap08 8_3_Double_Descent (models built by a
function from NumPy int64 hidden sizes, 15% label noise with random.random(), 0-d tensors
formatted with :3.2f and stored into an int64 NumPy array) and Chap20
20_2_Full_Batch_Gradient_Descent (one to four hidden layers trained on the full batch with
plain SGD, errors stored per epoch, "%3.3f" lines). MNIST-1D made with NumPy; sizes shrunk."""

import random

import numpy as np
from s16_yunjey_progs import Out
from s21_udl_progs import mnist1d_data


def double_descent(torch):
    """Notebook 8.3."""
    nn = torch.nn
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    random.seed(0)
    torch.manual_seed(0)
    data = mnist1d_data(200, 100, seed=6)
    with Out() as o:
        DEVICE = str(torch.device('cuda' if torch.cuda.is_available() else 'cpu'))
        o.print('Using:', DEVICE)
        for c_y in range(len(data['y'])):
            random_number = random.random()
            if random_number < 0.15:
                random_int = int(random.random() * 10)
                data['y'][c_y] = random_int
        o.print("Examples in training set: {}".format(len(data['y'])))

        def weights_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_uniform_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)

        def get_model(n_hidden):
            D_i = 40
            D_k = n_hidden
            D_o = 10
            model = nn.Sequential(
                nn.Linear(D_i, D_k),
                nn.ReLU(),
                nn.Linear(D_k, D_k),
                nn.ReLU(),
                nn.Linear(D_k, D_o))
            model.apply(weights_init)
            return model;

        def fit_model(model, data):
            loss_function = torch.nn.CrossEntropyLoss()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            x_train = torch.tensor(data['x'].astype('float32'))
            y_train = torch.tensor(data['y'].transpose().astype('long'))
            x_test = torch.tensor(data['x_test'].astype('float32'))
            y_test = torch.tensor(data['y_test'].astype('long'))
            data_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=100,
                                     shuffle=True, worker_init_fn=np.random.seed(1))
            n_epoch = 6
            for epoch in range(n_epoch):
                for i, batch in enumerate(data_loader):
                    x_batch, y_batch = batch
                    optimizer.zero_grad()
                    pred = model(x_batch)
                    loss = loss_function(pred, y_batch)
                    loss.backward()
                    optimizer.step()
                pred_train = model(x_train)
                pred_test = model(x_test)
                _, predicted_train_class = torch.max(pred_train.data, 1)
                _, predicted_test_class = torch.max(pred_test.data, 1)
                errors_train = 100 - 100 * (predicted_train_class == y_train).float().sum() / len(y_train)
                errors_test = 100 - 100 * (predicted_test_class == y_test).float().sum() / len(y_test)
                losses_train = loss_function(pred_train, y_train).item()
                losses_test = loss_function(pred_test, y_test).item()
                if epoch % 3 == 0:
                    o.print(f'Epoch {epoch:5d}, train loss {losses_train:.4f}, train error {errors_train:3.2f},  test loss {losses_test:.4f}, test error {errors_test:3.2f}')
            return errors_train, errors_test

        hidden_variables = np.array([2, 8, 30, 100]);
        errors_train_all = np.zeros_like(hidden_variables)
        errors_test_all = np.zeros_like(hidden_variables)
        for c_hidden in range(len(hidden_variables)):
            o.print(f'Training model with {hidden_variables[c_hidden]:3d} hidden variables')
            model = get_model(hidden_variables[c_hidden]);
            errors_train, errors_test = fit_model(model, data)
            errors_train_all[c_hidden] = errors_train
            errors_test_all[c_hidden] = errors_test
        o.print(model[0], errors_train.dtype, errors_train.shape)
        o.print(errors_train_all, errors_test_all, errors_train_all.dtype)
        o.vals += [errors_train_all, errors_test_all, *model.parameters()]
    return o.done()


def full_batch_gd(torch):
    """Notebook 20.2 (the TODO models filled in: 3x100, 3x75, 4x63 hidden units)."""
    nn = torch.nn
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    # seed 7 put one 4-layer pre-activation 3e-8 from zero at epoch 14: the last bits of
    # OpenBLAS against MKL flipped that ReLU in one library only (checked: not an ember bug)
    torch.manual_seed(8)
    data = mnist1d_data(300, 10, seed=7)
    with Out() as o:
        o.print("Examples in training set: {}".format(len(data['y'])))
        o.print("Length of each example: {}".format(data['x'].shape[-1]))
        D_i = 40
        D_o = 10
        model_1_layer = nn.Sequential(nn.Linear(D_i, 298), nn.ReLU(), nn.Linear(298, D_o))
        model_2_layer = nn.Sequential(nn.Linear(D_i, 100), nn.ReLU(), nn.Linear(100, 100),
                                      nn.ReLU(), nn.Linear(100, D_o))
        model_3_layer = nn.Sequential(nn.Linear(D_i, 75), nn.ReLU(), nn.Linear(75, 75), nn.ReLU(),
                                      nn.Linear(75, 75), nn.ReLU(), nn.Linear(75, D_o))
        model_4_layer = nn.Sequential(nn.Linear(D_i, 63), nn.ReLU(), nn.Linear(63, 63), nn.ReLU(),
                                      nn.Linear(63, 63), nn.ReLU(), nn.Linear(63, 63), nn.ReLU(),
                                      nn.Linear(63, D_o))

        def weights_init(layer_in):
            if isinstance(layer_in, nn.Linear):
                nn.init.kaiming_uniform_(layer_in.weight)
                layer_in.bias.data.fill_(0.0)

        def train_model(model, train_data_x, train_data_y, n_epoch):
            o.print("This is going to take a long time!")
            loss_function = nn.CrossEntropyLoss()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.0025, momentum=0.0)
            x_train = torch.tensor(train_data_x.transpose().astype('float32'))
            y_train = torch.tensor(train_data_y.astype('long'))
            data_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=4000,
                                     shuffle=False, worker_init_fn=np.random.seed(1))
            model.apply(weights_init)
            errors_train = np.zeros((n_epoch))
            for epoch in range(n_epoch):
                for i, data in enumerate(data_loader):
                    x_batch, y_batch = data
                    optimizer.zero_grad()
                    pred = model(x_batch)
                    loss = loss_function(pred, y_batch)
                    _, predicted_train_class = torch.max(pred.data, 1)
                    errors_train[epoch] = 100 - 100 * (predicted_train_class == y_train).float().sum() / len(y_train)
                    loss.backward()
                    optimizer.step()
                    if epoch % 10 == 0:
                        o.print("Epoch %d, errors_train %3.3f" % (epoch, errors_train[epoch]))
            o.print("loss %.4f" % loss, len(data_loader), x_batch.shape)
            return errors_train
        train_data_x = data['x'].transpose()
        train_data_y = data['y']
        o.print("Train data: %d examples (columns), each of which has %d dimensions (rows)" % ((train_data_x.shape[1], train_data_x.shape[0])))
        errors_four_layers = train_model(model_4_layer, train_data_x, train_data_y, n_epoch=21)
        errors_three_layers = train_model(model_3_layer, train_data_x, train_data_y, n_epoch=21)
        errors_two_layers = train_model(model_2_layer, train_data_x, train_data_y, n_epoch=21)
        errors_one_layer = train_model(model_1_layer, train_data_x, train_data_y, n_epoch=31)
        o.vals += [errors_four_layers, errors_three_layers, errors_two_layers, errors_one_layer]
        o.vals += [p for m in (model_1_layer, model_4_layer) for p in m.parameters()]
    return o.done()
