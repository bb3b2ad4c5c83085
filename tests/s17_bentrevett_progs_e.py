"""bentrevett/pytorch-sentiment-analysis, current notebooks (1_nbow, 2_lstm with unsorted
lengths, 3_cnn) and the experimental EmbeddingBag NBoW, as users type them, on random
token-id lists collated with pad_sequence through a DataLoader, as ``prog(L) -> (printed,
values)``."""

import io

import numpy as np
from s16_yunjey_progs import Out
from s17_bentrevett_progs import PAD, SEED, count_parameters


def get_accuracy(prediction, label):
    batch_size, _ = prediction.shape
    predicted_classes = prediction.argmax(dim=-1)
    correct_predictions = predicted_classes.eq(label).sum()
    accuracy = correct_predictions / batch_size
    return accuracy


def dataset(rng, n, vocab, min_length=1):
    out = []
    for _ in range(n):
        ids = rng.integers(2, vocab, int(rng.integers(2, 7))).tolist()
        ids += [PAD] * (min_length - len(ids))
        out.append({'ids': ids, 'length': len(ids), 'label': int(rng.integers(0, 2))})
    return out


def get_data_loader(L, data, batch_size, pad_index, shuffle=False):
    nn = L.nn

    def collate_fn(batch):
        batch_ids = [L.tensor(i['ids']) for i in batch]
        batch_ids = nn.utils.rnn.pad_sequence(batch_ids, padding_value=pad_index,
                                              batch_first=True)
        batch_length = L.stack([L.tensor(i['length']) for i in batch])
        batch_label = L.stack([L.tensor(i['label']) for i in batch])
        return {'ids': batch_ids, 'length': batch_length, 'label': batch_label}

    return L.utils.data.DataLoader(dataset=data, batch_size=batch_size,
                                   collate_fn=collate_fn, shuffle=shuffle)


def train(L, o, data_loader, model, criterion, optimizer, use_length):
    model.train()
    epoch_losses, epoch_accs = [], []
    for batch in data_loader:
        ids, label = batch['ids'], batch['label']
        prediction = model(ids, batch['length']) if use_length else model(ids)
        loss = criterion(prediction, label)
        accuracy = get_accuracy(prediction, label)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        epoch_losses.append(loss.item())
        epoch_accs.append(accuracy.item())
        o.vals += [prediction, accuracy]
    return np.mean(epoch_losses), np.mean(epoch_accs)


def predict_sentiment(L, ids, model, use_length):
    tensor = L.LongTensor(ids).unsqueeze(dim=0)
    length = L.LongTensor([len(ids)])
    prediction = (model(tensor, length) if use_length else model(tensor)).squeeze(dim=0)
    probability = L.softmax(prediction, dim=-1)
    predicted_class = prediction.argmax(dim=-1).item()
    predicted_probability = probability[predicted_class].item()
    return predicted_class, predicted_probability


def current_notebooks(L):
    nn = L.nn

    class NBoW(nn.Module):
        def __init__(self, vocab_size, embedding_dim, output_dim, pad_index):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
            self.fc = nn.Linear(embedding_dim, output_dim)

        def forward(self, ids):
            embedded = self.embedding(ids)
            pooled = embedded.mean(dim=1)
            prediction = self.fc(pooled)
            return prediction

    class LSTM(nn.Module):
        def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim, n_layers,
                     bidirectional, dropout_rate, pad_index):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
            self.lstm = nn.LSTM(embedding_dim, hidden_dim, n_layers,
                                bidirectional=bidirectional, dropout=dropout_rate,
                                batch_first=True)
            self.fc = nn.Linear(hidden_dim * 2 if bidirectional else hidden_dim, output_dim)
            self.dropout = nn.Dropout(dropout_rate)

        def forward(self, ids, length):
            embedded = self.dropout(self.embedding(ids))
            packed_embedded = nn.utils.rnn.pack_padded_sequence(
                embedded, length, batch_first=True, enforce_sorted=False)
            packed_output, (hidden, cell) = self.lstm(packed_embedded)
            output, output_length = nn.utils.rnn.pad_packed_sequence(packed_output)
            if self.lstm.bidirectional:
                hidden = self.dropout(L.cat([hidden[-1], hidden[-2]], dim=-1))
            else:
                hidden = self.dropout(hidden[-1])
            prediction = self.fc(hidden)
            return prediction

    class CNN(nn.Module):
        def __init__(self, vocab_size, embedding_dim, n_filters, filter_sizes, output_dim,
                     dropout_rate, pad_index):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_index)
            self.convs = nn.ModuleList([nn.Conv1d(embedding_dim, n_filters, filter_size)
                                        for filter_size in filter_sizes])
            self.fc = nn.Linear(len(filter_sizes) * n_filters, output_dim)
            self.dropout = nn.Dropout(dropout_rate)

        def forward(self, ids):
            embedded = self.dropout(self.embedding(ids))
            embedded = embedded.permute(0, 2, 1)
            conved = [L.relu(conv(embedded)) for conv in self.convs]
            pooled = [conv.max(dim=-1).values for conv in conved]
            cat = self.dropout(L.cat(pooled, dim=-1))
            prediction = self.fc(cat)
            return prediction

    def initialize_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.xavier_normal_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LSTM):
            for name, param in m.named_parameters():
                if "bias" in name:
                    nn.init.zeros_(param)
                elif "weight" in name:
                    nn.init.orthogonal_(param)
        elif isinstance(m, nn.Conv1d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)

    with Out() as o:
        L.manual_seed(SEED)
        rng = np.random.default_rng(9)
        makers = [(NBoW(30, 6, 2, PAD), False, 1, None),
                  (LSTM(30, 6, 5, 2, 2, True, 0.5, PAD), True, 1, initialize_weights),
                  (CNN(30, 6, 4, [2, 3, 4], 2, 0.25, PAD), False, 4, initialize_weights)]
        for model, use_length, min_length, init in makers:
            o.print(model)
            o.print(f"The model has {count_parameters(model):,} trainable parameters")
            if init is not None:
                model.apply(init)
            pretrained_embedding = L.randn(30, 6)
            model.embedding.weight.data = pretrained_embedding
            optimizer = L.optim.Adam(model.parameters())
            criterion = nn.CrossEntropyLoss()
            train_data = dataset(rng, 8, 30, min_length)
            train_data_loader = get_data_loader(L, train_data, 3, PAD, shuffle=True)
            o.print(next(iter(get_data_loader(L, train_data, 3, PAD))))
            best_valid_loss = float("inf")
            for epoch in range(2):
                train_loss, train_acc = train(L, o, train_data_loader, model, criterion,
                                              optimizer, use_length)
                o.print(f"epoch: {epoch}")
                o.print(f"train_loss: {train_loss:.4f}, train_acc: {train_acc:.4f}")
                if train_loss < best_valid_loss:
                    best_valid_loss = train_loss
                    buf = io.BytesIO()
                    L.save(model.state_dict(), buf)
            buf.seek(0)
            o.print(model.load_state_dict(L.load(buf)))
            model.eval()
            with L.no_grad():
                cls, prob = predict_sentiment(L, [4, 9, 13, 5], model, use_length)
            o.print(cls, f"{prob:.4f}")
            o.vals += [prob] + list(model.parameters())
        o.tryit(lambda: predict_sentiment(L, [4, 9], model, False))
    return o.done()


def embedding_bag(L):
    """experimental a_nbow-bag: NBoW over nn.EmbeddingBag with offsets."""
    nn = L.nn

    class NBoW(nn.Module):
        def __init__(self, vocab_size, embedding_dim, output_dim):
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embedding_dim, mode='mean')
            self.fc = nn.Linear(embedding_dim, output_dim)

        def forward(self, ids, offsets):
            embedded = self.embedding(ids, offsets)
            return self.fc(embedded)

    with Out() as o:
        L.manual_seed(SEED)
        rng = np.random.default_rng(10)
        model = NBoW(30, 6, 2)
        o.print(model, f"The model has {count_parameters(model):,} trainable parameters")
        optimizer = L.optim.Adam(model.parameters())
        criterion = nn.CrossEntropyLoss()

        def collate(batch):
            ids = [L.tensor(b['ids']) for b in batch]
            offsets = L.tensor([0] + [len(i) for i in ids[:-1]]).cumsum(dim=0)
            return L.cat(ids), offsets, L.tensor([b['label'] for b in batch])

        loader = L.utils.data.DataLoader(dataset(rng, 8, 30), batch_size=4, collate_fn=collate)
        for epoch in range(2):
            for ids, offsets, label in loader:
                prediction = model(ids, offsets)
                loss = criterion(prediction, label)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                o.print(f"loss {loss.item():.4f} acc {get_accuracy(prediction, label).item()}")
                o.vals += [prediction] + list(model.parameters())
        o.print(offsets, offsets.dtype)
        o.tryit(lambda: model(ids, L.tensor([1, 2])))
        o.tryit(lambda: model(ids.view(2, -1)[:, :2], L.tensor([0])))
    return o.done()
