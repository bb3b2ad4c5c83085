"""graykode/nlp-tutorial's older ("-Torch.py", Variable-era) scripts as learners type them,
scaled down, as ``prog(L) -> (printed, values)`` for tests/test_programs_s20_graykode.py:
1-1.NNLM/NNLM-Torch.py, 1-2.Word2Vec/Word2Vec-Torch(Softmax).py and
2-1.TextCNN/TextCNN-Torch.py. (The current scripts are session 18's,
tests/s18_nlpmorvan_progs*.py.) The vocabularies are built with sorted(set(...)) instead of
list(set(...)) so that a run does not depend on the string hash seed."""

import numpy as np
from s16_yunjey_progs import Out


def nnlm_legacy(L):
    """1-1.NNLM/NNLM-Torch.py: dtype = torch.FloatTensor, nn.Parameter(torch.randn(..)
    .type(dtype)), Variable(torch.Tensor(list of one-hot arrays)), nn.functional.tanh,
    torch.mm, `value == pre` between an int and a 1-element tensor."""
    nn, optim = L.nn, L.optim
    Variable = L.autograd.Variable
    with Out() as o:
        L.manual_seed(1)
        dtype = L.FloatTensor
        sentences = ["i like dog", "i love coffee", "i hate milk"]
        word_list = " ".join(sentences).split()
        word_list = sorted(set(word_list))
        word_dict = {w: i for i, w in enumerate(word_list)}
        n_class = len(word_dict)
        n_step = 2
        n_hidden = 2

        def make_batch(sentences):
            input_batch = []
            target_batch = []
            for sen in sentences:
                word = sen.split()
                input = [word_dict[n] for n in word[:-1]]
                target = word_dict[word[-1]]
                input_batch.append(np.eye(n_class)[input])
                target_batch.append(target)
            return input_batch, target_batch

        class NNLM(nn.Module):
            def __init__(self):
                super(NNLM, self).__init__()
                self.H = nn.Parameter(L.randn(n_step * n_class, n_hidden).type(dtype))
                self.d = nn.Parameter(L.randn(n_hidden).type(dtype))
                self.U = nn.Parameter(L.randn(n_hidden, n_class).type(dtype))
                self.b = nn.Parameter(L.randn(n_class).type(dtype))

            def forward(self, X):
                input = X.view(-1, n_step * n_class)
                tanh = nn.functional.tanh(self.d + L.mm(input, self.H))
                output = L.mm(tanh, self.U) + self.b
                return output

        model = NNLM()
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        input_batch, target_batch = make_batch(sentences)
        input_batch = Variable(L.Tensor(input_batch))
        target_batch = Variable(L.LongTensor(target_batch))
        o.print(type(input_batch).__name__, input_batch.dtype, input_batch.shape,
                input_batch.requires_grad)
        for epoch in range(300):
            optimizer.zero_grad()
            output = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 60 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        predict = model(input_batch).data.max(1, keepdim=True)[1]
        input = [sen.split()[:2] for sen in sentences]
        o.print(input)
        output = []
        for pre in predict:
            for key, value in word_dict.items():
                if value == pre:
                    output.append(key)
        o.print(output)
        o.vals += [loss] + list(model.parameters())
    return o.done()


def word2vec_legacy(L):
    """1-2.Word2Vec/Word2Vec-Torch(Softmax).py: nn.Parameter(-2 * torch.rand(..) + 1)
    .type(dtype) (a Parameter turned into a plain tensor: the module then has no
    parameters), torch.matmul, float(W[i][0])."""
    nn, optim = L.nn, L.optim
    Variable = L.autograd.Variable
    with Out() as o:
        L.manual_seed(3); np.random.seed(3)
        dtype = L.FloatTensor
        sentences = ["i like dog", "i like cat", "i like animal", "dog cat animal",
                     "apple cat dog like", "dog fish milk like", "dog cat eyes like",
                     "i like apple", "apple i hate", "apple i movie book music like",
                     "cat dog hate", "cat dog like"]
        word_sequence = " ".join(sentences).split()
        word_list = sorted(set(" ".join(sentences).split()))
        word_dict = {w: i for i, w in enumerate(word_list)}
        batch_size = 20
        embedding_size = 2
        voc_size = len(word_list)

        def random_batch(data, size):
            random_inputs = []
            random_labels = []
            random_index = np.random.choice(range(len(data)), size, replace=False)
            for i in random_index:
                random_inputs.append(np.eye(voc_size)[data[i][0]])
                random_labels.append(data[i][1])
            return random_inputs, random_labels

        skip_grams = []
        for i in range(1, len(word_sequence) - 1):
            target = word_dict[word_sequence[i]]
            context = [word_dict[word_sequence[i - 1]], word_dict[word_sequence[i + 1]]]
            for w in context:
                skip_grams.append([target, w])

        class Word2Vec(nn.Module):
            def __init__(self):
                super(Word2Vec, self).__init__()
                self.W = nn.Parameter(-2 * L.rand(voc_size, embedding_size) + 1).type(dtype)
                self.WT = nn.Parameter(-2 * L.rand(embedding_size, voc_size) + 1).type(dtype)

            def forward(self, X):
                hidden_layer = L.matmul(X, self.W)
                output_layer = L.matmul(hidden_layer, self.WT)
                return output_layer

        model = Word2Vec()
        o.print(type(model.W).__name__, model.W.requires_grad, model.W.is_leaf,
                len(list(model.parameters())))
        o.tryit(lambda: optim.Adam(model.parameters(), lr=0.001))
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam([model.W, model.WT], lr=0.01)
        for epoch in range(200):
            input_batch, target_batch = random_batch(skip_grams, batch_size)
            input_batch = Variable(L.Tensor(input_batch))
            target_batch = Variable(L.LongTensor(target_batch))
            optimizer.zero_grad()
            output = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 50 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        W, WT = model.W, model.WT
        o.print([(label, round(float(W[i][0]), 4), round(float(W[i][1]), 4))
                 for i, label in enumerate(word_list)][:4])
        o.vals += [loss, W.detach(), WT.detach()]
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
