"""aladdinpersson/Machine-Learning-Collection, ML/Pytorch/more_advanced as users type them
(part two): seq2seq_transformer/seq2seq_transformer.py (nn.Transformer), VAE/ (model.py +
train.py) and image_captioning/model.py, scaled down: Multi30k / spacy / torchtext replaced
by seeded random token batches, MNIST by random images, inception_v3 by a small CNN. For
tests/test_programs_s20_aladdin.py."""

from s16_yunjey_progs import Out


def seq2seq_transformer(L):
    """seq2seq_transformer.py: nn.Transformer(embedding_size, num_heads, enc layers, dec
    layers, forward_expansion, dropout) (seq-first, so it warns about nested tensors),
    generate_square_subsequent_mask, src_key_padding_mask from src.transpose(0, 1) == pad,
    the file's own float -inf trg mask, ReduceLROnPlateau (its verbose=True now refused)."""
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

        class Transformer(nn.Module):
            def __init__(self, embedding_size, src_vocab_size, trg_vocab_size, src_pad_idx, num_heads,
                         num_encoder_layers, num_decoder_layers, forward_expansion, dropout, max_len, device,):
                super(Transformer, self).__init__()
                self.src_word_embedding = nn.Embedding(src_vocab_size, embedding_size)
                self.src_position_embedding = nn.Embedding(max_len, embedding_size)
                self.trg_word_embedding = nn.Embedding(trg_vocab_size, embedding_size)
                self.trg_position_embedding = nn.Embedding(max_len, embedding_size)
                self.device = device
                self.transformer = nn.Transformer(
                    embedding_size,
                    num_heads,
                    num_encoder_layers,
                    num_decoder_layers,
                    forward_expansion,
                    dropout,
                )
                self.fc_out = nn.Linear(embedding_size, trg_vocab_size)
                self.dropout = nn.Dropout(dropout)
                self.src_pad_idx = src_pad_idx

            def make_src_mask(self, src):
                src_mask = src.transpose(0, 1) == self.src_pad_idx
                return src_mask.to(self.device)

            def make_trg_mask(self, trg):
                trg_len, N = trg.shape
                trg_mask = torch.tril(torch.ones((trg_len, trg_len)))
                trg_mask = (
                    trg_mask.float()
                    .masked_fill(trg_mask == 0, float("-inf"))
                    .masked_fill(trg_mask == 1, float(0.0))
                )
                return trg_mask.to(device)

            def forward(self, src, trg):
                src_seq_length, N = src.shape
                trg_seq_length, N = trg.shape
                src_positions = (torch.arange(0, src_seq_length).unsqueeze(1).expand(src_seq_length, N).to(self.device))
                trg_positions = (torch.arange(0, trg_seq_length).unsqueeze(1).expand(trg_seq_length, N).to(self.device))
                embed_src = self.dropout((self.src_word_embedding(src) + self.src_position_embedding(src_positions)))
                embed_trg = self.dropout((self.trg_word_embedding(trg) + self.trg_position_embedding(trg_positions)))
                src_padding_mask = self.make_src_mask(src)
                trg_mask = self.transformer.generate_square_subsequent_mask(trg_seq_length).to(self.device)
                out = self.transformer(embed_src, embed_trg, src_key_padding_mask=src_padding_mask, tgt_mask=trg_mask,)
                out = self.fc_out(out)
                return out

        src_pad_idx = 1
        model = Transformer(16, 12, 14, src_pad_idx, 4, 2, 2, 4, 0.0, 20, device).to(device)
        o.print(model.transformer.encoder.layers[0])
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
        o.tryit(lambda: torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=10, verbose=True))
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=10)
        criterion = nn.CrossEntropyLoss(ignore_index=src_pad_idx)
        m1 = model.make_trg_mask(torch.zeros(5, 2, dtype=torch.long))
        m2 = model.transformer.generate_square_subsequent_mask(5)
        o.print(m1, m2, torch.equal(m1, m2))
        for epoch in range(2):
            losses = []
            for batch_idx in range(2):
                inp_data = torch.randint(2, 12, (6, 3))
                inp_data[-2:, 0] = src_pad_idx
                target = torch.randint(2, 14, (5, 3))
                output = model(inp_data, target[:-1, :])
                output = output.reshape(-1, output.shape[2])
                target = target[1:].reshape(-1)
                optimizer.zero_grad()
                loss = criterion(output, target)
                losses.append(loss.item())
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1)
                optimizer.step()
            mean_loss = sum(losses) / len(losses)
            scheduler.step(mean_loss)
            o.print(f"[Epoch {epoch}] mean loss {mean_loss:.4f}")
        model.eval()
        with torch.no_grad():
            o.vals.append(model(inp_data, target.reshape(4, 3)))
        o.vals.append(loss.detach())
    return o.done()


def vae(L):
    """VAE/model.py + train.py: encode -> (mu, sigma), z = mu + sigma * randn_like(sigma),
    BCELoss(reduction="sum") plus the KL term as the video writes it, then inference()
    picking one image per digit from the dataset and decoding samples."""
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)

        class VariationalAutoEncoder(nn.Module):
            def __init__(self, input_dim, h_dim=200, z_dim=20):
                super().__init__()
                self.img_2hid = nn.Linear(input_dim, h_dim)
                self.hid_2mu = nn.Linear(h_dim, z_dim)
                self.hid_2sigma = nn.Linear(h_dim, z_dim)
                self.z_2hid = nn.Linear(z_dim, h_dim)
                self.hid_2img = nn.Linear(h_dim, input_dim)
                self.relu = nn.ReLU()

            def encode(self, x):
                h = self.relu(self.img_2hid(x))
                mu, sigma = self.hid_2mu(h), self.hid_2sigma(h)
                return mu, sigma

            def decode(self, z):
                h = self.relu(self.z_2hid(z))
                return torch.sigmoid(self.hid_2img(h))

            def forward(self, x):
                mu, sigma = self.encode(x)
                epsilon = torch.randn_like(sigma)
                z_new = mu + sigma * epsilon
                x_reconstructed = self.decode(z_new)
                return x_reconstructed, mu, sigma

        x = torch.randn(4, 28 * 28)
        vae = VariationalAutoEncoder(input_dim=784)
        x_reconstructed, mu, sigma = vae(x)
        o.print(x_reconstructed.shape)
        o.print(mu.shape)
        o.print(sigma.shape)

        INPUT_DIM, H_DIM, Z_DIM, NUM_EPOCHS, BATCH_SIZE, LR_RATE = 784, 32, 4, 2, 8, 3e-4
        images = torch.rand(30, 1, 28, 28)
        labels = torch.arange(30) % 10
        dataset = torch.utils.data.TensorDataset(images, labels)
        train_loader = torch.utils.data.DataLoader(dataset=dataset, batch_size=BATCH_SIZE, shuffle=True)
        model = VariationalAutoEncoder(INPUT_DIM, H_DIM, Z_DIM)
        optimizer = optim.Adam(model.parameters(), lr=LR_RATE)
        loss_fn = nn.BCELoss(reduction="sum")
        for epoch in range(NUM_EPOCHS):
            for i, (x, _) in enumerate(train_loader):
                x = x.view(x.shape[0], INPUT_DIM)
                x_reconstructed, mu, sigma = model(x)
                reconstruction_loss = loss_fn(x_reconstructed, x)
                kl_div = -torch.sum(1 + torch.log(sigma.pow(2)) - mu.pow(2) - sigma.pow(2))
                loss = reconstruction_loss + kl_div
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print(f"epoch {epoch} loss {loss.item():.2f}")
        o.vals.append(loss.detach())

        def inference(digit, num_examples=1):
            images = []
            idx = 0
            for x, y in dataset:
                if y == idx:
                    images.append(x)
                    idx += 1
                if idx == 10:
                    break
            encodings_digit = []
            for d in range(10):
                with torch.no_grad():
                    mu, sigma = model.encode(images[d].view(1, 784))
                encodings_digit.append((mu, sigma))
            mu, sigma = encodings_digit[digit]
            outs = []
            for example in range(num_examples):
                epsilon = torch.randn_like(sigma)
                z = mu + sigma * epsilon
                out = model.decode(z)
                out = out.view(-1, 1, 28, 28)
                outs.append(out)
            return outs

        for idx in range(3):
            outs = inference(idx, num_examples=2)
            o.print(idx, len(outs), outs[0].shape, outs[0].requires_grad)
            o.vals.append(outs[-1])
    return o.done()


def image_captioning(L):
    """image_captioning/model.py: EncoderCNN (a small CNN in place of inception_v3, its fc
    replaced), DecoderRNN concatenating features.unsqueeze(0) before the embedded captions,
    CrossEntropyLoss(ignore_index=pad) on outputs.reshape(-1, vocab), caption_image greedy
    decoding with states=None then the LSTM's own states."""
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)

        class Vocabulary:
            def __init__(self):
                self.itos = {0: "<PAD>", 1: "<SOS>", 2: "<EOS>", 3: "<UNK>"}
                for i, w in enumerate("a dog cat runs on the grass".split()):
                    self.itos[4 + i] = w
                self.stoi = {v: k for k, v in self.itos.items()}

            def __len__(self):
                return len(self.itos)

        class SmallCNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
                self.fc = nn.Linear(4, 1000)

            def forward(self, x):
                return self.fc(self.features(x))

        class EncoderCNN(nn.Module):
            def __init__(self, embed_size, train_CNN=False):
                super(EncoderCNN, self).__init__()
                self.train_CNN = train_CNN
                self.inception = SmallCNN()
                self.inception.fc = nn.Linear(self.inception.fc.in_features, embed_size)
                self.relu = nn.ReLU()
                self.times = []
                self.dropout = nn.Dropout(0.5)

            def forward(self, images):
                features = self.inception(images)
                return self.dropout(self.relu(features))

        class DecoderRNN(nn.Module):
            def __init__(self, embed_size, hidden_size, vocab_size, num_layers):
                super(DecoderRNN, self).__init__()
                self.embed = nn.Embedding(vocab_size, embed_size)
                self.lstm = nn.LSTM(embed_size, hidden_size, num_layers)
                self.linear = nn.Linear(hidden_size, vocab_size)
                self.dropout = nn.Dropout(0.5)

            def forward(self, features, captions):
                embeddings = self.dropout(self.embed(captions))
                embeddings = torch.cat((features.unsqueeze(0), embeddings), dim=0)
                hiddens, _ = self.lstm(embeddings)
                outputs = self.linear(hiddens)
                return outputs

        class CNNtoRNN(nn.Module):
            def __init__(self, embed_size, hidden_size, vocab_size, num_layers):
                super(CNNtoRNN, self).__init__()
                self.encoderCNN = EncoderCNN(embed_size)
                self.decoderRNN = DecoderRNN(embed_size, hidden_size, vocab_size, num_layers)

            def forward(self, images, captions):
                features = self.encoderCNN(images)
                outputs = self.decoderRNN(features, captions)
                return outputs

            def caption_image(self, image, vocabulary, max_length=50):
                result_caption = []
                with torch.no_grad():
                    x = self.encoderCNN(image).unsqueeze(0)
                    states = None
                    for _ in range(max_length):
                        hiddens, states = self.decoderRNN.lstm(x, states)
                        output = self.decoderRNN.linear(hiddens.squeeze(0))
                        predicted = output.argmax(1)
                        result_caption.append(predicted.item())
                        x = self.decoderRNN.embed(predicted).unsqueeze(0)
                        if vocabulary.itos[predicted.item()] == "<EOS>":
                            break
                return [vocabulary.itos[idx] for idx in result_caption]

        vocab = Vocabulary()
        embed_size, hidden_size, vocab_size, num_layers = 8, 12, len(vocab), 1
        model = CNNtoRNN(embed_size, hidden_size, vocab_size, num_layers)
        criterion = nn.CrossEntropyLoss(ignore_index=vocab.stoi["<PAD>"])
        optimizer = optim.Adam(model.parameters(), lr=3e-3)
        for name, param in model.encoderCNN.inception.named_parameters():
            if "fc.weight" in name or "fc.bias" in name:
                param.requires_grad = True
            else:
                param.requires_grad = model.encoderCNN.train_CNN
        o.print([n for n, p in model.named_parameters() if not p.requires_grad])
        model.train()
        for step in range(4):
            imgs = torch.rand(3, 3, 16, 16)
            captions = torch.randint(1, vocab_size, (6, 3))
            captions[-1, 0] = 0
            outputs = model(imgs, captions[:-1])
            loss = criterion(outputs.reshape(-1, outputs.shape[2]), captions.reshape(-1))
            optimizer.zero_grad()
            loss.backward(loss)
            optimizer.step()
            o.print(f"step {step} loss {loss.item():.4f}")
        model.eval()
        o.print(model.caption_image(torch.rand(1, 3, 16, 16), vocab, max_length=8))
        o.vals += [loss.detach(), model.decoderRNN.linear.weight]
    return o.done()
