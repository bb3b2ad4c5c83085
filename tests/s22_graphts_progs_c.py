"""FelixOpolka/STGCN-PyTorch as users type it: stgcn.py (TimeBlock's gated temporal Conv2d,
STGCNBlock's graph convolution by einsum("ij,jklm->kilm") and matmul with Theta1 from
torch.FloatTensor + uniform_, BatchNorm2d over nodes, STGCN), utils.py (get_normalized_adj,
generate_dataset) and main.py's train_epoch / validation loop. METR-LA is replaced by a seeded
random 8-node series with 2 features; 12 steps in, 3 out, 2 epochs.
Each program is ``prog(torch) -> (printed lines, values)``; see
tests/test_programs_s22_graphts.py."""

import math

import numpy as np
from s16_yunjey_progs import Out


def get_normalized_adj(A):
    A = A + np.diag(np.ones(A.shape[0], dtype=np.float32))
    D = np.array(np.sum(A, axis=1)).reshape((-1,))
    D[D <= 10e-5] = 10e-5    # Prevent infs
    diag = np.reciprocal(np.sqrt(D))
    A_wave = np.multiply(np.multiply(diag.reshape((-1, 1)), A),
                         diag.reshape((1, -1)))
    return A_wave


def _defs(torch):
    nn, F = torch.nn, torch.nn.functional

    class TimeBlock(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size=3):
            super(TimeBlock, self).__init__()
            self.conv1 = nn.Conv2d(in_channels, out_channels, (1, kernel_size))
            self.conv2 = nn.Conv2d(in_channels, out_channels, (1, kernel_size))
            self.conv3 = nn.Conv2d(in_channels, out_channels, (1, kernel_size))

        def forward(self, X):
            X = X.permute(0, 3, 1, 2)
            temp = self.conv1(X) + torch.sigmoid(self.conv2(X))
            out = F.relu(temp + self.conv3(X))
            out = out.permute(0, 2, 3, 1)
            return out

    class STGCNBlock(nn.Module):
        def __init__(self, in_channels, spatial_channels, out_channels, num_nodes):
            super(STGCNBlock, self).__init__()
            self.temporal1 = TimeBlock(in_channels=in_channels,
                                       out_channels=out_channels)
            self.Theta1 = nn.Parameter(torch.FloatTensor(out_channels,
                                                         spatial_channels))
            self.temporal2 = TimeBlock(in_channels=spatial_channels,
                                       out_channels=out_channels)
            self.batch_norm = nn.BatchNorm2d(num_nodes)
            self.reset_parameters()

        def reset_parameters(self):
            stdv = 1. / math.sqrt(self.Theta1.shape[1])
            self.Theta1.data.uniform_(-stdv, stdv)

        def forward(self, X, A_hat):
            t = self.temporal1(X)
            lfs = torch.einsum("ij,jklm->kilm", [A_hat, t.permute(1, 0, 2, 3)])
            t2 = F.relu(torch.matmul(lfs, self.Theta1))
            t3 = self.temporal2(t2)
            return self.batch_norm(t3)

    class STGCN(nn.Module):
        def __init__(self, num_nodes, num_features, num_timesteps_input,
                     num_timesteps_output):
            super(STGCN, self).__init__()
            self.block1 = STGCNBlock(in_channels=num_features, out_channels=64,
                                     spatial_channels=16, num_nodes=num_nodes)
            self.block2 = STGCNBlock(in_channels=64, out_channels=64,
                                     spatial_channels=16, num_nodes=num_nodes)
            self.last_temporal = TimeBlock(in_channels=64, out_channels=64)
            self.fully = nn.Linear((num_timesteps_input - 2 * 5) * 64,
                                   num_timesteps_output)

        def forward(self, A_hat, X):
            out1 = self.block1(X, A_hat)
            out2 = self.block2(out1, A_hat)
            out3 = self.last_temporal(out2)
            out4 = self.fully(out3.reshape((out3.shape[0], out3.shape[1], -1)))
            return out4

    def generate_dataset(X, num_timesteps_input, num_timesteps_output):
        indices = [(i, i + (num_timesteps_input + num_timesteps_output)) for i
                   in range(X.shape[2] - (
                    num_timesteps_input + num_timesteps_output) + 1)]
        features, target = [], []
        for i, j in indices:
            features.append(
                X[:, :, i: i + num_timesteps_input].transpose(
                    (0, 2, 1)))
            target.append(X[:, 0, i + num_timesteps_input: j])
        return torch.from_numpy(np.array(features)), \
            torch.from_numpy(np.array(target))

    return STGCN, generate_dataset


def _metr_la_like():
    rng = np.random.default_rng(3)
    A = np.where(rng.random((8, 8)) < 0.3, rng.random((8, 8)), 0.).astype(np.float32)
    A = np.maximum(A, A.T)
    X = rng.standard_normal((8, 2, 40)).astype(np.float32)
    X[:, 0] += np.sin(np.arange(40) / 3.)[None].astype(np.float32)
    means = np.mean(X, axis=(0, 2))
    X = X - means.reshape(1, -1, 1)
    stds = np.std(X, axis=(0, 2))
    X = X / stds.reshape(1, -1, 1)
    return A, X, means, stds


def stgcn_main(torch):
    """main.py: generate_dataset, get_normalized_adj, Adam, MSELoss, train_epoch with
    randperm batches, validation loss and unnormalised MAE."""
    with Out() as out:
        nn = torch.nn
        STGCN, generate_dataset = _defs(torch)
        num_timesteps_input, num_timesteps_output = 12, 3
        epochs, batch_size = 2, 5
        device = torch.device('cpu')
        torch.manual_seed(7)
        A, X, means, stds = _metr_la_like()
        split_line1 = int(X.shape[2] * 0.6)
        split_line2 = int(X.shape[2] * 0.8)
        train_original_data = X[:, :, :split_line1]
        val_original_data = X[:, :, split_line1 - 8:split_line2]
        training_input, training_target = generate_dataset(
            train_original_data, num_timesteps_input=num_timesteps_input,
            num_timesteps_output=num_timesteps_output)
        val_input, val_target = generate_dataset(
            val_original_data, num_timesteps_input=num_timesteps_input,
            num_timesteps_output=num_timesteps_output)
        out.print(training_input.shape, training_target.shape, val_input.shape,
                  training_input.dtype)
        A_wave = get_normalized_adj(A)
        A_wave = torch.from_numpy(A_wave)
        A_wave = A_wave.to(device=device)
        out.print(A_wave.dtype, A_wave.shape)
        net = STGCN(A_wave.shape[0], training_input.shape[3], num_timesteps_input,
                    num_timesteps_output).to(device=device)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        loss_criterion = nn.MSELoss()

        def train_epoch(training_input, training_target, batch_size):
            permutation = torch.randperm(training_input.shape[0])
            epoch_training_losses = []
            for i in range(0, training_input.shape[0], batch_size):
                net.train()
                optimizer.zero_grad()
                indices = permutation[i:i + batch_size]
                X_batch, y_batch = training_input[indices], training_target[indices]
                out_ = net(A_wave, X_batch)
                loss = loss_criterion(out_, y_batch)
                if not out.vals:
                    out.vals += [out_, loss]  # before any step
                loss.backward()
                optimizer.step()
                epoch_training_losses.append(loss.detach().cpu().numpy())
            return sum(epoch_training_losses)/len(epoch_training_losses)

        training_losses, validation_losses, validation_maes = [], [], []
        for epoch in range(epochs):
            loss = train_epoch(training_input, training_target, batch_size=batch_size)
            training_losses.append(loss)
            with torch.no_grad():
                net.eval()
                out_ = net(A_wave, val_input)
                val_loss = loss_criterion(out_, val_target).to(device="cpu")
                validation_losses.append(val_loss.detach().numpy().item())
                out_unnormalized = out_.detach().cpu().numpy()*stds[0]+means[0]
                target_unnormalized = val_target.detach().cpu().numpy()*stds[0]+means[0]
                mae = np.mean(np.absolute(out_unnormalized - target_unnormalized))
                validation_maes.append(mae)
            out.print("Training loss: {:.3f}".format(training_losses[-1]))
            out.print("Validation loss: {:.3f}".format(validation_losses[-1]))
            out.print("Validation MAE: {:.3f}".format(validation_maes[-1]))
            out.print(type(loss).__name__, loss.dtype, type(mae).__name__, out_.shape)
        out.print(sum(p.numel() for p in net.parameters()), net.block1.Theta1.shape)
    return out.lines, out.vals
