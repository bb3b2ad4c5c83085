"""aladdinpersson/Machine-Learning-Collection, ML/Pytorch/more_advanced as users type them:
transformer_from_scratch.py (whole) and Seq2Seq_attention/seq2seq_attention.py, scaled
down: Multi30k / spacy / torchtext replaced by seeded random token batches. For
tests/test_programs_s20_aladdin.py (the rest of more_advanced: s20_aladdin_progs_g.py)."""

import random

from s16_yunjey_progs import Out


def transformer_from_scratch(L):
    """transformer_from_scratch.py: SelfAttention with einsum "nqhd,nkhd->nhqk",
    masked_fill(mask == 0, float("-1e20")), the float tril target mask expanded to
    (N, 1, T, T), the encoder's bool padding mask; the __main__ run and a few Adam steps."""
    torch, nn = L, L.nn
    with Out() as o:
        torch.manual_seed(0)

        class SelfAttention(nn.Module):
            def __init__(self, embed_size, heads):
                super(SelfAttention, self).__init__()
                self.embed_size = embed_size
                self.heads = heads
                self.head_dim = embed_size // heads
                assert (self.head_dim * heads == embed_size), "Embedding size needs to be divisible by heads"
                self.values = nn.Linear(self.head_dim, self.head_dim, bias=False)
                self.keys = nn.Linear(self.head_dim, self.head_dim, bias=False)
                self.queries = nn.Linear(self.head_dim, self.head_dim, bias=False)
                self.fc_out = nn.Linear(heads * self.head_dim, embed_size)

            def forward(self, values, keys, query, mask):
                N = query.shape[0]
                value_len, key_len, query_len = values.shape[1], keys.shape[1], query.shape[1]
                values = values.reshape(N, value_len, self.heads, self.head_dim)
                keys = keys.reshape(N, key_len, self.heads, self.head_dim)
                query = query.reshape(N, query_len, self.heads, self.head_dim)
                values = self.values(values)
                keys = self.keys(keys)
                queries = self.queries(query)
                energy = torch.einsum("nqhd,nkhd->nhqk", [queries, keys])
                if mask is not None:
                    energy = energy.masked_fill(mask == 0, float("-1e20"))
                attention = torch.softmax(energy / (self.embed_size ** (1 / 2)), dim=3)
                out = torch.einsum("nhql,nlhd->nqhd", [attention, values]).reshape(
                    N, query_len, self.heads * self.head_dim
                )
                out = self.fc_out(out)
                return out

        class TransformerBlock(nn.Module):
            def __init__(self, embed_size, heads, dropout, forward_expansion):
                super(TransformerBlock, self).__init__()
                self.attention = SelfAttention(embed_size, heads)
                self.norm1 = nn.LayerNorm(embed_size)
                self.norm2 = nn.LayerNorm(embed_size)
                self.feed_forward = nn.Sequential(
                    nn.Linear(embed_size, forward_expansion * embed_size),
                    nn.ReLU(),
                    nn.Linear(forward_expansion * embed_size, embed_size),
                )
                self.dropout = nn.Dropout(dropout)

            def forward(self, value, key, query, mask):
                attention = self.attention(value, key, query, mask)
                x = self.dropout(self.norm1(attention + query))
                forward = self.feed_forward(x)
                out = self.dropout(self.norm2(forward + x))
                return out

        class Encoder(nn.Module):
            def __init__(self, src_vocab_size, embed_size, num_layers, heads, forward_expansion, dropout, device, max_length,):
                super(Encoder, self).__init__()
                self.embed_size = embed_size
                self.device = device
                self.word_embedding = nn.Embedding(src_vocab_size, embed_size)
                self.position_embedding = nn.Embedding(max_length, embed_size)
                self.layers = nn.ModuleList(
                    [TransformerBlock(embed_size, heads, dropout=dropout, forward_expansion=forward_expansion,)
                     for _ in range(num_layers)])
                self.dropout = nn.Dropout(dropout)

            def forward(self, x, mask):
                N, seq_length = x.shape
                positions = torch.arange(0, seq_length).expand(N, seq_length).to(self.device)
                out = self.dropout((self.word_embedding(x) + self.position_embedding(positions)))
                for layer in self.layers:
                    out = layer(out, out, out, mask)
                return out

        class DecoderBlock(nn.Module):
            def __init__(self, embed_size, heads, forward_expansion, dropout, device):
                super(DecoderBlock, self).__init__()
                self.norm = nn.LayerNorm(embed_size)
                self.attention = SelfAttention(embed_size, heads=heads)
                self.transformer_block = TransformerBlock(embed_size, heads, dropout, forward_expansion)
                self.dropout = nn.Dropout(dropout)

            def forward(self, x, value, key, src_mask, trg_mask):
                attention = self.attention(x, x, x, trg_mask)
                query = self.dropout(self.norm(attention + x))
                out = self.transformer_block(value, key, query, src_mask)
                return out

        class Decoder(nn.Module):
            def __init__(self, trg_vocab_size, embed_size, num_layers, heads, forward_expansion, dropout, device, max_length,):
                super(Decoder, self).__init__()
                self.device = device
                self.word_embedding = nn.Embedding(trg_vocab_size, embed_size)
                self.position_embedding = nn.Embedding(max_length, embed_size)
                self.layers = nn.ModuleList(
                    [DecoderBlock(embed_size, heads, forward_expansion, dropout, device)
                     for _ in range(num_layers)])
                self.fc_out = nn.Linear(embed_size, trg_vocab_size)
                self.dropout = nn.Dropout(dropout)

            def forward(self, x, enc_out, src_mask, trg_mask):
                N, seq_length = x.shape
                positions = torch.arange(0, seq_length).expand(N, seq_length).to(self.device)
                x = self.dropout((self.word_embedding(x) + self.position_embedding(positions)))
                for layer in self.layers:
                    x = layer(x, enc_out, enc_out, src_mask, trg_mask)
                out = self.fc_out(x)
                return out

        class Transformer(nn.Module):
            def __init__(self, src_vocab_size, trg_vocab_size, src_pad_idx, trg_pad_idx, embed_size=512,
                         num_layers=6, forward_expansion=4, heads=8, dropout=0, device="cpu", max_length=100,):
                super(Transformer, self).__init__()
                self.encoder = Encoder(src_vocab_size, embed_size, num_layers, heads, forward_expansion, dropout, device, max_length,)
                self.decoder = Decoder(trg_vocab_size, embed_size, num_layers, heads, forward_expansion, dropout, device, max_length,)
                self.src_pad_idx = src_pad_idx
                self.trg_pad_idx = trg_pad_idx
                self.device = device

            def make_src_mask(self, src):
                src_mask = (src != self.src_pad_idx).unsqueeze(1).unsqueeze(2)
                return src_mask.to(self.device)

            def make_trg_mask(self, trg):
                N, trg_len = trg.shape
                trg_mask = torch.tril(torch.ones((trg_len, trg_len))).expand(N, 1, trg_len, trg_len)
                return trg_mask.to(self.device)

            def forward(self, src, trg):
                src_mask = self.make_src_mask(src)
                trg_mask = self.make_trg_mask(trg)
                enc_src = self.encoder(src, src_mask)
                out = self.decoder(trg, enc_src, src_mask, trg_mask)
                return out

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        o.print(device)
        x = torch.tensor([[1, 5, 6, 4, 3, 9, 5, 2, 0], [1, 8, 7, 3, 4, 5, 6, 7, 2]]).to(device)
        trg = torch.tensor([[1, 7, 4, 3, 5, 9, 2, 0], [1, 5, 6, 2, 4, 7, 6, 2]]).to(device)
        src_pad_idx = 0
        trg_pad_idx = 0
        src_vocab_size = 10
        trg_vocab_size = 10
        model = Transformer(src_vocab_size, trg_vocab_size, src_pad_idx, trg_pad_idx, embed_size=32,
                            num_layers=2, heads=4, device=device).to(device)
        out = model(x, trg[:, :-1])
        o.print(out.shape)
        o.vals.append(out)
        o.print(model.make_src_mask(x).shape, model.make_src_mask(x).dtype,
                model.make_trg_mask(trg).shape, model.make_trg_mask(trg).is_contiguous())
        o.tryit(lambda: SelfAttention(30, 4))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        criterion = nn.CrossEntropyLoss(ignore_index=trg_pad_idx)
        for step in range(3):
            out = model(x, trg[:, :-1])
            loss = criterion(out.reshape(-1, out.shape[2]), trg[:, 1:].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print(f"step {step} loss {loss.item():.4f}")
        o.vals += [loss.detach(), model.encoder.layers[0].attention.values.weight.grad]
    return o.done()


def seq2seq_attention(L):
    """Seq2Seq_attention: bidirectional LSTM encoder whose final states pass through
    fc_hidden(torch.cat((hidden[0:1], hidden[1:2]), dim=2)), a decoder with ReLU energy,
    Softmax(dim=0) and einsum('snk,snl->knl'), teacher forcing via random.random(),
    CrossEntropyLoss(ignore_index=pad), clip_grad_norm_(max_norm=1)."""
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)
        random.seed(0)

        class Encoder(nn.Module):
            def __init__(self, input_size, embedding_size, hidden_size, num_layers, p):
                super(Encoder, self).__init__()
                self.hidden_size = hidden_size
                self.num_layers = num_layers
                self.embedding = nn.Embedding(input_size, embedding_size)
                self.rnn = nn.LSTM(embedding_size, hidden_size, num_layers, bidirectional=True)
                self.fc_hidden = nn.Linear(hidden_size * 2, hidden_size)
                self.fc_cell = nn.Linear(hidden_size * 2, hidden_size)
                self.dropout = nn.Dropout(p)

            def forward(self, x):
                embedding = self.dropout(self.embedding(x))
                encoder_states, (hidden, cell) = self.rnn(embedding)
                hidden = self.fc_hidden(torch.cat((hidden[0:1], hidden[1:2]), dim=2))
                cell = self.fc_cell(torch.cat((cell[0:1], cell[1:2]), dim=2))
                return encoder_states, hidden, cell

        class Decoder(nn.Module):
            def __init__(self, input_size, embedding_size, hidden_size, output_size, num_layers, p):
                super(Decoder, self).__init__()
                self.hidden_size = hidden_size
                self.num_layers = num_layers
                self.embedding = nn.Embedding(input_size, embedding_size)
                self.rnn = nn.LSTM(hidden_size * 2 + embedding_size, hidden_size, num_layers)
                self.energy = nn.Linear(hidden_size * 3, 1)
                self.fc = nn.Linear(hidden_size, output_size)
                self.dropout = nn.Dropout(p)
                self.softmax = nn.Softmax(dim=0)
                self.relu = nn.ReLU()

            def forward(self, x, encoder_states, hidden, cell):
                x = x.unsqueeze(0)
                embedding = self.dropout(self.embedding(x))
                sequence_length = encoder_states.shape[0]
                h_reshaped = hidden.repeat(sequence_length, 1, 1)
                energy = self.relu(self.energy(torch.cat((h_reshaped, encoder_states), dim=2)))
                attention = self.softmax(energy)
                context_vector = torch.einsum("snk,snl->knl", attention, encoder_states)
                rnn_input = torch.cat((context_vector, embedding), dim=2)
                outputs, (hidden, cell) = self.rnn(rnn_input, (hidden, cell))
                predictions = self.fc(outputs).squeeze(0)
                return predictions, hidden, cell

        target_vocab = 13
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

        class Seq2Seq(nn.Module):
            def __init__(self, encoder, decoder):
                super(Seq2Seq, self).__init__()
                self.encoder = encoder
                self.decoder = decoder

            def forward(self, source, target, teacher_force_ratio=0.5):
                batch_size = source.shape[1]
                target_len = target.shape[0]
                target_vocab_size = target_vocab
                outputs = torch.zeros(target_len, batch_size, target_vocab_size).to(device)
                encoder_states, hidden, cell = self.encoder(source)
                x = target[0]
                for t in range(1, target_len):
                    output, hidden, cell = self.decoder(x, encoder_states, hidden, cell)
                    outputs[t] = output
                    best_guess = output.argmax(1)
                    x = target[t] if random.random() < teacher_force_ratio else best_guess
                return outputs

        encoder_net = Encoder(11, 8, 16, 1, 0.0).to(device)
        decoder_net = Decoder(target_vocab, 8, 16, target_vocab, 1, 0.0).to(device)
        model = Seq2Seq(encoder_net, decoder_net).to(device)
        optimizer = optim.Adam(model.parameters(), lr=3e-4)
        pad_idx = 1
        criterion = nn.CrossEntropyLoss(ignore_index=pad_idx)
        for batch_idx in range(3):
            inp_data = torch.randint(2, 11, (7, 4))
            target = torch.randint(2, target_vocab, (6, 4))
            target[-1, :2] = pad_idx
            output = model(inp_data, target)
            output = output[1:].reshape(-1, output.shape[2])
            target = target[1:].reshape(-1)
            optimizer.zero_grad()
            loss = criterion(output, target)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1)
            optimizer.step()
            o.print(f"batch {batch_idx} loss {loss.item():.4f} norm {norm.item():.4f}")
        o.vals += [loss.detach(), output, model.encoder.fc_hidden.weight]
    return o.done()
