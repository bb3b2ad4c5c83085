"""Stanford CS224n assignment code as solved in public repositories, typed as users run it,
scaled down on random token ids (no corpora), as ``prog(L) -> (printed, values)`` for
tests/test_programs_s17_cs224n.py.

This file: a3, the neural dependency parser (ZacBi/CS224n-2019-solutions
Assignment3/a3/parser_model.py + run.py with nn.Embedding and nn.Linear;
2edbef4a9b/Stanford-CS224N-Winter-2026 "Assignments/Assignment 02/parser_model.py" with its
hand-made nn.Parameter weights, xavier_uniform_ / uniform_ init and embedding lookup by
indexing), the minibatch train loop with its AverageMeter, and minibatch_parse driven by the
model's predictions."""

import math

import numpy as np
from s16_yunjey_progs import Out


class AverageMeter:
    """utils/general_utils.py's running average (pure Python)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.val = 0
        self.avg = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count


def minibatches(data, batch_size):
    """parser_utils.minibatches: x (n, 36) ids and one-hot y, in a fixed shuffled order."""
    x = np.array([d[0] for d in data])
    y = np.array([d[2] for d in data])
    one_hot = np.zeros((y.size, 3))
    one_hot[np.arange(y.size), y] = 1
    idx = np.random.default_rng(3).permutation(len(data))
    for s in range(0, len(data), batch_size):
        b = idx[s:s + batch_size]
        yield x[b], one_hot[b]


def _data(n, n_words, seed):
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, n_words, 36).tolist(), [1, 1, 1], int(rng.integers(0, 3)))
            for _ in range(n)]


def parser_2019(L):
    """parser_model.py (2019): nn.Embedding with the pretrained matrix as a new Parameter,
    xavier-initialised nn.Linear layers, relu, dropout; run.py's train loop with Adam and
    CrossEntropyLoss over minibatches, train/eval switching."""
    nn, F = L.nn, L.nn.functional

    class ParserModel(nn.Module):
        def __init__(self, embeddings, n_features=36, hidden_size=200, n_classes=3,
                     dropout_prob=0.5):
            super(ParserModel, self).__init__()
            self.n_features = n_features
            self.n_classes = n_classes
            self.dropout_prob = dropout_prob
            self.embed_size = embeddings.shape[1]
            self.hidden_size = hidden_size
            self.pretrained_embeddings = nn.Embedding(embeddings.shape[0], self.embed_size)
            self.pretrained_embeddings.weight = nn.Parameter(L.tensor(embeddings))
            self.embed_to_hidden = nn.Linear(self.n_features * self.embed_size,
                                             self.hidden_size)
            nn.init.xavier_uniform_(self.embed_to_hidden.weight, gain=1)
            self.dropout = nn.Dropout(p=self.dropout_prob)
            self.hidden_to_logits = nn.Linear(self.hidden_size, self.n_classes)
            nn.init.xavier_uniform_(self.hidden_to_logits.weight, gain=1)

        def embedding_lookup(self, t):
            x = self.pretrained_embeddings(t)
            x = x.view(x.size()[0], -1)
            return x

        def forward(self, t):
            embeddings = self.embedding_lookup(t)
            hidden = F.relu(self.embed_to_hidden(embeddings))
            logits = self.hidden_to_logits(self.dropout(hidden))
            return logits

    with Out() as o:
        L.manual_seed(0)
        embeddings = np.random.default_rng(0).normal(0, 0.9, (50, 8)).astype('float32')
        model = ParserModel(embeddings, hidden_size=16)
        o.print(model)
        train_data = _data(20, 50, 1)
        optimizer = L.optim.Adam(model.parameters(), lr=0.0005)
        loss_func = nn.CrossEntropyLoss()
        n_epochs, batch_size = 2, 8
        for epoch in range(n_epochs):
            o.print("Epoch {:} out of {:}".format(epoch + 1, n_epochs))
            model.train()
            n_minibatches = math.ceil(len(train_data) / batch_size)
            loss_meter = AverageMeter()
            for i, (train_x, train_y) in enumerate(minibatches(train_data, batch_size)):
                optimizer.zero_grad()
                loss = 0.
                train_x = L.from_numpy(train_x).long()
                train_y = L.from_numpy(train_y.nonzero()[1]).long()
                logits = model.forward(train_x)
                loss = loss_func(logits, train_y)
                loss.backward()
                optimizer.step()
                loss_meter.update(loss.item())
            o.print("Average Train Loss: {:.4f} over {}".format(loss_meter.avg, n_minibatches))
            model.eval()
            with L.no_grad():
                x = L.tensor([d[0] for d in train_data[:5]])
                pred = model(x).argmax(-1).tolist()
            o.print("- dev pred:", pred)
        o.vals += [model.embed_to_hidden.weight, model.hidden_to_logits.bias,
                   model.pretrained_embeddings.weight.grad]
        o.print(type(model.pretrained_embeddings.weight).__name__,
                model.pretrained_embeddings.weight.dtype)
    return o.done()


def parser_2024(L):
    """parser_model.py (2024-26): weights as nn.Parameter(torch.empty(...)) initialised in
    place, lookup as self.embeddings[w] flattened, matmuls with @, sanity checks from the
    file's __main__ (embedding lookup of zeros, forward shape)."""
    nn, F = L.nn, L.nn.functional

    class ParserModel(nn.Module):
        def __init__(self, embeddings, n_features=36, hidden_size=200, n_classes=3,
                     dropout_prob=0.5):
            super(ParserModel, self).__init__()
            self.n_features = n_features
            self.n_classes = n_classes
            self.dropout_prob = dropout_prob
            self.embed_size = embeddings.shape[1]
            self.hidden_size = hidden_size
            self.embeddings = nn.Parameter(L.tensor(embeddings))
            self.embed_to_hidden_weight = nn.Parameter(
                L.empty(n_features * self.embed_size, hidden_size))
            nn.init.xavier_uniform_(self.embed_to_hidden_weight)
            self.embed_to_hidden_bias = nn.Parameter(L.empty(hidden_size))
            nn.init.uniform_(self.embed_to_hidden_bias)
            self.dropout = nn.Dropout(dropout_prob)
            self.hidden_to_logits_weight = nn.Parameter(L.empty(hidden_size, n_classes))
            nn.init.xavier_uniform_(self.hidden_to_logits_weight)
            self.hidden_to_logits_bias = nn.Parameter(L.empty(n_classes))
            nn.init.uniform_(self.hidden_to_logits_bias)

        def embedding_lookup(self, w):
            x = L.flatten(self.embeddings[w], start_dim=1)
            return x

        def embedding_lookup_select(self, w):
            x = L.index_select(self.embeddings, 0, w.view(-1))
            return x.view(w.shape[0], self.n_features * self.embed_size)

        def forward(self, w):
            embeddings = self.embedding_lookup(w)
            hidden_states = F.relu(
                embeddings @ self.embed_to_hidden_weight + self.embed_to_hidden_bias)
            hidden_states = self.dropout(hidden_states)
            logits = hidden_states @ self.hidden_to_logits_weight + self.hidden_to_logits_bias
            return logits

    with Out() as o:
        L.manual_seed(0)
        embeddings = np.zeros((100, 30), dtype=np.float32)
        model = ParserModel(embeddings)
        inds = L.randint(0, 100, (4, 36), dtype=L.long)
        selected = model.embedding_lookup(inds)
        assert np.all(selected.data.numpy() == 0), "The result of embedding lookup: " \
            + repr(selected) + " contains non-zero elements."
        o.print("Embedding_lookup sanity check passes!")
        inputs = L.randint(0, 100, (4, 36), dtype=L.long)
        out = model(inputs)
        expected_out_shape = (4, 3)
        assert out.shape == expected_out_shape, "The result shape of forward is: " + \
            repr(out.shape) + " which doesn't match expected " + repr(expected_out_shape)
        o.print("Forward sanity check passes!")
        o.print(repr(out.shape), out.shape == expected_out_shape, out.shape == (4, 3))
        o.print([n for n, _ in model.named_parameters()])

        # training on random ids (run.py), the model's own embedding matrix is trained too
        L.manual_seed(1)
        emb = np.random.default_rng(5).normal(0, 1, (40, 6)).astype(np.float32)
        model = ParserModel(emb, hidden_size=12, dropout_prob=0.3)
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        loss_func = nn.CrossEntropyLoss()
        train_data = _data(16, 40, 2)
        for epoch in range(2):
            model.train()
            meter = AverageMeter()
            for train_x, train_y in minibatches(train_data, 6):
                optimizer.zero_grad()
                train_x = L.from_numpy(train_x).long()
                train_y = L.from_numpy(train_y.nonzero()[1]).long()
                logits = model(train_x)
                loss = loss_func(logits, train_y)
                loss.backward()
                optimizer.step()
                meter.update(loss.item())
            o.print("Epoch {} Average Train Loss: {:.4f}".format(epoch + 1, meter.avg))
        model.eval()
        x = L.tensor([d[0] for d in train_data[:4]])
        o.vals += [model(x), model.embedding_lookup_select(x), model.embeddings.grad,
                   model.embed_to_hidden_bias]
        o.print(model.embedding_lookup_select(x).shape, model.embeddings.grad.shape)
    return o.done()


def parser_transitions(L):
    """parser_transitions.py: PartialParse.parse_step / minibatch_parse, whose model is the
    ParserModel's predict (argmax of logits where illegal transitions get -inf)."""
    nn = L.nn

    class PartialParse:
        def __init__(self, sentence):
            self.sentence = sentence
            self.stack = ['ROOT']
            self.buffer = sentence.copy()
            self.dependencies = []

        def parse_step(self, transition):
            if transition == 'S':
                self.stack.append(self.buffer.pop(0))
            elif transition == 'LA':
                dep = self.stack.pop(-2)
                self.dependencies.append((self.stack[-1], dep))
            elif transition == 'RA':
                dep = self.stack.pop()
                self.dependencies.append((self.stack[-1], dep))

        def legal(self):
            return [int(len(self.buffer) > 0), int(len(self.stack) > 2),
                    int(len(self.stack) > 1)]

    def minibatch_parse(sentences, model, batch_size):
        partial_parses = [PartialParse(s) for s in sentences]
        unfinished_parses = partial_parses[:]
        while unfinished_parses:
            minibatch = unfinished_parses[:batch_size]
            transitions = model.predict(minibatch)
            for parse, transition in zip(minibatch, transitions):
                parse.parse_step(transition)
            unfinished_parses[:] = [p for p in unfinished_parses
                                    if not (len(p.buffer) == 0 and len(p.stack) == 1)]
        return [p.dependencies for p in partial_parses]

    class Model:
        def __init__(self):
            L.manual_seed(3)
            self.net = nn.Sequential(nn.Embedding(20, 4), nn.Flatten(), nn.Linear(12, 3))
            self.vocab = {}

        def ids(self, p):
            words = (p.stack[-2:] + p.buffer[:1] + ['<NULL>'] * 3)[:3]
            return [self.vocab.setdefault(w, len(self.vocab) % 20) for w in words]

        def predict(self, partial_parses):
            x = L.tensor([self.ids(p) for p in partial_parses])
            mb_l = L.tensor([p.legal() for p in partial_parses]).float()
            with L.no_grad():
                pred = self.net(x)
            pred = np.argmax(pred.numpy() + 10000 * mb_l.numpy(), 1)
            pred2 = L.argmax(self.net(x).detach() + 10000 * mb_l, 1)
            assert pred.tolist() == pred2.tolist()
            return [['S', 'LA', 'RA'][int(i)] for i in pred2]

    with Out() as o:
        sents = [["right", "arcs", "only"], ["left", "arcs", "only", "again"],
                 ["mixed", "arcs"], ["a"]]
        deps = minibatch_parse(sents, Model(), 2)
        for d in deps:
            o.print(sorted(d))
        model = Model()
        p = PartialParse(["the", "cat", "sat"])
        trans = model.predict([p])
        o.print(trans)
    return o.done()
