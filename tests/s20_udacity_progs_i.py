"""udacity/deep-learning-v2-pytorch, sentiment-rnn (Sentiment_RNN_Solution) as users type
it, on a few made-up reviews instead of the IMDB set, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_udacity.py."""

from collections import Counter
from string import punctuation

import numpy as np
from s16_yunjey_progs import Out


def sentiment_rnn(L):
    """sentiment-rnn/Sentiment_RNN_Solution.ipynb: punctuation stripping, Counter vocab,
    pad_features, TensorDataset / DataLoader, SentimentRNN (Embedding, LSTM, dropout, fc,
    sigmoid, last step), BCELoss with labels.float(), clip_grad_norm_, the test loop with
    torch.round and np.squeeze(correct_tensor.numpy()), predict() on a new review."""
    torch = L
    nn = L.nn
    TensorDataset, DataLoader = L.utils.data.TensorDataset, L.utils.data.DataLoader
    with Out() as o:
        torch.manual_seed(0)
        rng = np.random.default_rng(0)
        good = "great wonderful loved amazing best fun brilliant".split()
        bad = "terrible awful boring worst bad dull waste".split()
        filler = "the movie was a and it this film plot acting".split()
        reviews, labels = [], []
        for i in range(40):
            pos = i % 2 == 0
            words = list(rng.choice(filler, 6)) + list(rng.choice(good if pos else bad, 3))
            rng.shuffle(words)
            reviews.append(' '.join(words) + '!')
            labels.append('positive' if pos else 'negative')
        reviews = '\n'.join(reviews).lower()
        all_text = ''.join([c for c in reviews if c not in punctuation])
        reviews_split = all_text.split('\n')
        all_text = ' '.join(reviews_split)
        words = all_text.split()
        counts = Counter(words)
        vocab = sorted(counts, key=counts.get, reverse=True)
        vocab_to_int = {word: ii for ii, word in enumerate(vocab, 1)}
        reviews_ints = []
        for review in reviews_split:
            reviews_ints.append([vocab_to_int[word] for word in review.split()])
        o.print('Unique words: ', len((vocab_to_int)))
        encoded_labels = np.array([1 if label == 'positive' else 0 for label in labels])
        review_lens = Counter([len(x) for x in reviews_ints])
        o.print("Zero-length reviews: {}".format(review_lens[0]))

        def pad_features(reviews_ints, seq_length):
            features = np.zeros((len(reviews_ints), seq_length), dtype=int)
            for i, row in enumerate(reviews_ints):
                features[i, -len(row):] = np.array(row)[:seq_length]
            return features

        seq_length = 12
        features = pad_features(reviews_ints, seq_length=seq_length)
        split_frac = 0.8
        split_idx = int(len(features)*split_frac)
        train_x, remaining_x = features[:split_idx], features[split_idx:]
        train_y, remaining_y = encoded_labels[:split_idx], encoded_labels[split_idx:]
        test_idx = int(len(remaining_x)*0.5)
        val_x, test_x = remaining_x[:test_idx], remaining_x[test_idx:]
        val_y, test_y = remaining_y[:test_idx], remaining_y[test_idx:]
        train_data = TensorDataset(torch.from_numpy(train_x), torch.from_numpy(train_y))
        valid_data = TensorDataset(torch.from_numpy(val_x), torch.from_numpy(val_y))
        test_data = TensorDataset(torch.from_numpy(test_x), torch.from_numpy(test_y))
        batch_size = 4
        train_loader = DataLoader(train_data, shuffle=True, batch_size=batch_size)
        valid_loader = DataLoader(valid_data, shuffle=True, batch_size=batch_size)
        test_loader = DataLoader(test_data, shuffle=True, batch_size=batch_size)
        sample_x, sample_y = next(iter(train_loader))
        o.print('Sample input size: ', sample_x.size())
        o.print('Sample label: \n', sample_y)

        class SentimentRNN(nn.Module):
            def __init__(self, vocab_size, output_size, embedding_dim, hidden_dim, n_layers,
                         drop_prob=0.5):
                super(SentimentRNN, self).__init__()
                self.output_size = output_size
                self.n_layers = n_layers
                self.hidden_dim = hidden_dim
                self.embedding = nn.Embedding(vocab_size, embedding_dim)
                self.lstm = nn.LSTM(embedding_dim, hidden_dim, n_layers,
                                    dropout=drop_prob, batch_first=True)
                self.dropout = nn.Dropout(0.3)
                self.fc = nn.Linear(hidden_dim, output_size)
                self.sig = nn.Sigmoid()

            def forward(self, x, hidden):
                batch_size = x.size(0)
                x = x.long()
                embeds = self.embedding(x)
                lstm_out, hidden = self.lstm(embeds, hidden)
                lstm_out = lstm_out.contiguous().view(-1, self.hidden_dim)
                out = self.dropout(lstm_out)
                out = self.fc(out)
                sig_out = self.sig(out)
                sig_out = sig_out.view(batch_size, -1)
                sig_out = sig_out[:, -1]
                return sig_out, hidden

            def init_hidden(self, batch_size):
                weight = next(self.parameters()).data
                hidden = (weight.new(self.n_layers, batch_size, self.hidden_dim).zero_(),
                          weight.new(self.n_layers, batch_size, self.hidden_dim).zero_())
                return hidden

        vocab_size = len(vocab_to_int)+1
        net = SentimentRNN(vocab_size, 1, 16, 24, 2)
        o.print(net)
        lr = 0.001
        criterion = nn.BCELoss()
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        epochs = 2
        counter = 0
        print_every = 4
        clip = 5
        net.train()
        for e in range(epochs):
            h = net.init_hidden(batch_size)
            for inputs, labels in train_loader:
                counter += 1
                h = tuple([each.data for each in h])
                net.zero_grad()
                output, h = net(inputs, h)
                loss = criterion(output.squeeze(), labels.float())
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), clip)
                optimizer.step()
                if counter % print_every == 0:
                    val_h = net.init_hidden(batch_size)
                    val_losses = []
                    net.eval()
                    for inputs, labels in valid_loader:
                        val_h = tuple([each.data for each in val_h])
                        output, val_h = net(inputs, val_h)
                        val_loss = criterion(output.squeeze(), labels.float())
                        val_losses.append(val_loss.item())
                    net.train()
                    o.print("Epoch: {}/{}...".format(e+1, epochs),
                            "Step: {}...".format(counter),
                            "Loss: {:.4f}...".format(loss.item()),
                            "Val Loss: {:.4f}".format(np.mean(val_losses)))
        test_losses = []
        num_correct = 0
        h = net.init_hidden(batch_size)
        net.eval()
        for inputs, labels in test_loader:
            h = tuple([each.data for each in h])
            output, h = net(inputs, h)
            test_loss = criterion(output.squeeze(), labels.float())
            test_losses.append(test_loss.item())
            pred = torch.round(output.squeeze())
            correct_tensor = pred.eq(labels.float().view_as(pred))
            correct = np.squeeze(correct_tensor.numpy())
            num_correct += np.sum(correct)
        o.print("Test loss: {:.3f}".format(np.mean(test_losses)))
        test_acc = num_correct/len(test_loader.dataset)
        o.print("Test accuracy: {:.3f}".format(test_acc))

        def tokenize_review(test_review):
            test_review = test_review.lower()
            test_text = ''.join([c for c in test_review if c not in punctuation])
            test_words = test_text.split()
            test_ints = []
            test_ints.append([vocab_to_int.get(word, 0) for word in test_words])
            return test_ints

        def predict(net, test_review, sequence_length=12):
            net.eval()
            test_ints = tokenize_review(test_review)
            features = pad_features(test_ints, sequence_length)
            feature_tensor = torch.from_numpy(features)
            batch_size = feature_tensor.size(0)
            h = net.init_hidden(batch_size)
            output, h = net(feature_tensor, h)
            pred = torch.round(output.squeeze())
            o.print('Prediction value, pre-rounding: {:.4f}'.format(output.item()))
            if pred.item() == 1:
                o.print("Positive review detected!")
            else:
                o.print("Negative review detected.")
            return output

        out1 = predict(net, 'The movie was awful and boring. A waste of time!', seq_length)
        out2 = predict(net, 'This film was great, I loved the plot!', seq_length)
        o.vals += [out1, out2, net.fc.weight, net.embedding.weight]
    return o.done()
