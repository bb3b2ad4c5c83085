"""dreamquark-ai/tabnet as users type it, the data side: utils.py's TorchDataset /
PredictDataset over NumPy arrays, create_sampler (class-balanced WeightedRandomSampler from
torch float64 weights, per-class dict weights and a custom NumPy list), create_dataloaders
(shuffle, drop_last, pin_memory, eval loaders) and abstract_model.py's _train_epoch /
_predict_epoch / predict (batches collated from NumPy rows, np.vstack of the outputs).
See tests/test_programs_s21_tabmdn.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_tabmdn_progs_c import tabnet_model, _table


def tabnet_data(torch):
    Dataset = torch.utils.data.Dataset
    DataLoader, WeightedRandomSampler = torch.utils.data.DataLoader, \
        torch.utils.data.WeightedRandomSampler

    class TorchDataset(Dataset):
        def __init__(self, x, y):
            self.x = x
            self.y = y

        def __len__(self):
            return len(self.x)

        def __getitem__(self, index):
            x, y = self.x[index], self.y[index]
            return x, y

    class PredictDataset(Dataset):
        def __init__(self, x):
            self.x = x

        def __len__(self):
            return len(self.x)

        def __getitem__(self, index):
            x = self.x[index]
            return x

    def create_sampler(weights, y_train):
        if isinstance(weights, int):
            if weights == 0:
                need_shuffle = True
                sampler = None
            elif weights == 1:
                need_shuffle = False
                class_sample_count = np.array(
                    [len(np.where(y_train == t)[0]) for t in np.unique(y_train)])
                weights = 1.0 / class_sample_count
                samples_weight = np.array([weights[t] for t in y_train])
                samples_weight = torch.from_numpy(samples_weight)
                samples_weight = samples_weight.double()
                sampler = WeightedRandomSampler(samples_weight, len(samples_weight))
            else:
                raise ValueError("Weights should be either 0, 1, dictionnary or list.")
        elif isinstance(weights, dict):
            need_shuffle = False
            samples_weight = np.array([weights[t] for t in y_train])
            sampler = WeightedRandomSampler(samples_weight, len(samples_weight))
        else:
            if len(weights) != len(y_train):
                raise ValueError("Custom weights should match number of train samples.")
            need_shuffle = False
            samples_weight = np.array(weights)
            sampler = WeightedRandomSampler(samples_weight, len(samples_weight))
        return need_shuffle, sampler

    def create_dataloaders(X_train, y_train, eval_set, weights, batch_size, num_workers,
                           drop_last, pin_memory):
        need_shuffle, sampler = create_sampler(weights, y_train)
        train_dataloader = DataLoader(
            TorchDataset(X_train.astype(np.float32), y_train), batch_size=batch_size,
            sampler=sampler, shuffle=need_shuffle, num_workers=num_workers,
            drop_last=drop_last, pin_memory=pin_memory)
        valid_dataloaders = []
        for X, y in eval_set:
            valid_dataloaders.append(
                DataLoader(TorchDataset(X.astype(np.float32), y), batch_size=batch_size,
                           shuffle=False, num_workers=num_workers, pin_memory=pin_memory))
        return train_dataloader, valid_dataloaders

    return TorchDataset, PredictDataset, create_sampler, create_dataloaders


def tabnet_dataloaders(torch):
    TorchDataset, PredictDataset, create_sampler, create_dataloaders = tabnet_data(torch)
    M = tabnet_model(torch)
    torch.manual_seed(0)
    rng = np.random.RandomState(7)
    X_train, y_train = _table(rng, 20)
    X_valid, y_valid = _table(rng, 6)
    with Out() as o:
        o.tryit(lambda: create_sampler(2, y_train))
        o.tryit(lambda: create_sampler([1.0, 2.0], y_train))
        for weights in (0, 1, {0: 0.2, 1: 0.8}, list(np.linspace(0.1, 1, 20))):
            need_shuffle, sampler = create_sampler(weights, y_train)
            o.print(type(weights).__name__, need_shuffle, type(sampler).__name__,
                    None if sampler is None else (sampler.weights.dtype, len(sampler),
                                                  list(sampler)[:8]))
        train_dataloader, valid_dataloaders = create_dataloaders(
            X_train, y_train, [(X_valid, y_valid)], 1, batch_size=8, num_workers=0,
            drop_last=True, pin_memory=False)
        o.print(len(train_dataloader), len(valid_dataloaders[0]))
        network = M["TabNet"](6, 2, n_d=4, n_a=4, n_steps=1, cat_idxs=[1, 4], cat_dims=[3, 4],
                              cat_emb_dim=[1, 2], n_independent=1, n_shared=1,
                              virtual_batch_size=4,
                              group_attention_matrix=M["create_group_matrix"]([[2, 3]], 6))
        optimizer = torch.optim.Adam(network.parameters(), lr=2e-2)
        # _train_epoch
        network.train()
        for batch_idx, (X, y) in enumerate(train_dataloader):
            X = X.to("cpu").float()
            y = y.to("cpu").long()
            for param in network.parameters():
                param.grad = None
            output, M_loss = network(X)
            loss = torch.nn.functional.cross_entropy(output, y) - 1e-3 * M_loss
            loss.backward()
            optimizer.step()
            o.print(batch_idx, X.dtype, y.dtype, tuple(X.shape), y.tolist(), f"{loss.item():.4f}")
            if batch_idx == 0:
                o.vals += [output]
        # _predict_epoch on the eval loader
        network.eval()
        list_y_true, list_y_score = [], []
        for batch_idx, (X, y) in enumerate(valid_dataloaders[0]):
            output, _ = network(X.to("cpu").float())
            scores = torch.nn.Softmax(dim=1)(output).cpu().detach().numpy()
            list_y_true.append(y)
            list_y_score.append(scores)
        y_true, scores = np.hstack(list_y_true), np.vstack(list_y_score)
        o.print(type(list_y_true[0]).__name__, y_true.dtype, scores.dtype, scores.shape)
        # predict
        dataloader = torch.utils.data.DataLoader(PredictDataset(X_valid), batch_size=4,
                                                 shuffle=False)
        results = []
        for batch_nb, data in enumerate(dataloader):
            data = data.to("cpu").float()
            output, M_loss = network(data)
            predictions = output.cpu().detach().numpy()
            results.append(predictions)
        res = np.vstack(results)
        o.print(len(results), res.shape, np.argmax(res, axis=1).tolist())
        o.vals.append(res)
    return o.done()
