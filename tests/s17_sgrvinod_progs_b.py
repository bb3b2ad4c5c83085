"""sgrvinod/a-PyTorch-Tutorial-to-Image-Captioning (models.py, train.py, utils.py, caption.py)
and a-PyTorch-Tutorial-to-Super-Resolution (models.py, utils.py, train_srresnet.py,
train_srgan.py) as users type them, scaled down: small conv stacks in place of the pretrained
ResNet-101 / truncated VGG-19, random images and captions in place of COCO / ImageNet, two
training steps, as ``prog(L) -> (printed, values)`` for tests/test_programs_s17_sgrvinod.py."""


import numpy as np
from s16_yunjey_progs import Out


class AverageMeter(object):
    def __init__(self):
        self.reset()

    def reset(self):
        self.val = 0
        self.avg = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count


def captioning(torch):
    nn = torch.nn
    from importlib import import_module
    pack_padded_sequence = import_module(torch.__name__ + ".nn.utils.rnn").pack_padded_sequence
    F = torch.nn.functional
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    class Encoder(nn.Module):
        def __init__(self, encoded_image_size=3):
            super(Encoder, self).__init__()
            self.enc_image_size = encoded_image_size
            modules = [nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1), nn.Conv2d(4, 8, 3, padding=1),
                       nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU()]
            self.resnet = nn.Sequential(*modules)
            self.adaptive_pool = nn.AdaptiveAvgPool2d((encoded_image_size, encoded_image_size))
            self.fine_tune()

        def forward(self, images):
            out = self.resnet(images)
            out = self.adaptive_pool(out)
            out = out.permute(0, 2, 3, 1)
            return out

        def fine_tune(self, fine_tune=True):
            for p in self.resnet.parameters():
                p.requires_grad = False
            for c in list(self.resnet.children())[5:]:
                for p in c.parameters():
                    p.requires_grad = fine_tune

    class Attention(nn.Module):
        def __init__(self, encoder_dim, decoder_dim, attention_dim):
            super(Attention, self).__init__()
            self.encoder_att = nn.Linear(encoder_dim, attention_dim)
            self.decoder_att = nn.Linear(decoder_dim, attention_dim)
            self.full_att = nn.Linear(attention_dim, 1)
            self.relu = nn.ReLU()
            self.softmax = nn.Softmax(dim=1)

        def forward(self, encoder_out, decoder_hidden):
            att1 = self.encoder_att(encoder_out)
            att2 = self.decoder_att(decoder_hidden)
            att = self.full_att(self.relu(att1 + att2.unsqueeze(1))).squeeze(2)
            alpha = self.softmax(att)
            attention_weighted_encoding = (encoder_out * alpha.unsqueeze(2)).sum(dim=1)
            return attention_weighted_encoding, alpha

    class DecoderWithAttention(nn.Module):
        def __init__(self, attention_dim, embed_dim, decoder_dim, vocab_size, encoder_dim=2048, dropout=0.5):
            super(DecoderWithAttention, self).__init__()
            self.encoder_dim = encoder_dim
            self.attention_dim = attention_dim
            self.embed_dim = embed_dim
            self.decoder_dim = decoder_dim
            self.vocab_size = vocab_size
            self.dropout = dropout
            self.attention = Attention(encoder_dim, decoder_dim, attention_dim)
            self.embedding = nn.Embedding(vocab_size, embed_dim)
            self.dropout = nn.Dropout(p=self.dropout)
            self.decode_step = nn.LSTMCell(embed_dim + encoder_dim, decoder_dim, bias=True)
            self.init_h = nn.Linear(encoder_dim, decoder_dim)
            self.init_c = nn.Linear(encoder_dim, decoder_dim)
            self.f_beta = nn.Linear(decoder_dim, encoder_dim)
            self.sigmoid = nn.Sigmoid()
            self.fc = nn.Linear(decoder_dim, vocab_size)
            self.init_weights()

        def init_weights(self):
            self.embedding.weight.data.uniform_(-0.1, 0.1)
            self.fc.bias.data.fill_(0)
            self.fc.weight.data.uniform_(-0.1, 0.1)

        def load_pretrained_embeddings(self, embeddings):
            self.embedding.weight = nn.Parameter(embeddings)

        def fine_tune_embeddings(self, fine_tune=True):
            for p in self.embedding.parameters():
                p.requires_grad = fine_tune

        def init_hidden_state(self, encoder_out):
            mean_encoder_out = encoder_out.mean(dim=1)
            h = self.init_h(mean_encoder_out)
            c = self.init_c(mean_encoder_out)
            return h, c

        def forward(self, encoder_out, encoded_captions, caption_lengths):
            batch_size = encoder_out.size(0)
            encoder_dim = encoder_out.size(-1)
            vocab_size = self.vocab_size
            encoder_out = encoder_out.view(batch_size, -1, encoder_dim)
            num_pixels = encoder_out.size(1)
            caption_lengths, sort_ind = caption_lengths.squeeze(1).sort(dim=0, descending=True)
            encoder_out = encoder_out[sort_ind]
            encoded_captions = encoded_captions[sort_ind]
            embeddings = self.embedding(encoded_captions)
            h, c = self.init_hidden_state(encoder_out)
            decode_lengths = (caption_lengths - 1).tolist()
            predictions = torch.zeros(batch_size, max(decode_lengths), vocab_size).to(device)
            alphas = torch.zeros(batch_size, max(decode_lengths), num_pixels).to(device)
            for t in range(max(decode_lengths)):
                batch_size_t = sum([l > t for l in decode_lengths])
                attention_weighted_encoding, alpha = self.attention(encoder_out[:batch_size_t],
                                                                    h[:batch_size_t])
                gate = self.sigmoid(self.f_beta(h[:batch_size_t]))
                attention_weighted_encoding = gate * attention_weighted_encoding
                h, c = self.decode_step(
                    torch.cat([embeddings[:batch_size_t, t, :], attention_weighted_encoding], dim=1),
                    (h[:batch_size_t], c[:batch_size_t]))
                preds = self.fc(self.dropout(h))
                predictions[:batch_size_t, t, :] = preds
                alphas[:batch_size_t, t, :] = alpha
            return predictions, encoded_captions, decode_lengths, alphas, sort_ind

    def clip_gradient(optimizer, grad_clip):
        for group in optimizer.param_groups:
            for param in group['params']:
                if param.grad is not None:
                    param.grad.data.clamp_(-grad_clip, grad_clip)

    def adjust_learning_rate(optimizer, shrink_factor):
        o.print("\nDECAYING learning rate.")
        for param_group in optimizer.param_groups:
            param_group['lr'] = param_group['lr'] * shrink_factor
        o.print("The new learning rate is %f\n" % (optimizer.param_groups[0]['lr'],))

    def accuracy(scores, targets, k):
        batch_size = targets.size(0)
        _, ind = scores.topk(k, 1, True, True)
        correct = ind.eq(targets.view(-1, 1).expand_as(ind))
        correct_total = correct.view(-1).float().sum()
        return correct_total.item() * (100.0 / batch_size)

    with Out() as o:
        torch.manual_seed(0)
        rng = np.random.default_rng(1)
        vocab_size, emb_dim, attention_dim, decoder_dim, encoder_dim = 12, 6, 5, 7, 8
        alpha_c, grad_clip = 1., 5.
        decoder = DecoderWithAttention(attention_dim=attention_dim, embed_dim=emb_dim,
                                       decoder_dim=decoder_dim, vocab_size=vocab_size,
                                       encoder_dim=encoder_dim, dropout=0.5)
        decoder_optimizer = torch.optim.Adam(params=filter(lambda p: p.requires_grad, decoder.parameters()),
                                             lr=4e-4)
        encoder = Encoder()
        encoder.fine_tune(True)
        encoder_optimizer = torch.optim.Adam(params=filter(lambda p: p.requires_grad, encoder.parameters()),
                                             lr=1e-4)
        o.print(decoder)
        o.print([p.requires_grad for p in encoder.parameters()])
        criterion = nn.CrossEntropyLoss().to(device)
        decoder.train()
        encoder.train()
        losses, top5accs = AverageMeter(), AverageMeter()
        for i in range(2):
            imgs = torch.from_numpy(rng.random((3, 3, 12, 12), dtype=np.float32))
            caplens = torch.from_numpy(rng.integers(3, 7, (3, 1)))
            caps = torch.from_numpy(rng.integers(1, vocab_size, (3, 7)))
            imgs = encoder(imgs)
            scores, caps_sorted, decode_lengths, alphas, sort_ind = decoder(imgs, caps, caplens)
            targets = caps_sorted[:, 1:]
            scores = pack_padded_sequence(scores, decode_lengths, batch_first=True).data
            targets = pack_padded_sequence(targets, decode_lengths, batch_first=True).data
            loss = criterion(scores, targets)
            loss += alpha_c * ((1. - alphas.sum(dim=1)) ** 2).mean()
            decoder_optimizer.zero_grad()
            encoder_optimizer.zero_grad()
            loss.backward()
            if grad_clip is not None:
                clip_gradient(decoder_optimizer, grad_clip)
                clip_gradient(encoder_optimizer, grad_clip)
            decoder_optimizer.step()
            encoder_optimizer.step()
            top5 = accuracy(scores, targets, 5)
            losses.update(loss.item(), sum(decode_lengths))
            top5accs.update(top5, sum(decode_lengths))
            o.print('Epoch: [{0}][{1}/{2}]\tLoss {loss.val:.4f} ({loss.avg:.4f})\t'
                    'Top-5 Accuracy {top5.val:.3f} ({top5.avg:.3f})'.format(0, i, 2, loss=losses,
                                                                           top5=top5accs))
            o.print(decode_lengths, sort_ind, scores.shape, targets)
            o.vals += [loss.detach(), alphas.detach()]
        adjust_learning_rate(decoder_optimizer, 0.8)
        o.vals += [decoder.fc.weight, decoder.init_h.weight.grad]
        # caption.py: beam search with k = 3
        decoder.eval()
        encoder.eval()
        k = 3
        with torch.no_grad():
            encoder_out = encoder(torch.from_numpy(rng.random((1, 3, 12, 12), dtype=np.float32)))
            enc_image_size = encoder_out.size(1)
            encoder_out = encoder_out.view(1, -1, encoder_dim)
            num_pixels = encoder_out.size(1)
            encoder_out = encoder_out.expand(k, num_pixels, encoder_dim)
            k_prev_words = torch.LongTensor([[1]] * k).to(device)
            seqs = k_prev_words
            top_k_scores = torch.zeros(k, 1).to(device)
            seqs_alpha = torch.ones(k, 1, enc_image_size, enc_image_size).to(device)
            complete_seqs, complete_seqs_alpha, complete_seqs_scores = list(), list(), list()
            step = 1
            h, c = decoder.init_hidden_state(encoder_out)
            while True:
                embeddings = decoder.embedding(k_prev_words).squeeze(1)
                awe, alpha = decoder.attention(encoder_out, h)
                alpha = alpha.view(-1, enc_image_size, enc_image_size)
                gate = decoder.sigmoid(decoder.f_beta(h))
                awe = gate * awe
                h, c = decoder.decode_step(torch.cat([embeddings, awe], dim=1), (h, c))
                scores = decoder.fc(h)
                scores = F.log_softmax(scores, dim=1)
                scores = top_k_scores.expand_as(scores) + scores
                if step == 1:
                    top_k_scores, top_k_words = scores[0].topk(k, 0, True, True)
                else:
                    top_k_scores, top_k_words = scores.view(-1).topk(k, 0, True, True)
                prev_word_inds = torch.div(top_k_words, vocab_size, rounding_mode='floor')
                next_word_inds = top_k_words % vocab_size
                seqs = torch.cat([seqs[prev_word_inds], next_word_inds.unsqueeze(1)], dim=1)
                seqs_alpha = torch.cat([seqs_alpha[prev_word_inds], alpha[prev_word_inds].unsqueeze(1)],
                                       dim=1)
                incomplete_inds = [ind for ind, next_word in enumerate(next_word_inds) if next_word != 2]
                complete_inds = list(set(range(len(next_word_inds))) - set(incomplete_inds))
                if len(complete_inds) > 0:
                    complete_seqs.extend(seqs[complete_inds].tolist())
                    complete_seqs_alpha.extend(seqs_alpha[complete_inds].tolist())
                    complete_seqs_scores.extend(top_k_scores[complete_inds])
                k -= len(complete_inds)
                if k == 0:
                    break
                seqs = seqs[incomplete_inds]
                seqs_alpha = seqs_alpha[incomplete_inds]
                h = h[prev_word_inds[incomplete_inds]]
                c = c[prev_word_inds[incomplete_inds]]
                encoder_out = encoder_out[prev_word_inds[incomplete_inds]]
                top_k_scores = top_k_scores[incomplete_inds].unsqueeze(1)
                k_prev_words = next_word_inds[incomplete_inds].unsqueeze(1)
                if step > 6:
                    break
                step += 1
            o.print(step, seqs.tolist(), complete_seqs, len(complete_seqs_scores))
            if complete_seqs_scores:
                i = complete_seqs_scores.index(max(complete_seqs_scores))
                o.print(complete_seqs[i], len(complete_seqs_alpha[i]))
            o.vals.append(top_k_scores)
    return o.done()
