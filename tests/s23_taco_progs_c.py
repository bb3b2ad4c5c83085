"""EmilienDupont/neural-processes as users type it (tag: taco): models.py (Encoder,
MuSigmaEncoder, Decoder), neural_process.py (NeuralProcess with Normal / rsample,
NeuralProcessImg), utils.py (context_target_split with np.random.choice,
img_mask_to_np_input with byte masks and nonzero, random / batch_context_target_mask,
xy_to_img, inpaint), datasets.py's SineData and training.py's NeuralProcessTrainer (the
kl_divergence of two Normals), trained for a few steps on tiny sine curves and tiny random
3-channel images instead of CelebA."""

from math import pi

import numpy as np


def build(torch):
    nn, F = torch.nn, torch.nn.functional
    Normal = torch.distributions.Normal
    kl_divergence = torch.distributions.kl.kl_divergence
    Dataset = torch.utils.data.Dataset

    class Encoder(nn.Module):
        def __init__(self, x_dim, y_dim, h_dim, r_dim):
            super(Encoder, self).__init__()
            self.x_dim = x_dim
            self.y_dim = y_dim
            self.h_dim = h_dim
            self.r_dim = r_dim
            layers = [nn.Linear(x_dim + y_dim, h_dim),
                      nn.ReLU(inplace=True),
                      nn.Linear(h_dim, h_dim),
                      nn.ReLU(inplace=True),
                      nn.Linear(h_dim, r_dim)]
            self.input_to_hidden = nn.Sequential(*layers)

        def forward(self, x, y):
            input_pairs = torch.cat((x, y), dim=1)
            return self.input_to_hidden(input_pairs)

    class MuSigmaEncoder(nn.Module):
        def __init__(self, r_dim, z_dim):
            super(MuSigmaEncoder, self).__init__()
            self.r_dim = r_dim
            self.z_dim = z_dim
            self.r_to_hidden = nn.Linear(r_dim, r_dim)
            self.hidden_to_mu = nn.Linear(r_dim, z_dim)
            self.hidden_to_sigma = nn.Linear(r_dim, z_dim)

        def forward(self, r):
            hidden = torch.relu(self.r_to_hidden(r))
            mu = self.hidden_to_mu(hidden)
            sigma = 0.1 + 0.9 * torch.sigmoid(self.hidden_to_sigma(hidden))
            return mu, sigma

    class Decoder(nn.Module):
        def __init__(self, x_dim, z_dim, h_dim, y_dim):
            super(Decoder, self).__init__()
            self.x_dim = x_dim
            self.z_dim = z_dim
            self.h_dim = h_dim
            self.y_dim = y_dim
            layers = [nn.Linear(x_dim + z_dim, h_dim),
                      nn.ReLU(inplace=True),
                      nn.Linear(h_dim, h_dim),
                      nn.ReLU(inplace=True),
                      nn.Linear(h_dim, h_dim),
                      nn.ReLU(inplace=True)]
            self.xz_to_hidden = nn.Sequential(*layers)
            self.hidden_to_mu = nn.Linear(h_dim, y_dim)
            self.hidden_to_sigma = nn.Linear(h_dim, y_dim)

        def forward(self, x, z):
            batch_size, num_points, _ = x.size()
            z = z.unsqueeze(1).repeat(1, num_points, 1)
            x_flat = x.view(batch_size * num_points, self.x_dim)
            z_flat = z.view(batch_size * num_points, self.z_dim)
            input_pairs = torch.cat((x_flat, z_flat), dim=1)
            hidden = self.xz_to_hidden(input_pairs)
            mu = self.hidden_to_mu(hidden)
            pre_sigma = self.hidden_to_sigma(hidden)
            mu = mu.view(batch_size, num_points, self.y_dim)
            pre_sigma = pre_sigma.view(batch_size, num_points, self.y_dim)
            sigma = 0.1 + 0.9 * F.softplus(pre_sigma)
            return mu, sigma

    class NeuralProcess(nn.Module):
        def __init__(self, x_dim, y_dim, r_dim, z_dim, h_dim):
            super(NeuralProcess, self).__init__()
            self.x_dim = x_dim
            self.y_dim = y_dim
            self.r_dim = r_dim
            self.z_dim = z_dim
            self.h_dim = h_dim
            self.xy_to_r = Encoder(x_dim, y_dim, h_dim, r_dim)
            self.r_to_mu_sigma = MuSigmaEncoder(r_dim, z_dim)
            self.xz_to_y = Decoder(x_dim, z_dim, h_dim, y_dim)

        def aggregate(self, r_i):
            return torch.mean(r_i, dim=1)

        def xy_to_mu_sigma(self, x, y):
            batch_size, num_points, _ = x.size()
            x_flat = x.view(batch_size * num_points, self.x_dim)
            y_flat = y.contiguous().view(batch_size * num_points, self.y_dim)
            r_i_flat = self.xy_to_r(x_flat, y_flat)
            r_i = r_i_flat.view(batch_size, num_points, self.r_dim)
            r = self.aggregate(r_i)
            return self.r_to_mu_sigma(r)

        def forward(self, x_context, y_context, x_target, y_target=None):
            batch_size, num_context, x_dim = x_context.size()
            _, num_target, _ = x_target.size()
            _, _, y_dim = y_context.size()

            if self.training:
                mu_target, sigma_target = self.xy_to_mu_sigma(x_target, y_target)
                mu_context, sigma_context = self.xy_to_mu_sigma(x_context, y_context)
                q_target = Normal(mu_target, sigma_target)
                q_context = Normal(mu_context, sigma_context)
                z_sample = q_target.rsample()
                y_pred_mu, y_pred_sigma = self.xz_to_y(x_target, z_sample)
                p_y_pred = Normal(y_pred_mu, y_pred_sigma)
                return p_y_pred, q_target, q_context
            else:
                mu_context, sigma_context = self.xy_to_mu_sigma(x_context, y_context)
                q_context = Normal(mu_context, sigma_context)
                z_sample = q_context.rsample()
                y_pred_mu, y_pred_sigma = self.xz_to_y(x_target, z_sample)
                p_y_pred = Normal(y_pred_mu, y_pred_sigma)
                return p_y_pred

    class NeuralProcessImg(nn.Module):
        def __init__(self, img_size, r_dim, z_dim, h_dim):
            super(NeuralProcessImg, self).__init__()
            self.img_size = img_size
            self.num_channels, self.height, self.width = img_size
            self.r_dim = r_dim
            self.z_dim = z_dim
            self.h_dim = h_dim
            self.neural_process = NeuralProcess(x_dim=2, y_dim=self.num_channels,
                                                r_dim=r_dim, z_dim=z_dim,
                                                h_dim=h_dim)

        def forward(self, img, context_mask, target_mask):
            x_context, y_context = img_mask_to_np_input(img, context_mask)
            x_target, y_target = img_mask_to_np_input(img, target_mask)
            return self.neural_process(x_context, y_context, x_target, y_target)

    def context_target_split(x, y, num_context, num_extra_target):
        num_points = x.shape[1]
        locations = np.random.choice(num_points,
                                     size=num_context + num_extra_target,
                                     replace=False)
        x_context = x[:, locations[:num_context], :]
        y_context = y[:, locations[:num_context], :]
        x_target = x[:, locations, :]
        y_target = y[:, locations, :]
        return x_context, y_context, x_target, y_target

    def img_mask_to_np_input(img, mask, normalize=True):
        batch_size, num_channels, height, width = img.size()
        mask_img_size = mask.unsqueeze(1).repeat(1, num_channels, 1, 1)
        num_points = mask[0].nonzero().size(0)
        nonzero_idx = mask.nonzero()
        x = nonzero_idx[:, 1:].view(batch_size, num_points, 2).float()
        y = img[mask_img_size].view(batch_size, num_channels, num_points)
        y = y.permute(0, 2, 1)
        if normalize:
            x = (x - float(height) / 2) / (float(height) / 2)
            y -= 0.5
        return x, y

    def random_context_target_mask(img_size, num_context, num_extra_target):
        _, height, width = img_size
        measurements = np.random.choice(range(height * width),
                                        size=num_context + num_extra_target,
                                        replace=False)
        context_mask = torch.zeros(width, height).byte()
        target_mask = torch.zeros(width, height).byte()
        for i, m in enumerate(measurements):
            row = int(m / width)
            col = m % width
            target_mask[row, col] = 1
            if i < num_context:
                context_mask[row, col] = 1
        return context_mask, target_mask

    def batch_context_target_mask(img_size, num_context, num_extra_target,
                                  batch_size, repeat=False):
        context_mask_batch = torch.zeros(batch_size, *img_size[1:]).byte()
        target_mask_batch = torch.zeros(batch_size, *img_size[1:]).byte()
        for i in range(batch_size):
            context_mask, target_mask = random_context_target_mask(img_size,
                                                                   num_context,
                                                                   num_extra_target)
            context_mask_batch[i] = context_mask
            target_mask_batch[i] = target_mask
        return context_mask_batch, target_mask_batch

    def xy_to_img(x, y, img_size):
        _, height, width = img_size
        batch_size, _, _ = x.size()
        x = x * float(height / 2) + float(height / 2)
        x = x.long()
        y += 0.5
        y = y.permute(0, 2, 1)
        img = torch.zeros((batch_size,) + img_size)
        for i in range(batch_size):
            img[i, :, x[i, :, 0], x[i, :, 1]] = y[i, :, :]
        return img

    def inpaint(model, img, context_mask, device):
        is_training = model.neural_process.training
        model.neural_process.training = False
        target_mask = 1 - context_mask  # All pixels which are not in context
        img_batch = img.unsqueeze(0).to(device)
        context_batch = context_mask.unsqueeze(0).to(device)
        target_batch = target_mask.unsqueeze(0).to(device)
        p_y_pred = model(img_batch, context_batch, target_batch)
        x_target, _ = img_mask_to_np_input(img_batch, target_batch)
        img_rec = xy_to_img(x_target.cpu(), p_y_pred.loc.detach().cpu(), img.size())
        img_rec = img_rec[0]  # Remove batch dimension
        context_mask_img = context_mask.unsqueeze(0).repeat(3, 1, 1)
        img_rec[context_mask_img] = img[context_mask_img]
        model.neural_process.training = is_training
        return img_rec

    class SineData(Dataset):
        def __init__(self, amplitude_range=(-1., 1.), shift_range=(-.5, .5),
                     num_samples=1000, num_points=100):
            self.amplitude_range = amplitude_range
            self.shift_range = shift_range
            self.num_samples = num_samples
            self.num_points = num_points
            self.x_dim = 1  # x and y dim are fixed for this dataset.
            self.y_dim = 1
            self.data = []
            a_min, a_max = amplitude_range
            b_min, b_max = shift_range
            for i in range(num_samples):
                a = (a_max - a_min) * np.random.rand() + a_min
                b = (b_max - b_min) * np.random.rand() + b_min
                x = torch.linspace(-pi, pi, num_points).unsqueeze(1)
                y = a * torch.sin(x - b)
                self.data.append((x, y))

        def __getitem__(self, index):
            return self.data[index]

        def __len__(self):
            return self.num_samples

    from s23_taco_progs_d import trainer_class
    NeuralProcessTrainer = trainer_class(torch, kl_divergence, NeuralProcessImg,
                                         context_target_split, batch_context_target_mask,
                                         img_mask_to_np_input)
    return dict(locals())
