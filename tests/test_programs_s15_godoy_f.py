"""Session 15, Godoy's "Deep Learning with PyTorch Step-by-Step" as learners type it.
Vol III ch9-11: encoder-decoder with teacher forcing, attention by hand, masks,
scaled dot product; positional encoding, MultiheadAttention, TransformerEncoder and
nn.Transformer with masks, LayerNorm, word embeddings and EmbeddingBag.
Each program prints; the test runs it on torch and on ember and compares the printouts
(object addresses left out). Where ember's known last-bit gaps show (LSTM/GRU steps: NumPy's
float32 tanh; BatchNorm's statistics), the program prints what the book checks, rounded."""

import copy

import numpy as np
from s15_godoy_sbs import same_printout


def prog_attn(torch):
    nn = torch.nn; F = torch.nn.functional
    full_seq = torch.tensor([[-1, -1], [-1, 1], [1, 1], [1, -1]]).float().view(1, 4, 2)
    source_seq = full_seq[:, :2]; target_seq = full_seq[:, 2:]
    class Encoder(nn.Module):
        def __init__(self, n_features, hidden_dim):
            super().__init__()
            self.hidden_dim = hidden_dim; self.n_features = n_features; self.hidden = None
            self.basic_rnn = nn.GRU(self.n_features, self.hidden_dim, batch_first=True)
        def forward(self, X):
            rnn_out, self.hidden = self.basic_rnn(X)
            return rnn_out
    class Decoder(nn.Module):
        def __init__(self, n_features, hidden_dim):
            super().__init__()
            self.hidden_dim = hidden_dim; self.n_features = n_features; self.hidden = None
            self.basic_rnn = nn.GRU(self.n_features, self.hidden_dim, batch_first=True)
            self.regression = nn.Linear(self.hidden_dim, self.n_features)
        def init_hidden(self, hidden_seq):
            hidden_final = hidden_seq[:, -1:]
            self.hidden = hidden_final.permute(1, 0, 2)
        def forward(self, X):
            batch_first_output, self.hidden = self.basic_rnn(X, self.hidden)
            last_output = batch_first_output[:, -1:]
            out = self.regression(last_output)
            return out.view(-1, 1, self.n_features)
    torch.manual_seed(21)
    encoder = Encoder(n_features=2, hidden_dim=2)
    hidden_seq = encoder(source_seq)
    hidden_final = hidden_seq[:, -1:]
    print(hidden_final)
    decoder = Decoder(n_features=2, hidden_dim=2)
    decoder.init_hidden(hidden_seq)
    inputs = source_seq[:, -1:]
    target_len = 2
    for i in range(target_len):
        print(f'Hidden: {decoder.hidden}')
        out = decoder(inputs)
        print(f'Output: {out}\n')
        inputs = out
    decoder.init_hidden(hidden_seq)
    inputs = source_seq[:, -1:]
    for i in range(target_len):
        out = decoder(inputs)
        inputs = target_seq[:, i:i+1]
    print(out)
    class EncoderDecoder(nn.Module):
        def __init__(self, encoder, decoder, input_len, target_len, teacher_forcing_prob=0.5):
            super().__init__()
            self.encoder = encoder; self.decoder = decoder
            self.input_len = input_len; self.target_len = target_len
            self.teacher_forcing_prob = teacher_forcing_prob
            self.outputs = None
        def init_outputs(self, batch_size):
            device = next(self.parameters()).device
            self.outputs = torch.zeros(batch_size, self.target_len,
                                       self.encoder.n_features).to(device)
        def store_output(self, i, out):
            self.outputs[:, i:i+1, :] = out
        def forward(self, X):
            source_seq = X[:, :self.input_len, :]
            target_seq = X[:, self.input_len:, :]
            self.init_outputs(X.shape[0])
            hidden_seq = self.encoder(source_seq)
            self.decoder.init_hidden(hidden_seq)
            dec_inputs = source_seq[:, -1:, :]
            for i in range(self.target_len):
                out = self.decoder(dec_inputs)
                self.store_output(i, out)
                prob = self.teacher_forcing_prob
                if not self.training:
                    prob = 0
                if torch.rand(1) <= prob:
                    dec_inputs = target_seq[:, i:i+1, :]
                else:
                    dec_inputs = out
            return self.outputs
    encdec = EncoderDecoder(encoder, decoder, input_len=2, target_len=2, teacher_forcing_prob=0.5)
    encdec.train()
    torch.manual_seed(3)
    print(encdec(full_seq))
    encdec.eval()
    print(encdec(source_seq))
    print(encdec.outputs.grad_fn)
    # attention
    class Attention(nn.Module):
        def __init__(self, hidden_dim, input_dim=None, proj_values=False):
            super().__init__()
            self.d_k = hidden_dim
            self.input_dim = hidden_dim if input_dim is None else input_dim
            self.proj_values = proj_values
            self.linear_query = nn.Linear(self.input_dim, hidden_dim)
            self.linear_key = nn.Linear(self.input_dim, hidden_dim)
            self.linear_value = nn.Linear(self.input_dim, hidden_dim)
            self.alphas = None
        def init_keys(self, keys):
            self.keys = keys
            self.proj_keys = self.linear_key(self.keys)
            self.values = self.linear_value(self.keys) if self.proj_values else self.keys
        def score_function(self, query):
            proj_query = self.linear_query(query)
            dot_products = torch.bmm(proj_query, self.proj_keys.permute(0, 2, 1))
            scores = dot_products / np.sqrt(self.d_k)
            return scores
        def forward(self, query, mask=None):
            scores = self.score_function(query)
            if mask is not None:
                scores = scores.masked_fill(mask == 0, -1e9)
            alphas = F.softmax(scores, dim=-1)
            self.alphas = alphas.detach()
            context = torch.bmm(alphas, self.values)
            return context
    full_seq2 = torch.tensor([[-1, -1], [-1, 1], [1, 1], [1, -1]]).float().view(1, 4, 2)
    source_seq = full_seq2[:, :2]
    torch.manual_seed(21)
    encoder = Encoder(n_features=2, hidden_dim=2)
    hidden_seq = encoder(source_seq)
    values = hidden_seq; keys = hidden_seq
    query = encoder.hidden.permute(1, 0, 2)
    print(values, query)
    def calc_alphas(ks, q):
        N, L, H = ks.size()
        products = torch.bmm(q, ks.permute(0, 2, 1))
        alphas = F.softmax(products, dim=-1)
        return alphas
    alphas = calc_alphas(keys, query)
    print(alphas)
    context_vector = torch.bmm(alphas, values)
    print(context_vector)
    concatenated = torch.cat([context_vector, query], axis=-1)
    print(concatenated)
    dims = np.array([10, 100, 1000, 10000])
    torch.manual_seed(23)
    dummy_q = torch.randn(200, 1, 100)
    dummy_k = torch.randn(200, 100, 100)
    prods = torch.bmm(dummy_q, dummy_k.permute(0, 2, 1)).view(200, -1)
    print(prods.mean().round(decimals=3) if hasattr(prods.mean(), 'round') else None, prods.var(),
          np.round(prods.std().item(), 4))
    print(torch.bmm(dummy_q, dummy_k.permute(0, 2, 1)).shape)
    torch.manual_seed(17)
    attnh = Attention(2, input_dim=2, proj_values=True)
    attnh.init_keys(hidden_seq)
    ctx = attnh(query)
    print(ctx, attnh.alphas)
    source_seq2 = torch.tensor([[[-1., 1.], [0, 0]]])
    source_mask = (source_seq2 != 0).all(axis=2).unsqueeze(1)
    print(source_mask)
    ctx = attnh(query, mask=source_mask)
    print(ctx, attnh.alphas)
    # scaled dot product attention builtin
    q = torch.randn(2, 3, 4); k = torch.randn(2, 5, 4); v = torch.randn(2, 5, 4)
    print(F.scaled_dot_product_attention(q, k, v).shape)
    a1 = F.softmax(q @ k.transpose(-2, -1) / np.sqrt(4), dim=-1) @ v
    a2 = F.scaled_dot_product_attention(q, k, v)
    print((a1 - a2).abs().max() < 1e-6)
    m = torch.ones(3, 5).tril().bool()
    print(F.scaled_dot_product_attention(q, k, v, attn_mask=m)[0, 0])
    for f in [lambda: torch.bmm(q, k), lambda: torch.bmm(q[0], k[0].T), lambda: scores_bad(torch,
                                                                                           q, k),
              lambda: F.softmax(q), lambda: q.masked_fill(m,
                      -1e9).shape, lambda: q.masked_fill(m.float(), 0.)]:
        try:
            r = f(); print(r)
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])


def scores_bad(torch, q, k):
    return torch.matmul(q, k)


def prog_transformer(torch):
    nn = torch.nn; F = torch.nn.functional
    class PositionalEncoding(nn.Module):
        def __init__(self, max_len, d_model):
            super().__init__()
            self.d_model = d_model
            pe = torch.zeros(max_len, d_model)
            position = torch.arange(0, max_len).float().unsqueeze(1)
            angular_speed = torch.exp(torch.arange(0, d_model,
                                                   2).float() * (-np.log(10000.0) / d_model))
            pe[:, 0::2] = torch.sin(position * angular_speed)
            pe[:, 1::2] = torch.cos(position * angular_speed)
            self.register_buffer('pe', pe.unsqueeze(0))
        def forward(self, x):
            scaled_x = x * np.sqrt(self.d_model)
            encoded = scaled_x + self.pe[:, :x.size(1), :]
            return encoded
    posenc = PositionalEncoding(2, 2)
    print(list(posenc.parameters()), posenc.state_dict())
    source_seq = torch.tensor([[[-1., -1.], [-1., 1.]]])
    print(posenc(source_seq))
    pe8 = PositionalEncoding(10, 8)
    print(pe8.pe[0, :3])
    print(np.round(pe8.pe[0, :3].numpy(), 4))
    max_len = 10; d_model = 8
    position = torch.arange(0, max_len).float().unsqueeze(1)
    angular_speed = torch.exp(torch.arange(0, d_model, 2).float() * (-np.log(10000.0) / d_model))
    print(angular_speed, (position * angular_speed).dtype)
    print(torch.exp(torch.arange(0, d_model, 2) * (-np.log(10000.0) / d_model)).dtype)
    print(type(np.sqrt(4)), (source_seq * np.sqrt(2)).dtype, (source_seq * np.float64(2)).dtype)
    pass
    # MultiheadAttention
    torch.manual_seed(11)
    mha = nn.MultiheadAttention(embed_dim=4, num_heads=2, batch_first=True)
    print(mha)
    print([(n, tuple(p.shape)) for n, p in mha.named_parameters()])
    q = torch.randn(2, 3, 4); k = torch.randn(2, 5, 4)
    out, w = mha(q, k, k)
    print(out, w)
    out, w = mha(q, k, k, average_attn_weights=False)
    print(w.shape)
    mask = torch.tensor([[False, False, False, True, True], [False, False, False, False, False]])
    out, w = mha(q, k, k, key_padding_mask=mask)
    print(w)
    out, w = mha(q, q, q, attn_mask=torch.triu(torch.ones(3, 3), diagonal=1).bool(),
                 need_weights=True)
    print(w)
    print(mha(q, q, q, need_weights=False)[1])
    for f in [lambda: nn.MultiheadAttention(embed_dim=5, num_heads=2),
              lambda: mha(q, k, k, key_padding_mask=mask.float())[0].shape,
              lambda: mha(q, k[:, :, :3], k)[0].shape,
              lambda: mha(q, k, k, attn_mask=torch.ones(4, 4).bool()),
              lambda: mha(q, k, k, key_padding_mask=mask[:, :3]),
              lambda: mha(q.transpose(0, 1), k, k)]:
        try:
            r = f(); print(r)
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
    # Generate mask
    print(nn.Transformer.generate_square_subsequent_mask(3))
    def subsequent_mask(size):
        attn_shape = (1, size, size)
        subsequent_mask = (1 - torch.triu(torch.ones(attn_shape), diagonal=1))
        return subsequent_mask
    print(subsequent_mask(3))
    print(torch.triu(torch.ones(3, 3), diagonal=1).bool())
    # TransformerEncoder
    torch.manual_seed(42)
    enclayer = nn.TransformerEncoderLayer(d_model=6, nhead=3, dim_feedforward=20, dropout=0.0,
                                          batch_first=True)
    enc = nn.TransformerEncoder(enclayer, num_layers=1, norm=nn.LayerNorm(6),
                                enable_nested_tensor=False)
    print(enc)
    x = torch.randn(2, 4, 6)
    y = enc(x)
    print(y)
    src_key_padding_mask = torch.tensor([[False, False, True, True], [False, False, False, False]])
    print(enc(x, src_key_padding_mask=src_key_padding_mask).shape)
    print(enc(x, mask=nn.Transformer.generate_square_subsequent_mask(4), is_causal=True)[0])
    torch.manual_seed(42)
    transf = nn.Transformer(d_model=6, nhead=3, num_encoder_layers=1, num_decoder_layers=1,
                            dim_feedforward=20, dropout=0.1, batch_first=True)
    print(sum(p.numel() for p in transf.parameters()))
    src = torch.randn(2, 4, 6); tgt = torch.randn(2, 2, 6)
    transf.eval()
    out = transf(src, tgt, tgt_mask=transf.generate_square_subsequent_mask(2))
    print(out)
    transf.train()
    torch.manual_seed(0)
    out = transf(src, tgt, src_key_padding_mask=src_key_padding_mask,
            memory_key_padding_mask=src_key_padding_mask,
            tgt_mask=transf.generate_square_subsequent_mask(2))
    print(out.shape, out.grad_fn)
    for f in [lambda: transf(src, tgt[:, :, :5]),
              lambda: transf(src, tgt, tgt_mask=torch.ones(3, 3)),
              lambda: nn.Transformer(d_model=6, nhead=4),
              lambda: transf(src[:1], tgt)]:
        try:
            r = f(); print(r)
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
    # LayerNorm
    torch.manual_seed(23)
    dummy_points = torch.randn(4, 1, 256)
    dummy_pe = PositionalEncoding(1, 256)
    dummy_enc = dummy_pe(dummy_points)
    print(dummy_enc.mean(axis=2).shape,
          dummy_enc.mean(axis=2).flatten().round(decimals=3) if True else None)
    layer_norm = nn.LayerNorm(256)
    normalized = layer_norm(dummy_enc)
    print(normalized.mean(axis=2).abs().max() < 1e-5, layer_norm)
    print(layer_norm.state_dict()['weight'].shape)
    ln = nn.LayerNorm(2, elementwise_affine=False)
    print(ln(torch.tensor([[1., 3.], [2., 2.]])), ln)
    # Embeddings
    torch.manual_seed(42)
    dummy_embeddings = nn.Embedding(num_embeddings=5, embedding_dim=3)
    print(dummy_embeddings.state_dict()['weight'])
    token_ids = torch.tensor([2, 3, 1, 0])
    print(dummy_embeddings(token_ids))
    print(dummy_embeddings(torch.tensor([[2, 3], [1, 0]])).mean(axis=1))
    pretrained = torch.tensor([[0., 0., 0.], [1., 2., 3.], [4., 5., 6.]])
    emb = nn.Embedding.from_pretrained(pretrained)
    print(emb, emb.weight.requires_grad, emb(torch.tensor([1, 2])))
    emb = nn.Embedding.from_pretrained(pretrained, freeze=False, padding_idx=0)
    print(emb, emb.weight.requires_grad)
    bag = nn.EmbeddingBag.from_pretrained(pretrained, mode='mean')
    print(bag(torch.tensor([[1, 2], [0, 1]])))
    print(bag(torch.tensor([1, 2, 0, 1]), torch.tensor([0, 2])))
    e = nn.Embedding(5, 3, padding_idx=0)
    print(e.weight[0])
    out = e(torch.tensor([0, 1, 1]))
    out.sum().backward()
    print(e.weight.grad)
    for f in [lambda: dummy_embeddings(torch.tensor([5])),
              lambda: dummy_embeddings(torch.tensor([1.0])),
              lambda: dummy_embeddings(torch.tensor([-1])),
              lambda: dummy_embeddings([1, 2]),
              lambda: nn.Embedding(5, 3, padding_idx=5),
              lambda: nn.Embedding.from_pretrained(torch.ones(3))]:
        try:
            r = f(); print(r)
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
    # cosine similarity
    a = torch.tensor([1., 2., 3.]); b = torch.tensor([2., 1., 0.5])
    print(F.cosine_similarity(a, b, dim=0), nn.CosineSimilarity(dim=0)(a, b))
    print(torch.cosine_similarity(a.view(1, -1), b.view(1, -1)))
    print((a @ b) / (a.norm() * b.norm()))
    print(torch.norm(a), a.norm(p=2), torch.linalg.norm(a))


def test_attn():
    same_printout(prog_attn)


def test_transformer():
    same_printout(prog_transformer)
