"""CS224n a4, the NMT model (ZacBi/CS224n-2019-solutions Assignments/a4/nmt_model.py,
model_embeddings.py, vocab.py's to_input_tensor and utils.pad_sents, run.py's train step;
the 2021 variant's bool masks and floor division in beam search as in
parachutel/cs224n-stanford-winter2021), on made-up sentences over a tiny vocabulary."""

import math
from collections import namedtuple

import numpy as np
from s16_yunjey_progs import Out

Hypothesis = namedtuple('Hypothesis', ['value', 'score'])


def pad_sents(sents, pad_token):
    sents_padded = []
    max_len = max(len(s) for s in sents)
    for s in sents:
        sents_padded.append(s + [pad_token] * (max_len - len(s)))
    return sents_padded


def _vocab_classes(L):
    class VocabEntry(object):
        def __init__(self, words):
            self.word2id = {'<pad>': 0, '<s>': 1, '</s>': 2, '<unk>': 3}
            for w in words:
                self.word2id.setdefault(w, len(self.word2id))
            self.unk_id = self.word2id['<unk>']
            self.id2word = {v: k for k, v in self.word2id.items()}

        def __getitem__(self, word):
            return self.word2id.get(word, self.unk_id)

        def __len__(self):
            return len(self.word2id)

        def __repr__(self):
            return 'Vocabulary[size=%d]' % len(self)

        def words2indices(self, sents):
            if type(sents[0]) == list:
                return [[self[w] for w in s] for s in sents]
            return [self[w] for w in sents]

        def to_input_tensor(self, sents, device):
            word_ids = self.words2indices(sents)
            sents_t = pad_sents(word_ids, self['<pad>'])
            sents_var = L.tensor(sents_t, dtype=L.long, device=device)
            return L.t(sents_var)

    class Vocab(object):
        def __init__(self, src, tgt):
            self.src, self.tgt = src, tgt

        def __repr__(self):
            return 'Vocab(source %d words, target %d words)' % (len(self.src), len(self.tgt))

    return VocabEntry, Vocab


def _nmt_class(L, bool_masks):
    nn, F = L.nn, L.nn.functional
    from importlib import import_module
    rnn = import_module(L.__name__ + '.nn.utils.rnn')
    pack_padded_sequence, pad_packed_sequence = rnn.pack_padded_sequence, rnn.pad_packed_sequence

    class ModelEmbeddings(nn.Module):
        def __init__(self, embed_size, vocab):
            super(ModelEmbeddings, self).__init__()
            self.embed_size = embed_size
            src_pad_token_idx = vocab.src['<pad>']
            tgt_pad_token_idx = vocab.tgt['<pad>']
            self.source = nn.Embedding(len(vocab.src), embed_size, padding_idx=src_pad_token_idx)
            self.target = nn.Embedding(len(vocab.tgt), embed_size, padding_idx=tgt_pad_token_idx)

    class NMT(nn.Module):
        def __init__(self, embed_size, hidden_size, vocab, dropout_rate=0.2):
            super(NMT, self).__init__()
            self.model_embeddings = ModelEmbeddings(embed_size, vocab)
            self.hidden_size = hidden_size
            self.dropout_rate = dropout_rate
            self.vocab = vocab
            self.encoder = nn.LSTM(embed_size, self.hidden_size, dropout=self.dropout_rate,
                                   bidirectional=True)
            self.decoder = nn.LSTMCell(embed_size + self.hidden_size, self.hidden_size)
            self.h_projection = nn.Linear(2 * self.hidden_size, self.hidden_size, bias=False)
            self.c_projection = nn.Linear(2 * self.hidden_size, self.hidden_size, bias=False)
            self.att_projection = nn.Linear(2 * self.hidden_size, self.hidden_size, bias=False)
            self.combined_output_projection = nn.Linear(3 * self.hidden_size, self.hidden_size,
                                                        bias=False)
            self.target_vocab_projection = nn.Linear(self.hidden_size, len(vocab.tgt),
                                                     bias=False)
            self.dropout = nn.Dropout(self.dropout_rate)

        def forward(self, source, target):
            source_lengths = [len(s) for s in source]
            source_padded = self.vocab.src.to_input_tensor(source, device=self.device)
            target_padded = self.vocab.tgt.to_input_tensor(target, device=self.device)
            enc_hiddens, dec_init_state = self.encode(source_padded, source_lengths)
            enc_masks = self.generate_sent_masks(enc_hiddens, source_lengths)
            combined_outputs = self.decode(enc_hiddens, enc_masks, dec_init_state,
                                           target_padded)
            P = F.log_softmax(self.target_vocab_projection(combined_outputs), dim=-1)
            target_masks = (target_padded != self.vocab.tgt['<pad>']).float()
            target_gold_words_log_prob = L.gather(
                P, index=target_padded[1:].unsqueeze(-1), dim=-1).squeeze(-1) * target_masks[1:]
            scores = target_gold_words_log_prob.sum(dim=0)
            return scores

        def encode(self, source_padded, source_lengths):
            X = self.model_embeddings.source(source_padded)
            enc_hiddens, (last_hidden, last_cell) = self.encoder(
                pack_padded_sequence(X, source_lengths))
            enc_hiddens = pad_packed_sequence(enc_hiddens, batch_first=True)[0]
            last_hidden = L.cat((last_hidden[0, :], last_hidden[1, :]), 1)
            init_decoder_hidden = self.h_projection(last_hidden)
            last_cell = L.cat((last_cell[0, :], last_cell[1, :]), 1)
            init_decoder_cell = self.c_projection(last_cell)
            return enc_hiddens, (init_decoder_hidden, init_decoder_cell)

        def decode(self, enc_hiddens, enc_masks, dec_init_state, target_padded):
            target_padded = target_padded[:-1]
            dec_state = dec_init_state
            batch_size = enc_hiddens.size(0)
            o_prev = L.zeros(batch_size, self.hidden_size, device=self.device)
            combined_outputs = []
            enc_hiddens_proj = self.att_projection(enc_hiddens)
            Y = self.model_embeddings.target(target_padded)
            for Y_t in L.split(Y, 1):
                Y_t = L.squeeze(Y_t, dim=0)
                Ybar_t = L.cat((Y_t, o_prev), 1)
                dec_state, o_t, e_t = self.step(Ybar_t, dec_state, enc_hiddens,
                                                enc_hiddens_proj, enc_masks)
                combined_outputs.append(o_t)
                o_prev = o_t
            return L.stack(combined_outputs)

        def step(self, Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks):
            dec_state = self.decoder(Ybar_t, dec_state)
            dec_hidden, dec_cell = dec_state
            e_t = L.squeeze(L.bmm(enc_hiddens_proj, L.unsqueeze(dec_hidden, 2)), 2)
            if enc_masks is not None:
                if bool_masks:
                    e_t.data.masked_fill_(enc_masks.bool(), -float('inf'))
                else:
                    e_t.data.masked_fill_(enc_masks.byte(), -float('inf'))
            alpha_t = F.softmax(e_t, dim=1)
            a_t = L.squeeze(L.bmm(L.unsqueeze(alpha_t, 1), enc_hiddens), 1)
            U_t = L.cat((a_t, dec_hidden), 1)
            V_t = self.combined_output_projection(U_t)
            O_t = self.dropout(L.tanh(V_t))
            return dec_state, O_t, e_t

        def generate_sent_masks(self, enc_hiddens, source_lengths):
            enc_masks = L.zeros(enc_hiddens.size(0), enc_hiddens.size(1), dtype=L.float)
            for e_id, src_len in enumerate(source_lengths):
                enc_masks[e_id, src_len:] = 1
            return enc_masks.to(self.device)

        def beam_search(self, src_sent, beam_size=5, max_decoding_time_step=70):
            src_sents_var = self.vocab.src.to_input_tensor([src_sent], self.device)
            src_encodings, dec_init_vec = self.encode(src_sents_var, [len(src_sent)])
            src_encodings_att_linear = self.att_projection(src_encodings)
            h_tm1 = dec_init_vec
            att_tm1 = L.zeros(1, self.hidden_size, device=self.device)
            hypotheses = [['<s>']]
            hyp_scores = L.zeros(len(hypotheses), dtype=L.float, device=self.device)
            completed_hypotheses = []
            t = 0
            while len(completed_hypotheses) < beam_size and t < max_decoding_time_step:
                t += 1
                hyp_num = len(hypotheses)
                exp_src_encodings = src_encodings.expand(hyp_num, src_encodings.size(1),
                                                         src_encodings.size(2))
                exp_src_encodings_att_linear = src_encodings_att_linear.expand(
                    hyp_num, src_encodings_att_linear.size(1), src_encodings_att_linear.size(2))
                y_tm1 = L.tensor([self.vocab.tgt[hyp[-1]] for hyp in hypotheses],
                                 dtype=L.long, device=self.device)
                y_t_embed = self.model_embeddings.target(y_tm1)
                x = L.cat([y_t_embed, att_tm1], dim=-1)
                (h_t, cell_t), att_t, _ = self.step(x, h_tm1, exp_src_encodings,
                                                    exp_src_encodings_att_linear, enc_masks=None)
                log_p_t = F.log_softmax(self.target_vocab_projection(att_t), dim=-1)
                live_hyp_num = beam_size - len(completed_hypotheses)
                contiuating_hyp_scores = (hyp_scores.unsqueeze(1).expand_as(log_p_t)
                                          + log_p_t).view(-1)
                top_cand_hyp_scores, top_cand_hyp_pos = L.topk(contiuating_hyp_scores,
                                                               k=live_hyp_num)
                if bool_masks:
                    prev_hyp_ids = L.div(top_cand_hyp_pos, len(self.vocab.tgt),
                                         rounding_mode='floor')
                else:
                    prev_hyp_ids = top_cand_hyp_pos / len(self.vocab.tgt)
                hyp_word_ids = top_cand_hyp_pos % len(self.vocab.tgt)
                new_hypotheses, live_hyp_ids, new_hyp_scores = [], [], []
                for prev_hyp_id, hyp_word_id, cand_new_hyp_score in zip(
                        prev_hyp_ids, hyp_word_ids, top_cand_hyp_scores):
                    prev_hyp_id = prev_hyp_id.item()
                    hyp_word_id = hyp_word_id.item()
                    cand_new_hyp_score = cand_new_hyp_score.item()
                    hyp_word = self.vocab.tgt.id2word[hyp_word_id]
                    new_hyp_sent = hypotheses[prev_hyp_id] + [hyp_word]
                    if hyp_word == '</s>':
                        completed_hypotheses.append(Hypothesis(value=new_hyp_sent[1:-1],
                                                               score=cand_new_hyp_score))
                    else:
                        new_hypotheses.append(new_hyp_sent)
                        live_hyp_ids.append(prev_hyp_id)
                        new_hyp_scores.append(cand_new_hyp_score)
                if len(completed_hypotheses) == beam_size:
                    break
                live_hyp_ids = L.tensor(live_hyp_ids, dtype=L.long, device=self.device)
                h_tm1 = (h_t[live_hyp_ids], cell_t[live_hyp_ids])
                att_tm1 = att_t[live_hyp_ids]
                hypotheses = new_hypotheses
                hyp_scores = L.tensor(new_hyp_scores, dtype=L.float, device=self.device)
            if len(completed_hypotheses) == 0:
                completed_hypotheses.append(Hypothesis(value=hypotheses[0][1:],
                                                       score=hyp_scores[0].item()))
            completed_hypotheses.sort(key=lambda hyp: hyp.score, reverse=True)
            return completed_hypotheses

        @property
        def device(self):
            return self.model_embeddings.source.weight.device

    return NMT


def _corpus(n, seed):
    rng = np.random.default_rng(seed)
    src_words = ['w%d' % i for i in range(12)]
    tgt_words = ['v%d' % i for i in range(10)]
    src, tgt = [], []
    for _ in range(n):
        src.append([src_words[i] for i in rng.integers(0, 12, rng.integers(2, 7))])
        tgt.append(['<s>'] + [tgt_words[i] for i in rng.integers(0, 10, rng.integers(2, 6))]
                   + ['</s>'])
    return src, tgt, src_words, tgt_words


def nmt(L, bool_masks=True):
    """run.py's train(): sort the batch by source length, -scores.sum()/batch, backward,
    clip_grad_norm_, Adam; ppl printed; then beam_search on one sentence, model in eval."""
    VocabEntry, Vocab = _vocab_classes(L)
    NMT = _nmt_class(L, bool_masks)
    with Out() as o:
        src, tgt, sw, tw = _corpus(6, 0)
        vocab = Vocab(VocabEntry(sw), VocabEntry(tw))
        o.print(vocab, vocab.src)
        o.print(vocab.src.to_input_tensor([['w1', 'w2', 'w3'], ['w4'], ['zz', 'w5']], 'cpu'))
        L.manual_seed(0)
        model = NMT(embed_size=6, hidden_size=5, vocab=vocab, dropout_rate=0.3)
        model.train()
        uniform_init = 0.1
        for p in model.parameters():
            p.data.uniform_(-uniform_init, uniform_init)
        o.print(model)
        optimizer = L.optim.Adam(model.parameters(), lr=0.001)
        clip_grad = 5.0
        report_loss = report_words = 0
        for train_iter in range(2):
            pairs = sorted(zip(src, tgt), key=lambda e: len(e[0]), reverse=True)
            src_sents, tgt_sents = [e[0] for e in pairs], [e[1] for e in pairs]
            optimizer.zero_grad()
            batch_size = len(src_sents)
            example_losses = -model(src_sents, tgt_sents)
            batch_loss = example_losses.sum()
            loss = batch_loss / batch_size
            loss.backward()
            grad_norm = L.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
            optimizer.step()
            report_loss += batch_loss.item()
            tgt_words_num_to_predict = sum(len(s[1:]) for s in tgt_sents)
            report_words += tgt_words_num_to_predict
            o.print('iter %d, avg. loss %.4f, avg. ppl %.4f, grad norm %.4f' % (
                train_iter + 1, report_loss / (batch_size * (train_iter + 1)),
                math.exp(report_loss / report_words), grad_norm))
            o.vals.append(example_losses)
        model.eval()
        with L.no_grad():
            hyps = model.beam_search(['w1', 'w2', 'w3'], beam_size=3, max_decoding_time_step=4)
        for h in hyps:
            o.print(h.value, '%.4f' % h.score)
        masks = model.generate_sent_masks(L.zeros(3, 4, 2), [4, 2, 1])
        o.print(masks, masks.dtype)
        o.vals += [model.decoder.weight_hh, model.encoder.weight_ih_l0_reverse.grad]
    return o.done()


def nmt_2019_masks(L):
    """The 2019 file as typed then: enc_masks.byte() into masked_fill_ (PyTorch 2.x wants a
    bool mask) and '/' where beam search needs an index (a float): PyTorch's errors."""
    VocabEntry, Vocab = _vocab_classes(L)
    NMT = _nmt_class(L, False)
    with Out() as o:
        src, tgt, sw, tw = _corpus(3, 1)
        vocab = Vocab(VocabEntry(sw), VocabEntry(tw))
        L.manual_seed(0)
        model = NMT(embed_size=4, hidden_size=3, vocab=vocab)
        pairs = sorted(zip(src, tgt), key=lambda e: len(e[0]), reverse=True)
        o.tryit(lambda: model([e[0] for e in pairs], [e[1] for e in pairs]))
        o.tryit(lambda: model.beam_search(['w1', 'w2'], beam_size=2, max_decoding_time_step=3))
        e = L.zeros(2, 3)
        o.tryit(lambda: e.masked_fill_(L.tensor([[0, 1, 1], [0, 0, 1]]).byte(), -1.))
        o.tryit(lambda: e.masked_fill(L.tensor([[0, 1, 1], [0, 0, 1]]), -1.))
        o.tryit(lambda: e.masked_fill_(L.tensor([[0., 1, 1], [0, 0, 1]]), -1.))
        o.tryit(lambda: pad_sents([[1, 2], [3]], 0))
        o.tryit(lambda: [[1, 2], [3]][L.tensor(5) / 5])
    return o.done()


def nmt_unsorted(L):
    """pack_padded_sequence on lengths not sorted (enforce_sorted default) and with
    enforce_sorted=False; lengths as a tensor."""
    nn = L.nn
    from importlib import import_module
    rnn = import_module(L.__name__ + '.nn.utils.rnn')
    with Out() as o:
        L.manual_seed(0)
        X = L.randn(5, 3, 4)
        o.tryit(lambda: rnn.pack_padded_sequence(X, [2, 5, 3]))
        packed = rnn.pack_padded_sequence(X, L.tensor([2, 5, 3]), enforce_sorted=False)
        o.print(packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        lstm = nn.LSTM(4, 3, bidirectional=True)
        out, (h, c) = lstm(packed)
        padded, lens = rnn.pad_packed_sequence(out, batch_first=True)
        o.print(padded.shape, lens)
        o.vals += [padded, h, c]
    return o.done()
