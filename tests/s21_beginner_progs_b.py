"""L1aoXingyu/pytorch-beginner, second part, as learners type them: 05-Recurrent Neural
Network/recurrent_network.py, 08-AutoEncoder/conv_autoencoder.py and
Variational_autoencoder.py, 09-Generative Adversarial network/simple_Gan.py, 10-Deep Q
learning/reinforcement learning.py (replay memory, ByteTensor mask). Datasets and the gym
screen are seeded tensors."""

import random
import math
from collections import namedtuple
import numpy as np
from s16_yunjey_progs import Out, _images


def rnn_mnist(L):
    """05-Recurrent Neural Network/recurrent_network.py: 2-layer LSTM over image rows."""
    torch, nn, optim, Variable = L, L.nn, L.optim, L.autograd.Variable
    torch.manual_seed(5)
    x, y = _images(L, 20, 1, 12, 12, 5)
    train_loader = L.utils.data.DataLoader(L.utils.data.TensorDataset(x, y), batch_size=10,
                                           shuffle=True)

    class Rnn(nn.Module):
        def __init__(self, in_dim, hidden_dim, n_layer, n_class):
            super(Rnn, self).__init__()
            self.n_layer = n_layer
            self.hidden_dim = hidden_dim
            self.lstm = nn.LSTM(in_dim, hidden_dim, n_layer, batch_first=True)
            self.classifier = nn.Linear(hidden_dim, n_class)

        def forward(self, x):
            out, _ = self.lstm(x)
            out = out[:, -1, :]
            out = self.classifier(out)
            return out

    with Out() as o:
        model = Rnn(12, 16, 2, 10)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
        for epoch in range(2):
            running_loss, running_acc = 0.0, 0.0
            for i, data in enumerate(train_loader, 1):
                img, label = data
                b, c, h, w = img.size()
                assert c == 1, 'channel must be 1'
                img = img.squeeze(1)
                img = Variable(img)
                label = Variable(label)
                out = model(img)
                loss = criterion(out, label)
                running_loss += loss.item() * label.size(0)
                _, pred = torch.max(out, 1)
                num_correct = (pred == label).sum()
                running_acc += num_correct.data
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print('Finish {} epoch, Loss: {:.4f}, Acc: {:.6f}'.format(
                epoch + 1, running_loss / 20, running_acc / 20))
            o.print(running_acc, type(running_acc).__name__)
        o.print(model.lstm)
        o.vals += [out, model.lstm.weight_ih_l1]
    return o.done()


def conv_autoencoder(L):
    """08-AutoEncoder/conv_autoencoder.py: Conv / MaxPool encoder, ConvTranspose decoder."""
    torch, nn, Variable = L, L.nn, L.autograd.Variable
    torch.manual_seed(6)
    x, y = _images(L, 8, 1, 28, 28, 6)
    x = (x - 0.5) / 0.5
    dataloader = L.utils.data.DataLoader(L.utils.data.TensorDataset(x, y), batch_size=4,
                                         shuffle=True)

    def to_img(x):
        x = 0.5 * (x + 1)
        x = x.clamp(0, 1)
        x = x.view(x.size(0), 1, 28, 28)
        return x

    class autoencoder(nn.Module):
        def __init__(self):
            super(autoencoder, self).__init__()
            self.encoder = nn.Sequential(
                nn.Conv2d(1, 16, 3, stride=3, padding=1),  # b, 16, 10, 10
                nn.ReLU(True),
                nn.MaxPool2d(2, stride=2),  # b, 16, 5, 5
                nn.Conv2d(16, 8, 3, stride=2, padding=1),  # b, 8, 3, 3
                nn.ReLU(True),
                nn.MaxPool2d(2, stride=1)  # b, 8, 2, 2
            )
            self.decoder = nn.Sequential(
                nn.ConvTranspose2d(8, 16, 3, stride=2),  # b, 16, 5, 5
                nn.ReLU(True),
                nn.ConvTranspose2d(16, 8, 5, stride=3, padding=1),  # b, 8, 15, 15
                nn.ReLU(True),
                nn.ConvTranspose2d(8, 1, 2, stride=2, padding=1),  # b, 1, 28, 28
                nn.Tanh()
            )

        def forward(self, x):
            x = self.encoder(x)
            x = self.decoder(x)
            return x

    with Out() as o:
        model = autoencoder()
        criterion = nn.MSELoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
        num_epochs = 2
        for epoch in range(num_epochs):
            for data in dataloader:
                img, _ = data
                img = Variable(img)
                output = model(img)
                loss = criterion(output, img)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print('epoch [{}/{}], loss:{:.4f}'.format(epoch + 1, num_epochs, loss.data))
            pic = to_img(output.cpu().data)
            o.print(pic.shape, pic.requires_grad, model.encoder(img).shape)
        o.vals += [pic, model.decoder[0].weight.grad]
    return o.done()


def vae(L):
    """08-AutoEncoder/Variational_autoencoder.py: FloatTensor(size).normal_() noise,
    BCELoss(size_average=False) and the in-place KL chain."""
    torch, nn, optim, F, Variable = L, L.nn, L.optim, L.nn.functional, L.autograd.Variable
    torch.manual_seed(7)
    x, y = _images(L, 16, 1, 8, 8, 7)
    dataloader = L.utils.data.DataLoader(L.utils.data.TensorDataset(x, y), batch_size=8,
                                         shuffle=True)

    class VAE(nn.Module):
        def __init__(self):
            super(VAE, self).__init__()
            self.fc1 = nn.Linear(64, 40)
            self.fc21 = nn.Linear(40, 6)
            self.fc22 = nn.Linear(40, 6)
            self.fc3 = nn.Linear(6, 40)
            self.fc4 = nn.Linear(40, 64)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparametrize(self, mu, logvar):
            std = logvar.mul(0.5).exp_()
            eps = torch.FloatTensor(std.size()).normal_()
            eps = Variable(eps)
            return eps.mul(std).add_(mu)

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return F.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x)
            z = self.reparametrize(mu, logvar)
            return self.decode(z), mu, logvar

    with Out() as o:
        model = VAE()
        reconstruction_function = nn.BCELoss(size_average=False)
        o.print(reconstruction_function.reduction)

        def loss_function(recon_x, x, mu, logvar):
            BCE = reconstruction_function(recon_x, x)
            KLD_element = mu.pow(2).add_(logvar.exp()).mul_(-1).add_(1).add_(logvar)
            KLD = torch.sum(KLD_element).mul_(-0.5)
            return BCE + KLD

        optimizer = optim.Adam(model.parameters(), lr=1e-3)
        for epoch in range(2):
            model.train()
            train_loss = 0
            for batch_idx, data in enumerate(dataloader):
                img, _ = data
                img = img.view(img.size(0), -1)
                img = Variable(img)
                optimizer.zero_grad()
                recon_batch, mu, logvar = model(img)
                loss = loss_function(recon_batch, img, mu, logvar)
                loss.backward()
                train_loss += loss.item()
                optimizer.step()
                o.print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.4f}'.format(
                    epoch, batch_idx * len(img), len(dataloader.dataset),
                    100. * batch_idx / len(dataloader), loss.item() / len(img)))
            o.print('====> Epoch: {} Average loss: {:.4f}'.format(
                epoch, train_loss / len(dataloader.dataset)))
        o.print(loss.grad_fn.name(), mu.grad_fn.name())
        o.vals += [recon_batch, model.fc21.weight]
    return o.done()


def simple_gan(L):
    """09-Generative Adversarial network/simple_Gan.py: D's (N, 1) output against a (N,)
    label in BCELoss is PyTorch's ValueError; the program then uses (N, 1) labels."""
    torch, nn, Variable = L, L.nn, L.autograd.Variable
    torch.manual_seed(8)
    x, y = _images(L, 12, 1, 8, 8, 8)
    x = (x - 0.5) / 0.5
    dataloader = L.utils.data.DataLoader(dataset=L.utils.data.TensorDataset(x, y),
                                         batch_size=6, shuffle=True)
    z_dimension = 10

    class discriminator(nn.Module):
        def __init__(self):
            super(discriminator, self).__init__()
            self.dis = nn.Sequential(nn.Linear(64, 32), nn.LeakyReLU(0.2),
                                     nn.Linear(32, 32), nn.LeakyReLU(0.2),
                                     nn.Linear(32, 1), nn.Sigmoid())

        def forward(self, x):
            return self.dis(x)

    class generator(nn.Module):
        def __init__(self):
            super(generator, self).__init__()
            self.gen = nn.Sequential(nn.Linear(10, 32), nn.ReLU(True),
                                     nn.Linear(32, 32), nn.ReLU(True),
                                     nn.Linear(32, 64), nn.Tanh())

        def forward(self, x):
            return self.gen(x)

    with Out() as o:
        D, G = discriminator(), generator()
        criterion = nn.BCELoss()
        d_optimizer = torch.optim.Adam(D.parameters(), lr=0.0003)
        g_optimizer = torch.optim.Adam(G.parameters(), lr=0.0003)
        for epoch in range(2):
            for i, (img, _) in enumerate(dataloader):
                num_img = img.size(0)
                img = img.view(num_img, -1)
                real_img = Variable(img)
                real_label = Variable(torch.ones(num_img))
                fake_label = Variable(torch.zeros(num_img))
                real_out = D(real_img)
                if i == 0 and epoch == 0:
                    o.tryit(lambda: criterion(real_out, real_label))
                real_label, fake_label = real_label.view(-1, 1), fake_label.view(-1, 1)
                d_loss_real = criterion(real_out, real_label)
                real_scores = real_out
                z = Variable(torch.randn(num_img, z_dimension))
                fake_img = G(z)
                fake_out = D(fake_img)
                d_loss_fake = criterion(fake_out, fake_label)
                fake_scores = fake_out
                d_loss = d_loss_real + d_loss_fake
                d_optimizer.zero_grad()
                d_loss.backward()
                d_optimizer.step()
                z = Variable(torch.randn(num_img, z_dimension))
                fake_img = G(z)
                output = D(fake_img)
                g_loss = criterion(output, real_label)
                g_optimizer.zero_grad()
                g_loss.backward()
                g_optimizer.step()
                o.print('Epoch [{}/{}], d_loss: {:.4f}, g_loss: {:.4f} '
                        'D real: {:.4f}, D fake: {:.4f}'
                        .format(epoch, 2, d_loss.data.item(), g_loss.data.item(),
                                real_scores.data.mean(), fake_scores.data.mean()))
            fake_images = 0.5 * (fake_img.cpu().data + 1)
            fake_images = fake_images.clamp(0, 1).view(-1, 1, 8, 8)
        o.vals += [fake_images, D.dis[4].weight]
    return o.done()


def dqn(L):
    """10-Deep Q learning/reinforcement learning.py: conv-BN DQN on screen differences,
    replay memory sampled with random, a ByteTensor mask for non-final states, RMSprop,
    smooth_l1_loss of (B, 1) against (B,) (PyTorch warns and broadcasts)."""
    torch, nn, optim, F, Variable = L, L.nn, L.optim, L.nn.functional, L.autograd.Variable
    torch.manual_seed(9)
    rnd = random.Random(9)
    rng = np.random.default_rng(9)
    FloatTensor, LongTensor, ByteTensor = torch.FloatTensor, torch.LongTensor, torch.ByteTensor
    Transition = namedtuple('Transition', ('state', 'action', 'next_state', 'reward'))

    class ReplayMemory(object):
        def __init__(self, capacity):
            self.capacity, self.memory, self.position = capacity, [], 0

        def push(self, *args):
            if len(self.memory) < self.capacity:
                self.memory.append(None)
            self.memory[self.position] = Transition(*args)
            self.position = (self.position + 1) % self.capacity

        def sample(self, batch_size):
            return rnd.sample(self.memory, batch_size)

        def __len__(self):
            return len(self.memory)

    class DQN(nn.Module):
        def __init__(self):
            super(DQN, self).__init__()
            self.conv_bn1 = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.BatchNorm2d(4),
                                          nn.ReLU(True))
            self.conv_bn2 = nn.Sequential(nn.Conv2d(4, 8, 3, stride=2), nn.BatchNorm2d(8),
                                          nn.ReLU(True))
            self.move = nn.Linear(8 * 3 * 3, 2)

        def forward(self, x):
            x = self.conv_bn1(x)
            x = self.conv_bn2(x)
            x = x.view(x.size(0), -1)
            return self.move(x)

    def get_screen():
        screen = rng.integers(0, 256, (3, 16, 16)).astype(np.float32) / 255
        return torch.from_numpy(screen).unsqueeze(0).type(FloatTensor)

    BATCH_SIZE, GAMMA, EPS_START, EPS_END, EPS_DECAY = 4, 0.999, 0.9, 0.05, 200
    with Out() as o:
        model = DQN()
        optimizer = optim.RMSprop(model.parameters())
        memory = ReplayMemory(50)
        steps = [0]

        def select_action(state):
            sample = rnd.random()
            eps_threshold = EPS_END + (EPS_START - EPS_END) * \
                math.exp(-1 * steps[0] / EPS_DECAY)
            steps[0] += 1
            if sample > eps_threshold:
                return model(Variable(state, volatile=True).type(FloatTensor)).data.max(1)[1] \
                    .view(1, 1)
            return LongTensor([[rnd.randrange(2)]])

        def optimize_model():
            if len(memory) < BATCH_SIZE:
                return None
            transitions = memory.sample(BATCH_SIZE)
            batch = Transition(*zip(*transitions))
            non_final_mask = ByteTensor(tuple(map(lambda s: s is not None, batch.next_state)))
            non_final_next_states = Variable(torch.cat([s for s in batch.next_state
                                                        if s is not None]), volatile=True)
            state_batch = Variable(torch.cat(batch.state))
            action_batch = Variable(torch.cat(batch.action))
            reward_batch = Variable(torch.cat(batch.reward))
            state_action_values = model(state_batch).gather(1, action_batch)
            next_state_values = Variable(torch.zeros(BATCH_SIZE)).type(FloatTensor)
            next_state_values[non_final_mask] = model(non_final_next_states).max(1)[0].detach()
            expected_state_action_values = (next_state_values * GAMMA) + reward_batch
            loss = F.smooth_l1_loss(state_action_values, expected_state_action_values)
            optimizer.zero_grad()
            loss.backward()
            for param in model.parameters():
                param.grad.data.clamp_(-1, 1)
            optimizer.step()
            return loss

        durations = []
        for i_episode in range(3):
            last_screen = get_screen()
            current_screen = get_screen()
            state = current_screen - last_screen
            for t in range(4):
                action = select_action(state)
                reward = FloatTensor([float(action[0, 0]) * 0.5 + 1.0])
                done = t == 3
                last_screen = current_screen
                current_screen = get_screen()
                next_state = None if done else current_screen - last_screen
                memory.push(state, action, next_state, reward)
                state = next_state
                loss = optimize_model()
                if loss is not None:
                    o.print('loss {:.4f}'.format(loss.item()))
                if done:
                    durations.append(t + 1)
                    break
        durations_t = torch.FloatTensor(durations)
        o.print(durations_t, durations_t.unfold(0, 2, 1).mean(1).view(-1))
        o.print('Complete')
        # not the BN running means: the conv bias before a train-mode BatchNorm has a
        # mathematically zero gradient (round-off only), which RMSprop scales to lr-sized steps
        o.vals += [model.move.weight, model.conv_bn2[1].weight, model.conv_bn1[0].weight]
    return o.done()
