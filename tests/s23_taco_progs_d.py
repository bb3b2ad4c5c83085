"""EmilienDupont/neural-processes as users type it (tag: taco). This file: training.py's
NeuralProcessTrainer (random context / target counts, the Normal log-likelihood and
kl_divergence loss) and the programs: the 1d sine-curve example notebook (SineData,
DataLoader, training, then predictions from a few context points with the model in eval
mode) and the image example (NeuralProcessImg on tiny random 3-channel images with byte
masks, then inpaint)."""

import contextlib
import io
import random
from math import pi
from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out


def trainer_class(torch, kl_divergence, NeuralProcessImg, context_target_split,
                  batch_context_target_mask, img_mask_to_np_input):
    randint = random.randint

    class NeuralProcessTrainer():
        def __init__(self, device, neural_process, optimizer, num_context_range,
                     num_extra_target_range, print_freq=100):
            self.device = device
            self.neural_process = neural_process
            self.optimizer = optimizer
            self.num_context_range = num_context_range
            self.num_extra_target_range = num_extra_target_range
            self.print_freq = print_freq
            self.is_img = isinstance(self.neural_process, NeuralProcessImg)
            self.steps = 0
            self.epoch_loss_history = []

        def train(self, data_loader, epochs):
            for epoch in range(epochs):
                epoch_loss = 0.
                for i, data in enumerate(data_loader):
                    self.optimizer.zero_grad()

                    num_context = randint(*self.num_context_range)
                    num_extra_target = randint(*self.num_extra_target_range)

                    if self.is_img:
                        img, _ = data  # data is a tuple (img, label)
                        batch_size = img.size(0)
                        context_mask, target_mask = \
                            batch_context_target_mask(self.neural_process.img_size,
                                                      num_context, num_extra_target,
                                                      batch_size)

                        img = img.to(self.device)
                        context_mask = context_mask.to(self.device)
                        target_mask = target_mask.to(self.device)

                        p_y_pred, q_target, q_context = \
                            self.neural_process(img, context_mask, target_mask)

                        _, y_target = img_mask_to_np_input(img, target_mask)
                    else:
                        x, y = data
                        x_context, y_context, x_target, y_target = \
                            context_target_split(x, y, num_context, num_extra_target)
                        p_y_pred, q_target, q_context = \
                            self.neural_process(x_context, y_context, x_target, y_target)

                    loss = self._loss(p_y_pred, y_target, q_target, q_context)
                    loss.backward()
                    self.optimizer.step()

                    epoch_loss += loss.item()

                    self.steps += 1

                    if self.steps % self.print_freq == 0:
                        print("iteration {}, loss {:.3f}".format(self.steps, loss.item()))

                print("Epoch: {}, Avg_loss: {:.4f}".format(epoch, epoch_loss / len(data_loader)))
                self.epoch_loss_history.append(epoch_loss / len(data_loader))

        def _loss(self, p_y_pred, y_target, q_target, q_context):
            log_likelihood = p_y_pred.log_prob(y_target).mean(dim=0).sum()
            kl = kl_divergence(q_target, q_context).mean(dim=0).sum()
            return -log_likelihood + kl

    return NeuralProcessTrainer


def _seed(torch):
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)


def np_sine(torch):
    """example-1d.ipynb: SineData, NeuralProcess, the trainer, then posterior samples."""
    import s23_taco_progs_c as M
    o = Out()
    with o:
        _seed(torch)
        N = SimpleNamespace(**M.build(torch))
        DataLoader = torch.utils.data.DataLoader
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        x_dim, y_dim, r_dim, h_dim, z_dim = 1, 1, 8, 16, 8
        dataset = N.SineData(amplitude_range=(-1., 1.), shift_range=(-.5, .5),
                             num_samples=8, num_points=20)
        x, y = dataset[0]
        o.print(x.shape, y.shape, len(dataset))
        neuralprocess = N.NeuralProcess(x_dim, y_dim, r_dim, z_dim, h_dim)
        o.print(neuralprocess)
        batch_size = 4
        num_context = 4
        num_target = 4
        data_loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
        optimizer = torch.optim.Adam(neuralprocess.parameters(), lr=3e-4)
        np_trainer = N.NeuralProcessTrainer(device, neuralprocess, optimizer,
                                            num_context_range=(num_context, num_context),
                                            num_extra_target_range=(num_target, num_target),
                                            print_freq=2)
        neuralprocess.training = True
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            np_trainer.train(data_loader, 3)
        o.lines += buf.getvalue().splitlines()
        o.vals += [np.array(np_trainer.epoch_loss_history)]

        # Extract a batch from data_loader, use the first 4 points as context
        for batch in data_loader:
            break
        x, y = batch
        x_context, y_context, _, _ = N.context_target_split(x[0:1], y[0:1], 4, 4)
        x_target = torch.Tensor(np.linspace(-pi, pi, 10))
        x_target = x_target.unsqueeze(1).unsqueeze(0)
        neuralprocess.training = False
        for i in range(3):
            p_y_pred = neuralprocess(x_context, y_context, x_target)
            mu = p_y_pred.loc.detach()
            o.vals += [mu, p_y_pred.scale.detach()]
        o.print(mu.shape, x_target.numpy()[0].shape, mu.numpy()[0].shape)
        q = torch.distributions.Normal(torch.zeros(3), torch.ones(3) * 2)
        p = torch.distributions.Normal(torch.ones(3), torch.ones(3))
        o.print(torch.distributions.kl.kl_divergence(q, p))
        o.vals += [p.log_prob(torch.tensor([0.5, 1.0, 2.0])), q.rsample((2,))]
    return o.done()


def np_image(torch):
    """example-img.ipynb on random 3 x 6 x 6 images: NeuralProcessImg trained a few steps,
    then inpaint from a random context mask."""
    import s23_taco_progs_c as M
    o = Out()
    with o:
        _seed(torch)
        N = SimpleNamespace(**M.build(torch))
        img_size = (3, 6, 6)
        imgs = torch.rand(8, *img_size)
        labels = torch.zeros(8, dtype=torch.long)
        data_loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(imgs, labels), batch_size=4, shuffle=True)
        device = torch.device("cpu")
        model = N.NeuralProcessImg(img_size, r_dim=8, z_dim=8, h_dim=16).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=4e-5)
        np_trainer = N.NeuralProcessTrainer(device, model, optimizer,
                                            num_context_range=(2, 6),
                                            num_extra_target_range=(3, 8),
                                            print_freq=2)
        cm, tm = N.batch_context_target_mask(img_size, 3, 4, 2)
        o.print(cm.dtype, cm.sum().item(), tm.sum().item(), (cm <= tm).all())
        xc, yc = N.img_mask_to_np_input(imgs[:2], cm)
        o.print(xc.shape, yc.shape)
        o.vals += [xc, yc]
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            np_trainer.train(data_loader, 2)
        o.lines += buf.getvalue().splitlines()
        o.vals += [np.array(np_trainer.epoch_loss_history)]

        img = imgs[0]
        context_mask, _ = N.random_context_target_mask(img_size, 10, 0)
        img_rec = N.inpaint(model, img, context_mask, device)
        o.print(img_rec.shape, model.neural_process.training)
        o.vals += [img_rec]
    return o.done()
