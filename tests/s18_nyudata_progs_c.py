"""Atcold/NYU-DLSP20 15-transformer.ipynb (multi-head attention sanity checks, the encoder
with sinusoidal position embeddings, the classifier trained with AdamW) and
12-regularization.ipynb as users type the code cells, on random token ids instead of
torchtext's IMDB, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s18_nyudata.py."""

import numpy as np
from s16_yunjey_progs import Out


def transformer(L):
    torch, nn, f = L, L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(0)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        nn_Softargmax = nn.Softmax

        class MultiHeadAttention(nn.Module):
            def __init__(self, d_model, num_heads, p, d_input=None):
                super().__init__()
                self.num_heads = num_heads
                self.d_model = d_model
                if d_input is None:
                    d_xq = d_xk = d_xv = d_model
                else:
                    d_xq, d_xk, d_xv = d_input
                assert d_model % self.num_heads == 0
                self.d_k = d_model // self.num_heads
                self.W_q = nn.Linear(d_xq, d_model, bias=False)
                self.W_k = nn.Linear(d_xk, d_model, bias=False)
                self.W_v = nn.Linear(d_xv, d_model, bias=False)
                self.W_h = nn.Linear(d_model, d_model)

            def scaled_dot_product_attention(self, Q, K, V):
                batch_size = Q.size(0)
                k_length = K.size(-2)
                Q = Q / np.sqrt(self.d_k)
                scores = torch.matmul(Q, K.transpose(2, 3))
                A = nn_Softargmax(dim=-1)(scores)
                H = torch.matmul(A, V)
                return H, A

            def split_heads(self, x, batch_size):
                return x.view(batch_size, -1, self.num_heads, self.d_k).transpose(1, 2)

            def group_heads(self, x, batch_size):
                return x.transpose(1, 2).contiguous().view(batch_size, -1, self.num_heads * self.d_k)

            def forward(self, X_q, X_k, X_v):
                batch_size, seq_length, dim = X_q.size()
                Q = self.split_heads(self.W_q(X_q), batch_size)
                K = self.split_heads(self.W_k(X_k), batch_size)
                V = self.split_heads(self.W_v(X_v), batch_size)
                H_cat, A = self.scaled_dot_product_attention(Q, K, V)
                H_cat = self.group_heads(H_cat, batch_size)
                H = self.W_h(H_cat)
                return H, A

        temp_mha = MultiHeadAttention(d_model=512, num_heads=8, p=0)

        def print_out(Q, K, V):
            temp_out, temp_attn = temp_mha.scaled_dot_product_attention(Q, K, V)
            o.print('Attention weights are:', temp_attn.squeeze())
            o.print('Output is:', temp_out.squeeze())
            o.vals.extend([temp_attn, temp_out])

        test_K = torch.tensor(
            [[10, 0, 0],
             [0, 10, 0],
             [0, 0, 10],
             [0, 0, 10]]
        ).float()[None, None]
        test_V = torch.tensor(
            [[1, 0, 0],
             [10, 0, 0],
             [100, 5, 0],
             [1000, 6, 0]]
        ).float()[None, None]
        test_Q = torch.tensor(
            [[0, 10, 0]]
        ).float()[None, None]
        print_out(test_Q, test_K, test_V)
        test_Q = torch.tensor([[0, 0, 10]]).float()
        o.tryit(lambda: print_out(test_Q, test_K, test_V))  # a 2-d Q broadcasts in matmul
        test_Q = torch.tensor(
            [[0, 0, 10], [0, 10, 0], [10, 10, 0]]
        ).float()[None, None]
        print_out(test_Q, test_K, test_V)

        class CNN(nn.Module):
            def __init__(self, d_model, hidden_dim, p):
                super().__init__()
                self.k1convL1 = nn.Linear(d_model, hidden_dim)
                self.k1convL2 = nn.Linear(hidden_dim, d_model)
                self.activation = nn.ReLU()

            def forward(self, x):
                x = self.k1convL1(x)
                x = self.activation(x)
                x = self.k1convL2(x)
                return x

        class EncoderLayer(nn.Module):
            def __init__(self, d_model, num_heads, conv_hidden_dim, p=0.1):
                super().__init__()
                self.mha = MultiHeadAttention(d_model, num_heads, p)
                self.cnn = CNN(d_model, conv_hidden_dim, p)
                self.layernorm1 = nn.LayerNorm(normalized_shape=d_model, eps=1e-6)
                self.layernorm2 = nn.LayerNorm(normalized_shape=d_model, eps=1e-6)

            def forward(self, x):
                attn_output, _ = self.mha(x, x, x)
                out1 = self.layernorm1(x + attn_output)
                cnn_output = self.cnn(out1)
                out2 = self.layernorm2(out1 + cnn_output)
                return out2

        fixed = []

        def create_sinusoidal_embeddings(nb_p, dim, E):
            theta = np.array([
                [p / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)]
                for p in range(nb_p)
            ])
            if fixed:  # the user's fix after the error below: write under no_grad
                with torch.no_grad():
                    E[:, 0::2] = torch.FloatTensor(np.sin(theta[:, 0::2]))
                    E[:, 1::2] = torch.FloatTensor(np.cos(theta[:, 1::2]))
            else:
                E[:, 0::2] = torch.FloatTensor(np.sin(theta[:, 0::2]))
                E[:, 1::2] = torch.FloatTensor(np.cos(theta[:, 1::2]))
            E.detach_()
            E.requires_grad = False
            E = E.to(device)

        class Embeddings(nn.Module):
            def __init__(self, d_model, vocab_size, max_position_embeddings, p):
                super().__init__()
                self.word_embeddings = nn.Embedding(vocab_size, d_model, padding_idx=1)
                self.position_embeddings = nn.Embedding(max_position_embeddings, d_model)
                create_sinusoidal_embeddings(
                    nb_p=max_position_embeddings,
                    dim=d_model,
                    E=self.position_embeddings.weight
                )
                self.LayerNorm = nn.LayerNorm(d_model, eps=1e-12)

            def forward(self, input_ids):
                seq_length = input_ids.size(1)
                position_ids = torch.arange(seq_length, dtype=torch.long, device=input_ids.device)
                position_ids = position_ids.unsqueeze(0).expand_as(input_ids)
                word_embeddings = self.word_embeddings(input_ids)
                position_embeddings = self.position_embeddings(position_ids)
                embeddings = word_embeddings + position_embeddings
                embeddings = self.LayerNorm(embeddings)
                return embeddings

        class Encoder(nn.Module):
            def __init__(self, num_layers, d_model, num_heads, ff_hidden_dim, input_vocab_size,
                         maximum_position_encoding, p=0.1):
                super().__init__()
                self.d_model = d_model
                self.num_layers = num_layers
                self.embedding = Embeddings(d_model, input_vocab_size, maximum_position_encoding, p)
                self.enc_layers = nn.ModuleList()
                for _ in range(num_layers):
                    self.enc_layers.append(EncoderLayer(d_model, num_heads, ff_hidden_dim, p))

            def forward(self, x):
                x = self.embedding(x)
                for i in range(self.num_layers):
                    x = self.enc_layers[i](x)
                return x

        class TransformerClassifier(nn.Module):
            def __init__(self, num_layers, d_model, num_heads, conv_hidden_dim, input_vocab_size, num_answers):
                super().__init__()
                self.encoder = Encoder(num_layers, d_model, num_heads, conv_hidden_dim, input_vocab_size,
                                       maximum_position_encoding=64)
                self.dense = nn.Linear(d_model, num_answers)

            def forward(self, x):
                x = self.encoder(x)
                x, _ = torch.max(x, dim=1)
                x = self.dense(x)
                return x

        def make_model():
            return TransformerClassifier(num_layers=2, d_model=8, num_heads=2,
                                         conv_hidden_dim=16, input_vocab_size=52, num_answers=2)
        o.tryit(make_model)
        fixed.append(True)
        model = make_model()
        o.tryit(lambda: model.to(device))
        o.print(model.encoder.embedding.position_embeddings.weight.requires_grad,
                type(model.encoder.embedding.position_embeddings.weight).__name__)
        def loader(n_batches, seed):
            r = np.random.default_rng(seed)
            return [(torch.from_numpy(r.integers(0, 52, (6, 12))), torch.from_numpy(r.integers(0, 2, 6)))
                    for _ in range(n_batches)]
        train_loader, valid_loader, test_loader = loader(4, 1), loader(3, 2), loader(3, 3)
        optimizer = torch.optim.AdamW(model.parameters(), lr=0.001)
        epochs = 2

        def train(train_loader, valid_loader):
            for epoch in range(epochs):
                train_iterator, valid_iterator = iter(train_loader), iter(valid_loader)
                train_acc = 0
                model.train()
                losses = 0.0
                for idx, (x, y) in enumerate(train_iterator):
                    x = x.to(device)
                    y = y.to(device)
                    out = model(x)
                    loss = f.cross_entropy(out, y)
                    model.zero_grad()
                    loss.backward()
                    losses += loss.item()
                    optimizer.step()
                    train_acc += (out.argmax(1) == y).cpu().numpy().mean()
                o.print(f"Training loss at epoch {epoch} is {losses/idx:.4f}")
                o.print(f"Training accuracy: {train_acc/idx}")
                o.print('Evaluating on validation:')
                evaluate(valid_loader)

        def evaluate(data_loader):
            data_iterator = iter(data_loader)
            model.eval()
            acc = 0
            for idx, (x, y) in enumerate(data_iterator):
                x = x.to(device)
                y = y.to(device)
                out = model(x)
                acc += (out.argmax(1) == y).cpu().numpy().mean()
            o.print(f"Eval accuracy: {acc/idx}")
            o.vals.append(out)

        train(train_loader, valid_loader)
        evaluate(test_loader)
        o.vals += list(model.parameters())
    return o.done()


def regularization(L):
    """12-regularization.ipynb: the embedding + feed-forward sentiment classifier (BCELoss on
    a sigmoid) with its three toggles: L1 on fc1's parameters (torch.norm(..., 1)), L2 as
    Adam's weight_decay, and dropout, typed first as the notebook's comment has it,
    ``torch.dropout(out, 0.8)`` (PyTorch's parser wants ``train``), then with it. Random
    token ids instead of torchtext's IMDB, the FixBatchGenerator over plain batches."""
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(1337)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(1337)
        max_len, num_words, batch_size = 12, 50, 8
        rng = np.random.default_rng(1337)

        def batches(n):
            return [(torch.from_numpy(rng.integers(0, num_words + 2, (batch_size, max_len))),
                     torch.from_numpy(rng.integers(0, 2, batch_size)).float()) for _ in range(n)]

        class FixBatchGenerator:
            def __init__(self, dl, x_field, y_field):
                self.dl, self.x_field, self.y_field = dl, x_field, y_field

            def __len__(self):
                return len(self.dl)

            def __iter__(self):
                for batch in self.dl:
                    X = batch[self.x_field]
                    y = batch[self.y_field]
                    yield (X, y)
        train_loader, valid_loader = FixBatchGenerator(batches(6), 0, 1), FixBatchGenerator(batches(2), 0, 1)
        o.print(next(train_loader.__iter__())[0])
        o.print(next(train_loader.__iter__())[1])
        toggles = {}

        class FeedforwardNeuralNetModel(nn.Module):
            def __init__(self, input_dim, embedding_dim, hidden_dim, output_dim):
                super(FeedforwardNeuralNetModel, self).__init__()
                self.embedding = nn.Embedding(input_dim, embedding_dim)
                self.fc1 = nn.Linear(embedding_dim * embedding_dim, hidden_dim)
                self.fc2 = nn.Linear(hidden_dim, output_dim)

            def forward(self, x):
                embedded = self.embedding(x)
                embedded = embedded.view(-1, embedding_dim * embedding_dim)
                out = self.fc1(embedded)
                out = torch.relu(out)
                if toggles.get("dropout") == "as commented":
                    out = torch.dropout(out, 0.8)
                elif toggles.get("dropout"):
                    out = torch.dropout(out, 0.8, self.training)
                out = self.fc2(out)
                out = torch.sigmoid(out)
                return out

        input_dim = num_words + 2
        embedding_dim = max_len
        hidden_dim = 32
        output_dim = 1
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        for toggle in ("none", "l1", "l2", "dropout as commented", "dropout"):
            toggles.clear()
            if toggle.startswith("dropout"):
                toggles["dropout"] = "as commented" if toggle.endswith("commented") else True
            model = FeedforwardNeuralNetModel(input_dim, embedding_dim, hidden_dim, output_dim)
            model.to(device)
            criterion = nn.BCELoss()
            wd = 0.005 if toggle == "l2" else 0
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=wd)
            o.print('Number of groups of parameters {}'.format(len(list(model.parameters()))))
            for i in range(len(list(model.parameters()))):
                o.print(list(model.parameters())[i].size())
            iter = 0
            history_val_loss, history_val_acc, history_train_loss = [], [], []
            best_accuracy = 0

            def train():
                nonlocal iter, best_accuracy
                for epoch in range(2):
                    for i, (samples, labels) in enumerate(train_loader):
                        model.train()
                        samples = samples.view(-1, max_len).to(device)
                        labels = labels.view(-1, 1).to(device)
                        optimizer.zero_grad()
                        outputs = model(samples)
                        loss = criterion(outputs, labels)
                        if toggle == "l1":
                            fc1_params = torch.cat([x.view(-1) for x in model.fc1.parameters()])
                            loss += 0.001 * torch.norm(fc1_params, 1)
                        loss.backward()
                        optimizer.step()
                        iter += 1
                        if iter % 4 == 0:
                            train_loss = loss.data.item()
                            model.eval()
                            correct = 0
                            total = 0
                            for samples, labels in valid_loader:
                                samples = samples.view(-1, max_len).to(device)
                                labels = labels.view(-1).to(device)
                                outputs = model(samples)
                                val_loss = criterion(outputs.view(-1, 1), labels.view(-1, 1))
                                predicted = outputs.ge(0.5).view(-1)
                                total += labels.size(0)
                                correct += (predicted.type(torch.FloatTensor).cpu() == labels.type(torch.FloatTensor)).sum().item()
                            accuracy = 100. * correct / total
                            o.print('Iter: {} | Train Loss: {:.4f} | Val Loss: {:.4f} | Val Accuracy: {}'.format(
                                iter, train_loss, val_loss.item(), round(accuracy, 2)))
                            history_val_loss.append(val_loss.data.item())
                            history_val_acc.append(round(accuracy, 2))
                            history_train_loss.append(train_loss)
                            if accuracy > best_accuracy:
                                best_accuracy = accuracy
            o.tryit(train)
            o.vals += list(model.parameters()) + [np.array(history_val_loss)]
    return o.done()
