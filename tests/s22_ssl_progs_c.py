"""Set models as juho-lee/set_transformer writes them, scaled down, as ``prog(L) -> (printed,
values)`` for tests/test_programs_s22_ssl.py: modules.py (MAB with heads split by
Q.split(dim_split, 2) and re-joined by torch.cat(..., 0), SAB, ISAB and PMA with
nn.Parameter(torch.Tensor(1, n, d)) and xavier_uniform_, getattr(self, 'ln0', None)),
models.py (DeepSet, SetTransformer), max_regression_demo.ipynb (gen_data on np.random,
SmallDeepSet with max / mean / sum pooling, SmallSetTransformer, L1Loss and Adam) and
main_pointcloud.py (Dropout around PMA, nn.DataParallel, torch.Tensor(ndarray))."""

import math

import numpy as np
from s16_yunjey_progs import Out


def _set_modules(L):
    nn, F = L.nn, L.nn.functional

    class MAB(nn.Module):
        def __init__(self, dim_Q, dim_K, dim_V, num_heads, ln=False):
            super(MAB, self).__init__()
            self.dim_V = dim_V
            self.num_heads = num_heads
            self.fc_q = nn.Linear(dim_Q, dim_V)
            self.fc_k = nn.Linear(dim_K, dim_V)
            self.fc_v = nn.Linear(dim_K, dim_V)
            if ln:
                self.ln0 = nn.LayerNorm(dim_V)
                self.ln1 = nn.LayerNorm(dim_V)
            self.fc_o = nn.Linear(dim_V, dim_V)

        def forward(self, Q, K):
            Q = self.fc_q(Q)
            K, V = self.fc_k(K), self.fc_v(K)
            dim_split = self.dim_V // self.num_heads
            Q_ = L.cat(Q.split(dim_split, 2), 0)
            K_ = L.cat(K.split(dim_split, 2), 0)
            V_ = L.cat(V.split(dim_split, 2), 0)
            A = L.softmax(Q_.bmm(K_.transpose(1, 2)) / math.sqrt(self.dim_V), 2)
            O = L.cat((Q_ + A.bmm(V_)).split(Q.size(0), 0), 2)
            O = O if getattr(self, 'ln0', None) is None else self.ln0(O)
            O = O + F.relu(self.fc_o(O))
            O = O if getattr(self, 'ln1', None) is None else self.ln1(O)
            return O

    class SAB(nn.Module):
        def __init__(self, dim_in, dim_out, num_heads, ln=False):
            super(SAB, self).__init__()
            self.mab = MAB(dim_in, dim_in, dim_out, num_heads, ln=ln)

        def forward(self, X):
            return self.mab(X, X)

    class ISAB(nn.Module):
        def __init__(self, dim_in, dim_out, num_heads, num_inds, ln=False):
            super(ISAB, self).__init__()
            self.I = nn.Parameter(L.Tensor(1, num_inds, dim_out))
            nn.init.xavier_uniform_(self.I)
            self.mab0 = MAB(dim_out, dim_in, dim_out, num_heads, ln=ln)
            self.mab1 = MAB(dim_in, dim_out, dim_out, num_heads, ln=ln)

        def forward(self, X):
            H = self.mab0(self.I.repeat(X.size(0), 1, 1), X)
            return self.mab1(X, H)

    class PMA(nn.Module):
        def __init__(self, dim, num_heads, num_seeds, ln=False):
            super(PMA, self).__init__()
            self.S = nn.Parameter(L.Tensor(1, num_seeds, dim))
            nn.init.xavier_uniform_(self.S)
            self.mab = MAB(dim, dim, dim, num_heads, ln=ln)

        def forward(self, X):
            return self.mab(self.S.repeat(X.size(0), 1, 1), X)

    class DeepSet(nn.Module):
        def __init__(self, dim_input, num_outputs, dim_output, dim_hidden=128):
            super(DeepSet, self).__init__()
            self.num_outputs = num_outputs
            self.dim_output = dim_output
            self.enc = nn.Sequential(
                nn.Linear(dim_input, dim_hidden), nn.ReLU(),
                nn.Linear(dim_hidden, dim_hidden), nn.ReLU(),
                nn.Linear(dim_hidden, dim_hidden))
            self.dec = nn.Sequential(
                nn.Linear(dim_hidden, dim_hidden), nn.ReLU(),
                nn.Linear(dim_hidden, num_outputs * dim_output))

        def forward(self, X):
            X = self.enc(X).mean(-2)
            X = self.dec(X).reshape(-1, self.num_outputs, self.dim_output)
            return X

    class SetTransformer(nn.Module):
        def __init__(self, dim_input, num_outputs, dim_output, num_inds=32, dim_hidden=128,
                     num_heads=4, ln=False):
            super(SetTransformer, self).__init__()
            self.enc = nn.Sequential(
                ISAB(dim_input, dim_hidden, num_heads, num_inds, ln=ln),
                ISAB(dim_hidden, dim_hidden, num_heads, num_inds, ln=ln))
            self.dec = nn.Sequential(
                PMA(dim_hidden, num_heads, num_outputs, ln=ln),
                SAB(dim_hidden, dim_hidden, num_heads, ln=ln),
                nn.Linear(dim_hidden, dim_output))

        def forward(self, X):
            return self.dec(self.enc(X))

    return dict(MAB=MAB, SAB=SAB, ISAB=ISAB, PMA=PMA, DeepSet=DeepSet,
                SetTransformer=SetTransformer)


def _compared(model):
    """The parameters but the key projections' biases: adding a bias to every key adds one
    constant to a query's scores, which softmax ignores, so their gradient is zero in exact
    arithmetic and rounding noise in floats (either library's), which Adam turns into steps
    of +-lr with the noise's sign."""
    return [p for n, p in model.named_parameters() if not n.endswith("fc_k.bias")]


def max_regression(L):
    """max_regression_demo.ipynb: gen_data (np.random.randint lengths and values, np.max,
    np.expand_dims), SmallDeepSet for each pooling and SmallSetTransformer trained with
    nn.L1Loss and Adam(lr=1e-4) on torch.from_numpy(x).float()."""
    nn = L.nn
    m = _set_modules(L)
    SAB, PMA = m["SAB"], m["PMA"]
    with Out() as o:
        L.manual_seed(0)
        np.random.seed(0)

        def gen_data(batch_size, max_length=10, test=False):
            length = np.random.randint(1, max_length + 1)
            x = np.random.randint(1, 100, (batch_size, length))
            y = np.max(x, axis=1)
            x, y = np.expand_dims(x, axis=2), np.expand_dims(y, axis=1)
            return x, y

        class SmallDeepSet(nn.Module):
            def __init__(self, pool="max"):
                super().__init__()
                self.enc = nn.Sequential(
                    nn.Linear(in_features=1, out_features=16), nn.ReLU(),
                    nn.Linear(in_features=16, out_features=16), nn.ReLU(),
                    nn.Linear(in_features=16, out_features=16))
                self.dec = nn.Sequential(
                    nn.Linear(in_features=16, out_features=16), nn.ReLU(),
                    nn.Linear(in_features=16, out_features=1))
                self.pool = pool

            def forward(self, x):
                x = self.enc(x)
                if self.pool == "max":
                    x = x.max(dim=1)[0]
                elif self.pool == "mean":
                    x = x.mean(dim=1)
                elif self.pool == "sum":
                    x = x.sum(dim=1)
                x = self.dec(x)
                return x

        class SmallSetTransformer(nn.Module):
            def __init__(self,):
                super().__init__()
                self.enc = nn.Sequential(
                    SAB(dim_in=1, dim_out=16, num_heads=4),
                    SAB(dim_in=16, dim_out=16, num_heads=4))
                self.dec = nn.Sequential(
                    PMA(dim=16, num_heads=4, num_seeds=1),
                    nn.Linear(in_features=16, out_features=1))

            def forward(self, x):
                x = self.enc(x)
                x = self.dec(x)
                return x.squeeze(-1)

        def train(model, n_steps=6):
            optimizer = L.optim.Adam(model.parameters(), lr=1e-4)
            criterion = nn.L1Loss()
            losses = []
            for _ in range(n_steps):
                x, y = gen_data(batch_size=2 ** 4, max_length=6)
                x, y = L.from_numpy(x).float(), L.from_numpy(y).float()
                loss = criterion(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            return losses

        models = [("Set Transformer", SmallSetTransformer()),
                  ("Deep Set (max)", SmallDeepSet(pool="max")),
                  ("Deep Set (mean)", SmallDeepSet(pool="mean")),
                  ("Deep Set (sum)", SmallDeepSet(pool="sum"))]
        o.print(models[0][1])
        for _name, _model in models:
            # the first MAB sees the raw integers 1..99: scores in the hundreds whose softmax
            # is saturated; the keys' weights and biases get gradients of rounding noise there
            # (see _compared), which Adam's first step turns into +-lr either way; the losses
            # of two steps are compared, not those parameters
            _losses = train(_model, 2 if _name == "Set Transformer" else 6)
            o.print(_name, [f"{v:.2f}" for v in _losses])
            o.vals += [np.array(_losses, dtype=np.float32)]
            if _name != "Set Transformer":
                o.vals += list(_model.parameters())
        x, y = gen_data(batch_size=3, max_length=5)
        o.print(x.dtype, x.shape, y.shape, L.from_numpy(x).dtype, L.from_numpy(x).float().dtype)
        st = models[0][1]
        out = st(L.from_numpy(x).float())
        o.print(out.shape, out.dtype, out.grad_fn.name())
        o.vals += [out]
        o.tryit(lambda: round(nn.L1Loss()(out, L.from_numpy(y).float().squeeze(1)).item(), 2))
        o.tryit(lambda: nn.L1Loss()(out, L.from_numpy(y)).dtype)
    return o.done()


def set_transformer(L):
    """models.py SetTransformer (ISAB encoder with inducing points, PMA + SAB decoder,
    ln=True) and DeepSet on a batch of sets; Adam steps on an MSE to random targets, the
    attention bits of MAB (split / cat over heads) checked against their shapes."""
    nn, F = L.nn, L.nn.functional
    m = _set_modules(L)
    with Out() as o:
        L.manual_seed(2)
        st = m["SetTransformer"](3, 2, 5, num_inds=4, dim_hidden=16, num_heads=4)
        st_ln = m["SetTransformer"](3, 2, 5, num_inds=4, dim_hidden=16, num_heads=4, ln=True)
        ds = m["DeepSet"](3, 2, 5, dim_hidden=16)
        o.print(st_ln)
        o.print([(n, tuple(p.shape)) for n, p in st_ln.named_parameters()][:4])
        rng = np.random.default_rng(11)
        X = L.from_numpy(rng.standard_normal((4, 7, 3)).astype(np.float32))
        T = L.from_numpy(rng.standard_normal((4, 2, 5)).astype(np.float32))
        for model in (st, ds):
            opt = L.optim.Adam(model.parameters(), lr=5e-3)
            for step in range(4):
                out = model(X)
                loss = F.mse_loss(out, T)
                opt.zero_grad()
                loss.backward()
                gn = nn.utils.clip_grad_norm_(model.parameters(), 10.0)
                opt.step()
                o.print(step, f"{loss.item():.4f}", f"{gn.item():.4f}", tuple(out.shape))
                o.vals += [loss, gn]
            o.vals += _compared(model)
        # with LayerNorm: one forward / backward (the rows LayerNorm gives sum to zero, so
        # the next keys' weights have a direction of zero gradient, as the biases have)
        out = st_ln(X)
        F.mse_loss(out, T).backward()
        o.vals += [out] + [p.grad for p in _compared(st_ln)]
        # permutation invariance of the pooled outputs
        perm = L.randperm(7)
        o.print(perm)
        with L.no_grad():
            o.vals += [st(X), st(X[:, perm]), ds(X), ds(X[:, perm])]
        mab = st.enc[0].mab0
        Q = L.randn(2, 3, 16)
        parts = Q.split(4, 2)
        o.print(len(parts), parts[0].shape, L.cat(parts, 0).shape,
                L.cat(parts, 0).split(Q.size(0), 0)[1].shape)
        o.print(getattr(mab, 'ln0', None), getattr(m["MAB"](4, 4, 4, 2), 'ln0', None))
        o.tryit(lambda: st(L.randn(2, 5, 4)))
        o.tryit(lambda: Q.split(0, 2))
        o.vals += [m["ISAB"](3, 8, 2, 5)(X)]
    return o.done()


def pointcloud(L):
    """main_pointcloud.py: SetTransformer with nn.Dropout() around PMA and .squeeze(),
    wrapped in nn.DataParallel, Adam, CrossEntropyLoss, torch.Tensor(imgs) from float64
    NumPy batches and torch.Tensor(lbls).long(), accuracy by argmax, np.mean of the losses;
    ModelFetcher's standardised point clouds replaced by seeded NumPy batches."""
    nn = L.nn
    m = _set_modules(L)
    ISAB, PMA = m["ISAB"], m["PMA"]
    with Out() as o:
        L.manual_seed(0)

        class SetTransformer(nn.Module):
            def __init__(self, dim_input=3, num_outputs=1, dim_output=40, num_inds=32,
                         dim_hidden=128, num_heads=4, ln=False):
                super(SetTransformer, self).__init__()
                self.enc = nn.Sequential(
                    ISAB(dim_input, dim_hidden, num_heads, num_inds, ln=ln),
                    ISAB(dim_hidden, dim_hidden, num_heads, num_inds, ln=ln),
                )
                self.dec = nn.Sequential(
                    nn.Dropout(),
                    PMA(dim_hidden, num_heads, num_outputs, ln=ln),
                    nn.Dropout(),
                    nn.Linear(dim_hidden, dim_output),
                )

            def forward(self, X):
                return self.dec(self.enc(X)).squeeze()

        rng = np.random.default_rng(21)

        def batches(n_batches, bs=6, n_pts=10):
            for _ in range(n_batches):
                pts = rng.standard_normal((bs, n_pts, 3))
                pts = (pts - pts.mean(axis=1, keepdims=True)) / pts.std(axis=1, keepdims=True)
                yield pts, None, rng.integers(0, 5, bs)

        model = SetTransformer(dim_output=5, dim_hidden=16, num_heads=4, num_inds=4)
        optimizer = L.optim.Adam(model.parameters(), lr=1e-3)
        criterion = nn.CrossEntropyLoss()
        model = nn.DataParallel(model)
        o.print(type(model).__name__, list(model.state_dict())[:2])
        for epoch in range(3):
            model.train()
            losses, total, correct = [], 0, 0
            for imgs, _, lbls in batches(2):
                imgs = L.Tensor(imgs)
                lbls = L.Tensor(lbls).long()
                preds = model(imgs)
                loss = criterion(preds, lbls)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                total += lbls.shape[0]
                correct += (preds.argmax(dim=1) == lbls).sum().item()
                if epoch == 0 and not o.vals:
                    o.vals += [preds]
            avg_loss, avg_acc = np.mean(losses), correct / total
            o.print(f"Epoch {epoch}: train loss {avg_loss:.3f} train acc {avg_acc:.3f}")
            if epoch % 2 == 0:
                model.eval()
                losses, total, correct = [], 0, 0
                for imgs, _, lbls in batches(1):
                    imgs = L.Tensor(imgs)
                    lbls = L.Tensor(lbls).long()
                    preds = model(imgs)
                    loss = criterion(preds, lbls)
                    losses.append(loss.item())
                    total += lbls.shape[0]
                    correct += (preds.argmax(dim=1) == lbls).sum().item()
                avg_loss, avg_acc = np.mean(losses), correct / total
                o.print(f"Epoch {epoch}: test loss {avg_loss:.3f} test acc {avg_acc:.3f}")
        # values after the first step are not compared: besides the keys' biases (see
        # _compared), a few weights here (PMA's values with one seed) have gradients of
        # ~1e-9 made of cancelling terms of ~0.1, below Adam's eps, where the last bits of
        # either library move Adam's first step by up to 1e-4; the printed means are
        x = L.Tensor(np.ones((1, 4, 3)))
        o.print(x.dtype, model(x).shape, L.Tensor([1, 2]).long().dtype)
        o.tryit(lambda: L.Tensor(np.ones(2, dtype=np.int64)).dtype)
        o.tryit(lambda: L.Tensor([[1, 2], [3]]))
    return o.done()
