"""graykode/nlp-tutorial, scaled down, for tests/test_programs_s20_graykode.py (see
s20_graykode_progs.py). This file: 3-1.TextRNN/TextRNN.py, 3-2.TextLSTM/TextLSTM.py,
3-3.Bi-LSTM/Bi-LSTM.py, 4-1.Seq2Seq/Seq2Seq.py."""

import numpy as np
from s16_yunjey_progs import Out


def textrnn(L):
    """3-1.TextRNN/TextRNN.py: nn.RNN fed np.eye one-hots through torch.FloatTensor(list of
    arrays), model(hidden, X), outputs[-1], a bias nn.Parameter(torch.ones([n]))."""
    nn, optim = L.nn, L.optim
    with Out() as o:
        L.manual_seed(5)

        def make_batch():
            input_batch = []
            target_batch = []
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

        n_step, n_hidden = 2, 5
        sentences = ["i like dog", "i love coffee", "i hate milk"]
        word_list = sorted(set(" ".join(sentences).split()))
        word_dict = {w: i for i, w in enumerate(word_list)}
        number_dict = {i: w for i, w in enumerate(word_list)}
        n_class = len(word_dict)
        batch_size = len(sentences)

        model = TextRNN()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        input_batch, target_batch = make_batch()
        input_batch = L.FloatTensor(input_batch)
        target_batch = L.LongTensor(target_batch)
        for epoch in range(200):
            optimizer.zero_grad()
            hidden = L.zeros(1, batch_size, n_hidden)
            output = model(hidden, input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 50 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        hidden = L.zeros(1, batch_size, n_hidden)
        predict = model(hidden, input_batch).data.max(1, keepdim=True)[1]
        o.print([sen.split()[:2] for sen in sentences], '->',
                [number_dict[n.item()] for n in predict.squeeze()])
        o.vals += [output, loss] + list(model.parameters())
    return o.done()


def textlstm(L):
    """3-2.TextLSTM/TextLSTM.py: Variable(torch.Tensor(list of np.eye rows)),
    nn.Parameter(torch.randn([n_hidden, n_class]).type(dtype)), an LSTM given (h0, c0)
    Variables, `outputs, (_, _) = self.lstm(...)`, torch.mm."""
    nn, optim = L.nn, L.optim
    Variable = L.autograd.Variable
    with Out() as o:
        L.manual_seed(6)
        dtype = L.FloatTensor
        char_arr = [c for c in 'abcdefghijklmnopqrstuvwxyz']
        word_dict = {n: i for i, n in enumerate(char_arr)}
        number_dict = {i: w for i, w in enumerate(char_arr)}
        n_class = len(word_dict)
        seq_data = ['make', 'need', 'coal', 'word', 'love', 'hate', 'live', 'home', 'hash',
                    'star']
        n_step = 3
        n_hidden = 16

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
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        output = model(input_batch)
        for epoch in range(100):
            optimizer.zero_grad()
            output = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 20 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        inputs = [sen[:3] for sen in seq_data]
        predict = model(input_batch).data.max(1, keepdim=True)[1]
        o.print(inputs, '->', [number_dict[n.item()] for n in predict.squeeze()])
        o.vals += [output, loss] + list(model.parameters())
    return o.done()


def bilstm(L):
    """3-3.Bi-LSTM/Bi-LSTM.py: a bidirectional LSTM over zero-padded one-hot prefixes,
    (h0, c0) of shape [2, batch, hidden], outputs[-1] of width 2 * hidden."""
    nn, optim = L.nn, L.optim
    with Out() as o:
        L.manual_seed(7)

        def make_batch():
            input_batch = []
            target_batch = []
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
                self.lstm = nn.LSTM(input_size=n_class, hidden_size=n_hidden,
                                    bidirectional=True)
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

        n_hidden = 5
        sentence = ('Lorem ipsum dolor sit amet consectetur adipisicing elit '
                    'sed do eiusmod tempor incididunt ut labore')
        word_dict = {w: i for i, w in enumerate(sorted(set(sentence.split())))}
        number_dict = {i: w for i, w in enumerate(sorted(set(sentence.split())))}
        n_class = len(word_dict)
        max_len = len(sentence.split())

        model = BiLSTM()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        input_batch, target_batch = make_batch()
        input_batch = L.FloatTensor(input_batch)
        target_batch = L.LongTensor(target_batch)
        for epoch in range(30):
            optimizer.zero_grad()
            output = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 10 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        predict = model(input_batch).data.max(1, keepdim=True)[1]
        o.print(sentence)
        o.print([number_dict[n.item()] for n in predict.squeeze()])
        o.vals += [output, loss] + list(model.parameters())
    return o.done()


def seq2seq(L):
    """4-1.Seq2Seq/Seq2Seq.py: two nn.RNN(dropout=0.5) with one layer (PyTorch's warning),
    loss = 0 then loss += criterion(output[i], target_batch[i]), '{:.6f}'.format on the
    summed loss, a translate() that reads predict.data.max(2, keepdim=True)[1] as list
    indices (char_arr[i] for i in predict: [1, 1]-shaped tensors as indices)."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(8)

        def make_batch():
            input_batch, output_batch, target_batch = [], [], []
            for seq in seq_data:
                for i in range(2):
                    seq[i] = seq[i] + 'P' * (n_step - len(seq[i]))
                input = [num_dic[n] for n in seq[0]]
                output = [num_dic[n] for n in ('S' + seq[1])]
                target = [num_dic[n] for n in (seq[1] + 'E')]
                input_batch.append(np.eye(n_class)[input])
                output_batch.append(np.eye(n_class)[output])
                target_batch.append(target)
            return (L.FloatTensor(input_batch), L.FloatTensor(output_batch),
                    L.LongTensor(target_batch))

        def make_testbatch(input_word):
            input_w = input_word + 'P' * (n_step - len(input_word))
            input = [num_dic[n] for n in input_w]
            output = [num_dic[n] for n in 'S' + 'P' * n_step]
            input_batch = np.eye(n_class)[input]
            output_batch = np.eye(n_class)[output]
            return (L.FloatTensor(input_batch).unsqueeze(0),
                    L.FloatTensor(output_batch).unsqueeze(0))

        class Seq2Seq(nn.Module):
            def __init__(self):
                super(Seq2Seq, self).__init__()
                self.enc_cell = nn.RNN(input_size=n_class, hidden_size=n_hidden, dropout=0.5)
                self.dec_cell = nn.RNN(input_size=n_class, hidden_size=n_hidden, dropout=0.5)
                self.fc = nn.Linear(n_hidden, n_class)

            def forward(self, enc_input, enc_hidden, dec_input):
                enc_input = enc_input.transpose(0, 1)
                dec_input = dec_input.transpose(0, 1)
                _, enc_states = self.enc_cell(enc_input, enc_hidden)
                outputs, _ = self.dec_cell(dec_input, enc_states)
                model = self.fc(outputs)
                return model

        n_step = 5
        n_hidden = 32
        char_arr = [c for c in 'SEPabcdefghijklmnopqrstuvwxyz']
        num_dic = {n: i for i, n in enumerate(char_arr)}
        seq_data = [['man', 'women'], ['black', 'white'], ['king', 'queen'], ['girl', 'boy'],
                    ['up', 'down'], ['high', 'low']]
        n_class = len(num_dic)
        batch_size = len(seq_data)

        model = Seq2Seq()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        input_batch, output_batch, target_batch = make_batch()
        for epoch in range(20):
            hidden = L.zeros(1, batch_size, n_hidden)
            optimizer.zero_grad()
            output = model(input_batch, hidden, output_batch)
            output = output.transpose(0, 1)
            loss = 0
            for i in range(0, len(target_batch)):
                loss += criterion(output[i], target_batch[i])
            if (epoch + 1) % 5 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()

        def translate(word):
            input_batch, output_batch = make_testbatch(word)
            hidden = L.zeros(1, 1, n_hidden)
            output = model(input_batch, hidden, output_batch)
            predict = output.data.max(2, keepdim=True)[1]
            decoded = [char_arr[i] for i in predict]
            if 'E' not in decoded:
                return ''.join(decoded)
            end = decoded.index('E')
            translated = ''.join(decoded[:end])
            return translated.replace('P', '')

        o.print('test')
        for w in ['man', 'mans', 'king', 'black', 'upp']:
            o.print(w, '->', translate(w))
        o.vals += [output, loss] + list(model.parameters())
    return o.done()
