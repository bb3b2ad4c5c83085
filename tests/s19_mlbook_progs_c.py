"""rasbt/machine-learning-book ch15 (ch15_part1.py: nn.RNN against the manual recurrence;
ch15_part2.py: padded batches, nn.Embedding with padding_idx, a 2-layer nn.RNN, the sentiment
LSTM over pack_padded_sequence, its bidirectional form, on a small random "review" corpus
instead of torchtext's IMDB; ch15_part3.py: the character-level LSTM language model with
torch.distributions.Categorical sampling, on a short text) and ch16-part1-self-attention.py,
as users type them, for tests/test_programs_s19_mlbook.py."""

from importlib import import_module

import numpy as np
from s16_yunjey_progs import Out


def ch15_rnn_manual(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(1)
        rnn_layer = nn.RNN(input_size=5, hidden_size=2, num_layers=1, batch_first=True)
        w_xh = rnn_layer.weight_ih_l0
        w_hh = rnn_layer.weight_hh_l0
        b_xh = rnn_layer.bias_ih_l0
        b_hh = rnn_layer.bias_hh_l0
        o.print('W_xh shape:', w_xh.shape)
        o.print('W_hh shape:', w_hh.shape)
        o.print('b_xh shape:', b_xh.shape)
        o.print('b_hh shape:', b_hh.shape)
        x_seq = L.tensor([[1.0] * 5, [2.0] * 5, [3.0] * 5]).float()
        output, hn = rnn_layer(L.reshape(x_seq, (1, 3, 5)))
        out_man = []
        np_print = np.get_printoptions()
        np.set_printoptions(precision=4)  # the full digits show MKL's last bits vs OpenBLAS's
        for t in range(3):
            xt = L.reshape(x_seq[t], (1, 5))
            o.print(f'Time step {t} =>')
            o.print('   Input           :', xt.numpy())
            ht = L.matmul(xt, L.transpose(w_xh, 0, 1)) + b_xh
            o.print('   Hidden          :', ht.detach().numpy())
            if t > 0:
                prev_h = out_man[t - 1]
            else:
                prev_h = L.zeros((ht.shape))
            ot = ht + L.matmul(prev_h, L.transpose(w_hh, 0, 1)) + b_hh
            ot = L.tanh(ot)
            out_man.append(ot)
            o.print('   Output (manual) :', ot.detach().numpy())
            o.print('   RNN output      :', output[:, t].detach().numpy())
            o.print()
        np.set_printoptions(**np_print)
        o.vals += [output, hn, *out_man]
    return o.done()


def _reviews(seed=15, n=12, vocab=30):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab)]
    out = []
    for _ in range(n):
        k = int(rng.integers(3, 9))
        text = " ".join(words[j] for j in rng.integers(0, vocab, k))
        if rng.random() < 0.3:
            text = "<br />" + text + " :-)"
        out.append(("pos" if rng.random() < 0.5 else "neg", text))
    return out


def ch15_sentiment(L):
    import re
    from collections import Counter, OrderedDict
    nn = L.nn
    data = import_module(L.__name__ + ".utils.data")
    with Out() as o:
        dataset = _reviews()
        L.manual_seed(1)
        train_dataset, valid_dataset = data.random_split(list(dataset), [8, 4])
        token_counts = Counter()

        def tokenizer(text):
            text = re.sub('<[^>]*>', '', text)
            emoticons = re.findall(r'(?::|;|=)(?:-)?(?:\)|\(|D|P)', text.lower())
            text = re.sub(r'[\W]+', ' ', text.lower()) + ' '.join(emoticons).replace('-', '')
            return text.split()

        for label, line in train_dataset:
            token_counts.update(tokenizer(line))
        o.print('Vocab-size:', len(token_counts))
        sorted_by_freq_tuples = sorted(token_counts.items(), key=lambda x: x[1], reverse=True)
        ordered_dict = OrderedDict(sorted_by_freq_tuples)
        vocab = {"<pad>": 0, "<unk>": 1}
        for tok in ordered_dict:
            vocab[tok] = len(vocab)
        text_pipeline = lambda x: [vocab.get(token, 1) for token in tokenizer(x)]  # noqa: E731
        label_pipeline = lambda x: 1. if x == 'pos' else 0.  # noqa: E731
        device = 'cpu'

        def collate_batch(batch):
            label_list, text_list, lengths = [], [], []
            for _label, _text in batch:
                label_list.append(label_pipeline(_label))
                processed_text = L.tensor(text_pipeline(_text), dtype=L.int64)
                text_list.append(processed_text)
                lengths.append(processed_text.size(0))
            label_list = L.tensor(label_list)
            lengths = L.tensor(lengths)
            padded_text_list = nn.utils.rnn.pad_sequence(text_list, batch_first=True)
            return padded_text_list.to(device), label_list.to(device), lengths.to(device)

        dataloader = data.DataLoader(train_dataset, batch_size=4, shuffle=False,
                                     collate_fn=collate_batch)
        text_batch, label_batch, length_batch = next(iter(dataloader))
        o.print(text_batch)
        o.print(label_batch)
        o.print(length_batch)
        o.print(text_batch.shape)
        batch_size = 4
        train_dl = data.DataLoader(train_dataset, batch_size=batch_size, shuffle=True,
                                   collate_fn=collate_batch)
        valid_dl = data.DataLoader(valid_dataset, batch_size=batch_size, shuffle=False,
                                   collate_fn=collate_batch)
        embedding = nn.Embedding(num_embeddings=10, embedding_dim=3, padding_idx=0)
        text_encoded_input = L.LongTensor([[1, 2, 4, 5], [4, 3, 2, 0]])
        o.print(embedding(text_encoded_input))

        class RNN(nn.Module):
            def __init__(self, input_size, hidden_size):
                super().__init__()
                self.rnn = nn.RNN(input_size, hidden_size, num_layers=2, batch_first=True)
                self.fc = nn.Linear(hidden_size, 1)

            def forward(self, x):
                _, hidden = self.rnn(x)
                out = hidden[-1, :, :]
                out = self.fc(out)
                return out

        model = RNN(64, 32)
        o.print(model)
        o.vals.append(model(L.randn(5, 3, 64)))

        class RNN(nn.Module):
            def __init__(self, vocab_size, embed_dim, rnn_hidden_size, fc_hidden_size,
                         bidirectional=False):
                super().__init__()
                self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
                self.rnn = nn.LSTM(embed_dim, rnn_hidden_size, batch_first=True,
                                   bidirectional=bidirectional)
                self.bi = bidirectional
                self.fc1 = nn.Linear(rnn_hidden_size * (2 if bidirectional else 1),
                                     fc_hidden_size)
                self.relu = nn.ReLU()
                self.fc2 = nn.Linear(fc_hidden_size, 1)
                self.sigmoid = nn.Sigmoid()

            def forward(self, text, lengths):
                out = self.embedding(text)
                out = nn.utils.rnn.pack_padded_sequence(out, lengths.cpu().numpy(),
                                                        enforce_sorted=False, batch_first=True)
                out, (hidden, cell) = self.rnn(out)
                if self.bi:
                    out = L.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)
                else:
                    out = hidden[-1, :, :]
                out = self.fc1(out)
                out = self.relu(out)
                out = self.fc2(out)
                out = self.sigmoid(out)
                return out

        def train(dataloader):
            model.train()
            total_acc, total_loss = 0, 0
            for text_batch, label_batch, lengths in dataloader:
                optimizer.zero_grad()
                pred = model(text_batch, lengths)[:, 0]
                loss = loss_fn(pred, label_batch)
                loss.backward()
                optimizer.step()
                total_acc += ((pred >= 0.5).float() == label_batch).float().sum().item()
                total_loss += loss.item() * label_batch.size(0)
            return total_acc / len(dataloader.dataset), total_loss / len(dataloader.dataset)

        def evaluate(dataloader):
            model.eval()
            total_acc, total_loss = 0, 0
            with L.no_grad():
                for text_batch, label_batch, lengths in dataloader:
                    pred = model(text_batch, lengths)[:, 0]
                    loss = loss_fn(pred, label_batch)
                    total_acc += ((pred >= 0.5).float() == label_batch).float().sum().item()
                    total_loss += loss.item() * label_batch.size(0)
            return total_acc / len(dataloader.dataset), total_loss / len(dataloader.dataset)

        vocab_size = len(vocab)
        for bi, lr in ((False, 0.001), (True, 0.002)):
            L.manual_seed(1)
            model = RNN(vocab_size, 6, 8, 8, bidirectional=bi)
            o.print(model)
            loss_fn = nn.BCELoss()
            optimizer = L.optim.Adam(model.parameters(), lr=lr)
            L.manual_seed(1)
            for epoch in range(2):
                acc_train, loss_train = train(train_dl)
                acc_valid, loss_valid = evaluate(valid_dl)
                o.print(f'Epoch {epoch} accuracy: {acc_train:.4f} val_accuracy: {acc_valid:.4f}'
                        f' loss: {loss_train:.4f} val_loss: {loss_valid:.4f}')
            o.vals += [model.fc2.weight, model.rnn.weight_hh_l0, model.embedding.weight]
    return o.done()


_TEXT = ("THE MYSTERIOUS ISLAND. The island was not large; the settlers explored the coast, "
         "and the engineer Cyrus Harding said to his companions that the island would keep "
         "them. End of the Project Gutenberg")


def ch15_charlm(L):
    nn = L.nn
    data = import_module(L.__name__ + ".utils.data")
    Categorical = import_module(L.__name__ + ".distributions.categorical").Categorical
    with Out() as o:
        text = _TEXT
        start_indx = text.find('THE MYSTERIOUS ISLAND')
        end_indx = text.find('End of the Project Gutenberg')
        text = text[start_indx:end_indx]
        char_set = set(text)
        o.print('Total Length:', len(text))
        o.print('Unique Characters:', len(char_set))
        chars_sorted = sorted(char_set)
        char2int = {ch: i for i, ch in enumerate(chars_sorted)}
        char_array = np.array(chars_sorted)
        text_encoded = np.array([char2int[ch] for ch in text], dtype=np.int32)
        o.print('Text encoded shape: ', text_encoded.shape)
        seq_length = 10
        chunk_size = seq_length + 1
        text_chunks = [text_encoded[i:i + chunk_size]
                       for i in range(len(text_encoded) - chunk_size + 1)]

        class TextDataset(data.Dataset):
            def __init__(self, text_chunks):
                self.text_chunks = text_chunks

            def __len__(self):
                return len(self.text_chunks)

            def __getitem__(self, idx):
                text_chunk = self.text_chunks[idx]
                return text_chunk[:-1].long(), text_chunk[1:].long()

        seq_dataset = TextDataset(L.tensor(text_chunks))  # a list of int32 arrays (warns once)
        for i, (seq, target) in enumerate(seq_dataset):
            o.print(' Input (x):', repr(''.join(char_array[seq])))
            o.print('Target (y):', repr(''.join(char_array[target])))
            if i == 1:
                break
        device = 'cpu'
        batch_size = 8
        L.manual_seed(1)
        seq_dl = data.DataLoader(seq_dataset, batch_size=batch_size, shuffle=True, drop_last=True)

        class RNN(nn.Module):
            def __init__(self, vocab_size, embed_dim, rnn_hidden_size):
                super().__init__()
                self.embedding = nn.Embedding(vocab_size, embed_dim)
                self.rnn_hidden_size = rnn_hidden_size
                self.rnn = nn.LSTM(embed_dim, rnn_hidden_size, batch_first=True)
                self.fc = nn.Linear(rnn_hidden_size, vocab_size)

            def forward(self, x, hidden, cell):
                out = self.embedding(x).unsqueeze(1)
                out, (hidden, cell) = self.rnn(out, (hidden, cell))
                out = self.fc(out).reshape(out.size(0), -1)
                return out, hidden, cell

            def init_hidden(self, batch_size):
                hidden = L.zeros(1, batch_size, self.rnn_hidden_size)
                cell = L.zeros(1, batch_size, self.rnn_hidden_size)
                return hidden.to(device), cell.to(device)

        vocab_size = len(char_array)
        L.manual_seed(1)
        model = RNN(vocab_size, 16, 32)
        o.print(model)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.005)
        L.manual_seed(1)
        for epoch in range(4):
            hidden, cell = model.init_hidden(batch_size)
            seq_batch, target_batch = next(iter(seq_dl))
            optimizer.zero_grad()
            loss = 0
            for c in range(seq_length):
                pred, hidden, cell = model(seq_batch[:, c], hidden, cell)
                loss += loss_fn(pred, target_batch[:, c])
            loss.backward()
            optimizer.step()
            loss = loss.item() / seq_length
            o.print(f'Epoch {epoch} loss: {loss:.4f}')
        for lg in ([[1.0, 1.0, 1.0]], [[1.0, 1.0, 3.0]]):
            L.manual_seed(1)
            logits = L.tensor(lg)
            o.print('Probabilities:', nn.functional.softmax(logits, dim=1).numpy()[0])
            m = Categorical(logits=logits)
            samples = m.sample((10,))
            o.print(samples.numpy(), samples.shape)

        def sample(model, starting_str, len_generated_text=40, scale_factor=1.0):
            encoded_input = L.tensor([char2int[s] for s in starting_str])
            encoded_input = L.reshape(encoded_input, (1, -1))
            generated_str = starting_str
            model.eval()
            hidden, cell = model.init_hidden(1)
            hidden = hidden.to('cpu')
            cell = cell.to('cpu')
            for c in range(len(starting_str) - 1):
                _, hidden, cell = model(encoded_input[:, c].view(1), hidden, cell)
            last_char = encoded_input[:, -1]
            for i in range(len_generated_text):
                logits, hidden, cell = model(last_char.view(1), hidden, cell)
                logits = L.squeeze(logits, 0)
                scaled_logits = logits * scale_factor
                m = Categorical(logits=scaled_logits)
                last_char = m.sample()
                generated_str += str(char_array[last_char])
            return generated_str

        for sf in (1.0, 2.0, 0.5):
            L.manual_seed(1)
            o.print(sample(model, starting_str='The island', scale_factor=sf))
        logits = L.tensor([[1.0, 1.0, 3.0]])
        o.print('Probabilities before scaling:        ', nn.functional.softmax(logits, dim=1).numpy()[0])
        o.print('Probabilities after scaling with 0.5:', nn.functional.softmax(0.5 * logits, dim=1).numpy()[0])
        o.print('Probabilities after scaling with 0.1:', nn.functional.softmax(0.1 * logits, dim=1).numpy()[0])
        o.vals += [model.fc.weight, model.rnn.weight_ih_l0]
    return o.done()
