"""Vision models beyond plain CNN classifiers (see s20_vision2_progs.py). This file:
gram-ai/capsule-networks (capsule_network.py: the softmax over a dim by transpose / view,
CapsuleLayer with squash and dynamic routing, CapsuleNet, CapsuleLoss, the processor step with
torch.sparse.torch.eye(...).index_select) on 20x20 "digits", and milesial/Pytorch-UNet
(unet/unet_parts.py, unet/unet_model.py, utils/dice_score.py, train.py, evaluate.py)."""

import numpy as np
from s16_yunjey_progs import Out


def _capsnet(L, o):
    """capsule_network.py as written, with the 9x9 convolutions kept and fewer channels:
    28x28 MNIST becomes 20x20, conv1 256 -> 16 channels, 8 primary capsules of 4 maps."""
    torch, nn, F = L, L.nn, L.nn.functional
    NUM_CLASSES, NUM_ROUTING_ITERATIONS = 4, 3

    def softmax(input, dim=1):
        transposed_input = input.transpose(dim, len(input.size()) - 1)
        softmaxed_output = F.softmax(transposed_input.contiguous().view(-1, transposed_input.size(-1)))
        return softmaxed_output.view(*transposed_input.size()).transpose(dim, len(input.size()) - 1)

    class CapsuleLayer(nn.Module):
        def __init__(self, num_capsules, num_route_nodes, in_channels, out_channels, kernel_size=None,
                     stride=None, num_iterations=NUM_ROUTING_ITERATIONS):
            super(CapsuleLayer, self).__init__()

            self.num_route_nodes = num_route_nodes
            self.num_iterations = num_iterations

            self.num_capsules = num_capsules

            if num_route_nodes != -1:
                self.route_logits = nn.Parameter(torch.zeros(num_capsules, 1, num_route_nodes, 1, 1))
                self.route_weights = nn.Parameter(torch.randn(num_capsules, num_route_nodes, in_channels,
                                                              out_channels))
            else:
                self.capsules = nn.ModuleList(
                    [nn.Conv2d(in_channels, out_channels, kernel_size=kernel_size, stride=stride, padding=0)
                     for _ in range(num_capsules)])

        def squash(self, tensor, dim=-1):
            squared_norm = (tensor ** 2).sum(dim=dim, keepdim=True)
            scale = squared_norm / (1 + squared_norm)
            return scale * tensor / torch.sqrt(squared_norm)

        def forward(self, x):
            if self.num_route_nodes != -1:
                priors = x[None, :, :, None, :] @ self.route_weights[:, None, :, :, :]

                logits = self.route_logits
                for i in range(self.num_iterations):
                    probs = softmax(logits, dim=2)
                    outputs = self.squash((probs * priors).sum(dim=2, keepdim=True))

                    if i != self.num_iterations - 1:
                        delta_logits = (priors * outputs).sum(dim=-1, keepdim=True)
                        logits = logits + delta_logits
            else:
                outputs = [capsule(x).view(x.size(0), -1, 1) for capsule in self.capsules]
                outputs = torch.cat(outputs, dim=-1)
                outputs = self.squash(outputs)

            return outputs

    class CapsuleNet(nn.Module):
        def __init__(self):
            super(CapsuleNet, self).__init__()

            self.conv1 = nn.Conv2d(in_channels=1, out_channels=16, kernel_size=9, stride=1)
            self.primary_capsules = CapsuleLayer(num_capsules=8, num_route_nodes=-1, in_channels=16,
                                                 out_channels=4, kernel_size=9, stride=2)
            self.digit_capsules = CapsuleLayer(num_capsules=NUM_CLASSES, num_route_nodes=4 * 2 * 2,
                                               in_channels=8, out_channels=16)

            self.decoder = nn.Sequential(
                nn.Linear(16, 32),
                nn.ReLU(inplace=True),
                nn.Linear(32, 64),
                nn.ReLU(inplace=True),
                nn.Linear(64, 400),
                nn.Sigmoid()
            )

        def forward(self, x, y=None):
            x = F.relu(self.conv1(x), inplace=True)
            x = self.primary_capsules(x)
            x = self.digit_capsules(x).squeeze().transpose(0, 1)

            classes = (x ** 2).sum(dim=-1) ** 0.5
            classes = F.softmax(classes)

            if y is None:
                # In all batches, get the most active capsule.
                _, max_length_indices = classes.max(dim=1)
            else:
                # If labels are provided, get the capsule which should have been activated.
                _, max_length_indices = y.max(dim=1)

            vectors = []
            for batch, index in enumerate(max_length_indices):
                o.tryit(lambda: index.data[0])  # the 0.3-era line: an IndexError now
                vectors.append(x[batch, index.item(), :])
            reconstructions = self.decoder(torch.stack(vectors, dim=0))

            return classes, reconstructions

    class CapsuleLoss(nn.Module):
        def __init__(self):
            super(CapsuleLoss, self).__init__()
            self.reconstruction_loss = nn.MSELoss(size_average=True)

        def forward(self, images, labels, classes, reconstructions):
            left = torch.clamp(0.9 - classes, min=0) ** 2
            right = torch.clamp(classes - 0.1, min=0) ** 2

            margin_loss = labels * left + 0.5 * (1 - labels) * right
            margin_loss = margin_loss.sum(dim=1).mean()

            reconstruction_loss = self.reconstruction_loss(reconstructions, images)
            return margin_loss + 0.0005 * reconstruction_loss

    return NUM_CLASSES, softmax, CapsuleLayer, CapsuleNet, CapsuleLoss


def capsule_parts(L):
    """The softmax helper against F.softmax(dim=...), squash, primary and digit capsules'
    shapes, routing's outputs, and the model's repr."""
    torch, F = L, L.nn.functional
    with Out() as o:
        L.manual_seed(0)
        NUM_CLASSES, softmax, CapsuleLayer, CapsuleNet, _ = _capsnet(L, o)
        logits = torch.randn(4, 1, 16, 1, 1)
        p = softmax(logits, dim=2)
        o.print(p.shape, bool(torch.allclose(p, F.softmax(logits, dim=2))))
        o.vals += [p]
        prim = CapsuleLayer(num_capsules=8, num_route_nodes=-1, in_channels=16, out_channels=4,
                            kernel_size=9, stride=2)
        x = prim(torch.rand(3, 16, 12, 12))
        o.print(x.shape, x.norm(dim=-1).max().item() < 1)
        digit = CapsuleLayer(num_capsules=NUM_CLASSES, num_route_nodes=16, in_channels=8, out_channels=16)
        v = digit(x)
        o.print(v.shape, v.squeeze().transpose(0, 1).shape)
        o.vals += [x, v]
        o.print(CapsuleNet())
        o.tryit(lambda: digit(torch.rand(3, 12, 8)))
    return o.done()


def capsule_train(L):
    """The training processor: data.unsqueeze(1).float() / 255.0, torch.LongTensor(labels),
    torch.sparse.torch.eye(NUM_CLASSES).index_select(dim=0, index=labels), model(data,
    labels), CapsuleLoss, Adam; then inference with y=None and the accuracy by classes.max."""
    torch = L
    with Out() as o:
        L.manual_seed(1)
        NUM_CLASSES, _, _, CapsuleNet, CapsuleLoss = _capsnet(L, o)
        model = CapsuleNet()
        optimizer = torch.optim.Adam(model.parameters())
        capsule_loss = CapsuleLoss()
        rng = np.random.RandomState(1)
        samples = [(torch.from_numpy(rng.randint(0, 256, (3, 20, 20)).astype(np.uint8)),
                    rng.randint(0, NUM_CLASSES, 3).tolist()) for _ in range(2)]
        for epoch in range(2):
            for sample in samples:
                data = sample[0].unsqueeze(1).float() / 255.0
                labels = torch.LongTensor(sample[1])
                labels = torch.sparse.torch.eye(NUM_CLASSES).index_select(dim=0, index=labels)
                classes, reconstructions = model(data, labels)
                loss = capsule_loss(data.view(3, -1), labels, classes, reconstructions)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                o.print('[Epoch %d] Training Loss: %.4f' % (epoch, loss.item()))
                o.vals += [loss, classes]
        ground_truth = (samples[0][0].unsqueeze(1).float() / 255.0)
        classes, reconstructions = model(ground_truth)
        reconstruction = reconstructions.cpu().view_as(ground_truth).data
        o.print(reconstruction.shape, classes.max(dim=1)[1].tolist())
        o.vals += [classes, reconstruction]
        o.tryit(lambda: capsule_loss(ground_truth, labels, classes, reconstructions))
    return o.done()
