"""CTC users beside deepspeech.pytorch, as they type them: wenet-e2e/wenet
(wenet/transformer/ctc.py: the CTC module with ctc_lo, log_softmax, argmax, forced_align;
wenet/utils/common.py: insert_blank, remove_duplicates_and_blank; wenet/utils/mask.py:
make_pad_mask; the ctc_greedy_search of the ASR model) on a tiny Linear encoder, and the
nn.CTCLoss documentation example (padded and unpadded targets, as a training step).
Each program is ``prog(torch) -> (printed lines, values)``; see
tests/test_programs_s21_speech.py."""

import numpy as np
from s16_yunjey_progs import Out


def wenet_helpers(torch):
    def insert_blank(label, blank_id=0):
        """Insert blank token between every two label token."""
        label = np.expand_dims(label, 1)
        blanks = np.zeros((label.shape[0], 1), dtype=np.int64) + blank_id
        label = np.concatenate([blanks, label], axis=1)
        label = label.reshape(-1)
        label = np.append(label, label[0])
        return label

    def remove_duplicates_and_blank(hyp, blank_id=0):
        new_hyp = []
        cur = 0
        while cur < len(hyp):
            if hyp[cur] != blank_id:
                new_hyp.append(hyp[cur])
            prev = cur
            while cur < len(hyp) and hyp[cur] == hyp[prev]:
                cur += 1
        return new_hyp

    def make_pad_mask(lengths, max_len=0):
        batch_size = lengths.size(0)
        max_len = max_len if max_len > 0 else lengths.max().item()
        seq_range = torch.arange(0, max_len, dtype=torch.int64, device=lengths.device)
        seq_range_expand = seq_range.unsqueeze(0).expand(batch_size, max_len)
        seq_length_expand = lengths.unsqueeze(-1)
        mask = seq_range_expand >= seq_length_expand
        return mask

    return insert_blank, remove_duplicates_and_blank, make_pad_mask


def wenet_ctc_module(torch):
    F = torch.nn.functional
    insert_blank, _, _ = wenet_helpers(torch)

    class CTC(torch.nn.Module):
        """CTC module"""

        def __init__(self, odim, encoder_output_size, dropout_rate=0.0, reduce=True):
            super().__init__()
            eprojs = encoder_output_size
            self.dropout_rate = dropout_rate
            self.ctc_lo = torch.nn.Linear(eprojs, odim)
            reduction_type = "sum" if reduce else "none"
            self.ctc_loss = torch.nn.CTCLoss(reduction=reduction_type)

        def forward(self, hs_pad, hlens, ys_pad, ys_lens):
            ys_hat = self.ctc_lo(F.dropout(hs_pad, p=self.dropout_rate))
            ys_hat = ys_hat.transpose(0, 1)
            ys_hat = ys_hat.log_softmax(2)
            loss = self.ctc_loss(ys_hat, ys_pad, hlens, ys_lens)
            loss = loss / ys_hat.size(1)
            return loss

        def log_softmax(self, hs_pad):
            return F.log_softmax(self.ctc_lo(hs_pad), dim=2)

        def argmax(self, hs_pad):
            return torch.argmax(self.ctc_lo(hs_pad), dim=2)

        def forced_align(self, ctc_probs, y, blank_id=0):
            ctc_hyps = ctc_probs
            y_insert_blank = insert_blank(y, blank_id)
            log_alpha = torch.zeros((ctc_hyps.size(0), len(y_insert_blank)))
            log_alpha = log_alpha - float('inf')
            state_path = (torch.zeros((ctc_hyps.size(0), len(y_insert_blank)),
                                      dtype=torch.int16) - 1)
            log_alpha[0, 0] = ctc_hyps[0][y_insert_blank[0]]
            log_alpha[0, 1] = ctc_hyps[0][y_insert_blank[1]]
            for t in range(1, ctc_hyps.size(0)):
                for s in range(len(y_insert_blank)):
                    if y_insert_blank[s] == blank_id or s < 2 or y_insert_blank[
                            s] == y_insert_blank[s - 2]:
                        candidates = torch.tensor(
                            [log_alpha[t - 1, s], log_alpha[t - 1, s - 1]])
                        prev_state = [s, s - 1]
                    else:
                        candidates = torch.tensor([
                            log_alpha[t - 1, s],
                            log_alpha[t - 1, s - 1],
                            log_alpha[t - 1, s - 2],
                        ])
                        prev_state = [s, s - 1, s - 2]
                    log_alpha[t, s] = torch.max(candidates) + ctc_hyps[t][y_insert_blank[s]]
                    state_path[t, s] = prev_state[torch.argmax(candidates)]
            state_seq = -1 * torch.ones((ctc_hyps.size(0), 1), dtype=torch.int16)
            candidates = torch.tensor([
                log_alpha[-1, len(y_insert_blank) - 1],
                log_alpha[-1, len(y_insert_blank) - 2]
            ])
            prev_state = [len(y_insert_blank) - 1, len(y_insert_blank) - 2]
            state_seq[-1] = prev_state[torch.argmax(candidates)]
            for t in range(ctc_hyps.size(0) - 2, -1, -1):
                state_seq[t] = state_path[t + 1, state_seq[t + 1, 0]]
            output_alignment = []
            for t in range(0, ctc_hyps.size(0)):
                output_alignment.append(y_insert_blank[state_seq[t, 0]])
            return output_alignment

    return CTC


def wenet_ctc(torch):
    """A Linear encoder with the wenet CTC head: training steps with Adam, the greedy
    search with make_pad_mask / topk / masked_fill_, and a forced alignment."""
    torch.manual_seed(0)
    nn = torch.nn
    CTC = wenet_ctc_module(torch)
    _, remove_duplicates_and_blank, make_pad_mask = wenet_helpers(torch)
    rng = np.random.RandomState(0)
    vocab, feat, hid = 6, 8, 16
    with Out() as o:
        encoder = nn.Sequential(nn.Linear(feat, hid), nn.ReLU(), nn.LayerNorm(hid))
        ctc = CTC(vocab, hid, dropout_rate=0.1)
        o.print(ctc)
        params = list(encoder.parameters()) + list(ctc.parameters())
        optimizer = torch.optim.Adam(params, lr=1e-2)
        speech = torch.from_numpy(rng.standard_normal((3, 12, feat)).astype(np.float32))
        speech_lengths = torch.tensor([12, 10, 7], dtype=torch.int32)
        ys_pad = torch.tensor([[1, 2, 3, 2], [4, 4, -1, -1], [5, 1, 5, -1]])
        ys_lens = torch.tensor([4, 2, 3])
        for step in range(4):
            mask = ~make_pad_mask(speech_lengths, speech.size(1)).unsqueeze(1)
            encoder_out = encoder(speech) * mask.transpose(1, 2)
            encoder_out_lens = mask.squeeze(1).sum(1)
            loss_ctc = ctc(encoder_out, encoder_out_lens, ys_pad, ys_lens)
            optimizer.zero_grad()
            loss_ctc.backward()
            grad_norm = nn.utils.clip_grad_norm_(params, 5.0)
            optimizer.step()
            o.print('step', step, 'loss_ctc {:.4f}'.format(loss_ctc.item()))
            o.vals += [loss_ctc.detach(), grad_norm]
        o.print(encoder_out_lens, encoder_out_lens.dtype)
        ctc.eval()
        encoder.eval()
        with torch.no_grad():
            encoder_out = encoder(speech)
            batch_size, maxlen = encoder_out.size(0), encoder_out.size(1)
            ctc_probs = ctc.log_softmax(encoder_out)
            topk_prob, topk_index = ctc_probs.topk(1, dim=2)
            topk_index = topk_index.view(batch_size, maxlen)
            mask = make_pad_mask(encoder_out_lens, maxlen)
            topk_index = topk_index.masked_fill_(mask, vocab - 1)
            hyps = [hyp.tolist() for hyp in topk_index]
            scores = topk_prob.max(1)
            hyps = [remove_duplicates_and_blank(hyp) for hyp in hyps]
            o.print(hyps)
            o.print(type(scores).__name__, scores.values.shape, scores.indices.dtype)
            o.print(ctc.argmax(encoder_out)[1])
            alignment = ctc.forced_align(ctc_probs[0], ys_pad[0].numpy())
            o.print(alignment)
            o.vals += [ctc_probs, scores.values, ctc.ctc_lo.weight]
    return o.lines, o.vals


def ctc_docs_example(torch):
    """The nn.CTCLoss docstring example: padded targets, then unpadded (concatenated)
    targets, each backward; the gradients' norms and a few more reductions."""
    torch.manual_seed(0)
    nn = torch.nn
    with Out() as o:
        T, C, N, S = 12, 6, 4, 5
        S_min = 2
        input = torch.randn(T, N, C).log_softmax(2).detach().requires_grad_()
        target = torch.randint(low=1, high=C, size=(N, S), dtype=torch.long)
        input_lengths = torch.full(size=(N,), fill_value=T, dtype=torch.long)
        target_lengths = torch.randint(low=S_min, high=S, size=(N,), dtype=torch.long)
        ctc_loss = nn.CTCLoss()
        loss = ctc_loss(input, target, input_lengths, target_lengths)
        loss.backward()
        o.print(ctc_loss, loss)
        o.vals += [loss, input.grad]
        input = torch.randn(T, N, C).log_softmax(2).detach().requires_grad_()
        input_lengths = torch.full(size=(N,), fill_value=T, dtype=torch.long)
        target_lengths = torch.randint(low=1, high=T, size=(N,), dtype=torch.long)
        target = torch.randint(low=1, high=C, size=(sum(target_lengths),), dtype=torch.long)
        loss = ctc_loss(input, target, input_lengths, target_lengths)
        loss.backward()
        o.print(loss, target_lengths)
        o.vals += [loss, input.grad]
        # unbatched input, as the docstring's third case
        input = torch.randn(T, C).log_softmax(1).detach().requires_grad_()
        input_lengths = torch.tensor(T, dtype=torch.long)
        target_lengths = torch.randint(low=1, high=T, size=(), dtype=torch.long)
        target = torch.randint(low=1, high=C, size=(target_lengths,), dtype=torch.long)
        loss = ctc_loss(input, target, input_lengths, target_lengths)
        loss.backward()
        o.print(loss, loss.shape, input.grad.shape)
        o.vals += [loss, input.grad]
        for red in ('none', 'sum', 'mean'):
            for zi in (False, True):
                crit = nn.CTCLoss(blank=C - 1, reduction=red, zero_infinity=zi)
                x = torch.randn(4, 2, C, dtype=torch.float64).log_softmax(2).requires_grad_()
                tg = torch.tensor([[1, 1, 2], [3, 3, 3]], dtype=torch.int32)
                loss = crit(x, tg, torch.tensor([4, 4]), torch.tensor([3, 1]))
                o.print(crit, loss)
                loss.sum().backward()
                o.vals += [x.grad]
    return o.lines, o.vals
