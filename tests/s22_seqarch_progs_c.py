"""davidmrau/mixture-of-experts as users type it (tag: seqarch): moe.py (SparseDispatcher
with torch.nonzero(...).sort(0), split, gather, index_add and the masked eps assignment;
MoE with noisy top-k gating, Normal(mean, std).cdf for _prob_in_top_k, cv_squared
load-balancing loss), example.py's train / eval on dummy data and cifar10_example.py's
loop on random images, sized down, plus a few more training steps and the gate loads."""

import numpy as np
from s16_yunjey_progs import Out


def _moe_classes(L):
    torch, nn = L, L.nn
    Normal = L.distributions.normal.Normal

    class SparseDispatcher(object):
        def __init__(self, num_experts, gates):
            """Create a SparseDispatcher."""
            self._gates = gates
            self._num_experts = num_experts
            # sort experts
            sorted_experts, index_sorted_experts = torch.nonzero(gates).sort(0)
            # drop indices
            _, self._expert_index = sorted_experts.split(1, dim=1)
            # get according batch index for each expert
            self._batch_index = torch.nonzero(gates)[index_sorted_experts[:, 1], 0]
            # calculate num samples that each expert gets
            self._part_sizes = (gates > 0).sum(0).tolist()
            # expand gates to match with self._batch_index
            gates_exp = gates[self._batch_index.flatten()]
            self._nonzero_gates = torch.gather(gates_exp, 1, self._expert_index)

        def dispatch(self, inp):
            # expand according to batch index so we can just split by _part_sizes
            inp_exp = inp[self._batch_index].squeeze(1)
            return torch.split(inp_exp, self._part_sizes, dim=0)

        def combine(self, expert_out, multiply_by_gates=True):
            # apply exp to expert outputs, so we are not longer in log space
            stitched = torch.cat(expert_out, 0).exp()

            if multiply_by_gates:
                stitched = stitched.mul(self._nonzero_gates)
            zeros = torch.zeros(self._gates.size(0), expert_out[-1].size(1), requires_grad=True, device=stitched.device)
            # combine samples that have been processed by the same k experts
            combined = zeros.index_add(0, self._batch_index, stitched.float())
            # add eps to all zero values in order to avoid nans when going back to log space
            combined[combined == 0] = np.finfo(float).eps
            # back to log space
            return combined.log()

        def expert_to_gates(self):
            # split nonzero gates for each expert
            return torch.split(self._nonzero_gates, self._part_sizes, dim=0)

    class MLP(nn.Module):
        def __init__(self, input_size, output_size, hidden_size):
            super(MLP, self).__init__()
            self.fc1 = nn.Linear(input_size, hidden_size)
            self.fc2 = nn.Linear(hidden_size, output_size)
            self.relu = nn.ReLU()
            self.soft = nn.Softmax(1)

        def forward(self, x):
            out = self.fc1(x)
            out = self.relu(out)
            out = self.fc2(out)
            out = self.soft(out)
            return out

    class MoE(nn.Module):
        def __init__(self, input_size, output_size, num_experts, hidden_size, noisy_gating=True, k=4):
            super(MoE, self).__init__()
            self.noisy_gating = noisy_gating
            self.num_experts = num_experts
            self.output_size = output_size
            self.input_size = input_size
            self.hidden_size = hidden_size
            self.k = k
            # instantiate experts
            self.experts = nn.ModuleList([MLP(self.input_size, self.output_size, self.hidden_size) for i in range(self.num_experts)])
            self.w_gate = nn.Parameter(torch.zeros(input_size, num_experts), requires_grad=True)
            self.w_noise = nn.Parameter(torch.zeros(input_size, num_experts), requires_grad=True)

            self.softplus = nn.Softplus()
            self.softmax = nn.Softmax(1)
            self.register_buffer("mean", torch.tensor([0.0]))
            self.register_buffer("std", torch.tensor([1.0]))
            assert(self.k <= self.num_experts)

        def cv_squared(self, x):
            eps = 1e-10
            # if only num_experts = 1
            if x.shape[0] == 1:
                return torch.tensor([0], device=x.device, dtype=x.dtype)
            return x.float().var() / (x.float().mean()**2 + eps)

        def _gates_to_load(self, gates):
            return (gates > 0).sum(0)

        def _prob_in_top_k(self, clean_values, noisy_values, noise_stddev, noisy_top_values):
            batch = clean_values.size(0)
            m = noisy_top_values.size(1)
            top_values_flat = noisy_top_values.flatten()

            threshold_positions_if_in = torch.arange(batch, device=clean_values.device) * m + self.k
            threshold_if_in = torch.unsqueeze(torch.gather(top_values_flat, 0, threshold_positions_if_in), 1)
            is_in = torch.gt(noisy_values, threshold_if_in)
            threshold_positions_if_out = threshold_positions_if_in - 1
            threshold_if_out = torch.unsqueeze(torch.gather(top_values_flat, 0, threshold_positions_if_out), 1)
            # is each value currently in the top k.
            normal = Normal(self.mean, self.std)
            prob_if_in = normal.cdf((clean_values - threshold_if_in)/noise_stddev)
            prob_if_out = normal.cdf((clean_values - threshold_if_out)/noise_stddev)
            prob = torch.where(is_in, prob_if_in, prob_if_out)
            return prob

        def noisy_top_k_gating(self, x, train, noise_epsilon=1e-2):
            clean_logits = x @ self.w_gate
            if self.noisy_gating and train:
                raw_noise_stddev = x @ self.w_noise
                noise_stddev = ((self.softplus(raw_noise_stddev) + noise_epsilon))
                noisy_logits = clean_logits + (torch.randn_like(clean_logits) * noise_stddev)
                logits = noisy_logits
            else:
                logits = clean_logits

            # calculate topk + 1 that will be needed for the noisy gates
            top_logits, top_indices = logits.topk(min(self.k + 1, self.num_experts), dim=1)
            top_k_logits = top_logits[:, :self.k]
            top_k_indices = top_indices[:, :self.k]
            top_k_gates = self.softmax(top_k_logits)

            zeros = torch.zeros_like(logits, requires_grad=True)
            gates = zeros.scatter(1, top_k_indices, top_k_gates)

            if self.noisy_gating and self.k < self.num_experts and train:
                load = (self._prob_in_top_k(clean_logits, noisy_logits, noise_stddev, top_logits)).sum(0)
            else:
                load = self._gates_to_load(gates)
            return gates, load

        def forward(self, x, loss_coef=1e-2):
            gates, load = self.noisy_top_k_gating(x, self.training)
            # calculate importance loss
            importance = gates.sum(0)
            #
            loss = self.cv_squared(importance) + self.cv_squared(load)
            loss *= loss_coef

            dispatcher = SparseDispatcher(self.num_experts, gates)
            expert_inputs = dispatcher.dispatch(x)
            gates = dispatcher.expert_to_gates()
            expert_outputs = [self.experts[i](expert_inputs[i]) for i in range(self.num_experts)]
            y = dispatcher.combine(expert_outputs)
            return y, loss

    return SparseDispatcher, MoE


def moe_example(L):
    torch, nn = L, L.nn
    Adam = L.optim.Adam
    o = Out()
    with o:
        torch.manual_seed(0)
        SparseDispatcher, MoE = _moe_classes(L)

        def train(x, y, model, loss_fn, optim):
            y_hat, aux_loss = model(x.float())
            loss = loss_fn(y_hat, y)
            total_loss = loss + aux_loss
            optim.zero_grad()
            total_loss.backward()
            optim.step()
            o.print("Training Results - loss: {:.2f}, aux_loss: {:.3f}".format(loss.item(), aux_loss.item()))
            o.print(f"{loss.item():.4f} {aux_loss.item():.4f}", y_hat.shape, aux_loss.shape, aux_loss.grad_fn.name())
            return model

        def eval(x, y, model, loss_fn):
            model.eval()
            y_hat, aux_loss = model(x.float())
            loss = loss_fn(y_hat, y)
            total_loss = loss + aux_loss
            o.print("Evaluation Results - loss: {:.2f}, aux_loss: {:.3f}".format(loss.item(), aux_loss.item()))
            o.print(f"{total_loss.item():.4f}", aux_loss.dtype, aux_loss.requires_grad)
            return y_hat

        def dummy_data(batch_size, input_size, num_classes):
            x = torch.rand(batch_size, input_size)
            y = torch.randint(num_classes, (batch_size, 1)).squeeze(1)
            return x, y

        input_size, num_classes, num_experts, hidden_size, batch_size, k = 30, 6, 5, 8, 7, 2
        device = torch.device('cuda') if torch.cuda.is_available() else torch.device('cpu')
        model = MoE(input_size, num_classes, num_experts, hidden_size, k=k, noisy_gating=True)
        model = model.to(device)
        loss_fn = nn.CrossEntropyLoss()
        optim = Adam(model.parameters())
        # w_gate / w_noise start at zero: every logit ties; give them a seeded start
        with torch.no_grad():
            model.w_gate.copy_(torch.randn(input_size, num_experts) * 0.3)
            model.w_noise.copy_(torch.randn(input_size, num_experts) * 0.1)

        x, y = dummy_data(batch_size, input_size, num_classes)
        for _ in range(4):
            model = train(x.to(device), y.to(device), model, loss_fn, optim)
        gates, load = model.noisy_top_k_gating(x, True)
        o.print(gates.shape, load.shape, load.grad_fn.name(), (gates > 0).sum(1).tolist())
        d = SparseDispatcher(num_experts, gates)
        o.print(d._part_sizes, d._batch_index.tolist(), d._expert_index.shape,
                [t.shape for t in d.dispatch(x)], [t.shape for t in d.expert_to_gates()])
        o.vals += [model.w_gate, model.w_noise, model.experts[0].fc1.weight, load]
        x, y = dummy_data(batch_size, input_size, num_classes)
        y_hat = eval(x.to(device), y.to(device), model, loss_fn)
        g, ld = model.noisy_top_k_gating(x, False)
        o.print("gate loads", ld.tolist(), ld.dtype, model.cv_squared(ld), model.cv_squared(ld[:1]))
        o.vals += [y_hat, g]
        # an expert that no sample reaches: its input is empty
        one = MoE(input_size, num_classes, 3, hidden_size, k=1, noisy_gating=False)
        with torch.no_grad():
            one.w_gate[:, 0] = 5.0
        yy, aux = one(x)
        o.print(SparseDispatcher(3, one.noisy_top_k_gating(x, False)[0])._part_sizes,
                f"{aux.item():.4f}", yy.shape)
        o.vals += [yy]
    return o.done()


def moe_cifar10_example(L):
    """cifar10_example.py: the MoE on flattened CIFAR-10-shaped images (random uint8 pixels
    through ToTensor / Normalize(0.5, 0.5) written as tensor ops, a TensorDataset instead of
    torchvision), SGD with momentum, the '[%d, %5d] loss: %.3f' lines and the accuracy."""
    torch, nn, optim = L, L.nn, L.optim
    o = Out()
    with o:
        torch.manual_seed(0)
        _, MoE = _moe_classes(L)
        rng = np.random.default_rng(0)

        def dataset(n):
            x = torch.from_numpy(rng.integers(0, 256, (n, 3, 8, 8), dtype=np.uint8)).float() / 255
            x = (x - 0.5) / 0.5  # transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
            return torch.utils.data.TensorDataset(x, torch.from_numpy(rng.integers(0, 10, n)))

        g = torch.Generator().manual_seed(0)
        trainloader = torch.utils.data.DataLoader(dataset(48), batch_size=8, shuffle=True,
                                                  generator=g)
        testloader = torch.utils.data.DataLoader(dataset(20), batch_size=8, shuffle=False)
        device = torch.device('cpu')
        net = MoE(input_size=192, output_size=10, num_experts=4, hidden_size=16,
                  noisy_gating=True, k=2)
        net = net.to(device)
        with torch.no_grad():
            net.w_gate.normal_(0, 0.05)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

        net.train()
        for epoch in range(2):  # loop over the dataset multiple times
            running_loss = 0.0
            for i, data in enumerate(trainloader, 0):
                inputs, labels = data
                inputs, labels = inputs.to(device), labels.to(device)
                optimizer.zero_grad()
                inputs = inputs.view(inputs.shape[0], -1)
                outputs, aux_loss = net(inputs)
                loss = criterion(outputs, labels)
                total_loss = loss + aux_loss
                total_loss.backward()
                optimizer.step()
                running_loss += loss.item()
                if i % 3 == 2:
                    o.print('[%d, %5d] loss: %.3f' % (epoch + 1, i + 1, running_loss / 3))
                    running_loss = 0.0
        o.print('Finished Training')

        correct = 0
        total = 0
        net.eval()
        with torch.no_grad():
            for data in testloader:
                images, labels = data
                outputs, _ = net(images.view(images.shape[0], -1))
                _, predicted = torch.max(outputs.data, 1)
                total += labels.size(0)
                correct += (predicted == labels).sum().item()
        o.print('Accuracy of the network on the %d test images: %d %%' % (total, 100 * correct / total))
        o.vals += [net.w_gate, net.experts[1].fc2.weight, outputs]
    return o.done()
