"""NeuromatchAcademy/course-content-dl: W2D5_AttentionAndTransformers (Tutorial1's solutions:
DotProductAttention folding heads into the batch for torch.bmm, SelfAttention, TransformerBlock,
PositionalEncoding with its (max_len, 1, k) buffer, and the Transformer classifier trained with
F.nll_loss), on seeded token ids instead of Yelp reviews."""

import math

import numpy as np
from s16_yunjey_progs import Out
from s21_nma_progs import set_seed


def w2d5_transformer(L):
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        class DotProductAttention(nn.Module):
            def __init__(self, dropout, **kwargs):
                super(DotProductAttention, self).__init__(**kwargs)
                self.dropout = nn.Dropout(dropout)

            def calculate_score(self, queries, keys):
                return torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(queries.shape[-1])

            def forward(self, queries, keys, values, b, h, t, k):
                keys = keys.transpose(1, 2).contiguous().view(b * h, t, k)
                queries = queries.transpose(1, 2).contiguous().view(b * h, t, k)
                values = values.transpose(1, 2).contiguous().view(b * h, t, k)
                score = self.calculate_score(queries, keys)
                softmax_weights = F.softmax(score, dim=2)
                out = torch.bmm(self.dropout(softmax_weights), values).view(b, h, t, k)
                out = out.transpose(1, 2).contiguous().view(b, t, h * k)
                return out

        class SelfAttention(nn.Module):
            def __init__(self, k, heads=8, dropout=0.1):
                super().__init__()
                self.k, self.heads = k, heads
                self.to_keys = nn.Linear(k, k * heads, bias=False)
                self.to_queries = nn.Linear(k, k * heads, bias=False)
                self.to_values = nn.Linear(k, k * heads, bias=False)
                self.unify_heads = nn.Linear(k * heads, k)
                self.attention = DotProductAttention(dropout)

            def forward(self, x):
                b, t, k = x.size()
                h = self.heads
                queries = self.to_queries(x).view(b, t, h, k)
                keys = self.to_keys(x).view(b, t, h, k)
                values = self.to_values(x).view(b, t, h, k)
                out = self.attention(queries, keys, values, b, h, t, k)
                return self.unify_heads(out)

        class TransformerBlock(nn.Module):
            def __init__(self, k, heads):
                super().__init__()
                self.attention = SelfAttention(k, heads=heads)
                self.norm_1 = nn.LayerNorm(k)
                self.norm_2 = nn.LayerNorm(k)
                hidden_size = 2 * k
                self.mlp = nn.Sequential(nn.Linear(k, hidden_size), nn.ReLU(),
                                         nn.Linear(hidden_size, k))

            def forward(self, x):
                attended = self.attention(x)
                x = self.norm_1(attended + x)
                feedforward = self.mlp(x)
                x = self.norm_2(feedforward + x)
                return x

        class PositionalEncoding(nn.Module):
            def __init__(self, emb_size, dropout=0.1, max_len=512):
                super(PositionalEncoding, self).__init__()
                self.dropout = nn.Dropout(p=dropout)
                pe = torch.zeros(max_len, emb_size)
                position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
                div_term = torch.exp(torch.arange(0, emb_size, 2).float()
                                     * (-np.log(10000.0) / emb_size))
                pe[:, 0::2] = torch.sin(position * div_term)
                pe[:, 1::2] = torch.cos(position * div_term)
                pe = pe.unsqueeze(0).transpose(0, 1)
                self.register_buffer('pe', pe)

            def forward(self, x):
                x = x + self.pe[:x.size(0), :]
                return self.dropout(x)

        class Transformer(nn.Module):
            def __init__(self, k, heads, depth, seq_length, num_tokens, num_classes):
                super().__init__()
                self.k = k
                self.num_tokens = num_tokens
                self.token_embedding = nn.Embedding(num_tokens, k)
                self.pos_enc = PositionalEncoding(k)
                transformer_blocks = []
                for i in range(depth):
                    transformer_blocks.append(TransformerBlock(k=k, heads=heads))
                self.transformer_blocks = nn.Sequential(*transformer_blocks)
                self.classification_head = nn.Linear(k, num_classes)

            def forward(self, x):
                x = self.token_embedding(x) * np.sqrt(self.k)
                x = self.pos_enc(x)
                x = self.transformer_blocks(x)
                sequence_avg = x.mean(dim=1)
                x = self.classification_head(sequence_avg)
                logprobs = F.log_softmax(x, dim=1)
                return logprobs
        SEED = 2021
        set_seed(L, seed=SEED)
        attn = SelfAttention(4, heads=2, dropout=0.0)
        x = torch.randn(3, 5, 4)
        o.print(attn(x).shape)
        o.vals.append(attn(x))
        vocab_size, max_len, num_classes = 30, 6, 2
        model = Transformer(k=8, heads=2, depth=2, seq_length=max_len,
                            num_tokens=vocab_size, num_classes=num_classes)
        o.print(model)
        o.print(model.pos_enc.pe.shape, sum(p.numel() for p in model.parameters()))
        X = torch.randint(0, vocab_size, (16, max_len))
        y = torch.randint(0, num_classes, (16,))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
        for epoch in range(3):
            model.train()
            for i in range(0, 16, 8):
                x_b, y_b = X[i:i + 8], y[i:i + 8]
                optimizer.zero_grad()
                out = model(x_b)
                loss = F.nll_loss(out, y_b)
                loss.backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                pred = model(X).argmax(1)
                acc = (pred == y).sum().item() / len(y)
            o.print(f"Epoch {epoch} loss {loss.item():.4f} acc {acc:.3f}")
        o.vals += [model.classification_head.weight, model(X).detach()]
    return o.done()
