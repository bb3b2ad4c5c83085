"""udlbook/udlbook Notebooks/Chap12/12_4_Decoding_Strategies.ipynb as students complete it:
sampling, greedy, top-k, nucleus sampling and beam search over a language model's
F.softmax(outputs.logits).detach().numpy(), the chosen token (a NumPy array from
np.random.choice / np.where, or a list of np.int64) appended with
torch.cat((ids, torch.tensor([next_token])), dim=1). GPT-2 and its tokenizer are replaced by
a seeded toy causal model (Embedding, running mean, Linear) returning ``.logits`` and a word
list; transformers' set_seed by its three seeding calls."""

import random
from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out

WORDS = ("the best thing about bath is that it a place where you can go to see all "
         "beautiful faces of city not has been around way get most bang out and river "
         "roman spa hills stone tea rain bus park hot water old new").split()


def decoding_strategies(torch):
    nn, F = torch.nn, torch.nn.functional
    V = len(WORDS)

    def set_seed(seed):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    class ToyLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(V, 16)
            self.lin = nn.Linear(16, V)

        def forward(self, input_ids, attention_mask):
            h = self.emb(input_ids) * attention_mask[..., None]
            h = torch.cumsum(h, dim=1) / attention_mask.cumsum(1)[..., None]
            return SimpleNamespace(logits=self.lin(torch.tanh(h)) * 3)

    class Tokenizer:
        vocab_size = V

        def __call__(self, text, return_tensors='pt'):
            ids = [WORDS.index(w) for w in text.lower().split()]
            return {'input_ids': torch.tensor([ids]),
                    'attention_mask': torch.ones(1, len(ids), dtype=torch.long)}

        def decode(self, ids, skip_special_tokens=True):
            ids = ids.tolist()
            return ' '.join(WORDS[i] for i in ([ids] if isinstance(ids, int) else ids))

    def append(output_tokens, next_token, prob_over_tokens):
        output_tokens["input_ids"] = torch.cat((output_tokens['input_ids'], torch.tensor([next_token])), dim=1)
        output_tokens['attention_mask'] = torch.cat((output_tokens['attention_mask'], torch.tensor([[1]])), dim=1)
        output_tokens['last_token_prob'] = prob_over_tokens[next_token]
        return output_tokens

    def probs(input_tokens):
        outputs = model(input_ids=input_tokens['input_ids'], attention_mask=input_tokens['attention_mask'])
        return F.softmax(outputs.logits, dim=-1).detach().numpy()[0, -1]

    def sample_next_token(input_tokens, model, tokenizer):
        prob_over_tokens = probs(input_tokens)
        next_token = np.random.choice(len(prob_over_tokens), 1, replace=False, p=prob_over_tokens)
        return append(input_tokens, next_token, prob_over_tokens)

    def get_best_next_token(input_tokens, model, tokenizer):
        prob_over_tokens = probs(input_tokens)
        next_token = [np.argmax(prob_over_tokens)]
        return append(input_tokens, next_token, prob_over_tokens)

    def get_top_k_token(input_tokens, model, tokenizer, k=20):
        prob_over_tokens = probs(input_tokens)
        sorted_prob_over_tokens = np.sort(prob_over_tokens)[::-1]
        kth_prob_value = sorted_prob_over_tokens[k]
        prob_over_tokens[prob_over_tokens < kth_prob_value] = 0
        prob_over_tokens = prob_over_tokens / np.sum(prob_over_tokens)
        next_token = np.random.choice(len(prob_over_tokens), 1, replace=False, p=prob_over_tokens)
        return append(input_tokens, next_token, prob_over_tokens)

    def get_nucleus_sampling_token(input_tokens, model, tokenizer, thresh=0.25):
        prob_over_tokens = probs(input_tokens)
        sorted_probs_decreasing = np.sort(prob_over_tokens)[::-1]
        cum_sum_probs = np.cumsum(sorted_probs_decreasing)
        thresh_index = np.argmax(cum_sum_probs > thresh)
        o.print("Choosing from %d tokens" % (thresh_index))
        thresh_prob = sorted_probs_decreasing[thresh_index]
        prob_over_tokens[prob_over_tokens < thresh_prob] = 0
        prob_over_tokens = prob_over_tokens / np.sum(prob_over_tokens)
        next_token = np.random.choice(len(prob_over_tokens), 1, replace=False, p=prob_over_tokens)
        return append(input_tokens, next_token, prob_over_tokens)

    def get_kth_most_likely_token(input_tokens, model, tokenizer, k):
        prob_over_tokens = probs(input_tokens)
        sorted_prob_over_tokens = np.sort(prob_over_tokens)[::-1]
        kth_prob_value = sorted_prob_over_tokens[k]
        next_token = np.where(prob_over_tokens == kth_prob_value)[0]
        output_tokens = append(input_tokens, next_token, prob_over_tokens)
        output_tokens['log_prob'] = output_tokens['log_prob'] + np.log(prob_over_tokens[next_token])
        return output_tokens

    with Out() as o:
        torch.manual_seed(0)
        model = ToyLM()
        tokenizer = Tokenizer()
        np.random.seed(1)
        o.print("Number of tokens in dictionary = %d" % (tokenizer.vocab_size))
        for i in range(5):
            index = np.random.randint(tokenizer.vocab_size)
            o.print("Token: %d " % (index) + tokenizer.decode(torch.tensor(index), skip_special_tokens=True))
        input_txt = "The best thing about Bath is"
        for name, step in [("sample", sample_next_token), ("greedy", get_best_next_token),
                           ("top-k", lambda t, m, tk: get_top_k_token(t, m, tk, k=5)),
                           ("nucleus", lambda t, m, tk: get_nucleus_sampling_token(t, m, tk, thresh=0.2))]:
            set_seed(0)
            input_tokens = tokenizer(input_txt, return_tensors='pt')
            for i in range(4):
                input_tokens = step(input_tokens, model, tokenizer)
            o.print(name, tokenizer.decode(input_tokens["input_ids"][0], skip_special_tokens=True))
            o.print(input_tokens['input_ids'].dtype, input_tokens['attention_mask'].dtype,
                    type(input_tokens['last_token_prob']).__name__)
            o.vals += [input_tokens['input_ids'], input_tokens['attention_mask']]
        for k in (1, 20):
            input_tokens = tokenizer(input_txt, return_tensors='pt')
            input_tokens['log_prob'] = 0.0
            for i in range(4):
                input_tokens = get_kth_most_likely_token(input_tokens, model, tokenizer, k=k)
            o.print(tokenizer.decode(input_tokens["input_ids"][0], skip_special_tokens=True))
            o.vals.append(input_tokens['log_prob'])

        def print_beams(beams):
            for index, beam in enumerate(beams):
                o.print("Beam %d, Prob %3.3f: " % (index, beam['log_prob'][0]) + tokenizer.decode(beam["input_ids"][0], skip_special_tokens=True))
            o.print('---')

        def do_beam_search(input_tokens_in, model, tokenizer, n_beam=3, beam_length=3):
            input_tokens['log_prob'] = 0.0
            beams = [None] * n_beam
            for c_k in range(n_beam):
                beams[c_k] = dict(input_tokens_in)
                beams[c_k] = get_kth_most_likely_token(beams[c_k], model, tokenizer, c_k)
            print_beams(beams)
            for c_pos in range(beam_length - 1):
                beams_all = [None] * (n_beam * n_beam)
                log_probs_all = np.zeros(n_beam * n_beam)
                for c_beam in range(n_beam):
                    for c_k in range(n_beam):
                        beams_all[c_beam * n_beam + c_k] = dict(get_kth_most_likely_token(beams[c_beam], model, tokenizer, c_k))
                        log_probs_all[c_beam * n_beam + c_k] = beams_all[c_beam * n_beam + c_k]['log_prob'][0]
                sorted_index = np.argsort(np.array(log_probs_all) * -1)
                for c_k in range(n_beam):
                    beams[c_k] = dict(beams_all[sorted_index[c_k]])
                print_beams(beams)
            return beams[0]
        set_seed(0)
        input_tokens = tokenizer(input_txt, return_tensors='pt')
        best_beam = do_beam_search(input_tokens, model, tokenizer)
        o.print("Beam search result:")
        o.print(tokenizer.decode(best_beam["input_ids"][0], skip_special_tokens=True))
        o.vals += [best_beam['input_ids'], best_beam['log_prob']]
    return o.done()
