"""graykode/nlp-tutorial (1-1 NNLM, 1-2 Word2Vec skip-gram, 2-1 TextCNN, 3-1 TextRNN,
3-2 TextLSTM, 3-3 Bi-LSTM) as users type them, with fewer epochs, as ``prog(L) -> (printed,
values)`` for tests/test_programs_s18_nlpmorvan.py. The vocabularies are built with
sorted(set(...)) where the scripts use list(set(...)) so that the word ids do not depend on
the string hash seed."""

import numpy as np
from s16_yunjey_progs import Out


def nnlm(L):
    nn, optim = L.nn, L.optim
    with Out() as o:
        L.manual_seed(0)
        n_step, n_hidden, m = 2, 2, 2
        sentences = ["i like dog", "i love coffee", "i hate milk"]
        word_list = sorted(set(" ".join(sentences).split()))
        word_dict = {w: i for i, w in enumerate(word_list)}
        number_dict = {i: w for i, w in enumerate(word_list)}
        n_class = len(word_dict)

        def make_batch():
            input_batch, target_batch = [], []
            for sen in sentences:
                word = sen.split()
                input_batch.append([word_dict[n] for n in word[:-1]])
                target_batch.append(word_dict[word[-1]])
            return input_batch, target_batch

        class NNLM(nn.Module):
            def __init__(self):
                super(NNLM, self).__init__()
                self.C = nn.Embedding(n_class, m)
                self.H = nn.Linear(n_step * m, n_hidden, bias=False)
                self.d = nn.Parameter(L.ones(n_hidden))
                self.U = nn.Linear(n_hidden, n_class, bias=False)
                self.W = nn.Linear(n_step * m, n_class, bias=False)
                self.b = nn.Parameter(L.ones(n_class))

            def forward(self, X):
                X = self.C(X)
                X = X.view(-1, n_step * m)
                tanh = L.tanh(self.d + self.H(X))
                output = self.b + self.W(X) + self.U(tanh)
                return output

        model = NNLM()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.001)
        input_batch, target_batch = make_batch()
        input_batch = L.LongTensor(input_batch)
        target_batch = L.LongTensor(target_batch)
        o.print(input_batch.type(), input_batch.dtype, target_batch)
        for epoch in range(300):
            optimizer.zero_grad()
            output = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 100 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        predict = model(input_batch).data.max(1, keepdim=True)[1]
        o.print(predict.shape, predict.dtype)
        o.print([sen.split()[:2] for sen in sentences], '->',
                [number_dict[n.item()] for n in predict.squeeze()])
        o.vals += [output, loss, model.C.weight, model.d]
    return o.done()


def word2vec(L):
    nn, optim = L.nn, L.optim
    with Out() as o:
        L.manual_seed(0)
        np.random.seed(0)
        batch_size, embedding_size = 2, 2
        sentences = ["apple banana fruit", "banana orange fruit", "orange banana fruit",
                     "dog cat animal", "cat monkey animal", "monkey dog animal"]
        word_sequence = " ".join(sentences).split()
        word_list = sorted(set(" ".join(sentences).split()))
        word_dict = {w: i for i, w in enumerate(word_list)}
        voc_size = len(word_list)
        skip_grams = []
        for i in range(1, len(word_sequence) - 1):
            target = word_dict[word_sequence[i]]
            context = [word_dict[word_sequence[i - 1]], word_dict[word_sequence[i + 1]]]
            for w in context:
                skip_grams.append([target, w])

        def random_batch():
            random_inputs, random_labels = [], []
            random_index = np.random.choice(range(len(skip_grams)), batch_size, replace=False)
            for i in random_index:
                random_inputs.append(np.eye(voc_size)[skip_grams[i][0]])
                random_labels.append(skip_grams[i][1])
            return random_inputs, random_labels

        class Word2Vec(nn.Module):
            def __init__(self):
                super(Word2Vec, self).__init__()
                self.W = nn.Linear(voc_size, embedding_size, bias=False)
                self.WT = nn.Linear(embedding_size, voc_size, bias=False)

            def forward(self, X):
                hidden_layer = self.W(X)
                output_layer = self.WT(hidden_layer)
                return output_layer

        model = Word2Vec()
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.001)
        for epoch in range(300):
            input_batch, target_batch = random_batch()
            input_batch = L.Tensor(input_batch)
            target_batch = L.LongTensor(target_batch)
            optimizer.zero_grad()
            output = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 100 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        o.print(input_batch.dtype, input_batch.shape)
        pts = []
        for i, label in enumerate(word_list):
            W, WT = model.parameters()
            x, y = W[0][i].item(), W[1][i].item()
            pts.append((label, round(x, 3), round(y, 3)))
        o.print(pts)
        o.vals += [model.W.weight, model.WT.weight, loss]
    return o.done()


def textcnn(L):
    nn, optim, F = L.nn, L.optim, L.nn.functional
    with Out() as o:
        L.manual_seed(0)
        embedding_size, sequence_length, num_classes = 2, 3, 2
        filter_sizes, num_filters = [2, 2, 2], 3
        sentences = ["i love you", "he loves me", "she likes baseball", "i hate you",
                     "sorry for that", "this is awful"]
        labels = [1, 1, 1, 0, 0, 0]
        word_list = sorted(set(" ".join(sentences).split()))
        word_dict = {w: i for i, w in enumerate(word_list)}
        vocab_size = len(word_dict)

        class TextCNN(nn.Module):
            def __init__(self):
                super(TextCNN, self).__init__()
                self.num_filters_total = num_filters * len(filter_sizes)
                self.W = nn.Embedding(vocab_size, embedding_size)
                self.Weight = nn.Linear(self.num_filters_total, num_classes, bias=False)
                self.Bias = nn.Parameter(L.ones([num_classes]))
                self.filter_list = nn.ModuleList(
                    [nn.Conv2d(1, num_filters, (size, embedding_size)) for size in filter_sizes])

            def forward(self, X):
                embedded_chars = self.W(X)
                embedded_chars = embedded_chars.unsqueeze(1)
                pooled_outputs = []
                for i, conv in enumerate(self.filter_list):
                    h = F.relu(conv(embedded_chars))
                    mp = nn.MaxPool2d((sequence_length - filter_sizes[i] + 1, 1))
                    pooled = mp(h).permute(0, 3, 2, 1)
                    pooled_outputs.append(pooled)
                h_pool = L.cat(pooled_outputs, len(filter_sizes))
                h_pool_flat = L.reshape(h_pool, [-1, self.num_filters_total])
                model = self.Weight(h_pool_flat) + self.Bias
                return model

        model = TextCNN()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.001)
        inputs = L.LongTensor([np.asarray([word_dict[n] for n in sen.split()])
                               for sen in sentences])
        targets = L.LongTensor([out for out in labels])
        for epoch in range(300):
            optimizer.zero_grad()
            output = model(inputs)
            loss = criterion(output, targets)
            if (epoch + 1) % 100 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        test_text = 'sorry hate you'
        tests = [np.asarray([word_dict[n] for n in test_text.split()])]
        test_batch = L.LongTensor(tests)
        predict = model(test_batch).data.max(1, keepdim=True)[1]
        o.print(predict, predict[0][0] == 0)
        if predict[0][0] == 0:
            o.print(test_text, "is Bad Mean...")
        else:
            o.print(test_text, "is Good Mean!!")
        o.vals += [output, loss, model.W.weight, model.filter_list[1].weight, model.Bias]
    return o.done()


def textrnn(L):
    nn, optim = L.nn, L.optim
    with Out() as o:
        L.manual_seed(0)
        n_hidden = 5  # (n_step = 2: the sentences' length - 1)
        sentences = ["i like dog", "i love coffee", "i hate milk"]
        word_list = sorted(set(" ".join(sentences).split()))
        word_dict = {w: i for i, w in enumerate(word_list)}
        number_dict = {i: w for i, w in enumerate(word_list)}
        n_class = len(word_dict)
        batch_size = len(sentences)

        def make_batch():
            input_batch, target_batch = [], []
            for sen in sentences:
                word = sen.split()
                input = [word_dict[n] for n in word[:-1]]
                target = word_dict[word[-1]]
                input_batch.append(np.eye(n_class)[input])
                target_batch.append(target)
            return input_batch, target_batch

        class TextRNN(nn.Module):
            def __init__(self):
                super(TextRNN, self).__init__()
                self.rnn = nn.RNN(input_size=n_class, hidden_size=n_hidden)
                self.W = nn.Linear(n_hidden, n_class, bias=False)
                self.b = nn.Parameter(L.ones([n_class]))

            def forward(self, hidden, X):
                X = X.transpose(0, 1)
                outputs, hidden = self.rnn(X, hidden)
                outputs = outputs[-1]
                model = self.W(outputs) + self.b
                return model

        model = TextRNN()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.001)
        input_batch, target_batch = make_batch()
        input_batch = L.FloatTensor(input_batch)
        target_batch = L.LongTensor(target_batch)
        o.print(input_batch.type(), input_batch.shape)
        for epoch in range(300):
            optimizer.zero_grad()
            hidden = L.zeros(1, batch_size, n_hidden)
            output = model(hidden, input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 100 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        hidden = L.zeros(1, batch_size, n_hidden)
        predict = model(hidden, input_batch).data.max(1, keepdim=True)[1]
        o.print([sen.split()[:2] for sen in sentences], '->',
                [number_dict[n.item()] for n in predict.squeeze()])
        o.vals += [output, loss, model.rnn.weight_hh_l0, model.rnn.bias_ih_l0]
    return o.done()


def textlstm(L):
    nn, optim = L.nn, L.optim
    from importlib import import_module
    Variable = import_module(L.__name__ + ".autograd").Variable
    with Out() as o:
        L.manual_seed(0)
        dtype = L.FloatTensor
        char_arr = [c for c in 'abcdefghijklmnopqrstuvwxyz']
        word_dict = {n: i for i, n in enumerate(char_arr)}
        number_dict = {i: w for i, w in enumerate(char_arr)}
        n_class = len(word_dict)
        seq_data = ['make', 'need', 'coal', 'word', 'love', 'hate', 'live', 'home', 'hash', 'star']
        n_hidden = 16  # (n_step = 3)

        def make_batch(seq_data):
            input_batch, target_batch = [], []
            for seq in seq_data:
                input = [word_dict[n] for n in seq[:-1]]
                target = word_dict[seq[-1]]
                input_batch.append(np.eye(n_class)[input])
                target_batch.append(target)
            return Variable(L.Tensor(input_batch)), Variable(L.LongTensor(target_batch))

        class TextLSTM(nn.Module):
            def __init__(self):
                super(TextLSTM, self).__init__()
                self.lstm = nn.LSTM(input_size=n_class, hidden_size=n_hidden)
                self.W = nn.Parameter(L.randn([n_hidden, n_class]).type(dtype))
                self.b = nn.Parameter(L.randn([n_class]).type(dtype))

            def forward(self, X):
                input = X.transpose(0, 1)
                hidden_state = Variable(L.zeros(1, len(X), n_hidden))
                cell_state = Variable(L.zeros(1, len(X), n_hidden))
                outputs, (_, _) = self.lstm(input, (hidden_state, cell_state))
                outputs = outputs[-1]
                model = L.mm(outputs, self.W) + self.b
                return model

        input_batch, target_batch = make_batch(seq_data)
        model = TextLSTM()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.001)
        output = model(input_batch)
        for epoch in range(200):
            optimizer.zero_grad()
            output = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 50 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        inputs = [sen[:3] for sen in seq_data]
        predict = model(input_batch).data.max(1, keepdim=True)[1]
        o.print(inputs, '->', [number_dict[n.item()] for n in predict.squeeze()])
        o.vals += [output, loss, model.W, model.lstm.weight_ih_l0]
    return o.done()


def bilstm(L):
    nn, optim = L.nn, L.optim
    with Out() as o:
        L.manual_seed(0)
        n_hidden = 5
        sentence = ('Lorem ipsum dolor sit amet consectetur adipisicing elit '
                    'sed do eiusmod tempor incididunt ut labore et dolore magna')
        word_dict = {w: i for i, w in enumerate(sorted(set(sentence.split())))}
        number_dict = {i: w for i, w in enumerate(sorted(set(sentence.split())))}
        n_class = len(word_dict)
        max_len = len(sentence.split())

        def make_batch():
            input_batch, target_batch = [], []
            words = sentence.split()
            for i, word in enumerate(words[:-1]):
                input = [word_dict[n] for n in words[:(i + 1)]]
                input = input + [0] * (max_len - len(input))
                target = word_dict[words[i + 1]]
                input_batch.append(np.eye(n_class)[input])
                target_batch.append(target)
            return input_batch, target_batch

        class BiLSTM(nn.Module):
            def __init__(self):
                super(BiLSTM, self).__init__()
                self.lstm = nn.LSTM(input_size=n_class, hidden_size=n_hidden, bidirectional=True)
                self.W = nn.Linear(n_hidden * 2, n_class, bias=False)
                self.b = nn.Parameter(L.ones([n_class]))

            def forward(self, X):
                input = X.transpose(0, 1)
                hidden_state = L.zeros(1 * 2, len(X), n_hidden)
                cell_state = L.zeros(1 * 2, len(X), n_hidden)
                outputs, (_, _) = self.lstm(input, (hidden_state, cell_state))
                outputs = outputs[-1]
                model = self.W(outputs) + self.b
                return model

        model = BiLSTM()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.001)
        input_batch, target_batch = make_batch()
        input_batch = L.FloatTensor(input_batch)
        target_batch = L.LongTensor(target_batch)
        for epoch in range(200):
            optimizer.zero_grad()
            output = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 50 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        predict = model(input_batch).data.max(1, keepdim=True)[1]
        o.print(sentence)
        o.print([number_dict[n.item()] for n in predict.squeeze()])
        o.vals += [output, loss, model.lstm.weight_hh_l0_reverse, model.W.weight]
    return o.done()
