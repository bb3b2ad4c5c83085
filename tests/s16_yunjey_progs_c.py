"""MorvanZhou/PyTorch-Tutorial (tutorial-contents 201-305) as users type them, Variable-era
idioms included (``Variable(x)``, ``x.data.numpy()``, ``torch.FloatTensor(list)``,
``torch.max(out, 1)[1].data.numpy()``, ``loss.data[0]``), plotting left out, on the
tutorials' own synthetic data scaled down; for tests/test_programs_s16_yunjey.py."""

import io

import numpy as np
from s16_yunjey_progs import Out


def torch_numpy(L):
    with Out() as o:
        np_data = np.arange(6).reshape((2, 3))
        torch_data = L.from_numpy(np_data)
        tensor2array = torch_data.numpy()
        o.print('\nnumpy array:', np_data, '\ntorch tensor:', torch_data,
                '\ntensor to array:', tensor2array)
        data = [-1, -2, 1, 2]
        tensor = L.FloatTensor(data)
        o.print('\nabs', '\nnumpy: ', np.abs(data), '\ntorch: ', L.abs(tensor))
        o.print('\nsin', '\nnumpy: ', np.sin(data), '\ntorch: ', L.sin(tensor))
        o.print('\nmean', '\nnumpy: ', np.mean(data), '\ntorch: ', L.mean(tensor))
        data = [[1, 2], [3, 4]]
        tensor = L.FloatTensor(data)
        o.print('\nmatrix multiplication (matmul)', '\nnumpy: ', np.matmul(data, data),
                '\ntorch: ', L.mm(tensor, tensor))
        data = np.array(data)
        o.print('\nmatrix multiplication (dot)', '\nnumpy: ', data.dot(data))
        o.tryit(lambda: tensor.dot(tensor))
        o.tryit(lambda: L.dot(tensor.view(-1), tensor.view(-1)))
        o.tryit(lambda: tensor.view(-1).dot(L.LongTensor([1, 2, 3, 4])))
        o.tryit(lambda: L.mean(L.LongTensor(data)))
        o.tryit(lambda: L.mean(L.tensor(data), dtype=L.float64))
        o.tryit(lambda: L.FloatTensor(data).type())
        o.tryit(lambda: L.FloatTensor(2, 3).shape)
        o.tryit(lambda: L.FloatTensor(np.array([1.5, 2.5])))
        o.tryit(lambda: L.FloatTensor([1, 2], dtype=L.float64))
        o.tryit(lambda: L.LongTensor([1.7, -2.7]))
        o.tryit(lambda: L.IntTensor(np.array([1, 2])))
        o.tryit(lambda: L.FloatTensor('abc'))
        o.tryit(lambda: L.FloatTensor([[1, 2], [3]]))
        o.tryit(lambda: L.from_numpy(np.array([1, 2], dtype=np.float16)))
        o.tryit(lambda: L.from_numpy(np.array(['a'])))
        o.tryit(lambda: L.from_numpy([1, 2]))
        o.tryit(lambda: L.from_numpy(np.arange(6).reshape(2, 3)[:, ::-1]))
        o.tryit(lambda: L.from_numpy(np.arange(6).reshape(2, 3).T).stride())
    return o.done()


def variable(L):
    Variable = L.autograd.Variable
    with Out() as o:
        tensor = L.FloatTensor([[1, 2], [3, 4]])
        variable = Variable(tensor, requires_grad=True)
        o.print(tensor)
        o.print(variable)
        t_out = L.mean(tensor * tensor)
        v_out = L.mean(variable * variable)
        o.print(t_out)
        o.print(v_out)
        v_out.backward()
        o.print(variable.grad)
        o.print(variable)
        o.print(variable.data)
        o.print(variable.data.numpy())
        o.tryit(lambda: variable.numpy())
        o.tryit(lambda: t_out.backward())
        o.tryit(lambda: v_out.backward())
        o.tryit(lambda: v_out.data[0])
        o.tryit(lambda: v_out.data)
        o.tryit(lambda: type(Variable(tensor)).__name__)
        o.tryit(lambda: Variable(tensor) is tensor)
        o.tryit(lambda: isinstance(tensor, Variable))
        o.tryit(lambda: Variable([1, 2]))
        o.tryit(lambda: Variable(L.LongTensor([1, 2]), requires_grad=True))
        o.tryit(lambda: Variable(tensor, volatile=True).requires_grad)
        o.tryit(lambda: Variable(tensor).volatile)
        o.tryit(lambda: L.tensor([1, 2]).float().requires_grad_())
        o.tryit(lambda: L.tensor([1, 2], requires_grad=True))
        o.tryit(lambda: variable.grad.data.zero_())
        o.tryit(lambda: L.mean(variable * variable).backward(L.tensor(2.0)))
        o.tryit(lambda: (variable * 2).backward())
        o.tryit(lambda: variable.grad_fn)
        o.tryit(lambda: variable.is_leaf)
        o.tryit(lambda: (variable * 2).grad)
        o.vals.append(variable.grad)
    return o.done()


def activation(L):
    F = L.nn.functional
    Variable = L.autograd.Variable
    with Out() as o:
        x = L.linspace(-5, 5, 200)
        x = Variable(x)
        x_np = x.data.numpy()
        y_relu = L.relu(x).data.numpy()
        y_sigmoid = L.sigmoid(x).data.numpy()
        y_tanh = L.tanh(x).data.numpy()
        y_softplus = F.softplus(x).data.numpy()
        o.vals += [x_np, y_relu, y_sigmoid, y_tanh, y_softplus]
        o.tryit(lambda: F.relu(x).dtype)
        o.tryit(lambda: F.sigmoid(x).shape)
        o.tryit(lambda: F.tanh(x).shape)
        o.tryit(lambda: F.softmax(x).shape)
        o.tryit(lambda: F.softmax(x.view(20, 10)).sum(1)[:2])
        o.tryit(lambda: F.log_softmax(x.view(20, 10)).shape)
        o.tryit(lambda: F.softmin(x.view(2, 2, 50)).shape)
        o.tryit(lambda: L.softmax(x, dim=0).sum())
        o.tryit(lambda: L.softmax(x))
        o.tryit(lambda: L.nn.Softmax()(x.view(20, 10)).shape)
        o.tryit(lambda: L.nn.Softmax()(x.view(2, 2, 50)).shape)
        o.tryit(lambda: L.nn.LogSoftmax()(x.view(4, 50)).shape)
        o.tryit(lambda: L.nn.Softmax())
        o.tryit(lambda: L.nn.Softmax(dim=1))
        o.tryit(lambda: F.softplus(L.arange(3)))
        o.tryit(lambda: L.relu(L.arange(-2, 2)))
        o.tryit(lambda: L.sigmoid(L.arange(3)))
        o.tryit(lambda: F.softplus(x, beta=2, threshold=5)[-3:])
        o.tryit(lambda: L.nn.Softplus(beta=2))
        o.tryit(lambda: F.hardtanh(x)[:2])
        o.tryit(lambda: F.relu6(x)[-2:])
        o.tryit(lambda: F.elu(x, inplace=False)[:2])
        o.tryit(lambda: F.leaky_relu(x, 0.2)[:2])
        o.tryit(lambda: L.nn.LeakyReLU(0.2, inplace=True))
        o.tryit(lambda: L.nn.ELU(alpha=0.5))
        o.tryit(lambda: L.nn.Hardtanh(-2, 2))
        o.tryit(lambda: L.nn.Threshold(0.1, 20))
        o.tryit(lambda: L.nn.PReLU())
        o.tryit(lambda: L.nn.Softplus())
        o.tryit(lambda: L.nn.Tanh())
        o.tryit(lambda: F.sigmoid(L.tensor([1, 2])))
    return o.done()


def regression(L):
    F = L.nn.functional
    with Out() as o:
        L.manual_seed(1)
        x = L.unsqueeze(L.linspace(-1, 1, 100), dim=1)
        y = x.pow(2) + 0.2 * L.rand(x.size())

        class Net(L.nn.Module):
            def __init__(self, n_feature, n_hidden, n_output):
                super(Net, self).__init__()
                self.hidden = L.nn.Linear(n_feature, n_hidden)
                self.predict = L.nn.Linear(n_hidden, n_output)

            def forward(self, x):
                x = F.relu(self.hidden(x))
                x = self.predict(x)
                return x
        net = Net(n_feature=1, n_hidden=10, n_output=1)
        o.print(net)
        optimizer = L.optim.SGD(net.parameters(), lr=0.2)
        loss_func = L.nn.MSELoss()
        for t in range(20):
            prediction = net(x)
            loss = loss_func(prediction, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if t % 5 == 0:
                o.print('Loss=%.4f' % loss.data.numpy())
                o.vals.append(loss.data.numpy())
        o.vals += [prediction, y]
        o.tryit(lambda: 'Loss=%.4f' % loss.data[0])
        o.tryit(lambda: loss.data[0])
        o.tryit(lambda: loss[0])
        o.tryit(lambda: 'Loss=%.4f' % loss.data)
        o.tryit(lambda: 'Loss=%.4f' % loss)
        o.tryit(lambda: 'Loss=%.4f' % prediction.data)
        o.tryit(lambda: loss_func(prediction, y.squeeze()).shape)
        o.tryit(lambda: L.unsqueeze(L.linspace(-1, 1, 5), 1).shape)
        o.tryit(lambda: L.linspace(-1, 1).shape)
        o.tryit(lambda: L.linspace(-1, 1, steps=-1))
        o.tryit(lambda: L.linspace(-1, 1, 5.5))
        o.tryit(lambda: L.linspace(-1, 1, 5, dtype=L.int64))
        o.tryit(lambda: L.unsqueeze(L.linspace(-1, 1, 5), dim=2))
        o.tryit(lambda: L.rand(x.size()).shape)
        o.tryit(lambda: L.rand((2, 3), (4,)))
        o.tryit(lambda: x.pow(2).grad_fn)
        o.tryit(lambda: prediction.data.numpy().shape)
        o.tryit(lambda: prediction.numpy())
    return o.done()


def classification(L):
    F = L.nn.functional
    with Out() as o:
        L.manual_seed(1)
        n_data = L.ones(50, 2)
        x0 = L.normal(2 * n_data, 1)
        y0 = L.zeros(50)
        x1 = L.normal(-2 * n_data, 1)
        y1 = L.ones(50)
        x = L.cat((x0, x1), 0).type(L.FloatTensor)
        y = L.cat((y0, y1), ).type(L.LongTensor)
        o.print(x.type(), y.type(), x.dtype, y.dtype)

        class Net(L.nn.Module):
            def __init__(self, n_feature, n_hidden, n_output):
                super(Net, self).__init__()
                self.hidden = L.nn.Linear(n_feature, n_hidden)
                self.out = L.nn.Linear(n_hidden, n_output)

            def forward(self, x):
                x = F.relu(self.hidden(x))
                x = self.out(x)
                return x
        net = Net(n_feature=2, n_hidden=10, n_output=2)
        o.print(net)
        optimizer = L.optim.SGD(net.parameters(), lr=0.02)
        loss_func = L.nn.CrossEntropyLoss()
        for t in range(10):
            out = net(x)
            loss = loss_func(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if t % 2 == 0:
                prediction = L.max(out, 1)[1]
                pred_y = prediction.data.numpy()
                target_y = y.data.numpy()
                accuracy = float((pred_y == target_y).astype(int).sum()) / float(target_y.size)
                o.print('Accuracy=%.2f' % accuracy, pred_y.dtype)
                o.vals.append(loss.item())
        o.vals += [x, out]
        prediction = L.max(F.softmax(out), 1)[1]
        o.print(prediction.dtype, prediction.shape)
        o.tryit(lambda: L.max(out, 1))
        o.tryit(lambda: L.max(out, 1)[1].data.numpy().squeeze().shape)
        o.vals.append(L.max(out, 1)[0].data.numpy())
        o.tryit(lambda: loss_func(out, y.float()))
        o.tryit(lambda: loss_func(out, F.one_hot(y)))
        o.tryit(lambda: loss_func(out, F.one_hot(y).float()).item() > 0)
        o.tryit(lambda: loss_func(out, y.view(-1, 1)))
        o.tryit(lambda: loss_func(out, y.type(L.IntTensor)))
        o.tryit(lambda: loss_func(out.double(), y))
        o.tryit(lambda: loss_func(y, out))
        o.tryit(lambda: L.cat((y0, y1), ).type(L.LongTensor).dtype)
        o.tryit(lambda: x.type('torch.DoubleTensor').dtype)
        o.tryit(lambda: x.type(L.float16).type())
        o.tryit(lambda: x.type('float'))
        o.tryit(lambda: L.normal(2 * n_data, 1).shape)
        o.tryit(lambda: L.normal(2, 1))
        o.tryit(lambda: L.normal(2., 1., size=(2,)).shape)
        o.tryit(lambda: L.normal(n_data, -1))
        o.tryit(lambda: L.normal(2 * n_data, L.ones(3)))
        o.tryit(lambda: L.normal(L.zeros(3, dtype=L.long), 1))
        o.tryit(lambda: sum(pred_y == target_y) / float(target_y.size))
        o.tryit(lambda: (L.from_numpy(pred_y) == y).sum() / float(y.size(0)))
        o.tryit(lambda: sum(L.from_numpy(pred_y) == y) / float(y.size(0)))
        o.tryit(lambda: sum(L.from_numpy(pred_y) == y).item())
    return o.done()


def build_nn_quickly(L):
    F = L.nn.functional
    with Out() as o:
        class Net(L.nn.Module):
            def __init__(self, n_feature, n_hidden, n_output):
                super(Net, self).__init__()
                self.hidden = L.nn.Linear(n_feature, n_hidden)
                self.predict = L.nn.Linear(n_hidden, n_output)

            def forward(self, x):
                x = F.relu(self.hidden(x))
                x = self.predict(x)
                return x
        L.manual_seed(0)
        net1 = Net(1, 10, 1)
        net2 = L.nn.Sequential(
            L.nn.Linear(1, 10),
            L.nn.ReLU(),
            L.nn.Linear(10, 1)
        )
        o.print(net1)
        o.print(net2)
        from collections import OrderedDict
        net3 = L.nn.Sequential(OrderedDict([('hidden', L.nn.Linear(1, 10)),
                                            ('relu', L.nn.ReLU()),
                                            ('out', L.nn.Linear(10, 1))]))
        o.print(net3, net3.hidden, net3[0])
        o.tryit(lambda: net3[3])
        o.tryit(lambda: net3['hidden'])
        o.tryit(lambda: net3[-1])
        o.tryit(lambda: net3[1:])
        o.tryit(lambda: len(net3))
        o.tryit(lambda: net2.add_module('tanh', L.nn.Tanh()))
        o.tryit(lambda: net2.add_module('1', L.nn.Tanh()))
        o.tryit(lambda: net2.add_module('a.b', L.nn.Tanh()))
        o.tryit(lambda: net2.add_module('x', 3))
        o.tryit(lambda: L.nn.Sequential(L.nn.Linear(1, 10), L.nn.functional.relu))
        o.tryit(lambda: L.nn.Sequential([L.nn.Linear(1, 10)]))
        o.tryit(lambda: L.nn.Sequential(L.nn.Linear(1, 10), L.nn.ReLU)(L.ones(1, 1)))
        o.tryit(lambda: net2)
        o.tryit(lambda: [n for n, _ in net1.named_modules()])
        o.tryit(lambda: [n for n, _ in net2.named_parameters()])
        o.tryit(lambda: list(net1.children())[0])
        o.tryit(lambda: net1.hidden.weight.shape)
        o.tryit(lambda: net1(L.ones(3)))
        o.tryit(lambda: net1(L.ones(3, 2)))
        o.tryit(lambda: net2(L.ones(2, 1)).shape)
        o.vals += [net1(L.ones(2, 1)), net2[0](L.ones(2, 1))]
    return o.done()


def save_reload(L):
    with Out() as o:
        L.manual_seed(1)
        x = L.unsqueeze(L.linspace(-1, 1, 20), dim=1)
        y = x.pow(2) + 0.2 * L.rand(x.size())
        net1 = L.nn.Sequential(L.nn.Linear(1, 10), L.nn.ReLU(), L.nn.Linear(10, 1))
        optimizer = L.optim.SGD(net1.parameters(), lr=0.5)
        loss_func = L.nn.MSELoss()
        for t in range(10):
            prediction = net1(x)
            loss = loss_func(prediction, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        whole, params = io.BytesIO(), io.BytesIO()
        L.save(net1, whole)
        L.save(net1.state_dict(), params)
        whole.seek(0)
        o.tryit(lambda: L.load(whole))
        whole.seek(0)
        net2 = L.load(whole, weights_only=False)
        o.print(net2)
        params.seek(0)
        net3 = L.nn.Sequential(L.nn.Linear(1, 10), L.nn.ReLU(), L.nn.Linear(10, 1))
        o.print(net3.load_state_dict(L.load(params)))
        params.seek(0)
        sd = L.load(params)
        o.print(type(sd).__name__, list(sd.keys()), sd['0.bias'].requires_grad)
        o.tryit(lambda: L.nn.Sequential(L.nn.Linear(1, 10), L.nn.Linear(10, 1))
                .load_state_dict(sd))
        o.tryit(lambda: L.nn.Sequential(L.nn.Linear(1, 11), L.nn.ReLU(), L.nn.Linear(11, 1))
                .load_state_dict(sd))
        o.tryit(lambda: net3.load_state_dict(sd, strict=False))
        o.tryit(lambda: net3.load_state_dict(net1))
        o.vals += [prediction, net2(x), net3(x), net3[2].bias]
    return o.done()


def batch_train(L):
    Data = L.utils.data
    with Out() as o:
        L.manual_seed(1)
        BATCH_SIZE = 5
        x = L.linspace(1, 10, 10)
        y = L.linspace(10, 1, 10)
        torch_dataset = Data.TensorDataset(x, y)
        loader = Data.DataLoader(dataset=torch_dataset, batch_size=BATCH_SIZE, shuffle=True,
                                 num_workers=0)
        for epoch in range(3):
            for step, (batch_x, batch_y) in enumerate(loader):
                o.print('Epoch: ', epoch, '| Step: ', step, '| batch x: ',
                        batch_x.numpy(), '| batch y: ', batch_y.numpy())
        loader = Data.DataLoader(dataset=torch_dataset, batch_size=4, shuffle=True)
        for step, (batch_x, batch_y) in enumerate(loader):
            o.print('Step: ', step, '| batch x: ', batch_x.numpy(), '| batch y: ', batch_y)
        loader = Data.DataLoader(dataset=torch_dataset, batch_size=4, shuffle=True,
                                 drop_last=True)
        o.print(len(loader), [b[0].tolist() for b in loader])
        o.print(torch_dataset[2], len(torch_dataset), torch_dataset[1:3])
        o.tryit(lambda: Data.TensorDataset(x, y[:4]))
        o.tryit(lambda: Data.TensorDataset(data_tensor=x, target_tensor=y))
        o.tryit(lambda: Data.DataLoader(torch_dataset, batch_size=0))
        o.tryit(lambda: Data.DataLoader(torch_dataset, shuffle=True, sampler=[0, 1]))
        o.tryit(lambda: next(iter(Data.DataLoader([1, 2, 3], batch_size=2))))
        o.tryit(lambda: next(iter(Data.DataLoader([(1, 2.0), (3, 4.0)], batch_size=2))))
        o.tryit(lambda: next(iter(Data.DataLoader([np.ones(2), np.zeros(2)], batch_size=2))))
        o.tryit(lambda: next(iter(Data.DataLoader([{'a': 1}, {'a': 2}], batch_size=2))))
        o.tryit(lambda: next(iter(Data.DataLoader(['a', 'b'], batch_size=2))))
        o.tryit(lambda: next(iter(Data.DataLoader([L.ones(2), L.ones(3)], batch_size=2))))
        o.tryit(lambda: next(iter(Data.DataLoader([None, None], batch_size=2))))
        o.tryit(lambda: len(Data.DataLoader(torch_dataset, batch_size=3)))
    return o.done()
