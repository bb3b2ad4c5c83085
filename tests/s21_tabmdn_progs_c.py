"""dreamquark-ai/tabnet as users type it, the whole model: tab_network.py's TabNetNoEmbeddings,
EmbeddingGenerator (categorical embeddings and the embedding group matrix), TabNet,
RandomObfuscator and TabNetPretraining; utils.py's create_group_matrix and
create_explain_matrix (NumPy in place of scipy.sparse); abstract_model.py's _train_batch (loss
minus lambda_sparse * M_loss, clip_grad_norm_), _predict_batch and explain; pretraining.py's
_train_batch with pretraining_utils' UnsupervisedLoss. Random (16, 6) tables with two
categorical columns instead of a data set. See tests/test_programs_s21_tabmdn.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_tabmdn_progs_b import tabnet_network


def tabnet_model(torch):
    """The model classes on top of the encoder / decoder."""
    N = tabnet_network(torch)
    TabNetEncoder, TabNetDecoder = N["TabNetEncoder"], N["TabNetDecoder"]
    initialize_non_glu, Linear = N["initialize_non_glu"], torch.nn.Linear

    class TabNetNoEmbeddings(torch.nn.Module):
        def __init__(self, input_dim, output_dim, n_d=8, n_a=8, n_steps=3, gamma=1.3,
                     n_independent=2, n_shared=2, epsilon=1e-15, virtual_batch_size=128,
                     momentum=0.02, mask_type="sparsemax", group_attention_matrix=None):
            super(TabNetNoEmbeddings, self).__init__()
            self.input_dim = input_dim
            self.output_dim = output_dim
            self.is_multi_task = isinstance(output_dim, list)
            self.n_d = n_d
            self.n_steps = n_steps
            self.virtual_batch_size = virtual_batch_size
            self.initial_bn = torch.nn.BatchNorm1d(self.input_dim, momentum=0.01)
            self.encoder = TabNetEncoder(
                input_dim=input_dim, output_dim=output_dim, n_d=n_d, n_a=n_a, n_steps=n_steps,
                gamma=gamma, n_independent=n_independent, n_shared=n_shared,
                epsilon=epsilon, virtual_batch_size=virtual_batch_size, momentum=momentum,
                mask_type=mask_type, group_attention_matrix=group_attention_matrix)
            if self.is_multi_task:
                self.multi_task_mappings = torch.nn.ModuleList()
                for task_dim in output_dim:
                    task_mapping = Linear(n_d, task_dim, bias=False)
                    initialize_non_glu(task_mapping, n_d, task_dim)
                    self.multi_task_mappings.append(task_mapping)
            else:
                self.final_mapping = Linear(n_d, output_dim, bias=False)
                initialize_non_glu(self.final_mapping, n_d, output_dim)

        def forward(self, x):
            res = 0
            steps_output, M_loss = self.encoder(x)
            res = torch.sum(torch.stack(steps_output, dim=0), dim=0)
            if self.is_multi_task:
                out = []
                for task_mapping in self.multi_task_mappings:
                    out.append(task_mapping(res))
            else:
                out = self.final_mapping(res)
            return out, M_loss

        def forward_masks(self, x):
            return self.encoder.forward_masks(x)

    class EmbeddingGenerator(torch.nn.Module):
        def __init__(self, input_dim, cat_dims, cat_idxs, cat_emb_dims, group_matrix):
            super(EmbeddingGenerator, self).__init__()
            if cat_dims == [] and cat_idxs == []:
                self.skip_embedding = True
                self.post_embed_dim = input_dim
                self.embedding_group_matrix = group_matrix.to(group_matrix.device)
                return
            else:
                self.skip_embedding = False
            self.post_embed_dim = int(input_dim + np.sum(cat_emb_dims) - len(cat_emb_dims))
            self.embeddings = torch.nn.ModuleList()
            for cat_dim, emb_dim in zip(cat_dims, cat_emb_dims):
                self.embeddings.append(torch.nn.Embedding(cat_dim, emb_dim))
            # record continuous indices
            self.continuous_idx = torch.ones(input_dim, dtype=torch.bool)
            self.continuous_idx[cat_idxs] = 0
            # update group matrix
            n_groups = group_matrix.shape[0]
            self.embedding_group_matrix = torch.empty((n_groups, self.post_embed_dim),
                                                      device=group_matrix.device)
            for group_idx in range(n_groups):
                post_emb_idx = 0
                cat_feat_counter = 0
                for init_feat_idx in range(input_dim):
                    if self.continuous_idx[init_feat_idx] == 1:
                        # this means that no embedding is applied to this column
                        self.embedding_group_matrix[group_idx, post_emb_idx] = \
                            group_matrix[group_idx, init_feat_idx]
                        post_emb_idx += 1
                    else:
                        # this is a categorical feature which creates multiple embeddings
                        n_embeddings = cat_emb_dims[cat_feat_counter]
                        self.embedding_group_matrix[
                            group_idx, post_emb_idx:post_emb_idx + n_embeddings] = \
                            group_matrix[group_idx, init_feat_idx] / n_embeddings
                        post_emb_idx += n_embeddings
                        cat_feat_counter += 1

        def forward(self, x):
            if self.skip_embedding:
                return x
            cols = []
            cat_feat_counter = 0
            for feat_init_idx, is_continuous in enumerate(self.continuous_idx):
                if is_continuous:
                    cols.append(x[:, feat_init_idx].float().view(-1, 1))
                else:
                    cols.append(self.embeddings[cat_feat_counter](x[:, feat_init_idx].long()))
                    cat_feat_counter += 1
            post_embeddings = torch.cat(cols, dim=1)
            return post_embeddings

    class TabNet(torch.nn.Module):
        def __init__(self, input_dim, output_dim, n_d=8, n_a=8, n_steps=3, gamma=1.3,
                     cat_idxs=[], cat_dims=[], cat_emb_dim=1, n_independent=2, n_shared=2,
                     epsilon=1e-15, virtual_batch_size=128, momentum=0.02,
                     mask_type="sparsemax", group_attention_matrix=[]):
            super(TabNet, self).__init__()
            self.cat_idxs = cat_idxs or []
            self.cat_dims = cat_dims or []
            self.cat_emb_dim = cat_emb_dim
            self.input_dim = input_dim
            self.output_dim = output_dim
            if n_steps <= 0:
                raise ValueError("n_steps should be a positive integer.")
            if n_independent == 0 and n_shared == 0:
                raise ValueError("n_shared and n_independent can't be both zero.")
            self.virtual_batch_size = virtual_batch_size
            self.embedder = EmbeddingGenerator(input_dim, cat_dims, cat_idxs, cat_emb_dim,
                                               group_attention_matrix)
            self.post_embed_dim = self.embedder.post_embed_dim
            self.tabnet = TabNetNoEmbeddings(
                self.post_embed_dim, output_dim, n_d, n_a, n_steps, gamma, n_independent,
                n_shared, epsilon, virtual_batch_size, momentum, mask_type,
                self.embedder.embedding_group_matrix)

        def forward(self, x):
            x = self.embedder(x)
            return self.tabnet(x)

        def forward_masks(self, x):
            x = self.embedder(x)
            return self.tabnet.forward_masks(x)

    class RandomObfuscator(torch.nn.Module):
        def __init__(self, pretraining_ratio, group_matrix):
            super(RandomObfuscator, self).__init__()
            self.pretraining_ratio = pretraining_ratio
            # group matrix is set to boolean here to pass all posssible information
            self.group_matrix = (group_matrix > 0) + 0.
            self.num_groups = group_matrix.shape[0]

        def forward(self, x):
            bs = x.shape[0]
            obfuscated_groups = torch.bernoulli(
                self.pretraining_ratio * torch.ones((bs, self.num_groups), device=x.device))
            obfuscated_vars = torch.matmul(obfuscated_groups, self.group_matrix)
            masked_input = torch.mul(1 - obfuscated_vars, x)
            return masked_input, obfuscated_groups, obfuscated_vars

    class TabNetPretraining(torch.nn.Module):
        def __init__(self, input_dim, pretraining_ratio=0.2, n_d=8, n_a=8, n_steps=3,
                     gamma=1.3, cat_idxs=[], cat_dims=[], cat_emb_dim=1, n_independent=2,
                     n_shared=2, epsilon=1e-15, virtual_batch_size=128, momentum=0.02,
                     mask_type="sparsemax", n_shared_decoder=1, n_indep_decoder=1,
                     group_attention_matrix=None):
            super(TabNetPretraining, self).__init__()
            self.pretraining_ratio = pretraining_ratio
            self.embedder = EmbeddingGenerator(input_dim, cat_dims, cat_idxs, cat_emb_dim,
                                               group_attention_matrix)
            self.post_embed_dim = self.embedder.post_embed_dim
            self.masker = RandomObfuscator(self.pretraining_ratio,
                                           group_matrix=self.embedder.embedding_group_matrix)
            self.encoder = TabNetEncoder(
                input_dim=self.post_embed_dim, output_dim=self.post_embed_dim, n_d=n_d,
                n_a=n_a, n_steps=n_steps, gamma=gamma, n_independent=n_independent,
                n_shared=n_shared, epsilon=epsilon, virtual_batch_size=virtual_batch_size,
                momentum=momentum, mask_type=mask_type,
                group_attention_matrix=self.embedder.embedding_group_matrix)
            self.decoder = TabNetDecoder(
                self.post_embed_dim, n_d=n_d, n_steps=n_steps,
                n_independent=n_indep_decoder, n_shared=n_shared_decoder,
                virtual_batch_size=virtual_batch_size, momentum=momentum)

        def forward(self, x):
            embedded_x = self.embedder(x)
            if self.training:
                masked_x, obfuscated_groups, obfuscated_vars = self.masker(embedded_x)
                # set prior of encoder with obfuscated groups
                prior = 1 - obfuscated_groups
                steps_out, _ = self.encoder(masked_x, prior=prior)
                res = self.decoder(steps_out)
                return res, embedded_x, obfuscated_vars
            else:
                steps_out, _ = self.encoder(embedded_x)
                res = self.decoder(steps_out)
                return res, embedded_x, torch.ones(embedded_x.shape).to(x.device)

    def create_group_matrix(list_groups, input_dim):
        if len(list_groups) == 0:
            group_matrix = torch.eye(input_dim)
            return group_matrix
        else:
            n_groups = input_dim - int(np.sum([len(gp) - 1 for gp in list_groups]))
            group_matrix = torch.zeros((n_groups, input_dim))
            remaining_features = [feat_idx for feat_idx in range(input_dim)]
            current_group_idx = 0
            for group in list_groups:
                group_size = len(group)
                for elem_idx in group:
                    group_matrix[current_group_idx, elem_idx] = 1 / group_size
                    remaining_features.remove(elem_idx)
                current_group_idx += 1
            for remaining_feat_idx in remaining_features:
                group_matrix[current_group_idx, remaining_feat_idx] = 1
                current_group_idx += 1
            return group_matrix

    def UnsupervisedLoss(y_pred, embedded_x, obf_vars, eps=1e-9):
        errors = y_pred - embedded_x
        reconstruction_errors = torch.mul(errors, obf_vars) ** 2
        batch_means = torch.mean(embedded_x, dim=0)
        batch_means[batch_means == 0] = 1
        batch_stds = torch.std(embedded_x, dim=0) ** 2
        batch_stds[batch_stds == 0] = batch_means[batch_stds == 0]
        features_loss = torch.matmul(reconstruction_errors, 1 / batch_stds)
        # compute the number of obfuscated variables to reconstruct
        nb_reconstructed_variables = torch.sum(obf_vars, dim=1)
        # take the mean of the reconstructed variable errors
        features_loss = features_loss / (nb_reconstructed_variables + eps)
        # here we take the mean per batch, contrary to the paper
        loss = torch.mean(features_loss)
        return loss

    return dict(TabNet=TabNet, TabNetPretraining=TabNetPretraining,
                create_group_matrix=create_group_matrix, UnsupervisedLoss=UnsupervisedLoss)


def create_explain_matrix(input_dim, cat_emb_dim, cat_idxs, post_embed_dim):
    """utils.py's create_explain_matrix (plain NumPy instead of scipy.sparse.csc_matrix)."""
    if isinstance(cat_emb_dim, int):
        all_emb_impact = [cat_emb_dim - 1] * len(cat_idxs)
    else:
        all_emb_impact = [emb_dim - 1 for emb_dim in cat_emb_dim]
    acc_emb = 0
    nb_emb = 0
    indices_trick = []
    for i in range(input_dim):
        if i not in cat_idxs:
            indices_trick.append([i + acc_emb])
        else:
            indices_trick.append(range(i + acc_emb, i + acc_emb + all_emb_impact[nb_emb] + 1))
            acc_emb += all_emb_impact[nb_emb]
            nb_emb += 1
    reducing_matrix = np.zeros((post_embed_dim, input_dim))
    for i, cols in enumerate(indices_trick):
        reducing_matrix[cols, i] = 1
    return reducing_matrix


def _table(rng, n=16):
    """6 columns: 4 continuous, categorical columns 1 (3 levels) and 4 (4 levels)."""
    X = rng.randn(n, 6).astype(np.float32)
    X[:, 1] = rng.randint(0, 3, n)
    X[:, 4] = rng.randint(0, 4, n)
    y = (X[:, 0] + (X[:, 1] == 2) > 0.3).astype(np.int64)
    return X, y


def tabnet_classifier(torch):
    """TabNetClassifier.fit's loop as abstract_model.py runs it: _train_batch with the sparsity
    regulariser and clip_grad_norm_, then _predict_batch (softmax) and explain()."""
    M = tabnet_model(torch)
    torch.manual_seed(0)
    rng = np.random.RandomState(2)
    X_np, y_np = _table(rng)
    cat_idxs, cat_dims, cat_emb_dim = [1, 4], [3, 4], [2, 3]
    with Out() as o:
        group_matrix = M["create_group_matrix"]([[0, 2]], 6)
        o.print(group_matrix)
        o.tryit(lambda: M["TabNet"](6, 2, n_steps=0, group_attention_matrix=group_matrix))
        network = M["TabNet"](6, 2, n_d=4, n_a=4, n_steps=2, gamma=1.5, cat_idxs=cat_idxs,
                              cat_dims=cat_dims, cat_emb_dim=cat_emb_dim, n_independent=1,
                              n_shared=1, virtual_batch_size=8, momentum=0.02,
                              group_attention_matrix=group_matrix)
        o.print(network.post_embed_dim, tuple(network.embedder.embedding_group_matrix.shape))
        o.print(network.embedder.embedding_group_matrix)
        o.print(network.embedder.continuous_idx)
        optimizer = torch.optim.Adam(network.parameters(), lr=2e-2)
        loss_fn = torch.nn.functional.cross_entropy
        lambda_sparse, clip_value = 1e-3, 1.0
        X, y = torch.from_numpy(X_np), torch.from_numpy(y_np)
        for epoch in range(3):
            network.train()
            X_b = X.to("cpu").float()
            y_b = y.to("cpu").long()
            for param in network.parameters():
                param.grad = None
            output, M_loss = network(X_b)
            loss = loss_fn(output, y_b)
            # Add the overall sparsity loss
            loss = loss - lambda_sparse * M_loss
            loss.backward()
            if clip_value:
                norm = torch.nn.utils.clip_grad_norm_(network.parameters(), clip_value)
            optimizer.step()
            batch_logs = {"batch_size": X_b.shape[0],
                          "loss": loss.cpu().detach().numpy().item()}
            o.print(f"epoch {epoch} | loss: {batch_logs['loss']:.4f} | M_loss {M_loss.item():.4f}"
                    f" | norm {norm.item():.3f}")
            if epoch == 0:
                o.vals += [output, M_loss]
        network.eval()
        with torch.no_grad():
            output, M_loss = network(X.float())
            predictions = torch.nn.Softmax(dim=1)(output).cpu().detach().numpy()
        o.print(predictions.dtype, predictions.shape, np.round(predictions.sum(1)[:3], 4).tolist())
        o.print(np.argmax(predictions, axis=1).round(2).tolist())
        # explain
        reducing_matrix = create_explain_matrix(6, cat_emb_dim, cat_idxs,
                                                network.post_embed_dim)
        o.print(reducing_matrix.astype(int).tolist())
        M_explain, masks = network.forward_masks(X.float())
        for key, value in masks.items():
            masks[key] = np.dot(value.cpu().detach().numpy(), reducing_matrix)
            o.print(key, masks[key].shape, np.round(masks[key].sum(1)[:4], 3).tolist())
        res_explain = np.dot(M_explain.cpu().detach().numpy(), reducing_matrix)
        o.print(type(res_explain).__name__, res_explain.dtype, res_explain.shape)
        feature_importances_ = res_explain.sum(axis=0)
        o.print(np.round(feature_importances_ / np.sum(feature_importances_), 2).tolist())
    return o.done()


def tabnet_pretrainer(torch):
    """TabNetPretrainer: pretraining.py's _train_batch with UnsupervisedLoss, then eval."""
    M = tabnet_model(torch)
    torch.manual_seed(1)
    rng = np.random.RandomState(3)
    X_np, _ = _table(rng)
    with Out() as o:
        group_matrix = M["create_group_matrix"]([], 6)
        network = M["TabNetPretraining"](6, pretraining_ratio=0.5, n_d=4, n_a=4, n_steps=2,
                                         cat_idxs=[1, 4], cat_dims=[3, 4], cat_emb_dim=[2, 2],
                                         n_independent=1, n_shared=1, virtual_batch_size=8,
                                         group_attention_matrix=group_matrix)
        o.print(network.masker.group_matrix.dtype, network.masker.num_groups)
        optimizer = torch.optim.Adam(network.parameters(), lr=1e-2)
        X = torch.from_numpy(X_np)
        for epoch in range(3):
            network.train()
            for param in network.parameters():
                param.grad = None
            output, embedded_x, obf_vars = network(X.float())
            loss = M["UnsupervisedLoss"](output, embedded_x, obf_vars)
            loss.backward()
            optimizer.step()
            o.print(f"epoch {epoch} | loss {loss.item():.4f} | obf {int(obf_vars.sum())}",
                    tuple(output.shape), tuple(embedded_x.shape), obf_vars.dtype)
            if epoch == 0:
                o.vals += [output, obf_vars]
        network.eval()
        with torch.no_grad():
            output, embedded_x, ones = network(X.float())
            o.print(ones.dtype, tuple(ones.shape),
                    f"{M['UnsupervisedLoss'](output, embedded_x, ones).item():.3f}")
        # UnsupervisedLoss on a batch with a constant column (batch_stds == 0 branch)
        e = torch.from_numpy(rng.randn(5, 3).astype(np.float32))
        e[:, 1] = 2.0
        e[:, 2] = 0.0
        pred = torch.from_numpy(rng.randn(5, 3).astype(np.float32))
        obf = torch.bernoulli(torch.full((5, 3), 0.5))
        loss = M["UnsupervisedLoss"](pred, e, obf)
        o.print(f"{loss.item():.5f}", obf.tolist())
        o.vals.append(loss)
    return o.done()
