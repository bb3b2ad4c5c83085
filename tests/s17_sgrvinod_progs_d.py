"""sgrvinod/a-PyTorch-Tutorial-to-Transformers (model.py MultiHeadAttention,
PositionWiseFCNetwork, Encoder / Decoder / Transformer; utils.py get_positional_encoding,
get_lr, change_lr; LabelSmoothedCE) as users type them, scaled down: random token-id batches
in place of WMT14, tiny dims, two training steps, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s17_sgrvinod.py."""

import math
from importlib import import_module

import numpy as np
from s16_yunjey_progs import Out
from s17_sgrvinod_progs_c import get_positional_encoding


def get_lr(step, d_model, warmup_steps):
    return 2. * math.pow(d_model, -0.5) * min(math.pow(step, -0.5), step * math.pow(warmup_steps, -1.5))


def change_lr(optimizer, new_lr):
    for param_group in optimizer.param_groups:
        param_group['lr'] = new_lr


def transformer(torch):
    nn = torch.nn
    F = torch.nn.functional
    pack_padded_sequence = import_module(torch.__name__ + ".nn.utils.rnn").pack_padded_sequence
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    class MultiHeadAttention(nn.Module):
        def __init__(self, d_model, n_heads, d_queries, d_values, dropout, in_decoder=False):
            super(MultiHeadAttention, self).__init__()
            self.d_model = d_model
            self.n_heads = n_heads
            self.d_queries = d_queries
            self.d_values = d_values
            self.d_keys = d_queries
            self.in_decoder = in_decoder
            self.create_queries = nn.Linear(d_model, n_heads * d_queries)
            self.create_keys_values = nn.Linear(d_model, n_heads * (d_queries + d_values))
            self.cast_output = nn.Linear(n_heads * d_values, d_model)
            self.softmax = nn.Softmax(dim=-1)
            self.layer_norm = nn.LayerNorm(d_model)
            self.apply_dropout = nn.Dropout(dropout)

        def forward(self, query_sequences, key_value_sequences, key_value_sequence_lengths):
            batch_size = query_sequences.size(0)
            query_sequence_pad_length = query_sequences.size(1)
            key_value_sequence_pad_length = key_value_sequences.size(1)
            self_attention = torch.equal(key_value_sequences, query_sequences)
            input_to_add = query_sequences.clone()
            query_sequences = self.layer_norm(query_sequences)
            if self_attention:
                key_value_sequences = self.layer_norm(key_value_sequences)
            queries = self.create_queries(query_sequences)
            keys, values = self.create_keys_values(key_value_sequences).split(split_size=self.n_heads * self.d_keys,
                                                                              dim=-1)
            queries = queries.contiguous().view(batch_size, query_sequence_pad_length, self.n_heads, self.d_queries)
            keys = keys.contiguous().view(batch_size, key_value_sequence_pad_length, self.n_heads, self.d_keys)
            values = values.contiguous().view(batch_size, key_value_sequence_pad_length, self.n_heads, self.d_values)
            queries = queries.permute(0, 2, 1, 3).contiguous().view(-1, query_sequence_pad_length, self.d_queries)
            keys = keys.permute(0, 2, 1, 3).contiguous().view(-1, key_value_sequence_pad_length, self.d_keys)
            values = values.permute(0, 2, 1, 3).contiguous().view(-1, key_value_sequence_pad_length, self.d_values)
            attention_weights = torch.bmm(queries, keys.permute(0, 2, 1))
            attention_weights = (1. / math.sqrt(self.d_keys)) * attention_weights
            not_pad_in_keys = torch.LongTensor(range(key_value_sequence_pad_length)).unsqueeze(0).unsqueeze(0).expand_as(
                attention_weights).to(device)
            not_pad_in_keys = not_pad_in_keys < key_value_sequence_lengths.repeat_interleave(self.n_heads).unsqueeze(
                1).unsqueeze(2).expand_as(attention_weights)
            attention_weights = attention_weights.masked_fill(~not_pad_in_keys, -float('inf'))
            if self.in_decoder and self_attention:
                not_future_mask = torch.ones_like(attention_weights).tril().bool().to(device)
                attention_weights = attention_weights.masked_fill(~not_future_mask, -float('inf'))
            attention_weights = self.softmax(attention_weights)
            attention_weights = self.apply_dropout(attention_weights)
            sequences = torch.bmm(attention_weights, values)
            sequences = sequences.contiguous().view(batch_size, self.n_heads, query_sequence_pad_length,
                                                    self.d_values).permute(0, 2, 1, 3)
            sequences = sequences.contiguous().view(batch_size, query_sequence_pad_length, -1)
            sequences = self.cast_output(sequences)
            sequences = self.apply_dropout(sequences) + input_to_add
            return sequences

    class PositionWiseFCNetwork(nn.Module):
        def __init__(self, d_model, d_inner, dropout):
            super(PositionWiseFCNetwork, self).__init__()
            self.layer_norm = nn.LayerNorm(d_model)
            self.fc1 = nn.Linear(d_model, d_inner)
            self.relu = nn.ReLU()
            self.fc2 = nn.Linear(d_inner, d_model)
            self.apply_dropout = nn.Dropout(dropout)

        def forward(self, sequences):
            input_to_add = sequences.clone()
            sequences = self.layer_norm(sequences)
            sequences = self.apply_dropout(self.relu(self.fc1(sequences)))
            sequences = self.fc2(sequences)
            sequences = self.apply_dropout(sequences) + input_to_add
            return sequences

    class Encoder(nn.Module):
        def __init__(self, vocab_size, positional_encoding, d_model, n_heads, d_queries, d_values, d_inner,
                     n_layers, dropout):
            super(Encoder, self).__init__()
            self.d_model = d_model
            self.embedding = nn.Embedding(vocab_size, d_model)
            self.positional_encoding = positional_encoding
            self.positional_encoding.requires_grad = False
            self.encoder_layers = nn.ModuleList([nn.ModuleList([
                MultiHeadAttention(d_model, n_heads, d_queries, d_values, dropout, in_decoder=False),
                PositionWiseFCNetwork(d_model, d_inner, dropout)]) for i in range(n_layers)])
            self.apply_dropout = nn.Dropout(dropout)
            self.layer_norm = nn.LayerNorm(d_model)

        def forward(self, encoder_sequences, encoder_sequence_lengths):
            pad_length = encoder_sequences.size(1)
            encoder_sequences = self.embedding(encoder_sequences) * math.sqrt(self.d_model) + \
                self.positional_encoding[:, :pad_length, :].to(device)
            encoder_sequences = self.apply_dropout(encoder_sequences)
            for encoder_layer in self.encoder_layers:
                encoder_sequences = encoder_layer[0](query_sequences=encoder_sequences,
                                                     key_value_sequences=encoder_sequences,
                                                     key_value_sequence_lengths=encoder_sequence_lengths)
                encoder_sequences = encoder_layer[1](sequences=encoder_sequences)
            return self.layer_norm(encoder_sequences)

    class Decoder(nn.Module):
        def __init__(self, vocab_size, positional_encoding, d_model, n_heads, d_queries, d_values, d_inner,
                     n_layers, dropout):
            super(Decoder, self).__init__()
            self.d_model = d_model
            self.embedding = nn.Embedding(vocab_size, d_model)
            self.register_buffer('positional_encoding', positional_encoding)
            self.decoder_layers = nn.ModuleList([nn.ModuleList([
                MultiHeadAttention(d_model, n_heads, d_queries, d_values, dropout, in_decoder=True),
                MultiHeadAttention(d_model, n_heads, d_queries, d_values, dropout, in_decoder=True),
                PositionWiseFCNetwork(d_model, d_inner, dropout)]) for i in range(n_layers)])
            self.apply_dropout = nn.Dropout(dropout)
            self.layer_norm = nn.LayerNorm(d_model)
            self.fc = nn.Linear(d_model, vocab_size)

        def forward(self, decoder_sequences, decoder_sequence_lengths, encoder_sequences, encoder_sequence_lengths):
            pad_length = decoder_sequences.size(1)
            decoder_sequences = self.embedding(decoder_sequences) * math.sqrt(self.d_model) + \
                self.positional_encoding[:, :pad_length, :].to(device)
            decoder_sequences = self.apply_dropout(decoder_sequences)
            for decoder_layer in self.decoder_layers:
                decoder_sequences = decoder_layer[0](query_sequences=decoder_sequences,
                                                     key_value_sequences=decoder_sequences,
                                                     key_value_sequence_lengths=decoder_sequence_lengths)
                decoder_sequences = decoder_layer[1](query_sequences=decoder_sequences,
                                                     key_value_sequences=encoder_sequences,
                                                     key_value_sequence_lengths=encoder_sequence_lengths)
                decoder_sequences = decoder_layer[2](sequences=decoder_sequences)
            decoder_sequences = self.layer_norm(decoder_sequences)
            return self.fc(decoder_sequences)

    class Transformer(nn.Module):
        def __init__(self, vocab_size, positional_encoding, d_model=512, n_heads=8, d_queries=64, d_values=64,
                     d_inner=2048, n_layers=6, dropout=0.1):
            super(Transformer, self).__init__()
            self.encoder = Encoder(vocab_size, positional_encoding, d_model, n_heads, d_queries, d_values,
                                   d_inner, n_layers, dropout)
            self.decoder = Decoder(vocab_size, positional_encoding, d_model, n_heads, d_queries, d_values,
                                   d_inner, n_layers, dropout)
            self.init_weights()

        def init_weights(self):
            for p in self.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p, gain=1.)
            nn.init.normal_(self.encoder.embedding.weight, mean=0., std=math.pow(self.d_model_, -0.5))
            self.decoder.embedding.weight = self.encoder.embedding.weight
            self.decoder.fc.weight = self.decoder.embedding.weight

        @property
        def d_model_(self):
            return self.encoder.d_model

        def forward(self, encoder_sequences, decoder_sequences, encoder_sequence_lengths, decoder_sequence_lengths):
            encoder_sequences = self.encoder(encoder_sequences, encoder_sequence_lengths)
            return self.decoder(decoder_sequences, decoder_sequence_lengths, encoder_sequences,
                                encoder_sequence_lengths)

    class LabelSmoothedCE(torch.nn.Module):
        def __init__(self, eps=0.1):
            super(LabelSmoothedCE, self).__init__()
            self.eps = eps

        def forward(self, inputs, targets, lengths):
            inputs, _, _, _ = pack_padded_sequence(input=inputs, lengths=lengths, batch_first=True,
                                                   enforce_sorted=False)
            targets, _, _, _ = pack_padded_sequence(input=targets, lengths=lengths, batch_first=True,
                                                    enforce_sorted=False)
            target_vector = torch.zeros_like(inputs).scatter(dim=1, index=targets.unsqueeze(1), value=1.).to(device)
            target_vector = target_vector * (1. - self.eps) + self.eps / target_vector.size(1)
            loss = (-1 * target_vector * F.log_softmax(inputs, dim=1)).sum(dim=1)
            loss = torch.mean(loss)
            return loss

    with Out() as o:
        torch.manual_seed(0)
        rng = np.random.default_rng(3)
        d_model, n_heads, d_queries, d_values, d_inner, n_layers, dropout = 8, 2, 4, 4, 16, 2, 0.1
        vocab_size, warmup_steps = 15, 4
        positional_encoding = get_positional_encoding(torch, d_model=d_model, max_length=20)
        o.print(positional_encoding.shape, positional_encoding[0, :3])
        model = Transformer(vocab_size=vocab_size, positional_encoding=positional_encoding, d_model=d_model,
                            n_heads=n_heads, d_queries=d_queries, d_values=d_values, d_inner=d_inner,
                            n_layers=n_layers, dropout=dropout)
        optimizer = torch.optim.Adam(params=[p for p in model.parameters() if p.requires_grad],
                                     lr=get_lr(step=1, d_model=d_model, warmup_steps=warmup_steps),
                                     betas=[0.9, 0.98], eps=1e-9)
        criterion = LabelSmoothedCE(eps=0.1)
        o.print(model.decoder.decoder_layers[0])
        o.print(sum(p.numel() for p in model.parameters()), list(model.decoder.state_dict())[:3])
        model.train()
        step = 1
        for i in range(2):
            source_sequences = torch.from_numpy(rng.integers(1, vocab_size, (3, 6)))
            target_sequences = torch.from_numpy(rng.integers(1, vocab_size, (3, 7)))
            source_sequence_lengths = torch.LongTensor([6, 4, 5])
            target_sequence_lengths = torch.LongTensor([7, 5, 3])
            predicted_sequences = model(source_sequences, target_sequences, source_sequence_lengths,
                                        target_sequence_lengths)
            loss = criterion(inputs=predicted_sequences, targets=target_sequences[:, 1:],
                             lengths=target_sequence_lengths - 1)
            (loss / 1).backward()
            optimizer.step()
            optimizer.zero_grad()
            step += 1
            change_lr(optimizer, new_lr=get_lr(step=step, d_model=d_model, warmup_steps=warmup_steps))
            o.print('Step {0}/{1}-----Loss {2:.4f}-----lr {3:.6f}'.format(
                step, 2, loss.item(), optimizer.param_groups[0]['lr']))
            o.vals.append(loss.detach())
        model.eval()
        with torch.no_grad():
            out = model(source_sequences, target_sequences, source_sequence_lengths, target_sequence_lengths)
        o.print(out.shape, out.argmax(-1))
        o.vals += [out, model.encoder.embedding.weight]
    return o.done()
