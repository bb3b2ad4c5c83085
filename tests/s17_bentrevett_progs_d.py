"""bentrevett/pytorch-sentiment-analysis (legacy 1-5: simple RNN, bidirectional LSTM with
packed sequences and pretrained-embedding copy, FastText bag of bigrams, CNN (Conv2d and
Conv1d), multi-class CNN; current 1_nbow / 2_lstm / 3_cnn and experimental EmbeddingBag) as
users type them, on random token-id batches (pad 1, unk 0), as ``prog(L) -> (printed,
values)``."""

import numpy as np
from s16_yunjey_progs import Out
from s17_bentrevett_progs import PAD, SEED, count_parameters

UNK = 0


def text_batch(L, rng, vocab, lengths, batch_first=False):
    x = np.full((max(lengths), len(lengths)), PAD)
    for b, n in enumerate(lengths):
        x[:n, b] = rng.integers(2, vocab, n)
    x = L.from_numpy(x)
    return x.T.contiguous() if batch_first else x


def binary_accuracy(L, preds, y):
    rounded_preds = L.round(L.sigmoid(preds))
    correct = (rounded_preds == y).float()
    acc = correct.sum() / len(correct)
    return acc


def categorical_accuracy(preds, y):
    top_pred = preds.argmax(1, keepdim=True)
    correct = top_pred.eq(y.view_as(top_pred)).sum()
    acc = correct.float() / y.shape[0]
    return acc


def _train(L, o, model, optimizer, criterion, batches, acc_fn, squeeze=True):
    for i, (args, label) in enumerate(batches):
        model.train()
        optimizer.zero_grad()
        predictions = model(*args)
        if squeeze:
            predictions = predictions.squeeze(1)
        loss = criterion(predictions, label)
        acc = acc_fn(predictions, label)
        loss.backward()
        optimizer.step()
        o.print(f'\tTrain Loss: {loss.item():.4f} | Train Acc: {acc.item()*100:.2f}%')
        o.vals += [loss.item(), acc] + list(model.parameters())
    model.eval()
    with L.no_grad():
        predictions = model(*batches[0][0])
    o.vals.append(predictions)
    return predictions


def legacy_sentiment(L):
    """legacy 1 - Simple Sentiment Analysis, 2 - Upgraded, 3 - Faster (FastText)."""
    nn, F = L.nn, L.nn.functional

    class RNN(nn.Module):
        def __init__(self, input_dim, embedding_dim, hidden_dim, output_dim):
            super().__init__()
            self.embedding = nn.Embedding(input_dim, embedding_dim)
            self.rnn = nn.RNN(embedding_dim, hidden_dim)
            self.fc = nn.Linear(hidden_dim, output_dim)

        def forward(self, text):
            embedded = self.embedding(text)
            output, hidden = self.rnn(embedded)
            assert L.equal(output[-1, :, :], hidden.squeeze(0))
            return self.fc(hidden.squeeze(0))

    class BiRNN(nn.Module):
        def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim, n_layers,
                     bidirectional, dropout, pad_idx):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
            self.rnn = nn.LSTM(embedding_dim, hidden_dim, num_layers=n_layers,
                               bidirectional=bidirectional, dropout=dropout)
            self.fc = nn.Linear(hidden_dim * 2, output_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, text, text_lengths):
            embedded = self.dropout(self.embedding(text))
            packed_embedded = nn.utils.rnn.pack_padded_sequence(embedded,
                                                                text_lengths.to('cpu'))
            packed_output, (hidden, cell) = self.rnn(packed_embedded)
            output, output_lengths = nn.utils.rnn.pad_packed_sequence(packed_output)
            hidden = self.dropout(L.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1))
            return self.fc(hidden)

    class FastText(nn.Module):
        def __init__(self, vocab_size, embedding_dim, output_dim, pad_idx):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
            self.fc = nn.Linear(embedding_dim, output_dim)

        def forward(self, text):
            embedded = self.embedding(text)
            embedded = embedded.permute(1, 0, 2)
            pooled = F.avg_pool2d(embedded, (embedded.shape[1], 1)).squeeze(1)
            return self.fc(pooled)

    def generate_bigrams(x):
        n_grams = set(zip(*[x[i:] for i in range(2)]))
        for n_gram in sorted(n_grams):
            x.append(' '.join(n_gram))
        return x

    with Out() as o:
        L.manual_seed(SEED)
        L.backends.cudnn.deterministic = True
        rng = np.random.default_rng(7)
        acc = lambda p, y: binary_accuracy(L, p, y)
        criterion = nn.BCEWithLogitsLoss()
        model = RNN(25, 6, 8, 1)
        o.print(model)
        o.print(f'The model has {count_parameters(model):,} trainable parameters')
        optimizer = L.optim.SGD(model.parameters(), lr=1e-3)
        data = [((text_batch(L, rng, 25, [5, 5, 4, 3]),), L.tensor([1., 0., 1., 0.]))
                for _ in range(2)]
        _train(L, o, model, optimizer, criterion, data, acc)

        model = BiRNN(25, 6, 8, 1, 2, True, 0.5, PAD)
        o.print(model)
        o.print(f'The model has {count_parameters(model):,} trainable parameters')
        pretrained_embeddings = L.randn(25, 6)
        o.print(pretrained_embeddings.shape)
        o.print(model.embedding.weight.data.copy_(pretrained_embeddings)[:2])
        model.embedding.weight.data[UNK] = L.zeros(6)
        model.embedding.weight.data[PAD] = L.zeros(6)
        o.print(model.embedding.weight.data[:3])
        optimizer = L.optim.Adam(model.parameters())
        lens = [6, 5, 5, 2]
        data = [((text_batch(L, rng, 25, lens), L.tensor(lens)), L.tensor([0., 1., 1., 0.]))
                for _ in range(2)]
        _train(L, o, model, optimizer, criterion, data, acc)
        tensor = L.LongTensor([4, 9, 13]).unsqueeze(1)
        length_tensor = L.LongTensor([3])
        prediction = L.sigmoid(model(tensor, length_tensor))
        o.print(f'{prediction.item():.4f}')
        o.tryit(lambda: model(L.LongTensor([4, 9]).unsqueeze(1), L.LongTensor([0])))
        o.tryit(lambda: model(data[0][0][0], L.tensor([2, 5, 5, 6])))

        o.print(generate_bigrams(['This', 'film', 'is', 'terrible']))
        model = FastText(30, 6, 1, PAD)
        o.print(model, f'The model has {count_parameters(model):,} trainable parameters')
        optimizer = L.optim.Adam(model.parameters())
        data = [((text_batch(L, rng, 30, [7, 7, 6]),), L.tensor([1., 1., 0.]))
                for _ in range(2)]
        _train(L, o, model, optimizer, criterion, data, acc)
    return o.done()


def cnn_sentiment(L):
    """legacy 4 - Convolutional Sentiment Analysis (CNN, CNN1d), 5 - Multi-class."""
    nn, F = L.nn, L.nn.functional

    class CNN(nn.Module):
        def __init__(self, vocab_size, embedding_dim, n_filters, filter_sizes, output_dim,
                     dropout, pad_idx):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
            self.convs = nn.ModuleList([
                nn.Conv2d(in_channels=1, out_channels=n_filters,
                          kernel_size=(fs, embedding_dim)) for fs in filter_sizes])
            self.fc = nn.Linear(len(filter_sizes) * n_filters, output_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, text):
            embedded = self.embedding(text)
            embedded = embedded.unsqueeze(1)
            conved = [F.relu(conv(embedded)).squeeze(3) for conv in self.convs]
            pooled = [F.max_pool1d(conv, conv.shape[2]).squeeze(2) for conv in conved]
            cat = self.dropout(L.cat(pooled, dim=1))
            return self.fc(cat)

    class CNN1d(nn.Module):
        def __init__(self, vocab_size, embedding_dim, n_filters, filter_sizes, output_dim,
                     dropout, pad_idx):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
            self.convs = nn.ModuleList([
                nn.Conv1d(in_channels=embedding_dim, out_channels=n_filters, kernel_size=fs)
                for fs in filter_sizes])
            self.fc = nn.Linear(len(filter_sizes) * n_filters, output_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, text):
            embedded = self.embedding(text)
            embedded = embedded.permute(0, 2, 1)
            conved = [F.relu(conv(embedded)) for conv in self.convs]
            pooled = [F.max_pool1d(conv, conv.shape[2]).squeeze(2) for conv in conved]
            cat = self.dropout(L.cat(pooled, dim=1))
            return self.fc(cat)

    with Out() as o:
        L.manual_seed(SEED)
        rng = np.random.default_rng(8)
        acc = lambda p, y: binary_accuracy(L, p, y)
        criterion = nn.BCEWithLogitsLoss()
        for cls in (CNN, CNN1d):
            model = cls(25, 6, 4, [2, 3, 4], 1, 0.5, PAD)
            o.print(model, f'The model has {count_parameters(model):,} trainable parameters')
            model.embedding.weight.data[UNK] = L.zeros(6)
            model.embedding.weight.data[PAD] = L.zeros(6)
            optimizer = L.optim.Adam(model.parameters())
            data = [((text_batch(L, rng, 25, [7, 6, 5], batch_first=True),),
                     L.tensor([1., 0., 1.])) for _ in range(2)]
            _train(L, o, model, optimizer, criterion, data, acc)
            # predict_sentiment: pad to min_len, batch_first
            tensor = L.LongTensor([4, 9, 1, 1]).unsqueeze(0)
            prediction = L.sigmoid(model(tensor))
            o.print(f'{prediction.item():.4f}')
            o.tryit(lambda: model(L.LongTensor([4, 9]).unsqueeze(0)))
        # 5 - Multi-class
        model = CNN(25, 6, 4, [2, 3], 6, 0.5, PAD)
        o.print(model, f'The model has {count_parameters(model):,} trainable parameters')
        optimizer = L.optim.Adam(model.parameters())
        criterion = nn.CrossEntropyLoss()
        data = [((text_batch(L, rng, 25, [6, 6, 4, 3], batch_first=True),),
                 L.tensor([5, 0, 2, 2])) for _ in range(2)]
        _train(L, o, model, optimizer, criterion, data, categorical_accuracy, squeeze=False)
        preds = model(L.LongTensor([4, 9, 13, 1]).unsqueeze(0))
        max_preds = preds.argmax(dim=1)
        o.print(max_preds.item(), preds.shape)
    return o.done()
