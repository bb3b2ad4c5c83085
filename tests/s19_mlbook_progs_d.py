"""rasbt/machine-learning-book ch14/ch14_part1.py (losses, L2 penalties, the MNIST CNN on
random digits), ch16/ch16-part1-self-attention.py (self-attention and
multi-head attention by hand), ch17/ch17_part1.py (the fully connected GAN), ch17/ch17_part2.py
(DCGAN with BCELoss and WGAN-GP with torch.autograd.grad's gradient penalty, on random
"MNIST" batches in [-1, 1] instead of torchvision's MNIST) and ch18/ch18_part1.py (the
NodeNetwork GNN from scratch on adjacency matrices, networkx replaced by the same matrices
written out), as users type them, for tests/test_programs_s19_mlbook.py."""

from importlib import import_module

import numpy as np
from s16_yunjey_progs import Out


def ch16_attention(L):
    F = L.nn.functional
    with Out() as o:
        sentence = L.tensor([0, 7, 1, 2, 5, 6, 4, 3])
        o.print(sentence)
        L.manual_seed(123)
        embed = L.nn.Embedding(10, 16)
        embedded_sentence = embed(sentence).detach()
        o.print(embedded_sentence.shape)
        omega = L.empty(8, 8)
        for i, x_i in enumerate(embedded_sentence):
            for j, x_j in enumerate(embedded_sentence):
                omega[i, j] = L.dot(x_i, x_j)
        omega_mat = embedded_sentence.matmul(embedded_sentence.T)
        o.print(L.allclose(omega_mat, omega))
        attention_weights = F.softmax(omega, dim=1)
        o.print(attention_weights.shape)
        o.vals += [omega, attention_weights, attention_weights.sum(dim=1)]
        x_2 = embedded_sentence[1, :]
        context_vec_2 = L.zeros(x_2.shape)
        for j in range(8):
            x_j = embedded_sentence[j, :]
            context_vec_2 += attention_weights[1, j] * x_j
        context_vectors = L.matmul(attention_weights, embedded_sentence)
        o.print(L.allclose(context_vec_2, context_vectors[1]))
        o.vals += [context_vec_2, context_vectors]
        L.manual_seed(123)
        d = embedded_sentence.shape[1]
        U_query = L.rand(d, d)
        U_key = L.rand(d, d)
        U_value = L.rand(d, d)
        x_2 = embedded_sentence[1]
        query_2 = U_query.matmul(x_2)
        key_2 = U_key.matmul(x_2)
        value_2 = U_value.matmul(x_2)
        keys = U_key.matmul(embedded_sentence.T).T
        o.print(L.allclose(key_2, keys[1]))
        values = U_value.matmul(embedded_sentence.T).T
        o.print(L.allclose(value_2, values[1]))
        omega_23 = query_2.dot(keys[2])
        omega_2 = query_2.matmul(keys.T)
        attention_weights_2 = F.softmax(omega_2 / d**0.5, dim=0)
        context_vector_2 = attention_weights_2.matmul(values)
        o.print(omega_23.shape, omega_2.shape, context_vector_2.shape)
        o.vals += [omega_23, omega_2, attention_weights_2, context_vector_2]
        L.manual_seed(123)
        one_U_query = L.rand(d, d)
        h = 8
        multihead_U_query = L.rand(h, d, d)
        multihead_U_key = L.rand(h, d, d)
        multihead_U_value = L.rand(h, d, d)
        multihead_query_2 = multihead_U_query.matmul(x_2)
        o.print(multihead_query_2.shape)
        multihead_key_2 = multihead_U_key.matmul(x_2)
        multihead_value_2 = multihead_U_value.matmul(x_2)
        stacked_inputs = embedded_sentence.T.repeat(8, 1, 1)
        o.print(stacked_inputs.shape)
        multihead_keys = L.bmm(multihead_U_key, stacked_inputs)
        o.print(multihead_keys.shape)
        multihead_keys = multihead_keys.permute(0, 2, 1)
        o.print(multihead_keys.shape, multihead_keys.is_contiguous())
        multihead_values = L.matmul(multihead_U_value, stacked_inputs)
        multihead_values = multihead_values.permute(0, 2, 1)
        multihead_z_2 = L.rand(8, 16)
        linear = L.nn.Linear(8 * 16, 16)
        context_vector_2 = linear(multihead_z_2.flatten())
        o.print(context_vector_2.shape)
        o.vals += [one_U_query, multihead_query_2, multihead_key_2, multihead_value_2,
                   multihead_key_2[2], multihead_keys[2, 1], multihead_values, context_vector_2]
    return o.done()


def ch17_gan(L):
    nn = L.nn
    with Out() as o:
        def make_generator_network(input_size=20, num_hidden_layers=1, num_hidden_units=100,
                                   num_output_units=784):
            model = nn.Sequential()
            for i in range(num_hidden_layers):
                model.add_module(f'fc_g{i}', nn.Linear(input_size, num_hidden_units))
                model.add_module(f'relu_g{i}', nn.LeakyReLU())
                input_size = num_hidden_units
            model.add_module(f'fc_g{num_hidden_layers}', nn.Linear(input_size, num_output_units))
            model.add_module('tanh_g', nn.Tanh())
            return model

        def make_discriminator_network(input_size, num_hidden_layers=1, num_hidden_units=100,
                                       num_output_units=1):
            model = nn.Sequential()
            for i in range(num_hidden_layers):
                model.add_module(f'fc_d{i}', nn.Linear(input_size, num_hidden_units, bias=False))
                model.add_module(f'relu_d{i}', nn.LeakyReLU())
                model.add_module('dropout', nn.Dropout(p=0.5))
                input_size = num_hidden_units
            model.add_module(f'fc_d{num_hidden_layers}', nn.Linear(input_size, num_output_units))
            model.add_module('sigmoid', nn.Sigmoid())
            return model

        image_size = (8, 8)
        z_size = 6
        L.manual_seed(1)
        gen_model = make_generator_network(input_size=z_size, num_hidden_layers=1,
                                           num_hidden_units=16,
                                           num_output_units=np.prod(image_size))
        o.print(gen_model)
        disc_model = make_discriminator_network(input_size=np.prod(image_size),
                                                num_hidden_layers=1, num_hidden_units=16)
        o.print(disc_model)
        rng = np.random.default_rng(17)
        images = L.from_numpy(rng.integers(0, 256, (16, 1, 8, 8), dtype=np.uint8)).float() / 255
        images = (images - 0.5) / 0.5
        o.print(f'Min: {images[0].min()} Max: {images[0].max()}')

        def create_noise(batch_size, z_size, mode_z):
            if mode_z == 'uniform':
                input_z = L.rand(batch_size, z_size) * 2 - 1
            elif mode_z == 'normal':
                input_z = L.randn(batch_size, z_size)
            return input_z

        batch_size = 4
        input_real = images[:batch_size].view(batch_size, -1)
        L.manual_seed(1)
        mode_z = 'uniform'
        input_z = create_noise(batch_size, z_size, mode_z)
        o.print('input-z -- shape:', input_z.shape)
        o.print('input-real -- shape:', input_real.shape)
        g_output = gen_model(input_z)
        o.print('Output of G -- shape:', g_output.shape)
        d_proba_real = disc_model(input_real)
        d_proba_fake = disc_model(g_output)
        o.print('Disc. (real) -- shape:', d_proba_real.shape)
        loss_fn = nn.BCELoss()
        g_labels_real = L.ones_like(d_proba_fake)
        g_loss = loss_fn(d_proba_fake, g_labels_real)
        o.print(f'Generator Loss: {g_loss:.4f}')
        d_labels_real = L.ones_like(d_proba_real)
        d_labels_fake = L.zeros_like(d_proba_fake)
        d_loss_real = loss_fn(d_proba_real, d_labels_real)
        d_loss_fake = loss_fn(d_proba_fake, d_labels_fake)
        o.print(f'Discriminator Losses: Real {d_loss_real:.4f} Fake {d_loss_fake:.4f}')
        data = import_module(L.__name__ + ".utils.data")
        L.manual_seed(1)
        np.random.seed(1)
        mnist_dl = data.DataLoader(data.TensorDataset(images, L.zeros(16)), batch_size=batch_size,
                                   shuffle=True, drop_last=True)
        device = 'cpu'
        g_optimizer = L.optim.Adam(gen_model.parameters())
        d_optimizer = L.optim.Adam(disc_model.parameters())

        def d_train(x):
            disc_model.zero_grad()
            batch_size = x.size(0)
            x = x.view(batch_size, -1).to(device)
            d_labels_real = L.ones(batch_size, 1, device=device)
            d_proba_real = disc_model(x)
            d_loss_real = loss_fn(d_proba_real, d_labels_real)
            input_z = create_noise(batch_size, z_size, mode_z).to(device)
            g_output = gen_model(input_z)
            d_proba_fake = disc_model(g_output)
            d_labels_fake = L.zeros(batch_size, 1, device=device)
            d_loss_fake = loss_fn(d_proba_fake, d_labels_fake)
            d_loss = d_loss_real + d_loss_fake
            d_loss.backward()
            d_optimizer.step()
            return d_loss.data.item(), d_proba_real.detach(), d_proba_fake.detach()

        def g_train(x):
            gen_model.zero_grad()
            batch_size = x.size(0)
            input_z = create_noise(batch_size, z_size, mode_z).to(device)
            g_labels_real = L.ones(batch_size, 1, device=device)
            g_output = gen_model(input_z)
            d_proba_fake = disc_model(g_output)
            g_loss = loss_fn(d_proba_fake, g_labels_real)
            g_loss.backward()
            g_optimizer.step()
            return g_loss.data.item()

        fixed_z = create_noise(batch_size, z_size, mode_z).to(device)

        def create_samples(g_model, input_z):
            g_output = g_model(input_z)
            images = L.reshape(g_output, (batch_size, *image_size))
            return (images + 1) / 2.0

        epoch_samples = []
        all_d_losses, all_g_losses, all_d_real, all_d_fake = [], [], [], []
        L.manual_seed(1)
        for epoch in range(1, 4):
            d_losses, g_losses = [], []
            d_vals_real, d_vals_fake = [], []
            for i, (x, _) in enumerate(mnist_dl):
                d_loss, d_proba_real, d_proba_fake = d_train(x)
                d_losses.append(d_loss)
                g_losses.append(g_train(x))
                d_vals_real.append(d_proba_real.mean().cpu())
                d_vals_fake.append(d_proba_fake.mean().cpu())
            all_d_losses.append(L.tensor(d_losses).mean())
            all_g_losses.append(L.tensor(g_losses).mean())
            all_d_real.append(L.tensor(d_vals_real).mean())
            all_d_fake.append(L.tensor(d_vals_fake).mean())
            o.print(f'Epoch {epoch:03d} | Avg Losses >>'
                    f' G/D {all_g_losses[-1]:.4f}/{all_d_losses[-1]:.4f}'
                    f' [D-Real: {all_d_real[-1]:.4f} D-Fake: {all_d_fake[-1]:.4f}]')
            epoch_samples.append(create_samples(gen_model, fixed_z).detach().cpu().numpy())
        half_d_losses = [all_d_loss / 2 for all_d_loss in all_d_losses]
        o.vals += [*epoch_samples, L.stack(half_d_losses), L.stack(all_d_real)]
    return o.done()


def ch14_losses_mnist_cnn(L):
    """ch14_part1: L2 penalties summed over parameters, BCELoss / BCEWithLogitsLoss /
    NLLLoss / CrossEntropyLoss on the book's numbers, the MNIST CNN (Subset over
    torch.arange, Conv2d / MaxPool2d / Flatten / Dropout) on random digits, the per-image
    predictions, torch.cuda.synchronize() on a CPU-only build and torch.save of the model."""
    import os
    import tempfile
    nn = L.nn
    data = import_module(L.__name__ + ".utils.data")
    with Out() as o:
        L.manual_seed(1)
        loss_func = nn.BCELoss()
        loss = loss_func(L.tensor([0.9]), L.tensor([1.0]))
        l2_lambda = 0.001
        conv_layer = nn.Conv2d(in_channels=3, out_channels=5, kernel_size=5)
        l2_penalty = l2_lambda * sum([(p**2).sum() for p in conv_layer.parameters()])
        loss_with_penalty = loss + l2_penalty
        linear_layer = nn.Linear(10, 16)
        l2_penalty2 = l2_lambda * sum([(p**2).sum() for p in linear_layer.parameters()])
        o.print(loss_with_penalty.grad_fn.name(), l2_penalty2.requires_grad)
        o.vals += [loss, l2_penalty, l2_penalty2, loss + l2_penalty2]
        logits = L.tensor([0.8])
        probas = L.sigmoid(logits)
        target = L.tensor([1.0])
        o.print(f'BCE (w Probas): {nn.BCELoss()(probas, target):.4f}')
        o.print(f'BCE (w Logits): {nn.BCEWithLogitsLoss()(logits, target):.4f}')
        logits = L.tensor([[1.5, 0.8, 2.1]])
        probas = L.softmax(logits, dim=1)
        target = L.tensor([2])
        o.print(f'CCE (w Logits): {nn.CrossEntropyLoss()(logits, target):.4f}')
        o.print(f'CCE (w Probas): {nn.NLLLoss()(L.log(probas), target):.4f}')
        rng = np.random.default_rng(141)
        digits = L.from_numpy(rng.integers(0, 256, (12, 28, 28), dtype=np.uint8))
        targets = L.from_numpy(rng.integers(0, 10, 12))
        mnist_dataset = data.TensorDataset(digits.unsqueeze(1).float() / 255., targets)
        mnist_valid_dataset = data.Subset(mnist_dataset, L.arange(4))
        mnist_train_dataset = data.Subset(mnist_dataset, L.arange(4, len(mnist_dataset)))
        batch_size = 4
        L.manual_seed(1)
        train_dl = data.DataLoader(mnist_train_dataset, batch_size, shuffle=True)
        valid_dl = data.DataLoader(mnist_valid_dataset, batch_size, shuffle=False)
        model = nn.Sequential()
        model.add_module('conv1', nn.Conv2d(in_channels=1, out_channels=4, kernel_size=5, padding=2))
        model.add_module('relu1', nn.ReLU())
        model.add_module('pool1', nn.MaxPool2d(kernel_size=2))
        model.add_module('conv2', nn.Conv2d(in_channels=4, out_channels=8, kernel_size=5, padding=2))
        model.add_module('relu2', nn.ReLU())
        model.add_module('pool2', nn.MaxPool2d(kernel_size=2))
        x = L.ones((4, 1, 28, 28))
        o.print(model(x).shape)
        model.add_module('flatten', nn.Flatten())
        o.print(model(x).shape)
        model.add_module('fc1', nn.Linear(392, 32))
        model.add_module('relu3', nn.ReLU())
        model.add_module('dropout', nn.Dropout(p=0.5))
        model.add_module('fc2', nn.Linear(32, 10))
        device = L.device("cpu")
        model = model.to(device)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        L.manual_seed(1)
        for epoch in range(2):
            model.train()
            acc_train, loss_train = 0, 0
            for x_batch, y_batch in train_dl:
                pred = model(x_batch.to(device))
                loss = loss_fn(pred, y_batch.to(device))
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                loss_train += loss.item() * y_batch.size(0)
                acc_train += (L.argmax(pred, dim=1) == y_batch).float().sum().cpu()
            acc_train /= len(train_dl.dataset)
            model.eval()
            acc_valid = 0
            with L.no_grad():
                for x_batch, y_batch in valid_dl:
                    pred = model(x_batch)
                    acc_valid += (L.argmax(pred, dim=1) == y_batch).float().sum().cpu()
            acc_valid /= len(valid_dl.dataset)
            o.print(f'Epoch {epoch+1} accuracy: {acc_train:.4f} val_accuracy: {acc_valid:.4f}'
                    f' loss: {loss_train / len(train_dl.dataset):.4f}')
        o.tryit(lambda: L.cuda.synchronize())
        model_cpu = model.cpu()
        o.print(model_cpu is model)
        pred = model(digits.unsqueeze(1) / 255.)
        is_correct = (L.argmax(pred, dim=1) == targets).float()
        o.print(f'Test accuracy: {is_correct.mean():.4f}')
        for i in range(3):
            img = mnist_dataset[i][0][0, :, :]
            p = model(img.unsqueeze(0).unsqueeze(1))
            y_pred = L.argmax(p)
            o.print(y_pred.item(), y_pred.shape)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'models')
            if not os.path.exists(path):
                os.mkdir(path)
            path = os.path.join(path, 'mnist-cnn.ph')
            L.save(model, path)
            model2 = L.load(path, weights_only=False)
            o.print(model2)
            o.vals += [model2(digits.unsqueeze(1) / 255.)]
        o.vals += [pred]
    return o.done()
