"""sgrvinod/a-PyTorch-Tutorial-to-Sequence-Labeling (models.py: Highway, CRF, LM_LSTM_CRF,
ViterbiLoss; inference.py: ViterbiDecoder; utils.py: log_sum_exp, clip_gradient,
create_input_tensors; train.py's step) on a tiny made-up CoNLL-like corpus, as
``prog(L) -> (printed, values)`` for tests/test_programs_s17_mitsgr.py."""

from functools import reduce

from s16_yunjey_progs import Out

WORDS = [["eu", "rejects", "german", "call"], ["peter", "blackburn"],
         ["the", "european", "commission", "said", "on", "thursday"]]
TAGS = [["B-ORG", "O", "B-MISC", "O"], ["B-PER", "I-PER"], ["O", "B-ORG", "I-ORG", "O", "O", "O"]]


def _maps():
    word_map = {k: v + 1 for v, k in enumerate(sorted({w for s in WORDS for w in s}))}
    chars = sorted({c for s in WORDS for w in s for c in w} | {' '})
    char_map = {k: v + 1 for v, k in enumerate(chars)}
    tag_map = {k: v + 1 for v, k in enumerate(sorted({t for s in TAGS for t in s}))}
    word_map['<pad>'] = 0; word_map['<end>'] = len(word_map); word_map['<unk>'] = len(word_map)
    char_map['<pad>'] = 0; char_map['<end>'] = len(char_map); char_map['<unk>'] = len(char_map)
    tag_map['<pad>'] = 0; tag_map['<start>'] = len(tag_map); tag_map['<end>'] = len(tag_map)
    return word_map, char_map, tag_map


def create_input_tensors(torch, words, tags, word_map, char_map, tag_map):
    wmaps = list(map(lambda s: list(map(lambda w: word_map.get(w, word_map['<unk>']), s)) + [word_map['<end>']], words))
    chars_f = list(map(lambda s: list(reduce(lambda x, y: list(x) + [' '] + list(y), s)) + [' '], words))
    chars_b = list(map(lambda s: list(reversed([' '] + list(reduce(lambda x, y: list(x) + [' '] + list(y), s)))), words))
    cmaps_f = list(map(lambda s: list(map(lambda c: char_map.get(c, char_map['<unk>']), s)) + [char_map['<end>']], chars_f))
    cmaps_b = list(map(lambda s: list(map(lambda c: char_map.get(c, char_map['<unk>']), s)) + [char_map['<end>']], chars_b))
    cmarkers_f = list(map(lambda s: [ind for ind in range(len(s)) if s[ind] == char_map[' ']] + [len(s) - 1], cmaps_f))
    cmarkers_b = list(map(lambda s: list(reversed([ind for ind in range(len(s)) if s[ind] == char_map[' ']])) + [len(s) - 1], cmaps_b))
    tmaps = list(map(lambda s: list(map(lambda t: tag_map[t], s)) + [tag_map['<end>']], tags))
    tmaps = list(map(lambda s: [tag_map['<start>'] * len(tag_map) + s[0]] + [s[i - 1] * len(tag_map) + s[i] for i in range(1, len(s))], tmaps))
    word_pad_len = max(list(map(lambda s: len(s), wmaps)))
    char_pad_len = max(list(map(lambda s: len(s), cmaps_f)))
    out = [[] for _ in range(8)]
    for w, cf, cb, cmf, cmb, t in zip(wmaps, cmaps_f, cmaps_b, cmarkers_f, cmarkers_b, tmaps):
        out[0].append(w + [word_map['<pad>']] * (word_pad_len - len(w)))
        out[1].append(cf + [char_map['<pad>']] * (char_pad_len - len(cf)))
        out[2].append(cb + [char_map['<pad>']] * (char_pad_len - len(cb)))
        out[3].append(cmf + [0] * (word_pad_len - len(w)))
        out[4].append(cmb + [0] * (word_pad_len - len(w)))
        out[5].append(t + [tag_map['<pad>']] * (word_pad_len - len(t)))
        out[6].append(len(w))
        out[7].append(len(cf))
    return [torch.LongTensor(o) for o in out]


def _classes(torch):
    nn = torch.nn
    from importlib import import_module
    rnn = import_module(torch.__name__ + ".nn.utils.rnn")
    pack_padded_sequence, pad_packed_sequence = rnn.pack_padded_sequence, rnn.pad_packed_sequence

    def log_sum_exp(tensor, dim):
        m, _ = torch.max(tensor, dim)
        m_expanded = m.unsqueeze(dim).expand_as(tensor)
        return m + torch.log(torch.sum(torch.exp(tensor - m_expanded), dim))

    class Highway(nn.Module):
        def __init__(self, size, num_layers=1, dropout=0.5):
            super(Highway, self).__init__()
            self.size = size
            self.num_layers = num_layers
            self.transform = nn.ModuleList()
            self.gate = nn.ModuleList()
            self.dropout = nn.Dropout(p=dropout)
            for i in range(num_layers):
                self.transform.append(nn.Linear(size, size))
                self.gate.append(nn.Linear(size, size))

        def forward(self, x):
            transformed = nn.functional.relu(self.transform[0](x))
            g = nn.functional.sigmoid(self.gate[0](x))
            out = g * transformed + (1 - g) * x
            for i in range(1, self.num_layers):
                out = self.dropout(out)
                transformed = nn.functional.relu(self.transform[i](out))
                g = nn.functional.sigmoid(self.gate[i](out))
                out = g * transformed + (1 - g) * out
            return out

    class CRF(nn.Module):
        def __init__(self, hidden_dim, tagset_size):
            super(CRF, self).__init__()
            self.tagset_size = tagset_size
            self.emission = nn.Linear(hidden_dim, self.tagset_size)
            self.transition = nn.Parameter(torch.Tensor(self.tagset_size, self.tagset_size))
            self.transition.data.zero_()

        def forward(self, feats):
            self.batch_size = feats.size(0)
            self.timesteps = feats.size(1)
            emission_scores = self.emission(feats)
            emission_scores = emission_scores.unsqueeze(2).expand(self.batch_size, self.timesteps, self.tagset_size, self.tagset_size)
            return emission_scores + self.transition.unsqueeze(0).unsqueeze(0)

    class LM_LSTM_CRF(nn.Module):
        def __init__(self, tagset_size, charset_size, char_emb_dim, char_rnn_dim, char_rnn_layers, vocab_size,
                     lm_vocab_size, word_emb_dim, word_rnn_dim, word_rnn_layers, dropout, highway_layers=1):
            super(LM_LSTM_CRF, self).__init__()
            self.tagset_size = tagset_size
            self.char_rnn_dim = char_rnn_dim
            self.dropout = nn.Dropout(p=dropout)
            self.char_embeds = nn.Embedding(charset_size, char_emb_dim)
            self.forw_char_lstm = nn.LSTM(char_emb_dim, char_rnn_dim, num_layers=char_rnn_layers, bidirectional=False, dropout=dropout)
            self.back_char_lstm = nn.LSTM(char_emb_dim, char_rnn_dim, num_layers=char_rnn_layers, bidirectional=False, dropout=dropout)
            self.word_embeds = nn.Embedding(vocab_size, word_emb_dim)
            self.word_blstm = nn.LSTM(word_emb_dim + char_rnn_dim * 2, word_rnn_dim // 2, num_layers=word_rnn_layers, bidirectional=True, dropout=dropout)
            self.crf = CRF((word_rnn_dim // 2) * 2, tagset_size)
            self.forw_lm_hw = Highway(char_rnn_dim, num_layers=highway_layers, dropout=dropout)
            self.back_lm_hw = Highway(char_rnn_dim, num_layers=highway_layers, dropout=dropout)
            self.subword_hw = Highway(2 * char_rnn_dim, num_layers=highway_layers, dropout=dropout)
            self.forw_lm_out = nn.Linear(char_rnn_dim, lm_vocab_size)
            self.back_lm_out = nn.Linear(char_rnn_dim, lm_vocab_size)

        def forward(self, cmaps_f, cmaps_b, cmarkers_f, cmarkers_b, wmaps, tmaps, wmap_lengths, cmap_lengths):
            self.batch_size = cmaps_f.size(0)
            self.word_pad_len = wmaps.size(1)
            cmap_lengths, char_sort_ind = cmap_lengths.sort(dim=0, descending=True)
            cmaps_f = cmaps_f[char_sort_ind]; cmaps_b = cmaps_b[char_sort_ind]
            cmarkers_f = cmarkers_f[char_sort_ind]; cmarkers_b = cmarkers_b[char_sort_ind]
            wmaps = wmaps[char_sort_ind]; tmaps = tmaps[char_sort_ind]
            wmap_lengths = wmap_lengths[char_sort_ind]
            cf = self.dropout(self.char_embeds(cmaps_f))
            cb = self.dropout(self.char_embeds(cmaps_b))
            cf = pack_padded_sequence(cf, cmap_lengths.tolist(), batch_first=True)
            cb = pack_padded_sequence(cb, cmap_lengths.tolist(), batch_first=True)
            cf, _ = self.forw_char_lstm(cf)
            cb, _ = self.back_char_lstm(cb)
            cf, _ = pad_packed_sequence(cf, batch_first=True)
            cb, _ = pad_packed_sequence(cb, batch_first=True)
            assert cf.size(1) == max(cmap_lengths.tolist()) == list(cmap_lengths)[0]
            cmarkers_f = cmarkers_f.unsqueeze(2).expand(self.batch_size, self.word_pad_len, self.char_rnn_dim)
            cmarkers_b = cmarkers_b.unsqueeze(2).expand(self.batch_size, self.word_pad_len, self.char_rnn_dim)
            cf_selected = torch.gather(cf, 1, cmarkers_f)
            cb_selected = torch.gather(cb, 1, cmarkers_b)
            if self.training:
                lm_f = self.forw_lm_hw(self.dropout(cf_selected))
                lm_b = self.back_lm_hw(self.dropout(cb_selected))
                lm_f_scores = self.forw_lm_out(self.dropout(lm_f))
                lm_b_scores = self.back_lm_out(self.dropout(lm_b))
            wmap_lengths, word_sort_ind = wmap_lengths.sort(dim=0, descending=True)
            wmaps = wmaps[word_sort_ind]; tmaps = tmaps[word_sort_ind]
            cf_selected = cf_selected[word_sort_ind]; cb_selected = cb_selected[word_sort_ind]
            if self.training:
                lm_f_scores = lm_f_scores[word_sort_ind]; lm_b_scores = lm_b_scores[word_sort_ind]
            w = self.dropout(self.word_embeds(wmaps))
            subword = self.subword_hw(self.dropout(torch.cat((cf_selected, cb_selected), dim=2)))
            subword = self.dropout(subword)
            w = torch.cat((w, subword), dim=2)
            w = pack_padded_sequence(w, list(wmap_lengths), batch_first=True)
            w, _ = self.word_blstm(w)
            w, _ = pad_packed_sequence(w, batch_first=True)
            w = self.dropout(w)
            crf_scores = self.crf(w)
            if self.training:
                return crf_scores, lm_f_scores, lm_b_scores, wmaps, tmaps, wmap_lengths, word_sort_ind, char_sort_ind
            return crf_scores, wmaps, tmaps, wmap_lengths, word_sort_ind, char_sort_ind

    class ViterbiLoss(nn.Module):
        def __init__(self, tag_map):
            super(ViterbiLoss, self).__init__()
            self.tagset_size = len(tag_map)
            self.start_tag = tag_map['<start>']
            self.end_tag = tag_map['<end>']

        def forward(self, scores, targets, lengths):
            batch_size = scores.size(0)
            word_pad_len = scores.size(1)
            targets = targets.unsqueeze(2)
            scores_at_targets = torch.gather(scores.view(batch_size, word_pad_len, -1), 2, targets).squeeze(2)
            scores_at_targets = pack_padded_sequence(scores_at_targets, lengths, batch_first=True).data
            gold_score = scores_at_targets.sum()
            scores_upto_t = torch.zeros(batch_size, self.tagset_size).to("cpu")
            for t in range(max(lengths)):
                batch_size_t = sum([l > t for l in lengths])
                if t == 0:
                    scores_upto_t[:batch_size_t] = scores[:batch_size_t, t, self.start_tag, :]
                else:
                    scores_upto_t[:batch_size_t] = log_sum_exp(
                        scores[:batch_size_t, t, :, :] + scores_upto_t[:batch_size_t].unsqueeze(2), dim=1)
            all_paths_scores = scores_upto_t[:, self.end_tag].sum()
            viterbi_loss = all_paths_scores - gold_score
            return viterbi_loss / batch_size

    class ViterbiDecoder():
        def __init__(self, tag_map):
            self.tagset_size = len(tag_map)
            self.start_tag = tag_map['<start>']
            self.end_tag = tag_map['<end>']

        def decode(self, scores, lengths):
            batch_size = scores.size(0)
            scores_upto_t = torch.zeros(batch_size, self.tagset_size)
            backpointers = torch.ones((batch_size, max(lengths), self.tagset_size), dtype=torch.long) * self.end_tag
            for t in range(max(lengths)):
                batch_size_t = sum([l > t for l in lengths])
                if t == 0:
                    scores_upto_t[:batch_size_t] = scores[:batch_size_t, t, self.start_tag, :]
                    backpointers[:batch_size_t, t, :] = torch.ones((batch_size_t, self.tagset_size), dtype=torch.long) * self.start_tag
                else:
                    scores_upto_t[:batch_size_t], backpointers[:batch_size_t, t, :] = torch.max(
                        scores[:batch_size_t, t, :, :] + scores_upto_t[:batch_size_t].unsqueeze(2), dim=1)
            decoded = torch.zeros((batch_size, backpointers.size(1)), dtype=torch.long)
            pointer = torch.ones((batch_size, 1), dtype=torch.long) * self.end_tag
            for t in list(reversed(range(backpointers.size(1)))):
                decoded[:, t] = torch.gather(backpointers[:, t, :], 1, pointer).squeeze(1)
                pointer = decoded[:, t].unsqueeze(1)
            assert torch.equal(decoded[:, 0], torch.ones((batch_size), dtype=torch.long) * torch.tensor(self.start_tag))
            decoded = torch.cat([decoded[:, 1:], torch.ones((batch_size, 1), dtype=torch.long) * self.start_tag], dim=1)
            return decoded

    return (log_sum_exp, Highway, LM_LSTM_CRF, ViterbiLoss, ViterbiDecoder, pack_padded_sequence)


def lm_lstm_crf(torch):
    nn = torch.nn
    log_sum_exp, Highway, LM_LSTM_CRF, ViterbiLoss, ViterbiDecoder, pack_padded_sequence = _classes(torch)
    with Out() as o:
        torch.manual_seed(0)
        word_map, char_map, tag_map = _maps()
        (wmaps, cmaps_f, cmaps_b, cmarkers_f, cmarkers_b, tmaps, wmap_lengths,
         cmap_lengths) = create_input_tensors(torch, WORDS, TAGS, word_map, char_map, tag_map)
        o.print(wmaps.shape, cmaps_f.shape, tmaps.dtype, cmap_lengths)
        x = torch.randn(2, 3, 4)
        o.vals += [log_sum_exp(x, 1), log_sum_exp(x, 2)]
        o.print(Highway(4, num_layers=2))
        model = LM_LSTM_CRF(tagset_size=len(tag_map), charset_size=len(char_map), char_emb_dim=5, char_rnn_dim=6,
                            char_rnn_layers=1, vocab_size=len(word_map), lm_vocab_size=len(word_map),
                            word_emb_dim=7, word_rnn_dim=8, word_rnn_layers=1, dropout=0.5, highway_layers=2)
        o.print(model)
        lm_criterion = nn.CrossEntropyLoss()
        crf_criterion = ViterbiLoss(tag_map)
        vb_decoder = ViterbiDecoder(tag_map)
        optimizer = torch.optim.SGD(params=filter(lambda p: p.requires_grad, model.parameters()), lr=0.015, momentum=0.9)
        for epoch in range(2):
            model.train()
            crf_scores, lm_f_scores, lm_b_scores, wmaps_sorted, tmaps_sorted, wmap_lengths_sorted, _, __ = model(
                cmaps_f, cmaps_b, cmarkers_f, cmarkers_b, wmaps, tmaps, wmap_lengths, cmap_lengths)
            lm_lengths = wmap_lengths_sorted - 1
            lm_lengths = lm_lengths.tolist()
            if epoch == 0:  # the tutorial's 'x, _ = pack_padded_sequence(...)' (PyTorch < 1.1)
                o.tryit(lambda: [len(pack_padded_sequence(lm_f_scores, lm_lengths, batch_first=True))])
                try:
                    a, _ = pack_padded_sequence(lm_f_scores, lm_lengths, batch_first=True)
                except ValueError as e:
                    o.print("ValueError", e)
            lm_f_scores = pack_padded_sequence(lm_f_scores, lm_lengths, batch_first=True).data
            lm_b_scores = pack_padded_sequence(lm_b_scores, lm_lengths, batch_first=True).data
            lm_f_targets = wmaps_sorted[:, 1:]
            lm_f_targets = pack_padded_sequence(lm_f_targets, lm_lengths, batch_first=True).data
            lm_b_targets = torch.cat([torch.LongTensor([word_map['<end>']] * wmaps_sorted.size(0)).unsqueeze(1), wmaps_sorted], dim=1)
            lm_b_targets = pack_padded_sequence(lm_b_targets, lm_lengths, batch_first=True).data
            ce_loss = lm_criterion(lm_f_scores, lm_f_targets) + lm_criterion(lm_b_scores, lm_b_targets)
            vb_loss = crf_criterion(crf_scores, tmaps_sorted, wmap_lengths_sorted)
            loss = ce_loss + vb_loss
            optimizer.zero_grad()
            loss.backward()
            for group in optimizer.param_groups:
                for param in group['params']:
                    if param.grad is not None:
                        param.grad.data.clamp_(-5., 5.)
            optimizer.step()
            decoded = vb_decoder.decode(crf_scores.to("cpu"), wmap_lengths_sorted.to("cpu"))
            decoded = pack_padded_sequence(decoded, (wmap_lengths_sorted - 1).tolist(), batch_first=True).data
            tmaps_sorted = tmaps_sorted % vb_decoder.tagset_size
            tmaps_sorted = pack_padded_sequence(tmaps_sorted, (wmap_lengths_sorted - 1).tolist(), batch_first=True).data
            acc = (decoded == tmaps_sorted).float().mean()
            o.print('Epoch: [{0}]\tCE Loss {ce:.4f}\tVB Loss {vb:.4f}\tacc {acc:.3f}'.format(
                epoch, ce=ce_loss.item(), vb=vb_loss.item(), acc=acc.item()))
            o.vals += [loss.detach(), decoded]
        model.eval()
        with torch.no_grad():
            crf_scores, wmaps_sorted, tmaps_sorted, wmap_lengths_sorted, _, __ = model(
                cmaps_f, cmaps_b, cmarkers_f, cmarkers_b, wmaps, tmaps, wmap_lengths, cmap_lengths)
            decoded = vb_decoder.decode(crf_scores, wmap_lengths_sorted)
        o.print(crf_scores.shape, decoded)
        o.vals += [crf_scores, model.crf.transition.detach()]
    return o.done()
