"""More speech programs: deepspeech.pytorch's unidirectional model (GRU with the Lookahead
layer, AdamW, an infeasible batch that zero_infinity turns to 0) and espnet2's CTC module
(espnet2/asr/ctc.py: ctc_type 'builtin' with zero_infinity, and 'builtin2', which calls the
loss's grad_fn directly to find the samples with nan gradients and drops them). Each
program is ``prog(torch) -> (printed lines, values)``; see tests/test_programs_s21_speech.py."""

import logging

import numpy as np
from s16_yunjey_progs import Out
from s21_speech_progs import (LABELS, _train, check_loss, deepspeech_modules, greedy_decoder,
                              spectrogram_batches)


def deepspeech_unidirectional(torch):
    """UniDirectionalConfig (GRU) with the Lookahead layer, AdamW, check_loss on a batch
    whose transcript is too long for its frames (zero_infinity gives 0)."""
    torch.manual_seed(1)
    DeepSpeech, SequenceWise, Lookahead = deepspeech_modules(torch)
    GreedyDecoder = greedy_decoder(torch)
    with Out() as o:
        model = DeepSpeech(LABELS, torch.nn.GRU, hidden_size=10, hidden_layers=2,
                           bidirectional=False, lookahead_context=4)
        o.print(model.lookahead)
        o.print(model.rnns[1].rnn)
        batches = spectrogram_batches(torch, seed=3)
        inputs, targets, input_percentages, target_sizes = spectrogram_batches(torch, 1, 4)[0]
        # a transcript longer than the 8 frames of the short utterance: an inf loss
        long_targets = torch.tensor([2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2] + [2, 3], dtype=torch.long)
        bad = (inputs, long_targets, input_percentages.clone(), torch.IntTensor([2, 11]))
        optimizer = torch.optim.AdamW(params=model.parameters(), lr=1.5e-4,
                                      betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-5)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer=optimizer, gamma=0.9)
        model.train()
        _train(torch, o, model, batches + [bad], optimizer, scheduler)
        crit = torch.nn.CTCLoss(blank=0, reduction='sum', zero_infinity=False)
        out, output_sizes = model(bad[0], torch.IntTensor([20, 16]))
        lp = out.transpose(0, 1).log_softmax(-1)
        loss = crit(lp, bad[1], output_sizes, bad[3])
        o.print(loss, check_loss(torch)(loss, loss.item()))
        loss_none = torch.nn.CTCLoss(reduction='none', zero_infinity=True)(
            lp, bad[1], output_sizes, bad[3])
        o.print(loss_none)
        loss_none.sum().backward()
        o.print('%.4f' % model.fc[0].module[1].weight.grad.norm().item())
        model.eval()
        with torch.no_grad():
            out, output_sizes = model(batches[0][0], torch.tensor([20, 13]))
        decoded_output, offsets = GreedyDecoder(LABELS).decode(out, output_sizes)
        o.print(decoded_output, offsets, output_sizes)
        o.vals += [out, model.lookahead[0].conv.weight]
    return o.lines, o.vals


def espnet_ctc_module(torch):
    F = torch.nn.functional

    class CTC(torch.nn.Module):
        def __init__(self, odim, encoder_output_size, dropout_rate=0.0, ctc_type="builtin",
                     reduce=True, ignore_nan_grad=None, zero_infinity=True):
            super().__init__()
            eprojs = encoder_output_size
            self.dropout_rate = dropout_rate
            self.ctc_lo = torch.nn.Linear(eprojs, odim)
            self.ctc_type = ctc_type
            if ignore_nan_grad is not None:
                zero_infinity = ignore_nan_grad
            if self.ctc_type == "builtin":
                self.ctc_loss = torch.nn.CTCLoss(reduction="none", zero_infinity=zero_infinity)
            elif self.ctc_type == "builtin2":
                self.ignore_nan_grad = True
                logging.warning("builtin2")
                self.ctc_loss = torch.nn.CTCLoss(reduction="none")
            else:
                raise ValueError(f'ctc_type must be "builtin" or "builtin2": {self.ctc_type}')
            self.reduce = reduce

        def loss_fn(self, th_pred, th_target, th_ilen, th_olen):
            if self.ctc_type == "builtin":
                th_pred = th_pred.log_softmax(2).float()
                loss = self.ctc_loss(th_pred, th_target, th_ilen, th_olen)
                size = th_pred.size(1)
                if self.reduce:
                    loss = loss.sum() / size
                else:
                    loss = loss / size
                return loss
            elif self.ctc_type == "builtin2":
                th_pred = th_pred.log_softmax(2).float()
                loss = self.ctc_loss(th_pred, th_target, th_ilen, th_olen)
                if loss.requires_grad and self.ignore_nan_grad:
                    ctc_grad = loss.grad_fn(torch.ones_like(loss))
                    ctc_grad = ctc_grad.sum([0, 2])
                    indices = torch.isfinite(ctc_grad)
                    size = indices.long().sum()
                    if size == 0:
                        logging.warning("All samples in this mini-batch got nan grad."
                                        " Returning nan value instead of CTC loss")
                    elif size != th_pred.size(1):
                        logging.warning(f"{th_pred.size(1) - size}/{th_pred.size(1)}"
                                        " samples got nan grad."
                                        " These were ignored for CTC loss.")
                        target_mask = torch.full([th_target.size(0)], 1, dtype=torch.bool,
                                                 device=th_target.device)
                        s = 0
                        for ind, le in enumerate(th_olen):
                            if not indices[ind]:
                                target_mask[s: s + le] = 0
                            s += le
                        loss = self.ctc_loss(th_pred[:, indices, :], th_target[target_mask],
                                             th_ilen[indices], th_olen[indices])
                else:
                    size = th_pred.size(1)
                if self.reduce:
                    loss = loss.sum() / size
                else:
                    loss = loss / size
                return loss

        def forward(self, hs_pad, hlens, ys_pad, ys_lens):
            ys_hat = self.ctc_lo(F.dropout(hs_pad, p=self.dropout_rate))
            ys_hat = ys_hat.transpose(0, 1)
            ys_true = torch.cat([ys_pad[i, :l] for i, l in enumerate(ys_lens)])
            loss = self.loss_fn(ys_hat, ys_true, hlens, ys_lens).to(
                device=hs_pad.device, dtype=hs_pad.dtype)
            return loss

        def softmax(self, hs_pad):
            return F.softmax(self.ctc_lo(hs_pad), dim=2)

    return CTC


def espnet_ctc(torch):
    """builtin (zero_infinity) in training on a batch whose third utterance is too short for
    its transcript, gradients of the encoder output; builtin2 in validation (no_grad, so
    its grad_fn call is skipped: see the report on Node.__call__)."""
    torch.manual_seed(0)
    CTC = espnet_ctc_module(torch)
    rng = np.random.RandomState(1)
    with Out() as o:
        hs = rng.standard_normal((3, 6, 8)).astype(np.float32)
        hlens = torch.tensor([6, 5, 2])
        ys_pad = torch.tensor([[1, 2, 3], [2, 2, -1], [3, 1, 3]])
        ys_lens = torch.tensor([3, 2, 3])
        for reduce in (True, False):
            torch.manual_seed(0)
            ctc = CTC(5, 8, ctc_type="builtin", reduce=reduce)
            hs_pad = torch.from_numpy(hs.copy()).requires_grad_()
            loss = ctc(hs_pad, hlens, ys_pad, ys_lens)
            o.print(reduce, loss.shape, loss.dtype, type(loss.grad_fn).__name__)
            loss.sum().backward()
            o.vals += [loss, hs_pad.grad, ctc.ctc_lo.weight.grad]
        for reduce in (True, False):
            torch.manual_seed(0)
            ctc = CTC(5, 8, ctc_type="builtin2", reduce=reduce)
            with torch.no_grad():
                loss = ctc(torch.from_numpy(hs), hlens, ys_pad, ys_lens)
            o.print(loss, ctc.softmax(torch.from_numpy(hs)).argmax(-1))
            o.vals.append(loss)
        with torch.no_grad():
            loss = ctc(torch.from_numpy(hs)[:, :2], torch.tensor([2, 2, 2]), ys_pad, ys_lens)
        o.print(loss)
    return o.lines, o.vals
