"""udacity/deep-learning-v2-pytorch, intro-to-pytorch Part 6 (Saving and Loading Models with
fc_model.py) and weight-initialization (the notebook with helpers.py) as users type them,
scaled down on random images, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_udacity.py."""

import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out
from s20_udacity_progs import _loader


def part6_saving(L):
    """Part 6 - Saving and Loading Models with fc_model.py: Network with an nn.ModuleList
    extended by a list, validation() with images.resize_ and equality.type_as(
    torch.FloatTensor()), train() printing every few steps, state_dict keys, torch.save /
    torch.load, load_state_dict into a wrong-sized model (the error), the checkpoint dict."""
    torch = L
    nn, optim, F = L.nn, L.optim, L.nn.functional
    with Out() as o:
        class Network(nn.Module):
            def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
                super().__init__()
                self.hidden_layers = nn.ModuleList([nn.Linear(input_size, hidden_layers[0])])
                layer_sizes = zip(hidden_layers[:-1], hidden_layers[1:])
                self.hidden_layers.extend([nn.Linear(h1, h2) for h1, h2 in layer_sizes])
                self.output = nn.Linear(hidden_layers[-1], output_size)
                self.dropout = nn.Dropout(p=drop_p)

            def forward(self, x):
                for each in self.hidden_layers:
                    x = F.relu(each(x))
                    x = self.dropout(x)
                x = self.output(x)
                return F.log_softmax(x, dim=1)

        def validation(model, testloader, criterion):
            accuracy = 0
            test_loss = 0
            for images, labels in testloader:
                images = images.resize_(images.size()[0], 784)
                output = model.forward(images)
                test_loss += criterion(output, labels).item()
                ps = torch.exp(output)
                equality = (labels.data == ps.max(1)[1])
                accuracy += equality.type_as(torch.FloatTensor()).mean()
            return test_loss, accuracy

        def train(model, trainloader, testloader, criterion, optimizer, epochs=5, print_every=40):
            steps = 0
            running_loss = 0
            for e in range(epochs):
                model.train()
                for images, labels in trainloader:
                    steps += 1
                    images.resize_(images.size()[0], 784)
                    optimizer.zero_grad()
                    output = model.forward(images)
                    loss = criterion(output, labels)
                    loss.backward()
                    optimizer.step()
                    running_loss += loss.item()
                    if steps % print_every == 0:
                        model.eval()
                        with torch.no_grad():
                            test_loss, accuracy = validation(model, testloader, criterion)
                        o.print("Epoch: {}/{}.. ".format(e+1, epochs),
                                "Training Loss: {:.3f}.. ".format(running_loss/print_every),
                                "Test Loss: {:.3f}.. ".format(test_loss/len(testloader)),
                                "Test Accuracy: {:.3f}".format(accuracy/len(testloader)))
                        running_loss = 0
                        model.train()

        torch.manual_seed(0)
        trainloader = _loader(L, 48, (1, 28, 28), 16, 4)
        testloader = _loader(L, 32, (1, 28, 28), 16, 5)
        model = Network(784, 10, [512, 256, 128])
        criterion = nn.NLLLoss()
        optimizer = optim.Adam(model.parameters(), lr=0.001)
        train(model, trainloader, testloader, criterion, optimizer, epochs=2, print_every=2)
        o.print("Our model: \n\n", model, '\n')
        o.print("The state dict keys: \n\n", model.state_dict().keys())
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'checkpoint.pth')
            torch.save(model.state_dict(), path)
            state_dict = torch.load(path)
            o.print(state_dict.keys())
            o.print(model.load_state_dict(state_dict))
            model2 = Network(784, 10, [400, 200, 100])
            o.tryit(lambda: model2.load_state_dict(state_dict))
            checkpoint = {'input_size': 784,
                          'output_size': 10,
                          'hidden_layers': [each.out_features for each in model.hidden_layers],
                          'state_dict': model.state_dict()}
            torch.save(checkpoint, path)

            def load_checkpoint(filepath):
                checkpoint = torch.load(filepath)
                model = Network(checkpoint['input_size'],
                                checkpoint['output_size'],
                                checkpoint['hidden_layers'])
                model.load_state_dict(checkpoint['state_dict'])
                return model

            model3 = load_checkpoint(path)
        o.print(model3)
        model3.eval()
        images, labels = next(iter(testloader))
        o.vals += [model3(images.view(16, 784)), model.output.weight]
    return o.done()


def weight_init(L):
    """weight-initialization notebook and helpers.py: Net with constant_weight through
    self.modules() and nn.init.constant_, model.apply(weights_init_uniform) with
    m.__class__.__name__.find('Linear'), the uniform rule with np.sqrt, normal_(0, y) with a
    NumPy float, compare_init_weights' Adam training and validation accuracy printout."""
    torch = L
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)
        train_loader = _loader(L, 32, (1, 28, 28), 8, 13)
        valid_loader = _loader(L, 16, (1, 28, 28), 8, 14)

        class Net(nn.Module):
            def __init__(self, hidden_1=256, hidden_2=128, constant_weight=None):
                super(Net, self).__init__()
                self.fc1 = nn.Linear(28 * 28, hidden_1)
                self.fc2 = nn.Linear(hidden_1, hidden_2)
                self.fc3 = nn.Linear(hidden_2, 10)
                self.dropout = nn.Dropout(0.2)
                if (constant_weight is not None):
                    for m in self.modules():
                        if isinstance(m, nn.Linear):
                            nn.init.constant_(m.weight, constant_weight)
                            nn.init.constant_(m.bias, 0)

            def forward(self, x):
                x = x.view(-1, 28 * 28)
                x = F.relu(self.fc1(x))
                x = self.dropout(x)
                x = F.relu(self.fc2(x))
                x = self.dropout(x)
                x = self.fc3(x)
                return x

        def _get_loss_acc(model, train_loader, valid_loader):
            n_epochs = 2
            learning_rate = 0.001
            criterion = nn.CrossEntropyLoss()
            optimizer = torch.optim.Adam(model.parameters(), learning_rate)
            loss_batch = []
            for epoch in range(1, n_epochs+1):
                for data, target in train_loader:
                    optimizer.zero_grad()
                    output = model(data)
                    loss = criterion(output, target)
                    loss.backward()
                    optimizer.step()
                    loss_batch.append(loss.item())
            correct = 0
            total = 0
            for data, target in valid_loader:
                output = model(data)
                _, predicted = torch.max(output.data, 1)
                total += target.size(0)
                correct += (predicted == target).sum()
            valid_acc = correct.item() / total
            return loss_batch, valid_acc

        def compare_init_weights(model_list, plot_title, train_loader, valid_loader):
            label_accs = []
            label_loss = []
            for i, (model, label) in enumerate(model_list):
                loss, val_acc = _get_loss_acc(model, train_loader, valid_loader)
                label_accs.append((label, val_acc))
                label_loss.append((label, loss[-1]))
            o.print(plot_title)
            o.print('After 2 Epochs:')
            o.print('Validation Accuracy')
            for label, val_acc in label_accs:
                o.print('  {:7.3f}% -- {}'.format(val_acc*100, label))
            o.print('Training Loss')
            for label, loss in label_loss:
                o.print('  {:7.3f}  -- {}'.format(loss, label))
            return [m.fc3.weight for m, _ in model_list]

        model_0 = Net(64, 32, constant_weight=0)
        model_1 = Net(64, 32, constant_weight=1)
        # the all-ones net's logits are sums of ~1e5 whose last bits (OpenBLAS against MKL)
        # Adam then amplifies: only its first forward pass is compared
        out_1 = model_1(next(iter(valid_loader))[0])
        o.print(out_1.shape, (out_1 == out_1[:, :1]).all())
        model_list = [(model_0, 'All Zeros')]
        w = compare_init_weights(model_list, 'All Zeros', train_loader, valid_loader)
        w.append(out_1)

        def weights_init_uniform(m):
            classname = m.__class__.__name__
            if classname.find('Linear') != -1:
                m.weight.data.uniform_(0.0, 1.0)
                m.bias.data.fill_(0)

        model_uniform = Net(64, 32)
        o.print(model_uniform.apply(weights_init_uniform))

        def weights_init_uniform_center(m):
            classname = m.__class__.__name__
            if classname.find('Linear') != -1:
                m.weight.data.uniform_(-0.5, 0.5)
                m.bias.data.fill_(0)

        model_centered = Net(64, 32)
        model_centered.apply(weights_init_uniform_center)

        def weights_init_uniform_rule(m):
            classname = m.__class__.__name__
            if classname.find('Linear') != -1:
                n = m.in_features
                y = 1.0/np.sqrt(n)
                m.weight.data.uniform_(-y, y)
                m.bias.data.fill_(0)

        model_rule = Net(64, 32)
        model_rule.apply(weights_init_uniform_rule)

        def weights_init_normal(m):
            classname = m.__class__.__name__
            if classname.find('Linear') != -1:
                n = m.in_features
                y = (1.0/np.sqrt(n))
                m.weight.data.normal_(0, y)
                m.bias.data.fill_(0)

        model_normal = Net(64, 32)
        model_normal.apply(weights_init_normal)
        o.print(model_normal.fc1.weight.dtype)
        model_list = [(model_uniform, 'Uniform [0,1)'), (model_centered, 'Centered [-.5,.5)'),
                      (model_rule, 'Uniform Rule'), (model_normal, 'Normal Distribution'),
                      (Net(64, 32), 'Default')]
        w += compare_init_weights(model_list, 'Comparison', train_loader, valid_loader)
        o.vals += w
    return o.done()
