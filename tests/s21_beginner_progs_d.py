"""chenyuntc/pytorch-book, second part, as readers type it: chapter6-实战指南 (BasicModule
save / load of a ResNet34 with shortcut Sequential and avg_pool2d(x, 7)), chapter9 CharRNN
(PoetryModel with ``input.data.new(...)`` states and generate()'s greedy topk loop) and
chapter10 Image Caption (CaptionModel with pack_padded_sequence, CaptionGenerator's beam
search over heapq). Sizes shrunk, data seeded."""

import heapq
import os
import tempfile
import numpy as np
from s16_yunjey_progs import Out


def resnet34_basic_module(L):
    """chapter6-实战指南/models/BasicModule.py + ResNet34.py (channels / 16). With 16
    residual blocks, ``out += residual`` often leaves a pre-ReLU value within a rounding of
    0 (seen: 1.8e-7 in torch, -6e-8 in ember); the flipped mask element then reaches every
    gradient of that BatchNorm channel. The seed is one where no such tie occurs."""
    t, nn, F = L, L.nn, L.nn.functional
    t.manual_seed(20)

    class BasicModule(t.nn.Module):
        def __init__(self):
            super(BasicModule, self).__init__()
            self.model_name = str(type(self))

        def load(self, path):
            self.load_state_dict(t.load(path))

        def save(self, name=None):
            t.save(self.state_dict(), name)
            return name

    class ResidualBlock(nn.Module):
        def __init__(self, inchannel, outchannel, stride=1, shortcut=None):
            super(ResidualBlock, self).__init__()
            self.left = nn.Sequential(
                nn.Conv2d(inchannel, outchannel, 3, stride, 1, bias=False),
                nn.BatchNorm2d(outchannel), nn.ReLU(inplace=True),
                nn.Conv2d(outchannel, outchannel, 3, 1, 1, bias=False),
                nn.BatchNorm2d(outchannel))
            self.right = shortcut

        def forward(self, x):
            out = self.left(x)
            residual = x if self.right is None else self.right(x)
            out += residual
            return F.relu(out)

    class ResNet34(BasicModule):
        def __init__(self, num_classes=2):
            super(ResNet34, self).__init__()
            self.model_name = 'resnet34'
            self.pre = nn.Sequential(nn.Conv2d(3, 4, 7, 2, 3, bias=False), nn.BatchNorm2d(4),
                                     nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
            self.layer1 = self._make_layer(4, 8, 3)
            self.layer2 = self._make_layer(8, 16, 4, stride=2)
            self.layer3 = self._make_layer(16, 32, 6, stride=2)
            self.layer4 = self._make_layer(32, 32, 3, stride=2)
            self.fc = nn.Linear(32, num_classes)

        def _make_layer(self, inchannel, outchannel, block_num, stride=1):
            shortcut = nn.Sequential(nn.Conv2d(inchannel, outchannel, 1, stride, bias=False),
                                     nn.BatchNorm2d(outchannel))
            layers = [ResidualBlock(inchannel, outchannel, stride, shortcut)]
            for i in range(1, block_num):
                layers.append(ResidualBlock(outchannel, outchannel))
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.pre(x)
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.layer3(x)
            x = self.layer4(x)
            x = F.avg_pool2d(x, 7)
            x = x.view(x.size(0), -1)
            return self.fc(x)

    rng = np.random.default_rng(14)
    data = t.from_numpy(rng.standard_normal((2, 3, 224, 224)).astype(np.float32))
    label = t.tensor([0, 1])
    with Out() as o:
        model = ResNet34()
        o.print(model.model_name, len(model.state_dict()), model.layer1[0].right)
        criterion = t.nn.CrossEntropyLoss()
        optimizer = t.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        for ii in range(2):
            optimizer.zero_grad()
            score = model(data)
            loss = criterion(score, label)
            loss.backward()
            optimizer.step()
            o.print('loss {:.4f}'.format(loss.item()))
        with tempfile.TemporaryDirectory() as d:
            name = model.save(os.path.join(d, 'resnet34.pth'))
            model2 = ResNet34()
            model2.load(name)
        model.eval(), model2.eval()
        with t.no_grad():
            a, b = model(data), model2(data)
        o.print(t.equal(a, b), F.softmax(a, dim=1)[:, 0].shape)
        o.vals += [a, model.layer4[0].left[1].running_mean]
    return o.done()


def char_rnn(L):
    """chapter9-神经网络写诗(CharRNN) model.py PoetryModel, main.py train step and
    generate(): ``ix2word[top_index]`` with a tensor key is the KeyError users meet."""
    t, nn, Variable = L, L.nn, L.autograd.Variable
    t.manual_seed(15)

    class PoetryModel(nn.Module):
        def __init__(self, vocab_size, embedding_dim, hidden_dim):
            super(PoetryModel, self).__init__()
            self.hidden_dim = hidden_dim
            self.embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, self.hidden_dim, num_layers=2)
            self.linear1 = nn.Linear(self.hidden_dim, vocab_size)

        def forward(self, input, hidden=None):
            seq_len, batch_size = input.size()
            if hidden is None:
                h_0 = input.data.new(2, batch_size, self.hidden_dim).fill_(0).float()
                c_0 = input.data.new(2, batch_size, self.hidden_dim).fill_(0).float()
                h_0, c_0 = Variable(h_0), Variable(c_0)
            else:
                h_0, c_0 = hidden
            embeds = self.embeddings(input)
            output, hidden = self.lstm(embeds, (h_0, c_0))
            output = self.linear1(output.view(seq_len * batch_size, -1))
            return output, hidden

    words = ['</s>', '<START>', '<EOP>'] + list('春江花月夜凉如水潮连海平明')
    word2ix = {w: i for i, w in enumerate(words)}
    ix2word = {i: w for i, w in enumerate(words)}
    data = np.random.default_rng(15).integers(0, len(words), (6, 9)).astype(np.int32)
    data = t.from_numpy(data)
    dataloader = t.utils.data.DataLoader(data, batch_size=3, shuffle=True)

    def generate(model, start_words, ix2word, word2ix, o, max_gen_len=8):
        results = list(start_words)
        start_word_len = len(start_words)
        input = Variable(t.Tensor([word2ix['<START>']]).view(1, 1).long())
        hidden = None
        for i in range(max_gen_len):
            output, hidden = model(input, hidden)
            if i < start_word_len:
                w = results[i]
                input = Variable(input.data.new([word2ix[w]])).view(1, 1)
            else:
                top_index = output.data[0].topk(1)[1][0]
                if i == start_word_len:
                    o.tryit(lambda: ix2word[top_index])
                w = ix2word[top_index.item()]
                results.append(w)
                input = Variable(input.data.new([top_index])).view(1, 1)
            if w == '<EOP>':
                del results[-1]
                break
        return results

    with Out() as o:
        model = PoetryModel(len(word2ix), 8, 12)
        optimizer = t.optim.Adam(model.parameters(), lr=1e-2)
        criterion = nn.CrossEntropyLoss()
        for epoch in range(2):
            for ii, data_ in enumerate(dataloader):
                data_ = data_.long().transpose(1, 0).contiguous()
                optimizer.zero_grad()
                input_, target = Variable(data_[:-1, :]), Variable(data_[1:, :])
                output, _ = model(input_)
                loss = criterion(output, target.view(-1))
                loss.backward()
                optimizer.step()
                o.tryit(lambda: loss.data[0]) if ii == 0 and epoch == 0 else None
                o.print('loss {:.4f}'.format(loss.item()))
        poetrys = [[ix2word[_word.item()] for _word in data_[:, _iii]]
                   for _iii in range(data_.size(1))][:2]
        o.print([''.join(p) for p in poetrys])
        o.print(''.join(generate(model, '春江', ix2word, word2ix, o)))
        o.vals += [output, model.lstm.weight_hh_l1]
    return o.done()


class Caption(object):
    def __init__(self, sentence, state, logprob, score, metadata=None):
        self.sentence, self.state, self.logprob = sentence, state, logprob
        self.score, self.metadata = score, metadata

    def __lt__(self, other):
        return self.score < other.score

    def __eq__(self, other):
        return self.score == other.score


class TopN(object):
    def __init__(self, n):
        self._n, self._data = n, []

    def size(self):
        return len(self._data)

    def push(self, x):
        if len(self._data) < self._n:
            heapq.heappush(self._data, x)
        else:
            heapq.heappushpop(self._data, x)

    def extract(self, sort=False):
        data, self._data = self._data, None
        if sort:
            data.sort(reverse=True)
        return data

    def reset(self):
        self._data = []


def image_caption(L):
    """chapter10-图像描述(Image Caption) model.py CaptionModel and utils/beam_search.py."""
    t, nn, Variable = L, L.nn, L.autograd.Variable
    from_log_softmax = L.nn.functional.log_softmax
    pack_padded_sequence = L.nn.utils.rnn.pack_padded_sequence
    t.manual_seed(16)

    class Opt:
        rnn_hidden, embedding_dim, num_layers, share_embedding_weights = 10, 10, 2, False

    class CaptionGenerator(object):
        def __init__(self, embedder, rnn, classifier, eos_id, beam_size=3,
                     max_caption_length=20, length_normalization_factor=0.0):
            self.embedder, self.rnn, self.classifier = embedder, rnn, classifier
            self.eos_id, self.beam_size = eos_id, beam_size
            self.max_caption_length = max_caption_length
            self.length_normalization_factor = length_normalization_factor

        def beam_search(self, rnn_input, initial_state=None):
            def get_topk_words(embeddings, state):
                output, new_states = self.rnn(embeddings, state)
                output = self.classifier(output.squeeze(0))
                logprobs = from_log_softmax(output)
                logprobs, words = logprobs.topk(self.beam_size, 1)
                return words.data, logprobs.data, new_states

            partial_captions = TopN(self.beam_size)
            complete_captions = TopN(self.beam_size)
            words, logprobs, new_state = get_topk_words(rnn_input, initial_state)
            for k in range(self.beam_size):
                cap = Caption(sentence=[words[0, k]], state=new_state,
                              logprob=logprobs[0, k], score=logprobs[0, k])
                partial_captions.push(cap)
            for _ in range(self.max_caption_length - 1):
                partial_captions_list = partial_captions.extract()
                partial_captions.reset()
                input_feed = t.LongTensor([c.sentence[-1] for c in partial_captions_list])
                input_feed = Variable(input_feed, volatile=True)
                state_feed = [c.state for c in partial_captions_list]
                if isinstance(state_feed[0], tuple):
                    state_feed_h, state_feed_c = zip(*state_feed)
                    state_feed = (t.cat(state_feed_h, 1), t.cat(state_feed_c, 1))
                else:
                    state_feed = t.cat(state_feed, 1)
                embeddings = self.embedder(input_feed).view(1, len(input_feed), -1)
                words, logprobs, new_states = get_topk_words(embeddings, state_feed)
                for i, partial_caption in enumerate(partial_captions_list):
                    if isinstance(new_states, tuple):
                        state = (new_states[0].narrow(1, i, 1), new_states[1].narrow(1, i, 1))
                    else:
                        state = new_states[i]
                    for k in range(self.beam_size):
                        w = words[i, k]
                        sentence = partial_caption.sentence + [w]
                        logprob = partial_caption.logprob + logprobs[i, k]
                        score = logprob
                        if w == self.eos_id:
                            if self.length_normalization_factor > 0:
                                score /= len(sentence) ** self.length_normalization_factor
                            complete_captions.push(Caption(sentence, state, logprob, score))
                        else:
                            partial_captions.push(Caption(sentence, state, logprob, score))
                if partial_captions.size() == 0:
                    break
            if not complete_captions.size():
                complete_captions = partial_captions
            caps = complete_captions.extract(sort=True)
            return [c.sentence for c in caps], [c.score for c in caps]

    class CaptionModel(nn.Module):
        def __init__(self, opt, word2ix, ix2word):
            super(CaptionModel, self).__init__()
            self.ix2word, self.word2ix, self.opt = ix2word, word2ix, opt
            self.fc = nn.Linear(20, opt.rnn_hidden)
            self.rnn = nn.LSTM(opt.embedding_dim, opt.rnn_hidden, num_layers=opt.num_layers)
            self.classifier = nn.Linear(opt.rnn_hidden, len(word2ix))
            self.embedding = nn.Embedding(len(word2ix), opt.embedding_dim)

        def forward(self, img_feats, captions, lengths):
            embeddings = self.embedding(captions)
            img_feats = self.fc(img_feats).unsqueeze(0)
            embeddings = t.cat([img_feats, embeddings], 0)
            packed_embeddings = pack_padded_sequence(embeddings, lengths)
            outputs, state = self.rnn(packed_embeddings)
            pred = self.classifier(outputs[0])
            return pred, state

        def generate(self, img, eos_token='</EOS>', beam_size=3, max_caption_length=6,
                     length_normalization_factor=0.0):
            cap_gen = CaptionGenerator(embedder=self.embedding, rnn=self.rnn,
                                       classifier=self.classifier,
                                       eos_id=self.word2ix[eos_token], beam_size=beam_size,
                                       max_caption_length=max_caption_length,
                                       length_normalization_factor=length_normalization_factor)
            img = t.autograd.Variable(img.unsqueeze(0), volatile=True)
            img = self.fc(img).unsqueeze(0)
            sentences, score = cap_gen.beam_search(img)
            sentences = [' '.join([self.ix2word[int(idx)] for idx in sent])
                         for sent in sentences]
            return sentences, score

    words = ['</EOS>', '<START>', '</PAD>', 'a', 'dog', 'on', 'the', 'grass', 'cat', 'sits']
    word2ix = {w: i for i, w in enumerate(words)}
    rng = np.random.default_rng(16)
    img_feats = t.from_numpy(rng.standard_normal((3, 20)).astype(np.float32))
    captions = t.from_numpy(rng.integers(3, len(words), (5, 3)))
    lengths = [6, 4, 3]
    with Out() as o:
        model = CaptionModel(Opt(), word2ix, dict(enumerate(words)))
        optimizer = t.optim.Adam(model.parameters(), lr=1e-2)
        criterion = nn.CrossEntropyLoss()
        target_captions = t.cat([captions, t.zeros(1, 3).long()], 0)
        target = pack_padded_sequence(target_captions, lengths)[0]
        for ii in range(3):
            optimizer.zero_grad()
            score, _ = model(img_feats, captions, lengths)
            loss = criterion(score, target)
            loss.backward()
            optimizer.step()
            o.print('loss {:.4f}'.format(loss.item()), score.shape)
        sentences, scores = model.generate(img_feats[0])
        o.print(sentences)
        o.print(['{:.3f}'.format(float(s)) for s in scores], type(scores[0]).__name__)
        o.vals += [score, model.fc.weight, t.stack(scores)]
    return o.done()
