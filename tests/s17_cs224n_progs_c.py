"""CS224n a5's character-level pieces (ZacBi/CS224n-2019-solutions Assignments/a5/cnn.py,
highway.py, char_decoder.py with train_forward / decode_greedy) and the 2024 a3 encoder's
post-embedding Conv1d (padding='same', padding=1, none) as the public solutions type it."""

from s16_yunjey_progs import Out


class _CharVocab:
    def __init__(self):
        chars = list("abcdefgh")
        self.char2id = {'<pad>': 0, '{': 1, '}': 2, '<unk>': 3}
        for c in chars:
            self.char2id[c] = len(self.char2id)
        self.id2char = {v: k for k, v in self.char2id.items()}
        self.start_of_word = self.char2id['{']
        self.end_of_word = self.char2id['}']


def char_cnn_highway(L):
    """cnn.py (Conv1d + relu + max over time), highway.py (relu proj, sigmoid gate, mix),
    model_embeddings.py's per-word reshaping; two Adam steps on a sum of squares."""
    nn, F = L.nn, L.nn.functional

    class CNN(nn.Module):
        def __init__(self, e_char, f, k=5, padding=1):
            super(CNN, self).__init__()
            self.conv1d = nn.Conv1d(in_channels=e_char, out_channels=f, kernel_size=k,
                                    padding=padding)

        def forward(self, x_reshaped):
            x_conv = self.conv1d(x_reshaped)
            x_conv_out = L.max(F.relu(x_conv), dim=2)[0]
            return x_conv_out

    class Highway(nn.Module):
        def __init__(self, e_word):
            super(Highway, self).__init__()
            self.proj = nn.Linear(e_word, e_word, bias=True)
            self.gate = nn.Linear(e_word, e_word, bias=True)

        def forward(self, x_conv_out):
            x_proj = F.relu(self.proj(x_conv_out))
            x_gate = L.sigmoid(self.gate(x_conv_out))
            x_highway = x_gate * x_proj + (1 - x_gate) * x_conv_out
            return x_highway

    class ModelEmbeddings(nn.Module):
        def __init__(self, embed_size, vocab, e_char=5, m_word=7):
            super(ModelEmbeddings, self).__init__()
            pad_token_idx = vocab.char2id['<pad>']
            self.embed_size = embed_size
            self.e_char, self.m_word = e_char, m_word
            self.embeddings = nn.Embedding(len(vocab.char2id), e_char, pad_token_idx)
            self.cnn = CNN(e_char, embed_size)
            self.highway = Highway(embed_size)
            self.dropout = nn.Dropout(0.3)

        def forward(self, input):
            sentence_length, batch_size, max_word_length = input.shape
            x_emb = self.embeddings(input)
            x_reshaped = x_emb.view(-1, max_word_length, self.e_char).permute(0, 2, 1)
            x_conv_out = self.cnn(x_reshaped)
            x_highway = self.highway(x_conv_out)
            x_word_emb = self.dropout(x_highway)
            return x_word_emb.view(sentence_length, batch_size, self.embed_size)

    with Out() as o:
        L.manual_seed(0)
        vocab = _CharVocab()
        emb = ModelEmbeddings(6, vocab)
        o.print(emb)
        inp = L.randint(0, len(vocab.char2id), (4, 3, 7))
        opt = L.optim.Adam(emb.parameters(), lr=0.01)
        for i in range(2):
            opt.zero_grad()
            out = emb(inp)
            loss = (out ** 2).sum()
            loss.backward()
            opt.step()
            o.print('step {} loss {:.4f} shape {}'.format(i, loss.item(), tuple(out.shape)))
        o.vals += [out, emb.embeddings.weight.grad, emb.cnn.conv1d.weight]
        # sanity_check.py-style shape checks
        h = Highway(4)
        x = L.randn(2, 4)
        o.print(h(x).shape == x.shape, h(x).size(), CNN(3, 4)(L.randn(2, 3, 8)).shape)
        o.tryit(lambda: CNN(3, 4)(L.randn(2, 5, 8)).shape)
        o.tryit(lambda: CNN(3, 4)(L.randn(2, 3, 2)).shape)
    return o.done()


def char_decoder(L):
    """char_decoder.py: Embedding(padding_idx) + LSTM + Linear, train_forward's
    CrossEntropyLoss(ignore_index=pad, reduction='sum') over permuted scores, decode_greedy."""
    nn = L.nn

    class CharDecoder(nn.Module):
        def __init__(self, hidden_size, char_embedding_size=50, target_vocab=None):
            super(CharDecoder, self).__init__()
            self.char_embedding_size = char_embedding_size
            self.target_vocab = target_vocab
            self.padding_idx = self.target_vocab.char2id['<pad>']
            self.decoderCharEmb = nn.Embedding(len(self.target_vocab.char2id),
                                               char_embedding_size, self.padding_idx)
            self.charDecoder = nn.LSTM(input_size=char_embedding_size, hidden_size=hidden_size)
            self.char_output_projection = nn.Linear(hidden_size, len(self.target_vocab.char2id))

        def forward(self, input, dec_hidden=None):
            char_embeddings = self.decoderCharEmb(input)
            hidden_states, dec_hidden = self.charDecoder(char_embeddings, dec_hidden)
            scores = self.char_output_projection(hidden_states)
            return scores, dec_hidden

        def train_forward(self, char_sequence, dec_hidden=None):
            scores, dec_hidden = self.forward(char_sequence[:-1], dec_hidden)
            loss = nn.CrossEntropyLoss(ignore_index=self.padding_idx, reduction='sum')
            ce_loss = loss(scores.permute(1, 2, 0), char_sequence[1:].transpose(1, 0))
            return ce_loss

        def train_forward_flat(self, char_sequence, dec_hidden=None):
            scores, _ = self.forward(char_sequence[:-1], dec_hidden)
            target = char_sequence[1:].contiguous().view(-1)
            return nn.functional.cross_entropy(scores.view(-1, scores.shape[-1]), target,
                                               ignore_index=self.padding_idx, reduction='sum')

        def decode_greedy(self, initialStates, device, max_length=21):
            output_words = []
            decodedWords = []
            start_idx = self.target_vocab.start_of_word
            end_idx = self.target_vocab.end_of_word
            dec_hidden = initialStates
            batch_size = dec_hidden[0].shape[1]
            current_char = L.tensor([[start_idx] * batch_size], device=device)
            for _ in range(max_length):
                scores, dec_hidden = self.forward(current_char, dec_hidden)
                current_char = scores.argmax(-1)
                output_words += [current_char]
            output_words = L.cat(output_words).t().tolist()
            for foo in output_words:
                word = ""
                for bar in foo:
                    if bar == end_idx:
                        break
                    word += self.target_vocab.id2char[bar]
                decodedWords += [word]
            return decodedWords

    with Out() as o:
        L.manual_seed(0)
        vocab = _CharVocab()
        dec = CharDecoder(hidden_size=5, char_embedding_size=3, target_vocab=vocab)
        o.print(dec)
        seq = L.tensor([[1, 1, 1], [4, 5, 6], [7, 2, 8], [2, 0, 9], [0, 0, 2]])
        h0 = (L.randn(1, 3, 5), L.randn(1, 3, 5))
        opt = L.optim.SGD(dec.parameters(), lr=0.1)
        for i in range(2):
            opt.zero_grad()
            loss = dec.train_forward(seq, h0)
            loss.backward()
            opt.step()
            o.print('loss {:.4f}'.format(loss.item()))
        o.vals += [loss, dec.train_forward_flat(seq, h0), dec.decoderCharEmb.weight.grad]
        with L.no_grad():
            o.print(dec.decode_greedy(h0, L.device('cpu'), max_length=6))
        scores, (h, c) = dec(seq[:2])
        o.print(scores.shape, h.shape, c.shape)
        o.vals += [scores]
    return o.done()


def post_embed_cnn(L):
    """The 2024 NMT encoder: X (src_len, b, e) -> permute to (b, e, src_len) -> Conv1d(e, e, 2)
    with padding='same' / padding=1 / no padding, back to (src_len, b, e)."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        X = L.randn(5, 2, 4, requires_grad=True)
        for kw in (dict(padding='same'), dict(padding=1), dict()):
            cnn = nn.Conv1d(4, 4, 2, **kw)
            o.print(cnn)
            Y = cnn(X.permute(1, 2, 0)).permute(2, 0, 1)
            o.print(tuple(Y.shape))
            Y.sum().backward()
            o.vals += [Y, X.grad.clone(), cnn.weight.grad]
            X.grad = None
        o.tryit(lambda: nn.Conv1d(4, 4, 2, padding='same', stride=2))
        o.tryit(lambda: nn.Conv1d(4, 4, 2, padding='valid')(L.randn(1, 4, 3)).shape)
        o.tryit(lambda: nn.Conv1d(4, 4, 3, padding='same', dilation=2)(L.randn(1, 4, 6)).shape)
        o.tryit(lambda: nn.Conv1d(4, 4, 2, padding='full'))
        o.tryit(lambda: L.nn.functional.conv1d(L.randn(1, 4, 5), L.randn(3, 4, 2),
                                               padding='same').shape)
    return o.done()
