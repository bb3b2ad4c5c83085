"""dreamquark-ai/tabnet as users type it, the rest of the training machinery:
augmentations.py (RegressionSMOTE / ClassificationSMOTE: boolean-mask assignment and in-place
add on masked rows), TabNetRegressor's loop (MSELoss, (n, 1) targets, the SMOTE augmentation
in _train_batch), TabNetMultiTaskClassifier's loss (a list of outputs, mean of the task
losses) and abstract_model.py's load_weights_from_unsupervised (state_dict copied over from a
pretrainer, keys renamed). See tests/test_programs_s21_tabmdn.py."""

import copy

import numpy as np
from s16_yunjey_progs import Out
from s21_tabmdn_progs_c import tabnet_model, _table


def smote_classes(torch):
    def define_device(device_name):
        if device_name == "auto":
            if torch.cuda.is_available():
                return "cuda"
            else:
                return "cpu"
        elif device_name == "cuda" and not torch.cuda.is_available():
            return "cpu"
        else:
            return device_name

    class RegressionSMOTE():
        def __init__(self, device_name="auto", p=0.8, alpha=0.5, beta=0.5, seed=0):
            self.seed = seed
            self._set_seed()
            self.device = define_device(device_name)
            self.alpha = alpha
            self.beta = beta
            self.p = p
            if (p < 0.) or (p > 1.0):
                raise ValueError("Value of p should be between 0. and 1.")

        def _set_seed(self):
            torch.manual_seed(self.seed)
            np.random.seed(self.seed)
            return

        def __call__(self, X, y):
            batch_size = X.shape[0]
            random_values = torch.rand(batch_size, device=self.device)
            idx_to_change = random_values < self.p

            # ensure that first element to switch has probability > 0.5
            np_betas = np.random.beta(self.alpha, self.beta, batch_size) / 2 + 0.5
            random_betas = torch.from_numpy(np_betas).to(self.device).float()
            index_permute = torch.randperm(batch_size, device=self.device)

            X[idx_to_change] = random_betas[idx_to_change, None] * X[idx_to_change]
            X[idx_to_change] += (1 - random_betas[idx_to_change, None]) * \
                X[index_permute][idx_to_change].view(X[idx_to_change].size())

            y[idx_to_change] = random_betas[idx_to_change, None] * y[idx_to_change]
            y[idx_to_change] += (1 - random_betas[idx_to_change, None]) * \
                y[index_permute][idx_to_change].view(y[idx_to_change].size())

            return X, y

    class ClassificationSMOTE():
        def __init__(self, device_name="auto", p=0.8, alpha=0.5, beta=0.5, seed=0):
            self.seed = seed
            self._set_seed()
            self.device = define_device(device_name)
            self.alpha = alpha
            self.beta = beta
            self.p = p
            if (p < 0.) or (p > 1.0):
                raise ValueError("Value of p should be between 0. and 1.")

        def _set_seed(self):
            torch.manual_seed(self.seed)
            np.random.seed(self.seed)
            return

        def __call__(self, X, y):
            batch_size = X.shape[0]
            random_values = torch.rand(batch_size, device=self.device)
            idx_to_change = random_values < self.p

            # ensure that first element to switch has probability > 0.5
            np_betas = np.random.beta(self.alpha, self.beta, batch_size) / 2 + 0.5
            random_betas = torch.from_numpy(np_betas).to(self.device).float()
            index_permute = torch.randperm(batch_size, device=self.device)

            X[idx_to_change] = random_betas[idx_to_change, None] * X[idx_to_change]
            X[idx_to_change] += (1 - random_betas[idx_to_change, None]) * \
                X[index_permute][idx_to_change].view(X[idx_to_change].size())

            return X, y

    return RegressionSMOTE, ClassificationSMOTE


def smote(torch):
    """The two augmentations on a small batch, and p out of range."""
    RegressionSMOTE, ClassificationSMOTE = smote_classes(torch)
    rng = np.random.RandomState(5)
    with Out() as o:
        o.tryit(lambda: RegressionSMOTE(p=1.5))
        aug = RegressionSMOTE(p=0.5, seed=2)
        X = torch.from_numpy(rng.randn(8, 3).astype(np.float32))
        y = torch.from_numpy(rng.randn(8, 1).astype(np.float32))
        X0, y0 = X.clone(), y.clone()
        X2, y2 = aug(X, y)
        o.print(X2 is X, y2 is y, int((X2 != X0).any(1).sum()), tuple(y2.shape), y2.dtype)
        o.vals += [X2, y2]
        caug = ClassificationSMOTE(p=0.7, seed=3)
        Xc = torch.from_numpy(rng.randn(8, 3).astype(np.float32))
        yc = torch.from_numpy(rng.randint(0, 3, 8))
        Xc2, yc2 = caug(Xc, yc)
        o.print(yc2.dtype, yc2.tolist())
        o.vals.append(Xc2)
    return o.done()


def tabnet_regressor_multitask(torch):
    """TabNetRegressor's _train_batch with RegressionSMOTE, then the multi-task loss and
    load_weights_from_unsupervised from a pretrainer."""
    M = tabnet_model(torch)
    RegressionSMOTE, _ = smote_classes(torch)
    torch.manual_seed(0)
    rng = np.random.RandomState(6)
    X_np, _ = _table(rng)
    y_np = (X_np[:, :1] * 0.5 + rng.randn(16, 1) * 0.1).astype(np.float32)
    with Out() as o:
        gm = M["create_group_matrix"]([], 6)
        network = M["TabNet"](6, 1, n_d=4, n_a=4, n_steps=2, cat_idxs=[1, 4], cat_dims=[3, 4],
                              cat_emb_dim=[1, 1], n_independent=1, n_shared=1,
                              virtual_batch_size=8, group_attention_matrix=gm)
        augmentations = RegressionSMOTE(p=0.3, seed=1)
        optimizer = torch.optim.Adam(network.parameters(), lr=2e-2)
        loss_fn = torch.nn.functional.mse_loss
        for epoch in range(2):
            network.train()
            X = torch.from_numpy(X_np.copy()).to("cpu").float()
            y = torch.from_numpy(y_np.copy()).to("cpu").float()
            X, y = augmentations(X, y)
            for param in network.parameters():
                param.grad = None
            output, M_loss = network(X)
            loss = loss_fn(output, y)
            loss = loss - 1e-3 * M_loss
            loss.backward()
            optimizer.step()
            o.print(f"epoch {epoch} | loss: {loss.item():.4f}", tuple(output.shape))
            if epoch == 0:
                o.vals += [X, y, output]
        # multi-task
        torch.manual_seed(1)
        mt = M["TabNet"](6, [2, 3], n_d=4, n_a=4, n_steps=1, cat_idxs=[1, 4], cat_dims=[3, 4],
                         cat_emb_dim=[2, 1], n_independent=1, n_shared=1,
                         virtual_batch_size=16, group_attention_matrix=gm)
        X = torch.from_numpy(X_np)
        targets = torch.from_numpy(np.stack([rng.randint(0, 2, 16), rng.randint(0, 3, 16)], 1))
        output, M_loss = mt(X.float())
        o.print(type(output).__name__, [tuple(t.shape) for t in output])
        loss = 0
        for task_id, loss_fn in enumerate([torch.nn.functional.cross_entropy] * 2):
            loss += loss_fn(output[task_id], targets[:, task_id])
        loss /= len(output)
        loss.backward()
        o.print(f"{loss.item():.4f}", mt.tabnet.multi_task_mappings[1].weight.grad.shape)
        o.vals += [loss, output[1]]
        # load_weights_from_unsupervised
        pre = M["TabNetPretraining"](6, n_d=4, n_a=4, n_steps=1, cat_idxs=[1, 4],
                                     cat_dims=[3, 4], cat_emb_dim=[2, 1], n_independent=1,
                                     n_shared=1, virtual_batch_size=16,
                                     group_attention_matrix=gm)
        update_state_dict = copy.deepcopy(mt.state_dict())
        for param, weights in pre.state_dict().items():
            if param.startswith("encoder"):
                # Convert encoder's layers name to match
                new_param = "tabnet." + param
            else:
                new_param = param
            if mt.state_dict().get(new_param) is not None:
                # update only common layers
                update_state_dict[new_param] = weights
        mt.load_state_dict(update_state_dict)
        o.print(len(update_state_dict), sorted(pre.state_dict().keys())[:3])
        same = [k for k, v in mt.state_dict().items() if k.startswith("tabnet.encoder") and
                torch.equal(v, pre.state_dict()[k[len("tabnet."):]])]
        o.print(len(same), same[:2])
    return o.done()
