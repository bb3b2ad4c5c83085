"""graykode/nlp-tutorial, scaled down, for tests/test_programs_s20_graykode.py (see
s20_graykode_progs.py). This file: 4-2.Seq2Seq(Attention)/Seq2Seq(Attention).py and
4-3.Bi-LSTM(Attention)/Bi-LSTM(Attention).py, and 2-1.TextCNN/TextCNN-Torch.py (older)."""

import numpy as np
from s16_yunjey_progs import Out


def seq2seq_attention(L):
    """4-2.Seq2Seq(Attention).py: model = torch.empty([n_step, 1, n_class]) filled row by row
    with model[i] = self.out(...) (autograd through setitem), attn_scores[i] = a 0-d dot
    product, F.softmax(attn_scores) without dim (PyTorch's warning), .bmm,
    attn_weights.squeeze().data.numpy()."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(9)

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

        n_hidden = 16
        sentences = ['ich mochte ein bier P', 'S i want a beer', 'i want a beer E']
        word_list = sorted(set(" ".join(sentences).split()))
        word_dict = {w: i for i, w in enumerate(word_list)}
        number_dict = {i: w for i, w in enumerate(word_list)}
        n_class = len(word_dict)
        hidden = L.zeros(1, 1, n_hidden)

        model = Attention()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        input_batch, output_batch, target_batch = make_batch()
        for epoch in range(20):
            optimizer.zero_grad()
            output, _ = model(input_batch, hidden, output_batch)
            loss = criterion(output, target_batch.squeeze(0))
            if (epoch + 1) % 5 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        o.print(output.shape, output.grad_fn is not None, output.requires_grad)
        test_batch = [np.eye(n_class)[[word_dict[n] for n in 'SPPPP']]]
        test_batch = L.FloatTensor(test_batch)
        predict, trained_attn = model(input_batch, hidden, test_batch)
        predict = predict.data.max(1, keepdim=True)[1]
        o.print(sentences[0], '->', [number_dict[n.item()] for n in predict.squeeze()])
        o.print(len(trained_attn), trained_attn[0].dtype, trained_attn[0].shape)
        # attn.bias adds dec_output . bias to every score alike, which the softmax cancels: its
        # gradient is zero up to rounding, and Adam turns that noise into +-lr steps on either
        # library, so it is left out of the values (nothing else depends on it).
        o.vals += [output, loss, np.stack(trained_attn)] + [
            p for n, p in model.named_parameters() if n != 'attn.bias']
    return o.done()


def bilstm_attention(L):
    """4-3.Bi-LSTM(Attention).py: Embedding -> bidirectional LSTM, final_state.view(-1,
    n_hidden * 2, 1) (the two directions' final states read as one vector), torch.bmm,
    F.softmax(.., 1), soft_attn_weights.data.numpy(), Variable(torch.LongTensor(list of
    arrays))."""
    nn, optim, F = L.nn, L.optim, L.nn.functional
    Variable = L.autograd.Variable
    with Out() as o:
        L.manual_seed(10)
        embedding_dim = 2
        n_hidden = 5
        num_classes = 2
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
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        for epoch in range(60):
            optimizer.zero_grad()
            output, attention = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 20 == 0:
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
        o.print(type(attention).__name__, attention.dtype, attention.shape)
        o.vals += [output, loss, attention] + list(model.parameters())
    return o.done()


def textcnn_legacy(L):
    """2-1.TextCNN/TextCNN-Torch.py (the older version): nn.Parameter(torch.empty(..)
    .uniform_(-1, 1)).type(dtype), an embedding read as self.W[X] (a 2-d LongTensor index on
    a Parameter), a fresh nn.Conv2d made in each forward (untrained, new random weights),
    torch.cat(pooled_outputs, num_filters), print(result) of a 0-d tensor, result == 0."""
    nn, optim, F = L.nn, L.optim, L.nn.functional
    Variable = L.autograd.Variable
    with Out() as o:
        L.manual_seed(16)
        dtype = L.FloatTensor
        embedding_size, sequence_length, num_classes = 2, 3, 2
        filter_sizes = [2, 2, 2]
        num_filters = 3
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

        class TextCNN(nn.Module):
            def __init__(self):
                super(TextCNN, self).__init__()
                self.num_filters_total = num_filters * len(filter_sizes)
                self.W = nn.Parameter(L.empty(vocab_size, embedding_size)
                                      .uniform_(-1, 1)).type(dtype)
                self.Weight = nn.Parameter(L.empty(self.num_filters_total, num_classes)
                                           .uniform_(-1, 1)).type(dtype)
                self.Bias = nn.Parameter(0.1 * L.ones([num_classes])).type(dtype)

            def forward(self, X):
                embedded_chars = self.W[X]
                embedded_chars = embedded_chars.unsqueeze(1)
                pooled_outputs = []
                for filter_size in filter_sizes:
                    conv = nn.Conv2d(1, num_filters, (filter_size, embedding_size),
                                     bias=True)(embedded_chars)
                    h = F.relu(conv)
                    mp = nn.MaxPool2d((sequence_length - filter_size + 1, 1))
                    pooled = mp(h).permute(0, 3, 2, 1)
                    pooled_outputs.append(pooled)
                h_pool = L.cat(pooled_outputs, num_filters)
                h_pool_flat = L.reshape(h_pool, [-1, self.num_filters_total])
                model = L.mm(h_pool_flat, self.Weight) + self.Bias
                return model

        model = TextCNN()
        o.print(model, [n for n, _ in model.named_parameters()])
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        for epoch in range(40):
            optimizer.zero_grad()
            output = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 10 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        test_text = 'sorry hate you'
        tests = []
        tests.append(np.asarray([word_dict[n] for n in test_text.split()]))
        test_batch = Variable(L.LongTensor(tests))
        predict = model(test_batch).data.max(1, keepdim=True)[1]
        result = predict[0][0]
        o.print(result)
        if result == 0:
            o.print(test_text, "is Bad Mean...")
        else:
            o.print(test_text, "is Good Mean!!")
        o.vals += [output, loss] + list(model.parameters())
    return o.done()
