"""The mistakes speech users make with CTC (deepspeech.pytorch's issues: lengths beyond
the frames, targets as floats or longer than declared, the blank outside the classes,
half precision, lengths given as lists of different kinds) and check_loss on nan / inf /
valid losses. Each program is ``prog(torch) -> (printed lines, values)``; see
tests/test_programs_s21_speech.py."""

from s16_yunjey_progs import Out
from s21_speech_progs import check_loss


def ctc_mistakes(torch):
    F = torch.nn.functional
    torch.manual_seed(0)
    with Out() as o:
        lp = torch.randn(6, 2, 5).log_softmax(2)
        tg = torch.tensor([[1, 2, 3], [2, 2, 0]])
        il, tl = torch.tensor([6, 5]), torch.tensor([3, 2])
        o.tryit(lambda: F.ctc_loss(lp, tg, torch.tensor([7, 5]), tl))
        o.tryit(lambda: F.ctc_loss(lp, tg, torch.tensor([6, -1]), tl))
        o.tryit(lambda: F.ctc_loss(lp, tg, il, torch.tensor([4, 2])))
        o.tryit(lambda: F.ctc_loss(lp, tg, il, torch.tensor([3, -2])))
        o.tryit(lambda: F.ctc_loss(lp, tg.float(), il, tl))
        o.tryit(lambda: F.ctc_loss(lp, tg, il.float(), tl))
        o.tryit(lambda: F.ctc_loss(lp, tg, il, tl, blank=5))
        o.tryit(lambda: F.ctc_loss(lp, tg, il, tl, blank=-1))
        o.tryit(lambda: F.ctc_loss(lp, tg, il, tl, reduction='avg'))
        o.tryit(lambda: F.ctc_loss(lp.half(), tg, il, tl))
        o.tryit(lambda: F.ctc_loss(lp, tg, [6, 5], tl))
        o.tryit(lambda: F.ctc_loss(lp, tg, [6, 5], [3, 2]))
        o.tryit(lambda: F.ctc_loss(lp, tg, (6, 5), (3, 2), reduction='none'))
        o.tryit(lambda: F.ctc_loss(lp, tg, il.int(), tl.int(), reduction='sum'))
        o.tryit(lambda: F.ctc_loss(lp, tg.int(), il, tl, reduction='none'))
        o.tryit(lambda: F.ctc_loss(lp, torch.tensor([1, 2, 3, 2, 2]), il, tl))
        o.tryit(lambda: F.ctc_loss(lp, torch.tensor([1, 2, 3, 2]), il, tl))
        o.tryit(lambda: F.ctc_loss(lp, tg[:, :1], il, tl))
        o.tryit(lambda: F.ctc_loss(lp, tg[:1], il, tl))
        o.tryit(lambda: F.ctc_loss(lp[0], tg, il, tl))
        o.tryit(lambda: F.ctc_loss(lp, tg, il[:1], tl))
        o.tryit(lambda: F.ctc_loss(lp, tg, il, tl[:1]))
        o.tryit(lambda: torch.nn.CTCLoss(reduction='none')(lp, tg, il, tl).dtype)
        o.tryit(lambda: F.ctc_loss(lp.double(), tg, il, tl).dtype)
        o.tryit(lambda: F.ctc_loss(torch.randn(6, 2, 5), tg, il, tl))  # raw logits: no check
        o.tryit(lambda: F.ctc_loss(lp[:0], tg, torch.tensor([0, 0]), torch.tensor([0, 0]),
                                   reduction='none'))
        o.tryit(lambda: F.ctc_loss(lp, tg, torch.tensor([0, 5]), torch.tensor([0, 2]),
                                   reduction='none'))
    return o.lines, o.vals


def check_loss_cases(torch):
    """utils.check_loss on what the criterion gives, as train.py calls it."""
    check = check_loss(torch)
    torch.manual_seed(2)
    with Out() as o:
        lp = torch.randn(5, 2, 4).log_softmax(2).requires_grad_()
        tg = torch.tensor([1, 2, 1, 1, 3, 1, 3, 2])
        sizes = torch.IntTensor([5, 3])
        for zi in (False, True):
            for tl in ([2, 6], [2, 2], [3, 5]):
                crit = torch.nn.CTCLoss(reduction='sum', zero_infinity=zi)
                loss = crit(lp, tg[:sum(tl)], sizes, torch.IntTensor(tl))
                loss = loss / 2
                loss_value = loss.item()
                o.print(zi, tl, '%.4f' % loss_value, check(loss, loss_value))
                if check(loss, loss_value)[0]:
                    lp.grad = None
                    loss.backward()
                    o.vals.append(lp.grad)
        nan = torch.tensor(float('nan'), requires_grad=True) * 2
        o.print(check(nan, nan.item()), check(-nan.detach().abs() - 1, -1.0))
    return o.lines, o.vals


def packed_and_hardtanh(torch):
    """What BatchRNN and the conv stack lean on, as users poke at it: pack_padded_sequence
    with int32 / list lengths, unsorted lengths (the error, then enforce_sorted=False),
    pad_packed_sequence with total_length, a bidirectional LSTM's final states, and
    Hardtanh(0, 20, inplace=True) on a masked conv output."""
    nn = torch.nn
    rnn_utils = nn.utils.rnn
    torch.manual_seed(4)
    with Out() as o:
        x = torch.randn(5, 3, 4)
        packed = rnn_utils.pack_padded_sequence(x, torch.IntTensor([5, 3, 2]))
        o.print(packed.batch_sizes, packed.data.shape, packed.sorted_indices,
                packed.unsorted_indices)
        o.tryit(lambda: rnn_utils.pack_padded_sequence(x, torch.tensor([3, 5, 2])))
        o.tryit(lambda: rnn_utils.pack_padded_sequence(x, [5, 3, 0]))
        o.tryit(lambda: rnn_utils.pack_padded_sequence(x, torch.tensor([5., 3, 2])))
        p2 = rnn_utils.pack_padded_sequence(x, torch.tensor([3, 5, 2]), enforce_sorted=False)
        o.print(p2.batch_sizes, p2.sorted_indices, p2.unsorted_indices)
        lstm = nn.LSTM(4, 3, bidirectional=True)
        out, (h, c) = lstm(p2)
        padded, lens = rnn_utils.pad_packed_sequence(out, total_length=6)
        o.print(padded.shape, lens, lens.dtype, h.shape, c.shape)
        o.tryit(lambda: rnn_utils.pad_packed_sequence(out, total_length=4))
        o.vals += [padded, h, c]
        summed = padded.view(padded.size(0), padded.size(1), 2, -1).sum(2).view(
            padded.size(0), padded.size(1), -1)
        o.vals.append(summed)
        conv = nn.Sequential(nn.Conv2d(1, 2, kernel_size=(3, 3), stride=(2, 1), padding=(1, 1)),
                             nn.BatchNorm2d(2), nn.Hardtanh(0, 20, inplace=True))
        o.print(conv)
        img = torch.randn(2, 1, 6, 5) * 30
        y = conv(img)
        mask = torch.BoolTensor(y.size()).fill_(0)
        mask[1].narrow(2, 3, 2).fill_(1)
        y = y.masked_fill(mask, 0)
        o.print(y.min().item() >= 0, y.max().item() <= 20, y.grad_fn.name())
        y.sum().backward()
        o.vals += [y, conv[0].weight.grad, conv[1].running_mean]
        o.tryit(lambda: nn.Hardtanh(20, 0))
        o.print(nn.Hardtanh(0, 20), nn.Hardtanh(-2.5, 2.5, inplace=True), nn.Hardtanh())
    return o.lines, o.vals
