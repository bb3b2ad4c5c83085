"""sgrvinod/a-PyTorch-Tutorial-to-Text-Classification (model.py: HierarchialAttentionNetwork,
SentenceAttention, WordAttention with pack_padded_sequence / PackedSequence re-wrapping;
train.py's step) on random documents, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s17_mitsgr.py."""

from importlib import import_module

import numpy as np

from s16_yunjey_progs import Out


def _han(torch):
    nn = torch.nn
    F = nn.functional
    rnn = import_module(torch.__name__ + ".nn.utils.rnn")
    pack_padded_sequence, pad_packed_sequence, PackedSequence = (
        rnn.pack_padded_sequence, rnn.pad_packed_sequence, rnn.PackedSequence)

    class WordAttention(nn.Module):
        def __init__(self, vocab_size, emb_size, word_rnn_size, word_rnn_layers, word_att_size, dropout):
            super(WordAttention, self).__init__()
            self.embeddings = nn.Embedding(vocab_size, emb_size)
            self.word_rnn = nn.GRU(emb_size, word_rnn_size, num_layers=word_rnn_layers, bidirectional=True,
                                   dropout=dropout, batch_first=True)
            self.word_attention = nn.Linear(2 * word_rnn_size, word_att_size)
            self.word_context_vector = nn.Linear(word_att_size, 1, bias=False)
            self.dropout = nn.Dropout(dropout)

        def forward(self, sentences, words_per_sentence):
            sentences = self.dropout(self.embeddings(sentences))
            packed_words = pack_padded_sequence(sentences, lengths=words_per_sentence.tolist(), batch_first=True,
                                                enforce_sorted=False)
            packed_words, _ = self.word_rnn(packed_words)
            att_w = self.word_attention(packed_words.data)
            att_w = torch.tanh(att_w)
            att_w = self.word_context_vector(att_w).squeeze(1)
            max_value = att_w.max()
            att_w = torch.exp(att_w - max_value)
            att_w, _ = pad_packed_sequence(PackedSequence(data=att_w, batch_sizes=packed_words.batch_sizes,
                                                          sorted_indices=packed_words.sorted_indices,
                                                          unsorted_indices=packed_words.unsorted_indices),
                                           batch_first=True)
            word_alphas = att_w / torch.sum(att_w, dim=1, keepdim=True)
            sentences, _ = pad_packed_sequence(packed_words, batch_first=True)
            sentences = sentences * word_alphas.unsqueeze(2)
            sentences = sentences.sum(dim=1)
            return sentences, word_alphas

    class SentenceAttention(nn.Module):
        def __init__(self, vocab_size, emb_size, word_rnn_size, sentence_rnn_size, word_rnn_layers,
                     sentence_rnn_layers, word_att_size, sentence_att_size, dropout):
            super(SentenceAttention, self).__init__()
            self.word_attention = WordAttention(vocab_size, emb_size, word_rnn_size, word_rnn_layers,
                                                word_att_size, dropout)
            self.sentence_rnn = nn.GRU(2 * word_rnn_size, sentence_rnn_size, num_layers=sentence_rnn_layers,
                                       bidirectional=True, dropout=dropout, batch_first=True)
            self.sentence_attention = nn.Linear(2 * sentence_rnn_size, sentence_att_size)
            self.sentence_context_vector = nn.Linear(sentence_att_size, 1, bias=False)
            self.dropout = nn.Dropout(dropout)

        def forward(self, documents, sentences_per_document, words_per_sentence):
            packed_sentences = pack_padded_sequence(documents, lengths=sentences_per_document.tolist(),
                                                    batch_first=True, enforce_sorted=False)
            packed_words_per_sentence = pack_padded_sequence(words_per_sentence,
                                                             lengths=sentences_per_document.tolist(),
                                                             batch_first=True, enforce_sorted=False)
            sentences, word_alphas = self.word_attention(packed_sentences.data, packed_words_per_sentence.data)
            sentences = self.dropout(sentences)
            packed_sentences, _ = self.sentence_rnn(PackedSequence(data=sentences,
                                                                   batch_sizes=packed_sentences.batch_sizes,
                                                                   sorted_indices=packed_sentences.sorted_indices,
                                                                   unsorted_indices=packed_sentences.unsorted_indices))
            att_s = self.sentence_attention(packed_sentences.data)
            att_s = torch.tanh(att_s)
            att_s = self.sentence_context_vector(att_s).squeeze(1)
            max_value = att_s.max()
            att_s = torch.exp(att_s - max_value)
            att_s, _ = pad_packed_sequence(PackedSequence(data=att_s, batch_sizes=packed_sentences.batch_sizes,
                                                          sorted_indices=packed_sentences.sorted_indices,
                                                          unsorted_indices=packed_sentences.unsorted_indices),
                                           batch_first=True)
            sentence_alphas = att_s / torch.sum(att_s, dim=1, keepdim=True)
            documents, _ = pad_packed_sequence(packed_sentences, batch_first=True)
            documents = documents * sentence_alphas.unsqueeze(2)
            documents = documents.sum(dim=1)
            word_alphas, _ = pad_packed_sequence(PackedSequence(data=word_alphas,
                                                                batch_sizes=packed_sentences.batch_sizes,
                                                                sorted_indices=packed_sentences.sorted_indices,
                                                                unsorted_indices=packed_sentences.unsorted_indices),
                                                 batch_first=True)
            return documents, word_alphas, sentence_alphas

    class HierarchialAttentionNetwork(nn.Module):
        def __init__(self, n_classes, vocab_size, emb_size, word_rnn_size, sentence_rnn_size, word_rnn_layers,
                     sentence_rnn_layers, word_att_size, sentence_att_size, dropout=0.5):
            super(HierarchialAttentionNetwork, self).__init__()
            self.sentence_attention = SentenceAttention(vocab_size, emb_size, word_rnn_size, sentence_rnn_size,
                                                        word_rnn_layers, sentence_rnn_layers, word_att_size,
                                                        sentence_att_size, dropout)
            self.fc = nn.Linear(2 * sentence_rnn_size, n_classes)
            self.dropout = nn.Dropout(dropout)

        def forward(self, documents, sentences_per_document, words_per_sentence):
            document_embeddings, word_alphas, sentence_alphas = self.sentence_attention(
                documents, sentences_per_document, words_per_sentence)
            scores = self.fc(self.dropout(document_embeddings))
            return scores, word_alphas, sentence_alphas

    return HierarchialAttentionNetwork, pack_padded_sequence, pad_packed_sequence, PackedSequence


def _docs(torch, seed=0):
    """4 documents of up to 3 sentences of up to 5 words (ids 1..19, 0 pad), labels 0..2."""
    rng = np.random.default_rng(seed)
    spd = np.array([3, 1, 2, 3])
    wps = np.zeros((4, 3), dtype=np.int64)
    docs = np.zeros((4, 3, 5), dtype=np.int64)
    for d in range(4):
        for s in range(spd[d]):
            wps[d, s] = rng.integers(1, 6)
            docs[d, s, :wps[d, s]] = rng.integers(1, 20, wps[d, s])
    return (torch.from_numpy(docs), torch.from_numpy(spd), torch.from_numpy(wps),
            torch.from_numpy(rng.integers(0, 3, 4)))


def han(torch):
    nn = torch.nn
    HAN, pack_padded_sequence, pad_packed_sequence, PackedSequence = _han(torch)
    with Out() as o:
        torch.manual_seed(0)
        documents, sentences_per_document, words_per_sentence, labels = _docs(torch)
        # the tutorial's first version: 'sentences, bs = pack_padded_sequence(...)' (PyTorch < 1.1)
        try:
            sentences, bs = pack_padded_sequence(documents, lengths=sentences_per_document.tolist(), batch_first=True)
        except (ValueError, RuntimeError) as e:
            o.print(type(e).__name__, str(e).splitlines()[0])
        p = pack_padded_sequence(documents, lengths=sentences_per_document.tolist(), batch_first=True,
                                 enforce_sorted=False)
        o.print(p.batch_sizes, p.sorted_indices, p.unsorted_indices, p.data.shape, len(p), type(p).__name__)
        o.print(PackedSequence(p.data, p.batch_sizes).sorted_indices)
        model = HAN(n_classes=3, vocab_size=20, emb_size=6, word_rnn_size=5, sentence_rnn_size=4,
                    word_rnn_layers=1, sentence_rnn_layers=1, word_att_size=7, sentence_att_size=6, dropout=0.3)
        o.print(model)
        optimizer = torch.optim.Adam(params=filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3)
        criterion = nn.CrossEntropyLoss()
        for i in range(2):
            model.train()
            scores, word_alphas, sentence_alphas = model(documents, sentences_per_document, words_per_sentence)
            loss = criterion(scores, labels)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            _, predictions = scores.max(dim=1)
            correct_predictions = torch.eq(predictions, labels).sum().item()
            accuracy = correct_predictions / labels.size(0)
            o.print('Epoch: [{0}][{1}/{2}]\tLoss {loss:.4f}\tAccuracy {acc:.3f}'.format(
                0, i, 2, loss=loss.item(), acc=accuracy))
            o.vals += [loss.detach(), word_alphas.detach(), sentence_alphas.detach()]
        model.eval()
        with torch.no_grad():
            scores, word_alphas, sentence_alphas = model(documents[:1], sentences_per_document[:1],
                                                         words_per_sentence[:1])
            scores = scores.squeeze(0)
            scores = nn.functional.softmax(scores, dim=0)
            word_alphas = word_alphas.squeeze(0)
            sentence_alphas = sentence_alphas.squeeze(0)
            words_in_each_sentence = words_per_sentence.squeeze(0)
        score, prediction = scores.max(dim=0)
        o.print(word_alphas.shape, sentence_alphas.shape, prediction, words_in_each_sentence.shape)
        o.vals += [scores, word_alphas, sentence_alphas, score]
    return o.done()
