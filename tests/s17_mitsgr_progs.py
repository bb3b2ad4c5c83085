"""MIT 6.S191 (aamini/introtodeeplearning) PyTorch labs: lab1 PT_Part1_Intro (tensors, custom
dense layer, nn.Sequential, subclassed models, autograd, gradient descent), PT_Part2_Music_
Generation (char LSTM, get_batch, compute_loss, training step, generate_text with
multinomial sampling), lab2 PT_Part2_Debiasing (standard CNN classifier, DB-VAE loss,
sampling, debiasing loss); random data instead of the ABC songs / CelebA faces, as
``prog(L) -> (printed, values)`` for tests/test_programs_s17_mitsgr.py."""

import numpy as np

from s16_yunjey_progs import Out


def intro(torch):
    nn = torch.nn
    with Out() as o:
        torch.manual_seed(0)
        integer = torch.tensor(1234)
        decimal = torch.tensor(3.14159265359)
        o.print(f"`integer` is a {integer.ndim}-d Tensor: {integer}")
        o.print(f"`decimal` is a {decimal.ndim}-d Tensor: {decimal}")
        fibonacci = torch.tensor([1, 1, 2, 3, 5, 8])
        count_to_100 = torch.tensor(range(100))
        o.print(f"`fibonacci` is a {fibonacci.ndim}-d Tensor with shape: {fibonacci.shape}")
        o.print(f"`count_to_100` is a {count_to_100.ndim}-d Tensor with shape: {count_to_100.shape}")
        matrix = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        assert isinstance(matrix, torch.Tensor), "matrix must be a torch Tensor object"
        assert matrix.ndim == 2
        images = torch.zeros(10, 3, 256, 256)
        assert list(images.shape) == [10, 3, 256, 256], "images is incorrect shape"
        o.print(f"images is a {images.ndim}-d Tensor with shape: {images.shape}")
        row_vector = matrix[1]
        column_vector = matrix[:, 1]
        scalar = matrix[0, 1]
        o.print(f"`row_vector`: {row_vector}")
        o.print(f"`column_vector`: {column_vector}")
        o.print(f"`scalar`: {scalar}")
        a = torch.tensor(15)
        b = torch.tensor(61)
        c1 = torch.add(a, b)
        c2 = a + b
        o.print(f"c1: {c1}")
        o.print(f"c2: {c2}")

        def func(a, b):
            c = torch.add(a, b)
            d = torch.subtract(b, 1)
            e = torch.multiply(c, d)
            return e

        a, b = 1.5, 2.5
        e_out = func(a, b)
        o.print(f"e_out: {e_out}")
        o.tryit(lambda: func(torch.tensor(a), b))

        class OurDenseLayer(torch.nn.Module):
            def __init__(self, num_inputs, num_outputs):
                super(OurDenseLayer, self).__init__()
                self.W = torch.nn.Parameter(torch.randn(num_inputs, num_outputs))
                self.bias = torch.nn.Parameter(torch.randn(num_outputs))

            def forward(self, x):
                z = torch.matmul(x, self.W) + self.bias
                y = torch.sigmoid(z)
                return y

        num_inputs, num_outputs = 2, 3
        layer = OurDenseLayer(num_inputs, num_outputs)
        x_input = torch.tensor([[1, 2.]])
        y = layer(x_input)
        o.print(f"input shape: {x_input.shape}")
        o.print(f"output shape: {y.shape}")
        o.print(f"output result: {y}")
        n_input_nodes, n_output_nodes = 2, 3
        model = nn.Sequential(nn.Linear(n_input_nodes, n_output_nodes), nn.Sigmoid())
        x_input = torch.tensor([[1, 2.]])
        model_output = model(x_input)
        o.print(f"input shape: {x_input.shape}")
        o.print(f"output shape: {y.shape}")
        o.print(f"output result: {model_output}")
        o.tryit(lambda: model(torch.tensor([[1, 2]])))

        class LinearWithSigmoidActivation(nn.Module):
            def __init__(self, num_inputs, num_outputs):
                super(LinearWithSigmoidActivation, self).__init__()
                self.linear = nn.Linear(num_inputs, num_outputs)
                self.activation = nn.Sigmoid()

            def forward(self, inputs):
                linear_output = self.linear(inputs)
                output = self.activation(linear_output)
                return output

        model = LinearWithSigmoidActivation(n_input_nodes, n_output_nodes)
        o.print(model)
        y = model(x_input)
        o.print(f"input shape: {x_input.shape}")
        o.print(f"output result: {y}")

        class LinearButSometimesIdentity(nn.Module):
            def __init__(self, num_inputs, num_outputs):
                super(LinearButSometimesIdentity, self).__init__()
                self.linear = nn.Linear(num_inputs, num_outputs)

            def forward(self, inputs, isidentity=False):
                if isidentity:
                    return inputs
                else:
                    return self.linear(inputs)

        model = LinearButSometimesIdentity(num_inputs=2, num_outputs=3)
        x_input = torch.tensor([[1, 2.]])
        out_with_linear = model(x_input)
        out_with_identity = model(x_input, isidentity=True)
        o.print(f"input: {x_input}")
        o.print("Network linear output: {}; network identity output: {}".format(out_with_linear, out_with_identity))
        x = torch.tensor(3.0, requires_grad=True)
        y = x ** 2
        y.backward()
        dy_dx = x.grad
        o.print("dy_dx of y=x^2 at x=3.0 is: ", dy_dx)
        assert dy_dx == 6.0
        x = torch.randn(1)
        o.print(f"Initializing x={x.item()}")
        learning_rate = 1e-2
        history = []
        x_f = 4
        for i in range(50):
            x = torch.tensor([x], requires_grad=True)
            loss = (x - x_f) ** 2
            loss.backward()
            x = x.item() - learning_rate * x.grad
            history.append(x.item())
        o.print(type(x).__name__, x.shape, x.dtype, x.requires_grad)
        o.vals += [e_out, y, out_with_linear, model_output, torch.tensor(history)]
    return o.done()


def _lstm_model(torch):
    nn = torch.nn

    class LSTMModel(nn.Module):
        def __init__(self, vocab_size, embedding_dim, hidden_size):
            super(LSTMModel, self).__init__()
            self.hidden_size = hidden_size
            self.embedding = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
            self.fc = nn.Linear(hidden_size, vocab_size)

        def init_hidden(self, batch_size, device):
            return (torch.zeros(1, batch_size, self.hidden_size).to(device),
                    torch.zeros(1, batch_size, self.hidden_size).to(device))

        def forward(self, x, state=None, return_state=False):
            x = self.embedding(x)
            if state is None:
                state = self.init_hidden(x.size(0), x.device)
            out, state = self.lstm(x, state)
            out = self.fc(out)
            return out if not return_state else (out, state)

    return LSTMModel


def music(torch):
    nn = torch.nn
    LSTMModel = _lstm_model(torch)
    with Out() as o:
        torch.manual_seed(0)
        np.random.seed(0)
        songs_joined = "X:1\nT:tune\nK:D\n|:A2dB cAFG|AFDE FDEF|\n" * 3
        vocab = sorted(set(songs_joined))
        o.print("There are", len(vocab), "unique characters in the dataset")
        char2idx = {u: i for i, u in enumerate(vocab)}
        idx2char = np.array(vocab)

        def vectorize_string(string):
            return np.array([char2idx[c] for c in string])

        vectorized_songs = vectorize_string(songs_joined)

        def get_batch(vectorized_songs, seq_length, batch_size):
            n = vectorized_songs.shape[0] - 1
            idx = np.random.choice(n - seq_length, batch_size)
            input_batch = [vectorized_songs[i: i + seq_length] for i in idx]
            output_batch = [vectorized_songs[i + 1: i + seq_length + 1] for i in idx]
            x_batch = torch.tensor(input_batch, dtype=torch.long)
            y_batch = torch.tensor(output_batch, dtype=torch.long)
            return x_batch, y_batch

        x_batch, y_batch = get_batch(vectorized_songs, seq_length=5, batch_size=1)
        for i, (input_idx, target_idx) in enumerate(zip(x_batch[0], y_batch[0])):
            o.print("Step {:3d}".format(i))
            o.print("  input: {} ({:s})".format(input_idx, repr(idx2char[input_idx.item()])))
            o.print("  expected output: {} ({:s})".format(target_idx, repr(idx2char[target_idx.item()])))
        vocab_size = len(vocab)
        params = dict(num_training_iterations=2, batch_size=4, seq_length=10, learning_rate=5e-3,
                      embedding_dim=8, hidden_size=16)
        device = torch.device("cpu")
        model = LSTMModel(vocab_size, params["embedding_dim"], params["hidden_size"])
        model.to(device)
        o.print(model)
        x, y = get_batch(vectorized_songs, seq_length=100, batch_size=32)
        x = x.to(device)
        y = y.to(device)
        pred = model(x)
        o.print("Input shape:      ", x.shape, " # (batch_size, sequence_length)")
        o.print("Prediction shape: ", pred.shape, "# (batch_size, sequence_length, vocab_size)")
        sampled_indices = torch.multinomial(torch.softmax(pred[0], dim=-1), num_samples=1)
        sampled_indices = sampled_indices.squeeze(-1).cpu().numpy()
        o.print(sampled_indices.dtype, sampled_indices.shape)
        o.print("Next Char Predictions: \n", repr("".join(idx2char[sampled_indices])))
        cross_entropy = nn.CrossEntropyLoss()

        def compute_loss(labels, logits):
            batch_size, seq_length = labels.shape
            labels = labels.view(-1)
            logits = logits.view(batch_size * seq_length, -1)
            loss = cross_entropy(logits, labels)
            return loss

        example_batch_loss = compute_loss(y, pred)
        o.print(f"Prediction shape: {pred.shape} # (batch_size, sequence_length, vocab_size)")
        o.print(f"scalar_loss:      {example_batch_loss.mean().item():.4f}")
        optimizer = torch.optim.Adam(model.parameters(), lr=params["learning_rate"])

        def train_step(x, y):
            model.train()
            optimizer.zero_grad()
            y_hat = model(x)
            loss = compute_loss(y, y_hat)
            loss.backward()
            optimizer.step()
            return loss

        history = []
        for iter in range(params["num_training_iterations"]):
            x_batch, y_batch = get_batch(vectorized_songs, params["seq_length"], params["batch_size"])
            x_batch = torch.tensor(x_batch, dtype=torch.long).to(device)
            y_batch = torch.tensor(y_batch, dtype=torch.long).to(device)
            loss = train_step(x_batch, y_batch)
            history.append(loss.item())
            o.print(f"iter {iter} loss {loss.item():.4f}")

        def generate_text(model, start_string, generation_length=1000):
            input_idx = [char2idx[s] for s in start_string]
            input_idx = torch.tensor([input_idx], dtype=torch.long).to(device)
            state = model.init_hidden(input_idx.size(0), device)
            text_generated = []
            for i in range(generation_length):
                predictions, state = model(input_idx, state, return_state=True)
                predictions = predictions.squeeze(0)
                input_idx = torch.multinomial(torch.softmax(predictions, dim=-1), num_samples=1)
                text_generated.append(idx2char[input_idx].item())
            return (start_string + ''.join(text_generated))

        model.eval()
        with torch.no_grad():
            generated_text = generate_text(model, start_string="X", generation_length=20)
        o.print(repr(generated_text))
        o.vals += [pred.detach(), torch.tensor(history), model.fc.weight.detach()]
    return o.done()
