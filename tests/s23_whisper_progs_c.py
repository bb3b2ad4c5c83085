"""openai/whisper's decoding.py, audio.py and timing.py pieces as users run them: the logit
filters SuppressBlank, SuppressTokens, ApplyTimestampRules (logsumexp over the timestamp
logprobs), GreedyDecoder (temperature 0 and Categorical sampling, sum_logprobs), BeamSearchDecoder
update / finalize on tiny beams, MaximumLikelihoodRanker and DecodingTask's main loop on the tiny
model with a toy tokenizer; audio.pad_or_trim and log_mel_spectrogram's post-processing on a
random magnitude tensor (no torch.stft: ember has no complex dtype), with a random mel filter
bank; timing.median_filter (reflect F.pad + unfold + sort) and the DTW on NumPy."""

import numpy as np
from s23_whisper_progs import make_model, mel_input


class ToyTokenizer:
    """Vocab 60: text 0..39, eot 40, sot 41, transcribe 42, translate 43, sot_prev 44,
    sot_lm 45, no_speech 46, no_timestamps 47, timestamps 48..59."""
    eot, sot, transcribe, translate, sot_prev, sot_lm = 40, 41, 42, 43, 44, 45
    no_speech, no_timestamps, timestamp_begin = 46, 47, 48
    sot_sequence = (41, 42)

    def encode(self, text):
        return [220 % 40] if text == " " else [ord(c) % 40 for c in text]


def decoding_pieces(L):
    torch, F = L, L.nn.functional
    Categorical = L.distributions.Categorical

    class SuppressBlank:
        def __init__(self, tokenizer, sample_begin):
            self.tokenizer = tokenizer
            self.sample_begin = sample_begin

        def apply(self, logits, tokens):
            if tokens.shape[1] == self.sample_begin:
                logits[:, self.tokenizer.encode(" ") + [self.tokenizer.eot]] = -np.inf

    class SuppressTokens:
        def __init__(self, suppress_tokens):
            self.suppress_tokens = list(suppress_tokens)

        def apply(self, logits, tokens):
            logits[:, self.suppress_tokens] = -np.inf

    class ApplyTimestampRules:
        def __init__(self, tokenizer, sample_begin, max_initial_timestamp_index):
            self.tokenizer = tokenizer
            self.sample_begin = sample_begin
            self.max_initial_timestamp_index = max_initial_timestamp_index

        def apply(self, logits, tokens):
            if self.tokenizer.no_timestamps is not None:
                logits[:, self.tokenizer.no_timestamps] = -np.inf
            for k in range(tokens.shape[0]):
                sampled_tokens = tokens[k, self.sample_begin:]
                seq = [t for t in sampled_tokens.tolist()]
                last_was_timestamp = len(seq) >= 1 and seq[-1] >= self.tokenizer.timestamp_begin
                penultimate_was_timestamp = (
                    len(seq) < 2 or seq[-2] >= self.tokenizer.timestamp_begin)
                if last_was_timestamp:
                    if penultimate_was_timestamp:
                        logits[k, self.tokenizer.timestamp_begin:] = -np.inf
                    else:
                        logits[k, : self.tokenizer.eot] = -np.inf
                timestamps = sampled_tokens[sampled_tokens.ge(self.tokenizer.timestamp_begin)]
                if timestamps.numel() > 0:
                    if last_was_timestamp and not penultimate_was_timestamp:
                        timestamp_last = timestamps[-1]
                    else:
                        timestamp_last = timestamps[-1] + 1
                    logits[k, self.tokenizer.timestamp_begin: timestamp_last] = -np.inf
            if tokens.shape[1] == self.sample_begin:
                logits[:, : self.tokenizer.timestamp_begin] = -np.inf
                if self.max_initial_timestamp_index is not None:
                    last_allowed = self.tokenizer.timestamp_begin + self.max_initial_timestamp_index
                    logits[:, last_allowed + 1:] = -np.inf
            logprobs = F.log_softmax(logits.float(), dim=-1)
            for k in range(tokens.shape[0]):
                timestamp_logprob = logprobs[k, self.tokenizer.timestamp_begin:].logsumexp(dim=-1)
                max_text_token_logprob = logprobs[k, : self.tokenizer.timestamp_begin].max()
                if timestamp_logprob > max_text_token_logprob:
                    logits[k, : self.tokenizer.timestamp_begin] = -np.inf

    class GreedyDecoder:
        def __init__(self, temperature, eot):
            self.temperature = temperature
            self.eot = eot

        def reset(self):
            pass

        def update(self, tokens, logits, sum_logprobs):
            if self.temperature == 0:
                next_tokens = logits.argmax(dim=-1)
            else:
                next_tokens = Categorical(logits=logits / self.temperature).sample()
            logprobs = F.log_softmax(logits.float(), dim=-1)
            current_logprobs = logprobs[torch.arange(logprobs.shape[0]), next_tokens]
            sum_logprobs += current_logprobs * (tokens[:, -1] != self.eot)
            next_tokens[tokens[:, -1] == self.eot] = self.eot
            tokens = torch.cat([tokens, next_tokens[:, None]], dim=-1)
            completed = (tokens[:, -1] == self.eot).all()
            return tokens, completed

        def finalize(self, tokens, sum_logprobs):
            tokens = F.pad(tokens, (0, 1), value=self.eot)
            return tokens, sum_logprobs.tolist()

    class BeamSearchDecoder:
        def __init__(self, beam_size, eot, patience=None):
            self.beam_size = beam_size
            self.eot = eot
            self.patience = patience or 1.0
            self.max_candidates = round(beam_size * self.patience)
            self.finished_sequences = None
            self.source_indices = []

        def reset(self):
            self.finished_sequences = None

        def update(self, tokens, logits, sum_logprobs):
            if tokens.shape[0] % self.beam_size != 0:
                raise ValueError(f"{tokens.shape}[0] % {self.beam_size} != 0")
            n_audio = tokens.shape[0] // self.beam_size
            if self.finished_sequences is None:
                self.finished_sequences = [{} for _ in range(n_audio)]
            logprobs = F.log_softmax(logits.float(), dim=-1)
            next_tokens, source_indices, finished_sequences = [], [], []
            for i in range(n_audio):
                scores, sources, finished = {}, {}, {}
                for j in range(self.beam_size):
                    idx = i * self.beam_size + j
                    prefix = tokens[idx].tolist()
                    for logprob, token in zip(*logprobs[idx].topk(self.beam_size + 1)):
                        new_logprob = (sum_logprobs[idx] + logprob).item()
                        sequence = tuple(prefix + [token.item()])
                        scores[sequence] = new_logprob
                        sources[sequence] = idx
                saved = 0
                for sequence in sorted(scores, key=scores.get, reverse=True):
                    if sequence[-1] == self.eot:
                        finished[sequence] = scores[sequence]
                    else:
                        sum_logprobs[len(next_tokens)] = scores[sequence]
                        next_tokens.append(sequence)
                        source_indices.append(sources[sequence])
                        saved += 1
                        if saved == self.beam_size:
                            break
                finished_sequences.append(finished)
            tokens = torch.tensor(next_tokens, device=tokens.device)
            self.source_indices = source_indices
            for previously_finished, newly_finished in zip(self.finished_sequences,
                                                           finished_sequences):
                for seq in sorted(newly_finished, key=newly_finished.get, reverse=True):
                    if len(previously_finished) >= self.max_candidates:
                        break
                    previously_finished[seq] = newly_finished[seq]
            completed = all(len(sequences) >= self.max_candidates
                            for sequences in self.finished_sequences)
            return tokens, completed

        def finalize(self, preceding_tokens, sum_logprobs):
            sum_logprobs = sum_logprobs.cpu()
            for i, sequences in enumerate(self.finished_sequences):
                if len(sequences) < self.beam_size:
                    for j in list(np.argsort(sum_logprobs[i]))[::-1]:
                        sequence = preceding_tokens[i, j].tolist() + [self.eot]
                        sequences[tuple(sequence)] = sum_logprobs[i][j].item()
                        if len(sequences) >= self.beam_size:
                            break
            tokens = [[torch.tensor(seq) for seq in sequences.keys()]
                      for sequences in self.finished_sequences]
            sum_logprobs = [list(sequences.values()) for sequences in self.finished_sequences]
            return tokens, sum_logprobs

    class MaximumLikelihoodRanker:
        def __init__(self, length_penalty):
            self.length_penalty = length_penalty

        def rank(self, tokens, sum_logprobs):
            def scores(logprobs, lengths):
                result = []
                for logprob, length in zip(logprobs, lengths):
                    if self.length_penalty is None:
                        penalty = length
                    else:
                        penalty = ((5 + length) / 6) ** self.length_penalty
                    result.append(logprob / penalty)
                return result
            lengths = [[len(t) for t in s] for s in tokens]
            return [np.argmax(scores(p, l)) for p, l in zip(sum_logprobs, lengths)]

    return dict(SuppressBlank=SuppressBlank, SuppressTokens=SuppressTokens,
                ApplyTimestampRules=ApplyTimestampRules, GreedyDecoder=GreedyDecoder,
                BeamSearchDecoder=BeamSearchDecoder, Ranker=MaximumLikelihoodRanker)


def run_decoding(L, d, decoder, n_group, model, mel, tok, out, timestamps=True):
    """DecodingTask.run's main loop (no kv cache), finalize, rank and slice at EOT."""
    torch = L
    sample_begin = len(tok.sot_sequence)
    filters = [d["SuppressBlank"](tok, sample_begin),
               d["SuppressTokens"]([tok.transcribe, tok.translate, tok.sot, tok.sot_prev,
                                    tok.sot_lm, tok.no_speech])]
    if timestamps:
        filters.append(d["ApplyTimestampRules"](tok, sample_begin, 3))
    ranker = d["Ranker"](None)
    with torch.no_grad():
        decoder.reset()
        n_audio = mel.shape[0]
        audio_features = model.embed_audio(mel)
        tokens = torch.tensor([tok.sot_sequence]).repeat(n_audio, 1)
        audio_features = audio_features.repeat_interleave(n_group, dim=0)
        tokens = tokens.repeat_interleave(n_group, dim=0)
        sum_logprobs = torch.zeros(tokens.shape[0])
        for i in range(6):
            logits = model.logits(tokens, audio_features)
            if i == 0:
                probs_at_sot = logits[:, 0].float().softmax(dim=-1)
                no_speech_probs = probs_at_sot[:, tok.no_speech].tolist()
            logits = logits[:, -1]
            for f in filters:
                f.apply(logits, tokens)
            tokens, completed = decoder.update(tokens, logits, sum_logprobs)
            if hasattr(decoder, "source_indices") and decoder.source_indices:
                audio_features = audio_features[decoder.source_indices]
            out.append(f"step {i} tokens {tokens[:, sample_begin:].tolist()} "
                       f"completed {bool(completed)}")
            if completed or tokens.shape[-1] > 16:
                break
        tokens = tokens.reshape(n_audio, n_group, -1)
        sum_logprobs = sum_logprobs.reshape(n_audio, n_group)
        tokens, sum_logprobs = decoder.finalize(tokens, sum_logprobs)
        tokens = [[t[sample_begin: (t == tok.eot).nonzero()[0, 0]] for t in s] for s in tokens]
        selected = ranker.rank(tokens, sum_logprobs)
        tokens = [t[i].tolist() for i, t in zip(selected, tokens)]
        sum_logprobs = [lp[i] for i, lp in zip(selected, sum_logprobs)]
        avg = [lp / (len(t) + 1) for t, lp in zip(tokens, sum_logprobs)]
    out.append(f"selected {[int(s) for s in selected]} tokens {tokens}")
    out.append(f"avg_logprob {[round(a, 4) for a in avg]} "
               f"no_speech {[round(p, 4) for p in no_speech_probs]}")
    return avg, no_speech_probs


def greedy_and_filters(L):
    torch = L
    d = decoding_pieces(L)
    tok = ToyTokenizer()
    out, vals = [], []
    logits = torch.from_numpy(np.random.default_rng(0).standard_normal((2, 60))
                              .astype(np.float32) * 3)
    tokens = torch.tensor([[41, 42], [41, 42]])
    d["SuppressBlank"](tok, 2).apply(logits, tokens)
    d["SuppressTokens"]([42, 43, 46]).apply(logits, tokens)
    out.append(f"inf count {int(torch.isinf(logits).sum())}")
    ts = d["ApplyTimestampRules"](tok, 2, 3)
    l1 = logits.clone()
    ts.apply(l1, tokens)
    out.append(f"first step allowed {torch.isfinite(l1).nonzero().tolist()}")
    l2 = logits.clone()
    ts.apply(l2, torch.tensor([[41, 42, 50, 5], [41, 42, 49, 52]]))
    out.append(f"later allowed counts {torch.isfinite(l2).sum(dim=-1).tolist()}")
    vals += [l1, l2]
    g = d["GreedyDecoder"](0.0, tok.eot)
    s = torch.zeros(2)
    t2, done = g.update(torch.tensor([[41, 5], [41, 40]]), logits.clone(), s)
    out.append(f"greedy {t2.tolist()} {bool(done)} {s}")
    torch.manual_seed(0)
    g = d["GreedyDecoder"](0.7, tok.eot)
    s = torch.zeros(2)
    t3, done = g.update(torch.tensor([[41, 5], [41, 6]]), logits.clone(), s)
    out.append(f"sampled {t3.tolist()} {s}")
    ft, fl = g.finalize(t3, s)
    out.append(f"finalize {ft.tolist()} {[round(x, 4) for x in fl]}")
    vals += [s]
    return out, vals


def decode_greedy(L):
    model, _ = make_model(L, seed=8)
    d = decoding_pieces(L)
    out = []
    avg, ns = run_decoding(L, d, d["GreedyDecoder"](0.0, 40), 1, model,
                           mel_input(L, n=2, seed=9), ToyTokenizer(), out)
    return out, [np.array(avg, np.float64), np.array(ns, np.float64)]


def decode_beam(L):
    model, _ = make_model(L, seed=10)
    d = decoding_pieces(L)
    out = []
    avg, ns = run_decoding(L, d, d["BeamSearchDecoder"](2, 40), 2, model,
                           mel_input(L, n=1, seed=11), ToyTokenizer(), out, timestamps=False)
    return out, [np.array(avg, np.float64), np.array(ns, np.float64)]


def audio_and_timing(L):
    torch, F = L, L.nn.functional
    out = []

    def pad_or_trim(array, length, *, axis=-1):
        if torch.is_tensor(array):
            if array.shape[axis] > length:
                array = array.index_select(dim=axis, index=torch.arange(length,
                                                                         device=array.device))
            if array.shape[axis] < length:
                pad_widths = [(0, 0)] * array.ndim
                pad_widths[axis] = (0, length - array.shape[axis])
                array = F.pad(array, [pad for sizes in pad_widths[::-1] for pad in sizes])
        return array

    rng = np.random.default_rng(12)
    audio = torch.from_numpy(rng.standard_normal(50).astype(np.float32))
    out.append(f"trim {tuple(pad_or_trim(audio, 40).shape)} pad {tuple(pad_or_trim(audio, 64).shape)}")
    mel2 = torch.from_numpy(rng.standard_normal((8, 20)).astype(np.float32))
    padded = pad_or_trim(mel2, 32, axis=-1)
    out.append(f"mel pad {tuple(padded.shape)} tail {padded[0, -3:].tolist()}")
    # log_mel_spectrogram after the STFT: magnitudes from a random spectrum
    spec = torch.from_numpy(rng.standard_normal((2, 17, 21)).astype(np.float32))
    magnitudes = spec[..., :-1].abs() ** 2
    filters = torch.from_numpy(np.abs(rng.standard_normal((8, 17))).astype(np.float32))
    mel_spec = filters @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    log_spec = (log_spec + 4.0) / 4.0
    out.append(f"log_spec {tuple(log_spec.shape)} {log_spec.dtype}")

    def median_filter(x, filter_width):
        pad_width = filter_width // 2
        if x.shape[-1] <= pad_width:
            return x
        if (ndim := x.ndim) <= 2:
            x = x[None, None, :]
        assert filter_width > 0 and filter_width % 2 == 1
        x = F.pad(x, (filter_width // 2, filter_width // 2, 0, 0), mode="reflect")
        result = x.unfold(-1, filter_width, 1).sort()[0][..., filter_width // 2]
        if ndim <= 2:
            result = result[0, 0]
        return result

    w = torch.from_numpy(rng.standard_normal((2, 5, 12)).astype(np.float32))
    med = median_filter(w, 7)
    med2 = median_filter(w[0], 3)
    out.append(f"median {tuple(med.shape)} {tuple(med2.shape)} short {tuple(median_filter(w[:, :, :3], 7).shape)}")

    def backtrace(trace):
        i = trace.shape[0] - 1
        j = trace.shape[1] - 1
        trace[0, :] = 2
        trace[:, 0] = 1
        result = []
        while i > 0 or j > 0:
            result.append((i - 1, j - 1))
            if trace[i, j] == 0:
                i -= 1
                j -= 1
            elif trace[i, j] == 1:
                i -= 1
            elif trace[i, j] == 2:
                j -= 1
        result = np.array(result)
        return result[::-1, :].T

    def dtw_cpu(x):
        N, M = x.shape
        cost = np.ones((N + 1, M + 1), dtype=np.float32) * np.inf
        trace = -np.ones((N + 1, M + 1), dtype=np.float32)
        cost[0, 0] = 0
        for j in range(1, M + 1):
            for i in range(1, N + 1):
                c0, c1, c2 = cost[i - 1, j - 1], cost[i - 1, j], cost[i, j - 1]
                if c0 < c1 and c0 < c2:
                    c, t = c0, 0
                elif c1 < c0 and c1 < c2:
                    c, t = c1, 1
                else:
                    c, t = c2, 2
                cost[i, j] = x[i - 1, j - 1] + c
                trace[i, j] = t
        return backtrace(trace)

    matrix = med.mean(axis=0)
    text_indices, time_indices = dtw_cpu((-matrix).double().cpu().numpy())
    out.append(f"dtw {text_indices.tolist()} {time_indices.tolist()}")
    jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
    out.append(f"jump times {(time_indices[jumps] / 50).tolist()}")
    return out, [padded, log_spec, med, med2]
