"""graykode/nlp-tutorial's older 1-2 Word2Vec-Torch-CBOW(Softmax) (Parameters made with
.type(dtype), torch.matmul) and the greedy decoder of 5-1 Transformer(Greedy_decoder)-Torch;
MorvanZhou/PyTorch-Tutorial's 406_conditional_GAN (with its original step order, which
PyTorch refuses since 1.5, and the working order) and 501_why_torch_dynamic_graph, all scaled
down, for tests/test_programs_s18_nlpmorvan.py."""

import numpy as np
from s16_yunjey_progs import Out
from s18_nlpmorvan_progs_c import transformer


def word2vec_cbow(L):
    nn, optim = L.nn, L.optim
    from importlib import import_module
    Variable = import_module(L.__name__ + ".autograd").Variable
    with Out() as o:
        L.manual_seed(0)
        rs = np.random.RandomState(0)
        dtype = L.FloatTensor
        sentences = ["i like dog", "i like cat", "i like animal", "dog cat animal",
                     "apple cat dog like", "dog fish milk like", "dog cat eyes like",
                     "i like apple", "apple i hate", "apple i movie book music like",
                     "cat dog hate", "cat dog like"]
        word_sequence = " ".join(sentences).split()
        word_list = sorted(set(" ".join(sentences).split()))
        word_dict = {w: i for i, w in enumerate(word_list)}
        batch_size, embedding_size = 20, 2
        voc_size = len(word_list)

        def random_batch(data, size):
            random_inputs, random_labels = [], []
            random_index = rs.choice(range(len(data)), size, replace=False)
            for i in random_index:
                random_inputs.append(np.eye(voc_size)[data[i][0]])
                random_labels.append(data[i][1])
            return random_inputs, random_labels

        skip_grams = []
        for i in range(1, len(word_sequence) - 1):
            target = word_dict[word_sequence[i]]
            context = [word_dict[word_sequence[i - 1]], word_dict[word_sequence[i + 1]]]
            for w in context:
                skip_grams.append([w, target])

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
        o.print(model, [n for n, _ in model.named_parameters()])
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.001)
        for epoch in range(100):
            input_batch, target_batch = random_batch(skip_grams, batch_size)
            input_batch = Variable(L.Tensor(input_batch))
            target_batch = Variable(L.LongTensor(target_batch))
            optimizer.zero_grad()
            output = model(input_batch)
            loss = criterion(output, target_batch)
            if (epoch + 1) % 25 == 0:
                o.print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.4f}'.format(loss))
            loss.backward()
            optimizer.step()
        pts = []
        for i, label in enumerate(word_list):
            W, WT = model.parameters()
            x, y = float(W[i][0]), float(W[i][1])
            pts.append((label, round(x, 3), round(y, 3)))
        o.print(pts)
        o.vals += [model.W, model.WT, loss]
    return o.done()


def transformer_greedy(L):
    """5-1's model trained as in tests/s18_nlpmorvan_progs_c.transformer, then decoded word
    by word (dec_input an int64 tensor made by type_as, written through dec_input[0][i])."""
    with Out() as o:
        printed, vals = transformer(L, keep=True)
        o.lines += printed
        model, enc_inputs, tgt_vocab, number_dict = vals[-1]

        def greedy_decoder(model, enc_input, start_symbol):
            enc_outputs, enc_self_attns = model.encoder(enc_input)
            dec_input = L.zeros(1, 5).type_as(enc_input.data)
            next_symbol = start_symbol
            for i in range(0, 5):
                dec_input[0][i] = next_symbol
                dec_outputs, _, _ = model.decoder(dec_input, enc_input, enc_outputs)
                projected = model.projection(dec_outputs)
                prob = projected.squeeze(0).max(dim=-1, keepdim=False)[1]
                next_word = prob.data[i]
                next_symbol = next_word.item()
            return dec_input

        greedy_dec_input = greedy_decoder(model, enc_inputs, start_symbol=tgt_vocab["S"])
        o.print(greedy_dec_input, greedy_dec_input.dtype)
        predict, _, _, _ = model(enc_inputs, greedy_dec_input)
        predict = predict.data.max(1, keepdim=True)[1]
        o.print('ich mochte ein bier P', '->', [number_dict[n.item()] for n in predict.squeeze()])
        o.vals += vals[:-1] + [greedy_dec_input]
    return o.done()


def conditional_gan(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(1)
        rs = np.random.RandomState(1)
        BATCH_SIZE, LR_G, LR_D, N_IDEAS, ART_COMPONENTS = 16, 0.0001, 0.0001, 5, 15
        PAINT_POINTS = np.vstack([np.linspace(-1, 1, ART_COMPONENTS) for _ in range(BATCH_SIZE)])

        def artist_works_with_labels():
            a = rs.uniform(1, 2, size=BATCH_SIZE)[:, np.newaxis]
            paintings = a * np.power(PAINT_POINTS, 2) + (a - 1)
            labels = (a - 1) > 0.5
            paintings = L.from_numpy(paintings).float()
            labels = L.from_numpy(labels.astype(np.float32))
            return paintings, labels

        G = nn.Sequential(nn.Linear(N_IDEAS + 1, 32), nn.ReLU(), nn.Linear(32, ART_COMPONENTS))
        D = nn.Sequential(nn.Linear(ART_COMPONENTS + 1, 32), nn.ReLU(), nn.Linear(32, 1),
                          nn.Sigmoid())
        opt_D = L.optim.Adam(D.parameters(), lr=LR_D)
        opt_G = L.optim.Adam(G.parameters(), lr=LR_G)

        def step_all(original_order):
            artist_paintings, labels = artist_works_with_labels()
            G_ideas = L.randn(BATCH_SIZE, N_IDEAS)
            G_inputs = L.cat((G_ideas, labels), 1)
            G_paintings = G(G_inputs)
            D_inputs0 = L.cat((artist_paintings, labels), 1)
            D_inputs1 = L.cat((G_paintings, labels), 1)
            prob_artist0 = D(D_inputs0)
            prob_artist1 = D(D_inputs1)
            D_score0 = L.log(prob_artist0)
            D_score1 = L.log(1. - prob_artist1)
            D_loss = - L.mean(D_score0 + D_score1)
            G_loss = L.mean(D_score1)
            if original_order:
                opt_D.zero_grad()
                D_loss.backward(retain_graph=True)
                opt_D.step()
                opt_G.zero_grad()
                G_loss.backward()
                opt_G.step()
            else:
                opt_G.zero_grad()
                G_loss.backward(retain_graph=True)
                opt_D.zero_grad()
                D_loss.backward()
                opt_G.step()
                opt_D.step()
            return G_paintings, labels, prob_artist0, D_loss

        o.tryit(lambda: step_all(True))
        for step in range(30):
            G_paintings, labels, prob_artist0, D_loss = step_all(False)
            if step % 10 == 0:
                bound = [0, 0.5] if labels.data[0, 0] == 0 else [0.5, 1]
                o.print(bound, G_paintings.data.numpy()[0].shape)
                o.print('D accuracy=%.2f (0.5 for D to converge)'
                        % prob_artist0.data.numpy().mean())
                o.print('D score= %.2f (-1.38 for G to converge)' % -D_loss.data.numpy())
                o.print('Class = %i' % int(labels.data[0, 0]))
                o.vals += [D_loss.item(), G_paintings.data.numpy()[0]]
        z = L.randn(1, N_IDEAS)
        label = L.FloatTensor([[1.]])
        G_inputs = L.cat((z, label), 1)
        G_paintings = G(G_inputs)
        o.vals += [G_paintings, D[2].weight]
    return o.done()


def dynamic_graph(L):
    nn = L.nn
    from importlib import import_module
    Variable = import_module(L.__name__ + ".autograd").Variable
    with Out() as o:
        L.manual_seed(1)
        rs = np.random.RandomState(1)

        class RNN(nn.Module):
            def __init__(self):
                super(RNN, self).__init__()
                self.rnn = nn.RNN(input_size=1, hidden_size=32, num_layers=1, batch_first=True)
                self.out = nn.Linear(32, 1)

            def forward(self, x, h_state):
                r_out, h_state = self.rnn(x, h_state)
                outs = []
                for time_step in range(r_out.size(1)):
                    outs.append(self.out(r_out[:, time_step, :]))
                return L.stack(outs, dim=1), h_state

        rnn = RNN()
        o.print(rnn)
        optimizer = L.optim.Adam(rnn.parameters(), lr=0.02)
        loss_func = nn.MSELoss()
        h_state = None
        step = 0
        for i in range(12):
            dynamic_steps = rs.randint(1, 4)
            start, end = step * np.pi, (step + dynamic_steps) * np.pi
            step += dynamic_steps
            steps = np.linspace(start, end, 10 * dynamic_steps, dtype=np.float32)
            o.print(len(steps))
            x_np = np.sin(steps)
            y_np = np.cos(steps)
            x = Variable(L.from_numpy(x_np[np.newaxis, :, np.newaxis]))
            y = Variable(L.from_numpy(y_np[np.newaxis, :, np.newaxis]))
            prediction, h_state = rnn(x, h_state)
            h_state = Variable(h_state.data)
            loss = loss_func(prediction, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print('%.4f' % loss.item(), prediction.data.numpy().flatten().shape)
        o.vals += [prediction, h_state, rnn.out.weight, loss]
    return o.done()
