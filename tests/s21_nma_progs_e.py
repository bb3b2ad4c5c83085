"""NeuromatchAcademy/course-content-dl: W2D3_ModernConvnets (Tutorial1: get_parameter_count of
FullyConnectedNet vs ConvNet, convolution_math, predict_top5 indexing a NumPy array with a
torch.arange, transfer learning with frozen parameters and a new fc head; a small ResNet-style
network replaces torchvision's resnet18) and W3D4_BasicReinforcementLearning (the AlphaZero
Othello section: OthelloNNet / ValueNetwork / PolicyNetwork with BatchNorm, F.dropout(training=
self.training), the NNetWrapper train loops over np.random.randint batches built with
torch.FloatTensor(np.array(...).astype(np.float64)), loss_pi / loss_v, predict via
.data.cpu().numpy(), save_checkpoint / load_checkpoint, and the policy-based player)."""

import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out
from s21_nma_progs import set_seed


def w2d3_modern_convnets(L):
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        SEED = 2021
        set_seed(L, seed=SEED)

        class FullyConnectedNet(nn.Module):
            def __init__(self):
                super(FullyConnectedNet, self).__init__()
                image_width = 16
                self.fc1 = nn.Linear(image_width * image_width, image_width * image_width)

            def forward(self, x):
                x = torch.flatten(x, 1)
                x = self.fc1(x)
                return F.relu(x)

        class ConvNet(nn.Module):
            def __init__(self):
                super(ConvNet, self).__init__()
                self.conv1 = nn.Conv2d(1, 1, kernel_size=5, padding=2)

            def forward(self, x):
                x = self.conv1(x)
                return F.relu(x)

        def get_parameter_count(network):
            parameters = network.parameters()
            param_count = 0
            for layer in parameters:
                param_count += torch.numel(layer)
            return param_count
        fccnet = FullyConnectedNet()
        convnet = ConvNet()
        o.print(f"FCCN parameter count: {get_parameter_count(fccnet)}")
        o.print(f"ConvNet parameter count: {get_parameter_count(convnet)}")
        img = torch.rand(2, 1, 16, 16)
        o.print(fccnet(img).shape, convnet(img).shape)

        def convolution_math(in_channels, filter_size, out_channels):
            conv_parameters = in_channels * filter_size * filter_size * out_channels
            depthwise_conv_parameters = (in_channels * filter_size * filter_size
                                         + in_channels * out_channels)
            o.print(f"Depthwise separable: {depthwise_conv_parameters} parameters")
            o.print(f"Regular convolution: {conv_parameters} parameters")
        convolution_math(in_channels=4, filter_size=3, out_channels=2)
        depthwise = nn.Conv2d(4, 4, 3, groups=4, bias=False)
        pointwise = nn.Conv2d(4, 2, 1, bias=False)
        regular = nn.Conv2d(4, 2, 3, bias=False)
        o.print(get_parameter_count(nn.Sequential(depthwise, pointwise)),
                get_parameter_count(regular))

        class BasicBlock(nn.Module):
            def __init__(self, in_planes, planes, stride=1):
                super().__init__()
                self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
                self.bn1 = nn.BatchNorm2d(planes)
                self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
                self.bn2 = nn.BatchNorm2d(planes)
                self.shortcut = nn.Sequential()
                if stride != 1 or in_planes != planes:
                    self.shortcut = nn.Sequential(
                        nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                        nn.BatchNorm2d(planes))

            def forward(self, x):
                out = F.relu(self.bn1(self.conv1(x)))
                out = self.bn2(self.conv2(out))
                out += self.shortcut(x)
                return F.relu(out)

        class TinyResNet(nn.Module):
            def __init__(self, num_classes=10):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
                self.bn1 = nn.BatchNorm2d(4)
                self.layer1 = BasicBlock(4, 4)
                self.layer2 = BasicBlock(4, 8, stride=2)
                self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
                self.fc = nn.Linear(8, num_classes)

            def forward(self, x):
                x = F.relu(self.bn1(self.conv1(x)))
                x = self.layer2(self.layer1(x))
                x = torch.flatten(self.avgpool(x), 1)
                return self.fc(x)
        resnet = TinyResNet()
        resnet.eval()
        dict_map = {i: f"class{i}, alias" for i in range(10)}

        def predict_top5(images, device, seed):
            set_seed(L, seed=seed)
            B = images.size(0)
            with torch.no_grad():
                images = images.to(device)
                output = resnet(images)
                probs = torch.nn.functional.softmax(output, dim=1)
                probs = probs.cpu().numpy()
            _, top5_idcs = output.topk(5, 1, True, True)
            top5_idcs = top5_idcs.t().cpu().numpy()
            top5_probs = probs[torch.arange(B), top5_idcs]
            top5_names = []
            for b in range(B):
                temp = [dict_map[key].split(',')[0] for key in top5_idcs[:, b]]
                top5_names.append(temp)
            return top5_names, top5_probs
        images = torch.randn(3, 3, 8, 8)
        top5_names, top5_probs = predict_top5(images, 'cpu', SEED)
        o.print(top5_names[1], top5_probs.shape, top5_probs.dtype)
        o.vals.append(top5_probs)
        # transfer learning: freeze everything, replace the head, train the head
        for param in resnet.parameters():
            param.requires_grad = False
        num_ftrs = resnet.fc.in_features
        resnet.fc = nn.Linear(num_ftrs, 2)
        o.print(sum(p.numel() for p in resnet.parameters() if p.requires_grad))
        optimizer = torch.optim.Adam(resnet.parameters(), lr=1e-3)
        criterion = nn.CrossEntropyLoss()
        labels = torch.tensor([0, 1, 1])
        resnet.train()
        for epoch in range(3):
            optimizer.zero_grad()
            out = resnet(images)
            loss = criterion(out, labels)
            loss.backward()
            optimizer.step()
            o.print(f"epoch {epoch} loss {loss.item():.4f}")
        o.print(resnet.conv1.weight.grad, resnet.bn1.running_mean.shape,
                resnet.bn1.num_batches_tracked)
        o.vals += [resnet.fc.weight, resnet.layer2.bn2.running_var]
    return o.done()


class dotdict(dict):
    def __getattr__(self, name):
        return self[name]


class OthelloGame:
    """The board size / action size queries the networks ask (logic replaced by NumPy)."""

    def __init__(self, n):
        self.n = n

    def getBoardSize(self):
        return (self.n, self.n)

    def getActionSize(self):
        return self.n * self.n + 1


def w3d4_othello(L):
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    with Out() as o:
        set_seed(L, seed=2021)
        args = dotdict({'lr': 0.001, 'dropout': 0.3, 'epochs': 2, 'batch_size': 8,
                        'device': 'cpu', 'num_channels': 4})

        class OthelloNNet(nn.Module):
            def __init__(self, game, args):
                self.board_x, self.board_y = game.getBoardSize()
                self.action_size = game.getActionSize()
                self.args = args
                super(OthelloNNet, self).__init__()
                self.conv1 = nn.Conv2d(1, args.num_channels, 3, stride=1, padding=1)
                self.conv2 = nn.Conv2d(args.num_channels, args.num_channels, 3, stride=1,
                                       padding=1)
                self.conv3 = nn.Conv2d(args.num_channels, args.num_channels, 3, stride=1)
                self.conv4 = nn.Conv2d(args.num_channels, args.num_channels, 3, stride=1)
                self.bn1 = nn.BatchNorm2d(args.num_channels)
                self.bn2 = nn.BatchNorm2d(args.num_channels)
                self.bn3 = nn.BatchNorm2d(args.num_channels)
                self.bn4 = nn.BatchNorm2d(args.num_channels)
                self.fc1 = nn.Linear(args.num_channels * (self.board_x - 4)
                                     * (self.board_y - 4), 32)
                self.fc_bn1 = nn.BatchNorm1d(32)
                self.fc2 = nn.Linear(32, 16)
                self.fc_bn2 = nn.BatchNorm1d(16)
                self.fc3 = nn.Linear(16, self.action_size)
                self.fc4 = nn.Linear(16, 1)

            def forward(self, s):
                s = s.view(-1, 1, self.board_x, self.board_y)
                s = F.relu(self.bn1(self.conv1(s)))
                s = F.relu(self.bn2(self.conv2(s)))
                s = F.relu(self.bn3(self.conv3(s)))
                s = F.relu(self.bn4(self.conv4(s)))
                s = s.view(-1, self.args.num_channels * (self.board_x - 4) * (self.board_y - 4))
                s = F.dropout(F.relu(self.fc_bn1(self.fc1(s))), p=self.args.dropout,
                              training=self.training)
                s = F.dropout(F.relu(self.fc_bn2(self.fc2(s))), p=self.args.dropout,
                              training=self.training)
                pi = self.fc3(s)
                v = self.fc4(s)
                return F.log_softmax(pi, dim=1), torch.tanh(v)

        class NNetWrapper:
            def __init__(self, game):
                self.nnet = OthelloNNet(game, args)
                self.board_x, self.board_y = game.getBoardSize()
                self.action_size = game.getActionSize()
                self.nnet.to(args.device)

            def train(self, examples):
                optimizer = optim.Adam(self.nnet.parameters(), lr=args.lr)
                for epoch in range(args.epochs):
                    self.nnet.train()
                    pi_losses, v_losses = [], []
                    batch_count = int(len(examples) / args.batch_size)
                    for _ in range(batch_count):
                        sample_ids = np.random.randint(len(examples), size=args.batch_size)
                        boards, pis, vs = list(zip(*[examples[i] for i in sample_ids]))
                        boards = torch.FloatTensor(np.array(boards).astype(np.float64))
                        target_pis = torch.FloatTensor(np.array(pis))
                        target_vs = torch.FloatTensor(np.array(vs).astype(np.float64))
                        boards, target_pis, target_vs = (boards.contiguous().to(args.device),
                                                         target_pis.contiguous().to(args.device),
                                                         target_vs.contiguous().to(args.device))
                        out_pi, out_v = self.nnet(boards)
                        l_pi = self.loss_pi(target_pis, out_pi)
                        l_v = self.loss_v(target_vs, out_v)
                        total_loss = l_pi + l_v
                        pi_losses.append(l_pi.item())
                        v_losses.append(l_v.item())
                        optimizer.zero_grad()
                        total_loss.backward()
                        optimizer.step()
                    o.print(f"epoch {epoch} Loss_pi={np.mean(pi_losses):.4f} "
                            f"Loss_v={np.mean(v_losses):.4f}")
                return pi_losses + v_losses

            def predict(self, board):
                board = torch.FloatTensor(board.astype(np.float64))
                board = board.view(1, self.board_x, self.board_y)
                self.nnet.eval()
                with torch.no_grad():
                    pi, v = self.nnet(board)
                return torch.exp(pi).data.cpu().numpy()[0], v.data.cpu().numpy()[0]

            def loss_pi(self, targets, outputs):
                return -torch.sum(targets * outputs) / targets.size()[0]

            def loss_v(self, targets, outputs):
                return torch.sum((targets - outputs.view(-1)) ** 2) / targets.size()[0]

            def save_checkpoint(self, folder='checkpoint', filename='checkpoint.pth.tar'):
                filepath = os.path.join(folder, filename)
                if not os.path.exists(folder):
                    os.mkdir(folder)
                torch.save({'state_dict': self.nnet.state_dict()}, filepath)

            def load_checkpoint(self, folder='checkpoint', filename='checkpoint.pth.tar'):
                filepath = os.path.join(folder, filename)
                if not os.path.exists(filepath):
                    raise FileNotFoundError("No model in path {}".format(filepath))
                checkpoint = torch.load(filepath, map_location=args.device)
                self.nnet.load_state_dict(checkpoint['state_dict'])
        game = OthelloGame(6)
        rng = np.random.default_rng(5)
        examples = []
        for i in range(32):
            board = rng.integers(-1, 2, (6, 6))
            pi = rng.random(37)
            examples.append((board, pi / pi.sum(), float(rng.choice([-1, 1]))))
        nnet = NNetWrapper(game)
        o.print(nnet.nnet)
        losses = nnet.train(examples)
        pi, v = nnet.predict(examples[0][0])
        o.print(pi.shape, pi.dtype, v.shape, round(float(pi.sum()), 4))
        folder = os.path.join(tempfile.mkdtemp(), 'checkpoint')
        nnet.save_checkpoint(folder=folder)
        nnet2 = NNetWrapper(game)
        nnet2.load_checkpoint(folder=folder)
        pi2, v2 = nnet2.predict(examples[0][0])
        o.print(np.allclose(pi, pi2), np.array_equal(v, v2))
        try:
            nnet2.load_checkpoint(folder=folder, filename='missing.pth.tar')
        except FileNotFoundError as e:
            o.print(type(e).__name__, str(e).startswith("No model in path"))

        class PolicyBasedPlayer:
            def __init__(self, game, pnet, greedy=True):
                self.game, self.pnet, self.greedy = game, pnet, greedy

            def play(self, board, valids):
                action_probs, _ = self.pnet.predict(board)
                action_probs = action_probs * valids
                vap = np.sum(action_probs)
                if vap > 0:
                    action_probs /= vap
                if self.greedy:
                    a = np.where(action_probs == np.max(action_probs))[0][0]
                else:
                    a = np.random.choice(self.game.getActionSize(), p=action_probs)
                return a
        valids = (rng.random(37) > 0.5).astype(np.float32)
        player = PolicyBasedPlayer(game, nnet)
        o.print(int(player.play(examples[1][0], valids)),
                int(PolicyBasedPlayer(game, nnet, greedy=False).play(examples[2][0], valids)))
        # (the conv / fc biases feeding a BatchNorm get a gradient of rounding noise only, which
        # Adam turns into +-lr steps: they, the running means and so the eval-mode predictions
        # differ between any two BLAS builds; the losses and the weights do not)
        o.vals += [np.array(losses), nnet.nnet.fc3.weight, nnet.nnet.conv2.weight,
                   nnet.nnet.bn4.running_var]
    return o.done()
