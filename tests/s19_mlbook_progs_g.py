"""rasbt/machine-learning-book ch13/ch13_part2.py (the Auto MPG regressor's feature columns
and the MNIST MLP) as users type them, on seeded random data, for
tests/test_programs_s19_mlbook.py."""

from importlib import import_module

import numpy as np
from s16_yunjey_progs import Out


def ch13_mpg_mnist(L):
    """ch13_part2: the Auto MPG feature columns (torch.bucketize of float64 model years with
    int64 boundaries, one_hot of origin % 3, cat of float64 and int64 columns), the DNN
    regressor, then the MNIST MLP (Flatten on uint8 / 255.) on random data; NumPy arrays in
    place of the pandas columns (pandas is not installed here)."""
    nn = L.nn
    one_hot = L.nn.functional.one_hot
    data = import_module(L.__name__ + ".utils.data")
    rng = np.random.default_rng(132)
    n = 24
    cols = np.stack([rng.integers(4, 9, n).astype(float), rng.normal(190, 100, n),
                     rng.normal(100, 40, n), rng.normal(2900, 800, n),
                     rng.normal(15.5, 2.7, n)], 1)
    year = rng.integers(70, 83, n).astype(float)
    origin = rng.integers(1, 4, n)
    mpg = rng.normal(23, 7, n)
    with Out() as o:
        mean, std = cols[:16].mean(0), cols[:16].std(0, ddof=1)
        norm = (cols - mean) / std
        boundaries = L.tensor([73, 76, 79])
        v = L.tensor(year[:16])
        train_bucket = L.bucketize(v, boundaries, right=True)
        v = L.tensor(year[16:])
        test_bucket = L.bucketize(v, boundaries, right=True)
        o.print(train_bucket, test_bucket.dtype)
        o.print(L.bucketize(v, boundaries), L.bucketize(v.float(), boundaries, out_int32=True))
        train_num = np.concatenate([norm[:16], np.asarray(train_bucket)[:, None]], 1)
        test_num = np.concatenate([norm[16:], np.asarray(test_bucket)[:, None]], 1)
        total_origin = len(set(origin[:16]))
        origin_encoded = one_hot(L.from_numpy(origin[:16]) % total_origin)
        x_train_numeric = L.tensor(train_num)
        o.print(origin_encoded.dtype, x_train_numeric.dtype,
                L.cat([x_train_numeric, origin_encoded], 1).dtype)
        x_train = L.cat([x_train_numeric, origin_encoded], 1).float()
        origin_encoded = one_hot(L.from_numpy(origin[16:]) % total_origin)
        x_test = L.cat([L.tensor(test_num), origin_encoded], 1).float()
        y_train = L.tensor(mpg[:16]).float()
        y_test = L.tensor(mpg[16:]).float()
        train_ds = data.TensorDataset(x_train, y_train)
        batch_size = 8
        L.manual_seed(1)
        train_dl = data.DataLoader(train_ds, batch_size, shuffle=True)
        hidden_units = [8, 4]
        input_size = x_train.shape[1]
        all_layers = []
        for hidden_unit in hidden_units:
            layer = nn.Linear(input_size, hidden_unit)
            all_layers.append(layer)
            all_layers.append(nn.ReLU())
            input_size = hidden_unit
        all_layers.append(nn.Linear(hidden_units[-1], 1))
        model = nn.Sequential(*all_layers)
        o.print(model)
        loss_fn = nn.MSELoss()
        optimizer = L.optim.SGD(model.parameters(), lr=0.001)
        L.manual_seed(1)
        for epoch in range(20):
            loss_hist_train = 0
            for x_batch, y_batch in train_dl:
                pred = model(x_batch)[:, 0]
                loss = loss_fn(pred, y_batch)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                loss_hist_train += loss.item()
            if epoch % 5 == 0:
                o.print(f'Epoch {epoch}  Loss {loss_hist_train/len(train_dl):.4f}')
        with L.no_grad():
            pred = model(x_test.float())[:, 0]
            loss = loss_fn(pred, y_test)
            o.print(f'Test MSE: {loss.item():.4f}')
            o.print(f'Test MAE: {nn.L1Loss()(pred, y_test).item():.4f}')
        o.vals += [x_train, pred]

        images = L.from_numpy(rng.integers(0, 256, (16, 28, 28), dtype=np.uint8))
        targets = L.from_numpy(rng.integers(0, 10, 16))
        train_ds = data.TensorDataset(images.unsqueeze(1).float() / 255, targets)
        L.manual_seed(1)
        train_dl = data.DataLoader(train_ds, 8, shuffle=True)
        hidden_units = [32, 16]
        image_size = train_ds[0][0].shape
        input_size = image_size[0] * image_size[1] * image_size[2]
        all_layers = [nn.Flatten()]
        for hidden_unit in hidden_units:
            all_layers.append(nn.Linear(input_size, hidden_unit))
            all_layers.append(nn.ReLU())
            input_size = hidden_unit
        all_layers.append(nn.Linear(hidden_units[-1], 10))
        model = nn.Sequential(*all_layers)
        o.print(model)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        L.manual_seed(1)
        for epoch in range(2):
            accuracy_hist_train = 0
            for x_batch, y_batch in train_dl:
                pred = model(x_batch)
                loss = loss_fn(pred, y_batch)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                is_correct = (L.argmax(pred, dim=1) == y_batch).float()
                accuracy_hist_train += is_correct.sum()
            accuracy_hist_train /= len(train_dl.dataset)
            o.print(f'Epoch {epoch}  Accuracy {accuracy_hist_train:.4f}')
        test = images / 255.
        o.print(test.dtype, test.shape)
        pred = model(test)
        is_correct = (L.argmax(pred, dim=1) == targets).float()
        o.print(f'Test accuracy: {is_correct.mean():.4f}')
        o.vals += [pred]
    return o.done()
