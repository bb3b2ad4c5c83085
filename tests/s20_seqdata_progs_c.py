"""Recommender programs as users type them, scaled down on small NumPy-seeded ratings, as
``prog(L) -> (printed, values)`` for tests/test_programs_s20_seqdata.py: matrix
factorisation with user/item bias embeddings and weight decay (the "collaborative filtering
in PyTorch" tutorial, with its sigmoid-ranged variant), sparse-gradient MF with SparseAdam
and SGD (torchmf style), guoyang9/BPR-pytorch and a logsigmoid BPR with L2 regularisation,
and rixwew/pytorch-fm's FactorizationMachineModel and DeepFM (FeaturesLinear,
FeaturesEmbedding with offsets, the 0.5 * ((sum v)^2 - sum v^2) interaction, the MLP with
BatchNorm1d) trained with BCELoss."""

import numpy as np
from s16_yunjey_progs import Out


def _ratings(n_users=8, n_items=10, n=40, seed=0):
    rng = np.random.RandomState(seed)
    users = rng.randint(0, n_users, n)
    items = rng.randint(0, n_items, n)
    ratings = rng.randint(1, 6, n).astype(np.float64)
    return users, items, ratings


def mf_bias(L):
    """MF with bias embeddings: uniform_ init on .data, (U*V).sum(1) + b_u + b_v with
    squeeze(), torch.LongTensor / FloatTensor of pandas-like int64 / float64 columns, Adam
    with weight_decay, F.mse_loss; then the sigmoid-ranged version with explicit bias
    vectors; predictions with .item() and .tolist()."""
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)
        users_np, items_np, ratings_np = _ratings()

        class MF(nn.Module):
            def __init__(self, num_users, num_items, emb_size=100):
                super(MF, self).__init__()
                self.user_emb = nn.Embedding(num_users, emb_size)
                self.user_bias = nn.Embedding(num_users, 1)
                self.item_emb = nn.Embedding(num_items, emb_size)
                self.item_bias = nn.Embedding(num_items, 1)
                self.user_emb.weight.data.uniform_(0, 0.05)
                self.item_emb.weight.data.uniform_(0, 0.05)
                self.user_bias.weight.data.uniform_(-0.01, 0.01)
                self.item_bias.weight.data.uniform_(-0.01, 0.01)

            def forward(self, u, v):
                U = self.user_emb(u)
                V = self.item_emb(v)
                b_u = self.user_bias(u).squeeze()
                b_v = self.item_bias(v).squeeze()
                return (U * V).sum(1) + b_u + b_v

        def test_loss(model, unsqueeze=False):
            model.eval()
            users = torch.LongTensor(users_np[30:])
            items = torch.LongTensor(items_np[30:])
            ratings = torch.FloatTensor(ratings_np[30:])
            if unsqueeze:
                ratings = ratings.unsqueeze(1)
            y_hat = model(users, items)
            loss = F.mse_loss(y_hat, ratings)
            o.print("test loss %.3f " % loss.item())

        def train_epocs(model, epochs=10, lr=0.01, wd=0.0, unsqueeze=False):
            optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
            model.train()
            for i in range(epochs):
                users = torch.LongTensor(users_np[:30])
                items = torch.LongTensor(items_np[:30])
                ratings = torch.FloatTensor(ratings_np[:30])
                if unsqueeze:
                    ratings = ratings.unsqueeze(1)
                y_hat = model(users, items)
                loss = F.mse_loss(y_hat, ratings)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                o.print(round(loss.item(), 4))
            test_loss(model, unsqueeze)

        model = MF(8, 10, emb_size=6)
        train_epocs(model, epochs=4, lr=0.1, wd=1e-5)
        train_epocs(model, epochs=3, lr=0.01, wd=1e-5)

        class MF_bias(nn.Module):
            def __init__(self, num_users, num_items, emb_size=100, y_range=(0.5, 5.5)):
                super(MF_bias, self).__init__()
                self.user_emb = nn.Embedding(num_users, emb_size)
                self.item_emb = nn.Embedding(num_items, emb_size)
                self.user_bias = nn.Parameter(torch.zeros(num_users))
                self.item_bias = nn.Parameter(torch.zeros(num_items))
                self.y_range = y_range

            def forward(self, u, v):
                res = (self.user_emb(u) * self.item_emb(v)).sum(1)
                res = res + self.user_bias[u] + self.item_bias[v]
                return torch.sigmoid(res) * (self.y_range[1] - self.y_range[0]) + \
                    self.y_range[0]

        model2 = MF_bias(8, 10, emb_size=6)
        train_epocs(model2, epochs=3, lr=0.05, wd=1e-4)
        train_epocs(model2, epochs=1, lr=0.05, unsqueeze=True)  # the broadcast warning
        user = torch.tensor([3])
        items = torch.tensor(list(range(10)))
        preds = model2(user, items)
        o.print(preds.argmax().item(), [round(p, 3) for p in preds.tolist()])
        o.vals += [model.user_emb.weight, model.item_bias.weight, model2.user_bias, preds]
    return o.done()


def mf_sparse(L):
    """torchmf-style MF (biases and factors as embeddings, in-place += on the embedding
    outputs, a learned scale), built with sparse=False since ember has no sparse gradients
    (see the test module): Adam on the embeddings, SGD on the scale."""
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(0)
        users_np, items_np, ratings_np = _ratings(6, 7, 24, 1)

        class BaseModule(nn.Module):
            def __init__(self, n_users, n_items, n_factors=4, sparse=True):
                super(BaseModule, self).__init__()
                self.user_biases = nn.Embedding(n_users, 1, sparse=sparse)
                self.item_biases = nn.Embedding(n_items, 1, sparse=sparse)
                self.user_embeddings = nn.Embedding(n_users, n_factors, sparse=sparse)
                self.item_embeddings = nn.Embedding(n_items, n_factors, sparse=sparse)
                self.scale = nn.Parameter(torch.ones(1))

            def forward(self, users, items):
                ues = self.user_embeddings(users)
                uis = self.item_embeddings(items)
                preds = self.user_biases(users)
                preds += self.item_biases(items)
                preds += (ues * uis).sum(dim=1, keepdim=True)
                return preds.squeeze() * self.scale

        model = BaseModule(6, 7, sparse=False)
        sparse_params = [p for n, p in model.named_parameters() if 'embeddings' in n
                         or 'biases' in n]
        opt_sparse = torch.optim.Adam(sparse_params, lr=0.05)
        opt_dense = torch.optim.SGD([model.scale], lr=0.01)
        u, i = torch.from_numpy(users_np), torch.from_numpy(items_np)
        r = torch.from_numpy(ratings_np).float()
        for epoch in range(3):
            opt_sparse.zero_grad(); opt_dense.zero_grad()
            loss = nn.MSELoss()(model(u, i), r)
            loss.backward()
            opt_sparse.step(); opt_dense.step()
            o.print('epoch {} loss {:.4f}'.format(epoch, loss.item()))
        g = model.item_embeddings.weight.grad
        o.print(g.layout, g.is_sparse, g.shape)
        o.vals += [g, model.user_embeddings.weight, model.scale]
        o.tryit(lambda: torch.optim.SparseAdam(sparse_params, lr=0.1).step())
    return o.done()


def bpr(L):
    """guoyang9/BPR-pytorch: BPR with normal_ init, forward(user, item_i, item_j), the loss
    -(prediction_i - prediction_j).sigmoid().log().sum(), SGD with weight_decay; then the
    logsigmoid form with an explicit L2 term over the batch's embeddings."""
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)

        class BPR(nn.Module):
            def __init__(self, user_num, item_num, factor_num):
                super(BPR, self).__init__()
                self.embed_user = nn.Embedding(user_num, factor_num)
                self.embed_item = nn.Embedding(item_num, factor_num)
                nn.init.normal_(self.embed_user.weight, std=0.01)
                nn.init.normal_(self.embed_item.weight, std=0.01)

            def forward(self, user, item_i, item_j):
                user = self.embed_user(user)
                item_i = self.embed_item(item_i)
                item_j = self.embed_item(item_j)
                prediction_i = (user * item_i).sum(dim=-1)
                prediction_j = (user * item_j).sum(dim=-1)
                return prediction_i, prediction_j

        user_num, item_num = 6, 9
        triples = np.stack([np.random.randint(user_num, size=30),
                            np.random.randint(item_num, size=30),
                            np.random.randint(item_num, size=30)], 1)
        data = torch.utils.data.TensorDataset(*[torch.from_numpy(c) for c in triples.T])
        loader = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True)
        model = BPR(user_num, item_num, 4)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5, weight_decay=0.001)
        for epoch in range(2):
            model.train()
            for user, item_i, item_j in loader:
                model.zero_grad()
                prediction_i, prediction_j = model(user, item_i, item_j)
                loss = - (prediction_i - prediction_j).sigmoid().log().sum()
                loss.backward()
                optimizer.step()
            o.print("epoch {} loss {:.6f}".format(epoch, loss.item()))
        model2 = BPR(user_num, item_num, 4)
        opt2 = torch.optim.Adam(model2.parameters(), lr=0.05)
        reg = 1e-3
        for user, item_i, item_j in loader:
            u = model2.embed_user(user)
            pos, neg = model2.embed_item(item_i), model2.embed_item(item_j)
            x_uij = torch.mul(u, pos).sum(dim=1) - torch.mul(u, neg).sum(dim=1)
            log_prob = F.logsigmoid(x_uij).sum()
            regularization = reg * (u.norm(dim=1).pow(2).sum() + pos.norm(dim=1).pow(2).sum()
                                    + neg.norm(dim=1).pow(2).sum())
            loss = -log_prob + regularization
            opt2.zero_grad()
            loss.backward()
            opt2.step()
            o.print('{:.6f}'.format(loss.item()))
        scores = torch.mm(model2.embed_user.weight, model2.embed_item.weight.t())
        _, top = torch.topk(scores, k=3, dim=1)
        o.print(top.shape, top.dtype)
        o.vals += [model.embed_user.weight, model.embed_item.weight, scores,
                   F.logsigmoid(torch.tensor([-100.0, 0.0, 30.0]))]
    return o.done()


def _fm_layers(L):
    torch = L

    class FeaturesLinear(torch.nn.Module):
        def __init__(self, field_dims, output_dim=1):
            super().__init__()
            self.fc = torch.nn.Embedding(sum(field_dims), output_dim)
            self.bias = torch.nn.Parameter(torch.zeros((output_dim,)))
            self.offsets = np.array((0, *np.cumsum(field_dims)[:-1]), dtype=np.int64)

        def forward(self, x):
            x = x + x.new_tensor(self.offsets).unsqueeze(0)
            return torch.sum(self.fc(x), dim=1) + self.bias

    class FeaturesEmbedding(torch.nn.Module):
        def __init__(self, field_dims, embed_dim):
            super().__init__()
            self.embedding = torch.nn.Embedding(sum(field_dims), embed_dim)
            self.offsets = np.array((0, *np.cumsum(field_dims)[:-1]), dtype=np.int64)
            torch.nn.init.xavier_uniform_(self.embedding.weight.data)

        def forward(self, x):
            x = x + x.new_tensor(self.offsets).unsqueeze(0)
            return self.embedding(x)

    class FactorizationMachine(torch.nn.Module):
        def __init__(self, reduce_sum=True):
            super().__init__()
            self.reduce_sum = reduce_sum

        def forward(self, x):
            square_of_sum = torch.sum(x, dim=1) ** 2
            sum_of_square = torch.sum(x ** 2, dim=1)
            ix = square_of_sum - sum_of_square
            if self.reduce_sum:
                ix = torch.sum(ix, dim=1, keepdim=True)
            return 0.5 * ix

    class MultiLayerPerceptron(torch.nn.Module):
        def __init__(self, input_dim, embed_dims, dropout, output_layer=True):
            super().__init__()
            layers = list()
            for embed_dim in embed_dims:
                layers.append(torch.nn.Linear(input_dim, embed_dim))
                layers.append(torch.nn.BatchNorm1d(embed_dim))
                layers.append(torch.nn.ReLU())
                layers.append(torch.nn.Dropout(p=dropout))
                input_dim = embed_dim
            if output_layer:
                layers.append(torch.nn.Linear(input_dim, 1))
            self.mlp = torch.nn.Sequential(*layers)

        def forward(self, x):
            return self.mlp(x)

    class FactorizationMachineModel(torch.nn.Module):
        def __init__(self, field_dims, embed_dim):
            super().__init__()
            self.embedding = FeaturesEmbedding(field_dims, embed_dim)
            self.linear = FeaturesLinear(field_dims)
            self.fm = FactorizationMachine(reduce_sum=True)

        def forward(self, x):
            x = self.linear(x) + self.fm(self.embedding(x))
            return torch.sigmoid(x.squeeze(1))

    class DeepFactorizationMachineModel(torch.nn.Module):
        def __init__(self, field_dims, embed_dim, mlp_dims, dropout):
            super().__init__()
            self.linear = FeaturesLinear(field_dims)
            self.fm = FactorizationMachine(reduce_sum=True)
            self.embedding = FeaturesEmbedding(field_dims, embed_dim)
            self.embed_output_dim = len(field_dims) * embed_dim
            self.mlp = MultiLayerPerceptron(self.embed_output_dim, mlp_dims, dropout)

        def forward(self, x):
            embed_x = self.embedding(x)
            x = self.linear(x) + self.fm(embed_x) + self.mlp(
                embed_x.view(-1, self.embed_output_dim))
            return torch.sigmoid(x.squeeze(1))

    return FactorizationMachineModel, DeepFactorizationMachineModel


def fm_deepfm(L):
    """pytorch-fm main.py: field_dims, a TensorDataset of int64 fields and float labels,
    FM then DeepFM, BCELoss, Adam with weight_decay, an AUC computed by ranks in NumPy,
    model reprs."""
    torch = L
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)
        FM, DeepFM = _fm_layers(L)
        field_dims = np.array([3, 5, 4])
        X = np.stack([np.random.randint(d, size=48) for d in field_dims], 1)
        y = (np.random.rand(48) < 0.4).astype(np.float32)
        dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
        train_ds, valid_ds = torch.utils.data.random_split(dataset, [36, 12])
        train_loader = torch.utils.data.DataLoader(train_ds, batch_size=12, shuffle=True)
        valid_loader = torch.utils.data.DataLoader(valid_ds, batch_size=12)

        def auc(t, p):
            order = np.argsort(p, kind="stable")
            ranks = np.empty(len(p)); ranks[order] = np.arange(1, len(p) + 1)
            npos = t.sum()
            return (ranks[t == 1].sum() - npos * (npos + 1) / 2) / (npos * (len(t) - npos))

        for model in (FM(field_dims, 4), DeepFM(field_dims, 4, mlp_dims=(8, 8), dropout=0.2)):
            criterion = torch.nn.BCELoss()
            optimizer = torch.optim.Adam(params=model.parameters(), lr=0.01,
                                         weight_decay=1e-6)
            for epoch_i in range(2):
                model.train()
                total_loss = 0
                for i, (fields, target) in enumerate(train_loader):
                    y_hat = model(fields)
                    loss = criterion(y_hat, target.float())
                    model.zero_grad()
                    loss.backward()
                    optimizer.step()
                    total_loss += loss.item()
                model.eval()
                targets, predicts = list(), list()
                with torch.no_grad():
                    for fields, target in valid_loader:
                        y_hat = model(fields)
                        targets.extend(target.tolist())
                        predicts.extend(y_hat.tolist())
                o.print('epoch:', epoch_i, 'loss: {:.4f}'.format(total_loss / 3),
                        'validation: auc: {:.4f}'.format(auc(np.array(targets),
                                                              np.array(predicts))))
            o.print(model)
            o.vals += [model.embedding.embedding.weight, model.linear.bias]
        o.print(model.linear.offsets, model.linear.offsets.dtype)
    return o.done()
