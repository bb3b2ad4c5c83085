"""graykode/nlp-tutorial 4-1 Seq2Seq, 4-2 Seq2Seq(Attention), 4-3 Bi-LSTM(Attention) as users
type them (fewer epochs, smaller hidden sizes, the attention plots left out) for
tests/test_programs_s18_nlpmorvan.py."""

import numpy as np
from s16_yunjey_progs import Out


def seq2seq(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        n_step, n_hidden = 5, 16
        char_arr = [c for c in 'SEPabcdefghijklmnopqrstuvwxyz']
        num_dic = {n: i for i, n in enumerate(char_arr)}
        seq_data = [['man', 'women'], ['black', 'white'], ['king', 'queen'], ['girl', 'boy'],
                    ['up', 'down'], ['high', 'low']]
        n_class = len(num_dic)
        batch_size = len(seq_data)

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

        model = Seq2Seq()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        input_batch, output_batch, target_batch = make_batch()
        for epoch in range(200):
            hidden = L.zeros(1, batch_size, n_hidden)
            optimizer.zero_grad()
            output = model(input_batch, hidden, output_batch)
            output = output.transpose(0, 1)
            loss = 0
            for i in range(0, len(target_batch)):
                loss += criterion(output[i], target_batch[i])
            if (epoch + 1) % 50 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()

        def translate(word):
            input_batch, output_batch = make_testbatch(word)
            hidden = L.zeros(1, 1, n_hidden)
            output = model(input_batch, hidden, output_batch)
            predict = output.data.max(2, keepdim=True)[1]
            decoded = [char_arr[i] for i in predict]
            end = decoded.index('E') if 'E' in decoded else len(decoded)
            translated = ''.join(decoded[:end])
            return translated.replace('P', '')

        o.print('test')
        for w in ('man', 'mans', 'king', 'black', 'upp'):
            o.print(w + ' ->', translate(w))
        o.vals += [output, loss, model.fc.weight, model.enc_cell.weight_ih_l0]
    return o.done()


def seq2seq_attention(L):
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(0)
        n_hidden = 16  # (n_step = 5)
        sentences = ['ich mochte ein bier P', 'S i want a beer', 'i want a beer E']
        word_list = sorted(set(" ".join(sentences).split()))
        word_dict = {w: i for i, w in enumerate(word_list)}
        number_dict = {i: w for i, w in enumerate(word_list)}
        n_class = len(word_dict)
        hidden = L.zeros(1, 1, n_hidden)

        def make_batch():
            input_batch = [np.eye(n_class)[[word_dict[n] for n in sentences[0].split()]]]
            output_batch = [np.eye(n_class)[[word_dict[n] for n in sentences[1].split()]]]
            target_batch = [[word_dict[n] for n in sentences[2].split()]]
            return (L.FloatTensor(input_batch), L.FloatTensor(output_batch),
                    L.LongTensor(target_batch))

        class Attention(nn.Module):
            def __init__(self):
                super(Attention, self).__init__()
                self.enc_cell = nn.RNN(input_size=n_class, hidden_size=n_hidden, dropout=0.5)
                self.dec_cell = nn.RNN(input_size=n_class, hidden_size=n_hidden, dropout=0.5)
                self.attn = nn.Linear(n_hidden, n_hidden)
                self.out = nn.Linear(n_hidden * 2, n_class)

            def forward(self, enc_inputs, hidden, dec_inputs):
                enc_inputs = enc_inputs.transpose(0, 1)
                dec_inputs = dec_inputs.transpose(0, 1)
                enc_outputs, enc_hidden = self.enc_cell(enc_inputs, hidden)
                trained_attn = []
                hidden = enc_hidden
                n_step = len(dec_inputs)
                model = L.empty([n_step, 1, n_class])
                for i in range(n_step):
                    dec_output, hidden = self.dec_cell(dec_inputs[i].unsqueeze(0), hidden)
                    attn_weights = self.get_att_weight(dec_output, enc_outputs)
                    trained_attn.append(attn_weights.squeeze().data.numpy())
                    context = attn_weights.bmm(enc_outputs.transpose(0, 1))
                    dec_output = dec_output.squeeze(0)
                    context = context.squeeze(1)
                    model[i] = self.out(L.cat((dec_output, context), 1))
                return model.transpose(0, 1).squeeze(0), trained_attn

            def get_att_weight(self, dec_output, enc_outputs):
                n_step = len(enc_outputs)
                attn_scores = L.zeros(n_step)
                for i in range(n_step):
                    attn_scores[i] = self.get_att_score(dec_output, enc_outputs[i])
                return F.softmax(attn_scores).view(1, 1, -1)

            def get_att_score(self, dec_output, enc_output):
                score = self.attn(enc_output)
                return L.dot(dec_output.view(-1), score.view(-1))

        model = Attention()
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        input_batch, output_batch, target_batch = make_batch()
        for epoch in range(60):
            optimizer.zero_grad()
            output, _ = model(input_batch, hidden, output_batch)
            loss = criterion(output, target_batch.squeeze(0))
            if (epoch + 1) % 20 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        o.print(type(output.grad_fn).__name__, output.shape, output.is_contiguous())
        test_batch = [np.eye(n_class)[[word_dict[n] for n in 'SPPPP']]]
        test_batch = L.FloatTensor(test_batch)
        predict, trained_attn = model(input_batch, hidden, test_batch)
        predict = predict.data.max(1, keepdim=True)[1]
        o.print(sentences[0], '->', [number_dict[n.item()] for n in predict.squeeze()])
        o.print(len(trained_attn), trained_attn[0].shape, trained_attn[0].dtype)
        o.vals += [output, loss, np.stack(trained_attn), model.attn.weight]
    return o.done()


def bilstm_attention(L):
    nn, optim, F = L.nn, L.optim, L.nn.functional
    from importlib import import_module
    Variable = import_module(L.__name__ + ".autograd").Variable
    with Out() as o:
        L.manual_seed(0)
        embedding_dim, n_hidden, num_classes = 2, 5, 2
        sentences = ["i love you", "he loves me", "she likes baseball", "i hate you",
                     "sorry for that", "this is awful"]
        labels = [1, 1, 1, 0, 0, 0]
        word_list = sorted(set(" ".join(sentences).split()))
        word_dict = {w: i for i, w in enumerate(word_list)}
        vocab_size = len(word_dict)
        inputs = []
        for sen in sentences:
            inputs.append(np.asarray([word_dict[n] for n in sen.split()]))
        targets = []
        for out in labels:
            targets.append(out)
        input_batch = Variable(L.LongTensor(inputs))
        target_batch = Variable(L.LongTensor(targets))

        class BiLSTM_Attention(nn.Module):
            def __init__(self):
                super(BiLSTM_Attention, self).__init__()
                self.embedding = nn.Embedding(vocab_size, embedding_dim)
                self.lstm = nn.LSTM(embedding_dim, n_hidden, bidirectional=True)
                self.out = nn.Linear(n_hidden * 2, num_classes)

            def attention_net(self, lstm_output, final_state):
                hidden = final_state.view(-1, n_hidden * 2, 1)
                attn_weights = L.bmm(lstm_output, hidden).squeeze(2)
                soft_attn_weights = F.softmax(attn_weights, 1)
                context = L.bmm(lstm_output.transpose(1, 2),
                                soft_attn_weights.unsqueeze(2)).squeeze(2)
                return context, soft_attn_weights.data.numpy()

            def forward(self, X):
                input = self.embedding(X)
                input = input.permute(1, 0, 2)
                hidden_state = Variable(L.zeros(1 * 2, len(X), n_hidden))
                cell_state = Variable(L.zeros(1 * 2, len(X), n_hidden))
                output, (final_hidden_state, final_cell_state) = self.lstm(
                    input, (hidden_state, cell_state))
                output = output.permute(1, 0, 2)
                attn_output, attention = self.attention_net(output, final_hidden_state)
                return self.out(attn_output), attention

        model = BiLSTM_Attention()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.001)
        for epoch in range(300):
            optimizer.zero_grad()
            output, attention = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 100 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        test_text = 'sorry hate you'
        tests = [np.asarray([word_dict[n] for n in test_text.split()])]
        test_batch = Variable(L.LongTensor(tests))
        predict, _ = model(test_batch)
        predict = predict.data.max(1, keepdim=True)[1]
        if predict[0][0] == 0:
            o.print(test_text, "is Bad Mean...")
        else:
            o.print(test_text, "is Good Mean!!")
        o.print(attention.shape, attention.dtype)
        o.vals += [output, loss, attention, model.embedding.weight]
    return o.done()
