"""Recommender-system and time-series programs learners copy, as users type them, scaled
down on small NumPy-seeded data, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_seqdata.py. This file: guoyang9/NCF (model.py's NCF as GMF, MLP,
NeuMF-end and NeuMF-pre loading the two pretrained models, data_utils.py's NCFData with
negative sampling, main.py's loop with BCEWithLogitsLoss, evaluate.py's hit ratio and NDCG
with torch.topk and torch.take)."""

import numpy as np
from s16_yunjey_progs import Out


def _ncf_classes(L):
    torch, nn = L, L.nn
    data = L.utils.data

    class NCF(nn.Module):
        def __init__(self, user_num, item_num, factor_num, num_layers,
                     dropout, model, GMF_model=None, MLP_model=None):
            super(NCF, self).__init__()
            self.dropout = dropout
            self.model = model
            self.GMF_model = GMF_model
            self.MLP_model = MLP_model

            self.embed_user_GMF = nn.Embedding(user_num, factor_num)
            self.embed_item_GMF = nn.Embedding(item_num, factor_num)
            self.embed_user_MLP = nn.Embedding(
                user_num, factor_num * (2 ** (num_layers - 1)))
            self.embed_item_MLP = nn.Embedding(
                item_num, factor_num * (2 ** (num_layers - 1)))

            MLP_modules = []
            for i in range(num_layers):
                input_size = factor_num * (2 ** (num_layers - i))
                MLP_modules.append(nn.Dropout(p=self.dropout))
                MLP_modules.append(nn.Linear(input_size, input_size // 2))
                MLP_modules.append(nn.ReLU())
            self.MLP_layers = nn.Sequential(*MLP_modules)

            if self.model in ['MLP', 'GMF']:
                predict_size = factor_num
            else:
                predict_size = factor_num * 2
            self.predict_layer = nn.Linear(predict_size, 1)

            self._init_weight_()

        def _init_weight_(self):
            if not self.model == 'NeuMF-pre':
                nn.init.normal_(self.embed_user_GMF.weight, std=0.01)
                nn.init.normal_(self.embed_user_MLP.weight, std=0.01)
                nn.init.normal_(self.embed_item_GMF.weight, std=0.01)
                nn.init.normal_(self.embed_item_MLP.weight, std=0.01)

                for m in self.MLP_layers:
                    if isinstance(m, nn.Linear):
                        nn.init.xavier_uniform_(m.weight)
                nn.init.kaiming_uniform_(self.predict_layer.weight,
                                         a=1, nonlinearity='sigmoid')

                for m in self.modules():
                    if isinstance(m, nn.Linear) and m.bias is not None:
                        m.bias.data.zero_()
            else:
                self.embed_user_GMF.weight.data.copy_(
                    self.GMF_model.embed_user_GMF.weight)
                self.embed_item_GMF.weight.data.copy_(
                    self.GMF_model.embed_item_GMF.weight)
                self.embed_user_MLP.weight.data.copy_(
                    self.MLP_model.embed_user_MLP.weight)
                self.embed_item_MLP.weight.data.copy_(
                    self.MLP_model.embed_item_MLP.weight)

                for (m1, m2) in zip(
                        self.MLP_layers, self.MLP_model.MLP_layers):
                    if isinstance(m1, nn.Linear) and isinstance(m2, nn.Linear):
                        m1.weight.data.copy_(m2.weight)
                        m1.bias.data.copy_(m2.bias)

                predict_weight = torch.cat([
                    self.GMF_model.predict_layer.weight,
                    self.MLP_model.predict_layer.weight], dim=1)
                precit_bias = self.GMF_model.predict_layer.bias + \
                    self.MLP_model.predict_layer.bias

                self.predict_layer.weight.data.copy_(0.5 * predict_weight)
                self.predict_layer.bias.data.copy_(0.5 * precit_bias)

        def forward(self, user, item):
            if not self.model == 'MLP':
                embed_user_GMF = self.embed_user_GMF(user)
                embed_item_GMF = self.embed_item_GMF(item)
                output_GMF = embed_user_GMF * embed_item_GMF
            if not self.model == 'GMF':
                embed_user_MLP = self.embed_user_MLP(user)
                embed_item_MLP = self.embed_item_MLP(item)
                interaction = torch.cat((embed_user_MLP, embed_item_MLP), -1)
                output_MLP = self.MLP_layers(interaction)

            if self.model == 'GMF':
                concat = output_GMF
            elif self.model == 'MLP':
                concat = output_MLP
            else:
                concat = torch.cat((output_GMF, output_MLP), -1)

            prediction = self.predict_layer(concat)
            return prediction.view(-1)

    class NCFData(data.Dataset):
        def __init__(self, features, num_item, train_mat=None, num_ng=0, is_training=None):
            super(NCFData, self).__init__()
            self.features_ps = features
            self.num_item = num_item
            self.train_mat = train_mat
            self.num_ng = num_ng
            self.is_training = is_training
            self.labels = [0 for _ in range(len(features))]

        def ng_sample(self):
            assert self.is_training, 'no need to sampling when testing'
            self.features_ng = []
            for x in self.features_ps:
                u = x[0]
                for t in range(self.num_ng):
                    j = np.random.randint(self.num_item)
                    while (u, j) in self.train_mat:
                        j = np.random.randint(self.num_item)
                    self.features_ng.append([u, j])
            labels_ps = [1 for _ in range(len(self.features_ps))]
            labels_ng = [0 for _ in range(len(self.features_ng))]
            self.features_fill = self.features_ps + self.features_ng
            self.labels_fill = labels_ps + labels_ng

        def __len__(self):
            return (self.num_ng + 1) * len(self.labels)

        def __getitem__(self, idx):
            features = self.features_fill if self.is_training else self.features_ps
            labels = self.labels_fill if self.is_training else self.labels
            user = features[idx][0]
            item = features[idx][1]
            label = labels[idx]
            return user, item, label

    return NCF, NCFData


def _ncf_data(user_num=6, item_num=12, test_num_ng=5, seed=0):
    """load_all() stand-in: a few (user, item) pairs per user, a dict as the dok matrix,
    test rows of one held-out positive then test_num_ng sampled negatives per user."""
    rng = np.random.RandomState(seed)
    train_data, train_mat = [], {}
    for u in range(user_num):
        for i in rng.choice(item_num, 3, replace=False):
            train_data.append([u, int(i)])
            train_mat[u, int(i)] = 1.0
    test_data = []
    for u in range(user_num):
        free = [i for i in range(item_num) if (u, i) not in train_mat]
        picks = rng.choice(free, test_num_ng + 1, replace=False)
        for i in picks:
            test_data.append([u, int(i)])
    return train_data, test_data, user_num, item_num, train_mat


def _hit(gt_item, pred_items):
    if gt_item in pred_items:
        return 1
    return 0


def _ndcg(gt_item, pred_items):
    if gt_item in pred_items:
        index = pred_items.index(gt_item)
        return np.reciprocal(np.log2(index + 2))
    return 0


def _metrics(L, o, model, test_loader, top_k, show=False):
    HR, NDCG = [], []
    for user, item, label in test_loader:
        if show:
            o.print('METRICS: ')
            o.print('user: ', user.shape)
            o.print(user)
            o.print('item: ', item.shape)
            o.print(item)
            o.print('label: ', label.shape)
            o.print(label)
        predictions = model(user, item)
        _, indices = L.topk(predictions, top_k)
        recommends = L.take(item, indices).cpu().numpy().tolist()
        gt_item = item[0].item()
        HR.append(_hit(gt_item, recommends))
        NDCG.append(_ndcg(gt_item, recommends))
    return np.mean(HR), np.mean(NDCG)


def _train_ncf(L, o, model_name, epochs=2, lr=0.01, GMF_model=None, MLP_model=None,
               dropout=0.0, show=False):
    nn, optim, data = L.nn, L.optim, L.utils.data
    NCF, NCFData = _ncf_classes(L)
    train_data, test_data, user_num, item_num, train_mat = _ncf_data()
    train_dataset = NCFData(train_data, item_num, train_mat, 2, True)
    test_dataset = NCFData(test_data, item_num, train_mat, 0, False)
    train_loader = data.DataLoader(train_dataset, batch_size=8, shuffle=True, num_workers=0)
    test_loader = data.DataLoader(test_dataset, batch_size=5 + 1, shuffle=False,
                                  num_workers=0)
    model = NCF(user_num, item_num, 4, 2, dropout, model_name, GMF_model, MLP_model)
    loss_function = nn.BCEWithLogitsLoss()
    if model_name == 'NeuMF-pre':
        optimizer = optim.SGD(model.parameters(), lr=lr)
    else:
        optimizer = optim.Adam(model.parameters(), lr=lr)
    best_hr = 0
    for epoch in range(epochs):
        model.train()
        train_loader.dataset.ng_sample()
        for user, item, label in train_loader:
            label = label.float()
            model.zero_grad()
            prediction = model(user, item)
            loss = loss_function(prediction, label)
            loss.backward()
            optimizer.step()
        o.print("loss {:.4f}".format(loss.item()))
        model.eval()
        HR, NDCG = _metrics(L, o, model, test_loader, 3, show and epoch == 0)
        o.print("HR: {:.3f}\tNDCG: {:.3f}".format(np.mean(HR), np.mean(NDCG)))
        if HR > best_hr:
            best_hr, best_ndcg, best_epoch = HR, NDCG, epoch
    o.print("End. Best epoch {:03d}: HR = {:.3f}, NDCG = {:.3f}".format(
        best_epoch, best_hr, best_ndcg))
    return model


def ncf_gmf_mlp(L):
    """GMF then MLP (dropout 0.2), each trained with Adam; the metrics printout of the first
    evaluation batch (shapes and int64 tensors)."""
    with Out() as o:
        L.manual_seed(0); np.random.seed(0)
        gmf = _train_ncf(L, o, 'GMF', show=True)
        mlp = _train_ncf(L, o, 'MLP', dropout=0.2)
        o.print(gmf)
        o.print(mlp.MLP_layers)
        o.vals += [gmf.predict_layer.weight, mlp.embed_user_MLP.weight,
                   mlp.MLP_layers[1].weight]
    return o.done()


def ncf_neumf(L):
    """NeuMF-end from scratch, then NeuMF-pre built from the two pretrained models (copy_
    into .data, cat of predict weights, 0.5 *) and trained with SGD; models saved and
    loaded whole as main.py does (torch.save(model) / torch.load)."""
    import io
    with Out() as o:
        L.manual_seed(1); np.random.seed(1)
        end = _train_ncf(L, o, 'NeuMF-end', epochs=1)
        gmf = _train_ncf(L, o, 'GMF', epochs=1)
        mlp = _train_ncf(L, o, 'MLP', epochs=1)
        buf = io.BytesIO()
        L.save(mlp.state_dict(), buf)
        buf.seek(0)
        sd = L.load(buf)
        o.print(sorted(sd.keys()))
        pre = _train_ncf(L, o, 'NeuMF-pre', epochs=2, GMF_model=gmf, MLP_model=mlp)
        o.print(pre.predict_layer)
        o.vals += [end.predict_layer.weight, pre.predict_layer.weight,
                   pre.predict_layer.bias, pre.embed_item_GMF.weight]
    return o.done()


def ncf_topk_take(L):
    """evaluate.py's ranking on its own: topk of a score vector with ties, take on a 1-d
    and a 2-d item tensor, and the errors of a too-large k and an out-of-range take."""
    with Out() as o:
        L.manual_seed(0)
        pred = L.tensor([0.5, 0.1, 0.9, 0.5, -0.2, 0.9])
        item = L.tensor([10, 11, 12, 13, 14, 15])
        vals, indices = L.topk(pred, 3)
        o.print(vals, indices)
        o.print(L.take(item, indices))
        o.print(L.take(item.view(2, 3), L.tensor([[0, 5], [4, 1]])))
        o.print(L.topk(pred, 2, largest=False))
        o.print(pred.topk(4, sorted=True).indices.tolist())
        o.tryit(lambda: L.topk(pred, 7))
        o.tryit(lambda: L.take(item, L.tensor([6])))
        o.tryit(lambda: L.take(item, L.tensor([1.0])))
        o.vals += [vals, indices]
    return o.done()
