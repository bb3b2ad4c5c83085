"""Session 15, Godoy's "Deep Learning with PyTorch Step-by-Step" as learners type it.
Vol III ch8: the square-direction sequences classified by RNN/GRU/LSTM models in
StepByStep, variable-length sequences through a pack_collate DataLoader and a bidirectional
LSTM, a Conv1d model; the recurrent mistakes (states, packing, cells, attention masks); ch11:
CBOW embeddings, cosine neighbours, EmbeddingBag, a [CLS] Transformer classifier, and
autoregressive prediction with nn.Transformer.
Each program prints; the test runs it on torch and on ember and compares the printouts
(object addresses left out). Where ember's known last-bit gaps show (LSTM/GRU steps: NumPy's
float32 tanh; BatchNorm's statistics), the program prints what the book checks, rounded."""


import numpy as np
from s15_godoy_sbs import make_sbs, same_printout


def generate_sequences(n=128, variable_len=False, seed=13):
    basic_corners = np.array([[-1, -1], [-1, 1], [1, 1], [1, -1]])
    np.random.seed(seed)
    bases = np.random.randint(4, size=n)
    if variable_len:
        lengths = np.random.randint(3, size=n) + 2
    else:
        lengths = [4] * n
    directions = np.random.randint(2, size=n)
    points = [basic_corners[[(b + i) % 4 for i in range(4)]][slice(None, None, d * 2 - 1)][:l]
              + np.random.randn(l, 2) * 0.1 for b, d, l in zip(bases, directions, lengths)]
    return points, directions


def prog_squares(torch):
    nn = torch.nn; optim = torch.optim
    rnn_utils = torch.nn.utils.rnn
    Dataset, DataLoader = torch.utils.data.Dataset, torch.utils.data.DataLoader
    SBS = make_sbs(torch)
    points, directions = generate_sequences(n=64, seed=13)
    test_points, test_directions = generate_sequences(n=16, seed=19)
    train_data = torch.utils.data.TensorDataset(torch.as_tensor(np.array(points)).float(),
                                                torch.as_tensor(directions).view(-1, 1).float())
    test_data = torch.utils.data.TensorDataset(torch.as_tensor(np.array(test_points)).float(),
                                               torch.as_tensor(test_directions).view(-1, 1).float())
    train_loader = DataLoader(train_data, batch_size=16, shuffle=True)
    test_loader = DataLoader(test_data, batch_size=16)
    class SquareModel(nn.Module):
        def __init__(self, n_features, hidden_dim, n_outputs, cell='RNN'):
            super().__init__()
            self.hidden_dim = hidden_dim; self.n_features = n_features; self.n_outputs = n_outputs
            self.hidden = None; self.cell_state = None
            self.basic_rnn = getattr(nn, cell)(self.n_features, self.hidden_dim, batch_first=True)
            self.classifier = nn.Linear(self.hidden_dim, self.n_outputs)
        def forward(self, X):
            batch_first_output, hidden = self.basic_rnn(X)
            if isinstance(hidden, tuple):
                self.hidden, self.cell_state = hidden
            else:
                self.hidden = hidden
            last_output = batch_first_output[:, -1]
            out = self.classifier(last_output)
            return out.view(-1, self.n_outputs)
    for cell in ['RNN', 'GRU', 'LSTM']:
        torch.manual_seed(21)
        model = SquareModel(n_features=2, hidden_dim=2, n_outputs=1, cell=cell)
        loss = nn.BCEWithLogitsLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        sbs_rnn = SBS(model, loss, optimizer)
        sbs_rnn.set_loaders(train_loader, test_loader)
        sbs_rnn.train(10)
        print(cell, np.round(sbs_rnn.losses, 3).tolist(), np.round(sbs_rnn.val_losses, 3).tolist())
        print(SBS.loader_apply(test_loader, sbs_rnn.correct))
        print(model.hidden.shape, None if model.cell_state is None else model.cell_state.shape)
    # variable length with pack_collate
    var_points, var_directions = generate_sequences(n=64, variable_len=True, seed=13)
    print([len(p) for p in var_points[:8]])
    class CustomDataset(Dataset):
        def __init__(self, x, y):
            self.x = [torch.as_tensor(s).float() for s in x]
            self.y = torch.as_tensor(y).float().view(-1, 1)
        def __getitem__(self, index):
            return (self.x[index], self.y[index])
        def __len__(self):
            return len(self.x)
    train_var_data = CustomDataset(var_points, var_directions)
    try:
        next(iter(DataLoader(train_var_data, batch_size=16, shuffle=True)))
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    def pack_collate(batch):
        X = [item[0] for item in batch]
        y = [item[1] for item in batch]
        X_pack = rnn_utils.pack_sequence(X, enforce_sorted=False)
        return X_pack, torch.as_tensor(y).view(-1, 1)
    dummy_batch = [train_var_data[0], train_var_data[1]]
    dummy_x, dummy_y = pack_collate(dummy_batch)
    print(dummy_x, dummy_y)
    train_var_loader = DataLoader(train_var_data, batch_size=16, shuffle=True,
                                  collate_fn=pack_collate)
    x_batch, y_batch = next(iter(train_var_loader))
    print(type(x_batch).__name__, x_batch.data.shape, x_batch.batch_sizes, y_batch.shape)
    class SquareModelPacked(nn.Module):
        def __init__(self, n_features, hidden_dim, n_outputs):
            super().__init__()
            self.hidden_dim = hidden_dim; self.n_features = n_features; self.n_outputs = n_outputs
            self.hidden = None; self.cell_state = None
            self.basic_rnn = nn.LSTM(self.n_features, self.hidden_dim, bidirectional=True)
            self.classifier = nn.Linear(2 * self.hidden_dim, self.n_outputs)
        def forward(self, X):
            rnn_out, (self.hidden, self.cell_state) = self.basic_rnn(X)
            batch_first_output, seq_sizes = rnn_utils.pad_packed_sequence(rnn_out, batch_first=True)
            seq_idx = torch.arange(seq_sizes.size(0))
            last_output = batch_first_output[seq_idx, seq_sizes - 1]
            out = self.classifier(last_output)
            return out.view(-1, self.n_outputs)
    torch.manual_seed(21)
    model = SquareModelPacked(n_features=2, hidden_dim=2, n_outputs=1)
    loss = nn.BCEWithLogitsLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    sbs_packed = SBS(model, loss, optimizer)
    sbs_packed.set_loaders(train_var_loader)
    sbs_packed.train(5)
    print(np.round(sbs_packed.losses, 3).tolist())
    print(SBS.loader_apply(train_var_loader, sbs_packed.correct))
    # Conv1d model
    class SquareModelOne(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Conv1d(in_channels=2, out_channels=1, kernel_size=2),
                                     nn.ReLU(), nn.Flatten(), nn.Linear(3, 1))
        def forward(self, X):
            return self.net(X.permute(0, 2, 1))
    torch.manual_seed(21)
    model = SquareModelOne()
    sbs_conv = SBS(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.01))
    sbs_conv.set_loaders(train_loader, test_loader)
    sbs_conv.train(10)
    print(np.round(sbs_conv.losses, 3).tolist(), SBS.loader_apply(test_loader, sbs_conv.correct))


def prog_rnnerr(torch):
    nn = torch.nn; rnn_utils = nn.utils.rnn
    torch.manual_seed(0)
    x = torch.randn(3, 4, 2)
    rnn = nn.RNN(2, 5, batch_first=True)
    lstm = nn.LSTM(2, 5, batch_first=True)
    gru = nn.GRU(2, 5, num_layers=2, batch_first=True)
    cases = [
        lambda: rnn(x, torch.zeros(1, 4, 5)),
        lambda: rnn(x, torch.zeros(3, 5)),
        lambda: rnn(x, torch.zeros(1, 3, 4)),
        lambda: rnn(x[0], torch.zeros(1, 5))[0].shape,
        lambda: rnn(x[0], torch.zeros(1, 1, 5)),
        lambda: lstm(x, torch.zeros(1, 3, 5)),
        lambda: lstm(x, (torch.zeros(1, 3, 5),)),
        lambda: lstm(x, (torch.zeros(1, 3, 5), torch.zeros(1, 3, 4))),
        lambda: gru(x, torch.zeros(1, 3, 5)),
        lambda: gru(x.unsqueeze(0)),
        lambda: rnn_utils.pack_sequence([torch.ones(3, 2), torch.ones(2, 3)]),
        lambda: rnn_utils.pack_sequence([torch.ones(2, 2), torch.ones(3, 2)]),
        lambda: rnn_utils.pad_packed_sequence(torch.ones(3, 2)),
        lambda: rnn_utils.pack_padded_sequence(x, [4, 0, 2], batch_first=True,
                                               enforce_sorted=False),
        lambda: rnn_utils.pack_padded_sequence(x, [4, 3], batch_first=True),
        lambda: rnn_utils.pack_padded_sequence(x, torch.tensor([4., 3., 2.]),
                                               batch_first=True).batch_sizes,
        lambda: rnn_utils.pad_sequence([torch.ones(3, 2), torch.ones(2, 3)]),
        lambda: rnn_utils.pad_sequence([torch.ones(3, 2), torch.ones(2, 2)], padding_value=-1,
                                       batch_first=True),
        lambda: rnn_utils.pad_sequence([torch.ones(3, 2), torch.ones(2, 2)], padding_side='left',
                                       batch_first=True),
        lambda: nn.RNNCell(2, 5)(x),
        lambda: nn.LSTMCell(2, 5)(x[0], torch.zeros(3, 5)),
        lambda: nn.GRUCell(2, 5)(x[0], torch.zeros(4, 5)),
        lambda: nn.MultiheadAttention(6, 4),
        lambda: nn.TransformerEncoderLayer(d_model=6, nhead=4),
        lambda: nn.MultiheadAttention(4, 2, batch_first=True)(x, x, x),
        lambda: nn.MultiheadAttention(2, 2, batch_first=True)(x, x, x, attn_mask=torch.ones(4,
                4))[1].shape,
        lambda: nn.MultiheadAttention(2, 2, batch_first=True)(x, x, x, attn_mask=torch.ones(4, 4,
                dtype=torch.int64)),
        lambda: nn.MultiheadAttention(2, 2, batch_first=True)(x, x, x,
                key_padding_mask=torch.ones(3, 4, dtype=torch.int64)),
        lambda: nn.Transformer.generate_square_subsequent_mask(0),
        lambda: nn.Embedding(10, 3)(torch.tensor([[1, 2], [3, 10]])),
        lambda: nn.Embedding(10, 3, max_norm=1.0)(torch.tensor([1, 2])).norm(dim=-1),
        lambda: nn.Conv1d(2, 1, 2)(x),
        lambda: nn.Conv1d(4, 1, 2)(x).shape,
    ]
    for f in cases:
        try:
            r = f(); print(r if not isinstance(r,
                    tuple) else [tuple(t.shape) for t in r if hasattr(t, 'shape')])
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])


def prog_text(torch):
    nn = torch.nn; F = torch.nn.functional; optim = torch.optim
    SBS = make_sbs(torch)
    sentences = ['the white rabbit ran', 'alice followed the rabbit', 'the queen shouted',
                 'alice ran home',
                 'the rabbit was late', 'the queen was angry', 'alice was curious',
                 'the cat smiled']
    labels = [0, 1, 0, 1, 0, 0, 1, 0]
    vocab = ['[PAD]', '[UNK]', '[CLS]'] + sorted({w for s in sentences for w in s.split()})
    w2i = {w: i for i, w in enumerate(vocab)}
    def encode(s, max_len=6):
        ids = [w2i['[CLS]']] + [w2i.get(w, 1) for w in s.split()]
        ids = ids[:max_len]
        return ids + [0] * (max_len - len(ids))
    ids = torch.as_tensor([encode(s) for s in sentences])
    y = torch.as_tensor(labels).float().view(-1, 1)
    print(ids, ids.dtype)
    # CBOW
    class CBOW(nn.Module):
        def __init__(self, vocab_size, embedding_size):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_size)
            self.linear = nn.Linear(embedding_size, vocab_size)
        def forward(self, X):
            embeddings = self.embedding(X)
            bow = embeddings.mean(dim=1)
            logits = self.linear(bow)
            return logits
    torch.manual_seed(42)
    dummy_cbow = CBOW(vocab_size=len(vocab), embedding_size=5)
    print(dummy_cbow.embedding.state_dict()['weight'].shape)
    context = ids[:, [1, 3]]; target = ids[:, 2]
    opt = optim.Adam(dummy_cbow.parameters(), lr=0.01)
    for _ in range(20):
        loss = nn.CrossEntropyLoss()(dummy_cbow(context),
                                     target); loss.backward(); opt.step(); opt.zero_grad()
    print(round(loss.item(), 4))
    emb = dummy_cbow.embedding.weight.detach()
    sims = F.cosine_similarity(emb[w2i['alice']].unsqueeze(0), emb, dim=1)
    print(sims.shape, sims.argsort(descending=True)[:3].tolist(), torch.topk(sims,
                                                                             3).indices.tolist())
    # mean of embeddings over non-padded tokens
    e = dummy_cbow.embedding(ids)
    mask = (ids != 0).float().unsqueeze(-1)
    sent = (e * mask).sum(1) / mask.sum(1)
    print(sent.shape, np.round(sent[0].detach().numpy(), 4))
    # EmbeddingBag classifier
    torch.manual_seed(11)
    bag_model = nn.Sequential(nn.EmbeddingBag(len(vocab), 4, mode='mean', padding_idx=0),
                              nn.Linear(4, 1))
    print(bag_model)
    print(np.round(bag_model(ids).detach().numpy().ravel(), 4))
    # Transformer classifier with a [CLS] token and key padding mask
    class TransfClassifier(nn.Module):
        def __init__(self, vocab_size, d_model, n_heads, ff, n_outputs):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, d_model, padding_idx=0)
            layer = nn.TransformerEncoderLayer(d_model, n_heads, ff, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
            self.mlp = nn.Linear(d_model, n_outputs)
        def forward(self, X):
            src_key_padding_mask = (X == 0)
            enc = self.encoder(self.embed(X), src_key_padding_mask=src_key_padding_mask)
            return self.mlp(enc[:, 0])
    torch.manual_seed(33)
    model = TransfClassifier(len(vocab), 4, 2, 8, 1)
    ds = torch.utils.data.TensorDataset(ids, y)
    tl = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True)
    sbs = SBS(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=1e-2))
    sbs.set_loaders(tl, tl)
    sbs.train(5)
    print(np.round(sbs.losses, 3).tolist(), sbs.count_parameters())
    print(SBS.loader_apply(tl, sbs.correct))
    # predict autoregressively with nn.Transformer
    torch.manual_seed(7)
    tr = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                        dim_feedforward=8, dropout=0.0, batch_first=True)
    proj = nn.Linear(2, 4); out_lin = nn.Linear(4, 2)
    src = torch.randn(2, 3, 2)
    tr.eval()
    with torch.no_grad():
        inputs = src[:, -1:]
        memory = tr.encoder(proj(src))
        for i in range(3):
            mask = tr.generate_square_subsequent_mask(inputs.size(1))
            out = tr.decoder(proj(inputs), memory, tgt_mask=mask)
            nxt = out_lin(out[:, -1:])
            inputs = torch.cat([inputs, nxt], dim=1)
    print(inputs.shape, np.round(inputs[0].numpy(), 3))
    print(torch.where(ids == 0)[1][:5], (ids == 0).nonzero()[:3])
    print(F.pad(torch.tensor([1, 2, 3]), (0, 3), value=0), F.pad(torch.ones(2, 2), (1, 1)).shape)


def test_squares():
    same_printout(prog_squares)


def test_rnnerr():
    same_printout(prog_rnnerr)


def test_text():
    same_printout(prog_text)
