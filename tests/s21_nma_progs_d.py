"""NeuromatchAcademy/course-content-dl: the sequence and representation days: W3D1 (time series
and NLP; 2021's W2D3 modern RNNs: NeuralNet pooling frozen pretrained embeddings, VanillaRNN
with a 2-layer nn.RNN, LSTM with a random initial state, biLSTM, GRU, cosine similarity of
word vectors, clip_grad_norm_), W3D3 unsupervised (the SimCLR contrastive_loss with
F.normalize / F.cosine_similarity / torch.diag offsets, representational similarity) and
W3D4 basic RL (a small DQN with gather, max(1)[0], smooth_l1_loss and epsilon-greedy on a
NumPy grid world), on seeded token ids instead of IMDB / CIFAR / gym."""

import random

from s16_yunjey_progs import Out
from s21_nma_progs import set_seed


def w3d1_rnns(L):
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        SEED = 2021
        set_seed(L, seed=SEED)
        vocab_size, embed_size, hidden_size, output_size = 40, 6, 8, 2
        word_embeddings = torch.randn(vocab_size, embed_size)

        class NeuralNet(nn.Module):
            def __init__(self, output_size, hidden_size, vocab_size, embedding_length,
                         word_embeddings):
                super(NeuralNet, self).__init__()
                self.word_embeddings = nn.Embedding(vocab_size, embedding_length)
                self.word_embeddings.weight = nn.Parameter(word_embeddings, requires_grad=False)
                self.fc1 = nn.Linear(embedding_length, hidden_size)
                self.fc2 = nn.Linear(hidden_size, output_size)

            def forward(self, inputs):
                input = self.word_embeddings(inputs)
                pooled = torch.mean(input, dim=1)
                hidden = torch.relu(self.fc1(pooled))
                logits = self.fc2(hidden)
                return logits

        class VanillaRNN(nn.Module):
            def __init__(self, layers, output_size, hidden_size, vocab_size, embed_size,
                         device):
                super(VanillaRNN, self).__init__()
                self.n_layers = layers
                self.hidden_size = hidden_size
                self.device = device
                self.embeddings = nn.Embedding(vocab_size, embed_size)
                self.rnn = nn.RNN(embed_size, hidden_size, self.n_layers)
                self.fc = nn.Linear(self.n_layers * hidden_size, output_size)

            def forward(self, inputs):
                input = self.embeddings(inputs)
                input = input.permute(1, 0, 2)
                h_0 = torch.zeros(2, input.size()[1], self.hidden_size).to(self.device)
                output, h_n = self.rnn(input, h_0)
                h_n = h_n.permute(1, 0, 2)
                h_n = h_n.contiguous().reshape(h_n.size()[0], h_n.size()[1] * h_n.size()[2])
                logits = self.fc(h_n)
                return logits

        class LSTM(nn.Module):
            def __init__(self, layers, output_size, hidden_size, vocab_size, embed_size,
                         device, bidirectional=False):
                super(LSTM, self).__init__()
                self.n_layers = layers
                self.output_size = output_size
                self.hidden_size = hidden_size
                self.device = device
                self.n_dirs = 2 if bidirectional else 1
                self.word_embeddings = nn.Embedding(vocab_size, embed_size)
                self.dropout = nn.Dropout(0.5)
                self.lstm = nn.LSTM(embed_size, hidden_size, num_layers=self.n_layers,
                                    bidirectional=bidirectional)
                self.fc = nn.Linear(self.n_dirs * self.n_layers * self.hidden_size,
                                    output_size)

            def forward(self, input_sentences):
                input = self.word_embeddings(input_sentences).permute(1, 0, 2)
                hidden = (torch.randn(self.n_dirs * self.n_layers, input.shape[1],
                                      self.hidden_size).to(self.device),
                          torch.randn(self.n_dirs * self.n_layers, input.shape[1],
                                      self.hidden_size).to(self.device))
                input = self.dropout(input)
                output, hidden = self.lstm(input, hidden)
                h_n = hidden[0].permute(1, 0, 2)
                h_n = h_n.contiguous().view(h_n.shape[0], -1)
                logits = self.fc(h_n)
                return logits

        class GRU(nn.Module):
            def __init__(self, output_size, hidden_size, vocab_size, embed_size):
                super().__init__()
                self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=0)
                self.gru = nn.GRU(embed_size, hidden_size, batch_first=True)
                self.fc = nn.Linear(hidden_size, output_size)

            def forward(self, x):
                out, h = self.gru(self.embedding(x))
                return self.fc(h[-1])

        X = torch.randint(0, vocab_size, (12, 7))
        X[:3, -2:] = 0
        y = torch.randint(0, 2, (12,))

        def train(model, X, y, epochs=3, lr=1e-2, clip=None):
            criterion = nn.CrossEntropyLoss()
            optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()),
                                         lr=lr)
            train_loss, train_acc = [], []
            for epoch in range(epochs):
                model.train()
                for i in range(0, len(X), 6):
                    text, target = X[i:i + 6], y[i:i + 6]
                    optimizer.zero_grad()
                    output = model(text)
                    loss = criterion(output, target)
                    loss.backward()
                    if clip is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), clip)
                    optimizer.step()
                    num_corrects = (torch.max(output, 1)[1].view(target.size()).data
                                    == target.data).float().sum()
                    acc = 100.0 * num_corrects / len(target)
                    train_loss.append(loss.item())
                    train_acc.append(acc.item())
                o.print(f'Epoch: {epoch + 1}, Train Loss: {loss.item():.4f}, '
                        f'Train Acc: {acc.item(): .2f}%')
            return train_loss, train_acc
        models = [NeuralNet(output_size, hidden_size, vocab_size, embed_size, word_embeddings),
                  VanillaRNN(2, output_size, hidden_size, vocab_size, embed_size, 'cpu'),
                  LSTM(2, output_size, hidden_size, vocab_size, embed_size, 'cpu'),
                  LSTM(1, output_size, hidden_size, vocab_size, embed_size, 'cpu',
                       bidirectional=True),
                  GRU(output_size, hidden_size, vocab_size, embed_size)]
        for j, model in enumerate(models):
            o.print(model)
            o.print(sum(p.numel() for p in model.parameters() if p.requires_grad))
            losses, accs = train(model, X, y, clip=1.0 if j == 2 else None)
            o.vals += [torch.tensor(losses), accs]
        o.print(models[0].word_embeddings.weight.requires_grad,
                models[0].word_embeddings.weight.grad)
        o.print([n for n, _ in models[3].lstm.named_parameters()])
        o.vals.append(models[4].embedding.weight[0])
        # Tutorial 1: word similarity
        emb = models[0].word_embeddings.weight
        a, b = emb[3], emb[5]
        cos = nn.CosineSimilarity(dim=0)
        o.print(f"{cos(a, b).item():.4f}", f"{F.cosine_similarity(a, b, dim=0).item():.4f}")
        sims = F.cosine_similarity(emb[3].unsqueeze(0), emb, dim=1)
        top = torch.topk(sims, 4)
        o.print(top.indices, top.values.shape)
        o.vals.append(sims)
    return o.done()


def w3d3_contrastive(L):
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        def contrastive_loss(proj_feat1, proj_feat2, temperature=0.5):
            device = proj_feat1.device
            if len(proj_feat1) != len(proj_feat2):
                raise ValueError(f"Batch dimension of proj_feat1 ({len(proj_feat1)}) "
                                 f"and proj_feat2 ({len(proj_feat2)}) should be same")
            batch_size = len(proj_feat1)
            z1 = torch.nn.functional.normalize(proj_feat1, dim=1)
            z2 = torch.nn.functional.normalize(proj_feat2, dim=1)
            representations = torch.cat([z1, z2], dim=0)
            similarity_matrix = torch.nn.functional.cosine_similarity(
                representations.unsqueeze(1), representations.unsqueeze(0), dim=2)
            sim_ij = torch.diag(similarity_matrix, batch_size)
            sim_ji = torch.diag(similarity_matrix, -batch_size)
            positives = torch.cat([sim_ij, sim_ji], dim=0)
            nominator = torch.exp(positives / temperature)
            negatives_mask = (torch.ones(2 * batch_size, 2 * batch_size).to(device)
                              - torch.eye(2 * batch_size).to(device))
            denominator = negatives_mask * torch.exp(similarity_matrix / temperature)
            loss_partial = -torch.log(nominator / torch.sum(denominator, dim=1))
            loss = torch.sum(loss_partial) / (2 * batch_size)
            return loss
        set_seed(L, seed=2021)

        class EncoderCore(nn.Module):
            def __init__(self, feat_size=6, input_dim=16):
                super().__init__()
                self.feat_size = feat_size
                self.feature_extractor = nn.Sequential(
                    nn.Conv2d(1, 4, kernel_size=3, stride=1), nn.ReLU(),
                    nn.AvgPool2d(kernel_size=2), nn.BatchNorm2d(4))
                self.linear_projections = nn.Linear(4 * 1 * 1, self.feat_size)

            def forward(self, X):
                feats_extr = self.feature_extractor(X)
                feats_flat = torch.flatten(feats_extr, 1)
                feats_proj = self.linear_projections(feats_flat)
                return feats_proj

        encoder = EncoderCore()
        o.print(encoder)
        x = torch.rand(8, 1, 4, 4)
        x1 = x + 0.05 * torch.randn_like(x)
        x2 = torch.flip(x, dims=[3])
        optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
        losses = []
        for i in range(5):
            z1, z2 = encoder(x1), encoder(x2)
            loss = contrastive_loss(z1, z2, temperature=0.5)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        o.print(f"{losses[0]:.4f} {losses[-1]:.4f}")
        o.tryit(lambda: contrastive_loss(z1, z2[:3]))
        encoder.eval()
        with torch.no_grad():
            feats = encoder(x)
            feats_std = (feats - feats.mean(0)) / feats.std(0)
            rsm = torch.corrcoef(feats_std)
            rsm_cos = F.cosine_similarity(feats.unsqueeze(1), feats.unsqueeze(0), dim=2)
        o.print(rsm.shape, torch.diag(rsm_cos, 1).shape, torch.diag(rsm_cos, -7))
        o.vals += [torch.tensor(losses), rsm, rsm_cos, encoder.feature_extractor[3].running_var]
    return o.done()


def w3d4_dqn(L):
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        set_seed(L, seed=2021)
        n_states, n_actions = 9, 4

        def step(s, a):
            r, c = divmod(s, 3)
            dr, dc = [(-1, 0), (1, 0), (0, -1), (0, 1)][a]
            r, c = min(max(r + dr, 0), 2), min(max(c + dc, 0), 2)
            s2 = r * 3 + c
            return s2, (1.0 if s2 == 8 else -0.04), s2 == 8

        class QNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(n_states, 16)
                self.fc2 = nn.Linear(16, n_actions)

            def forward(self, x):
                return self.fc2(F.relu(self.fc1(x)))
        policy_net, target_net = QNetwork(), QNetwork()
        target_net.load_state_dict(policy_net.state_dict())
        target_net.eval()
        optimizer = torch.optim.RMSprop(policy_net.parameters(), lr=1e-2)
        memory = []
        gamma, epsilon = 0.9, 0.3

        def one_hot(s):
            return F.one_hot(torch.tensor(s), n_states).float()
        losses = []
        for episode in range(6):
            s = 0
            for t in range(12):
                if random.random() < epsilon:
                    a = random.randrange(n_actions)
                else:
                    with torch.no_grad():
                        a = policy_net(one_hot(s).unsqueeze(0)).max(1)[1].view(1, 1).item()
                s2, r, done = step(s, a)
                memory.append((s, a, r, s2, done))
                s = s2
                if len(memory) >= 8:
                    batch = random.sample(memory, 8)
                    states = torch.stack([one_hot(b[0]) for b in batch])
                    actions = torch.tensor([[b[1]] for b in batch])
                    rewards = torch.tensor([b[2] for b in batch])
                    next_states = torch.stack([one_hot(b[3]) for b in batch])
                    dones = torch.tensor([b[4] for b in batch])
                    q = policy_net(states).gather(1, actions)
                    next_q = target_net(next_states).max(1)[0].detach()
                    expected = rewards + gamma * next_q * (~dones)
                    loss = F.smooth_l1_loss(q, expected.unsqueeze(1))
                    optimizer.zero_grad()
                    loss.backward()
                    for param in policy_net.parameters():
                        param.grad.data.clamp_(-1, 1)
                    optimizer.step()
                    losses.append(loss.item())
                if done:
                    break
            if episode % 2 == 0:
                target_net.load_state_dict(policy_net.state_dict())
            o.print(f"episode {episode} steps {t + 1} loss {losses[-1] if losses else 0:.4f}")
        o.print(expected.dtype, dones.dtype, rewards.dtype)
        with torch.no_grad():
            q_all = policy_net(torch.eye(n_states))
        o.print(q_all.argmax(1))
        o.vals += [torch.tensor(losses), q_all]
    return o.done()
